"""The UnixFS importer: files and directories to blocks with exactly the CIDs kubo gives.

kubo defaults (`ipfs add`): fixed 262144-byte chunks, balanced layout with at most 174 links
per node, CIDv0 with dag-pb leaves (UnixFS File nodes carrying the data). `cid_version=1`
is `ipfs add --cid-version 1`: raw leaves (codec 0x55), dag-pb parents, CIDv1. A file of
one chunk is that leaf alone; an empty file is one empty leaf.

The balanced layout is built bottom-up while streaming: `levels[k]` holds the links of the
open node at height k+1. When a level is full and one more link arrives, the level is sealed
into a node whose link goes one level up. At the end every open level is sealed upward. This
yields kubo's tree: full left subtrees, and a last subtree of the same height even when it
holds a single leaf.

Speed: sha2-256 is the cost. Chunks are read whole, framed with one join, hashed by a small
thread pool (hashlib drops the GIL) and written in batches by a writer thread, so reading,
hashing and RocksDB writes overlap.
"""
from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable, Iterable

from mimeidb.ipfs import dagpb, hamt, unixfs
from mimeidb.ipfs.blockstore import BlockStore
from mimeidb.ipfs.cid import DAG_PB, RAW, varint

CHUNK_SIZE = 262144          # kubo's default chunker, size-262144
MAX_LINKS = 174              # kubo's balanced layout: links per file node
READ_CHUNKS = 16             # chunks read and hashed together (4 MiB)
WRITE_BATCH_BYTES = 8 << 20  # bytes per put_many call

Progress = Callable[[int], None]
OnEntry = Callable[[str, "Added"], None]

_HASHERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ipfs-hash")
_PB_V1_PREFIX = b"\x01" + varint(DAG_PB) + b"\x12\x20"
_RAW_V1_PREFIX = b"\x01" + varint(RAW) + b"\x12\x20"


def _sha256(block: bytes) -> bytes:
    return hashlib.sha256(block).digest()


@dataclass(frozen=True, slots=True)
class Added:
    """One imported file or directory: its CID, cumulative block size (Tsize), file bytes."""
    cid: bytes
    tsize: int
    size: int


class _BlockWriter:
    """Hands batches of blocks to a writer thread; at most one batch is in flight.

    With a store that has `persist()` (RocksBlockStore), full batches skip the WAL and
    `sync()` persists them once; a small import (one partial batch) stays a plain logged write,
    so it costs no memtable flush.
    """

    def __init__(self, store: BlockStore | None) -> None:
        self._store = store
        self._pending: list[tuple[bytes, bytes]] = []
        self._bytes = 0
        self._thread = ThreadPoolExecutor(1, "ipfs-write") if store is not None else None
        self._inflight: Future | None = None
        self._bulk = hasattr(store, "persist")
        self._unpersisted = False

    def add(self, cid: bytes, block: bytes) -> None:
        if self._store is None:
            return
        self._pending.append((cid, block))
        self._bytes += len(block)
        if self._bytes >= WRITE_BATCH_BYTES:
            self.flush(full=True)

    def flush(self, full: bool = False) -> None:
        if not self._pending:
            return
        self._wait()
        if full and self._bulk:
            self._unpersisted = True
            self._inflight = self._thread.submit(self._store.put_many, self._pending, False)
        else:
            self._inflight = self._thread.submit(self._store.put_many, self._pending)
        self._pending, self._bytes = [], 0

    def sync(self) -> None:
        """Every block handed over so far is durable when this returns."""
        self.flush()
        self._wait()
        if self._unpersisted:
            self._store.persist()
            self._unpersisted = False

    def _wait(self) -> None:
        if self._inflight is not None:
            inflight, self._inflight = self._inflight, None
            inflight.result()

    def close(self) -> None:
        try:
            self.sync()
        finally:
            if self._thread is not None:
                self._thread.shutdown()


class _BalancedLayout:
    """kubo's balanced DAG over a stream of leaf links (see the module docstring)."""

    def __init__(self, node_cid: Callable[[bytes], bytes], emit: Callable[[bytes, bytes], None]):
        self._node_cid = node_cid
        self._emit = emit
        self._levels: list[list[tuple[dagpb.Link, int]]] = [[]]
        self._leaves = 0

    def add(self, link: dagpb.Link, size: int) -> None:
        self._leaves += 1
        self._push(0, link, size)

    def _push(self, k: int, link: dagpb.Link, size: int) -> None:
        if k == len(self._levels):
            self._levels.append([])
        level = self._levels[k]
        if len(level) == MAX_LINKS:
            self._push(k + 1, *self._seal(level))
            level.clear()
        level.append((link, size))

    def _seal(self, entries: list[tuple[dagpb.Link, int]]) -> tuple[dagpb.Link, int]:
        links = [link for link, _ in entries]
        sizes = [size for _, size in entries]
        block = unixfs.file_node(links, sizes)
        cid = self._node_cid(block)
        self._emit(cid, block)
        return dagpb.Link(cid, "", len(block) + sum(link.tsize for link in links)), sum(sizes)

    def finish(self) -> tuple[dagpb.Link, int]:
        if self._leaves == 1:
            return self._levels[0][0]
        k = 0
        while True:
            link, size = self._seal(self._levels[k])
            if k + 1 == len(self._levels):
                return link, size
            self._push(k + 1, link, size)
            k += 1


