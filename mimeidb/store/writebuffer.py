"""Pending writes of the whole node, applied to RocksDB as one batch.

Commands write here instead of straight to RocksDB so that every write of one network read
(a pipeline) or of many concurrent clients lands in one WriteBatch, and with
appendfsync=always in one WAL sync (group commit). Reads see pending writes first.
"""
from __future__ import annotations

from itertools import islice
from typing import Iterator

from mimeidb.store.db import Database

_MISSING = object()


class WriteBuffer:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._batch = db.batch()
        self._pending: dict[tuple[str, bytes], bytes | None] = {}

    def __bool__(self) -> bool:
        return bool(self._pending)

    def get(self, cf: str, key: bytes) -> bytes | None:
        if self._pending:
            value = self._pending.get((cf, key), _MISSING)
            if value is not _MISSING:
                return value  # type: ignore[return-value]
        return self.db.cf[cf].get(key)

    def put(self, cf: str, key: bytes, value: bytes) -> None:
        self._pending[(cf, key)] = value
        self._batch.put(key, value, self.db.handle[cf])

    def delete(self, cf: str, key: bytes) -> None:
        self._pending[(cf, key)] = None
        self._batch.delete(key, self.db.handle[cf])

    def flush(self, sync: bool | None = None) -> None:
        """Apply what is pending as one atomic batch (synced under appendfsync=always)."""
        if not self._pending:
            return
        batch, self._batch = self._batch, self.db.batch()
        self._pending.clear()
        self.db.write(batch, sync)

    def run_values(self, cf: str, prefix: bytes, start: bytes, count: int) -> list[bytes] | None:
        """The values of the `count` keys from `start` (a key under prefix) on, when that many
        keys under prefix exist there; None otherwise. One native iteration (LRANGE).

        Flushes first, as scan does."""
        self.flush()
        items = list(islice(self.db.cf[cf].items(from_key=start), count))
        if len(items) < count or (items and not items[-1][0].startswith(prefix)):
            return None  # keys are in order: the last one under prefix means all of them
        return [value for _, value in items]

    def scan(self, cf: str, prefix: bytes, start: bytes | None = None,
             reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        """(key, value) pairs under prefix in key order (or reverse), from start on.

        Flushes first so the iterator sees every write; callers may write while iterating
        (those writes go to the next batch)."""
        self.flush()
        it = self.db.cf[cf].iter()
        if reverse:
            end = _prefix_end(prefix) if start is None else None
            if end is None and start is None:
                it.seek_to_last()
            elif end is not None:
                it.seek(end)
                if it.valid():
                    it.prev()
                else:
                    it.seek_to_last()
            else:
                it.seek_for_prev(start)
        else:
            it.seek(start if start is not None and start > prefix else prefix)
        step = it.prev if reverse else it.next
        while it.valid():
            key = it.key()
            if not key.startswith(prefix):
                return
            yield key, it.value()
            step()


def _prefix_end(prefix: bytes) -> bytes | None:
    """The smallest key greater than every key starting with prefix; None if there is none."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])
