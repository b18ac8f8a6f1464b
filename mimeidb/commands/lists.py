"""List commands (t_list.c): pushes and pops at both ends, index access, LMOVE/LMPOP and the
blocking forms.

Argument checks run in the order Redis runs them (some before the key lookup, some after), so
that the first error a client sees is the one Redis would send.
A blocking command first tries its non-blocking form; when every key is empty it returns a
`Block` and the face re-runs it once one of the keys is written (or replies timeout_reply).
"""
from __future__ import annotations

from mimeidb.commands import errors
from mimeidb.commands.args import INT64_MAX, INT64_MIN, to_int, to_timeout, upper
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import NULL_ARRAY, OK, Block
from mimeidb.commands.table import command, numkeys_keys
from mimeidb.store import notify as N
from mimeidb.store.encoding import KeyType
from mimeidb.store.keyspace import Keyspace
from mimeidb.store.list_type import ListValue

RANK_ZERO = ("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second "
             "... or use negative to start from the end of the list")
# Redis 7.2's range check on RANK; 7.0 accepted INT64_MIN and overflowed negating it.
RANK_RANGE = f"ERR value is out of range, value must between {-INT64_MAX} and {INT64_MAX}"
COUNT_NEGATIVE = "ERR COUNT can't be negative"
MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative"
NUMKEYS = "ERR numkeys should be greater than 0"
COUNT_NOT_POSITIVE = "ERR count should be greater than 0"


def _side(raw: bytes) -> bool:
    """LEFT/RIGHT as `left`; anything else is a syntax error."""
    word = upper(raw)
    if word == b"LEFT":
        return True
    if word == b"RIGHT":
        return False
    raise RedisError(errors.SYNTAX)


def _positive(raw: bytes, error: str) -> int:
    """A non-negative integer; the one error text covers both non-numbers and negatives."""
    value = to_int(raw, error)
    if value < 0:
        raise RedisError(error)
    return value


def _retrying(ctx) -> bool:
    """True when the face re-runs a parked command after one of its keys was written (the
    session still holds the Block). Redis serves a blocked client only from a key that now
    holds a list: a key that became another type keeps it waiting instead of failing it."""
    session = getattr(ctx, "session", None)
    return getattr(session, "blocked", None) is not None


def _ready(ctx, key: bytes) -> ListValue | None:
    """The list a blocking command may serve from at key (None if there is none)."""
    if _retrying(ctx):
        meta = ctx.ks.meta(key)
        return ListValue(ctx.ks, key, meta) if meta is not None and meta.type == KeyType.LIST \
            else None
    return ListValue.load(ctx.ks, key)


def _saved(lst: ListValue, event: bytes) -> None:
    """Save lst, then notify `event` (and `del` when it emptied the key), as Redis does."""
    lst.save()
    ks = lst.ks
    if ks.notifier is not None:
        ks.notify(N.LIST, event, lst.key)
        if not len(lst):
            ks.notify(N.GENERIC, b"del", lst.key)


# -- push --------------------------------------------------------------------------------
def _push(ctx, args, left: bool, only_existing: bool) -> int:
    ks = ctx.ks
    ks.check_writable()
    lst = ListValue.load(ks, args[0])
    if lst is None:
        if only_existing:
            return 0
        lst = ListValue(ks, args[0], None)
    lst.push(args[1:], left)
    _saved(lst, b"lpush" if left else b"rpush")
    return len(lst)


@command("lpush", -3, "write denyoom fast", group="list")
def lpush(ctx, args):
    """Prepend elements to a list, creating it if needed; returns the new length."""
    return _push(ctx, args, left=True, only_existing=False)


@command("rpush", -3, "write denyoom fast", group="list")
def rpush(ctx, args):
    """Append elements to a list, creating it if needed; returns the new length."""
    return _push(ctx, args, left=False, only_existing=False)


@command("lpushx", -3, "write denyoom fast", group="list")
def lpushx(ctx, args):
    """Prepend elements only if the list exists."""
    return _push(ctx, args, left=True, only_existing=True)


