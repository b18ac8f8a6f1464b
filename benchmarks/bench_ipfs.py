"""Import speed of the UnixFS importer next to plain hashlib.sha256, in the same run.

    python benchmarks/bench_ipfs.py             # 50 and 256 MiB
    python benchmarks/bench_ipfs.py --big       # also 1 GiB
    python benchmarks/bench_ipfs.py --size 100  # one size, in MiB

For each size: sha256 over the file, the importer with --only-hash (no store), and the
importer into a RocksBlockStore in a temporary directory, two ways: "logged" writes every
batch through the WAL (the write path before bulk imports), "bulk" writes full batches
without the WAL and flushes the blocks family before returning (what `ipfs add` does now;
the time includes that flush). MB/s and the ratio to sha256, best of --repeat runs (the
machine is shared: the best run is the least disturbed one).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mimeidb.ipfs import importer  # noqa: E402
from mimeidb.ipfs.blockstore import RocksBlockStore  # noqa: E402
from mimeidb.store.db import Database  # noqa: E402


def make_file(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        for i in range(0, size, 1 << 20):
            f.write(os.urandom(min(1 << 20, size - i)))


def sha256_rate(path: Path) -> float:
    start = time.perf_counter()
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return path.stat().st_size / (time.perf_counter() - start) / 1e6


class LoggedStore:
    """A RocksBlockStore seen without `persist`: the importer then logs every batch."""

    def __init__(self, store: RocksBlockStore) -> None:
        self.put_many = store.put_many
        self.put = store.put
        self.get = store.get
        self.has = store.has


def import_rate(path: Path, store) -> float:
    start = time.perf_counter()
    with open(path, "rb") as f:
        importer.add_file(store, f)
    return path.stat().st_size / (time.perf_counter() - start) / 1e6


def store_rate(tmp: Path, path: Path, bulk: bool) -> float:
    where = Path(tempfile.mkdtemp(dir=tmp))  # a fresh store per run: RocksDB may still be
    db = Database(where / "db")              # deleting files of the last one after close
    try:
        store = RocksBlockStore(db)
        return import_rate(path, store if bulk else LoggedStore(store))
    finally:
        db.close()
        shutil.rmtree(where, ignore_errors=True)


def bench(tmp: Path, size: int, repeat: int) -> None:
    src = tmp / f"input-{size}"
    make_file(src, size)
    runs: dict[str, list[float]] = {"sha": [], "only": [], "logged": [], "bulk": []}
    for _ in range(repeat):  # interleaved, so a busy moment hits every variant alike
        runs["sha"].append(sha256_rate(src))
        runs["only"].append(import_rate(src, None))
        runs["logged"].append(store_rate(tmp, src, bulk=False))
        runs["bulk"].append(store_rate(tmp, src, bulk=True))
    best = {k: max(v) for k, v in runs.items()}
    sha = best["sha"]
    print(f"{size / 2**20:6.0f} MiB  sha256 {sha:6.0f} MB/s | --only-hash {best['only']:6.0f} MB/s "
          f"({best['only'] / sha:.2f}x) | into RocksDB: logged {best['logged']:6.0f} MB/s "
          f"({best['logged'] / sha:.2f}x), bulk {best['bulk']:6.0f} MB/s ({best['bulk'] / sha:.2f}x)")
    src.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also import a 1 GiB file")
    parser.add_argument("--size", type=int, help="only this size, in MiB")
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant (best is shown)")
    args = parser.parse_args()
    sizes = [args.size << 20] if args.size else [50 << 20, 256 << 20] + ([1 << 30] if args.big else [])
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            bench(Path(tmp), size, args.repeat)


if __name__ == "__main__":
    main()
