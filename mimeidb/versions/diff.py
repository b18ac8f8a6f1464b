"""The difference between two MST versions: changed entries and the blocks sync must move.

Both trees are walked in key order side by side, each as a stack of pending items (an entry,
or a subtree not yet opened). When both sides face subtrees with the same CID, both are
skipped whole: equal CIDs mean equal contents, so only the paths around changes are read.
Otherwise the higher-layer subtree is opened (both when equal), and entries are compared by
key. A node of one tree opened here is also opened on the other side if that tree has it
(canonical shape puts it at the same place), so the nodes opened on one side only are exactly
the nodes that side alone holds.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from mimeidb.ipfs.blockstore import BlockStore
from mimeidb.versions.mst import MST, Ext, Node, NodeCache


@dataclass
class Diff:
    """adds/deletes: key -> value; updates: key -> (old, new). new_blocks: CIDs the new
    version has and the old lacks (what a peer holding the old one must fetch);
    removed_blocks: the reverse. Value blocks are judged from the changed entries only: one
    also used by an unchanged key can show up in removed_blocks, so garbage collection must
    still count references."""

    adds: dict[bytes, bytes] = field(default_factory=dict)
    updates: dict[bytes, tuple[bytes, bytes]] = field(default_factory=dict)
    deletes: dict[bytes, bytes] = field(default_factory=dict)
    new_blocks: set[bytes] = field(default_factory=set)
    removed_blocks: set[bytes] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.adds or self.updates or self.deletes)


class _Side:
    """One tree being walked: a stack of ("t", ref, layer) and ("e", key, val) items."""

    def __init__(self, tree: MST, root_cid: bytes) -> None:
        self.tree = tree
        self.stack: list[tuple] = []
        self.opened: set[bytes] = set()
        self.values: set[bytes] = set()  # raw blocks of the changed entries on this side
        if tree.root_node is None:
            self.opened.add(root_cid)  # the empty node: a block with nothing to open
        else:
            self.stack.append(("t", tree.root_node, tree.root_node.layer))

    def open(self) -> None:
        _, ref, layer = self.stack.pop()
        node = self.tree.node(ref, layer)
        self.opened.add(node.cid)
        items: list[tuple] = []
        for i, key in enumerate(node.keys):
            if node.subs[i] is not None:
                items.append(("t", node.subs[i], layer - 1))
            items.append(("e", key, node.vals[i]))
        if node.subs[-1] is not None:
            items.append(("t", node.subs[-1], layer - 1))
        items.reverse()
        self.stack.extend(items)

    def value(self, val: bytes | Ext) -> bytes:
        """An entry's value, noting its raw block when it has one."""
        if isinstance(val, Ext):
            self.values.add(val.cid)
        return self.tree.value(val)


def _cid(ref: Node | bytes) -> bytes:
    return ref.cid if isinstance(ref, Node) else ref


def diff(old_root: bytes, new_root: bytes, store: BlockStore) -> Diff:
    """What changed from the tree at old_root to the tree at new_root (both in store)."""
    result = Diff()
    if old_root == new_root:
        return result
    cache = NodeCache()
    old = _Side(MST.load(store, old_root, cache), old_root)
    new = _Side(MST.load(store, new_root, cache), new_root)
    a, b = old.stack, new.stack
    while a or b:
        if not b:
            if a[-1][0] == "t":
                old.open()
            else:
                _, key, val = a.pop()
                result.deletes[key] = old.value(val)
            continue
        if not a:
            if b[-1][0] == "t":
                new.open()
            else:
                _, key, val = b.pop()
                result.adds[key] = new.value(val)
            continue
        x, y = a[-1], b[-1]
        if x[0] == "t" and y[0] == "t":
            if _cid(x[1]) == _cid(y[1]):
                a.pop()
                b.pop()
            elif x[2] >= y[2]:
                old.open()
                if x[2] == y[2]:
                    new.open()
            else:
                new.open()
        elif x[0] == "t":
            old.open()
        elif y[0] == "t":
            new.open()
        elif x[1] < y[1]:
            a.pop()
            result.deletes[x[1]] = old.value(x[2])
        elif y[1] < x[1]:
            b.pop()
            result.adds[y[1]] = new.value(y[2])
        else:
            a.pop()
            b.pop()
            if x[2] != y[2]:
                result.updates[x[1]] = (old.value(x[2]), new.value(y[2]))
    result.new_blocks = (new.opened - old.opened) | (new.values - old.values)
    result.removed_blocks = (old.opened - new.opened) | (old.values - new.values)
    return result
