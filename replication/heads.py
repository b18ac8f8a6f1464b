"""Signed head records: "Mimei mid's newest version is `version`, commit `commit`, until `eol`".

A head record is a canonical DAG-CBOR map signed by the Mimei's author (the same key that signs
its commits), carrying the Mimei record itself, so anyone can check it without other data:
the record proves the author's key belongs to the mid, and the head's signature proves the
author named this commit. It is what `mimei publish` puts into the DHT under
/mimeidb/<mid> and announces on the Mimei's gossipsub topic.

    format   int     1
    kind     str     "head"
    mid      str     the Mimei
    version  int     >= 1
    commit   bytes   binary CID of that version's commit
    eol      int     end of life, ms since the Unix epoch
    time     int     when signed, ms
    record   bytes   the Mimei record block (versions.commit.MimeiRecord)
    sig      bytes   Ed25519 signature by the record's public key over the map without "sig"

The commit itself is only trusted after verify_commit, once its blocks are fetched.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from mimeidb import ids, keys
from mimeidb.keys import KeyPair
from mimeidb.versions import cbor
from mimeidb.versions.commit import MimeiRecord

FORMAT = 1
KIND = "head"
DEFAULT_EOL_H = 168
DHT_NAMESPACE = "mimeidb"
MAX_CLOCK_SKEW_MS = 10 * 60 * 1000
_FIELDS = {"format": int, "kind": str, "mid": str, "version": int, "commit": bytes, "eol": int,
           "time": int, "record": bytes, "sig": bytes}


class HeadError(ValueError):
    """A head record that must not be believed."""


def dht_key(mid: str) -> str:
    return f"/{DHT_NAMESPACE}/{mid}"


def topic(mid: str) -> str:
    return f"/mimeidb/mimei/{mid}"


def provider_key(mid: str) -> str:
    """The DHT provider key of a Mimei: a sha2-256 multihash (hex) of a fixed prefix + mid,
    so it never collides with a block's CID."""
    import hashlib
    return "1220" + hashlib.sha256(b"mimeidb/mimei/" + mid.encode()).hexdigest()


@dataclass(frozen=True)
class Head:
    mid: str
    version: int
    commit: bytes
    eol: int
    time: int
    record: bytes
    sig: bytes = b""

    def _fields(self) -> dict:
        return {"format": FORMAT, "kind": KIND, "mid": self.mid, "version": self.version,
                "commit": self.commit, "eol": self.eol, "time": self.time, "record": self.record}

    def signed_bytes(self) -> bytes:
        return cbor.encode(self._fields())

    def encode(self) -> bytes:
        return cbor.encode({**self._fields(), "sig": self.sig})

    @classmethod
    def create(cls, key: KeyPair, record: MimeiRecord, version: int, commit: bytes,
               eol_hours: float = DEFAULT_EOL_H) -> "Head":
        if key.public_key != record.pubkey:
            raise HeadError(f"only the author {record.author} of {record.mid} can sign its head")
        now = time.time_ns() // 1_000_000
        unsigned = cls(record.mid, version, commit, now + int(eol_hours * 3600_000), now,
                       record.encode())
        return cls(**{**unsigned.__dict__, "sig": key.sign(unsigned.signed_bytes())})

    @classmethod
    def decode(cls, data: bytes) -> "Head":
        try:
            obj = cbor.decode(bytes(data))
        except Exception as exc:  # noqa: BLE001 - any parse failure is a bad record
            raise HeadError(f"head record is not DAG-CBOR: {exc}") from None
        if not isinstance(obj, dict) or set(obj) != set(_FIELDS):
            raise HeadError("head record has the wrong fields")
        for name, typ in _FIELDS.items():
            if not isinstance(obj[name], typ) or (typ is int and isinstance(obj[name], bool)):
                raise HeadError(f"head record field {name!r} has the wrong type")
        if obj["format"] != FORMAT or obj["kind"] != KIND:
            raise HeadError("not a format-1 head record")
        head = cls(obj["mid"], obj["version"], obj["commit"], obj["eol"], obj["time"],
                   obj["record"], obj["sig"])
        if head.encode() != bytes(data):
            raise HeadError("head record is not canonical")
        return head

    def mimei_record(self) -> MimeiRecord:
        try:
            return MimeiRecord.decode(self.record)
        except ValueError as exc:
            raise HeadError(f"head record carries a bad Mimei record: {exc}") from None

    def check(self, mid: str | None = None, now_ms: int | None = None) -> MimeiRecord:
        """Raise HeadError unless this head is well signed by the author of its mid and alive."""
        if mid is not None and self.mid != mid:
            raise HeadError(f"head record is for {self.mid}, not {mid}")
        if not ids.is_leither_id(self.mid):
            raise HeadError("head record names no valid mid")
        if self.version < 1:
            raise HeadError("head record version must be >= 1")
        record = self.mimei_record()
        try:
            record.check()
        except ValueError as exc:
            raise HeadError(str(exc)) from None
        if record.mid != self.mid:
            raise HeadError(f"head record carries the record of {record.mid}, not {self.mid}")
        if not keys.verify(record.pubkey, self.signed_bytes(), self.sig):
            raise HeadError(f"head record signature of {self.mid} is invalid")
        now = time.time_ns() // 1_000_000 if now_ms is None else now_ms
        if self.eol < now:
            raise HeadError(f"head record of {self.mid} expired")
        if self.time > now + MAX_CLOCK_SKEW_MS:
            raise HeadError(f"head record of {self.mid} is signed in the future")
        return record

    def info(self) -> dict:
        from mimeidb.ipfs import cid as cids
        return {"mid": self.mid, "version": self.version, "commit": cids.format(self.commit),
                "eol": self.eol, "time": self.time}


class HeadValidator:
    """Kad-DHT validator of the /mimeidb/ namespace: only valid heads are stored or returned,
    and of several, the newest version (then the latest signature) wins."""

    def validate(self, key: str, value: bytes) -> None:
        mid = key.rsplit("/", 1)[-1]
        Head.decode(value).check(mid)

    def select(self, key: str, values: list[bytes]) -> int:
        best, best_rank = 0, None
        for i, value in enumerate(values):
            try:
                head = Head.decode(value)
                rank = (head.version, head.time)
            except HeadError:
                continue
            if best_rank is None or rank > best_rank:
                best, best_rank = i, rank
        return best
