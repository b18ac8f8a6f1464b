"""The Lua engine behind EVAL and FCALL: one sandboxed Lua 5.1 state (lupa) per node.

Scripts run synchronously inside the handler of EVAL/FCALL, so nothing else runs on the
event loop meanwhile (atomicity). `redis.call` / `redis.pcall` run our commands through the
command table on the caller's context. Conversions follow Redis's documented Lua<->RESP rules.
The sandbox follows Redis 7: globals are read-only, unknown globals are an error, no os/io/
loadfile/dofile/print; `cjson` and `bit` are bridged to Python, `cmsgpack` packs/unpacks.
"""
from __future__ import annotations

import hashlib
import logging
import math
import struct
import time
from typing import Any

import lupa.lua51 as lua51

from mimeidb.commands import errors
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import (NULL_ARRAY, Block, Double, Map, Push, SetReply, Simple,
                                      Verbatim, format_double)
from mimeidb.commands.table import FLAG_BLOCKING, FLAG_NOSCRIPT, FLAG_UNBOUND, lookup

log = logging.getLogger("mimeidb.lua")

REDIS_VERSION = "7.2.0"
MAX_DEPTH = 200  # nesting of a returned table before "reached lua stack limit"

# Commands a script may not run (besides those flagged noscript in the table).
DENIED = frozenset([
    "multi", "exec", "discard", "watch", "unwatch", "subscribe", "psubscribe", "ssubscribe",
    "unsubscribe", "punsubscribe", "sunsubscribe", "monitor", "sync", "psync", "eval",
    "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "script", "function", "quit",
    "reset", "hello", "auth", "cluster", "replicaof", "slaveof", "shutdown", "mm.open",
    "mm.close", "client", "wait", "waitaof", "save", "bgsave", "bgrewriteaof", "debug",
])
# Commands whose reply a script gets without running them.
SCRIPT_REPLIES = {"wait": 0, "waitaof": [0, 0]}

ERR_READONLY_SCRIPT = "ERR Write commands are not allowed from read-only scripts."
OOM = "OOM command not allowed when used memory > 'maxmemory'."
SCRIPT_FLAGS = ("no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys")


class ScriptError(Exception):
    """A script failed: message is the full error reply."""


