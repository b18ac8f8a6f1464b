"""Stream commands (t_stream.c): XADD/XRANGE/XREAD and friends, consumer groups, XINFO.

Entries and groups live in `store/stream_type.py`; this module parses arguments in the order
Redis does (so the first error a client sees is Redis's), runs the operation and shapes the
reply. An entry is replied as [id, [field, value, ...]].

Blocking XREAD/XREADGROUP return a `Block`; the face runs them again when a key is written.
XREAD's `$` means "the last id when the command first ran": Redis rewrites the argument; we
keep the resolved ids on the Block's key list (`_Waiting`) and read them back on a re-run.
"""
from __future__ import annotations

import math
import re
import time
from itertools import islice

from mimeidb.commands import errors
from mimeidb.commands.args import INT64_MAX, to_int, upper
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import NULL_ARRAY, OK, Block, Map, Simple
from mimeidb.commands.table import command
from mimeidb.store import notify as N
from mimeidb.store.encoding import KeyType
from mimeidb.store.stream_type import (
    ID_MAX, INVALID_ENTRIES_READ, MAX_ID, MIN_ID, Group, Nack, Stream, StreamID, format_id,
    next_id, prev_id,
)

INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
ID_TOO_SMALL = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
ID_ZERO = "ERR The ID specified in XADD must be greater than 0-0"
ID_EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items"
MAXLEN_AND_MINID = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
MAXLEN_NEGATIVE = "ERR The MAXLEN argument must be >= 0."
LIMIT_NEGATIVE = "ERR The LIMIT argument must be >= 0."
LIMIT_NO_STRATEGY = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
XTRIM_NO_STRATEGY = "ERR syntax error, XTRIM must be called with a trimming strategy"
LIMIT_NO_TILDE = "ERR syntax error, LIMIT cannot be used without the special ~ option"
BAD_START = "ERR invalid start ID for the interval"
BAD_END = "ERR invalid end ID for the interval"
BUSYGROUP = "BUSYGROUP Consumer Group name already exists"
XGROUP_NO_KEY = ("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you "
                 "may want to use the MKSTREAM option to create an empty stream automatically.")
ENTRIESREAD = "ERR value for ENTRIESREAD must be positive or -1"
DOLLAR_IN_GROUP = ("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read "
                   "the history of this consumer by specifying a proper ID, or use the > ID to "
                   "get new messages. The $ ID would just return an empty result set.")
GT_IN_XREAD = ("ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
               "<group> <consumer> option.")

# Redis's defaults for the node bounds (CONFIG stream-node-max-entries / -bytes).
NODE_MAX_ENTRIES = 100
NODE_MAX_BYTES = 4096

_CANONICAL = re.compile(rb"(0|-?[1-9][0-9]*)\Z")
_STRTOULL = re.compile(rb"[ \t\n\v\f\r]*\+?[0-9]+\Z")


def _now() -> int:
    return time.time_ns() // 1_000_000


def _ull(raw: bytes) -> int | None:
    """Redis's string2ull: an int64 in canonical form, else what strtoull takes whole."""
    if _CANONICAL.match(raw) and len(raw) <= 20:
        value = int(raw)
        if value < 0 or value >= 1 << 63:
            return None if value < 0 else (value if value <= ID_MAX else None)
        return value
    if not _STRTOULL.match(raw):
        return None
    value = int(raw.strip(b" \t\n\v\f\r"))
    return value if value <= ID_MAX else None


def parse_id(raw: bytes, missing_seq: int = 0, strict: bool = False,
             star_seq: bool = False) -> tuple[StreamID, bool]:
    """streamGenericParseIDOrReply: (id, seq_given). `-`/`+` unless strict; `ms-*` only
    when star_seq (XADD), giving seq_given False."""
    if len(raw) > 127:
        raise RedisError(INVALID_ID)
    if raw in (b"-", b"+"):
        if strict:
            raise RedisError(INVALID_ID)
        return (MIN_ID if raw == b"-" else MAX_ID), True
    ms_text, dash, seq_text = raw.partition(b"-")
    ms = _ull(ms_text)
    if ms is None:
        raise RedisError(INVALID_ID)
    if not dash:
        return (ms, missing_seq), True
    if star_seq and seq_text == b"*":
        return (ms, 0), False
    seq = _ull(seq_text)
    if seq is None:
        raise RedisError(INVALID_ID)
    return (ms, seq), True


def _interval(raw: bytes, missing_seq: int) -> tuple[StreamID, bool]:
    """A range bound: `(` makes it exclusive (then strict: no `-`/`+`)."""
    if len(raw) > 1 and raw[:1] == b"(":
        return parse_id(raw[1:], missing_seq, strict=True)[0], True
    return parse_id(raw, missing_seq)[0], False


def _range_start(raw: bytes) -> StreamID:
    sid, exclusive = _interval(raw, 0)
    if exclusive:
        sid = next_id(sid)
        if sid is None:
            raise RedisError(BAD_START)
    return sid


def _range_end(raw: bytes) -> StreamID:
    sid, exclusive = _interval(raw, ID_MAX)
    if exclusive:
        sid = prev_id(sid)
        if sid is None:
            raise RedisError(BAD_END)
    return sid


