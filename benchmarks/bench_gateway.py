#!/usr/bin/env python3
"""HTTP gateway under load: requests/s and MB/s for a 1 KiB and a 50 MiB file.

Starts a real node on free loopback ports, adds the two files with `mimeidb ipfs add`, then
runs `wrk` (Debian package `wrk`) against /ipfs/<cid> for each. Prints a table.

usage: python benchmarks/bench_gateway.py [--duration 10] [--connections 50] [--threads 2]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.nodeproc import NodeProc  # noqa: E402

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def run_wrk(url: str, duration: int, connections: int, threads: int) -> tuple[float, float]:
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", url],
                         capture_output=True, text=True, timeout=duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"Transfer/sec:\s+([\d.]+)([KMG]?)B", out)
    mbps = float(m.group(1)) * _UNITS[m.group(2)] / 1e6
    return rps, mbps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="mimeidb-gw-"))
    node = NodeProc.create(tmp / "node").start()
    try:
        rows = []
        for label, size in (("1 KiB", 1024), ("50 MiB", 50 * 1024 * 1024)):
            path = tmp / f"file-{size}"
            path.write_bytes(os.urandom(size))
            cid = node.out("ipfs", "add", "-q", str(path)).strip()
            url = f"http://127.0.0.1:{node.http_port}/ipfs/{cid}"
            connections = args.connections if size < 1 << 20 else min(args.connections, 8)
            rps, mbps = run_wrk(url, args.duration, connections, args.threads)
            rows.append((label, connections, rps, mbps))
        print(f"\nwrk -t{args.threads} -d{args.duration}s against /ipfs/<cid>")
        print(f"{'file':<8}{'conns':>6}{'req/s':>12}{'MB/s':>10}")
        for label, conns, rps, mbps in rows:
            print(f"{label:<8}{conns:>6}{rps:>12,.0f}{mbps:>10,.1f}")
    finally:
        node.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
