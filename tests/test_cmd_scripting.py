"""Lua scripting (EVAL/EVALSHA/SCRIPT/FUNCTION/FCALL) through dispatch.execute on a real keyspace."""
from __future__ import annotations

import hashlib
from types import SimpleNamespace

import pytest

from mimeidb.commands import table
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import Map, Simple
from tests.cmdkit import runner

table.load_all()


class _Services:
    """A node-like owner so each test gets its own engine (script cache, libraries)."""

    def __init__(self) -> None:
        self.config = {"busy-reply-threshold": "1000"}
        self.oom = False

    def out_of_memory(self) -> bool:
        return self.oom


@pytest.fixture
def services():
    return _Services()


@pytest.fixture
def r(ks, services):
    return runner(ks, services=services)


def test_eval_conversions(r):
    assert r("EVAL", "return 'hello'", 0) == b"hello"
    assert r("EVAL", "return 100.5", 0) == 100
    assert r("EVAL", "return true", 0) == 1
    assert r("EVAL", "return false", 0) is None
    assert r("EVAL", "return {ok='fine'}", 0) == Simple("fine")
    assert r("EVAL", "return {err='ERR this is an error'}", 0) == "ERR this is an error"
    assert r("EVAL", "return {1,2,3,'ciao',{1,2}}", 0) == [1, 2, 3, b"ciao", [1, 2]]
    assert r("EVAL", "return {1,2,nil,4}", 0) == [1, 2]
    assert r("EVAL", "return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}", 2, "a", "b", "c", "d") == \
        [b"a", b"b", b"c", b"d"]
    assert r("EVAL", "return redis.status_reply('PONG')", 0) == Simple("PONG")
    assert r("EVAL", "return redis.error_reply('MY_CODE msg')", 0) == "MY_CODE msg"
    assert r("EVAL", "return _G", 0) == []


def test_redis_to_lua_conversions(r):
    r("SET", "x", "0")
    assert r("EVAL", "local v = redis.pcall('incr', KEYS[1]) return {type(v), v}", 1, "x") == \
        [b"number", 1]
    assert r("EVAL", "local v = redis.pcall('set', KEYS[1], 'a') return {type(v), v['ok']}",
             1, "x") == [b"table", b"OK"]
    assert r("EVAL", "local v = redis.pcall('incr', KEYS[1]) return v['err']", 1, "x") == \
        b"ERR value is not an integer or out of range"
    r("DEL", "x")
    assert r("EVAL", "return redis.call('get', KEYS[1]) == false", 1, "x") == 1
    r("RPUSH", "l", "a", "b", "c")
    assert r("EVAL", "local v = redis.call('lrange', KEYS[1], 0, -1) return #v", 1, "l") == 3


def test_resp3_inside_script(ks, services):
    r = runner(ks, services=services, protocol=3)
    r("HSET", "h", "f", "v")
    assert r("EVAL", "redis.setresp(3) return redis.call('hgetall', KEYS[1])", 1, "h") == \
        Map([(b"f", b"v")])
    assert r("EVAL", "redis.setresp(2) return redis.call('hgetall', KEYS[1])", 1, "h") == \
        [b"f", b"v"]
    assert "RESP version must be 2 or 3" in r("EVAL", "redis.setresp(4)", 0)


def test_evalsha_and_script_cache(r):
    body = "return redis.call('get', KEYS[1])"
    sha = hashlib.sha1(body.encode()).hexdigest()
    r("SET", "k", "v")
    assert r("SCRIPT", "EXISTS", sha) == [0]
    assert r("EVALSHA", sha, 1, "k").startswith("NOSCRIPT No matching script")
    assert r("SCRIPT", "LOAD", body) == sha.encode()
    assert r("EVALSHA", sha.upper(), 1, "k") == b"v"
    assert r("EVALSHA_RO", sha, 1, "k") == b"v"
    assert r("EVALSHA", "notasha", 0).startswith("NOSCRIPT")
    assert r("SCRIPT", "FLUSH") == Simple("OK")
    assert r("SCRIPT", "EXISTS", sha) == [0]
    assert r("SCRIPT", "KILL") == "NOTBUSY No scripts in execution right now."
    assert r("EVAL", "return 1", -1) == "ERR Number of keys can't be negative"
    assert r("EVAL", "return 1", 2, "a") == \
        "ERR Number of keys can't be greater than number of args"


