"""Node API of the p2p layer: swarm, dht, and Mimei publish / sync / provide / findprovs.

Every route answers 503 when the p2p engine is not running (the node works without it).
"""
from __future__ import annotations

import asyncio

from aiohttp import web

from gateway.responses import NODE, api_error
from gateway.responses import json_response as _json

routes = web.RouteTableDef()


async def _p2p(request: web.Request):
    """The node's p2p service; waits while it is still starting (a node answers HTTP first)."""
    p2p = getattr(request.app[NODE], "p2p", None)
    if p2p is not None and not p2p.ready.is_set():
        try:
            await asyncio.wait_for(p2p.ready.wait(), 30)
        except asyncio.TimeoutError:
            pass
        p2p = getattr(request.app[NODE], "p2p", None)
    if p2p is None or p2p.engine is None or not p2p.engine.running:
        raise _Unavailable()
    return p2p


class _Unavailable(Exception):
    pass


def _arg(request: web.Request, name: str = "arg") -> str:
    value = request.query.get(name, "").strip()
    if not value:
        raise ValueError(f"missing argument {name!r}")
    return value


def _wrap(handler):
    async def wrapped(request: web.Request) -> web.StreamResponse:
        from replication.engine import P2PError
        try:
            return await handler(request)
        except _Unavailable:
            return api_error(503, "the p2p layer is not running on this node (see the node log)")
        except P2PError as exc:
            return api_error(502, str(exc))
    wrapped.__name__ = handler.__name__
    return wrapped


@routes.route("*", "/api/v0/swarm/peers")
@_wrap
async def swarm_peers(request: web.Request) -> web.Response:
    peers = await (await _p2p(request)).eng.peers()
    return _json({"Peers": peers})


@routes.route("*", "/api/v0/swarm/addrs")
@_wrap
async def swarm_addrs(request: web.Request) -> web.Response:
    return _json({"Addrs": await (await _p2p(request)).eng.known_peers()})


@routes.route("*", "/api/v0/swarm/connect")
@_wrap
async def swarm_connect(request: web.Request) -> web.Response:
    addr = _arg(request)
    if "/p2p/" not in addr and "/ipfs/" not in addr:
        raise ValueError("the multiaddr must end with /p2p/<peer ID>")
    peer = await (await _p2p(request)).eng.connect(addr.replace("/ipfs/", "/p2p/"))
    return _json({"Strings": [f"connect {peer} success"], "Peer": peer})


@routes.route("*", "/api/v0/swarm/listen")
@_wrap
async def swarm_listen(request: web.Request) -> web.Response:
    return _json({"Strings": await (await _p2p(request)).eng.addrs()})


@routes.route("*", "/api/v0/dht/findpeer")
@_wrap
async def dht_findpeer(request: web.Request) -> web.Response:
    peer, addrs = await (await _p2p(request)).find_peer(_arg(request))
    if not addrs:
        return api_error(404, f"peer not found: {peer}")
    return _json({"ID": peer, "Addrs": addrs})


@routes.route("*", "/api/v0/p2p/status")
@_wrap
async def p2p_status(request: web.Request) -> web.Response:
    p2p = await _p2p(request)
    eng = p2p.eng
    return _json({"PeerID": eng.peer_id, "Listen": await eng.addrs(),
                  "Peers": len(await eng.peers()), "StartMs": round(p2p.started_ms, 1),
                  "Followed": sorted(p2p.followed), "Published": sorted(p2p.published),
                  "Stats": p2p.stats, "BadPeers": p2p.bad_peers,
                  "BitswapFetched": getattr(request.app[NODE].blocks, "fetched", 0)})


@routes.route("*", "/api/v0/mimei/publish")
@_wrap
async def mimei_publish(request: web.Request) -> web.Response:
    eol = request.query.get("eol", "168h").strip().lower().rstrip("h")
    hours = float(eol) if eol else 168.0
    if hours <= 0:
        raise ValueError("EOL must be positive")
    return _json(await (await _p2p(request)).publish(_arg(request), hours))


@routes.route("*", "/api/v0/mimei/sync")
@_wrap
async def mimei_sync(request: web.Request) -> web.Response:
    return _json(await (await _p2p(request)).sync(_arg(request)))


@routes.route("*", "/api/v0/mimei/provide")
@_wrap
async def mimei_provide(request: web.Request) -> web.Response:
    p2p = await _p2p(request)
    if request.query.get("stop", "") in ("1", "true", "yes"):
        return _json(await p2p.unfollow(_arg(request)))
    return _json(await p2p.follow(_arg(request)))


@routes.route("*", "/api/v0/mimei/findprovs")
@_wrap
async def mimei_findprovs(request: web.Request) -> web.Response:
    return _json(await (await _p2p(request)).findprovs(_arg(request)))


@routes.route("*", "/api/v0/mimei/netstatus")
@_wrap
async def mimei_netstatus(request: web.Request) -> web.Response:
    return _json(await (await _p2p(request)).status(_arg(request)))


def setup(app: web.Application) -> None:
    app.add_routes(routes)
