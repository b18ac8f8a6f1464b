"""The asyncio RESP server: a thin shell around resp.codec and the command table.

Per read: parse every complete request, run each, append the replies to one buffer, one
transport.write. The node's write buffer is flushed once per event-loop iteration for all
connections together; under appendfsync=always that flush is synced and the replies of every
connection that read in the iteration wait for it (group commit), so no reply acknowledges
a write that a kill -9 could lose.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
import time
from collections import deque
from time import monotonic, perf_counter_ns
from typing import Any

from mimeidb.commands import errors, table
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import Block, Push
from mimeidb.store import notify
from mimeidb.store.keyspace import ACCESS_CLOCK_MAX
from resp import commands as _session_commands  # noqa: F401  (registers session commands)
from resp import mm_versions as _mm_versions  # noqa: F401  (registers MM.BACKUP and the other version commands)
from resp.config import defaults as config_defaults
from resp.codec import ProtocolError, RequestParser, append, error_bytes
from resp.pubsub import PubSub
from resp.session import Session

log = logging.getLogger("mimeidb.resp")

QUEUED = b"+QUEUED\r\n"
# Redis runs these at once inside MULTI instead of queueing them (processCommand).
TX_IMMEDIATE = frozenset(["exec", "discard", "multi", "watch", "quit", "reset"])
# What a RESP2 connection in subscribed mode may run.
SUBSCRIBED_OK = frozenset(["subscribe", "psubscribe", "ssubscribe", "unsubscribe",
                           "punsubscribe", "sunsubscribe", "ping", "quit", "reset"])
# Client output buffer limit for pub/sub clients (client-output-buffer-limit pubsub 32mb 8mb 60).
PUBSUB_HARD_LIMIT = 32 * 1024 * 1024
PUBSUB_SOFT_LIMIT = 8 * 1024 * 1024
PUBSUB_SOFT_SECONDS = 60
# Stop reading from a client while this much of its output is unsent (backpressure).
WRITE_HIGH_WATER = 1024 * 1024


OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'."
# Commands that look at keys without counting as an access (Redis's LOOKUP_NOTOUCH callers).
NO_TOUCH = frozenset(("ttl", "pttl", "type", "exists", "object", "expiretime", "pexpiretime"))
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class Plan:
    """What execute needs of a command, worked out once per name (not per call)."""

    __slots__ = ("spec", "handler", "arity", "noauth", "unbound", "write", "denyoom", "sub_ok",
                 "queued", "touch", "stat")

    def __init__(self, spec: Any) -> None:
        flags = spec.flags
        self.spec = spec
        self.handler = spec.handler
        self.arity = spec.arity
        self.noauth = "no-auth" in flags
        self.unbound = "unbound" in flags
        self.write = "write" in flags
        self.denyoom = "denyoom" in flags
        self.sub_ok = spec.name in SUBSCRIBED_OK
        self.queued = spec.name not in TX_IMMEDIATE
        # 0: no access clock update; 1: the only key is argv[1]; 2: spec.keys(argv)
        if not spec.first_key or spec.name in NO_TOUCH:
            self.touch = 0
        elif (spec.getkeys is None and spec.first_key == 1 and spec.last_key == 1
              and abs(spec.arity) >= 2):
            self.touch = 1
        else:
            self.touch = 2
        # INFO commandstats name; None when it depends on the subcommand (stat_name)
        self.stat = None if spec.name in _CONTAINERS else spec.name


PLAN_CACHE_MAX = 4096


def used_memory() -> int:
    """The process's resident memory in bytes (what INFO used_memory reports)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Replies(list):
    """Several replies to one command (SUBSCRIBE a b c answers once per channel)."""


def ks_scope(ks: Any) -> Any:
    """Identity of a keyspace for WATCH and blocking: (mid, db) for a Mimei's keyspaces (so a
    read-only view and SWAPDB keep it), else its storage namespace or name."""
    scope = getattr(ks, "scope", None)
    if scope is not None:
        return scope
    raw = getattr(ks, "raw", None)
    ns = getattr(raw, "ns", None)
    if ns is not None:
        return ns
    return ks.name or id(ks)


