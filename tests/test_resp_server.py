"""The RESP face against a real node process, through redis-py (sync and asyncio, RESP2 and
RESP3), raw sockets and redis-cli."""
import asyncio
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import redis
import redis.asyncio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def port(tmp_path_factory):
    home = tmp_path_factory.mktemp("node")
    http, resp, p2p = _free_port(), _free_port(), _free_port()
    env = dict(os.environ, PYTHONPATH=ROOT)
    subprocess.run([sys.executable, "-m", "mimeidb", "--home", str(home), "init", "-p", str(http),
                    "--resp-port", str(resp), "--p2p-port", str(p2p)], check=True, env=env,
                   capture_output=True, cwd=ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "mimeidb", "--home", str(home), "run"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", resp), 0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("node did not start: " + proc.stderr.read().decode())
    yield resp
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def r(port):
    client = redis.Redis(port=port, protocol=2)
    yield client
    client.close()


def raw(port, data: bytes, wait: float = 0.3) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(data)
        s.settimeout(wait)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        return out


def test_basic_and_pipeline(r):
    assert r.ping() and r.echo("hi") == b"hi"
    pipe = r.pipeline(transaction=False)
    for i in range(500):
        pipe.set(f"p:{i}", i)
    for i in range(500):
        pipe.get(f"p:{i}")
    out = pipe.execute()
    assert out[:500] == [True] * 500 and out[500:] == [str(i).encode() for i in range(500)]


def test_inline_and_errors(port):
    assert raw(port, b"PING\r\necho \"a b\"\r\n\r\nset k 'v v'\r\nget k\r\n") == \
        b"+PONG\r\n$3\r\na b\r\n+OK\r\n$3\r\nv v\r\n"
    assert raw(port, b"*1\r\nfoo\r\n") == b"-ERR Protocol error: expected '$', got 'f'\r\n"
    assert raw(port, b"*3000000000\r\n") == b"-ERR Protocol error: invalid multibulk length\r\n"
    assert raw(port, b"nosuch a b\r\n").startswith(b"-ERR unknown command 'nosuch'")
    assert raw(port, b"get\r\n") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert raw(port, b"select 16\r\nselect 1\r\nselect 0\r\n") == \
        b"-ERR DB index is out of range\r\n+OK\r\n+OK\r\n"


def test_garbage_never_kills_server(port, r):
    import random
    rng = random.Random(1)
    for _ in range(30):
        raw(port, bytes(rng.randrange(256) for _ in range(rng.randint(1, 300))), wait=0.05)
    raw(port, b"*2\r\n$3\r\nGET\r\n$600000000\r\n", wait=0.1)
    assert r.ping()


def test_hello_and_resp3(port):
    c = redis.Redis(port=port, protocol=3)
    c.set("h3", "v")
    assert c.get("h3") == b"v"
    hello = c.execute_command("HELLO", 3)
    assert hello[b"proto"] == 3 and hello[b"server"] == b"redis" and hello[b"role"] == b"master"
    with pytest.raises(redis.ResponseError, match="NOPROTO unsupported protocol version"):
        c.execute_command("HELLO", 4)
    assert raw(port, b"HELLO 3\r\nget nokey\r\n").endswith(b"_\r\n")
    c.close()


def test_client_commands(r, port):
    r.client_setname("me")
    assert r.client_getname() == "me" or r.client_getname() == b"me"
    line = r.execute_command("CLIENT", "INFO").decode()
    assert line.startswith(f"id={r.client_id()} addr=127.0.0.1:") and "name=me" in line
    assert "cmd=client|info" in line and "flags=N db=0 sub=0 psub=0" in line
    other = redis.Redis(port=port)
    other.ping()
    listing = r.execute_command("CLIENT", "LIST").decode()
    assert str(other.client_id()) in listing
    killed = other.client_id()
    assert r.execute_command("CLIENT", "KILL", "ID", killed) == 1
    time.sleep(0.1)
    assert f"id={killed} " not in r.execute_command("CLIENT", "LIST").decode()
    with pytest.raises(redis.ResponseError, match="Client names cannot contain spaces"):
        r.client_setname("a b")
    assert r.execute_command("CLIENT", "SETINFO", "LIB-NAME", "x") in (True, b"OK")


def test_multi_exec(r):
    pipe = r.pipeline()
    pipe.set("m1", "a").incr("mcount").get("m1")
    assert pipe.execute()[2] == b"a"
    r.set("str", "x")
    assert raw_session(r, [("MULTI",), ("INCR", "str"), ("SET", "m2", "b"), ("EXEC",)])[-1][1] == b"OK"
    with pytest.raises(redis.ResponseError, match="Transaction discarded because of previous errors"):
        raw_session(r, [("MULTI",), ("NOSUCH",), ("EXEC",)])
    with pytest.raises(redis.ResponseError, match="MULTI calls can not be nested"):
        raw_session(r, [("MULTI",), ("MULTI",)])
    r.execute_command("DISCARD")
    with pytest.raises(redis.ResponseError, match="EXEC without MULTI"):
        r.execute_command("EXEC")


def raw_session(r, commands):
    conn = r.connection_pool.get_connection()
    try:
        out = []
        for cmd in commands:
            conn.send_command(*cmd)
            try:
                out.append(conn.read_response())
            except redis.ResponseError as exc:
                if cmd[0] == "EXEC" or "nested" in str(exc):
                    raise
                out.append(exc)
        return out
    finally:
        r.connection_pool.release(conn)


def test_watch_race(port):
    a, b = redis.Redis(port=port), redis.Redis(port=port)
    a.set("w", 1)
    with a.pipeline() as pipe:
        pipe.watch("w")
        b.set("w", 2)                     # another client touches the key
        pipe.multi()
        pipe.set("w", 3)
        with pytest.raises(redis.WatchError):
            pipe.execute()
    with a.pipeline() as pipe:
        pipe.watch("w")
        pipe.multi()
        pipe.set("w", 4)
        assert pipe.execute() == [True]
    assert b.get("w") == b"4"
    out = raw_session(a, [("MULTI",), ("WATCH", "w"), ("DISCARD",)])
    assert "WATCH inside MULTI is not allowed" in str(out[1])


def test_pubsub_resp2_and_resp3(port):
    sub = redis.Redis(port=port).pubsub()
    sub.subscribe("news")
    sub.psubscribe("n*")
    assert sub.get_message(timeout=1)["type"] == "subscribe"
    assert sub.get_message(timeout=1)["type"] == "psubscribe"
    pub = redis.Redis(port=port)
    assert pub.publish("news", "hello") == 2
    got = [sub.get_message(timeout=1) for _ in range(2)]
    assert {m["type"] for m in got} == {"message", "pmessage"}
    assert pub.pubsub_numsub("news") == [(b"news", 1)]
    assert raw(port, b"SUBSCRIBE c\r\nGET x\r\nPING\r\n") == (
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
        b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET"
        b" are allowed in this context\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n")
    assert raw(port, b"HELLO 3\r\nSUBSCRIBE c\r\n").endswith(b">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n")
    sub.close()


def test_blpop_woken_and_timeout(port):
    a, b = redis.Redis(port=port), redis.Redis(port=port)
    a.delete("bl")
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("v", a.blpop(["bl"], timeout=5)))
    t.start()
    time.sleep(0.2)
    b.rpush("bl", "x")
    t.join(5)
    assert result["v"] == (b"bl", b"x")
    start = time.time()
    assert a.blpop(["bl"], timeout=0.2) is None
    assert 0.15 < time.time() - start < 2


