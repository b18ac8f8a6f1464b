"""CONFIG GET/SET parameters: Redis 7.2's names, defaults, aliases and value checks.

Most parameters tune machinery mimeidb does not have (RDB, replication, eviction, defrag):
they are accepted, validated like Redis validates them and remembered, so clients and test
suites that set and restore them work. The ones that mean something here are applied:
appendfsync (the node's WAL sync), maxclients, and the encoding thresholds OBJECT ENCODING
reports against (mimeidb.commands.keys.ENCODING_CONFIG).
"""
from __future__ import annotations

import re
from typing import Any

from mimeidb.store import notify
from mimeidb.commands.errors import RedisError

_MAX = (1 << 63) - 1
_MIN = -(1 << 63)

_BOOL = {
    "rdbchecksum": "yes", "daemonize": "no", "io-threads-do-reads": "no",
    "always-show-logo": "no", "syslog-enabled": "no", "cluster-enabled": "no",
    "appendonly": "yes", "cluster-allow-reads-when-down": "no",
    "cluster-allow-pubsubshard-when-down": "yes", "crash-log-enabled": "yes",
    "crash-memcheck-enabled": "yes", "use-exit-on-panic": "no", "disable-thp": "yes",
    "cluster-allow-replica-migration": "yes", "replica-announced": "yes",
    "latency-tracking": "yes", "aof-rewrite-incremental-fsync": "yes",
    "rdb-save-incremental-fsync": "yes", "aof-load-truncated": "yes",
    "aof-use-rdb-preamble": "yes", "aof-timestamp-enabled": "no",
    "cluster-replica-no-failover": "no", "replica-lazy-flush": "no",
    "replica-serve-stale-data": "yes", "replica-read-only": "yes",
    "replica-ignore-maxmemory": "yes", "jemalloc-bg-thread": "yes", "activedefrag": "no",
    "lazyfree-lazy-eviction": "no", "lazyfree-lazy-expire": "no",
    "lazyfree-lazy-server-del": "no", "lazyfree-lazy-user-del": "no",
    "lazyfree-lazy-user-flush": "no", "repl-disable-tcp-nodelay": "no",
    "repl-diskless-sync": "yes", "dynamic-hz": "yes", "protected-mode": "yes",
    "stop-writes-on-bgsave-error": "yes", "set-proc-title": "yes", "activerehashing": "yes",
    "cluster-require-full-coverage": "yes", "rdbcompression": "yes", "rdb-del-sync-files": "no",
    "no-appendfsync-on-rewrite": "no", "replica-ignore-disk-write-errors": "no",
    "lua-replicate-commands": "yes", "cluster-link-sendbuf-limit-enabled": "no",
}

