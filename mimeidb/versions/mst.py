"""A deterministic Merkle search tree (MST) over sorted `bytes key -> bytes value` entries.

What it is. A B-tree-like search tree whose shape depends only on its keys, never on the
order of writes: each key gets a *layer* from its own hash, and a node at layer L holds the
keys of layer L in its key range, in order, with a subtree of layer L-1 in each gap between
them (and before the first, after the last). The root sits at the highest layer present. So
two replicas holding the same entries hold the same nodes and the same root CID, an unchanged
subtree keeps its CID (diff and sync skip it), and a change rewrites one root-to-leaf path.
This is the structure of the AT Protocol repository (packages/repo/src/mst), with a wider
fanout and values held in the tree.

Parameters (part of the format: changing them changes every root CID).
- layer(key) = number of leading zero 4-bit groups of sha256(key), i.e. leading '0' hex
  digits. A key reaches layer >= L with probability 16^-L, so nodes hold about 16 entries and
  a million entries stand 5 layers deep. atproto counts 2-bit groups (fanout 4, ~10 layers
  for 1M); with inline values a wider node costs one bigger block per changed path but halves
  the nodes a `get` or a change loads, which is what Python pays for. 32 would give 4 layers
  but ~2x larger blocks to rewrite and hash per change; 16 balances the two.
- INLINE_MAX = 256: a value up to 256 bytes is stored in the entry; a longer one is a separate
  raw block (CIDv1 raw, sha2-256) and the entry holds the link. Small Redis values (most
  fields, members, counters) then cost no extra block, and a big value is not rewritten when a
  neighbour in the node changes. The rule is exact (<= 256 inline, > 256 linked) so the same
  entries always make the same blocks.

Node encoding: DAG-CBOR, CIDv1 dag-cbor sha2-256, written by versions.cbor (see there why not
libipld's encoder):
    {"e": [entry, ...], "l": link | null}
    entry = {"k": key suffix (bytes), "p": length of the prefix shared with the previous key of
             the node (int, maximal, 0 for the first), "t": link | null (subtree after the key),
             "v": value (bytes, <= 256) | "x": link to a raw block holding the value (> 256)}
"l" is the subtree before the first key. The empty tree is the node {"e": [], "l": null}; any
other node has a key or a subtree; the root has at least one key (pure-pointer roots are cut).

Trees are immutable: `apply` returns a new tree plus the blocks it made; nodes load lazily
from a BlockStore through a shared cache of decoded nodes.
"""
from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections import OrderedDict
from typing import Iterable, Iterator

from mimeidb.ipfs.blockstore import BlockStore
from mimeidb.versions import cbor

LAYER_BITS = 4
INLINE_MAX = 256
CACHE_NODES = 8192  # decoded nodes per cache: all inner layers of a 1M-entry tree (~4.4k nodes), ~20 MB


def layer_of(key: bytes) -> int:
    """Leading zero 4-bit groups of sha256(key)."""
    n = int.from_bytes(hashlib.sha256(key).digest(), "big")
    return (256 - n.bit_length()) // LAYER_BITS


class MissingBlockError(LookupError):
    """A block the tree links to is not in the store."""


# --- in-memory form ---------------------------------------------------------------------

class Ext:
    """A value kept in its own raw block; `data` is held only until the block is stored."""

    __slots__ = ("cid", "data")

    def __init__(self, cid: bytes, data: bytes | None = None) -> None:
        self.cid = cid
        self.data = data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ext) and other.cid == self.cid

    def __hash__(self) -> int:
        return hash(self.cid)


def stored_form(value: bytes) -> bytes | Ext:
    """How a value sits in an entry: itself, or an Ext pointing at a raw block."""
    if len(value) <= INLINE_MAX:
        return value
    return Ext(cbor.cid_of(value, cbor.RAW), value)


class Node:
    """keys[i] has value vals[i]; subs[i] is the subtree before keys[i], subs[-1] after the
    last. A sub is a Node (not yet stored, or kept), a binary CID, or None. cid is None until
    the node is sealed."""

    __slots__ = ("layer", "keys", "vals", "subs", "cid")

    def __init__(self, layer: int, keys: list[bytes], vals: list, subs: list,
                 cid: bytes | None = None) -> None:
        self.layer = layer
        self.keys = keys
        self.vals = vals
        self.subs = subs
        self.cid = cid