def _entry(sid: StreamID, fields: list[bytes]) -> list:
    return [format_id(sid), fields]


def _node_limits(ctx) -> tuple[int, int]:
    config = getattr(getattr(ctx, "services", None), "config", None) or {}
    try:
        entries = int(config.get("stream-node-max-entries", NODE_MAX_ENTRIES))
        size = int(config.get("stream-node-max-bytes", NODE_MAX_BYTES))
    except (TypeError, ValueError):
        return NODE_MAX_ENTRIES, NODE_MAX_BYTES
    return entries, size


def _nogroup(key: bytes, group: bytes, where: str = "") -> RedisError:
    text = f"NOGROUP No such key '{key.decode('utf-8', 'replace')}' or consumer group " \
           f"'{group.decode('utf-8', 'replace')}'"
    return RedisError(text + where)


def _nogroup_for_key(key: bytes, group: bytes) -> RedisError:
    return RedisError(f"NOGROUP No such consumer group '{group.decode('utf-8', 'replace')}' "
                      f"for key name '{key.decode('utf-8', 'replace')}'")


# -- XADD / XTRIM ------------------------------------------------------------------------
class _Trim:
    __slots__ = ("maxlen", "minid", "approx", "limit", "nomkstream", "id", "seq_given",
                 "auto", "at")

    def __init__(self) -> None:
        self.maxlen: int | None = None
        self.minid: StreamID | None = None
        self.approx = False
        self.limit = 0
        self.nomkstream = False
        self.id: StreamID = MIN_ID
        self.seq_given = True
        self.auto = True
        self.at = 0


def _parse_trim(ctx, args: list[bytes], xadd: bool) -> _Trim:
    """streamParseAddOrTrimArgsOrReply over args after the key; `at` is the ID's index."""
    opts = _Trim()
    limit_given = False
    i = 1
    n = len(args)
    while i < n:
        more = n - 1 - i
        word = args[i]
        opt = upper(word)
        if xadd and word == b"*":
            break
        if opt in (b"MAXLEN", b"MINID") and more:
            if opts.maxlen is not None or opts.minid is not None:
                raise RedisError(MAXLEN_AND_MINID)
            opts.approx = False
            if more >= 2 and args[i + 1] == b"~":
                opts.approx = True
                i += 1
            elif more >= 2 and args[i + 1] == b"=":
                i += 1
            if opt == b"MAXLEN":
                value = to_int(args[i + 1])
                if value < 0:
                    raise RedisError(MAXLEN_NEGATIVE)
                opts.maxlen = value
            else:
                opts.minid = parse_id(args[i + 1], strict=True)[0]
            i += 1
        elif opt == b"LIMIT" and more:
            value = to_int(args[i + 1])
            if value < 0:
                raise RedisError(LIMIT_NEGATIVE)
            opts.limit = value
            limit_given = True
            i += 1
        elif xadd and opt == b"NOMKSTREAM":
            opts.nomkstream = True
        elif xadd:
            opts.id, opts.seq_given = parse_id(word, strict=True, star_seq=True)
            opts.auto = False
            break
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    opts.at = i
    strategy = opts.maxlen is not None or opts.minid is not None
    if opts.limit and not strategy:
        raise RedisError(LIMIT_NO_STRATEGY)
    if not xadd and not strategy:
        raise RedisError(XTRIM_NO_STRATEGY)
    if limit_given:
        if not opts.approx:
            raise RedisError(LIMIT_NO_TILDE)
    elif opts.approx:
        opts.limit = 100 * _node_limits(ctx)[0]
        if opts.limit <= 0:
            opts.limit = 10000
    else:
        opts.limit = 0
    return opts


def _new_id(stream: Stream, opts: _Trim) -> StreamID:
    last = stream.last_id
    if opts.auto:
        now = _now()
        if now > last[0]:
            return now, 0
        sid = next_id(last)
        if sid is None:
            raise RedisError(ID_TOO_SMALL)
        return sid
    sid = opts.id
    if not opts.seq_given:
        if sid[0] == last[0]:
            if last[1] == ID_MAX:
                raise RedisError(ID_TOO_SMALL)
            sid = (last[0], last[1] + 1)
    if sid <= last:
        raise RedisError(ID_TOO_SMALL)
    return sid


@command("xadd", -5, "write denyoom fast", group="stream")
def xadd(ctx, args):
    """Append an entry to a stream (creating it), optionally trimming it; the new entry's id."""
    opts = _parse_trim(ctx, args, xadd=True)
    fields = args[opts.at + 1:]
    if len(fields) < 2 or len(fields) % 2:
        raise errors.wrong_arity("xadd")
    if not opts.auto and opts.seq_given and opts.id == MIN_ID:
        raise RedisError(ID_ZERO)
    ks = ctx.ks
    ks.check_writable()
    meta = ks.typed(args[0], KeyType.STREAM)
    if meta is None and opts.nomkstream:
        return None
    stream = Stream(ks, args[0], meta)
    if stream.last_id == MAX_ID:
        raise RedisError(ID_EXHAUSTED)
    sid = _new_id(stream, opts)
    stream.append(sid, fields, *_node_limits(ctx))
    trimmed = stream.trim(opts.maxlen, opts.minid, opts.approx, opts.limit)
    stream.save()
    ks.notify(N.STREAM, b"xadd", args[0])
    if trimmed:
        ks.notify(N.STREAM, b"xtrim", args[0])
    return format_id(sid)