def test_asyncio_client(port):
    async def main():
        for proto in (2, 3):
            c = redis.asyncio.Redis(port=port, protocol=proto)
            await c.set("aio", proto)
            assert await c.get("aio") == str(proto).encode()
            await c.aclose()
    asyncio.run(main())


def test_info_command_config(r):
    info = r.info()
    assert info["role"] == "master" and "mid" in info and "connected_clients" in info
    assert r.config_get("databases") == {"databases": "16"}
    assert r.config_get("nosuchparam") == {}
    assert r.command_count() > 50
    assert raw(r.connection_pool.connection_kwargs["port"], b"COMMAND INFO get\r\n").startswith(
        b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+fast\r\n+readonly\r\n:1\r\n:1\r\n:1\r\n")
    assert r.command_getkeys("mset", "a", "1", "b", "2") in ([b"a", b"b"], ["a", "b"])
    assert isinstance(r.time()[0], int)


def test_mm_commands(r):
    info = r.execute_command("MM.INFO")
    mid = info[1]
    mmsid = r.execute_command("MM.OPEN", mid)
    assert len(mmsid) == 40
    assert r.execute_command("AUTH", mmsid) in (True, b"OK")
    with pytest.raises(redis.AuthenticationError):
        r.execute_command("AUTH", "0" * 40)
    r.execute_command("MM.CLOSE")
    with pytest.raises(redis.ResponseError, match="NOMIMEI"):
        r.get("x")
    r.execute_command("MM.OPEN", mid)


def test_redis_cli(port):
    out = subprocess.run(["redis-cli", "-p", str(port), "set", "cli", "v"], capture_output=True,
                         text=True, timeout=10).stdout
    assert out.strip() == "OK"
    out = subprocess.run(["redis-cli", "-p", str(port), "-3", "get", "cli"],
                         capture_output=True, text=True, timeout=10).stdout
    assert out.strip() == "v"


def test_select_databases(port):
    """SELECT 0-15: each database of the bound Mimei is its own keyspace; MOVE, COPY DB,
    SWAPDB, FLUSHDB/FLUSHALL and WATCH respect them."""
    a = redis.Redis(port=port, protocol=2, db=9)
    b = redis.Redis(port=port, protocol=2, db=10)
    a.flushall()
    a.set("k", "nine")
    b.set("k", "ten")
    assert a.get("k") == b"nine" and b.get("k") == b"ten"
    assert a.dbsize() == 1 and b.dbsize() == 1
    info = a.info("keyspace")
    assert "db9" in info and "db10" in info and "db0" not in info
    assert a.client_info()["db"] == 9
    a.set("m", "moved")
    assert a.move("m", 10) is True and a.exists("m") == 0 and b.get("m") == b"moved"
    a.set("m", "again")
    assert a.move("m", 10) is False
    with pytest.raises(redis.ResponseError, match="same"):
        a.move("m", 9)
    assert a.copy("m", "c", destination_db=10) is True and b.get("c") == b"again"
    # WATCH is per database: a write in db 10 leaves a watch on db 9's key alone
    p = a.pipeline()
    p.watch("k")
    b.set("k", "ten-2")
    p.multi()
    p.get("k")
    assert p.execute() == [b"nine"]
    # SWAPDB swaps contents; a watch on a swapped key fails
    p = a.pipeline()
    p.watch("k")
    assert a.swapdb(9, 10) is True
    p.multi()
    p.get("k")
    with pytest.raises(redis.WatchError):
        p.execute()
    assert a.get("k") == b"ten-2" and b.get("k") == b"nine"
    # SWAPDB with db 0 survives a backup of the versioned keyspace
    z = redis.Redis(port=port, protocol=2, db=0)
    z.flushdb()
    z.set("zero", "0")
    assert a.swapdb(0, 9) is True
    assert z.get("k") == b"ten-2" and z.get("zero") is None and a.get("zero") == b"0"
    a.swapdb(0, 9)
    assert z.get("zero") == b"0"
    b.flushdb()
    assert b.dbsize() == 0 and a.dbsize() > 0
    a.flushall()
    assert a.dbsize() == 0 and z.dbsize() == 0
    with pytest.raises(redis.ResponseError, match="out of range"):
        a.execute_command("SELECT", 16)
    for c in (a, b, z):
        c.close()


def test_swapdb_with_db0_is_versioned(port):
    """Databases 1-15 are not part of versions; SWAPDB with db 0 is recorded by the next backup."""
    z = redis.Redis(port=port, protocol=2, db=0)
    n = redis.Redis(port=port, protocol=2, db=9)
    z.flushall()
    z.set("a", "1")
    z.set("b", "2")
    v1 = z.execute_command("MM.BACKUP")
    n.set("c", "3")
    assert z.execute_command("MM.BACKUP") == v1  # db 9 writes are not a change of the Mimei
    z.swapdb(0, 9)
    v2 = z.execute_command("MM.BACKUP")
    assert v2 == v1 + 1
    diff = z.execute_command("MM.DIFF", v1, v2)
    diff = dict(zip(diff[::2], diff[1::2])) if isinstance(diff, list) else diff
    assert diff[b"added"] == [b"c"] and sorted(diff[b"removed"]) == [b"a", b"b"]
    assert sorted(n.keys()) == [b"a", b"b"]
    z.swapdb(9, 0)
    v3 = z.execute_command("MM.BACKUP")
    diff = z.execute_command("MM.DIFF", v2, v3)
    diff = dict(zip(diff[::2], diff[1::2])) if isinstance(diff, list) else diff
    assert sorted(diff[b"added"]) == [b"a", b"b"] and diff[b"removed"] == [b"c"]
    z.flushall()
    z.close()
    n.close()


def test_commandstats_errorstats_reply_modes(port):
    r = redis.Redis(port=port, protocol=2)
    r.config_resetstat()
    r.set("cs", "1")
    with pytest.raises(redis.ResponseError):
        r.execute_command("GET")  # wrong arity: rejected
    with pytest.raises(redis.ResponseError):
        r.execute_command("INCR", "nosuchkey-cs", "x")
    r.hset("cs-h", "f", "v")
    with pytest.raises(redis.ResponseError):
        r.execute_command("INCR", "cs-h")  # WRONGTYPE: failed
    stats = r.info("commandstats")
    assert stats["cmdstat_set"]["calls"] == 1
    assert stats["cmdstat_get"]["rejected_calls"] == 1 and stats["cmdstat_get"]["calls"] == 0
    assert stats["cmdstat_incr"]["failed_calls"] == 1, stats
    assert r.info("errorstats")["errorstat_WRONGTYPE"]["count"] == 1
    assert "cmdstat_set" not in r.info() and "cmdstat_set" in r.info("all")
    before = r.info("persistence")["rdb_changes_since_last_save"]
    r.set("cs", "2")
    assert r.info("persistence")["rdb_changes_since_last_save"] == before + 1
    # CLIENT REPLY SKIP drops one reply; OFF keeps pushes (subscribe confirmations)
    assert raw(port, b"CLIENT REPLY SKIP\r\nPING\r\nECHO x\r\n") == b"$1\r\nx\r\n"
    assert raw(port, b"CLIENT REPLY OFF\r\nPING\r\nSUBSCRIBE ch\r\n") == \
        b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    r.delete("cs", "cs-h")
    r.close()
