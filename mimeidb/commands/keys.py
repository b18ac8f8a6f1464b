"""Generic key commands (db.c, expire.c, object.c, sort.c): existence, types, iteration,
renaming and copying, expiry, OBJECT and SORT. They work on any type through the keyspace's
metadata; only SORT and OBJECT ENCODING look inside collections."""
from __future__ import annotations

import functools
import math
import os
import random
import re

from mimeidb.commands import errors
from mimeidb.commands.args import INT64_MAX, is_int, to_int, upper
from mimeidb.commands.cursors import CURSORS, parse_cursor
from mimeidb.commands.errors import RedisError
from mimeidb.commands.glob import compile_glob, literal_prefix
from mimeidb.commands.replies import OK, Simple
from mimeidb.commands.table import command
from mimeidb.store import encoding as enc
from mimeidb.store import notify as N
from mimeidb.store.encoding import LIST_START, TYPE_NAMES, KeyType, Meta, list_index
from mimeidb.store.keyspace import Keyspace, now_ms

SAME_OBJECT = "ERR source and destination objects are the same"
SORT_NOT_DOUBLE = "ERR One or more scores can't be converted into double"
FREQ_UNTRACKED = ("ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                  "Please note that when switching between policies at runtime LRU and LFU data "
                  "will take some time to adjust.")
NX_INCOMPATIBLE = "ERR NX and XX, GT or LT options at the same time are not compatible"
GT_LT_INCOMPATIBLE = "ERR GT and LT options at the same time are not compatible"

# Encoding thresholds OBJECT ENCODING reports against: Redis 7.2 defaults, changed by CONFIG SET
# (the RESP face writes this dict; the ziplist names are aliases of the listpack ones).
ENCODING_CONFIG: dict[str, int] = {
    "hash-max-listpack-entries": 128, "hash-max-listpack-value": 64,
    "set-max-intset-entries": 512, "set-max-listpack-entries": 128,
    "set-max-listpack-value": 64, "zset-max-listpack-entries": 128,
    "zset-max-listpack-value": 64, "list-max-listpack-size": -2,
}
EMBSTR_LIMIT = 44           # OBJ_ENCODING_EMBSTR_SIZE_LIMIT
SHARED_INTEGERS = 10000     # OBJ_SHARED_INTEGERS: their refcount reads as INT_MAX
SHARED_REFCOUNT = 2147483647
RANDOM_EXACT_LIMIT = 4096   # RANDOMKEY reads keyspaces up to this size whole (exactly uniform)
RANDOM_WALK = 64            # and beyond it seeks to a random point, then steps up to this far

_SCAN_SPACE = "\0keys\0"    # SCAN's cursors share the HSCAN table; this marks the keyspace walk


# -- existence and types ---------------------------------------------------------------------

@command("del", -2, "write", keys=(1, -1, 1))
def del_(ctx, args):
    """Delete keys; returns how many existed."""
    ks = ctx.ks
    ks.check_writable()
    deleted = 0
    for key in args:
        if ks.delete(key):
            deleted += 1
            ks.notify(N.GENERIC, b"del", key)
    return deleted


@command("unlink", -2, "write fast", keys=(1, -1, 1))
def unlink(ctx, args):
    """Delete keys (in Redis, freeing memory in the background)."""
    return del_(ctx, args)


@command("exists", -2, "readonly fast", keys=(1, -1, 1))
def exists(ctx, args):
    """How many of the given keys exist (a key named twice counts twice)."""
    ks = ctx.ks
    return sum(1 for key in args if ks.meta(key) is not None)


@command("touch", -2, "readonly fast", keys=(1, -1, 1))
def touch(ctx, args):
    """Like EXISTS: counts the given keys that exist."""
    return exists(ctx, args)


@command("type", 2, "readonly fast")
def type_(ctx, args):
    """The type of a key's value, or none."""
    meta = ctx.ks.meta(args[0])
    return Simple("none" if meta is None else TYPE_NAMES[meta.type].decode())