PRELUDE = r"""
local py_call, py_log, py_sha1, py_setresp, py_register, py_json_encode, py_json_decode,
      py_json_cfg, py_bit, py_msgpack_pack, py_msgpack_unpack, py_acl_check = ...
local real_loadstring, real_setfenv, getinfo, sethook, clock = loadstring, setfenv, debug.getinfo, debug.sethook, os.clock
local type, error, tostring, rawget, rawset, real_setmetatable, getmetatable, xpcall, select, unpack, next =
      type, error, tostring, rawget, rawset, setmetatable, getmetatable, xpcall, select, unpack, next

local PRELUDE_SRC = getinfo(1, 'S').source
local RO = real_setmetatable({}, {__mode = 'k'})
local function ro_error() error("Attempt to modify a readonly table", 2) end
local function readonly(t)
  local p = {}
  real_setmetatable(p, {__index = t, __newindex = ro_error, __metatable = false})
  RO[p] = true
  return p
end

local G = {}
for _, name in ipairs({'assert', 'error', 'ipairs', 'next', 'pairs', 'pcall', 'rawequal',
                       'rawget', 'select', 'tonumber', 'tostring', 'type', 'unpack', 'xpcall',
                       '_VERSION', 'collectgarbage', 'gcinfo', 'coroutine'}) do
  G[name] = _G[name]
end
G.ipairs = ipairs
G.getmetatable = getmetatable
G.setmetatable = function(t, m)
  if RO[t] then error("Attempt to modify a readonly table", 2) end
  return real_setmetatable(t, m)
end
G.rawset = function(t, k, v)
  if RO[t] then error("Attempt to modify a readonly table", 2) end
  return rawset(t, k, v)
end

local env = {}
G.loadstring = function(s, name)
  if type(s) == 'string' and s:byte(1) == 27 then return nil, 'binary code loading is not allowed' end
  local f, e = real_loadstring(s, name)
  if f then real_setfenv(f, env) end
  return f, e
end

-- redis ------------------------------------------------------------------------------------
local redis = {}
local function do_call(raise, ...)
  local n = select('#', ...)
  local is_err, r
  if n > 64 then
    is_err, r = py_call(-n, {...})  -- many arguments travel as one table (C stack limit)
  else
    is_err, r = py_call(n, ...)
  end
  if is_err and raise then error(r, 0) end
  return r
end
redis.call = function(...) return do_call(true, ...) end
redis.pcall = function(...) return do_call(false, ...) end
redis.error_reply = function(msg)
  if type(msg) ~= 'string' then error("wrong number or type of arguments", 2) end
  if msg:sub(1, 1) == '-' then msg = msg:sub(2) end
  if msg == '' then msg = 'ERR' end
  return {err = msg}
end
redis.status_reply = function(msg)
  if type(msg) ~= 'string' then error("wrong number or type of arguments", 2) end
  return {ok = msg}
end
redis.sha1hex = function(...)
  if select('#', ...) ~= 1 then error("wrong number of arguments", 2) end
  local s = ...
  if type(s) == 'number' then s = tostring(s) end
  if type(s) ~= 'string' then error("wrong number of arguments", 2) end
  return py_sha1(s)
end
redis.log = function(level, ...)
  if select('#', ...) < 1 then error("redis.log() requires two arguments or more.", 2) end
  if type(level) ~= 'number' then error("First argument must be a number (log level).", 2) end
  local parts = {}
  for i = 1, select('#', ...) do parts[i] = tostring((select(i, ...))) end
  py_log(level, table.concat(parts, ' '))
end
redis.setresp = function(n)
  local e = py_setresp(n)
  if e then error(e, 2) end
end
redis.register_function = function(...)
  local name, callback, flags, description
  local first = ...
  if select('#', ...) == 1 and type(first) == 'table' then
    for k, v in next, first do
      if k == 'function_name' then name = v
      elseif k == 'callback' then callback = v
      elseif k == 'flags' then flags = v
      elseif k == 'description' then description = v
      else error("unknown argument given to redis.register_function", 2) end
    end
  elseif select('#', ...) == 2 then
    name, callback = ...
  else
    error("wrong number of arguments to redis.register_function", 2)
  end
  local fl = {}
  if flags ~= nil then
    if type(flags) ~= 'table' then error("flags argument to redis.register_function must be a table representing function flags", 2) end
    for i, f in next, flags do
      if type(f) ~= 'string' then error("unknown flag given", 2) end
      fl[#fl + 1] = f
    end
  end
  if type(name) ~= 'string' then error("function_name argument given to redis.register_function must be a string", 2) end
  if type(callback) ~= 'function' then error("callback argument given to redis.register_function must be a function", 2) end
  if description ~= nil and type(description) ~= 'string' then error("description argument given to redis.register_function must be a string", 2) end
  local e = py_register(name, callback, fl, description)
  if e then error(e, 2) end
end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.replicate_commands = function() return true end
redis.set_repl = function() end
redis.acl_check_cmd = function(...)
  local ok, r = py_acl_check(select('#', ...), ...)
  if not ok then error(r, 2) end
  return r
end
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REDIS_VERSION = REDIS_VERSION_STR
redis.REDIS_VERSION_NUM = REDIS_VERSION_NUM

-- cjson --------------------------------------------------------------------------------------
local cjson = {}
local null = readonly({})
cjson.null = null
cjson.encode = function(v)
  local ok, r = py_json_encode(v, null)
  if not ok then error(r, 2) end
  return r
end
cjson.decode = function(s)
  local ok, r = py_json_decode(s, null)
  if not ok then error(r, 2) end
  return r
end
for _, opt in ipairs({'encode_keep_buffer', 'encode_max_depth', 'decode_max_depth',
                      'encode_invalid_numbers', 'decode_invalid_numbers', 'encode_sparse_array',
                      'encode_number_precision'}) do
  cjson[opt] = function(...) return py_json_cfg(opt, ...) end
end

-- bit ----------------------------------------------------------------------------------------
local bit = {}
for _, op in ipairs({'tobit', 'tohex', 'bnot', 'band', 'bor', 'bxor', 'lshift', 'rshift',
                     'arshift', 'rol', 'ror', 'bswap'}) do
  bit[op] = function(...)
    local ok, r = py_bit(op, ...)
    if not ok then error(r, 2) end
    return r
  end
end

-- cmsgpack -----------------------------------------------------------------------------------
local cmsgpack = {}
cmsgpack.pack = function(...)
  local ok, r = py_msgpack_pack(select('#', ...), ...)
  if not ok then error(r, 2) end
  return r
end
local function unpack_results(ok, r)
  if not ok then error(r, 3) end
  return unpack(r, 1, r.n)
end
cmsgpack.unpack = function(s) return unpack_results(py_msgpack_unpack(s, 0, 0, false)) end
cmsgpack.unpack_one = function(s, offset) return unpack_results(py_msgpack_unpack(s, 1, offset or 0, true)) end
cmsgpack.unpack_limit = function(s, limit, offset) return unpack_results(py_msgpack_unpack(s, limit or 0, offset or 0, true)) end

G.string = readonly(string)
G.table = readonly(table)
G.math = readonly(math)
G.redis = readonly(redis)
G.cjson = readonly(cjson)
G.bit = readonly(bit)
G.cmsgpack = readonly(cmsgpack)
G._G = env
real_setmetatable(env, {
  __index = function(_, k)
    local v = G[k]
    if v == nil then error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
    return v
  end,
  __newindex = ro_error,
  __metatable = readonly({})})
RO[env] = true

-- running ------------------------------------------------------------------------------------
local function user_frame()
  for level = 2, 60 do
    local info = getinfo(level, 'Sl')
    if not info then break end
    if info.source == '@user_script' or info.source == '@user_function' then
      return info.source, info.currentline
    end
  end
end
local killed = false
local kill_msg = nil
local function handler(e)
  if killed then return {kill_msg, nil, nil, true} end
  local src, line = user_frame()
  if type(e) == 'table' then
    local msg = rawget(e, 'err')
    if msg ~= nil then return {tostring(msg), src, line, true} end
    return {'ERR ' .. tostring(e), src, line, false}
  end
  return {tostring(e), src, line, false}
end

local engine = {}
function engine.compile(code, chunkname)
  local f, e = real_loadstring(code, chunkname)
  if not f then return nil, e end
  real_setfenv(f, env)
  return f, nil
end
function engine.run(fn, keys, argv, set_globals, limit, timeout_msg)
  G.KEYS = set_globals and keys or nil
  G.ARGV = set_globals and argv or nil
  local start = clock()
  killed, kill_msg = false, timeout_msg
  if limit > 0 then
    local hook
    hook = function()
      if getinfo(2, 'S').source == PRELUDE_SRC then return end  -- only user code is stopped
      if killed or clock() - start > limit then
        if not killed then
          killed = true
          sethook(hook, '', 1)  -- from now on every instruction fails: pcall cannot hold on
        end
        error({err = timeout_msg})
      end
    end
    sethook(hook, '', 100000)
  end
  local ok, r = xpcall(function() return fn(keys, argv) end, handler)
  sethook()
  G.KEYS, G.ARGV = nil, nil
  local was_killed = killed
  killed = false
  return ok, r, was_killed
end
function engine.rawget(t, k) return rawget(t, k) end
function engine.reset() sethook() killed = false G.KEYS, G.ARGV = nil, nil end
function engine.array(t)
  local out, i = {}, 1
  while true do
    local v = rawget(t, i)
    if v == nil then break end
    out[i] = v
    i = i + 1
  end
  return out, i - 1
end
function engine.argtable(n, ...)
  return {n = n, ...}
end
return engine
"""