@command("rpushx", -3, "write denyoom fast", group="list")
def rpushx(ctx, args):
    """Append elements only if the list exists."""
    return _push(ctx, args, left=False, only_existing=True)


# -- pop ---------------------------------------------------------------------------------
def _pop(ctx, args, name: str, left: bool):
    if len(args) > 2:
        raise errors.wrong_arity(name)
    has_count = len(args) == 2
    count = _positive(args[1], errors.NOT_POSITIVE) if has_count else 1
    ks = ctx.ks
    lst = ListValue.load(ks, args[0])
    if lst is None:
        return NULL_ARRAY if has_count else None
    if not has_count:
        ks.check_writable()
        value = lst.pop(1, left)[0]
        _saved(lst, b"lpop" if left else b"rpop")
        return value
    if count == 0:
        return []
    ks.check_writable()
    values = lst.pop(count, left)
    _saved(lst, b"lpop" if left else b"rpop")
    return values


@command("lpop", -2, "write fast", group="list")
def lpop(ctx, args):
    """Remove and return the first element(s) of a list."""
    return _pop(ctx, args, "lpop", left=True)


@command("rpop", -2, "write fast", group="list")
def rpop(ctx, args):
    """Remove and return the last element(s) of a list."""
    return _pop(ctx, args, "rpop", left=False)


# -- reads and in-place edits ------------------------------------------------------------
@command("llen", 2, "readonly fast", group="list")
def llen(ctx, args):
    """Length of a list (0 if missing)."""
    lst = ListValue.load(ctx.ks, args[0])
    return len(lst) if lst is not None else 0


@command("lindex", 3, "readonly", group="list")
def lindex(ctx, args):
    """The element at an index (negative counts from the tail)."""
    lst = ListValue.load(ctx.ks, args[0])
    if lst is None:
        return None
    index = lst.normalize(to_int(args[1]))
    return None if index is None else lst.at(index)


@command("lset", 4, "write denyoom", group="list")
def lset(ctx, args):
    """Overwrite the element at an index."""
    ks = ctx.ks
    lst = ListValue.load(ks, args[0])
    if lst is None:
        raise RedisError(errors.NO_SUCH_KEY)
    index = lst.normalize(to_int(args[1]))
    if index is None:
        raise RedisError(errors.INDEX_OUT_OF_RANGE)
    ks.check_writable()
    lst.set(index, args[2])
    _saved(lst, b"lset")
    return OK


def _clamp_range(size: int, start: int, stop: int) -> tuple[int, int] | None:
    """Redis's LRANGE/LTRIM window over a list of `size`: inclusive indexes, None if empty."""
    if start < 0:
        start += size
    if stop < 0:
        stop += size
    start = max(start, 0)
    if start > stop or start >= size:
        return None
    return start, min(stop, size - 1)


@command("lrange", 4, "readonly", group="list")
def lrange(ctx, args):
    """Elements between two inclusive indexes."""
    start, stop = to_int(args[1]), to_int(args[2])
    lst = ListValue.load(ctx.ks, args[0])
    if lst is None:
        return []
    window = _clamp_range(len(lst), start, stop)
    return [] if window is None else lst.range(*window)


@command("ltrim", 4, "write", group="list")
def ltrim(ctx, args):
    """Keep only the elements between two inclusive indexes."""
    start, stop = to_int(args[1]), to_int(args[2])
    ks = ctx.ks
    lst = ListValue.load(ks, args[0])
    if lst is None:
        return OK
    ks.check_writable()
    window = _clamp_range(len(lst), start, stop)
    if window is None:
        lst.trim(1, 0)
    else:
        lst.trim(*window)
    _saved(lst, b"ltrim")  # even when nothing was trimmed: Redis still signals the key
    return OK