@command("dbsize", 1, "readonly fast", keys=(0, 0, 0), group="server")
def dbsize(ctx, args):
    """Number of keys in the bound Mimei."""
    return ctx.ks.count()


def _flush_args(args) -> None:
    if args and (len(args) > 1 or upper(args[0]) not in (b"SYNC", b"ASYNC")):
        raise RedisError(errors.SYNTAX)


@command("flushdb", -1, "write", keys=(0, 0, 0), group="server")
def flushdb(ctx, args):
    """Remove every key of the selected database of the bound Mimei."""
    _flush_args(args)
    ctx.ks.flush_all()
    return OK


@command("flushall", -1, "write", keys=(0, 0, 0), group="server")
def flushall(ctx, args):
    """Remove every key of every database of the bound Mimei (never of other Mimei)."""
    _flush_args(args)
    for ks in databases(ctx.ks):
        ks.flush_all()
    return OK


# -- databases (SELECT n): the live keyspaces of one Mimei's `cur` ------------------------------

DATABASES = 16


def db_index(raw: bytes) -> int:
    """A database number argument: an integer, 0 <= n < 16."""
    index = to_int(raw)
    if not 0 <= index < DATABASES:
        raise RedisError(errors.DB_INDEX)
    return index


def database(ks: Keyspace, index: int) -> Keyspace:
    """Database `index` of the Mimei ks belongs to (a read-only view if ks is read-only).
    A version's keyspace has only database 0."""
    if index == getattr(ks, "db", 0):
        return ks
    manager = getattr(ks, "manager", None)
    if manager is None or not 0 <= index < DATABASES:
        raise RedisError(errors.DB_INDEX)
    other = manager.live_keyspace(ks.mid, index)
    if ks.readonly:
        from mimeidb.mimei import readonly_view
        other = readonly_view(other)
    return other


def databases(ks: Keyspace) -> list[Keyspace]:
    """Every existing database of ks's Mimei (just ks for a version)."""
    manager = getattr(ks, "manager", None)
    if manager is None:
        return [ks]
    found = manager.databases(ks.mid)
    if ks.readonly:
        from mimeidb.mimei import readonly_view
        found = [readonly_view(other) for other in found]
    return found


@command("move", 3, "write fast", keys=(1, 1, 1))
def move(ctx, args):
    """Move a key to another database of the bound Mimei: 1, or 0 if absent or taken there."""
    ks = ctx.ks
    index = to_int(args[1])
    target = database(ks, index)
    if target is ks:
        raise RedisError(SAME_OBJECT)
    ks.check_writable()
    key = args[0]
    if ks.meta(key) is None or target.meta(key) is not None:
        return 0
    ks.copy_key(key, key, into=target)
    ks.delete(key)
    ks.notify(N.GENERIC, b"move_from", key)
    target.notify(N.GENERIC, b"move_to", key)
    return 1


@command("swapdb", 3, "write fast", keys=(0, 0, 0), group="server")
def swapdb(ctx, args):
    """Swap two databases of the bound Mimei: clients on either see the other's keys."""
    try:
        a = to_int(args[0])
    except RedisError:
        raise RedisError("ERR invalid first DB index") from None
    try:
        b = to_int(args[1])
    except RedisError:
        raise RedisError("ERR invalid second DB index") from None
    ks = ctx.ks
    ks.check_writable()
    first, second = database(ks, a), database(ks, b)
    if first is second or a == b:
        return OK
    manager = ks.manager
    before = {key for key, _ in first.keys()} | {key for key, _ in second.keys()}
    manager.swap_databases(ks.mid, a, b)
    # Like Redis's touchAllWatchedKeysInDb and scanDatabaseForReadyKeys: every key that exists
    # in either database is signalled in both (WATCH fails, blocked clients retry).
    for key in sorted(before):
        first.modified(key)
        second.modified(key)
    return OK


# -- iteration -------------------------------------------------------------------------------

