"""Interop with a real IPFS implementation: a Helia (js-libp2p) peer in a Node.js subprocess
talks to a real mimeidb node over 127.0.0.1.

  * Helia dials the node (TCP + noise + yamux), identifies it (agent version, protocols) and
    pings it;
  * Helia fetches files the node added (`hello world\\n` as CIDv0, 1 MiB as CIDv0 and CIDv1, and
    20 MiB) over bitswap with @helia/unixfs `cat`; the sha256 must match the local file;
  * the other way: Helia adds files (kubo's layout, and Helia's own 1 MiB raw leaves) and
    provides them; the node, after `swarm connect` to Helia, fetches them with `ipfs cat`.

The JS side is tests/interop (exact versions in package-lock.json; installed by
`npm ci --prefix tests/interop`). Every step has a hard timeout; the tests skip when node or
the installed modules are missing.
"""
from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("libp2p")

from tests.nodeproc import NodeProc  # noqa: E402

INTEROP = Path(__file__).parent / "interop"
HELLO_V0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
STEP_TIMEOUT_S = 60
START_TIMEOUT_S = 30

NODE = shutil.which("node")
if NODE is None:
    pytest.skip("node (Node.js >= 20) is not installed: no Helia interop test", allow_module_level=True)

def _node_major() -> int:
    try:
        out = subprocess.run([NODE, "-p", "process.versions.node"], capture_output=True, timeout=15)
        return int(out.stdout.decode().split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return 0


if _node_major() < 20:
    pytest.skip("Node.js >= 20 is needed by the Helia modules", allow_module_level=True)
if not (INTEROP / "node_modules" / "helia" / "package.json").exists():
    pytest.skip("the Helia modules are not installed (npm ci --prefix tests/interop)",
                allow_module_level=True)


class Helia:
    """The Helia peer of tests/interop/helia.mjs: one JSON request a line, one reply a line."""

    def __init__(self, log_path: Path) -> None:
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [NODE, "--import", "./polyfill.mjs", "helia.mjs"], cwd=INTEROP,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            env={**os.environ, "NODE_NO_WARNINGS": "1"})
        self.lines: queue.Queue = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        ready = self._line(START_TIMEOUT_S)
        assert ready.get("event") == "ready", ready
        self.peer_id = ready["peerId"]
        self.addrs = ready["addrs"]

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _line(self, timeout: float) -> dict:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.close()
            raise AssertionError(f"the Helia peer did not answer in {timeout:g} s") from None
        if line is None:
            raise AssertionError(f"the Helia peer exited ({self.proc.wait(5)}); see {self.log.name}")
        return json.loads(line)

    def request(self, cmd: str, timeout: float = STEP_TIMEOUT_S, **args) -> dict:
        self.next_id += 1
        self.proc.stdin.write((json.dumps({"id": self.next_id, "cmd": cmd, **args}) + "\n").encode())
        self.proc.stdin.flush()
        reply = self._line(timeout)
        assert reply.get("id") == self.next_id, reply
        return reply

    def ok(self, cmd: str, timeout: float = STEP_TIMEOUT_S, **args) -> dict:
        reply = self.request(cmd, timeout, **args)
        assert reply["ok"], f"helia {cmd} {args}: {reply.get('error')}"
        return reply

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # the driver stops Helia and exits when stdin closes
                self.proc.wait(6)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("interop")
    files = {"hello": base / "hello.txt", "1m": base / "1m.bin", "20m": base / "20m.bin"}
    files["hello"].write_bytes(b"hello world\n")
    files["1m"].write_bytes(os.urandom(1 << 20))
    files["20m"].write_bytes(os.urandom(20 << 20))
    node = helia = None
    try:
        node = NodeProc.create(base / "node").start()
        helia = Helia(base / "helia.log")
        info = json.loads(node.out("--json", "swarm", "id"))
        yield {"node": node, "helia": helia, "files": files, "base": base,
               "peer_id": info["PeerID"],
               "maddr": f"/ip4/127.0.0.1/tcp/{node.p2p_port}/p2p/{info['PeerID']}"}
    finally:
        if helia is not None:
            helia.close()
        if node is not None:
            node.kill()


def test_helia_dials_identifies_and_pings_the_node(env):
    helia = env["helia"]
    dial = helia.ok("dial", addr=env["maddr"])
    assert dial["remotePeer"] == env["peer_id"]
    assert dial["encryption"] == "/noise"
    assert dial["multiplexer"] == "/yamux/1.0.0"

    ident = helia.ok("identify", peer=env["peer_id"])
    assert ident["agentVersion"], ident
    protocols = set(ident["protocols"])
    for proto in ("/ipfs/id/1.0.0", "/ipfs/ping/1.0.0", "/ipfs/kad/1.0.0", "/ipfs/bitswap/1.2.0"):
        assert proto in protocols, (proto, sorted(protocols))
    assert any(a.startswith(f"/ip4/127.0.0.1/tcp/{env['node'].p2p_port}") for a in ident["listenAddrs"])

    rtts = helia.ok("ping", peer=env["peer_id"], n=5)["rtts"]
    assert len(rtts) == 5 and all(r < 1000 for r in rtts)


@pytest.mark.parametrize("name,cid_version", [("hello", "0"), ("1m", "0"), ("1m", "1"), ("20m", "0")])
def test_helia_fetches_from_the_node(env, name, cid_version):
    node, helia, path = env["node"], env["helia"], env["files"][name]
    cid = node.out("ipfs", "add", "-q", "--cid-version", cid_version, str(path)).strip()
    if name == "hello" and cid_version == "0":
        assert cid == HELLO_V0
    helia.ok("dial", addr=env["maddr"])
    got = helia.ok("cat", timeout=STEP_TIMEOUT_S + 10, cid=cid, timeoutMs=STEP_TIMEOUT_S * 1000)
    assert got["bytes"] == path.stat().st_size
    assert got["sha256"] == sha256_file(path)
    print(f"helia cat {name} v{cid_version} {cid}: {got['bytes']} bytes in {got['fetchMs']} ms")


@pytest.mark.parametrize("kubo", [True, False], ids=["kubo-layout", "helia-default"])
def test_node_fetches_from_helia(env, kubo):
    node, helia, base = env["node"], env["helia"], env["base"]
    path = base / f"from-helia-{kubo}.bin"
    path.write_bytes(os.urandom(3 * (1 << 20) + 12345))
    cid = helia.ok("add", path=str(path), kubo=kubo)["cid"]
    if kubo:  # kubo's layout: the node computes the same CID
        assert cid == node.out("ipfs", "add", "-q", "-n", str(path)).strip()
    assert "success" in node.out("swarm", "connect", helia.addrs[0])
    helia.ok("provide", cid=cid)
    out = base / f"got-{kubo}.bin"
    t0 = time.perf_counter()
    proc = node.cli("ipfs", "cat", cid, timeout=STEP_TIMEOUT_S)
    took = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr.decode()
    out.write_bytes(proc.stdout)
    assert sha256_file(out) == sha256_file(path)
    print(f"node cat from helia ({'kubo layout' if kubo else 'helia default'}) {cid}: {len(proc.stdout)} bytes in {took:.2f} s")
