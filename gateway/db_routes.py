"""Redis commands over HTTP and WebSocket, for browsers: the same command table as RESP.

    POST /db            body ["SET", "k", "v"]  or  [["SET","k","v"], ["GET","k"]]
    GET  /db/ws         WebSocket: each text message is one such JSON body, answered in order
Authorization: `Bearer <mmsid>` (or `?mmsid=`). Replies are JSON: strings for bulk strings
(invalid UTF-8 as {"base64": ...}), numbers, null, arrays, objects for maps, and
{"error": "ERR ..."} for error replies.
"""
from __future__ import annotations

import base64
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from gateway.responses import NODE, api_error, json_response
from mimeidb.commands import dispatch
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import NULL_ARRAY, Block, Map
from mimeidb.commands.table import FLAG_BLOCKING, load_all, resolve

routes = web.RouteTableDef()
MAX_COMMANDS = 1000  # per request: a browser batch, not a bulk loader
# Data commands only: connection-state commands (MULTI, SUBSCRIBE, CLIENT...) belong to RESP.
_DATA_COMMANDS = "mimeidb.commands."


class HttpContext:
    """The command context of one HTTP request (RESP3 shapes: maps stay maps)."""

    protocol = 3
    session = None

    def __init__(self, binding: Any, services: Any) -> None:
        self.ks = binding.keyspace
        self.binding = binding
        self.services = services


def to_json(reply: Any) -> Any:
    if isinstance(reply, (bytes, bytearray)):
        try:
            return reply.decode()
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(reply).decode()}
    if isinstance(reply, Map):
        return {_key(k): to_json(v) for k, v in reply}
    if isinstance(reply, (list, tuple)):
        return [to_json(item) for item in reply]
    if reply is None or reply is NULL_ARRAY:
        return None
    if isinstance(reply, str):
        return str(reply)  # plain str, not the Simple/Verbatim subclass
    if isinstance(reply, (bool, int, float)):
        return reply
    return str(reply)


def _key(key: Any) -> str:
    value = to_json(key)
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _argv(command: Any) -> list[bytes]:
    if not isinstance(command, list) or not command or not all(isinstance(a, (str, int, float)) for a in command):
        raise ValueError("a command is a non-empty JSON array of strings and numbers")
    return [a.encode() if isinstance(a, str) else str(a).encode() for a in command]


def run_commands(node: Any, binding: Any, body: Any) -> Any:
    """Run one command or a list of commands; the reply (or list of replies) as JSON values."""
    batch = isinstance(body, list) and body and isinstance(body[0], list)
    commands = body if batch else [body]
    if len(commands) > MAX_COMMANDS:
        raise ValueError(f"at most {MAX_COMMANDS} commands per request")
    ctx = HttpContext(binding, node)
    replies = []
    for command in commands:
        argv = _argv(command)
        try:
            spec = resolve(argv)
            if FLAG_BLOCKING in spec.flags or not spec.handler.__module__.startswith(_DATA_COMMANDS):
                raise RedisError(f"ERR '{spec.name}' is not available over HTTP")
            reply = dispatch.execute(ctx, argv)
            if isinstance(reply, Block):
                reply = reply.timeout_reply
            replies.append(to_json(reply))
        except RedisError as exc:
            replies.append({"error": exc.message})
    node.buffer.flush()
    return replies if batch else replies[0]


def _binding(request: web.Request) -> Any:
    header = request.headers.get("Authorization", "")
    token = header[7:] if header.startswith("Bearer ") else request.query.get("mmsid", "")
    try:
        return request.app[NODE].mimei.bind_mmsid(token)
    except KeyError:
        return None


@routes.post("/db")
async def db_http(request: web.Request) -> web.Response:
    binding = _binding(request)
    if binding is None or binding.keyspace is None:
        return api_error(401, "send the mmsid of a db Mimei as `Authorization: Bearer <mmsid>`")
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        return api_error(400, "the body must be JSON")
    return json_response(run_commands(request.app[NODE], binding, body))


@routes.get("/db/ws")
async def db_ws(request: web.Request) -> web.StreamResponse:
    binding = _binding(request)
    if binding is None or binding.keyspace is None:
        return api_error(401, "send the mmsid of a db Mimei as `?mmsid=<mmsid>`")
    ws = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            break
        try:
            reply = run_commands(request.app[NODE], binding, orjson.loads(msg.data))
        except (ValueError, orjson.JSONDecodeError) as exc:
            reply = {"error": f"ERR {exc}"}
        await ws.send_str(orjson.dumps(reply).decode())
    return ws


def setup(app: web.Application) -> None:
    load_all()
    app.add_routes(routes)
