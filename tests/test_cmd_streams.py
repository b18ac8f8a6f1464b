"""Stream commands through dispatch.execute on a real keyspace, and (when redis-server is
installed) a script of stream commands compared byte for byte with a real Redis as RESP2."""
from __future__ import annotations

from types import SimpleNamespace


from mimeidb.commands import table
from mimeidb.commands.replies import NULL_ARRAY, Block, Map, Simple
from tests.cmdkit import resp2, runner

table.load_all()

TOO_SMALL = "ERR The ID specified in XADD is equal or smaller than the target stream top item"


def _ids(entries):
    return [e[0] for e in entries]


def test_xadd_ids_and_errors(r):
    assert r("XADD", "s", "1-1", "a", "1") == b"1-1"
    assert r("XADD", "s", "1-*", "b", "2") == b"1-2"
    assert r("XADD", "s", "1-2", "c", "3") == TOO_SMALL
    assert r("XADD", "s", "0-0", "a", "1") == "ERR The ID specified in XADD must be greater than 0-0"
    assert r("XADD", "s", "x-1", "a", "1") == "ERR Invalid stream ID specified as stream command argument"
    assert r("XADD", "s", "5-1", "a") == "ERR wrong number of arguments for 'xadd' command"
    auto = r("XADD", "s", "*", "c", "3")
    assert int(auto.split(b"-")[0]) > 1
    assert r("XLEN", "s") == 3
    assert r("XADD", "new", "NOMKSTREAM", "*", "a", "1") is None
    assert r("EXISTS", "new") == 0
    assert r("XADD", "z", "0-*", "a", "1") == b"0-1"
    r("SET", "str", "v")
    assert r("XADD", "str", "*", "a", "1").startswith("WRONGTYPE")
    assert r("TYPE", "s") == "stream"
    assert r("OBJECT", "ENCODING", "s") in (b"stream", b"listpack")


def test_xadd_trim_options(r):
    for j in range(1, 11):
        r("XADD", "s", "MAXLEN", "=", 5, f"{j}-0", "f", j)
    assert r("XLEN", "s") == 5
    assert _ids(r("XRANGE", "s", "-", "+")) == [b"6-0", b"7-0", b"8-0", b"9-0", b"10-0"]
    assert r("XADD", "s", "MINID", "8", "11-0", "f", "v") == b"11-0"
    assert _ids(r("XRANGE", "s", "-", "+"))[0] == b"8-0"
    assert r("XADD", "s", "MAXLEN", 1, "MINID", 1, "*", "f", "v") == \
        "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
    assert r("XADD", "s", "MAXLEN", -1, "*", "f", "v") == "ERR The MAXLEN argument must be >= 0."
    assert r("XADD", "s", "MAXLEN", 1, "LIMIT", 1, "*", "f", "v") == \
        "ERR syntax error, LIMIT cannot be used without the special ~ option"
    assert r("XTRIM", "s", "LIMIT", 1) == \
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
    assert r("XTRIM", "missing", "MAXLEN", 0) == 0


def test_approximate_trim_follows_redis_nodes(r):
    for j in range(1000):
        r("XADD", "s", "MAXLEN", "~", 555, "*", "xitem", j)
    assert r("XLEN", "s") == 600
    r("DEL", "s")
    for j in range(1000):
        r("XADD", "s", "*", "xitem", j)
    assert r("XTRIM", "s", "MAXLEN", 666) == 334
    assert r("XTRIM", "s", "MAXLEN", "=", 555) == 111
    r("XTRIM", "s", "MAXLEN", "~", 444)
    assert r("XLEN", "s") == 500
    r("XTRIM", "s", "MAXLEN", "~", 400)
    assert r("XLEN", "s") == 400


def test_node_size_from_config(ks):
    services = SimpleNamespace(config={"stream-node-max-entries": "10"})
    r = runner(ks, services=services)
    for _ in range(100):
        r("XADD", "s", "*", "xitem", "v")
    r("XADD", "s", "MAXLEN", "~", 55, "LIMIT", 30, "*", "xitem", "v")
    assert r("XLEN", "s") == 71
    r("XADD", "s", "MAXLEN", "~", 55, "LIMIT", 30, "*", "xitem", "v")
    assert r("XLEN", "s") == 62


