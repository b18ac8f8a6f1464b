"""The /ipfs gateway and /api/v0/ipfs routes over a real Database, through aiohttp's test client."""
import hashlib
import io
import tarfile
from types import SimpleNamespace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway import ipfs_routes
from gateway.app import guard
from mimeidb.ipfs import car, cid, importer, pins
from mimeidb.ipfs.blockstore import RocksBlockStore
from mimeidb.store.db import Database
from tests.test_ipfs_fixtures import kubo_bytes, make_testdirlisting
from gateway.responses import NODE, TOKEN

AUTH = {"Authorization": "Bearer test-token"}
BIG = kubo_bytes(3 * importer.CHUNK_SIZE + 1000, "gateway")


@pytest.fixture
async def env(tmp_path):
    db = Database(tmp_path / "db")
    node = SimpleNamespace(db=db, blocks=RocksBlockStore(db), version_roots=lambda: [])
    app = web.Application(middlewares=[guard])
    app[NODE] = node
    app[TOKEN] = "test-token"
    ipfs_routes.setup(app)
    client = TestClient(TestServer(app))
    await client.start_server()
    site = tmp_path / "site"
    make_testdirlisting(tmp_path)
    site.mkdir()
    (site / "index.html").write_text("<h1>hi</h1>")
    (site / "big.bin").write_bytes(BIG)
    (site / "notes").write_text("plain words\n")
    ids = SimpleNamespace(
        big=cid.format(importer.add_bytes(node.blocks, BIG).cid),
        listing=cid.format(importer.add_path(node.blocks, tmp_path / "testdirlisting").cid),
        site=cid.format(importer.add_path(node.blocks, site).cid),
    )
    yield client, node, ids
    await client.close()
    db.close()


async def test_file_headers_and_body(env):
    client, _, ids = env
    r = await client.get(f"/ipfs/{ids.big}")
    assert r.status == 200
    assert hashlib.sha256(await r.read()).digest() == hashlib.sha256(BIG).digest()
    assert r.headers["ETag"] == f'"{ids.big}"'
    assert r.headers["Cache-Control"] == "public, max-age=29030400, immutable"
    assert r.headers["Accept-Ranges"] == "bytes"
    assert r.headers["Content-Length"] == str(len(BIG))
    assert r.headers["Content-Type"] == "application/octet-stream"


async def test_head(env):
    client, _, ids = env
    r = await client.head(f"/ipfs/{ids.big}")
    assert r.status == 200 and r.headers["Content-Length"] == str(len(BIG))
    assert await r.read() == b""


@pytest.mark.parametrize("header,start,end", [("bytes=0-9", 0, 10), ("bytes=262140-262150", 262140, 262151),
                                              ("bytes=-5", len(BIG) - 5, len(BIG)),
                                              ("bytes=786000-", 786000, len(BIG)),
                                              ("bytes=5-99999999", 5, len(BIG))])
async def test_ranges(env, header, start, end):
    client, _, ids = env
    r = await client.get(f"/ipfs/{ids.big}", headers={"Range": header})
    assert r.status == 206
    assert await r.read() == BIG[start:end]
    assert r.headers["Content-Range"] == f"bytes {start}-{end - 1}/{len(BIG)}"
    assert r.headers["Content-Length"] == str(end - start)


async def test_unsatisfiable_range(env):
    client, _, ids = env
    r = await client.get(f"/ipfs/{ids.big}", headers={"Range": f"bytes={len(BIG)}-"})
    assert r.status == 416 and r.headers["Content-Range"] == f"bytes */{len(BIG)}"


async def test_etag_304(env):
    client, _, ids = env
    r = await client.get(f"/ipfs/{ids.big}", headers={"If-None-Match": f'"{ids.big}"'})
    assert r.status == 304 and r.headers["ETag"] == f'"{ids.big}"'


async def test_paths_and_content_types(env):
    client, _, ids = env
    r = await client.get(f"/ipfs/{ids.listing}/ipfs/ipns/bar")
    assert await r.text() == "text-file-content\n"
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    r = await client.get(f"/ipfs/{ids.listing}/api/file.txt")
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    r = await client.get(f"/ipfs/{ids.site}/notes")
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"


async def test_directory_listing_and_index(env):
    client, _, ids = env
    r = await client.get(f"/ipfs/{ids.listing}", allow_redirects=False)
    assert r.status == 301 and r.headers["Location"] == f"/ipfs/{ids.listing}/"
    r = await client.get(f"/ipfs/{ids.listing}/")
    page = await r.text()
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
    assert 'href="hello"' in page and 'href="ipfs/"' in page
    r = await client.get(f"/ipfs/{ids.site}/")
    assert r.status == 200 and await r.text() == "<h1>hi</h1>"
    assert r.headers["Content-Type"].startswith("text/html")


async def test_format_raw_and_car(env):
    client, node, ids = env
    r = await client.get(f"/ipfs/{ids.big}?format=raw")
    assert r.status == 200 and r.headers["Content-Type"] == "application/vnd.ipld.raw"
    assert await r.read() == node.blocks.get(cid.parse(ids.big))
    r = await client.get(f"/ipfs/{ids.listing}/?format=car")
    assert r.headers["Content-Type"].startswith("application/vnd.ipld.car")
    roots, blocks = car.read_car(io.BytesIO(await r.read()))
    assert roots == [cid.parse(ids.listing)] and len(list(blocks)) == 7  # 8 nodes, two identical files


