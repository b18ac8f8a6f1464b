"""File Mimei end to end, on real node processes: the CLI (setcid, add, get) and /mm over HTTP."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from mimeidb.config import DB_DIR
from mimeidb.ipfs import cid as cids
from mimeidb.ipfs import importer

ROOT = Path(__file__).resolve().parent.parent
DROP_VERSION = """
import sys
from mimeidb.store.db import Database
from mimeidb.versions.history import VersionIndex
db = Database(sys.argv[1])
VersionIndex(db).delete(sys.argv[2], [int(sys.argv[3])])
db.close()
"""


def _create(node, *args: str) -> str:
    return node.out("mimei", "create", *args).split("mid= ")[1].strip()


def _http(node, path: str, method: str = "GET", headers: dict | None = None):
    """(status, headers, body) without following redirects."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **kw):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(f"http://127.0.0.1:{node.http_port}{path}", method=method,
                                 headers=headers or {})
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.fixture(scope="module")
def file_mimei(shared_node, tmp_path_factory):
    """A file Mimei with version 1 (setcid of an `ipfs add`) and version 2 (`mimei add`)."""
    tmp = tmp_path_factory.mktemp("files")
    mid = _create(shared_node)
    v1 = tmp / "v1.txt"
    v1.write_bytes(b"first version\n")
    cid1 = shared_node.out("ipfs", "add", "-q", str(v1)).strip()
    setcid = shared_node.out("mimei", "setcid", mid, cid1).splitlines()
    v2 = tmp / "v2.txt"
    v2.write_bytes(b"the second version, a little longer\n" * 3)
    add = shared_node.out("mimei", "add", mid, str(v2)).splitlines()
    cid2 = cids.format(importer.add_bytes(None, v2.read_bytes()).cid)
    return {"mid": mid, "cid1": cid1, "cid2": cid2, "setcid": setcid, "add": add,
            "v1": v1.read_bytes(), "v2": v2.read_bytes(), "tmp": tmp}


def test_setcid_and_add_print_the_seed_shape(file_mimei):
    m = file_mimei
    assert m["setcid"] == [f"mid= {m['mid']}", f"cid= {m['cid1']}", "MiMeiSetCid ver= 1"]
    assert m["add"] == [f"add /ipfs/{m['cid2']} {len(m['v2'])}", f"MiMeiAdd cid= /ipfs/{m['cid2']}",
                        "MiMeiAdd ver= 2"]


def test_get_reads_last_and_old_versions(shared_node, file_mimei):
    m = file_mimei
    assert shared_node.cli("mimei", "get", m["mid"], check=True).stdout == m["v2"]
    assert shared_node.cli("mimei", "get", m["mid"], "--ver", "1", check=True).stdout == m["v1"]
    out = m["tmp"] / "got-v1.txt"
    shared_node.out("mimei", "get", m["mid"], "-v", "1", "-o", str(out))
    assert out.read_bytes() == m["v1"]
    bad = shared_node.cli("mimei", "get", m["mid"], "--ver", "7")
    assert bad.returncode != 0 and b"no version 7" in bad.stderr


def test_setcid_of_the_newest_content_makes_no_version(shared_node, file_mimei):
    m = file_mimei
    assert shared_node.out("mimei", "setcid", m["mid"], m["cid2"]).splitlines()[-1] == "MiMeiSetCid ver= 2"
    reply = shared_node.cli("mimei", "setcid", m["mid"], "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")
    assert reply.returncode != 0 and b"not on this node" in reply.stderr


def test_mm_serves_versions_with_their_caching(shared_node, file_mimei):
    m = file_mimei
    status, headers, body = _http(shared_node, f"/mm/{m['mid']}")
    assert (status, body) == (200, m["v2"])
    assert headers["ETag"] == f'"{m["cid2"]}"' and headers["Cache-Control"] == "no-cache"
    assert headers["Content-Type"].startswith("text/plain") and headers["X-Mimei-Version"] == "2"
    status, headers, body = _http(shared_node, f"/mm/{m['mid']}:1")
    assert (status, body) == (200, m["v1"])
    assert headers["ETag"] == f'"{m["cid1"]}"' and "immutable" in headers["Cache-Control"]
    status, headers, _ = _http(shared_node, f"/mm/{m['mid']}", headers={"If-None-Match": f'"{m["cid2"]}"'})
    assert status == 304 and headers["Cache-Control"] == "no-cache"


