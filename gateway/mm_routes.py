"""The public Mimei gateway: /mm/<mid>[:<ver>][/path].

A file Mimei's version is served exactly as /ipfs serves its UnixFS root (ipfs_routes.
serve_path: Content-Type, ETag = the content CID, Range, HEAD, listings, index.html,
?format=raw|car). Only caching differs: `/mm/<mid>` follows the newest version, so it is
`no-cache` (clients revalidate, and the CID ETag makes that a cheap 304), while `/mm/<mid>:<n>`
names an immutable version. A db Mimei answers with a JSON dump of its keys at that version.

Status codes: 400 for a malformed mid or version, 404 for an unknown Mimei, version or path.
"""
from __future__ import annotations

import asyncio

from aiohttp import web

from gateway.ipfs_routes import CACHE_IMMUTABLE, serve_path
from gateway.responses import NODE, json_response
from mimeidb import files
from mimeidb.dump import dump_keyspace
from mimeidb.ipfs import cid as cids
from mimeidb.ipfs import importer

CACHE_MUTABLE = "no-cache"
DUMP_LIMIT = 10000
_CACHE = "mm_cache_control"   # request keys: the Cache-Control this /mm response must carry,
_VERSION = "mm_version"       # and the version number it serves (X-Mimei-Version)


def setup(app: web.Application) -> None:
    app.router.add_get("/mm/{ref}", mm_get)
    app.router.add_get("/mm/{ref}/{path:.*}", mm_get)
    app.on_response_prepare.append(_set_cache_control)


async def _set_cache_control(request: web.Request, response: web.StreamResponse) -> None:
    """serve_path writes immutable caching for CIDs; a /mm response may follow a moving head."""
    wanted = request.get(_CACHE)
    if wanted is None:
        return
    if "Cache-Control" in response.headers:
        response.headers["Cache-Control"] = wanted
    response.headers["X-Mimei-Version"] = str(request[_VERSION])


def _text(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=message + "\n", content_type="text/plain")


async def mm_get(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    try:
        mid, ver = files.parse_ref(request.match_info["ref"])
        segments = [s for s in request.match_info.get("path", "").split("/") if s]
        for s in segments:
            importer.check_name(s)
    except ValueError as exc:
        return _text(400, f"bad request: {exc}")
    try:
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(None, files.locate, node.mimei, mid, ver, segments)
    except files.NotFound as exc:
        return _text(404, f"not found: {exc}")
    except ValueError as exc:
        return _text(400, f"bad request: {exc}")
    request[_CACHE] = CACHE_IMMUTABLE if ver.isdigit() else CACHE_MUTABLE
    request[_VERSION] = found.version
    if found.record.type == "db":
        if segments:
            return _text(404, f"not found: {mid} is a db Mimei: it has no paths")
        return await _dump(request, node, found)
    return await serve_path(request, node.blocks, found.commit.data, segments)


async def _dump(request: web.Request, node, found: files.Located) -> web.Response:
    """A db version's keys as JSON: ?match=<glob> (default *), at most DUMP_LIMIT rows."""
    pattern = request.query.get("match", "*").encode()
    ks = node.mimei.version_keyspace(found.record.mid, found.version)
    rows = await asyncio.get_running_loop().run_in_executor(None, dump_keyspace, ks, pattern, DUMP_LIMIT)
    response = json_response({"mid": found.record.mid, "version": found.version,
                              "data": cids.format(found.commit.data), "keys": rows})
    response.headers["Cache-Control"] = request[_CACHE]
    return response
