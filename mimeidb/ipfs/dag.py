"""Links out of a block for the codecs we walk (dag-pb, raw, dag-cbor), and DAG traversal.

DAG-CBOR links are CBOR tag 42 over a byte string holding 0x00 + binary CID. libipld decodes
links and plain byte strings alike to `bytes`, so links are found by scanning the CBOR
items directly, which is exact.
"""
from __future__ import annotations

from typing import Callable, Iterator

from mimeidb.ipfs import cid as cids
from mimeidb.ipfs import dagpb
from mimeidb.ipfs.blockstore import BlockStore, multihash_of
from mimeidb.ipfs.exporter import BlockMissing, load

_MAX_DEPTH = 512  # nesting limit for hostile CBOR


def links(cid: bytes, block: bytes) -> list[bytes]:
    """CIDs this block links to, in encoding order."""
    codec = cids.codec_of(cid)
    if codec == cids.DAG_PB:
        return [link.cid for link in dagpb.decode(block)[1]]
    if codec == cids.RAW:
        return []
    if codec == cids.DAG_CBOR:
        found: list[bytes] = []
        end = _cbor_item(memoryview(block), 0, found, 0)
        if end != len(block):
            raise ValueError(f"dag-cbor block {cids.format(cid)} has trailing bytes")
        return found
    raise ValueError(f"cannot follow links of codec 0x{codec:x} ({cids.format(cid)})")


def _cbor_head(buf: memoryview, pos: int) -> tuple[int, int, int, int]:
    """(major type, additional info, argument, next position)."""
    if pos >= len(buf):
        raise ValueError("dag-cbor: truncated item")
    first = buf[pos]
    major, info = first >> 5, first & 0x1F
    pos += 1
    if info < 24:
        return major, info, info, pos
    width = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
    if width is None:
        raise ValueError("dag-cbor: indefinite lengths are not allowed")
    if pos + width > len(buf):
        raise ValueError("dag-cbor: truncated item")
    return major, info, int.from_bytes(buf[pos:pos + width], "big"), pos + width


def _cbor_item(buf: memoryview, pos: int, found: list[bytes], depth: int) -> int:
    if depth > _MAX_DEPTH:
        raise ValueError("dag-cbor: nesting too deep")
    major, info, arg, pos = _cbor_head(buf, pos)
    if major in (0, 1) or major == 7:
        return pos
    if major in (2, 3):
        if pos + arg > len(buf):
            raise ValueError("dag-cbor: truncated string")
        return pos + arg
    if major == 4:
        for _ in range(arg):
            pos = _cbor_item(buf, pos, found, depth + 1)
        return pos
    if major == 5:
        for _ in range(2 * arg):
            pos = _cbor_item(buf, pos, found, depth + 1)
        return pos
    # major 6: a tag
    if arg != 42:
        raise ValueError(f"dag-cbor: unsupported tag {arg}")
    inner_major, _, size, start = _cbor_head(buf, pos)
    if inner_major != 2 or size < 2 or buf[start] != 0 or start + size > len(buf):
        raise ValueError("dag-cbor: malformed link")
    found.append(bytes(buf[start + 1:start + size]))
    return start + size


def walk(store: BlockStore, root: bytes,
         on_missing: Callable[[bytes], None] | None = None) -> Iterator[tuple[bytes, bytes]]:
    """(cid, block) of every block reachable from root, depth-first pre-order, each once.

    A missing block raises exporter.BlockMissing unless `on_missing` is given.
    """
    seen: set[bytes] = set()
    stack = [root]
    while stack:
        cid = stack.pop()
        mh = multihash_of(cid)
        if mh in seen:
            continue
        seen.add(mh)
        try:
            block = load(store, cid)
        except BlockMissing:
            if on_missing is None:
                raise
            on_missing(cid)
            continue
        yield cid, block
        stack.extend(reversed(links(cid, block)))
