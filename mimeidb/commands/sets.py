"""Set commands (t_set.c). A set is a META entry holding its cardinality and one empty
sub-entry per member, so membership is one point read and SCARD reads only the META."""
from __future__ import annotations

from typing import Iterable

from mimeidb.commands import errors
from mimeidb.commands.args import INT64_MIN, to_int
from mimeidb.commands.cursors import ScanOptions, parse_cursor, scan_entries
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import SetReply
from mimeidb.commands.table import command, numkeys_keys
from mimeidb.commands.keys import ENCODING_CONFIG, _is_long
from mimeidb.store import encoding as enc
from mimeidb.store import notify as N
from mimeidb.store.encoding import KeyType, Meta
from mimeidb.store.keyspace import Keyspace
from mimeidb.store.sampling import sample

LONG_RANGE = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
SPOP_RANGE = "ERR value is out of range, must be positive"


def _set(ks: Keyspace, key: bytes) -> Meta | None:
    return ks.typed(key, KeyType.SET)


def _members(ks: Keyspace, key: bytes) -> Iterable[bytes]:
    return (member for member, _ in ks.entries(key))


def _create_hint(first: bytes, size_hint: int) -> int:
    """setTypeCreate: the encoding of a new set for its first member and expected size."""
    cfg = ENCODING_CONFIG
    if _is_long(first) and size_hint <= cfg["set-max-intset-entries"]:
        return enc.HINT_INTSET
    if size_hint <= cfg["set-max-listpack-entries"]:
        return enc.HINT_LISTPACK
    return enc.HINT_BIG


def _add_hint(hint: int, size: int, member: bytes) -> int:
    """setTypeAdd's conversions: the encoding after adding a new member to a set of `size`."""
    cfg = ENCODING_CONFIG
    if hint == enc.HINT_INTSET:
        if _is_long(member):
            return enc.HINT_BIG if size + 1 > cfg["set-max-intset-entries"] else hint
        if size < cfg["set-max-listpack-entries"] and len(member) <= cfg["set-max-listpack-value"]:
            return enc.HINT_LISTPACK
        return enc.HINT_BIG
    if hint == enc.HINT_LISTPACK:
        if size < cfg["set-max-listpack-entries"] and len(member) <= cfg["set-max-listpack-value"]:
            return hint
        return enc.HINT_BIG
    return hint


def _add(ks: Keyspace, key: bytes, meta: Meta | None, members: Iterable[bytes],
         size_hint: int = 0) -> int:
    """Add members (creating the key if meta is None); returns how many were new.
    `size_hint` is SADD's argument count (setTypeCreate/setTypeMaybeConvert)."""
    ks.check_writable()
    members = list(members)
    if meta is None:
        hint = _create_hint(members[0], size_hint) if members else 0
        size = 0
    else:
        hint, size = meta.hint, meta.size
        cfg = ENCODING_CONFIG
        if (hint == enc.HINT_LISTPACK and size_hint > cfg["set-max-listpack-entries"]) or \
                (hint == enc.HINT_INTSET and size_hint > cfg["set-max-intset-entries"]):
            hint = enc.HINT_BIG
    added = 0
    for member in members:
        # a member repeated within one call is seen here: get_entry reads pending writes
        if ks.get_entry(key, member) is None:
            ks.put_entry(key, member, b"")
            if hint and hint != enc.HINT_BIG:
                hint = _add_hint(hint, size + added, member)
            added += 1
    if meta is None:
        if not added:
            return 0
        ks.put_meta(key, Meta(KeyType.SET, size=added, hint=hint), None)
    elif added or hint != meta.hint:
        meta.size += added
        meta.hint = hint
        ks.put_meta(key, meta, meta)
        if not added:
            return 0
    else:
        return 0
    ks.modified(key)
    return added


def _remove(ks: Keyspace, key: bytes, meta: Meta, members: Iterable[bytes]) -> int:
    """Remove members; deletes the key when it becomes empty. Returns how many existed."""
    ks.check_writable()
    removed = 0
    for member in members:
        if ks.get_entry(key, member) is not None:
            ks.delete_entry(key, member)
            removed += 1
    if removed:
        meta.size -= removed
        if meta.size <= 0:
            ks.delete_emptied(key, meta)
        else:
            ks.put_meta(key, meta, meta)
            ks.modified(key)
    return removed


