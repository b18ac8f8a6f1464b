"""LAN discovery by mDNS (replication/mdns.py), on loopback only.

- the advertisement's contents and what a browser makes of it (no network);
- the discovery logic against a real zeroconf responder on 127.0.0.1 (in this process): a
  registered peer is dialed on its loopback multiaddr, itself and forged advertisements are
  not, failed dials back off, connected peers are not redialed, a leaving peer is forgotten;
- two real node processes bound to 127.0.0.1 with no bootstrap find and connect to each other,
  while a node with `init --mdns off` is neither found nor finds.

Everything needs multicast on the loopback interface; where that does not work, the network
tests are skipped with that reason (the probe is two plain zeroconf instances).
"""
from __future__ import annotations

import asyncio
import socket
import time

import orjson
import pytest

pytest.importorskip("zeroconf")

from mimeidb.keys import KeyPair
from replication import mdns
from tests.nodeproc import NodeProc, run_cli

LOOP = "127.0.0.1"


# -- is there multicast on loopback here? ----------------------------------------------------------
_probe: dict[str, bool] = {}


def _loopback_multicast() -> bool:
    if "ok" not in _probe:
        _probe["ok"] = asyncio.run(_probe_once())
    return _probe["ok"]


async def _probe_once() -> bool:
    from zeroconf import IPVersion
    from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

    kind = "_mimeidbprobe._tcp.local."
    name = f"probe{time.time_ns()}.{kind}"
    a = AsyncZeroconf(interfaces=[LOOP], ip_version=IPVersion.V4Only)
    b = AsyncZeroconf(interfaces=[LOOP], ip_version=IPVersion.V4Only)
    seen = asyncio.Event()

    def handler(zeroconf, service_type, name: str, state_change) -> None:
        if name.startswith("probe") and name == probe_name:
            seen.set()
    probe_name = name
    browser = AsyncServiceBrowser(b.zeroconf, [kind], handlers=[handler])
    try:
        info = AsyncServiceInfo(kind, name, port=9, addresses=[socket.inet_aton(LOOP)],
                                server="probe.local.")
        await a.async_register_service(info)
        await asyncio.wait_for(seen.wait(), 8)
        return True
    except Exception:  # noqa: BLE001 - timeout or no socket: no loopback multicast
        return False
    finally:
        await browser.async_cancel()
        await a.async_close()
        await b.async_close()


needs_multicast = pytest.mark.skipif("not _loopback_multicast()",
                                     reason="multicast on the loopback interface does not work here")


# -- the advertisement (no network) ------------------------------------------------------------------
def test_service_info_says_who_and_where():
    key = KeyPair.generate()
    addrs = ["/ip4/127.0.0.1/tcp/4802", "/ip4/192.0.2.7/tcp/4802", "/ip6/::1/tcp/4802"]
    info = mdns.build_service_info(key.peer_id, key.id, 4802, addrs, "0.0.0.0")
    assert info.name == f"{key.peer_id}._mimeidb._tcp.local."
    assert info.port == 4802
    assert info.parsed_addresses() == ["127.0.0.1", "192.0.2.7"]  # IPv4-only zeroconf on 0.0.0.0
    props = {k.decode(): v.decode() for k, v in info.properties.items()}
    assert props == {"peer": key.peer_id, "lid": key.id, "port": "4802",
                     "addrs": "/ip4/127.0.0.1/tcp/4802 /ip4/192.0.2.7/tcp/4802"}

    found = mdns.parse_service_info(info, loopback_only=False)
    assert (found.peer_id, found.leither_id) == (key.peer_id, key.id)
    # LAN address first, loopback last; every one names the peer for the libp2p handshake
    assert found.dial == [f"/ip4/192.0.2.7/tcp/4802/p2p/{key.peer_id}",
                          f"/ip4/127.0.0.1/tcp/4802/p2p/{key.peer_id}"]
    assert mdns.parse_service_info(info, loopback_only=True).dial == [
        f"/ip4/127.0.0.1/tcp/4802/p2p/{key.peer_id}"]