def _lua_type(value: Any) -> str | None:
    return lua51.lua_type(value)


def _number_arg(value: float) -> bytes:
    if value == int(value) and abs(value) < 1e17:
        return b"%d" % int(value)
    return repr(value).encode()


def _to_int(value: Any) -> int:
    """A Lua number as Redis replies it: truncated to an integer."""
    if isinstance(value, int):
        return value
    if value != value or value in (math.inf, -math.inf):
        return -(1 << 63)
    return max(-(1 << 63), min((1 << 63) - 1, int(value)))


class Engine:
    """One node's scripting state: the Lua state, the EVAL cache and the function libraries."""

    def __init__(self) -> None:
        self.lua = lua51.LuaRuntime(encoding=None, register_eval=False,
                                    unpack_returned_tuples=True)
        self.lua.execute(b'REDIS_VERSION_STR = "' + REDIS_VERSION.encode() + b'"; '
                         b'REDIS_VERSION_NUM = 0x070200')
        self.api = self.lua.execute(
            PRELUDE.encode(), self._py_call, self._py_log, self._py_sha1, self._py_setresp,
            self._py_register, self._json_encode, self._json_decode, self._json_cfg,
            self._bit, self._msgpack_pack, self._msgpack_unpack, self._acl_check)
        self._rawget = self.api[b"rawget"]
        self._array = self.api[b"array"]
        self._argtable = self.api[b"argtable"]
        self.scripts: dict[str, tuple[bytes, Any]] = {}  # sha -> (body, compiled)
        self.libraries: dict[str, dict] = {}  # name -> {code, functions: {name: (fn, flags, desc)}}
        self.functions: dict[str, tuple[str, Any, frozenset, Any]] = {}  # name -> (lib, fn, flags, desc)
        self.json = {"encode_max_depth": 1000, "decode_max_depth": 1000,
                     "encode_invalid_numbers": False, "decode_invalid_numbers": True}
        # the run in progress
        self.ctx: Any = None
        self.resp = 2
        self.readonly = False
        self.allow_oom = False
        self.loading: dict | None = None
        self.running = False

    # -- compiling --------------------------------------------------------------------------
    @staticmethod
    def sha(body: bytes) -> str:
        return hashlib.sha1(body).hexdigest()

    def compile_script(self, body: bytes) -> tuple[str, Any, frozenset | None]:
        """Compile (or find) an EVAL script: (sha, function, shebang flags or None)."""
        sha = self.sha(body)
        cached = self.scripts.get(sha)
        flags, code = parse_shebang(body, eval_script=True)
        if cached is not None:
            return sha, cached[1], flags
        fn, err = self.api[b"compile"](code, b"@user_script")
        if fn is None:
            raise RedisError("ERR Error compiling script (new function): " +
                             _text(err))
        self.scripts[sha] = (body, fn)
        return sha, fn, flags

    # -- running ----------------------------------------------------------------------------
    def run(self, ctx: Any, fn: Any, keys: list[bytes], argv: list[bytes], *, name: str,
            readonly: bool, allow_oom: bool, is_eval: bool) -> Any:
        if self.running:
            raise RedisError("ERR a script is already running")
        lua = self.lua
        saved_ks = getattr(ctx, "ks", None)
        self.ctx, self.resp, self.readonly, self.allow_oom = ctx, 2, readonly, allow_oom
        self.running = True
        limit = _time_limit(ctx)
        try:
            message = (b"ERR Script killed: it ran longer than busy-reply-threshold "
                       b"(this node runs scripts atomically)")
            try:
                ok, result, killed = self.api[b"run"](fn, lua.table_from(keys),
                                                      lua.table_from(argv), is_eval, limit,
                                                      message)
            except lua51.LuaError as exc:  # safety net: an error outside the protected call
                self.api[b"reset"]()
                raise RedisError("ERR " + _text(exc.args[0] if exc.args else exc)) from None
            if killed:
                raise RedisError(message.decode())
            if not ok:
                raise RedisError(self._failure(result, name))
            reply = self.to_reply(result, 0)
            if reply.__class__ is RedisError:
                raise reply
            return reply
        finally:
            self.running = False
            self.ctx = None
            if saved_ks is not None and getattr(ctx, "ks", None) is not saved_ks:
                try:
                    ctx.ks = saved_ks  # SELECT inside a script does not affect the caller
                except AttributeError:
                    pass

    def _failure(self, info: Any, name: str) -> str:
        if _lua_type(info) != "table":
            return "ERR " + _text(info)
        msg = _text(info[1])
        src, line, is_table = info[2], info[3], info[4]
        if not is_table and not _has_code(msg):
            msg = "ERR " + msg
        if not msg:
            msg = "ERR"
        if src is not None:
            msg += f" script: {name}, on {_text(src)}:{line}."
        return msg

    # -- Lua value -> reply -----------------------------------------------------------------
    def to_reply(self, value: Any, depth: int) -> Any:
        if value is None:
            return None
        cls = value.__class__
        if cls is bytes:
            return value
        if cls is bool:
            if self.resp == 2:
                return 1 if value else None
            return value
        if cls is int:
            return value
        if cls is float:
            return _to_int(value)
        if _lua_type(value) != "table":
            return None  # functions, userdata, threads
        if depth >= MAX_DEPTH:
            return RedisError("ERR reached lua stack limit")
        rawget = self._rawget
        err = rawget(value, b"err")
        if err is not None and err.__class__ is bytes:
            message = _text(err) or "ERR"
            return RedisError(message)
        ok = rawget(value, b"ok")
        if ok is not None and ok.__class__ is bytes:
            return Simple(_text(ok).replace("\r", " ").replace("\n", " "))
        dbl = rawget(value, b"double")
        if dbl is not None and dbl.__class__ in (int, float):
            return Double(float(dbl))
        big = rawget(value, b"big_number")
        if big is not None and big.__class__ is bytes:
            return big
        mp = rawget(value, b"map")
        if mp is not None and _lua_type(mp) == "table":
            return Map([(self.to_reply(k, depth + 1), self.to_reply(v, depth + 1))
                        for k, v in mp.items()])
        st = rawget(value, b"set")
        if st is not None and _lua_type(st) == "table":
            return SetReply([self.to_reply(k, depth + 1) for k, _ in st.items()])
        verb = rawget(value, b"verbatim_string")
        if verb is not None and _lua_type(verb) == "table":
            text = rawget(verb, b"string")
            if text is not None and text.__class__ is bytes:
                return Verbatim(text.decode("utf-8", "replace"))
        items, count = self._array(value)
        out = []
        for i in range(1, count + 1):
            out.append(self.to_reply(items[i], depth + 1))
        return out

    # -- reply -> Lua value -----------------------------------------------------------------
    def to_lua(self, reply: Any) -> Any:
        cls = reply.__class__
        if cls is bytes:
            return reply
        if cls is int:
            return reply
        if cls is list or cls is tuple:
            return self.lua.table_from([self.to_lua(item) for item in reply])
        if reply is None or reply is NULL_ARRAY:
            return False if self.resp == 2 else None
        if cls is Simple:
            return self.lua.table_from({b"ok": reply.encode()})
        if isinstance(reply, RedisError):
            return self.lua.table_from({b"err": reply.message.encode()})
        if isinstance(reply, bool):
            if self.resp == 2:
                return 1 if reply else False
            return reply
        if isinstance(reply, float):
            if self.resp == 2:
                return format_double(reply)
            return self.lua.table_from({b"double": float(reply)})
        if isinstance(reply, (Map, dict)):
            pairs = reply.items() if isinstance(reply, dict) else reply
            if self.resp == 2:
                flat = []
                for k, v in pairs:
                    flat.append(self.to_lua(k))
                    flat.append(self.to_lua(v))
                return self.lua.table_from(flat)
            table = self.lua.table()
            for k, v in pairs:
                table[self.to_lua(k)] = self.to_lua(v)
            return self.lua.table_from({b"map": table})
        if isinstance(reply, (SetReply, set, frozenset)):
            if self.resp == 2:
                return self.lua.table_from([self.to_lua(item) for item in reply])
            table = self.lua.table()
            for item in reply:
                table[self.to_lua(item)] = True
            return self.lua.table_from({b"set": table})
        if isinstance(reply, Verbatim):
            data = reply.encode()
            if self.resp == 2:
                return data
            return self.lua.table_from({b"verbatim_string": self.lua.table_from(
                {b"format": b"txt", b"string": data})})
        if isinstance(reply, Simple):
            return self.lua.table_from({b"ok": str(reply).encode()})
        if isinstance(reply, (list, tuple, Push)):
            return self.lua.table_from([self.to_lua(item) for item in reply])
        if isinstance(reply, int):
            return int(reply)
        if isinstance(reply, str):
            return reply.encode()
        if isinstance(reply, (bytearray, memoryview)):
            return bytes(reply)
        return False

    # -- redis.call -------------------------------------------------------------------------
    def _error(self, message: str) -> tuple[bool, Any]:
        return True, self.lua.table_from({b"err": message.encode()})

    def _py_call(self, n: int, *args: Any) -> tuple[bool, Any]:
        if self.loading is not None or self.ctx is None:
            return self._error("ERR redis.call/pcall can only be called inside a script invocation")
        if n < 0:  # the arguments came as one table
            n = -n
            packed = args[0]
            args = tuple(packed[i] for i in range(1, n + 1))
        if n == 0:
            return self._error("ERR Please specify at least one argument for this redis lib call")
        argv: list[bytes] = []
        for i in range(n):
            arg = args[i] if i < len(args) else None
            cls = arg.__class__
            if cls is bytes:
                argv.append(arg)
            elif cls is int:
                argv.append(b"%d" % arg)
            elif cls is float:
                argv.append(_number_arg(arg))
            else:
                return self._error("ERR Lua redis lib command arguments must be strings or integers")
        lowered = argv[0].lower().decode("latin-1")
        if lowered in SCRIPT_REPLIES:
            return False, self.to_lua(SCRIPT_REPLIES[lowered])
        spec = lookup(argv[0])
        if spec is None:
            if lowered in DENIED:
                return self._error("ERR This Redis command is not allowed from script")
            return self._error("ERR Unknown Redis command called from script")
        ctx = self.ctx
        services = getattr(ctx, "services", None)
        stats = getattr(services, "stats", None)
        name = spec.name
        if (spec.arity > 0 and len(argv) != spec.arity) or len(argv) < -spec.arity:
            return self._error("ERR Wrong number of args calling Redis command from script")
        if name in SCRIPT_REPLIES:
            return False, self.to_lua(SCRIPT_REPLIES[name])
        if (FLAG_NOSCRIPT in spec.flags and FLAG_BLOCKING not in spec.flags) or name in DENIED:
            return self._error("ERR This Redis command is not allowed from script")
        if spec.is_write and self.readonly:
            return self._error(ERR_READONLY_SCRIPT)
        ks = getattr(ctx, "ks", None)
        if ks is None:
            if FLAG_UNBOUND not in spec.flags:
                return self._error(errors.NOT_BOUND)
        elif spec.is_write and ks.readonly:
            return self._error(errors.READONLY)
        if "denyoom" in spec.flags and not self.allow_oom and services is not None:
            oom = getattr(services, "out_of_memory", None)
            if oom is not None and oom():
                return self._error(OOM)
        if name in ("xread", "xreadgroup") and any(a.upper() == b"BLOCK" for a in argv[1:]):
            return self._error(f"ERR {name} command is not allowed with BLOCK option from scripts")
        if services is not None and hasattr(services, "cmd_seq"):
            services.cmd_seq += 1
        started = time.perf_counter_ns()
        failed = False
        try:
            reply = spec.handler(ctx, argv[1:])
            if reply.__class__ is Block:
                reply = reply.timeout_reply
        except RedisError as exc:
            failed = True
            reply = exc
        except Exception as exc:  # a handler bug must not kill the script engine
            log.exception("command %s failed inside a script", name)
            failed = True
            reply = RedisError(f"ERR internal error: {exc.__class__.__name__}: {exc}")
        if stats is not None:
            try:
                stats.call(name, (time.perf_counter_ns() - started) // 1000, failed)
                if failed:
                    stats.error(reply.message)
            except Exception:  # stats are best effort
                pass
        if failed:
            return self._error(reply.message)
        if reply.__class__ is RedisError:
            return self._error(reply.message)
        if reply.__class__.__name__ == "Replies":
            reply = list(reply)
        return False, self.to_lua(reply)

    def _acl_check(self, n: int, *args: Any) -> tuple[bool, Any]:
        if n == 0 or not isinstance(args[0], bytes):
            return False, b"Please specify at least one argument for this redis lib call"
        spec = lookup(args[0])
        if spec is None:
            return False, b"Invalid command passed to redis.acl_check_cmd()"
        return True, True

    def _py_log(self, level: Any, message: bytes) -> None:
        levels = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING}
        log.log(levels.get(_to_int(level), logging.INFO), "%s", message.decode("utf-8", "replace"))

    def _py_sha1(self, data: bytes) -> bytes:
        return hashlib.sha1(data).hexdigest().encode()

    def _py_setresp(self, n: Any) -> bytes | None:
        if n.__class__ not in (int, float) or n not in (2, 3):
            return b"RESP version must be 2 or 3."
        self.resp = int(n)
        return None

    def _py_register(self, name: bytes, callback: Any, flags: Any, description: Any) -> bytes | None:
        if self.loading is None:
            return b"redis.register_function can only be called on FUNCTION LOAD command"
        text = _text(name)
        if not _valid_name(text):
            return (b"Function names can only contain letters, numbers, or underscores(_) "
                    b"and must be at least one character long")
        names = []
        for _, f in flags.items():
            f = _text(f)
            if f not in SCRIPT_FLAGS:
                return b"unknown flag given"
            names.append(f)
        functions = self.loading["functions"]
        if text in functions:
            return b"Function already exists in the library"
        functions[text] = (callback, frozenset(names), description)
        return None

    # -- cjson ------------------------------------------------------------------------------
    def _json_cfg(self, opt: bytes, *args: Any) -> Any:
        key = _text(opt)
        if args and key in self.json:
            value = args[0]
            self.json[key] = bool(value) if isinstance(self.json[key], bool) else _to_int(value)
        return self.json.get(key)

    def _json_encode(self, value: Any, null: Any) -> tuple[bool, Any]:
        out: list[str] = []
        try:
            self._enc(value, null, out, 0)
        except ValueError as exc:
            return False, str(exc).encode()
        return True, "".join(out).encode("latin-1")

    def _enc(self, value: Any, null: Any, out: list[str], depth: int) -> None:
        cls = value.__class__
        if value is None:
            out.append("null")
        elif cls is bool:
            out.append("true" if value else "false")
        elif cls is int:
            out.append(str(value))
        elif cls is float:
            if value != value or value in (math.inf, -math.inf):
                if not self.json["encode_invalid_numbers"]:
                    raise ValueError("Cannot serialise number: must not be NaN or Inf")
                out.append("nan" if value != value else ("inf" if value > 0 else "-inf"))
            else:
                out.append(_g14(value))
        elif cls is bytes:
            out.append(_json_str(value))
        elif _lua_type(value) == "table":
            if value == null:
                out.append("null")
                return
            depth += 1
            if depth > self.json["encode_max_depth"]:
                raise ValueError(f"Cannot serialise, excessive nesting ({depth})")
            items = list(value.items())
            if items and all(k.__class__ in (int, float) and k == int(k) and k >= 1
                             for k, _ in items):
                top = int(max(k for k, _ in items))
                if top > 10 and top > 2 * len(items):
                    raise ValueError("Cannot serialise table: excessively sparse array")
                table = {int(k): v for k, v in items}
                out.append("[")
                for i in range(1, top + 1):
                    if i > 1:
                        out.append(",")
                    self._enc(table.get(i), null, out, depth)
                out.append("]")
                return
            out.append("{")
            first = True
            for k, v in items:
                if k.__class__ is bytes:
                    key = _json_str(k)
                elif k.__class__ in (int, float):
                    key = '"' + (str(k) if k.__class__ is int else _g14(k)) + '"'
                else:
                    kind = "boolean" if k.__class__ is bool else (_lua_type(k) or "userdata")
                    raise ValueError(f"Cannot serialise {kind}: table key must be a number "
                                     f"or string")
                if not first:
                    out.append(",")
                first = False
                out.append(key)
                out.append(":")
                self._enc(v, null, out, depth)
            out.append("}")
        else:
            raise ValueError(f"Cannot serialise {_lua_type(value) or 'userdata'}: type not "
                             f"supported")

    def _json_decode(self, data: Any, null: Any) -> tuple[bool, Any]:
        import json
        if data.__class__ is not bytes:
            return False, b"bad argument #1 to 'decode' (string expected)"
        try:
            value = json.loads(data.decode("utf-8", "surrogateescape"))
        except ValueError as exc:
            return False, f"Expected value but found invalid token: {exc}".encode()
        try:
            return True, self._to_lua_json(value, null, 0)
        except ValueError as exc:
            return False, str(exc).encode()

    def _to_lua_json(self, value: Any, null: Any, depth: int) -> Any:
        if value is None:
            return null
        if isinstance(value, str):
            return value.encode("utf-8", "surrogateescape")
        if isinstance(value, (list, dict)):
            depth += 1
            if depth > self.json["decode_max_depth"]:
                raise ValueError(f"Found too many nested data structures ({depth})")
            if isinstance(value, list):
                return self.lua.table_from([self._to_lua_json(v, null, depth) for v in value])
            table = self.lua.table()
            for k, v in value.items():
                table[k.encode("utf-8", "surrogateescape")] = self._to_lua_json(v, null, depth)
            return table
        return value

    # -- bit --------------------------------------------------------------------------------
    def _bit(self, op: bytes, *args: Any) -> tuple[bool, Any]:
        try:
            nums = [_tobit(a) for a in args]
        except (TypeError, ValueError):
            return False, b"bad argument to bit." + op + b" (number expected)"
        name = op.decode()
        if not nums:
            return False, b"bad argument #1 to '" + op + b"' (number expected, got no value)"
        x = nums[0]
        if name == "tobit":
            r = x
        elif name == "tohex":
            n = nums[1] if len(nums) > 1 else 8
            upper = n < 0
            n = min(abs(n), 8) or 8
            text = "%08x" % (x & 0xFFFFFFFF)
            text = text[-n:]
            return True, (text.upper() if upper else text).encode()
        elif name == "bnot":
            r = ~x
        elif name in ("band", "bor", "bxor"):
            r = x
            for y in nums[1:]:
                r = r & y if name == "band" else (r | y if name == "bor" else r ^ y)
        elif name == "bswap":
            r = int.from_bytes((x & 0xFFFFFFFF).to_bytes(4, "little"), "big")
        else:
            if len(nums) < 2:
                return False, b"bad argument #2 to '" + op + b"' (number expected, got no value)"
            n = nums[1] & 31
            u = x & 0xFFFFFFFF
            if name == "lshift":
                r = u << n
            elif name == "rshift":
                r = u >> n
            elif name == "arshift":
                r = x >> n
            elif name == "rol":
                r = (u << n) | (u >> (32 - n))
            else:  # ror
                r = (u >> n) | (u << (32 - n))
        return True, _signed32(r)

    # -- cmsgpack ---------------------------------------------------------------------------
    def _msgpack_pack(self, n: int, *args: Any) -> tuple[bool, Any]:
        if n == 0:
            return False, b"MessagePack pack needs input."
        out = bytearray()
        try:
            for i in range(n):
                _mp_pack(self, args[i] if i < len(args) else None, out, 0)
        except ValueError as exc:
            return False, str(exc).encode()
        return True, bytes(out)

    def _msgpack_unpack(self, data: Any, limit: Any, offset: Any, with_offset: bool) -> tuple[bool, Any]:
        if data.__class__ is not bytes:
            return False, b"MessagePack unpack needs a string."
        limit, pos = _to_int(limit), _to_int(offset)
        if pos < 0 or limit < 0:
            return False, b"Invalid request to unpack with offset of %d and limit of %d." % (pos, limit)
        values = []
        try:
            while pos < len(data) and (limit == 0 or len(values) < limit):
                value, pos = _mp_unpack(self, data, pos)
                values.append(value)
        except (IndexError, ValueError, struct.error):
            return False, b"Missing bytes in input."
        if with_offset:
            values.insert(0, -1 if pos >= len(data) else pos)
        return True, self._argtable(len(values), *values)


