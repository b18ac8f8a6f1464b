"""Sorted-set commands (t_zset.c): ZADD and friends, ranges, pops, set algebra, ZSCAN.

Handlers parse arguments in Redis's order (so the same error wins when several apply), call
the type layer `mimeidb/store/zset_type.py` and shape replies. Scores travel as `Double`;
where Redis 7 pairs members with scores in RESP3 (ZRANGE WITHSCORES, ZPOPMIN with a count,
ZRANDMEMBER WITHSCORES, ZMPOP) the pairs are nested arrays, flat in RESP2.
"""
from __future__ import annotations

import math
import random
import re
from itertools import islice
from typing import Iterable, Iterator

from mimeidb.commands import errors
from mimeidb.commands.args import INT64_MAX, to_int, to_timeout, upper
from mimeidb.commands.cursors import ScanOptions, parse_cursor, scan_entries
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import NULL_ARRAY, Block, Double, format_double
from mimeidb.commands.table import command, numkeys_keys
from mimeidb.store import notify as N
from mimeidb.store.encoding import KeyType, unpack_double
from mimeidb.store.keyspace import Keyspace
from mimeidb.store.zset_type import INF, LexRange, ScoreRange, ZSet

GROUP = "sorted-set"

NAN_SCORE = "ERR resulting score is not a number (NaN)"
XX_NX = "ERR XX and NX options at the same time are not compatible"
GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
INCR_PAIR = "ERR INCR option supports a single increment-element pair"
LIMIT_RANK = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
WITHSCORES_LEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
WEIGHT_FLOAT = "ERR weight value is not a float"
NUMKEYS = "ERR numkeys should be greater than 0"
COUNT_POSITIVE = "ERR count should be greater than 0"
LIMIT_NEGATIVE = "ERR LIMIT can't be negative"
LONG_RANGE = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"

# strtod's accepted text once Redis has checked there is no leading space: decimal and
# exponent forms, inf/infinity and nan (rejected after parsing, as Redis does).
_STRTOD = re.compile(rb"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf(inity)?|nan)\Z",
                     re.I)
_SPACE = b" \t\n\v\f\r"


# -- argument converters -------------------------------------------------------------------
def _score_arg(raw: bytes, error: str = errors.NOT_FLOAT) -> float:
    """getDoubleFromObject: no leading space, whole string, no NaN, and overflow or underflow
    to zero (strtod's ERANGE) is an error, so "1e999" is refused but "inf" is not."""
    if not raw or raw[0] in _SPACE or not _STRTOD.match(raw):
        raise RedisError(error)
    value = float(raw)
    if math.isnan(value):
        raise RedisError(error)
    if math.isinf(value) and b"n" not in raw.lower():
        raise RedisError(error)
    if value == 0.0 and re.search(rb"[1-9]", raw.lower().split(b"e")[0]):
        raise RedisError(error)
    return value


def _range_number(raw: bytes) -> float:
    """A bound as zslParseRange reads it: plain strtod, so "" is 0, leading space is skipped
    and 1e999 is inf; only trailing junk and NaN are errors."""
    text = raw.lstrip(_SPACE)
    if not raw:
        return 0.0
    if not text or not _STRTOD.match(text):
        raise RedisError(errors.MIN_MAX_FLOAT)
    value = float(text)
    if math.isnan(value):
        raise RedisError(errors.MIN_MAX_FLOAT)
    return value


def parse_score_range(low: bytes, high: bytes) -> ScoreRange | None:
    """`1.5`, `(1.5`, `-inf`, `+inf`; None for an empty range."""
    low_ex, high_ex = low[:1] == b"(", high[:1] == b"("
    lo = _range_number(low[1:] if low_ex else low)
    hi = _range_number(high[1:] if high_ex else high)
    return ScoreRange.of(lo, low_ex, hi, high_ex)


def _lex_bound(raw: bytes):
    if raw == b"+":
        return (1, b"", True)
    if raw == b"-":
        return (-1, b"", True)
    if raw[:1] == b"(":
        return (0, raw[1:], True)
    if raw[:1] == b"[":
        return (0, raw[1:], False)
    raise RedisError(errors.MIN_MAX_LEX)


