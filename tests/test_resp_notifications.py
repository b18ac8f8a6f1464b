"""Keyspace notifications (notify-keyspace-events) and OBJECT ENCODING from history, against
a real node over RESP with redis-py."""
from __future__ import annotations

import time

import pytest
import redis

from tests.test_resp_server import port  # noqa: F401  (the module-scoped node fixture)


@pytest.fixture
def r(port):  # noqa: F811
    client = redis.Redis(port=port, protocol=2)
    client.flushdb()
    yield client
    client.config_set("notify-keyspace-events", "")
    client.close()


def _messages(p, count: int, timeout: float = 3.0) -> list[tuple[bytes, bytes]]:
    out = []
    deadline = time.time() + timeout
    while len(out) < count and time.time() < deadline:
        m = p.get_message(timeout=0.1)
        if m and m["type"] == "pmessage":
            out.append((m["channel"], m["data"]))
    return out


def _subscribe(port):  # noqa: F811
    client = redis.Redis(port=port, protocol=2)
    p = client.pubsub()
    p.psubscribe("*")
    assert p.get_message(timeout=2)["type"] == "psubscribe"
    return client, p


def test_config_flags_normalised(r):
    for given, shown in [("gKE", "gKE"), ("$lshzxeKE", "$lshzxeKE"), ("KA", "AK"),
                         ("EA", "AE"), ("En", "nE"), ("", "")]:
        r.config_set("notify-keyspace-events", given)
        assert r.config_get("notify-keyspace-events")["notify-keyspace-events"] == shown
    with pytest.raises(redis.ResponseError, match="Invalid event class character"):
        r.config_set("notify-keyspace-events", "KQ")


def test_events_of_writes(r, port):  # noqa: F811
    r.config_set("notify-keyspace-events", "KEA")
    client, p = _subscribe(port)
    r.set("foo", "1")
    r.append("foo", "2")
    r.incr("foo")
    r.rename("foo", "bar")
    r.delete("bar")
    r.rpush("l", "a")
    r.lpop("l")
    r.sadd("s", "x")
    r.hset("h", "f", "v")
    r.zadd("z", {"m": 1})
    r.zincrby("z", 2, "m")
    got = _messages(p, 30)
    keyspace = [(c, d) for c, d in got if c.startswith(b"__keyspace@0__:")]
    assert keyspace == [
        (b"__keyspace@0__:foo", b"set"), (b"__keyspace@0__:foo", b"append"),
        (b"__keyspace@0__:foo", b"incrby"), (b"__keyspace@0__:foo", b"rename_from"),
        (b"__keyspace@0__:bar", b"rename_to"), (b"__keyspace@0__:bar", b"del"),
        (b"__keyspace@0__:l", b"rpush"), (b"__keyspace@0__:l", b"lpop"),
        (b"__keyspace@0__:l", b"del"), (b"__keyspace@0__:s", b"sadd"),
        (b"__keyspace@0__:h", b"hset"), (b"__keyspace@0__:z", b"zadd"),
        (b"__keyspace@0__:z", b"zincr")]
    assert (b"__keyevent@0__:set", b"foo") in got
    p.close()
    client.close()


def test_new_and_expired(r, port):  # noqa: F811
    r.config_set("notify-keyspace-events", "Exn")
    client, p = _subscribe(port)
    r.set("foo", "bar")
    r.set("foo", "baz")  # not new
    r.psetex("gone", 50, "x")
    got = _messages(p, 3)
    assert got == [(b"__keyevent@0__:new", b"foo"), (b"__keyevent@0__:new", b"gone"),
                   (b"__keyevent@0__:expired", b"gone")]
    p.close()
    client.close()


def test_class_filter_and_other_scope(r, port):  # noqa: F811
    r.config_set("notify-keyspace-events", "Kl")
    client, p = _subscribe(port)
    other = redis.Redis(port=port, protocol=2)
    other.execute_command("MM.CLOSE")  # unbound: another scope, sees nothing of this Mimei
    op = other.pubsub()
    op.psubscribe("*")
    assert op.get_message(timeout=2)["type"] == "psubscribe"
    r.set("k", "v")      # string class is off
    r.lpush("ml", "a")
    assert _messages(p, 1) == [(b"__keyspace@0__:ml", b"lpush")]
    assert _messages(op, 1, timeout=0.5) == []
    for c in (p, op):
        c.close()
    other.close()
    client.close()


def test_string_encoding_history(r):
    r.set("foo", "1")
    assert r.object("encoding", "foo") == b"int"
    r.append("foo", "2")
    assert r.object("encoding", "foo") == b"raw"
    r.incr("foo")
    assert r.object("encoding", "foo") == b"int"
    r.set("bar", "1")
    r.setrange("bar", 0, "2")
    assert r.object("encoding", "bar") == b"raw"
    r.set("bar", "abc")
    assert r.object("encoding", "bar") == b"embstr"


def test_set_and_hash_encoding_history(r):
    r.sadd("s1", 1, 2, 3)
    assert r.object("encoding", "s1") == b"intset"
    r.sadd("s2", 1, 2, 3, "a")
    r.srem("s2", "a")
    assert r.object("encoding", "s2") == b"listpack"
    r.sadd("s3", *range(200))
    r.srem("s3", *range(10, 200))
    assert r.object("encoding", "s3") == b"intset"
    r.sadd("s3", *range(1000))
    r.srem("s3", *range(10, 1000))
    assert r.object("encoding", "s3") == b"hashtable"
    r.sinterstore("s4", "s1", "s2")
    assert r.object("encoding", "s4") == b"intset"
    r.hset("h", "f", "x" * 100)
    r.hset("h", "f", "x")
    assert r.object("encoding", "h") == b"hashtable"
    r.hset("h2", "f", "v")
    assert r.object("encoding", "h2") == b"listpack"


def test_maxmemory_evicts_with_an_evicting_policy_and_refuses_without(r, port):  # noqa: F811
    r.config_set("notify-keyspace-events", "Ee")
    _, p = _subscribe(port)
    try:
        r.set("foo", "bar")
        r.config_set("maxmemory-policy", "allkeys-lru")
        r.config_set("maxmemory", 1)
        assert _messages(p, 1) == [(b"__keyevent@0__:evicted", b"foo")]
        r.config_set("maxmemory-policy", "noeviction")
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            r.set("x", "1")
    finally:
        r.config_set("maxmemory", 0)
        r.config_set("maxmemory-policy", "noeviction")
    assert r.get("foo") is None and r.set("x", "1")


def test_object_idletime_counts_from_the_last_access(r):
    r.set("idle", "v")
    time.sleep(1.1)
    r.ttl("idle")
    r.type("idle")
    r.exists("idle")  # these three do not count as an access (as in Redis)
    assert r.object("idletime", "idle") >= 1
    r.get("idle")
    assert r.object("idletime", "idle") == 0