# -- helpers ----------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _has_code(msg: str) -> bool:
    word = msg.split(" ", 1)[0]
    return bool(word) and word.isupper() and word.replace("_", "").isalnum() and " " in msg


def _valid_name(name: str) -> bool:
    return bool(name) and all(c.isascii() and (c.isalnum() or c == "_") for c in name)


def _g14(value: float) -> str:
    return "%.14g" % value


def _json_str(raw: bytes) -> str:
    text = raw.decode("latin-1")
    out = ['"']
    for ch in text:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "/":
            out.append("\\/")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif o < 0x20 or o == 0x7F:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _tobit(value: Any) -> int:
    if value.__class__ is bytes:
        value = float(value)
    if value.__class__ not in (int, float):
        raise TypeError
    if value.__class__ is float:
        if value != value or value in (math.inf, -math.inf):
            return 0
        value = int(round(value)) if abs(value - int(value)) == 0.5 else int(round(value))
    return _signed32(value)


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _mp_pack(engine: Engine, value: Any, out: bytearray, depth: int) -> None:
    cls = value.__class__
    if value is None:
        out += b"\xc0"
    elif cls is bool:
        out += b"\xc3" if value else b"\xc2"
    elif cls is float and math.isfinite(value) and value == int(value):
        _mp_pack(engine, int(value), out, depth)
    elif cls is float:
        f32 = struct.unpack(">f", struct.pack(">f", value))[0] if math.isfinite(value) and abs(value) < 3.4e38 else None
        if f32 == value:
            out += b"\xca" + struct.pack(">f", value)
        else:
            out += b"\xcb" + struct.pack(">d", value)
    elif cls is int:
        if value >= 0:
            if value < 128:
                out.append(value)
            elif value < 256:
                out += b"\xcc" + bytes([value])
            elif value < 65536:
                out += b"\xcd" + struct.pack(">H", value)
            elif value < (1 << 32):
                out += b"\xce" + struct.pack(">I", value)
            else:
                out += b"\xcf" + struct.pack(">Q", value & 0xFFFFFFFFFFFFFFFF)
        else:
            if value >= -32:
                out += struct.pack(">b", value)
            elif value >= -128:
                out += b"\xd0" + struct.pack(">b", value)
            elif value >= -32768:
                out += b"\xd1" + struct.pack(">h", value)
            elif value >= -(1 << 31):
                out += b"\xd2" + struct.pack(">i", value)
            else:
                out += b"\xd3" + struct.pack(">q", max(value, -(1 << 63)))
    elif cls is bytes:
        n = len(value)
        if n < 32:
            out.append(0xA0 | n)
        elif n < 256:
            out += b"\xd9" + bytes([n])
        elif n < 65536:
            out += b"\xda" + struct.pack(">H", n)
        else:
            out += b"\xdb" + struct.pack(">I", n)
        out += value
    elif _lua_type(value) == "table":
        if depth >= 16:
            out += b"\xc0"
            return
        items = list(value.items())
        count = len(items)
        is_array = count > 0 and all(k.__class__ is int and 1 <= k <= count for k, _ in items)
        if is_array:
            table = dict(items)
            if count < 16:
                out.append(0x90 | count)
            elif count < 65536:
                out += b"\xdc" + struct.pack(">H", count)
            else:
                out += b"\xdd" + struct.pack(">I", count)
            for i in range(1, count + 1):
                _mp_pack(engine, table[i], out, depth + 1)
        else:
            if count < 16:
                out.append(0x80 | count)
            elif count < 65536:
                out += b"\xde" + struct.pack(">H", count)
            else:
                out += b"\xdf" + struct.pack(">I", count)
            for k, v in items:
                _mp_pack(engine, k, out, depth + 1)
                _mp_pack(engine, v, out, depth + 1)
    else:
        out += b"\xc0"


