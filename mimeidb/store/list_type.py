"""The list type over a keyspace: positional access to a list's elements (Kvrocks style).

A list's elements are sub-entries keyed by their position (`encoding.list_index`), and the
metadata keeps the live window [head, tail). Element i sits at head + i, so reading or
overwriting by index is one point read or write, never a scan. Pushes grow the window at
either end; pops shrink it. Inserting or removing in the middle shifts the elements of the
shorter side by one position, so the window stays contiguous (O(n) like Redis's quicklist).

A `ListValue` gathers the changes of one command and `save()` writes the metadata once,
deleting the key when the list ends up empty (Redis never keeps empty lists).
"""
from __future__ import annotations

from itertools import islice
from typing import Iterable, Iterator

from mimeidb.store.encoding import KeyType, Meta, list_index
from mimeidb.store.keyspace import Keyspace

# Up to this many elements a range is read by point lookups; longer ranges use one iterator,
# which is faster per element but first flushes the pending write buffer (see WriteBuffer.scan).
SEEK_LIMIT = 32


class ListValue:
    """One list key while a command works on it. Indexes are 0-based from the head and
    already normalized (0 <= index < len) unless a method says otherwise."""

    __slots__ = ("ks", "key", "meta", "_exists")

    def __init__(self, ks: Keyspace, key: bytes, meta: Meta | None) -> None:
        self.ks = ks
        self.key = key
        self._exists = meta is not None
        self.meta = meta if meta is not None else Meta(KeyType.LIST)

    @classmethod
    def load(cls, ks: Keyspace, key: bytes) -> "ListValue | None":
        """The list at key, None if absent; WRONGTYPE if key holds another type."""
        meta = ks.typed(key, KeyType.LIST)
        return None if meta is None else cls(ks, key, meta)

    @classmethod
    def load_or_new(cls, ks: Keyspace, key: bytes) -> "ListValue":
        return cls(ks, key, ks.typed(key, KeyType.LIST))

    def __len__(self) -> int:
        return self.meta.size

    def normalize(self, index: int) -> int | None:
        """A Redis index (negative counts from the tail) as a 0-based index, None if outside."""
        if index < 0:
            index += self.meta.size
        return index if 0 <= index < self.meta.size else None

    # -- reads ---------------------------------------------------------------------------
    def at(self, index: int) -> bytes:
        value = self.ks.get_entry(self.key, list_index(self.meta.head + index))
        if value is None:
            raise RuntimeError(f"list {self.key!r} is missing its element {index}")
        return value

    def range(self, start: int, stop: int) -> list[bytes]:
        """Elements start..stop inclusive (both valid indexes)."""
        count = stop - start + 1
        if count <= SEEK_LIMIT:
            return [self.at(i) for i in range(start, stop + 1)]
        begin = list_index(self.meta.head + start)
        return self.ks.entry_run(self.key, begin, count)

    def scan(self, reverse: bool = False, limit: int = 0) -> Iterator[tuple[int, bytes]]:
        """(index, element) from the head (or the tail), at most `limit` of them (0 = all)."""
        size = self.meta.size
        count = size if limit <= 0 else min(limit, size)
        if count == 0:
            return
        begin = list_index(self.meta.tail - 1 if reverse else self.meta.head)
        entries = islice(self.ks.entries(self.key, begin, reverse), count)
        for n, (_, value) in enumerate(entries):
            yield (size - 1 - n if reverse else n), value

    # -- writes --------------------------------------------------------------------------
    def _put(self, index: int, value: bytes) -> None:
        self.ks.put_entry(self.key, list_index(self.meta.head + index), value)

    def _drop(self, position: int) -> None:
        self.ks.delete_entry(self.key, list_index(position))

    def push(self, values: Iterable[bytes], left: bool) -> None:
        """LPUSH/RPUSH: each value becomes the new head (or tail) in turn."""
        meta = self.meta
        for value in values:
            if left:
                meta.head -= 1
                self.ks.put_entry(self.key, list_index(meta.head), value)
            else:
                self.ks.put_entry(self.key, list_index(meta.tail), value)
                meta.tail += 1
            meta.size += 1

    def pop(self, count: int, left: bool) -> list[bytes]:
        """Remove up to count elements from one end; returned in the order they were popped."""
        meta = self.meta
        count = min(count, meta.size)
        out = []
        for _ in range(count):
            position = meta.head if left else meta.tail - 1
            value = self.ks.get_entry(self.key, list_index(position))
            if value is None:
                raise RuntimeError(f"list {self.key!r} is missing position {position}")
            out.append(value)
            self._drop(position)
            if left:
                meta.head += 1
            else:
                meta.tail -= 1
            meta.size -= 1
        return out

    def set(self, index: int, value: bytes) -> None:
        self._put(index, value)

    def insert(self, index: int, value: bytes) -> None:
        """Make value the element at index (0..len), shifting the shorter side outwards."""
        meta = self.meta
        if index <= meta.size - index:
            meta.head -= 1
            for i in range(index):
                self._put(i, self.at(i + 1))
        else:
            for i in range(meta.size - 1, index - 1, -1):
                self._put(i + 1, self.at(i))
            meta.tail += 1
        self._put(index, value)
        meta.size += 1

    def remove(self, indexes: list[int]) -> None:
        """Delete the elements at the given ascending indexes, closing the gaps from whichever
        side moves fewer elements."""
        if not indexes:
            return
        meta = self.meta
        gone = set(indexes)
        first, last, size = indexes[0], indexes[-1], meta.size
        if size - first <= last + 1:
            # Move the elements after `first` towards the head.
            write = first
            for i in range(first, size):
                if i in gone:
                    continue
                if write != i:
                    self._put(write, self.at(i))
                write += 1
            for position in range(meta.head + write, meta.tail):
                self._drop(position)
            meta.tail = meta.head + write
        else:
            # Move the elements before `last` towards the tail.
            write = last
            for i in range(last, -1, -1):
                if i in gone:
                    continue
                if write != i:
                    self._put(write, self.at(i))
                write -= 1
            for position in range(meta.head, meta.head + write + 1):
                self._drop(position)
            meta.head += write + 1
        meta.size -= len(gone)

    def trim(self, start: int, stop: int) -> None:
        """Keep only start..stop inclusive; start > stop empties the list."""
        meta = self.meta
        if start > stop:
            start, stop = meta.size, meta.size - 1
        for position in range(meta.head, meta.head + start):
            self._drop(position)
        for position in range(meta.head + stop + 1, meta.tail):
            self._drop(position)
        meta.tail = meta.head + stop + 1
        meta.head += start
        meta.size = stop - start + 1

    def save(self) -> None:
        """Write the metadata (or delete the emptied key) and signal the key as modified."""
        if self.meta.size == 0:
            if self._exists:
                self.ks.delete_emptied(self.key, self.meta)  # signals the modification itself
                self._exists = False
            return
        self.ks.put_meta(self.key, self.meta, self.meta if self._exists else None)
        self._exists = True
        self.ks.modified(self.key)
