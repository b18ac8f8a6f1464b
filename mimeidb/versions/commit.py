"""Signed version blocks: the Mimei record (who made the Mimei) and the commit (one version).

Both are DAG-CBOR maps (canonical, see versions.cbor) addressed by CIDv1 dag-cbor sha2-256.
The signature is Ed25519 over the DAG-CBOR encoding of the map without its "sig" field; the
"kind" field is signed too, so a record's signature can never pass for a commit's.

ON-DISK AND WIRE FORMAT (format 1). These names, types and meanings must never change; a
change of meaning needs a new "format" number.

Mimei record, "kind": "mimei" — written once, at create:
    format   int      1
    kind     str      "mimei"
    mid      str      27-char Mimei ID = ids.mimei_id(author, app, ext, mark, type)
    type     str      "file" | "db"
    author   str      27-char key ID of pubkey (ids.key_id)
    pubkey   bytes    the author's raw 32-byte Ed25519 public key
    app      str      app ID (Leither AppType)
    ext      str      extension
    mark     str      the mark that makes the mid unique
    created  int      creation time, ms since the Unix epoch
    right    int      the Mimei's right bits
    sig      bytes    64-byte Ed25519 signature by pubkey

Commit, "kind": "commit" — one numbered version:
    format   int      1
    kind     str      "commit"
    mid      str      the Mimei this version belongs to
    version  int      1, 2, 3, ...
    dataKind str      "mst" (a db's Merkle search tree root) | "unixfs" (a file's UnixFS root)
    data     link     root of the version's data
    prev     link|null the commit of version-1; null for version 1
    time     int      ms since the Unix epoch
    pubkey   bytes    the signer's raw 32-byte Ed25519 public key
    memo     str      free text ("" when none)
    record   link     the Mimei record
    sig      bytes    64-byte Ed25519 signature by pubkey
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from mimeidb import ids, keys
from mimeidb.keys import KeyPair
from mimeidb.versions import cbor

FORMAT = 1
KIND_MIMEI = "mimei"
KIND_COMMIT = "commit"
DATA_KINDS = {"db": "mst", "file": "unixfs"}  # Mimei type -> the dataKind of its commits


def _check_shape(obj: object, schema: dict[str, tuple[type, ...]], what: str) -> dict:
    """The decoded map, when it has exactly the schema's fields with the schema's types."""
    if not isinstance(obj, dict):
        raise ValueError(f"{what} is not a DAG-CBOR map")
    if set(obj) != set(schema):
        raise ValueError(f"{what} fields are {sorted(obj)}, expected {sorted(schema)}")
    for name, types in schema.items():
        value = obj[name]
        if not isinstance(value, types) or (int in types and isinstance(value, bool)):
            raise ValueError(f"{what} field {name!r} has the wrong type")
    return obj


def _decode(data: bytes, schema: dict, links: tuple[str, ...], kind: str, what: str) -> dict:
    """Decode and prove canonical: re-encoded with `links` as links, it must give data back."""
    try:
        obj = cbor.decode(data)
    except ValueError as exc:
        raise ValueError(f"{what} is not valid DAG-CBOR: {exc}") from None
    if isinstance(obj, dict) and obj.get("kind") != kind:
        raise ValueError(f"{what} has kind {obj.get('kind')!r}, expected {kind!r}")
    obj = _check_shape(obj, schema, what)
    if obj["format"] != FORMAT:
        raise ValueError(f"{what} has format {obj['format']}, this node reads format {FORMAT}")
    shaped = {k: cbor.Link(v) if k in links and v is not None else v for k, v in obj.items()}
    if not cbor.is_canonical(data, shaped):
        raise ValueError(f"{what} is not canonical DAG-CBOR with links in {', '.join(links)}")
    return obj


_RECORD_SCHEMA = {
    "format": (int,), "kind": (str,), "mid": (str,), "type": (str,), "author": (str,),
    "pubkey": (bytes,), "app": (str,), "ext": (str,), "mark": (str,), "created": (int,),
    "right": (int,), "sig": (bytes,),
}


@dataclass(frozen=True)
class MimeiRecord:
    """The create-time facts of a Mimei, signed by its author."""

    mid: str
    type: str
    author: str
    pubkey: bytes
    app: str
    ext: str
    mark: str
    created: int
    right: int
    sig: bytes = b""

    @classmethod
    def create(cls, key: KeyPair, app: str, ext: str, mark: str, mtype: str, created: int,
               right: int) -> "MimeiRecord":
        """A signed record; the mid follows from (author, app, ext, mark, type)."""
        unsigned = cls(ids.mimei_id(key.id, app, ext, mark, mtype), mtype, key.id,
                       key.public_key, app, ext, mark, created, right)
        return replace(unsigned, sig=key.sign(unsigned.signed_bytes()))

    def _fields(self) -> dict:
        body = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "sig"}
        return {"format": FORMAT, "kind": KIND_MIMEI, **body}

    def signed_bytes(self) -> bytes:
        """The message the signature covers: the block without "sig"."""
        return cbor.encode(self._fields())

    def encode(self) -> bytes:
        return cbor.encode({**self._fields(), "sig": self.sig})

    @property
    def cid(self) -> bytes:
        return cbor.cid_of(self.encode())

    @classmethod
    def decode(cls, data: bytes) -> "MimeiRecord":
        """Parse a record block; ValueError when it is not exactly a format-1 record."""
        obj = _decode(data, _RECORD_SCHEMA, (), KIND_MIMEI, "Mimei record")
        return cls(**{f.name: obj[f.name] for f in fields(cls)})

    def to_dict(self) -> dict:
        """The record as JSON for the node API (`mimei create`, `mimei list`)."""
        return {"mid": self.mid, "type": self.type, "author": self.author,
                "pubkey": keys.b64url(self.pubkey), "app": self.app, "ext": self.ext,
                "mark": self.mark, "created": self.created, "right": self.right,
                "cid": cbor.cid_text(self.cid)}

    def check(self) -> None:
        """Raise ValueError unless the signature, author ID and mid all belong to pubkey."""
        if self.type not in DATA_KINDS:
            raise ValueError(f"Mimei record type {self.type!r} is neither file nor db")
        if len(self.pubkey) != 32:
            raise ValueError("Mimei record public key is not 32 bytes")
        if ids.key_id(self.pubkey) != self.author:
            raise ValueError(f"Mimei record author {self.author} is not the ID of its public key")
        expected = ids.mimei_id(self.author, self.app, self.ext, self.mark, self.type)
        if expected != self.mid:
            raise ValueError(f"Mimei record mid {self.mid} does not derive from its author, "
                             f"app, ext, mark and type ({expected})")
        if not keys.verify(self.pubkey, self.signed_bytes(), self.sig):
            raise ValueError(f"Mimei record signature of {self.mid} is invalid")


_COMMIT_SCHEMA = {
    "format": (int,), "kind": (str,), "mid": (str,), "version": (int,), "dataKind": (str,),
    "data": (bytes,), "prev": (bytes, type(None)), "time": (int,), "pubkey": (bytes,),
    "memo": (str,), "record": (bytes,), "sig": (bytes,),
}
_COMMIT_LINKS = ("data", "prev", "record")


@dataclass(frozen=True)
class Commit:
    """One signed version of a Mimei. data, prev and record are binary CIDs."""

    mid: str
    version: int
    data_kind: str
    data: bytes
    prev: bytes | None
    time: int
    pubkey: bytes
    memo: str
    record: bytes
    sig: bytes = b""

    @classmethod
    def create(cls, key: KeyPair, record: MimeiRecord, version: int, data: bytes,
               prev: bytes | None, time: int, memo: str = "") -> "Commit":
        """A commit signed by key; dataKind follows from the record's type."""
        unsigned = cls(record.mid, version, DATA_KINDS[record.type], data, prev, time,
                       key.public_key, memo, record.cid)
        return replace(unsigned, sig=key.sign(unsigned.signed_bytes()))

    def _fields(self) -> dict:
        return {"format": FORMAT, "kind": KIND_COMMIT, "mid": self.mid, "version": self.version,
                "dataKind": self.data_kind, "data": cbor.Link(self.data),
                "prev": None if self.prev is None else cbor.Link(self.prev), "time": self.time,
                "pubkey": self.pubkey, "memo": self.memo, "record": cbor.Link(self.record)}

    def signed_bytes(self) -> bytes:
        return cbor.encode(self._fields())

    def encode(self) -> bytes:
        return cbor.encode({**self._fields(), "sig": self.sig})

    @property
    def cid(self) -> bytes:
        return cbor.cid_of(self.encode())

    @classmethod
    def decode(cls, data: bytes) -> "Commit":
        """Parse a commit block; ValueError when it is not exactly a format-1 commit."""
        obj = _decode(data, _COMMIT_SCHEMA, _COMMIT_LINKS, KIND_COMMIT, "commit")
        return cls(obj["mid"], obj["version"], obj["dataKind"], obj["data"], obj["prev"],
                   obj["time"], obj["pubkey"], obj["memo"], obj["record"], obj["sig"])

    def check_signature(self) -> None:
        """Raise ValueError unless sig is pubkey's signature of the other fields."""
        if len(self.pubkey) != 32 or not keys.verify(self.pubkey, self.signed_bytes(), self.sig):
            raise ValueError(f"commit signature of {self.mid} version {self.version} is invalid")

