"""MimeiManager versions in-process, through the Keyspace and the real command table:
determinism over write orders (hypothesis), round trips against a model, diff, restore,
no-change backups, read-only versions, tampering, forged commits and import."""
from __future__ import annotations

import random
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mimeidb.commands import table
from mimeidb.commands.dispatch import execute
from mimeidb.commands.errors import RedisError
from mimeidb.keys import KeyPair
from mimeidb.mimei import MimeiError, MimeiManager
from mimeidb.store.db import CF_BLOCKS, Database
from mimeidb.store.writebuffer import WriteBuffer
from mimeidb.versions.commit import Commit
from mimeidb.versions.mst import MST

table.load_all()


class Env:
    """A manager over a fresh database, and a command runner per keyspace."""

    def __init__(self, key: KeyPair | None = None) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.db = Database(Path(self.tmp.name), "no")
        self.buffer = WriteBuffer(self.db)
        self.key = key or KeyPair.generate()
        self.mm = MimeiManager(self.db, self.buffer, self.key, b"s" * 32)

    def close(self) -> None:
        self.db.close()
        self.tmp.cleanup()

    def db_mimei(self, mark: str = "") -> str:
        return self.mm.create("db", mark=mark).mid

    def run(self, ks, *argv):
        ctx = SimpleNamespace(ks=ks, protocol=2, session=None, services=None)
        return execute(ctx, [a if isinstance(a, bytes) else str(a).encode() for a in argv])

    def cur(self, mid: str):
        return self.mm.live_keyspace(mid)

    def state(self, ks) -> dict:
        """Every key's type and value, read through commands (as a client would)."""
        out = {}
        for key in self.run(ks, "keys", "*"):
            kind = self.run(ks, "type", key)
            kind = getattr(kind, "text", kind)
            kind = kind.decode() if isinstance(kind, bytes) else str(kind)
            if kind == "string":
                value = self.run(ks, "get", key)
            elif kind == "hash":
                value = dict(self.run(ks, "hgetall", key))  # a Map: a list of pairs
            elif kind == "set":
                value = set(self.run(ks, "smembers", key))
            elif kind == "list":
                value = list(self.run(ks, "lrange", key, 0, -1))
            else:
                value = list(self.run(ks, "zrange", key, 0, -1, "withscores"))
            out[key] = (kind, _norm(value))
        return out


def _norm(value):
    if isinstance(value, dict):
        return {k: v for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) if isinstance(v, list) else v for v in value]
    return value


@pytest.fixture
def env():
    e = Env()
    yield e
    e.close()


# -- a target state and ways of reaching it ----------------------------------------------------

_names = st.sampled_from([f"k{i}" for i in range(12)])
_vals = st.binary(min_size=0, max_size=300)
_entry = st.one_of(
    st.tuples(st.just("string"), _vals),
    st.tuples(st.just("hash"), st.dictionaries(st.sampled_from([b"a", b"b", b"c", b"d"]), _vals,
                                               min_size=1, max_size=4)),
    st.tuples(st.just("set"), st.sets(st.binary(min_size=1, max_size=8), min_size=1, max_size=5)),
    st.tuples(st.just("list"), st.lists(st.binary(max_size=8), min_size=1, max_size=5)),
    st.tuples(st.just("zset"), st.dictionaries(st.binary(min_size=1, max_size=6),
                                               st.integers(-100, 100), min_size=1, max_size=4)),
)
_states = st.dictionaries(_names, _entry, max_size=12)


def _write(env: Env, ks, key: str, entry) -> None:
    kind, value = entry
    env.run(ks, "del", key)
    if kind == "string":
        env.run(ks, "set", key, value)
    elif kind == "hash":
        env.run(ks, "hset", key, *[x for kv in value.items() for x in kv])
    elif kind == "set":
        env.run(ks, "sadd", key, *value)
    elif kind == "list":
        env.run(ks, "rpush", key, *value)
    else:
        env.run(ks, "zadd", key, *[x for m, s in value.items() for x in (s, m)])


def _reach(env: Env, mid: str, target: dict, rnd: random.Random, noise: bool) -> bytes:
    """Write target into mid's cur in a random order (with junk writes undone later and
    backups at random points when noise); back up; the final data root."""
    ks = env.cur(mid)
    order = list(target.items())
    rnd.shuffle(order)
    if noise:
        for i in range(rnd.randrange(1, 5)):
            env.run(ks, "set", f"junk{i}", "x" * rnd.randrange(1, 400))
            env.run(ks, "hset", "k0", "zz", "1")  # overwritten or deleted below
            env.mm.backup(mid)
    for key, entry in order:
        _write(env, ks, key, entry)
        if noise and rnd.random() < 0.3:
            env.mm.backup(mid)
    if noise:
        env.run(ks, "del", *[f"junk{i}" for i in range(5)])
        if "k0" not in target:
            env.run(ks, "del", "k0")
    env.mm.backup(mid)
    return env.mm.versions.commit(mid, env.mm.versions.last(mid)).data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=_states, seed=st.integers(0, 2**32))