def _store(ks: Keyspace, dest: bytes, members: list[bytes], event: bytes) -> int:
    """Replace dest, whatever it holds, by a set of members (deleted if empty). The result
    is built as Redis builds it (an intset growing member by member), for its encoding."""
    ks.check_writable()
    existed = ks.delete(dest)
    if members:
        hint = enc.HINT_INTSET
        for size, member in enumerate(members):
            ks.put_entry(dest, member, b"")
            if hint != enc.HINT_BIG:
                hint = _add_hint(hint, size, member)
        ks.put_meta(dest, Meta(KeyType.SET, size=len(members), hint=hint), None)
        if not existed:
            ks.modified(dest)
        ks.notify(N.SET, event, dest)
    elif existed:
        ks.notify(N.GENERIC, b"del", dest)
    return len(members)


@command("sadd", -3, "write denyoom fast", group="set")
def sadd(ctx, args):
    """Add members; returns how many were new."""
    ks = ctx.ks
    added = _add(ks, args[0], _set(ks, args[0]), args[1:], len(args) - 1)
    if added:
        ks.notify(N.SET, b"sadd", args[0])
    return added


@command("srem", -3, "write fast", group="set")
def srem(ctx, args):
    """Remove members; returns how many existed."""
    ks = ctx.ks
    meta = _set(ks, args[0])
    if meta is None:
        return 0
    removed = _remove(ks, args[0], meta, args[1:])
    if removed:
        ks.notify(N.SET, b"srem", args[0])
        if meta.size <= 0:
            ks.notify(N.GENERIC, b"del", args[0])
    return removed


@command("scard", 2, "readonly fast", group="set")
def scard(ctx, args):
    """Number of members."""
    meta = _set(ctx.ks, args[0])
    return meta.size if meta is not None else 0


@command("sismember", 3, "readonly fast", group="set")
def sismember(ctx, args):
    """Whether a value is a member."""
    if _set(ctx.ks, args[0]) is None:
        return 0
    return 0 if ctx.ks.get_entry(args[0], args[1]) is None else 1


@command("smismember", -3, "readonly fast", group="set")
def smismember(ctx, args):
    """Membership of many values."""
    ks, key = ctx.ks, args[0]
    if _set(ks, key) is None:
        return [0] * (len(args) - 1)
    return [0 if ks.get_entry(key, m) is None else 1 for m in args[1:]]


@command("smembers", 2, "readonly", group="set")
def smembers(ctx, args):
    """All members."""
    if _set(ctx.ks, args[0]) is None:
        return SetReply()
    return SetReply(_members(ctx.ks, args[0]))


def _count_arg(raw: bytes) -> int:
    count = to_int(raw)
    if count == INT64_MIN:
        raise RedisError(LONG_RANGE)
    return count


@command("spop", -2, "write random fast", group="set")
def spop(ctx, args):
    """Remove and return one random member, or COUNT of them."""
    ks, key = ctx.ks, args[0]
    if len(args) > 2:
        raise RedisError(errors.SYNTAX)
    count = 1
    if len(args) == 2:
        try:
            count = to_int(args[1])
        except RedisError:
            raise RedisError(SPOP_RANGE) from None
        if count < 0:
            raise RedisError(SPOP_RANGE)
    meta = _set(ks, key)
    if meta is None:
        return None if len(args) == 1 else SetReply()
    if count == 0:
        return SetReply()
    ks.check_writable()
    if count >= meta.size:
        members = list(_members(ks, key))
        ks.delete(key)
        ks.notify(N.SET, b"spop", key)
        ks.notify(N.GENERIC, b"del", key)
    else:
        members = [m for m, _ in sample(ks, key, meta.size, count, True)]
        _remove(ks, key, meta, members)
        ks.notify(N.SET, b"spop", key)
    return members[0] if len(args) == 1 else SetReply(members)


@command("srandmember", -2, "readonly random", group="set")
def srandmember(ctx, args):
    """One random member, COUNT distinct ones, or -COUNT with repeats."""
    ks, key = ctx.ks, args[0]
    if len(args) > 2:
        raise RedisError(errors.SYNTAX)
    if len(args) == 1:
        meta = _set(ks, key)
        if meta is None:
            return None
        return sample(ks, key, meta.size, 1, True)[0][0]
    count = _count_arg(args[1])
    meta = _set(ks, key)
    if meta is None or count == 0:
        return []
    return [m for m, _ in sample(ks, key, meta.size, abs(count), count > 0)]


@command("smove", 4, "write fast", keys=(1, 2, 1), group="set")
def smove(ctx, args):
    """Move a member from one set to another."""
    ks, src, dst, member = ctx.ks, args[0], args[1], args[2]
    src_meta = _set(ks, src)
    if src_meta is None:
        return 0
    dst_meta = _set(ks, dst)
    if src == dst:
        return 0 if ks.get_entry(src, member) is None else 1
    if not _remove(ks, src, src_meta, [member]):
        return 0
    ks.notify(N.SET, b"srem", src)
    if src_meta.size <= 0:
        ks.notify(N.GENERIC, b"del", src)
    if _add(ks, dst, dst_meta, [member]):
        ks.notify(N.SET, b"sadd", dst)
    return 1


