"""The `ipfs`, `repo` and `dag` CLI handlers against the real routes (aiohttp test server),
through a small synchronous stand-in for the lead's ApiClient."""
import argparse
import asyncio
import io
import threading
from types import SimpleNamespace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway import ipfs_routes
from gateway.app import guard
from mimeidb.cli import ipfs_cmd
from mimeidb.cli.client import CliError
from mimeidb.ipfs.blockstore import RocksBlockStore
from mimeidb.store.db import Database
from tests.test_ipfs_fixtures import kubo_bytes, make_testdirlisting
from gateway.responses import NODE, TOKEN


class SyncApi:
    """call/stream as the CLI client offers them, over urllib to a server on a thread."""

    def __init__(self, base):
        self.base = base

    def _open(self, method, path, params, data):
        import urllib.parse
        import urllib.request
        query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None})
        if data is not None and not isinstance(data, bytes):
            data = b"".join(data if not hasattr(data, "read") else [data.read()])
        req = urllib.request.Request(f"{self.base}{path}?{query}", data=data, method=method,
                                     headers={"Authorization": "Bearer t"})
        try:
            return urllib.request.urlopen(req)
        except urllib.error.HTTPError as exc:
            import json
            raise CliError(json.loads(exc.read())["error"]) from None

    def call(self, method, path, params=None, json=None, data=None, progress=None):
        import orjson
        return orjson.loads(self._open(method, path, params, data).read())

    def stream(self, method, path, params=None, data=None):
        yield self._open(method, path, params, data).read()


@pytest.fixture
def ctx(tmp_path):
    db = Database(tmp_path / "db")
    app = web.Application(middlewares=[guard])
    app[NODE] = SimpleNamespace(db=db, blocks=RocksBlockStore(db))
    app[TOKEN] = "t"
    ipfs_routes.setup(app)
    loop = asyncio.new_event_loop()
    server = TestServer(app, loop=loop)
    loop.run_until_complete(server.start_server())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    emitted = []
    yield SimpleNamespace(api=SyncApi(str(server.make_url(""))), json=False,
                          emit=lambda data, *lines: emitted.extend(lines), out=emitted)
    asyncio.run_coroutine_threadsafe(server.close(), loop).result()
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    db.close()


def parse(*argv):
    parser = argparse.ArgumentParser()
    ipfs_cmd.register(parser.add_subparsers())
    return parser.parse_args(argv)


def run(ctx, *argv):
    args = parse(*argv)
    return args.func(args, ctx)


def test_add_file_and_quiet(ctx, tmp_path):
    f = tmp_path / "hello.txt"
    f.write_bytes(b"hello world\n")
    assert run(ctx, "ipfs", "add", str(f)) == 0
    assert ctx.out[-1] == "ipfs add ok /ipfs/QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    run(ctx, "ipfs", "add", "-q", "--cid-version", "1", str(f))
    assert ctx.out[-1].startswith("bafkrei")


def test_add_recursive_get_and_ls(ctx, tmp_path, monkeypatch):
    src = make_testdirlisting(tmp_path)
    (src / "big").write_bytes(kubo_bytes(600_000, "cli"))
    run(ctx, "ipfs", "add", "-r", str(src))
    root = ctx.out[-1].split("/ipfs/")[1]
    assert ctx.out[-2] == f"added {root} testdirlisting"
    assert any(line.endswith(" testdirlisting/ipfs/ipns/bar") for line in ctx.out)
    run(ctx, "ipfs", "add", "-r", "-q", "--only-hash", str(src))
    assert ctx.out[-1] == root
    run(ctx, "ipfs", "ls", root)
    assert ctx.out[-1].endswith(" ipfs/")
    out = tmp_path / "copy"
    run(ctx, "ipfs", "get", root, "-o", str(out))
    assert (out / "big").read_bytes() == (src / "big").read_bytes()
    assert (out / "ipfs" / "ipns" / "bar").read_text() == "text-file-content\n"
    with pytest.raises(CliError):
        run(ctx, "ipfs", "add", str(src))  # a directory without -r


def test_pins_gc_dag(ctx, tmp_path):
    f = tmp_path / "x"
    f.write_bytes(kubo_bytes(300_000, "x"))
    run(ctx, "ipfs", "add", "-q", "--no-pin", str(f))
    c = ctx.out[-1]
    run(ctx, "dag", "export", c, "-o", str(tmp_path / "x.car"))
    run(ctx, "repo", "gc")
    assert ctx.out[-1] == "removed 3 blocks"
    run(ctx, "dag", "import", str(tmp_path / "x.car"))
    assert ctx.out[-2] == f"Pinned root {c} success"
    run(ctx, "ipfs", "pin", "ls")
    assert ctx.out[-1] == f"{c} recursive"
    run(ctx, "ipfs", "pin", "rm", c)
    run(ctx, "ipfs", "block", "stat", c)
    assert ctx.out[-1].startswith("Size: ")
