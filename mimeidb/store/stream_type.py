"""The stream type over a keyspace: entries, Redis's node boundaries, consumer groups, PELs.

A stream's metadata (META) carries the size (number of live entries) like every collection,
then, in `Meta.value`, the fields below (STREAM_BODY): the last id ever added, the first live
id, the largest id deleted by XDEL, the count of entries ever added and the first id of the
tail node (0-0: look it up), so that XADD needs point reads only. Everything else is a
sub-entry of the key, told apart by one byte after the key's sub prefix:

  e + id(16)                          -> the entry's fields and values
  n + id(16)                          -> a node: live entries, entries ever put in it, bytes
  g + group                           -> group: last delivered id(16) + entries_read (i64)
  c + u32 len(group) + group + name   -> consumer: seen-time ms (i64) + active-time ms (i64)
  p + u32 len(group) + group + id(16) -> pending entry: delivery ms (i64) + count (u64) + consumer

An id is (ms, seq), two u64 stored big-endian, so entries and PELs iterate in id order.

Why nodes: Redis keeps a stream as a radix tree of listpacks of at most
stream-node-max-entries entries (and stream-node-max-bytes); `MAXLEN ~`/`MINID ~` trims only
whole nodes, so the length left after an approximate trim depends on where nodes begin. We
keep one record per node (keyed by its first id) so approximate trims leave exactly what
Redis leaves. The byte bound is an estimate of the listpack size.
These byte values are on disk and in version snapshots: never change them.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterator

from mimeidb.store.encoding import KeyType, Meta
from mimeidb.store.keyspace import Keyspace

StreamID = tuple[int, int]
ID_MAX = (1 << 64) - 1
MIN_ID: StreamID = (0, 0)
MAX_ID: StreamID = (ID_MAX, ID_MAX)

# last ms/seq, first ms/seq, max-deleted ms/seq, entries added, tail node ms/seq
STREAM_BODY = struct.Struct(">QQQQQQQQQ")
_ID = struct.Struct(">QQ")
_U32 = struct.Struct(">I")
_NODE = struct.Struct(">QQQ")             # live entries, entries ever put, estimated bytes
_GROUP = struct.Struct(">QQq")            # last delivered ms/seq, entries_read
_CONSUMER = struct.Struct(">qq")          # seen-time, active-time (-1: never active)
_NACK = struct.Struct(">qQ")              # delivery time, delivery count (+ consumer name)

ENTRY, NODE, GROUP, CONSUMER, PENDING = b"e", b"n", b"g", b"c", b"p"
INVALID_ENTRIES_READ = -1                 # Redis's SCG_INVALID_ENTRIES_READ
_LP_HEADER = 7                            # listpack header and end byte


def pack_id(sid: StreamID) -> bytes:
    return _ID.pack(*sid)


def unpack_id(raw: bytes, offset: int = 0) -> StreamID:
    return _ID.unpack_from(raw, offset)


def format_id(sid: StreamID) -> bytes:
    return b"%d-%d" % sid


def next_id(sid: StreamID) -> StreamID | None:
    """The id right after sid, None past the last possible one."""
    ms, seq = sid
    if seq < ID_MAX:
        return ms, seq + 1
    if ms < ID_MAX:
        return ms + 1, 0
    return None


def prev_id(sid: StreamID) -> StreamID | None:
    ms, seq = sid
    if seq > 0:
        return ms, seq - 1
    if ms > 0:
        return ms - 1, ID_MAX
    return None


def encode_fields(fields: list[bytes]) -> bytes:
    return b"".join(_U32.pack(len(f)) + f for f in fields)


def decode_fields(raw: bytes) -> list[bytes]:
    out, i, end = [], 0, len(raw)
    while i < end:
        n = _U32.unpack_from(raw, i)[0]
        out.append(raw[i + 4:i + 4 + n])
        i += 4 + n
    return out


def _scope(group: bytes) -> bytes:
    return _U32.pack(len(group)) + group


@dataclass(slots=True)
class Group:
    name: bytes
    last_id: StreamID
    entries_read: int


@dataclass(slots=True)
class Nack:
    """A pending entry: who holds it, when it was last delivered, how often."""

    consumer: bytes
    delivery_time: int
    delivery_count: int


class Stream:
    """One stream key while a command works on it; `save` writes the metadata once."""

    __slots__ = ("ks", "key", "meta", "existed", "last_id", "first_id", "max_deleted",
                 "entries_added", "tail")

    def __init__(self, ks: Keyspace, key: bytes, meta: Meta | None) -> None:
        self.ks = ks
        self.key = key
        self.existed = meta is not None
        if meta is None or not meta.value:
            self.meta = meta if meta is not None else Meta(KeyType.STREAM)
            self.last_id = self.first_id = self.max_deleted = MIN_ID
            self.entries_added = 0
            self.tail = MIN_ID
            return
        self.meta = meta
        f = STREAM_BODY.unpack_from(meta.value)
        self.last_id, self.first_id, self.max_deleted = (f[0], f[1]), (f[2], f[3]), (f[4], f[5])
        self.entries_added = f[6]
        self.tail = (f[7], f[8])

    @classmethod
    def load(cls, ks: Keyspace, key: bytes) -> "Stream | None":
        """The stream at key, None if absent; WRONGTYPE if key holds another type."""
        meta = ks.typed(key, KeyType.STREAM)
        return None if meta is None else cls(ks, key, meta)

    @property
    def length(self) -> int:
        return self.meta.size

    def save(self) -> None:
        """Write the metadata (streams stay when emptied) and signal the key."""
        self.meta.value = STREAM_BODY.pack(*self.last_id, *self.first_id, *self.max_deleted,
                                           self.entries_added, *self.tail)
        self.ks.put_meta(self.key, self.meta, self.meta if self.existed else None)
        self.existed = True
        self.ks.modified(self.key)

    # -- entries ---------------------------------------------------------------------------
    def get(self, sid: StreamID) -> list[bytes] | None:
        raw = self.ks.get_entry(self.key, ENTRY + pack_id(sid))
        return None if raw is None else decode_fields(raw)

    def range(self, start: StreamID, end: StreamID, reverse: bool = False,
              count: int = 0) -> Iterator[tuple[StreamID, list[bytes]]]:
        """Entries with start <= id <= end in id order (or reversed), at most count (0: all)."""
        if start > end:
            return
        begin = ENTRY + pack_id(end if reverse else start)
        n = 0
        for sub, value in self.ks.entries(self.key, begin, reverse):
            if sub[:1] != ENTRY:
                return
            sid = unpack_id(sub, 1)
            if (sid < start) if reverse else (sid > end):
                return
            if (sid > end) if reverse else (sid < start):
                continue
            yield sid, decode_fields(value)
            n += 1
            if count and n >= count:
                return

    def ids(self, start: StreamID = MIN_ID, reverse: bool = False) -> Iterator[StreamID]:
        for sid, _ in self.range(start if not reverse else MIN_ID,
                                 MAX_ID if not reverse else start, reverse):
            yield sid

    def edge(self, last: bool) -> StreamID | None:
        for sid, _ in self.range(MIN_ID, MAX_ID, reverse=last, count=1):
            return sid
        return None

    def append(self, sid: StreamID, fields: list[bytes], max_entries: int,
               max_bytes: int) -> None:
        """Add an entry (sid already checked to be above last_id), opening a new node when
        the tail node is full as Redis decides it."""
        ks, key = self.ks, self.key
        size = sum(len(f) for f in fields)
        tail = None
        if self.tail != MIN_ID:
            raw = ks.get_entry(key, NODE + pack_id(self.tail))
            if raw is not None:
                tail = self.tail, _NODE.unpack(raw)
        if tail is None and self.meta.size:
            tail = self._tail_node()
        if tail is not None:
            node_id, (live, total, nbytes) = tail
            if not max_bytes or max_bytes > (1 << 30):
                max_bytes = 1 << 30
            if nbytes + size >= max_bytes or (max_entries and total >= max_entries):
                tail = None
        if tail is None:
            node_id, live, total = sid, 0, 0
            nbytes = _LP_HEADER + sum(len(f) + 2 for f in fields[::2]) + 4
        ks.put_entry(key, NODE + pack_id(node_id),
                     _NODE.pack(live + 1, total + 1, nbytes + size + len(fields) + 6))
        self.tail = node_id
        ks.put_entry(key, ENTRY + pack_id(sid), encode_fields(fields))
        self.meta.size += 1
        self.last_id = sid
        self.entries_added += 1
        if self.meta.size == 1:
            self.first_id = sid

    def _tail_node(self) -> tuple[StreamID, tuple[int, int, int]] | None:
        for sub, value in self.ks.entries(self.key, NODE + pack_id(MAX_ID), reverse=True):
            if sub[:1] == NODE:
                return unpack_id(sub, 1), _NODE.unpack(value)
            return None
        return None

    def _nodes(self) -> Iterator[tuple[StreamID, tuple[int, int, int]]]:
        for sub, value in self.ks.entries(self.key, NODE):
            if sub[:1] != NODE:
                return
            yield unpack_id(sub, 1), _NODE.unpack(value)

    def _node_of(self, sid: StreamID) -> tuple[StreamID, tuple[int, int, int]] | None:
        for sub, value in self.ks.entries(self.key, NODE + pack_id(sid), reverse=True):
            if sub[:1] == NODE:
                return unpack_id(sub, 1), _NODE.unpack(value)
            return None
        return None

    def delete(self, sid: StreamID) -> bool:
        """XDEL of one id: True if it was there. A node whose last entry goes is dropped."""
        ks, key = self.ks, self.key
        sub = ENTRY + pack_id(sid)
        if ks.get_entry(key, sub) is None:
            return False
        ks.delete_entry(key, sub)
        self.meta.size -= 1
        node = self._node_of(sid)
        if node is not None:
            node_id, (live, total, nbytes) = node
            if live <= 1:
                ks.delete_entry(key, NODE + pack_id(node_id))
            else:
                ks.put_entry(key, NODE + pack_id(node_id), _NODE.pack(live - 1, total, nbytes))
        return True

    def trim(self, maxlen: int | None, minid: StreamID | None, approx: bool,
             limit: int) -> int:
        """streamTrim: drop whole nodes from the head while the rule allows, then (unless
        approx) single entries of the next node. limit bounds the entries dropped (0: none)."""
        if maxlen is None and minid is None:
            return 0
        ks, key = self.ks, self.key
        deleted = 0
        for node_id, (live, total, nbytes) in list(self._nodes()):
            if maxlen is not None and self.meta.size <= maxlen:
                break
            if limit and deleted + live > limit:
                break
            if maxlen is not None:
                whole = self.meta.size - live >= maxlen
                if not whole and approx:
                    break
                members = [sid for sid, _ in self._node_entries(node_id)]
            else:
                members = [sid for sid, _ in self._node_entries(node_id)]
                whole = not members or members[-1] < minid
            if whole:
                for sid in members:
                    ks.delete_entry(key, ENTRY + pack_id(sid))
                ks.delete_entry(key, NODE + pack_id(node_id))
                self.meta.size -= live
                deleted += live
                continue
            if approx:
                break
            gone = 0
            for sid in members:
                if maxlen is not None and self.meta.size <= maxlen:
                    break
                if minid is not None and sid >= minid:
                    break
                ks.delete_entry(key, ENTRY + pack_id(sid))
                self.meta.size -= 1
                gone += 1
            if gone:
                ks.put_entry(key, NODE + pack_id(node_id), _NODE.pack(live - gone, total, nbytes))
            deleted += gone
            break
        if self.meta.size == 0:
            self.first_id = MIN_ID
        elif deleted:
            self.first_id = self.edge(last=False) or MIN_ID
        return deleted

    def _node_entries(self, node_id: StreamID) -> Iterator[tuple[StreamID, bytes]]:
        """The live entries of the node starting at node_id (up to the next node)."""
        nxt = None
        for sub, _ in self.ks.entries(self.key, NODE + pack_id(node_id)):
            if sub[:1] != NODE:
                break
            sid = unpack_id(sub, 1)
            if sid > node_id:
                nxt = sid
                break
        for sub, value in self.ks.entries(self.key, ENTRY + pack_id(node_id)):
            if sub[:1] != ENTRY:
                return
            sid = unpack_id(sub, 1)
            if nxt is not None and sid >= nxt:
                return
            yield sid, value

    def node_count(self) -> int:
        return sum(1 for _ in self._nodes())

    # -- consumer groups -------------------------------------------------------------------
    def group(self, name: bytes) -> Group | None:
        raw = self.ks.get_entry(self.key, GROUP + name)
        if raw is None:
            return None
        ms, seq, read = _GROUP.unpack(raw)
        return Group(name, (ms, seq), read)

    def groups(self) -> list[Group]:
        out = []
        for sub, raw in self.ks.entries(self.key, GROUP):
            if sub[:1] != GROUP:
                break
            ms, seq, read = _GROUP.unpack(raw)
            out.append(Group(sub[1:], (ms, seq), read))
        return out

    def put_group(self, group: Group) -> None:
        self.ks.put_entry(self.key, GROUP + group.name,
                          _GROUP.pack(*group.last_id, group.entries_read))

    def delete_group(self, name: bytes) -> None:
        ks, key = self.ks, self.key
        ks.delete_entry(key, GROUP + name)
        for prefix in (CONSUMER, PENDING):
            start = prefix + _scope(name)
            for sub, _ in list(ks.entries(key, start)):
                if not sub.startswith(start):
                    break
                ks.delete_entry(key, sub)

    def consumer(self, group: bytes, name: bytes) -> tuple[int, int] | None:
        raw = self.ks.get_entry(self.key, CONSUMER + _scope(group) + name)
        return None if raw is None else _CONSUMER.unpack(raw)

    def consumers(self, group: bytes) -> list[tuple[bytes, int, int]]:
        start = CONSUMER + _scope(group)
        out = []
        for sub, raw in self.ks.entries(self.key, start):
            if not sub.startswith(start):
                break
            seen, active = _CONSUMER.unpack(raw)
            out.append((sub[len(start):], seen, active))
        return out

    def put_consumer(self, group: bytes, name: bytes, seen: int, active: int) -> None:
        self.ks.put_entry(self.key, CONSUMER + _scope(group) + name, _CONSUMER.pack(seen, active))

    def delete_consumer(self, group: bytes, name: bytes) -> None:
        self.ks.delete_entry(self.key, CONSUMER + _scope(group) + name)

    def nack(self, group: bytes, sid: StreamID) -> Nack | None:
        raw = self.ks.get_entry(self.key, PENDING + _scope(group) + pack_id(sid))
        if raw is None:
            return None
        when, count = _NACK.unpack_from(raw)
        return Nack(raw[_NACK.size:], when, count)

    def put_nack(self, group: bytes, sid: StreamID, nack: Nack) -> None:
        self.ks.put_entry(self.key, PENDING + _scope(group) + pack_id(sid),
                          _NACK.pack(nack.delivery_time, nack.delivery_count) + nack.consumer)

    def delete_nack(self, group: bytes, sid: StreamID) -> None:
        self.ks.delete_entry(self.key, PENDING + _scope(group) + pack_id(sid))

    def pending(self, group: bytes, start: StreamID = MIN_ID, end: StreamID = MAX_ID,
                reverse: bool = False) -> Iterator[tuple[StreamID, Nack]]:
        """The group's pending entries with start <= id <= end in id order (or reversed)."""
        prefix = PENDING + _scope(group)
        cut = len(prefix)
        begin = prefix + pack_id(end if reverse else start)
        for sub, raw in self.ks.entries(self.key, begin, reverse):
            if not sub.startswith(prefix):
                return
            sid = unpack_id(sub, cut)
            if (sid < start) if reverse else (sid > end):
                return
            if (sid > end) if reverse else (sid < start):
                continue
            when, count = _NACK.unpack_from(raw)
            yield sid, Nack(raw[_NACK.size:], when, count)