def test_errors_are_prefixed_like_redis(r):
    r("SET", "foo", "bar")
    assert r("EVAL", "redis.call('lpush', KEYS[1], 'x')", 1, "foo").startswith(
        "WRONGTYPE Operation against a key holding the wrong kind of value script: ")
    assert r("EVAL", "redis.call('nosuchcommand')", 0).startswith(
        "ERR Unknown Redis command called from script")
    assert r("EVAL", "redis.call('get', 'a', 'b')", 0).startswith(
        "ERR Wrong number of args calling Redis command from script")
    assert r("EVAL", "redis.call()", 0).startswith("ERR Please specify at least one argument")
    assert r("EVAL", "redis.call('ping', {})", 0).startswith(
        "ERR Lua redis lib command arguments must be strings or integers")
    assert "@user_script:1" in r("EVAL", "return a", 0)
    assert r("EVAL", "return +", 0).startswith("ERR Error compiling script (new function): "
                                              "user_script:1:")
    assert r("EVAL", "error('boom')", 0).startswith("ERR user_script:1: boom script: ")
    assert "not allowed from script" in r("EVAL", "redis.call('multi')", 0)
    assert "not allowed from script" in r("EVAL", "redis.call('eval', 'return 1', 0)", 0)


def test_sandbox(r):
    assert "Script attempted to access nonexistent global variable 'a'" in r("EVAL", "return a", 0)
    for body in ("a = 10", "setmetatable(_G, {})", "local g = getmetatable(_G) g.__index = {}",
                 "redis = 1", "redis.call = 1", "cjson.encode = 1", "bit.band = 1", "_G = {}"):
        assert "Attempt to modify a readonly table" in r("EVAL", body, 0), body
    for name in ("os", "io", "loadfile", "dofile", "print", "require", "setfenv", "getfenv"):
        assert f"nonexistent global variable '{name}'" in r("EVAL", f"return {name}", 0), name
    assert "attempt to call a nil value" in r(
        "EVAL", "return loadstring(string.dump(function() return 1 end))()", 0)
    assert r("EVAL", "return loadstring('return 7')()", 0) == 7


def test_libraries(r):
    assert r("EVAL", "return redis.sha1hex('Pizza & Mandolino')", 0) == \
        b"74822d82031af7493c20eefa13bd07ec4fada82f"
    assert r("EVAL", "return cjson.encode({1, 2, 'a/b'})", 0) == b'[1,2,"a\\/b"]'
    assert r("EVAL", "local t = cjson.decode('{\"a\": [1, 2.5, null]}') "
                     "return {t.a[1], tostring(t.a[2]), t.a[3] == cjson.null}", 0) == [1, b"2.5", 1]
    assert r("EVAL", "return {bit.band(7, 3), bit.bor(1, 2, 4), bit.bxor(1, 2), "
                     "bit.lshift(1, 4), bit.tohex(255, 4), bit.bnot(0)}", 0) == \
        [3, 7, 3, 16, b"00ff", -1]
    packed = r("EVAL", "return cmsgpack.pack({1, 2, 'x'}, 0.1)", 0)
    assert packed == b"\x93\x01\x02\xa1x" + b"\xcb?\xb9\x99\x99\x99\x99\x99\x9a"
    assert r("EVAL", "local a, b = cmsgpack.unpack(ARGV[1]) return {a[3], tostring(b)}",
             0, packed) == [b"x", b"0.1"]


