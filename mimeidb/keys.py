"""Ed25519 keys (pycryptodome): signing, verification and key files kept with mode 0600."""
from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

import orjson
from Crypto.PublicKey import ECC
from Crypto.Signature import eddsa

from mimeidb import ids

KEY_FILE_MODE = 0o600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def b64url_decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class KeyPair:
    """An Ed25519 private key (its 32-byte seed) and the public key derived from it."""

    seed: bytes

    @classmethod
    def generate(cls) -> "KeyPair":
        return cls(ECC.generate(curve="ed25519").seed)

    @property
    def _ecc(self) -> ECC.EccKey:
        return ECC.construct(curve="ed25519", seed=self.seed)

    @property
    def public_key(self) -> bytes:
        return _public_of(self.seed)

    @property
    def id(self) -> str:
        return ids.key_id(self.public_key)

    @property
    def peer_id(self) -> str:
        return ids.peer_id(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return eddsa.new(self._ecc, "rfc8032").sign(message)

    def to_json(self) -> bytes:
        return orjson.dumps({"type": "ed25519", "id": self.id, "public": b64url(self.public_key),
                             "private": b64url(self.seed)}, option=orjson.OPT_INDENT_2)

    def save(self, path: Path) -> None:
        """Write the key file atomically, readable by its owner only."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, KEY_FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(self.to_json())
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, KEY_FILE_MODE)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> "KeyPair":
        try:
            doc = orjson.loads(Path(path).read_bytes())
            seed = b64url_decode(doc["private"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"cannot read key file {path}: {exc}") from exc
        if len(seed) != 32:
            raise ValueError(f"key file {path} does not hold a 32-byte Ed25519 seed")
        return cls(seed)


_PUBLIC_CACHE: dict[bytes, bytes] = {}


def _public_of(seed: bytes) -> bytes:
    pub = _PUBLIC_CACHE.get(seed)
    if pub is None:
        pub = ECC.construct(curve="ed25519", seed=seed).public_key().export_key(format="raw")
        _PUBLIC_CACHE[seed] = pub
    return pub


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when signature is a valid Ed25519 signature of message by public_key."""
    try:
        verifier = eddsa.new(eddsa.import_public_key(public_key), "rfc8032")
        verifier.verify(message, signature)
        return True
    except (ValueError, TypeError):
        return False
