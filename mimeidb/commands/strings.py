"""String commands (t_string.c): GET/SET and friends, counters, ranges, LCS."""
from __future__ import annotations

from mimeidb.commands import errors, longdouble
from mimeidb.commands.args import INT64_MAX, INT64_MIN, to_int, upper
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import OK, Map
from mimeidb.commands.table import command
from mimeidb.store import notify as N
from mimeidb.store.encoding import KeyType, Meta
from mimeidb.store.keyspace import Keyspace, now_ms

MAX_STRING = 512 * 1024 * 1024  # proto-max-bulk-len default


def _expire_at(name: str, unit: bytes, raw: bytes) -> int:
    """Absolute expiry in ms from an EX/PX/EXAT/PXAT argument."""
    value = to_int(raw)
    if value <= 0:
        raise RedisError(errors.INVALID_EXPIRE.format(name))
    if unit in (b"EX", b"EXAT"):
        if value > INT64_MAX // 1000:
            raise RedisError(errors.INVALID_EXPIRE.format(name))
        value *= 1000
    if unit in (b"EX", b"PX"):
        value += now_ms()
        if value > INT64_MAX:
            raise RedisError(errors.INVALID_EXPIRE.format(name))
    return value


def _string(ks: Keyspace, key: bytes) -> tuple[Meta | None, bytes | None]:
    meta = ks.typed(key, KeyType.STRING)
    return meta, (meta.value if meta is not None else None)


def _store(ks: Keyspace, key: bytes, value: bytes, old: Meta | None, keep_ttl: bool = True,
           raw: bool = False) -> None:
    """Write a string keeping its TTL; `raw` marks it as edited in place (APPEND, SETRANGE,
    SETBIT: Redis's encoding is then `raw` whatever the value looks like)."""
    if len(value) > MAX_STRING:
        raise RedisError(errors.STRING_TOO_LONG)
    expire = old.expire_ms if (old is not None and keep_ttl) else 0
    ks.set_string(key, value, expire, old, raw=raw)


@command("get", 2, "readonly fast", group="string")
def get(ctx, args):
    """Get the value of a key."""
    return ctx.ks.get_string(args[0])


@command("set", -3, "write denyoom", group="string")
def set_(ctx, args):
    """Set the string value of a key, with expiry and NX/XX/GET options."""
    ks = ctx.ks
    key, value = args[0], args[1]
    if len(args) == 2:
        ks.check_writable()
        ks.set_string(key, value)
        if ks.notifier is not None:
            ks.notify(N.STRING, b"set", key)
        return OK
    condition = expire_unit = None
    expire = 0
    keep_ttl = want_old = False
    i = 2
    while i < len(args):
        opt = upper(args[i])
        if opt in (b"NX", b"XX") and condition is None:
            condition = opt
        elif opt == b"GET" and not want_old:
            want_old = True
        elif opt == b"KEEPTTL" and expire_unit is None and not keep_ttl:
            keep_ttl = True
        elif opt in (b"EX", b"PX", b"EXAT", b"PXAT") and expire_unit is None and not keep_ttl \
                and i + 1 < len(args):
            expire_unit = opt
            expire = _expire_at("set", opt, args[i + 1])
            i += 1
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    ks.check_writable()
    old = ks.meta(key)
    if want_old and old is not None and old.type != KeyType.STRING:
        raise RedisError(errors.WRONGTYPE)
    previous = old.value if old is not None else None
    if (condition == b"NX" and old is not None) or (condition == b"XX" and old is None):
        return previous if want_old else None
    if keep_ttl and old is not None:
        expire = old.expire_ms
    if len(value) > MAX_STRING:
        raise RedisError(errors.STRING_TOO_LONG)
    if expire and expire <= now_ms():
        ks.delete(key)
        ks.notify(N.GENERIC, b"del", key)
    else:
        ks.set_string(key, value, expire, old)
        ks.notify(N.STRING, b"set", key)
        if expire:
            ks.notify(N.GENERIC, b"expire", key)
    return previous if want_old else OK


@command("setnx", 3, "write denyoom fast", group="string")
def setnx(ctx, args):
    """Set a key only if it does not exist."""
    ks = ctx.ks
    ks.check_writable()
    old = ks.meta(args[0])
    if old is not None:
        return 0
    ks.set_string(args[0], args[1], 0, None)
    ks.notify(N.STRING, b"set", args[0])
    return 1


def _setex(ctx, args, name: str, unit: bytes):
    ks = ctx.ks
    expire = _expire_at(name, unit, args[1])
    ks.check_writable()
    ks.set_string(args[0], args[2], expire)
    ks.notify(N.STRING, b"set", args[0])
    ks.notify(N.GENERIC, b"expire", args[0])
    return OK


@command("setex", 4, "write denyoom", group="string")
def setex(ctx, args):
    """Set a key with an expiry in seconds."""
    return _setex(ctx, args, "setex", b"EX")


