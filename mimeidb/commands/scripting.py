"""Lua scripting: EVAL/EVALSHA(_RO), SCRIPT, FUNCTION and FCALL(_RO) on the lua_bridge engine.

The script cache and the function libraries belong to the node (one engine per node object,
kept for the life of the process); they are not part of any Mimei version.
"""
from __future__ import annotations

import weakref
from typing import Any

import orjson

from mimeidb.commands import errors
from mimeidb.commands.args import to_int, upper
from mimeidb.commands.errors import RedisError
from mimeidb.commands.glob import glob_match
from mimeidb.commands.lua_bridge import Engine, library_meta
from mimeidb.commands.replies import OK, Map, SetReply, Simple
from mimeidb.commands.table import command, numkeys_keys

_ENGINES: "weakref.WeakKeyDictionary[Any, Engine]" = weakref.WeakKeyDictionary()
_DEFAULT: list[Engine] = []

NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL."
NOTBUSY = "NOTBUSY No scripts in execution right now."
DUMP_MAGIC = b"MIMEIDB-FUNCTIONS\x01"


def engine_for(ctx: Any) -> Engine:
    """The engine of the node behind ctx (RESP: services.node; HTTP: services is the node)."""
    services = getattr(ctx, "services", None)
    owner = getattr(services, "node", services)
    if owner is not None:
        try:
            engine = _ENGINES.get(owner)
            if engine is None:
                engine = _ENGINES[owner] = Engine()
            return engine
        except TypeError:  # not weak-referenceable
            pass
    if not _DEFAULT:
        _DEFAULT.append(Engine())
    return _DEFAULT[0]


def _split(args: list[bytes], at: int) -> tuple[list[bytes], list[bytes]]:
    """KEYS and ARGV from `numkeys key... arg...` starting at args[at]."""
    numkeys = to_int(args[at])
    if numkeys < 0:
        raise RedisError("ERR Number of keys can't be negative")
    rest = args[at + 1:]
    if numkeys > len(rest):
        raise RedisError("ERR Number of keys can't be greater than number of args")
    return rest[:numkeys], rest[numkeys:]


def _check_write_allowed(ctx: Any, flags: frozenset) -> None:
    """A script that may write (shebang or function without no-writes) on a read-only
    version is refused before it runs, as Redis refuses it on a replica."""
    if "no-writes" in flags:
        return
    ks = getattr(ctx, "ks", None)
    if ks is not None and ks.readonly:
        raise RedisError(errors.READONLY)
    if "allow-oom" not in flags:
        oom = getattr(getattr(ctx, "services", None), "out_of_memory", None)
        if oom is not None and oom():
            raise RedisError("OOM command not allowed when used memory > 'maxmemory'.")


def _eval(ctx: Any, body: bytes, args: list[bytes], readonly: bool, sha: str | None = None) -> Any:
    engine = engine_for(ctx)
    if sha is None:
        sha, fn, flags = engine.compile_script(body)
    else:
        cached = engine.scripts.get(sha)
        if cached is None:
            raise RedisError(NOSCRIPT)
        sha, fn, flags = engine.compile_script(cached[0])
    keys, argv = _split(args, 0)
    if flags is not None:  # a shebang script declares its flags
        if readonly and "no-writes" not in flags:
            raise RedisError("ERR Can not execute a script with write flag using *_ro command.")
        _check_write_allowed(ctx, flags)
        ro = readonly or "no-writes" in flags
        allow_oom = "allow-oom" in flags
    else:
        ro, allow_oom = readonly, False
    return engine.run(ctx, fn, keys, argv, name=sha, readonly=ro, allow_oom=allow_oom,
                      is_eval=True)


_EVAL_KEYS = numkeys_keys(2)


@command("eval", -3, "noscript skip_monitor may_replicate no_mandatory_keys stale",
         keys=(0, 0, 0), group="scripting", getkeys=_EVAL_KEYS)
def eval_(ctx, args):
    """Run a Lua script."""
    return _eval(ctx, args[0], args[1:], False)


@command("eval_ro", -3, "readonly noscript skip_monitor no_mandatory_keys stale",
         keys=(0, 0, 0), group="scripting", getkeys=_EVAL_KEYS)
def eval_ro(ctx, args):
    """Run a read-only Lua script."""
    return _eval(ctx, args[0], args[1:], True)


def _sha_arg(raw: bytes) -> str:
    if len(raw) != 40:
        raise RedisError(NOSCRIPT)
    return raw.decode("ascii", "replace").lower()


@command("evalsha", -3, "noscript skip_monitor may_replicate no_mandatory_keys stale",
         keys=(0, 0, 0), group="scripting", getkeys=_EVAL_KEYS)
def evalsha(ctx, args):
    """Run a cached Lua script by its SHA1."""
    return _eval(ctx, b"", args[1:], False, _sha_arg(args[0]))


