"""diff(): changed entries and changed blocks, against a model and full tree walks."""
from __future__ import annotations

from hypothesis import example, given, settings, strategies as st

from mimeidb.ipfs.blockstore import MemoryBlockStore
from mimeidb.versions import cbor
from mimeidb.versions.diff import diff
from mimeidb.versions.mst import INLINE_MAX, MST

keys = st.binary(max_size=3)
values = st.one_of(st.binary(max_size=6), st.binary(min_size=INLINE_MAX + 1, max_size=INLINE_MAX + 2))


def all_blocks(store, root):
    """Every node and value block CID of a tree, by a full walk."""
    tree = MST.load(store, root)
    found = {root}

    def walk(ref, layer):
        node = tree.node(ref, layer)
        found.add(node.cid)
        for sub in node.subs:
            if sub is not None:
                walk(sub, layer - 1)

    if tree.root_node is not None:
        walk(tree.root_node, tree.root_node.layer)
    found |= {cbor.cid_of(v, cbor.RAW) for _, v in tree.items() if len(v) > INLINE_MAX}
    return found


@settings(max_examples=100, deadline=None)
@example(before={b"": b"", b"\x7f\xc9+": b""}, changes={b"\x7f\xc9+": None})  # new root was an old subtree
@given(st.dictionaries(keys, values, max_size=300), st.dictionaries(keys, st.one_of(st.none(), values),
                                                                      max_size=40))
def test_diff_matches_the_model(before, changes):
    store = MemoryBlockStore()
    old = MST.build(store, sorted(before.items()))
    puts = {k: v for k, v in changes.items() if v is not None}
    new, blocks = old.apply(puts, [k for k, v in changes.items() if v is None])
    store.put_many(blocks)
    after = {**before, **puts}
    for k, v in changes.items():
        if v is None:
            after.pop(k, None)
    d = diff(old.root_cid, new.root_cid, store)
    assert d.adds == {k: v for k, v in after.items() if k not in before}
    assert d.deletes == {k: v for k, v in before.items() if k not in after}
    assert d.updates == {k: (before[k], v) for k, v in after.items() if k in before and before[k] != v}
    assert bool(d) == (before != after)
    old_blocks, new_blocks = all_blocks(store, old.root_cid), all_blocks(store, new.root_cid)
    # exact for nodes; a value block shared with an unchanged key may be listed as well
    assert d.new_blocks >= new_blocks - old_blocks
    assert all(cbor.codec_of(c) == cbor.RAW for c in d.new_blocks - (new_blocks - old_blocks))
    assert d.removed_blocks >= old_blocks - new_blocks
    assert all(cbor.codec_of(c) == cbor.RAW for c in d.removed_blocks - (old_blocks - new_blocks))
    back = diff(new.root_cid, old.root_cid, store)
    assert back.adds == d.deletes and back.deletes == d.adds
    assert back.new_blocks == d.removed_blocks


def test_diff_reads_only_around_changes():
    store = MemoryBlockStore()
    old = MST.build(store, [(b"%07d" % i, b"v") for i in range(50000)])
    new, blocks = old.apply({b"0012345": b"w"})
    store.put_many(blocks)
    reads = []
    get = store.get
    store.get = lambda cid: reads.append(cid) or get(cid)
    d = diff(old.root_cid, new.root_cid, store)
    assert d.updates == {b"0012345": (b"v", b"w")} and not d.adds and not d.deletes
    assert len(d.new_blocks) == len(blocks)
    assert len(reads) <= 2 * len(blocks)


def test_diff_of_a_tree_with_itself_and_with_empty():
    store = MemoryBlockStore()
    tree = MST.build(store, [(b"a", b"1"), (b"b", b"2")])
    assert not diff(tree.root_cid, tree.root_cid, store)
    empty, blocks = tree.apply({}, [b"a", b"b"])
    store.put_many(blocks)
    d = diff(tree.root_cid, empty.root_cid, store)
    assert d.deletes == {b"a": b"1", b"b": b"2"}
    assert d.new_blocks == {empty.root_cid} and tree.root_cid in d.removed_blocks
