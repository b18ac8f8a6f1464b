"""Hash commands through dispatch.execute on a real keyspace, plus HSCAN cursors, the glob
MATCH and the long double arithmetic of HINCRBYFLOAT. Replies compared with real Redis live
in tests/test_cmd_sets.py (one redis-server for both families)."""
from __future__ import annotations



from mimeidb.commands import table
from mimeidb.commands.replies import Map, Simple

table.load_all()

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"


def test_hset_hget_counts_new_fields(r, ks):
    assert r("HSET", "h", "a", "1", "b", "2") == 2
    assert r("HSET", "h", "a", "10", "c", "3") == 1
    assert r("HSET", "h", "d", "4", "d", "5") == 1  # repeated field in one call counts once
    assert r("HGET", "h", "a") == b"10"
    assert r("HGET", "h", "d") == b"5"
    assert r("HGET", "h", "zz") is None
    assert r("HGET", "missing", "a") is None
    assert r("HLEN", "h") == 4
    assert r("HLEN", "missing") == 0
    assert ks.count() == 1


def test_hmset_and_arity(r):
    assert r("HMSET", "h", "a", "1", "b", "2") == Simple("OK")
    assert r("HMSET", "h", "a") == "ERR wrong number of arguments for 'hmset' command"
    assert r("HSET", "h", "a", "1", "b") == "ERR wrong number of arguments for 'hset' command"
    assert r("HSET", "h", "a") == "ERR wrong number of arguments for 'hset' command"
    assert r("HGET", "h") == "ERR wrong number of arguments for 'hget' command"
    assert r("HLEN", "h", "x") == "ERR wrong number of arguments for 'hlen' command"
    assert r("HGETALL") == "ERR wrong number of arguments for 'hgetall' command"
    assert r("HDEL", "h") == "ERR wrong number of arguments for 'hdel' command"


def test_hsetnx(r):
    assert r("HSETNX", "h", "a", "1") == 1
    assert r("HSETNX", "h", "a", "2") == 0
    assert r("HGET", "h", "a") == b"1"
    assert r("HLEN", "h") == 1


def test_hmget_hexists_hstrlen(r):
    r("HSET", "h", "a", "hello", "b", "")
    assert r("HMGET", "h", "a", "x", "b") == [b"hello", None, b""]
    assert r("HMGET", "missing", "a", "b") == [None, None]
    assert r("HEXISTS", "h", "a") == 1
    assert r("HEXISTS", "h", "x") == 0
    assert r("HEXISTS", "missing", "x") == 0
    assert r("HSTRLEN", "h", "a") == 5
    assert r("HSTRLEN", "h", "b") == 0
    assert r("HSTRLEN", "missing", "b") == 0


def test_hgetall_hkeys_hvals(r):
    r("HSET", "h", "b", "2", "a", "1", "c", "3")
    assert r("HGETALL", "h") == Map([(b"a", b"1"), (b"b", b"2"), (b"c", b"3")])
    assert isinstance(r("HGETALL", "h"), Map)
    assert r("HGETALL", "missing") == Map()
    assert r("HKEYS", "h") == [b"a", b"b", b"c"]
    assert r("HVALS", "h") == [b"1", b"2", b"3"]
    assert r("HKEYS", "missing") == []
    assert r("HVALS", "missing") == []


def test_hdel_deletes_empty_key(r, ks):
    r("HSET", "h", "a", "1", "b", "2")
    r("HSET", "other", "x", "1")
    assert ks.count() == 2
    assert r("HDEL", "h", "a", "a", "zz") == 1
    assert r("HLEN", "h") == 1
    assert r("HDEL", "h", "b") == 1
    assert r("HLEN", "h") == 0
    assert ks.meta(b"h") is None
    assert list(ks.entries(b"h")) == []
    assert ks.count() == 1
    assert r("HDEL", "missing", "a") == 0


def test_wrong_type(r):
    r("SET", "s", "x")
    for argv in (("HSET", "s", "a", "1"), ("HMSET", "s", "a", "1"), ("HSETNX", "s", "a", "1"),
                 ("HGET", "s", "a"), ("HMGET", "s", "a"), ("HDEL", "s", "a"), ("HLEN", "s"),
                 ("HEXISTS", "s", "a"), ("HKEYS", "s"), ("HVALS", "s"), ("HGETALL", "s"),
                 ("HINCRBY", "s", "a", "1"), ("HINCRBYFLOAT", "s", "a", "1"),
                 ("HSTRLEN", "s", "a"), ("HSCAN", "s", "0"), ("HRANDFIELD", "s"),
                 ("HRANDFIELD", "s", "0"), ("HSCAN", "s", "0", "foo", "bar")):
        assert r(*argv) == WRONGTYPE, argv
    assert r("GET", "s") == b"x"