def _matching(ks: Keyspace, pattern: bytes, start: bytes = b""):
    """(key, meta) of live keys from `start` that may match pattern: seeks to the pattern's
    literal prefix and stops after it. Matching itself is left to the caller."""
    prefix = literal_prefix(pattern)
    if prefix > start:
        start = prefix
    for key, meta in ks.keys(start or None):
        if prefix and not key.startswith(prefix):
            return
        yield key, meta


@command("keys", 2, "readonly", keys=(0, 0, 0))
def keys_(ctx, args):
    """Keys matching a glob pattern (in byte order)."""
    pattern = args[0]
    if pattern == b"*":  # as in Redis, '*' skips matching (and so includes the empty key)
        return [key for key, _ in ctx.ks.keys()]
    match = compile_glob(pattern)
    return [key for key, _ in _matching(ctx.ks, pattern) if match(key)]


@command("scan", -2, "readonly", keys=(0, 0, 0))
def scan(ctx, args):
    """Incrementally iterate keys: SCAN cursor [MATCH pattern] [COUNT n] [TYPE type].

    Keys come in byte order and the cursor stands for the next key to visit, so every key
    that exists for the whole iteration is returned exactly once whatever is written in
    between (Redis promises at least once)."""
    ks = ctx.ks
    cursor = parse_cursor(args[0])
    count, pattern, type_name = 10, b"*", None
    i = 1
    while i < len(args):
        opt = upper(args[i])
        if opt == b"COUNT" and i + 1 < len(args):
            count = to_int(args[i + 1])
            if count < 1:
                raise RedisError(errors.SYNTAX)
        elif opt == b"MATCH" and i + 1 < len(args):
            pattern = args[i + 1]
        elif opt == b"TYPE" and i + 1 < len(args):
            type_name = args[i + 1].lower()
        else:
            raise RedisError(errors.SYNTAX)
        i += 2
    space = _SCAN_SPACE + ks.name
    start = CURSORS.resume(cursor, space, b"")
    match = None if pattern == b"*" else compile_glob(pattern)
    found = []
    budget = count
    for key, meta in _matching(ks, pattern, start):
        if budget == 0:
            return [b"%d" % CURSORS.issue(space, b"", key), found]
        budget -= 1
        if match is not None and not match(key):
            continue
        if type_name is not None and TYPE_NAMES[meta.type] != type_name:
            continue
        found.append(key)
    return [b"0", found]


@command("randomkey", 1, "readonly", keys=(0, 0, 0))
def randomkey(ctx, args):
    """A random key, or nil when the keyspace is empty."""
    ks = ctx.ks
    if ks.count() <= RANDOM_EXACT_LIMIT:
        keys = [key for key, _ in ks.keys()]
        return random.choice(keys) if keys else None
    first = next(ks.keys(), None)
    if first is None:
        return None
    last = _last_key(ks) or first[0]
    common = os.path.commonprefix([first[0], last])
    width = 8
    low = int.from_bytes(first[0][len(common):][:width].ljust(width, b"\0"), "big")
    high = int.from_bytes(last[len(common):][:width].ljust(width, b"\0"), "big")
    point = common + random.randint(low, max(low, high)).to_bytes(width, "big")
    # A seek favours keys that follow gaps in the key space; a short random walk from there
    # spreads the picks over the neighbours too.
    picked = first[0]
    steps = random.randrange(RANDOM_WALK)
    for n, (key, _) in enumerate(ks.keys(point)):
        picked = key
        if n == steps:
            break
    return picked


def _last_key(ks: Keyspace) -> bytes | None:
    now = now_ms()
    for raw, value in ks.raw.scan(enc.META, reverse=True):
        meta = enc.decode_meta(value)
        if not meta.expire_ms or meta.expire_ms > now:
            return raw[1:]
    return None


# -- rename and copy -------------------------------------------------------------------------

