"""HyperLogLog commands through dispatch.execute on a real keyspace, and (when
/usr/bin/redis-server exists) replies and HLL strings exchanged with a real Redis."""
from __future__ import annotations

import random

from mimeidb.commands import hyperloglog as hll
from mimeidb.commands.replies import Simple
from tests.cmdkit import parse_resp2, resp2

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def test_pfadd_pfcount_basics(r):
    assert r("PFADD", "h") == 1
    assert r("EXISTS", "h") == 1
    assert r("PFCOUNT", "h") == 0
    assert r("PFADD", "h", "a", "b", "c") == 1
    assert r("PFADD", "h", "a", "b", "c") == 0
    assert r("PFADD", "h", "") == 1
    assert r("PFCOUNT", "h") == 4
    assert r("PFCOUNT", "h", "nokey") == 4
    assert r("PFCOUNT", "nokey") == 0


def test_cache_byte(r):
    r("PFADD", "h", "a", "b", "c")
    assert r("GETRANGE", "h", 15, 15) == b"\x80"
    assert r("PFCOUNT", "h") == 3
    assert r("GETRANGE", "h", 15, 15) == b"\x00"
    r("PFADD", "h", "a", "b", "c")
    assert r("GETRANGE", "h", 15, 15) == b"\x00"
    r("PFADD", "h", 1, 2, 3)
    assert r("GETRANGE", "h", 15, 15) == b"\x80"


def test_errors_and_corruption(r):
    r("SET", "s", "bar")
    r("LPUSH", "l", "x")
    assert r("PFADD", "s", 1) == hll.WRONGTYPE_HLL
    assert r("PFCOUNT", "s") == hll.WRONGTYPE_HLL
    assert r("PFMERGE", "x", "s") == hll.WRONGTYPE_HLL
    assert r("PFMERGE", "s", "x") == hll.WRONGTYPE_HLL
    assert r("PFADD", "l", 1) == WRONGTYPE
    r("PFADD", "h", "a", "b", "c")
    r("APPEND", "h", "hello")
    assert r("PFCOUNT", "h") == hll.INVALIDOBJ
    r("DEL", "h")
    r("PFADD", "h", "a", "b", "c")
    r("SETRANGE", "h", 4, "\x00")  # claims dense with a sparse length
    assert r("PFCOUNT", "h") == hll.WRONGTYPE_HLL
    rng = random.Random(1)
    for _ in range(200):  # random corruption never escapes as anything but an error reply
        r("DEL", "h")
        r("PFADD", "h", *[str(rng.random()) for _ in range(rng.randrange(3000))])
        for _ in range(5):
            pos = rng.randrange(r("STRLEN", "h"))
            r("SETRANGE", "h", pos, bytes([rng.randrange(256)]))
            if rng.random() < 0.5:
                break
        result = r("PFCOUNT", "h")
        assert isinstance(result, (int, str))


def test_pfmerge(r):
    r("PFADD", "h1", "a", "b", "c")
    r("PFADD", "h2", "b", "c", "d")
    r("PFADD", "h3", "c", "d", "e")
    assert r("PFMERGE", "h", "h1", "h2", "h3") == Simple("OK")
    assert r("PFCOUNT", "h") == 5
    assert r("PFMERGE", "d", "nokey") == Simple("OK")
    assert r("EXISTS", "d") == 1 and r("PFCOUNT", "d") == 0
    assert r("PFMERGE", "h1") == Simple("OK")
    assert r("PFCOUNT", "h1") == 3


def test_sparse_to_dense_and_accuracy(r):
    n = 0
    rng = random.Random(2)
    while n < 20000:
        r("PFADD", "h", *[str(rng.random()) for _ in range(500)])
        n += 500
        card = r("PFCOUNT", "h")
        assert abs(card - n) < card * 0.05
        encoding = r("GETRANGE", "h", 4, 4)
        if n < 500:
            assert encoding == b"\x01"
        if n > 5000:
            assert encoding == b"\x00" and r("STRLEN", "h") == hll.DENSE_SIZE


def test_multi_key_union(r):
    for x in range(1, 3000):
        r("PFADD", "a", f"foo-{x}")
        r("PFADD", "b", f"bar-{x}")
        r("PFADD", "c", f"zap-{x}")
        if x % 97 == 0:
            card = r("PFCOUNT", "a", "b", "c")
            assert abs(card - 3 * x) < card * 0.05


def test_sparse_encoding_roundtrip():
    rng = random.Random(4)
    for _ in range(50):
        values = {rng.randrange(hll.REGISTERS): rng.randint(1, 32) for _ in range(rng.randrange(400))}
        body = hll.sparse_encode(values)
        decoded = {}
        for start, length, val in hll.sparse_runs(body):
            for i in range(start, start + length):
                decoded[i] = val
        assert decoded == values