def _read_full(fileobj: BinaryIO, n: int) -> bytes:
    """Up to n bytes; short only at EOF (pipes and sockets return short reads)."""
    data = fileobj.read(n)
    if not data or len(data) == n:
        return data or b""
    parts = [data]
    got = len(data)
    while got < n:
        more = fileobj.read(n - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


class Importer:
    """Adds files, directories and symlinks to one store; use as a context manager.

    `store=None` computes CIDs without storing anything (`--only-hash`).
    `progress` is called with the total file bytes imported so far.
    A directory whose estimated size is over `hamt_threshold` bytes becomes a HAMT shard of
    `hamt_fanout` buckets, as kubo does (see hamt.py; `hamt_estimation` "links" is kubo's
    default, "block" the unixfs-v1-2025 profile's; a threshold of 0 never shards).
    """

    def __init__(self, store: BlockStore | None, cid_version: int = 0,
                 progress: Progress | None = None, *,
                 hamt_threshold: int = hamt.SHARDING_THRESHOLD,
                 hamt_estimation: str = "links",
                 hamt_fanout: int = hamt.DEFAULT_FANOUT) -> None:
        if cid_version not in (0, 1):
            raise ValueError("cid_version must be 0 or 1")
        if hamt_estimation not in hamt.ESTIMATIONS:
            raise ValueError(f"unknown HAMT size estimation {hamt_estimation!r}")
        hamt.check_fanout(hamt_fanout)
        self.cid_version = cid_version
        self.hamt_threshold = hamt_threshold
        self.hamt_estimation = hamt_estimation
        self.hamt_fanout = hamt_fanout
        self._writer = _BlockWriter(store)
        self._progress = progress
        self.bytes_done = 0

    def __enter__(self) -> "Importer":
        return self

    def __exit__(self, *exc) -> None:
        self._writer.close()

    def close(self) -> None:
        self._writer.close()

    # -- blocks --------------------------------------------------------------

    def _node_cid(self, block: bytes) -> bytes:
        digest = _sha256(block)
        return _PB_V1_PREFIX + digest if self.cid_version else b"\x12\x20" + digest

    def _store_node(self, block: bytes) -> bytes:
        cid = self._node_cid(block)
        self._writer.add(cid, block)
        return cid

    def _leaves(self, chunks: list[bytes]) -> list[tuple[bytes, bytes]]:
        """(cid, block) for each chunk, hashed in parallel when there are several."""
        if self.cid_version:
            blocks = chunks
            prefix = _RAW_V1_PREFIX
        else:
            full = unixfs.leaf_frame(CHUNK_SIZE)
            blocks = []
            for chunk in chunks:
                head, tail = full if len(chunk) == CHUNK_SIZE else unixfs.leaf_frame(len(chunk))
                blocks.append(b"".join((head, chunk, tail)))
            prefix = b"\x12\x20"
        digests = _HASHERS.map(_sha256, blocks) if len(blocks) > 1 else [_sha256(blocks[0])]
        return [(prefix + digest, block) for digest, block in zip(digests, blocks)]

    # -- files ----------------------------------------------------------------

    def file(self, fileobj: BinaryIO) -> Added:
        """Import a file object, reading it in chunks (never whole)."""
        layout = _BalancedLayout(self._node_cid, self._writer.add)
        first = True
        while True:
            chunks = []
            for _ in range(READ_CHUNKS):
                chunk = _read_full(fileobj, CHUNK_SIZE)
                if not chunk:
                    break
                chunks.append(chunk)
                if len(chunk) < CHUNK_SIZE:
                    break
            if not chunks:
                if first:  # an empty file is one empty leaf
                    chunks = [b""]
                else:
                    break
            first = False
            for (cid, block), chunk in zip(self._leaves(chunks), chunks):
                self._writer.add(cid, block)
                layout.add(dagpb.Link(cid, "", len(block)), len(chunk))
            self.bytes_done += sum(map(len, chunks))
            if self._progress is not None:
                self._progress(self.bytes_done)
            if len(chunks[-1]) < CHUNK_SIZE:
                break
        link, size = layout.finish()
        return Added(link.cid, link.tsize, size)

    def symlink(self, target: str) -> Added:
        block = unixfs.symlink_node(target)
        return Added(self._store_node(block), len(block), 0)

    def directory(self, entries: Iterable[tuple[str, Added]]) -> Added:
        """A directory over named children (names checked): one node with the links sorted
        by name, or a HAMT when it is over the sharding threshold."""
        links, size = [], 0
        seen: set[str] = set()
        for name, child in entries:
            check_name(name)
            if name in seen:
                raise ValueError(f"duplicate directory entry {name!r}")
            seen.add(name)
            links.append(dagpb.Link(child.cid, name, child.tsize))
            size += child.size
        if hamt.should_shard(links, self.hamt_threshold, self.hamt_estimation):
            cid, tsize = hamt.build(links, self._node_cid, self._writer.add, self.hamt_fanout)
            return Added(cid, tsize, size)
        block = unixfs.directory_node(links)
        tsize = len(block) + sum(link.tsize for link in links)
        return Added(self._store_node(block), tsize, size)

    def flush(self) -> None:
        """Make every block produced so far durable in the store before returning."""
        self._writer.sync()


def check_name(name: str) -> None:
    """A directory entry name must be one path component."""
    if not name or name in (".", "..") or "/" in name or "\x00" in name:
        raise ValueError(f"invalid directory entry name {name!r}")


# -- convenience entry points ----------------------------------------------------

def add_file(store: BlockStore | None, fileobj: BinaryIO, cid_version: int = 0,
             progress: Progress | None = None) -> Added:
    with Importer(store, cid_version, progress) as imp:
        return imp.file(fileobj)


def add_bytes(store: BlockStore | None, data: bytes, cid_version: int = 0) -> Added:
    return add_file(store, io.BytesIO(data), cid_version)


def add_path(store: BlockStore | None, path: str | os.PathLike, cid_version: int = 0,
             progress: Progress | None = None, on_entry: OnEntry | None = None,
             hidden: bool = False, **options) -> Added:
    """Import a file or, recursively, a directory (like `ipfs add -r`).

    Dot-files are skipped unless `hidden` (kubo's default). Symlinks inside a directory are
    stored as UnixFS symlinks, not followed. `on_entry(relative path, Added)` is called for
    every file and directory, children before parents, the root last. `options` are
    Importer's keyword options (HAMT sharding).
    """
    root = Path(path)
    with Importer(store, cid_version, progress, **options) as imp:
        return _add_tree(imp, root, root.name or str(root), on_entry, hidden)


def _add_tree(imp: Importer, path: Path, rel: str, on_entry: OnEntry | None,
              hidden: bool) -> Added:
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        children = []
        for entry in sorted(os.scandir(path), key=lambda e: e.name.encode("utf-8", "surrogateescape")):
            if not hidden and entry.name.startswith("."):
                continue
            child_rel = f"{rel}/{entry.name}"
            if entry.is_symlink():
                added = imp.symlink(os.readlink(entry.path))
                if on_entry:
                    on_entry(child_rel, added)
            else:
                added = _add_tree(imp, Path(entry.path), child_rel, on_entry, hidden)
            children.append((entry.name, added))
        added = imp.directory(children)
    else:
        with open(path, "rb") as f:
            added = imp.file(f)
    if on_entry:
        on_entry(rel, added)
    return added


def add_tar(store: BlockStore | None, fileobj: BinaryIO, cid_version: int = 0,
            progress: Progress | None = None, on_entry: OnEntry | None = None,
            **options) -> Added:
    """Import a tar stream (read once, in order) as a directory tree.

    With one top-level entry (the usual `tar c mydir`), that entry is the root; otherwise
    the top-level entries are wrapped in an unnamed directory. Member paths with `..` or an
    absolute path are refused; devices and fifos are skipped.
    """
    tree: dict = {}
    with Importer(store, cid_version, progress, **options) as imp:
        with tarfile.open(fileobj=fileobj, mode="r|*") as tar:
            for member in tar:
                parts = _member_parts(member.name)
                if not parts:
                    continue
                if member.isdir():
                    _subtree(tree, parts, member.name)
                    continue
                if member.isfile():
                    added = imp.file(tar.extractfile(member))
                elif member.issym():
                    added = imp.symlink(member.linkname)
                else:
                    continue
                parent = _subtree(tree, parts[:-1], member.name)
                if isinstance(parent.get(parts[-1]), dict):
                    raise ValueError(f"tar member {member.name!r} replaces a directory")
                parent[parts[-1]] = added
        if len(tree) == 1:
            name, node = next(iter(tree.items()))
            return _build_dirs(imp, node, name, on_entry)
        return _build_dirs(imp, tree, "", on_entry)


def _member_parts(name: str) -> list[str]:
    pure = PurePosixPath(name)
    if pure.is_absolute():
        raise ValueError(f"absolute path in tar: {name!r}")
    parts = [p for p in pure.parts if p != "."]
    if ".." in parts:
        raise ValueError(f"'..' in tar member path: {name!r}")
    for part in parts:
        check_name(part)
    return parts


def _subtree(tree: dict, parts: list[str], member: str) -> dict:
    for part in parts:
        node = tree.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"tar member {member!r} is below a file")
        tree = node
    return tree


def _build_dirs(imp: Importer, node: dict | Added, rel: str, on_entry: OnEntry | None) -> Added:
    if isinstance(node, Added):
        added = node
    else:
        added = imp.directory(
            (name, _build_dirs(imp, child, f"{rel}/{name}" if rel else name, on_entry))
            for name, child in node.items())
    if on_entry:
        on_entry(rel, added)
    return added
