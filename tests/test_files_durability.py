"""Bulk block imports skip the WAL: an import that returned must still survive a crash.

A child process imports a file larger than one write batch into a real Database and dies
with os._exit (no close, no WAL sync) right after the importer returns; the parent reopens
the store and reads the whole file back.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from mimeidb.ipfs import cid as cids
from mimeidb.ipfs import exporter, importer
from mimeidb.ipfs.blockstore import RocksBlockStore
from mimeidb.store.db import Database

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import hashlib, os, sys
sys.path.insert(0, sys.argv[3])
from mimeidb.ipfs import cid, importer
from mimeidb.ipfs.blockstore import RocksBlockStore
from mimeidb.store.db import Database
db = Database(sys.argv[1], appendfsync=sys.argv[2])
data = os.urandom(int(sys.argv[4]))
root = importer.add_bytes(RocksBlockStore(db), data)
sys.stdout.write(cid.format(root.cid) + " " + hashlib.sha256(data).hexdigest())
sys.stdout.flush()
os._exit(0)
"""


def _crash_after_import(path: Path, size: int, policy: str = "everysec") -> tuple[str, str]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), policy, str(ROOT), str(size)],
                         capture_output=True, check=True, timeout=60).stdout.decode()
    root, digest = out.split()
    return root, digest


def test_import_survives_a_crash_right_after_it_returns(tmp_path):
    size = importer.WRITE_BATCH_BYTES * 3 + 12345  # several unlogged batches and a logged tail
    root, digest = _crash_after_import(tmp_path / "db", size)
    db = Database(tmp_path / "db")
    try:
        data = b"".join(exporter.cat(RocksBlockStore(db), cids.parse(root)))
    finally:
        db.close()
    assert len(data) == size and hashlib.sha256(data).hexdigest() == digest


def test_small_import_stays_logged_and_survives(tmp_path):
    root, digest = _crash_after_import(tmp_path / "db", 300_000, "no")
    db = Database(tmp_path / "db")
    try:
        data = b"".join(exporter.cat(RocksBlockStore(db), cids.parse(root)))
    finally:
        db.close()
    assert hashlib.sha256(data).hexdigest() == digest


def test_bulk_batches_skip_the_wal_and_persist_flushes(tmp_path):
    """The fast path is really taken: full batches unlogged, one persist at the end."""
    db = Database(tmp_path / "db")
    store = RocksBlockStore(db)
    calls: list[object] = []
    put_many, persist = store.put_many, store.persist
    store.put_many = lambda blocks, logged=True: (calls.append(logged), put_many(blocks, logged))
    store.persist = lambda: (calls.append("persist"), persist())
    try:
        data = os.urandom(importer.WRITE_BATCH_BYTES * 2 + 1000)
        root = importer.add_bytes(store, data)
        assert calls[-1] == "persist" and calls.count("persist") == 1
        assert False in calls and calls[-2] is True  # the partial tail is a logged write
        assert b"".join(exporter.cat(store, root.cid)) == data
        calls.clear()
        importer.add_bytes(store, b"small")
        assert calls == [True]  # one logged batch, no flush
    finally:
        db.close()