def _rename(ctx, args, nx: bool):
    ks = ctx.ks
    src, dst = args
    if ks.meta(src) is None:
        raise RedisError(errors.NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else OK
    if nx and ks.meta(dst) is not None:
        return 0
    ks.rename_key(src, dst)
    ks.notify(N.GENERIC, b"rename_from", src)
    ks.notify(N.GENERIC, b"rename_to", dst)
    return 1 if nx else OK


@command("rename", 3, "write", keys=(1, 2, 1))
def rename(ctx, args):
    """Rename a key (its value, type and expiry), replacing the destination."""
    return _rename(ctx, args, nx=False)


@command("renamenx", 3, "write fast", keys=(1, 2, 1))
def renamenx(ctx, args):
    """Rename a key only if the new name is free."""
    return _rename(ctx, args, nx=True)


@command("copy", -3, "write denyoom", keys=(1, 2, 1))
def copy(ctx, args):
    """Copy a key's value and expiry to another key: COPY src dst [DB n] [REPLACE]."""
    ks = ctx.ks
    target = ks
    src, dst = args[0], args[1]
    replace = False
    i = 2
    while i < len(args):
        opt = upper(args[i])
        if opt == b"REPLACE":
            replace = True
        elif opt == b"DB" and i + 1 < len(args):
            target = database(ks, to_int(args[i + 1]))
            i += 1
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    if src == dst and target is ks:
        raise RedisError(SAME_OBJECT)
    if ks.meta(src) is None:
        return 0
    target.check_writable()
    if target.meta(dst) is not None and not replace:
        return 0
    ks.copy_key(src, dst, into=target)
    target.notify(N.GENERIC, b"copy_to", dst)
    return 1


# -- expiry ----------------------------------------------------------------------------------

def _expire(ctx, args, name: str, unit_ms: int, relative: bool):
    """EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX XX GT LT, as expireGenericCommand."""
    ks = ctx.ks
    key = args[0]
    flags = set()
    for raw in args[2:]:
        opt = upper(raw)
        if opt not in (b"NX", b"XX", b"GT", b"LT"):
            raise RedisError(f"ERR Unsupported option {raw.decode('utf-8', 'replace')}")
        flags.add(opt)
    if b"NX" in flags and len(flags) > 1:
        raise RedisError(NX_INCOMPATIBLE)
    if b"GT" in flags and b"LT" in flags:
        raise RedisError(GT_LT_INCOMPATIBLE)
    when = to_int(args[1])
    invalid = errors.INVALID_EXPIRE.format(name)
    if unit_ms == 1000:
        if when > INT64_MAX // 1000 or when < -(INT64_MAX // 1000):
            raise RedisError(invalid)
        when *= 1000
    base = now_ms() if relative else 0
    if when > INT64_MAX - base:
        raise RedisError(invalid)
    when += base
    meta = ks.meta(key)
    if meta is None:
        return 0
    current = meta.expire_ms or -1
    if b"NX" in flags and current != -1:
        return 0
    if b"XX" in flags and current == -1:
        return 0
    if b"GT" in flags and (current == -1 or when <= current):
        return 0
    if b"LT" in flags and current != -1 and when >= current:
        return 0
    ks.check_writable()
    if when <= now_ms():
        ks.delete(key)
        ks.notify(N.GENERIC, b"del", key)
    else:
        ks.set_expire(key, meta, when)
        ks.notify(N.GENERIC, b"expire", key)
    return 1


@command("expire", -3, "write fast")
def expire(ctx, args):
    """Set a key's time to live in seconds."""
    return _expire(ctx, args, "expire", 1000, relative=True)


@command("pexpire", -3, "write fast")
def pexpire(ctx, args):
    """Set a key's time to live in milliseconds."""
    return _expire(ctx, args, "pexpire", 1, relative=True)


@command("expireat", -3, "write fast")
def expireat(ctx, args):
    """Set a key's expiry as a Unix time in seconds."""
    return _expire(ctx, args, "expireat", 1000, relative=False)


@command("pexpireat", -3, "write fast")
def pexpireat(ctx, args):
    """Set a key's expiry as a Unix time in milliseconds."""
    return _expire(ctx, args, "pexpireat", 1, relative=False)


def _ttl(ctx, key: bytes, in_ms: bool, absolute: bool) -> int:
    meta = ctx.ks.meta(key)
    if meta is None:
        return -2
    if not meta.expire_ms:
        return -1
    ttl = meta.expire_ms if absolute else max(meta.expire_ms - now_ms(), 0)
    return ttl if in_ms else (ttl + 500) // 1000


@command("ttl", 2, "readonly fast")
def ttl(ctx, args):
    """Seconds to live (-1 without expiry, -2 for a missing key)."""
    return _ttl(ctx, args[0], in_ms=False, absolute=False)


@command("pttl", 2, "readonly fast")
def pttl(ctx, args):
    """Milliseconds to live (-1 without expiry, -2 for a missing key)."""
    return _ttl(ctx, args[0], in_ms=True, absolute=False)


@command("expiretime", 2, "readonly fast")
def expiretime(ctx, args):
    """The expiry as a Unix time in seconds (-1 without expiry, -2 for a missing key)."""
    return _ttl(ctx, args[0], in_ms=False, absolute=True)


@command("pexpiretime", 2, "readonly fast")
def pexpiretime(ctx, args):
    """The expiry as a Unix time in milliseconds (-1 without expiry, -2 for a missing key)."""
    return _ttl(ctx, args[0], in_ms=True, absolute=True)


@command("persist", 2, "write fast")
def persist(ctx, args):
    """Remove a key's expiry; 1 if it had one."""
    ks = ctx.ks
    meta = ks.meta(args[0])
    if meta is None or not meta.expire_ms:
        return 0
    ks.check_writable()
    ks.set_expire(args[0], meta, 0)
    ks.notify(N.GENERIC, b"persist", args[0])
    return 1


# -- OBJECT ----------------------------------------------------------------------------------

OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]


