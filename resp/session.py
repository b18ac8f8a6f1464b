"""One RESP connection's state. A Session is also the context handlers get (`ctx.ks`,
`ctx.protocol`, `ctx.session`, `ctx.services`), so running a command allocates nothing."""
from __future__ import annotations

import time
from typing import Any

from mimeidb.store.keyspace import Keyspace


# Commands whose first argument is a subcommand (Redis names them "client|list").
_CONTAINERS = frozenset([b"client", b"config", b"command", b"pubsub", b"object", b"memory",
                         b"script", b"function", b"xinfo", b"cluster", b"acl", b"latency"])


class Session:
    __slots__ = (
        # context seen by handlers
        "ks", "protocol", "session", "services",
        # identity
        "id", "name", "lib_name", "lib_ver", "addr", "laddr", "fd", "created", "last_active",
        "last_cmd", "loopback",
        # binding
        "binding", "authenticated",
        # transaction: queued (spec, argv) list or None when not in MULTI
        "multi", "multi_error", "watched", "watch_dirty",
        # pub/sub
        "channels", "patterns", "shard_channels",
        # blocking: the Block being waited on and its argv, pending requests behind it
        "blocked", "blocked_argv", "pending", "qbuf_cap",
        # flags
        "no_evict", "no_touch", "reply_mode", "close_after_reply", "killed",
        "conn",
    )

    def __init__(self, services: Any, client_id: int, addr: str, laddr: str, fd: int,
                 loopback: bool, conn: Any = None) -> None:
        self.ks: Keyspace | None = None
        self.protocol = 2
        self.session = self
        self.services = services
        self.id = client_id
        self.name = b""
        self.lib_name = b""
        self.lib_ver = b""
        self.addr = addr
        self.laddr = laddr
        self.fd = fd
        self.created = self.last_active = time.monotonic()
        self.last_cmd: list[bytes] | None = None
        self.loopback = loopback
        self.binding: Any = None
        self.authenticated = loopback
        self.multi: list | None = None
        self.multi_error = False
        self.watched: set = set()
        self.watch_dirty = False
        self.channels: dict[bytes, None] = {}
        self.patterns: dict[bytes, None] = {}
        self.shard_channels: dict[bytes, None] = {}
        self.blocked: Any = None
        self.blocked_argv: list[bytes] | None = None
        self.qbuf_cap = 0  # modelled query buffer capacity (CLIENT LIST qbuf + qbuf-free)
        self.pending: list = []
        self.no_evict = False
        self.no_touch = False
        self.reply_mode = b"ON"
        self.close_after_reply = False
        self.killed = False
        self.conn = conn

    # -- binding ----------------------------------------------------------------------------
    def bind(self, binding: Any) -> None:
        self.binding = binding
        self.ks = None if binding is None else binding.keyspace
        self.authenticated = True

    @property
    def db(self) -> int:
        """The selected database (SELECT n) of the bound Mimei."""
        return getattr(self.ks, "db", 0)

    @property
    def scope(self) -> Any:
        """Pub/sub channels and WATCH keys are scoped to the bound Mimei."""
        return None if self.binding is None else self.binding.mid

    @property
    def subscriptions(self) -> int:
        return len(self.channels) + len(self.patterns)

    @property
    def subscribed(self) -> bool:
        return bool(self.channels or self.patterns or self.shard_channels)

    def flags(self) -> str:
        """CLIENT LIST flags, as Redis writes them."""
        out = ""
        if self.subscribed:
            out += "P"
        if self.multi is not None:
            out += "x"
        if self.blocked is not None:
            out += "b"
        if self.watch_dirty:
            out += "d"
        if self.close_after_reply:
            out += "c"
        if self.no_evict:
            out += "e"
        if self.no_touch:
            out += "T"
        return out or "N"

    def cmd_name(self) -> str:
        """The last command as CLIENT LIST names it: `get`, `client|list`."""
        argv = self.last_cmd
        if not argv:
            return "NULL"
        name = argv[0].lower()
        if name in _CONTAINERS and len(argv) > 1:
            name += b"|" + argv[1].lower()
        return name.decode("utf-8", "replace")

    def describe(self, now: float, qbuf: int = 0, obl: int = 0) -> str:
        """One CLIENT LIST line (Redis 7.2 field order), without the newline."""
        multi = -1 if self.multi is None else len(self.multi)
        # Redis keeps a 16k read buffer (bigger for a big argument) and frees it after 2s idle
        if now - self.last_active >= 2:
            self.qbuf_cap = qbuf
        elif self.qbuf_cap < qbuf:
            self.qbuf_cap = qbuf
        return (f"id={self.id} addr={self.addr} laddr={self.laddr} fd={self.fd} "
                f"name={self.name.decode('utf-8', 'replace')} age={int(now - self.created)} "
                f"idle={int(now - self.last_active)} flags={self.flags()} db={self.db} "
                f"sub={len(self.channels)} psub={len(self.patterns)} "
                f"ssub={len(self.shard_channels)} multi={multi} qbuf={qbuf} "
                f"qbuf-free={self.qbuf_cap - qbuf} argv-mem=0 multi-mem=0 rbs=1024 rbp=0 "
                f"obl={obl} oll=0 omem={obl} tot-mem={22000 + qbuf + obl} events=r "
                f"cmd={self.cmd_name()} user=default redir=-1 "
                f"resp={self.protocol} lib-name={self.lib_name.decode('utf-8', 'replace')} "
                f"lib-ver={self.lib_ver.decode('utf-8', 'replace')}")
