"""Real node processes for tests: each with its own home and free loopback ports."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CLI_TIMEOUT_S = 60


def free_ports(count: int) -> list[int]:
    """Distinct free TCP ports on 127.0.0.1 (held open together so they differ)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def run_cli(home: Path | None, *args: str, input: bytes | None = None,
            timeout: float = CLI_TIMEOUT_S, check: bool = False) -> subprocess.CompletedProcess:
    """Run the real `mimeidb` command (as `python -m mimeidb`) and capture its output."""
    cmd = [sys.executable, "-m", "mimeidb"]
    if home is not None:
        cmd += ["--home", str(home)]
    env = {k: v for k, v in os.environ.items() if k != "MIMEIDB_HOME"}
    proc = subprocess.run(cmd + list(args), input=input, capture_output=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"mimeidb {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout.decode()}\n{proc.stderr.decode()}")
    return proc


@dataclass
class NodeProc:
    """A node home initialised on free loopback ports; start() runs it as a daemon."""

    home: Path
    http_port: int
    resp_port: int
    p2p_port: int
    appendfsync: str = "everysec"

    @classmethod
    def create(cls, home: Path, appendfsync: str = "everysec", mdns: bool = False) -> "NodeProc":
        """mDNS is off unless asked for: tests want nodes that meet only whom they are told."""
        http, resp, p2p = free_ports(3)
        node = cls(home, http, resp, p2p, appendfsync)
        node.cli("init", "-p", str(http), "--resp-port", str(resp), "--p2p-port", str(p2p),
                 "--bind", "127.0.0.1", "--appendfsync", appendfsync,
                 "--mdns", "on" if mdns else "off", check=True)
        return node

    def cli(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return run_cli(self.home, *args, **kw)

    def out(self, *args: str) -> str:
        """stdout of a CLI command that must succeed."""
        return self.cli(*args, check=True).stdout.decode()

    def start(self) -> "NodeProc":
        self.cli("run", "-d", check=True)
        return self

    def stop(self) -> None:
        self.cli("stop", check=True)

    @property
    def pid(self) -> int | None:
        try:
            return int((self.home / "mimeidb.pid").read_text())
        except (OSError, ValueError):
            return None

    def kill(self) -> None:
        """Stop it if it runs (cleanup after a test, whatever happened)."""
        pid = self.pid
        if pid is None:
            return
        if self.cli("stop", timeout=40).returncode != 0:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
