"""Session commands: the ones that act on the connection (binding, protocol, MULTI, pub/sub,
CLIENT) rather than on a keyspace. They live in the RESP face because the state they touch
does, but register in the one command table like every other command, so dispatch, arity,
COMMAND INFO and MULTI treat them alike. `ctx` is the resp.session.Session."""
from __future__ import annotations

import time

from mimeidb.commands import errors
from mimeidb.commands.args import to_int
from mimeidb.commands.errors import RedisError
from mimeidb.commands.glob import glob_match
from mimeidb.commands.replies import NULL_ARRAY, OK, PONG, Block, Map, Push, Simple, Verbatim
from mimeidb.commands.table import command

SERVER_NAME = "redis"
SERVER_VERSION = "7.2.0"  # the Redis version whose behaviour we follow (clients gate on it)

_S = "unbound"            # runs on an unbound connection
_NA = "unbound no-auth"   # runs before AUTH, too


def _replies(items):
    from resp.server import Replies
    return Replies(items)


# -- connection ---------------------------------------------------------------------------------

@command("ping", -1, f"fast {_S}", keys=(0, 0, 0), group="connection")
def ping(ctx, args):
    """Ping the server."""
    if len(args) > 1:
        raise errors.wrong_arity("ping")
    if ctx.protocol == 2 and (ctx.channels or ctx.patterns or ctx.shard_channels):
        return [b"pong", args[0] if args else b""]
    return args[0] if args else PONG


@command("echo", 2, f"fast {_S}", keys=(0, 0, 0), group="connection")
def echo(ctx, args):
    """Return the given string."""
    return args[0]


@command("select", 2, f"fast loading stale {_S}", keys=(0, 0, 0), group="connection")
def select(ctx, args):
    """Select database 0-15 of the bound Mimei's `cur` (a version has only database 0)."""
    from mimeidb.commands.keys import DATABASES, database
    index = to_int(args[0])
    if not 0 <= index < DATABASES:
        raise RedisError(errors.DB_INDEX)
    if ctx.ks is None:
        if index != 0:
            raise RedisError(errors.DB_INDEX)
        return OK
    ctx.ks = database(ctx.ks, index)
    return OK


@command("quit", -1, f"fast {_NA} allow_busy", keys=(0, 0, 0), group="connection")
def quit_(ctx, args):
    """Close the connection."""
    ctx.close_after_reply = True
    return OK


def _authenticate(ctx, user: bytes | None, password: bytes) -> None:
    mimei = ctx.services.node.mimei
    try:
        if user is None or user == b"default":
            binding = mimei.bind_mmsid(password.decode("utf-8", "replace"))
        else:
            mid, _, version = user.decode("utf-8", "replace").partition(":")
            binding = mimei.auth(mid, version or "cur", password.decode("utf-8", "replace"))
    except (KeyError, PermissionError, ValueError):
        raise RedisError(errors.WRONGPASS) from None
    _rebind(ctx, binding)


def _rebind(ctx, binding) -> None:
    """Switch the Mimei a connection works on (WATCHed keys of the old one are let go)."""
    if ctx.watched:
        ctx.services.unwatch(ctx)
    ctx.bind(binding)
    ctx.conn.parser.auth_required = False


@command("auth", -2, f"fast {_NA} noscript loading stale", keys=(0, 0, 0), group="connection")
def auth(ctx, args):
    """Bind the connection: AUTH <mmsid>, or AUTH <mid>[:<ver>] <credential>."""
    if len(args) > 2:
        raise RedisError(errors.SYNTAX)
    _authenticate(ctx, args[0] if len(args) == 2 else None, args[-1])
    return OK


_NAME_OK = frozenset(range(33, 127))


def _check_name(raw: bytes, what: str) -> None:
    if any(c not in _NAME_OK for c in raw):
        raise RedisError(f"ERR {what} cannot contain spaces, newlines or special characters.")