def test_mm_range_and_head(shared_node, file_mimei):
    m = file_mimei
    status, headers, body = _http(shared_node, f"/mm/{m['mid']}:2", headers={"Range": "bytes=4-9"})
    assert (status, body) == (206, m["v2"][4:10])
    assert headers["Content-Range"] == f"bytes 4-9/{len(m['v2'])}"
    status, headers, body = _http(shared_node, f"/mm/{m['mid']}", headers={"Range": "bytes=-5"})
    assert (status, body) == (206, m["v2"][-5:])
    status, headers, body = _http(shared_node, f"/mm/{m['mid']}", method="HEAD")
    assert (status, body) == (200, b"") and int(headers["Content-Length"]) == len(m["v2"])
    status, _, _ = _http(shared_node, f"/mm/{m['mid']}", headers={"Range": "bytes=9999-"})
    assert status == 416


def test_mm_errors(shared_node, file_mimei):
    mid = file_mimei["mid"]
    unknown = "A" * 26 + mid[-1]
    assert _http(shared_node, f"/mm/{mid}:9")[0] == 404
    assert _http(shared_node, f"/mm/{unknown}")[0] == 404
    assert _http(shared_node, f"/mm/{mid}/no/such/path")[0] == 404
    assert _http(shared_node, "/mm/not-a-mid")[0] == 400
    assert _http(shared_node, f"/mm/{mid}:abc")[0] == 400
    assert _http(shared_node, f"/mm/{mid}:0")[0] == 400
    fresh = _create(shared_node)
    assert _http(shared_node, f"/mm/{fresh}")[0] == 404  # no version yet


def test_directory_mimei(shared_node, tmp_path):
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    (site / "docs" / "a.txt").write_bytes(b"alpha\n")
    (site / "b.bin").write_bytes(os.urandom(300_000))
    mid = _create(shared_node)
    lines = shared_node.out("mimei", "add", mid, "-r", str(site)).splitlines()
    root = cids.format(importer.add_path(None, site).cid)
    assert lines[-2:] == [f"MiMeiAdd cid= /ipfs/{root}", "MiMeiAdd ver= 1"]

    listing = shared_node.out("mimei", "get", mid).splitlines()
    assert [line.split()[-1] for line in listing] == ["b.bin", "docs/"]
    assert shared_node.cli("mimei", "get", f"{mid}/docs/a.txt", check=True).stdout == b"alpha\n"
    shared_node.out("mimei", "get", mid, "-o", str(tmp_path / "out"))
    assert (tmp_path / "out" / "b.bin").read_bytes() == (site / "b.bin").read_bytes()
    assert (tmp_path / "out" / "docs" / "a.txt").read_bytes() == b"alpha\n"

    status, headers, _ = _http(shared_node, f"/mm/{mid}")
    assert status == 301 and headers["Location"] == f"/mm/{mid}/"
    status, headers, body = _http(shared_node, f"/mm/{mid}/")
    assert status == 200 and b"docs/" in body and headers["Cache-Control"] == "no-cache"
    status, _, body = _http(shared_node, f"/mm/{mid}:1/docs/a.txt")
    assert (status, body) == (200, b"alpha\n")
    status, headers, body = _http(shared_node, f"/mm/{mid}/b.bin", headers={"Range": "bytes=262140-262150"})
    assert (status, body) == (206, (site / "b.bin").read_bytes()[262140:262151])

    (site / "index.html").write_bytes(b"<html>home</html>")
    assert shared_node.out("mimei", "add", mid, "-r", str(site)).splitlines()[-1] == "MiMeiAdd ver= 2"
    status, headers, body = _http(shared_node, f"/mm/{mid}/")
    assert (status, body) == (200, b"<html>home</html>") and headers["Content-Type"].startswith("text/html")
    assert _http(shared_node, f"/mm/{mid}:1/")[2] != body  # version 1 still lists


