"""One Mimei's Redis keyspace: the typed layer between commands and raw key/value storage.

A Keyspace sits on a raw store: `LiveRaw` (a namespace of the node's RocksDB, writable, with
the expiry index and the dirty-key log that backup reads) or a read-only snapshot of a
version (any object with `get` and `scan`). Commands never see raw keys of other Mimei:
the namespace is bound when the Keyspace is built (as Kvrocks binds its tenant).
"""
from __future__ import annotations

import time
from itertools import islice
from typing import Callable, Iterator, Protocol

from mimeidb.commands import errors
from mimeidb.commands.errors import RedisError
from mimeidb.store import encoding as enc
from mimeidb.store import notify as _notify
from mimeidb.store.db import CF_DATA, CF_EXPIRE
from mimeidb.store.encoding import KeyType, Meta
from mimeidb.store.writebuffer import WriteBuffer

DIRTY = b"\xfe"  # dirty-key log, inside the namespace but outside the keyspace proper
# How many raw keys a LiveRaw remembers as already logged dirty (skipping a redundant write
# per repeated update); past this it forgets and logs again, which is only redundant.
LOGGED_CACHE_MAX = 200_000
# Keys whose last access time is remembered (OBJECT IDLETIME); past this the clock restarts.
ACCESS_CLOCK_MAX = 1_000_000
_NO_EXPIRE = b"\0" * 8
_STRING_HEADER = enc.HEADER.pack(KeyType.STRING, enc.ENCODING_VERSION, 0)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class RawStore(Protocol):
    readonly: bool

    def get(self, raw: bytes) -> bytes | None: ...
    def scan(self, prefix: bytes, start: bytes | None = None,
             reverse: bool = False) -> Iterator[tuple[bytes, bytes]]: ...
    def put(self, raw: bytes, value: bytes) -> None: ...
    def delete(self, raw: bytes) -> None: ...


