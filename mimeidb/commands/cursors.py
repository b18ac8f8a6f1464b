"""Cursors of HSCAN/SSCAN/ZSCAN: argument parsing and resumable walks over sub-entries.

Redis's cursor is a position in a hash table, stable because of its reverse-binary
iteration. Our sub-entries are sorted, so the natural resume point is the next sub-key
itself; clients however expect a decimal unsigned 64-bit cursor. A process-wide table maps
cursor numbers to (keyspace, key, next sub-key). Every element present for the whole scan is
returned whatever is written meanwhile, because the walk resumes at a sub-key, not at an
offset. Cursor numbers start at a random point so that numbers handed out before a restart
(when the table is lost) are unlikely to meet a live entry; an unknown cursor restarts the
walk, which can only repeat elements, as Redis may.
"""
from __future__ import annotations

import random
import re
import threading
from collections import OrderedDict
from typing import Callable, Iterator

from mimeidb.commands import errors
from mimeidb.commands.args import to_int, upper
from mimeidb.commands.errors import RedisError
from mimeidb.commands.glob import compile_glob, literal_prefix
from mimeidb.store.keyspace import Keyspace

INVALID_CURSOR = "ERR invalid cursor"
DEFAULT_COUNT = 10
# Redis replies small collections (listpack/intset encoded: 128 entries by default) whole,
# in one call with cursor 0, whatever COUNT says; clients and tests rely on that.
SMALL_COLLECTION = 128
MAX_CURSORS = 100_000  # resume points kept (LRU); each is a key and a sub-key

_U64 = (1 << 64) - 1
_CURSOR_RE = re.compile(rb"[+-]?[0-9]+\Z")


class CursorTable:
    def __init__(self, limit: int = MAX_CURSORS) -> None:
        self.limit = limit
        self._next = random.randrange(1, 1 << 40)
        self._points: OrderedDict[int, tuple[str, bytes, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self, space: str, key: bytes, resume: bytes) -> int:
        with self._lock:
            cursor = self._next
            self._next = self._next + 1 if self._next < _U64 else 1
            self._points[cursor] = (space, key, resume)
            if len(self._points) > self.limit:
                self._points.popitem(last=False)
            return cursor

    def resume(self, cursor: int, space: str, key: bytes) -> bytes:
        """The sub-key to resume from; b'' (the start) for 0 and for unknown cursors."""
        if cursor == 0:
            return b""
        with self._lock:
            point = self._points.get(cursor)
            if point is None or point[0] != space or point[1] != key:
                return b""
            self._points.move_to_end(cursor)
            return point[2]


CURSORS = CursorTable()


def parse_cursor(raw: bytes) -> int:
    """Redis's strtoul reading: decimal, optional sign (negative wraps), no spaces; an empty
    cursor reads as 0."""
    if not raw:
        return 0
    if not _CURSOR_RE.match(raw):
        raise RedisError(INVALID_CURSOR)
    value = int(raw)
    if abs(value) > _U64:
        raise RedisError(INVALID_CURSOR)
    return value & _U64


class ScanOptions:
    __slots__ = ("count", "match", "pattern", "novalues")

    def __init__(self, options: list[bytes], allow_novalues: bool = False) -> None:
        self.count = DEFAULT_COUNT
        self.pattern = b"*"
        self.match: Callable[[bytes], bool] | None = None
        self.novalues = False
        i = 0
        while i < len(options):
            opt = upper(options[i])
            if opt == b"COUNT" and i + 1 < len(options):
                self.count = to_int(options[i + 1])
                if self.count < 1:
                    raise RedisError(errors.SYNTAX)
                i += 2
            elif opt == b"MATCH" and i + 1 < len(options):
                self.pattern = options[i + 1]
                i += 2
            elif opt == b"NOVALUES" and allow_novalues:
                self.novalues = True
                i += 1
            else:
                raise RedisError(errors.SYNTAX)
        if self.pattern != b"*":
            self.match = compile_glob(self.pattern)


def scan_entries(ks: Keyspace, key: bytes, size: int, cursor: int,
                 opts: ScanOptions) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """One step of a scan over key's sub-entries: (next cursor, matching (subkey, value))."""
    start = CURSORS.resume(cursor, ks.name, key)
    budget = max(opts.count, SMALL_COLLECTION) if size <= SMALL_COLLECTION and not start \
        else opts.count
    prefix = literal_prefix(opts.pattern) if opts.match is not None else b""
    if prefix > start:
        start = prefix
    found: list[tuple[bytes, bytes]] = []
    entries: Iterator[tuple[bytes, bytes]] = ks.entries(key, start)
    match = opts.match
    for subkey, value in entries:
        if prefix and not subkey.startswith(prefix):
            break
        if budget == 0:
            return b"%d" % CURSORS.issue(ks.name, key, subkey), found
        budget -= 1
        if match is None or match(subkey):
            found.append((subkey, value))
    return b"0", found