def test_hincrby(r):
    assert r("HINCRBY", "h", "n", "5") == 5
    assert r("HINCRBY", "h", "n", "-7") == -2
    assert r("HGET", "h", "n") == b"-2"
    r("HSET", "h", "s", "abc", "sp", " 1", "big", "9223372036854775807")
    assert r("HINCRBY", "h", "s", "1") == "ERR hash value is not an integer"
    assert r("HINCRBY", "h", "sp", "1") == "ERR hash value is not an integer"
    assert r("HINCRBY", "h", "n", "x") == NOT_INT
    assert r("HINCRBY", "h", "n", "1.5") == NOT_INT
    assert r("HINCRBY", "h", "big", "1") == "ERR increment or decrement would overflow"
    assert r("HINCRBY", "h", "n", "-9223372036854775808") == "ERR increment or decrement would overflow"
    assert r("HGET", "h", "big") == b"9223372036854775807"
    assert r("HINCRBY", "missing", "f", "x") == NOT_INT
    assert r("EXISTS", "missing") == 0 if table.lookup(b"exists") else True


def test_hincrbyfloat_long_double(r):
    assert r("HINCRBYFLOAT", "h", "f", "10.5") == b"10.5"
    assert r("HINCRBYFLOAT", "h", "f", "0.1") == b"10.6"
    r("HSET", "h", "g", "0.1")
    assert r("HINCRBYFLOAT", "h", "g", "0.2") == b"0.3"  # long double, not 0.30000000000000004
    r("HSET", "h", "i", "17179869184")
    assert r("HINCRBYFLOAT", "h", "i", "1.5") == b"17179869185.5"
    r("HSET", "h", "e", "5.0e3")
    assert r("HINCRBYFLOAT", "h", "e", "2.0e2") == b"5200"
    assert r("HINCRBYFLOAT", "h", "z", "-0.000000000000000001") == b"0"
    assert r("HINCRBYFLOAT", "h", "big", "1e308") == (
        b"99999999999999999996685879655845645660560099847415567207797047994921734868838061872100"
        b"126921888539320446747225054013223152134749593960583597420814430196418767959100019603190"
        b"778663109604507106667939153395788938914560543563061268364901618630217086589253444881623"
        b"791300855757318142424510452728255046343928578048")


def test_hincrbyfloat_errors(r):
    r("HSET", "h", "s", "abc", "sp", "1 ", "inf", "inf")
    assert r("HINCRBYFLOAT", "h", "s", "1") == "ERR hash value is not a float"
    assert r("HINCRBYFLOAT", "h", "sp", "1") == "ERR hash value is not a float"
    assert r("HINCRBYFLOAT", "h", "x", "abc") == "ERR value is not a valid float"
    assert r("HINCRBYFLOAT", "h", "x", "nan") == "ERR value is not a valid float"
    assert r("HINCRBYFLOAT", "h", "x", "inf") == "ERR value is NaN or Infinity"
    assert r("HINCRBYFLOAT", "h", "x", "-infinity") == "ERR value is NaN or Infinity"
    assert r("HINCRBYFLOAT", "h", "inf", "1") == "ERR increment would produce NaN or Infinity"
    assert r("HEXISTS", "h", "x") == 0


