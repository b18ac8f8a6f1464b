"""The Merkle search tree: determinism, reads against a model, encoding, golden CIDs."""
from __future__ import annotations

import hashlib
import random

import libipld
import pytest
from hypothesis import given, settings, strategies as st

from mimeidb.ipfs.blockstore import MemoryBlockStore, multihash_of
from mimeidb.versions import cbor
from mimeidb.versions.mst import (EMPTY_ROOT, INLINE_MAX, MST, MissingBlockError, decode_node,
                                  encode_node, layer_of)

keys = st.binary(max_size=3)
values = st.one_of(st.binary(max_size=8), st.binary(min_size=INLINE_MAX - 1, max_size=INLINE_MAX + 3))
ops = st.lists(st.tuples(keys, st.one_of(st.none(), values)), max_size=400)


def run(ops_list, cuts, store):
    """Apply ops (value None = delete) in batches split at cuts; return tree and model."""
    tree, model = MST.empty(store), {}
    bounds = sorted({0, len(ops_list), *(c % (len(ops_list) + 1) for c in cuts)})
    for lo, hi in zip(bounds, bounds[1:]):
        batch = dict(ops_list[lo:hi])
        puts = {k: v for k, v in batch.items() if v is not None}
        tree, blocks = tree.apply(puts, [k for k, v in batch.items() if v is None])
        store.put_many(blocks)
        model.update(puts)
        for k, v in batch.items():
            if v is None:
                model.pop(k, None)
    return tree, model


@settings(max_examples=150, deadline=None)
@given(ops, st.lists(st.integers(0, 400), max_size=6), st.randoms(use_true_random=False))
def test_same_entries_same_root_whatever_the_history(ops_list, cuts, rnd):
    store = MemoryBlockStore()
    tree, model = run(ops_list, cuts, store)
    assert list(tree.items()) == sorted(model.items())
    built = MST.build(MemoryBlockStore(), sorted(model.items()))
    assert tree.root_cid == built.root_cid
    one_by_one = MST.empty(store)
    shuffled = list(model.items())
    rnd.shuffle(shuffled)
    for k, v in shuffled:
        one_by_one, blocks = one_by_one.apply({k: v})
    assert one_by_one.root_cid == tree.root_cid
    reopened = MST.load(store, tree.root_cid)
    assert list(reopened.items()) == sorted(model.items())
    for k in list(model)[:30]:
        assert reopened.get(k) == model[k]


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(keys, values, max_size=300), keys, keys)
def test_range_and_prefix_reads_match_the_model(model, a, b):
    store = MemoryBlockStore()
    tree = MST.build(store, sorted(model.items()))
    tree = MST.load(store, tree.root_cid)
    lo, hi = min(a, b), max(a, b)
    expect = sorted((k, v) for k, v in model.items() if lo <= k < hi)
    assert list(tree.items(lo, hi)) == expect
    assert list(tree.items(lo, hi, reverse=True)) == expect[::-1]
    assert list(tree.items(start=lo)) == sorted((k, v) for k, v in model.items() if k >= lo)
    assert list(tree.items(end=hi)) == sorted((k, v) for k, v in model.items() if k < hi)
    assert list(tree.prefix(a)) == sorted((k, v) for k, v in model.items() if k.startswith(a))
    assert list(tree.prefix(a, reverse=True)) == sorted(
        ((k, v) for k, v in model.items() if k.startswith(a)), reverse=True)
    assert tree.get(a) == model.get(a)


@pytest.mark.parametrize("seed", range(3))
def test_deep_trees_stay_canonical_under_random_batches(seed):
    """Thousands of entries (3-4 layers): every batch's root equals a fresh bulk build."""
    rnd = random.Random(seed)
    store = MemoryBlockStore()
    tree, model = MST.empty(store), {}
    for _ in range(12):
        puts = {rnd.randbytes(rnd.choice((1, 2, 4))): rnd.randbytes(rnd.choice((3, 300)))
                for _ in range(rnd.choice((1, 50, 800)))}
        deletes = [k for k in rnd.sample(sorted(model), min(len(model), rnd.choice((0, 20, 400))))
                   if k not in puts]
        tree, blocks = tree.apply(puts, deletes)
        store.put_many(blocks)
        model.update(puts)
        for k in deletes:
            del model[k]
        assert tree.root_cid == MST.build(MemoryBlockStore(), sorted(model.items())).root_cid
    assert list(MST.load(store, tree.root_cid).items()) == sorted(model.items())


def test_prefix_with_ff_bytes():
    entries = {b"\xff": b"1", b"\xff\xff": b"2", b"\xfe\xff": b"3", b"a": b"4"}
    tree = MST.build(MemoryBlockStore(), sorted(entries.items()))
    assert [k for k, _ in tree.prefix(b"\xff")] == [b"\xff", b"\xff\xff"]
    assert [k for k, _ in tree.prefix(b"\xfe")] == [b"\xfe\xff"]
    assert [k for k, _ in tree.prefix(b"")] == sorted(entries)