def parse_lex_range(low: bytes, high: bytes) -> LexRange:
    return LexRange(_lex_bound(low), _lex_bound(high))


def _positive(raw: bytes) -> int:
    """getPositiveLongFromObjectOrReply."""
    value = to_int(raw)
    if value < 0:
        raise RedisError(errors.NOT_POSITIVE)
    return value


def _range_int(raw: bytes, error: str) -> int:
    """getRangeLongFromObjectOrReply(1, LONG_MAX, msg): one message for junk and range."""
    try:
        value = to_int(raw)
    except RedisError:
        raise RedisError(error) from None
    if value < 1:
        raise RedisError(error)
    return value


# -- reply shapes --------------------------------------------------------------------------
def _scored(ctx, items: Iterable[tuple[bytes, float]], withscores: bool) -> list:
    """Members, or members with scores: [m, s] pairs in RESP3, flat m, s in RESP2."""
    if not withscores:
        return [member for member, _ in items]
    if ctx.protocol >= 3:
        return [[member, Double(score)] for member, score in items]
    out: list = []
    for member, score in items:
        out += (member, Double(score))
    return out


def _read(ctx, key: bytes) -> ZSet | None:
    return ZSet.read(ctx.ks, key)


def _write(ctx, key: bytes) -> ZSet | None:
    ctx.ks.check_writable()
    return ZSet.read(ctx.ks, key)


def store_zset(ks: Keyspace, dst: bytes, items: list[tuple[bytes, float]],
               event: bytes = b"") -> int:
    """Replace dst (whatever it holds) by a zset of items; an empty result deletes dst.
    `event` is the keyspace event of the command (zunionstore...)."""
    ks.check_writable()
    replaced = ks.delete(dst)
    if items:
        zs = ZSet(ks, dst, None)
        for member, score in items:
            zs.set(member, score, None)
        zs.save(notify=not replaced)
        if event:
            ks.notify(N.ZSET, event, dst)
    elif replaced and event:
        ks.notify(N.GENERIC, b"del", dst)
    return len(items)


def _saved(zs: ZSet, event: bytes) -> None:
    """Save zs, then notify `event` (and `del` when it emptied the key), as Redis does."""
    zs.save()
    ks = zs.ks
    if ks.notifier is not None:
        ks.notify(N.ZSET, event, zs.key)
        if not zs.size:
            ks.notify(N.GENERIC, b"del", zs.key)