def test_loopback_bound_node_advertises_loopback_only():
    key = KeyPair.generate()
    info = mdns.build_service_info(key.peer_id, key.id, 5000,
                                   ["/ip4/127.0.0.1/tcp/5000", "/ip4/192.0.2.7/tcp/5000"], LOOP)
    assert info.parsed_addresses() == [LOOP]
    assert info.properties[b"addrs"] == b"/ip4/127.0.0.1/tcp/5000"
    assert mdns.interfaces_for(LOOP)[0] == [LOOP]


def test_forged_or_foreign_advertisements_are_ignored():
    key, other = KeyPair.generate(), KeyPair.generate()
    addrs = ["/ip4/127.0.0.1/tcp/5000"]
    # a Leither ID that is not the peer key's
    assert mdns.parse_service_info(
        mdns.build_service_info(key.peer_id, other.id, 5000, addrs, LOOP), False) is None
    # an instance name that is not the TXT peer ID
    info = mdns.build_service_info(key.peer_id, key.id, 5000, addrs, LOOP)
    info.name = f"{other.peer_id}.{mdns.SERVICE_TYPE}"
    assert mdns.parse_service_info(info, False) is None
    # not a peer ID at all
    assert mdns.parse_service_info(
        mdns.build_service_info("hello", key.id, 5000, addrs, LOOP), False) is None


def test_init_mdns_setting(tmp_path):
    home = tmp_path / "n"
    run_cli(home, "init", "--bind", LOOP, check=True)
    settings = orjson.loads((home / "SystemVars.json").read_bytes())
    assert settings["MDNS"] is True  # on by default
    run_cli(home, "init", "--mdns", "off", check=True)
    assert orjson.loads((home / "SystemVars.json").read_bytes())["MDNS"] is False
    run_cli(home, "init", "--mdns", "on", check=True)
    assert orjson.loads((home / "SystemVars.json").read_bytes())["MDNS"] is True
    bad = run_cli(home, "init", "--mdns", "maybe")
    assert bad.returncode != 0


# -- the discovery logic against a real responder on loopback ----------------------------------------
class FakeSwarm:
    """Stands in for the P2PService: records dials; fails them while `fail` is set.
    (Other nodes running on this host may be found too: tests look at their own peers only.)"""

    def __init__(self) -> None:
        self.dials: list[str] = []
        self.connected: set[str] = set()
        self.fail = False
        self.dialed = asyncio.Event()

    async def dial(self, maddr: str) -> str:
        self.dials.append(maddr)
        self.dialed.set()
        if self.fail:
            raise OSError("connection refused")
        peer = maddr.rsplit("/p2p/", 1)[1]
        self.connected.add(peer)
        return peer

    async def peers(self) -> set[str]:
        return set(self.connected)

    def to(self, peer: str) -> list[str]:
        return [d for d in self.dials if d.endswith("/p2p/" + peer)]


