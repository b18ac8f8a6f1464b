"""`mimeidb init`, `run [-d]` and `stop`: the node's home and lifecycle."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from multiaddr import Multiaddr

from mimeidb.cli.client import ApiClient, CliError
from mimeidb.config import LOG_FILE, PID_FILE, Home

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


def register(sub) -> None:
    p = sub.add_parser("init", help="create or change a node home (ports, bootstrap peers)",
                       description="Create the node home (key, token, SystemVars.json) or change its "
                                   "settings. The node key is kept: running init again keeps the identity.")
    p.add_argument("-p", "--port", type=int, help="HTTP port (default 4800)")
    p.add_argument("--resp-port", type=int, help="RESP (Redis protocol) port (default 4801)")
    p.add_argument("--p2p-port", type=int, help="p2p port (default 4802)")
    p.add_argument("-b", "--bootstrap", action="append", metavar="MULTIADDR",
                   help="bootstrap peer multiaddr (repeatable; replaces the list)")
    p.add_argument("--bind", help="address to listen on (default 0.0.0.0)")
    p.add_argument("--appendfsync", choices=("always", "everysec", "no"),
                   help="durability of writes (default everysec)")
    p.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"), type=str.upper)
    p.add_argument("--mdns", choices=("on", "off"), type=str.lower,
                   help="advertise and find nodes on the LAN by mDNS (default on)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("run", help="run the node (in the foreground, or -d as a daemon)",
                       description="Serve HTTP, RESP and p2p. The first run makes a home if there is none.")
    p.add_argument("-d", "--daemon", action="store_true", help="run in the background; returns once the node answers")
    p.add_argument("--log-to-file", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("stop", help="stop the running node cleanly",
                       description="Ask the node to shut down and wait until its process has exited.")
    p.set_defaults(func=cmd_stop)


def cmd_init(args, ctx) -> int:
    home = ctx.home
    created = home.ensure()
    settings = home.load_settings()
    for attr, value in (("Port", args.port), ("RespPort", args.resp_port), ("P2PPort", args.p2p_port),
                        ("Bind", args.bind), ("AppendFsync", args.appendfsync), ("LogLevel", args.log_level)):
        if value is not None:
            setattr(settings, attr, value)
    if args.mdns is not None:
        settings.MDNS = args.mdns == "on"
    if args.bootstrap is not None:
        for addr in args.bootstrap:
            try:
                Multiaddr(addr)
            except Exception as exc:  # multiaddr raises several types for bad input
                raise CliError(f"bad bootstrap multiaddr {addr!r}: {exc}") from None
        settings.Bootstrap = list(args.bootstrap)
    home.save_settings(settings)
    default_mid = _ensure_default_mimei(home)
    key = home.key()
    ctx.emit({"ID": key.id, "PeerID": key.peer_id, "Home": str(home.path), "Created": created,
              "Settings": settings.__dict__, "DefaultMimei": default_mid},
             f"{'initialized' if created else 'updated'} node {key.id} in {home.path}",
             f"HTTP {settings.Port}  RESP {settings.RespPort}  p2p {settings.P2PPort}",
             *(f"bootstrap {b}" for b in settings.Bootstrap))
    return 0


def _ensure_default_mimei(home: Home) -> str:
    """Create the default db Mimei now if the store is free (a running node already has one)."""
    from mimeidb.node import Node, NodeError

    node = Node(home)
    try:
        node.open_store()
    except NodeError:
        return node.settings.DefaultMimei
    try:
        return node.mimei.default_mid
    finally:
        node.close_store()


def _running_pid(home: Home) -> int | None:
    try:
        pid = int(home.file(PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def cmd_run(args, ctx) -> int:
    from mimeidb.node import NodeError, run_foreground, setup_logging

    home = ctx.home
    home.ensure()
    pid = _running_pid(home)
    if pid is not None:
        raise CliError(f"a mimeidb node is already running for {home.path} (pid {pid})")
    if args.daemon:
        return _start_daemon(ctx)
    settings = home.load_settings()
    setup_logging(home, settings.LogLevel, to_file=args.log_to_file)
    try:
        return run_foreground(home)
    except NodeError as exc:
        raise CliError(str(exc)) from None


def _start_daemon(ctx) -> int:
    home = ctx.home
    log = open(home.file(LOG_FILE), "ab")
    start_offset = log.tell()
    child = subprocess.Popen(
        [sys.executable, "-m", "mimeidb", "--home", str(home.path), "run", "--log-to-file"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True)
    log.close()
    api = ApiClient(home, timeout=2.0)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.poll() is not None:
            tail = _log_tail(home, start_offset)
            raise CliError(f"the node did not start (exit {child.returncode}): {tail}")
        try:
            info = api.call("GET", "/api/v0/id")
            if info.get("Pid") == child.pid:
                ctx.emit(info, f"mimeidb node {info['ID']} started (pid {child.pid})",
                         f"HTTP 127.0.0.1:{info['Ports']['http']}  RESP 127.0.0.1:{info['Ports']['resp']}")
                return 0
        except CliError:
            pass
        time.sleep(0.1)
    child.terminate()
    raise CliError(f"the node did not answer within {START_TIMEOUT_S:.0f}s; see {home.file(LOG_FILE)}")


def _log_tail(home: Home, offset: int) -> str:
    try:
        with open(home.file(LOG_FILE), "rb") as f:
            f.seek(offset)
            lines = [ln for ln in f.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    errors = [ln for ln in lines if "Error" in ln or "ERROR" in ln]
    return (errors or lines or ["no log output"])[-1].strip()


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def cmd_stop(args, ctx) -> int:
    home = ctx.home
    pid = _running_pid(home)
    if pid is None:
        raise CliError(f"no mimeidb node is running for {home.path}")
    try:
        ApiClient(home, timeout=5.0).call("POST", "/api/v0/shutdown")
    except CliError:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not _alive(pid):
            ctx.emit({"Stopped": True, "Pid": pid}, f"mimeidb node stopped (pid {pid})")
            return 0
        time.sleep(0.05)
    raise CliError(f"the node (pid {pid}) did not exit within {STOP_TIMEOUT_S:.0f}s")
