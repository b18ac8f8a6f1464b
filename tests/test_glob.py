"""Glob matching: fixed cases from Redis's semantics, and a differential run against a real
redis-server's KEYS when one is installed."""
from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time

import pytest

from mimeidb.commands.glob import compile_glob, glob_match, literal_prefix

CASES = [
    # pattern, text, expected
    (b"*", b"", False),           # the empty text matches only the empty pattern
    (b"", b"", True),
    (b"", b"a", False),
    (b"*", b"anything", True),
    (b"**", b"x", True),
    (b"a*", b"a", True),
    (b"*a", b"a", True),
    (b"*a*", b"a", True),
    (b"*a*", b"bab", True),
    (b"*a*", b"bbb", False),
    (b"h?llo", b"hello", True),
    (b"h?llo", b"hllo", False),
    (b"h*llo", b"heeeello", True),
    (b"h[ae]llo", b"hallo", True),
    (b"h[ae]llo", b"hillo", False),
    (b"h[^e]llo", b"hallo", True),
    (b"h[^e]llo", b"hello", False),
    (b"h[a-b]llo", b"hbllo", True),
    (b"h[b-a]llo", b"hallo", True),       # reversed range
    (b"h[a-]llo", b"h-llo", False),       # 'a-]' is a range a..']', then 'llo' ends the bracket
    (b"[]a]", b"a", False),               # '[]' is an empty class, then 'a]'
    (b"[]a]", b"xa]", False),
    (b"[^]", b"x", True),                 # negated empty class: any byte
    (b"[", b"a", False),                  # unterminated, empty
    (b"[^", b"a", True),                  # unterminated, negated empty
    (b"[abc", b"b", True),                # unterminated class runs to the end
    (b"[abc", b"bb", False),
    (b"[a\\]]", b"]", True),              # escape inside a bracket
    (b"\\*", b"*", True),
    (b"\\*", b"a", False),
    (b"a\\", b"a\\", True),               # trailing backslash is literal
    (b"\\?", b"?", True),
    (b"\\a", b"a", True),
    (b"foo*bar", b"foobar", True),
    (b"foo*bar", b"foo-bar-bar", True),
    (b"foo*bar", b"foo-baz", False),
    (b"[a-\xff]", b"\x80", False),        # signed char: the range is -1..97
    (b"[a-\xff]", b"\xff", True),
    (b"[a-\xff]", b"5", True),
    (b"[\x80-\xff]", b"\x90", True),
    (b"*?" * 50000, b"a" * 50000, False),  # Redis's nesting guard
    (b"a*" * 34 + b"b", b"a" * 69, False),  # must not take exponential time
    (b"*" * 5000 + b"a", b"a", True),     # one star group
]


@pytest.mark.parametrize("pattern,text,expected", CASES)
def test_cases(pattern, text, expected):
    assert glob_match(pattern, text) is expected


def test_nocase():
    assert glob_match(b"HeLLo", b"hello", nocase=True)
    assert glob_match(b"h*O", b"HELLO", nocase=True)
    assert glob_match(b"h[A-Z]llo", b"hello", nocase=True)
    assert glob_match(b"[A-z]", b"[", nocase=False)
    assert not glob_match(b"[A-z]", b"[", nocase=True)   # tolower folds the range to a..z
    assert not glob_match(b"[\\A]", b"a", nocase=True)   # escaped bytes compare exactly
    assert glob_match(b"\xc9", b"\xc9", nocase=True)
    assert not glob_match(b"HELLO", b"hello")


def test_compile_is_cached():
    assert compile_glob(b"a*b") is compile_glob(b"a*b")


def test_literal_prefix():
    assert literal_prefix(b"user:*") == b"user:"
    assert literal_prefix(b"abc") == b"abc"
    assert literal_prefix(b"a\\*b*") == b"a*b"
    assert literal_prefix(b"a?") == b"a"
    assert literal_prefix(b"ab[c]") == b"ab"
    assert literal_prefix(b"*") == b""
    assert literal_prefix(b"x\\") == b"x\\"


# -- differential run against redis-server ---------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def real_redis(tmp_path_factory):
    """A throwaway redis-server on a free loopback port (skips if not installed)."""
    server = shutil.which("redis-server")
    redis = pytest.importorskip("redis")
    if server is None:
        pytest.skip("redis-server not installed")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.skip("redis-server did not start")
    yield client
    client.close()
    proc.kill()
    proc.wait()


def test_against_redis_keys(real_redis):
    rng = random.Random(7)
    alphabet = b"ab-]^\\A\x80\xff"
    keys = {bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 5))) for _ in range(300)}
    real_redis.flushall()
    real_redis.mset({key: b"1" for key in keys})
    pattern_alphabet = b"ab*?[]^-\\A\x80\xff"
    for _ in range(600):
        pattern = bytes(rng.choice(pattern_alphabet) for _ in range(rng.randrange(1, 7)))
        if pattern == b"*":
            continue  # Redis's KEYS skips matching for '*'
        expected = set(real_redis.keys(pattern))
        got = {key for key in keys if glob_match(pattern, key)}
        assert got == expected, pattern
