"""Snapshots of a db keyspace: seal `cur` into a Merkle search tree, and read a version back.

The tree's entries are exactly the raw entries of the keyspace (encoding.py), so an old
version is read through the same Keyspace code, with the tree standing in for RocksDB: no
replay of history. A backup applies only the entries in the dirty-key log to the previous
version's tree (O(changed entries x log n)); the first backup builds the tree in one pass.
"""
from __future__ import annotations

from typing import Iterator

from mimeidb.commands import errors
from mimeidb.commands.errors import RedisError
from mimeidb.ipfs.blockstore import BlockStore
from mimeidb.store import encoding as enc
from mimeidb.store.db import CF_DATA
from mimeidb.store.keyspace import DIRTY, LiveRaw
from mimeidb.versions.mst import MST, NodeCache

_KEYSPACE_END = DIRTY  # raw keys below the dirty log are the keyspace proper
_ZERO_COUNT = enc.U64.pack(0)


def _content(key: bytes, value: bytes | None) -> bytes | None:
    """An entry as the snapshot holds it: a key count of 0 is no entry, so an emptied
    keyspace has the same tree (the empty one) as a never written one."""
    if value == _ZERO_COUNT and key == enc.COUNT_KEY:
        return None
    return value


class TreeRaw:
    """A read-only raw store over a version's tree."""

    readonly = True

    def __init__(self, tree: MST) -> None:
        self.tree = tree

    def get(self, raw: bytes) -> bytes | None:
        return self.tree.get(raw)

    def scan(self, prefix: bytes, start: bytes | None = None,
             reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        if start is None:
            return self.tree.prefix(prefix, reverse)
        if reverse:
            return (kv for kv in self.tree.prefix(prefix, True) if kv[0] <= start)
        return (kv for kv in self.tree.prefix(prefix) if kv[0] >= start)

    def put(self, raw: bytes, value: bytes) -> None:
        raise RedisError(errors.READONLY)

    delete = put

    def set_expire_index(self, key: bytes, old_ms: int, new_ms: int) -> None:
        raise RedisError(errors.READONLY)


def _live_entries(raw: LiveRaw) -> Iterator[tuple[bytes, bytes]]:
    for key, value in raw.scan(b""):
        if key >= _KEYSPACE_END:
            return
        if _content(key, value) is not None:
            yield key, value


def seal(raw: LiveRaw, store: BlockStore, base_root: bytes | None,
         cache: NodeCache | None = None) -> tuple[MST, list[tuple[bytes, bytes]], list[bytes]]:
    """The tree of `cur` now: (tree, new blocks, dirty raw keys it consumed).

    With a base version, only dirty entries are applied; without one, the whole keyspace is
    built bottom-up. The caller stores the blocks and clears the consumed dirty keys in the
    same batch as the commit."""
    raw.buffer.flush()
    dirty = list(raw.dirty_keys())
    if base_root is None:
        # Content-addressed blocks written ahead of their commit are harmless if a crash
        # comes first: nothing refers to them and GC collects them.
        return MST.build(store, _live_entries(raw)), [], dirty
    tree = MST.load(store, base_root, cache)
    puts: dict[bytes, bytes] = {}
    deletes: list[bytes] = []
    for key in dirty:
        value = _content(key, raw.get(key))
        if value is None:
            deletes.append(key)
        else:
            puts[key] = value
    new, blocks = tree.apply(puts, deletes)
    return new, blocks, dirty


def clear_dirty_in(batch, raw: LiveRaw, keys: list[bytes]) -> None:
    """Add the deletion of consumed dirty-log entries to a commit's batch.

    `keys` is the whole log (seal read it after flushing the buffer, and nothing writes
    between seal and the commit, both running on the event loop), so the log is cleared
    with one range tombstone: point deletes would leave a tombstone per key that every
    later scan of the log steps over until compaction (a million after a first backup)."""
    if keys:
        handle = raw.buffer.db.handle[CF_DATA]
        batch.delete_range(raw.ns + DIRTY, raw.ns + b"\xff", handle)
    raw.forget_logged(keys)