@pytest.mark.parametrize("path,status", [("/ipfs/notacid", 400), ("/ipfs/Qm123", 400),
                                         ("/ipfs/QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn", 404),
                                         ("/ipfs/{listing}/nope", 404), ("/ipfs/{listing}/hello/x", 400),
                                         ("/ipfs/{big}?format=zip", 400)])
async def test_errors(env, path, status):
    client, _, ids = env
    r = await client.get(path.format(listing=ids.listing, big=ids.big))
    assert r.status == status


# -- API -----------------------------------------------------------------------------

async def test_api_add_cat_ls(env):
    client, node, ids = env
    r = await client.post("/api/v0/ipfs/add?name=f.bin", data=BIG, headers=AUTH)
    reply = await r.json()
    assert reply["cid"] == ids.big and reply["size"] == len(BIG) and reply["name"] == "f.bin"
    assert pins.is_pinned(node.db, cid.parse(ids.big))
    r = await client.get("/api/v0/ipfs/cat", params={"arg": ids.big, "offset": "5", "length": "100"}, headers=AUTH)
    assert await r.read() == BIG[5:105]
    r = await client.get("/api/v0/ipfs/ls", params={"arg": ids.listing}, headers=AUTH)
    assert [e["name"] for e in (await r.json())["entries"]] == ["api", "hello", "ipfs"]
    r = await client.post("/api/v0/ipfs/add?cid-version=1&only-hash=true", data=b"hello world", headers=AUTH)
    assert (await r.json())["cid"] == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    assert not node.blocks.has(cid.parse("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"))


async def test_api_add_tar(env, tmp_path):
    client, _, ids = env
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(tmp_path / "testdirlisting", arcname="testdirlisting")
    r = await client.post("/api/v0/ipfs/add?tar=1", data=buf.getvalue(), headers=AUTH)
    reply = await r.json()
    assert reply["cid"] == ids.listing and reply["entries"][-1]["name"] == "testdirlisting"


async def test_api_requires_token_and_maps_errors(env):
    client, _, ids = env
    assert (await client.get("/api/v0/ipfs/ls", params={"arg": ids.listing})).status == 401
    r = await client.get("/api/v0/ipfs/cat", params={"arg": "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"}, headers=AUTH)
    assert r.status == 404 and "block not found" in (await r.json())["error"]
    r = await client.get("/api/v0/ipfs/cat", params={"arg": "bogus"}, headers=AUTH)
    assert r.status == 400


async def test_api_blocks_pins_gc(env):
    client, node, ids = env
    r = await client.post("/api/v0/ipfs/block/put", data=b"raw bytes", headers=AUTH)
    put = await r.json()
    assert put["size"] == 9 and put["cid"].startswith("bafkrei")
    r = await client.get("/api/v0/ipfs/block/get", params={"arg": put["cid"]}, headers=AUTH)
    assert await r.read() == b"raw bytes"
    r = await client.get("/api/v0/ipfs/block/stat", params={"arg": put["cid"]}, headers=AUTH)
    assert (await r.json())["size"] == 9
    r = await client.post("/api/v0/ipfs/pin/add", params={"arg": ids.listing}, headers=AUTH)
    assert (await r.json())["pins"] == [ids.listing]
    r = await client.get("/api/v0/ipfs/pin/ls", headers=AUTH)
    assert (await r.json())["pins"] == [ids.listing]
    r = await client.post("/api/v0/ipfs/repo/gc", headers=AUTH)
    assert (await r.json())["removed"] > 0
    assert node.blocks.has(cid.parse(ids.listing)) and not node.blocks.has(cid.parse(ids.big))
    assert not node.blocks.has(cid.parse(put["cid"]))
    r = await client.post("/api/v0/ipfs/pin/rm", params={"arg": ids.listing}, headers=AUTH)
    assert r.status == 200
    r = await client.post("/api/v0/ipfs/pin/rm", params={"arg": ids.listing}, headers=AUTH)
    assert r.status == 400


async def test_api_dag_export_import(env, tmp_path):
    client, node, ids = env
    r = await client.get("/api/v0/ipfs/dag/export", params={"arg": ids.big}, headers=AUTH)
    data = await r.read()
    db2 = Database(tmp_path / "db2")
    node2 = SimpleNamespace(db=db2, blocks=RocksBlockStore(db2))
    app = web.Application(middlewares=[guard])
    app[NODE], app[TOKEN] = node2, "test-token"
    ipfs_routes.setup(app)
    async with TestClient(TestServer(app)) as c2:
        bad = bytearray(data)
        bad[-3] ^= 0xFF
        r = await c2.post("/api/v0/ipfs/dag/import", data=bytes(bad), headers=AUTH)
        assert r.status == 400 and "does not match" in (await r.json())["error"]
        r = await c2.post("/api/v0/ipfs/dag/import", data=data, headers=AUTH)
        assert (await r.json()) == {"roots": [ids.big], "blocks": 5, "pinned": True}
        r = await c2.get(f"/ipfs/{ids.big}")
        assert await r.read() == BIG
    db2.close()