def test_hrandfield(r, r3):
    assert r("HRANDFIELD", "missing") is None
    assert r("HRANDFIELD", "missing", "3") == []
    assert r("HRANDFIELD", "missing", "-3", "WITHVALUES") == []
    r("HSET", "h", "a", "1", "b", "2", "c", "3")
    assert r("HRANDFIELD", "h") in (b"a", b"b", b"c")
    assert r("HRANDFIELD", "h", "0") == []
    assert sorted(r("HRANDFIELD", "h", "2")) in ([b"a", b"b"], [b"a", b"c"], [b"b", b"c"])
    assert sorted(r("HRANDFIELD", "h", "10")) == [b"a", b"b", b"c"]
    many = r("HRANDFIELD", "h", "-20")
    assert len(many) == 20 and set(many) <= {b"a", b"b", b"c"}
    flat = r("HRANDFIELD", "h", "-5", "withvalues")
    assert len(flat) == 10
    assert all(flat[i + 1] == {b"a": b"1", b"b": b"2", b"c": b"3"}[flat[i]] for i in range(0, 10, 2))
    pairs = r3("HRANDFIELD", "h", "3", "WITHVALUES")
    assert sorted(map(tuple, pairs)) == [(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]
    assert r("HRANDFIELD", "h", "x") == NOT_INT
    assert r("HRANDFIELD", "h", "1", "withvalue") == SYNTAX
    assert r("HRANDFIELD", "h", "1", "withvalues", "x") == SYNTAX
    assert r("HRANDFIELD", "h", "-9223372036854775808") == (
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    assert r("HRANDFIELD", "h", "-9223372036854770000", "withvalues") == "ERR value is out of range"


def test_hrandfield_distribution_small_hash(r):
    r("HSET", "h", *[x for i in range(10) for x in (f"f{i}", str(i))])
    counts: dict[bytes, int] = {}
    for field in r("HRANDFIELD", "h", "-10000"):
        counts[field] = counts.get(field, 0) + 1
    assert len(counts) == 10 and min(counts.values()) > 800


def _scan_all(r, *argv, count=None):
    cursor, out, calls = b"0", [], 0
    while True:
        extra = ("COUNT", count) if count else ()
        cursor, items = r(argv[0], argv[1], cursor, *argv[2:], *extra)
        out.extend(items)
        calls += 1
        if cursor == b"0":
            return out, calls


def test_hscan_small_hash_in_one_call(r):
    r("HSET", "h", "a", "1", "b", "2")
    assert r("HSCAN", "h", "0") == [b"0", [b"a", b"1", b"b", b"2"]]
    assert r("HSCAN", "h", "0", "NOVALUES") == [b"0", [b"a", b"b"]]
    assert r("HSCAN", "h", "0", "MATCH", "a*") == [b"0", [b"a", b"1"]]
    r("HSET", "h", *[x for i in range(100) for x in (f"z{i:03d}", "v")])
    assert r("HSCAN", "h", "0", "MATCH", "z*", "NOVALUES") == [
        b"0", [f"z{i:03d}".encode() for i in range(100)]]  # whole, even past a literal prefix
    assert r("HSCAN", "missing", "0") == [b"0", []]
    assert r("HSCAN", "missing", "0", "foo", "bar") == [b"0", []]  # options read after lookup


def test_hscan_large_hash_with_cursor(r):
    fields = [f"field:{i:04d}" for i in range(1000)]
    r("HSET", "h", *[x for f in fields for x in (f, "v")])
    items, calls = _scan_all(r, "HSCAN", "h", count=50)
    assert calls > 10
    assert sorted(items[0::2]) == [f.encode() for f in fields]
    matched, _ = _scan_all(r, "HSCAN", "h", "MATCH", "field:0[0-1]?1", "NOVALUES")
    assert sorted(matched) == sorted(f.encode() for f in fields if f[7] in "01" and f[9] == "1")


def test_hscan_stable_under_writes(r):
    r("HSET", "h", *[x for i in range(500) for x in (f"k{i}", "v")])
    cursor, seen = b"0", set()
    step = 0
    while True:
        cursor, items = r("HSCAN", "h", cursor, "COUNT", "20")
        seen.update(items[0::2])
        step += 1
        # churn: add new fields and delete fields not part of the guarantee
        r("HSET", "h", f"new{step}", "v")
        r("HDEL", "h", f"new{step - 1}")
        if cursor == b"0":
            break
    assert {f"k{i}".encode() for i in range(500)} <= seen


def test_hscan_errors(r):
    r("HSET", "h", "a", "1")
    assert r("HSCAN", "h", "x") == "ERR invalid cursor"
    assert r("HSCAN", "h", " 1") == "ERR invalid cursor"
    assert r("HSCAN", "h", "1.5") == "ERR invalid cursor"
    assert r("HSCAN", "h", "99999999999999999999") == "ERR invalid cursor"
    assert r("HSCAN", "h", "0", "COUNT", "0") == SYNTAX
    assert r("HSCAN", "h", "0", "COUNT", "x") == NOT_INT
    assert r("HSCAN", "h", "0", "MATCH") == SYNTAX
    assert r("HSCAN", "h", "0", "foo", "bar") == SYNTAX
    assert r("HSCAN", "h", "18446744073709551615")[0] in (b"0",)  # an unknown cursor restarts
    assert r("HSCAN", "h") == "ERR wrong number of arguments for 'hscan' command"


def test_hset_touches_only_its_field(r, ks):
    r("HSET", "h", *[x for i in range(300) for x in (f"f{i}", "v")])
    ks.raw.buffer.flush()
    r("HSET", "h", "f5", "w", "new", "x")
    pending = {k for (_cf, k) in ks.raw.buffer._pending}
    data = {k for k in pending if not k.startswith(ks.raw.ns + b"\xfe")}
    assert len(data) == 3  # two fields and the META (no full rewrite)


def test_modified_signalled(r, ks):
    r("HSET", "h", "a", "1")
    r("HDEL", "h", "zz")
    r("HDEL", "h", "a")
    assert ks.modified_log == [b"h", b"h"]


def test_expired_hash_is_gone(r, ks):
    r("HSET", "h", "a", "1", "b", "2")
    meta = ks.meta(b"h")
    ks.set_expire(b"h", meta, 1)
    assert r("HLEN", "h") == 0
    assert r("HSET", "h", "c", "3") == 1
    assert r("HGETALL", "h") == Map([(b"c", b"3")])
    assert ks.count() == 1


def test_command_table_entries():
    for name, arity, flag in (("hset", -4, "write"), ("hget", 3, "readonly"), ("hmget", -3, "readonly"),
                              ("hgetall", 2, "readonly"), ("hscan", -3, "readonly"),
                              ("hrandfield", -2, "readonly"), ("hincrbyfloat", 4, "write")):
        spec = table.lookup(name.encode())
        assert spec is not None and spec.arity == arity and flag in spec.flags
        assert spec.group == "hash" and (spec.first_key, spec.last_key, spec.step) == (1, 1, 1)