def test_same_content_same_root_whatever_the_order(env, target, seed):
    rnd = random.Random(seed)
    a, b = env.db_mimei(), env.db_mimei()
    root_a = _reach(env, a, target, rnd, noise=True)
    root_b = _reach(env, b, target, rnd, noise=False)
    assert root_a == root_b
    # and the same root as a tree built in one pass from the same entries
    built = MST.build(env.mm.blocks, MST.load(env.mm.blocks, root_b).items())
    assert built.root_cid == root_a
    assert env.state(env.mm.version_keyspace(a, env.mm.versions.last(a))) == \
        env.state(env.mm.version_keyspace(b, env.mm.versions.last(b)))


def test_round_trip_every_version_against_the_model(env):
    rnd = random.Random(7)
    mid = env.db_mimei()
    ks = env.cur(mid)
    states = {}
    for step in range(8):
        for _ in range(rnd.randrange(1, 30)):
            key = f"k{rnd.randrange(40)}"
            op = rnd.random()
            if op < 0.15:
                env.run(ks, "del", key)
            else:
                _write(env, ks, key, _random_entry(rnd))
        commit = env.mm.backup(mid, f"step {step}")
        assert commit is not None and commit.version == step + 1
        states[commit.version] = env.state(ks)
    for version, expected in states.items():
        assert env.state(env.mm.open(mid, str(version)).keyspace) == expected
        assert env.run(env.mm.version_keyspace(mid, version), "dbsize") == len(expected)
    assert env.state(env.mm.open(mid, "last").keyspace) == states[8]


def _random_entry(rnd: random.Random):
    kind = rnd.choice(["string", "hash", "set", "list", "zset"])
    blob = lambda: rnd.randbytes(rnd.choice((1, 5, 300)))  # noqa: E731
    if kind == "string":
        return kind, blob()
    if kind == "hash":
        return kind, {bytes([97 + i]): blob() for i in range(rnd.randrange(1, 5))}
    if kind == "set":
        return kind, {rnd.randbytes(4) for _ in range(rnd.randrange(1, 5))}
    if kind == "list":
        return kind, [blob() for _ in range(rnd.randrange(1, 5))]
    return kind, {rnd.randbytes(3): rnd.randrange(100) for _ in range(rnd.randrange(1, 5))}


def test_diff_lists_added_changed_removed_keys(env):
    mid = env.db_mimei()
    ks = env.cur(mid)
    env.run(ks, "mset", "same", "1", "gone", "2", "str", "3")
    env.run(ks, "hset", "h", "a", "1", "b", "2")
    env.run(ks, "rpush", "l", "x")
    env.mm.backup(mid)
    env.run(ks, "del", "gone")
    env.run(ks, "set", "str", "4")
    env.run(ks, "hset", "h", "c", "3")      # a field added: h changed
    env.run(ks, "sadd", "new", "m")         # a new key: added, not also changed
    env.run(ks, "rpush", "l", "y")
    env.mm.backup(mid)
    d = env.mm.diff(mid, "1", "2")
    assert d == {"added": {b"new"}, "changed": {b"str", b"h", b"l"}, "removed": {b"gone"}}
    assert env.mm.diff(mid, "2", "1") == {"added": {b"gone"}, "changed": {b"str", b"h", b"l"},
                                          "removed": {b"new"}}
    assert env.mm.diff(mid, "2", "2") == {"added": set(), "changed": set(), "removed": set()}
    env.run(ks, "hdel", "h", "a")
    assert env.mm.diff(mid, "last", "cur")["changed"] == {b"h"}
    assert env.mm.versions.last(mid) == 2  # diff against cur makes no version


def test_no_change_backup_makes_no_version(env):
    mid = env.db_mimei()
    ks = env.cur(mid)
    env.run(ks, "set", "a", "1")
    assert env.mm.backup(mid).version == 1
    assert env.mm.backup(mid) is None
    env.run(ks, "set", "a", "2")
    env.run(ks, "set", "a", "1")  # written, but back to the same content
    assert env.mm.backup(mid) is None
    assert env.mm.versions.last(mid) == 1
    assert list(env.cur(mid).raw.dirty_keys()) == []


def test_old_versions_are_read_only(env):
    mid = env.db_mimei()
    ks = env.cur(mid)
    env.run(ks, "set", "a", "1")
    env.mm.backup(mid)
    old = env.mm.open(mid, "1")
    assert not old.writable
    for argv in (("set", "a", "2"), ("del", "a"), ("hset", "h", "f", "v"), ("flushdb",)):
        with pytest.raises(RedisError, match="READONLY"):
            env.run(old.keyspace, *argv)
    assert env.run(old.keyspace, "get", "a") == b"1"


