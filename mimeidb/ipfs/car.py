"""CAR v1: a streaming writer and a verifying reader.

Layout: varint(len(header)) + DAG-CBOR header {"roots": [links], "version": 1}, then per
block varint(len(cid) + len(data)) + binary CID + data. The header is written by hand (two
keys, canonical order) so CIDv0 roots are encoded as links too. The reader checks every
block's bytes against its CID's multihash before yielding it: nothing unverified gets out.
"""
from __future__ import annotations

import hashlib
from typing import BinaryIO, Iterable, Iterator

import libipld

from mimeidb.ipfs import cid as cids
from mimeidb.ipfs import dag
from mimeidb.ipfs.blockstore import BlockStore

MAX_SECTION = 8 << 20   # largest block section accepted (kubo limits blocks to 4 MiB; CAR tools to ~8)
MAX_HEADER = 1 << 20


class CarError(ValueError):
    pass


def _cbor_bytes_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes((major << 5 | n,))
    for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * width):
            return bytes((major << 5 | info,)) + n.to_bytes(width, "big")
    raise ValueError("length too large")


def encode_header(roots: list[bytes]) -> bytes:
    out = [b"\xa2", b"\x65roots", _cbor_bytes_head(4, len(roots))]
    for root in roots:
        out.append(b"\xd8\x2a" + _cbor_bytes_head(2, len(root) + 1) + b"\x00" + root)
    out.append(b"\x67version\x01")
    return b"".join(out)


def write_car(roots: list[bytes], blocks: Iterable[tuple[bytes, bytes]]) -> Iterator[bytes]:
    """The CAR as a stream of byte strings (one per block section)."""
    header = encode_header(roots)
    yield cids.varint(len(header)) + header
    for cid, data in blocks:
        yield cids.varint(len(cid) + len(data)) + cid + data


def dag_blocks(store: BlockStore, root: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Every block of the DAG under root, depth-first in link order (for `dag export`)."""
    return dag.walk(store, root)


def verify(cid: bytes, data: bytes) -> None:
    """Raise CarError unless data hashes to the CID's multihash."""
    h = cids.info(cid)["hash"]
    code, digest = h["code"], h["digest"]
    if code == cids.SHA2_256:
        actual = hashlib.sha256(data).digest()
    elif code == 0x13:
        actual = hashlib.sha512(data).digest()
    elif code == 0xB220:
        actual = hashlib.blake2b(data, digest_size=32).digest()
    elif code == cids.IDENTITY:
        actual = data
    else:
        raise CarError(f"unsupported hash function 0x{code:x} in {cids.format(cid)}")
    if actual[:len(digest)] != digest or len(digest) > len(actual):
        raise CarError(f"block {cids.format(cid)} does not match its hash")


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        piece = stream.read(n - got)
        if not piece:
            raise CarError("CAR truncated")
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


def _read_varint(stream: BinaryIO) -> int | None:
    """A varint from the stream, or None at a clean end of stream."""
    value = shift = 0
    while True:
        byte = stream.read(1)
        if not byte:
            if shift:
                raise CarError("CAR truncated inside a varint")
            return None
        value |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return value
        shift += 7
        if shift > 63:
            raise CarError("CAR varint too long")


def _split_cid(section: bytes) -> int:
    """Length of the binary CID that starts the block section."""
    if section[:2] == b"\x12\x20":
        return 34
    pos = 0
    try:
        for _ in range(3):          # version, codec, hash code
            _, pos = cids.read_varint(section, pos)
        size, pos = cids.read_varint(section, pos)
    except ValueError as exc:
        raise CarError(f"malformed CID in CAR: {exc}") from None
    if section[0] != 1 or pos + size > len(section):
        raise CarError("malformed CID in CAR")
    return pos + size


def read_car(stream: BinaryIO) -> tuple[list[bytes], Iterator[tuple[bytes, bytes]]]:
    """(roots, verified blocks) of a CAR v1 stream; blocks are read lazily, in order."""
    size = _read_varint(stream)
    if size is None or size == 0 or size > MAX_HEADER:
        raise CarError("not a CAR file: bad header length")
    try:
        header = libipld.decode_dag_cbor(_read_exact(stream, size))
    except ValueError as exc:
        raise CarError(f"not a CAR file: {exc}") from None
    if not isinstance(header, dict) or header.get("version") != 1:
        raise CarError("only CAR version 1 is supported")
    roots = header.get("roots")
    if not isinstance(roots, list) or not all(isinstance(r, bytes) for r in roots):
        raise CarError("CAR header has no valid roots")
    for root in roots:
        cids.info(root)
    return roots, _blocks(stream)


def _blocks(stream: BinaryIO) -> Iterator[tuple[bytes, bytes]]:
    while True:
        size = _read_varint(stream)
        if size is None:
            return
        if size > MAX_SECTION:
            raise CarError(f"CAR block section of {size} bytes is too large")
        section = _read_exact(stream, size)
        n = _split_cid(section)
        cid, data = section[:n], section[n:]
        try:
            verify(cid, data)
        except ValueError as exc:
            raise CarError(str(exc)) from None
        yield cid, data


def import_car(store: BlockStore, stream: BinaryIO, batch_bytes: int = 8 << 20) -> tuple[list[bytes], int]:
    """Verify and store every block of a CAR; returns (roots, block count).

    Blocks are written in batches only after each is verified; a bad block stops the import
    (blocks of earlier batches stay, harmless: content-addressed and unpinned).
    """
    roots, blocks = read_car(stream)
    pending: list[tuple[bytes, bytes]] = []
    pending_bytes = count = 0
    bulk = hasattr(store, "persist")  # full batches skip the WAL, persisted once at the end
    unpersisted = False
    for cid, data in blocks:
        pending.append((cid, data))
        pending_bytes += len(data)
        count += 1
        if pending_bytes >= batch_bytes:
            if bulk:
                store.put_many(pending, False)
                unpersisted = True
            else:
                store.put_many(pending)
            pending, pending_bytes = [], 0
    if pending:
        store.put_many(pending)
    if unpersisted:
        store.persist()
    return roots, count
