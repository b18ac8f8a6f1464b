"""LAN discovery by mDNS / DNS-SD (zeroconf): advertise this node, find others, dial them.

The node is advertised as `<peer ID>._mimeidb._tcp.local.` with its p2p port, its addresses
(A/AAAA records) and TXT properties:

  peer   the libp2p peer ID          lid    the node's Leither ID
  port   the p2p TCP port            addrs  its p2p multiaddrs, space-separated (what fits)

Zeroconf runs on the node's asyncio loop (not in the libp2p trio thread), on the interfaces
the node binds: a node bound to 127.0.0.1 advertises and browses on loopback only. A peer
found here is dialed through the P2PService's connect (`/…/tcp/<port>/p2p/<peer ID>`, so the
libp2p handshake authenticates it; the TXT peer ID is only a claim). Dials are rate-limited
per peer with a growing back-off. A starting node finds the nodes already there through its
first query and dials them at once; those see it only when it announces itself (a second
later) and dial it only if it is still unconnected a moment after that, so usually one
connection is made, by the newcomer, to the listening port of the others. Nothing here
may stop the node: failures are logged (debug/warning) and discovery carries on or stays off.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("mimeidb.p2p.mdns")

SERVICE_TYPE = "_mimeidb._tcp.local."
RESOLVE_TIMEOUT_MS = 3000
DIAL_TIMEOUT_S = 5.0
REDIAL_MIN_S = 5.0        # back-off after a failed dial, doubled up to REDIAL_MAX_S
REDIAL_MAX_S = 300.0
RECHECK_S = 10.0          # found peers that are not connected are retried this often
FIRST_BROWSE_S = 3.0      # services found this soon after starting answer our first query
YIELD_S = 2.0             # a newcomer found later gets this long to dial us first
TXT_VALUE_MAX = 250       # one TXT string holds at most 255 bytes with its key
CLOSE_TIMEOUT_S = 3.0


# -- pure helpers (tested without a network) ----------------------------------------------------
def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def interfaces_for(bind: str) -> tuple[Any, Any]:
    """(interfaces, ip_version) for Zeroconf on the addresses the node binds."""
    from zeroconf import InterfaceChoice, IPVersion

    bind = bind or "0.0.0.0"
    if bind == "0.0.0.0":
        return InterfaceChoice.All, IPVersion.V4Only
    if bind == "::":
        return InterfaceChoice.All, IPVersion.All
    return [bind], (IPVersion.V6Only if ":" in bind else IPVersion.V4Only)


def _ip_of(maddr: str) -> str | None:
    parts = maddr.split("/")
    if len(parts) >= 5 and parts[1] in ("ip4", "ip6") and parts[3] == "tcp":
        return parts[2]
    return None


def advertised_ips(addrs: list[str], bind: str) -> list[str]:
    """The IP addresses to put in A/AAAA records: those of the node's p2p multiaddrs that
    can be reached (no wildcard, no link-local), loopback only when bound to loopback."""
    bind = bind or "0.0.0.0"
    out = []
    for maddr in addrs:
        ip = _ip_of(maddr)
        if ip is None or ip in ("0.0.0.0", "::"):
            continue
        addr = ipaddress.ip_address(ip)
        if addr.is_link_local:
            continue
        # zeroconf runs IPv4-only unless the node binds IPv6 ("::": both)
        if not (":" in bind if addr.version == 6 else (":" not in bind or bind == "::")):
            continue
        if is_loopback(bind) and not addr.is_loopback:
            continue
        if ip not in out:
            out.append(ip)
    return out


def build_service_info(peer_id: str, leither_id: str, port: int, addrs: list[str], bind: str):
    """The AsyncServiceInfo that advertises this node."""
    from zeroconf.asyncio import AsyncServiceInfo

    ips = advertised_ips(addrs, bind)
    packed = [socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip) for ip in ips]
    shown, size = [], 0
    for maddr in addrs:
        if _ip_of(maddr) in ips and size + len(maddr) + 1 <= TXT_VALUE_MAX:
            shown.append(maddr)
            size += len(maddr) + 1
    props = {"peer": peer_id, "lid": leither_id, "port": str(port), "addrs": " ".join(shown)}
    return AsyncServiceInfo(SERVICE_TYPE, f"{peer_id}.{SERVICE_TYPE}", port=port,
                            addresses=packed, properties=props, server=f"{peer_id}.local.")


@dataclass
class Found:
    """A node seen on the LAN: its claimed IDs and the multiaddrs to dial it on."""

    peer_id: str
    leither_id: str
    dial: list[str] = field(default_factory=list)   # full multiaddrs ending /p2p/<peer ID>


def _text(props: dict, key: str) -> str:
    value = props.get(key.encode()) if props else None
    if value is None:
        value = props.get(key) if props else None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""


def parse_service_info(info: Any, loopback_only: bool) -> Found | None:
    """What a resolved service says about a node, or None if it is not a usable mimeidb node:
    the peer ID must be a valid libp2p ID whose key gives the Leither ID it states."""
    from mimeidb import ids

    props = info.properties or {}
    peer = _text(props, "peer")
    lid = _text(props, "lid")
    if not peer or not info.name.lower().startswith(peer.lower() + "."):
        return None
    try:
        if ids.key_id(ids.public_key_of_peer_id(peer)) != lid:
            return None
    except Exception:  # noqa: BLE001 - not an Ed25519 peer ID
        return None
    try:
        port = int(_text(props, "port") or info.port or 0)
    except ValueError:
        port = info.port or 0
    candidates: list[str] = []
    if port:
        for ip in info.parsed_addresses():
            proto = "ip6" if ":" in ip else "ip4"
            candidates.append(f"/{proto}/{ip}/tcp/{port}")
    candidates += [a for a in _text(props, "addrs").split() if _ip_of(a)]
    dial: list[str] = []
    for maddr in candidates:
        ip = _ip_of(maddr)
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            continue
        if addr.is_unspecified or addr.is_link_local or addr.is_multicast:
            continue
        if loopback_only and not addr.is_loopback:
            continue
        full = f"{maddr}/p2p/{peer}"
        if full not in dial:
            dial.append(full)
    # reachable LAN addresses first; loopback last (it only reaches nodes on this host)
    dial.sort(key=lambda a: is_loopback(_ip_of(a) or ""))
    return Found(peer, lid, dial)


# -- the discovery service ------------------------------------------------------------------------
class MdnsDiscovery:
    """Advertise, browse, dial. `dial(maddr)` connects (returns the peer ID or raises);
    `connected()` returns the peer IDs connected now."""

    def __init__(self, peer_id: str, leither_id: str, port: int, addrs: list[str], bind: str,
                 dial: Callable[[str], Awaitable[Any]],
                 connected: Callable[[], Awaitable[set[str]]]) -> None:
        self.peer_id = peer_id
        self.leither_id = leither_id
        self.port = port
        self.addrs = list(addrs)
        self.bind = bind or "0.0.0.0"
        self._dial = dial
        self._connected = connected
        self.loopback_only = is_loopback(self.bind)
        self.found: dict[str, Found] = {}          # peer ID -> what its service says
        self.names: dict[str, str] = {}            # service name (lower) -> peer ID
        self.stats = {"found": 0, "dials": 0, "connected": 0, "failed": 0}
        self._next_dial: dict[str, float] = {}     # peer ID -> monotonic time it may be dialed
        self._backoff: dict[str, float] = {}
        self._dialing: set[str] = set()
        self._aiozc: Any = None
        self._browser: Any = None
        self._info: Any = None
        self._tasks: set[asyncio.Task] = set()
        self._browse_started = 0.0
        self.running = False
        self.closed = False

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        from zeroconf.asyncio import AsyncServiceBrowser, AsyncZeroconf

        interfaces, ip_version = interfaces_for(self.bind)
        self._aiozc = AsyncZeroconf(interfaces=interfaces, ip_version=ip_version)
        if self.closed:
            await self._close_zeroconf()
            return
        self._info = build_service_info(self.peer_id, self.leither_id, self.port, self.addrs, self.bind)
        self._browser = AsyncServiceBrowser(self._aiozc.zeroconf, [SERVICE_TYPE],
                                            handlers=[self._on_change])
        self.running = True
        self._browse_started = time.monotonic()
        self._spawn(self._recheck_loop())
        # probing then announcing takes about a second: the browser already runs meanwhile
        await self._aiozc.async_register_service(self._info)
        log.info("mDNS: advertising %s on %s", self._info.name,
                 "loopback" if self.loopback_only else self.bind)

    async def stop(self) -> None:
        self.closed = True
        self.running = False
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self._close_zeroconf()

    async def _close_zeroconf(self) -> None:
        aiozc, self._aiozc = self._aiozc, None
        browser, self._browser = self._browser, None
        if aiozc is None:
            return
        try:
            if browser is not None:
                await browser.async_cancel()
            # unregisters (goodbye packets) then closes the sockets
            await asyncio.wait_for(aiozc.async_close(), CLOSE_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - closing is best effort
            log.debug("mDNS close: %r", exc)

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- browsing -----------------------------------------------------------------------------
    def _on_change(self, zeroconf: Any, service_type: str, name: str, state_change: Any) -> None:
        """Zeroconf's browser handler (called on the loop; must not block)."""
        from zeroconf import ServiceStateChange

        if not self.running:
            return
        if state_change is ServiceStateChange.Removed:
            peer = self.names.pop(name.lower(), None)
            if peer is not None:
                self.found.pop(peer, None)
                log.debug("mDNS: %s left", peer)
            return
        if name.lower().startswith(self.peer_id.lower() + "."):
            return  # ourselves
        self._spawn(self._resolve(service_type, name))

    async def _resolve(self, service_type: str, name: str) -> None:
        from zeroconf.asyncio import AsyncServiceInfo

        try:
            info = AsyncServiceInfo(service_type, name)
            if not await info.async_request(self._aiozc.zeroconf, RESOLVE_TIMEOUT_MS):
                log.debug("mDNS: %s did not resolve", name)
                return
            found = parse_service_info(info, self.loopback_only)
            if found is None:
                log.debug("mDNS: ignored %s (not a valid mimeidb node advertisement)", name)
                return
            if found.peer_id == self.peer_id or not found.dial:
                return
            if found.peer_id not in self.found:
                self.stats["found"] += 1
                log.debug("mDNS: found %s at %s", found.peer_id, ", ".join(found.dial))
            self.found[found.peer_id] = found
            self.names[name.lower()] = found.peer_id
            if time.monotonic() - self._browse_started > FIRST_BROWSE_S:
                await asyncio.sleep(YIELD_S)  # a newcomer: it found us too and dials
            await self.maybe_dial(found.peer_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - never let discovery hurt the node
            log.debug("mDNS: resolving %s failed: %r", name, exc)

    async def _recheck_loop(self) -> None:
        while True:
            await asyncio.sleep(RECHECK_S)
            for peer in list(self.found):
                try:
                    await self.maybe_dial(peer)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001
                    log.debug("mDNS: redial of %s: %r", peer, exc)

    # -- dialing ------------------------------------------------------------------------------
    async def maybe_dial(self, peer: str) -> bool:
        """Dial a found peer unless connected, being dialed, or dialed too recently.
        True if this call connected it."""
        found = self.found.get(peer)
        if found is None or peer == self.peer_id or peer in self._dialing:
            return False
        now = time.monotonic()
        if now < self._next_dial.get(peer, 0.0):
            return False
        self._dialing.add(peer)
        try:
            try:
                if peer in await self._connected():
                    return False
            except Exception as exc:  # noqa: BLE001 - engine not (yet / any more) running
                log.debug("mDNS: cannot list peers: %r", exc)
                return False
            errors = []
            for maddr in found.dial:
                self.stats["dials"] += 1
                try:
                    await asyncio.wait_for(self._dial(maddr), DIAL_TIMEOUT_S + 1)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001
                    errors.append(f"{maddr}: {exc or type(exc).__name__}")
                    continue
                self.stats["connected"] += 1
                self._backoff.pop(peer, None)
                self._next_dial[peer] = time.monotonic() + REDIAL_MIN_S
                log.info("mDNS: connected to %s (%s)", peer, maddr)
                return True
            self.stats["failed"] += 1
            backoff = min(REDIAL_MAX_S, self._backoff.get(peer, REDIAL_MIN_S / 2) * 2)
            self._backoff[peer] = backoff
            self._next_dial[peer] = time.monotonic() + backoff
            log.debug("mDNS: dialing %s failed (next try in %.0f s): %s", peer, backoff,
                      "; ".join(errors))
            return False
        finally:
            self._dialing.discard(peer)

    def info(self) -> dict:
        return {"running": self.running, "service": self._info.name if self._info else None,
                "found": {p: f.dial for p, f in self.found.items()}, **self.stats}
