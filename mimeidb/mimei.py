"""The Mimei: create, open (-> mmsid), versions (backup, history, diff, restore, release),
and the bindings of connections to one Mimei version.

In the `meta` column family:
  b"mimei/" + mid        -> the signed Mimei record block (DAG-CBOR, also in the blockstore)
  b"ns/" + mid + b"/cur" -> 4-byte namespace of the live `cur` keyspace in the `data` family
  b"ns/" + mid + b"/cur/" + n -> namespace of extra database n (1-15, RESP SELECT n)
  b"mmsid/" + hex        -> (mid, version, user) of an issued mmsid, so mmsids survive restarts
  b"auto/" + mid         -> auto-backup delay in ms (absent: off)
  b"ns-next"             -> the next free namespace number
The version index is versions/history.py's.
"""
from __future__ import annotations

import logging
import struct
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import orjson

from mimeidb import ids
from mimeidb.ipfs import cid
from mimeidb.ipfs.blockstore import RocksBlockStore
from mimeidb.keys import KeyPair, b64url
from mimeidb.store import encoding as enc
from mimeidb.store.db import CF_DATA, CF_META, Database
from mimeidb.store.keyspace import DIRTY, Keyspace, LiveRaw
from mimeidb.store.writebuffer import WriteBuffer
from mimeidb.versions.cbor import cid_text
from mimeidb.versions.commit import Commit, MimeiRecord
from mimeidb.versions.diff import diff as tree_diff
from mimeidb.versions.history import VersionError, VersionIndex
from mimeidb.versions.mst import MST, NodeCache
from mimeidb.versions.snapshot import TreeRaw, clear_dirty_in, seal
from mimeidb.versions.verify import VerificationError, verify_commit

log = logging.getLogger("mimeidb.mimei")

DATABASES = 16  # RESP SELECT 0..15 on a db Mimei's `cur` (Redis's `databases` default)
DEFAULT_RIGHT = 7276704  # Leither's default right mask, shown by `mimei show`
CUR = "cur"
_U32 = struct.Struct(">I")


class MimeiError(ValueError):
    """A request about a Mimei that cannot be served (unknown mid, bad version...)."""


def record_info(record: MimeiRecord) -> dict:
    """The record as `mimei show` prints it (and the API returns it)."""
    created = datetime.fromtimestamp(record.created / 1000, timezone.utc).astimezone()
    return {"mid": record.mid, "type": record.type, "Author": record.author,
            "PublicKey": b64url(record.pubkey), "AppType": record.app, "Ext": record.ext,
            "Mark": record.mark, "Create": created.isoformat(timespec="seconds"),
            "Right": record.right}


def commit_info(commit: Commit, commit_cid: bytes) -> dict:
    return {"version": commit.version, "commit": cid.format(commit_cid),
            "data": cid.format(commit.data), "dataKind": commit.data_kind, "time": commit.time,
            "memo": commit.memo, "prev": cid.format(commit.prev) if commit.prev else None}


@dataclass
class Binding:
    """A connection's view: one Mimei version opened by one user."""

    mmsid: str
    mid: str
    version: str
    keyspace: Keyspace | None
    writable: bool
    author: str
    mtype: str
    user: str

    def info(self) -> dict:
        return {"mid": self.mid, "version": self.version, "author": self.author,
                "writable": self.writable, "type": self.mtype, "user": self.user}


