"""Set commands through dispatch.execute on a real keyspace; then, when /usr/bin/redis-server
exists, hash and set commands run against a real Redis and our replies compared with its
(sorted where Redis's order is its hash table's)."""
from __future__ import annotations

import random


from mimeidb.commands import table
from mimeidb.commands.replies import Map, SetReply, Simple
from mimeidb.store.sampling import sample

table.load_all()

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"


def members(reply):
    return sorted(reply)


def test_sadd_srem_scard(r, ks):
    assert r("SADD", "s", "a", "b", "a") == 2
    assert r("SADD", "s", "b", "c") == 1
    assert r("SCARD", "s") == 3
    assert r("SCARD", "missing") == 0
    assert r("SREM", "s", "a", "zz", "a") == 1
    assert r("SREM", "missing", "a") == 0
    assert r("SCARD", "s") == 2
    assert ks.count() == 1
    assert r("SREM", "s", "b", "c") == 2
    assert ks.meta(b"s") is None and list(ks.entries(b"s")) == []
    assert ks.count() == 0


def test_membership(r):
    r("SADD", "s", "a", "b")
    assert r("SISMEMBER", "s", "a") == 1
    assert r("SISMEMBER", "s", "z") == 0
    assert r("SISMEMBER", "missing", "z") == 0
    assert r("SMISMEMBER", "s", "a", "z", "b") == [1, 0, 1]
    assert r("SMISMEMBER", "missing", "a") == [0]
    assert r("SMEMBERS", "s") == SetReply([b"a", b"b"])
    assert isinstance(r("SMEMBERS", "s"), SetReply)
    assert r("SMEMBERS", "missing") == SetReply()


def test_arity(r):
    for argv, name in ((("SADD", "s"), "sadd"), (("SREM", "s"), "srem"), (("SCARD",), "scard"),
                       (("SISMEMBER", "s"), "sismember"), (("SMISMEMBER", "s"), "smismember"),
                       (("SMOVE", "a", "b"), "smove"), (("SINTER",), "sinter"),
                       (("SINTERSTORE", "d"), "sinterstore"), (("SINTERCARD", "1"), "sintercard"),
                       (("SSCAN", "s"), "sscan"), (("SPOP",), "spop")):
        assert r(*argv) == f"ERR wrong number of arguments for '{name}' command"


def test_wrong_type(r):
    r("SET", "str", "x")
    r("SADD", "s", "a")
    for argv in (("SADD", "str", "a"), ("SREM", "str", "a"), ("SCARD", "str"),
                 ("SISMEMBER", "str", "a"), ("SMISMEMBER", "str", "a"), ("SMEMBERS", "str"),
                 ("SPOP", "str"), ("SPOP", "str", "0"), ("SRANDMEMBER", "str"),
                 ("SRANDMEMBER", "str", "0"), ("SINTER", "missing", "str"),
                 ("SUNION", "s", "str"), ("SDIFF", "missing", "str"), ("SDIFF", "s", "str"),
                 ("SINTERCARD", "2", "missing", "str"), ("SSCAN", "str", "0", "foo", "bar"),
                 ("SMOVE", "str", "s", "a"), ("SMOVE", "s", "str", "a"),
                 ("SUNIONSTORE", "d", "s", "str")):
        assert r(*argv) == WRONGTYPE, argv
    assert r("SMOVE", "missing", "str", "a") == 0  # a missing source wins over the wrong type
    assert r("SCARD", "s") == 1


def test_spop(r, ks):
    assert r("SPOP", "missing") is None
    assert r("SPOP", "missing", "3") == SetReply()
    r("SADD", "s", "a", "b", "c", "d")
    one = r("SPOP", "s")
    assert one in (b"a", b"b", b"c", b"d") and r("SISMEMBER", "s", one) == 0
    assert r("SCARD", "s") == 3
    assert r("SPOP", "s", "0") == SetReply()
    two = r("SPOP", "s", "2")
    assert isinstance(two, SetReply) and len(set(two)) == 2
    assert r("SCARD", "s") == 1
    last = r("SPOP", "s", "5")
    assert len(last) == 1 and set(two + last + [one]) == {b"a", b"b", b"c", b"d"}
    assert ks.meta(b"s") is None and ks.count() == 0
    r("SADD", "s", "a")
    assert r("SPOP", "s") == b"a" and ks.count() == 0
    assert r("SPOP", "s", "-1") == "ERR value is out of range, must be positive"
    assert r("SPOP", "s", "x") == "ERR value is out of range, must be positive"
    assert r("SPOP", "s", "1", "2") == SYNTAX


