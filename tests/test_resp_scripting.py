"""Lua scripting through a real node with redis-py: eval, register_script, Lock, pipelines."""
from __future__ import annotations

import redis
import pytest


@pytest.fixture
def client(shared_node):
    c = redis.Redis(port=shared_node.resp_port)
    c.flushdb()
    yield c
    c.close()


def test_eval_and_evalsha(client):
    assert client.eval("return redis.call('set', KEYS[1], ARGV[1])", 1, "k", "v") == b"OK"
    assert client.eval("return {KEYS[1], ARGV[1], 3, 4.9}", 1, "a", "b") == [b"a", b"b", 3, 4]
    sha = client.script_load("return redis.call('get', KEYS[1])")
    assert client.script_exists(sha) == [True]
    assert client.evalsha(sha, 1, "k") == b"v"
    assert client.evalsha_ro(sha, 1, "k") == b"v"
    with pytest.raises(redis.exceptions.NoScriptError):
        client.evalsha("ffd632c7d33e571e9f24556ebed26c3479a87130", 0)
    with pytest.raises(redis.exceptions.ResponseError, match="not allowed from read-only"):
        client.eval_ro("return redis.call('del', KEYS[1])", 1, "k")
    with pytest.raises(redis.exceptions.ResponseError, match="NOTBUSY"):
        client.script_kill()


def test_register_script_and_pipeline(client):
    incr_by = client.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert incr_by(keys=["n"], args=[5]) == 5
    client.script_flush()
    assert incr_by(keys=["n"], args=[2]) == 7  # NOSCRIPT, then redis-py loads it again
    pipe = client.pipeline()
    incr_by(keys=["n"], args=[1], client=pipe)
    incr_by(keys=["n"], args=[1], client=pipe)
    pipe.get("n")
    assert pipe.execute() == [8, 9, b"9"]
    client.script_flush()
    pipe = client.pipeline(transaction=True)
    incr_by(keys=["n"], args=[10], client=pipe)
    assert pipe.execute() == [19]


def test_lock(client):
    lock = client.lock("resource", timeout=10)
    assert lock.acquire(blocking=False)
    other = client.lock("resource", timeout=10)
    assert not other.acquire(blocking=False)
    assert lock.extend(5)
    assert client.pttl("resource") > 10000
    assert lock.reacquire()
    lock.release()
    assert client.get("resource") is None
    assert other.acquire(blocking=False)
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        lock.do_release(b"not-the-owner-token")  # the release script refuses a foreign token
    with pytest.raises(redis.exceptions.LockError):
        lock.release()
    other.release()


def test_functions(client):
    client.function_flush()
    code = ("#!lua name=lib\n"
            "redis.register_function('hi', function(keys, args) return 'hi ' .. args[1] end)")
    assert client.function_load(code) == b"lib"
    assert client.fcall("hi", 0, "you") == b"hi you"
    libs = client.function_list()
    assert libs[0][b"library_name"] == b"lib" if isinstance(libs[0], dict) else libs
    client.function_delete("lib")
    with pytest.raises(redis.exceptions.ResponseError, match="Function not found"):
        client.fcall("hi", 0)


def test_resp3_client(shared_node):
    c = redis.Redis(port=shared_node.resp_port, protocol=3)
    try:
        c.hset("h", "f", "v")
        assert c.eval("redis.setresp(3) return redis.call('hgetall', KEYS[1])", 1, "h") == \
            {b"f": b"v"}
        assert c.eval("return false", 0) is None
        assert c.eval("redis.setresp(3) return {double=1.5}", 0) == 1.5
    finally:
        c.close()


def test_script_is_atomic_for_other_clients(shared_node, client):
    other = redis.Redis(port=shared_node.resp_port)
    try:
        client.set("c", 0)
        body = "for i = 1, 2000 do redis.call('incr', KEYS[1]) end return redis.call('get', KEYS[1])"
        assert client.eval(body, 1, "c") == b"2000"
        assert other.get("c") == b"2000"
    finally:
        other.close()
