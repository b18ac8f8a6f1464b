"""Reading UnixFS back: path resolution, `cat` with offset/length, `ls`, `get` to disk.

`cat` seeks with the blocksizes in each file node, so a range reads only the blocks that
overlap it. Names from the DAG are checked before they touch the local filesystem.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from mimeidb.ipfs import cid as cids
from mimeidb.ipfs import dagpb, hamt, unixfs
from mimeidb.ipfs.blockstore import BlockStore
from mimeidb.ipfs.importer import check_name


class BlockMissing(LookupError):
    """A block the operation needs is not in the store; `.cid` names it."""

    def __init__(self, cid: bytes) -> None:
        self.cid = cid
        super().__init__(f"block not found: {cids.format(cid)}")


class NotAFile(ValueError):
    pass


class NotADirectory(ValueError):
    pass


def load(store: BlockStore, cid: bytes) -> bytes:
    """The block's bytes; identity-hash CIDs carry their block inline."""
    data = store.get(cid)
    if data is not None:
        return data
    if len(cid) > 2 and cid[0] == 1:
        info = cids.info(cid)
        if info["hash"]["code"] == cids.IDENTITY:
            return info["hash"]["digest"]
    raise BlockMissing(cid)


@dataclass(frozen=True, slots=True)
class Node:
    """A decoded UnixFS-relevant view of one block."""
    cid: bytes
    kind: str                   # "file", "dir", "symlink", "raw-block" (non-UnixFS dag-pb)
    size: int                   # file bytes (0 for directories)
    links: list[dagpb.Link]     # the block's own links (a HAMT's are bucket-prefixed)
    data: bytes | None          # inline file data or symlink target
    blocksizes: list[int]
    fanout: int = 0             # a HAMT-sharded directory's fanout; 0 for anything else

    @property
    def sharded(self) -> bool:
        return self.fanout > 0


def node(store: BlockStore, cid: bytes) -> Node:
    block = load(store, cid)
    codec = cids.codec_of(cid)
    if codec == cids.RAW:
        return Node(cid, "file", len(block), [], block, [])
    if codec != cids.DAG_PB:
        raise ValueError(f"{cids.format(cid)} is not UnixFS (codec 0x{codec:x})")
    data, links = dagpb.decode(block)
    if data is None:
        return Node(cid, "raw-block", 0, links, None, [])
    fs = unixfs.decode(data)
    if fs.kind in (unixfs.Kind.FILE, unixfs.Kind.RAW):
        size = fs.filesize if fs.filesize is not None else len(fs.data or b"") + sum(fs.blocksizes)
        if len(fs.blocksizes) != len(links):
            raise ValueError(f"{cids.format(cid)}: {len(links)} links but "
                             f"{len(fs.blocksizes)} blocksizes")
        return Node(cid, "file", size, links, fs.data, fs.blocksizes)
    if fs.kind == unixfs.Kind.DIRECTORY:
        return Node(cid, "dir", 0, links, None, [])
    if fs.kind == unixfs.Kind.SYMLINK:
        return Node(cid, "symlink", len(fs.data or b""), [], fs.data or b"", [])
    if fs.kind == unixfs.Kind.HAMT_SHARD:
        try:
            fanout = hamt.check_shard(fs)
        except ValueError as exc:
            raise ValueError(f"{cids.format(cid)}: {exc}") from None
        return Node(cid, "dir", 0, links, None, [], fanout)
    raise ValueError(f"{cids.format(cid)}: unsupported UnixFS node type {fs.kind.name}")


def entries(store: BlockStore, n: Node) -> Iterator[dagpb.Link]:
    """A directory's entries as (cid, name, tsize) links: a plain directory's links, or the
    values of a HAMT shard and its sub-shards (names without the bucket prefix)."""
    if n.kind != "dir":
        raise NotADirectory(f"{cids.format(n.cid)} is not a directory")
    if not n.sharded:
        return iter(n.links)
    return hamt.entries(lambda c: load(store, c), n.links, n.fanout)


