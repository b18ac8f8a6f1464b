"""The libp2p engine: a py-libp2p 0.8.1 host in a dedicated trio thread, reached from asyncio
through a narrow interface (DESIGN.md §7). No other package imports libp2p.

What runs in the trio thread: the host (TCP + noise + yamux, identify, ping) with the node's own
Ed25519 key, Kad-DHT in server mode, gossipsub, a bitswap client/server over the node's
blockstore, and the stream handlers registered by the replication layer.

The asyncio side calls `await engine.call(afn, *args)`; worker threads (blocking code run in an
executor) call `engine.call_blocking(afn, *args, timeout=...)`. libp2p objects are only touched
inside trio. Settings and workarounds follow reference/libp2p-eval/REPORT.md:
  * ConnectionConfig(max_connections_per_peer=1)   (defect 1: +250 ms per dial otherwise)
  * connected peers are added to the DHT routing table by us
  * GossipSub(spam_protection_enabled=False) and larger pubsub queues (defect 2)
  * bitswap replies on a new stream and sends the CIDv0 prefix 00 70 12 20 (defects 4, 5)
  * libp2p's logger is given back to the node's logging config
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any, Awaitable, Callable

log = logging.getLogger("mimeidb.p2p")

PUBSUB_QUEUE = 4096
CONNECT_TIMEOUT_S = 10.0
BOOTSTRAP_RETRY_S = 5.0
HINT_PEERS = 8         # connected peers raced for a block fetched without a known source
HINTED_BATCH_S = 5.0   # how long a DAG batch waits on the root's sender before asking everyone

_patched = False


def _patch_libp2p() -> None:
    """The report's workarounds that need module-level changes (applied once per process)."""
    global _patched
    if _patched:
        return
    _patched = True
    import libp2p.pubsub.pubsub as ps_mod
    import libp2p.pubsub.rpc_queue as rq_mod
    from libp2p.bitswap import client as bsc

    ps_mod.SUBSCRIPTION_CHANNEL_SIZE = PUBSUB_QUEUE
    for cls in (getattr(rq_mod, "RpcQueue", None),):
        if cls is not None and cls.__init__.__defaults__:
            defaults = list(cls.__init__.__defaults__)
            defaults[0] = PUBSUB_QUEUE
            cls.__init__.__defaults__ = tuple(defaults)

    inline = bsc.BitswapClient._send_wantlist_responses_inline

    async def reply_on_new_stream(self, stream, peer_id, v100, v110, presences):
        # go/js only read bitswap messages on streams the *remote* opened (defect 4)
        out = await self.host.new_stream(peer_id, [stream.get_protocol()])
        try:
            await inline(self, out, peer_id, v100, v110, presences)
        finally:
            await out.close()

    bsc.BitswapClient._send_wantlist_responses_inline = reply_on_new_stream
    prefix = bsc.get_cid_prefix

    def cid_prefix(cid):  # CIDv0 blocks need the prefix 00 70 12 20, not b"" (defect 5)
        return prefix(cid) or bytes([0x00, 0x70, 0x12, 0x20])

    bsc.get_cid_prefix = cid_prefix


def _tame_logging() -> None:
    """Importing libp2p sets its logger to propagate=False with no handler: undo that, and
    quieten its chattiest loggers (REPORT.md §4, other pitfalls)."""
    for name in list(logging.root.manager.loggerDict):
        if name == "libp2p" or name.startswith("libp2p."):
            lg = logging.getLogger(name)
            lg.handlers[:] = []
            lg.propagate = True
            lg.setLevel(logging.NOTSET)
    logging.getLogger("libp2p").setLevel(logging.ERROR)
    logging.getLogger("libp2p.bitswap").setLevel(logging.CRITICAL)


class P2PError(Exception):
    """A network operation that failed; the message is for the user."""


