"""The node's single RocksDB (rocksdict), opened with one column family per role.

Column family names are part of the on-disk format: never rename them.
"""
from __future__ import annotations

import threading
from pathlib import Path

from rocksdict import DBCompressionType, Options, Rdict, WriteBatch, WriteOptions

# role -> column family name (on-disk, stable)
CF_META = "meta"        # Mimei records, version index, mmsids, node settings, pins
CF_DATA = "data"        # live keyspaces: per-namespace metadata and sub-entries
CF_EXPIRE = "expire"    # expiry index: namespace + expire-at ms + user key
CF_BLOCKS = "blocks"    # IPFS blocks: multihash -> bytes
COLUMN_FAMILIES = (CF_META, CF_DATA, CF_EXPIRE, CF_BLOCKS)

FSYNC_POLICIES = ("always", "everysec", "no")


# RocksDB's recommended incremental sync: files written by flushes and compactions reach the
# disk as they grow, so the fsync that ends each file (and a bulk import's flush) is short.
BYTES_PER_SYNC = 1 << 20
# Memtables of the blocks family: a bulk import keeps writing while earlier ones flush.
BLOCK_MEMTABLES = 4


def _options() -> Options:
    opts = Options(raw_mode=True)
    opts.create_if_missing(True)
    opts.create_missing_column_families(True)
    opts.increase_parallelism(2)
    opts.set_bytes_per_sync(BYTES_PER_SYNC)
    return opts


def _family_options(name: str) -> Options:
    opts = Options(raw_mode=True)
    if name == CF_BLOCKS:
        # Block data is mostly compressed media already; as kubo's flatfs, store it as is
        # (a compression attempt per 256 KiB leaf costs CPU on every import).
        opts.set_compression_type(DBCompressionType.none())
        opts.set_max_write_buffer_number(BLOCK_MEMTABLES)
    return opts


class Database:
    """One RocksDB with its column families; `write` applies a batch under the fsync policy."""

    def __init__(self, path: Path, appendfsync: str = "everysec") -> None:
        if appendfsync not in FSYNC_POLICIES:
            raise ValueError(f"appendfsync must be one of {', '.join(FSYNC_POLICIES)}")
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.appendfsync = appendfsync
        self._db = Rdict(str(self.path), _options(),
                         column_families={name: _family_options(name) for name in COLUMN_FAMILIES})
        self.cf = {name: self._db.get_column_family(name) for name in COLUMN_FAMILIES}
        self.handle = {name: self._db.get_column_family_handle(name) for name in COLUMN_FAMILIES}
        self._sync_write = WriteOptions()
        self._sync_write.sync = True
        self._unlogged_write = WriteOptions()
        self._unlogged_write.disable_wal = True
        self._lock = threading.Lock()
        self.closed = False

    def batch(self) -> WriteBatch:
        return WriteBatch(raw_mode=True)

    def write(self, batch: WriteBatch, sync: bool | None = None, logged: bool = True) -> None:
        """Apply a batch atomically; synced to disk when the policy is `always` (or sync=True).

        logged=False skips the WAL, for bulk block imports only (the WAL, not the memtable,
        bounds their speed): such a batch is lost by a crash until `flush_family` has written
        its column family to disk, so its writer must call that before acknowledging.
        """
        if not logged:
            self._db.write(batch, self._unlogged_write)
            return
        if sync is None:
            sync = self.appendfsync == "always"
        if sync:
            self._db.write(batch, self._sync_write)
        else:
            self._db.write(batch)

    def flush_family(self, name: str) -> None:
        """Write a column family's memtables to SST files and wait: durable on return."""
        self.cf[name].flush(True)

    def sync_wal(self) -> None:
        """Flush and fsync the WAL: the `everysec` timer and shutdown call this."""
        if not self.closed:
            self._db.flush_wal(True)

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._db.flush_wal(True)
            self._db.close()
