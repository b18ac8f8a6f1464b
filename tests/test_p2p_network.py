"""The p2p layer on real node processes over 127.0.0.1: swarm, DHT, bitswap, Mimei publish /
sync / provide, and rejection of forged announcements and tampered data.

One module-scoped network (A, B connected by `swarm connect`; C started with `init -b B`)
keeps the set fast; every wait polls with a generous deadline.
"""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

pytest.importorskip("libp2p")
redis = pytest.importorskip("redis")

from tests.nodeproc import NodeProc, free_ports, run_cli  # noqa: E402

DEADLINE_S = 30


def wait_for(fn, timeout: float = DEADLINE_S, interval: float = 0.2):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout} s (last: {last!r})")


def ident(node: NodeProc) -> tuple[str, str]:
    lid, pid = node.out("swarm", "id").split()
    return lid, pid


def maddr(node: NodeProc) -> str:
    return f"/ip4/127.0.0.1/tcp/{node.p2p_port}/p2p/{ident(node)[1]}"


def api(node: NodeProc, path: str) -> dict:
    import http.client
    token = (node.home / "api.token").read_text().strip()
    conn = http.client.HTTPConnection("127.0.0.1", node.http_port, timeout=30)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    return json.loads(conn.getresponse().read())


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    base = tmp_path_factory.mktemp("p2p")
    made = []
    try:
        a = NodeProc.create(base / "a").start()
        made.append(a)
        b = NodeProc.create(base / "b").start()
        made.append(b)
        t0 = time.perf_counter()
        out = b.out("swarm", "connect", maddr(a))
        connect_s = time.perf_counter() - t0
        assert "success" in out
        # C knows only B, from init -b
        http, resp, p2p = free_ports(3)
        c = NodeProc(base / "c", http, resp, p2p)
        run_cli(c.home, "init", "-p", str(http), "--resp-port", str(resp), "--p2p-port", str(p2p),
                "--bind", "127.0.0.1", "-b", maddr(b), check=True)
        c.start()
        made.append(c)
        yield {"a": a, "b": b, "c": c, "connect_s": connect_s, "base": base}
    finally:
        for node in made:
            node.kill()


def test_swarm_connect_and_peers(net):
    a, b = net["a"], net["b"]
    _, pid_a = ident(a)
    _, pid_b = ident(b)
    assert f"/ip4/127.0.0.1/tcp/{a.p2p_port}/p2p/{pid_a}" in b.out("swarm", "peers")
    assert pid_b in a.out("swarm", "peers")
    local = a.out("swarm", "local").split()
    assert local == [f"/ip4/127.0.0.1/tcp/{a.p2p_port}"]
    addrs = b.out("swarm", "addrs")
    lid_a, _ = ident(a)
    assert f"{lid_a} (1)" in addrs and f"\t/ip4/127.0.0.1/tcp/{a.p2p_port}" in addrs
    assert net["connect_s"] < 10


def test_bootstrap_from_init(net):
    b, c = net["b"], net["c"]
    _, pid_b = ident(b)
    _, pid_c = ident(c)
    wait_for(lambda: pid_b in c.out("swarm", "peers"))
    wait_for(lambda: pid_c in b.out("swarm", "peers"))


def test_dht_findpeer_through_a_third_node(net):
    a, c = net["a"], net["c"]
    lid_a, pid_a = ident(a)
    _, pid_c = ident(c)
    wait_for(lambda: ident(net["b"])[1] in c.out("swarm", "peers"))
    # C was given only B (init -b); whatever it knows of A it learned through B (DHT routing)
    assert str(a.p2p_port) not in (c.home / "SystemVars.json").read_text()
    want = f"/ip4/127.0.0.1/tcp/{a.p2p_port}"
    out = wait_for(lambda: (lambda r: r.returncode == 0 and r.stdout.decode())(
        c.cli("dht", "findpeer", pid_a)))
    assert want in out.split()
    # by the node's Leither ID too (its provider record in the DHT)
    out = wait_for(lambda: (lambda r: r.returncode == 0 and r.stdout.decode())(
        c.cli("dht", "findpeer", lid_a)))
    assert want in out.split()


def test_ipfs_cat_over_bitswap(net, tmp_path):
    a, b = net["a"], net["b"]
    data = bytes(range(256)) * 4000 + b"tail\n"  # ~1 MB: several chunks
    f = tmp_path / "f.bin"
    f.write_bytes(data)
    cid = a.out("ipfs", "add", str(f)).split()[-1].split("/")[-1]
    t0 = time.perf_counter()
    got = b.cli("ipfs", "cat", cid, check=True).stdout
    assert got == data
    assert time.perf_counter() - t0 < 20
    # now held by B: served locally even with A gone from the picture
    assert b.cli("ipfs", "cat", cid, check=True).stdout == data