@command("xtrim", -4, "write", group="stream")
def xtrim(ctx, args):
    """Trim a stream by MAXLEN or MINID; the number of entries removed."""
    opts = _parse_trim(ctx, args, xadd=False)
    ks = ctx.ks
    stream = Stream.load(ks, args[0])
    if stream is None:
        return 0
    ks.check_writable()
    deleted = stream.trim(opts.maxlen, opts.minid, opts.approx, opts.limit)
    if deleted:
        stream.save()
        ks.notify(N.STREAM, b"xtrim", args[0])
    return deleted


@command("xdel", -3, "write fast", group="stream")
def xdel(ctx, args):
    """Delete entries by id; the number deleted. The stream stays, even when emptied."""
    ks = ctx.ks
    stream = Stream.load(ks, args[0])
    if stream is None:
        return 0
    ids = [parse_id(raw, strict=True)[0] for raw in args[1:]]
    ks.check_writable()
    deleted = 0
    first_gone = False
    for sid in ids:
        if stream.delete(sid):
            if sid == stream.first_id:
                first_gone = True
            if sid > stream.max_deleted:
                stream.max_deleted = sid
            deleted += 1
    if deleted:
        if stream.length == 0:
            stream.first_id = MIN_ID
        elif first_gone:
            stream.first_id = stream.edge(last=False) or MIN_ID
        stream.save()
        ks.notify(N.STREAM, b"xdel", args[0])
    return deleted


@command("xlen", 2, "readonly fast", group="stream")
def xlen(ctx, args):
    """Number of entries in a stream (0 if missing)."""
    stream = Stream.load(ctx.ks, args[0])
    return 0 if stream is None else stream.length


@command("xsetid", -3, "write denyoom fast", group="stream")
def xsetid(ctx, args):
    """Set a stream's last id (and ENTRIESADDED / MAXDELETEDID)."""
    sid = parse_id(args[1], strict=True)[0]
    added = -1
    max_deleted = MIN_ID
    i = 2
    while i < len(args):
        opt = upper(args[i])
        more = len(args) - 1 - i
        if opt == b"ENTRIESADDED" and more:
            added = to_int(args[i + 1])
            if added < 0:
                raise RedisError("ERR entries_added must be positive")
        elif opt == b"MAXDELETEDID" and more:
            max_deleted = parse_id(args[i + 1], strict=True)[0]
            if sid < max_deleted:
                raise RedisError("ERR The ID specified in XSETID is smaller than the provided "
                                 "max_deleted_entry_id")
        else:
            raise RedisError(errors.SYNTAX)
        i += 2
    ks = ctx.ks
    stream = Stream.load(ks, args[0])
    if stream is None:
        raise RedisError(errors.NO_SUCH_KEY)
    if sid < stream.max_deleted:
        raise RedisError("ERR The ID specified in XSETID is smaller than current "
                         "max_deleted_entry_id")
    if stream.length:
        top = stream.edge(last=True)
        if top is not None and sid < top:
            raise RedisError("ERR The ID specified in XSETID is smaller than the target stream "
                             "top item")
        if added != -1 and stream.length > added:
            raise RedisError("ERR The entries_added specified in XSETID is smaller than the "
                             "target stream length")
    ks.check_writable()
    stream.last_id = sid
    if added != -1:
        stream.entries_added = added
    if max_deleted != MIN_ID:
        stream.max_deleted = max_deleted
    stream.save()
    ks.notify(N.STREAM, b"xsetid", args[0])
    return OK


# -- XRANGE ------------------------------------------------------------------------------
def _xrange(ctx, args, reverse: bool):
    start = _range_start(args[2] if reverse else args[1])
    end = _range_end(args[1] if reverse else args[2])
    count = -1
    i = 3
    while i < len(args):
        if upper(args[i]) == b"COUNT" and i + 1 < len(args):
            count = max(to_int(args[i + 1]), 0)
            i += 2
        else:
            raise RedisError(errors.SYNTAX)
    stream = Stream.load(ctx.ks, args[0])
    if stream is None:
        return []
    if count == 0:
        return NULL_ARRAY
    return [_entry(sid, fields) for sid, fields in
            stream.range(start, end, reverse, max(count, 0))]


@command("xrange", -4, "readonly", group="stream")
def xrange(ctx, args):
    """Entries between two ids (`-`, `+`, `(` exclusive), oldest first, optional COUNT."""
    return _xrange(ctx, args, reverse=False)


@command("xrevrange", -4, "readonly", group="stream")
def xrevrange(ctx, args):
    """Entries between two ids, newest first (end id first), optional COUNT."""
    return _xrange(ctx, args, reverse=True)


