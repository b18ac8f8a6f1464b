"""Canonical DAG-CBOR for version blocks, and their CIDs (CIDv1, sha2-256).

Why an encoder of our own: libipld 3.5's `encode_dag_cbor` writes *any* Python `bytes` whose
first bytes parse as a CID prefix (e.g. b"\\x01\\x01\\x01\\x01hello") as a tag-42 link, trailing
bytes and all (`encode_bytes` in its src/dag_cbor/ser.rs). Keys, values, public keys and
signatures are arbitrary bytes, so going through it would turn some of them into broken links
and make a block's meaning depend on its content. Here links are explicit (`Link`), bytes stay
bytes, and the output is canonical DAG-CBOR (shortest heads, map keys sorted by length then
bytes, no floats). Decoding uses libipld's strict decoder; since it returns links as bare bytes,
readers re-encode what they decoded with the links their schema expects and compare with the
block (`is_canonical`): equal bytes prove the block has exactly that shape.
"""
from __future__ import annotations

import hashlib
from typing import Any

import libipld

DAG_CBOR = 0x71
RAW = 0x55
_SHA2_256 = 0x12
_PREFIX = {DAG_CBOR: b"\x01\x71\x12\x20", RAW: b"\x01\x55\x12\x20"}
_TAG_LINK = b"\xd8\x2a"  # CBOR tag 42, the DAG-CBOR link tag


class Link:
    """A CID to be written as a tag-42 link (binary CID inside)."""

    __slots__ = ("cid",)

    def __init__(self, cid: bytes) -> None:
        self.cid = cid

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Link) and other.cid == self.cid

    def __hash__(self) -> int:
        return hash(self.cid)

    def __repr__(self) -> str:
        return f"Link({cid_text(self.cid)})"


def head(major: int, n: int) -> bytes:
    """The shortest CBOR head for a major type and an argument, as DAG-CBOR requires."""
    m = major << 5
    if n < 24:
        return bytes((m | n,))
    if n < 0x100:
        return bytes((m | 24, n))
    if n < 0x10000:
        return bytes((m | 25,)) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes((m | 26,)) + n.to_bytes(4, "big")
    if n < 0x10000000000000000:
        return bytes((m | 27,)) + n.to_bytes(8, "big")
    raise ValueError("integer out of the 64-bit range of DAG-CBOR")


def link(cid: bytes) -> bytes:
    """A tag-42 link: the binary CID behind the identity multibase prefix 0x00."""
    return _TAG_LINK + head(2, len(cid) + 1) + b"\x00" + cid


def encode(obj: Any) -> bytes:
    """Canonical DAG-CBOR of None, bool, int, bytes, str, list, dict (str keys) and Link."""
    out: list[bytes] = []
    _encode(obj, out)
    return b"".join(out)


def _encode(obj: Any, out: list[bytes]) -> None:
    if obj is None:
        out.append(b"\xf6")
    elif obj is True:
        out.append(b"\xf5")
    elif obj is False:
        out.append(b"\xf4")
    elif isinstance(obj, int):
        out.append(head(0, obj) if obj >= 0 else head(1, -1 - obj))
    elif isinstance(obj, bytes):
        out.append(head(2, len(obj)))
        out.append(obj)
    elif isinstance(obj, str):
        raw = obj.encode()
        out.append(head(3, len(raw)))
        out.append(raw)
    elif isinstance(obj, Link):
        out.append(link(obj.cid))
    elif isinstance(obj, list):
        out.append(head(4, len(obj)))
        for item in obj:
            _encode(item, out)
    elif isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise TypeError("DAG-CBOR map keys must be strings")
        keys = sorted(obj, key=lambda k: (len(k.encode()), k.encode()))
        out.append(head(5, len(keys)))
        for k in keys:
            _encode(k, out)
            _encode(obj[k], out)
    else:
        raise TypeError(f"cannot encode {type(obj).__name__} as DAG-CBOR")


def decode(data: bytes) -> Any:
    """libipld's strict decode; links come back as bare binary CIDs (see module docstring)."""
    return libipld.decode_dag_cbor(data)


def is_canonical(data: bytes, shaped: Any) -> bool:
    """True when `shaped` (a decoded block with its links re-wrapped) encodes to `data`."""
    try:
        return encode(shaped) == data
    except (TypeError, ValueError):
        return False


def cid_of(data: bytes, codec: int = DAG_CBOR) -> bytes:
    """Binary CIDv1 of a block: dag-cbor (0x71) or raw (0x55), sha2-256."""
    return _PREFIX[codec] + hashlib.sha256(data).digest()


def codec_of(cid: bytes) -> int | None:
    """0x71 or 0x55 for the CIDv1 sha2-256 forms used here, else None."""
    for codec, prefix in _PREFIX.items():
        if len(cid) == 36 and cid.startswith(prefix):
            return codec
    return None


def block_matches(cid: bytes, data: bytes) -> bool:
    """True when data hashes to the CID: CIDv0 or CIDv1 of any codec, hashed with sha2-256.

    Other hash functions are refused rather than trusted unchecked."""
    try:
        mh = libipld.decode_cid(cid)["hash"]
    except ValueError:
        return False
    return mh["code"] == _SHA2_256 and mh["digest"] == hashlib.sha256(data).digest()


def cid_text(cid: bytes) -> str:
    """base32 text form for messages; the hex form when the bytes are not a CID."""
    try:
        return libipld.encode_cid(cid)
    except ValueError:
        return cid.hex()