class Stats:
    def __init__(self) -> None:
        self.reset()
        self.started = time.time()

    def reset(self) -> None:
        self.connections_received = 0
        self.commands_processed = 0
        self.rejected_connections = 0
        self.errors = 0
        self.net_input_bytes = 0
        self.net_output_bytes = 0
        self.keyspace_hits = 0
        self.keyspace_misses = 0
        self.pubsub_messages = 0
        self.evicted_keys = 0
        # INFO commandstats: name -> [calls, usec, rejected_calls, failed_calls]
        self.cmdstats: dict[str, list[int]] = {}
        # INFO errorstats: error code (the reply's first word) -> count
        self.errorstats: dict[str, int] = {}

    def error(self, message: str) -> None:
        """An error reply was sent."""
        self.errors += 1
        code = message.split(" ", 1)[0]
        self.errorstats[code] = self.errorstats.get(code, 0) + 1

    def call(self, name: str, usec: int, failed: bool) -> None:
        row = self.cmdstats.get(name)
        if row is None:
            row = self.cmdstats[name] = [0, 0, 0, 0]
        row[0] += 1
        row[1] += usec
        if failed:
            row[3] += 1

    def rejected(self, name: str) -> None:
        row = self.cmdstats.get(name)
        if row is None:
            row = self.cmdstats[name] = [0, 0, 0, 0]
        row[2] += 1


