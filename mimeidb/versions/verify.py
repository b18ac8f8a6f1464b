"""The one check the network side runs on a received version before storing anything of it.

`verify_commit` reads blocks from a store holding what was received (and whatever the node
already had), and proves: each block read hashes to its CID; the commit's shape and
signature; the Mimei record's signature, author ID and mid; that every commit is signed by
the record's author and names the same Mimei and record; versions rise by exactly one along
the prev chain down to the commit the caller already trusts (or to version 1); and that each
new version's data is there and, for a db, is a well-formed Merkle search tree (canonical
nodes, strictly sorted keys, every key at its node's layer, subtrees one layer down and inside
their gap, inline/linked values by the 256-byte rule, every node and value block present).

Subtrees are checked once per CID: the `checked` memo (CID -> layer, first key, last key)
lets a shared subtree be accepted at a new place after a bounds and layer check, so a chain
of versions costs the nodes they changed, and a caller that keeps the memo between calls
pays only for new nodes.
"""
from __future__ import annotations

from mimeidb.ipfs.blockstore import BlockStore
from mimeidb.versions import cbor
from mimeidb.versions.commit import DATA_KINDS, Commit, MimeiRecord
from mimeidb.versions.mst import (EMPTY_ROOT, INLINE_MAX, Ext, Node, decode_node, encode_node,
                                  layer_of)

Span = tuple[int, bytes, bytes]  # a checked subtree: layer, first key, last key