# name: (default, min, max)
_INT = {
    "tcp-backlog": (511, 0, _MAX), "databases": (16, 1, 1 << 31), "port": (6379, 0, 65535),
    "io-threads": (1, 1, 128), "hz": (10, 0, 2147483647), "timeout": (0, 0, 2147483647),
    "tcp-keepalive": (300, 0, 2147483647), "maxclients": (10000, 1, 4294967295),
    "active-defrag-threshold-lower": (10, 0, 1000), "active-defrag-threshold-upper": (100, 0, 1000),
    "active-defrag-cycle-min": (1, 1, 99), "active-defrag-cycle-max": (25, 1, 99),
    "active-defrag-max-scan-fields": (1000, 1, 4294967295), "lfu-log-factor": (10, 0, 2147483647),
    "lfu-decay-time": (1, 0, 2147483647), "maxmemory-samples": (5, 1, 64),
    "maxmemory-eviction-tenacity": (10, 0, 100), "repl-ping-replica-period": (10, 1, 2147483647),
    "repl-timeout": (60, 1, 2147483647), "repl-diskless-sync-delay": (5, 0, 2147483647),
    "repl-diskless-sync-max-replicas": (0, 0, 2147483647), "replica-priority": (100, 0, 2147483647),
    "replica-announce-port": (0, 0, 65535), "repl-backlog-ttl": (3600, 0, 2147483647),
    "min-replicas-to-write": (0, 0, 2147483647), "min-replicas-max-lag": (10, 0, 2147483647),
    "list-max-listpack-size": (-2, -2147483648, 2147483647), "list-compress-depth": (0, 0, 2147483647),
    "set-max-intset-entries": (512, 0, _MAX), "set-max-listpack-entries": (128, 0, _MAX),
    "set-max-listpack-value": (64, 0, _MAX), "hash-max-listpack-entries": (128, 0, _MAX),
    "hash-max-listpack-value": (64, 0, _MAX), "zset-max-listpack-entries": (128, 0, _MAX),
    "zset-max-listpack-value": (64, 0, _MAX), "stream-node-max-entries": (100, 0, _MAX),
    "busy-reply-threshold": (5000, 0, _MAX), "slowlog-log-slower-than": (10000, -1, _MAX),
    "slowlog-max-len": (128, 0, _MAX), "latency-monitor-threshold": (0, 0, _MAX),
    "tracking-table-max-keys": (1000000, 0, _MAX), "cluster-node-timeout": (15000, 0, _MAX),
    "cluster-migration-barrier": (1, 0, 2147483647), "cluster-port": (0, 0, 65535),
    "cluster-announce-port": (0, 0, 65535), "cluster-announce-bus-port": (0, 0, 65535),
    "cluster-announce-tls-port": (0, 0, 65535), "cluster-replica-validity-factor": (10, 0, 2147483647),
    "watchdog-period": (0, 0, 2147483647), "active-expire-effort": (1, 1, 10),
    "rdb-key-save-delay": (0, -2147483648, 2147483647), "key-load-delay": (0, -2147483648, 2147483647),
    "acllog-max-len": (128, 0, _MAX), "shutdown-timeout": (10, 0, 2147483647),
    "auto-aof-rewrite-percentage": (100, 0, 2147483647),
    "max-new-connections-per-cycle": (10, 1, 1000), "max-new-tls-connections-per-cycle": (1, 1, 1000),
    "unixsocketperm": (0, 0, 0o777), "cluster-link-sendbuf-limit": (0, 0, _MAX),
}

# memory values (accept 1kb, 5mb, 2gb...; CONFIG GET answers bytes)
_MEMORY = {
    "maxmemory": 0, "proto-max-bulk-len": 512 * 1024 * 1024,
    "client-query-buffer-limit": 1024 * 1024 * 1024, "repl-backlog-size": 1024 * 1024,
    "auto-aof-rewrite-min-size": 64 * 1024 * 1024, "stream-node-max-bytes": 4096,
    "hll-sparse-max-bytes": 3000, "active-defrag-ignore-bytes": 100 * 1024 * 1024,
}

_ENUM = {
    "maxmemory-policy": ("noeviction", ("volatile-lru", "volatile-lfu", "volatile-random",
                                        "volatile-ttl", "allkeys-lru", "allkeys-lfu",
                                        "allkeys-random", "noeviction")),
    "appendfsync": ("everysec", ("always", "everysec", "no")),
    "loglevel": ("notice", ("debug", "verbose", "notice", "warning", "nothing")),
    "supervised": ("no", ("upstart", "systemd", "auto", "no")),
    "syslog-facility": ("local0", ("user", "local0", "local1", "local2", "local3", "local4",
                                   "local5", "local6", "local7")),
    "repl-diskless-load": ("disabled", ("disabled", "on-empty-db", "swapdb")),
    "sanitize-dump-payload": ("no", ("no", "yes", "clients")),
    "enable-protected-configs": ("no", ("no", "yes", "local")),
    "enable-debug-command": ("no", ("no", "yes", "local")),
    "enable-module-command": ("no", ("no", "yes", "local")),
    "cluster-preferred-endpoint-type": ("ip", ("ip", "hostname", "unknown-endpoint")),
    "propagation-error-behavior": ("ignore", ("ignore", "panic", "panic-on-replicas")),
    "shutdown-on-sigint": ("default", ("default", "save", "nosave", "now", "force")),
    "shutdown-on-sigterm": ("default", ("default", "save", "nosave", "now", "force")),
    "oom-score-adj": ("no", ("no", "yes", "relative", "absolute")),
    "acl-pubsub-default": ("resetchannels", ("allchannels", "resetchannels")),
}

