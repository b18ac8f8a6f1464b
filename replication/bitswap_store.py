"""The node's blockstore seen by py-libp2p's bitswap, and the node blockstore that falls back
to bitswap on a miss.

BitswapStore: bitswap serves what the node holds, and every block it receives is checked
against its CID's hash here, before it is stored (libp2p checks too; we do not rely on it).

NetworkBlockStore: wraps the node's RocksBlockStore. A `get` that misses locally, called from a
worker thread while peers are connected, asks them over bitswap (`ipfs cat/get` of a CID not
held locally) and then fetches the whole DAG under that block, since later reads may run on the
event loop. On the asyncio loop thread it never blocks: a miss stays a miss there.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Iterable

from mimeidb.ipfs import car
from mimeidb.ipfs import cid as cids

log = logging.getLogger("mimeidb.p2p.blocks")

FETCH_TIMEOUT_S = 15.0


def _binary(cid: Any) -> bytes:
    if isinstance(cid, (bytes, bytearray, memoryview)):
        return bytes(cid)
    buffer = getattr(cid, "buffer", None)
    if buffer is not None:
        return bytes(buffer)
    return cids.parse(str(cid))


def hash_ok(cid: bytes, data: bytes) -> bool:
    try:
        car.verify(cid, data)
        return True
    except (car.CarError, ValueError):
        return False


class BitswapStore:
    """libp2p.bitswap.block_store.BlockStore over a mimeidb BlockStore (duck-typed)."""

    def __init__(self, blocks: Any) -> None:
        self.blocks = blocks
        self.rejected = 0

    async def get_block(self, cid: Any) -> bytes | None:
        try:
            return self.blocks.get(_binary(cid))
        except Exception:  # noqa: BLE001 - a closed store at shutdown: a miss
            return None

    async def put_block(self, cid: Any, data: bytes) -> None:
        binary = _binary(cid)
        if not hash_ok(binary, data):
            self.rejected += 1
            log.warning("bitswap: rejected a block that does not match %s", cids.format(binary))
            return
        self.blocks.put(binary, bytes(data))

    async def has_block(self, cid: Any) -> bool:
        try:
            return self.blocks.has(_binary(cid))
        except Exception:  # noqa: BLE001
            return False

    async def delete_block(self, cid: Any) -> None:
        return None  # the node's gc owns deletion

    def get_all_cids(self) -> list[bytes]:
        return []  # never enumerated by the paths we use; the store can be large


class NetworkBlockStore:
    """The node blockstore with a bitswap fallback for reads from worker threads."""

    def __init__(self, local: Any, engine: Any, loop_thread: int | None = None) -> None:
        self.local = local
        self.engine = engine
        self.loop_thread = loop_thread if loop_thread is not None else threading.get_ident()
        self.fetched = 0

    def __getattr__(self, name: str) -> Any:  # persist, delete, multihashes, ... as is
        return getattr(self.local, name)

    def get(self, cid: bytes) -> bytes | None:
        data = self.local.get(cid)
        if data is not None or not self._may_fetch(cid):
            return data
        data = self.engine.get_block_blocking(cid, FETCH_TIMEOUT_S)
        if data is None or not hash_ok(cid, data):
            return None
        if not self.local.has(cid):
            self.local.put(cid, data)
        self.fetched += 1
        # the readers that follow (e.g. the gateway streaming a file) run on the event loop and
        # cannot wait for the network: bring the whole DAG under this block now
        self.fetched += self.engine.fetch_dag_blocking(cid, data, FETCH_TIMEOUT_S)
        return data

    def has(self, cid: bytes) -> bool:
        return self.local.has(cid)

    def put(self, cid: bytes, data: bytes) -> None:
        self.local.put(cid, data)

    def put_many(self, blocks: Iterable[tuple[bytes, bytes]], *args: Any, **kw: Any) -> None:
        self.local.put_many(blocks, *args, **kw)

    def _may_fetch(self, cid: bytes) -> bool:
        if threading.get_ident() == self.loop_thread:
            return False
        try:
            asyncio.get_running_loop()
            return False  # some other event loop: never block it
        except RuntimeError:
            pass
        if len(cid) > 2 and cid[0] == 1:
            try:
                if cids.info(cid)["hash"]["code"] == cids.IDENTITY:
                    return False
            except ValueError:
                return False
        return self.engine.running and self.engine.has_peers()
