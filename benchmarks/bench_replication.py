"""End-to-end replication latency between two real node processes on 127.0.0.1.

A (author): `mimei create -t db`, `mimei set <mid> autobackup <ms>`, `mimei publish <mid>`.
B (provider): `swarm connect` to A, `mimei provide <mid>`.
A redis-py client writes a key on A's `cur`; another polls B (every ~2 ms) with
`MM.OPEN <mid> last` + `GET key` until B serves the value. The time from the write's reply
to the first poll that sees it is the latency (auto-backup delay + announce + sync + index).

    python benchmarks/bench_replication.py [--writes 50] [--bursts 10] [--burst-size 100]
                                           [--autobackup 10] [--keys 1000]

Single writes: one at a time, each waited for, a short pause between them.
Bursts: --burst-size writes in a row, then the time until B has the last one (measured from
the last write's reply, and from the first write's).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.nodeproc import NodeProc  # noqa: E402

POLL_S = 0.002


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def summary(name: str, ms: list[float]) -> str:
    return (f"{name:<34} n={len(ms):<4} p50={statistics.median(ms):8.1f} ms  "
            f"p95={pct(ms, 95):8.1f} ms  min={min(ms):7.1f}  max={max(ms):8.1f}")


def wait_value(rb: redis.Redis, mid: str, key: str, want: bytes, timeout: float = 30.0) -> float:
    """Poll B until `MM.OPEN mid last; GET key` gives want; the perf_counter time it did."""
    end = time.perf_counter() + timeout
    pipe = rb.pipeline(transaction=False)
    while True:
        pipe.execute_command("MM.OPEN", mid, "last")
        pipe.get(key)
        try:
            got = pipe.execute(raise_on_error=False)[1]
        except redis.RedisError:
            got = None
        now = time.perf_counter()
        if got == want:
            return now
        if now > end:
            raise TimeoutError(f"B did not serve {key}={want!r} in {timeout} s (last {got!r})")
        time.sleep(POLL_S)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--writes", type=int, default=50)
    ap.add_argument("--bursts", type=int, default=10)
    ap.add_argument("--burst-size", type=int, default=100)
    ap.add_argument("--autobackup", type=int, default=10, help="ms")
    ap.add_argument("--keys", type=int, default=1000, help="keys in the Mimei before measuring")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-repl-") as tmp:
        a = NodeProc.create(Path(tmp) / "a")
        b = NodeProc.create(Path(tmp) / "b")
        try:
            a.start()
            b.start()
            pid_a = a.out("swarm", "id").split()[1]
            b.out("swarm", "connect", f"/ip4/127.0.0.1/tcp/{a.p2p_port}/p2p/{pid_a}")
            mid = a.out("mimei", "create", "-t", "db").split()[-1]
            ra = redis.Redis(port=a.resp_port)
            ra.execute_command("MM.OPEN", mid)
            pipe = ra.pipeline(transaction=False)
            for i in range(args.keys):
                pipe.set(f"seed:{i:06d}", b"x" * 32)
            pipe.execute()
            a.out("mimei", "backup", mid)
            a.out("mimei", "set", mid, "autobackup", str(args.autobackup))
            a.out("mimei", "publish", mid)
            b.out("mimei", "provide", mid)
            rb = redis.Redis(port=b.resp_port)
            wait_value(rb, mid, "seed:000000", b"x" * 32)
            # warm up: the first announcements after subscribing can take a gossip round
            for i in range(5):
                ra.set("warm", str(i))
                wait_value(rb, mid, "warm", str(i).encode())

            single = []
            for i in range(args.writes):
                val = f"v{i}-{time.time_ns()}".encode()
                ra.set("single", val)
                t0 = time.perf_counter()
                single.append((wait_value(rb, mid, "single", val) - t0) * 1000)
                time.sleep(0.02)

            from_last, from_first = [], []
            for n in range(args.bursts):
                pipe_vals = [f"b{n}-{i}-{time.time_ns()}".encode() for i in range(args.burst_size)]
                t_first = time.perf_counter()
                for i, val in enumerate(pipe_vals):
                    ra.set(f"burst:{i % 10}", val)   # one write at a time, in a row
                t_last = time.perf_counter()
                seen = wait_value(rb, mid, f"burst:{(args.burst_size - 1) % 10}", pipe_vals[-1])
                from_last.append((seen - t_last) * 1000)
                from_first.append((seen - t_first) * 1000)
                time.sleep(0.05)

            versions = int(a.out("--json", "mimei", "show", mid).split('"last":')[1].split(",")[0])
            print(f"autobackup {args.autobackup} ms, {args.keys} seed keys, poll every {POLL_S * 1000:.0f} ms, "
                  f"{versions} versions made on A")
            print(summary("single write -> B serves it", single))
            print(summary(f"burst of {args.burst_size}: from last write", from_last))
            print(summary(f"burst of {args.burst_size}: from first write", from_first))
        finally:
            for node in (b, a):
                node.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