_STRING = {
    "bind": "* -::*", "unixsocket": "", "pidfile": "", "logfile": "", "dir": "",
    "dbfilename": "dump.rdb", "requirepass": "", "masterauth": "", "masteruser": "",
    "replicaof": "", "save": "3600 1 300 100 60 10000",
    "client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 "
                                  "pubsub 33554432 8388608 60",
    "notify-keyspace-events": "", "oom-score-adj-values": "0 200 800",
    "latency-tracking-info-percentiles": "50 99 99.9", "appendfilename": "appendonly.aof",
    "appenddirname": "appendonlydir", "replica-announce-ip": "", "cluster-announce-ip": "",
    "cluster-announce-hostname": "", "cluster-announce-human-nodename": "",
    "proc-title-template": "{title} {listen-addr} {server-mode}", "bind-source-addr": "",
    "locale-collate": "", "ignore-warnings": "", "aclfile": "",
    "cluster-config-file": "nodes.conf", "syslog-ident": "redis", "maxmemory-clients": "0",
    "io-threads-count": "",
}
del _STRING["io-threads-count"]

ALIASES = {
    "hash-max-ziplist-entries": "hash-max-listpack-entries",
    "hash-max-ziplist-value": "hash-max-listpack-value",
    "zset-max-ziplist-entries": "zset-max-listpack-entries",
    "zset-max-ziplist-value": "zset-max-listpack-value",
    "list-max-ziplist-size": "list-max-listpack-size",
    "lua-time-limit": "busy-reply-threshold",
    "slave-read-only": "replica-read-only", "slave-serve-stale-data": "replica-serve-stale-data",
    "slave-priority": "replica-priority", "slave-lazy-flush": "replica-lazy-flush",
    "slave-ignore-maxmemory": "replica-ignore-maxmemory",
    "repl-ping-slave-period": "repl-ping-replica-period",
    "min-slaves-to-write": "min-replicas-to-write", "min-slaves-max-lag": "min-replicas-max-lag",
    "slaveof": "replicaof", "slave-announce-ip": "replica-announce-ip",
    "slave-announce-port": "replica-announce-port",
    "cluster-slave-validity-factor": "cluster-replica-validity-factor",
    "cluster-slave-no-failover": "cluster-replica-no-failover",
}

IMMUTABLE = frozenset([
    "daemonize", "databases", "io-threads", "io-threads-do-reads", "cluster-enabled",
    "tcp-backlog", "supervised", "pidfile", "syslog-enabled", "syslog-ident", "syslog-facility",
    "unixsocket", "unixsocketperm", "always-show-logo", "set-proc-title", "aclfile",
    "appendfilename", "appenddirname", "cluster-config-file", "cluster-port",
    "enable-protected-configs", "enable-debug-command", "enable-module-command", "logfile",
    "rdbchecksum", "disable-thp", "locale-collate",
])
PROTECTED = frozenset(["dir", "dbfilename"])

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000 ** 2, "mb": 1024 ** 2,
          "g": 1000 ** 3, "gb": 1024 ** 3}
_MEM_RE = re.compile(r"^(-?[0-9]+)([a-z]*)$")
_OBUF_CLASSES = ("normal", "slave", "pubsub")


def memory(text: str) -> int | None:
    """Redis's memtoull: '5mb' -> 5242880; None when it is not a memory value."""
    m = _MEM_RE.match(text.strip().lower())
    if m is None or m.group(2) not in _UNITS:
        return None
    return int(m.group(1)) * _UNITS[m.group(2)]


def defaults(port: int, maxclients: int, appendfsync: str, directory: str) -> dict[str, str]:
    cfg: dict[str, str] = {}
    cfg.update(_BOOL)
    cfg.update({name: str(spec[0]) for name, spec in _INT.items()})
    cfg.update({name: str(value) for name, value in _MEMORY.items()})
    cfg.update({name: spec[0] for name, spec in _ENUM.items()})
    cfg.update(_STRING)
    cfg["port"] = str(port)
    cfg["maxclients"] = str(maxclients)
    cfg["appendfsync"] = appendfsync
    cfg["dir"] = directory
    return cfg


def canonical(name: str) -> str:
    return ALIASES.get(name, name)