def test_blocking_commands_do_not_block(r):
    assert r("EVAL", "return redis.pcall('blpop', 'nolist', 0)", 1, "nolist") is None
    assert r("EVAL", "return redis.pcall('bzpopmin', 'nozset', 0)", 1, "nozset") is None
    assert r("EVAL", "return redis.pcall('wait', '1', '0')", 0) == 0
    assert "not allowed with BLOCK option" in r(
        "EVAL", "return redis.pcall('xread', 'BLOCK', 0, 'STREAMS', 's', '$')", 1, "s")


def test_read_only_scripts(r, ks):
    r("SET", "foo", "bar")
    assert r("EVAL_RO", "return redis.call('get', KEYS[1])", 1, "foo") == b"bar"
    assert r("EVAL_RO", "redis.call('del', KEYS[1])", 1, "foo").startswith(
        "ERR Write commands are not allowed from read-only scripts.")
    assert r("EVAL_RO", "return redis.pcall('set', 'x', 'y')['err']", 0) == \
        b"ERR Write commands are not allowed from read-only scripts."
    assert r("EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')", 0).startswith(
        "ERR Write commands are not allowed from read-only scripts.")
    assert r("EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'foo')", 0) == b"bar"
    assert r("EVAL_RO", "#!lua\nreturn 1", 0) == \
        "ERR Can not execute a script with write flag using *_ro command."
    assert r("EVAL", "#!lua flags=bogus\nreturn 1", 0) == \
        "ERR Unexpected flag in script shebang: bogus"
    assert r("GET", "foo") == b"bar"


def test_readonly_version_refuses_writes(ks, services, monkeypatch):
    r = runner(ks, services=services)
    r("SET", "k", "v")
    monkeypatch.setattr(ks, "readonly", True, raising=False)
    assert r("EVAL", "return redis.call('get', 'k')", 0) == b"v"
    assert r("EVAL", "return redis.call('set', 'k', 'w')", 0).startswith("READONLY")
    assert r("EVAL", "#!lua\nreturn 1", 0).startswith("READONLY")
    monkeypatch.setattr(ks, "readonly", False, raising=False)
    assert r("GET", "k") == b"v"


def test_oom_refuses_denyoom_commands(r, services):
    services.oom = True
    assert r("EVAL", "return redis.call('set', 'x', '1')", 0).startswith("OOM command not allowed")
    assert r("EVAL", "return redis.call('get', 'x')", 0) is None
    assert r("EVAL", "#!lua flags=allow-oom\nreturn redis.call('set', 'x', '1')", 0) == \
        Simple("OK")


def test_runaway_script_is_stopped(r):
    assert "Script killed" in r("EVAL", "while true do end", 0)
    assert r("EVAL", "return 1", 0) == 1


def test_many_arguments_and_writes(r):
    assert r("EVAL", "local t = {} for i = 1, 7999 do t[i] = i end "
                     "return redis.call('rpush', KEYS[1], unpack(t))", 1, "big") == 7999
    assert r("LLEN", "big") == 7999


def test_engine_per_node(ks):
    a = runner(ks, services=_Services())
    b = runner(ks, services=_Services())
    sha = a("SCRIPT", "LOAD", "return 1").decode()
    assert a("SCRIPT", "EXISTS", sha) == [1]
    assert b("SCRIPT", "EXISTS", sha) == [0]


LIB = ("#!lua name=mylib\n"
       "redis.register_function('get_it', function(keys, args) return redis.call('get', keys[1]) end)\n"
       "redis.register_function{function_name='set_it', callback=function(keys, args) "
       "return redis.call('set', keys[1], args[1]) end, description='sets'}\n"
       "redis.register_function{function_name='ro', callback=function(keys, args) "
       "return redis.call('get', keys[1]) end, flags={'no-writes'}}\n")