# -- reads -------------------------------------------------------------------------------
def test_xrange_bounds_and_count(r):
    for j in range(1, 6):
        r("XADD", "s", f"{j}-0", "f", j)
    assert _ids(r("XRANGE", "s", "(2-0", "4")) == [b"3-0", b"4-0"]
    assert _ids(r("XREVRANGE", "s", "+", "-", "COUNT", 2)) == [b"5-0", b"4-0"]
    assert r("XRANGE", "s", "-", "+", "COUNT", 0) is NULL_ARRAY
    assert r("XRANGE", "missing", "-", "+") == []
    assert r("XRANGE", "s", "(-", "+") == "ERR Invalid stream ID specified as stream command argument"
    assert r("XRANGE", "s", "-", "+", "FOO") == "ERR syntax error"
    assert r("XRANGE", "s", "1", "1") == [[b"1-0", [b"f", b"1"]]]


def test_xdel_keeps_empty_stream(r):
    r("XADD", "s", "1-0", "a", "1")
    r("XADD", "s", "2-0", "a", "2")
    assert r("XDEL", "s", "1-0", "3-0") == 1
    assert r("XDEL", "s", "2-0") == 1
    assert r("XLEN", "s") == 0
    assert r("EXISTS", "s") == 1
    info = dict(r("XINFO", "STREAM", "s"))
    assert info[b"max-deleted-entry-id"] == b"2-0"
    assert info[b"first-entry"] is None
    assert r("XADD", "s", "2-0", "a", "1") == TOO_SMALL


def test_xread_and_blocking(ks):
    r = runner(ks)
    r("XADD", "s", "1-0", "a", "1")
    assert r("XREAD", "STREAMS", "s", "0") == [[b"s", [[b"1-0", [b"a", b"1"]]]]]
    assert r("XREAD", "STREAMS", "s", "$") is NULL_ARRAY
    assert r("XREAD", "COUNT", 1, "STREAMS", "s") == \
        "ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified."
    block = r("XREAD", "BLOCK", 0, "STREAMS", "s", "missing", "$", "$")
    assert isinstance(block, Block) and block.timeout == 0 and list(block.keys) == [b"s", b"missing"]
    # the face re-runs the parked command: `$` still means the id seen when it first ran
    session = SimpleNamespace(blocked=(None, None, block, None))
    again = runner(ks, session=session)
    assert isinstance(again("XREAD", "BLOCK", 0, "STREAMS", "s", "missing", "$", "$"), Block)
    r("XADD", "missing", "5-0", "b", "2")
    r("XADD", "missing", "6-0", "b", "3")
    assert again("XREAD", "BLOCK", 0, "STREAMS", "s", "missing", "$", "$") == \
        [[b"missing", [[b"5-0", [b"b", b"2"]], [b"6-0", [b"b", b"3"]]]]]
    r3 = runner(ks, protocol=3)
    assert r3("XREAD", "STREAMS", "s", "0") == Map([(b"s", [[b"1-0", [b"a", b"1"]]])])