@command("linsert", 5, "write denyoom", group="list")
def linsert(ctx, args):
    """Insert an element before or after the first occurrence of a pivot."""
    where = upper(args[1])
    if where not in (b"BEFORE", b"AFTER"):
        raise RedisError(errors.SYNTAX)
    ks = ctx.ks
    lst = ListValue.load(ks, args[0])
    if lst is None:
        return 0
    pivot = args[2]
    for index, value in lst.scan():
        if value == pivot:
            break
    else:
        return -1
    ks.check_writable()
    lst.insert(index if where == b"BEFORE" else index + 1, args[3])
    _saved(lst, b"linsert")
    return len(lst)


@command("lrem", 4, "write", group="list")
def lrem(ctx, args):
    """Remove occurrences of an element: count > 0 from the head, < 0 from the tail, 0 all."""
    count = to_int(args[1])
    ks = ctx.ks
    lst = ListValue.load(ks, args[0])
    if lst is None:
        return 0
    target = args[2]
    found = []
    for index, value in lst.scan(reverse=count < 0):
        if value == target:
            found.append(index)
            if len(found) == abs(count):
                break
    if not found:
        return 0
    ks.check_writable()
    lst.remove(sorted(found))
    _saved(lst, b"lrem")
    return len(found)


@command("lpos", -3, "readonly", group="list")
def lpos(ctx, args):
    """Indexes of an element (RANK picks the n-th match, COUNT how many, MAXLEN how far)."""
    rank, count, maxlen = 1, None, 0
    i = 2
    while i < len(args):
        opt = upper(args[i])
        if i + 1 >= len(args) or opt not in (b"RANK", b"COUNT", b"MAXLEN"):
            raise RedisError(errors.SYNTAX)
        i += 1
        if opt == b"RANK":
            rank = to_int(args[i])
            if rank == 0:
                raise RedisError(RANK_ZERO)
            if rank == INT64_MIN:
                raise RedisError(RANK_RANGE)
        elif opt == b"COUNT":
            count = _positive(args[i], COUNT_NEGATIVE)
        else:
            maxlen = _positive(args[i], MAXLEN_NEGATIVE)
        i += 1
    lst = ListValue.load(ctx.ks, args[0])
    if lst is None:
        return [] if count is not None else None
    target = args[1]
    skip = abs(rank) - 1
    found = []
    for index, value in lst.scan(reverse=rank < 0, limit=maxlen):
        if value != target:
            continue
        if skip:
            skip -= 1
            continue
        found.append(index)
        if count is None or len(found) == count:
            break
    if count is None:
        return found[0] if found else None
    return found


# -- moves and multi-key pops ------------------------------------------------------------
def _move(ks: Keyspace, source: bytes, destination: bytes, from_left: bool, to_left: bool,
          src: ListValue | None = None):
    """LMOVE: the moved element, or None if source is empty. Both types are checked first."""
    if src is None:
        src = ListValue.load(ks, source)
    if src is None:
        return None
    dst = src if destination == source else ListValue.load_or_new(ks, destination)
    ks.check_writable()
    value = src.pop(1, from_left)[0]
    dst.push([value], to_left)
    if dst is not src:
        src.save()
    dst.save()
    if ks.notifier is not None:
        ks.notify(N.LIST, b"lpush" if to_left else b"rpush", destination)
        ks.notify(N.LIST, b"lpop" if from_left else b"rpop", source)
        if not len(src):
            ks.notify(N.GENERIC, b"del", source)
    return value


@command("lmove", 5, "write denyoom", keys=(1, 2, 1), group="list")
def lmove(ctx, args):
    """Pop an element from one end of a list and push it to an end of another."""
    from_left, to_left = _side(args[2]), _side(args[3])
    return _move(ctx.ks, args[0], args[1], from_left, to_left)


@command("rpoplpush", 3, "write denyoom", keys=(1, 2, 1), group="list")
def rpoplpush(ctx, args):
    """Pop the last element of a list and push it to the head of another."""
    return _move(ctx.ks, args[0], args[1], False, True)