def _mp_unpack(engine: Engine, data: bytes, pos: int) -> tuple[Any, int]:
    b = data[pos]
    pos += 1
    if b < 0x80:
        return b, pos
    if b >= 0xE0:
        return b - 256, pos
    if 0xA0 <= b <= 0xBF:
        n = b & 0x1F
        return _mp_bytes(data, pos, n)
    if 0x90 <= b <= 0x9F:
        return _mp_array(engine, data, pos, b & 0x0F)
    if 0x80 <= b <= 0x8F:
        return _mp_map(engine, data, pos, b & 0x0F)
    fixed = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b", 0xD1: ">h",
             0xD2: ">i", 0xD3: ">q", 0xCA: ">f", 0xCB: ">d"}
    if b in fixed:
        fmt = fixed[b]
        size = struct.calcsize(fmt)
        if pos + size > len(data):
            raise ValueError
        return struct.unpack_from(fmt, data, pos)[0], pos + size
    if b == 0xC0:
        return None, pos
    if b == 0xC2:
        return False, pos
    if b == 0xC3:
        return True, pos
    lengths = {0xD9: ">B", 0xDA: ">H", 0xDB: ">I", 0xC4: ">B", 0xC5: ">H", 0xC6: ">I"}
    if b in lengths:
        fmt = lengths[b]
        n = struct.unpack_from(fmt, data, pos)[0]
        return _mp_bytes(data, pos + struct.calcsize(fmt), n)
    if b in (0xDC, 0xDD):
        fmt = ">H" if b == 0xDC else ">I"
        n = struct.unpack_from(fmt, data, pos)[0]
        return _mp_array(engine, data, pos + struct.calcsize(fmt), n)
    if b in (0xDE, 0xDF):
        fmt = ">H" if b == 0xDE else ">I"
        n = struct.unpack_from(fmt, data, pos)[0]
        return _mp_map(engine, data, pos + struct.calcsize(fmt), n)
    raise ValueError("bad type")


