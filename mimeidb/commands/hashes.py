"""Hash commands (t_hash.c). A hash is a META entry holding its field count and one sub-entry
per field (field -> value), so every command touches only the fields it names."""
from __future__ import annotations

from mimeidb.commands import errors, longdouble
from mimeidb.commands.args import INT64_MAX, INT64_MIN, to_int, upper
from mimeidb.commands.cursors import ScanOptions, parse_cursor, scan_entries
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import OK, Map
from mimeidb.commands.table import command
from mimeidb.commands.keys import ENCODING_CONFIG
from mimeidb.store import encoding as enc
from mimeidb.store import notify as N
from mimeidb.store.encoding import KeyType, Meta
from mimeidb.store.keyspace import Keyspace
from mimeidb.store.sampling import sample

HASH_NOT_INTEGER = "ERR hash value is not an integer"
HASH_NOT_FLOAT = "ERR hash value is not a float"
LONG_RANGE = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"


def _hash(ks: Keyspace, key: bytes) -> Meta | None:
    return ks.typed(key, KeyType.HASH)


def _set_fields(ks: Keyspace, key: bytes, meta: Meta | None, pairs: list[bytes],
                event: bytes = b"hset") -> int:
    """Write field/value pairs; returns how many fields are new. Creates the key if needed."""
    ks.check_writable()
    added = 0
    for i in range(0, len(pairs), 2):
        field = pairs[i]
        # a field repeated within one call is seen here: get_entry reads pending writes first
        if ks.get_entry(key, field) is None:
            added += 1
        ks.put_entry(key, field, pairs[i + 1])
    # hashTypeTryConversion: a listpack hash turns hashtable for good past the thresholds
    hint = enc.HINT_LISTPACK if meta is None else meta.hint
    if hint == enc.HINT_LISTPACK:
        cfg = ENCODING_CONFIG
        if (meta.size if meta is not None else 0) + added > cfg["hash-max-listpack-entries"] \
                or max(len(item) for item in pairs) > cfg["hash-max-listpack-value"]:
            hint = enc.HINT_BIG
    if meta is None:
        ks.put_meta(key, Meta(KeyType.HASH, size=added, hint=hint), None)
    elif added or hint != meta.hint:
        meta.size += added
        meta.hint = hint
        ks.put_meta(key, meta, meta)
    ks.modified(key)
    ks.notify(N.HASH, event, key)
    return added


@command("hset", -4, "write denyoom fast", group="hash")
def hset(ctx, args):
    """Set fields of a hash; returns the number of new fields."""
    if len(args) % 2 == 0:
        raise errors.wrong_arity("hset")
    return _set_fields(ctx.ks, args[0], _hash(ctx.ks, args[0]), args[1:])


@command("hmset", -4, "write denyoom fast", group="hash")
def hmset(ctx, args):
    """Set fields of a hash (deprecated form of HSET replying OK)."""
    if len(args) % 2 == 0:
        raise errors.wrong_arity("hmset")
    _set_fields(ctx.ks, args[0], _hash(ctx.ks, args[0]), args[1:])
    return OK


@command("hsetnx", 4, "write denyoom fast", group="hash")
def hsetnx(ctx, args):
    """Set a field only if it does not exist."""
    ks = ctx.ks
    meta = _hash(ks, args[0])
    if meta is not None and ks.get_entry(args[0], args[1]) is not None:
        return 0
    _set_fields(ks, args[0], meta, args[1:])
    return 1


@command("hget", 3, "readonly fast", group="hash")
def hget(ctx, args):
    """The value of a field."""
    if _hash(ctx.ks, args[0]) is None:
        return None
    return ctx.ks.get_entry(args[0], args[1])


@command("hmget", -3, "readonly fast", group="hash")
def hmget(ctx, args):
    """The values of many fields (nil for missing ones)."""
    ks, key = ctx.ks, args[0]
    if _hash(ks, key) is None:
        return [None] * (len(args) - 1)
    return [ks.get_entry(key, field) for field in args[1:]]


@command("hdel", -3, "write fast", group="hash")
def hdel(ctx, args):
    """Delete fields; returns how many existed. The key goes when its last field does."""
    ks, key = ctx.ks, args[0]
    meta = _hash(ks, key)
    if meta is None:
        return 0
    ks.check_writable()
    removed = 0
    for field in args[1:]:
        if ks.get_entry(key, field) is not None:
            ks.delete_entry(key, field)
            removed += 1
    if removed:
        _shrink(ks, key, meta, removed)
        ks.notify(N.HASH, b"hdel", key)
        if meta.size <= 0:
            ks.notify(N.GENERIC, b"del", key)
    return removed


