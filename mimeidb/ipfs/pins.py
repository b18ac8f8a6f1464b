"""Recursive pins and garbage collection of the block store.

A pin is a key `pin/` + binary CID in the `meta` column family. GC keeps every block
reachable from a pin or from the roots the caller passes (the Mimei version roots, which
this module does not know about), plus single blocks the caller names (commits, records),
and deletes the rest.
"""
from __future__ import annotations

from typing import Iterable

from mimeidb.ipfs import cid as cids
from mimeidb.ipfs import dag
from mimeidb.ipfs.blockstore import RocksBlockStore, multihash_of
from mimeidb.store.db import CF_META, Database

PIN_PREFIX = b"pin/"
RECURSIVE = b"recursive"


def pin_add(db: Database, store: RocksBlockStore, cid: bytes) -> None:
    """Pin a DAG; every block must be local (BlockMissing names the first one that is not)."""
    for _ in dag.walk(store, cid):
        pass
    db.cf[CF_META][PIN_PREFIX + cid] = RECURSIVE


def pin_written(db: Database, cid: bytes) -> None:
    """Pin a DAG the caller has just written in full (an import): no walk to check it."""
    db.cf[CF_META][PIN_PREFIX + cid] = RECURSIVE


def pin_rm(db: Database, cid: bytes) -> None:
    meta = db.cf[CF_META]
    if meta.get(PIN_PREFIX + cid) is None:
        raise KeyError(f"{cids.format(cid)} is not pinned")
    del meta[PIN_PREFIX + cid]


def is_pinned(db: Database, cid: bytes) -> bool:
    return db.cf[CF_META].get(PIN_PREFIX + cid) is not None


def pin_ls(db: Database) -> list[bytes]:
    out = []
    for key in db.cf[CF_META].keys(from_key=PIN_PREFIX):
        if not key.startswith(PIN_PREFIX):
            break
        out.append(key[len(PIN_PREFIX):])
    return out


def reachable(store: RocksBlockStore, roots: Iterable[bytes]) -> set[bytes]:
    """Multihashes of every local block reachable from roots (missing blocks are skipped)."""
    keep: set[bytes] = set()
    for root in roots:
        if multihash_of(root) in keep:
            continue
        for cid, _ in dag.walk(store, root, on_missing=lambda _cid: None):
            keep.add(multihash_of(cid))
    return keep


def gc(db: Database, store: RocksBlockStore, extra_roots: Iterable[bytes] = (),
       keep: Iterable[bytes] = ()) -> int:
    """Delete every block not reachable from a pin or from extra_roots, nor named in `keep`
    (CIDs kept as single blocks, their links not followed); returns the count.

    Not safe against a concurrent import whose blocks are not pinned yet: callers run it
    while no `add` is in progress (the gateway serialises them with a lock).
    """
    kept = reachable(store, [*pin_ls(db), *extra_roots])
    kept.update(multihash_of(cid) for cid in keep)
    doomed = [mh for mh in store.multihashes() if mh not in kept]
    store.delete_many(doomed)
    return len(doomed)
