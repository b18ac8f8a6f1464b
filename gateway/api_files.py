"""Node API for file Mimei: setcid, add (streamed upload -> next version), resolve.

- `POST /api/v0/mimei/setcid` {"mid", "cid", "memo"} -> {"mid", "cid", "version", "commit"}
- `POST /api/v0/mimei/add?mid=&cid-version=0|1&tar=&name=&memo=`: the body is the raw file, or
  with `tar=1` a tar stream of a directory (as /api/v0/ipfs/add). Reply: {"mid", "cid", "name",
  "size", "version", "commit", "entries"}.
- `GET /api/v0/mimei/resolve?mid=&ver=last&path=` -> {"mid", "version", "type", "root",
  "target"}: what `mimei get` reads, through the /api/v0/ipfs/ read routes.
Both writes hold the gateway's GC lock, so `repo gc` never runs between storing blocks and
the version that keeps them.
"""
from __future__ import annotations

import asyncio

from aiohttp import web

from gateway.ipfs_routes import GC_LOCK, _BodyReader, _cid_version, _flag, _run
from gateway.responses import NODE, json_body, json_response
from mimeidb import files
from mimeidb.ipfs import cid as cids
from mimeidb.ipfs import importer
from mimeidb.ipfs.exporter import BlockMissing
from mimeidb.versions.commit import Commit

routes = web.RouteTableDef()


def _reply(mid: str, root: bytes, commit: Commit) -> dict:
    return {"mid": mid, "cid": cids.format(root), "version": commit.version,
            "commit": cids.format(commit.cid)}


@routes.post("/api/v0/mimei/setcid")
async def setcid(request: web.Request) -> web.Response:
    doc = await json_body(request)
    node = request.app[NODE]
    mid = str(doc.get("mid", request.query.get("mid", "")))
    text = str(doc.get("cid", request.query.get("cid", ""))).removeprefix("/ipfs/")
    root = cids.parse(text)
    async with request.app[GC_LOCK]:
        commit = await _run(node.mimei.setcid, mid, root, str(doc.get("memo", "")))
    return json_response(_reply(mid, root, commit))


@routes.post("/api/v0/mimei/add")
async def add(request: web.Request) -> web.Response:
    node = request.app[NODE]
    mid = request.query.get("mid", "")
    files.writable_file_mimei(node.mimei, mid)  # refuse before reading the upload
    version = _cid_version(request)
    as_tar = _flag(request, "tar", False)
    body = _BodyReader(request, asyncio.get_running_loop())
    entries: list[dict] = []

    def on_entry(path: str, added: importer.Added) -> None:
        entries.append({"name": path, "cid": cids.format(added.cid), "size": added.size})

    try:
        async with request.app[GC_LOCK]:
            root, commit = await _run(lambda: files.add(node.mimei, mid, body, version, as_tar,
                                                        request.query.get("memo", ""), on_entry))
    finally:
        body.stop()
    name = request.query.get("name", "") or (entries[-1]["name"] if entries else "")
    return json_response({**_reply(mid, root.cid, commit), "name": name, "size": root.size,
                          "entries": entries})


@routes.get("/api/v0/mimei/resolve")
async def resolve(request: web.Request) -> web.Response:
    node = request.app[NODE]
    mid, ver = request.query.get("mid", ""), request.query.get("ver", "last") or "last"
    segments = [s for s in request.query.get("path", "").split("/") if s]
    if node.mimei.require(mid).type != "file":
        raise ValueError(f"{mid} is a db Mimei: read it with `mimeidb mimei grep {mid}`")
    try:
        found = await _run(files.locate, node.mimei, mid, ver, segments)
    except (files.NotFound, BlockMissing) as exc:
        return json_response({"error": str(exc.args[0] if exc.args else exc)}, 404)
    return json_response({"mid": mid, "version": found.version, "type": found.record.type,
                          "root": cids.format(found.commit.data), "target": cids.format(found.target)})


def setup(app: web.Application) -> None:
    app.add_routes(routes)
