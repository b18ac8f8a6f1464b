"""Versions on real node processes, with the real CLI and redis-py: backup/history/open old
versions/READONLY, MM.* over RESP, diff, restore, release, delvers, show, determinism
through a node, auto-backup, kill -9 during backups, CAR export -> import on a second node."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import redis

from tests.nodeproc import NodeProc


def _mid(node: NodeProc) -> str:
    return re.search(r"mid= (\S+)", node.out("mimei", "create", "-t", "db")).group(1)


def _client(node: NodeProc, mid: str, ver: str = "cur") -> redis.Redis:
    token = node.out("mimei", "open", mid, "--ver", ver).strip()
    return redis.Redis(port=node.resp_port, password=token, socket_timeout=10)


def _json(node: NodeProc, *args: str):
    return json.loads(node.out("--json", *args))


def _everything(r: redis.Redis) -> dict:
    out = {}
    for key in r.keys("*"):
        kind = r.type(key)
        out[key] = {b"string": r.get, b"hash": r.hgetall, b"set": r.smembers,
                    b"list": lambda k: r.lrange(k, 0, -1),
                    b"zset": lambda k: r.zrange(k, 0, -1, withscores=True)}[kind](key)
    return out


def test_backup_history_open_old_versions(shared_node):
    node = shared_node
    mid = _mid(node)
    r = _client(node, mid)
    r.set("a", "1")
    r.hset("h", mapping={"f": "v", "g": "w"})
    r.rpush("l", "x", "y")
    assert node.out("mimei", "backup", mid, "-m", "first").startswith("MMBackup ver= 1")
    assert "MMBackup no change, ver= 1" in node.out("mimei", "backup", mid)
    v1 = _everything(r)
    r.set("a", "2")
    r.delete("l")
    r.zadd("z", {"m": 1.5})
    assert r.execute_command("MM.BACKUP", "second") == 2
    assert r.execute_command("MM.BACKUP") == 2  # no change
    v2 = _everything(r)

    history = node.out("mimei", "history", mid)
    lines = [ln.split() for ln in history.splitlines()[1:]]
    assert [ln[0] for ln in lines] == ["1", "2"] and lines[0][1].startswith("bafyrei")
    assert "first" in history and "[last]" in lines[1][-1]
    rows = r.execute_command("MM.HISTORY")
    assert [row[b"version"] if isinstance(row, dict) else dict(zip(row[::2], row[1::2]))[b"version"]
            for row in rows] == [1, 2]

    old = _client(node, mid, "1")
    assert _everything(old) == v1
    with pytest.raises(redis.exceptions.ReadOnlyError):
        old.set("a", "9")
    with pytest.raises(redis.exceptions.ReadOnlyError):
        old.hset("h", "f", "x")
    assert _everything(_client(node, mid, "last")) == v2
    old.execute_command("MM.OPEN", mid, "2")
    assert _everything(old) == v2
    assert _everything(r) == v2  # cur untouched

    diff = node.out("mimei", "diff", mid, "1", "2")
    assert "~ a" in diff and "- l" in diff and "+ z" in diff
    d = r.execute_command("MM.DIFF", "1", "2")
    d = d if isinstance(d, dict) else dict(zip(d[::2], d[1::2]))
    assert d == {b"added": [b"z"], b"changed": [b"a"], b"removed": [b"l"]}

    assert "MMRestore ok ver= 1" in node.out("mimei", "restore", mid, "1")
    assert _everything(r) == v1
    assert r.execute_command("MM.RESTORE", "2") == 3
    assert _everything(r) == v2

    assert "release= 1" in node.out("mimei", "release", mid, "1")
    assert _everything(_client(node, mid, "release")) == v1
    r.set("c", "3")
    assert r.execute_command("MM.BACKUP") == 3
    assert "dropped= 1" in node.out("mimei", "delvers", mid, "1")
    assert node.cli("mimei", "open", mid, "--ver", "1").returncode != 0
    assert node.cli("mimei", "delvers", mid, "3").returncode != 0  # the newest stays
    node.out("repo", "gc")
    assert "checked versions: 2 3" in node.out("mimei", "verify", mid)
    assert "verify ok ver= 2" in node.out("mimei", "verify", mid, "--ver", "2")

    show = node.out("mimei", "show", mid)
    assert show.startswith(f"MiMeiShow mid= {mid}\nAuthor  : ")
    for field in ("AppType :", "Ext     :", "Mark    :", "Create  :", "Right   : 7276704",
                  "from local", "-" * 61):
        assert field in show
    assert re.search(r"^2 +bafyrei\S+$", show, re.M) and re.search(r"^last +3$", show, re.M)


def test_same_content_same_root_through_a_node(shared_node):
    node = shared_node
    a, b = _mid(node), _mid(node)
    ra, rb = _client(node, a), _client(node, b)
    items = [(f"k{i}", str(i) * (i % 40)) for i in range(200)]
    for k, v in items:
        ra.set(k, v)
    ra.hset("h", mapping={"x": "1", "y": "2"})
    ra.execute_command("MM.BACKUP")
    ra.set("junk", "1")
    ra.delete("junk")
    pipe = rb.pipeline(transaction=False)
    pipe.hset("h", "y", "2")
    for k, v in reversed(items):
        pipe.set(k, v)
    pipe.hset("h", "x", "1")
    pipe.execute()
    ra.execute_command("MM.BACKUP")
    rb.execute_command("MM.BACKUP")
    data = [_json(node, "mimei", "history", m)["versions"][-1]["data"] for m in (a, b)]
    assert data[0] == data[1]


def test_autobackup_makes_versions_by_itself(shared_node):
    node = shared_node
    mid = _mid(node)
    r = _client(node, mid)
    assert "autobackup 100 ms" in node.out("mimei", "set", mid, "autobackup", "100")
    assert r.execute_command("MM.AUTOBACKUP") == 100
    for i in range(50):  # coalesced into one version
        r.set(f"k{i}", i)
    deadline = time.time() + 5
    while time.time() < deadline and _json(node, "mimei", "history", mid)["last"] < 1:
        time.sleep(0.05)
    time.sleep(0.3)
    hist = _json(node, "mimei", "history", mid)
    assert hist["last"] == 1 and hist["versions"][0]["memo"] == "auto"
    assert _everything(_client(node, mid, "1")) == _everything(r)
    r.set("k0", "new")
    deadline = time.time() + 5
    while time.time() < deadline and _json(node, "mimei", "history", mid)["last"] < 2:
        time.sleep(0.05)
    assert _client(node, mid, "last").get("k0") == b"new"
    assert r.execute_command("MM.AUTOBACKUP", "0") == 0
    r.set("k1", "later")
    time.sleep(0.4)
    assert _json(node, "mimei", "history", mid)["last"] == 2


def test_kill_9_during_backups_leaves_whole_versions(make_node):
    node = make_node("crash", appendfsync="always")
    mid = _mid(node)
    token = node.out("mimei", "open", mid).strip()
    # a writer that backs up as fast as it can, killed with SIGKILL in the middle
    script = f"""
