"""The dag-pb codec (PBNode/PBLink protobuf), written by hand: two messages, five fields.

Encoding follows the dag-pb spec and kubo byte for byte: links first (field 2), each with
Hash, Name (always present, even empty, as kubo writes it) and Tsize; then Data (field 1)
when present. Decoding accepts fields in any order and rejects unknown wire types.
"""
from __future__ import annotations

from typing import NamedTuple

from mimeidb.ipfs.cid import read_varint, varint


class Link(NamedTuple):
    cid: bytes
    name: str
    tsize: int


def encode_link(link: Link) -> bytes:
    name = link.name.encode()
    body = (b"\x0a" + varint(len(link.cid)) + link.cid
            + b"\x12" + varint(len(name)) + name
            + b"\x18" + varint(link.tsize))
    return b"\x12" + varint(len(body)) + body


def encode(data: bytes | None, links: list[Link] = ()) -> bytes:
    """A PBNode; callers sort directory links by name before calling (files keep order)."""
    parts = [encode_link(link) for link in links]
    if data is not None:
        parts.append(b"\x0a" + varint(len(data)) + data)
    return b"".join(parts)


def _fields(buf: bytes | memoryview):
    """Yield (field number, value) with bytes values for length-delimited fields."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 2:
            size, pos = read_varint(buf, pos)
            if pos + size > end:
                raise ValueError("dag-pb: truncated field")
            value = bytes(buf[pos:pos + size])
            pos += size
        else:
            raise ValueError(f"dag-pb: unsupported wire type {wire}")
        yield field, value


def decode(block: bytes) -> tuple[bytes | None, list[Link]]:
    """(Data or None, links) of a PBNode."""
    data: bytes | None = None
    links: list[Link] = []
    for field, value in _fields(memoryview(block)):
        if field == 1 and isinstance(value, bytes):
            data = value
        elif field == 2 and isinstance(value, bytes):
            links.append(_decode_link(value))
        else:
            raise ValueError(f"dag-pb: unexpected PBNode field {field}")
    return data, links


def _decode_link(buf: bytes) -> Link:
    cid, name, tsize = b"", "", 0
    for field, value in _fields(buf):
        if field == 1 and isinstance(value, bytes):
            cid = value
        elif field == 2 and isinstance(value, bytes):
            name = value.decode("utf-8", "surrogateescape")
        elif field == 3 and isinstance(value, int):
            tsize = value
        else:
            raise ValueError(f"dag-pb: unexpected PBLink field {field}")
    if not cid:
        raise ValueError("dag-pb: link without a hash")
    return Link(cid, name, tsize)


def fields(buf: bytes) -> list[tuple[int, bytes | int]]:
    """Generic protobuf fields of a message (used for the UnixFS Data message)."""
    return list(_fields(memoryview(buf)))