class MimeiManager:
    """The node's Mimei: records, live keyspaces, versions, mmsids and key-change listeners."""

    def __init__(self, db: Database, buffer: WriteBuffer, node_key: KeyPair, secret: bytes) -> None:
        self.db = db
        self.buffer = buffer
        self.node_key = node_key
        self.secret = secret
        self.blocks = RocksBlockStore(db)
        self.versions = VersionIndex(db)
        self._meta = db.cf[CF_META]
        self._live: dict[str, Keyspace] = {}
        self._snapshots: dict[tuple[str, int], Keyspace] = {}
        self._tree_cache = NodeCache()
        self._listeners: list[Callable[[Keyspace, bytes], None]] = []
        self._version_listeners: list[Callable[[str, int], None]] = []
        self._auto: dict[str, int] = {}  # auto-backup delays read so far (the hot write path asks)
        self.default_mid = ""

    # -- records ---------------------------------------------------------------------
    def create(self, mtype: str = "file", app: str = "", ext: str = "", mark: str = "",
               author: KeyPair | None = None) -> MimeiRecord:
        if mtype not in ids.MIMEI_TAGS:
            raise MimeiError(f"unknown Mimei type {mtype!r}: use file or db")
        author = author or self.node_key
        mark = mark or ids.new_mark()
        mid = ids.mimei_id(author.id, app, ext, mark, mtype)
        existing = self.record(mid)
        if existing is not None:
            return existing
        record = MimeiRecord.create(author, app, ext, mark, mtype, time.time_ns() // 1_000_000,
                                    DEFAULT_RIGHT)
        self.store_record(record)
        return record

    def store_record(self, record: MimeiRecord) -> None:
        """Keep a (verified) record: in the index and as a block, for export and sync."""
        record.check()
        encoded = record.encode()
        self.blocks.put(record.cid, encoded)
        self._meta[b"mimei/" + record.mid.encode()] = encoded

    def record(self, mid: str) -> MimeiRecord | None:
        raw = self._meta.get(b"mimei/" + mid.encode())
        return MimeiRecord.decode(raw) if raw is not None else None

    def require(self, mid: str) -> MimeiRecord:
        if not ids.is_leither_id(mid):
            raise MimeiError(f"not a Mimei ID: {mid!r}")
        record = self.record(mid)
        if record is None:
            raise MimeiError(f"no such Mimei on this node: {mid}")
        return record

    def list(self) -> list[MimeiRecord]:
        out = []
        it = self._meta.iter()
        it.seek(b"mimei/")
        while it.valid() and it.key().startswith(b"mimei/"):
            out.append(MimeiRecord.decode(it.value()))
            it.next()
        return out

    # -- keyspaces -------------------------------------------------------------------
    # A db Mimei's `cur` has DATABASES live keyspaces (RESP SELECT n). Database 0 is the
    # Mimei's versioned keyspace: backup seals it, versions and restore are about it. Databases
    # 1-15 are extra keyspaces of the same Mimei kept in RocksDB (their own namespaces, no
    # dirty-key log) and are not part of its versions. Each (mid, db) has one Keyspace object
    # for the node's life; SWAPDB swaps the namespaces under those objects.
    def live_keyspace(self, mid: str, db: int = 0) -> Keyspace:
        """The writable `cur` keyspace of a Mimei's database db (one shared object each)."""
        ks = self._live.get(mid if db == 0 else (mid, db))
        if ks is None:
            if not 0 <= db < DATABASES:
                raise MimeiError("DB index is out of range")
            ks = Keyspace(self._raw(db, self._namespace(mid, db)),
                          name=mid if db == 0 else f"{mid}/{db}",
                          on_modified=self._key_modified)
            ks.scope = (mid, db)  # type: ignore[attr-defined]  (WATCH/blocking identity)
            ks.db = db  # type: ignore[attr-defined]
            ks.mid = mid  # type: ignore[attr-defined]
            ks.manager = self  # type: ignore[attr-defined]  (its sibling databases)
            ks.notifier = getattr(self, "_notifier", None)
            self._live[mid if db == 0 else (mid, db)] = ks
        return ks

    def _raw(self, db: int, ns: bytes) -> LiveRaw:
        return LiveRaw(self.buffer, ns) if db == 0 else _ExtraRaw(self.buffer, ns)

    def live_keyspaces(self) -> list[Keyspace]:
        return list(self._live.values())

    def databases(self, mid: str) -> list[Keyspace]:
        """The live keyspaces of mid's databases that exist (db 0 first)."""
        out = [self.live_keyspace(mid)]
        for db in range(1, DATABASES):
            if (mid, db) in self._live or self._meta.get(_ns_name(mid, db)) is not None:
                out.append(self.live_keyspace(mid, db))
        return out

    def swap_databases(self, mid: str, a: int, b: int) -> None:
        """SWAPDB: databases a and b of mid's `cur` trade contents (their namespaces). When
        db 0 takes part, the dirty-key log moves to db 0's new namespace and names every key
        either side held, so the next backup records the swap."""
        if a == b:
            return
        ks_a, ks_b = self.live_keyspace(mid, a), self.live_keyspace(mid, b)
        ns_a, ns_b = ks_a.raw.ns, ks_b.raw.ns
        self.buffer.flush()
        meta, data = self.db.handle[CF_META], self.db.handle[CF_DATA]
        batch = self.db.batch()
        batch.put(_ns_name(mid, a), ns_b, meta)
        batch.put(_ns_name(mid, b), ns_a, meta)
        if 0 in (a, b):
            old0, new0 = (ns_a, ns_b) if a == 0 else (ns_b, ns_a)
            marks: set[bytes] = set()
            for ns in (old0, new0):
                cut = len(ns)
                for key, _ in self.buffer.scan(CF_DATA, ns, None):
                    raw = key[cut:]
                    marks.add(raw[1:] if raw.startswith(DIRTY) else raw)
            batch.delete_range(old0 + DIRTY, old0 + b"\xff", data)
            for raw in marks:
                batch.put(new0 + DIRTY + raw, b"", data)
        self.db.write(batch, sync=True)
        ks_a.raw = self._raw(a, ns_b)
        ks_b.raw = self._raw(b, ns_a)

    def version_keyspace(self, mid: str, version: int) -> Keyspace:
        """A read-only keyspace of a db version, read straight from its tree."""
        ks = self._snapshots.get((mid, version))
        if ks is None:
            commit = self.versions.commit(mid, version)
            tree = MST.load(self.blocks, commit.data, self._tree_cache)
            ks = Keyspace(TreeRaw(tree), name=f"{mid}:{version}")
            ks.scope = (mid, f"v{version}")  # type: ignore[attr-defined]
            ks.db = 0  # type: ignore[attr-defined]
            ks.mid = mid  # type: ignore[attr-defined]
            self._snapshots[(mid, version)] = ks
        return ks

    def _namespace(self, mid: str, db: int = 0) -> bytes:
        name = _ns_name(mid, db)
        ns = self._meta.get(name)
        if ns is None:
            counter = self._meta.get(b"ns-next")
            number = _U32.unpack(counter)[0] if counter else 1
            ns = _U32.pack(number)
            batch = self.db.batch()
            batch.put(b"ns-next", _U32.pack(number + 1), self.db.handle[CF_META])
            batch.put(name, ns, self.db.handle[CF_META])
            self.db.write(batch, sync=True)
        return ns

    # -- opening and binding ---------------------------------------------------------
    def can_write(self, record: MimeiRecord, user: str) -> bool:
        """Only the author may write `cur`, and only where the node holds the author's key."""
        return user == record.author and user == self.node_key.id

    def open(self, mid: str, version: str = CUR, user: str | None = None) -> Binding:
        record = self.require(mid)
        user = user or self.node_key.id
        version = str(version or CUR).lower()
        if version != CUR:
            try:
                version = str(self.versions.resolve(mid, version))
            except VersionError as exc:
                raise MimeiError(str(exc)) from None
        token = ids.mmsid(self.secret, mid, version, user)
        key = b"mmsid/" + token.encode()
        if self._meta.get(key) is None:
            self._meta[key] = orjson.dumps({"mid": mid, "version": version, "user": user})
        return self._binding(record, token, version, user)

    def _binding(self, record: MimeiRecord, token: str, version: str, user: str) -> Binding:
        writable = version == CUR and self.can_write(record, user)
        ks: Keyspace | None = None
        if record.type == "db":
            if version != CUR:
                ks = self.version_keyspace(record.mid, int(version))
            else:
                ks = self.live_keyspace(record.mid)
                if not writable:
                    ks = readonly_view(ks)
        return Binding(mmsid=token, mid=record.mid, version=version, keyspace=ks,
                       writable=writable, author=record.author, mtype=record.type, user=user)

    def bind_mmsid(self, token: str) -> Binding:
        """The binding an mmsid was issued for; KeyError when this node never issued it."""
        token = token.lower()
        raw = self._meta.get(b"mmsid/" + token.encode()) if ids.is_mmsid(token) else None
        if raw is None:
            raise KeyError(token)
        doc = orjson.loads(raw)
        return self._binding(self.require(doc["mid"]), token, doc["version"], doc["user"])

    def auth(self, mid: str, version: str, credential: str) -> Binding:
        """AUTH <mid>[:<ver>] <credential>: the credential is an mmsid issued for this mid."""
        try:
            issued = self.bind_mmsid(credential)
        except KeyError:
            raise PermissionError("invalid credential") from None
        if issued.mid != mid:
            raise PermissionError("credential is for another Mimei")
        return self.open(mid, version or CUR, issued.user)

    def default_binding(self) -> Binding | None:
        if not self.default_mid or self.record(self.default_mid) is None:
            return None
        return self.open(self.default_mid)

    def ensure_default(self, current: str) -> str:
        """The node's default db Mimei: `current` if it exists, else a new one."""
        if current and self.record(current) is not None:
            self.default_mid = current
        else:
            self.default_mid = self.create("db", mark="default").mid
        return self.default_mid

    # -- versions --------------------------------------------------------------------
    def _author_record(self, mid: str) -> MimeiRecord:
        record = self.require(mid)
        if not self.can_write(record, self.node_key.id):
            raise PermissionError(f"this node does not hold the key of {mid}'s author {record.author}")
        return record

    def backup(self, mid: str, memo: str = "") -> Commit | None:
        """Seal a db Mimei's `cur` as the next version; None when nothing changed."""
        record = self._author_record(mid)
        if record.type != "db":
            raise MimeiError(f"{mid} is a file Mimei: its versions come from setcid/add")
        raw = self.live_keyspace(mid).raw
        last = self.versions.last(mid)
        base = self.versions.commit(mid, last).data if last else None
        tree, blocks, dirty = seal(raw, self.blocks, base, self._tree_cache)
        if last and tree.root_cid == base:
            if dirty:
                batch = self.db.batch()
                clear_dirty_in(batch, raw, dirty)
                self.db.write(batch, sync=True)
            return None
        commit = self.versions.append(self.node_key, record, tree.root_cid, memo, blocks,
                                      extra=lambda batch: clear_dirty_in(batch, raw, dirty))
        self._version_made(mid, commit.version)
        return commit

    def setcid(self, mid: str, cid: bytes, memo: str = "") -> Commit:
        """Point a file Mimei's next version at an IPFS root held by this node."""
        record = self._author_record(mid)
        if record.type != "file":
            raise MimeiError(f"{mid} is a db Mimei: use backup")
        if not self.blocks.has(cid):
            raise MimeiError("that CID is not on this node: add the content first")
        last = self.versions.last(mid)
        if last and self.versions.commit(mid, last).data == cid:
            return self.versions.commit(mid, last)
        commit = self.versions.append(self.node_key, record, cid, memo)
        self._version_made(mid, commit.version)
        return commit

    def history(self, mid: str) -> list[dict]:
        self.require(mid)
        return [commit_info(self.versions.commit(mid, number), cid)
                for number, cid in self.versions.versions(mid)]

    def diff(self, mid: str, old: str, new: str) -> dict[str, list[bytes]]:
        """User keys added, changed and removed between two db versions (cur allowed)."""
        record = self.require(mid)
        if record.type != "db":
            raise MimeiError(f"{mid} is a file Mimei: diff compares db versions")
        roots = [self._root_of(mid, name) for name in (old, new)]
        changes = tree_diff(roots[0], roots[1], self.blocks)
        added, removed = _user_keys(changes.adds), _user_keys(changes.deletes)
        # a new or removed key's fields are part of that add/remove, not a change
        changed = (_user_keys(changes.updates) | _sub_changes(changes)) - added - removed
        return {"added": added, "changed": changed, "removed": removed}

    def _root_of(self, mid: str, name: str) -> bytes:
        if str(name).lower() == CUR:
            return self.backup_preview(mid)
        try:
            return self.versions.commit(mid, self.versions.resolve(mid, name)).data
        except VersionError as exc:
            raise MimeiError(str(exc)) from None

    def backup_preview(self, mid: str) -> bytes:
        """The root `cur` would have if backed up now (blocks stored, nothing committed)."""
        raw = self.live_keyspace(mid).raw
        last = self.versions.last(mid)
        base = self.versions.commit(mid, last).data if last else None
        tree, blocks, _ = seal(raw, self.blocks, base, self._tree_cache)
        self.blocks.put_many(blocks)
        return tree.root_cid

    def restore(self, mid: str, name: str) -> int:
        """Copy a db version back into `cur`; returns the number of keys restored."""
        record = self._author_record(mid)
        if record.type != "db":
            raise MimeiError(f"{mid} is a file Mimei: restore copies a db version into cur")
        version = self._resolve(mid, name)
        source = self.version_keyspace(mid, version)
        live = self.live_keyspace(mid)
        live.flush_all()
        raw = live.raw
        for key, value in source.raw.scan(b""):
            raw.put(key, value)
            if key.startswith(enc.META):
                meta = enc.decode_meta(value)
                if meta.expire_ms:
                    raw.set_expire_index(key[1:], 0, meta.expire_ms)
                live.modified(key[1:])
        self.buffer.flush(sync=True)
        return live.count()

    def release(self, mid: str, name: str) -> int:
        self._author_record(mid)
        version = self._resolve(mid, name)
        self.versions.set_release(mid, version)
        return version

    def _resolve(self, mid: str, name: str | int) -> int:
        try:
            return self.versions.resolve(mid, name)
        except VersionError as exc:
            raise MimeiError(str(exc)) from None

    def delete_versions(self, mid: str, numbers: list[int]) -> list[int]:
        self._author_record(mid)
        try:
            dropped = self.versions.delete(mid, numbers)
        except VersionError as exc:
            raise MimeiError(str(exc)) from None
        for number in dropped:
            self._snapshots.pop((mid, number), None)
        return dropped

    def autobackup(self, mid: str, delay_ms: int | None = None) -> int:
        """Read (delay_ms None) or set the auto-backup delay of a db Mimei; 0 = off."""
        key = b"auto/" + mid.encode()
        if delay_ms is not None:
            record = self._author_record(mid)
            if record.type != "db":
                raise MimeiError(f"{mid} is a file Mimei: its versions come from setcid/add")
            if delay_ms < 0:
                raise MimeiError("the auto-backup delay is a number of ms >= 0")
            if delay_ms > 0xFFFFFFFF:
                raise MimeiError("the auto-backup delay is too long")
            if delay_ms:
                self._meta[key] = _U32.pack(delay_ms)
            elif self._meta.get(key) is not None:
                del self._meta[key]
            self._auto[mid] = delay_ms
        cached = self._auto.get(mid)
        if cached is None:
            raw = self._meta.get(key)
            cached = self._auto[mid] = _U32.unpack(raw)[0] if raw else 0
        return cached

    def autobackup_mids(self) -> list[str]:
        """Mimei with an auto-backup delay set."""
        out = []
        it = self._meta.iter()
        it.seek(b"auto/")
        while it.valid() and it.key().startswith(b"auto/"):
            out.append(it.key()[5:].decode())
            it.next()
        return out

    # -- integrity, import, show ------------------------------------------------------
    def verify(self, mid: str, name: str | None = None) -> dict:
        """Re-check hashes, signatures, the prev chain and the data trees of a version and of
        every kept version before it (default: from the newest). A dropped version whose
        blocks were collected leaves a gap: the chain is followed again from the next kept
        version below it. MimeiError naming the first problem found."""
        self.require(mid)
        kept = dict(self.versions.versions(mid))
        if not kept:
            raise MimeiError(f"{mid} has no version to verify")
        number = self._resolve(mid, name) if name not in (None, "") else max(kept)
        checked: dict = {}
        covered: set[int] = set()
        for start in sorted((v for v in kept if v <= number), reverse=True):
            if start in covered:
                continue
            try:
                head = verify_commit(self.blocks, kept[start], mid=mid, checked=checked, pruned=True)
            except VerificationError as exc:
                raise MimeiError(f"version {start} of {mid} fails verification: {exc.reason}") from None
            if head.version != start:
                raise MimeiError(f"the index names a commit of version {head.version} as version {start}")
            cid_, commit = kept[start], head
            while True:  # the index must name the commits the verified chain holds
                if kept.get(commit.version, cid_) != cid_:
                    raise MimeiError(f"the index names another commit as version {commit.version} of {mid}")
                covered.add(commit.version)
                if commit.prev is None or self.blocks.get(commit.prev) is None:
                    break
                cid_, commit = commit.prev, self._commit_block(commit.prev)
        return {"mid": mid, "version": number, "commit": cid_text(kept[number]),
                "data": cid_text(self.versions.commit(mid, number).data),
                "checked": sorted(v for v in kept if v <= number), "ok": True}

    def _commit_block(self, commit_cid: bytes) -> Commit:
        data = self.blocks.get(commit_cid)
        if data is None:
            raise MimeiError(f"commit {cid_text(commit_cid)} is missing")
        return Commit.decode(data)

    def import_commit(self, commit_cid: bytes, checked: dict | None = None) -> dict:
        """Register a received version (its blocks already in the store, e.g. by `dag import`):
        verify it and its chain, keep the record, and index every version of the chain that
        is newer than what this node holds. checked: verify_commit's memo of subtrees already
        verified (the p2p service keeps one per Mimei, so a new version costs its new nodes)."""
        data = self.blocks.get(commit_cid)
        if data is None:
            raise MimeiError(f"commit {cid_text(commit_cid)} is not on this node: import its CAR first")
        try:
            head = Commit.decode(data)
        except ValueError as exc:
            raise MimeiError(f"{cid_text(commit_cid)} is not a commit: {exc}") from None
        mid = head.mid
        last = self.versions.last(mid)
        trusted = self.versions.commit_cid(mid, last) if last else None
        if last and head.version <= last:
            if self.versions.commit_cid(mid, head.version) == commit_cid:
                return {"mid": mid, "version": head.version, "imported": []}
            raise MimeiError(f"{mid} already has a version {head.version}"
                             + (" (another commit: the histories fork)" if
                                self.versions.commit_cid(mid, head.version) else " (dropped here)"))
        try:
            verify_commit(self.blocks, commit_cid, mid=mid, trusted=trusted, checked=checked)
            record = MimeiRecord.decode(self.blocks.get(head.record) or b"")
        except (VerificationError, ValueError) as exc:
            raise MimeiError(f"commit {cid_text(commit_cid)} fails verification: {exc}") from None
        local = self.record(mid)
        if local is None:
            self.store_record(record)
        elif local.cid != record.cid:
            raise MimeiError(f"the commit's Mimei record differs from the one this node holds for {mid}")
        chain: list[tuple[bytes, Commit]] = []
        cid_, commit = commit_cid, head
        while True:
            chain.append((cid_, commit))
            if commit.prev is None or commit.prev == trusted:
                break
            cid_, commit = commit.prev, self._commit_block(commit.prev)
        for _, commit in reversed(chain):
            self.versions.store(commit)
        self._snapshots = {k: v for k, v in self._snapshots.items() if k[0] != mid}
        self._version_made(mid, head.version)
        return {"mid": mid, "version": head.version,
                "imported": [c.version for _, c in reversed(chain)]}

    def show(self, mid: str) -> dict:
        """The record as `mimei show` prints it, with the versions kept here."""
        record = self.require(mid)
        versions = [{"version": number, "commit": cid_text(commit_cid),
                     "data": cid_text(self.versions.commit(mid, number).data)}
                    for number, commit_cid in self.versions.versions(mid)]
        return {**record_info(record), "versions": versions, "last": self.versions.last(mid),
                "release": self.versions.release(mid), "autobackup": self.autobackup(mid)}

    # -- change listeners ------------------------------------------------------------
    def add_listener(self, fn: Callable[[Keyspace, bytes], None]) -> None:
        self._listeners.append(fn)

    def set_notifier(self, fn: Callable[[Keyspace, int, bytes, bytes], None] | None) -> None:
        """Install (None: remove) the keyspace event notifier of every live keyspace."""
        self._notifier = fn
        for ks in self._live.values():
            ks.notifier = fn

    def add_version_listener(self, fn: Callable[[str, int], None]) -> None:
        """fn(mid, version) after a new version of mid is stored (backup, setcid, import); in
        whatever thread stored it. The p2p service announces published Mimei from it."""
        self._version_listeners.append(fn)

    def remove_version_listener(self, fn: Callable[[str, int], None]) -> None:
        if fn in self._version_listeners:
            self._version_listeners.remove(fn)

    def _version_made(self, mid: str, version: int) -> None:
        for fn in list(self._version_listeners):
            try:
                fn(mid, version)
            except Exception:  # noqa: BLE001 - a listener must not undo a stored version
                log.exception("version listener failed for %s", mid)

    def _key_modified(self, ks: Keyspace, key: bytes) -> None:
        for fn in self._listeners:
            fn(ks, key)