@command("hello", -1, f"fast {_NA} noscript loading stale", keys=(0, 0, 0), group="connection")
def hello(ctx, args):
    """Handshake: protocol version, optional AUTH and SETNAME; replies the server's info."""
    protocol = ctx.protocol
    if args:
        try:
            protocol = to_int(args[0])
        except RedisError:
            raise RedisError("ERR Protocol version is not an integer or out of range") from None
        if protocol < 2 or protocol > 3:
            raise RedisError("NOPROTO unsupported protocol version")
    name = None
    credentials = None
    i = 1
    while i < len(args):
        opt = args[i].upper()
        left = len(args) - i - 1
        if opt == b"AUTH" and left >= 2:
            credentials = (args[i + 1], args[i + 2])
            i += 3
        elif opt == b"SETNAME" and left >= 1:
            name = args[i + 1]
            _check_name(name, "Client names")
            i += 2
        else:
            raise RedisError(f"ERR Syntax error in HELLO option '{args[i].decode('utf-8', 'replace')}'")
    if credentials is not None:
        _authenticate(ctx, *credentials)
    elif not ctx.authenticated:
        raise RedisError("NOAUTH HELLO must be called with the client already authenticated, "
                         "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
                         "authenticate the client and select the RESP protocol version at the "
                         "same time")
    if name is not None:
        ctx.name = name
    ctx.protocol = protocol
    return Map([(b"server", SERVER_NAME.encode()), (b"version", SERVER_VERSION.encode()),
                (b"proto", protocol), (b"id", ctx.id), (b"mode", b"standalone"),
                (b"role", b"master"), (b"modules", [])])


@command("reset", 1, f"fast {_NA} noscript loading stale", keys=(0, 0, 0), group="connection")
def reset(ctx, args):
    """Reset the connection: MULTI, WATCH, subscriptions, protocol, name and binding."""
    server = ctx.services
    ctx.multi = None
    ctx.multi_error = False
    server.unwatch(ctx)
    from resp.server import _drop_subscriptions
    _drop_subscriptions(server, ctx)
    ctx.protocol = 2
    ctx.name = b""
    ctx.no_evict = ctx.no_touch = False
    ctx.reply_mode = b"ON"
    if ctx.loopback:
        ctx.bind(server.node.mimei.default_binding())
    else:
        ctx.binding = ctx.ks = None
        ctx.authenticated = False
        ctx.conn.parser.auth_required = True
    return Simple("RESET")


# -- the Mimei binding ----------------------------------------------------------------------

@command("mm.open", -2, f"fast {_S}", keys=(0, 0, 0), group="mimei")
def mm_open(ctx, args):
    """Open a Mimei version (cur, last or a number), bind the connection; replies the mmsid."""
    if len(args) > 2:
        raise RedisError(errors.SYNTAX)
    mid = args[0].decode("utf-8", "replace")
    version = args[1].decode("utf-8", "replace") if len(args) > 1 else "cur"
    user = ctx.binding.user if ctx.binding is not None and not ctx.loopback else None
    try:
        binding = ctx.services.node.mimei.open(mid, version, user)
    except (ValueError, KeyError) as exc:
        raise RedisError(f"ERR {exc}".replace("\n", " ")) from None
    _rebind(ctx, binding)
    return binding.mmsid.encode()


@command("mm.close", 1, f"fast {_S}", keys=(0, 0, 0), group="mimei")
def mm_close(ctx, args):
    """Unbind the connection from its Mimei."""
    if ctx.watched:
        ctx.services.unwatch(ctx)
    ctx.binding = ctx.ks = None
    return OK


@command("mm.info", 1, "fast", keys=(0, 0, 0), group="mimei")
def mm_info(ctx, args):
    """The bound Mimei: mid, version, author, writable, type."""
    b = ctx.binding
    return Map([(b"mid", b.mid.encode()), (b"version", str(b.version).encode()),
                (b"author", b.author.encode()), (b"writable", bool(b.writable)),
                (b"type", b.mtype.encode())])


# -- transactions ---------------------------------------------------------------------------

@command("multi", 1, f"fast loading stale allow_busy {_S}", keys=(0, 0, 0), group="transactions")
def multi(ctx, args):
    """Start a transaction."""
    if ctx.multi is not None:
        raise RedisError("ERR MULTI calls can not be nested")
    ctx.multi = []
    ctx.multi_error = False
    return OK


@command("discard", 1, f"fast loading stale allow_busy {_S}", keys=(0, 0, 0),
         group="transactions")
def discard(ctx, args):
    """Discard the queued commands of a transaction."""
    if ctx.multi is None:
        raise RedisError("ERR DISCARD without MULTI")
    ctx.multi = None
    ctx.multi_error = False
    ctx.services.unwatch(ctx)
    return OK


