"""JSON responses (orjson) shared by every route module."""
from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

NODE = web.AppKey("node", object)       # the running Node
TOKEN = web.AppKey("token", str)        # the node API's bearer token


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def api_error(status: int, message: str) -> web.Response:
    return json_response({"error": message}, status)


async def json_body(request: web.Request) -> dict:
    """The request's JSON object (empty when there is no body); ValueError when malformed."""
    raw = await request.read()
    if not raw:
        return {}
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ValueError("request body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise ValueError("request body must be a JSON object")
    return doc
