"""INFO, COMMAND and CONFIG: what clients and tools probe, answered from the command table and
the server's counters in the shapes Redis 7 uses."""
from __future__ import annotations

import os
import platform
import resource
import sys
import time

from mimeidb.commands import errors
from mimeidb.commands.errors import RedisError
from mimeidb.commands.glob import glob_match
from mimeidb.commands.replies import OK, Map, SetReply, Simple, Verbatim
from mimeidb.commands.table import COMMANDS, command
from resp import config as rconfig

_S = "unbound"

# -- INFO -----------------------------------------------------------------------------------

_DEFAULT_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication",
                     "cpu", "modules", "errorstats", "cluster", "keyspace", "mimei")
_ALL_SECTIONS = _DEFAULT_SECTIONS[:-2] + ("commandstats", "latencystats") + _DEFAULT_SECTIONS[-2:]
_RUN_ID = os.urandom(20).hex()


def _human(n: int) -> str:
    for unit in ("B", "K", "M", "G"):
        if n < 1024 or unit == "G":
            return f"{n:.2f}{unit}" if unit != "B" else f"{n}B"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _section(ctx, name: str) -> list[tuple[str, object]] | None:
    server = ctx.services
    node = server.node
    stats = server.stats
    now = time.time()
    if name == "server":
        uptime = int(now - stats.started)
        return [("redis_version", "7.2.0"), ("redis_git_sha1", "00000000"),
                ("redis_git_dirty", 0), ("redis_build_id", "mimeidb"),
                ("redis_mode", "standalone"), ("os", f"{platform.system()} {platform.release()} "
                                                     f"{platform.machine()}"),
                ("arch_bits", 64), ("multiplexing_api", "epoll"),
                ("server_name", "mimeidb"), ("mimeidb_version", getattr(node, "version", "")),
                ("python_version", platform.python_version()),
                ("process_id", os.getpid()), ("run_id", _RUN_ID), ("tcp_port", server.port),
                ("server_time_usec", time.time_ns() // 1000), ("uptime_in_seconds", uptime),
                ("uptime_in_days", uptime // 86400), ("hz", 10), ("configured_hz", 10),
                ("executable", sys.executable), ("config_file", "")]
    if name == "clients":
        sessions = server.sessions()
        return [("connected_clients", len(sessions)), ("cluster_connections", 0),
                ("maxclients", server.maxclients), ("client_recent_max_input_buffer", 0),
                ("client_recent_max_output_buffer", 0),
                ("blocked_clients", sum(1 for s in sessions if s.blocked is not None)),
                ("tracking_clients", 0),
                ("pubsub_clients", sum(1 for s in sessions if s.subscribed)),
                ("watching_clients", sum(1 for s in sessions if s.watched)),
                ("clients_in_timeout_table", 0),
                ("total_watched_keys", len(server.watchers)),
                ("total_blocking_keys", len(server.waiters))]
    if name == "memory":
        from resp.server import used_memory
        used = used_memory()
        peak = max(used, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        limit = int(server.config.get("maxmemory", "0"))
        return [("used_memory", used), ("used_memory_human", _human(used)),
                ("used_memory_rss", used), ("used_memory_rss_human", _human(used)),
                ("used_memory_peak", peak), ("used_memory_peak_human", _human(peak)),
                ("maxmemory", limit), ("maxmemory_human", _human(limit)),
                ("maxmemory_policy", server.config.get("maxmemory-policy", "noeviction")),
                ("mem_fragmentation_ratio", "1.00"), ("mem_allocator", "libc"),
                ("lazyfree_pending_objects", 0)]
    if name == "persistence":
        return [("loading", 0), ("async_loading", 0),
                ("rdb_changes_since_last_save", server.dirty),
                ("rdb_bgsave_in_progress", 0), ("rdb_last_save_time", server.lastsave),
                ("rdb_last_bgsave_status", "ok"), ("aof_enabled", 1),
                ("aof_rewrite_in_progress", 0), ("aof_rewrite_scheduled", 0),
                ("aof_last_bgrewrite_status", "ok"), ("aof_last_write_status", "ok"),
                ("appendfsync", node.db.appendfsync)]
    if name == "stats":
        hub = server.pubsub
        return [("total_connections_received", stats.connections_received),
                ("total_commands_processed", stats.commands_processed),
                ("instantaneous_ops_per_sec", 0),
                ("total_net_input_bytes", stats.net_input_bytes),
                ("total_net_output_bytes", stats.net_output_bytes),
                ("rejected_connections", stats.rejected_connections),
                ("expired_keys", 0), ("evicted_keys", stats.evicted_keys),
                ("keyspace_hits", stats.keyspace_hits), ("keyspace_misses", stats.keyspace_misses),
                ("pubsub_channels", len(hub.channels)), ("pubsub_patterns", len(hub.patterns)),
                ("pubsubshard_channels", len(hub.shard_channels)),
                ("total_error_replies", stats.errors), ("total_blocking_keys", len(server.waiters))]
    if name == "replication":
        return [("role", "master"), ("connected_slaves", 0), ("master_failover_state", "no-failover"),
                ("master_replid", _RUN_ID), ("master_replid2", "0" * 40),
                ("master_repl_offset", 0), ("second_repl_offset", -1),
                ("repl_backlog_active", 0), ("repl_backlog_size", 1048576)]
    if name == "cpu":
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return [("used_cpu_sys", f"{usage.ru_stime:.6f}"), ("used_cpu_user", f"{usage.ru_utime:.6f}"),
                ("used_cpu_sys_children", "0.000000"), ("used_cpu_user_children", "0.000000")]
    if name == "keyspace":
        if ctx.ks is None:
            return []
        from mimeidb.commands.keys import databases
        out = []
        for ks in databases(ctx.ks):
            keys = ks.count()
            if keys:
                out.append((f"db{getattr(ks, 'db', 0)}", f"keys={keys},expires=0,avg_ttl=0"))
        return out
    if name == "commandstats":
        return [(f"cmdstat_{cmd}", f"calls={row[0]},usec={row[1]},"
                 f"usec_per_call={row[1] / row[0] if row[0] else 0:.2f},"
                 f"rejected_calls={row[2]},failed_calls={row[3]}")
                for cmd, row in stats.cmdstats.items()]
    if name == "errorstats":
        return [(f"errorstat_{code}", f"count={count}") for code, count in stats.errorstats.items()]
    if name == "latencystats":
        return []
    if name == "modules":
        return []
    if name == "cluster":
        return [("cluster_enabled", 0)]
    if name == "mimei":
        b = ctx.binding
        if b is None:
            return [("bound", 0)]
        return [("mid", b.mid), ("version", b.version), ("author", b.author),
                ("writable", int(bool(b.writable))), ("type", b.mtype)]
    return None


@command("info", -1, f"loading stale {_S}", keys=(0, 0, 0), group="server")
def info(ctx, args):
    """Information and statistics about the server and the bound Mimei."""
    wanted = [a.decode("utf-8", "replace").lower() for a in args] or ["default"]
    names: list[str] = []
    for w in wanted:
        if w == "default":
            names += [n for n in _DEFAULT_SECTIONS if n not in names]
        elif w in ("all", "everything"):
            names += [n for n in _ALL_SECTIONS if n not in names]
        elif w not in names:
            names.append(w)
    parts = []
    for name in names:
        fields = _section(ctx, name)
        if fields is None:
            continue
        title = "Mimei" if name == "mimei" else name.capitalize()
        lines = [f"# {title}"] + [f"{k}:{v}" for k, v in fields]
        parts.append("\r\n".join(lines) + "\r\n")
    return Verbatim("\r\n".join(parts))


# -- COMMAND --------------------------------------------------------------------------------

_REDIS_FLAGS = {"write", "readonly", "denyoom", "admin", "pubsub", "noscript", "blocking",
                "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast",
                "no_auth", "may_replicate", "no_mandatory_keys", "no_multi", "movablekeys",
                "allow_busy"}
_GROUP_ACL = {"string": "@string", "list": "@list", "hash": "@hash", "set": "@set",
              "zset": "@sortedset", "sorted-set": "@sortedset", "sortedset": "@sortedset",
              "generic": "@keyspace", "keyspace": "@keyspace", "connection": "@connection",
              "pubsub": "@pubsub", "transactions": "@transaction", "server": "@admin",
              "mimei": "@connection"}


def _flags(spec) -> list[str]:
    out = []
    for flag in sorted(spec.flags):
        flag = flag.replace("-", "_")
        if flag in _REDIS_FLAGS:
            out.append(flag)
    return out


def _acl(spec) -> list[str]:
    out = []
    if "write" in spec.flags:
        out.append("@write")
    if "readonly" in spec.flags:
        out.append("@read")
    if "blocking" in spec.flags:
        out.append("@blocking")
    out.append("@fast" if "fast" in spec.flags else "@slow")
    group = _GROUP_ACL.get(spec.group)
    if group:
        out.append(group)
    return out


def _key_specs(spec) -> list:
    if spec.first_key == 0:
        return []
    last = spec.last_key - spec.first_key if spec.last_key >= 0 else spec.last_key
    return [Map([
        (b"flags", SetReply([Simple("RW" if "write" in spec.flags else "RO"),
                             Simple("update" if "write" in spec.flags else "access")])),
        (b"begin_search", Map([(b"type", b"index"), (b"spec", Map([(b"index", spec.first_key)]))])),
        (b"find_keys", Map([(b"type", b"range"), (b"spec", Map([
            (b"lastkey", last), (b"keystep", spec.step), (b"limit", 0)]))])),
    ])]


def command_info(spec) -> list:
    return [spec.name.encode(), spec.arity, SetReply(Simple(f) for f in _flags(spec)),
            spec.first_key, spec.last_key, spec.step,
            SetReply(Simple(a) for a in _acl(spec)), [], _key_specs(spec), []]


def _doc(spec) -> Map:
    return Map([(b"summary", spec.summary.encode()), (b"since", b"1.0.0"),
                (b"group", spec.group.encode()), (b"complexity", b"")])


def _specs(names) -> list:
    return [COMMANDS.get(n.lower()) for n in names]


@command("command", -1, f"loading stale {_S}", keys=(0, 0, 0), group="server")
def command_(ctx, args):
    """The command table: COUNT, LIST, INFO, DOCS, GETKEYS."""
    if not args:
        return [command_info(spec) for spec in COMMANDS.values()]
    sub = args[0].upper()
    if sub == b"COUNT" and len(args) == 1:
        return len(COMMANDS)
    if sub == b"INFO":
        if len(args) == 1:
            return [command_info(spec) for spec in COMMANDS.values()]
        return [None if spec is None else command_info(spec) for spec in _specs(args[1:])]
    if sub == b"DOCS":
        specs = COMMANDS.values() if len(args) == 1 else [s for s in _specs(args[1:]) if s]
        return Map([(spec.name.encode(), _doc(spec)) for spec in specs])
    if sub == b"LIST":
        specs = list(COMMANDS.values())
        if len(args) == 4 and args[1].upper() == b"FILTERBY":
            how, value = args[2].upper(), args[3]
            if how == b"PATTERN":
                specs = [s for s in specs if glob_match(value, s.name.encode(), nocase=True)]
            elif how == b"ACLCAT":
                cat = "@" + value.decode("utf-8", "replace").lower()
                specs = [s for s in specs if cat in _acl(s)]
            elif how == b"MODULE":
                specs = []
            else:
                raise RedisError(errors.SYNTAX)
        elif len(args) != 1:
            raise RedisError(errors.SYNTAX)
        return [s.name.encode() for s in specs]
    if sub in (b"GETKEYS", b"GETKEYSANDFLAGS") and len(args) >= 2:
        spec = COMMANDS.get(args[1].lower())
        if spec is None:
            raise RedisError("ERR Invalid command specified")
        argv = args[1:]
        if (spec.arity > 0 and len(argv) != spec.arity) or len(argv) < -spec.arity:
            raise RedisError("ERR Invalid number of arguments specified for command")
        keys = spec.keys(argv)
        if not keys:
            raise RedisError("ERR The command has no key arguments")
        if sub == b"GETKEYS":
            return keys
        flags = [Simple("RW"), Simple("update")] if spec.is_write else [Simple("RO"), Simple("access")]
        return [[k, flags] for k in keys]
    if sub == b"HELP":
        return [Simple(line) for line in (
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)", "COUNT", "DOCS [<command-name> ...]", "GETKEYS <full-command>",
            "GETKEYSANDFLAGS <full-command>", "INFO [<command-name> ...]",
            "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]", "HELP")]
    if sub in (b"COUNT", b"GETKEYS", b"GETKEYSANDFLAGS"):
        raise errors.wrong_arity("command|" + sub.decode().lower())
    raise errors.unknown_subcommand(args[0], "command")


# -- CONFIG ---------------------------------------------------------------------------------

@command("config", -2, f"admin noscript loading stale {_S}", keys=(0, 0, 0), group="server")
def config(ctx, args):
    """CONFIG GET/SET/RESETSTAT/REWRITE over the parameters clients probe."""
    server = ctx.services
    sub = args[0].upper()
    if sub == b"GET":
        if len(args) < 2:
            raise errors.wrong_arity("config|get")
        server.config["appendfsync"] = server.node.db.appendfsync
        out = {}
        every = rconfig.names()
        for pattern in args[1:]:
            pattern = pattern.lower()
            for name in every:
                raw = name.encode()
                if raw == pattern or glob_match(pattern, raw):
                    out[raw] = server.config[rconfig.canonical(name)].encode()
        return Map(out.items())
    if sub == b"SET":
        if len(args) < 3 or len(args) % 2 == 0:
            raise errors.wrong_arity("config|set")
        known = set(rconfig.names())
        staged: dict[str, str] = {}
        for i in range(1, len(args), 2):
            given = args[i].decode("utf-8", "replace").lower()
            if given not in known:
                raise RedisError(f"ERR Unknown option or number of arguments for CONFIG SET - "
                                 f"'{given}'")
            name = rconfig.canonical(given)
            if name in staged:
                raise RedisError(f"ERR CONFIG SET failed (possibly related to argument "
                                 f"'{given}') - duplicate parameter")
            staged[name] = rconfig.check(name, args[i + 1], server.config)
        for name, value in staged.items():
            server.config[name] = value
            rconfig.apply(server, name, value)
        if "maxmemory" in staged and server.out_of_memory():
            server.evict(ctx.session)  # Redis frees memory as soon as the limit drops
        return OK
    if sub == b"RESETSTAT" and len(args) == 1:
        server.stats.reset()
        return OK
    if sub == b"REWRITE" and len(args) == 1:
        return OK
    if sub == b"HELP":
        return [Simple(line) for line in (
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>", "SET <directive> <value>", "RESETSTAT", "REWRITE", "HELP")]
    raise errors.unknown_subcommand(args[0], "config")