@command("exec", 1, f"loading stale skip_slowlog {_S}", keys=(0, 0, 0), group="transactions")
def exec_(ctx, args):
    """Run the queued commands: an array of their replies, or null when a WATCHed key changed."""
    if ctx.multi is None:
        raise RedisError("ERR EXEC without MULTI")
    queued, ctx.multi = ctx.multi, None
    server = ctx.services
    if ctx.multi_error:
        ctx.multi_error = False
        server.unwatch(ctx)
        raise RedisError(errors.EXECABORT)
    if ctx.watch_dirty:
        server.unwatch(ctx)
        return NULL_ARRAY
    if any("denyoom" in spec.flags for spec, _ in queued) and server.out_of_memory():
        from resp.server import OOM_ERROR
        server.unwatch(ctx)
        raise RedisError("EXECABORT Transaction discarded because of: " + OOM_ERROR)
    server.unwatch(ctx)
    from resp.server import stat_name
    stats = server.stats
    replies = []
    for spec, argv in queued:
        ctx.last_cmd = argv
        server.cmd_seq += 1
        started = time.perf_counter_ns()
        try:
            reply = spec.handler(ctx, argv[1:])
        except RedisError as exc:
            reply = exc
        except Exception as exc:
            import logging
            logging.getLogger("mimeidb.resp").exception("command %s failed", spec.name)
            reply = RedisError(f"ERR internal error: {exc.__class__.__name__}: {exc}")
        if reply.__class__ is Block:
            reply = reply.timeout_reply
        failed = isinstance(reply, RedisError)
        stats.call(stat_name(spec, argv), (time.perf_counter_ns() - started) // 1000, failed)
        if failed:
            stats.error(reply.message)
        replies.append(reply)
    return replies


@command("watch", -2, "fast loading stale allow_busy", keys=(1, -1, 1), group="transactions")
def watch(ctx, args):
    """Watch keys: EXEC fails if any is modified before it."""
    if ctx.multi is not None:
        raise RedisError("ERR WATCH inside MULTI is not allowed")
    for key in args:
        ctx.ks.meta(key)  # an already expired key is deleted now, before it is watched
        ctx.services.watch(ctx, key)
    return OK


@command("unwatch", 1, f"fast loading stale allow_busy {_S}", keys=(0, 0, 0),
         group="transactions")
def unwatch(ctx, args):
    """Forget all WATCHed keys."""
    ctx.services.unwatch(ctx)
    return OK


# -- pub/sub --------------------------------------------------------------------------------

def _subscribe(ctx, names, mine: dict, table_name: str, kind: bytes, count) -> object:
    server = ctx.services
    table = getattr(server.pubsub, table_name)
    scope = ctx.scope
    out = []
    for name in names:
        if name not in mine:
            mine[name] = None
            server.pubsub.add(table, scope, name, ctx)
        out.append(Push([kind, name, count()]))
    return _replies(out)


def _unsubscribe(ctx, names, mine: dict, table_name: str, kind: bytes, count) -> object:
    server = ctx.services
    table = getattr(server.pubsub, table_name)
    scope = ctx.scope
    if not names:
        names = list(mine)
        if not names:
            return _replies([Push([kind, None, count()])])
    out = []
    for name in names:
        if mine.pop(name, 0) is None:
            server.pubsub.remove(table, scope, name, ctx)
        out.append(Push([kind, name, count()]))
    return _replies(out)


def _count(ctx):
    return lambda: len(ctx.channels) + len(ctx.patterns)


def _shard_count(ctx):
    return lambda: len(ctx.shard_channels)


@command("subscribe", -2, f"pubsub noscript loading stale {_S}", keys=(0, 0, 0), group="pubsub")
def subscribe(ctx, args):
    """Listen for messages published to channels."""
    return _subscribe(ctx, args, ctx.channels, "channels", b"subscribe", _count(ctx))


@command("unsubscribe", -1, f"pubsub noscript loading stale {_S}", keys=(0, 0, 0),
         group="pubsub")
def unsubscribe(ctx, args):
    """Stop listening to channels (all of them without arguments)."""
    return _unsubscribe(ctx, args, ctx.channels, "channels", b"unsubscribe", _count(ctx))


@command("psubscribe", -2, f"pubsub noscript loading stale {_S}", keys=(0, 0, 0), group="pubsub")
def psubscribe(ctx, args):
    """Listen for messages published to channels matching glob patterns."""
    return _subscribe(ctx, args, ctx.patterns, "patterns", b"psubscribe", _count(ctx))


@command("punsubscribe", -1, f"pubsub noscript loading stale {_S}", keys=(0, 0, 0),
         group="pubsub")
def punsubscribe(ctx, args):
    """Stop listening to patterns (all of them without arguments)."""
    return _unsubscribe(ctx, args, ctx.patterns, "patterns", b"punsubscribe", _count(ctx))


@command("ssubscribe", -2, f"pubsub noscript loading stale {_S}", keys=(1, -1, 1), group="pubsub")
def ssubscribe(ctx, args):
    """Listen for messages published to shard channels."""
    return _subscribe(ctx, args, ctx.shard_channels, "shard_channels", b"ssubscribe",
                      _shard_count(ctx))


@command("sunsubscribe", -1, f"pubsub noscript loading stale {_S}", keys=(1, -1, 1),
         group="pubsub")
def sunsubscribe(ctx, args):
    """Stop listening to shard channels."""
    return _unsubscribe(ctx, args, ctx.shard_channels, "shard_channels", b"sunsubscribe",
                        _shard_count(ctx))


@command("publish", 3, f"pubsub loading stale fast may_replicate {_S}", keys=(0, 0, 0),
         group="pubsub")
def publish(ctx, args):
    """Post a message to a channel of the bound Mimei; the number of receivers."""
    server = ctx.services
    return server.pubsub.publish(ctx.scope, args[0], args[1], server.deliver)


@command("spublish", 3, f"pubsub loading stale fast may_replicate {_S}", keys=(1, 1, 1),
         group="pubsub")
def spublish(ctx, args):
    """Post a message to a shard channel."""
    server = ctx.services
    return server.pubsub.spublish(ctx.scope, args[0], args[1], server.deliver)


@command("pubsub", -2, f"pubsub loading stale {_S}", keys=(0, 0, 0), group="pubsub")
def pubsub(ctx, args):
    """PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB."""
    hub = ctx.services.pubsub
    sub = args[0].upper()
    scope = ctx.scope
    if sub in (b"CHANNELS", b"SHARDCHANNELS") and len(args) <= 2:
        table = hub.channels if sub == b"CHANNELS" else hub.shard_channels
        names = list(hub.names(table, scope))
        if len(args) == 2:
            names = [n for n in names if glob_match(args[1], n)]
        return names
    if sub in (b"NUMSUB", b"SHARDNUMSUB"):
        table = hub.channels if sub == b"NUMSUB" else hub.shard_channels
        out = []
        for name in args[1:]:
            out += [name, len(table.get((scope, name), ()))]
        return out
    if sub == b"NUMPAT" and len(args) == 1:
        return sum(1 for _ in hub.names(hub.patterns, scope))
    if sub == b"HELP":
        return [Simple(line) for line in (
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]", "NUMPAT", "NUMSUB [<channel> ...]",
            "SHARDCHANNELS [<pattern>]", "SHARDNUMSUB [<shardchannel> ...]", "HELP")]
    if sub in (b"CHANNELS", b"SHARDCHANNELS", b"NUMPAT"):
        raise errors.wrong_arity("pubsub|" + sub.decode().lower())
    raise errors.unknown_subcommand(args[0], "pubsub")


