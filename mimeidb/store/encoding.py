"""How Redis keys are laid out inside one Mimei keyspace (Kvrocks style).

Within a keyspace every raw key starts with a one-byte kind:
  META   0x01 + user key                      -> header + type-specific body
  SUB    0x02 + u32 len(key) + key + subkey   -> field value / member score / list element
  SCORE  0x03 + u32 len(key) + key + score(8) + member -> b''   (sorted-set order index)
  COUNT  0x00 'n'                             -> u64 number of keys (DBSIZE in O(1))
The header is type(1) | encoding version(1) | expire-at ms (i64, 0 = none); collections then
carry their size (u64), lists also head and tail positions (u64 each), streams their own
fields after the size (laid out by store/stream_type.py, kept here as opaque bytes).
These byte values are on disk and inside version snapshots: never change them; bump
ENCODING_VERSION and migrate instead.

The version byte's high bit (RAW_FLAG) is a string's "edited in place" mark: APPEND, SETRANGE,
SETBIT and BITFIELD set it, any other write of the value clears it. Redis keeps such a string
`raw` (OBJECT ENCODING) even when it now reads as an integer; the low 7 bits stay the version.
Bits 5-6 of the version byte (HINT_SHIFT) are a collection's encoding as Redis would hold
it after the writes it saw (Redis never converts a set or hash back to a smaller encoding):
0 unknown (OBJECT ENCODING derives it from the contents), HINT_INTSET, HINT_LISTPACK,
HINT_BIG (hashtable). Readers that predate these marks ignore the version byte, so both are
backward compatible.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

ENCODING_VERSION = 1
RAW_FLAG = 0x80  # in the version byte: a string edited in place (see above)
HINT_SHIFT = 5   # in the version byte: bits 5-6, a collection's encoding hint (see above)
HINT_INTSET, HINT_LISTPACK, HINT_BIG = 1, 2, 3

META = b"\x01"
SUB = b"\x02"
SCORE = b"\x03"
COUNT_KEY = b"\x00n"


class KeyType(IntEnum):
    STRING = 1
    HASH = 2
    LIST = 3
    SET = 4
    ZSET = 5
    STREAM = 6


TYPE_NAMES = {KeyType.STRING: b"string", KeyType.HASH: b"hash", KeyType.LIST: b"list",
              KeyType.SET: b"set", KeyType.ZSET: b"zset", KeyType.STREAM: b"stream"}

HEADER = struct.Struct(">BBq")
HEADER_SIZE = HEADER.size
U32 = struct.Struct(">I")
U64 = struct.Struct(">Q")
LIST_BODY = struct.Struct(">QQQ")  # size, head, tail
LIST_START = 1 << 63               # first list position: pushes grow both ways from here
_F64 = struct.Struct(">d")
_SIGN = 1 << 63


@dataclass(slots=True)
class Meta:
    """A decoded metadata entry. `value` is the string value for strings."""

    type: KeyType
    expire_ms: int = 0
    size: int = 0
    head: int = LIST_START
    tail: int = LIST_START
    value: bytes = b""  # a string's value; a stream's fields after the size
    raw: bool = False   # a string edited in place (RAW_FLAG)
    hint: int = 0       # a collection's encoding hint (HINT_*), 0 unknown

    def encode(self) -> bytes:
        version = ENCODING_VERSION
        if self.raw:
            version |= RAW_FLAG
        if self.hint:
            version |= self.hint << HINT_SHIFT
        header = HEADER.pack(self.type, version, self.expire_ms)
        if self.type == KeyType.STRING:
            return header + self.value
        if self.type == KeyType.LIST:
            return header + LIST_BODY.pack(self.size, self.head, self.tail)
        if self.type == KeyType.STREAM:
            return header + U64.pack(self.size) + self.value
        return header + U64.pack(self.size)


def decode_meta(raw: bytes) -> Meta:
    ktype, version, expire = HEADER.unpack_from(raw)
    if ktype == KeyType.STRING:
        return Meta(KeyType.STRING, expire, value=raw[HEADER_SIZE:],
                    raw=bool(version & RAW_FLAG))
    if ktype == KeyType.LIST:
        size, head, tail = LIST_BODY.unpack_from(raw, HEADER_SIZE)
        return Meta(KeyType.LIST, expire, size, head, tail)
    if ktype == KeyType.STREAM:
        size = U64.unpack_from(raw, HEADER_SIZE)[0]
        return Meta(KeyType.STREAM, expire, size, value=raw[HEADER_SIZE + 8:])
    return Meta(KeyType(ktype), expire, U64.unpack_from(raw, HEADER_SIZE)[0],
                hint=(version >> HINT_SHIFT) & 3)


def meta_key(key: bytes) -> bytes:
    return META + key


def sub_prefix(key: bytes) -> bytes:
    return SUB + U32.pack(len(key)) + key


def score_prefix(key: bytes) -> bytes:
    return SCORE + U32.pack(len(key)) + key


def encode_score(score: float) -> bytes:
    """8 bytes whose byte order is the numeric order of the double (for the score index)."""
    bits = U64.unpack(_F64.pack(score + 0.0))[0]  # +0.0 folds -0.0 into 0.0
    bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits & _SIGN else bits | _SIGN
    return U64.pack(bits)


def decode_score(raw: bytes) -> float:
    bits = U64.unpack(raw[:8])[0]
    bits = bits ^ _SIGN if bits & _SIGN else bits ^ 0xFFFFFFFFFFFFFFFF
    return _F64.unpack(U64.pack(bits))[0]


def pack_double(value: float) -> bytes:
    return _F64.pack(value)


def unpack_double(raw: bytes) -> float:
    return _F64.unpack(raw)[0]


def list_index(position: int) -> bytes:
    return U64.pack(position)
