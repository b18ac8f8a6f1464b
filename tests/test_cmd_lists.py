"""List commands through dispatch.execute on a real keyspace, and (when /usr/bin/redis-server
exists) the same commands against a real Redis, compared byte for byte as RESP2."""
from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from mimeidb.commands import dispatch, table
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import NULL_ARRAY, Block, Simple
from mimeidb.store.encoding import LIST_START, list_index
from mimeidb.store.keyspace import Keyspace, LiveRaw
from mimeidb.store.writebuffer import WriteBuffer
from tests.cmdkit import resp2

table.load_all()

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
RANK_ZERO = ("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second "
             "... or use negative to start from the end of the list")


# -- push and pop ------------------------------------------------------------------------
def test_push_order_and_length(r):
    assert r("LPUSH", "k", "a", "b", "c") == 3
    assert r("RPUSH", "k", "d", "e") == 5
    assert r("LRANGE", "k", 0, -1) == [b"c", b"b", b"a", b"d", b"e"]
    assert r("LLEN", "k") == 5
    assert r("LLEN", "missing") == 0


def test_pushx_only_on_existing(r):
    assert r("LPUSHX", "k", "a") == 0
    assert r("RPUSHX", "k", "a", "b") == 0
    assert r("LLEN", "k") == 0
    r("RPUSH", "k", "x")
    assert r("LPUSHX", "k", "a", "b") == 3
    assert r("RPUSHX", "k", "z") == 4
    assert r("LRANGE", "k", 0, -1) == [b"b", b"a", b"x", b"z"]


def test_pop_single_and_count(r):
    r("RPUSH", "k", "a", "b", "c", "d")
    assert r("LPOP", "k") == b"a"
    assert r("RPOP", "k") == b"d"
    assert r("RPUSH", "k", "e", "f") == 4
    assert r("LPOP", "k", 2) == [b"b", b"c"]
    assert r("RPOP", "k", 1) == [b"f"]
    assert r("LPOP", "k", 0) == []
    assert r("RPOP", "k", 10) == [b"e"]
    assert r("LLEN", "k") == 0


def test_pop_null_shapes_and_errors(r):
    assert r("LPOP", "none") is None
    assert r("RPOP", "none") is None
    assert r("LPOP", "none", 1) is NULL_ARRAY
    assert r("RPOP", "none", 0) is NULL_ARRAY
    assert r("LPOP", "none", -1) == "ERR value is out of range, must be positive"
    assert r("LPOP", "none", "x") == "ERR value is out of range, must be positive"
    assert r("LPOP", "k", 1, 2) == "ERR wrong number of arguments for 'lpop' command"
    assert r("RPOP") == "ERR wrong number of arguments for 'rpop' command"


def test_pop_empties_key_and_reuses_it(r, ks):
    r("RPUSH", "k", "a")
    assert r("RPOP", "k") == b"a"
    assert ks.meta(b"k") is None
    assert list(ks.entries(b"k")) == []
    assert r("LPUSH", "k", "b") == 1
    assert r("LRANGE", "k", 0, -1) == [b"b"]


def test_wrong_type_everywhere(r):
    r("SET", "s", "v")
    for argv in (("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPUSHX", "s", "a"),
                 ("RPUSHX", "s", "a"), ("LPOP", "s"), ("RPOP", "s", 1), ("LLEN", "s"),
                 ("LRANGE", "s", 0, 1), ("LINDEX", "s", 0), ("LSET", "s", 0, "a"),
                 ("LINSERT", "s", "BEFORE", "a", "b"), ("LREM", "s", 0, "a"),
                 ("LTRIM", "s", 0, 1), ("LPOS", "s", "a"), ("LMOVE", "s", "d", "LEFT", "LEFT"),
                 ("RPOPLPUSH", "s", "d"), ("LMPOP", 1, "s", "LEFT"), ("BLPOP", "s", 0),
                 ("BRPOP", "none", "s", 0), ("BLMOVE", "s", "d", "LEFT", "RIGHT", 0),
                 ("BRPOPLPUSH", "s", "d", 0), ("BLMPOP", 0, 1, "s", "RIGHT")):
        assert r(*argv) == WRONGTYPE, argv
    assert r("GET", "s") == b"v"


def test_writes_signal_each_key_once(r, ks):
    r("RPUSH", "k", "a", "b", "c")
    assert ks.modified_log == [b"k"]
    ks.modified_log.clear()
    r("LMOVE", "k", "d", "LEFT", "RIGHT")
    assert sorted(ks.modified_log) == [b"d", b"k"]
    ks.modified_log.clear()
    r("LINSERT", "k", "BEFORE", "zz", "x")
    r("LREM", "k", 0, "zz")
    r("LPUSHX", "none", "a")
    assert ks.modified_log == []


