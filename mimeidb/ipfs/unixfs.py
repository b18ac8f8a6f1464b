"""The UnixFS Data message carried in a dag-pb node's Data field, and the node shapes kubo makes.

Field numbers (from the UnixFS spec): Type 1, Data 2, filesize 3, blocksizes 4 (repeated,
unpacked, as kubo writes them), hashType 5, fanout 6. Encoders emit fields in number order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from mimeidb.ipfs import dagpb
from mimeidb.ipfs.cid import varint


class Kind(IntEnum):
    """On-disk values from the UnixFS spec: never renumber."""
    RAW = 0
    DIRECTORY = 1
    FILE = 2
    METADATA = 3
    SYMLINK = 4
    HAMT_SHARD = 5


@dataclass(slots=True)
class Data:
    kind: Kind
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: list[int] = field(default_factory=list)
    hash_type: int | None = None
    fanout: int | None = None


def encode(kind: Kind, data: bytes | None = None, filesize: int | None = None,
           blocksizes: list[int] = (), hash_type: int | None = None,
           fanout: int | None = None) -> bytes:
    out = [b"\x08" + varint(kind)]
    if data:
        out.append(b"\x12" + varint(len(data)) + data)
    if filesize is not None:
        out.append(b"\x18" + varint(filesize))
    out.extend(b"\x20" + varint(size) for size in blocksizes)
    if hash_type is not None:
        out.append(b"\x28" + varint(hash_type))
    if fanout is not None:
        out.append(b"\x30" + varint(fanout))
    return b"".join(out)


def decode(buf: bytes) -> Data:
    result = Data(Kind.RAW)
    seen_type = False
    for number, value in dagpb.fields(buf):
        if number == 1 and isinstance(value, int):
            try:
                result.kind = Kind(value)
            except ValueError:
                raise ValueError(f"unixfs: unknown node type {value}") from None
            seen_type = True
        elif number == 2 and isinstance(value, bytes):
            result.data = value
        elif number == 3 and isinstance(value, int):
            result.filesize = value
        elif number == 4 and isinstance(value, int):
            result.blocksizes.append(value)
        elif number == 5 and isinstance(value, int):
            result.hash_type = value
        elif number == 6 and isinstance(value, int):
            result.fanout = value
    if not seen_type:
        raise ValueError("unixfs: Data message without a Type")
    return result


def leaf_frame(size: int) -> tuple[bytes, bytes]:
    """(prefix, suffix) around a chunk of `size` bytes to make a kubo dag-pb file leaf.

    The leaf is PBNode{Data: UnixFS{Type: File, Data: chunk, filesize: size}}; building it as
    prefix + chunk + suffix costs one copy of the chunk and no per-byte Python work.
    """
    if size == 0:
        inner_head, inner_tail = b"\x08\x02", b"\x18\x00"
    else:
        inner_head = b"\x08\x02\x12" + varint(size)
        inner_tail = b"\x18" + varint(size)
    inner_len = len(inner_head) + size + len(inner_tail)
    return b"\x0a" + varint(inner_len) + inner_head, inner_tail


def file_node(links: list[dagpb.Link], sizes: list[int]) -> bytes:
    """An internal file node: children in order, their file sizes as blocksizes."""
    return dagpb.encode(encode(Kind.FILE, filesize=sum(sizes), blocksizes=sizes), links)


DIRECTORY_DATA = encode(Kind.DIRECTORY)


def directory_node(links: list[dagpb.Link]) -> bytes:
    """A plain (unsharded) directory: links sorted by name bytes, as kubo writes them."""
    ordered = sorted(links, key=lambda link: link.name.encode("utf-8", "surrogateescape"))
    return dagpb.encode(DIRECTORY_DATA, ordered)


def symlink_node(target: str) -> bytes:
    return dagpb.encode(encode(Kind.SYMLINK, data=target.encode()))
