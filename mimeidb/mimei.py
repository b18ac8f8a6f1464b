"""The Mimei: create, open (-> mmsid), bindings of connections to a Mimei version, rights.

A Mimei's record and its namespaces live in the `meta` column family:
  b"mimei/" + mid        -> record (JSON): mid, type, author, pubkey, app, ext, mark, create, right
  b"ns/" + mid + b"/cur" -> 4-byte namespace of the live `cur` keyspace in the `data` family
  b"mmsid/" + hex        -> (mid, version, user) of an issued mmsid, so mmsids survive restarts
  b"ns-next"             -> the next free namespace number
"""
from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import Callable

import orjson

from mimeidb import ids
from mimeidb.keys import KeyPair, b64url
from mimeidb.store.db import CF_META, Database
from mimeidb.store.keyspace import Keyspace, LiveRaw
from mimeidb.store.writebuffer import WriteBuffer

DEFAULT_RIGHT = 7276704  # Leither's default right mask, shown by `mimei show`
CUR = "cur"
_NS = struct.Struct(">I")


@dataclass(frozen=True)
class MimeiRecord:
    mid: str
    type: str
    author: str
    pubkey: str
    app: str
    ext: str
    mark: str
    create: int
    right: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Binding:
    """A connection's view: one Mimei version opened by one user."""

    mmsid: str
    mid: str
    version: str
    keyspace: Keyspace
    writable: bool
    author: str
    mtype: str
    user: str

    def info(self) -> dict:
        return {"mid": self.mid, "version": self.version, "author": self.author,
                "writable": self.writable, "type": self.mtype, "user": self.user}


class MimeiError(ValueError):
    """A request about a Mimei that cannot be served (unknown mid, bad version...)."""


class MimeiManager:
    """The node's Mimei: records, live keyspaces, mmsids and the listeners of key changes."""

    def __init__(self, db: Database, buffer: WriteBuffer, node_key: KeyPair, secret: bytes) -> None:
        self.db = db
        self.buffer = buffer
        self.node_key = node_key
        self.secret = secret
        self._meta = db.cf[CF_META]
        self._live: dict[str, Keyspace] = {}
        self._listeners: list[Callable[[Keyspace, bytes], None]] = []
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
        record = MimeiRecord(mid=mid, type=mtype, author=author.id, pubkey=b64url(author.public_key),
                             app=app, ext=ext, mark=mark, create=time.time_ns(), right=DEFAULT_RIGHT)
        self._meta[b"mimei/" + mid.encode()] = orjson.dumps(record.to_dict())
        return record

    def record(self, mid: str) -> MimeiRecord | None:
        raw = self._meta.get(b"mimei/" + mid.encode())
        return MimeiRecord(**orjson.loads(raw)) if raw is not None else None

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
            out.append(MimeiRecord(**orjson.loads(it.value())))
            it.next()
        return out

    # -- keyspaces -------------------------------------------------------------------
    def live_keyspace(self, mid: str) -> Keyspace:
        """The writable `cur` keyspace of a Mimei (one shared object per Mimei)."""
        ks = self._live.get(mid)
        if ks is None:
            ks = Keyspace(LiveRaw(self.buffer, self._namespace(mid)), name=mid,
                          on_modified=self._key_modified)
            self._live[mid] = ks
        return ks

    def live_keyspaces(self) -> list[Keyspace]:
        return list(self._live.values())

    def _namespace(self, mid: str) -> bytes:
        name = b"ns/" + mid.encode() + b"/cur"
        ns = self._meta.get(name)
        if ns is None:
            counter = self._meta.get(b"ns-next")
            number = _NS.unpack(counter)[0] if counter else 1
            ns = _NS.pack(number)
            batch = self.db.batch()
            batch.put(b"ns-next", _NS.pack(number + 1), self.db.handle[CF_META])
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
        version = (version or CUR).lower()
        if version != CUR:
            raise MimeiError(f"version {version} of {mid} is not available on this node")
        token = ids.mmsid(self.secret, mid, version, user)
        key = b"mmsid/" + token.encode()
        if self._meta.get(key) is None:
            self._meta[key] = orjson.dumps({"mid": mid, "version": version, "user": user})
        return self._binding(record, token, version, user)

    def _binding(self, record: MimeiRecord, token: str, version: str, user: str) -> Binding:
        ks = self.live_keyspace(record.mid)
        writable = self.can_write(record, user)
        if not writable:
            ks = Keyspace(ks.raw, name=record.mid, on_modified=None)
            ks.readonly = True
        return Binding(mmsid=token, mid=record.mid, version=version, keyspace=ks,
                       writable=writable, author=record.author, mtype=record.type, user=user)

    def bind_mmsid(self, token: str) -> Binding:
        """The binding an mmsid was issued for; KeyError when this node never issued it."""
        raw = self._meta.get(b"mmsid/" + token.lower().encode()) if ids.is_mmsid(token.lower()) else None
        if raw is None:
            raise KeyError(token)
        doc = orjson.loads(raw)
        record = self.require(doc["mid"])
        return self._binding(record, token.lower(), doc["version"], doc["user"])

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

    # -- change listeners ------------------------------------------------------------
    def add_listener(self, fn: Callable[[Keyspace, bytes], None]) -> None:
        self._listeners.append(fn)

    def _key_modified(self, ks: Keyspace, key: bytes) -> None:
        for fn in self._listeners:
            fn(ks, key)