def test_writes_keep_the_expiry_and_empty_lists_drop_it(r, ks):
    from mimeidb.store.keyspace import now_ms
    r("RPUSH", "k", "a", "b", "c")
    deadline = now_ms() + 60_000
    ks.set_expire(b"k", ks.meta(b"k"), deadline)
    r("LPUSH", "k", "z")
    r("RPOP", "k")
    r("LSET", "k", 0, "y")
    r("LINSERT", "k", "AFTER", "y", "x")
    r("LREM", "k", 1, "a")
    r("LMOVE", "k", "k", "LEFT", "RIGHT")
    assert ks.meta(b"k").expire_ms == deadline
    assert r("LRANGE", "k", 0, -1) == [b"x", b"b", b"y"]
    assert ks.raw.expired_keys(deadline, 10) == [b"k"]
    r("LPOP", "k", 3)
    assert ks.meta(b"k") is None
    assert ks.raw.expired_keys(deadline, 10) == []
    r("RPUSH", "gone", "a")
    ks.set_expire(b"gone", ks.meta(b"gone"), now_ms() - 1)
    assert r("LLEN", "gone") == 0
    assert r("RPUSHX", "gone", "b") == 0


# -- index access ------------------------------------------------------------------------
def test_lindex_and_lset(r):
    r("RPUSH", "k", "a", "b", "c")
    assert r("LINDEX", "k", 0) == b"a"
    assert r("LINDEX", "k", -1) == b"c"
    assert r("LINDEX", "k", -3) == b"a"
    assert r("LINDEX", "k", 3) is None
    assert r("LINDEX", "k", -4) is None
    assert r("LINDEX", "k", "x") == "ERR value is not an integer or out of range"
    assert r("LINDEX", "none", "x") is None
    assert r("LSET", "k", -1, "C") == Simple("OK")
    assert r("LSET", "k", 1, "B") == "OK"
    assert r("LRANGE", "k", 0, -1) == [b"a", b"B", b"C"]
    assert r("LSET", "k", 3, "x") == "ERR index out of range"
    assert r("LSET", "k", -4, "x") == "ERR index out of range"
    assert r("LSET", "k", "x", "x") == "ERR value is not an integer or out of range"
    assert r("LSET", "none", "x", "x") == "ERR no such key"
    assert r("LSET", "none", 0, "x") == "ERR no such key"


def test_index_access_seeks_instead_of_scanning(r, ks, monkeypatch):
    r("RPUSH", "k", *range(1000))
    reads = []
    original = ks.get_entry
    monkeypatch.setattr(ks, "get_entry", lambda key, sub: reads.append(sub) or original(key, sub))
    monkeypatch.setattr(ks.raw, "scan", lambda *a, **kw: pytest.fail("scanned the list"))
    assert r("LINDEX", "k", 500) == b"500"
    assert r("LSET", "k", -1, "last") == "OK"
    assert r("LRANGE", "k", 998, 2000) == [b"998", b"last"]
    assert reads == [list_index(LIST_START + 500), list_index(LIST_START + 998),
                     list_index(LIST_START + 999)]


def test_lrange_windows(r):
    r("RPUSH", "k", *"abcdef")
    assert r("LRANGE", "k", 0, 2) == [b"a", b"b", b"c"]
    assert r("LRANGE", "k", -2, -1) == [b"e", b"f"]
    assert r("LRANGE", "k", -100, 1) == [b"a", b"b"]
    assert r("LRANGE", "k", 4, 100) == [b"e", b"f"]
    assert r("LRANGE", "k", 3, 2) == []
    assert r("LRANGE", "k", 6, 10) == []
    assert r("LRANGE", "k", -1, -2) == []
    assert r("LRANGE", "none", 0, -1) == []
    assert r("LRANGE", "none", "a", 1) == "ERR value is not an integer or out of range"


def test_ltrim(r, ks):
    r("RPUSH", "k", *"abcdef")
    assert r("LTRIM", "k", 1, -2) == "OK"
    assert r("LRANGE", "k", 0, -1) == [b"b", b"c", b"d", b"e"]
    assert r("LTRIM", "k", -100, 100) == "OK"
    assert r("LLEN", "k") == 4
    assert r("LTRIM", "k", 2, 1) == "OK"
    assert ks.meta(b"k") is None
    assert list(ks.entries(b"k")) == []
    assert r("LTRIM", "none", 0, 1) == "OK"
    assert r("LTRIM", "none", "a", 1) == "ERR value is not an integer or out of range"
    r("RPUSH", "k", *"abc")
    assert r("LTRIM", "k", 5, 10) == "OK"
    assert r("LLEN", "k") == 0
    r("RPUSH", "k", *"abc")
    assert r("LTRIM", "k", 0, 0) == "OK"
    assert r("LRANGE", "k", 0, -1) == [b"a"]


