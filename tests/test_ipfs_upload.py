"""Uploads end to end: the CLI client (sendfile with Content-Length, chunked for pipes, the
node's error when it refuses mid-upload) against the node's read-ahead body reader."""
from __future__ import annotations

import asyncio
import socket
import threading
from types import SimpleNamespace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway import ipfs_routes
from gateway.app import guard
from mimeidb.cli.client import ApiClient, CliError
from mimeidb.ipfs import cid, importer
from mimeidb.ipfs.blockstore import RocksBlockStore
from mimeidb.store.db import Database
from tests.test_ipfs_fixtures import kubo_bytes
from gateway.responses import NODE, TOKEN

DATA = kubo_bytes(40 << 20, "upload")   # more than the node's 16 MiB read-ahead


def _client(port: int) -> ApiClient:
    home = SimpleNamespace(path="test-home", load_settings=lambda: SimpleNamespace(Port=port),
                           token=lambda: "t")
    return ApiClient(home)


@pytest.fixture
def node_server(tmp_path):
    """The ipfs routes served on a real port from a thread (the client is blocking)."""
    db = Database(tmp_path / "db")
    node = SimpleNamespace(db=db, blocks=RocksBlockStore(db), version_roots=lambda: [])
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder = {}

    async def start():
        app = web.Application(middlewares=[guard])
        app[NODE], app[TOKEN] = node, "t"
        ipfs_routes.setup(app)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        holder["server"] = server

    def run():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    yield holder["server"].port, node
    asyncio.run_coroutine_threadsafe(holder["server"].close(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    db.close()


def test_sendfile_upload_matches_local_import(node_server, tmp_path):
    port, node = node_server
    path = tmp_path / "big.bin"
    path.write_bytes(DATA)
    seen = []
    with open(path, "rb") as f:
        reply = _client(port).call("POST", "/api/v0/ipfs/add", params={"pin": "false"},
                                   data=f, progress=seen.append)
    expected = cid.format(importer.add_bytes(None, DATA).cid)
    assert reply["cid"] == expected and reply["size"] == len(DATA)
    assert seen and seen[-1] == len(DATA) and seen == sorted(seen)
    assert node.blocks.has(cid.parse(expected))


def test_chunked_upload_of_a_stream(node_server):
    port, _ = node_server
    chunks = (DATA[i:i + 100_000] for i in range(0, 3_000_000, 100_000))
    reply = _client(port).call("POST", "/api/v0/ipfs/add",
                               params={"pin": "false", "only-hash": "true"}, data=chunks)
    assert reply["cid"] == cid.format(importer.add_bytes(None, DATA[:3_000_000]).cid)


def test_body_reader_small_reads_and_tar(node_server, tmp_path):
    """tarfile reads the body 10 KiB at a time: the reader serves it from its buffer."""
    import io
    import tarfile
    port, _ = node_server
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for i in range(3):
            info = tarfile.TarInfo(f"d/f{i}")
            info.size = 7_000_000
            tar.addfile(info, io.BytesIO(DATA[i:i + info.size]))
    tar_path = tmp_path / "d.tar"
    tar_path.write_bytes(buf.getvalue())
    with open(tar_path, "rb") as f:
        reply = _client(port).call("POST", "/api/v0/ipfs/add",
                                   params={"tar": "1", "pin": "false", "only-hash": "true"}, data=f)
    (tmp_path / "d").mkdir()
    for i in range(3):
        (tmp_path / "d" / f"f{i}").write_bytes(DATA[i:i + 7_000_000])
    assert reply["cid"] == cid.format(importer.add_path(None, tmp_path / "d").cid)


def test_refused_upload_reports_the_nodes_error(tmp_path):
    """A server that answers an error at once and closes without reading the body (as the
    node does for an unknown Mimei): the client prints that error, not a broken pipe."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(4096)
        body = b'{"error": "no such Mimei on this node: abc"}'
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        conn.close()   # unread body bytes: the kernel resets the connection

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    path = tmp_path / "big.bin"
    path.write_bytes(DATA)
    with pytest.raises(CliError) as info:
        with open(path, "rb") as f:
            _client(port).call("POST", "/api/v0/mimei/add", params={"mid": "abc"}, data=f)
    assert "no such Mimei" in str(info.value)
    thread.join(5)
    listener.close()