# -- XREAD / XREADGROUP ------------------------------------------------------------------
class _Waiting(list):
    """The keys a blocked XREAD waits on, carrying the ids `$` resolved to."""

    ids: list[StreamID]


def _read_keys(argv: list[bytes]) -> list[bytes]:
    """COMMAND GETKEYS for XREAD/XREADGROUP: the first half of the words after STREAMS."""
    for i in range(1, len(argv)):
        if upper(argv[i]) == b"STREAMS":
            rest = argv[i + 1:]
            return rest[:len(rest) // 2]
    return []


def _retry_state(ctx):
    session = getattr(ctx, "session", None)
    blocked = getattr(session, "blocked", None)
    if blocked is None:
        return None, False
    keys = blocked[2].keys
    return (keys.ids if isinstance(keys, _Waiting) else None), True


def _estimate_read(stream: Stream, sid: StreamID) -> int:
    """streamEstimateDistanceFromFirstEverEntry: the logical read counter of sid, or -1."""
    if not stream.entries_added:
        return 0
    if not stream.length and sid <= stream.last_id:
        return stream.entries_added
    if sid == stream.last_id:
        return stream.entries_added
    if sid > stream.last_id:
        return INVALID_ENTRIES_READ
    if stream.max_deleted == MIN_ID or stream.max_deleted < stream.first_id:
        if sid < stream.first_id:
            return stream.entries_added - stream.length
        if sid == stream.first_id:
            return stream.entries_added - stream.length + 1
    return INVALID_ENTRIES_READ


def _has_tombstones(stream: Stream, start: StreamID) -> bool:
    """streamRangeHasTombstones(start, +inf)."""
    if not stream.length or stream.max_deleted == MIN_ID:
        return False
    if stream.first_id > stream.max_deleted:
        return False
    return start <= stream.max_deleted


def _lag(stream: Stream, group: Group):
    if not stream.entries_added:
        return 0
    if group.entries_read != INVALID_ENTRIES_READ and not _has_tombstones(stream, group.last_id):
        return stream.entries_added - group.entries_read
    read = _estimate_read(stream, group.last_id)
    return None if read == INVALID_ENTRIES_READ else stream.entries_added - read


def _serve_group(stream: Stream, group: Group, consumer: bytes, start: StreamID, count: int,
                 noack: bool, now: int) -> list:
    """New entries for a group (`>`): advance last_id/entries_read, add to the PEL."""
    out = []
    for sid, fields in stream.range(start, MAX_ID, count=count):
        if sid > group.last_id:
            if group.entries_read != INVALID_ENTRIES_READ and not _has_tombstones(stream, sid):
                group.entries_read += 1
            elif stream.entries_added:
                group.entries_read = _estimate_read(stream, sid)
            group.last_id = sid
        out.append(_entry(sid, fields))
        if not noack:
            stream.put_nack(group.name, sid, Nack(consumer, now, 1))
    stream.put_group(group)
    return out


def _serve_history(stream: Stream, group: Group, consumer: bytes, start: StreamID, count: int,
                   now: int) -> list:
    """A consumer's own pending entries from start (deleted ones as [id, nil])."""
    out = []
    for sid, nack in stream.pending(group.name, start):
        if nack.consumer != consumer:
            continue
        fields = stream.get(sid)
        if fields is None:
            out.append([format_id(sid), NULL_ARRAY])
        else:
            out.append(_entry(sid, fields))
            nack.delivery_time = now
            nack.delivery_count += 1
            stream.put_nack(group.name, sid, nack)
        if count and len(out) >= count:
            break
    return out


def _xread(ctx, args, grouped: bool):
    name = "xreadgroup" if grouped else "xread"
    timeout = None
    count = 0
    streams_at = 0
    group_name = consumer = None
    noack = False
    i = 0
    n = len(args)
    while i < n:
        more = n - 1 - i
        opt = upper(args[i])
        if opt == b"BLOCK" and more:
            i += 1
            timeout = to_timeout_ms(args[i])
        elif opt == b"COUNT" and more:
            i += 1
            count = max(to_int(args[i]), 0)
        elif opt == b"STREAMS" and more:
            streams_at = i + 1
            if (n - streams_at) % 2:
                symbol = ">" if grouped else "$"
                raise RedisError(f"ERR Unbalanced '{name}' list of streams: for each stream key "
                                 f"an ID or '{symbol}' must be specified.")
            break
        elif opt == b"GROUP" and more >= 2:
            if not grouped:
                raise RedisError("ERR The GROUP option is only supported by XREADGROUP. You "
                                 "called XREAD instead.")
            group_name, consumer = args[i + 1], args[i + 2]
            i += 2
        elif opt == b"NOACK":
            if not grouped:
                raise RedisError("ERR The NOACK option is only supported by XREADGROUP. You "
                                 "called XREAD instead.")
            noack = True
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    if not streams_at:
        raise RedisError(errors.SYNTAX)
    if grouped and group_name is None:
        raise RedisError("ERR Missing GROUP option for XREADGROUP")
    nkeys = (n - streams_at) // 2
    keys = args[streams_at:streams_at + nkeys]
    id_args = args[streams_at + nkeys:]
    ks = ctx.ks
    resolved, retrying = _retry_state(ctx)

    streams: list[Stream | None] = []
    groups: list[Group | None] = []
    ids: list[StreamID] = []
    for idx, (key, raw) in enumerate(zip(keys, id_args)):
        meta = ks.meta(key)
        if meta is not None and meta.type != KeyType.STREAM:
            if retrying and not grouped:
                meta = None  # Redis serves a blocked XREAD only from a stream
            else:
                raise RedisError(errors.WRONGTYPE)
        stream = None if meta is None else Stream(ks, key, meta)
        group = None
        if grouped:
            group = None if stream is None else stream.group(group_name)
            if group is None:
                raise _nogroup(key, group_name, " in XREADGROUP with GROUP option")
        streams.append(stream)
        groups.append(group)
        if raw == b"$":
            if grouped:
                raise RedisError(DOLLAR_IN_GROUP)
            if resolved is not None:
                ids.append(resolved[idx])
            else:
                ids.append(stream.last_id if stream is not None else MIN_ID)
            continue
        if raw == b">":
            if not grouped:
                raise RedisError(GT_IN_XREAD)
            ids.append(MAX_ID)
            continue
        ids.append(parse_id(raw, strict=True)[0])

    if grouped:
        ks.check_writable()
    now = _now()
    served = []
    for key, stream, group, after in zip(keys, streams, groups, ids):
        if stream is None:
            continue
        history = False
        serve = False
        if group is not None:
            if after != MAX_ID:
                serve = history = True
            elif stream.length:
                top = stream.edge(last=True)
                serve = top is not None and top > group.last_id
                after = group.last_id
            known = stream.consumer(group_name, consumer)
            if serve or not retrying or known is None:
                stream.put_consumer(group_name, consumer, now,
                                    known[1] if known is not None else -1)
                if known is None:
                    ctx.ks.notify(N.STREAM, b"xgroup-createconsumer", key)
        elif stream.length:
            top = stream.edge(last=True)
            serve = top is not None and top > after
        if not serve:
            continue
        start = next_id(after) or MAX_ID
        if group is None:
            entries = [_entry(sid, fields) for sid, fields in stream.range(start, MAX_ID,
                                                                           count=count)]
        elif history:
            entries = _serve_history(stream, group, consumer, start, count, now)
        else:
            entries = _serve_group(stream, group, consumer, start, count, noack, now)
            if entries and not noack:
                stream.put_consumer(group_name, consumer, now, now)
        served.append((key, entries))
    if served:
        if ctx.protocol >= 3:
            return Map(served)
        return [[key, entries] for key, entries in served]
    if timeout is None:
        return NULL_ARRAY
    waiting = _Waiting(dict.fromkeys(keys))
    waiting.ids = ids
    return Block(keys=waiting, timeout=timeout, timeout_reply=NULL_ARRAY)


def to_timeout_ms(raw: bytes) -> float:
    """BLOCK's milliseconds (getTimeoutFromObjectOrReply, UNIT_MILLISECONDS) as Block's
    seconds; 0 blocks forever."""
    from mimeidb.commands import longdouble
    value = longdouble.parse(raw)
    if value is None:
        raise RedisError(errors.TIMEOUT_NOT_FLOAT)
    millis = math.ceil(float(value))
    if millis < 0:
        raise RedisError(errors.TIMEOUT_NEGATIVE)
    if millis > INT64_MAX - _now():
        raise RedisError(errors.TIMEOUT_OUT_OF_RANGE)
    return millis / 1000


@command("xread", -4, "readonly blocking movablekeys", keys=(0, 0, 0), group="stream",
         getkeys=_read_keys)
def xread(ctx, args):
    """Entries after the given ids from one or more streams, optionally blocking for new ones."""
    return _xread(ctx, args, grouped=False)


@command("xreadgroup", -7, "write blocking movablekeys", keys=(0, 0, 0), group="stream",
         getkeys=_read_keys)
def xreadgroup(ctx, args):
    """Read as a consumer of a group: new entries (`>`) or the consumer's pending history."""
    return _xread(ctx, args, grouped=True)


# -- XGROUP ------------------------------------------------------------------------------
XGROUP_HELP = [
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Print this help.",
]
_XGROUP_ARITY = {b"create": -5, b"setid": -5, b"destroy": 4, b"createconsumer": 5,
                 b"delconsumer": 5, b"help": 2}


def _sub_arity(args: list[bytes], table: dict[bytes, int], name: str) -> bytes:
    sub = args[0].lower()
    arity = table.get(sub)
    if arity is None:
        raise errors.unknown_subcommand(args[0], name)
    argc = len(args) + 1
    if (arity > 0 and argc != arity) or (arity < 0 and argc < -arity):
        raise errors.wrong_arity(f"{name}|{sub.decode()}")
    return sub


def _subcommand_syntax(args: list[bytes], name: str) -> RedisError:
    return RedisError(f"ERR unknown subcommand or wrong number of arguments for "
                      f"'{args[0].decode('utf-8', 'replace')}'. Try {name.upper()} HELP.")


@command("xgroup", -2, "write", keys=(2, 2, 1), group="stream")
def xgroup(ctx, args):
    """Manage consumer groups: CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP."""
    sub = _sub_arity(args, _XGROUP_ARITY, "xgroup")
    if sub == b"help":
        return [Simple(line) for line in XGROUP_HELP]
    ks = ctx.ks
    key, name = args[1], args[2]
    mkstream = False
    entries_read = INVALID_ENTRIES_READ
    i = 4
    while i < len(args):
        opt = upper(args[i])
        if sub == b"create" and opt == b"MKSTREAM":
            mkstream = True
            i += 1
        elif sub in (b"create", b"setid") and opt == b"ENTRIESREAD" and i + 1 < len(args):
            entries_read = to_int(args[i + 1])
            if entries_read < 0 and entries_read != INVALID_ENTRIES_READ:
                raise RedisError(ENTRIESREAD)
            i += 2
        else:
            raise _subcommand_syntax(args, "xgroup")
    stream = Stream.load(ks, key)
    group = None
    if not mkstream:
        if stream is None:
            raise RedisError(XGROUP_NO_KEY)
        group = stream.group(name)
        if group is None and sub in (b"setid", b"createconsumer", b"delconsumer"):
            raise _nogroup_for_key(key, name)
    ks.check_writable()
    if sub == b"create" and len(args) <= 7:
        if args[3] == b"$":
            sid = stream.last_id if stream is not None else MIN_ID
        else:
            sid = parse_id(args[3], strict=True)[0]
        if stream is None:
            stream = Stream(ks, key, None)
            stream.save()
        elif group is None:
            group = stream.group(name)
        if group is not None:
            raise RedisError(BUSYGROUP)
        stream.put_group(Group(name, sid, entries_read))
        ks.modified(key)
        ks.notify(N.STREAM, b"xgroup-create", key)
        return OK
    if sub == b"setid" and len(args) in (4, 6):
        if args[3] == b"$":
            sid = stream.last_id
        else:
            sid = parse_id(args[3])[0]
        group.last_id = sid
        group.entries_read = entries_read
        stream.put_group(group)
        ks.modified(key)
        ks.notify(N.STREAM, b"xgroup-setid", key)
        return OK
    if sub == b"destroy":
        if group is None:
            return 0
        stream.delete_group(name)
        ks.modified(key)
        ks.notify(N.STREAM, b"xgroup-destroy", key)
        return 1
    if sub == b"createconsumer":
        if stream.consumer(name, args[3]) is not None:
            return 0
        stream.put_consumer(name, args[3], _now(), -1)
        ks.modified(key)
        ks.notify(N.STREAM, b"xgroup-createconsumer", key)
        return 1
    if sub == b"delconsumer":
        if stream.consumer(name, args[3]) is None:
            return 0
        pending = 0
        for sid, nack in list(stream.pending(name)):
            if nack.consumer == args[3]:
                stream.delete_nack(name, sid)
                pending += 1
        stream.delete_consumer(name, args[3])
        ks.modified(key)
        ks.notify(N.STREAM, b"xgroup-delconsumer", key)
        return pending
    raise _subcommand_syntax(args, "xgroup")


# -- XACK / XPENDING / XCLAIM / XAUTOCLAIM -----------------------------------------------
@command("xack", -4, "write fast", group="stream")
def xack(ctx, args):
    """Remove ids from a group's pending list; how many were pending."""
    ks = ctx.ks
    stream = Stream.load(ks, args[0])
    group = None if stream is None else stream.group(args[1])
    if group is None:
        return 0
    ids = [parse_id(raw, strict=True)[0] for raw in args[2:]]
    acked = 0
    for sid in ids:
        if stream.nack(group.name, sid) is not None:
            ks.check_writable()
            stream.delete_nack(group.name, sid)
            acked += 1
    return acked


@command("xpending", -3, "readonly", group="stream")
def xpending(ctx, args):
    """A group's pending summary, or its pending entries in a range (IDLE, consumer)."""
    argc = len(args) + 1
    if argc != 3 and not 6 <= argc <= 9:
        raise RedisError(errors.SYNTAX)
    key, group_name = args[0], args[1]
    consumer = None
    if argc >= 6:
        at = 2
        min_idle = 0
        if upper(args[2]) == b"IDLE":
            min_idle = to_int(args[3])
            if argc < 8:
                raise RedisError(errors.SYNTAX)
            at += 2
        count = max(to_int(args[at + 2]), 0)
        start = _range_start(args[at])
        end = _range_end(args[at + 1])
        if at + 3 < len(args):
            consumer = args[at + 3]
    stream = Stream.load(ctx.ks, key)
    group = None if stream is None else stream.group(group_name)
    if group is None:
        raise _nogroup(key, group_name)
    if argc == 3:
        pending = list(stream.pending(group_name))
        if not pending:
            return [0, None, None, NULL_ARRAY]
        per: dict[bytes, int] = {}
        for _, nack in pending:
            per[nack.consumer] = per.get(nack.consumer, 0) + 1
        return [len(pending), format_id(pending[0][0]), format_id(pending[-1][0]),
                [[name, b"%d" % per[name]] for name in sorted(per)]]
    if consumer is not None and stream.consumer(group_name, consumer) is None:
        return []
    now = _now()
    out = []
    if not count:
        return out
    for sid, nack in stream.pending(group_name, start, end):
        if consumer is not None and nack.consumer != consumer:
            continue
        idle = now - nack.delivery_time
        if min_idle and idle < min_idle:
            continue
        out.append([format_id(sid), nack.consumer, max(idle, 0), nack.delivery_count])
        if len(out) >= count:
            break
    return out


def _claim_number(raw: bytes, error: str) -> int:
    return to_int(raw, "ERR " + error)


@command("xclaim", -6, "write fast", group="stream")
def xclaim(ctx, args):
    """Take pending entries idle for at least min-idle-time for a consumer."""
    ks = ctx.ks
    key, group_name, consumer = args[0], args[1], args[2]
    stream = Stream.load(ks, key)
    group = None if stream is None else stream.group(group_name)
    if group is None:
        raise _nogroup(key, group_name)
    min_idle = max(_claim_number(args[3], "Invalid min-idle-time argument for XCLAIM"), 0)
    ids = []
    j = 4
    while j < len(args):
        try:
            ids.append(parse_id(args[j], strict=True)[0])
        except RedisError:
            break
        j += 1
    now = _now()
    retrycount = -1
    delivery = -1
    force = justid = False
    last_id = MIN_ID
    while j < len(args):
        more = len(args) - 1 - j
        opt = upper(args[j])
        if opt == b"FORCE":
            force = True
        elif opt == b"JUSTID":
            justid = True
        elif opt == b"IDLE" and more:
            j += 1
            delivery = now - _claim_number(args[j], "Invalid IDLE option argument for XCLAIM")
        elif opt == b"TIME" and more:
            j += 1
            delivery = _claim_number(args[j], "Invalid TIME option argument for XCLAIM")
        elif opt == b"RETRYCOUNT" and more:
            j += 1
            retrycount = _claim_number(args[j], "Invalid RETRYCOUNT option argument for XCLAIM")
        elif opt == b"LASTID" and more:
            j += 1
            last_id = parse_id(args[j], strict=True)[0]
        else:
            raise RedisError(f"ERR Unrecognized XCLAIM option '{args[j].decode('utf-8', 'replace')}'")
        j += 1
    ks.check_writable()
    if last_id > group.last_id:
        group.last_id = last_id
        stream.put_group(group)
    if delivery == -1 or delivery < 0 or delivery > now:
        delivery = now
    known = stream.consumer(group_name, consumer)
    active = known[1] if known is not None else -1
    if known is None:
        ks.notify(N.STREAM, b"xgroup-createconsumer", key)
    out = []
    for sid in ids:
        nack = stream.nack(group_name, sid)
        fields = stream.get(sid)
        if fields is None:
            if nack is not None:
                stream.delete_nack(group_name, sid)
            continue
        if nack is None:
            if not force:
                continue
            nack = Nack(b"", now, 0)
        elif min_idle and now - nack.delivery_time < min_idle:
            continue
        nack.delivery_time = delivery
        if retrycount >= 0:
            nack.delivery_count = retrycount
        elif not justid:
            nack.delivery_count += 1
        nack.consumer = consumer
        stream.put_nack(group_name, sid, nack)
        out.append(format_id(sid) if justid else _entry(sid, fields))
        active = now
    stream.put_consumer(group_name, consumer, now, active)
    ks.modified(key)
    return out


@command("xautoclaim", -6, "write fast", group="stream")
def xautoclaim(ctx, args):
    """Claim pending entries idle long enough, scanning from a start id: [cursor, claimed,
    deleted ids]."""
    key, group_name, consumer = args[0], args[1], args[2]
    min_idle = max(_claim_number(args[3], "Invalid min-idle-time argument for XAUTOCLAIM"), 0)
    start = _range_start(args[4])
    count = 100
    justid = False
    j = 5
    max_count = ((1 << 63) - 1) // 16
    while j < len(args):
        more = len(args) - 1 - j
        opt = upper(args[j])
        if opt == b"COUNT" and more:
            count = to_int(args[j + 1], "ERR COUNT must be > 0")
            if not 1 <= count <= max_count:
                raise RedisError("ERR COUNT must be > 0")
            j += 1
        elif opt == b"JUSTID":
            justid = True
        else:
            raise RedisError(errors.SYNTAX)
        j += 1
    ks = ctx.ks
    stream = Stream.load(ks, key)
    group = None if stream is None else stream.group(group_name)
    if group is None:
        raise _nogroup(key, group_name)
    ks.check_writable()
    now = _now()
    known = stream.consumer(group_name, consumer)
    active = known[1] if known is not None else -1
    if known is None:
        ks.notify(N.STREAM, b"xgroup-createconsumer", key)
    attempts = count * 10
    claimed, deleted = [], []
    cursor = MIN_ID
    for sid, nack in list(islice(stream.pending(group_name, start), attempts + 1)):
        if not attempts or not count:
            cursor = sid
            break
        attempts -= 1
        fields = stream.get(sid)
        if fields is None:
            stream.delete_nack(group_name, sid)
            deleted.append(format_id(sid))
            count -= 1
            continue
        if min_idle and now - nack.delivery_time < min_idle:
            continue
        nack.delivery_time = now
        if not justid:
            nack.delivery_count += 1
        nack.consumer = consumer
        stream.put_nack(group_name, sid, nack)
        claimed.append(format_id(sid) if justid else _entry(sid, fields))
        count -= 1
        active = now
    stream.put_consumer(group_name, consumer, now, active)
    ks.modified(key)
    return [format_id(cursor), claimed, deleted]


# -- XINFO -------------------------------------------------------------------------------
XINFO_HELP = [
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Print this help.",
]
_XINFO_ARITY = {b"consumers": 4, b"groups": 3, b"stream": -3, b"help": 2}


def _consumer_pending(stream: Stream, group: bytes) -> dict[bytes, list]:
    per: dict[bytes, list] = {}
    for sid, nack in stream.pending(group):
        per.setdefault(nack.consumer, []).append((sid, nack))
    return per


@command("xinfo", -2, "readonly", keys=(2, 2, 1), group="stream")
def xinfo(ctx, args):
    """Stream, group and consumer introspection: XINFO STREAM|GROUPS|CONSUMERS|HELP."""
    sub = _sub_arity(args, _XINFO_ARITY, "xinfo")
    if sub == b"help":
        return [Simple(line) for line in XINFO_HELP]
    key = args[1]
    stream = Stream.load(ctx.ks, key)
    if stream is None:
        raise RedisError(errors.NO_SUCH_KEY)
    now = _now()
    if sub == b"consumers":
        group = stream.group(args[2])
        if group is None:
            raise _nogroup_for_key(key, args[2])
        per = _consumer_pending(stream, group.name)
        out = []
        for name, seen, active in stream.consumers(group.name):
            out.append(Map([(b"name", name), (b"pending", len(per.get(name, ()))),
                            (b"idle", max(now - seen, 0)),
                            (b"inactive", now - active if active != -1 else -1)]))
        return out
    if sub == b"groups":
        out = []
        for group in stream.groups():
            out.append(Map([
                (b"name", group.name),
                (b"consumers", len(stream.consumers(group.name))),
                (b"pending", sum(1 for _ in stream.pending(group.name))),
                (b"last-delivered-id", format_id(group.last_id)),
                (b"entries-read", None if group.entries_read == INVALID_ENTRIES_READ
                 else group.entries_read),
                (b"lag", _lag(stream, group))]))
        return out
    return _xinfo_stream(stream, args)


def _xinfo_stream(stream: Stream, args: list[bytes]):
    opts = args[2:]
    full = bool(opts)
    count = 10
    if opts:
        if len(opts) not in (1, 3) or upper(opts[0]) != b"FULL":
            raise _subcommand_syntax(args, "xinfo")
        if len(opts) == 3:
            if upper(opts[1]) != b"COUNT":
                raise _subcommand_syntax(args, "xinfo")
            count = to_int(opts[2])
            if count < 0:
                count = 10
    nodes = stream.node_count()
    head = [
        (b"length", stream.length),
        (b"radix-tree-keys", nodes),
        (b"radix-tree-nodes", nodes * 2 if nodes else 1),
        (b"last-generated-id", format_id(stream.last_id)),
        (b"max-deleted-entry-id", format_id(stream.max_deleted)),
        (b"entries-added", stream.entries_added),
        (b"recorded-first-entry-id", format_id(stream.first_id)),
    ]
    if not full:
        first = next(stream.range(MIN_ID, MAX_ID, count=1), None)
        last = next(stream.range(MIN_ID, MAX_ID, reverse=True, count=1), None)
        return Map(head + [
            (b"groups", len(stream.groups())),
            (b"first-entry", None if first is None else _entry(*first)),
            (b"last-entry", None if last is None else _entry(*last)),
        ])
    entries = [_entry(sid, fields) for sid, fields in stream.range(MIN_ID, MAX_ID, count=count)]
    groups = []
    for group in stream.groups():
        pel = list(stream.pending(group.name))
        per = _consumer_pending(stream, group.name)
        consumers = []
        for name, seen, active in stream.consumers(group.name):
            mine = per.get(name, [])
            consumers.append(Map([
                (b"name", name), (b"seen-time", seen), (b"active-time", active),
                (b"pel-count", len(mine)),
                (b"pending", [[format_id(sid), nack.delivery_time, nack.delivery_count]
                              for sid, nack in (mine[:count] if count else mine)])]))
        groups.append(Map([
            (b"name", group.name),
            (b"last-delivered-id", format_id(group.last_id)),
            (b"entries-read", None if group.entries_read == INVALID_ENTRIES_READ
             else group.entries_read),
            (b"lag", _lag(stream, group)),
            (b"pel-count", len(pel)),
            (b"pending", [[format_id(sid), nack.consumer, nack.delivery_time,
                           nack.delivery_count] for sid, nack in (pel[:count] if count else pel)]),
            (b"consumers", consumers)]))
    return Map(head + [(b"entries", entries), (b"groups", groups)])