# -- middle edits ------------------------------------------------------------------------
def test_linsert(r):
    r("RPUSH", "k", "a", "b", "c", "b")
    assert r("LINSERT", "k", "BEFORE", "b", "x") == 5
    assert r("LINSERT", "k", "after", "b", "y") == 6
    assert r("LINSERT", "k", "AFTER", "c", "z") == 7
    assert r("LRANGE", "k", 0, -1) == [b"a", b"x", b"b", b"y", b"c", b"z", b"b"]
    assert r("LINSERT", "k", "BEFORE", "a", "0") == 8
    assert r("LINSERT", "k", "AFTER", "b", "!") == 9
    assert r("LINDEX", "k", 0) == b"0"
    assert r("LINDEX", "k", 4) == b"!"
    assert r("LINSERT", "k", "BEFORE", "nope", "x") == -1
    assert r("LINSERT", "none", "BEFORE", "a", "x") == 0
    assert r("LINSERT", "none", "MIDDLE", "a", "x") == "ERR syntax error"
    assert r("LINSERT", "k", "MIDDLE", "a", "x") == "ERR syntax error"


def test_linsert_shifts_the_shorter_side(r, ks):
    r("RPUSH", "k", *range(10))
    r("LINSERT", "k", "AFTER", "1", "head-side")
    meta = ks.meta(b"k")
    assert (meta.head, meta.tail) == (LIST_START - 1, LIST_START + 10)
    r("LINSERT", "k", "BEFORE", "8", "tail-side")
    meta = ks.meta(b"k")
    assert (meta.head, meta.tail, meta.size) == (LIST_START - 1, LIST_START + 11, 12)
    assert r("LRANGE", "k", 0, -1) == [b"0", b"1", b"head-side", b"2", b"3", b"4", b"5", b"6",
                                       b"7", b"tail-side", b"8", b"9"]


def test_lrem(r, ks):
    r("RPUSH", "k", *"axbxcxdx")
    assert r("LREM", "k", 2, "x") == 2
    assert r("LRANGE", "k", 0, -1) == [b"a", b"b", b"c", b"x", b"d", b"x"]
    assert r("LREM", "k", -1, "x") == 1
    assert r("LRANGE", "k", 0, -1) == [b"a", b"b", b"c", b"x", b"d"]
    assert r("LREM", "k", 0, "x") == 1
    assert r("LREM", "k", 0, "zz") == 0
    assert r("LRANGE", "k", 0, -1) == [b"a", b"b", b"c", b"d"]
    assert r("LREM", "k", 1, "a") == 1
    assert r("LREM", "k", -1, "d") == 1
    assert r("LRANGE", "k", 0, -1) == [b"b", b"c"]
    assert r("LREM", "k", 0, "b") == 1
    assert r("LREM", "k", 0, "c") == 1
    assert ks.meta(b"k") is None
    assert list(ks.entries(b"k")) == []
    assert r("LREM", "none", 0, "a") == 0
    assert r("LREM", "none", "x", "a") == "ERR value is not an integer or out of range"


def test_lrem_keeps_positions_contiguous(r, ks):
    for values, count, target in ((list("xaaaaaaaax"), -1, "x"), (list("xaaaaaaaax"), 1, "x"),
                                  (list("aaxaxaaaaa"), 0, "x"), (list("aaaaaxaaxa"), 0, "x")):
        ks.delete(b"k")
        r("RPUSH", "k", *values)
        r("LREM", "k", count, target)
        meta = ks.meta(b"k")
        positions = [int.from_bytes(sub, "big") for sub, _ in ks.entries(b"k")]
        assert positions == list(range(meta.head, meta.tail))
        assert meta.size == len(positions)


def test_lpos(r):
    r("RPUSH", "k", *"abcabca")
    assert r("LPOS", "k", "a") == 0
    assert r("LPOS", "k", "c") == 2
    assert r("LPOS", "k", "z") is None
    assert r("LPOS", "k", "a", "RANK", 2) == 3
    assert r("LPOS", "k", "a", "RANK", -1) == 6
    assert r("LPOS", "k", "a", "RANK", -2) == 3
    assert r("LPOS", "k", "a", "RANK", 4) is None
    assert r("LPOS", "k", "a", "COUNT", 0) == [0, 3, 6]
    assert r("LPOS", "k", "a", "COUNT", 2) == [0, 3]
    assert r("LPOS", "k", "a", "RANK", -2, "COUNT", 2) == [3, 0]
    assert r("LPOS", "k", "a", "COUNT", 0, "MAXLEN", 4) == [0, 3]
    assert r("LPOS", "k", "c", "MAXLEN", 2) is None
    assert r("LPOS", "k", "a", "MAXLEN", 1, "RANK", -1) == 6
    assert r("LPOS", "k", "z", "COUNT", 1) == []
    assert r("LPOS", "k", "a", "COUNT", 1, "COUNT", 5) == [0, 3, 6]
    assert r("LPOS", "none", "a") is None
    assert r("LPOS", "none", "a", "COUNT", 0) == []