class LiveRaw:
    """A writable namespace of the node's RocksDB. Every raw write is logged as dirty so a
    backup knows, without scanning, which entries changed since the last version."""

    readonly = False

    def __init__(self, buffer: WriteBuffer, ns: bytes) -> None:
        self.buffer = buffer
        self.ns = ns
        self._data = buffer.db.cf[CF_DATA]
        self._logged: set[bytes] = set()
        # True while _logged holds the whole dirty log (from the first backup of this run
        # until the cache overflows): backups then skip scanning the log on disk.
        self._logged_complete = False

    def get(self, raw: bytes) -> bytes | None:
        if self.buffer:
            return self.buffer.get(CF_DATA, self.ns + raw)
        return self._data.get(self.ns + raw)

    def put(self, raw: bytes, value: bytes) -> None:
        self.buffer.put(CF_DATA, self.ns + raw, value)
        if raw not in self._logged:
            self._log_dirty(raw)

    def delete(self, raw: bytes) -> None:
        self.buffer.delete(CF_DATA, self.ns + raw)
        if raw not in self._logged:
            self._log_dirty(raw)

    def _log_dirty(self, raw: bytes) -> None:
        self.buffer.put(CF_DATA, self.ns + DIRTY + raw, b"")
        if len(self._logged) >= LOGGED_CACHE_MAX:
            self._logged.clear()
            self._logged_complete = False
        self._logged.add(raw)

    def forget_logged(self, raws: list[bytes]) -> None:
        """A backup consumed these dirty entries (the whole log, read by dirty_keys): the next
        write must log them again."""
        if len(raws) >= len(self._logged):
            self._logged.clear()
            self._logged_complete = True
        else:
            self._logged.difference_update(raws)

    def scan(self, prefix: bytes, start: bytes | None = None,
             reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        cut = len(self.ns)
        for key, value in self.buffer.scan(CF_DATA, self.ns + prefix,
                                           None if start is None else self.ns + start, reverse):
            yield key[cut:], value

    def run_values(self, prefix: bytes, start: bytes, count: int) -> list[bytes] | None:
        """See WriteBuffer.run_values."""
        ns = self.ns
        return self.buffer.run_values(CF_DATA, ns + prefix, ns + start, count)

    def dirty_keys(self) -> Iterator[bytes]:
        """Raw keys written since the log was last cleared (by a backup), in byte order."""
        if self._logged_complete:
            yield from sorted(self._logged)
            return
        for raw, _ in self.scan(DIRTY):
            yield raw[1:]

    def set_expire_index(self, key: bytes, old_ms: int, new_ms: int) -> None:
        if old_ms:
            self.buffer.delete(CF_EXPIRE, self.ns + enc.U64.pack(old_ms) + key)
        if new_ms:
            self.buffer.put(CF_EXPIRE, self.ns + enc.U64.pack(new_ms) + key, b"")

    def expired_entries(self, until_ms: int, limit: int) -> list[tuple[int, bytes]]:
        """(expire-at ms, key) of expiry index entries at or before until_ms, oldest first."""
        out = []
        cut = len(self.ns) + 8
        for key, _ in self.buffer.scan(CF_EXPIRE, self.ns):
            when = enc.U64.unpack_from(key, len(self.ns))[0]
            if when > until_ms or len(out) >= limit:
                break
            out.append((when, key[cut:]))
        return out

    def expired_keys(self, until_ms: int, limit: int) -> list[bytes]:
        """Keys whose expiry index entry is at or before until_ms (for the active sweep)."""
        out = []
        cut = len(self.ns) + 8
        for key, _ in self.buffer.scan(CF_EXPIRE, self.ns):
            if enc.U64.unpack_from(key, len(self.ns))[0] > until_ms or len(out) >= limit:
                break
            out.append(key[cut:])
        return out


class Keyspace:
    """Typed access to one keyspace. `on_modified(keyspace, key)` is called for every written
    key (Redis's signalModifiedKey): WATCH, blocked clients and auto-backup hang on it.
    `notifier(keyspace, flag, event, key)` receives keyspace events (Redis's
    notifyKeyspaceEvent, see store/notify.py); None while notifications are off."""

    notifier: Callable[["Keyspace", int, bytes, bytes], None] | None = None

    def __init__(self, raw: RawStore, name: str = "",
                 on_modified: Callable[["Keyspace", bytes], None] | None = None) -> None:
        self.raw = raw
        self.name = name
        self.readonly = raw.readonly
        self.on_modified = on_modified
        # key -> monotonic time of its last access by a command (OBJECT IDLETIME); kept in
        # memory only, like Redis's LRU clock, and bounded by ACCESS_CLOCK_MAX
        self.last_access: dict[bytes, float] = {}
        self.created = time.monotonic()

    def touch_access(self, keys: list[bytes], now: float) -> None:
        """Record an access (Redis updates the LRU clock on every lookup but a few)."""
        clock = self.last_access
        if len(clock) >= ACCESS_CLOCK_MAX:
            clock.clear()
        for key in keys:
            clock[key] = now

    def idle_seconds(self, key: bytes) -> int:
        """Seconds since key was last accessed (since the keyspace was opened if never)."""
        return int(time.monotonic() - self.last_access.get(key, self.created))

    # -- writes are refused up front on read-only versions --------------------------------
    def check_writable(self) -> None:
        if self.readonly:
            raise RedisError(errors.READONLY)

    def modified(self, key: bytes) -> None:
        if self.on_modified is not None:
            self.on_modified(self, key)

    def notify(self, flag: int, event: bytes, key: bytes) -> None:
        """A keyspace event (`flag` a store.notify class) where Redis notifies one."""
        if self.notifier is not None:
            self.notifier(self, flag, event, key)

    # -- metadata ----------------------------------------------------------------------
    def meta(self, key: bytes) -> Meta | None:
        """The live metadata of key, or None if absent or expired (expired keys are deleted
        lazily here, except on read-only versions)."""
        raw = self.raw.get(enc.META + key)
        if raw is None:
            return None
        meta = enc.decode_meta(raw)
        if meta.expire_ms and meta.expire_ms <= now_ms():
            if not self.readonly:
                self._remove(key, meta)
                if self.notifier is not None:
                    self.notifier(self, _notify.EXPIRED, b"expired", key)
                self.modified(key)
            return None
        return meta

    def typed(self, key: bytes, ktype: KeyType) -> Meta | None:
        """Metadata of key if it holds ktype, None if absent; WRONGTYPE otherwise."""
        meta = self.meta(key)
        if meta is not None and meta.type != ktype:
            raise RedisError(errors.WRONGTYPE)
        return meta

    def get_string(self, key: bytes) -> bytes | None:
        """The fast path of GET: one raw read."""
        raw = self.raw.get(enc.META + key)
        if raw is None:
            return None
        if raw[0] != KeyType.STRING:
            raise RedisError(errors.WRONGTYPE)
        if raw[2:10] != b"\0" * 8 and self.meta(key) is None:
            return None
        return raw[enc.HEADER_SIZE:]

    def put_meta(self, key: bytes, meta: Meta, old: Meta | None) -> None:
        """Write key's metadata; `old` is what meta(key) returned before (None = new key).
        Keeps the key count and the expiry index right."""
        self.check_writable()
        self.raw.put(enc.META + key, meta.encode())
        if old is None:
            self._add_count(1)
            if self.notifier is not None:
                self.notifier(self, _notify.NEW, b"new", key)
        old_expire = old.expire_ms if old is not None else 0
        if old_expire != meta.expire_ms:
            self.raw.set_expire_index(key, old_expire, meta.expire_ms)  # type: ignore[attr-defined]

    def set_string(self, key: bytes, value: bytes, expire_ms: int = 0,
                   old: Meta | None | bool = False, raw: bool = False) -> None:
        """SET semantics: replaces whatever key held. Pass `old` when already looked up.
        `raw`: the value was edited in place (APPEND...), see encoding.RAW_FLAG."""
        if old is False:
            current = self.raw.get(enc.META + key)
            if (not expire_ms and not raw and current is not None and current[0] == KeyType.STRING
                    and current[2:10] == _NO_EXPIRE):
                # the hot path of SET/INCR over a plain string: one read, one write
                self.check_writable()
                self.raw.put(enc.META + key, _STRING_HEADER + value)
                self.modified(key)
                return
            old = self.meta(key) if current is not None else None
        if old is not None and old.type != KeyType.STRING:
            self._remove_entries(key, old)
        self.put_meta(key, Meta(KeyType.STRING, expire_ms, value=value, raw=raw),
                      old)  # type: ignore[arg-type]
        self.modified(key)

    def delete(self, key: bytes) -> bool:
        """Remove key whatever its type (DEL); True if it existed."""
        meta = self.meta(key)
        if meta is None:
            return False
        self.check_writable()
        self._remove(key, meta)
        self.modified(key)
        return True

    def delete_emptied(self, key: bytes, meta: Meta) -> None:
        """Remove a collection whose sub-entries (and score index) the caller has already
        deleted: no scan, so pops that empty a key keep the pipeline's writes in one batch."""
        self._drop_meta(key, meta)
        self.modified(key)

    def _remove(self, key: bytes, meta: Meta) -> None:
        self._remove_entries(key, meta)
        self._drop_meta(key, meta)

    def _drop_meta(self, key: bytes, meta: Meta) -> None:
        self.raw.delete(enc.META + key)
        if meta.expire_ms:
            self.raw.set_expire_index(key, meta.expire_ms, 0)  # type: ignore[attr-defined]
        self._add_count(-1)

    def _remove_entries(self, key: bytes, meta: Meta) -> None:
        if meta.type == KeyType.STRING:
            return
        for raw, _ in list(self.raw.scan(enc.sub_prefix(key))):
            self.raw.delete(raw)
        if meta.type == KeyType.ZSET:
            for raw, _ in list(self.raw.scan(enc.score_prefix(key))):
                self.raw.delete(raw)

    def _add_count(self, delta: int) -> None:
        current = self.raw.get(enc.COUNT_KEY)
        value = (enc.U64.unpack(current)[0] if current else 0) + delta
        self.raw.put(enc.COUNT_KEY, enc.U64.pack(max(value, 0)))

    def set_expire(self, key: bytes, meta: Meta, expire_ms: int) -> None:
        """Set (or with 0 clear) the absolute expiry of an existing key."""
        old = Meta(meta.type, meta.expire_ms)
        meta.expire_ms = expire_ms
        self.put_meta(key, meta, old)
        self.modified(key)

    def copy_key(self, src: bytes, dst: bytes, expire_ms: int | None = None,
                 into: "Keyspace | None" = None) -> bool:
        """Write a copy of src's value (metadata and every sub-entry and score-index entry)
        under dst of `into` (default: this keyspace; another database for MOVE and COPY DB),
        replacing whatever dst held (COPY, RENAME). dst keeps src's expiry unless
        `expire_ms` is given. False if src does not exist."""
        target = self if into is None else into
        meta = self.meta(src)
        if meta is None:
            return False
        target.check_writable()
        old = target.meta(dst)
        if old is not None:
            target._remove(dst, old)
        copy = enc.decode_meta(meta.encode())
        if expire_ms is not None:
            copy.expire_ms = expire_ms
        for make_prefix in (enc.sub_prefix, enc.score_prefix):
            src_prefix, dst_prefix = make_prefix(src), make_prefix(dst)
            cut = len(src_prefix)
            for raw, value in list(self.raw.scan(src_prefix)):
                target.raw.put(dst_prefix + raw[cut:], value)
        target.put_meta(dst, copy, None)
        target.modified(dst)
        return True

    def rename_key(self, src: bytes, dst: bytes) -> bool:
        """Move src's value and expiry to dst, replacing dst (RENAME). False if src is absent."""
        if src == dst:
            return self.meta(src) is not None
        if not self.copy_key(src, dst):
            return False
        self.delete(src)
        return True

    def expire_if_due(self, key: bytes, now: int) -> bool:
        """Delete key if its expiry is at or before `now` ms (the active expire sweep)."""
        raw = self.raw.get(enc.META + key)
        if raw is None:
            return False
        meta = enc.decode_meta(raw)
        if not meta.expire_ms or meta.expire_ms > now:
            return False
        self.check_writable()
        self._remove(key, meta)
        if self.notifier is not None:
            self.notifier(self, _notify.EXPIRED, b"expired", key)
        self.modified(key)
        return True

    # -- the whole keyspace --------------------------------------------------------------
    def count(self) -> int:
        """Number of keys (like Redis, keys expired but not yet swept still count)."""
        current = self.raw.get(enc.COUNT_KEY)
        return enc.U64.unpack(current)[0] if current else 0

    def keys(self, start: bytes | None = None) -> Iterator[tuple[bytes, Meta]]:
        """Live keys in byte order with their metadata, from `start` (a user key) on."""
        now = now_ms()
        begin = None if start is None else enc.META + start
        for raw, value in self.raw.scan(enc.META, begin):
            meta = enc.decode_meta(value)
            if meta.expire_ms and meta.expire_ms <= now:
                continue
            yield raw[1:], meta

    def entries(self, key: bytes, start: bytes = b"",
                reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        """(subkey, value) sub-entries of a collection in subkey order."""
        prefix = enc.sub_prefix(key)
        cut = len(prefix)
        for raw, value in self.raw.scan(prefix, prefix + start if start else None, reverse):
            yield raw[cut:], value

    def entry_run(self, key: bytes, start: bytes, count: int) -> list[bytes]:
        """The values of `count` consecutive sub-entries from subkey `start` on (fewer if the
        collection ends first)."""
        prefix = enc.sub_prefix(key)
        fast = getattr(self.raw, "run_values", None)
        if fast is not None:
            values = fast(prefix, prefix + start, count)
            if values is not None:
                return values
        return [value for _, value in islice(self.raw.scan(prefix, prefix + start), count)]

    def get_entry(self, key: bytes, subkey: bytes) -> bytes | None:
        return self.raw.get(enc.sub_prefix(key) + subkey)

    def put_entry(self, key: bytes, subkey: bytes, value: bytes) -> None:
        self.raw.put(enc.sub_prefix(key) + subkey, value)

    def delete_entry(self, key: bytes, subkey: bytes) -> None:
        self.raw.delete(enc.sub_prefix(key) + subkey)

    def flush_all(self) -> None:
        """FLUSHDB: remove every key of this keyspace."""
        self.check_writable()
        for key, meta in list(self.keys()):
            self._remove(key, meta)
            self.modified(key)
        for raw, value in list(self.raw.scan(enc.META)):  # expired leftovers
            self._remove(raw[1:], enc.decode_meta(value))
        # an empty keyspace has no keys, whatever the counter drifted to
        if self.raw.get(enc.COUNT_KEY) is not None:
            self.raw.put(enc.COUNT_KEY, enc.U64.pack(0))