@command("object", -2, "readonly", keys=(2, 2, 1))
def object_(ctx, args):
    """Inspect a key's internals: OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key, OBJECT HELP."""
    sub = args[0].lower()
    arity = {b"help": 1, b"encoding": 2, b"refcount": 2, b"idletime": 2, b"freq": 2}.get(sub)
    if arity is None:
        raise errors.unknown_subcommand(args[0], "object")
    if len(args) != arity:
        raise errors.wrong_arity(f"object|{sub.decode()}")
    if sub == b"help":
        return [Simple(line) for line in OBJECT_HELP]
    ks = ctx.ks
    key = args[1]
    meta = ks.meta(key)
    if meta is None:
        return None
    if sub == b"encoding":
        return encoding_name(ks, key, meta)
    if sub == b"refcount":
        shared = (meta.type == KeyType.STRING and _is_long(meta.value)
                  and 0 <= int(meta.value) < SHARED_INTEGERS)
        return SHARED_REFCOUNT if shared else 1
    if sub == b"idletime":
        return ks.idle_seconds(key)
    raise RedisError(FREQ_UNTRACKED)


def _is_long(value: bytes) -> bool:
    """Redis's string2ll: a canonical int64 ("-0" is not one)."""
    return value != b"-0" and is_int(value)


_HINT_NAMES = {enc.HINT_INTSET: b"intset", enc.HINT_LISTPACK: b"listpack",
               enc.HINT_BIG: b"hashtable"}


