"""Signed records and commits, and verify_commit on good and bad received data."""
from __future__ import annotations

import dataclasses

import pytest

from mimeidb import ids
from mimeidb.ipfs.blockstore import MemoryBlockStore, multihash_of
from mimeidb.keys import KeyPair
from mimeidb.versions import cbor
from mimeidb.versions.commit import Commit, MimeiRecord
from mimeidb.versions.mst import EMPTY_NODE_BLOCK, EMPTY_ROOT, MST, Node, encode_node, layer_of
from mimeidb.versions.verify import VerificationError, verify_commit

AUTHOR = KeyPair(bytes(range(32)))
OTHER = KeyPair(bytes(range(1, 33)))


def put(store, obj):
    store.put(obj.cid, obj.encode())
    return obj.cid


@pytest.fixture
def chain():
    """A db Mimei with versions 1..3 in a store; returns (store, record, [commit cids], trees)."""
    store = MemoryBlockStore()
    record = MimeiRecord.create(AUTHOR, "app", "", "mark-1", "db", 1700000000000, 7)
    put(store, record)
    tree = MST.build(store, [(b"k%04d" % i, b"v" * (i % 300)) for i in range(2000)])
    cids, trees, prev = [], [tree], None
    for version in (1, 2, 3):
        if version > 1:
            tree, blocks = tree.apply({b"k%04d" % version: b"changed %d" % version})
            store.put_many(blocks)
            trees.append(tree)
        prev = put(store, Commit.create(AUTHOR, record, version, tree.root_cid, prev, 1000 + version))
        cids.append(prev)
    return store, record, cids, trees


def test_record_and_commit_round_trip():
    record = MimeiRecord.create(AUTHOR, "app", "txt", "m", "file", 5, 1)
    assert record.author == AUTHOR.id and record.mid == ids.mimei_id(AUTHOR.id, "app", "txt", "m", "file")
    assert MimeiRecord.decode(record.encode()) == record
    record.check()
    commit = Commit.create(AUTHOR, record, 1, cbor.cid_of(b"x", cbor.RAW), None, 9, "memo")
    assert Commit.decode(commit.encode()) == commit and commit.data_kind == "unixfs"
    commit.check_signature()
    block = cbor.decode(commit.encode())
    assert block["kind"] == "commit" and block["format"] == 1
    assert set(block) == {"format", "kind", "mid", "version", "dataKind", "data", "prev", "time",
                          "pubkey", "memo", "record", "sig"}


def test_record_checks():
    record = MimeiRecord.create(AUTHOR, "app", "", "m", "db", 5, 1)
    with pytest.raises(ValueError, match="not the ID of its public key"):
        dataclasses.replace(record, pubkey=OTHER.public_key).check()
    with pytest.raises(ValueError, match="does not derive"):
        dataclasses.replace(record, mark="other").check()
    with pytest.raises(ValueError, match="signature .* is invalid"):
        dataclasses.replace(record, right=0).check()
    with pytest.raises(ValueError, match="fields are"):
        MimeiRecord.decode(cbor.encode({"kind": "mimei"}))


def test_decode_refuses_non_canonical_and_wrong_kind():
    record = MimeiRecord.create(AUTHOR, "app", "", "m", "db", 5, 1)
    commit = Commit.create(AUTHOR, record, 1, EMPTY_ROOT, None, 9)
    with pytest.raises(ValueError, match="kind 'mimei', expected 'commit'"):
        Commit.decode(record.encode())
    as_bytes = {**cbor.decode(commit.encode())}  # links decoded as bare bytes, re-encoded so
    with pytest.raises(ValueError, match="not canonical"):
        Commit.decode(cbor.encode(as_bytes))


def test_good_chain_verifies(chain):
    store, record, cids, _ = chain
    head = verify_commit(store, cids[-1], mid=record.mid)
    assert head.version == 3
    assert verify_commit(store, cids[-1], trusted=cids[0]).version == 3
    assert verify_commit(store, cids[1], trusted=cids[1]).version == 2


def test_memo_makes_the_next_version_cheap(chain):
    store, record, cids, trees = chain
    memo = {}
    verify_commit(store, cids[1], checked=memo)
    reads = []
    get = store.get
    store.get = lambda cid: reads.append(cid) or get(cid)
    verify_commit(store, cids[2], trusted=cids[1], checked=memo)
    assert len(reads) < 20