def _make(layer: int, keys: list[bytes], vals: list, subs: list) -> Node | None:
    """A node, or None when it would hold nothing (no key, no subtree)."""
    if not keys and subs[0] is None:
        return None
    return Node(layer, keys, vals, subs)


def _ref_cid(ref: Node | bytes) -> bytes:
    return ref.cid if isinstance(ref, Node) else ref


# --- encoding ---------------------------------------------------------------------------

def _shared_prefix(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _link_or_null(ref: Node | bytes | None) -> bytes:
    return b"\xf6" if ref is None else cbor.link(_ref_cid(ref))


def encode_node(node: Node) -> bytes:
    """The node's canonical DAG-CBOR (subtrees must be sealed)."""
    keys, vals, subs = node.keys, node.vals, node.subs
    out = [b"\xa2\x61e", cbor.head(4, len(keys))]
    prev = b""
    for i, key in enumerate(keys):
        p = _shared_prefix(prev, key)
        suffix = key[p:]
        out += (b"\xa4\x61k", cbor.head(2, len(suffix)), suffix, b"\x61p", cbor.head(0, p),
                b"\x61t", _link_or_null(subs[i + 1]))
        val = vals[i]
        if isinstance(val, Ext):
            out += (b"\x61x", cbor.link(val.cid))
        else:
            out += (b"\x61v", cbor.head(2, len(val)), val)
        prev = key
    out += (b"\x61l", _link_or_null(subs[0]))
    return b"".join(out)


def decode_node(data: bytes, cid: bytes, layer: int) -> Node:
    """Rebuild a node from its block. Trusts the block: verify.py checks received ones."""
    obj = cbor.decode(data)
    keys: list[bytes] = []
    vals: list = []
    subs: list = [obj["l"]]
    prev = b""
    for entry in obj["e"]:
        key = prev[:entry["p"]] + entry["k"]
        keys.append(key)
        vals.append(Ext(entry["x"]) if "x" in entry else entry["v"])
        subs.append(entry["t"])
        prev = key
    return Node(layer, keys, vals, subs, cid)


EMPTY_NODE_BLOCK = encode_node(Node(0, [], [], [None]))
EMPTY_ROOT = cbor.cid_of(EMPTY_NODE_BLOCK)


def _seal(node: Node, blocks: list[tuple[bytes, bytes]]) -> None:
    """Give a new node (and its new subtrees) CIDs, appending their blocks."""
    for sub in node.subs:
        if isinstance(sub, Node) and sub.cid is None:
            _seal(sub, blocks)
    data = encode_node(node)
    node.cid = cbor.cid_of(data)
    blocks.append((node.cid, data))


class NodeCache:
    """Decoded nodes by CID, least recently used evicted first."""

    def __init__(self, size: int = CACHE_NODES) -> None:
        self.size = size
        self.nodes: OrderedDict[bytes, Node] = OrderedDict()

    def get(self, cid: bytes) -> Node | None:
        node = self.nodes.get(cid)
        if node is not None:
            self.nodes.move_to_end(cid)
        return node

    def put(self, node: Node) -> None:
        self.nodes[node.cid] = node
        if len(self.nodes) > self.size:
            self.nodes.popitem(last=False)


_DELETE = object()


def _prefix_end(prefix: bytes) -> bytes | None:
    """The smallest key above every key starting with prefix (None: no bound)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes((stripped[-1] + 1,))


# --- the tree ---------------------------------------------------------------------------

class MST:
    """An immutable tree: read with get/items/prefix, change with apply."""

    def __init__(self, store: BlockStore, root: Node | None, cache: NodeCache | None = None) -> None:
        self.store = store
        self._root = root
        self._cache = cache if cache is not None else NodeCache()

    @classmethod
    def empty(cls, store: BlockStore) -> "MST":
        return cls(store, None)

    @classmethod
    def load(cls, store: BlockStore, root_cid: bytes, cache: NodeCache | None = None) -> "MST":
        """Open a stored tree; only the root is read now, the rest on demand."""
        tree = cls(store, None, cache)
        if root_cid == EMPTY_ROOT:
            return tree
        root = tree.node(root_cid, -1)
        if not root.keys:
            raise ValueError(f"MST root {cbor.cid_text(root_cid)} has no entries")
        root.layer = layer_of(root.keys[0])
        tree._root = root
        return tree

    @classmethod
    def build(cls, store: BlockStore, items: Iterable[tuple[bytes, bytes]],
              batch: int = 4096) -> "MST":
        """Bulk-build from (key, value) in strictly increasing key order, bottom-up in one pass.

        Writes blocks to the store `batch` at a time and keeps only one open node per layer,
        so memory stays small whatever the size; far cheaper than n single inserts."""
        levels: list[tuple[list, list, list]] = []
        blocks: list[tuple[bytes, bytes]] = []

        def close(layer: int) -> bytes | None:
            keys, vals, subs = levels[layer]
            levels[layer] = ([], [], [None])
            node = _make(layer, keys, vals, subs)
            if node is None:
                return None
            _seal(node, blocks)
            return node.cid

        prev: bytes | None = None
        for key, value in items:
            if prev is not None and key <= prev:
                raise ValueError("MST.build needs strictly increasing keys")
            prev = key
            layer = layer_of(key)
            while len(levels) <= layer:
                levels.append(([], [], [None]))
            for lower in range(layer):
                levels[lower + 1][2][-1] = close(lower)
            val = stored_form(value)
            if isinstance(val, Ext):
                blocks.append((val.cid, value))
                val = Ext(val.cid)
            keys, vals, subs = levels[layer]
            keys.append(key)
            vals.append(val)
            subs.append(None)
            if len(blocks) >= batch:
                store.put_many(blocks)
                blocks = []
        if not levels:
            store.put(EMPTY_ROOT, EMPTY_NODE_BLOCK)
            return cls.empty(store)
        for lower in range(len(levels) - 1):
            levels[lower + 1][2][-1] = close(lower)
        root_cid = close(len(levels) - 1)
        store.put_many(blocks)
        return cls.load(store, root_cid)

    @property
    def root_cid(self) -> bytes:
        return EMPTY_ROOT if self._root is None else self._root.cid

    @property
    def root_node(self) -> Node | None:
        """The root (None for the empty tree), for walkers such as diff."""
        return self._root

    # --- reads ---

    def node(self, ref: Node | bytes, layer: int) -> Node:
        """A subtree reference resolved to its node, through the cache."""
        if isinstance(ref, Node):
            return ref
        node = self._cache.get(ref)
        if node is None:
            data = self.store.get(ref)
            if data is None:
                raise MissingBlockError(f"MST node {cbor.cid_text(ref)} is missing from the store")
            node = decode_node(data, ref, layer)
            self._cache.put(node)
        return node

    def value(self, val: bytes | Ext) -> bytes:
        """An entry's value, read from its raw block when it is not inline."""
        if not isinstance(val, Ext):
            return val
        if val.data is not None:
            return val.data
        data = self.store.get(val.cid)
        if data is None:
            raise MissingBlockError(f"value block {cbor.cid_text(val.cid)} is missing from the store")
        return data

    def get(self, key: bytes) -> bytes | None:
        """The value of key, or None. Loads one node per layer at most."""
        node = self._root
        while node is not None:
            keys = node.keys
            i = bisect_left(keys, key)
            if i < len(keys) and keys[i] == key:
                return self.value(node.vals[i])
            sub = node.subs[i]
            if sub is None:
                return None
            node = self.node(sub, node.layer - 1)
        return None

    def items(self, start: bytes | None = None, end: bytes | None = None,
              reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        """(key, value) with start <= key < end, in key order (or reversed); lazy."""
        if self._root is None:
            return iter(())
        return self._walk(self._root, start, end, reverse)

    def prefix(self, prefix: bytes, reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        """Entries whose key starts with prefix, in key order (or reversed)."""
        return self.items(prefix, _prefix_end(prefix), reverse)

    def _walk(self, node: Node, start: bytes | None, end: bytes | None,
              reverse: bool) -> Iterator[tuple[bytes, bytes]]:
        keys = node.keys
        lo = 0 if start is None else bisect_left(keys, start)
        hi = len(keys) if end is None else bisect_left(keys, end)
        # subs[lo] may hold keys >= start and subs[hi] keys < end; gaps between are whole.
        order = range(hi, lo - 1, -1) if reverse else range(lo, hi + 1)
        for i in order:
            if reverse and i < hi:
                yield keys[i], self.value(node.vals[i])
            sub = node.subs[i]
            if sub is not None:
                yield from self._walk(self.node(sub, node.layer - 1),
                                      start if i == lo else None, end if i == hi else None, reverse)
            if not reverse and i < hi:
                yield keys[i], self.value(node.vals[i])

    # --- changes ---

    def apply(self, puts: dict[bytes, bytes],
              deletes: Iterable[bytes] = ()) -> tuple["MST", list[tuple[bytes, bytes]]]:
        """A new tree with puts set and deletes removed, and the new blocks to store.

        Touches only the paths to changed keys: O(changes x depth). Deleting an absent key is
        a no-op; a key both put and deleted is an error. The new tree is readable before its
        blocks are stored."""
        changes: dict[bytes, object] = dict.fromkeys(deletes, _DELETE)
        for key in puts:
            if key in changes:
                raise ValueError(f"key {key!r} is both put and deleted")
        blocks: list[tuple[bytes, bytes]] = []
        for key, value in puts.items():
            if not isinstance(key, bytes) or not isinstance(value, bytes):
                raise TypeError(f"MST keys and values are bytes, got {type(key).__name__} -> "
                                f"{type(value).__name__}")
            val = stored_form(value)
            if isinstance(val, Ext):
                blocks.append((val.cid, value))
            changes[key] = val
        if not changes:
            return self, []
        ops = sorted((key, layer_of(key), val) for key, val in changes.items())
        top = max(op[1] for op in ops)
        root = self._root
        layer = max(top, root.layer if root is not None else 0)
        while root is not None and root.layer < layer:
            root = Node(root.layer + 1, [], [], [root])
        root = self._apply(root, layer, ops)
        while root is not None and not root.keys:
            root = self.node(root.subs[0], root.layer - 1)
        if root is None:
            blocks.append((EMPTY_ROOT, EMPTY_NODE_BLOCK))
        elif root.cid is None:
            _seal(root, blocks)
        return MST(self.store, root, self._cache), blocks

    def _apply(self, ref: Node | bytes | None, layer: int, ops: list) -> Node | bytes | None:
        """The subtree at `layer` after ops (sorted, all inside its range, layers <= layer)."""
        if ref is None:
            keys, vals, subs = [], [], [None]
        else:
            node = self.node(ref, layer)
            keys, vals, subs = list(node.keys), list(node.vals), list(node.subs)
        changed = False
        lower = []
        for op in ops:
            key, key_layer, val = op
            if key_layer < layer:
                lower.append(op)
                continue
            i = bisect_left(keys, key)
            if i < len(keys) and keys[i] == key:
                if val is _DELETE:
                    merged = self._merge(subs[i], subs[i + 1], layer - 1)
                    del keys[i], vals[i]
                    subs[i:i + 2] = [merged]
                    changed = True
                elif vals[i] != val:
                    vals[i] = val
                    changed = True
            elif val is not _DELETE:
                left, right = self._split(subs[i], layer - 1, key)
                keys.insert(i, key)
                vals.insert(i, val)
                subs[i:i + 1] = [left, right]
                changed = True
        start = 0
        while start < len(lower):
            gap = bisect_left(keys, lower[start][0])
            stop = start + 1
            if gap == len(keys):
                stop = len(lower)
            else:
                while stop < len(lower) and lower[stop][0] < keys[gap]:
                    stop += 1
            sub = self._apply(subs[gap], layer - 1, lower[start:stop])
            if sub is not subs[gap]:
                subs[gap] = sub
                changed = True
            start = stop
        if not changed:
            return ref
        return _make(layer, keys, vals, subs)

    def _split(self, ref: Node | bytes | None, layer: int,
               key: bytes) -> tuple[Node | bytes | None, Node | bytes | None]:
        """The subtree's entries below key and above it, as two subtrees at `layer`."""
        if ref is None:
            return None, None
        node = self.node(ref, layer)
        i = bisect_left(node.keys, key)
        left, right = self._split(node.subs[i], layer - 1, key)
        return (_make(layer, node.keys[:i], node.vals[:i], node.subs[:i] + [left]),
                _make(layer, node.keys[i:], node.vals[i:], [right] + node.subs[i + 1:]))

    def _merge(self, a: Node | bytes | None, b: Node | bytes | None,
               layer: int) -> Node | bytes | None:
        """One subtree holding a's entries then b's (all of a's keys are below b's)."""
        if a is None:
            return b
        if b is None:
            return a
        na, nb = self.node(a, layer), self.node(b, layer)
        middle = self._merge(na.subs[-1], nb.subs[0], layer - 1)
        return Node(layer, na.keys + nb.keys, na.vals + nb.vals,
                    na.subs[:-1] + [middle] + nb.subs[1:])