def encoding_name(ks: Keyspace, key: bytes, meta: Meta) -> bytes:
    """The encoding Redis (7.2, default thresholds) would show for this value. We store every
    type one way; the name tells clients and tests what Redis would have chosen."""
    if meta.type == KeyType.STRING:
        value = meta.value
        if meta.raw:
            return b"raw"
        if len(value) <= 20 and _is_long(value):
            return b"int"
        return b"embstr" if len(value) <= EMBSTR_LIMIT else b"raw"
    if meta.type == KeyType.STREAM:
        return b"stream"
    cfg = ENCODING_CONFIG
    if meta.type == KeyType.LIST:
        limit = cfg["list-max-listpack-size"]
        if limit >= 0:  # a count per node (0 counts as 1), under an 8k safety limit
            if meta.size > max(limit, 1):
                return b"quicklist"
            max_bytes = 8192
        else:  # -1..-5: 4k..64k bytes per node (below -5 counts as -5)
            max_bytes = 4096 << min(-limit, 5) - 1
        if meta.size > max_bytes // 2:
            return b"quicklist"
        total = 6
        for _, value in ks.entries(key):
            total += len(value) + 2
            if total > max_bytes:
                return b"quicklist"
        return b"listpack"
    if meta.hint and meta.type in (KeyType.SET, KeyType.HASH):
        return _HINT_NAMES[meta.hint]
    if meta.type == KeyType.SET:
        entries, value_max = cfg["set-max-listpack-entries"], cfg["set-max-listpack-value"]
        if meta.size <= max(cfg["set-max-intset-entries"], entries):
            members = [member for member, _ in ks.entries(key)]
            if meta.size <= cfg["set-max-intset-entries"] and all(_is_long(m) for m in members):
                return b"intset"
            if meta.size <= entries and all(len(m) <= value_max for m in members):
                return b"listpack"
        return b"hashtable"
    if meta.type == KeyType.HASH:
        big, entries, value_max = (b"hashtable", cfg["hash-max-listpack-entries"],
                                   cfg["hash-max-listpack-value"])
    else:
        big, entries, value_max = (b"skiplist", cfg["zset-max-listpack-entries"],
                                   cfg["zset-max-listpack-value"])
    if meta.size > entries:
        return big
    for sub, value in ks.entries(key):
        if len(sub) > value_max or (meta.type == KeyType.HASH and len(value) > value_max):
            return big
    return b"listpack"


# -- SORT ------------------------------------------------------------------------------------

# What C's strtod accepts as a whole string (Redis rejects anything left after the number).
_STRTOD_RE = re.compile(
    rb"[ \t\n\v\f\r]*(?P<sign>[+-]?)("
    rb"(?P<dec>(?P<dmant>[0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)"
    rb"|(?P<hex>0[xX](?P<hmant>[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][+-]?[0-9]+)?)"
    rb"|(?P<inf>inf(inity)?)|(?P<nan>nan(\([0-9A-Za-z_]*\))?))\Z", re.I)
_DBL_MIN = 2.2250738585072014e-308


def _sort_score(raw: bytes) -> float | None:
    """strtod as SORT uses it: None where Redis reports a conversion error (trailing bytes,
    nan, overflow or underflow: ERANGE). An empty string reads as 0, as strtod leaves it."""
    if not raw:
        return 0.0
    m = _STRTOD_RE.match(raw)
    if m is None or m.group("nan"):
        return None
    sign = -1.0 if m.group("sign") == b"-" else 1.0
    if m.group("inf"):
        return sign * math.inf
    try:
        if m.group("hex"):
            value = sign * float.fromhex(m.group("hex").decode())
            mantissa = m.group("hmant")
        else:
            value = sign * float(m.group("dec"))
            mantissa = m.group("dmant")
    except OverflowError:
        return None
    if math.isinf(value):
        return None
    if abs(value) < _DBL_MIN and mantissa.strip(b"0.") != b"":
        return None
    return value


