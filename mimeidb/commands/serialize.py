"""DUMP and RESTORE with Redis's serialization format (an RDB object, then the RDB version and
a CRC64 in the footer), so payloads move between this node and Redis.

We write the plain RDB object types (string, list, set, zset with binary scores, hash) that
Redis still loads; RESTORE reads those plus the integer and LZF string encodings Redis writes
for strings. Redis's compact encodings (listpack, intset, ziplist, quicklist) are refused with
"Bad data format".
"""
from __future__ import annotations

import struct

from mimeidb.commands import errors
from mimeidb.commands.args import to_int, upper
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import OK
from mimeidb.commands.table import command
from mimeidb.store import encoding as enc
from mimeidb.store.encoding import KeyType, Meta, unpack_double
from mimeidb.store.keyspace import now_ms
from mimeidb.store.list_type import ListValue
from mimeidb.store.zset_type import ZSet

RDB_VERSION = 11  # Redis 7.2
T_STRING, T_LIST, T_SET, T_ZSET, T_HASH, T_ZSET_2 = 0, 1, 2, 3, 4, 5
# Streams travel as mimeidb's own entries under a type byte no RDB version uses (Redis
# refuses such a payload as "Bad data format"; mimeidb restores it exactly).
T_MIMEIDB_ENTRIES = 0xF5
BAD_FORMAT = "ERR Bad data format"
BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong"
BUSYKEY = "BUSYKEY Target key name already exists."


def _crc64_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ (0x95AC9329AC4BC9B5 if crc & 1 else 0)
        table.append(crc)
    return table


_TABLE = _crc64_table()


def crc64(data: bytes, crc: int = 0) -> int:
    """Redis's crc64 (Jones polynomial, reflected): crc64(b"123456789") == 0xe9c6d914c4b8d9ca."""
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def _length(n: int) -> bytes:
    if n < 1 << 6:
        return bytes([n])
    if n < 1 << 14:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    if n < 1 << 32:
        return b"\x80" + struct.pack(">I", n)
    return b"\x81" + struct.pack(">Q", n)


def _string(value: bytes) -> bytes:
    return _length(len(value)) + value


def serialize(ks, key: bytes, meta: Meta) -> bytes:
    """The DUMP payload of key."""
    out = bytearray()
    if meta.type == KeyType.STRING:
        out += bytes([T_STRING]) + _string(meta.value)
    elif meta.type == KeyType.LIST:
        values = [v for _, v in ListValue(ks, key, meta).scan()]
        out += bytes([T_LIST]) + _length(len(values))
        for value in values:
            out += _string(value)
    elif meta.type == KeyType.SET:
        members = [m for m, _ in ks.entries(key)]
        out += bytes([T_SET]) + _length(len(members))
        for member in members:
            out += _string(member)
    elif meta.type == KeyType.HASH:
        pairs = list(ks.entries(key))
        out += bytes([T_HASH]) + _length(len(pairs))
        for field, value in pairs:
            out += _string(field) + _string(value)
    elif meta.type == KeyType.STREAM:
        body = enc.decode_meta(meta.encode())
        body.expire_ms = 0
        entries = list(ks.entries(key))
        out += bytes([T_MIMEIDB_ENTRIES]) + _string(body.encode()) + _length(len(entries))
        for sub, value in entries:
            out += _string(sub) + _string(value)
    else:
        pairs = [(m, unpack_double(s)) for m, s in ks.entries(key)]
        out += bytes([T_ZSET_2]) + _length(len(pairs))
        for member, score in pairs:
            out += _string(member) + struct.pack("<d", score)
    out += struct.pack("<H", RDB_VERSION)
    out += struct.pack("<Q", crc64(bytes(out)))
    return bytes(out)


def _lzf_decompress(data: bytes, size: int) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        ctrl = data[i]
        i += 1
        if ctrl < 32:  # literal run of ctrl + 1 bytes
            out += data[i:i + ctrl + 1]
            i += ctrl + 1
        else:  # back reference
            length = ctrl >> 5
            if length == 7:
                length += data[i]
                i += 1
            ref = len(out) - ((ctrl & 0x1F) << 8) - data[i] - 1
            i += 1
            if ref < 0:
                raise ValueError("bad lzf reference")
            for _ in range(length + 2):
                out.append(out[ref])
                ref += 1
    if len(out) != size:
        raise ValueError("bad lzf length")
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("truncated payload")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def length(self) -> tuple[int, bool]:
        """(length, is_encoded): is_encoded for the special string encodings (0xC0..)."""
        first = self.take(1)[0]
        kind = first >> 6
        if kind == 0:
            return first & 0x3F, False
        if kind == 1:
            return ((first & 0x3F) << 8) | self.take(1)[0], False
        if kind == 3:
            return first & 0x3F, True
        if first == 0x80:
            return struct.unpack(">I", self.take(4))[0], False
        if first == 0x81:
            return struct.unpack(">Q", self.take(8))[0], False
        raise ValueError("bad length")

    def string(self) -> bytes:
        n, encoded = self.length()
        if not encoded:
            return self.take(n)
        if n in (0, 1, 2):
            size = 1 << n
            return b"%d" % int.from_bytes(self.take(size), "little", signed=True)
        if n == 3:
            clen, _ = self.length()
            size, _ = self.length()
            return _lzf_decompress(self.take(clen), size)
        raise ValueError("bad string encoding")


