"""File Mimei over the core: content in as the next version, a version's path out, GC roots.

A file Mimei's version N is a signed commit whose `data` is a UnixFS root. `add` imports a
file or a tar stream into the node's block store and seals it with `setcid`; reading resolves
`mid[:ver][/path]` to a CID that the IPFS exporter serves.

GC: the blocks a node must keep for its Mimei are, for every kept version, the version's data
DAG (walked: a UnixFS tree, or a db's Merkle search tree) and the commit block itself, plus
each Mimei record block. Commits and records are kept as single blocks and never walked: a
commit links to its `prev` commit, and walking that would keep deleted versions alive.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from mimeidb import ids
from mimeidb.ipfs import importer
from mimeidb.ipfs.exporter import BlockMissing, resolve
from mimeidb.ipfs.importer import Added, OnEntry
from mimeidb.mimei import MimeiError, MimeiManager
from mimeidb.versions.commit import Commit, MimeiRecord
from mimeidb.versions.history import VersionError


class NotFound(LookupError):
    """No such Mimei, version or path on this node (HTTP 404)."""


@dataclass(frozen=True)
class Located:
    """A Mimei version and the CID a path names inside it."""
    record: MimeiRecord
    version: int
    commit: Commit
    target: bytes       # the CID `path` resolves to (the version's root for no path)


def writable_file_mimei(mimei: MimeiManager, mid: str) -> MimeiRecord:
    """The record of a file Mimei this node may add versions to (checked before any upload)."""
    record = mimei.require(mid)
    if record.type != "file":
        raise MimeiError(f"{mid} is a db Mimei: use backup")
    if not mimei.can_write(record, mimei.node_key.id):
        raise PermissionError(f"this node does not hold the key of {mid}'s author {record.author}")
    return record


def add(mimei: MimeiManager, mid: str, body: BinaryIO, cid_version: int = 0, tar: bool = False,
        memo: str = "", on_entry: OnEntry | None = None) -> tuple[Added, Commit]:
    """Import a file (or a tar stream of a directory) and make it the Mimei's next version.

    The blocks are durable before the version is written (the importer syncs the store when
    it closes), so a commit never points at blocks a crash could lose. Adding the content of
    the newest version again makes no new version (setcid returns the newest).
    """
    writable_file_mimei(mimei, mid)
    if tar:
        root = importer.add_tar(mimei.blocks, body, cid_version, on_entry=on_entry)
    else:
        root = importer.add_file(mimei.blocks, body, cid_version)
    return root, mimei.setcid(mid, root.cid, memo)


def parse_ref(ref: str) -> tuple[str, str]:
    """`<mid>[:<ver>]` -> (mid, ver or "last"); ValueError for a malformed mid or version."""
    mid, sep, ver = ref.partition(":")
    if not ids.is_leither_id(mid):
        raise ValueError(f"not a Mimei ID: {mid!r}")
    ver = ver.lower() if sep else "last"
    if not (ver in ("last", "release") or (ver.isdigit() and int(ver) >= 1)):
        raise ValueError(f"bad version {ver!r}: use a number >= 1, last or release")
    return mid, ver


def locate(mimei: MimeiManager, mid: str, ver: str = "last", segments: list[str] = ()) -> Located:
    """Resolve a Mimei version (and a path inside a file Mimei's tree); NotFound when absent."""
    if not ids.is_leither_id(mid):
        raise ValueError(f"not a Mimei ID: {mid!r}")
    record = mimei.record(mid)
    if record is None:
        raise NotFound(f"no such Mimei on this node: {mid}")
    try:
        version = mimei.versions.resolve(mid, ver)
        commit = mimei.versions.commit(mid, version)
    except VersionError as exc:
        if not (str(ver).lower() in ("last", "release") or str(ver).isdigit()):
            raise ValueError(str(exc)) from None
        raise NotFound(str(exc)) from None
    target = commit.data
    if segments:
        if record.type != "file":
            raise NotFound(f"{mid} is a db Mimei: it has no paths")
        try:
            target = resolve(mimei.blocks, commit.data, list(segments))
        except (FileNotFoundError, BlockMissing) as exc:
            raise NotFound(str(exc)) from None
        except ValueError as exc:  # a path through a file
            raise NotFound(str(exc)) from None
    return Located(record, version, commit, target)


def gc_roots(mimei: MimeiManager) -> tuple[list[bytes], set[bytes]]:
    """(roots to walk, CIDs to keep as single blocks) for every Mimei version on this node."""
    walk: list[bytes] = []
    single: set[bytes] = set()
    for record in mimei.list():
        single.add(record.cid)
        for number, commit_cid in mimei.versions.versions(record.mid):
            single.add(commit_cid)
            try:
                walk.append(mimei.versions.commit(record.mid, number).data)
            except VersionError:  # commit block missing: nothing of it to keep
                continue
    return walk, single