@command("psetex", 4, "write denyoom", group="string")
def psetex(ctx, args):
    """Set a key with an expiry in milliseconds."""
    return _setex(ctx, args, "psetex", b"PX")


@command("getset", 3, "write denyoom fast", group="string")
def getset(ctx, args):
    """Set a key and return its old value."""
    ks = ctx.ks
    ks.check_writable()
    old, previous = _string(ks, args[0])
    ks.set_string(args[0], args[1], 0, old)
    ks.notify(N.STRING, b"set", args[0])
    return previous


@command("getdel", 2, "write fast", group="string")
def getdel(ctx, args):
    """Get a key's value and delete it."""
    ks = ctx.ks
    ks.check_writable()
    _, previous = _string(ks, args[0])
    if previous is not None:
        ks.delete(args[0])
        ks.notify(N.GENERIC, b"del", args[0])
    return previous


@command("getex", -2, "write fast", group="string")
def getex(ctx, args):
    """Get a key's value and set or clear its expiry."""
    ks = ctx.ks
    key = args[0]
    expire: int | None = None
    i = 1
    while i < len(args):
        opt = upper(args[i])
        if opt in (b"EX", b"PX", b"EXAT", b"PXAT") and expire is None and i + 1 < len(args):
            expire = _expire_at("getex", opt, args[i + 1])
            i += 2
        elif opt == b"PERSIST" and expire is None:
            expire = 0
            i += 1
        else:
            raise RedisError(errors.SYNTAX)
    meta, value = _string(ks, key)
    if meta is None or expire is None:
        return value
    ks.check_writable()
    if expire and expire <= now_ms():
        ks.delete(key)
        ks.notify(N.GENERIC, b"del", key)
    elif expire != meta.expire_ms:
        ks.set_expire(key, meta, expire)
        ks.notify(N.GENERIC, b"expire" if expire else b"persist", key)
    return value


@command("mget", -2, "readonly fast", keys=(1, -1, 1), group="string")
def mget(ctx, args):
    """Get the values of many keys (nil for missing keys and non-strings)."""
    out = []
    for key in args:
        try:
            out.append(ctx.ks.get_string(key))
        except RedisError:
            out.append(None)
    return out


@command("mset", -3, "write denyoom", keys=(1, -1, 2), group="string")
def mset(ctx, args):
    """Set many keys."""
    if len(args) % 2:
        raise errors.wrong_arity("mset")
    ks = ctx.ks
    ks.check_writable()
    for i in range(0, len(args), 2):
        ks.set_string(args[i], args[i + 1])
        ks.notify(N.STRING, b"set", args[i])
    return OK


@command("msetnx", -3, "write denyoom", keys=(1, -1, 2), group="string")
def msetnx(ctx, args):
    """Set many keys only if none of them exists."""
    if len(args) % 2:
        raise errors.wrong_arity("msetnx")
    ks = ctx.ks
    ks.check_writable()
    if any(ks.meta(args[i]) is not None for i in range(0, len(args), 2)):
        return 0
    created: set[bytes] = set()
    for i in range(0, len(args), 2):
        # a key named twice is created once: the second write replaces the first
        ks.set_string(args[i], args[i + 1], 0, False if args[i] in created else None)
        ks.notify(N.STRING, b"set", args[i])
        created.add(args[i])
    return 1


@command("append", 3, "write denyoom fast", group="string")
def append(ctx, args):
    """Append to a string; returns the new length."""
    ks = ctx.ks
    ks.check_writable()
    old, value = _string(ks, args[0])
    new = (value or b"") + args[1]
    _store(ks, args[0], new, old, raw=True)
    ks.notify(N.STRING, b"append", args[0])
    return len(new)


@command("strlen", 2, "readonly fast", group="string")
def strlen(ctx, args):
    """Length of a string value."""
    value = ctx.ks.get_string(args[0])
    return len(value) if value is not None else 0


@command("getrange", 4, "readonly", group="string")
def getrange(ctx, args):
    """A substring by inclusive byte offsets (negative counts from the end)."""
    start, end = to_int(args[1]), to_int(args[2])
    value = ctx.ks.get_string(args[0]) or b""
    size = len(value)
    if start < 0 and end < 0 and start > end:
        return b""
    start = max(size + start, 0) if start < 0 else start
    end = max(size + end, 0) if end < 0 else end
    end = min(end, size - 1)
    if start > end or size == 0:
        return b""
    return value[start:end + 1]


@command("substr", 4, "readonly", group="string")
def substr(ctx, args):
    """Alias of GETRANGE."""
    return getrange(ctx, args)


