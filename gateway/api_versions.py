"""Node API for Mimei versions: backup, history, diff, restore, release, delvers, verify,
show, set (autobackup), import (register a verified commit received by `dag import`).

Handlers run on the event loop, like RESP commands, because they read and write the live
keyspaces and the shared write buffer."""
from __future__ import annotations

from aiohttp import web

from gateway.responses import NODE, json_body, json_response
from mimeidb.ipfs import cid as cids

routes = web.RouteTableDef()
API = "/api/v0/mimei/"


def _arg(request: web.Request, doc: dict, name: str, default: str = "") -> str:
    value = doc.get(name, request.query.get(name, default))
    return str(value) if value is not None else default


def _keys(raw: set[bytes]) -> list[str]:
    return sorted(k.decode("utf-8", "backslashreplace") for k in raw)


@routes.post(API + "backup")
async def backup(request: web.Request) -> web.Response:
    doc = await json_body(request)
    mimei = request.app[NODE].mimei
    mid = _arg(request, doc, "mid")
    commit = mimei.backup(mid, _arg(request, doc, "memo"))
    if commit is None:
        return json_response({"mid": mid, "changed": False, "version": mimei.versions.last(mid)})
    return json_response({"mid": mid, "changed": True, "version": commit.version,
                          "commit": cids.format(commit.cid), "data": cids.format(commit.data)})


@routes.get(API + "history")
async def history(request: web.Request) -> web.Response:
    mimei = request.app[NODE].mimei
    mid = request.query.get("mid", "")
    rows = mimei.history(mid)
    return json_response({"mid": mid, "versions": rows, "last": mimei.versions.last(mid),
                          "release": mimei.versions.release(mid)})


@routes.get(API + "diff")
async def diff(request: web.Request) -> web.Response:
    mid = request.query.get("mid", "")
    a, b = request.query.get("a", "last"), request.query.get("b", "cur")
    result = request.app[NODE].mimei.diff(mid, a, b)
    return json_response({"mid": mid, "a": a, "b": b,
                          **{name: _keys(result[name]) for name in ("added", "changed", "removed")}})


@routes.post(API + "restore")
async def restore(request: web.Request) -> web.Response:
    doc = await json_body(request)
    mimei = request.app[NODE].mimei
    mid, ver = _arg(request, doc, "mid"), _arg(request, doc, "ver")
    keys = mimei.restore(mid, ver)
    return json_response({"mid": mid, "version": mimei.versions.resolve(mid, ver), "keys": keys})


@routes.post(API + "release")
async def release(request: web.Request) -> web.Response:
    doc = await json_body(request)
    mid = _arg(request, doc, "mid")
    version = request.app[NODE].mimei.release(mid, _arg(request, doc, "ver"))
    return json_response({"mid": mid, "release": version})


@routes.post(API + "delvers")
async def delvers(request: web.Request) -> web.Response:
    doc = await json_body(request)
    mid = _arg(request, doc, "mid")
    raw = doc.get("versions", [])
    if not isinstance(raw, list) or not raw:
        raise ValueError("give the version numbers to drop")
    numbers = []
    for item in raw:
        if not str(item).isdigit():
            raise ValueError(f"bad version number {item!r}")
        numbers.append(int(item))
    dropped = request.app[NODE].mimei.delete_versions(mid, numbers)
    return json_response({"mid": mid, "dropped": dropped})


@routes.get(API + "verify")
async def verify(request: web.Request) -> web.Response:
    mimei = request.app[NODE].mimei
    return json_response(mimei.verify(request.query.get("mid", ""), request.query.get("ver") or None))


@routes.get(API + "show")
async def show(request: web.Request) -> web.Response:
    return json_response(request.app[NODE].mimei.show(request.query.get("mid", "")))


@routes.post(API + "set")
async def set_(request: web.Request) -> web.Response:
    doc = await json_body(request)
    mid, name = _arg(request, doc, "mid"), _arg(request, doc, "name").lower()
    value = _arg(request, doc, "value")
    if name != "autobackup":
        raise ValueError(f"unknown Mimei setting {name!r} (settable: autobackup)")
    if not value.isdigit():
        raise ValueError("autobackup takes a delay in ms (0 = off)")
    delay = request.app[NODE].mimei.autobackup(mid, int(value))
    return json_response({"mid": mid, "autobackup": delay})


@routes.post(API + "import")
async def import_(request: web.Request) -> web.Response:
    doc = await json_body(request)
    text = _arg(request, doc, "commit")
    try:
        commit_cid = cids.parse(text)
    except ValueError:
        raise ValueError(f"not a CID: {text!r}") from None
    return json_response(request.app[NODE].mimei.import_commit(commit_cid))


def setup(app: web.Application) -> None:
    app.add_routes(routes)