# -- consumer groups ---------------------------------------------------------------------
def test_groups_pel_claim(r):
    assert r("XGROUP", "CREATE", "s", "g", "$") == \
        ("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
         "want to use the MKSTREAM option to create an empty stream automatically.")
    assert r("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM") == Simple("OK")
    assert r("XGROUP", "CREATE", "s", "g", "$") == "BUSYGROUP Consumer Group name already exists"
    for j in range(1, 5):
        r("XADD", "s", f"{j}-0", "f", j)
    got = r("XREADGROUP", "GROUP", "g", "alice", "COUNT", 2, "STREAMS", "s", ">")
    assert _ids(got[0][1]) == [b"1-0", b"2-0"]
    assert r("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">")[0][1][0][0] == b"3-0"
    summary = r("XPENDING", "s", "g")
    assert summary == [4, b"1-0", b"4-0", [[b"alice", b"2"], [b"bob", b"2"]]]
    assert r("XACK", "s", "g", "1-0", "9-0") == 1
    history = r("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0")
    assert _ids(history[0][1]) == [b"2-0"]
    detail = r("XPENDING", "s", "g", "-", "+", 10, "alice")
    assert detail[0][0] == b"2-0" and detail[0][3] == 2
    assert r("XCLAIM", "s", "g", "carol", 0, "3-0", "JUSTID") == [b"3-0"]
    assert r("XPENDING", "s", "g", "-", "+", 10, "carol")[0][:2] == [b"3-0", b"carol"]
    r("XDEL", "s", "4-0")
    assert r("XAUTOCLAIM", "s", "g", "dave", 0, "0-0") == \
        [b"0-0", [[b"2-0", [b"f", b"2"]], [b"3-0", [b"f", b"3"]]], [b"4-0"]]
    groups = r("XINFO", "GROUPS", "s")
    assert dict(groups[0])[b"pending"] == 2
    consumers = {dict(c)[b"name"]: dict(c)[b"pending"] for c in r("XINFO", "CONSUMERS", "s", "g")}
    assert consumers == {b"alice": 0, b"bob": 0, b"carol": 0, b"dave": 2}
    assert r("XGROUP", "DELCONSUMER", "s", "g", "dave") == 2
    assert r("XGROUP", "DESTROY", "s", "g") == 1
    assert r("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">") == \
        "NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"


def test_rename_and_copy_carry_groups(r):
    r("XADD", "s", "1-0", "a", "1")
    r("XGROUP", "CREATE", "s", "g", "0")
    r("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    assert r("COPY", "s", "t") == 1
    assert r("XPENDING", "t", "g")[0] == 1
    r("RENAME", "s", "u")
    assert r("XRANGE", "u", "-", "+") == [[b"1-0", [b"a", b"1"]]]
    assert r("XINFO", "STREAM", "s") == "ERR no such key"


# -- against a real Redis ------------------------------------------------------------------
# Explicit ids only (auto ids depend on the clock); no times (XINFO FULL, XPENDING idle).
SCRIPT = [
    ("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "1-*", "b", "2"), ("XADD", "s", "1-1", "x", "y"),
    ("XADD", "s", "0-0", "x", "y"), ("XADD", "s", "2", "c", "3", "d", "4"),
    ("XADD", "s", "3-0", "x"), ("XADD", "s", "abc", "x", "y"), ("XADD", "s", "-", "x", "y"),
    ("XADD", "s", "MAXLEN", "~", "x", "*", "x", "y"), ("XADD", "s", "LIMIT", "5", "*", "x", "y"),
    ("XADD", "n", "NOMKSTREAM", "5-5", "x", "y"), ("EXISTS", "n"),
    ("XADD", "s", "18446744073709551615-5", "x", "y"), ("XADD", "s", "18446744073709551616-0", "x", "y"),
    ("XLEN", "s"), ("XRANGE", "s", "-", "+"), ("XRANGE", "s", "(1-1", "(2-0"),
    ("XRANGE", "s", "1", "1"), ("XRANGE", "s", "-", "+", "COUNT", "2"),
    ("XRANGE", "s", "-", "+", "COUNT", "0"), ("XRANGE", "s", "-", "+", "COUNT", "-1"),
    ("XRANGE", "s", "(-", "+"), ("XRANGE", "s", "+", "-"), ("XREVRANGE", "s", "+", "-", "COUNT", "1"),
    ("XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"),
    ("XRANGE", "nokey", "-", "+"), ("XDEL", "s", "1-2", "7-7"), ("XDEL", "s", "bad"),
    ("XDEL", "nokey", "1-1"), ("XLEN", "s"),
    ("XTRIM", "s", "MAXLEN", "1"), ("XRANGE", "s", "-", "+"), ("XTRIM", "s", "MINID", "9"),
    ("XTRIM", "s"), ("XTRIM", "s", "FOO", "1"), ("XTRIM", "nokey", "MAXLEN", "0"),
    ("XADD", "t", "1-0", "f", "v"), ("XADD", "t", "2-0", "f", "v"), ("XADD", "t", "3-0", "f", "v"),
    ("XREAD", "STREAMS", "t", "0"), ("XREAD", "COUNT", "1", "STREAMS", "t", "s", "1-0", "0"),
    ("XREAD", "STREAMS", "t", "$"), ("XREAD", "STREAMS", "t"), ("XREAD", "GROUP", "g", "c", "STREAMS", "t", "0"),
    ("XREAD", "STREAMS", "t", ">"), ("XREAD", "STREAMS", "nokey", "0"), ("XREAD", "BLOCK", "-1", "STREAMS", "t", "0"),
    ("XGROUP", "CREATE", "nokey", "g", "$"), ("XGROUP", "CREATE", "t", "g", "0"),
    ("XGROUP", "CREATE", "t", "g", "0"), ("XGROUP", "CREATE", "t", "g2", "$", "ENTRIESREAD", "-3"),
    ("XGROUP", "CREATE", "m", "g", "$", "MKSTREAM"), ("XLEN", "m"), ("XGROUP", "FOO", "t"),
    ("XGROUP", "CREATECONSUMER", "t", "nog", "c"), ("XGROUP", "CREATECONSUMER", "t", "g", "c1"),
    ("XGROUP", "CREATECONSUMER", "t", "g", "c1"),
    ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "t", ">"),
    ("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "t", ">"),
    ("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "t", ">"),
    ("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "t", "$"),
    ("XREADGROUP", "GROUP", "nog", "bob", "STREAMS", "t", ">"),
    ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "t", "0"),
    ("XPENDING", "t", "g"), ("XPENDING", "t", "nog"), ("XPENDING", "t", "g", "-", "+"),
    ("XACK", "t", "g", "1-0", "5-0"), ("XACK", "t", "g", "bad"), ("XPENDING", "t", "g"),
    ("XDEL", "t", "2-0"), ("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "t", "0"),
    ("XCLAIM", "t", "g", "carol", "0", "3-0", "JUSTID"), ("XCLAIM", "t", "g", "carol", "x", "3-0"),
    ("XCLAIM", "t", "g", "carol", "0", "3-0", "BOGUS"), ("XPENDING", "t", "g"),
    ("XAUTOCLAIM", "t", "g", "dave", "0", "0", "JUSTID"), ("XAUTOCLAIM", "t", "g", "dave", "0", "0", "COUNT", "0"),
    ("XINFO", "GROUPS", "t"), ("XINFO", "GROUPS", "nokey"), ("XINFO", "CONSUMERS", "t", "nog"),
    ("XGROUP", "DELCONSUMER", "t", "g", "dave"), ("XGROUP", "SETID", "t", "g", "0", "ENTRIESREAD", "0"),
    ("XINFO", "GROUPS", "t"), ("XGROUP", "DESTROY", "t", "g"), ("XGROUP", "DESTROY", "t", "g"),
    ("XSETID", "t", "2-5"), ("XSETID", "t", "9-0", "ENTRIESADDED", "1"), ("XSETID", "t", "9-0", "MAXDELETEDID", "10-0"),
    ("XSETID", "t", "9-0"), ("XSETID", "nokey", "9-0"), ("XADD", "t", "9-0", "f", "v"), ("XADD", "t", "9-*", "f", "v"),
    ("SET", "str", "v"), ("XADD", "str", "*", "f", "v"), ("XRANGE", "str", "-", "+"), ("XLEN", "str"),
    ("XREAD", "STREAMS", "str", "0"), ("TYPE", "t"),
]


def test_script_matches_real_redis(redis_server, r):
    redis_server.call(b"FLUSHALL")
    for argv in SCRIPT:
        words = [str(a).encode() for a in argv]
        theirs = redis_server.call(*words)
        ours = resp2(r(*words))
        assert ours == theirs, (argv, ours, theirs)