def test_functions(r):
    assert r("FUNCTION", "LOAD", LIB) == b"mylib"
    assert r("FUNCTION", "LOAD", LIB) == "ERR Library 'mylib' already exists"
    assert r("FUNCTION", "LOAD", "REPLACE", LIB) == b"mylib"
    assert r("FCALL", "set_it", 1, "k", "v") == Simple("OK")
    assert r("FCALL", "get_it", 1, "k") == b"v"
    assert r("FCALL_RO", "ro", 1, "k") == b"v"
    assert r("FCALL_RO", "set_it", 1, "k", "v") == \
        "ERR Can not execute a script with write flag using *_ro command."
    assert r("FCALL", "nope", 0) == "ERR Function not found"
    listed = r("FUNCTION", "LIST", "WITHCODE")
    assert len(listed) == 1
    lib = dict(listed[0])
    assert lib[b"library_name"] == b"mylib" and lib[b"engine"] == b"LUA"
    assert lib[b"library_code"] == LIB.encode()
    names = {dict(f)[b"name"]: dict(f) for f in lib[b"functions"]}
    assert set(names) == {b"get_it", b"set_it", b"ro"}
    assert names[b"set_it"][b"description"] == b"sets"
    assert list(names[b"ro"][b"flags"]) == [b"no-writes"]
    assert r("FUNCTION", "LIST", "LIBRARYNAME", "other*") == []
    dump = r("FUNCTION", "DUMP")
    assert r("FUNCTION", "FLUSH") == Simple("OK")
    assert r("FCALL", "get_it", 1, "k") == "ERR Function not found"
    assert r("FUNCTION", "RESTORE", dump) == Simple("OK")
    assert r("FCALL", "get_it", 1, "k") == b"v"
    assert r("FUNCTION", "RESTORE", dump).startswith("ERR Library")
    assert r("FUNCTION", "RESTORE", dump, "REPLACE") == Simple("OK")
    assert r("FUNCTION", "RESTORE", b"garbage") == "ERR payload version or checksum are wrong"
    assert r("FUNCTION", "DELETE", "mylib") == Simple("OK")
    assert r("FUNCTION", "DELETE", "mylib") == "ERR Library not found"
    assert r("FUNCTION", "KILL") == "NOTBUSY No scripts in execution right now."
    stats = dict(r("FUNCTION", "STATS"))
    assert stats[b"running_script"] is None


def test_function_load_errors(r):
    assert r("FUNCTION", "LOAD", "return 1") == "ERR Missing library metadata"
    assert r("FUNCTION", "LOAD", "#!lua\nreturn 1") == "ERR Library name was not given"
    assert r("FUNCTION", "LOAD", "#!lua name=x\nreturn 1") == "ERR No functions registered"
    assert "Engine 'js' not found" in r("FUNCTION", "LOAD", "#!js name=x\nreturn 1")
    assert "unknown flag" in r("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function"
                                                   "{function_name='f', callback=function() end,"
                                                   " flags={'bogus'}}")
    assert "redis.call" in r("FUNCTION", "LOAD",
                             "#!lua name=x\nredis.call('set', 'a', 'b')\n"
                             "redis.register_function('f', function() end)")
    assert r("GET", "a") is None
    assert "can only be called on FUNCTION LOAD" in r(
        "EVAL", "redis.register_function('f', function() end)", 0)


def test_select_inside_script_does_not_leak(ks, services):
    ctx = SimpleNamespace(ks=ks, protocol=2, session=None, services=services)
    from mimeidb.commands import dispatch
    try:
        dispatch.execute(ctx, [b"EVAL", b"return redis.pcall('select', '9')", b"0"])
    except RedisError:
        pass
    assert ctx.ks is ks


def test_runaway_script_cannot_hide_in_pcall(r):
    assert "Script killed" in r("EVAL", "while true do pcall(function() while true do end end) end", 0)
    assert "Script killed" in r("EVAL", "local i = 0 while true do i = i + 1 "
                                        "pcall(redis.call, 'ping') end", 0)
    assert r("EVAL", "return 2", 0) == 2