def _lookup_pattern(ks: Keyspace, pattern: bytes, element: bytes) -> bytes | None:
    """SORT's BY/GET dereference (lookupKeyByPattern): '#' is the element itself; the first
    '*' is replaced by the element; `key->field` reads a hash field. Only strings (or hash
    fields) are returned."""
    if pattern == b"#":
        return element
    star = pattern.find(b"*")
    if star < 0:
        return None
    arrow = pattern.find(b"->", star + 1)
    field = None
    if arrow >= 0 and arrow + 2 < len(pattern):
        field = pattern[arrow + 2:]
        key = pattern[:star] + element + pattern[star + 1:arrow]
    else:
        key = pattern[:star] + element + pattern[star + 1:]
    meta = ks.meta(key)
    if meta is None:
        return None
    if field is not None:
        return ks.get_entry(key, field) if meta.type == KeyType.HASH else None
    return meta.value if meta.type == KeyType.STRING else None


def _elements(ks: Keyspace, key: bytes, meta: Meta | None) -> list[bytes]:
    """A list's elements in order, a set's members, a zset's members by score."""
    if meta is None:
        return []
    if meta.type == KeyType.ZSET:
        prefix = enc.score_prefix(key)
        cut = len(prefix) + 8
        return [raw[cut:] for raw, _ in ks.raw.scan(prefix)]
    if meta.type == KeyType.LIST:
        return [value for _, value in ks.entries(key)]
    return [member for member, _ in ks.entries(key)]


def _sort(ctx, args, readonly: bool):
    ks = ctx.ks
    key = args[0]
    desc = alpha = dontsort = False
    limit_start, limit_count = 0, -1
    store = by = None
    gets: list[bytes] = []
    i = 1
    while i < len(args):
        opt = upper(args[i])
        left = len(args) - i - 1
        if opt == b"ASC":
            desc = False
        elif opt == b"DESC":
            desc = True
        elif opt == b"ALPHA":
            alpha = True
        elif opt == b"LIMIT" and left >= 2:
            limit_start, limit_count = to_int(args[i + 1]), to_int(args[i + 2])
            i += 2
        elif opt == b"STORE" and not readonly and left >= 1:
            store = args[i + 1]
            i += 1
        elif opt == b"BY" and left >= 1:
            by = args[i + 1]
            if b"*" not in by:  # a constant BY means "do not sort" (and a later BY keeps it)
                dontsort = True
            i += 1
        elif opt == b"GET" and left >= 1:
            gets.append(args[i + 1])
            i += 1
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    meta = ks.meta(key)
    if meta is not None and meta.type not in (KeyType.LIST, KeyType.SET, KeyType.ZSET):
        raise RedisError(errors.WRONGTYPE)
    ktype = meta.type if meta is not None else KeyType.LIST
    if dontsort and ktype == KeyType.SET and store is not None:
        dontsort, alpha, by = False, True, None  # a stored set result must be deterministic
    elements = _elements(ks, key, meta)
    size = len(elements)
    start = max(limit_start, 0)
    end = size - 1 if limit_count < 0 else start + limit_count - 1
    if start >= size:
        start, end = size - 1, size - 2
    end = min(end, size - 1)

    if dontsort:
        if desc and ktype != KeyType.SET:
            elements.reverse()
    else:
        elements = _sorted(ks, elements, by, alpha, desc, store is not None)
    chosen = elements[start:end + 1] if end >= start else []

    if gets:
        output = [_lookup_pattern(ks, pattern, element) for element in chosen for pattern in gets]
    else:
        output = list(chosen)
    if store is None:
        return output
    ks.check_writable()
    existed = ks.delete(store)
    if output:
        for n, value in enumerate(output):
            ks.put_entry(store, list_index(LIST_START + n), value if value is not None else b"")
        ks.put_meta(store, Meta(KeyType.LIST, size=len(output), head=LIST_START,
                                tail=LIST_START + len(output)), None)
        ks.modified(store)
        ks.notify(N.LIST, b"sortstore", store)
    elif existed:
        ks.notify(N.GENERIC, b"del", store)
    return len(output)