class RespServer:
    """Node-wide RESP state; handlers reach it as `ctx.services`."""

    def __init__(self, node: Any, loop: asyncio.AbstractEventLoop, port: int = 0) -> None:
        self.node = node
        self.loop = loop
        self.port = port
        self.commands = table.load_all()
        self.plans: dict[bytes, Plan] = {}
        self.clients: dict[int, RespConnection] = {}
        self.next_id = 1
        self.stats = Stats()
        self.pubsub = PubSub()
        self.watchers: dict[tuple, set[Session]] = {}
        self.waiters: dict[tuple, deque[Session]] = {}
        self.ready: dict[tuple, None] = {}
        self.dirty = 0  # changes since start (INFO rdb_changes_since_last_save)
        self.cmd_seq = 0  # bumped per command run: dirty counts a command's writes once
        self._dirty_seq = -1
        self.config: dict[str, str] = default_config(node, port)
        self.notify_flags = 0
        self.lastsave = int(time.time())
        self.paused_until = 0.0
        self._flush_scheduled = False
        self._serve_scheduled = False
        self._commit: list[tuple[RespConnection, bytes]] = []
        self.server: asyncio.AbstractServer | None = None
        node.mimei.add_listener(self.key_modified)

    def plan(self, name: bytes) -> Plan | None:
        """The Plan of a command name as sent (any case), cached; None if unknown."""
        spec = self.commands.get(name)
        if spec is None:
            spec = self.commands.get(name.lower())
            if spec is None:
                return None
        plan = Plan(spec)
        if len(self.plans) < PLAN_CACHE_MAX:
            self.plans[bytes(name)] = plan
        return plan

    def out_of_memory(self) -> bool:
        """maxmemory is set and the process uses more (Redis evicts, or with noeviction
        refuses denyoom commands)."""
        setting = self.config.get("maxmemory", "0")
        if setting == "0":
            return False
        limit = int(setting)
        return bool(limit) and used_memory() > limit

    def evict(self, session: Session) -> bool:
        """Free memory the way maxmemory-policy says; True once under the limit.

        Keys are evicted from the databases of the session's own Mimei only: one Mimei's
        client must not wipe another's data. The process's memory barely moves when keys
        leave RocksDB, so an evicting policy with a limit under the node's baseline empties
        those databases, as Redis does with a limit under its own baseline."""
        policy = self.config.get("maxmemory-policy", "noeviction")
        binding = session.binding
        if policy == "noeviction" or binding is None or not binding.writable:
            return not self.out_of_memory()
        volatile = policy.startswith("volatile-")
        for ks in self.node.mimei.databases(binding.mid):
            for key, meta in list(ks.keys()):
                if not self.out_of_memory():
                    return True
                if volatile and not meta.expire_ms:
                    continue
                ks.delete(key)
                ks.notify(notify.EVICTED, b"evicted", key)
                self.stats.evicted_keys += 1
        return not self.out_of_memory()

    @property
    def maxclients(self) -> int:
        return int(self.config["maxclients"])

    # -- keys: WATCH and blocked clients ----------------------------------------------------
    def key_modified(self, keyspace: Any, key: bytes) -> None:
        if self._dirty_seq != self.cmd_seq:
            self._dirty_seq = self.cmd_seq
            self.dirty += 1
        if not self.watchers and not self.waiters:
            return
        where = (ks_scope(keyspace), key)
        watching = self.watchers.get(where)
        if watching:
            for session in watching:
                session.watch_dirty = True
        if where in self.waiters:
            self.ready[where] = None
            if not self._serve_scheduled:
                self._serve_scheduled = True
                self.loop.call_soon(self._serve_soon)

    def watch(self, session: Session, key: bytes) -> None:
        where = (ks_scope(session.ks), key)
        if where not in session.watched:
            session.watched.add(where)
            self.watchers.setdefault(where, set()).add(session)

    def unwatch(self, session: Session) -> None:
        for where in session.watched:
            watching = self.watchers.get(where)
            if watching is not None:
                watching.discard(session)
                if not watching:
                    del self.watchers[where]
        session.watched = set()
        session.watch_dirty = False

    def _serve_soon(self) -> None:
        self._serve_scheduled = False
        self.serve_ready()

    def serve_ready(self) -> None:
        """Re-run the commands of clients blocked on keys that were written, first come first
        served per key (Redis's handleClientsBlockedOnKeys)."""
        while self.ready:
            where = next(iter(self.ready))
            del self.ready[where]
            queue = self.waiters.get(where)
            if not queue:
                continue
            for session in list(queue):
                if session.blocked is not None:
                    session.conn.retry_blocked()

    def unpark(self, session: Session) -> None:
        spec, argv, block, timer = session.blocked
        session.blocked = None
        if timer is not None:
            timer.cancel()
        scope = ks_scope(session.ks)
        for key in block.keys:
            queue = self.waiters.get((scope, key))
            if queue is not None:
                try:
                    queue.remove(session)
                except ValueError:
                    pass
                if not queue:
                    del self.waiters[(scope, key)]

    # -- writes: flush and group commit -----------------------------------------------------
    def send(self, conn: "RespConnection", out: bytes | bytearray) -> None:
        """Write a connection's replies: at once, or after the synced flush (always)."""
        if self.node.db.appendfsync == "always" and self.node.buffer:
            self._commit.append((conn, bytes(out)))
            if not self._flush_scheduled:
                self._flush_scheduled = True
                self.loop.call_soon(self._flush)
            return
        conn.write(out)
        if not self._flush_scheduled and self.node.buffer:
            self._flush_scheduled = True
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        try:
            self.node.buffer.flush()
        except Exception:
            log.exception("write buffer flush failed")
            for conn, _ in self._commit:
                conn.write(error_bytes("ERR internal error: write failed"))
                conn.close()
            self._commit.clear()
            return
        if self._commit:
            waiting, self._commit = self._commit, []
            for conn, out in waiting:
                conn.write(out)

    # -- keyspace notifications -------------------------------------------------------------
    def set_notify_flags(self, flags: int) -> None:
        """notify-keyspace-events changed: keyspaces call keyspace_event only while some class
        is on and K or E says where to publish (otherwise Redis publishes nothing)."""
        self.notify_flags = flags
        on = flags & (notify.KEYSPACE | notify.KEYEVENT) and flags & ~(notify.KEYSPACE
                                                                       | notify.KEYEVENT)
        self.node.mimei.set_notifier(self.keyspace_event if on else None)

    def keyspace_event(self, ks: Any, flag: int, event: bytes, key: bytes) -> None:
        """Publish `event` on __keyspace@<db>__:<key> and `key` on __keyevent@<db>__:<event>
        to the subscribers of the keyspace's Mimei (channels are scoped per Mimei)."""
        flags = self.notify_flags
        if not flags & flag:
            return
        scope = getattr(ks, "mid", None)
        db = getattr(ks, "db", 0)
        if flags & notify.KEYSPACE:
            self.pubsub.publish(scope, b"__keyspace@%d__:%s" % (db, key), event, self.deliver)
        if flags & notify.KEYEVENT:
            self.pubsub.publish(scope, b"__keyevent@%d__:%s" % (db, event), key, self.deliver)

    # -- pub/sub delivery -------------------------------------------------------------------
    def deliver(self, session: Session, message: list) -> None:
        self.stats.pubsub_messages += 1
        out = bytearray()
        append(out, Push(message), session.protocol)
        session.conn.write_pubsub(out)

    # -- clients ----------------------------------------------------------------------------
    def sessions(self) -> list[Session]:
        return [conn.session for conn in self.clients.values()]

    def kill(self, client_id: int) -> bool:
        conn = self.clients.get(client_id)
        if conn is None:
            return False
        conn.close()
        return True