def test_srandmember(r):
    assert r("SRANDMEMBER", "missing") is None
    assert r("SRANDMEMBER", "missing", "5") == []
    assert r("SRANDMEMBER", "missing", "-5") == []
    r("SADD", "s", "a", "b", "c")
    assert r("SRANDMEMBER", "s") in (b"a", b"b", b"c")
    assert r("SRANDMEMBER", "s", "0") == []
    assert members(r("SRANDMEMBER", "s", "10")) == [b"a", b"b", b"c"]
    two = r("SRANDMEMBER", "s", "2")
    assert len(set(two)) == 2
    many = r("SRANDMEMBER", "s", "-30")
    assert len(many) == 30 and set(many) <= {b"a", b"b", b"c"}
    assert r("SCARD", "s") == 3
    assert r("SRANDMEMBER", "s", "x") == NOT_INT
    assert r("SRANDMEMBER", "s", "1", "2") == SYNTAX
    assert r("SRANDMEMBER", "s", "-9223372036854775808") == (
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")


def test_srandmember_histogram(r):
    """Redis's own suite checks uniformity with a chi-square test on small sets."""
    values = [str(v) for v in (1, 5, 10, 50, 125, 50000, 33959, 417, 121, 12345)]
    r("SADD", "s", *values)
    counts = dict.fromkeys((v.encode() for v in values), 0)
    for member in r("SRANDMEMBER", "s", "-10000"):
        counts[member] += 1
    expected = 1000
    chi = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi < 40


def test_sampling_large_set_by_seeks(r, ks):
    r("SADD", "big", *[f"m:{i:06d}" for i in range(6000)])
    picked = sample(ks, b"big", 6000, 50, True)
    assert len({m for m, _ in picked}) == 50
    assert all(ks.get_entry(b"big", m) is not None for m, _ in picked)
    spread = {m for m, _ in sample(ks, b"big", 6000, 300, False)}
    assert len(spread) > 100
    popped = r("SPOP", "big", "10")
    assert len(set(popped)) == 10 and r("SCARD", "big") == 5990
    assert r("SMISMEMBER", "big", *popped) == [0] * 10


def test_smove(r, ks):
    r("SADD", "src", "a", "b")
    r("SADD", "dst", "x")
    assert r("SMOVE", "src", "dst", "a") == 1
    assert r("SMOVE", "src", "dst", "zz") == 0
    assert members(r("SMEMBERS", "dst")) == [b"a", b"x"]
    assert r("SMOVE", "src", "src", "b") == 1
    assert r("SMOVE", "src", "src", "zz") == 0
    assert r("SMOVE", "src", "new", "b") == 1
    assert ks.meta(b"src") is None
    assert r("SMEMBERS", "new") == SetReply([b"b"])
    assert r("SMOVE", "missing", "dst", "a") == 0
    r("SADD", "dst2", "a")
    assert r("SMOVE", "dst", "dst2", "a") == 1  # already there: removed from source only
    assert r("SCARD", "dst2") == 1 and r("SCARD", "dst") == 1
    assert ks.count() == 3


def test_algebra(r):
    r("SADD", "a", "1", "2", "3", "4")
    r("SADD", "b", "2", "3", "5")
    r("SADD", "c", "3", "4", "2")
    assert members(r("SINTER", "a", "b", "c")) == [b"2", b"3"]
    assert members(r("SINTER", "a", "a")) == [b"1", b"2", b"3", b"4"]
    assert r("SINTER", "a", "missing") == SetReply()
    assert members(r("SUNION", "a", "b", "missing")) == [b"1", b"2", b"3", b"4", b"5"]
    assert members(r("SDIFF", "a", "b")) == [b"1", b"4"]
    assert members(r("SDIFF", "a", "b", "c")) == [b"1"]
    assert r("SDIFF", "a", "a") == SetReply()
    assert r("SDIFF", "missing", "a") == SetReply()
    assert members(r("SDIFF", "a", "missing")) == [b"1", b"2", b"3", b"4"]
    assert isinstance(r("SUNION", "a"), SetReply)


def test_store_forms(r, ks):
    r("SADD", "a", "1", "2", "3")
    r("SADD", "b", "2", "3", "4")
    r("SET", "dest", "string")
    assert r("SINTERSTORE", "dest", "a", "b") == 2
    assert members(r("SMEMBERS", "dest")) == [b"2", b"3"]
    assert r("SUNIONSTORE", "dest", "a", "b") == 4
    assert r("SCARD", "dest") == 4
    assert r("SDIFFSTORE", "dest", "a", "b") == 1
    assert r("SMEMBERS", "dest") == SetReply([b"1"])
    assert r("SDIFFSTORE", "a", "a", "b") == 1  # destination among the sources
    assert r("SMEMBERS", "a") == SetReply([b"1"])
    assert ks.count() == 3
    assert r("SINTERSTORE", "dest", "a", "missing") == 0
    assert ks.meta(b"dest") is None and ks.count() == 2
    r("SET", "str", "x")
    assert r("SINTERSTORE", "str", "missing") == 0
    assert ks.meta(b"str") is None and ks.count() == 2
    assert r("SUNIONSTORE", "str", "b") == 3 and r("SCARD", "str") == 3


def test_store_drops_expiry(r, ks):
    r("SADD", "a", "1")
    r("SADD", "dest", "x")
    ks.set_expire(b"dest", ks.meta(b"dest"), 2**62)
    assert r("SUNIONSTORE", "dest", "a") == 1
    assert ks.meta(b"dest").expire_ms == 0


def test_sintercard(r):
    r("SADD", "a", "1", "2", "3", "4")
    r("SADD", "b", "2", "3", "4", "5")
    assert r("SINTERCARD", "2", "a", "b") == 3
    assert r("SINTERCARD", "2", "a", "b", "LIMIT", "2") == 2
    assert r("SINTERCARD", "2", "a", "b", "limit", "0") == 3
    assert r("SINTERCARD", "1", "missing") == 0
    assert r("SINTERCARD", "0", "a") == "ERR numkeys should be greater than 0"
    assert r("SINTERCARD", "x", "a") == "ERR numkeys should be greater than 0"
    assert r("SINTERCARD", "3", "a", "b") == "ERR Number of keys can't be greater than number of args"
    assert r("SINTERCARD", "1", "a", "LIMIT", "-1") == "ERR LIMIT can't be negative"
    assert r("SINTERCARD", "1", "a", "LIMIT", "x") == "ERR LIMIT can't be negative"
    assert r("SINTERCARD", "1", "a", "LIMIT") == SYNTAX
    assert r("SINTERCARD", "1", "a", "foo") == SYNTAX


def test_sscan(r):
    r("SADD", "small", "a", "b", "c")
    assert r("SSCAN", "small", "0") == [b"0", [b"a", b"b", b"c"]]
    assert r("SSCAN", "small", "0", "MATCH", "[ab]") == [b"0", [b"a", b"b"]]
    assert r("SSCAN", "missing", "0", "foo") == [b"0", []]
    assert r("SSCAN", "small", "0", "NOVALUES") == SYNTAX
    assert r("SSCAN", "small", "-1")[1] == [b"a", b"b", b"c"]  # strtoul wraps; unknown cursor
    assert r("SSCAN", "small", "") == [b"0", [b"a", b"b", b"c"]]
    assert r("SSCAN", "small", "x") == "ERR invalid cursor"
    r("SADD", "big", *[f"user:{i}" for i in range(400)])
    cursor, seen, calls = b"0", [], 0
    while True:
        cursor, items = r("SSCAN", "big", cursor, "COUNT", "25", "MATCH", "user:1*")
        seen += items
        calls += 1
        r("SREM", "big", f"user:{399 - calls}")  # deletes behind and ahead of the cursor
        if cursor == b"0":
            break
    assert len(seen) == len(set(seen))
    wanted = {f"user:{i}".encode() for i in range(400) if str(i).startswith("1")}
    survivors = {m for m in wanted if r("SISMEMBER", "big", m)}
    assert survivors <= set(seen) <= wanted


def test_modified_once_per_write(r, ks):
    r("SADD", "s", "a")
    r("SADD", "s", "a")
    r("SREM", "s", "zz")
    r("SINTERSTORE", "d", "s")
    r("SINTERSTORE", "d", "s")
    assert ks.modified_log == [b"s", b"d", b"d"]


def test_command_table_entries():
    for name, arity, flag, keys in (("sadd", -3, "write", (1, 1, 1)), ("smembers", 2, "readonly", (1, 1, 1)),
                                    ("smove", 4, "write", (1, 2, 1)), ("sinter", -2, "readonly", (1, -1, 1)),
                                    ("sinterstore", -3, "write", (1, -1, 1)), ("spop", -2, "write", (1, 1, 1)),
                                    ("sscan", -3, "readonly", (1, 1, 1))):
        spec = table.lookup(name.encode())
        assert spec is not None and spec.arity == arity and flag in spec.flags, name
        assert spec.group == "set" and (spec.first_key, spec.last_key, spec.step) == keys


# -- against a real Redis ----------------------------------------------------------------
def _ours(value):
    """Our reply in the shape _Raw gives for RESP2."""
    if isinstance(value, Simple):
        return ("status", str(value))
    if isinstance(value, Map):
        return [_ours(x) for pair in value for x in pair]
    if isinstance(value, list):
        return [_ours(x) for x in value]
    return value


# Replies whose order is Redis's hash-table order: compared sorted (pairs kept together).
_SORTED = {b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF", b"HKEYS", b"HVALS", b"SPOP", b"SRANDMEMBER"}
_PAIRS = {b"HGETALL"}


def _normalize(cmd: bytes, reply):
    if cmd in _SORTED and isinstance(reply, list):
        return sorted(reply)
    if cmd in _PAIRS and isinstance(reply, list):
        return sorted(zip(reply[0::2], reply[1::2]))
    if cmd in (b"SSCAN", b"HSCAN") and isinstance(reply, list):
        items = reply[1]
        if cmd == b"HSCAN" and b"NOVALUES" not in reply:
            return [reply[0], sorted(zip(items[0::2], items[1::2]))]
        return [reply[0], sorted(items)]
    return reply


def _compare(redis, r, ks, script):
    redis.parsed(b"FLUSHALL")
    for argv in script:
        words = [a if isinstance(a, bytes) else str(a).encode() for a in argv]
        cmd = words[0].upper()
        expected = _normalize(cmd, redis.parsed(*words))
        if table.lookup(cmd) is None:  # another family's command (EXISTS) not there yet
            continue
        got = r(*words)
        got = ("error", got) if isinstance(got, str) and not isinstance(got, Simple) else _ours(got)
        assert _normalize(cmd, got) == expected, argv
    assert ks.count() == redis.parsed(b"DBSIZE")


HASH_SCRIPT = [
    ("HSET", "h", "a", "1", "b", "2", "a", "3"), ("HGET", "h", "a"), ("HMGET", "h", "a", "x"),
    ("HSET", "h", "a"), ("HMSET", "h", "c", "3"), ("HMSET", "h", "c"), ("HSETNX", "h", "c", "4"),
    ("HSETNX", "h", "d", "4"), ("HLEN", "h"), ("HGETALL", "h"), ("HKEYS", "h"), ("HVALS", "h"),
    ("HEXISTS", "h", "a"), ("HEXISTS", "h", "zz"), ("HSTRLEN", "h", "a"), ("HSTRLEN", "no", "a"),
    ("HINCRBY", "h", "a", "10"), ("HINCRBY", "h", "a", "x"), ("HINCRBY", "h", "new", "-5"),
    ("HSET", "h", "s", "abc", "big", "9223372036854775806"), ("HINCRBY", "h", "s", "1"),
    ("HINCRBY", "h", "big", "1"), ("HINCRBY", "h", "big", "1"),
    ("HINCRBYFLOAT", "h", "f", "0.1"), ("HINCRBYFLOAT", "h", "f", "0.2"),
    ("HINCRBYFLOAT", "h", "f", "1e20"), ("HINCRBYFLOAT", "h", "f", "-1e20"),
    ("HINCRBYFLOAT", "h", "f", "3.0e-3"), ("HINCRBYFLOAT", "h", "s", "1"),
    ("HINCRBYFLOAT", "h", "f", "inf"), ("HINCRBYFLOAT", "h", "f", "abc"),
    ("HINCRBYFLOAT", "h", "f", "1e4000"), ("HINCRBYFLOAT", "h", "g", "1.5e400"),
    ("HINCRBYFLOAT", "h", "g", "0x10"), ("HINCRBYFLOAT", "h", "g", " 1"),
    ("HSET", "h", "e", "1.5e400"), ("HINCRBYFLOAT", "h", "e", "1"),
    ("HDEL", "h", "a", "a", "zz"), ("HDEL", "no", "a"), ("HGETALL", "no"),
    ("HRANDFIELD", "no"), ("HRANDFIELD", "no", "5"), ("HRANDFIELD", "h", "0"),
    ("HRANDFIELD", "h", "x"), ("HRANDFIELD", "h", "1", "withvalue"),
    ("HRANDFIELD", "h", "-9223372036854775808"), ("HRANDFIELD", "h", "-9223372036854775807", "withvalues"),
    ("HSCAN", "h", "0"), ("HSCAN", "h", "0", "MATCH", "[a-c]*"), ("HSCAN", "h", "x"),
    ("HSCAN", "h", "0", "COUNT", "0"), ("HSCAN", "h", "0", "COUNT", "x"), ("HSCAN", "h", "0", "foo"),
    ("HSCAN", "no", "0", "foo"), ("SET", "str", "v"), ("HSET", "str", "a", "1"), ("HGET", "str", "a"),
    ("HINCRBY", "str", "a", "x"), ("HINCRBYFLOAT", "str", "a", "x"), ("HSCAN", "str", "x"),
    ("HSCAN", "str", "0", "foo"), ("HRANDFIELD", "str", "0"), ("HDEL", "h", "b", "c", "d", "new"),
    ("HDEL", "h", "s", "big", "f", "g", "e"), ("EXISTS", "h"), ("HLEN", "h"),
]

SET_SCRIPT = [
    ("SADD", "a", "1", "2", "3", "4", "x"), ("SADD", "b", "2", "3", "5"), ("SADD", "c", "3", "2", "9"),
    ("SADD", "a", "1"), ("SCARD", "a"), ("SISMEMBER", "a", "1"), ("SMISMEMBER", "a", "1", "9"),
    ("SMEMBERS", "a"), ("SINTER", "a", "b", "c"), ("SUNION", "a", "b", "no"), ("SDIFF", "a", "b", "c"),
    ("SDIFF", "no", "a"), ("SINTER", "no", "a"), ("SINTERSTORE", "d", "a", "b"), ("SMEMBERS", "d"),
    ("SUNIONSTORE", "d", "d", "c"), ("SDIFFSTORE", "d", "a", "d"), ("SINTERSTORE", "d", "no"),
    ("EXISTS", "d"), ("SINTERCARD", "3", "a", "b", "c"), ("SINTERCARD", "2", "a", "b", "LIMIT", "1"),
    ("SINTERCARD", "0", "a"), ("SINTERCARD", "5", "a"), ("SINTERCARD", "1", "a", "LIMIT", "-3"),
    ("SINTERCARD", "1", "a", "LIMIT"), ("SINTERCARD", "1", "a", "bogus"),
    ("SMOVE", "a", "b", "1"), ("SMOVE", "a", "b", "zz"), ("SMOVE", "a", "a", "2"), ("SMOVE", "no", "a", "2"),
    ("SPOP", "no"), ("SPOP", "no", "3"), ("SPOP", "a", "0"), ("SPOP", "a", "-1"), ("SPOP", "a", "x"),
    ("SPOP", "a", "1", "2"), ("SRANDMEMBER", "no"), ("SRANDMEMBER", "no", "-2"), ("SRANDMEMBER", "a", "0"),
    ("SRANDMEMBER", "a", "100"), ("SRANDMEMBER", "a", "x"), ("SRANDMEMBER", "a", "1", "2"),
    ("SRANDMEMBER", "a", "-9223372036854775808"), ("SSCAN", "a", "0"), ("SSCAN", "a", "0", "MATCH", "[1-3]"),
    ("SSCAN", "a", "x"), ("SSCAN", "a", " 0"), ("SSCAN", "a", "0", "COUNT", "0"), ("SSCAN", "a", "0", "bad"),
    ("SSCAN", "no", "0", "bad"), ("SET", "str", "v"), ("SADD", "str", "a"), ("SCARD", "str"),
    ("SINTER", "no", "str"), ("SUNION", "a", "str"), ("SDIFF", "no", "str"), ("SMOVE", "str", "a", "1"),
    ("SMOVE", "a", "str", "1"), ("SMOVE", "no", "str", "1"), ("SINTERCARD", "2", "no", "str"),
    ("SINTERSTORE", "str", "a", "b"), ("SMEMBERS", "str"), ("SUNIONSTORE", "x", "str", "nope"),
    ("SREM", "a", "2", "3", "4", "x"), ("SREM", "a", "no"), ("SCARD", "a"), ("SPOP", "c", "10"),
    ("EXISTS", "c"),
]


def test_hash_replies_match_real_redis(redis_server, r, ks):
    _compare(redis_server, r, ks, HASH_SCRIPT)


def test_set_replies_match_real_redis(redis_server, r, ks):
    _compare(redis_server, r, ks, SET_SCRIPT)


def test_scan_match_patterns_match_real_redis(redis_server, r, ks):
    rng = random.Random(7)
    alphabet = "ab-]\\[^*?c"
    words = ["", "a", "b", "ab", "ba", "abc", "a-b", "]", "[", "\\", "^", "a*b", "?", "cab", "aab"]
    words += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))) for _ in range(80)]
    words = sorted(set(w for w in words if w))
    _compare(redis_server, r, ks, [("SADD", "s", *words)])
    for _ in range(300):
        pattern = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
        assert _full_scan(r, pattern) == _full_scan(redis_server.parsed, pattern), pattern