# -- CLIENT -----------------------------------------------------------------------------------

def _verbatim(text: str) -> Verbatim:
    return Verbatim(text)


def _client_line(server, session, now: float, caller=None) -> str:
    conn = session.conn
    obl = conn.transport.get_write_buffer_size() if conn.transport is not None else 0
    qbuf = conn.parser.pending()
    if session is caller and session.last_cmd:  # the running command is still in its buffer
        argv = session.last_cmd
        qbuf += len(b"*%d\r\n" % len(argv)) + sum(len(b"$%d\r\n" % len(a)) + len(a) + 2
                                                   for a in argv)
    return session.describe(now, qbuf, obl)


def _session_type(session) -> bytes:
    return b"pubsub" if session.subscribed else b"normal"


_CLIENT_HELP = (
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)", "GETNAME", "GETREDIR", "ID", "INFO",
    "KILL <ip:port>", "KILL <option> <value> [<option> <value> [...]]",
    "LIST [options ...]", "UNPAUSE", "PAUSE <timeout> [WRITE|ALL]", "REPLY (ON|OFF|SKIP)",
    "SETINFO <option> <value>", "SETNAME <name>", "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "NO-EVICT (ON|OFF)", "NO-TOUCH (ON|OFF)", "HELP",
)

# subcommand -> arity (counting CLIENT and the subcommand, as Redis's client|x arity does)
_CLIENT_ARITY = {
    b"ID": 2, b"INFO": 2, b"GETNAME": 2, b"SETNAME": 3, b"LIST": -2, b"KILL": -3,
    b"NO-EVICT": 3, b"NO-TOUCH": 3, b"SETINFO": 4, b"REPLY": 3, b"PAUSE": -3,
    b"UNPAUSE": 2, b"UNBLOCK": -3, b"GETREDIR": 2, b"HELP": 2, b"CACHING": 3,
    b"TRACKINGINFO": 2,
}


