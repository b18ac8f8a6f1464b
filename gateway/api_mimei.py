"""Node API for Mimei: create, open, grep, default, list."""
from __future__ import annotations

from aiohttp import web

from gateway.responses import NODE, json_body, json_response
from mimeidb.dump import dump_keyspace

routes = web.RouteTableDef()


def _arg(request: web.Request, doc: dict, name: str, default: str = "") -> str:
    value = doc.get(name, request.query.get(name, default))
    return str(value) if value is not None else default


@routes.post("/api/v0/mimei/create")
async def create(request: web.Request) -> web.Response:
    doc = await json_body(request)
    node = request.app[NODE]
    record = node.mimei.create(_arg(request, doc, "type", "file"), app=_arg(request, doc, "app"),
                               ext=_arg(request, doc, "ext"), mark=_arg(request, doc, "mark"))
    return json_response(record.to_dict())


@routes.post("/api/v0/mimei/open")
async def open_(request: web.Request) -> web.Response:
    doc = await json_body(request)
    binding = request.app[NODE].mimei.open(_arg(request, doc, "mid"), _arg(request, doc, "ver", "cur"))
    return json_response({"mmsid": binding.mmsid, **binding.info()})


@routes.get("/api/v0/mimei/grep")
async def grep(request: web.Request) -> web.Response:
    node = request.app[NODE]
    binding = node.mimei.open(request.query.get("mid", ""), request.query.get("ver", "cur"))
    if binding.mtype != "db":
        raise ValueError(f"{binding.mid} is a file Mimei: use `mimei get`")
    pattern = request.query.get("pattern", "*").encode()
    limit = int(request.query.get("limit", "10000"))
    rows = dump_keyspace(binding.keyspace, pattern, limit)
    return json_response({"mmsid": binding.mmsid, **binding.info(), "keys": rows})


@routes.route("*", "/api/v0/mimei/default")
async def default(request: web.Request) -> web.Response:
    node = request.app[NODE]
    if request.method == "POST":
        doc = await json_body(request)
        node.set_default_mimei(_arg(request, doc, "mid"))
    return json_response({"mid": node.mimei.default_mid})


@routes.get("/api/v0/mimei/list")
async def list_(request: web.Request) -> web.Response:
    return json_response([r.to_dict() for r in request.app[NODE].mimei.list()])


@routes.get("/api/v0/mimei/record")
async def record(request: web.Request) -> web.Response:
    return json_response(request.app[NODE].mimei.require(request.query.get("mid", "")).to_dict())


def setup(app: web.Application) -> None:
    app.add_routes(routes)