def test_lpos_errors(r):
    assert r("LPOS", "k", "a", "RANK", 0) == RANK_ZERO
    assert r("LPOS", "k", "a", "RANK", "x") == "ERR value is not an integer or out of range"
    assert r("LPOS", "k", "a", "RANK", -(1 << 63)) == (
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807")
    assert r("LPOS", "k", "a", "COUNT", -1) == "ERR COUNT can't be negative"
    assert r("LPOS", "k", "a", "COUNT", "x") == "ERR COUNT can't be negative"
    assert r("LPOS", "k", "a", "MAXLEN", -1) == "ERR MAXLEN can't be negative"
    assert r("LPOS", "k", "a", "COUNT") == "ERR syntax error"
    assert r("LPOS", "k", "a", "FOO", 1) == "ERR syntax error"


def test_long_lists_against_a_python_model(r, ks):
    """Lists longer than the point-lookup limit: ranges and searches go through iterators."""
    rng = random.Random(3)
    model: list[bytes] = []
    for i in range(300):
        value = b"%d" % (i % 7)
        if rng.random() < 0.5:
            r("LPUSH", "k", value)
            model.insert(0, value)
        else:
            r("RPUSH", "k", value)
            model.append(value)
    for _ in range(60):
        start, stop = rng.randint(-320, 320), rng.randint(-320, 320)
        s, e = start + len(model) if start < 0 else start, stop + len(model) if stop < 0 else stop
        assert r("LRANGE", "k", start, stop) == model[max(s, 0):e + 1], (start, stop)
        target = b"%d" % rng.randint(0, 7)
        rank = rng.choice([1, 2, 5, -1, -3])
        hits = [i for i, v in enumerate(model) if v == target]
        ordered = hits if rank > 0 else hits[::-1]
        assert r("LPOS", "k", target, "RANK", rank, "COUNT", 0) == ordered[abs(rank) - 1:]
        maxlen = rng.randint(1, 400)
        window = range(min(maxlen, len(model))) if rank > 0 else \
            range(len(model) - 1, max(len(model) - 1 - maxlen, -1), -1)
        limited = [i for i in window if model[i] == target][abs(rank) - 1:]
        first = limited[0] if limited else None
        assert r("LPOS", "k", target, "RANK", rank, "MAXLEN", maxlen) == first
        count = rng.randint(-3, 3)
        found = [i for i, v in enumerate(model) if v == target]
        found = found if count >= 0 else found[::-1]
        gone = set(found[:abs(count)] if count else found)
        assert r("LREM", "k", count, target) == len(gone)
        model = [v for i, v in enumerate(model) if i not in gone]
        pivot = b"%d" % rng.randint(0, 7)
        if pivot in model:
            at = model.index(pivot) + rng.randint(0, 1)
            assert r("LINSERT", "k", "AFTER" if at > model.index(pivot) else "BEFORE", pivot,
                     b"new") == len(model) + 1
            model.insert(at, b"new")
        else:
            assert r("LINSERT", "k", "BEFORE", pivot, b"new") == (-1 if model else 0)
        r("RPUSH", "k", *model[:5])
        model.extend(model[:5])
    assert r("LRANGE", "k", 0, -1) == model
    meta = ks.meta(b"k")
    positions = [int.from_bytes(sub, "big") for sub, _ in ks.entries(b"k")]
    assert positions == list(range(meta.head, meta.tail)) and meta.size == len(model)


# -- moves and multi-key pops ------------------------------------------------------------
def test_lmove_and_rpoplpush(r):
    r("RPUSH", "src", "a", "b", "c")
    assert r("LMOVE", "src", "dst", "LEFT", "RIGHT") == b"a"
    assert r("LMOVE", "src", "dst", "right", "left") == b"c"
    assert r("RPOPLPUSH", "src", "dst") == b"b"
    assert r("LRANGE", "dst", 0, -1) == [b"b", b"c", b"a"]
    assert r("LLEN", "src") == 0
    assert r("LMOVE", "src", "dst", "LEFT", "RIGHT") is None
    assert r("RPOPLPUSH", "src", "dst") is None
    assert r("LMOVE", "src", "dst", "UP", "RIGHT") == "ERR syntax error"
    assert r("LMOVE", "src", "dst", "LEFT", "DOWN") == "ERR syntax error"
    r("SET", "s", "v")
    assert r("LMOVE", "none", "s", "LEFT", "LEFT") is None
    assert r("LMOVE", "dst", "s", "LEFT", "LEFT") == WRONGTYPE
    assert r("LRANGE", "dst", 0, -1) == [b"b", b"c", b"a"]


def test_lmove_same_key_rotates(r, ks):
    r("RPUSH", "k", "a", "b", "c")
    assert r("LMOVE", "k", "k", "LEFT", "RIGHT") == b"a"
    assert r("RPOPLPUSH", "k", "k") == b"a"
    assert r("LRANGE", "k", 0, -1) == [b"a", b"b", b"c"]
    r("RPUSH", "one", "x")
    assert r("LMOVE", "one", "one", "LEFT", "LEFT") == b"x"
    assert r("LRANGE", "one", 0, -1) == [b"x"]
    assert len(list(ks.entries(b"one"))) == 1


def test_lmpop(r):
    r("RPUSH", "b", "1", "2", "3")
    assert r("LMPOP", 2, "a", "b", "LEFT") == [b"b", [b"1"]]
    assert r("LMPOP", 2, "a", "b", "RIGHT", "COUNT", 5) == [b"b", [b"3", b"2"]]
    assert r("LMPOP", 2, "a", "b", "RIGHT") is NULL_ARRAY
    assert r("LMPOP", 0, "a", "LEFT") == "ERR numkeys should be greater than 0"
    assert r("LMPOP", "x", "a", "LEFT") == "ERR numkeys should be greater than 0"
    assert r("LMPOP", 2, "a", "LEFT") == "ERR syntax error"
    assert r("LMPOP", 1, "a", "MIDDLE") == "ERR syntax error"
    assert r("LMPOP", 1, "a", "LEFT", "COUNT", 0) == "ERR count should be greater than 0"
    assert r("LMPOP", 1, "a", "LEFT", "COUNT", "x") == "ERR count should be greater than 0"
    assert r("LMPOP", 1, "a", "LEFT", "COUNT", 1, "COUNT", 2) == "ERR syntax error"
    assert r("LMPOP", 1, "a", "LEFT", "COUNT") == "ERR syntax error"
    assert r("LMPOP", 1, "a") == "ERR wrong number of arguments for 'lmpop' command"
    r("SET", "s", "v")
    r("RPUSH", "l", "x")
    assert r("LMPOP", 2, "l", "s", "LEFT") == [b"l", [b"x"]]


# -- blocking forms ----------------------------------------------------------------------
def test_blocking_pops_with_data(r):
    r("RPUSH", "b", "1", "2", "3")
    assert r("BLPOP", "a", "b", 0) == [b"b", b"1"]
    assert r("BRPOP", "a", "b", "0.5") == [b"b", b"3"]
    assert r("BLMOVE", "b", "c", "LEFT", "LEFT", 0) == b"2"
    assert r("BRPOPLPUSH", "c", "b", 1) == b"2"
    assert r("BLMPOP", 0, 2, "a", "b", "LEFT", "COUNT", 9) == [b"b", [b"2"]]
    assert r("LLEN", "b") == 0


def test_blocking_on_empty_keys_returns_block(r):
    assert r("BLPOP", "a", "b", "a", 0) == Block(keys=[b"a", b"b"], timeout=0.0,
                                                 timeout_reply=NULL_ARRAY)
    assert r("BRPOP", "a", "1.5") == Block([b"a"], 1.5, NULL_ARRAY)
    assert r("BLMOVE", "a", "d", "LEFT", "RIGHT", 2) == Block([b"a"], 2.0, NULL_ARRAY)
    assert r("BRPOPLPUSH", "a", "d", 0) == Block([b"a"], 0.0, NULL_ARRAY)
    assert r("BLMPOP", 3, 2, "a", "b", "RIGHT") == Block([b"a", b"b"], 3.0, NULL_ARRAY)
    r("SET", "s", "v")
    assert r("BLMOVE", "a", "s", "LEFT", "RIGHT", 0) == Block([b"a"], 0.0, NULL_ARRAY)


def test_block_then_rerun_after_push(r):
    """What the face does: park on the keys, then run the same command after a write."""
    argv = ("BLPOP", "q1", "q2", 0)
    block = r(*argv)
    assert isinstance(block, Block)
    r("RPUSH", "q2", "job")
    assert r(*argv) == [b"q2", b"job"]
    assert isinstance(r(*argv), Block)


def test_retry_waits_on_a_key_that_is_no_longer_a_list(ks):
    """Redis serves a parked client only from a list: if the key became a string it keeps
    waiting (no WRONGTYPE), while a wrong destination still fails the move."""
    session = SimpleNamespace(blocked=None)
    ctx = SimpleNamespace(ks=ks, protocol=2, session=session, services=None)

    def run(*argv):
        return dispatch.execute(ctx, [str(a).encode() for a in argv])

    assert isinstance(run("BLPOP", "q", 0), Block)
    session.blocked = object()  # parked: the face now re-runs the command on writes
    ks.set_string(b"q", b"a string")
    assert isinstance(run("BLPOP", "q", 0), Block)
    assert isinstance(run("BLMOVE", "q", "d", "LEFT", "LEFT", 0), Block)
    assert isinstance(run("BLMPOP", 0, 1, "q", "LEFT"), Block)
    run("RPUSH", "q2", "v")
    assert run("BRPOP", "q", "q2", 0) == [b"q2", b"v"]
    run("RPUSH", "src", "v")
    with pytest.raises(RedisError, match="WRONGTYPE"):
        run("BRPOPLPUSH", "src", "q", 0)
    assert run("LRANGE", "src", 0, -1) == [b"v"]
    session.blocked = None
    with pytest.raises(RedisError, match="WRONGTYPE"):
        run("BLPOP", "q", 0)


def test_blocking_errors(r):
    assert r("BLPOP", "a", -1) == "ERR timeout is negative"
    assert r("BRPOP", "a", "x") == "ERR timeout is not a float or out of range"
    assert r("BLMOVE", "a", "b", "LEFT", "UP", 0) == "ERR syntax error"
    assert r("BLMOVE", "a", "b", "UP", "LEFT", "x") == "ERR syntax error"
    assert r("BLMOVE", "a", "b", "LEFT", "LEFT", -1) == "ERR timeout is negative"
    assert r("BRPOPLPUSH", "a", "b", -1) == "ERR timeout is negative"
    assert r("BLMPOP", -1, 1, "a", "LEFT") == "ERR timeout is negative"
    assert r("BLMPOP", 0, 0, "a", "LEFT") == "ERR numkeys should be greater than 0"
    assert r("BLMPOP", 0, 1, "a", "UP") == "ERR syntax error"
    assert r("BLMPOP", 0, 1, "a", "LEFT", "COUNT", 0) == "ERR count should be greater than 0"
    assert r("BLPOP", "a") == "ERR wrong number of arguments for 'blpop' command"


def test_command_table_entries():
    expected = {
        "lpush": (-3, "write denyoom fast", (1, 1, 1)),
        "rpush": (-3, "write denyoom fast", (1, 1, 1)),
        "lpushx": (-3, "write denyoom fast", (1, 1, 1)),
        "rpushx": (-3, "write denyoom fast", (1, 1, 1)),
        "lpop": (-2, "write fast", (1, 1, 1)), "rpop": (-2, "write fast", (1, 1, 1)),
        "llen": (2, "readonly fast", (1, 1, 1)), "lrange": (4, "readonly", (1, 1, 1)),
        "lindex": (3, "readonly", (1, 1, 1)), "lset": (4, "write denyoom", (1, 1, 1)),
        "linsert": (5, "write denyoom", (1, 1, 1)), "lrem": (4, "write", (1, 1, 1)),
        "ltrim": (4, "write", (1, 1, 1)), "lpos": (-3, "readonly", (1, 1, 1)),
        "lmove": (5, "write denyoom", (1, 2, 1)), "rpoplpush": (3, "write denyoom", (1, 2, 1)),
        "lmpop": (-4, "write movablekeys", (0, 0, 0)),
        "blpop": (-3, "write noscript blocking", (1, -2, 1)),
        "brpop": (-3, "write noscript blocking", (1, -2, 1)),
        "blmove": (6, "write denyoom noscript blocking", (1, 2, 1)),
        "brpoplpush": (4, "write denyoom noscript blocking", (1, 2, 1)),
        "blmpop": (-5, "write blocking movablekeys", (0, 0, 0)),
    }
    for name, (arity, flags, keys) in expected.items():
        spec = table.lookup(name.encode())
        assert spec is not None, name
        assert (spec.arity, spec.flags, (spec.first_key, spec.last_key, spec.step)) == \
            (arity, frozenset(flags.split()), keys), name
    assert table.lookup(b"blpop").keys([b"blpop", b"a", b"b", b"0"]) == [b"a", b"b"]


def test_readonly_keyspace_refuses_writes(db):
    class Snapshot:
        readonly = True

        def __init__(self, raw):
            self.raw = raw

        def get(self, key):
            return self.raw.get(key)

        def scan(self, prefix, start=None, reverse=False):
            return self.raw.scan(prefix, start, reverse)

    live = Keyspace(LiveRaw(WriteBuffer(db), b"ns2"))
    ctx = SimpleNamespace(ks=live, protocol=2, session=None, services=None)
    dispatch.execute(ctx, [b"RPUSH", b"k", b"a", b"b"])
    ctx.ks = Keyspace(Snapshot(live.raw))
    assert dispatch.execute(ctx, [b"LRANGE", b"k", b"0", b"-1"]) == [b"a", b"b"]
    for argv in ([b"LPUSH", b"k", b"x"], [b"LPOP", b"k"], [b"BLPOP", b"k", b"0"]):
        with pytest.raises(RedisError, match="READONLY"):
            dispatch.execute(ctx, argv)


# -- against a real Redis ----------------------------------------------------------------
def _compare(redis_server, r, script):
    redis_server.call(b"FLUSHALL")
    for argv in script:
        words = [a if isinstance(a, bytes) else str(a).encode() for a in argv]
        theirs = redis_server.call(*words)
        ours = resp2(r(*words))
        assert ours == theirs, (argv, ours, theirs)


SCRIPT = [
    ("LPOP", "nokey"), ("LPOP", "nokey", 0), ("LPOP", "nokey", 1), ("RPOP", "nokey", -1),
    ("LPOP", "nokey", "abc"), ("RPUSH", "l", "a", "b", "c"), ("LPOP", "l", 0), ("LPOP", "l", -1),
    ("LPOP", "l", 1, 2), ("LPOP", "l", 10), ("SET", "s", "v"), ("LPOP", "s", 0), ("LPOP", "s"),
    ("LPOP", "s", -1), ("LINDEX", "nokey", "abc"), ("LINDEX", "s", "abc"),
    ("LSET", "nokey", "abc", "v"), ("LSET", "s", "abc", "v"), ("RPUSH", "l", "a", "b", "c"),
    ("LSET", "l", "abc", "v"), ("LSET", "l", 5, "v"), ("LSET", "l", -4, "v"),
    ("LSET", "l", -3, "v"),
    ("LINDEX", "l", -4), ("LINDEX", "l", "abc"), ("LINDEX", "l", -3), ("LRANGE", "nokey", "a", "b"),
    ("LRANGE", "s", 0, 1), ("LRANGE", "l", 0, "a"), ("LTRIM", "nokey", "a", "b"),
    ("LTRIM", "nokey", 0, 1), ("LTRIM", "s", 0, 1), ("LINSERT", "nokey", "middle", "a", "b"),
    ("LINSERT", "nokey", "before", "a", "b"), ("LINSERT", "s", "before", "a", "b"),
    ("LINSERT", "l", "before", "zz", "b"), ("LREM", "nokey", "x", "a"), ("LREM", "nokey", 1, "a"),
    ("LREM", "s", 1, "a"), ("LPOS", "nokey", "a"), ("LPOS", "nokey", "a", "count", 0),
    ("LPOS", "nokey", "a", "rank", 0), ("LPOS", "nokey", "a", "count", -1),
    ("LPOS", "nokey", "a", "maxlen", -1), ("LPOS", "nokey", "a", "maxlen", "x"),
    ("LPOS", "nokey", "a", "rank", "x"), ("LPOS", "nokey", "a", "foo"), ("LPOS", "s", "a"),
    ("LPOS", "s", "a", "count", 1), ("LTRIM", "l", 1, 0), ("RPUSH", "l", *"abcabca"),
    ("LPOS", "l", "a", "rank", 9223372036854775807), ("LPOS", "l", "a", "rank", -2),
    ("LPOS", "l", "a", "rank", -2, "count", 2), ("LPOS", "l", "a", "count", 2, "maxlen", 4),
    ("LPOS", "l", "a", "count", 2, "count", 3), ("LPOS", "l", "a", "rank", 1, "rank", 2),
    ("LPOS", "l", "a", "maxlen", 1, "rank", -1), ("LPOS", "l", "c", "rank", 1, "maxlen", 2),
    ("LPOS", "l", "a", "count"), ("LMPOP", 0, "l", "left"), ("LMPOP", -1, "l", "left"),
    ("LMPOP", "x", "l", "left"), ("LMPOP", 1, "l"), ("LMPOP", 2, "l", "left"),
    ("LMPOP", 1, "l", "middle"), ("LMPOP", 1, "l", "left", "count", 0),
    ("LMPOP", 1, "l", "left", "count", -1), ("LMPOP", 1, "l", "left", "count", "x"),
    ("LMPOP", 1, "l", "left", "count", 1, "count", 2), ("LMPOP", 1, "l", "left", "foo"),
    ("LMPOP", 1, "nokey", "left"), ("LMPOP", 2, "nokey", "s", "left"),
    ("LMPOP", 2, "l", "s", "left"), ("LMPOP", 2, "s", "l", "left"),
    ("LMPOP", 1, "l", "right", "count", 2), ("LMPOP", 1, "l", "left", "count"),
    ("BLMPOP", 0, 0, "l", "left"), ("BLMPOP", -1, 1, "l", "left"), ("BLMPOP", "x", 1, "l", "left"),
    ("BLMPOP", 0, "x", "l", "left"), ("BLMPOP", 0, 1, "l", "middle"),
    ("BLMPOP", 0, 1, "l", "left", "count", 0), ("BLMPOP", 0, 2, "s", "l", "left"),
    ("BLMPOP", 0, 2, "nokey", "l", "right", "count", 2),
    ("LMOVE", "nokey", "d", "left", "right"), ("LMOVE", "nokey", "d", "left", "middle"),
    ("LMOVE", "l", "d", "middle", "right"), ("LMOVE", "l", "s", "left", "left"),
    ("LMOVE", "nokey", "s", "left", "left"), ("LMOVE", "s", "d", "left", "left"),
    ("RPOPLPUSH", "l", "s"), ("RPOPLPUSH", "nokey", "s"), ("BLMOVE", "l", "d", "left", "middle", 0),
    ("BLMOVE", "l", "d", "left", "left", -1), ("BLMOVE", "l", "d", "left", "left", "x"),
    ("BLMOVE", "l", "d", "middle", "left", "x"), ("BLPOP", "l", -1), ("BLPOP", "l", "x"),
    ("BLPOP", "s", 0), ("BLPOP", "nokey", "s", 0), ("BLPOP", "l", "s", 0),
    ("BRPOPLPUSH", "l", "d", -1), ("BRPOPLPUSH", "l", "s", 0), ("BLPOP", "nokey", "0.01"),
    ("BRPOP", "nokey", "x2", "0.01"), ("BLMOVE", "nokey", "d", "left", "left", "0.01"),
    ("BRPOPLPUSH", "nokey", "d", "0.01"), ("BLMPOP", "0.01", 1, "nokey", "left"),
    ("RPUSH", "d", "1", "2"), ("BLMOVE", "d", "d", "right", "left", 0), ("LRANGE", "d", 0, -1),
    ("BRPOPLPUSH", "d", "e", 0), ("BRPOP", "d", "e", 0), ("LRANGE", "e", 0, -1),
    ("LRANGE", "d", 0, -1), ("LLEN", "e"),
]


def test_replies_match_real_redis(redis_server, r):
    _compare(redis_server, r, SCRIPT)


def test_random_list_workload_matches_real_redis(redis_server, r):
    """Random commands over a small alphabet so that pivots, ranks and removals hit often."""
    rng = random.Random(7)
    keys = ["a", "b"]
    values = ["x", "y", "z"]

    def idx():
        return rng.randint(-8, 8)

    makers = [
        lambda: ("LPUSH", rng.choice(keys), *rng.choices(values, k=rng.randint(1, 4))),
        lambda: ("RPUSH", rng.choice(keys), *rng.choices(values, k=rng.randint(1, 4))),
        lambda: ("LPUSHX", rng.choice(keys), rng.choice(values)),
        lambda: ("RPOP", rng.choice(keys), *([rng.randint(0, 3)] if rng.random() < .5 else [])),
        lambda: ("LPOP", rng.choice(keys), *([rng.randint(0, 3)] if rng.random() < .5 else [])),
        lambda: ("LRANGE", rng.choice(keys), idx(), idx()),
        lambda: ("LINDEX", rng.choice(keys), idx()),
        lambda: ("LSET", rng.choice(keys), idx(), rng.choice(values)),
        lambda: ("LINSERT", rng.choice(keys), rng.choice(["BEFORE", "AFTER"]), rng.choice(values),
                 "w"),
        lambda: ("LREM", rng.choice(keys), rng.randint(-2, 2), rng.choice(values + ["w"])),
        lambda: ("LTRIM", rng.choice(keys), idx(), idx()),
        lambda: ("LPOS", rng.choice(keys), rng.choice(values), "RANK",
                 rng.choice([-2, -1, 1, 2]), "COUNT", rng.randint(0, 2), "MAXLEN",
                 rng.randint(0, 6)),
        lambda: ("LMOVE", rng.choice(keys), rng.choice(keys), rng.choice(["LEFT", "RIGHT"]),
                 rng.choice(["LEFT", "RIGHT"])),
        lambda: ("LMPOP", 2, "a", "b", rng.choice(["LEFT", "RIGHT"]), "COUNT", rng.randint(1, 3)),
        lambda: ("LLEN", rng.choice(keys)),
    ]
    script = []
    for _ in range(600):
        script.append(rng.choice(makers)())
        if rng.random() < 0.15:
            script.append(("LRANGE", rng.choice(keys), 0, -1))
    script.extend([("LRANGE", "a", 0, -1), ("LRANGE", "b", 0, -1)])
    _compare(redis_server, r, script)