class _ExtraRaw(LiveRaw):
    """The namespace of an extra database (1-15): no dirty-key log, no versions."""

    def put(self, raw: bytes, value: bytes) -> None:
        self.buffer.put(CF_DATA, self.ns + raw, value)

    def delete(self, raw: bytes) -> None:
        self.buffer.delete(CF_DATA, self.ns + raw)


def _ns_name(mid: str, db: int) -> bytes:
    name = b"ns/" + mid.encode() + b"/cur"
    return name if db == 0 else name + b"/%d" % db


def readonly_view(ks: Keyspace) -> Keyspace:
    """A read-only Keyspace over a live one (a reader of someone else's `cur`)."""
    view = Keyspace(ks.raw, name=ks.name)
    view.readonly = True
    for attr in ("scope", "db", "mid", "manager"):
        if hasattr(ks, attr):
            setattr(view, attr, getattr(ks, attr))
    return view


def _user_keys(raw_keys) -> set[bytes]:
    return {raw[1:] for raw in raw_keys if raw.startswith(enc.META)}


def _sub_changes(changes) -> set[bytes]:
    """Keys whose fields/members/elements changed (their sub-entries or score index)."""
    out = set()
    for raw in list(changes.adds) + list(changes.updates) + list(changes.deletes):
        if raw[:1] in (enc.SUB, enc.SCORE) and len(raw) >= 5:
            size = enc.U32.unpack_from(raw, 1)[0]
            out.add(raw[5:5 + size])
    return out