def _db_mimei(node: NodeProc) -> tuple[str, "redis.Redis"]:
    mid = node.out("mimei", "create", "-t", "db").split()[-1]
    mmsid = node.out("mimei", "open", mid).split()[-1]
    return mid, redis.Redis(port=node.resp_port, password=mmsid, decode_responses=True)


def _reader(node: NodeProc, mid: str) -> "redis.Redis":
    mmsid = node.out("mimei", "open", mid, "--ver", "last").split()[-1]
    return redis.Redis(port=node.resp_port, password=mmsid, decode_responses=True)


def _last(node: NodeProc, mid: str) -> int:
    r = node.cli("--json", "mimei", "show", mid)
    return json.loads(r.stdout)["last"] or 0 if r.returncode == 0 else 0


def test_publish_sync_and_follow(net):
    a, b = net["a"], net["b"]
    mid, ra = _db_mimei(a)
    for i in range(300):
        ra.set(f"k{i}", f"v{i}")
    ra.hset("h", mapping={"f": "1", "big": "x" * 600})
    ra.rpush("l", "a", "b", "c")
    a.out("mimei", "backup", mid)
    out = a.out("mimei", "publish", mid)
    assert out.splitlines() == [f"MiMeiPublish mids= [{mid}] EOL = 168h", "MiMeiPublish ok"]
    out = b.out("mimei", "sync", mid)
    assert out.splitlines() == [f"MiMeiSync mid = {mid}", "mimei sync ok"]
    rb = _reader(b, mid)
    assert rb.dbsize() == ra.dbsize()
    assert rb.get("k7") == "v7" and rb.hgetall("h") == ra.hgetall("h")
    assert rb.lrange("l", 0, -1) == ["a", "b", "c"]
    assert b.out("mimei", "verify", mid)
    # provide: B follows every new version A backs up (A announces published Mimei by itself)
    out = b.out("mimei", "provide", mid)
    assert "MiMeiProvide ok" in out
    ra.set("k7", "changed")
    ra.delete("k8")
    t0 = time.perf_counter()
    a.out("mimei", "backup", mid)
    wait_for(lambda: _last(b, mid) >= 2)
    follow_s = time.perf_counter() - t0
    rb = _reader(b, mid)
    assert rb.get("k7") == "changed" and rb.get("k8") is None
    assert follow_s < DEADLINE_S
    # findprovs groups providers by version: A and B both hold version 2
    info = json.loads(b.out("--json", "mimei", "findprovs", mid))
    ids = {p["ID"] for p in info["providers"].get("2", [])}
    assert {ident(a)[1], ident(b)[1]} <= ids
    text = b.out("mimei", "findprovs", mid)
    assert text.startswith(f"findprovs mid= {mid}\nVersion:2\nPeerID\t: ")


def test_file_mimei_sync(net, tmp_path):
    a, c = net["a"], net["c"]
    mid = a.out("mimei", "create").split()[-1]
    f = tmp_path / "page.html"
    f.write_bytes(b"<h1>hello</h1>\n" * 5000)
    a.out("mimei", "add", mid, str(f))
    a.out("mimei", "publish", mid)
    c.out("mimei", "sync", mid)  # C reaches A only through the DHT (providers), not directly
    assert _last(c, mid) == 1


# -- a misbehaving peer, run in this test process ------------------------------------------

class Liar:
    """A libp2p peer (our own engine) that serves forged data over /mimeidb/sync/1.0.0."""

    def __init__(self, tmp: Path, blocks, head_of) -> None:
        from mimeidb.keys import KeyPair
        from replication.engine import Engine
        from replication.sync import PROTOCOL, SyncServer
        self.key = KeyPair.generate()
        self.port = free_ports(1)[0]
        self.engine = Engine(self.key.seed, [f"/ip4/127.0.0.1/tcp/{self.port}"], [], blocks)
        self.engine.handlers[PROTOCOL] = SyncServer(blocks, head_of).handle
        self.engine.start()

    @property
    def maddr(self) -> str:
        return f"/ip4/127.0.0.1/tcp/{self.port}/p2p/{self.engine.peer_id}"

    def run(self, coro_fn, *args):
        async def main():
            return await coro_fn(*args)
        return asyncio.run(main())


def _export(node: NodeProc, cid: str, path: Path):
    from mimeidb.ipfs import car
    from mimeidb.ipfs.blockstore import MemoryBlockStore
    node.out("dag", "export", cid, "-o", str(path))
    store = MemoryBlockStore()
    with open(path, "rb") as f:
        _, blocks = car.read_car(f)
        for c, data in blocks:
            store.put(c, data)
    return store