def _full_scan(call, pattern: str) -> list[bytes]:
    cursor, found = b"0", []
    while True:
        cursor, items = _ours(call(b"SSCAN", b"s", cursor, b"MATCH", pattern.encode()))
        found += items
        if cursor == b"0":
            return sorted(found)


def test_random_workload_matches_real_redis(redis_server, r, ks):
    rng = random.Random(11)
    keys = ["k1", "k2", "k3", "h1", "h2"]
    vals = [str(i) for i in range(8)]
    script = []
    for _ in range(1500):
        k, k2, k3 = rng.choice(keys), rng.choice(keys), rng.choice(keys)
        v = rng.choice(vals)
        op = rng.randrange(18)
        script.append([
            ("SADD", k, v, rng.choice(vals)), ("SREM", k, v, rng.choice(vals)), ("SCARD", k),
            ("SISMEMBER", k, v), ("SMEMBERS", k), ("SINTER", k, k2), ("SUNIONSTORE", k, k2, k3),
            ("SDIFFSTORE", k, k2, k3), ("SMOVE", k, k2, v), ("SINTERCARD", "2", k, k2),
            ("HSET", k, v, v), ("HDEL", k, v, rng.choice(vals)), ("HINCRBY", k, v, rng.randint(-5, 5)),
            ("HGETALL", k), ("HLEN", k), ("SINTERSTORE", k, k2, k3), ("SDIFF", k, k2, k3),
            ("HINCRBYFLOAT", k, v, rng.choice(["0.1", "-0.3", "1.25", "1e3"])),
        ][op])
    _compare(redis_server, r, ks, script)
