#!/usr/bin/env python3
"""mimeidb vs Debian's redis-server vs fakeredis under redis-benchmark, in one run.

Each server runs on a free loopback port; the tests are interleaved across servers and
repeated, and the best of the repeats is kept (the benchmark client is the noisy part).
redis-server runs with appendonly yes / appendfsync everysec, like mimeidb's default.
fakeredis gets fewer requests (it is ~100x slower); rates are comparable anyway.

usage: python benchmarks/bench_redis.py [-n 200000] [-c 50] [--repeat 3] [--tests set,get,...]
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.nodeproc import NodeProc, free_ports  # noqa: E402

TESTS = "set,get,incr,lpush,lpop,sadd,hset,zadd,lrange_100,mset"
# redis-benchmark's CSV names for -t names
CSV_NAMES = {"set": "SET", "get": "GET", "incr": "INCR", "lpush": "LPUSH", "lpop": "LPOP",
             "sadd": "SADD", "hset": "HSET", "zadd": "ZADD",
             "lrange_100": "LRANGE_100 (first 100 elements)", "mset": "MSET (10 keys)"}
TARGETS = {  # (without pipelining, with -P 16) as ratio to redis-server
    "get": (0.9, 0.5), "set": (0.85, 0.3)}
DEFAULT_TARGET = (0.8, None)


def wait_port(port: int, timeout: float = 20) -> None:
    import socket
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def run_benchmark(port: int, tests: str, n: int, clients: int, pipeline: int) -> dict[str, float]:
    cmd = ["redis-benchmark", "-p", str(port), "-c", str(clients), "-n", str(n), "-t", tests,
           "--csv", "-P", str(pipeline)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900).stdout
    rates = {}
    for row in csv.reader(io.StringIO(out)):
        if len(row) >= 2 and row[0] != "test":
            rates[row[0]] = float(row[1])
    return rates


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("-c", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tests", default=TESTS)
    ap.add_argument("--fake-n", type=int, default=5000, help="requests per test for fakeredis")
    ap.add_argument("--no-fakeredis", action="store_true")
    args = ap.parse_args()
    for tool in ("redis-server", "redis-benchmark"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install redis-server redis-tools")

    tmp = Path(tempfile.mkdtemp(prefix="mimeidb-bench-"))
    procs = []
    node = None
    try:
        redis_port, fake_port = free_ports(2)
        procs.append(subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(tmp)],
            stdout=subprocess.DEVNULL))
        servers = {"redis-server": redis_port}
        if not args.no_fakeredis:
            procs.append(subprocess.Popen(
                [sys.executable, "-c", "import fakeredis,sys; fakeredis.TcpFakeServer(('127.0.0.1',"
                 f"{fake_port}), server_type='redis').serve_forever()"], stdout=subprocess.DEVNULL))
            servers["fakeredis"] = fake_port
        node = NodeProc.create(tmp / "mimeidb").start()
        servers["mimeidb"] = node.resp_port
        for port in servers.values():
            wait_port(port)

        best: dict[tuple[str, int], dict[str, float]] = {}
        for _ in range(args.repeat):
            for pipeline in (1, 16):
                for name, port in servers.items():
                    n = args.fake_n if name == "fakeredis" else args.n
                    rates = run_benchmark(port, args.tests, n, args.c, pipeline)
                    slot = best.setdefault((name, pipeline), {})
                    for test, rate in rates.items():
                        slot[test] = max(slot.get(test, 0.0), rate)
        report(args.tests.split(","), servers, best)
    finally:
        if node is not None:
            node.kill()
        for p in procs:
            p.terminate()
            p.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def report(tests: list[str], servers: dict[str, int], best) -> None:
    for pipeline in (1, 16):
        print(f"\nredis-benchmark -c 50, -P {pipeline} (requests/s, best of repeats)")
        head = f"{'test':<12}{'redis-server':>14}{'mimeidb':>12}{'fakeredis':>12}{'vs redis':>10}{'target':>8}{'vs fake':>10}"
        print(head)
        print("-" * len(head))
        for test in tests:
            label = CSV_NAMES.get(test, test.upper())
            r = best.get(("redis-server", pipeline), {}).get(label, 0.0)
            m = best.get(("mimeidb", pipeline), {}).get(label, 0.0)
            f = best.get(("fakeredis", pipeline), {}).get(label, 0.0)
            target = TARGETS.get(test, DEFAULT_TARGET)[0 if pipeline == 1 else 1]
            ratio = m / r if r else 0.0
            mark = "" if target is None else (f"{target:.2f}" + ("" if ratio >= target else "!"))
            vs_fake = f"{m / f:.0f}x" if f else "-"
            print(f"{test:<12}{r:>14,.0f}{m:>12,.0f}{f:>12,.0f}{ratio:>9.2f}x{mark:>8}{vs_fake:>10}")


if __name__ == "__main__":
    raise SystemExit(main())