def test_flipped_byte_is_rejected(chain):
    store, _, cids, trees = chain
    stored = MST.load(store, trees[-1].root_cid)
    node_cid = next(s for s in stored.root_node.subs if s is not None)
    for cid in (cids[-1], cids[0], trees[-1].root_cid, node_cid):
        original = store.get(cid)
        data = bytearray(original)
        data[len(data) // 2] ^= 1
        store.blocks[multihash_of(cid)] = bytes(data)
        with pytest.raises(VerificationError, match="does not match its CID"):
            verify_commit(store, cids[-1])
        store.blocks[multihash_of(cid)] = original
    verify_commit(store, cids[-1])


def test_missing_block_is_rejected(chain):
    store, _, cids, trees = chain
    del store.blocks[multihash_of(cids[0])]
    with pytest.raises(VerificationError, match="commit .* is missing"):
        verify_commit(store, cids[-1])


def test_forged_signature(chain):
    store, record, cids, trees = chain
    good = Commit.decode(store.get(cids[-1]))
    forged = dataclasses.replace(good, memo="not what was signed")
    with pytest.raises(VerificationError, match="commit signature .* invalid"):
        verify_commit(store, put(store, forged))


def test_wrong_author(chain):
    store, record, cids, trees = chain
    stranger = Commit.create(OTHER, record, 4, trees[-1].root_cid, cids[-1], 2000)
    with pytest.raises(VerificationError, match="not the author"):
        verify_commit(store, put(store, stranger))
    own = MimeiRecord.create(OTHER, "app", "", "mark-1", "db", 1700000000000, 7)
    claimed = dataclasses.replace(own, mid=record.mid)
    put(store, claimed)
    hijack = Commit.create(OTHER, claimed, 4, trees[-1].root_cid, cids[-1], 2000)
    with pytest.raises(VerificationError, match="does not derive"):
        verify_commit(store, put(store, hijack))


def test_wrong_mid(chain):
    store, record, cids, _ = chain
    with pytest.raises(VerificationError, match="expected"):
        verify_commit(store, cids[-1], mid=ids.mimei_id(AUTHOR.id, "x", "", "y", "db"))


def test_wrong_version_order(chain):
    store, record, cids, trees = chain
    skip = Commit.create(AUTHOR, record, 5, trees[-1].root_cid, cids[-1], 3000)
    with pytest.raises(VerificationError, match="version 5 .* follows version 3"):
        verify_commit(store, put(store, skip))
    orphan = Commit.create(AUTHOR, record, 2, trees[-1].root_cid, None, 3000)
    with pytest.raises(VerificationError, match="only version 1 may"):
        verify_commit(store, put(store, orphan))
    fork = Commit.create(AUTHOR, record, 2, trees[-1].root_cid, cids[0], 3000)
    with pytest.raises(VerificationError, match="not after the trusted version"):
        verify_commit(store, put(store, fork), trusted=cids[1])
    zero = Commit.create(AUTHOR, record, 0, trees[-1].root_cid, None, 3000)
    with pytest.raises(VerificationError, match="start at 1"):
        verify_commit(store, put(store, zero))


def commit_tree(store, record, root_node_block):
    """A version 1 whose data is the given (hand-made) root block."""
    root = cbor.cid_of(root_node_block)
    store.put(root, root_node_block)
    return put(store, Commit.create(AUTHOR, record, 1, root, None, 1))


def test_malformed_trees(chain):
    store, record, _, _ = chain
    a, b = b"a", b"ab"  # both layer 0
    bad_order = Node(0, [b, a], [b"1", b"2"], [None, None, None])
    with pytest.raises(VerificationError, match="not strictly increasing"):
        verify_commit(store, commit_tree(store, record, encode_node(bad_order)))
    high = next(k for k in (b"%d" % i for i in range(1000)) if layer_of(k) == 1)
    wrong_layer = Node(0, sorted([a, high]), [b"1", b"2"], [None, None, None])
    with pytest.raises(VerificationError, match=r"of layer \d at layer \d"):
        verify_commit(store, commit_tree(store, record, encode_node(wrong_layer)))
    too_big = Node(0, [a], [b"x" * 300], [None, None])
    with pytest.raises(VerificationError, match="must be linked"):
        verify_commit(store, commit_tree(store, record, encode_node(too_big)))
    child = Node(0, [b"zzz"] if high < b"zzz" else [b"0"], [b""], [None, None])
    child_block = encode_node(child)
    store.put(cbor.cid_of(child_block), child_block)
    out_of_gap = Node(1, [high], [b""], [cbor.cid_of(child_block), None])
    with pytest.raises(VerificationError, match="outside its gap"):
        verify_commit(store, commit_tree(store, record, encode_node(out_of_gap)))
    dangling = Node(1, [high], [b""], [cbor.cid_of(b"nothing"), None])
    with pytest.raises(VerificationError, match="MST node .* is missing"):
        verify_commit(store, commit_tree(store, record, encode_node(dangling)))
    pointer_root = Node(1, [], [], [cbor.cid_of(child_block)])
    with pytest.raises(VerificationError, match="has no entries"):
        verify_commit(store, commit_tree(store, record, encode_node(pointer_root)))
    two = encode_node(Node(0, [a, b], [b"1", b"2"], [None, None, None]))
    non_canonical = two.replace(b"\x61k\x41b\x61p\x01", b"\x61k\x42ab\x61p\x00")  # prefix not shared
    assert non_canonical != two
    with pytest.raises(VerificationError, match="not in canonical form"):
        verify_commit(store, commit_tree(store, record, non_canonical))
    garbage = cbor.encode({"e": "nope", "l": None})
    with pytest.raises(VerificationError, match="malformed"):
        verify_commit(store, commit_tree(store, record, garbage))


def test_empty_tree_commit(chain):
    store, record, _, _ = chain
    store.put(EMPTY_ROOT, EMPTY_NODE_BLOCK)
    cid = put(store, Commit.create(AUTHOR, record, 1, EMPTY_ROOT, None, 1))
    assert verify_commit(store, cid).data == EMPTY_ROOT


def test_data_kind_must_fit_the_type(chain):
    store, record, cids, trees = chain
    good = Commit.decode(store.get(cids[0]))
    wrong = dataclasses.replace(good, data_kind="unixfs")
    wrong = dataclasses.replace(wrong, sig=AUTHOR.sign(wrong.signed_bytes()))
    with pytest.raises(VerificationError, match="does not fit a db Mimei"):
        verify_commit(store, put(store, wrong))
