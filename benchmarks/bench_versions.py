"""Benchmark the Merkle search tree at the size the issue names (phase 1 targets).

Builds a 1,000,000-entry MST into a RocksBlockStore (a Database in a temp dir), then times
apply() of 1, 100 and 10,000 changed keys (half updates, half new keys) and get().
Targets: apply after 1 changed key <= 5 ms; a get <= 1 ms.

    python benchmarks/bench_versions.py [--entries N] [--keys N] [--skip-mst] [--skip-mimei]

The second part runs the same at the Mimei level: a db Mimei with --keys keys of mixed types
written through its Keyspace in-process, the first backup of all of it, then
MimeiManager.backup after 1, 100 and 10,000 changed keys, opening version N-1 and a GET in it.
Targets: backup after 1 changed key <= 5 ms; a GET in an old version <= 1 ms after open.
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time

from mimeidb.ipfs.blockstore import RocksBlockStore
from mimeidb.store.db import Database
from mimeidb.versions.diff import diff
from mimeidb.versions.mst import MST


def key(i: int) -> bytes:
    """Shaped like a keyspace sub-entry: namespace prefix, user key, field."""
    return b"\x00ns0001\x00user:%07d\x00name" % i


def value(rnd: random.Random) -> bytes:
    return rnd.randbytes(rnd.choice((8, 24, 64, 400)))


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median wall time in ms over repeat runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def bench_mimei(n: int) -> None:
    """MimeiManager.backup over a db Mimei of n keys (strings, hashes, sets, lists, zsets)."""
    from types import SimpleNamespace

    from mimeidb.commands import table
    from mimeidb.commands.dispatch import execute
    from mimeidb.keys import KeyPair
    from mimeidb.mimei import MimeiManager
    from mimeidb.store.writebuffer import WriteBuffer

    table.load_all()
    rnd = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(tmp, appendfsync="everysec")
        buffer = WriteBuffer(db)
        mm = MimeiManager(db, buffer, KeyPair.generate(), b"s" * 32)
        mid = mm.create("db").mid
        ks = mm.live_keyspace(mid)
        ctx = SimpleNamespace(ks=ks, protocol=2, session=None, services=None)

        def run(*argv: bytes):
            return execute(ctx, list(argv))

        def write(i: int) -> None:
            kind = i % 10
            name = b"key:%08d" % i
            if kind < 6:
                ks.set_string(name, rnd.randbytes(rnd.choice((8, 24, 64, 400))))
            elif kind == 6:
                run(b"hset", name, b"a", b"%d" % i, b"b", rnd.randbytes(16))
            elif kind == 7:
                run(b"sadd", name, b"x", b"%d" % i)
            elif kind == 8:
                run(b"rpush", name, b"x", b"%d" % i)
            else:
                run(b"zadd", name, b"1", b"x", b"%d" % i, b"y")

        start = time.perf_counter()
        for i in range(n):
            write(i)
            if i % 2000 == 1999:
                buffer.flush()
        buffer.flush()
        print(f"mimei: wrote {n:,} keys (mixed types) in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        mm.backup(mid, "first")
        print(f"mimei: first backup of {n:,} keys: {time.perf_counter() - start:.1f} s")

        for count, repeat in ((1, 50), (100, 10), (10_000, 3)):
            times = []
            for _ in range(repeat):
                for j in range(count):
                    if j % 2:
                        write(rnd.randrange(n))  # any type, rewritten
                    else:  # a string key, a new value for sure
                        ks.set_string(b"key:%08d" % (rnd.randrange(n // 10) * 10), rnd.randbytes(24))
                buffer.flush()
                start = time.perf_counter()
                commit = mm.backup(mid)
                times.append((time.perf_counter() - start) * 1000)
                assert commit is not None
            print(f"mimei: backup after {count:>6,} changed keys: {statistics.median(times):8.2f} ms "
                  f"median (min {min(times):.2f})")

        last = mm.versions.last(mid)
        probes = [b"key:%08d" % (rnd.randrange(n // 10) * 10) for _ in range(2000)]  # strings
        start = time.perf_counter()
        binding = mm.open(mid, str(last - 1))
        open_ms = (time.perf_counter() - start) * 1000
        old = binding.keyspace
        start = time.perf_counter()
        old.get_string(probes[0])
        first_ms = (time.perf_counter() - start) * 1000
        times = []
        for probe in probes:
            start = time.perf_counter()
            old.get_string(probe)
            times.append((time.perf_counter() - start) * 1000)
        print(f"mimei: open version {last - 1}: {open_ms:.2f} ms; first GET {first_ms:.3f} ms; "
              f"GET median {statistics.median(times) * 1000:.0f} us, "
              f"p99 {sorted(times)[int(len(times) * 0.99)] * 1000:.0f} us")
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--skip-mst", action="store_true")
    parser.add_argument("--skip-mimei", action="store_true")
    args = parser.parse_args()
    if not args.skip_mimei:
        bench_mimei(args.keys)
    if args.skip_mst:
        return
    n = args.entries
    rnd = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(tmp, appendfsync="no")
        store = RocksBlockStore(db)
        start = time.perf_counter()
        tree = MST.build(store, ((key(i), value(rnd)) for i in range(n)))
        print(f"build {n:,} entries: {time.perf_counter() - start:.1f} s, "
              f"root layer {tree.root_node.layer}")

        def changes(count: int) -> tuple[dict[bytes, bytes], list[bytes]]:
            puts = {key(rnd.randrange(n)): value(rnd) for _ in range(count // 2)}
            puts.update({key(n + rnd.randrange(10 * n)): value(rnd) for _ in range(count - len(puts))})
            return puts, []

        tree = MST.load(store, tree.root_cid)
        for count, repeat in ((1, 200), (100, 20), (10_000, 3)):
            batches = [changes(count) for _ in range(repeat)]
            it = iter(batches)
            ms, (new, blocks) = timed(lambda: tree.apply(*next(it)), repeat)
            ms_store, _ = timed(lambda: store.put_many(blocks), 1)
            print(f"apply {count:>6,} changed keys: {ms:8.2f} ms median "
                  f"({len(blocks)} new blocks, storing them {ms_store:.2f} ms)")

        probes = [key(rnd.randrange(n)) for _ in range(2000)]
        it = iter(probes)
        ms, _ = timed(lambda: tree.get(next(it)), len(probes))
        cold = MST.load(store, tree.root_cid)
        it = iter(probes)
        ms_cold, _ = timed(lambda: cold.get(next(it)), 1)
        print(f"get: {ms * 1000:.0f} us median (first get on a cold cache {ms_cold * 1000:.0f} us)")

        new, blocks = tree.apply(*changes(100))
        store.put_many(blocks)
        ms, d = timed(lambda: diff(tree.root_cid, new.root_cid, store), 5)
        print(f"diff after 100 changed keys: {ms:.2f} ms ({len(d.new_blocks)} new blocks)")
        start = time.perf_counter()
        count = sum(1 for _ in tree.prefix(b"\x00ns0001\x00user:00012"))
        print(f"prefix scan of {count} entries: {(time.perf_counter() - start) * 1000:.2f} ms")
        db.close()


if __name__ == "__main__":
    main()
