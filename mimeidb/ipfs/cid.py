"""CIDs: binary <-> text, construction, and `/ipfs/<cid>/path` parsing.

Binary CIDs are what the rest of the code passes around (see blockstore.py). Text output is
canonical: CIDv0 as base58btc `Qm...`, CIDv1 as base32 `b...`; input may use any multibase.
"""
from __future__ import annotations

import hashlib

import base58
import libipld

RAW = 0x55
DAG_PB = 0x70
DAG_CBOR = 0x71
SHA2_256 = 0x12
IDENTITY = 0x00


def varint(n: int) -> bytes:
    """Unsigned LEB128, as multiformats and protobuf use it."""
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Decode a varint at `pos`; returns (value, next position)."""
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def from_digest(digest: bytes, codec: int = DAG_PB, version: int = 0,
                hash_code: int = SHA2_256) -> bytes:
    """Binary CID from a digest. CIDv0 exists only for dag-pb + sha2-256."""
    mh = varint(hash_code) + varint(len(digest)) + digest
    if version == 0:
        if codec != DAG_PB or hash_code != SHA2_256:
            raise ValueError("CIDv0 is only defined for dag-pb blocks hashed with sha2-256")
        return mh
    if version != 1:
        raise ValueError(f"unsupported CID version {version}")
    return b"\x01" + varint(codec) + mh


def of_block(data: bytes, codec: int = DAG_PB, version: int = 0) -> bytes:
    """The sha2-256 CID of a block."""
    return from_digest(hashlib.sha256(data).digest(), codec, version)


def info(cid: bytes) -> dict:
    """Decoded fields (version, codec, hash{code,size,digest}); ValueError when invalid."""
    try:
        return libipld.decode_cid(bytes(cid))
    except ValueError as exc:
        raise ValueError(f"invalid binary CID: {exc}") from None


def codec_of(cid: bytes) -> int:
    if len(cid) == 34 and cid[0] == SHA2_256:
        return DAG_PB
    return info(cid)["codec"]


def parse(text: str) -> bytes:
    """Binary CID from text: `Qm...` (v0) or any multibase CIDv1."""
    text = text.strip()
    if not text:
        raise ValueError("empty CID")
    try:
        if len(text) == 46 and text.startswith("Qm"):
            binary = base58.b58decode(text)
        else:
            _, binary = libipld.decode_multibase(text)
        libipld.decode_cid(binary)
    except ValueError as exc:
        raise ValueError(f"invalid CID {text!r}: {exc}") from None
    return binary


def format(cid: bytes) -> str:  # noqa: A001 - the module's own namespace makes it clear
    """Canonical text: base58btc for CIDv0, base32 for CIDv1."""
    try:
        return libipld.encode_cid(bytes(cid))
    except ValueError as exc:
        raise ValueError(f"invalid binary CID {bytes(cid).hex()}: {exc}") from None


def to_v1(cid: bytes) -> bytes:
    """The CIDv1 of the same block (v1 input is returned as is)."""
    if len(cid) == 34 and cid[0] == SHA2_256:
        return b"\x01" + varint(DAG_PB) + cid
    return cid


def parse_path(text: str) -> tuple[bytes, list[str]]:
    """Split `/ipfs/<cid>/a/b`, `<cid>/a/b` or `<cid>` into (binary CID, path segments).

    `.` and `..` segments are refused: a path names links inside one DAG and cannot climb out.
    """
    path = text.strip()
    if path.startswith("/ipfs/"):
        path = path[len("/ipfs/"):]
    elif path.startswith("/"):
        raise ValueError(f"unsupported path namespace in {text!r} (expected /ipfs/<cid>)")
    head, _, rest = path.partition("/")
    segments = [s for s in rest.split("/") if s]
    for s in segments:
        if s in (".", ".."):
            raise ValueError(f"path segment {s!r} is not allowed in {text!r}")
    return parse(head), segments
