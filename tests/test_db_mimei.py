"""Database Mimei over RESP, end to end: real node processes, redis-cli, redis-py."""
import os
import re
import subprocess
import threading
import time

import pytest
import redis

from tests.nodeproc import NodeProc


def cli_redis(port: int, *args: str) -> str:
    proc = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, timeout=30)
    return proc.stdout.decode().strip()


def create_db(node: NodeProc) -> str:
    out = node.out("mimei", "create", "-t", "db").splitlines()
    assert out[0].strip() == "Create MiMei  ok"
    mid = out[1].split("mid= ")[1]
    assert len(mid) == 27
    return mid


def test_create_open_and_use_with_redis_clients(shared_node):
    node = shared_node
    mid = create_db(node)
    mmsid = node.out("mimei", "open", mid).strip()
    assert re.fullmatch(r"[0-9a-f]{40}", mmsid)
    assert cli_redis(node.resp_port, "-a", mmsid, "--no-auth-warning", "SET", "greeting", "hello") == "OK"
    client = redis.Redis(port=node.resp_port, password=mmsid)
    assert client.get("greeting") == b"hello"
    client.hset("h", mapping={"a": "1", "b": "2"})
    grep = node.out("mimei", "grep", mid).splitlines()
    assert grep[0] == f"mid: {mid}"
    assert "greeting\thello" in grep
    assert "h\tmap[a:1 b:2]" in grep
    only = node.out("mimei", "grep", mid, "-m", "gr*").splitlines()
    assert "greeting\thello" in only and not any(line.startswith("h\t") for line in only)


def test_two_mimei_never_see_each_others_keys(shared_node):
    node = shared_node
    a, b = create_db(node), create_db(node)
    ca = redis.Redis(port=node.resp_port, password=node.out("mimei", "open", a).strip())
    cb = redis.Redis(port=node.resp_port, password=node.out("mimei", "open", b).strip())
    ca.set("k", "in-a")
    assert cb.get("k") is None
    cb.set("k", "in-b")
    assert ca.get("k") == b"in-a"
    assert ca.dbsize() == 1 and cb.dbsize() == 1
    ca.flushdb()
    assert cb.get("k") == b"in-b"


def test_unauthenticated_loopback_uses_default_mimei(shared_node):
    node = shared_node
    default = node.out("mimei", "default").strip()
    assert cli_redis(node.resp_port, "SET", "dflt", "1") == "OK"
    mmsid = node.out("mimei", "open", default).strip()
    assert redis.Redis(port=node.resp_port, password=mmsid).get("dflt") == b"1"
    other = create_db(node)
    node.out("mimei", "default", other)
    try:
        assert cli_redis(node.resp_port, "GET", "dflt") == ""
    finally:
        node.out("mimei", "default", default)
    assert cli_redis(node.resp_port, "GET", "dflt") == "1"


def test_auth_forms_and_mm_open(shared_node):
    node = shared_node
    mid = create_db(node)
    mmsid = node.out("mimei", "open", mid).strip()
    # AUTH <mid> <credential> (redis-cli --user/--pass sends exactly that)
    assert cli_redis(node.resp_port, "--user", mid, "--pass", mmsid, "--no-auth-warning",
                     "SET", "via-user", "x") == "OK"
    client = redis.Redis(port=node.resp_port)
    assert client.execute_command("MM.OPEN", mid) == mmsid.encode()
    assert client.get("via-user") == b"x"
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=node.resp_port, password="0" * 40).ping()
    with pytest.raises(redis.ResponseError):
        client.execute_command("MM.OPEN", "not-a-mid")


def test_mmsid_survives_restart(make_node):
    node = make_node("n")
    mid = create_db(node)
    mmsid = node.out("mimei", "open", mid).strip()
    redis.Redis(port=node.resp_port, password=mmsid).set("k", "v")
    node.stop()
    node.start()
    assert redis.Redis(port=node.resp_port, password=mmsid).get("k") == b"v"


def test_kill_9_with_appendfsync_always_loses_no_acknowledged_write(make_node):
    node = make_node("n", appendfsync="always")
    acked: list[int] = []
    stop = threading.Event()

    def writer(worker: int) -> None:
        client = redis.Redis(port=node.resp_port, socket_timeout=5)
        i = 0
        while not stop.is_set():
            try:
                client.set(f"w{worker}:{i}", i)
            except (redis.ConnectionError, redis.TimeoutError):
                return
            acked.append(worker * 10**9 + i)
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    os.kill(node.pid, 9)
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acked) > 50
    (node.home / "mimeidb.pid").unlink()
    node.start()
    client = redis.Redis(port=node.resp_port)
    keys = [f"w{a // 10**9}:{a % 10**9}" for a in acked]
    values = client.mget(keys)
    missing = [k for k, v in zip(keys, values) if v is None]
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
