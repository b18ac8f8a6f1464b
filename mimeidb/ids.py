"""Identifiers: 27-char Leither IDs, Mimei IDs (mids), mmsids and libp2p peer IDs.

A Leither ID is a 20-byte digest in base64url (27 chars, the last one carrying only 4 bits),
with a 2-bit type tag ORed into the free low bits of the last character's alphabet index and
the first and last characters swapped (DESIGN.md §3).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import time

import base58

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
ID_LENGTH = 27

# Type tags carried in the last character. Values are part of the ID format: never change them.
TAG_KEY = 1
TAG_FILE_MIMEI = 1
TAG_DB_MIMEI = 2
MIMEI_TAGS = {"file": TAG_FILE_MIMEI, "db": TAG_DB_MIMEI}

_ID_RE = re.compile(r"^[A-Za-z0-9_-]{27}$")
_MMSID_RE = re.compile(r"^[0-9a-f]{40}$")


def leither_id(digest: bytes, tag: int) -> str:
    """Encode a 20-byte digest with a 2-bit type tag as a 27-char Leither ID."""
    if len(digest) != 20:
        raise ValueError("a Leither ID needs a 20-byte digest")
    if not 0 <= tag <= 3:
        raise ValueError("the type tag has 2 bits")
    text = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    text = text[:-1] + ALPHABET[_INDEX[text[-1]] | tag]
    return text[-1] + text[1:-1] + text[0]


def decode_leither_id(text: str) -> tuple[bytes, int]:
    """Return (digest, tag) of a Leither ID; ValueError when it is not one."""
    if not is_leither_id(text):
        raise ValueError(f"not a 27-char Leither ID: {text!r}")
    text = text[-1] + text[1:-1] + text[0]
    last = _INDEX[text[-1]]
    tag = last & 3
    text = text[:-1] + ALPHABET[last & ~3]
    return base64.urlsafe_b64decode(text + "="), tag


def is_leither_id(text: str) -> bool:
    return isinstance(text, str) and bool(_ID_RE.match(text))


def key_id(public_key: bytes) -> str:
    """The Leither ID of a raw 32-byte Ed25519 public key."""
    if len(public_key) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return leither_id(hashlib.sha256(public_key).digest()[:20], TAG_KEY)


def new_mark() -> str:
    """Default Mimei mark: creation time in ns plus random digits, so each create is new."""
    return f"{time.time_ns()}{int.from_bytes(os.urandom(4), 'big') % 10**9:09d}"


def mimei_id(author: str, app_id: str, ext: str, mark: str, mtype: str) -> str:
    """Deterministic mid: the same (author, app, ext, mark, type) always gives the same mid."""
    if mtype not in MIMEI_TAGS:
        raise ValueError(f"unknown Mimei type {mtype!r} (file or db)")
    material = "\x00".join(("mimei/1", author, app_id, ext, mark, mtype)).encode()
    return leither_id(hashlib.sha256(material).digest()[:20], MIMEI_TAGS[mtype])


def mimei_type_of(mid: str) -> str:
    """'file' or 'db', read from a mid's type tag."""
    _, tag = decode_leither_id(mid)
    return "db" if tag == TAG_DB_MIMEI else "file"


def mmsid(secret: bytes, mid: str, version: str, user: str) -> str:
    """An unforgeable 40-hex handle for (mid, version, user): HMAC-SHA256 under the node secret."""
    msg = "\x00".join((mid, version, user)).encode()
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()[:40]


def is_mmsid(text: str) -> bool:
    return isinstance(text, str) and bool(_MMSID_RE.match(text))


# libp2p: protobuf PublicKey{Type=Ed25519(1), Data=32 bytes} inside an identity multihash.
_LIBP2P_ED25519_PREFIX = b"\x08\x01\x12\x20"
_IDENTITY_MULTIHASH_PREFIX = b"\x00\x24"


def peer_id(public_key: bytes) -> str:
    """The libp2p peer ID (base58btc, 12D3KooW...) of an Ed25519 public key."""
    return base58.b58encode(_IDENTITY_MULTIHASH_PREFIX + _LIBP2P_ED25519_PREFIX + public_key).decode()


def public_key_of_peer_id(pid: str) -> bytes:
    """Inverse of peer_id for Ed25519 peer IDs."""
    raw = base58.b58decode(pid)
    prefix = _IDENTITY_MULTIHASH_PREFIX + _LIBP2P_ED25519_PREFIX
    if not raw.startswith(prefix) or len(raw) != len(prefix) + 32:
        raise ValueError(f"not an Ed25519 libp2p peer ID: {pid!r}")
    return raw[len(prefix):]