@command("evalsha_ro", -3, "readonly noscript skip_monitor no_mandatory_keys stale",
         keys=(0, 0, 0), group="scripting", getkeys=_EVAL_KEYS)
def evalsha_ro(ctx, args):
    """Run a cached read-only Lua script by its SHA1."""
    return _eval(ctx, b"", args[1:], True, _sha_arg(args[0]))


@command("script", -2, "noscript", keys=(0, 0, 0), group="scripting")
def script(ctx, args):
    """SCRIPT LOAD/EXISTS/FLUSH/KILL/HELP."""
    sub = upper(args[0])
    engine = engine_for(ctx)
    if sub == b"LOAD" and len(args) == 2:
        sha, _, _ = engine.compile_script(args[1])
        return sha.encode()
    if sub == b"EXISTS" and len(args) >= 2:
        return [1 if a.decode("ascii", "replace").lower() in engine.scripts else 0
                for a in args[1:]]
    if sub == b"FLUSH" and len(args) <= 3:
        if len(args) == 3 or (len(args) == 2 and upper(args[1]) not in (b"SYNC", b"ASYNC")):
            raise RedisError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
        engine.scripts.clear()
        return OK
    if sub == b"KILL" and len(args) == 1:
        raise RedisError(NOTBUSY)
    if sub == b"HELP" and len(args) == 1:
        return [Simple(line) for line in (
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
            "HELP",
            "    Print this help.")]
    if sub in (b"LOAD", b"EXISTS", b"FLUSH", b"KILL", b"HELP", b"DEBUG"):
        raise RedisError(f"ERR unknown subcommand or wrong number of arguments for "
                         f"'{args[0].decode('utf-8', 'replace')}'. Try SCRIPT HELP.")
    raise errors.unknown_subcommand(args[0], "script")


# -- functions ----------------------------------------------------------------------------------

def _load_library(engine: Engine, code: bytes, replace: bool) -> str:
    name, body = library_meta(code)
    if name in engine.libraries and not replace:
        raise RedisError(f"ERR Library '{name}' already exists")
    fn, err = engine.api[b"compile"](body, b"@user_function")
    if fn is None:
        raise RedisError("ERR Error compiling function: " + err.decode("utf-8", "replace"))
    lib = {"code": code, "functions": {}}
    engine.loading = lib
    try:
        ok, result, killed = engine.api[b"run"](fn, None, None, False, 0.5,
                                                b"FUNCTION LOAD timeout")
    finally:
        engine.loading = None
    if killed:
        raise RedisError("ERR Error registering functions: FUNCTION LOAD timeout")
    if not ok:
        msg = result[1].decode("utf-8", "replace")
        raise RedisError("ERR Error registering functions: " + msg)
    if not lib["functions"]:
        raise RedisError("ERR No functions registered")
    for fname in lib["functions"]:
        owner = engine.functions.get(fname)
        if owner is not None and owner[0] != name:
            raise RedisError(f"ERR Function {fname} already exists")
    old = engine.libraries.get(name)
    if old is not None:
        for fname in old["functions"]:
            engine.functions.pop(fname, None)
    engine.libraries[name] = lib
    for fname, (callback, flags, desc) in lib["functions"].items():
        engine.functions[fname] = (name, callback, flags, desc)
    return name


def _fcall(ctx: Any, args: list[bytes], readonly: bool) -> Any:
    engine = engine_for(ctx)
    name = args[0].decode("utf-8", "replace")
    found = engine.functions.get(name)
    if found is None:
        raise RedisError("ERR Function not found")
    _, callback, flags, _ = found
    keys, argv = _split(args, 1)
    if readonly and "no-writes" not in flags:
        raise RedisError("ERR Can not execute a script with write flag using *_ro command.")
    _check_write_allowed(ctx, flags)
    return engine.run(ctx, callback, keys, argv, name=name,
                      readonly=readonly or "no-writes" in flags,
                      allow_oom="allow-oom" in flags, is_eval=False)


_FCALL_KEYS = numkeys_keys(2)


@command("fcall", -3, "noscript skip_monitor may_replicate no_mandatory_keys stale",
         keys=(0, 0, 0), group="scripting", getkeys=_FCALL_KEYS)
def fcall(ctx, args):
    """Invoke a function."""
    return _fcall(ctx, args, False)


@command("fcall_ro", -3, "readonly noscript skip_monitor no_mandatory_keys stale",
         keys=(0, 0, 0), group="scripting", getkeys=_FCALL_KEYS)
def fcall_ro(ctx, args):
    """Invoke a read-only function."""
    return _fcall(ctx, args, True)


def _library_reply(name: str, lib: dict, with_code: bool) -> Map:
    functions = []
    for fname, (_, flags, desc) in lib["functions"].items():
        functions.append(Map([(b"name", fname.encode()),
                              (b"description", desc if desc is not None else None),
                              (b"flags", SetReply([f.encode() for f in sorted(flags)]))]))
    items = [(b"library_name", name.encode()), (b"engine", b"LUA"), (b"functions", functions)]
    if with_code:
        items.append((b"library_code", lib["code"]))
    return Map(items)