class RespConnection(asyncio.Protocol):
    __slots__ = ("server", "transport", "parser", "session", "closed", "_soft_since",
                 "_paused")

    def __init__(self, server: RespServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.parser = RequestParser()
        self.session: Session = None  # type: ignore[assignment]
        self.closed = False
        self._soft_since = 0.0
        self._paused = False

    # -- lifecycle --------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        server = self.server
        self.transport = transport  # type: ignore[assignment]
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)  # type: ignore[attr-defined]
        sock = transport.get_extra_info("socket")
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        client_id = server.next_id
        server.next_id += 1
        server.stats.connections_received += 1
        loopback = _is_loopback(peer)
        self.session = Session(server, client_id, _addr(peer), _addr(local),
                               sock.fileno() if sock is not None else -1, loopback, self)
        if len(server.clients) >= server.maxclients:
            server.stats.rejected_connections += 1
            transport.write(b"-ERR max number of clients reached\r\n")  # type: ignore[attr-defined]
            self.closed = True
            transport.close()
            return
        server.clients[client_id] = self
        if loopback:
            self.session.bind(server.node.mimei.default_binding())
        self.parser.auth_required = not self.session.authenticated

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        server = self.server
        session = self.session
        if session is None or server.clients.pop(session.id, None) is None:
            return
        if session.blocked is not None:
            server.unpark(session)
        server.unwatch(session)
        _drop_subscriptions(server, session)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.session.killed = True
            if self.transport is not None:
                self.transport.close()

    def pause_writing(self) -> None:
        self._paused = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self._paused = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def write(self, out: bytes | bytearray) -> None:
        if not self.closed:
            self.server.stats.net_output_bytes += len(out)
            self.transport.write(out)  # type: ignore[union-attr]

    def write_pubsub(self, out: bytes | bytearray) -> None:
        """A pushed message, under the pub/sub output buffer limits (slow subscribers go)."""
        if self.closed:
            return
        self.write(out)
        size = self.transport.get_write_buffer_size()  # type: ignore[union-attr]
        if size > PUBSUB_SOFT_LIMIT:
            now = time.monotonic()
            if size > PUBSUB_HARD_LIMIT or (self._soft_since and
                                            now - self._soft_since > PUBSUB_SOFT_SECONDS):
                log.warning("closing pub/sub client %d over its output buffer limit",
                            self.session.id)
                self.transport.abort()  # type: ignore[union-attr]
                self.closed = True
            elif not self._soft_since:
                self._soft_since = now
        else:
            self._soft_since = 0.0

    # -- requests ---------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        server = self.server
        server.stats.net_input_bytes += len(data)
        session = self.session
        try:
            requests = self.parser.feed(data)
        except ProtocolError as exc:
            out = bytearray()
            if session.blocked is None and not session.pending:
                pass
            if exc.message is not None:
                out += error_bytes(exc.message)
            log.debug("client %d protocol error: %s", session.id, exc.message)
            if out:
                self.write(out)
            self.closed = True
            self.transport.close()  # type: ignore[union-attr]
            return
        want = max(len(data), self.parser.pending(), self.parser.wanted())
        if session.qbuf_cap < want or session.qbuf_cap < 16384:
            session.qbuf_cap = max(want, 16384)
        if not requests:
            session.last_active = time.monotonic()
            return
        session.last_active = time.monotonic()
        if session.blocked is not None or session.pending:
            session.pending.extend(requests)
            return
        out = bytearray()
        self.run(requests, 0, out)
        if out:
            server.send(self, out)
        if session.close_after_reply:
            self._close_after_write()

    def run(self, requests: list, start: int, out: bytearray) -> None:
        """Run requests[start:] in order; stops (keeping the rest) when one blocks."""
        session = self.session
        server = self.server
        execute = self.execute
        n = len(requests)
        i = start
        while i < n:
            execute(requests[i], out)
            i += 1
            if server.ready:
                server.serve_ready()
            if session.blocked is not None:
                session.pending = requests[i:]
                return
            if session.close_after_reply or self.closed:
                return

    def execute(self, argv: list[bytes], out: bytearray) -> None:
        """One command: table checks, the handler, its reply appended to out."""
        server = self.server
        session = self.session
        server.stats.commands_processed += 1
        name = argv[0]
        plan = server.plans.get(name)
        if plan is None:
            plan = server.plan(name)
            if plan is None:
                self._reject(out, errors.unknown_command(name, argv[1:]).message)
                return
        spec = plan.spec
        arity = plan.arity
        if (arity > 0 and len(argv) != arity) or len(argv) < -arity:
            self._reject(out, errors.wrong_arity(spec.name).message, spec.name)
            return
        if not session.authenticated and not plan.noauth:
            self._reject(out, errors.NOAUTH, spec.name)
            return
        ks = session.ks
        if ks is None:
            if not plan.unbound:
                self._reject(out, errors.NOT_BOUND, spec.name)
                return
        elif plan.write and ks.readonly:
            self._reject(out, errors.READONLY, spec.name)
            return
        if session.protocol == 2 and not plan.sub_ok and (
                session.channels or session.patterns or session.shard_channels):
            self._reject(out, f"ERR Can't execute '{spec.name}': only (P|S)SUBSCRIBE / "
                              f"(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
                              f"context", spec.name)
            return
        if plan.denyoom and server.out_of_memory() and not server.evict(session):
            self._reject(out, OOM_ERROR, spec.name)
            return
        if session.multi is not None and plan.queued:
            session.multi.append((spec, argv))
            out += QUEUED
            return
        session.last_cmd = argv
        server.cmd_seq += 1
        touch = plan.touch
        if touch and ks is not None and not session.no_touch:
            if touch == 1:  # the only key is argv[1]
                clock = ks.last_access
                if len(clock) >= ACCESS_CLOCK_MAX:
                    clock.clear()
                clock[argv[1]] = monotonic()
            else:
                ks.touch_access(spec.keys(argv), monotonic())
        started = perf_counter_ns()
        try:
            reply = plan.handler(session, argv[1:])
        except RedisError as exc:
            server.stats.call(stat_name(spec, argv), (perf_counter_ns() - started) // 1000, True)
            server.stats.error(exc.message)
            out += error_bytes(exc.message)
            return
        except Exception as exc:  # a handler bug must not take the connection down
            log.exception("command %s failed", spec.name)
            message = f"ERR internal error: {exc.__class__.__name__}: {exc}"
            server.stats.call(stat_name(spec, argv), (perf_counter_ns() - started) // 1000, True)
            server.stats.error(message)
            out += error_bytes(message)
            return
        cls = reply.__class__
        if cls is not Block:
            usec = (perf_counter_ns() - started) // 1000
            stat = plan.stat
            if stat is None:
                stat = stat_name(spec, argv)
            cmdstats = server.stats.cmdstats
            row = cmdstats.get(stat)
            if row is None:
                row = cmdstats[stat] = [0, 0, 0, 0]
            row[0] += 1
            row[1] += usec
            if cls is RedisError:
                row[3] += 1
        if session.reply_mode != b"ON":
            # CLIENT REPLY OFF/SKIP silence replies, not pushes (subscribe confirmations)
            if session.reply_mode == b"SKIP":
                session.reply_mode = b"ON"
            elif session.reply_mode == b"SKIP_NEXT":  # CLIENT REPLY SKIP itself ran
                session.reply_mode = b"SKIP"
            if cls is Push:
                append(out, reply, session.protocol)
            elif cls is Replies:
                for item in reply:
                    if item.__class__ is Push:
                        append(out, item, session.protocol)
            return
        if cls is Block:
            self.park(spec, argv, reply)
            return
        if cls is Replies:
            for item in reply:
                append(out, item, session.protocol)
            return
        append(out, reply, session.protocol)

    def _reject(self, out: bytearray, message: str, name: str | None = None) -> None:
        """An error before the command ran: inside MULTI it also dooms the transaction."""
        self.server.stats.error(message)
        if name is not None:
            self.server.stats.rejected(name)
        if self.session.multi is not None:
            self.session.multi_error = True
        out += error_bytes(message)

    # -- blocking ---------------------------------------------------------------------------
    def park(self, spec: Any, argv: list[bytes], block: Block) -> None:
        server = self.server
        session = self.session
        timer = None
        if block.timeout > 0:
            timer = server.loop.call_later(block.timeout, self.block_timeout)
        session.blocked = (spec, argv, block, timer)
        session.blocked_argv = argv
        scope = ks_scope(session.ks)
        for key in block.keys:
            server.waiters.setdefault((scope, key), deque()).append(session)

    def retry_blocked(self) -> None:
        """A key this client waits on was written: run its command again."""
        session = self.session
        spec, argv, block, _ = session.blocked
        self.server.cmd_seq += 1
        try:
            reply = spec.handler(session, argv[1:])
        except RedisError as exc:
            reply = exc
        except Exception as exc:
            log.exception("command %s failed", spec.name)
            reply = RedisError(f"ERR internal error: {exc.__class__.__name__}: {exc}")
        if reply.__class__ is Block:
            return
        self.unblock(reply)

    def block_timeout(self) -> None:
        if self.session.blocked is not None:
            self.unblock(self.session.blocked[2].timeout_reply)

    def unblock(self, reply: Any) -> None:
        """Leave the blocked state with reply, then run what the client sent meanwhile."""
        server = self.server
        session = self.session
        server.unpark(session)
        out = bytearray()
        argv = session.blocked_argv
        if argv is not None:
            session.blocked_argv = None
            spec = server.commands.get(argv[0].lower())
            if spec is not None:
                server.stats.call(stat_name(spec, argv), 0, isinstance(reply, RedisError))
        if isinstance(reply, RedisError):
            server.stats.error(reply.message)
            out += error_bytes(reply.message)
        else:
            append(out, reply, session.protocol)
        pending, session.pending = session.pending, []
        if pending and not self.closed:
            self.run(pending, 0, out)
        server.send(self, out)
        if session.close_after_reply:
            self._close_after_write()

    def _close_after_write(self) -> None:
        if self.server._commit:
            self.server.loop.call_soon(self._close_after_write)
            return
        self.close()


_CONTAINERS = frozenset(["client", "config", "command", "pubsub", "object", "memory", "script",
                         "function", "xinfo", "xgroup", "cluster", "acl", "latency", "module",
                         "slowlog"])


def stat_name(spec: Any, argv: list[bytes]) -> str:
    """The name INFO commandstats uses: `get`, or `client|list` for a subcommand."""
    name = spec.name
    if name in _CONTAINERS and len(argv) > 1:
        return name + "|" + argv[1].decode("utf-8", "replace").lower()
    return name


def _drop_subscriptions(server: RespServer, session: Session) -> None:
    scope = session.scope
    pubsub = server.pubsub
    for channel in session.channels:
        pubsub.remove(pubsub.channels, scope, channel, session)
    for pattern in session.patterns:
        pubsub.remove(pubsub.patterns, scope, pattern, session)
    for channel in session.shard_channels:
        pubsub.remove(pubsub.shard_channels, scope, channel, session)
    session.channels = {}
    session.patterns = {}
    session.shard_channels = {}


def _addr(name: Any) -> str:
    if isinstance(name, tuple) and len(name) >= 2:
        host = name[0]
        return f"[{host}]:{name[1]}" if ":" in host and not host.startswith("::ffff:") \
            else f"{host}:{name[1]}"
    return f"{name or ''}:0"


def _is_loopback(peer: Any) -> bool:
    """Redis's protected mode lets loopback and unix-socket clients in without AUTH."""
    if not isinstance(peer, tuple):
        return True  # unix socket
    try:
        address = ipaddress.ip_address(peer[0].split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def default_config(node: Any, port: int) -> dict[str, str]:
    """The CONFIG parameters (resp.config), with Redis's defaults and this node's values."""
    cfg = getattr(node, "config", None)
    return config_defaults(port, getattr(cfg, "maxclients", 10000), node.db.appendfsync,
                           str(getattr(node.db, "path", "")))


class RespListener(asyncio.AbstractServer):
    """The listening server start_resp_server returns: the loop's server plus `resp` (the
    RespServer) and `close_clients()` for shutdown."""

    def __init__(self, inner: asyncio.AbstractServer, resp: RespServer) -> None:
        self._inner = inner
        self.resp = resp

    @property
    def sockets(self):  # type: ignore[override]
        return self._inner.sockets

    def close(self) -> None:
        self._inner.close()

    def close_clients(self) -> None:
        for conn in list(self.resp.clients.values()):
            conn.close()

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._inner.get_loop()

    def is_serving(self) -> bool:
        return self._inner.is_serving()

    async def start_serving(self) -> None:
        await self._inner.start_serving()

    async def serve_forever(self) -> None:
        await self._inner.serve_forever()

    async def wait_closed(self) -> None:
        await self._inner.wait_closed()


async def start_resp_server(node: Any, host: str, port: int) -> asyncio.AbstractServer:
    """Serve RESP for node on host:port (port 0 picks a free one)."""
    loop = asyncio.get_running_loop()
    server = RespServer(node, loop, port)
    inner = await loop.create_server(lambda: RespConnection(server), host, port,
                                     reuse_address=True, backlog=511)
    if port == 0 and inner.sockets:
        server.port = inner.sockets[0].getsockname()[1]
        server.config["port"] = str(server.port)
    listener = RespListener(inner, server)
    server.server = listener
    return listener


def install_uvloop() -> bool:
    """Use uvloop for the process's event loops when it is installed."""
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True