def _mp_bytes(data: bytes, pos: int, n: int) -> tuple[bytes, int]:
    if pos + n > len(data):
        raise ValueError
    return data[pos:pos + n], pos + n


def _mp_array(engine: Engine, data: bytes, pos: int, n: int) -> tuple[Any, int]:
    table = engine.lua.table()
    for i in range(1, n + 1):
        value, pos = _mp_unpack(engine, data, pos)
        if value is not None:
            table[i] = value
    return table, pos


def _mp_map(engine: Engine, data: bytes, pos: int, n: int) -> tuple[Any, int]:
    table = engine.lua.table()
    for _ in range(n):
        key, pos = _mp_unpack(engine, data, pos)
        value, pos = _mp_unpack(engine, data, pos)
        if key is not None and value is not None:
            table[key] = value
    return table, pos


def parse_shebang(body: bytes, eval_script: bool) -> tuple[frozenset | None, bytes]:
    """`#!lua [flags=a,b] [name=x]` on the first line: (flags, code with the line commented)."""
    if not body.startswith(b"#!"):
        return None, body
    line, nl, rest = body.partition(b"\n")
    words = line[2:].split()
    if not words or words[0] != b"lua":
        engine = words[0].decode("utf-8", "replace") if words else ""
        if eval_script:
            raise RedisError(f"ERR Unexpected engine in script shebang: {engine}")
        raise RedisError(f"ERR Engine '{engine}' not found")
    flags: set[str] = set()
    for word in words[1:]:
        key, eq, value = word.partition(b"=")
        if key == b"flags" and eq:
            for f in value.split(b","):
                if not f:
                    continue
                f = f.decode("utf-8", "replace")
                if f not in SCRIPT_FLAGS:
                    raise RedisError(f"ERR Unexpected flag in script shebang: {f}")
                flags.add(f)
        elif key == b"name" and eq and not eval_script:
            continue
        else:
            raise RedisError("ERR Unknown lua shebang option: " + key.decode("utf-8", "replace"))
    return frozenset(flags), b"--" + line + nl + rest