def _wrong_args(sub: bytes) -> RedisError:
    return RedisError(f"ERR unknown subcommand or wrong number of arguments for "
                      f"'{sub.decode('utf-8', 'replace').lower()}'. Try FUNCTION HELP.")


@command("function", -2, "noscript", keys=(0, 0, 0), group="scripting")
def function(ctx, args):
    """FUNCTION LOAD/DELETE/LIST/FLUSH/DUMP/RESTORE/KILL/STATS/HELP."""
    sub = upper(args[0])
    engine = engine_for(ctx)
    if sub == b"LOAD":
        if len(args) == 3 and upper(args[1]) == b"REPLACE":
            return _load_library(engine, args[2], True).encode()
        if len(args) == 2:
            return _load_library(engine, args[1], False).encode()
        if len(args) < 2:
            raise _wrong_args(args[0])
        raise RedisError(f"ERR Unknown option given: {args[1].decode('utf-8', 'replace')}")
    if sub == b"DELETE":
        if len(args) != 2:
            raise _wrong_args(args[0])
        lib = engine.libraries.pop(args[1].decode("utf-8", "replace"), None)
        if lib is None:
            raise RedisError("ERR Library not found")
        for fname in lib["functions"]:
            engine.functions.pop(fname, None)
        return OK
    if sub == b"FLUSH":
        if len(args) > 2:
            raise _wrong_args(args[0])
        if len(args) == 2 and upper(args[1]) not in (b"SYNC", b"ASYNC"):
            raise RedisError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
        engine.libraries.clear()
        engine.functions.clear()
        return OK
    if sub == b"LIST":
        with_code = False
        pattern = None
        i = 1
        while i < len(args):
            opt = upper(args[i])
            if opt == b"WITHCODE" and not with_code:
                with_code = True
                i += 1
            elif opt == b"LIBRARYNAME" and pattern is None:
                if i + 1 >= len(args):
                    raise RedisError("ERR library name argument was not given")
                pattern = args[i + 1]
                i += 2
            else:
                raise RedisError(f"ERR Unknown argument {args[i].decode('utf-8', 'replace')}")
        return [_library_reply(name, lib, with_code) for name, lib in engine.libraries.items()
                if pattern is None or glob_match(pattern, name.encode())]
    if sub == b"DUMP":
        if len(args) != 1:
            raise _wrong_args(args[0])
        codes = [lib["code"].decode("latin-1") for lib in engine.libraries.values()]
        return DUMP_MAGIC + orjson.dumps(codes)
    if sub == b"RESTORE":
        if len(args) not in (2, 3):
            raise _wrong_args(args[0])
        policy = upper(args[2]) if len(args) == 3 else b"APPEND"
        if policy not in (b"FLUSH", b"APPEND", b"REPLACE"):
            raise RedisError("ERR Wrong restore policy given, value should be either FLUSH, "
                             "APPEND or REPLACE.")
        payload = args[1]
        try:
            if not payload.startswith(DUMP_MAGIC):
                raise ValueError
            codes = [c.encode("latin-1") for c in orjson.loads(payload[len(DUMP_MAGIC):])]
        except (ValueError, AttributeError, UnicodeEncodeError):
            raise RedisError("ERR payload version or checksum are wrong") from None
        saved = (dict(engine.libraries), dict(engine.functions))
        try:
            if policy == b"FLUSH":
                engine.libraries.clear()
                engine.functions.clear()
            for code in codes:
                name, _ = library_meta(code)
                if policy == b"APPEND" and name in engine.libraries:
                    raise RedisError(f"ERR Library {name} already exists")
                _load_library(engine, code, True)
        except RedisError:
            engine.libraries, engine.functions = saved
            raise
        return OK
    if sub == b"KILL":
        if len(args) != 1:
            raise _wrong_args(args[0])
        raise RedisError(NOTBUSY)
    if sub == b"STATS":
        if len(args) != 1:
            raise _wrong_args(args[0])
        return Map([(b"running_script", None),
                    (b"engines", Map([(b"LUA", Map([
                        (b"libraries_count", len(engine.libraries)),
                        (b"functions_count", len(engine.functions))]))]))])
    if sub == b"HELP" and len(args) == 1:
        return [Simple(line) for line in (
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOAD [REPLACE] <FUNCTION CODE>", "    Create a new library with the given code.",
            "DELETE <LIBRARY NAME>", "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]", "    Return general information on all the libraries.",
            "FLUSH [ASYNC|SYNC]", "    Delete all the libraries.",
            "DUMP", "    Return a serialized payload representing the current libraries.",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]", "    Restore the libraries from a DUMP payload.",
            "KILL", "    Kill the current running function.",
            "STATS", "    Return information about the current running function.",
            "HELP", "    Print this help.")]
    raise errors.unknown_subcommand(args[0], "function")
