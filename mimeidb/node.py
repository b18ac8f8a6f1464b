"""A running node: the store and the faces (RESP, HTTP gateway) wired together, and its lifecycle.

This module and the CLI are the only places that know every part (DESIGN.md §2).
"""
from __future__ import annotations

import asyncio
import errno
import fcntl
import logging
import os
import signal
import time
from pathlib import Path

import ifaddr

from mimeidb import __version__
from mimeidb.config import DB_DIR, LOCK_FILE, LOG_FILE, PID_FILE, Home, Settings
from mimeidb.ipfs.blockstore import RocksBlockStore
from mimeidb.mimei import MimeiManager
from mimeidb.store.db import Database
from mimeidb.store.writebuffer import WriteBuffer

log = logging.getLogger("mimeidb.node")

EXPIRE_CYCLE_S = 0.1    # Redis's active expire runs 10 times a second (hz 10)
EXPIRE_BUDGET = 200     # keys deleted per keyspace per cycle, so a sweep never stalls clients


class NodeError(Exception):
    """A start-up problem the user can fix (home locked, port in use...)."""


class Node:
    def __init__(self, home: Home) -> None:
        self.home = home
        self.settings: Settings = home.load_settings()
        self.key = home.key()
        self.id = self.key.id
        self.peer_id = self.key.peer_id
        self.version = __version__
        self.started = time.time()
        self._lock_fd: int | None = None
        self._stopping: asyncio.Event | None = None
        self._tasks: list[asyncio.Task] = []
        self._servers: list = []
        self._runner = None
        self.db: Database | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._auto_pending: dict[str, asyncio.TimerHandle] = {}
        self.p2p = None  # replication.service.P2PService once the p2p engine runs
        self._p2p_start: asyncio.Task | None = None

    # -- store -----------------------------------------------------------------------
    def open_store(self) -> None:
        """Lock the home and open the database (also used offline, e.g. by `init`)."""
        self._lock_home()
        self.db = Database(self.home.file(DB_DIR), self.settings.AppendFsync)
        self.buffer = WriteBuffer(self.db)
        self.blocks = RocksBlockStore(self.db)
        self.mimei = MimeiManager(self.db, self.buffer, self.key, self.home.secret())
        default = self.mimei.ensure_default(self.settings.DefaultMimei)
        if default != self.settings.DefaultMimei:
            self.settings.DefaultMimei = default
            self.home.save_settings(self.settings)

    def _lock_home(self) -> None:
        fd = os.open(self.home.file(LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise NodeError(f"another mimeidb node is already running on home {self.home.path}") from None
        self._lock_fd = fd

    def close_store(self) -> None:
        if self.db is not None and not self.db.closed:
            self.buffer.flush(sync=True)
            self.db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- auto-backup: a backup `delay` ms after the first write, writes coalesced ----
    def _auto_modified(self, ks, key: bytes) -> None:
        mid = ks.name
        if mid in self._auto_pending or self._loop is None:
            return
        delay = self.mimei.autobackup(mid)
        if delay:
            self._schedule_backup(mid, delay)

    def _schedule_backup(self, mid: str, delay_ms: int) -> None:
        loop = self._loop
        assert loop is not None
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if not on_loop:  # a write from a worker thread
            loop.call_soon_threadsafe(self._schedule_backup, mid, delay_ms)
            return
        if mid not in self._auto_pending:
            self._auto_pending[mid] = loop.call_later(delay_ms / 1000, self._auto_backup, mid)

    def _auto_backup(self, mid: str) -> None:
        self._auto_pending.pop(mid, None)
        try:
            if self.db is None or self.db.closed or not self.mimei.autobackup(mid):
                return
            commit = self.mimei.backup(mid, "auto")
            if commit is not None:
                log.debug("auto-backup of %s: version %d", mid, commit.version)
        except Exception:  # a failed auto-backup must not stop the node
            log.exception("auto-backup of %s failed", mid)

    def set_default_mimei(self, mid: str) -> None:
        self.mimei.require(mid)
        self.mimei.default_mid = mid
        self.settings.DefaultMimei = mid
        self.home.save_settings(self.settings)

    # -- addresses -------------------------------------------------------------------
    def local_addrs(self) -> list[str]:
        """This node's multiaddrs on the p2p port, one per local address it listens on."""
        port = self.settings.P2PPort
        bind = self.settings.Bind
        if bind not in ("0.0.0.0", "::"):
            proto = "ip6" if ":" in bind else "ip4"
            return [f"/{proto}/{bind}/tcp/{port}"]
        addrs = []
        for adapter in ifaddr.get_adapters():
            for ip in adapter.ips:
                if isinstance(ip.ip, tuple):
                    if not ip.ip[0].startswith("fe80"):
                        addrs.append(f"/ip6/{ip.ip[0]}/tcp/{port}")
                else:
                    addrs.append(f"/ip4/{ip.ip}/tcp/{port}")
        addrs.sort(key=lambda a: (not a.startswith("/ip4/127."), a.startswith("/ip6"), a))
        return addrs

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        from aiohttp import web

        from gateway.app import make_app
        from resp.server import start_resp_server

        self.open_store()
        self._stopping = asyncio.Event()
        host = self.settings.Bind
        try:
            self._runner = web.AppRunner(make_app(self), access_log=None, handle_signals=False)
            await self._runner.setup()
            await web.TCPSite(self._runner, host, self.settings.Port, reuse_address=True).start()
            self._servers.append(await start_resp_server(self, host, self.settings.RespPort))
        except OSError as exc:
            await self._close_faces()
            self.close_store()
            if exc.errno == errno.EADDRINUSE:
                raise NodeError(f"port already in use: {exc.strerror} "
                                f"(HTTP {self.settings.Port}, RESP {self.settings.RespPort}); "
                                f"choose others with `mimeidb init -p PORT --resp-port PORT`") from None
            raise NodeError(f"cannot listen on {host}: {exc.strerror}") from None
        self._tasks.append(asyncio.create_task(self._fsync_loop()))
        self._tasks.append(asyncio.create_task(self._expire_loop()))
        self._loop = asyncio.get_running_loop()
        self.mimei.add_listener(self._auto_modified)
        for mid in self.mimei.autobackup_mids():  # writes made before a restart
            if self.mimei.record(mid) is not None:
                self._schedule_backup(mid, self.mimei.autobackup(mid))
        log.info("node %s (%s) serving HTTP %s:%d, RESP %s:%d", self.id, self.peer_id, host,
                 self.settings.Port, host, self.settings.RespPort)
        self._p2p_start = asyncio.create_task(self._start_p2p())

    async def _start_p2p(self) -> None:
        """The p2p layer is optional and starts beside the faces (importing libp2p takes a
        second): a failure to start it is a warning, never a stop."""
        try:
            from replication.service import P2PService
            self.p2p = P2PService(self)
            await self.p2p.start()
        except Exception as exc:  # noqa: BLE001 - missing libp2p, port in use, ...
            if self.p2p is not None:
                self.p2p.ready.set()
            self.p2p = None
            log.warning("p2p layer not started: %s", exc)

    def request_stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()

    async def wait_stopped(self) -> None:
        assert self._stopping is not None
        await self._stopping.wait()

    async def stop(self) -> None:
        for mid, handle in list(self._auto_pending.items()):  # back up what is pending now
            handle.cancel()
            self._auto_backup(mid)
        if self._p2p_start is not None and not self._p2p_start.done():
            await asyncio.wait({self._p2p_start}, timeout=30)
        if self.p2p is not None:
            try:
                await self.p2p.stop()
            except Exception:  # noqa: BLE001 - stopping must go on
                log.exception("p2p stop failed")
            self.p2p = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._close_faces()
        self.close_store()
        log.info("node stopped")

    async def _close_faces(self) -> None:
        for server in self._servers:
            server.close()
            close_clients = getattr(server, "close_clients", None)
            if close_clients is not None:
                close_clients()
        for server in self._servers:
            try:
                await asyncio.wait_for(server.wait_closed(), 2)
            except asyncio.TimeoutError:
                pass
        self._servers.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _fsync_loop(self) -> None:
        """appendfsync everysec: sync the WAL once a second (always syncs on each write)."""
        while True:
            await asyncio.sleep(1)
            if self.settings.AppendFsync == "everysec":
                self.buffer.flush()
                await asyncio.to_thread(self.db.sync_wal)

    async def _expire_loop(self) -> None:
        try:
            from mimeidb.commands.expiry import sweep
        except ImportError:
            return
        while True:
            await asyncio.sleep(EXPIRE_CYCLE_S)
            now = time.time_ns() // 1_000_000
            try:
                for ks in self.mimei.live_keyspaces():
                    sweep(ks, now, EXPIRE_BUDGET)
                self.buffer.flush()
            except Exception:  # a bad sweep must not stop the node
                log.exception("expiry sweep failed")


def run_foreground(home: Home) -> int:
    """`mimeidb run`: serve until SIGTERM/SIGINT or an API shutdown; 0 on a clean stop."""
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    node = Node(home)

    async def main() -> None:
        await node.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, node.request_stop)
        pid_path = home.file(PID_FILE)
        pid_path.write_text(f"{os.getpid()}\n")
        try:
            await node.wait_stopped()
        finally:
            await node.stop()
            pid_path.unlink(missing_ok=True)

    asyncio.run(main())
    return 0


def setup_logging(home: Home, level: str, to_file: bool) -> None:
    handler: logging.Handler
    if to_file:
        handler = logging.FileHandler(home.file(LOG_FILE))
    else:
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def log_path(home: Home) -> Path:
    return home.file(LOG_FILE)
