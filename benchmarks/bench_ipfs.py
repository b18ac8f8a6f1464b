"""Import speed of the UnixFS importer next to plain hashlib.sha256, in the same run.

    python benchmarks/bench_ipfs.py          # 50 MiB
    python benchmarks/bench_ipfs.py --big    # also 1 GiB

For each size: sha256 over the file, the importer with --only-hash (no store), and the
importer into a RocksBlockStore in a temporary directory; MB/s and the ratio to sha256.
"""
from __future__ import annotations

import argparse
import hashlib
import os
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


def import_rate(path: Path, store) -> float:
    start = time.perf_counter()
    with open(path, "rb") as f:
        importer.add_file(store, f)
    return path.stat().st_size / (time.perf_counter() - start) / 1e6


def bench(tmp: Path, size: int) -> None:
    src = tmp / f"input-{size}"
    make_file(src, size)
    sha = max(sha256_rate(src) for _ in range(2))
    only = max(import_rate(src, None) for _ in range(2))
    db = Database(tmp / f"db-{size}")
    try:
        rocks = import_rate(src, RocksBlockStore(db))
    finally:
        db.close()
    print(f"{size / 2**20:6.0f} MiB  sha256 {sha:7.0f} MB/s | import --only-hash {only:7.0f} MB/s "
          f"({only / sha:.2f}x) | import into RocksDB {rocks:7.0f} MB/s ({rocks / sha:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also import a 1 GiB file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in [50 << 20] + ([1 << 30] if args.big else []):
            bench(Path(tmp), size)


if __name__ == "__main__":
    main()