def library_meta(code: bytes) -> tuple[str, bytes]:
    """The library name of FUNCTION LOAD code from its `#!lua name=<lib>` shebang."""
    if not code.startswith(b"#!"):
        raise RedisError("ERR Missing library metadata")
    line, nl, rest = code.partition(b"\n")
    words = line[2:].split()
    if not words:
        raise RedisError("ERR Library engine was not given")  # pragma: no cover
    if words[0].lower() != b"lua":
        raise RedisError(f"ERR Engine '{words[0].decode('utf-8', 'replace')}' not found")
    name = None
    for word in words[1:]:
        key, eq, value = word.partition(b"=")
        if key == b"name" and eq:
            name = value.decode("utf-8", "replace")
        else:
            raise RedisError(f"ERR Invalid metadata value given: {word.decode('utf-8', 'replace')}")
    if name is None:
        raise RedisError("ERR Library name was not given")
    if not _valid_name(name):
        raise RedisError("ERR Library names can only contain letters, numbers, or "
                         "underscores(_) and must be at least one character long")
    return name, b"--" + line + nl + rest


def _time_limit(ctx: Any) -> float:
    """Seconds a script may run before it is stopped (busy-reply-threshold, default 5s)."""
    config = getattr(getattr(ctx, "services", None), "config", None)
    try:
        ms = int(config.get("busy-reply-threshold", config.get("lua-time-limit", 5000)))
    except (AttributeError, TypeError, ValueError):
        ms = 5000
    return max(ms, 0) / 1000