async def _until(cond, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@needs_multicast
async def test_found_peer_is_dialed_once_and_backs_off(monkeypatch):
    from zeroconf import IPVersion
    from zeroconf.asyncio import AsyncZeroconf

    monkeypatch.setattr(mdns, "YIELD_S", 0.0)
    monkeypatch.setattr(mdns, "RECHECK_S", 3600.0)
    me, peer, forger = KeyPair.generate(), KeyPair.generate(), KeyPair.generate()
    swarm = FakeSwarm()
    swarm.fail = True
    disc = mdns.MdnsDiscovery(me.peer_id, me.id, 41001, ["/ip4/127.0.0.1/tcp/41001"], LOOP,
                              swarm.dial, swarm.peers)
    other = AsyncZeroconf(interfaces=[LOOP], ip_version=IPVersion.V4Only)
    try:
        await disc.start()
        # a forged advertisement (Leither ID of another key) is registered first: never dialed
        forged = mdns.build_service_info(forger.peer_id, peer.id, 41003,
                                         ["/ip4/127.0.0.1/tcp/41003"], LOOP)
        await other.async_register_service(forged)
        info = mdns.build_service_info(peer.peer_id, peer.id, 41002,
                                       ["/ip4/127.0.0.1/tcp/41002"], LOOP)
        await other.async_register_service(info)
        await _until(lambda: peer.peer_id in disc.found and swarm.to(peer.peer_id)
                     and peer.peer_id not in disc._dialing)
        want = f"/ip4/127.0.0.1/tcp/41002/p2p/{peer.peer_id}"
        assert swarm.to(peer.peer_id) == [want]
        assert forger.peer_id not in disc.found
        assert swarm.to(me.peer_id) == swarm.to(forger.peer_id) == []

        # the failed dial backs off: no new dial before the back-off ends
        assert disc._next_dial[peer.peer_id] > time.monotonic() + mdns.REDIAL_MIN_S / 2
        assert await disc.maybe_dial(peer.peer_id) is False
        assert swarm.to(peer.peer_id) == [want]
        swarm.fail = False
        disc._next_dial[peer.peer_id] = 0.0  # back-off over
        assert await disc.maybe_dial(peer.peer_id) is True
        assert swarm.to(peer.peer_id) == [want, want]
        # connected: not dialed again, however often it is asked
        disc._next_dial[peer.peer_id] = 0.0
        assert await disc.maybe_dial(peer.peer_id) is False
        assert len(swarm.to(peer.peer_id)) == 2

        # the peer leaves (goodbye packets): forgotten
        await other.async_unregister_service(info)
        await _until(lambda: peer.peer_id not in disc.found)
    finally:
        await disc.stop()
        await other.async_close()
    assert disc._aiozc is None and not disc.running


@needs_multicast
async def test_discovery_sees_a_node_that_starts_later(monkeypatch):
    """Both directions: A browses first and B appears; B's browser finds A already there."""
    monkeypatch.setattr(mdns, "YIELD_S", 0.0)
    ka, kb = KeyPair.generate(), KeyPair.generate()
    sa, sb = FakeSwarm(), FakeSwarm()
    a = mdns.MdnsDiscovery(ka.peer_id, ka.id, 41011, ["/ip4/127.0.0.1/tcp/41011"], LOOP,
                           sa.dial, sa.peers)
    b = mdns.MdnsDiscovery(kb.peer_id, kb.id, 41012, ["/ip4/127.0.0.1/tcp/41012"], LOOP,
                           sb.dial, sb.peers)
    try:
        await a.start()
        await b.start()
        await _until(lambda: kb.peer_id in a.found and ka.peer_id in b.found)
        await _until(lambda: f"/ip4/127.0.0.1/tcp/41012/p2p/{kb.peer_id}" in sa.dials
                     and f"/ip4/127.0.0.1/tcp/41011/p2p/{ka.peer_id}" in sb.dials)
    finally:
        await a.stop()
        await b.stop()


# -- real nodes ----------------------------------------------------------------------------------------
@needs_multicast
def test_two_nodes_find_each_other(tmp_path):
    a = NodeProc.create(tmp_path / "a", mdns=True)
    b = NodeProc.create(tmp_path / "b", mdns=True)
    c = NodeProc.create(tmp_path / "c")  # mDNS off
    made = []
    try:
        for node in (a, b, c):
            node.start()
            made.append(node)
        t0 = time.monotonic()
        pid_a = a.out("swarm", "id").split()[1]
        pid_b = b.out("swarm", "id").split()[1]
        pid_c = c.out("swarm", "id").split()[1]
        end = t0 + 15
        while True:
            peers_a, peers_b = a.out("swarm", "peers"), b.out("swarm", "peers")
            if pid_b in peers_a and pid_a in peers_b:
                break
            assert time.monotonic() < end, f"not connected:\nA {peers_a}\nB {peers_b}"
            time.sleep(0.2)
        found_s = time.monotonic() - t0
        assert found_s < 12, found_s
        # the newcomer B found A by its first query and dialed A's listening port
        assert f"/ip4/127.0.0.1/tcp/{a.p2p_port}/p2p/{pid_a}" in peers_b
        # C (mDNS off) neither advertises nor browses: nobody dialed it, it dialed nobody
        time.sleep(2.5)
        assert pid_c not in a.out("swarm", "peers") + b.out("swarm", "peers")
        assert c.out("swarm", "peers").strip() == ""
        log_a = (a.home / "mimeidb.log").read_text()
        assert "mDNS: advertising" in log_a and "mDNS discovery not started" not in log_a
        assert "mDNS" not in (c.home / "mimeidb.log").read_text()
    finally:
        for node in made:
            node.kill()
    # stopping with discovery on is clean and quick (goodbye packets sent on close)
    assert a.pid is None and b.pid is None