def names() -> list[str]:
    """Every parameter name CONFIG GET can match, aliases included."""
    return list(_BOOL) + list(_INT) + list(_MEMORY) + list(_ENUM) + list(_STRING) + list(ALIASES)


def _fail(name: str, why: str) -> RedisError:
    return RedisError(f"ERR CONFIG SET failed (possibly related to argument '{name}') - {why}")


def check(name: str, raw: bytes, current: dict[str, str]) -> str:
    """The value CONFIG SET stores for `name` (already canonical), or the error Redis gives."""
    shown = name
    text = raw.decode("utf-8", "replace")
    if name in IMMUTABLE:
        raise _fail(shown, "can't set immutable config")
    if name in PROTECTED:
        raise _fail(shown, "can't set protected config")
    if name in _BOOL:
        value = text.lower()
        if value not in ("yes", "no"):
            raise _fail(shown, "argument must be 'yes' or 'no'")
        return value
    if name in _INT:
        _, low, high = _INT[name]
        number = memory(text) if name != "unixsocketperm" else None
        if number is None or not re.match(r"^-?[0-9]+$", text.strip()):
            raise _fail(shown, "argument couldn't be parsed into an integer")
        if not low <= number <= high:
            raise _fail(shown, f"argument must be between {low} and {high} inclusive")
        return str(number)
    if name in _MEMORY:
        number = memory(text)
        if number is None:
            raise _fail(shown, "argument must be a memory value")
        if number < 0:
            raise _fail(shown, "argument must be a memory value")
        return str(number)
    if name in _ENUM:
        choices = _ENUM[name][1]
        value = text.lower()
        if value not in choices:
            raise _fail(shown, "argument(s) must be one of the following: " + ", ".join(choices))
        return value
    if name == "notify-keyspace-events":
        flags = notify.parse(text)
        if flags is None:
            raise _fail(shown, notify.INVALID)
        return notify.to_string(flags)
    if name == "client-output-buffer-limit":
        return _obuf(shown, text, current.get(name, _STRING[name]))
    if name == "save":
        parts = text.split()
        if len(parts) % 2 or any(not p.isdigit() for p in parts):
            raise _fail(shown, "Invalid save parameters")
        return " ".join(parts)
    if name == "maxmemory-clients":
        value = text.strip().lower()
        if value.endswith("%"):
            if not value[:-1].isdigit():
                raise _fail(shown, "argument must be a memory or percent value")
            return value
        number = memory(value)
        if number is None or number < 0:
            raise _fail(shown, "argument must be a memory or percent value")
        return str(number)
    return text


def _obuf(name: str, text: str, current: str) -> str:
    """client-output-buffer-limit: <class> <hard> <soft> <seconds> groups over the current."""
    limits = {}
    old = current.split()
    for i in range(0, len(old) - 3, 4):
        limits[old[i]] = old[i + 1:i + 4]
    parts = text.split()
    if not parts or len(parts) % 4:
        raise _fail(name, "Wrong number of arguments in buffer limit configuration.")
    for i in range(0, len(parts), 4):
        cls = parts[i].lower()
        if cls == "replica":
            cls = "slave"
        if cls not in _OBUF_CLASSES:
            raise _fail(name, "Invalid client class specified in buffer limit configuration.")
        hard, soft = memory(parts[i + 1]), memory(parts[i + 2])
        secs = parts[i + 3]
        if hard is None or soft is None or not secs.isdigit() or hard < 0 or soft < 0:
            raise _fail(name, "Error in hard, soft or soft_seconds setting in buffer limit "
                              "configuration.")
        limits[cls] = [str(hard), str(soft), str(int(secs))]
    return " ".join(f"{cls} {' '.join(limits[cls])}" for cls in _OBUF_CLASSES if cls in limits)


def apply(server: Any, name: str, value: str) -> None:
    """What a stored value changes in the running node."""
    from mimeidb.commands.keys import ENCODING_CONFIG
    if name == "appendfsync":
        server.node.db.appendfsync = value
    elif name in ENCODING_CONFIG:
        ENCODING_CONFIG[name] = int(value)
    elif name == "notify-keyspace-events":
        server.set_notify_flags(notify.parse(value) or 0)
