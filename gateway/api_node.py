"""Node API: identity, addresses, shutdown."""
from __future__ import annotations

import asyncio
import os

from aiohttp import web

from gateway.responses import NODE, json_response as _json

routes = web.RouteTableDef()


@routes.route("*", "/api/v0/id")
async def node_id(request: web.Request) -> web.Response:
    node = request.app[NODE]
    return _json({"ID": node.id, "PeerID": node.peer_id, "PublicKey": node.key.public_key.hex(),
                  "Addresses": node.local_addrs(), "AgentVersion": f"mimeidb/{node.version}",
                  "Pid": os.getpid(), "Home": str(node.home.path),
                  "Ports": {"http": node.settings.Port, "resp": node.settings.RespPort,
                            "p2p": node.settings.P2PPort},
                  "DefaultMimei": node.mimei.default_mid})


@routes.route("*", "/api/v0/swarm/local")
async def swarm_local(request: web.Request) -> web.Response:
    return _json({"Strings": request.app[NODE].local_addrs()})


@routes.post("/api/v0/shutdown")
async def shutdown(request: web.Request) -> web.Response:
    node = request.app[NODE]
    asyncio.get_running_loop().call_later(0.05, node.request_stop)
    return _json({"Message": "shutting down", "Pid": os.getpid()})


def setup(app: web.Application) -> None:
    app.add_routes(routes)