@command("client", -2, f"{_S}", keys=(0, 0, 0), group="connection")
def client(ctx, args):
    """Connection management: ID, SETNAME, GETNAME, LIST, INFO, KILL, SETINFO, REPLY, ..."""
    sub = args[0].upper()
    arity = _CLIENT_ARITY.get(sub)
    if arity is None:
        raise errors.unknown_subcommand(args[0], "client")
    argc = len(args) + 1
    if (arity > 0 and argc != arity) or argc < -arity:
        raise errors.wrong_arity("client|" + sub.decode().lower())
    server = ctx.services
    now = time.monotonic()
    if sub == b"ID":
        return ctx.id
    if sub == b"GETNAME":
        return ctx.name or None
    if sub == b"SETNAME":
        _check_name(args[1], "Client names")
        ctx.name = args[1]
        return OK
    if sub == b"INFO":
        return _verbatim(_client_line(server, ctx, now, ctx) + "\n")
    if sub == b"LIST":
        sessions = server.sessions()
        i = 1
        while i < len(args):
            opt = args[i].upper()
            if opt == b"TYPE" and i + 1 < len(args):
                kind = args[i + 1].lower()
                if kind not in (b"normal", b"master", b"replica", b"slave", b"pubsub"):
                    raise RedisError(f"ERR Unknown client type '{args[i + 1].decode('utf-8', 'replace')}'")
                sessions = [s for s in sessions if _session_type(s) == kind]
                i += 2
            elif opt == b"ID" and i + 1 < len(args):
                ids = set()
                for raw in args[i + 1:]:
                    try:
                        value = to_int(raw)
                    except RedisError:
                        raise RedisError("ERR Invalid client ID") from None
                    if value <= 0:
                        raise RedisError("ERR Invalid client ID")
                    ids.add(value)
                sessions = [s for s in sessions if s.id in ids]
                i = len(args)
            else:
                raise RedisError(errors.SYNTAX)
        return _verbatim("".join(_client_line(server, s, now, ctx) + "\n" for s in sessions))
    if sub == b"KILL":
        return _client_kill(ctx, args[1:])
    if sub in (b"NO-EVICT", b"NO-TOUCH"):
        value = args[1].upper()
        if value not in (b"ON", b"OFF"):
            raise RedisError(errors.SYNTAX)
        if sub == b"NO-EVICT":
            ctx.no_evict = value == b"ON"
        else:
            ctx.no_touch = value == b"ON"
        return OK
    if sub == b"SETINFO":
        attr = args[1].upper()
        if attr not in (b"LIB-NAME", b"LIB-VER"):
            raise RedisError(f"ERR Unrecognized option '{args[1].decode('utf-8', 'replace')}'")
        _check_name(args[2], attr.decode().lower())
        if attr == b"LIB-NAME":
            ctx.lib_name = args[2]
        else:
            ctx.lib_ver = args[2]
        return OK
    if sub == b"REPLY":
        mode = args[1].upper()
        if mode == b"ON":
            ctx.reply_mode = b"ON"
            return OK
        if mode == b"OFF":
            ctx.reply_mode = b"OFF"
            return OK
        if mode == b"SKIP":
            if ctx.reply_mode != b"OFF":
                ctx.reply_mode = b"SKIP_NEXT"
            return OK
        raise RedisError(errors.SYNTAX)
    if sub == b"PAUSE":
        to_int(args[1], "ERR timeout is not an integer or out of range")
        if len(args) > 3 or (len(args) == 3 and args[2].upper() not in (b"WRITE", b"ALL")):
            raise RedisError(errors.SYNTAX)
        return OK
    if sub == b"UNPAUSE":
        return OK
    if sub == b"UNBLOCK":
        return _client_unblock(ctx, args[1:])
    if sub == b"GETREDIR":
        return -1
    if sub == b"CACHING":
        raise RedisError("ERR CLIENT CACHING can be called only when the client is in "
                         "tracking mode with OPTIN or OPTOUT mode enabled")
    if sub == b"TRACKINGINFO":
        return Map([(b"flags", [Simple("off")]), (b"redirect", -1), (b"prefixes", [])])
    return [Simple(line) for line in _CLIENT_HELP]


