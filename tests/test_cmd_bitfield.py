"""BITFIELD / BITFIELD_RO through dispatch.execute, and (when redis-server is installed) a
random workload compared byte for byte with a real Redis as RESP2."""
from __future__ import annotations

import random


from mimeidb.commands import table
from tests.cmdkit import resp2

table.load_all()

BAD_TYPE = ("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
            "supported but i64 is.")


def test_get_set_incrby(r):
    assert r("BITFIELD", "k", "SET", "i8", 0, -100, "GET", "u8", 0, "INCRBY", "i8", 0, -100) == \
        [0, 156, 56]
    assert r("GET", "k") == b"\x38"
    assert r("BITFIELD", "k", "SET", "u4", "#1", 15, "GET", "u8", 0) == [8, 0x3F]
    assert r("BITFIELD", "missing", "GET", "i64", 100) == [0]
    assert r("EXISTS", "missing") == 0
    assert r("BITFIELD", "k") == []


def test_overflow_modes(r):
    assert r("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", 0, 200) == [127]
    assert r("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", 0, -300) == [-128]
    assert r("BITFIELD", "k", "INCRBY", "i8", 0, -1) == [127]  # WRAP by default
    assert r("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i8", 0, 1, "GET", "i8", 0) == [None, 127]
    assert r("BITFIELD", "u", "OVERFLOW", "SAT", "SET", "u8", 0, -1, "GET", "u8", 0) == [0, 255]
    assert r("BITFIELD", "u", "OVERFLOW", "WRAP", "INCRBY", "u8", 0, 2) == [1]
    assert r("BITFIELD", "w", "OVERFLOW", "FAIL", "INCRBY", "u2", 100, 10) == [None]
    assert r("STRLEN", "w") == 13  # the string grows to the field even when FAIL refuses


def test_errors(r):
    assert r("BITFIELD", "k", "GET", "u64", 0) == BAD_TYPE
    assert r("BITFIELD", "k", "GET", "i65", 0) == BAD_TYPE
    assert r("BITFIELD", "k", "GET", "I8", 0) == BAD_TYPE
    assert r("BITFIELD", "k", "GET", "u8", -1) == "ERR bit offset is not an integer or out of range"
    assert r("BITFIELD", "k", "GET", "u8", 4294967296) == "ERR bit offset is not an integer or out of range"
    assert r("BITFIELD", "k", "SET", "u8", 0, "x") == "ERR value is not an integer or out of range"
    assert r("BITFIELD", "k", "OVERFLOW", "X") == "ERR Invalid OVERFLOW type specified"
    assert r("BITFIELD", "k", "FOO", "u8", 0) == "ERR syntax error"
    assert r("BITFIELD", "k", "GET", "u8") == "ERR syntax error"
    assert r("BITFIELD_RO", "k", "SET", "u8", 0, 1) == "ERR BITFIELD_RO only supports the GET subcommand"
    assert r("BITFIELD_RO", "k", "GET", "u8", 0) == [0]
    r("LPUSH", "l", "a")
    assert r("BITFIELD", "l", "GET", "u8", 0).startswith("WRONGTYPE")


def test_random_workload_matches_real_redis(redis_server, r):
    rng = random.Random(7)
    redis_server.call(b"FLUSHALL")
    for _ in range(600):
        argv = ["BITFIELD" if rng.random() < 0.9 else "BITFIELD_RO", rng.choice(["a", "b"])]
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.25:
                argv += ["OVERFLOW", rng.choice(["WRAP", "SAT", "FAIL"])]
            signed = rng.random() < 0.5
            bits = rng.randint(1, 64 if signed else 63)
            kind = ("i" if signed else "u") + str(bits)
            offset = f"#{rng.randint(0, 8)}" if rng.random() < 0.3 else str(rng.randint(0, 200))
            op = rng.choice(["GET", "SET", "INCRBY"])
            argv += [op, kind, offset]
            if op != "GET":
                argv.append(str(rng.choice([rng.randint(-300, 300),
                                            rng.randint(-(1 << 63), (1 << 63) - 1)])))
        words = [a.encode() for a in argv]
        theirs = redis_server.call(*words)
        assert resp2(r(*words)) == theirs, (" ".join(argv), resp2(r(*words)), theirs)
        if rng.random() < 0.1:
            assert resp2(r(b"GET", b"a")) == redis_server.call(b"GET", b"a")
