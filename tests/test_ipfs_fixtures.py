"""Shared helpers for the IPFS tests (kubo's deterministic test bytes, small trees), and their check."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from Crypto.Cipher import ChaCha20


def kubo_bytes(size: int, seed: str) -> bytes:
    """The bytes kubo's test harness adds for (size, seed): a ChaCha20 keystream with
    key sha256(seed) and a zero nonce (kubo test/cli/harness/random_reader.go)."""
    return ChaCha20.new(key=hashlib.sha256(seed.encode()).digest(), nonce=bytes(12)).encrypt(bytes(size))


def make_testdirlisting(root: Path) -> Path:
    """The tree of kubo's t0114 gateway fixture (CIDv1: bafybeiht6dt...)."""
    d = root / "testdirlisting"
    (d / "ipfs" / "ipns").mkdir(parents=True)
    (d / "api").mkdir()
    (d / "hello").write_text("hello\n")
    (d / "ipfs" / "ipns" / "bar").write_text("text-file-content\n")
    (d / "api" / "file.txt").write_text("I am a txt file\n")
    (d / "ipfs" / "file.txt").write_text("I am a txt file\n")
    return d


def make_symlink_dir(root: Path) -> Path:
    """The tree of kubo's t0113 fixture: a file and a symlink to it (CIDv0 QmWvY6...)."""
    d = root / "testfiles"
    d.mkdir()
    (d / "foo").write_text("content\n")
    os.symlink("foo", d / "bar")
    return d


def test_kubo_bytes_matches_harness():
    """Anchors the generator: kubo's harness bytes for (262144, "chunk-v0-seed") add to this."""
    from mimeidb.ipfs import cid, importer
    data = kubo_bytes(262144, "chunk-v0-seed")
    assert cid.format(importer.add_bytes(None, data).cid) == "QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE"
