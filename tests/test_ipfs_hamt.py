"""HAMT-sharded directories: kubo's CIDs for sharded trees, and reading them back.

Known CIDs come from kubo's own tests:
- test/sharness/t0260-sharding.sh: `testdata` = 2000 files `file<i>` holding "<i>\\n",
  added with the sharding threshold at 1G (flat), 1B (sharded, CIDv0 and CIDv1);
- test/cli/cid_profiles_test.go: directories of files holding "x" whose names are drawn from
  kubo's deterministic reader, exactly at and one byte over the 256 KiB threshold, for the
  default profile (unixfs-v0-2015, "links" estimate) and unixfs-v1-2025 ("block" estimate).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from mimeidb.ipfs import cid, dagpb, exporter, hamt, importer, unixfs
from mimeidb.ipfs.blockstore import MemoryBlockStore, multihash_of
from tests.test_ipfs_fixtures import kubo_bytes
from gateway.responses import NODE, TOKEN

T0260_FLAT = "QmavrTrQG4VhoJmantURAYuw3bowq3E2WcvP36NRQDAC1N"
T0260_SHARDED = "QmSCJD1KYLhVVHqBK3YyXuoEqHt7vggyJhzoFYbT8v1XYL"
T0260_SHARDED_V1 = "bafybeibiemewfzzdyhq2l74wrd6qj2oz42usjlktgnlqv4yfawgouaqn4u"
T0260_FILE100 = "QmZ3RfWk1u5LEGYLHA633B5TNJy3Du27K6Fny9wcxpowGS"

ALPHABET_EASY = "abcdefghijklmnopqrstuvwxyz01234567890-_"   # kubo testutils.AlphabetEasy


@pytest.fixture(scope="module")
def testdata(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("t0260") / "testdata"
    d.mkdir()
    for i in range(1, 2001):
        (d / f"file{i}").write_text(f"{i}\n")
    return d


def profile_dir(root: Path, files: int, name_len: int, last_len: int, seed: str) -> Path:
    """kubo's createDeterministicFiles: names from its seeded reader mapped onto
    AlphabetEasy, the last name `last_len` long, every file holding "x"."""
    stream = kubo_bytes(1 << 20, seed)
    d = root / f"{seed}-{files}-{last_len}"
    d.mkdir()
    pos = 0
    for i in range(files):
        n = last_len if i == files - 1 else name_len
        name = "".join(ALPHABET_EASY[b % len(ALPHABET_EASY)] for b in stream[pos:pos + n])
        pos += n
        (d / name).write_bytes(b"x")
    return d


# -- kubo's CIDs ------------------------------------------------------------------

def test_t0260_flat_and_sharded(testdata):
    assert cid.format(importer.add_path(None, testdata, hamt_threshold=1 << 30).cid) == T0260_FLAT
    # 2000 short names are far under 256 KiB: kubo's default keeps the directory flat
    assert cid.format(importer.add_path(None, testdata).cid) == T0260_FLAT
    assert cid.format(importer.add_path(None, testdata, hamt_threshold=1).cid) == T0260_SHARDED
    assert cid.format(importer.add_path(None, testdata, 1, hamt_threshold=1).cid) == T0260_SHARDED_V1


@pytest.mark.parametrize("files,name_len,last_len,expected", [
    (4096, 30, 30, "QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN"),   # 262144: stays flat
    (4033, 31, 31, "QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP"),   # 262145: HAMT
])
def test_default_profile_threshold(tmp_path, files, name_len, last_len, expected):
    d = profile_dir(tmp_path, files, name_len, last_len, "hamt-unixfs-v0-2015")
    store = MemoryBlockStore()
    root = importer.add_path(store, d)
    assert cid.format(root.cid) == expected
    n = exporter.node(store, root.cid)
    assert n.sharded == (files == 4033)
    assert len(exporter.ls(store, root.cid)) == files


@pytest.mark.parametrize("last_len,expected", [
    (21, "bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4"),  # block 262144: flat
    (22, "bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu"),  # 262145: HAMT
])
def test_v1_2025_profile_block_estimate(tmp_path, last_len, expected):
    d = profile_dir(tmp_path, 4766, 11, last_len, "hamt-unixfs-v1-2025")
    root = importer.add_path(None, d, 1, hamt_estimation="block")
    assert cid.format(root.cid) == expected


# -- the format -------------------------------------------------------------------

def test_shard_node_shape(testdata):
    store = MemoryBlockStore()
    root = importer.add_path(store, testdata, hamt_threshold=1)
    data, links = dagpb.decode(store.get(root.cid))
    fs = unixfs.decode(data)
    assert fs.kind == unixfs.Kind.HAMT_SHARD
    assert (fs.hash_type, fs.fanout) == (0x22, 256)
    bits = int.from_bytes(fs.data, "big")
    assert bin(bits).count("1") == len(links)
    indexes = [int(link.name[:2], 16) for link in links]
    assert indexes == sorted(indexes) and all(bits >> i & 1 for i in indexes)
    assert all(link.name[:2] == link.name[:2].upper() for link in links)
    subshards = [link for link in links if len(link.name) == 2]
    assert subshards, "2000 names in 256 buckets must collide"
    # root Tsize = block + the links' Tsizes, as for any dag-pb node
    assert root.tsize == len(store.get(root.cid)) + sum(link.tsize for link in links)


def test_name_placement():
    # a value sits in the bucket named by the top byte of h1 of murmur3-x64-128
    h = hamt.name_hash("file100")
    assert 0 <= h < 1 << 64
    assert hamt.name_hash(b"file100") == h


def test_estimates():
    link = dagpb.Link(bytes(34), "a" * 30, 1)
    assert hamt.estimate([link] * 2) == 128
    assert hamt.link_block_size("a" * 255, bytes(34), 0) == 299      # kubo's own vectors
    assert hamt.link_block_size("a" * 255, bytes(36), 0) == 301
    assert hamt.link_block_size("a" * 10, bytes(36), 0) == 54
    assert hamt.link_block_size("a" * 255, bytes(36), 34359738367) == 305
    assert not hamt.should_shard([link] * 4096, threshold=0)
    with pytest.raises(ValueError):
        hamt.check_fanout(100)


# -- reading sharded directories ------------------------------------------------------

@pytest.fixture(scope="module")
def sharded(testdata):
    store = MemoryBlockStore()
    root = importer.add_path(store, testdata, hamt_threshold=1)
    flat = importer.add_path(store, testdata, hamt_threshold=0)
    return store, root.cid, flat.cid


def test_exporter_resolves_and_cats(sharded):
    store, root, _ = sharded
    text = cid.format(root)
    assert cid.format(exporter.resolve_path(store, f"/ipfs/{text}/file100")) == T0260_FILE100
    assert b"".join(exporter.cat(store, f"{text}/file1999")) == b"1999\n"
    with pytest.raises(FileNotFoundError):
        exporter.resolve_path(store, f"{text}/file2001")
    with pytest.raises(exporter.NotAFile):
        list(exporter.cat(store, text))


def test_exporter_ls_matches_flat(sharded):
    store, root, flat = sharded
    key = lambda e: e.name  # noqa: E731
    assert sorted(exporter.ls(store, root), key=key) == sorted(exporter.ls(store, flat), key=key)
    assert exporter.node(store, root).kind == "dir"


def test_exporter_get(sharded, testdata, tmp_path):
    store, root, _ = sharded
    out = tmp_path / "out"
    exporter.get(store, root, out)
    assert sorted(os.listdir(out)) == sorted(os.listdir(testdata))
    assert (out / "file777").read_text() == "777\n"


def test_missing_blocks(sharded):
    store, root, _ = sharded
    copy = MemoryBlockStore()
    for c, block in _blocks(store, root):
        copy.put(c, block)
    target = exporter.resolve(copy, root, ["file100"])
    del copy.blocks[multihash_of(target)]
    names = {e.name: e for e in exporter.ls(copy, root)}
    assert names["file100"].type == "unknown" and len(names) == 2000
    with pytest.raises(exporter.BlockMissing):
        list(exporter.cat(copy, f"{cid.format(root)}/file100"))
    sub = next(link for link in dagpb.decode(copy.get(root))[1] if len(link.name) == 2)
    del copy.blocks[multihash_of(sub.cid)]
    with pytest.raises(exporter.BlockMissing):
        exporter.ls(copy, root)


def _blocks(store, root):
    from mimeidb.ipfs import dag
    return list(dag.walk(store, root))


def test_tar_import_shards(tmp_path, testdata):
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(testdata, arcname="testdata")
    buf.seek(0)
    root = importer.add_tar(None, buf, hamt_threshold=1)
    assert cid.format(root.cid) == T0260_SHARDED


# -- the gateway ---------------------------------------------------------------------

async def test_gateway_lists_and_serves_sharded_dir(tmp_path, testdata):
    from types import SimpleNamespace

    from gateway import ipfs_routes
    from gateway.app import guard
    from mimeidb.ipfs.blockstore import RocksBlockStore
    from mimeidb.store.db import Database

    db = Database(tmp_path / "db")
    node = SimpleNamespace(db=db, blocks=RocksBlockStore(db), version_roots=lambda: [])
    app = web.Application(middlewares=[guard])
    app[NODE], app[TOKEN] = node, "test-token"
    ipfs_routes.setup(app)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        site = tmp_path / "site"
        shutil.copytree(testdata, site)
        root = cid.format(importer.add_path(node.blocks, testdata, hamt_threshold=1).cid)
        assert root == T0260_SHARDED
        r = await client.get(f"/ipfs/{root}/file100")
        assert r.status == 200 and await r.read() == b"100\n"
        r = await client.get(f"/ipfs/{root}/")
        assert r.status == 200
        page = await r.text()
        assert page.count('<a href="file') == 2000 and T0260_FILE100 in page
        r = await client.get(f"/ipfs/{root}/nope")
        assert r.status == 404
        (site / "index.html").write_text("<p>home</p>")
        with_index = cid.format(importer.add_path(node.blocks, site, hamt_threshold=1).cid)
        r = await client.get(f"/ipfs/{with_index}/")
        assert r.status == 200 and await r.text() == "<p>home</p>"
        r = await client.get("/api/v0/ipfs/ls", params={"arg": root},
                             headers={"Authorization": "Bearer test-token"})
        assert r.status == 200 and len((await r.json())["entries"]) == 2000
        r = await client.get("/api/v0/ipfs/cat", params={"arg": f"{root}/file42"},
                             headers={"Authorization": "Bearer test-token"})
        assert await r.read() == b"42\n"
    finally:
        await client.close()
        db.close()
