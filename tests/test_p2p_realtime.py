"""Real-time mode on two real node processes over 127.0.0.1: a write on the author's `cur`
with autobackup + publish reaches a provider (`mimei provide`) by itself, within a bound far
below the old one-second poll plus slack, and a burst of writes ends with the provider
holding the last one. Every wait polls with a generous deadline.
"""
from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("libp2p")
redis = pytest.importorskip("redis")

from tests.nodeproc import NodeProc  # noqa: E402

BOUND_S = 5.0


def _serves(r: "redis.Redis", mid: str, key: str, want: bytes, timeout: float) -> float:
    """Seconds until `MM.OPEN mid last; GET key` on r gives want (AssertionError past timeout)."""
    t0 = time.perf_counter()
    got = None
    while time.perf_counter() - t0 < timeout:
        pipe = r.pipeline(transaction=False)
        pipe.execute_command("MM.OPEN", mid, "last")
        pipe.get(key)
        try:
            got = pipe.execute(raise_on_error=False)[1]
        except redis.RedisError as exc:
            got = exc
        if got == want:
            return time.perf_counter() - t0
        time.sleep(0.005)
    raise AssertionError(f"the provider did not serve {key}={want!r} in {timeout} s (last {got!r})")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    base = tmp_path_factory.mktemp("realtime")
    made = []
    try:
        a = NodeProc.create(base / "a").start()
        made.append(a)
        b = NodeProc.create(base / "b").start()
        made.append(b)
        pid_a = a.out("swarm", "id").split()[1]
        assert "success" in b.out("swarm", "connect", f"/ip4/127.0.0.1/tcp/{a.p2p_port}/p2p/{pid_a}")
        yield a, b
    finally:
        for node in made:
            node.kill()


def test_write_reaches_provider_by_itself(pair):
    a, b = pair
    mid = a.out("mimei", "create", "-t", "db").split()[-1]
    ra = redis.Redis(port=a.resp_port)
    ra.execute_command("MM.OPEN", mid)
    ra.set("k", "v0")
    a.out("mimei", "set", mid, "autobackup", "10")
    ra.set("k", "v1")  # backed up by itself 10 ms later
    rb = redis.Redis(port=b.resp_port)
    deadline = time.monotonic() + 10
    while not json.loads(a.out("--json", "mimei", "show", mid))["last"]:
        assert time.monotonic() < deadline, "the auto-backup made no version"
        time.sleep(0.05)
    a.out("mimei", "publish", mid)
    assert "MiMeiProvide ok" in b.out("mimei", "provide", mid)
    _serves(rb, mid, "k", b"v1", 10)

    # from here nothing but writes on A: each must reach B by itself, well within the bound
    took = []
    for i in range(3):
        val = f"w{i}".encode()
        ra.set("k", val)
        took.append(_serves(rb, mid, "k", val, BOUND_S))
    # a burst: B ends up with the last write
    for i in range(50):
        ra.set("burst", f"b{i}")
    took.append(_serves(rb, mid, "burst", b"b49", BOUND_S))
    assert max(took) < BOUND_S, took
    # the follower got them in one round trip each: the author sent only the MST diff's blocks
    stats = _api(b, "/api/v0/p2p/status")["Stats"]
    assert stats["synced_by_diff"] >= 1 and stats["rejected_syncs"] == 0, stats


def _api(node: NodeProc, path: str) -> dict:
    import http.client
    token = (node.home / "api.token").read_text().strip()
    conn = http.client.HTTPConnection("127.0.0.1", node.http_port, timeout=30)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    return json.loads(conn.getresponse().read())