class VerificationError(Exception):
    """Received data failed a check; the message says which and where."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _block(store: BlockStore, cid: bytes, what: str) -> bytes:
    data = store.get(cid)
    if data is None:
        raise VerificationError(f"{what} {cbor.cid_text(cid)} is missing")
    if not cbor.block_matches(cid, data):
        raise VerificationError(f"{what} {cbor.cid_text(cid)} does not match its CID")
    return data


def _commit(store: BlockStore, cid: bytes) -> Commit:
    try:
        return Commit.decode(_block(store, cid, "commit"))
    except ValueError as exc:
        raise VerificationError(f"commit {cbor.cid_text(cid)}: {exc}") from None


def verify_commit(store: BlockStore, commit_cid: bytes, *, mid: str | None = None,
                  trusted: bytes | None = None,
                  checked: dict[bytes, Span] | None = None, pruned: bool = False) -> Commit:
    """Verify the commit at commit_cid and everything it brings; return it decoded.

    mid: the Mimei the caller asked for. trusted: a commit CID the caller already holds as
    verified (its current head); the chain must lead back to it. Without it the chain is
    followed to version 1. checked: a memo of verified subtrees to reuse and extend.
    pruned: for a node re-checking its own history, where dropped versions may have been
    collected: a previous commit that is missing ends the chain instead of failing it (never
    for received data, whose chain must be whole)."""
    checked = {} if checked is None else checked
    head = _commit(store, commit_cid)
    if mid is not None and head.mid != mid:
        raise VerificationError(f"commit is for Mimei {head.mid}, expected {mid}")
    try:
        record = MimeiRecord.decode(_block(store, head.record, "Mimei record"))
        record.check()
    except ValueError as exc:
        raise VerificationError(str(exc)) from None
    trusted_version = 0
    if trusted is not None:
        base = _commit(store, trusted)
        if base.mid != head.mid:
            raise VerificationError(f"trusted commit is for Mimei {base.mid}, not {head.mid}")
        trusted_version = base.version
        if commit_cid == trusted:
            return head
    chain = _chain(store, commit_cid, head, record, trusted, trusted_version, pruned)
    for commit in chain:
        _check_data(store, commit, checked)
    return head


def _chain(store: BlockStore, cid: bytes, head: Commit, record: MimeiRecord,
           trusted: bytes | None, trusted_version: int, pruned: bool = False) -> list[Commit]:
    """The commits from head down to just above the trusted one (or to version 1), checked."""
    chain, commit = [], head
    while True:
        _check_commit(commit, record, head)
        chain.append(commit)
        if commit.version <= trusted_version:
            raise VerificationError(
                f"version {commit.version} of {commit.mid} ({cbor.cid_text(cid)}) is not after "
                f"the trusted version {trusted_version}: the chain forks from it")
        if commit.prev is None:
            if commit.version != 1:
                raise VerificationError(f"version {commit.version} of {commit.mid} has no "
                                        "previous commit; only version 1 may")
            if trusted is not None:
                raise VerificationError(f"the chain of {commit.mid} reaches version 1 without "
                                        "passing the trusted commit")
            return chain
        if commit.version == 1:
            raise VerificationError(f"version 1 of {commit.mid} names a previous commit")
        if commit.prev == trusted:
            if commit.version != trusted_version + 1:
                raise VerificationError(f"version {commit.version} of {commit.mid} follows the "
                                        f"trusted version {trusted_version}")
            return chain
        if pruned and store.get(commit.prev) is None:
            return chain
        prev = _commit(store, commit.prev)
        if prev.version != commit.version - 1:
            raise VerificationError(f"version {commit.version} of {commit.mid} follows version "
                                    f"{prev.version}")
        cid, commit = commit.prev, prev


def _check_commit(commit: Commit, record: MimeiRecord, head: Commit) -> None:
    where = f"version {commit.version} of {commit.mid}"
    if commit.version < 1:
        raise VerificationError(f"{where}: version numbers start at 1")
    if commit.mid != record.mid or commit.record != head.record:
        raise VerificationError(f"{where}: not the Mimei of record {record.mid}")
    if commit.pubkey != record.pubkey:
        raise VerificationError(f"{where}: signed by a key that is not the author {record.author}")
    if commit.data_kind != DATA_KINDS[record.type]:
        raise VerificationError(f"{where}: data kind {commit.data_kind!r} does not fit a "
                                f"{record.type} Mimei")
    try:
        commit.check_signature()
    except ValueError as exc:
        raise VerificationError(str(exc)) from None


def _check_data(store: BlockStore, commit: Commit, checked: dict[bytes, Span]) -> None:
    if commit.data_kind == "unixfs":
        _block(store, commit.data, "UnixFS root")  # walking UnixFS belongs to ipfs/
        return
    if cbor.codec_of(commit.data) != cbor.DAG_CBOR:
        raise VerificationError(f"MST root {cbor.cid_text(commit.data)} is not a dag-cbor CID")
    if commit.data == EMPTY_ROOT:
        _block(store, commit.data, "MST root")
        return
    root = _node(store, commit.data)
    if not root.keys:
        raise VerificationError(f"MST root {cbor.cid_text(commit.data)} has no entries")
    _check_subtree(store, commit.data, layer_of(root.keys[0]), None, None, checked)


def _node(store: BlockStore, cid: bytes) -> Node:
    """A node decoded and proved canonical: re-encoding must give the block back."""
    data = _block(store, cid, "MST node")
    try:
        node = decode_node(data, cid, -1)
        for ref in node.subs:
            if ref is not None and cbor.codec_of(ref) != cbor.DAG_CBOR:
                raise ValueError("a subtree link is not a dag-cbor CID")
        for val in node.vals:
            if isinstance(val, Ext) and cbor.codec_of(val.cid) != cbor.RAW:
                raise ValueError("a value link is not a raw CID")
        canonical = encode_node(node) == data
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise VerificationError(f"MST node {cbor.cid_text(cid)} is malformed: {exc}") from None
    if not canonical:
        raise VerificationError(f"MST node {cbor.cid_text(cid)} is not in canonical form")
    return node


def _check_subtree(store: BlockStore, cid: bytes, layer: int, low: bytes | None,
                    high: bytes | None, checked: dict[bytes, Span]) -> Span:
    """Check the subtree at cid sits at `layer` with keys strictly between low and high."""
    where = f"MST node {cbor.cid_text(cid)}"
    span = checked.get(cid)
    if span is None:
        span = _check_fresh(store, cid, layer, checked)
    if span[0] != layer:
        raise VerificationError(f"{where} is at layer {span[0]}, its place needs {layer}")
    if (low is not None and span[1] <= low) or (high is not None and span[2] >= high):
        raise VerificationError(f"{where} holds keys outside its gap in the parent")
    return span


def _check_fresh(store: BlockStore, cid: bytes, layer: int, checked: dict[bytes, Span]) -> Span:
    where = f"MST node {cbor.cid_text(cid)}"
    node = _node(store, cid)
    keys = node.keys
    if not keys and node.subs[0] is None:
        raise VerificationError(f"{where} is empty inside a tree")
    for i, key in enumerate(keys):
        if i and key <= keys[i - 1]:
            raise VerificationError(f"{where} keys are not strictly increasing")
        if layer_of(key) != layer:
            raise VerificationError(f"{where} holds key {key!r} of layer {layer_of(key)} "
                                    f"at layer {layer}")
        val = node.vals[i]
        if isinstance(val, Ext):
            size = len(_block(store, val.cid, "value block"))
            if size <= INLINE_MAX:
                raise VerificationError(f"{where} links a {size}-byte value that must be inline")
        elif len(val) > INLINE_MAX:
            raise VerificationError(f"{where} inlines a {len(val)}-byte value that must be linked")
    first = keys[0] if keys else None
    last = keys[-1] if keys else None
    for i, ref in enumerate(node.subs):
        if ref is None:
            continue
        if layer == 0:
            raise VerificationError(f"{where} is at layer 0 but has a subtree")
        low = keys[i - 1] if i > 0 else None
        high = keys[i] if i < len(keys) else None
        _, sub_first, sub_last = _check_subtree(store, ref, layer - 1, low, high, checked)
        if i == 0:
            first = sub_first
        if i == len(keys):
            last = sub_last
    span = (layer, first, last)
    checked[cid] = span
    return span
