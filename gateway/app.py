"""The aiohttp application: public routes (/ipfs, /mm) and the node API (/api/v0) the CLI uses.

The node API is admin-only: it answers loopback callers that present the token kept in the
node home (api.token, mode 0600) as `Authorization: Bearer <token>`.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
from typing import Any, Awaitable, Callable

from aiohttp import web

from gateway import (api_files, api_mimei, api_node, api_p2p, api_versions, db_routes, ipfs_routes,
                     mm_routes)
from gateway.responses import NODE, TOKEN, api_error

log = logging.getLogger("mimeidb.gateway")

API_PREFIX = "/api/v0/"
ROUTE_MODULES = [api_node, api_mimei, api_versions, ipfs_routes, api_files, mm_routes, db_routes,
                 api_p2p]


def _is_loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote.split("%")[0]).is_loopback
    except ValueError:
        return False


@web.middleware
async def guard(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    """Admin API: loopback + token. Errors of every route come back as JSON, never a traceback."""
    if request.path.startswith(API_PREFIX):
        if not _is_loopback(request.remote):
            return api_error(403, "the node API only answers on loopback")
        sent = request.headers.get("Authorization", "")
        token = request.app[TOKEN]
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return api_error(401, "missing or wrong API token (see api.token in the node home)")
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (ValueError, KeyError, PermissionError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        return api_error(403 if isinstance(exc, PermissionError) else 400, str(message))
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return api_error(500, "internal error (see the node log)")


def make_app(node: Any) -> web.Application:
    app = web.Application(middlewares=[guard], client_max_size=1024**3)
    app[NODE] = node
    app[TOKEN] = node.home.token()
    for module in ROUTE_MODULES:
        module.setup(app)
    return app
