"""What the command-family tests share: running commands on a real keyspace, and a real
redis-server (Debian's, when installed) to compare replies with, byte for byte as RESP2."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from types import SimpleNamespace
from typing import Any, Callable, Iterator

from mimeidb.commands import dispatch
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import NULL_ARRAY, Block, Double, Map, Simple, format_double

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def words(argv) -> list[bytes]:
    return [a if isinstance(a, bytes) else str(a).encode() for a in argv]


def runner(ks, protocol: int = 2, session: Any = None, services: Any = None,
           errors_as_text: bool = True) -> Callable:
    """run("HSET", "k", "f", "v") -> the reply; an error reply as its text (or the RedisError)."""
    ctx = SimpleNamespace(ks=ks, protocol=protocol, session=session, services=services)

    def run(*argv):
        try:
            return dispatch.execute(ctx, words(argv))
        except RedisError as exc:
            return exc.message if errors_as_text else exc
    return run


def resp2(value) -> bytes:
    """Our reply (as `runner` returns it) in RESP2 bytes; a plain str is an error text."""
    if isinstance(value, Block):
        value = value.timeout_reply
    if value is NULL_ARRAY:
        return b"*-1\r\n"
    if value is None:
        return b"$-1\r\n"
    if isinstance(value, Simple):
        return b"+%s\r\n" % value.encode()
    if isinstance(value, str):
        return b"-%s\r\n" % value.encode()
    if isinstance(value, Double):
        value = format_double(value)
    if isinstance(value, bool):
        return b":%d\r\n" % int(value)
    if isinstance(value, int):
        return b":%d\r\n" % value
    if isinstance(value, bytes):
        return b"$%d\r\n%s\r\n" % (len(value), value)
    if isinstance(value, Map):
        return resp2([x for pair in value for x in pair])
    if isinstance(value, list):
        return b"*%d\r\n" % len(value) + b"".join(resp2(v) for v in value)
    raise TypeError(value)


class RawRedis:
    """A minimal RESP2 client: `call` gives the raw reply bytes (redis-py folds null shapes),
    `parsed` a Python value with ("status", text) / ("error", text) kept apart."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def _fill(self, need) -> None:
        while not need():
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis-server closed the connection")
            self.buf += chunk

    def _line(self) -> bytes:
        self._fill(lambda: b"\r\n" in self.buf)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self) -> bytes:
        line = self._line()
        kind = line[:1]
        if kind == b"$":
            n = int(line[1:])
            if n < 0:
                return line + b"\r\n"
            self._fill(lambda: len(self.buf) >= n + 2)
            body, self.buf = self.buf[:n + 2], self.buf[n + 2:]
            return line + b"\r\n" + body
        if kind == b"*":
            return line + b"\r\n" + b"".join(self._reply() for _ in range(max(int(line[1:]), 0)))
        return line + b"\r\n"

    def call(self, *argv) -> bytes:
        argv = words(argv)
        self.sock.sendall(b"*%d\r\n" % len(argv)
                          + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in argv))
        return self._reply()

    def parsed(self, *argv):
        return parse_resp2(self.call(*argv))


def parse_resp2(raw: bytes):
    """RESP2 bytes to a Python value: ("status", s), ("error", s), int, bytes, None, list."""
    value, _ = _parse(raw, 0)
    return value


def _parse(raw: bytes, pos: int):
    end = raw.index(b"\r\n", pos)
    kind, rest = raw[pos:pos + 1], raw[pos + 1:end]
    pos = end + 2
    if kind == b"+":
        return ("status", rest.decode()), pos
    if kind == b"-":
        return ("error", rest.decode()), pos
    if kind == b":":
        return int(rest), pos
    if kind == b"$":
        n = int(rest)
        return (None, pos) if n < 0 else (raw[pos:pos + n], pos + n + 2)
    n = int(rest)
    if n < 0:
        return None, pos
    items = []
    for _ in range(n):
        item, pos = _parse(raw, pos)
        items.append(item)
    return items, pos


def start_redis_server(workdir) -> Iterator[RawRedis | None]:
    """A throwaway redis-server on a free loopback port; yields None when there is none."""
    if not os.access(REDIS_SERVER, os.X_OK):
        yield None
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = None
        deadline = time.monotonic() + 10
        while client is None and time.monotonic() < deadline:
            try:
                client = RawRedis(port)
            except OSError:
                time.sleep(0.05)
        yield client
    finally:
        proc.terminate()
        proc.wait(10)