class Engine:
    """One libp2p host for the node, in its own trio thread."""

    def __init__(self, seed: bytes, listen: list[str], bootstrap: list[str], blocks: Any,
                 validators: dict[str, Any] | None = None) -> None:
        self.seed = seed
        self.listen = listen
        self.bootstrap = list(bootstrap)
        self.blocks = blocks  # a mimeidb BlockStore (get/has/put by binary CID)
        self.validators = validators or {}
        self.handlers: dict[str, Callable] = {}  # protocol -> async fn(stream) run in trio
        self.peer_id = ""
        self.started_at = 0.0
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._token = None
        self._stop_event = None
        self.nursery = None
        self.host = self.dht = self.pubsub = self.gossipsub = self.bitswap = None
        self._subs: dict[str, list[Callable[[bytes, str], None]]] = {}
        self._block_source: dict[bytes, Any] = {}  # CID -> peer that sent it (a DAG fetch hint)

    # -- lifecycle (called from the asyncio thread) -----------------------------------
    def start(self, timeout: float = 20.0) -> None:
        import trio  # noqa: F401 - fail here, not in the thread, when it is missing
        _patch_libp2p()
        _tame_logging()
        self._thread = threading.Thread(target=self._thread_main, name="p2p-trio", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise P2PError("the p2p engine did not start in time")
        if self._error is not None:
            raise P2PError(f"the p2p engine failed to start: {self._error}") from self._error
        self.started_at = time.time()

    def stop(self, timeout: float = 5.0) -> None:
        if self._token is not None and self._stop_event is not None:
            try:
                self._token.run_sync_soon(self._stop_event.set)
            except Exception:  # the trio loop already ended
                pass
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._error is None

    def _thread_main(self) -> None:
        import trio
        try:
            trio.run(self._main)
        except BaseException as exc:  # noqa: BLE001 - reported to start() / the log
            if not self._ready.is_set():
                self._error = exc
                self._ready.set()
            else:
                log.warning("p2p engine stopped with an error: %r", exc)

    async def _main(self) -> None:
        import multiaddr
        import trio
        from libp2p import new_host
        from libp2p.bitswap import BitswapClient
        from libp2p.crypto.ed25519 import create_new_key_pair
        from libp2p.custom_types import TProtocol
        from libp2p.kad_dht.kad_dht import DHTMode, KadDHT
        from libp2p.network.config import ConnectionConfig
        from libp2p.pubsub.gossipsub import PROTOCOL_ID, PROTOCOL_ID_V11, PROTOCOL_ID_V12, GossipSub
        from libp2p.pubsub.pubsub import Pubsub
        from libp2p.tools.anyio_service import background_trio_service

        from replication.bitswap_store import BitswapStore

        self._token = trio.lowlevel.current_trio_token()
        self._stop_event = trio.Event()
        key_pair = create_new_key_pair(self.seed)
        config = ConnectionConfig(max_connections_per_peer=1)
        host = new_host(key_pair=key_pair, connection_config=config,
                        listen_addrs=[multiaddr.Multiaddr(a) for a in self.listen])
        self.host = host
        self.peer_id = str(host.get_id())
        self.gossipsub = GossipSub(
            protocols=[PROTOCOL_ID_V12, PROTOCOL_ID_V11, PROTOCOL_ID],
            degree=6, degree_low=4, degree_high=12, heartbeat_initial_delay=0.1,
            heartbeat_interval=1, spam_protection_enabled=False,
            eclipse_protection_enabled=False)
        self.pubsub = Pubsub(host, self.gossipsub, strict_signing=True)
        async with host.run(listen_addrs=[multiaddr.Multiaddr(a) for a in self.listen]), \
                trio.open_nursery() as nursery:
            self.nursery = nursery
            self.dht = KadDHT(host, DHTMode.SERVER)
            for namespace, validator in self.validators.items():
                self.dht.register_validator(namespace, validator)
            self.bitswap = BitswapClient(host, block_store=BitswapStore(self.blocks))
            await self.bitswap.start()
            self.bitswap.set_nursery(nursery)
            for protocol, handler in self.handlers.items():
                host.set_stream_handler(TProtocol(protocol), handler)
            async with background_trio_service(self.dht), \
                    background_trio_service(self.pubsub), \
                    background_trio_service(self.gossipsub):
                await self.pubsub.wait_until_ready()
                host.get_network().register_notifee(_Notifee(self))
                _tame_logging()
                self._ready.set()
                log.info("p2p %s listening on %s", self.peer_id,
                         ", ".join(str(a) for a in host.get_addrs()))
                if self.bootstrap:
                    nursery.start_soon(self._bootstrap_loop)
                await self._stop_event.wait()
                try:
                    await self.bitswap.stop()
                except Exception:  # noqa: BLE001 - best effort at shutdown
                    pass
                nursery.cancel_scope.cancel()

    async def _bootstrap_loop(self) -> None:
        """Dial the bootstrap peers; retry the ones not connected every few seconds."""
        import trio
        while True:
            connected = {str(p) for p in self.host.get_connected_peers()}
            for addr in self.bootstrap:
                pid = addr.rsplit("/p2p/", 1)[-1] if "/p2p/" in addr else None
                if pid and pid in connected:
                    continue
                try:
                    with trio.fail_after(CONNECT_TIMEOUT_S):
                        await self._connect(addr)
                    log.info("connected to bootstrap peer %s", addr)
                except BaseException as exc:  # noqa: BLE001 - retried later
                    if isinstance(exc, trio.Cancelled):
                        raise
                    log.debug("bootstrap dial %s failed: %s", addr, _reason(exc))
            await trio.sleep(BOOTSTRAP_RETRY_S)

    # -- the bridge ---------------------------------------------------------------------
    async def call(self, afn: Callable[..., Awaitable[Any]], *args: Any,
                   timeout: float | None = None) -> Any:
        """Run afn(*args) in the trio thread; awaited from asyncio. Cancellation crosses over."""
        import trio
        if not self.running or self._token is None:
            raise P2PError("the p2p engine is not running")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future = loop.create_future()
        state: dict[str, Any] = {"cancelled": False, "scope": None}

        def settle(ok: bool, value: Any) -> None:
            if not fut.done():
                if ok:
                    fut.set_result(value)
                else:
                    fut.set_exception(value)

        async def job() -> None:
            if state["cancelled"]:
                return
            with trio.CancelScope() as scope:
                state["scope"] = scope
                if timeout is not None:
                    scope.deadline = trio.current_time() + timeout
                try:
                    value = await afn(*args)
                except Exception as exc:  # noqa: BLE001 - handed to the caller
                    loop.call_soon_threadsafe(settle, False, exc)
                    return
                loop.call_soon_threadsafe(settle, True, value)
            if scope.cancelled_caught:
                loop.call_soon_threadsafe(settle, False, asyncio.TimeoutError())

        def spawn() -> None:
            if self.nursery is not None:
                self.nursery.start_soon(job)

        self._token.run_sync_soon(spawn)
        try:
            return await fut
        except asyncio.CancelledError:
            state["cancelled"] = True
            scope = state["scope"]
            if scope is not None:
                try:
                    self._token.run_sync_soon(scope.cancel)
                except Exception:  # noqa: BLE001
                    pass
            raise

    def call_blocking(self, afn: Callable[..., Awaitable[Any]], *args: Any,
                      timeout: float = 30.0) -> Any:
        """Run afn(*args) in the trio thread from a worker thread (never the asyncio loop)."""
        import trio
        if not self.running or self._token is None:
            raise P2PError("the p2p engine is not running")

        async def bounded() -> Any:
            with trio.fail_after(timeout):
                return await afn(*args)
        try:
            return trio.from_thread.run(bounded, trio_token=self._token)
        except trio.TooSlowError:
            raise TimeoutError(f"timed out after {timeout:g} s") from None

    def emit(self, loop: asyncio.AbstractEventLoop, fn: Callable, *args: Any) -> None:
        """trio -> asyncio: schedule fn(*args) on the asyncio loop."""
        loop.call_soon_threadsafe(fn, *args)

    # -- operations (coroutines run in trio; the public wrappers are awaited from asyncio) --
    async def _connect(self, addr: str) -> str:
        import multiaddr
        from libp2p.peer.peerinfo import info_from_p2p_addr
        info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
        if info.peer_id == self.host.get_id():
            raise P2PError("cannot connect to self")
        await self.host.connect(info)
        await self._add_to_dht(info.peer_id)
        return str(info.peer_id)

    async def _add_to_dht(self, peer_id) -> None:
        try:
            await self.dht.add_peer(peer_id, skip_server_mode_check=True)
        except Exception as exc:  # noqa: BLE001 - routing table is best effort
            log.debug("routing table add %s: %s", peer_id, _reason(exc))

    async def connect(self, addr: str, timeout: float = CONNECT_TIMEOUT_S) -> str:
        """Dial a /ip4/../tcp/../p2p/<id> multiaddr; the peer ID connected to."""
        try:
            return await self.call(self._connect, addr, timeout=timeout)
        except asyncio.TimeoutError:
            raise P2PError(f"connect {addr}: timed out after {timeout:g} s") from None
        except P2PError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise P2PError(f"connect {addr}: {_reason(exc)}") from None

    async def _peers(self) -> list[dict]:
        out = []
        network = self.host.get_network()
        for pid in self.host.get_connected_peers():
            addrs = []
            for conn in _connections(network, pid):
                addr = _remote_addr(conn)
                if addr:
                    addrs.append(addr)
            if not addrs:
                addrs = [str(a) for a in self.host.get_peerstore().addrs(pid)][:1]
            out.append({"Peer": str(pid), "Addr": addrs[0] if addrs else "",
                        "Direction": _direction(network, pid)})
        return sorted(out, key=lambda p: p["Peer"])

    async def peers(self) -> list[dict]:
        return await self.call(self._peers)

    async def _known(self) -> dict[str, list[str]]:
        store = self.host.get_peerstore()
        me = self.host.get_id()
        out = {}
        for pid in store.peer_ids():
            if pid == me:
                continue
            addrs = sorted({_strip_p2p(str(a)) for a in store.addrs(pid)})
            if addrs:
                out[str(pid)] = addrs
        return out

    async def known_peers(self) -> dict[str, list[str]]:
        return await self.call(self._known)

    async def addrs(self) -> list[str]:
        async def get() -> list[str]:
            return list(dict.fromkeys(_strip_p2p(str(a)) for a in self.host.get_addrs()))
        return await self.call(get)

    async def _find_peer(self, peer: str) -> list[str]:
        from libp2p.peer.id import ID
        pid = ID.from_base58(peer)
        if pid == self.host.get_id():
            return [_strip_p2p(str(a)) for a in self.host.get_addrs()]
        info = await self.dht.find_peer(pid)
        if info is None:
            return []
        return list(dict.fromkeys(_strip_p2p(str(a)) for a in info.addrs))

    async def find_peer(self, peer: str, timeout: float = 20.0) -> list[str]:
        try:
            return await self.call(self._find_peer, peer, timeout=timeout)
        except asyncio.TimeoutError:
            return []

    async def provide(self, key: str, timeout: float = 20.0) -> bool:
        async def run() -> bool:
            return bool(await self.dht.provide(key))
        return await self.call(run, timeout=timeout)

    async def find_providers(self, key: str, count: int = 20, timeout: float = 20.0) -> list[dict]:
        async def run() -> list[dict]:
            found: dict[str, list[str]] = {}
            for info in await self.dht.find_providers(key, count):
                addrs = found.setdefault(str(info.peer_id), [])
                for a in info.addrs:
                    text = _strip_p2p(str(a))
                    if text not in addrs:
                        addrs.append(text)
            return [{"ID": pid, "Addrs": addrs} for pid, addrs in found.items()]
        try:
            return await self.call(run, timeout=timeout)
        except asyncio.TimeoutError:
            return []

    async def put_value(self, key: str, value: bytes, timeout: float = 20.0) -> None:
        async def run() -> None:
            await self.dht.put_value(key, value)
        await self.call(run, timeout=timeout)

    async def get_value(self, key: str, timeout: float = 20.0) -> bytes | None:
        async def run() -> bytes | None:
            return await self.dht.get_value(key)
        try:
            return await self.call(run, timeout=timeout)
        except asyncio.TimeoutError:
            return None

    async def publish(self, topic: str, data: bytes) -> None:
        async def run() -> None:
            await self.pubsub.publish(topic, data)
        await self.call(run, timeout=10.0)

    async def subscribe(self, topic: str, callback: Callable[[bytes, str], None]) -> None:
        """Call callback(data, from_peer_id) in the trio thread for each message on topic
        (the caller hands it over to asyncio itself). Subscribing twice adds a callback."""
        async def run() -> None:
            first = topic not in self._subs
            self._subs.setdefault(topic, []).append(callback)
            if not first:
                return
            sub = await self.pubsub.subscribe(topic)

            async def pump() -> None:
                me = self.host.get_id().to_bytes()
                while True:
                    msg = await sub.get()
                    sender = bytes(msg.from_id)
                    if sender == me:
                        continue
                    try:
                        from libp2p.peer.id import ID
                        source = str(ID(sender))
                    except Exception:  # noqa: BLE001
                        source = ""
                    for cb in list(self._subs.get(topic, [])):
                        try:
                            cb(bytes(msg.data), source)
                        except Exception:  # noqa: BLE001 - a bad callback must not stop the pump
                            log.exception("subscriber of %s failed", topic)
            self.nursery.start_soon(pump)
        await self.call(run, timeout=10.0)

    async def mesh_peers(self, topic: str) -> list[str]:
        async def run() -> list[str]:
            return sorted(str(p) for p in self.pubsub.peer_topics.get(topic, set()))
        return await self.call(run)

    async def _get_block(self, cid: bytes, timeout: float) -> bytes:
        """One block from whichever connected peer sends it first.

        py-libp2p's session without a peer hint broadcasts WANT-HAVE and only looks at the
        HAVE answers after a fixed 1 s sub-timeout before it sends WANT-BLOCK, so every fetch
        from Helia (which answers WANT-HAVE with HAVE, not with the block) paid 1 s. With a
        hint it sends WANT-BLOCK at once: we race one hinted session per connected peer (up to
        HINT_PEERS; the first block wins, the others are cancelled) and remember the sender as
        the hint for the rest of the DAG (_fetch_dag). No peers: the unhinted broadcast."""
        import trio
        peers = list(self.host.get_connected_peers())[:HINT_PEERS]
        if not peers:
            return await self.bitswap.new_session().get_block(cid, None, timeout)
        won: list = []

        async def one(peer, cancel_scope) -> None:
            try:
                data = await self.bitswap.new_session().get_block(cid, peer, timeout)
            except Exception as exc:  # noqa: BLE001 - this peer did not send it
                log.debug("bitswap get from %s: %s", peer, _reason(exc))
                return
            if not won:
                won.append((peer, data))
                cancel_scope.cancel()

        async with trio.open_nursery() as nursery:
            for peer in peers:
                nursery.start_soon(one, peer, nursery.cancel_scope)
        if not won:
            raise TimeoutError(f"no connected peer sent the block in {timeout:g} s")
        peer, data = won[0]
        self._block_source[cid] = peer
        while len(self._block_source) > 256:
            self._block_source.pop(next(iter(self._block_source)))
        return data

    async def _fetch_dag(self, root: bytes, block: bytes, timeout: float) -> int:
        """Fetch every block under root this node lacks, level by level in bitswap batches
        (BitswapStore checks each block's hash before storing it). Blocks held are read to
        follow their links too. Returns the number of blocks fetched."""
        from mimeidb.ipfs import dag
        from mimeidb.ipfs.blockstore import multihash_of
        session = self.bitswap.new_session()
        hint = self._block_source.pop(root, None)
        fetched = 0
        seen = {multihash_of(root)}
        level = [(root, block)]
        while level:
            children = []
            for cid, data in level:
                try:
                    links = dag.links(cid, data)
                except ValueError:
                    continue
                for link in links:
                    mh = multihash_of(link)
                    if mh not in seen and not _is_identity(link):
                        seen.add(mh)
                        children.append(link)
            missing = [c for c in children if not self.blocks.has(c)]
            for i in range(0, len(missing), 64):
                batch = missing[i:i + 64]
                if hint is not None:  # WANT-BLOCK straight to the root's sender (see _get_block)
                    try:
                        await session.get_blocks_batch(batch, peer_id=hint,
                                                       timeout=min(timeout, HINTED_BATCH_S))
                    except Exception as exc:  # noqa: BLE001 - the rest is asked of everyone
                        log.debug("bitswap batch from %s: %s", hint, _reason(exc))
                    batch = [c for c in batch if not self.blocks.has(c)]
                    if not batch:
                        continue
                try:
                    await session.get_blocks_batch(batch, timeout=timeout)
                except Exception as exc:  # noqa: BLE001 - what came is kept; a read reports the rest
                    log.debug("bitswap batch: %s", _reason(exc))
            level = []
            for c in children:
                data = self.blocks.get(c)
                if data is not None:
                    level.append((c, data))
            fetched += sum(1 for c in missing if self.blocks.has(c))
        return fetched

    def fetch_dag_blocking(self, root: bytes, block: bytes, timeout: float = 15.0) -> int:
        if not self.running:
            return 0
        try:
            return self.call_blocking(self._fetch_dag, root, block, timeout, timeout=timeout * 20)
        except Exception as exc:  # noqa: BLE001
            log.debug("bitswap DAG fetch under %s failed: %s", root.hex(), _reason(exc))
            return 0

    def get_block_blocking(self, cid: bytes, timeout: float = 15.0) -> bytes | None:
        """Fetch one block over bitswap from connected peers (worker threads only). The block
        store adapter verifies its hash before it is stored. None when nobody sent it."""
        if not self.running:
            return None
        try:
            return self.call_blocking(self._get_block, cid, timeout, timeout=timeout + 2)
        except Exception as exc:  # noqa: BLE001 - a miss
            log.debug("bitswap fetch of %s failed: %s", cid.hex(), _reason(exc))
            return None

    async def get_block(self, cid: bytes, timeout: float = 15.0) -> bytes | None:
        try:
            return await self.call(self._get_block, cid, timeout, timeout=timeout + 2)
        except Exception as exc:  # noqa: BLE001
            log.debug("bitswap fetch of %s failed: %s", cid.hex(), _reason(exc))
            return None

    def has_peers(self) -> bool:
        host = self.host
        try:
            return bool(host is not None and host.get_connected_peers())
        except Exception:  # noqa: BLE001 - read from another thread: a best guess
            return False

    async def open_stream(self, peer: str, protocol: str, fn: Callable[[Any], Awaitable[Any]],
                          timeout: float = 60.0) -> Any:
        """Open a stream to peer on protocol and run `await fn(stream)` in trio; its result."""
        async def run() -> Any:
            from libp2p.custom_types import TProtocol
            from libp2p.peer.id import ID
            stream = await self.host.new_stream(ID.from_base58(peer), [TProtocol(protocol)])
            try:
                return await fn(stream)
            finally:
                try:
                    await stream.close()
                except Exception:  # noqa: BLE001
                    pass
        return await self.call(run, timeout=timeout)


class _Notifee:
    """Adds every newly connected peer to the DHT routing table (libp2p does not)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def opened_stream(self, network, stream) -> None:
        pass

    async def closed_stream(self, network, stream) -> None:
        pass

    async def connected(self, network, conn) -> None:
        try:
            pid = conn.muxed_conn.peer_id
        except AttributeError:
            return
        if self.engine.nursery is not None:
            self.engine.nursery.start_soon(self.engine._add_to_dht, pid)

    async def disconnected(self, network, conn) -> None:
        pass

    async def listen(self, network, multiaddr) -> None:
        pass

    async def listen_close(self, network, multiaddr) -> None:
        pass


def _connections(network, pid) -> list:
    conns = getattr(network, "connections", {}).get(pid)
    if conns is None:
        return []
    return list(conns) if isinstance(conns, (list, tuple, set)) else [conns]


def _remote_addr(conn) -> str | None:
    for getter in ("get_remote_address",):
        try:
            addr = getattr(conn.muxed_conn, getter, None) or getattr(conn, getter, None)
            if addr is None:
                continue
            value = addr()
            if value is None:
                continue
            if isinstance(value, tuple):
                host, port = value[0], value[1]
                return f"/ip4/{host}/tcp/{port}" if ":" not in str(host) else f"/ip6/{host}/tcp/{port}"
            return str(value)
        except Exception:  # noqa: BLE001
            continue
    return None


def _direction(network, pid) -> str:
    for conn in _connections(network, pid):
        try:
            return "inbound" if conn.muxed_conn.secured_conn.is_initiator is False else "outbound"
        except AttributeError:
            continue
    return ""


def _is_identity(cid: bytes) -> bool:
    if len(cid) > 2 and cid[0] == 1:
        from mimeidb.ipfs import cid as cids
        try:
            return cids.info(cid)["hash"]["code"] == cids.IDENTITY
        except ValueError:
            return True
    return False


def _strip_p2p(addr: str) -> str:
    return addr.split("/p2p/", 1)[0]


def _reason(exc: BaseException) -> str:
    """libp2p often hides the cause in the chained exception (REPORT.md §2, experiment 6)."""
    parts = []
    seen = 0
    while exc is not None and seen < 4:
        text = str(exc) or type(exc).__name__
        if text not in parts:
            parts.append(text)
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return ": ".join(parts)
