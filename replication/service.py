"""The node's p2p service: the engine plus Mimei publish / sync / provide / findprovs.

`node.p2p` is a P2PService. It starts the engine on the node's key and p2p port, serves the
blockstore over bitswap and /mimeidb/sync/1.0.0, makes `node.blocks` fall back to bitswap for
reads in worker threads, and keeps published Mimei announced:

  publish(mid)  signed head record -> DHT (/mimeidb/<mid>), provider record for the mid,
                announcement on the Mimei's gossipsub topic; later versions of a published
                Mimei are announced by themselves the moment they are stored (MimeiManager's
                version listener: backup, auto-backup, setcid, import), gossip first and the
                DHT record after it, coalesced; a poll every second is the safety net, and
                the record is renewed well before its end of life.
  sync(mid)     head from the DHT / providers, blocks over the sync protocol into memory
                (one round trip for a follower: the peer sends the MST diff's new blocks),
                verify_commit, then (and only then) stored and indexed.
  follow(mid)   (`mimei provide`) subscribe and sync on each valid announcement, straight from
                the announcing peer, one sync at a time per Mimei to the newest version
                announced; the node becomes a provider of the mid. Followed mids are kept in
                <home>/p2p.json.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from typing import Any

import orjson

from mimeidb import ids
from mimeidb.ipfs import cid as cids
from mimeidb.versions.verify import VerificationError, verify_commit
from replication.bitswap_store import NetworkBlockStore
from replication.engine import Engine, P2PError
from replication.heads import (DEFAULT_EOL_H, DHT_NAMESPACE, Head, HeadError, HeadValidator,
                               dht_key, provider_key, topic)
from replication.sync import PROTOCOL, Overlay, SyncError, SyncServer, ask_head, fetch

log = logging.getLogger("mimeidb.p2p")

STATE_FILE = "p2p.json"
WATCH_INTERVAL_S = 1.0
RENEW_AFTER_S = 3600.0
INLINE_VERIFY_BLOCKS = 64  # verify + store on the loop below this many received blocks
MAX_CHECKED = 2_000_000   # verified-subtree memo entries kept per Mimei before starting over


def node_key(leither_id: str) -> str:
    """The DHT provider key a node announces for its own Leither ID (dht findpeer <id>)."""
    return provider_key("node/" + leither_id)


class P2PService:
    def __init__(self, node: Any) -> None:
        self.node = node
        self.engine: Engine | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.heads: dict[str, bytes] = {}        # mid -> newest valid signed head known here
        self.published: dict[str, dict] = {}     # mid -> {"version", "eol_h", "at"}
        self.followed: set[str] = set()
        self.stats = {"rejected_heads": 0, "rejected_syncs": 0, "synced": 0, "synced_by_diff": 0}
        self.bad_peers: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: list[asyncio.Task] = []
        self._local_blocks = node.blocks
        self.started_ms = 0.0
        self.mdns = None               # replication.mdns.MdnsDiscovery while LAN discovery runs
        self.ready = asyncio.Event()   # set once start() ended, started or not
        self._announcing: dict[str, bool] = {}   # mid -> another version came while announcing
        self._dht_pending: dict[str, bool] = {}  # mid -> the DHT record needs another put
        self._wanted: dict[str, tuple[Head, str]] = {}  # mid -> newest announced head, source
        self._following: set[str] = set()        # mids with a follow worker running
        self._checked: dict[str, dict] = {}      # mid -> verify_commit memo of its subtrees

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        node = self.node
        settings = node.settings
        bind = settings.Bind or "0.0.0.0"
        proto = "ip6" if ":" in bind else "ip4"
        listen = [f"/{proto}/{bind}/tcp/{settings.P2PPort}"]
        engine = Engine(node.key.seed, listen, list(settings.Bootstrap or []), self._local_blocks,
                        validators={DHT_NAMESPACE: HeadValidator()})
        server = SyncServer(self._local_blocks, self._head_of)
        engine.handlers[PROTOCOL] = server.handle
        self.loop = asyncio.get_running_loop()
        t0 = time.perf_counter()
        try:
            await asyncio.to_thread(engine.start)
        finally:
            self.ready.set()
        self.started_ms = (time.perf_counter() - t0) * 1000
        if engine.peer_id != node.peer_id:
            engine.stop()
            self.ready.set()
            raise P2PError(f"libp2p peer ID {engine.peer_id} differs from the node's {node.peer_id}")
        self.engine = engine
        self.ready.set()
        node.blocks = NetworkBlockStore(self._local_blocks, engine, threading.get_ident())
        self._load_state()
        node.mimei.add_version_listener(self._on_version)
        self._tasks.append(asyncio.create_task(self._watch_loop()))
        self._tasks.append(asyncio.create_task(self._announce_self()))
        for mid in sorted(self.followed):
            self._tasks.append(asyncio.create_task(self._start_follow(mid)))
        if getattr(settings, "MDNS", True):
            self._tasks.append(asyncio.create_task(self._start_mdns()))

    async def stop(self) -> None:
        if self.mdns is not None:
            try:
                await self.mdns.stop()
            except Exception as exc:  # noqa: BLE001
                log.debug("mDNS stop: %r", exc)
            self.mdns = None
        self.node.mimei.remove_version_listener(self._on_version)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.engine is not None:
            self.node.blocks = self._local_blocks
            await asyncio.to_thread(self.engine.stop)
            self.engine = None

    @property
    def eng(self) -> Engine:
        if self.engine is None or not self.engine.running:
            raise P2PError("the p2p engine is not running (see the node log)")
        return self.engine

    def _state_path(self):
        return self.node.home.file(STATE_FILE)

    def _load_state(self) -> None:
        try:
            state = orjson.loads(self._state_path().read_bytes())
        except (OSError, ValueError):
            return
        self.followed = {m for m in state.get("follow", []) if ids.is_leither_id(m)}
        for mid, info in (state.get("publish") or {}).items():
            if ids.is_leither_id(mid):
                self.published[mid] = {"version": 0, "eol_h": info.get("eol_h", DEFAULT_EOL_H), "at": 0}

    def _save_state(self) -> None:
        state = {"follow": sorted(self.followed),
                 "publish": {m: {"eol_h": p["eol_h"]} for m, p in self.published.items()}}
        path = self._state_path()
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(orjson.dumps(state, option=orjson.OPT_INDENT_2))
        tmp.replace(path)

    # -- what this node holds (called from the trio thread too: reads only) ---------------
    def _head_of(self, mid: str) -> tuple[int, bytes | None, bytes | None]:
        try:
            versions = self.node.mimei.versions
            last = versions.last(mid)
            commit = versions.commit_cid(mid, last) if last else None
        except Exception:  # noqa: BLE001 - a bad mid or a closing store
            return 0, None, None
        head = self.heads.get(mid)
        if head is not None:
            try:
                if Head.decode(head).version != last:
                    head = None
            except HeadError:
                head = None
        return last, commit, head

    # -- LAN discovery (mDNS) -------------------------------------------------------------
    async def _start_mdns(self) -> None:
        """Advertise this node and dial the mimeidb nodes found on the LAN (replication/mdns.py).
        Runs beside the rest: a failure only leaves discovery off."""
        try:
            from replication.mdns import MdnsDiscovery
            node = self.node
            mdns = MdnsDiscovery(node.peer_id, node.id, node.settings.P2PPort,
                                 await asyncio.to_thread(node.local_addrs),
                                 node.settings.Bind or "0.0.0.0",
                                 self._mdns_dial, self._connected_peers)
            self.mdns = mdns
            await mdns.start()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - no zeroconf, no multicast, port 5353 refused ...
            if self.mdns is not None and self.mdns.closed:
                log.debug("mDNS start ended by stop: %r", exc)
                return
            log.warning("mDNS discovery not started: %s", exc)
            if self.mdns is not None:
                mdns, self.mdns = self.mdns, None
                await mdns.stop()

    async def _mdns_dial(self, addr: str) -> str:
        from replication.mdns import DIAL_TIMEOUT_S
        return await self.eng.connect(addr, timeout=DIAL_TIMEOUT_S)

    async def _connected_peers(self) -> set[str]:
        return {p["Peer"] for p in await self.eng.peers()}

    # -- swarm ----------------------------------------------------------------------------
    async def _announce_self(self) -> None:
        """Provide this node's Leither ID in the DHT (so `dht findpeer <Leither ID>` works),
        again after the first peers connect and then every so often."""
        key = node_key(self.node.id)
        delay = 0.5
        while True:
            await asyncio.sleep(delay)
            try:
                if self.engine is not None and self.engine.has_peers():
                    await self.engine.provide(key)
                    delay = 600.0 if delay >= 5 else delay * 2
                else:
                    delay = 0.5
            except Exception as exc:  # noqa: BLE001
                log.debug("provide of the node ID failed: %s", exc)

    async def find_peer(self, who: str) -> tuple[str, list[str]]:
        """A peer ID's or a node Leither ID's addresses."""
        eng = self.eng
        peer = who
        if ids.is_leither_id(who):
            peer = ""
            for pid in list((await eng.known_peers()).keys()) + [p["Peer"] for p in await eng.peers()]:
                try:
                    if ids.key_id(ids.public_key_of_peer_id(pid)) == who:
                        peer = pid
                        break
                except Exception:  # noqa: BLE001 - a non-Ed25519 peer
                    continue
            if not peer:
                for prov in await eng.find_providers(node_key(who)):
                    try:
                        if ids.key_id(ids.public_key_of_peer_id(prov["ID"])) == who:
                            peer = prov["ID"]
                            break
                    except Exception:  # noqa: BLE001
                        continue
            if not peer:
                raise P2PError(f"no peer found for Leither ID {who}")
            if peer == self.node.peer_id:
                return peer, await eng.addrs()
        return peer, await eng.find_peer(peer)

    # -- publish ----------------------------------------------------------------------------
    def _head_value(self, mid: str, eol_h: float) -> tuple[int, bytes, bytes]:
        """(last version, its commit CID, the signed head record to announce)."""
        mimei = self.node.mimei
        record = mimei.require(mid)
        last = mimei.versions.last(mid)
        if not last:
            raise P2PError(f"{mid} has no version to publish: back it up first")
        commit = mimei.versions.commit_cid(mid, last)
        head = self.heads.get(mid)
        if record.pubkey == self.node.key.public_key:
            value = Head.create(self.node.key, record, last, commit, eol_h).encode()
        elif head is not None and Head.decode(head).version == last:
            value = head  # re-announce the author's signed head this node holds
        else:
            raise P2PError(f"this node holds no head of {mid} signed by its author to announce")
        return last, commit, value

    async def publish(self, mid: str, eol_h: float = DEFAULT_EOL_H) -> dict:
        last, commit, value = self._head_value(mid, eol_h)
        self.heads[mid] = value
        eng = self.eng
        t0 = time.perf_counter()
        await eng.subscribe(topic(mid), self._on_announce_threaded(mid))
        results = await asyncio.gather(eng.put_value(dht_key(mid), value),
                                       eng.provide(provider_key(mid)),
                                       eng.publish(topic(mid), value), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        for err in errors:
            log.info("publish of %s: %r", mid, err)
        self.published[mid] = {"version": last, "eol_h": eol_h, "at": time.time()}
        self._save_state()
        return {"mid": mid, "version": last, "commit": cids.format(commit), "eol_h": eol_h,
                "ms": round((time.perf_counter() - t0) * 1000, 1),
                "errors": [str(e) or type(e).__name__ for e in errors]}

    # -- real-time announcements -----------------------------------------------------------
    def _on_version(self, mid: str, version: int) -> None:
        """MimeiManager's version listener (any thread): announce a published Mimei now."""
        loop = self.loop
        if loop is None or mid not in self.published:
            return
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._kick(mid)
        else:
            loop.call_soon_threadsafe(self._kick, mid)

    def _kick(self, mid: str) -> None:
        if mid not in self.published or self.engine is None:
            return
        if mid in self._announcing:
            self._announcing[mid] = True  # the running announcer goes round once more
            return
        self._announcing[mid] = False
        self._spawn(self._announce_loop(mid))

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.append(task)
        task.add_done_callback(lambda t: t in self._tasks and self._tasks.remove(t))
        return task

    async def _announce_loop(self, mid: str) -> None:
        """Gossip the newest head of mid at once (versions made meanwhile coalesce into the
        next round), then update the DHT record beside it."""
        try:
            while True:
                self._announcing[mid] = False
                info = self.published.get(mid)
                if info is None:
                    return
                try:
                    last, _, value = self._head_value(mid, info["eol_h"])
                    if last != info["version"]:
                        self.heads[mid] = value
                        await self.eng.publish(topic(mid), value)
                        info["version"] = last
                        self._refresh_dht(mid)
                except Exception as exc:  # noqa: BLE001 - the watch loop retries
                    log.debug("announcement of %s: %s", mid, exc)
                if not self._announcing.get(mid):
                    return
        finally:
            self._announcing.pop(mid, None)

    def _refresh_dht(self, mid: str) -> None:
        if mid in self._dht_pending:
            self._dht_pending[mid] = True
            return
        self._dht_pending[mid] = False
        self._spawn(self._dht_loop(mid))

    async def _dht_loop(self, mid: str) -> None:
        """Put the newest head record (and the provider record) in the DHT; coalesced."""
        try:
            while True:
                self._dht_pending[mid] = False
                value = self.heads.get(mid)
                if value is not None:
                    results = await asyncio.gather(self.eng.put_value(dht_key(mid), value),
                                                   self.eng.provide(provider_key(mid)),
                                                   return_exceptions=True)
                    for err in results:
                        if isinstance(err, BaseException):
                            log.debug("DHT update of %s: %r", mid, err)
                    if mid in self.published:
                        self.published[mid]["at"] = time.time()
                if not self._dht_pending.get(mid):
                    return
        except Exception as exc:  # noqa: BLE001
            log.debug("DHT update of %s: %s", mid, exc)
        finally:
            self._dht_pending.pop(mid, None)

    async def _watch_loop(self) -> None:
        """The safety net: announce versions the listener missed; renew head records."""
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            for mid, info in list(self.published.items()):
                if mid in self._announcing or mid in self._dht_pending:
                    continue
                try:
                    last = self.node.mimei.versions.last(mid)
                    stale = time.time() - info["at"] > min(RENEW_AFTER_S, info["eol_h"] * 1800)
                    if last and (last != info["version"] or stale):
                        await self.publish(mid, info["eol_h"])
                except Exception as exc:  # noqa: BLE001 - retried next round
                    log.debug("auto-publish of %s: %s", mid, exc)

    # -- sync -------------------------------------------------------------------------------
    async def network_head(self, mid: str) -> Head | None:
        value = await self.eng.get_value(dht_key(mid))
        if value is None:
            return None
        try:
            head = Head.decode(value)
            head.check(mid)
            return head
        except HeadError as exc:
            self.stats["rejected_heads"] += 1
            log.warning("rejected a head record of %s from the DHT: %s", mid, exc)
            return None

    async def providers(self, mid: str) -> list[dict]:
        return [p for p in await self.eng.find_providers(provider_key(mid))
                if p["ID"] != self.node.peer_id]

    async def sync(self, mid: str, prefer: str | None = None, head: Head | None = None) -> dict:
        """Fetch the newest version of mid from the network; verify; store."""
        if not ids.is_leither_id(mid):
            raise P2PError(f"not a Mimei ID: {mid!r}")
        lock = self._locks.setdefault(mid, asyncio.Lock())
        async with lock:
            return await self._sync(mid, prefer, head)

    async def _sync(self, mid: str, prefer: str | None, head: Head | None) -> dict:
        eng = self.eng
        t0 = time.perf_counter()
        if head is None:
            head = await self.network_head(mid)
        versions = self.node.mimei.versions
        last = versions.last(mid)
        if head is not None and last >= head.version:
            if versions.commit_cid(mid, head.version) == head.commit:
                return {"mid": mid, "version": last, "imported": [], "from": None,
                        "ms": round((time.perf_counter() - t0) * 1000, 1)}
        tried: set[str] = set()
        errors: list[str] = []

        async def candidates():
            # the announcing peer first (it holds the version), then connected peers, and only
            # then a DHT query for providers
            if prefer:
                yield prefer
            connected = [p["Peer"] for p in await eng.peers()]
            for peer in connected:
                yield peer
            for prov in await self.providers(mid):
                if prov["ID"] not in connected and prov["Addrs"]:
                    try:
                        await eng.connect(f"{prov['Addrs'][0]}/p2p/{prov['ID']}")
                    except P2PError:
                        pass
                yield prov["ID"]

        async for peer in candidates():
            if peer in tried or peer == self.node.peer_id:
                continue
            tried.add(peer)
            try:
                result = await self._sync_from(mid, peer, head)
            except (SyncError, VerificationError, P2PError, HeadError) as exc:
                errors.append(f"{peer}: {exc}")
                continue
            except asyncio.TimeoutError:
                errors.append(f"{peer}: timed out")
                continue
            except Exception as exc:  # noqa: BLE001 - e.g. the peer does not speak the protocol
                errors.append(f"{peer}: {type(exc).__name__} {exc}")
                continue
            if result is None:
                continue
            result["ms"] = round((time.perf_counter() - t0) * 1000, 1)
            return result
        last = versions.last(mid)
        if last and (head is None or last >= head.version) and not errors:
            return {"mid": mid, "version": last, "imported": [], "from": None,
                    "ms": round((time.perf_counter() - t0) * 1000, 1)}
        raise P2PError(f"cannot sync {mid}: " + ("; ".join(errors) if errors else "no peer holds it"))

    async def _sync_from(self, mid: str, peer: str, head: Head | None) -> dict | None:
        node = self.node
        versions = node.mimei.versions
        last = versions.last(mid)
        trusted = versions.commit_cid(mid, last) if last else None
        overlay = Overlay(self._local_blocks)
        target = head.commit if head is not None else None
        memo = self._checked.get(mid)
        if memo is None or len(memo) > MAX_CHECKED:
            memo = self._checked[mid] = {}
        # subtrees checked by this sync join the memo only if all of it verifies
        checked = collections.ChainMap({}, memo)

        async def conversation(stream):
            return await fetch(stream, mid, target, trusted, overlay)
        got = await self.eng.open_stream(peer, PROTOCOL, conversation, timeout=120)
        head_cid = got["head"]
        if trusted is not None and head_cid == trusted:
            return None
        if got["peer_head"] and mid not in self.heads:
            try:
                Head.decode(got["peer_head"]).check(mid)
                self.heads[mid] = got["peer_head"]
            except HeadError:
                pass

        def verify_and_store() -> dict:
            try:
                commit = verify_commit(overlay, head_cid, mid=mid, trusted=trusted, checked=checked)
            except VerificationError:
                self.stats["rejected_syncs"] += 1
                self.bad_peers[peer] = self.bad_peers.get(peer, 0) + 1
                raise
            if last and commit.version <= last:
                return {"mid": mid, "version": last, "imported": []}
            local = node.mimei.record(mid)
            if local is not None and local.cid != commit.record:
                raise VerificationError(f"the commit's Mimei record differs from this node's for {mid}")
            self._local_blocks.put_many(overlay.received())  # verified: now it may be stored
            memo.update(checked.maps[0])
            if head is not None and head.commit == head_cid:
                self.heads[mid] = head.encode()  # before the version listener may re-announce it
            result = node.mimei.import_commit(head_cid, checked=memo)
            return result

        if len(overlay.mem) <= INLINE_VERIFY_BLOCKS:  # a follower's few blocks: no thread hop
            result = verify_and_store()
        else:
            result = await asyncio.to_thread(verify_and_store)
        if head is not None and head.commit == head_cid:
            self.heads[mid] = head.encode()
        self.stats["synced"] += 1
        if got.get("diff"):
            self.stats["synced_by_diff"] += 1  # one round trip, only the MST diff's new blocks
        result["from"] = peer
        result["blocks"] = got["blocks"]
        result["diff"] = got.get("diff", False)
        return result

    # -- provide (follow) -------------------------------------------------------------------
    def _on_announce_threaded(self, mid: str):
        loop = self.loop

        def callback(data: bytes, source: str) -> None:  # in the trio thread
            loop.call_soon_threadsafe(self._on_announce, mid, data, source)
        return callback

    def _on_announce(self, mid: str, data: bytes, source: str) -> None:
        try:
            head = Head.decode(data)
            head.check(mid)
        except HeadError as exc:
            self.stats["rejected_heads"] += 1
            self.bad_peers[source] = self.bad_peers.get(source, 0) + 1
            log.warning("rejected an announcement of %s from %s: %s", mid, source, exc)
            return
        if mid not in self.followed:
            return
        if self.node.mimei.versions.last(mid) >= head.version:
            return
        wanted = self._wanted.get(mid)
        if wanted is None or wanted[0].version < head.version:
            self._wanted[mid] = (head, source)
        if mid not in self._following:
            self._following.add(mid)
            self._spawn(self._follow_worker(mid))

    async def _follow_worker(self, mid: str) -> None:
        """Sync mid to the newest head announced, one sync at a time; announcements that come
        during a sync coalesce into the next one."""
        try:
            while True:
                wanted = self._wanted.pop(mid, None)
                if wanted is None:
                    return
                head, source = wanted
                if self.node.mimei.versions.last(mid) >= head.version:
                    continue
                await self._follow_sync(mid, source, head)
        finally:
            self._following.discard(mid)

    async def _follow_sync(self, mid: str, source: str, head: Head) -> None:
        try:
            result = await self.sync(mid, prefer=source, head=head)
            log.debug("followed %s to version %s (%s blocks, diff %s, %s ms)", mid,
                      result.get("version"), result.get("blocks"), result.get("diff"),
                      result.get("ms"))
        except Exception as exc:  # noqa: BLE001 - the next announcement retries
            log.warning("follow of %s: sync failed: %s", mid, exc)

    async def _start_follow(self, mid: str) -> None:
        try:
            await self.eng.subscribe(topic(mid), self._on_announce_threaded(mid))
            await asyncio.sleep(0.5)
            try:
                await self.sync(mid)
            except P2PError as exc:
                log.info("initial sync of followed %s: %s", mid, exc)
            if self.node.mimei.versions.last(mid):
                await self.eng.provide(provider_key(mid))
        except Exception as exc:  # noqa: BLE001
            log.warning("follow of %s failed to start: %s", mid, exc)

    async def follow(self, mid: str) -> dict:
        if not ids.is_leither_id(mid):
            raise P2PError(f"not a Mimei ID: {mid!r}")
        eng = self.eng
        new = mid not in self.followed
        self.followed.add(mid)
        self._save_state()
        if new:
            await eng.subscribe(topic(mid), self._on_announce_threaded(mid))
        result: dict = {"mid": mid, "following": True}
        try:
            result.update(await self.sync(mid))
        except P2PError as exc:
            result["sync_error"] = str(exc)
        if self.node.mimei.versions.last(mid):
            try:
                await eng.provide(provider_key(mid))
            except Exception as exc:  # noqa: BLE001
                log.debug("provide %s: %s", mid, exc)
        return result

    async def unfollow(self, mid: str) -> dict:
        self.followed.discard(mid)
        self._save_state()
        return {"mid": mid, "following": False}

    # -- findprovs --------------------------------------------------------------------------
    async def findprovs(self, mid: str) -> dict:
        eng = self.eng
        provs = await self.providers(mid)
        peers = {p["Peer"] for p in await eng.peers()}
        groups: dict[str, list[dict]] = {}

        async def version_of(prov: dict) -> tuple[dict, int | None, str | None]:
            try:
                if prov["ID"] not in peers and prov["Addrs"]:
                    await eng.connect(f"{prov['Addrs'][0]}/p2p/{prov['ID']}")
                reply = await eng.open_stream(prov["ID"], PROTOCOL,
                                              lambda s: ask_head(s, mid), timeout=10)
                return prov, int(reply.get("version") or 0), reply.get("commit")
            except Exception:  # noqa: BLE001 - unreachable: version unknown
                return prov, None, None

        results = await asyncio.gather(*(version_of(p) for p in provs))
        last = self.node.mimei.versions.last(mid)
        if last:
            commit = self.node.mimei.versions.commit_cid(mid, last)
            results = [({"ID": self.node.peer_id, "Addrs": await eng.addrs(), "self": True},
                        last, cids.format(commit))] + list(results)
        for prov, version, commit in results:
            key = str(version) if version is not None else "unknown"
            groups.setdefault(key, []).append({**prov, "commit": commit})
        net = await self.network_head(mid)
        return {"mid": mid, "providers": groups,
                "head": net.info() if net is not None else None}

    async def status(self, mid: str) -> dict:
        """Local vs network versions of a Mimei (for `mimei show`-like comparisons)."""
        versions = self.node.mimei.versions
        last = versions.last(mid)
        net = await self.network_head(mid)
        local_commit = versions.commit_cid(mid, last) if last else None
        conflict = False
        if net is not None and last >= net.version:
            held = versions.commit_cid(mid, net.version)
            conflict = held is not None and held != net.commit
        return {"mid": mid, "local": last,
                "local_commit": cids.format(local_commit) if local_commit else None,
                "network": net.info() if net is not None else None, "conflict": conflict,
                "following": mid in self.followed, "published": mid in self.published}
