"""resp.codec with plain bytes: framing, Redis's protocol errors, inline parsing, encoding."""
import pytest

from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import (NULL_ARRAY, OK, Double, Map, Push, SetReply, Simple,
                                      Verbatim)
from resp.codec import ProtocolError, RequestParser, encode, split_args

PIPELINE = (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$3\r\na\r\n\r\n"   # payload holds CRLF
            b"PING\r\n\r\n"                                    # inline, then an empty line
            b"set \"a b\" 'c\\'d' \"\\x41\\n\"\r\n"
            b"*0\r\n*-10\r\n"                                  # skipped like Redis does
            b"*1\r\n$4\r\nPING\r\n")
EXPECTED = [[b"SET", b"x", b"a\r\n"], [b"PING"], [b"set", b"a b", b"c'd", b"A\n"], [b"PING"]]


def test_pipeline_in_one_read():
    assert RequestParser().feed(PIPELINE) == EXPECTED


def test_every_split_point():
    for cut in range(1, len(PIPELINE)):
        p = RequestParser()
        assert p.feed(PIPELINE[:cut]) + p.feed(PIPELINE[cut:]) == EXPECTED, cut


def test_byte_by_byte():
    p = RequestParser()
    out = []
    for i in range(len(PIPELINE)):
        out += p.feed(PIPELINE[i:i + 1])
    assert out == EXPECTED and p.pending() == 0


def test_fast_path_many_frames():
    frame = b"*3\r\n$3\r\nSET\r\n$4\r\nkey1\r\n$5\r\nvalue\r\n"
    assert RequestParser().feed(frame * 100) == [[b"SET", b"key1", b"value"]] * 100
    big = b"x" * 5000
    assert RequestParser().feed(b"*2\r\n$3\r\nGET\r\n$5000\r\n" + big + b"\r\n") == [[b"GET", big]]


@pytest.mark.parametrize("data,message", [
    (b"*3000000000\r\n", "invalid multibulk length"),
    (b"*abc\r\n", "invalid multibulk length"),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", "expected '$', got 'f'"),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n", "invalid bulk length"),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n", "invalid bulk length"),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n", "invalid bulk length"),
    (b"*1\r\nfoo\r\n", "expected '$', got 'f'"),
    (b"*2\r\n$3\r\nGET\r\n+foo\r\n", "expected '$', got '+'"),
    (b"*1\r\n:5\r\n", "expected '$', got ':'"),
    (b'set """test-key""" test-value\r\nping\r\n', "unbalanced quotes in request"),
    (b"\x00" + b"A" * 70000 + b"\n", "too big inline request"),
    (b"A" * 70000, "too big inline request"),
    (b"*\x00" + b"A" * 70000 + b"\n", "too big mbulk count string"),
    (b"*1\r\n" + b"$" + b"1" * 70000, "too big bulk count string"),
])
def test_protocol_errors(data, message):
    with pytest.raises(ProtocolError) as info:
        RequestParser().feed(data)
    assert info.value.message == "ERR Protocol error: " + message


def test_huge_bulk_is_refused_before_buffering():
    p = RequestParser()
    with pytest.raises(ProtocolError):
        p.feed(b"*2\r\n$3\r\nSET\r\n$600000000\r\n")


def test_unauthenticated_limits():
    p = RequestParser()
    p.auth_required = True
    with pytest.raises(ProtocolError, match="unauthenticated multibulk"):
        p.feed(b"*11\r\n")
    p = RequestParser()
    p.auth_required = True
    with pytest.raises(ProtocolError, match="unauthenticated bulk"):
        p.feed(b"*2\r\n$4\r\nAUTH\r\n$20000\r\n")


def test_split_args():
    assert split_args(b'  a  "b c" \'d\'  ') == [b"a", b"b c", b"d"]
    assert split_args(b'"\\x4a\\t\\"q"') == [b"J\t\"q"]
    assert split_args(b'"a"b') is None and split_args(b'"abc') is None
    assert split_args(b"") == []


def test_encode_resp2():
    assert encode(b"ab") == b"$2\r\nab\r\n"
    assert encode(b"") == b"$0\r\n\r\n"
    assert encode(-5) == b":-5\r\n" and encode(10**12) == b":1000000000000\r\n"
    assert encode(None) == b"$-1\r\n" and encode(NULL_ARRAY) == b"*-1\r\n"
    assert encode(OK) == b"+OK\r\n" and encode(Simple("PONG")) == b"+PONG\r\n"
    assert encode(True) == b":1\r\n" and encode(False) == b":0\r\n"
    assert encode([b"a", [1, None]]) == b"*2\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n"
    assert encode(Map([(b"k", 1)])) == b"*2\r\n$1\r\nk\r\n:1\r\n"
    assert encode(SetReply([b"m"])) == b"*1\r\n$1\r\nm\r\n"
    assert encode(Double(1.5)) == b"$3\r\n1.5\r\n" and encode(Double(3.0)) == b"$1\r\n3\r\n"
    assert encode(Double(float("inf"))) == b"$3\r\ninf\r\n"
    assert encode(Verbatim("hi")) == b"$2\r\nhi\r\n"
    assert encode(Push([b"message", b"c", b"m"])) == b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n"
    assert encode(RedisError("ERR x\r\ny")) == b"-ERR x  y\r\n"
    assert encode([]) == b"*0\r\n"


def test_encode_resp3():
    assert encode(None, 3) == b"_\r\n" and encode(NULL_ARRAY, 3) == b"_\r\n"
    assert encode(True, 3) == b"#t\r\n" and encode(False, 3) == b"#f\r\n"
    assert encode(Map([(b"k", 1)]), 3) == b"%1\r\n$1\r\nk\r\n:1\r\n"
    assert encode(SetReply([b"m"]), 3) == b"~1\r\n$1\r\nm\r\n"
    assert encode(Double(1.5), 3) == b",1.5\r\n" and encode(Double(float("-inf")), 3) == b",-inf\r\n"
    assert encode(Verbatim("hi"), 3) == b"=6\r\ntxt:hi\r\n"
    assert encode(Push([b"message"]), 3) == b">1\r\n$7\r\nmessage\r\n"
    assert encode(b"x" * 2000, 3) == b"$2000\r\n" + b"x" * 2000 + b"\r\n"


def test_fuzz_never_crashes():
    import random
    rng = random.Random(7)
    alphabet = b"*$+-:\r\n0123456789abc \"'\\\x00"
    for _ in range(3000):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        p = RequestParser()
        try:
            for argv in p.feed(data):
                assert argv and all(type(a) is bytes for a in argv)
        except ProtocolError as exc:
            assert exc.message.startswith("ERR Protocol error: ")