import redis
r = redis.Redis(port={node.resp_port}, password={token!r})
i = 0
while True:
    pipe = r.pipeline(transaction=False)
    for j in range(200):
        pipe.hset(f"h{{j % 13}}", f"f{{i}}-{{j}}", "v" * (j % 3 * 150))
    pipe.execute()
    r.execute_command("MM.BACKUP", f"b{{i}}")
    i += 1
"""
    writer = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.time() + 10
        while time.time() < deadline and _json(node, "mimei", "history", mid)["last"] < 3:
            time.sleep(0.05)
        time.sleep(0.15)
        os.kill(node.pid, signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait()
    time.sleep(0.2)
    (node.home / "mimeidb.pid").unlink(missing_ok=True)
    node.start()
    hist = _json(node, "mimei", "history", mid)
    assert hist["last"] >= 3
    assert [v["version"] for v in hist["versions"]] == list(range(1, hist["last"] + 1))
    assert "verify ok" in node.out("mimei", "verify", mid)
    r = _client(node, mid)
    before = r.execute_command("MM.BACKUP")  # what cur had beyond the last version seals fine
    assert before in (hist["last"], hist["last"] + 1)
    assert "verify ok" in node.out("mimei", "verify", mid)
    assert _everything(_client(node, mid, "last")) == _everything(r)


def test_car_export_import_on_a_second_node(make_node, tmp_path):
    one, two = make_node("one"), make_node("two")
    mid = _mid(one)
    r = _client(one, mid)
    r.set("a", "1")
    r.hset("h", mapping={f"f{i}": "x" * (i * 10) for i in range(60)})
    r.execute_command("MM.BACKUP", "v1")
    r.set("a", "2")
    r.sadd("s", *range(30))
    r.execute_command("MM.BACKUP", "v2")
    hist = _json(one, "mimei", "history", mid)
    commit = hist["versions"][-1]["commit"]
    car = tmp_path / "v2.car"
    one.out("dag", "export", commit, "-o", str(car))
    imported = two.out("dag", "import", str(car))
    assert commit in imported
    assert "MMImport ok" in two.out("mimei", "import", commit)
    assert "already here" in two.out("mimei", "import", commit)
    hist2 = _json(two, "mimei", "history", mid)
    assert [(v["version"], v["commit"], v["data"]) for v in hist2["versions"]] == \
        [(v["version"], v["commit"], v["data"]) for v in hist["versions"]]
    assert "verify ok" in two.out("mimei", "verify", mid)
    for ver in ("1", "2"):
        assert _everything(_client(two, mid, ver)) == _everything(_client(one, mid, ver))
    other = _client(two, mid)  # cur on a node without the author's key: read-only
    with pytest.raises(redis.ResponseError):
        other.execute_command("MM.BACKUP")
    assert two.cli("mimei", "backup", mid).returncode != 0