def _sorted(ks: Keyspace, elements: list[bytes], by: bytes | None, alpha: bool, desc: bool,
            storing: bool) -> list[bytes]:
    """Order elements as sortCompare does: numerically by score with ties broken by the
    element's bytes, or (ALPHA) by bytes, a missing BY value first."""
    if alpha:
        if by is None:
            keyed = [(element, element) for element in elements]
        else:
            keyed = [(element, _lookup_pattern(ks, by, element)) for element in elements]

        def compare(a, b):
            if a[1] is None or b[1] is None:
                return 0 if a[1] is b[1] else (-1 if a[1] is None else 1)
            return (a[1] > b[1]) - (a[1] < b[1])
    else:
        keyed = []
        failed = False
        for element in elements:
            raw = element if by is None else _lookup_pattern(ks, by, element)
            score = 0.0 if raw is None else _sort_score(raw)
            if score is None:
                failed = True
                score = 0.0
            keyed.append((element, score))
        if failed:
            raise RedisError(SORT_NOT_DOUBLE)

        def compare(a, b):
            if a[1] != b[1]:
                return 1 if a[1] > b[1] else -1
            return (a[0] > b[0]) - (a[0] < b[0])
    order = (lambda a, b: -compare(a, b)) if desc else compare
    keyed.sort(key=functools.cmp_to_key(order))
    return [element for element, _ in keyed]


def _sort_keys(argv: list[bytes]) -> list[bytes]:
    """SORT's keys as sortGetKeys finds them: the sorted key and the last STORE destination."""
    skip = {b"LIMIT": 2, b"GET": 1, b"BY": 1}
    store = None
    i = 2
    while i < len(argv):
        word = argv[i].upper()
        if word in skip:
            i += skip[word]
        elif word == b"STORE" and i + 1 < len(argv):
            store = argv[i + 1]
            i += 1
        i += 1
    return [argv[1]] + ([store] if store is not None else [])


@command("sort", -2, "write denyoom movablekeys", getkeys=_sort_keys)
def sort(ctx, args):
    """Sort a list, set or zset: BY pattern, LIMIT, GET pattern..., ASC|DESC, ALPHA, STORE."""
    return _sort(ctx, args, readonly=False)


@command("sort_ro", -2, "readonly movablekeys")
def sort_ro(ctx, args):
    """SORT without STORE, for read-only replicas and versions."""
    return _sort(ctx, args, readonly=True)



MEMORY_HELP = (
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Print this help.",
)
OBJECT_OVERHEAD = 16        # robj header
DICT_ENTRY_OVERHEAD = 24    # one dict entry
SDS_OVERHEAD = 3            # sds header + terminator (small strings)


@command("memory", -2, "readonly", keys=(2, 2, 1), group="server")
def memory(ctx, args):
    """MEMORY USAGE key [SAMPLES n]: an estimate of the bytes key takes, like objectComputeSize;
    MEMORY HELP."""
    sub = upper(args[0])
    if sub == b"HELP" and len(args) == 1:
        return [Simple(line) for line in MEMORY_HELP]
    if sub != b"USAGE":
        raise errors.unknown_subcommand(args[0], "memory")
    if len(args) < 2:
        raise errors.wrong_arity("memory|usage")
    samples = 5
    i = 2
    while i < len(args):
        if upper(args[i]) == b"SAMPLES" and i + 1 < len(args):
            samples = to_int(args[i + 1])
            if samples < 0:
                raise RedisError(errors.SYNTAX)
            i += 2
        else:
            raise RedisError(errors.SYNTAX)
    ks = ctx.ks
    key = args[1]
    meta = ks.meta(key)
    if meta is None:
        return None
    size = OBJECT_OVERHEAD + len(key) + SDS_OVERHEAD + DICT_ENTRY_OVERHEAD
    if meta.type == KeyType.STRING:
        return size + len(meta.value) + SDS_OVERHEAD
    seen = total = 0
    for subkey, value in ks.entries(key):
        total += len(subkey) + len(value) + 2 * SDS_OVERHEAD + DICT_ENTRY_OVERHEAD
        seen += 1
        if samples and seen >= samples:
            break
    if seen:
        total = total * max(meta.size, seen) // seen
    return size + total