def test_add_refuses_what_it_cannot_version(shared_node, tmp_path):
    f = tmp_path / "f.txt"
    f.write_bytes(b"x")
    db_mid = _create(shared_node, "-t", "db")  # may start with "-": hence the "--" below
    reply = shared_node.cli("mimei", "add", "--", db_mid, str(f))
    assert reply.returncode != 0 and b"db Mimei" in reply.stderr
    reply = shared_node.cli("mimei", "add", "A" * 27, str(f))
    assert reply.returncode != 0 and b"no such Mimei" in reply.stderr
    reply = shared_node.cli("mimei", "get", "--", db_mid)
    assert reply.returncode != 0 and b"grep" in reply.stderr


def test_gc_keeps_kept_versions_only(make_node, tmp_path):
    node = make_node("gc")
    mid = _create(node)
    one, two = tmp_path / "one.bin", tmp_path / "two.bin"
    one.write_bytes(os.urandom(600_000))  # several blocks each
    two.write_bytes(os.urandom(700_000))
    cid1 = node.out("ipfs", "add", "-q", "--no-pin", str(one)).strip()
    node.out("mimei", "setcid", mid, cid1)
    cid2 = node.out("mimei", "add", mid, str(two)).splitlines()[0].split()[1].removeprefix("/ipfs/")
    node.out("repo", "gc")  # nothing pinned: the versions alone keep both files
    assert node.cli("mimei", "get", mid, "-v", "1", check=True).stdout == one.read_bytes()
    assert node.cli("ipfs", "cat", cid2, check=True).stdout == two.read_bytes()

    node.stop()  # drop version 1 offline, in a process of its own (it holds the DB lock)
    subprocess.run([sys.executable, "-c", DROP_VERSION, str(node.home / DB_DIR), mid, "1"],
                   check=True, timeout=30, cwd=ROOT)
    node.start()
    removed = int(node.out("repo", "gc").split()[1])
    assert removed >= 4  # version 1's file DAG (3 leaves + root); version 2's prev link kept none
    assert node.cli("ipfs", "cat", cid1).returncode != 0
    assert _http(node, f"/mm/{mid}:1")[0] == 404
    # version 2's data, its commit block (read by every get) and the record stay
    assert node.cli("mimei", "get", mid, check=True).stdout == two.read_bytes()
    assert hashlib.sha256(_http(node, f"/mm/{mid}:2")[2]).digest() == hashlib.sha256(two.read_bytes()).digest()
    assert mid in node.out("mimei", "list")
    assert int(node.out("repo", "gc").split()[1]) == 0


def test_mm_dumps_a_db_version_and_gc_keeps_its_tree(shared_node):
    pytest.importorskip("mimeidb.cli.versions_cmd")  # `mimei backup` belongs to the versions CLI
    redis = pytest.importorskip("redis")
    mid = _create(shared_node, "-t", "db")
    mmsid = shared_node.out("mimei", "open", "--", mid).strip()
    client = redis.Redis(port=shared_node.resp_port, password=mmsid)
    client.set("greeting", "hello")
    client.hset("user:1", mapping={"name": "ann"})
    client.close()
    shared_node.out("mimei", "backup", "--", mid)
    shared_node.out("repo", "gc")  # the version's Merkle search tree is a walked GC root
    status, headers, body = _http(shared_node, f"/mm/{mid}")
    assert status == 200 and headers["Cache-Control"] == "no-cache"
    doc = json.loads(body)
    assert doc["version"] == 1
    assert {(k["key"], k["value"]) for k in doc["keys"]} == {("greeting", "hello"), ("user:1", "map[name:ann]")}
    status, headers, body = _http(shared_node, f"/mm/{mid}:1?match=user:*")
    assert "immutable" in headers["Cache-Control"] and [k["key"] for k in json.loads(body)["keys"]] == ["user:1"]
    assert _http(shared_node, f"/mm/{mid}/path")[0] == 404