def _parse_mpop(args: list[bytes]) -> tuple[list[bytes], bool, int]:
    """numkeys key [key ...] LEFT|RIGHT [COUNT count] -> (keys, left, count)."""
    numkeys = to_int(args[0], NUMKEYS)
    if numkeys <= 0:
        raise RedisError(NUMKEYS)
    where = numkeys + 1
    if where >= len(args):
        raise RedisError(errors.SYNTAX)
    left = _side(args[where])
    count = None
    i = where + 1
    while i < len(args):
        if count is None and upper(args[i]) == b"COUNT" and i + 1 < len(args):
            count = to_int(args[i + 1], COUNT_NOT_POSITIVE)
            if count <= 0:
                raise RedisError(COUNT_NOT_POSITIVE)
            i += 2
        else:
            raise RedisError(errors.SYNTAX)
    return args[1:where], left, count or 1


def _mpop(ctx, keys: list[bytes], left: bool, count: int):
    """Pop from the first non-empty list: [key, [elements]], or None if all are empty."""
    ks = ctx.ks
    for key in keys:
        lst = _ready(ctx, key)
        if lst is None:
            continue
        ks.check_writable()
        values = lst.pop(count, left)
        _saved(lst, b"lpop" if left else b"rpop")
        return [key, values]
    return None


@command("lmpop", -4, "write movablekeys", keys=(0, 0, 0), group="list", getkeys=numkeys_keys(1))
def lmpop(ctx, args):
    """Pop elements from the first non-empty list of several."""
    keys, left, count = _parse_mpop(args)
    popped = _mpop(ctx, keys, left, count)
    return NULL_ARRAY if popped is None else popped


# -- blocking forms ----------------------------------------------------------------------
def _block(keys: list[bytes], timeout: float) -> Block:
    return Block(keys=list(dict.fromkeys(keys)), timeout=timeout, timeout_reply=NULL_ARRAY)


def _blocking_pop(ctx, args, left: bool):
    timeout = to_timeout(args[-1])
    keys = args[:-1]
    for key in keys:
        lst = _ready(ctx, key)
        if lst is None:
            continue
        ctx.ks.check_writable()
        value = lst.pop(1, left)[0]
        _saved(lst, b"lpop" if left else b"rpop")
        return [key, value]
    return _block(keys, timeout)


@command("blpop", -3, "write noscript blocking", keys=(1, -2, 1), group="list")
def blpop(ctx, args):
    """LPOP from the first non-empty list, blocking until one has data: [key, element]."""
    return _blocking_pop(ctx, args, left=True)


@command("brpop", -3, "write noscript blocking", keys=(1, -2, 1), group="list")
def brpop(ctx, args):
    """RPOP from the first non-empty list, blocking until one has data: [key, element]."""
    return _blocking_pop(ctx, args, left=False)


@command("blmove", 6, "write denyoom noscript blocking", keys=(1, 2, 1), group="list")
def blmove(ctx, args):
    """LMOVE, blocking until the source has data."""
    from_left, to_left = _side(args[2]), _side(args[3])
    timeout = to_timeout(args[4])
    src = _ready(ctx, args[0])
    value = None if src is None else _move(ctx.ks, args[0], args[1], from_left, to_left, src)
    return _block([args[0]], timeout) if value is None else value


@command("brpoplpush", 4, "write denyoom noscript blocking", keys=(1, 2, 1), group="list")
def brpoplpush(ctx, args):
    """RPOPLPUSH, blocking until the source has data."""
    timeout = to_timeout(args[2])
    src = _ready(ctx, args[0])
    value = None if src is None else _move(ctx.ks, args[0], args[1], False, True, src)
    return _block([args[0]], timeout) if value is None else value


@command("blmpop", -5, "write blocking movablekeys", keys=(0, 0, 0), group="list",
         getkeys=numkeys_keys(2))
def blmpop(ctx, args):
    """LMPOP, blocking until one of the lists has data: [key, [elements]]."""
    timeout = to_timeout(args[0])
    keys, left, count = _parse_mpop(args[1:])
    popped = _mpop(ctx, keys, left, count)
    return _block(keys, timeout) if popped is None else popped
