"""Block stores keyed by multihash, so a CIDv0 and a CIDv1 of the same bytes share one entry.

CIDs are passed around in binary form (bytes): a CIDv0 is the bare sha2-256 multihash
(0x12 0x20 + digest), a CIDv1 is varint(1) + varint(codec) + multihash.
"""
from __future__ import annotations

from typing import Iterable, Iterator, Protocol

from mimeidb.ipfs.cid import read_varint
from mimeidb.store.db import CF_BLOCKS, Database


def multihash_of(cid: bytes) -> bytes:
    """The multihash inside a binary CID (v0 or v1)."""
    if len(cid) == 34 and cid[0] == 0x12 and cid[1] == 0x20:
        return cid
    version, pos = read_varint(cid, 0)
    if version != 1:
        raise ValueError(f"unsupported CID version {version}")
    _, pos = read_varint(cid, pos)  # codec
    return cid[pos:]


class BlockStore(Protocol):
    def get(self, cid: bytes) -> bytes | None: ...
    def has(self, cid: bytes) -> bool: ...
    def put(self, cid: bytes, data: bytes) -> None: ...
    def put_many(self, blocks: Iterable[tuple[bytes, bytes]]) -> None: ...


class MemoryBlockStore:
    """A dict-backed store for tests and for building trees before they are written."""

    def __init__(self) -> None:
        self.blocks: dict[bytes, bytes] = {}

    def get(self, cid: bytes) -> bytes | None:
        return self.blocks.get(multihash_of(cid))

    def has(self, cid: bytes) -> bool:
        return multihash_of(cid) in self.blocks

    def put(self, cid: bytes, data: bytes) -> None:
        self.blocks[multihash_of(cid)] = data

    def put_many(self, blocks: Iterable[tuple[bytes, bytes]]) -> None:
        for cid, data in blocks:
            self.put(cid, data)


class RocksBlockStore:
    """Blocks in the node's `blocks` column family; put_many writes one batch.

    Bulk imports write full batches without the WAL and call `persist()` once at the end:
    with the WAL the log write bounds an import at a fraction of sha256 speed, and blocks are
    content-addressed, so a block lost to a crash before `persist()` only means an import that
    was never acknowledged. Small writes keep the WAL, so a small `add` costs no flush.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cf = db.cf[CF_BLOCKS]
        self._handle = db.handle[CF_BLOCKS]

    def get(self, cid: bytes) -> bytes | None:
        return self._cf.get(multihash_of(cid))

    def has(self, cid: bytes) -> bool:
        return self._cf.get(multihash_of(cid)) is not None

    def put(self, cid: bytes, data: bytes) -> None:
        self._cf[multihash_of(cid)] = data

    def put_many(self, blocks: Iterable[tuple[bytes, bytes]], logged: bool = True) -> None:
        """One batch. logged=False (bulk imports) skips the WAL: those blocks may be lost by a
        crash until `persist()` returns, which the importer calls before its result is used."""
        batch = self._db.batch()
        for cid, data in blocks:
            batch.put(multihash_of(cid), data, self._handle)
        self._db.write(batch, logged=logged)

    def persist(self) -> None:
        """Make every block written so far durable, unlogged ones included (flushes the family)."""
        self._db.flush_family(CF_BLOCKS)

    def delete(self, multihash: bytes) -> None:
        del self._cf[multihash]

    def multihashes(self) -> Iterator[bytes]:
        return iter(self._cf.keys())

    def delete_many(self, multihashes: Iterable[bytes]) -> None:
        """Delete blocks in one batch (garbage collection)."""
        batch = self._db.batch()
        for mh in multihashes:
            batch.delete(mh, self._handle)
        self._db.write(batch)
