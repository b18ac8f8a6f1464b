"""The version index of each Mimei: which signed commit is version N, `last` and `release`.

Kept in the `meta` column family (the commits themselves are blocks in the blockstore):
  b"ver/" + mid + b"/" + u32 version -> binary commit CID
  b"head/" + mid                     -> u32 number of the newest version (absent: none yet)
  b"release/" + mid                  -> u32 version named "release"
A new version's commit block, its data blocks and its index entries are written in one
RocksDB batch: after a crash a Mimei has either the old or the new version, never half. The
batch is synced under appendfsync=always, like every other write.
"""
from __future__ import annotations

import struct
import time
from typing import Callable, Iterable

from rocksdict import WriteBatch

from mimeidb.ipfs.blockstore import multihash_of
from mimeidb.keys import KeyPair
from mimeidb.store.db import CF_BLOCKS, CF_META, Database
from mimeidb.versions.commit import Commit, MimeiRecord

_U32 = struct.Struct(">I")


class VersionError(ValueError):
    """A version that does not exist or cannot be named."""


def _ver_key(mid: str, version: int) -> bytes:
    return b"ver/" + mid.encode() + b"/" + _U32.pack(version)


class VersionIndex:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._meta = db.cf[CF_META]
        self._blocks = db.cf[CF_BLOCKS]

    def last(self, mid: str) -> int:
        """The newest version number; 0 when the Mimei has none."""
        raw = self._meta.get(b"head/" + mid.encode())
        return _U32.unpack(raw)[0] if raw else 0

    def release(self, mid: str) -> int:
        raw = self._meta.get(b"release/" + mid.encode())
        return _U32.unpack(raw)[0] if raw else 0

    def commit_cid(self, mid: str, version: int) -> bytes | None:
        return self._meta.get(_ver_key(mid, version))

    def commit(self, mid: str, version: int) -> Commit:
        cid = self.commit_cid(mid, version)
        if cid is None:
            raise VersionError(f"{mid} has no version {version}")
        data = self._blocks.get(multihash_of(cid))
        if data is None:
            raise VersionError(f"the commit block of {mid} version {version} is missing")
        return Commit.decode(data)

    def resolve(self, mid: str, name: str | int) -> int:
        """A version number from `last`, `release` or a number; VersionError if there is none."""
        text = str(name).lower()
        if text == "last":
            number = self.last(mid)
            if not number:
                raise VersionError(f"{mid} has no version yet (back it up first)")
            return number
        if text == "release":
            number = self.release(mid)
            if not number:
                raise VersionError(f"{mid} has no release version")
            return number
        if not text.isdigit() or int(text) < 1:
            raise VersionError(f"bad version {name!r}: use cur, last, release or a number >= 1")
        number = int(text)
        if self.commit_cid(mid, number) is None:
            raise VersionError(f"{mid} has no version {number}")
        return number

    def versions(self, mid: str) -> list[tuple[int, bytes]]:
        """(version, commit CID) of every kept version, oldest first."""
        prefix = b"ver/" + mid.encode() + b"/"
        out = []
        it = self._meta.iter()
        it.seek(prefix)
        while it.valid() and it.key().startswith(prefix):
            out.append((_U32.unpack(it.key()[len(prefix):])[0], it.value()))
            it.next()
        return out

    def append(self, key: KeyPair, record: MimeiRecord, data_root: bytes, memo: str = "",
               blocks: Iterable[tuple[bytes, bytes]] = (),
               extra: Callable[[WriteBatch], None] | None = None) -> Commit:
        """Seal a new version over data_root: sign its commit and write it with `blocks`
        (and whatever `extra` adds to the batch) atomically, synced."""
        if key.id != record.author:
            raise PermissionError(f"only the author {record.author} can make versions of {record.mid}")
        last = self.last(record.mid)
        prev = self.commit_cid(record.mid, last) if last else None
        commit = Commit.create(key, record, last + 1, data_root, prev, time.time_ns() // 1_000_000, memo)
        return self.store(commit, blocks, extra)

    def store(self, commit: Commit, blocks: Iterable[tuple[bytes, bytes]] = (),
              extra: Callable[[WriteBatch], None] | None = None) -> Commit:
        """Write an already signed (or verified, received) commit as the new head."""
        batch = self.db.batch()
        blocks_cf, meta_cf = self.db.handle[CF_BLOCKS], self.db.handle[CF_META]
        for cid, data in blocks:
            batch.put(multihash_of(cid), data, blocks_cf)
        encoded = commit.encode()
        cid = commit.cid
        batch.put(multihash_of(cid), encoded, blocks_cf)
        batch.put(_ver_key(commit.mid, commit.version), cid, meta_cf)
        if commit.version > self.last(commit.mid):
            batch.put(b"head/" + commit.mid.encode(), _U32.pack(commit.version), meta_cf)
        if extra is not None:
            extra(batch)
        self.db.write(batch)  # durable as the node's appendfsync policy says, like every write
        return commit

    def set_release(self, mid: str, version: int) -> None:
        self.resolve(mid, version)
        self._meta[b"release/" + mid.encode()] = _U32.pack(version)

    def delete(self, mid: str, versions: Iterable[int]) -> list[int]:
        """Drop versions from the index (their blocks become collectable). The newest version
        stays: it is the base of the next backup and what the network knows as head."""
        last = self.last(mid)
        dropped = []
        for version in sorted(set(versions)):
            if version == last:
                raise VersionError(f"version {version} is the newest version of {mid}; it cannot be deleted")
            if self.commit_cid(mid, version) is None:
                raise VersionError(f"{mid} has no version {version}")
            dropped.append(version)
        for version in dropped:
            del self._meta[_ver_key(mid, version)]
            if self.release(mid) == version:
                del self._meta[b"release/" + mid.encode()]
        return dropped

    def roots(self) -> list[bytes]:
        """Commit CIDs of every kept version of every Mimei (GC roots)."""
        out = []
        it = self._meta.iter()
        it.seek(b"ver/")
        while it.valid() and it.key().startswith(b"ver/"):
            out.append(it.value())
            it.next()
        return out