def test_empty_tree_is_atprotos_empty_node():
    store = MemoryBlockStore()
    tree = MST.empty(store)
    assert cbor.cid_text(tree.root_cid) == "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
    assert tree.get(b"x") is None and list(tree.items()) == []
    full, blocks = tree.apply({b"a": b"1"})
    store.put_many(blocks)
    emptied, blocks = full.apply({}, [b"a"])
    assert emptied.root_cid == EMPTY_ROOT
    store.put_many(blocks)
    assert store.has(EMPTY_ROOT)
    assert list(MST.load(store, EMPTY_ROOT).items()) == []
    assert MST.build(MemoryBlockStore(), []).root_cid == EMPTY_ROOT


def test_golden_root_cids():
    """Locks the format: layer rule, node encoding, inline/linked values, CIDs."""
    entries = [(b"k%04d" % i, b"v%d" % i if i % 100 else b"x" * 300) for i in range(1000)]
    tree = MST.build(MemoryBlockStore(), entries)
    assert cbor.cid_text(tree.root_cid) == "bafyreig6zdaepyduisk2plqoslruwjlvxmsgy72kwv4lfk4xyrg564fehm"
    assert tree.root_node.layer == 2
    small = MST.build(MemoryBlockStore(), [(b"a", b"1"), (b"ab", b"2")])
    assert encode_node(small.root_node).hex() == (
        "a2616582a4616b41616170006174f661764131a4616b41626170016174f661764132616cf6")
    assert cbor.cid_text(small.root_cid) == "bafyreighkmn6ujm7mdwkhzlhppc3jkq6ndc4ikvyv4m47aa7hnbtrcubmq"


def test_layer_counts_leading_zero_nibbles():
    assert layer_of(b"a") == 0
    hits = [k for k in (b"%d" % i for i in range(5000)) if layer_of(k) >= 2]
    assert hits and all(hashlib.sha256(k).hexdigest().startswith("00") for k in hits)


def test_node_encoding_matches_a_generic_dag_cbor_encoder():
    store = MemoryBlockStore()
    entries = sorted({b"key%03d" % i: bytes([1, 1, 1, 1]) + b"looks like a CID" for i in range(200)}.items())
    entries.append((b"zz", b"y" * 400))
    tree = MST.build(store, entries)
    data = store.get(tree.root_cid)
    obj = libipld.decode_dag_cbor(data)
    shaped = {"l": cbor.Link(obj["l"]) if obj["l"] else None,
              "e": [{**e, "t": cbor.Link(e["t"]) if e["t"] else None,
                     **({"x": cbor.Link(e["x"])} if "x" in e else {})} for e in obj["e"]]}
    assert cbor.encode(shaped) == data
    # a value that starts like a CID stays a byte string, never a tag-42 link
    assert tree.get(b"key000") == bytes([1, 1, 1, 1]) + b"looks like a CID"
    node = decode_node(data, tree.root_cid, tree.root_node.layer)
    assert encode_node(node) == data


def test_big_values_live_in_raw_blocks():
    store = MemoryBlockStore()
    big, edge = b"b" * (INLINE_MAX + 1), b"e" * INLINE_MAX
    tree, blocks = MST.empty(store).apply({b"big": big, b"edge": edge})
    raw = cbor.cid_of(big, cbor.RAW)
    assert (raw, big) in blocks
    assert cbor.cid_of(edge, cbor.RAW) not in {cid for cid, _ in blocks}
    assert tree.get(b"big") == big  # readable before the blocks are stored
    store.put_many(blocks)
    assert MST.load(store, tree.root_cid).get(b"big") == big


def test_a_change_rewrites_one_path():
    store = MemoryBlockStore()
    rnd = random.Random(7)
    entries = sorted({rnd.randbytes(8): rnd.randbytes(20) for _ in range(20000)}.items())
    tree = MST.load(store, MST.build(store, entries).root_cid)
    key = entries[12345][0]
    new, blocks = tree.apply({key: b"changed"})
    assert len(blocks) <= tree.root_node.layer + 1
    assert new.get(key) == b"changed" and tree.get(key) == entries[12345][1]
    same, blocks = tree.apply({key: entries[12345][1]}, [b"absent"])
    assert same.root_cid == tree.root_cid and blocks == []


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="both put and deleted"):
        MST.empty(MemoryBlockStore()).apply({b"a": b"1"}, [b"a"])
    with pytest.raises(ValueError, match="strictly increasing"):
        MST.build(MemoryBlockStore(), [(b"b", b""), (b"a", b"")])


def test_missing_node_is_reported():
    store = MemoryBlockStore()
    entries = [(b"%05d" % i, b"v") for i in range(500)]
    tree = MST.build(store, entries)
    sub = next(s for s in tree.root_node.subs if s is not None)
    del store.blocks[multihash_of(sub)]
    with pytest.raises(MissingBlockError, match="missing from the store"):
        list(MST.load(store, tree.root_cid).items())