def _client_unblock(ctx, args):
    try:
        target = to_int(args[0])
    except RedisError:
        raise RedisError("ERR value is not an integer or out of range") from None
    mode = args[1].upper() if len(args) > 1 else b"TIMEOUT"
    if len(args) > 2 or mode not in (b"TIMEOUT", b"ERROR"):
        raise RedisError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    conn = ctx.services.clients.get(target)
    if conn is None or conn.session.blocked is None:
        return 0
    block = conn.session.blocked[2]
    ctx.services.loop.call_soon(
        conn.unblock,
        RedisError("UNBLOCKED client unblocked via CLIENT UNBLOCK") if mode == b"ERROR"
        else block.timeout_reply)
    return 1


def _client_kill(ctx, args):
    server = ctx.services
    if len(args) == 1:  # old form: CLIENT KILL addr:port
        for conn in list(server.clients.values()):
            if conn.session.addr.encode() == args[0]:
                _kill(ctx, conn)
                return OK
        raise RedisError("ERR No such client")
    if len(args) % 2:
        raise RedisError(errors.SYNTAX)
    filters = []
    skipme = True
    for i in range(0, len(args), 2):
        opt, value = args[i].upper(), args[i + 1]
        if opt == b"ID":
            try:
                wanted = to_int(value)
            except RedisError:
                raise RedisError("ERR client-id should be greater than 0") from None
            if wanted <= 0:
                raise RedisError("ERR client-id should be greater than 0")
            filters.append(lambda s, w=wanted: s.id == w)
        elif opt == b"ADDR":
            filters.append(lambda s, v=value: s.addr.encode() == v)
        elif opt == b"LADDR":
            filters.append(lambda s, v=value: s.laddr.encode() == v)
        elif opt == b"TYPE":
            kind = value.lower()
            if kind not in (b"normal", b"master", b"replica", b"slave", b"pubsub"):
                raise RedisError(f"ERR Unknown client type '{value.decode('utf-8', 'replace')}'")
            filters.append(lambda s, k=kind: _session_type(s) == k)
        elif opt == b"USER":
            if value != b"default":
                raise RedisError(f"ERR No such user '{value.decode('utf-8', 'replace')}'")
            filters.append(lambda s: True)
        elif opt == b"SKIPME":
            flag = value.lower()
            if flag not in (b"yes", b"no"):
                raise RedisError(errors.SYNTAX)
            skipme = flag == b"yes"
        elif opt == b"MAXAGE":
            age = to_int(value)
            now = time.monotonic()
            filters.append(lambda s, a=age, n=now: n - s.created >= a)
        else:
            raise RedisError(errors.SYNTAX)
    killed = 0
    for conn in list(server.clients.values()):
        session = conn.session
        if skipme and session is ctx:
            continue
        if all(f(session) for f in filters):
            _kill(ctx, conn)
            killed += 1
    return killed


def _kill(ctx, conn) -> None:
    if conn.session is ctx:
        ctx.close_after_reply = True
    else:
        conn.close()


# -- server -------------------------------------------------------------------------------------

@command("time", 1, f"fast loading stale {_S}", keys=(0, 0, 0), group="server")
def time_(ctx, args):
    """The server time: seconds and microseconds."""
    now = time.time_ns() // 1000
    return [b"%d" % (now // 1_000_000), b"%d" % (now % 1_000_000)]


@command("lastsave", 1, f"fast loading stale {_S}", keys=(0, 0, 0), group="server")
def lastsave(ctx, args):
    """Unix time of the last successful save (the node's start, or the last backup)."""
    return ctx.services.lastsave


@command("role", 1, f"noscript loading stale fast {_S}", keys=(0, 0, 0), group="server")
def role(ctx, args):
    """This node's replication role: always a master of its own Mimei."""
    return [b"master", 0, []]


@command("wait", 3, f"{_S}", keys=(0, 0, 0), group="generic")
def wait(ctx, args):
    """Wait for replicas: there are none in the Redis sense."""
    to_int(args[0])
    to_int(args[1], "ERR timeout is not an integer or out of range")
    return 0


@command("readonly", 1, f"fast loading stale {_S}", keys=(0, 0, 0), group="cluster")
def readonly(ctx, args):
    """Cluster read-only mode: not a cluster."""
    raise RedisError("ERR This instance has cluster support disabled")


from resp import introspection  # noqa: E402,F401  (INFO, COMMAND, CONFIG)