def test_restore_copies_a_version_into_cur(env):
    mid = env.db_mimei()
    ks = env.cur(mid)
    env.run(ks, "mset", "a", "1", "b", "2")
    env.run(ks, "zadd", "z", "1", "m")
    env.run(ks, "set", "ttl", "v", "EX", "1000")
    env.mm.backup(mid)
    v1 = env.state(ks)
    env.run(ks, "del", "a", "z")
    env.run(ks, "set", "c", "3")
    env.mm.backup(mid)
    assert env.mm.restore(mid, "1") == 4
    assert env.state(ks) == v1
    assert 0 < env.run(ks, "ttl", "ttl") <= 1000
    assert env.mm.backup(mid).data == env.mm.versions.commit(mid, 1).data
    with pytest.raises(MimeiError):
        env.mm.restore(mid, "9")


def test_release_delete_and_history(env):
    mid = env.db_mimei()
    ks = env.cur(mid)
    for i in range(4):
        env.run(ks, "set", "a", i)
        env.mm.backup(mid, f"m{i}")
    assert env.mm.release(mid, "2") == 2
    assert env.mm.open(mid, "release").version == "2"
    assert env.mm.delete_versions(mid, [1, 2]) == [1, 2]
    assert [h["version"] for h in env.mm.history(mid)] == [3, 4]
    assert env.mm.versions.release(mid) == 0
    with pytest.raises(MimeiError):
        env.mm.delete_versions(mid, [4])  # the newest stays
    with pytest.raises(MimeiError):
        env.mm.open(mid, "2")
    assert env.mm.verify(mid)["checked"] == [3, 4]


def test_tampered_block_is_caught_by_verify(env):
    mid = env.db_mimei()
    ks = env.cur(mid)
    for i in range(300):
        env.run(ks, "hset", f"h{i % 7}", f"f{i}", "x" * (i % 5 * 100))
    env.mm.backup(mid)
    env.run(ks, "set", "extra", "1")
    env.mm.backup(mid)
    assert env.mm.verify(mid)["ok"]
    blocks = env.db.cf[CF_BLOCKS]
    tree = MST.load(env.mm.blocks, env.mm.versions.commit(mid, 1).data)
    leaf = tree.root_node.subs[0] or tree.root_node.subs[-1]
    leaf_cid = leaf if isinstance(leaf, bytes) else leaf.cid
    from mimeidb.ipfs.blockstore import multihash_of
    original = blocks[multihash_of(leaf_cid)]
    blocks[multihash_of(leaf_cid)] = original[:-1] + bytes([original[-1] ^ 1])
    with pytest.raises(MimeiError, match="does not match its CID"):
        env.mm.verify(mid)
    blocks[multihash_of(leaf_cid)] = original
    assert env.mm.verify(mid)["ok"]


def test_forged_commit_is_refused_on_import(env):
    mid = env.db_mimei()
    ks = env.cur(mid)
    env.run(ks, "set", "a", "1")
    c1 = env.mm.backup(mid)
    # another node receives version 1 (blocks copied), then a forged version 2
    other = Env()
    try:
        for name in (c1.cid, c1.record):
            other.mm.blocks.put(name, env.mm.blocks.get(name))
        from mimeidb.ipfs import dag
        for cid_, data in dag.walk(env.mm.blocks, c1.cid):
            other.mm.blocks.put(cid_, data)
        assert other.mm.import_commit(c1.cid)["imported"] == [1]
        assert other.state(other.mm.open(mid, "1").keyspace) == {b"a": ("string", b"1")}
        record = env.mm.record(mid)
        forger = KeyPair.generate()
        forged = Commit.create(forger, record, 2, c1.data, c1.cid, 1, "forged")
        other.mm.blocks.put(forged.cid, forged.encode())
        with pytest.raises(MimeiError, match="not the author"):
            other.mm.import_commit(forged.cid)
        # a good signature over a changed field no longer verifies
        genuine = Commit.create(env.key, record, 2, c1.data, c1.cid, 1, "genuine")
        from dataclasses import replace
        tampered = replace(genuine, memo="changed")
        other.mm.blocks.put(tampered.cid, tampered.encode())
        with pytest.raises(MimeiError, match="signature"):
            other.mm.import_commit(tampered.cid)
        assert other.mm.versions.last(mid) == 1
        other.mm.blocks.put(genuine.cid, genuine.encode())
        assert other.mm.import_commit(genuine.cid)["imported"] == [2]
        # the node cannot write a Mimei whose author key it lacks
        with pytest.raises(PermissionError):
            other.mm.backup(mid)
    finally:
        other.close()


def test_first_backup_then_incremental_match_a_fresh_build(env):
    mid = env.db_mimei()
    ks = env.cur(mid)
    rnd = random.Random(3)
    for i in range(2000):
        env.run(ks, "set", f"s{i}", rnd.randbytes(rnd.choice((3, 300))))
    env.mm.backup(mid)
    for i in range(0, 2000, 37):
        env.run(ks, "del", f"s{i}")
    env.run(ks, "hset", "hh", "f", "v")
    root = env.mm.backup(mid).data
    fresh = env.db_mimei()
    fks = env.cur(fresh)
    for key in reversed(env.run(ks, "keys", "s*")):
        env.run(fks, "set", key, env.run(ks, "get", key))
    env.run(fks, "hset", "hh", "f", "v")
    assert env.mm.backup(fresh).data == root