# -- against a real Redis -----------------------------------------------------------------------
def _compare(redis_server, r, script):
    redis_server.call(b"FLUSHALL")
    for argv in script:
        words = [a if isinstance(a, bytes) else str(a).encode() for a in argv]
        theirs = redis_server.call(*words)
        ours = resp2(r(*words))
        assert ours == theirs, (argv, ours, theirs)


def test_replies_match_real_redis(redis_server, r):
    rng = random.Random(9)
    script = [("PFADD", "h"), ("PFCOUNT", "h"), ("GET", "h"), ("PFADD", "h", "a", "b", "c"), ("GET", "h"),
              ("PFCOUNT", "h"), ("GET", "h"), ("PFADD", "h", "a"), ("PFADD", "h", ""), ("PFCOUNT", "h"),
              ("SET", "s", "x"), ("PFADD", "s", "a"), ("PFCOUNT", "s"), ("PFMERGE", "s", "h"),
              ("PFMERGE", "h", "s"), ("LPUSH", "l", "a"), ("PFADD", "l", "a"), ("PFCOUNT", "h", "l"),
              ("PFMERGE", "m", "nokey"), ("GET", "m"), ("PFCOUNT", "m"), ("GET", "m"),
              ("PFMERGE", "m", "h"), ("PFCOUNT", "m")]
    for size in (10, 100, 300, 1000, 5000, 20000):
        elements = [str(rng.random()) for _ in range(size)]
        script += [("PFADD", f"k{size}", *elements), ("PFCOUNT", f"k{size}"), ("PFCOUNT", f"k{size}", "h"),
                   ("PFMERGE", f"u{size}", f"k{size}", "h", "k10"), ("PFCOUNT", f"u{size}")]
    script += [("PFCOUNT", "k10", "k100", "k300", "k1000", "k5000", "k20000"),
               ("PFMERGE", "all", "k10", "k100", "k300", "k1000", "k5000", "k20000"), ("PFCOUNT", "all"),
               ("GET", "k20000"), ("GET", "all"), ("GET", "k10")]
    _compare(redis_server, r, script)


def test_values_cross_between_redis_and_us(redis_server, r):
    """A HLL made by Redis counts the same here, and one made here counts the same in Redis."""
    rng = random.Random(12)
    redis_server.call(b"FLUSHALL")
    for size in (0, 3, 50, 700, 2500, 9000):
        elements = [b"e%d" % rng.randrange(1 << 40) for _ in range(size)]
        redis_server.call(b"PFADD", b"theirs", *elements) if elements else redis_server.call(b"PFADD", b"theirs")
        value = parse_resp2(redis_server.call(b"GET", b"theirs"))
        r("SET", "theirs", value)
        assert r("PFCOUNT", "theirs") == parse_resp2(redis_server.call(b"PFCOUNT", b"theirs"))
        r("PFADD", "ours", *elements)
        mine = r("GET", "ours")
        redis_server.call(b"SET", b"ours", mine)
        assert parse_resp2(redis_server.call(b"PFCOUNT", b"ours")) == r("PFCOUNT", "ours")
        more = [b"x%d" % rng.randrange(1 << 40) for _ in range(100)]
        redis_server.call(b"PFADD", b"ours", *more)
        r("PFADD", "ours", *more)
        assert parse_resp2(redis_server.call(b"PFCOUNT", b"ours")) == r("PFCOUNT", "ours")
        redis_server.call(b"DEL", b"theirs")
        r("DEL", "theirs")


def test_pfdebug_and_selftest(r):
    assert r("PFSELFTEST") == Simple("OK")
    assert r("PFDEBUG", "encoding", "nokey") == "ERR The specified key does not exist"
    r("PFADD", "h", "a", "b", "c")
    assert r("PFDEBUG", "encoding", "h") == Simple("sparse")
    assert r("PFDEBUG", "foo", "h") == "ERR Unknown PFDEBUG subcommand 'foo'"
    assert r("PFDEBUG", "todense", "h") == 1
    assert r("PFDEBUG", "todense", "h") == 0
    assert r("PFDEBUG", "encoding", "h") == Simple("dense")
    assert r("PFDEBUG", "decode", "h") == "ERR HLL encoding is not sparse"
    assert r("PFCOUNT", "h") == 3
    regs = r("PFDEBUG", "getreg", "h")
    assert len(regs) == hll.REGISTERS and sum(1 for v in regs if v) == 3


def test_pfdebug_matches_real_redis(redis_server, r):
    script = [("PFADD", "h", "a", "b", "c", "d", "e"), ("PFDEBUG", "decode", "h"), ("PFDEBUG", "encoding", "h"),
              ("PFDEBUG", "getreg", "h"), ("PFDEBUG", "encoding", "h"), ("GET", "h"),
              ("PFADD", "s", *[str(i) for i in range(200)]), ("PFDEBUG", "decode", "s"),
              ("PFDEBUG", "todense", "s"), ("GET", "s"), ("PFDEBUG", "decode", "nokey"),
              ("SET", "x", "y"), ("PFDEBUG", "encoding", "x")]
    _compare(redis_server, r, script)
