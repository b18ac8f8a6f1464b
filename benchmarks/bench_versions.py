"""Benchmark the Merkle search tree at the size the issue names (phase 1 targets).

Builds a 1,000,000-entry MST into a RocksBlockStore (a Database in a temp dir), then times
apply() of 1, 100 and 10,000 changed keys (half updates, half new keys) and get().
Targets: apply after 1 changed key <= 5 ms; a get <= 1 ms.

    python benchmarks/bench_versions.py [--entries N]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
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