def deserialize(payload: bytes) -> tuple[int, object]:
    """(type, value) of a verified payload; ValueError if it is not one we can load."""
    reader = _Reader(payload[:-10])
    kind = reader.take(1)[0]
    if kind == T_STRING:
        value: object = reader.string()
    elif kind in (T_LIST, T_SET):
        count, _ = reader.length()
        value = [reader.string() for _ in range(count)]
    elif kind == T_HASH:
        count, _ = reader.length()
        value = [(reader.string(), reader.string()) for _ in range(count)]
    elif kind == T_MIMEIDB_ENTRIES:
        head = reader.string()
        count, _ = reader.length()
        value = (head, [(reader.string(), reader.string()) for _ in range(count)])
    elif kind in (T_ZSET, T_ZSET_2):
        count, _ = reader.length()
        items = []
        for _ in range(count):
            member = reader.string()
            if kind == T_ZSET_2:
                score = struct.unpack("<d", reader.take(8))[0]
            else:
                n = reader.take(1)[0]
                score = {253: float("nan"), 254: float("inf"), 255: float("-inf")}.get(n)
                if score is None:
                    score = float(reader.take(n))
            if score != score:
                raise ValueError("nan score")
            items.append((member, score))
        value = items
    else:
        raise ValueError("unsupported type")
    if reader.pos != len(reader.data):
        raise ValueError("trailing bytes")
    return kind, value


def verify(payload: bytes) -> bool:
    if len(payload) < 10:
        return False
    version = struct.unpack("<H", payload[-10:-8])[0]
    if version > RDB_VERSION:
        return False
    crc = struct.unpack("<Q", payload[-8:])[0]
    return crc == crc64(payload[:-8])


def _write(ks, key: bytes, kind: int, value, expire_ms: int) -> None:
    if kind == T_STRING:
        ks.set_string(key, value, expire_ms, None)
        return
    if kind == T_LIST:
        lst = ListValue(ks, key, None)
        lst.push(value, False)
        lst.save()
    elif kind == T_MIMEIDB_ENTRIES:
        head, entries = value
        meta = enc.decode_meta(head)
        if meta.type != KeyType.STREAM:
            raise ValueError("entries payload of a type that has a Redis encoding")
        for sub, data in entries:
            ks.put_entry(key, sub, data)
        ks.put_meta(key, meta, None)
        ks.modified(key)
    elif kind in (T_ZSET, T_ZSET_2):
        zs = ZSet(ks, key, None)
        for member, score in value:
            zs.set(member, score, zs.score(member))
        zs.save()
    else:
        seen = set()
        for item in value:
            sub, data = (item, b"") if kind == T_SET else item
            if sub in seen:
                raise ValueError("duplicate member")
            seen.add(sub)
            ks.put_entry(key, sub, data)
        ks.put_meta(key, Meta(KeyType.SET if kind == T_SET else KeyType.HASH, size=len(seen)), None)
        ks.modified(key)
    if expire_ms:
        meta = ks.meta(key)
        if meta is not None:
            ks.set_expire(key, meta, expire_ms)


@command("dump", 2, "readonly", group="keyspace")
def dump(ctx, args):
    """The serialized value of a key (Redis's DUMP payload), nil if it does not exist."""
    meta = ctx.ks.meta(args[0])
    if meta is None:
        return None
    return serialize(ctx.ks, args[0], meta)


@command("restore", -4, "write denyoom", group="keyspace")
def restore(ctx, args):
    """Create a key from a DUMP payload: RESTORE key ttl payload [REPLACE] [ABSTTL]
    [IDLETIME s] [FREQ f]."""
    ks = ctx.ks
    key = args[0]
    replace = absttl = False
    idle = freq = -1
    i = 3
    while i < len(args):
        opt = upper(args[i])
        more = len(args) - i - 1
        if opt == b"REPLACE":
            replace = True
        elif opt == b"ABSTTL":
            absttl = True
        elif opt == b"IDLETIME" and more >= 1 and freq == -1:
            idle = to_int(args[i + 1])
            if idle < 0:
                raise RedisError("ERR Invalid IDLETIME value, must be >= 0")
            i += 1
        elif opt == b"FREQ" and more >= 1 and idle == -1:
            freq = to_int(args[i + 1])
            if not 0 <= freq <= 255:
                raise RedisError("ERR Invalid FREQ value, must be >= 0 and <= 255")
            i += 1
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    ks.check_writable()
    if not replace and ks.meta(key) is not None:
        raise RedisError(BUSYKEY)
    ttl = to_int(args[1])
    if ttl < 0:
        raise RedisError("ERR Invalid TTL value, must be >= 0")
    payload = args[2]
    if not verify(payload):
        raise RedisError(BAD_PAYLOAD)
    try:
        kind, value = deserialize(payload)
    except (ValueError, struct.error):
        raise RedisError(BAD_FORMAT) from None
    if kind != T_STRING and not value:
        raise RedisError(BAD_FORMAT)  # Redis refuses empty collections
    if replace:
        ks.delete(key)
    if ttl and not absttl:
        ttl += now_ms()
    if ttl and ttl <= now_ms():
        return OK  # already expired: the key is (only) deleted
    try:
        _write(ks, key, kind, value, ttl)
    except ValueError:
        ks.delete(key)
        raise RedisError(BAD_FORMAT) from None
    return OK