def test_forged_commit_and_tampered_block_are_rejected(net, make_node, tmp_path):
    from mimeidb.ipfs import cid as cids
    from mimeidb.versions.commit import Commit, MimeiRecord
    a = net["a"]
    mid, ra = _db_mimei(a)
    ra.set("secret", "real")
    a.out("mimei", "backup", mid)
    info = json.loads(a.out("--json", "mimei", "show", mid))
    head_text = info["net"]["local_commit"]
    head = cids.parse(head_text)
    store = _export(a, head_text, tmp_path / "v1.car")
    commit = Commit.decode(store.get(head))
    record = MimeiRecord.decode(store.get(commit.record))

    from mimeidb.keys import KeyPair
    forger = KeyPair.generate()
    forged = Commit.create(forger, record, 2, commit.data, head, int(time.time() * 1000), "forged")
    store.put(forged.cid, forged.encode())
    liar = Liar(tmp_path, store, lambda m: (2, forged.cid, None) if m == mid else (0, None, None))
    d = make_node("d")
    try:
        d.out("swarm", "connect", liar.maddr)
        # a fresh node that only knows the liar: the forged version 2 is refused, nothing stored
        r = d.cli("mimei", "sync", mid)
        assert r.returncode != 0
        assert b"not the author" in r.stderr or b"signed by a key" in r.stderr, r.stderr
        assert d.cli("mimei", "show", mid).returncode != 0
        status = api(d, "/api/v0/p2p/status")
        assert status["Stats"]["rejected_syncs"] >= 1 and liar.engine.peer_id in status["BadPeers"]

        # a tampered block: same CID, other bytes -> refused as it arrives
        from mimeidb.ipfs.blockstore import MemoryBlockStore
        tampered = MemoryBlockStore()
        tampered.blocks = dict(store.blocks)
        tampered.put(commit.data, store.get(commit.data) + b"\x00")
        liar.engine.handlers.clear()
        from replication.sync import SyncServer
        server = SyncServer(tampered, lambda m: (1, head, None) if m == mid else (0, None, None))
        liar2 = Liar.__new__(Liar)
        liar2.key = KeyPair.generate()
        liar2.port = free_ports(1)[0]
        from replication.engine import Engine
        from replication.sync import PROTOCOL
        liar2.engine = Engine(liar2.key.seed, [f"/ip4/127.0.0.1/tcp/{liar2.port}"], [], tampered)
        liar2.engine.handlers[PROTOCOL] = server.handle
        liar2.engine.start()
        try:
            e = make_node("e")
            e.out("swarm", "connect", liar2.maddr)
            r = e.cli("mimei", "sync", mid)
            assert r.returncode != 0 and b"does not match" in r.stderr, r.stderr
            assert e.cli("mimei", "show", mid).returncode != 0
        finally:
            liar2.engine.stop()
    finally:
        liar.engine.stop()


def test_forged_announcement_is_rejected(net, tmp_path):
    a, b = net["a"], net["b"]
    mid, ra = _db_mimei(a)
    ra.set("x", "1")
    a.out("mimei", "backup", mid)
    a.out("mimei", "publish", mid)
    b.out("mimei", "provide", mid)
    wait_for(lambda: _last(b, mid) == 1)
    info = json.loads(a.out("--json", "mimei", "show", mid))
    head = info["net"]["local_commit"]
    store = _export(a, head, tmp_path / "v.car")
    from mimeidb.ipfs import cid as cids
    from mimeidb.keys import KeyPair
    from mimeidb.versions.commit import Commit, MimeiRecord
    from replication.heads import Head, topic
    commit = Commit.decode(store.get(cids.parse(head)))
    record = MimeiRecord.decode(store.get(commit.record))
    forger = KeyPair.generate()
    # signed by the wrong key, but carrying the real record: must not be believed
    fake = Head(mid, 9, cids.parse(head), int(time.time() * 1000) + 3600_000,
                int(time.time() * 1000), record.encode())
    fake = Head(**{**fake.__dict__, "sig": forger.sign(fake.signed_bytes())})
    before = api(b, "/api/v0/p2p/status")["Stats"]["rejected_heads"]
    liar = Liar(tmp_path, store, lambda m: (0, None, None))
    try:
        async def go():
            await liar.engine.connect(maddr(b))
            await liar.engine.subscribe(topic(mid), lambda d, s: None)
            for _ in range(40):
                await liar.engine.publish(topic(mid), fake.encode())
                await asyncio.sleep(0.5)
                if api(b, "/api/v0/p2p/status")["Stats"]["rejected_heads"] > before:
                    return True
            return False
        assert liar.run(go)
        assert _last(b, mid) == 1
    finally:
        liar.engine.stop()