def find(store: BlockStore, n: Node, name: str) -> dagpb.Link | None:
    """The entry `name` of directory n, or None; a HAMT is searched along the name's hash."""
    if n.kind != "dir":
        raise NotADirectory(f"{cids.format(n.cid)} is not a directory")
    if n.sharded:
        return hamt.find(lambda c: load(store, c), n.links, n.fanout, name)
    for link in n.links:
        if link.name == name:
            return link
    return None


def resolve(store: BlockStore, root: bytes, segments: list[str]) -> bytes:
    """Follow named links from `root` through directories."""
    current = root
    for i, name in enumerate(segments):
        check_name(name)
        n = node(store, current)
        if n.kind != "dir":
            where = "/".join(segments[:i]) or cids.format(root)
            raise NotADirectory(f"{where} is not a directory")
        link = find(store, n, name)
        if link is not None:
            current = link.cid
        else:
            raise FileNotFoundError(f"no link named {'/'.join(segments[:i + 1])!r} "
                                    f"under {cids.format(root)}")
    return current


def resolve_path(store: BlockStore, target: str | bytes) -> bytes:
    """A binary CID, or text `<cid>[/path]` / `/ipfs/<cid>[/path]`, to the CID it names."""
    if isinstance(target, bytes):
        return target
    root, segments = cids.parse_path(target)
    return resolve(store, root, segments)


def cat(store: BlockStore, target: str | bytes, offset: int = 0,
        length: int | None = None) -> Iterator[bytes]:
    """The file's bytes from `offset`, at most `length` of them, as a stream of chunks."""
    if offset < 0 or (length is not None and length < 0):
        raise ValueError("offset and length must not be negative")
    n = node(store, resolve_path(store, target))
    if n.kind == "dir":
        raise NotAFile(f"{cids.format(n.cid)} is a directory")
    if n.kind != "file":
        raise NotAFile(f"{cids.format(n.cid)} is a {n.kind}, not a file")
    end = n.size if length is None else min(n.size, offset + length)
    if offset >= end:
        return iter(())
    return _read(store, n, offset, end)


def _read(store: BlockStore, n: Node, start: int, end: int) -> Iterator[bytes]:
    """Bytes [start, end) of the file rooted at node n (positions relative to n)."""
    pos = 0
    if n.data:
        if start < len(n.data):
            yield n.data[start:min(end, len(n.data))]
        pos = len(n.data)
    for link, size in zip(n.links, n.blocksizes):
        if pos >= end:
            return
        if pos + size > start:
            child = node(store, link.cid)
            yield from _read(store, child, max(start - pos, 0), min(end - pos, size))
        pos += size


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    cid: bytes
    size: int      # file bytes; link Tsize when the child block is not local
    type: str      # "file", "dir", "symlink", "raw-block" or "unknown"

    def to_json(self) -> dict:
        return {"name": self.name, "cid": cids.format(self.cid), "size": self.size,
                "type": self.type}


def ls(store: BlockStore, target: str | bytes) -> list[Entry]:
    """Links of a directory (or a file's chunks), each child typed when its block is local."""
    n = node(store, resolve_path(store, target))
    found = []
    for link in (entries(store, n) if n.kind == "dir" else n.links):
        try:
            child = node(store, link.cid)
            found.append(Entry(link.name, link.cid, child.size, child.kind))
        except (BlockMissing, ValueError):
            found.append(Entry(link.name, link.cid, link.tsize, "unknown"))
    return found


def get(store: BlockStore, target: str | bytes, out: str | os.PathLike) -> None:
    """Write a file or a directory tree to `out` (which must not exist yet)."""
    out = Path(out)
    if out.exists() or out.is_symlink():
        raise FileExistsError(f"{out} already exists")
    _get(store, resolve_path(store, target), out)


def _get(store: BlockStore, cid: bytes, out: Path) -> None:
    n = node(store, cid)
    if n.kind == "dir":
        out.mkdir()
        for link in entries(store, n):
            check_name(link.name)
            _get(store, link.cid, out / link.name)
    elif n.kind == "symlink":
        os.symlink(n.data.decode("utf-8", "surrogateescape"), out)
    elif n.kind == "file":
        with open(out, "xb") as f:
            for chunk in _read(store, n, 0, n.size):
                f.write(chunk)
    else:
        raise NotAFile(f"{cids.format(cid)} is not a UnixFS file or directory")