def _sets(ks: Keyspace, keys: list[bytes]) -> list[Meta | None]:
    """Metadata of every key (WRONGTYPE if any is not a set, as Redis checks them all)."""
    return [_set(ks, key) for key in keys]


def _inter(ks: Keyspace, keys: list[bytes], limit: int = 0) -> list[bytes]:
    """Members of the intersection, walking the smallest set and probing the others."""
    metas = _sets(ks, keys)
    if any(meta is None for meta in metas):
        return []
    order = sorted(range(len(keys)), key=lambda i: metas[i].size)  # type: ignore[union-attr]
    smallest, others = keys[order[0]], [keys[i] for i in order[1:] if keys[i] != keys[order[0]]]
    out = []
    for member in _members(ks, smallest):
        if all(ks.get_entry(other, member) is not None for other in others):
            out.append(member)
            if limit and len(out) >= limit:
                break
    return out


def _union(ks: Keyspace, keys: list[bytes]) -> list[bytes]:
    metas = _sets(ks, keys)
    seen: dict[bytes, None] = {}
    for key, meta in zip(keys, metas):
        if meta is not None:
            seen.update(dict.fromkeys(_members(ks, key)))
    return list(seen)


def _diff(ks: Keyspace, keys: list[bytes]) -> list[bytes]:
    metas = _sets(ks, keys)
    if metas[0] is None:
        return []
    others = [key for key, meta in zip(keys[1:], metas[1:]) if meta is not None]
    if keys[0] in others:
        return []
    return [m for m in _members(ks, keys[0])
            if all(ks.get_entry(other, m) is None for other in others)]


@command("sinter", -2, "readonly", keys=(1, -1, 1), group="set")
def sinter(ctx, args):
    """Intersection of sets."""
    return SetReply(_inter(ctx.ks, args))


@command("sunion", -2, "readonly", keys=(1, -1, 1), group="set")
def sunion(ctx, args):
    """Union of sets."""
    return SetReply(_union(ctx.ks, args))


@command("sdiff", -2, "readonly", keys=(1, -1, 1), group="set")
def sdiff(ctx, args):
    """Members of the first set that are in none of the others."""
    return SetReply(_diff(ctx.ks, args))


@command("sinterstore", -3, "write denyoom", keys=(1, -1, 1), group="set")
def sinterstore(ctx, args):
    """Store the intersection in a key; returns its size."""
    return _store(ctx.ks, args[0], _inter(ctx.ks, args[1:]), b"sinterstore")


@command("sunionstore", -3, "write denyoom", keys=(1, -1, 1), group="set")
def sunionstore(ctx, args):
    """Store the union in a key; returns its size."""
    return _store(ctx.ks, args[0], _union(ctx.ks, args[1:]), b"sunionstore")


@command("sdiffstore", -3, "write denyoom", keys=(1, -1, 1), group="set")
def sdiffstore(ctx, args):
    """Store the difference in a key; returns its size."""
    return _store(ctx.ks, args[0], _diff(ctx.ks, args[1:]), b"sdiffstore")


# Key positions depend on numkeys (Redis: movablekeys); (2, -1, 1) over-approximates them.
@command("sintercard", -3, "readonly movablekeys", keys=(2, -1, 1), group="set",
         getkeys=numkeys_keys(1))
def sintercard(ctx, args):
    """Size of the intersection of numkeys sets, stopping at LIMIT if given."""
    try:
        numkeys = to_int(args[0])
    except RedisError:
        numkeys = 0
    if numkeys < 1:
        raise RedisError("ERR numkeys should be greater than 0")
    if numkeys > len(args) - 1:
        raise RedisError("ERR Number of keys can't be greater than number of args")
    limit = 0
    i = 1 + numkeys
    while i < len(args):
        if args[i].upper() == b"LIMIT" and i + 1 < len(args):
            try:
                limit = to_int(args[i + 1])
            except RedisError:
                limit = -1
            if limit < 0:
                raise RedisError("ERR LIMIT can't be negative")
            i += 2
        else:
            raise RedisError(errors.SYNTAX)
    return len(_inter(ctx.ks, args[1:1 + numkeys], limit))


@command("sscan", -3, "readonly random", group="set")
def sscan(ctx, args):
    """Iterate members with a cursor (MATCH, COUNT)."""
    ks, key = ctx.ks, args[0]
    cursor = parse_cursor(args[1])
    meta = _set(ks, key)
    if meta is None:
        return [b"0", []]
    opts = ScanOptions(args[2:])
    next_cursor, found = scan_entries(ks, key, meta.size, cursor, opts)
    return [next_cursor, [member for member, _ in found]]