def _shrink(ks: Keyspace, key: bytes, meta: Meta, removed: int) -> None:
    """Account for removed sub-entries: rewrite the size, or delete an emptied key."""
    meta.size -= removed
    if meta.size <= 0:
        ks.delete_emptied(key, meta)
    else:
        ks.put_meta(key, meta, meta)
        ks.modified(key)


@command("hlen", 2, "readonly fast", group="hash")
def hlen(ctx, args):
    """Number of fields."""
    meta = _hash(ctx.ks, args[0])
    return meta.size if meta is not None else 0


@command("hstrlen", 3, "readonly fast", group="hash")
def hstrlen(ctx, args):
    """Length of a field's value."""
    value = hget(ctx, args)
    return len(value) if value is not None else 0


@command("hexists", 3, "readonly fast", group="hash")
def hexists(ctx, args):
    """Whether a field exists."""
    return 0 if hget(ctx, args) is None else 1


@command("hgetall", 2, "readonly", group="hash")
def hgetall(ctx, args):
    """All fields and values."""
    if _hash(ctx.ks, args[0]) is None:
        return Map()
    return Map(ctx.ks.entries(args[0]))


@command("hkeys", 2, "readonly", group="hash")
def hkeys(ctx, args):
    """All field names."""
    if _hash(ctx.ks, args[0]) is None:
        return []
    return [field for field, _ in ctx.ks.entries(args[0])]


@command("hvals", 2, "readonly", group="hash")
def hvals(ctx, args):
    """All values."""
    if _hash(ctx.ks, args[0]) is None:
        return []
    return [value for _, value in ctx.ks.entries(args[0])]


@command("hincrby", 4, "write denyoom fast", group="hash")
def hincrby(ctx, args):
    """Increment an integer field."""
    ks, key, field = ctx.ks, args[0], args[1]
    delta = to_int(args[2])
    meta = _hash(ks, key)
    current = ks.get_entry(key, field) if meta is not None else None
    value = to_int(current, HASH_NOT_INTEGER) if current is not None else 0
    result = value + delta
    if not INT64_MIN <= result <= INT64_MAX:
        raise RedisError(errors.OVERFLOW)
    _set_fields(ks, key, meta, [field, b"%d" % result], b"hincrby")
    return result


@command("hincrbyfloat", 4, "write denyoom fast", group="hash")
def hincrbyfloat(ctx, args):
    """Increment a field by a float, in Redis's long double arithmetic; returns the text."""
    ks, key, field = ctx.ks, args[0], args[1]
    delta = longdouble.parse_increment(args[2], errors.NOT_FLOAT)
    meta = _hash(ks, key)
    current = ks.get_entry(key, field) if meta is not None else None
    text = longdouble.incr(current, delta, HASH_NOT_FLOAT)
    _set_fields(ks, key, meta, [field, text], b"hincrbyfloat")
    return text


@command("hrandfield", -2, "readonly", group="hash")
def hrandfield(ctx, args):
    """Random fields: one, COUNT distinct ones, or -COUNT with repeats; WITHVALUES."""
    ks, key = ctx.ks, args[0]
    if len(args) == 1:
        meta = _hash(ks, key)
        if meta is None:
            return None
        return sample(ks, key, meta.size, 1, True)[0][0]
    count = to_int(args[1])
    if count == INT64_MIN:
        raise RedisError(LONG_RANGE)
    with_values = False
    if len(args) > 3 or (len(args) == 3 and upper(args[2]) != b"WITHVALUES"):
        raise RedisError(errors.SYNTAX)
    if len(args) == 3:
        with_values = True
        if abs(count) > INT64_MAX // 2:
            raise RedisError("ERR value is out of range")
    meta = _hash(ks, key)
    if meta is None or count == 0:
        return []
    picked = sample(ks, key, meta.size, abs(count), count > 0)
    if not with_values:
        return [field for field, _ in picked]
    if ctx.protocol == 3:
        return [[field, value] for field, value in picked]
    return [item for pair in picked for item in pair]


@command("hscan", -3, "readonly", group="hash")
def hscan(ctx, args):
    """Iterate fields and values with a cursor (MATCH, COUNT, NOVALUES)."""
    ks, key = ctx.ks, args[0]
    cursor = parse_cursor(args[1])
    meta = _hash(ks, key)
    if meta is None:
        return [b"0", []]
    opts = ScanOptions(args[2:], allow_novalues=True)
    next_cursor, found = scan_entries(ks, key, meta.size, cursor, opts)
    if opts.novalues:
        return [next_cursor, [field for field, _ in found]]
    return [next_cursor, [item for pair in found for item in pair]]
