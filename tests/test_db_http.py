"""Redis commands over HTTP and WebSocket (/db), against a real node process."""
import asyncio
import json
import urllib.error
import urllib.request

import aiohttp
import pytest
import redis


def post(port: int, body, mmsid: str | None):
    headers = {"Content-Type": "application/json"}
    if mmsid:
        headers["Authorization"] = f"Bearer {mmsid}"
    req = urllib.request.Request(f"http://127.0.0.1:{port}/db", data=json.dumps(body).encode(),
                                 headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_http_and_resp_share_one_keyspace(shared_node):
    node = shared_node
    mid = node.out("mimei", "create", "-t", "db").split("mid= ")[1].strip()
    mmsid = node.out("mimei", "open", mid).strip()
    assert post(node.http_port, ["SET", "k", "v"], mmsid) == "OK"
    assert redis.Redis(port=node.resp_port, password=mmsid).get("k") == b"v"
    replies = post(node.http_port, [["HSET", "h", "a", "1"], ["HGETALL", "h"], ["INCR", "k"],
                                    ["GET", "missing"], ["NOSUCH"]], mmsid)
    assert replies[0] == 1
    assert replies[1] == {"a": "1"}
    assert replies[2] == {"error": "ERR value is not an integer or out of range"}
    assert replies[3] is None
    assert replies[4]["error"].startswith("ERR unknown command 'NOSUCH'")
    assert post(node.http_port, ["BLPOP", "l", "0"], mmsid)["error"].endswith("not available over HTTP")


def test_http_needs_an_mmsid(shared_node):
    with pytest.raises(urllib.error.HTTPError) as err:
        post(shared_node.http_port, ["GET", "k"], None)
    assert err.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as err:
        post(shared_node.http_port, ["GET", "k"], "0" * 40)
    assert err.value.code == 401


def test_websocket(shared_node):
    node = shared_node
    mmsid = node.out("mimei", "open", node.out("mimei", "default").strip()).strip()

    async def talk():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"http://127.0.0.1:{node.http_port}/db/ws?mmsid={mmsid}") as ws:
                await ws.send_str(json.dumps(["SET", "ws", "1"]))
                first = json.loads(await ws.receive_str())
                await ws.send_str(json.dumps([["INCR", "ws"], ["GET", "ws"]]))
                second = json.loads(await ws.receive_str())
                await ws.send_str("not json")
                third = json.loads(await ws.receive_str())
                return first, second, third

    first, second, third = asyncio.run(talk())
    assert first == "OK" and second == [2, "2"] and third["error"].startswith("ERR")