@command("setrange", 4, "write denyoom", group="string")
def setrange(ctx, args):
    """Overwrite part of a string at an offset, zero-padding as needed."""
    ks = ctx.ks
    offset = to_int(args[1])
    if offset < 0:
        raise RedisError(errors.OFFSET_OUT_OF_RANGE)
    patch = args[2]
    old, value = _string(ks, args[0])
    if not patch:
        return len(value or b"")
    if offset + len(patch) > MAX_STRING:
        raise RedisError(errors.STRING_TOO_LONG)
    ks.check_writable()
    value = value or b""
    if len(value) < offset:
        value += b"\0" * (offset - len(value))
    new = value[:offset] + patch + value[offset + len(patch):]
    _store(ks, args[0], new, old, raw=True)
    ks.notify(N.STRING, b"setrange", args[0])
    return len(new)


def _incr(ctx, key: bytes, delta: int) -> int:
    ks = ctx.ks
    ks.check_writable()
    old, value = _string(ks, key)
    current = to_int(value) if value is not None else 0
    result = current + delta
    if not INT64_MIN <= result <= INT64_MAX:
        raise RedisError(errors.OVERFLOW)
    _store(ks, key, b"%d" % result, old)
    ks.notify(N.STRING, b"incrby", key)
    return result


@command("incr", 2, "write denyoom fast", group="string")
def incr(ctx, args):
    """Increment an integer by one."""
    return _incr(ctx, args[0], 1)


@command("decr", 2, "write denyoom fast", group="string")
def decr(ctx, args):
    """Decrement an integer by one."""
    return _incr(ctx, args[0], -1)


@command("incrby", 3, "write denyoom fast", group="string")
def incrby(ctx, args):
    """Increment an integer by an amount."""
    return _incr(ctx, args[0], to_int(args[1]))


@command("decrby", 3, "write denyoom fast", group="string")
def decrby(ctx, args):
    """Decrement an integer by an amount."""
    delta = to_int(args[1])
    if delta == INT64_MIN:
        raise RedisError("ERR decrement would overflow")
    return _incr(ctx, args[0], -delta)


@command("incrbyfloat", 3, "write denyoom fast", group="string")
def incrbyfloat(ctx, args):
    """Increment a number by a float amount, in Redis's long double arithmetic."""
    ks = ctx.ks
    delta = longdouble.parse_increment(args[1], errors.NOT_FLOAT, allow_infinite=True)
    ks.check_writable()
    old, value = _string(ks, args[0])
    text = longdouble.incr(value, delta, errors.NOT_FLOAT)
    _store(ks, args[0], text, old)
    ks.notify(N.STRING, b"incrbyfloat", args[0])
    return text


@command("lcs", -3, "readonly", keys=(1, 2, 1), group="string")
def lcs(ctx, args):
    """Longest common subsequence of two strings (LEN, IDX, MINMATCHLEN, WITHMATCHLEN)."""
    a = ctx.ks.get_string(args[0]) or b""
    b = ctx.ks.get_string(args[1]) or b""
    want_len = want_idx = with_len = False
    min_len = 0
    i = 2
    while i < len(args):
        opt = upper(args[i])
        if opt == b"LEN":
            want_len = True
        elif opt == b"IDX":
            want_idx = True
        elif opt == b"WITHMATCHLEN":
            with_len = True
        elif opt == b"MINMATCHLEN" and i + 1 < len(args):
            min_len = max(to_int(args[i + 1]), 0)
            i += 1
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    if want_len and want_idx:
        raise RedisError("ERR If you want both the length and indexes, please just use IDX.")
    table = _lcs_table(a, b)
    if want_len:
        return table[len(a)][len(b)]
    matches, text = _lcs_walk(a, b, table)
    if not want_idx:
        return text
    shown = []
    for (a_start, a_end, b_start, b_end) in matches:
        length = a_end - a_start + 1
        if length < min_len:
            continue
        item = [[a_start, a_end], [b_start, b_end]]
        if with_len:
            item.append(length)
        shown.append(item)
    return Map([(b"matches", shown), (b"len", table[len(a)][len(b)])])


def _lcs_table(a: bytes, b: bytes) -> list[list[int]]:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        row, prev, ca = table[i], table[i - 1], a[i - 1]
        for j in range(1, len(b) + 1):
            row[j] = prev[j - 1] + 1 if ca == b[j - 1] else max(prev[j], row[j - 1])
    return table


def _lcs_walk(a: bytes, b: bytes, table: list[list[int]]):
    """Walk back from the end as Redis does: ranges are reported from the end backwards."""
    i, j = len(a), len(b)
    out = bytearray()
    matches = []
    current = None
    while i > 0 and j > 0:
        if a[i - 1] == b[j - 1]:
            out.append(a[i - 1])
            if current is not None and current[0] == i and current[2] == j:
                current[0], current[2] = i - 1, j - 1
            else:
                if current is not None:
                    matches.append(tuple(current))
                current = [i - 1, i - 1, j - 1, j - 1]
            i -= 1
            j -= 1
        elif table[i - 1][j] > table[i][j - 1]:
            i -= 1
        else:
            j -= 1
    if current is not None:
        matches.append(tuple(current))
    out.reverse()
    return [(m[0], m[1], m[2], m[3]) for m in matches], bytes(out)