# -- adding and scoring ---------------------------------------------------------------------
@command("zadd", -4, "write denyoom fast", group=GROUP)
def zadd(ctx, args):
    """Add members with scores, or update their scores (NX XX GT LT CH INCR)."""
    flags: set[bytes] = set()
    i = 1
    while i < len(args) and upper(args[i]) in (b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR"):
        flags.add(upper(args[i]))
        i += 1
    pairs = args[i:]
    if not pairs or len(pairs) % 2:
        raise RedisError(errors.SYNTAX)
    nx, xx, gt, lt = (f in flags for f in (b"NX", b"XX", b"GT", b"LT"))
    incr = b"INCR" in flags
    if nx and xx:
        raise RedisError(XX_NX)
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise RedisError(GT_LT_NX)
    if incr and len(pairs) > 2:
        raise RedisError(INCR_PAIR)
    scores = [_score_arg(pairs[j]) for j in range(0, len(pairs), 2)]
    ctx.ks.check_writable()
    zs = ZSet.open(ctx.ks, args[0])
    if not zs.existed and xx:
        return None if incr else 0
    added = updated = processed = 0
    result = 0.0
    for score, member in zip(scores, pairs[1::2]):
        old = zs.score(member)
        if old is None:
            if xx:
                continue
            zs.set(member, score, None)
            added += 1
        else:
            if nx:
                continue
            if incr:
                score += old
                if math.isnan(score):
                    raise RedisError(NAN_SCORE)
            if (lt and score >= old) or (gt and score <= old):
                continue
            if score != old:
                zs.set(member, score, old)
                updated += 1
        processed += 1
        result = score
    if added or updated:
        _saved(zs, b"zincr" if incr else b"zadd")
    if incr:
        return Double(result) if processed else None
    return added + updated if b"CH" in flags else added


@command("zincrby", 4, "write denyoom fast", group=GROUP)
def zincrby(ctx, args):
    """Increment a member's score (a new member starts at 0)."""
    delta = _score_arg(args[1])
    ctx.ks.check_writable()
    zs = ZSet.open(ctx.ks, args[0])
    old = zs.score(args[2])
    score = delta if old is None else old + delta
    if math.isnan(score):
        raise RedisError(NAN_SCORE)
    if old is None or score != old:
        zs.set(args[2], score, old)
        _saved(zs, b"zincr")
    return Double(score)


@command("zrem", -3, "write fast", group=GROUP)
def zrem(ctx, args):
    """Remove members; the key goes when the last one does."""
    zs = _write(ctx, args[0])
    if zs is None:
        return 0
    removed = 0
    for member in args[1:]:
        score = zs.score(member)
        if score is not None:
            zs.remove(member, score)
            removed += 1
    if removed:
        _saved(zs, b"zrem")
    return removed


@command("zcard", 2, "readonly fast", group=GROUP)
def zcard(ctx, args):
    """Number of members."""
    zs = _read(ctx, args[0])
    return zs.size if zs is not None else 0


@command("zscore", 3, "readonly fast", group=GROUP)
def zscore(ctx, args):
    """A member's score."""
    zs = _read(ctx, args[0])
    score = zs.score(args[1]) if zs is not None else None
    return None if score is None else Double(score)


@command("zmscore", -3, "readonly fast", group=GROUP)
def zmscore(ctx, args):
    """Scores of many members (nil for the missing)."""
    zs = _read(ctx, args[0])
    out = []
    for member in args[1:]:
        score = zs.score(member) if zs is not None else None
        out.append(None if score is None else Double(score))
    return out


def _rank(ctx, args, reverse: bool, name: str):
    if len(args) > 3:
        raise errors.wrong_arity(name)
    withscore = False
    if len(args) == 3:
        if upper(args[2]) != b"WITHSCORE":
            raise RedisError(errors.SYNTAX)
        withscore = True
    missing = NULL_ARRAY if withscore else None
    zs = _read(ctx, args[0])
    if zs is None:
        return missing
    score = zs.score(args[1])
    if score is None:
        return missing
    rank = zs.rank(args[1], score)
    if reverse:
        rank = zs.size - 1 - rank
    return [rank, Double(score)] if withscore else rank


@command("zrank", -3, "readonly fast", group=GROUP)
def zrank(ctx, args):
    """A member's 0-based rank by ascending score (WITHSCORE adds its score)."""
    return _rank(ctx, args, False, "zrank")


@command("zrevrank", -3, "readonly fast", group=GROUP)
def zrevrank(ctx, args):
    """A member's 0-based rank by descending score (WITHSCORE adds its score)."""
    return _rank(ctx, args, True, "zrevrank")


@command("zcount", 4, "readonly fast", group=GROUP)
def zcount(ctx, args):
    """Members with scores in a range. Counting walks the range: O(log n + m)."""
    rng = parse_score_range(args[1], args[2])
    zs = _read(ctx, args[0])
    if zs is None or rng is None:
        return 0
    return sum(1 for _ in zs.by_score(rng))


@command("zlexcount", 4, "readonly fast", group=GROUP)
def zlexcount(ctx, args):
    """Members in a lex range (for equal scores). Walks the range: O(log n + m)."""
    rng = parse_lex_range(args[1], args[2])
    zs = _read(ctx, args[0])
    if zs is None:
        return 0
    return sum(1 for _ in zs.by_lex(rng))


# -- ranges ---------------------------------------------------------------------------------
RANK, SCORE, LEX = "rank", "score", "lex"


def _zrange(ctx, key: bytes, low: bytes, high: bytes, opts: list[bytes], *,
            by: str | None = None, rev: bool | None = None, dst: bytes | None = None):
    """zrangeGenericCommand: every Z*RANGE* and ZRANGESTORE. `by`/`rev` are None where the
    command leaves them to BYSCORE/BYLEX/REV options."""
    withscores = False
    offset, limit = 0, -1
    i = 0
    while i < len(opts):
        opt = upper(opts[i])
        left = len(opts) - i - 1
        if opt == b"WITHSCORES" and dst is None:
            withscores = True
        elif opt == b"LIMIT" and left >= 2:
            offset, limit = to_int(opts[i + 1]), to_int(opts[i + 2])
            i += 2
        elif opt == b"REV" and rev is None:
            rev = True
        elif opt == b"BYSCORE" and by is None:
            by = SCORE
        elif opt == b"BYLEX" and by is None:
            by = LEX
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    rev = bool(rev)
    by = by or RANK
    if limit != -1 and by == RANK:
        raise RedisError(LIMIT_RANK)
    if withscores and by == LEX:
        raise RedisError(WITHSCORES_LEX)
    if rev and by != RANK:
        low, high = high, low  # given as max, min
    if by == RANK:
        start, stop = to_int(low), to_int(high)
    elif by == SCORE:
        score_range = parse_score_range(low, high)
    else:
        lex_range = parse_lex_range(low, high)
    zs = _read(ctx, key)
    items: list[tuple[bytes, float]] = []
    if zs is not None:
        if by == RANK:
            items = _rank_range(zs, start, stop, rev)
        elif offset >= 0 and limit != 0:
            found: Iterator[tuple[bytes, float]] = iter(())
            if by == SCORE and score_range is not None:
                found = zs.by_score(score_range, rev)
            elif by == LEX:
                found = zs.by_lex(lex_range, rev)
            items = list(islice(found, offset, None if limit < 0 else offset + limit))
    if dst is not None:
        return store_zset(ctx.ks, dst, items, b"zrangestore")
    return _scored(ctx, items, withscores)


def _rank_range(zs: ZSet, start: int, stop: int, reverse: bool) -> list[tuple[bytes, float]]:
    size = zs.size
    if start < 0:
        start += size
    if stop < 0:
        stop += size
    start = max(start, 0)
    if start > stop or start >= size:
        return []
    return zs.by_rank(start, min(stop, size - 1), reverse)


@command("zrange", -4, "readonly", group=GROUP)
def zrange(ctx, args):
    """Members in a range of ranks, scores (BYSCORE) or lex (BYLEX), REV, LIMIT, WITHSCORES."""
    return _zrange(ctx, args[0], args[1], args[2], args[3:])


@command("zrangestore", -5, "write denyoom", keys=(1, 2, 1), group=GROUP)
def zrangestore(ctx, args):
    """Store a ZRANGE result in a destination key."""
    return _zrange(ctx, args[1], args[2], args[3], args[4:], dst=args[0])


@command("zrevrange", -4, "readonly", group=GROUP)
def zrevrange(ctx, args):
    """Members in a range of ranks, highest score first."""
    return _zrange(ctx, args[0], args[1], args[2], args[3:], by=RANK, rev=True)


@command("zrangebyscore", -4, "readonly", group=GROUP)
def zrangebyscore(ctx, args):
    """Members with scores in [min, max], lowest first."""
    return _zrange(ctx, args[0], args[1], args[2], args[3:], by=SCORE, rev=False)


@command("zrevrangebyscore", -4, "readonly", group=GROUP)
def zrevrangebyscore(ctx, args):
    """Members with scores in [min, max] given as max min, highest first."""
    return _zrange(ctx, args[0], args[1], args[2], args[3:], by=SCORE, rev=True)


@command("zrangebylex", -4, "readonly", group=GROUP)
def zrangebylex(ctx, args):
    """Members in a lex range, lowest first."""
    return _zrange(ctx, args[0], args[1], args[2], args[3:], by=LEX, rev=False)


@command("zrevrangebylex", -4, "readonly", group=GROUP)
def zrevrangebylex(ctx, args):
    """Members in a lex range given as max min, highest first."""
    return _zrange(ctx, args[0], args[1], args[2], args[3:], by=LEX, rev=True)


def _remove_all(ctx, zs: ZSet, items: list[tuple[bytes, float]], event: bytes) -> int:
    for member, score in items:
        zs.remove(member, score)
    if items:
        _saved(zs, event)
    return len(items)


@command("zremrangebyrank", 4, "write", group=GROUP)
def zremrangebyrank(ctx, args):
    """Remove members in a range of ranks."""
    start, stop = to_int(args[1]), to_int(args[2])
    zs = _write(ctx, args[0])
    if zs is None:
        return 0
    return _remove_all(ctx, zs, _rank_range(zs, start, stop, False), b"zremrangebyrank")


@command("zremrangebyscore", 4, "write", group=GROUP)
def zremrangebyscore(ctx, args):
    """Remove members with scores in a range."""
    rng = parse_score_range(args[1], args[2])
    zs = _write(ctx, args[0])
    if zs is None or rng is None:
        return 0
    return _remove_all(ctx, zs, list(zs.by_score(rng)), b"zremrangebyscore")


@command("zremrangebylex", 4, "write", group=GROUP)
def zremrangebylex(ctx, args):
    """Remove members in a lex range."""
    rng = parse_lex_range(args[1], args[2])
    zs = _write(ctx, args[0])
    if zs is None:
        return 0
    return _remove_all(ctx, zs, list(zs.by_lex(rng)), b"zremrangebylex")


# -- pops -----------------------------------------------------------------------------------
def _pop(ctx, zs: ZSet, highest: bool, count: int) -> list[tuple[bytes, float]]:
    items = list(islice(zs.walk(reverse=highest), count))
    _remove_all(ctx, zs, items, b"zpopmax" if highest else b"zpopmin")
    return items


def _first_zset(ctx, keys: list[bytes]) -> tuple[bytes, ZSet] | None:
    """The first key holding a zset (empty zsets do not exist); WRONGTYPE stops the search,
    except when the face re-runs a parked blocking command (the session still holds its
    Block): Redis serves a blocked client only from a key that now holds a zset, and a key
    that became another type keeps it waiting."""
    retrying = getattr(getattr(ctx, "session", None), "blocked", None) is not None
    for key in keys:
        if retrying:
            meta = ctx.ks.meta(key)
            if meta is None or meta.type != KeyType.ZSET:
                continue
        zs = _write(ctx, key)
        if zs is not None:
            return key, zs
    return None


def _zpop(ctx, args, highest: bool):
    if len(args) > 2:
        raise RedisError(errors.SYNTAX)
    count = _positive(args[1]) if len(args) == 2 else None
    zs = _write(ctx, args[0])
    if zs is None or count == 0:
        return []
    items = _pop(ctx, zs, highest, 1 if count is None else count)
    if ctx.protocol >= 3 and count is not None:
        return [[member, Double(score)] for member, score in items]
    return [x for member, score in items for x in (member, Double(score))]


@command("zpopmin", -2, "write fast", group=GROUP)
def zpopmin(ctx, args):
    """Remove and return the lowest-scored members."""
    return _zpop(ctx, args, False)


@command("zpopmax", -2, "write fast", group=GROUP)
def zpopmax(ctx, args):
    """Remove and return the highest-scored members."""
    return _zpop(ctx, args, True)


def _bzpop(ctx, args, highest: bool):
    timeout = to_timeout(args[-1])
    keys = args[:-1]
    found = _first_zset(ctx, keys)
    if found is None:
        return Block(list(dict.fromkeys(keys)), timeout, NULL_ARRAY)
    key, zs = found
    (member, score), = _pop(ctx, zs, highest, 1)
    return [key, member, Double(score)]


@command("bzpopmin", -3, "write noscript blocking fast", keys=(1, -2, 1), group=GROUP)
def bzpopmin(ctx, args):
    """ZPOPMIN over many keys, blocking until one has members."""
    return _bzpop(ctx, args, False)


@command("bzpopmax", -3, "write noscript blocking fast", keys=(1, -2, 1), group=GROUP)
def bzpopmax(ctx, args):
    """ZPOPMAX over many keys, blocking until one has members."""
    return _bzpop(ctx, args, True)


def _mpop_args(args: list[bytes]) -> tuple[list[bytes], bool, int]:
    """numkeys key... MIN|MAX [COUNT n] -> (keys, highest, count)."""
    numkeys = _range_int(args[0], NUMKEYS)
    where = numkeys + 1
    if where >= len(args):
        raise RedisError(errors.SYNTAX)
    side = upper(args[where])
    if side not in (b"MIN", b"MAX"):
        raise RedisError(errors.SYNTAX)
    count = None
    i = where + 1
    while i < len(args):
        if count is None and upper(args[i]) == b"COUNT" and i + 1 < len(args):
            count = _range_int(args[i + 1], COUNT_POSITIVE)
            i += 2
        else:
            raise RedisError(errors.SYNTAX)
    return args[1:where], side == b"MAX", count or 1


def _mpop_reply(ctx, key: bytes, zs: ZSet, highest: bool, count: int):
    items = _pop(ctx, zs, highest, count)
    return [key, [[member, Double(score)] for member, score in items]]


@command("zmpop", -4, "write movablekeys", keys=(0, 0, 0), group=GROUP,
         getkeys=numkeys_keys(1))
def zmpop(ctx, args):
    """Pop from the first non-empty of many zsets: [key, [[member, score], ...]]."""
    keys, highest, count = _mpop_args(args)
    found = _first_zset(ctx, keys)
    if found is None:
        return NULL_ARRAY
    return _mpop_reply(ctx, found[0], found[1], highest, count)


@command("bzmpop", -5, "write blocking movablekeys", keys=(0, 0, 0), group=GROUP,
         getkeys=numkeys_keys(2))
def bzmpop(ctx, args):
    """ZMPOP, blocking until one of the keys has members."""
    timeout = to_timeout(args[0])
    keys, highest, count = _mpop_args(args[1:])
    found = _first_zset(ctx, keys)
    if found is None:
        return Block(list(dict.fromkeys(keys)), timeout, NULL_ARRAY)
    return _mpop_reply(ctx, found[0], found[1], highest, count)


# -- set algebra ----------------------------------------------------------------------------
class _Source:
    """An input of ZUNION/ZINTER/ZDIFF: a zset, a set (every score 1) or a missing key."""

    def __init__(self, ks: Keyspace, key: bytes) -> None:
        meta = ks.meta(key)
        if meta is not None and meta.type not in (KeyType.ZSET, KeyType.SET):
            raise RedisError(errors.WRONGTYPE)
        self.ks, self.key = ks, key
        self.zset = ZSet(ks, key, meta) if meta is not None and meta.type == KeyType.ZSET else None
        self.size = meta.size if meta is not None else 0

    def items(self) -> Iterator[tuple[bytes, float]]:
        if self.zset is not None:
            yield from self.zset.members()
        elif self.size:
            for member, _ in self.ks.entries(self.key):
                yield member, 1.0

    def score(self, member: bytes) -> float | None:
        if self.zset is not None:
            return self.zset.score(member)
        if self.size and self.ks.get_entry(self.key, member) is not None:
            return 1.0
        return None


def _aggregate(how: bytes, acc: float, value: float) -> float:
    if how == b"SUM":
        total = acc + value
        return 0.0 if math.isnan(total) else total
    if how == b"MIN":
        return value if value < acc else acc
    return value if value > acc else acc


def _setop(ctx, name: str, args: list[bytes], op: str, dst: bytes | None = None,
           card_only: bool = False):
    """zunionInterDiffGenericCommand: args start at numkeys."""
    numkeys = to_int(args[0])
    if numkeys < 1:
        raise RedisError(f"ERR at least 1 input key is needed for '{name}' command")
    if numkeys > len(args) - 1:
        raise RedisError(errors.SYNTAX)
    sources = [_Source(ctx.ks, key) for key in args[1:numkeys + 1]]
    weights = [1.0] * numkeys
    how = b"SUM"
    withscores = False
    limit = 0
    i = numkeys + 1
    while i < len(args):
        opt = upper(args[i])
        left = len(args) - i
        if op != "diff" and not card_only and left >= numkeys + 1 and opt == b"WEIGHTS":
            weights = [_score_arg(w, WEIGHT_FLOAT) for w in args[i + 1:i + 1 + numkeys]]
            i += numkeys + 1
        elif op != "diff" and not card_only and left >= 2 and opt == b"AGGREGATE":
            how = upper(args[i + 1])
            if how not in (b"SUM", b"MIN", b"MAX"):
                raise RedisError(errors.SYNTAX)
            i += 2
        elif dst is None and not card_only and opt == b"WITHSCORES":
            withscores = True
            i += 1
        elif card_only and left >= 2 and opt == b"LIMIT":
            try:  # getPositiveLongFromObjectOrReply with a message: one text for all
                limit = _positive(args[i + 1])
            except RedisError:
                raise RedisError(LIMIT_NEGATIVE) from None
            i += 2
        else:
            raise RedisError(errors.SYNTAX)

    if op == "inter":
        result = _inter(sources, weights, how, limit if card_only else 0)
        if card_only:
            return len(result)
    elif op == "union":
        result = _union(sources, weights, how)
    else:
        result = _diff(sources)
    items = sorted(result.items(), key=lambda kv: (kv[1], kv[0]))
    if dst is not None:
        return store_zset(ctx.ks, dst, items, name.encode())
    return _scored(ctx, items, withscores)


def _weighted(score: float, weight: float) -> float:
    value = score * weight
    return 0.0 if math.isnan(value) else value


def _union(sources: list[_Source], weights: list[float], how: bytes) -> dict[bytes, float]:
    acc: dict[bytes, float] = {}
    for src, weight in zip(sources, weights):
        for member, score in src.items():
            value = _weighted(score, weight)
            acc[member] = _aggregate(how, acc[member], value) if member in acc else value
    return acc


def _inter(sources: list[_Source], weights: list[float], how: bytes,
           limit: int) -> dict[bytes, float]:
    """Walk the smallest input, look members up in the others (Redis's order, smallest
    first). `limit` > 0 stops early (ZINTERCARD LIMIT)."""
    order = sorted(range(len(sources)), key=lambda j: sources[j].size)
    if sources[order[0]].size == 0:
        return {}
    first, rest = order[0], order[1:]
    acc: dict[bytes, float] = {}
    for member, score in sources[first].items():
        value = _weighted(score, weights[first])
        for j in rest:
            other = sources[j].score(member)
            if other is None:
                break
            value = _aggregate(how, value, other * weights[j])
        else:
            acc[member] = value
            if limit and len(acc) >= limit:
                break
    return acc


def _diff(sources: list[_Source]) -> dict[bytes, float]:
    first, rest = sources[0], [s for s in sources[1:] if s.size]
    return {member: score for member, score in first.items()
            if all(src.score(member) is None for src in rest)}


@command("zunion", -3, "readonly movablekeys", keys=(0, 0, 0), group=GROUP,
         getkeys=numkeys_keys(1))
def zunion(ctx, args):
    """Union of zsets (and sets) with WEIGHTS, AGGREGATE and WITHSCORES."""
    return _setop(ctx, "zunion", args, "union")


@command("zinter", -3, "readonly movablekeys", keys=(0, 0, 0), group=GROUP,
         getkeys=numkeys_keys(1))
def zinter(ctx, args):
    """Intersection of zsets (and sets) with WEIGHTS, AGGREGATE and WITHSCORES."""
    return _setop(ctx, "zinter", args, "inter")


@command("zdiff", -3, "readonly movablekeys", keys=(0, 0, 0), group=GROUP,
         getkeys=numkeys_keys(1))
def zdiff(ctx, args):
    """Members of the first zset in none of the others."""
    return _setop(ctx, "zdiff", args, "diff")


@command("zunionstore", -4, "write denyoom movablekeys", keys=(1, 1, 1), group=GROUP,
         getkeys=numkeys_keys(2, 1))
def zunionstore(ctx, args):
    """Store a union of zsets; returns the size of the result."""
    return _setop(ctx, "zunionstore", args[1:], "union", dst=args[0])


@command("zinterstore", -4, "write denyoom movablekeys", keys=(1, 1, 1), group=GROUP,
         getkeys=numkeys_keys(2, 1))
def zinterstore(ctx, args):
    """Store an intersection of zsets; returns the size of the result."""
    return _setop(ctx, "zinterstore", args[1:], "inter", dst=args[0])


@command("zdiffstore", -4, "write denyoom movablekeys", keys=(1, 1, 1), group=GROUP,
         getkeys=numkeys_keys(2, 1))
def zdiffstore(ctx, args):
    """Store a difference of zsets; returns the size of the result."""
    return _setop(ctx, "zdiffstore", args[1:], "diff", dst=args[0])


@command("zintercard", -3, "readonly movablekeys", keys=(0, 0, 0), group=GROUP,
         getkeys=numkeys_keys(1))
def zintercard(ctx, args):
    """Size of an intersection, counting up to LIMIT (0 = all)."""
    return _setop(ctx, "zintercard", args, "inter", card_only=True)


# -- random members and scanning -------------------------------------------------------------
@command("zrandmember", -2, "readonly", group=GROUP)
def zrandmember(ctx, args):
    """Random members: one, COUNT distinct, or -COUNT with repeats (WITHSCORES).

    There is no rank index to jump into, so picking walks the order index up to the highest
    rank drawn: O(n) at worst, without holding the set in memory."""
    if len(args) == 1:
        zs = _read(ctx, args[0])
        if zs is None:
            return None
        return _at_ranks(zs, [random.randrange(zs.size)])[0][0]
    count = to_int(args[1])
    if count < -INT64_MAX:
        raise RedisError(LONG_RANGE)
    if len(args) > 3 or (len(args) == 3 and upper(args[2]) != b"WITHSCORES"):
        raise RedisError(errors.SYNTAX)
    withscores = len(args) == 3
    if withscores and not -(INT64_MAX // 2) <= count <= INT64_MAX // 2:
        raise RedisError("ERR value is out of range")
    zs = _read(ctx, args[0])
    if zs is None or count == 0:
        return []
    size = zs.size
    if count < 0:
        ranks = [random.randrange(size) for _ in range(-count)]
    elif count >= size:
        return _scored(ctx, list(zs.walk()), withscores)
    else:
        ranks = random.sample(range(size), count)
    return _scored(ctx, _at_ranks(zs, ranks), withscores)


def _at_ranks(zs: ZSet, ranks: list[int]) -> list[tuple[bytes, float]]:
    """Members at the given ascending ranks, in the order of `ranks` (repeats allowed)."""
    wanted = set(ranks)
    last = max(wanted)
    found: dict[int, tuple[bytes, float]] = {}
    for rank, item in enumerate(zs.walk()):
        if rank in wanted:
            found[rank] = item
        if rank >= last:
            break
    return [found[r] for r in ranks]


@command("zscan", -3, "readonly", group=GROUP)
def zscan(ctx, args):
    """Iterate members and scores with a cursor (MATCH, COUNT); cursors.py keeps the
    resume points, the walk is in member order over the member index."""
    cursor = parse_cursor(args[1])
    zs = _read(ctx, args[0])
    if zs is None:
        return [b"0", []]
    opts = ScanOptions(args[2:])
    next_cursor, found = scan_entries(ctx.ks, args[0], zs.size, cursor, opts)
    flat: list[bytes] = []
    for member, value in found:
        flat += (member, format_double(unpack_double(value)))
    return [next_cursor, flat]


__all__ = ["parse_score_range", "parse_lex_range", "store_zset", "INF"]
