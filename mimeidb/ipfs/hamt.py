"""HAMT-sharded UnixFS directories (Data type HAMTShard), written and read as kubo does.

Format (UnixFS spec, "HAMTDirectory"):
- every shard node is a dag-pb node whose UnixFS Data has Type=HAMTShard (5), Data = the
  occupancy bitfield, hashType = 0x22 (murmur3-x64-64) and fanout (256 by default);
- the bitfield is the big-endian integer with bit i set when bucket i is used, written in as
  few bytes as it takes (no leading zero bytes; empty when no bucket is used);
- a name's hash is the first 64-bit half (h1) of MurmurHash3 x64 128 with seed 0, read
  big-endian; each level consumes log2(fanout) bits of it, most significant bits first;
- links are in bucket order. A bucket holding one entry is a link named
  `%0<pad>X(bucket) + name` to the entry itself; a bucket where two or more entries collide
  is a link named just `%0<pad>X(bucket)` to a sub-shard that splits them on the next bits
  (pad is 2 for fanout 256). The layout is canonical: it does not depend on insertion order.
- a link's Tsize is the child's cumulative size; a sub-shard's is its block size plus the
  Tsizes of its links.

When to shard (kubo/boxo `ipld/unixfs/io/directory.go`): a directory is converted to a HAMT
once its estimated size is strictly greater than the threshold (HAMTShardingSize, 256 KiB).
The default "links" estimate is the sum over entries of len(name bytes) + len(CID bytes);
the "block" estimate (IPIP-499 profile unixfs-v1-2025) is the exact dag-pb size of the
flat directory node. boxo compared with >= before v0.36 (kubo < 0.40); it is > since.
"""
from __future__ import annotations

from typing import Callable, Iterator

import mmh3

from mimeidb.ipfs import dagpb, unixfs
from mimeidb.ipfs.cid import varint

MURMUR3_X64_64 = 0x22    # the multihash code UnixFS records as hashType
DEFAULT_FANOUT = 256
MAX_FANOUT = 1024        # boxo refuses wider shards
SHARDING_THRESHOLD = 262144  # kubo Import.UnixFSHAMTDirectorySizeThreshold default (256 KiB)
ESTIMATIONS = ("links", "block", "disabled")

NodeCid = Callable[[bytes], bytes]
Emit = Callable[[bytes, bytes], None]
GetBlock = Callable[[bytes], bytes]


def name_hash(name: str | bytes) -> int:
    """The 64-bit hash a HAMT places `name` by (murmur3 x64 128, seed 0, first half)."""
    if isinstance(name, str):
        name = name.encode("utf-8", "surrogateescape")
    return mmh3.hash64(name, 0, True, False)[0]


def check_fanout(fanout: int) -> int:
    """log2(fanout); a fanout must be a power of two, a multiple of 8 and at most 1024."""
    if fanout < 8 or fanout > MAX_FANOUT or fanout & (fanout - 1) or fanout % 8:
        raise ValueError(f"invalid HAMT fanout {fanout}")
    return fanout.bit_length() - 1


def pad_len(fanout: int) -> int:
    """Hex digits of a bucket index in link names (2 for 256)."""
    return len(f"{fanout - 1:X}")


def _varint_len(n: int) -> int:
    return len(varint(n))


def link_block_size(name: str, cid: bytes, tsize: int) -> int:
    """Bytes one link adds to a dag-pb node (boxo linkSerializedSize)."""
    name_len = len(name.encode("utf-8", "surrogateescape"))
    inner = (1 + _varint_len(len(cid)) + len(cid) + 1 + _varint_len(name_len) + name_len
             + 1 + _varint_len(tsize))
    return 1 + _varint_len(inner) + inner


FLAT_DIR_DATA_SIZE = 4   # PBNode Data field of a plain directory without mode/mtime


def estimate(links: list[dagpb.Link], mode: str = "links") -> int:
    """A flat directory's estimated size, as boxo computes it for the sharding decision."""
    if mode == "links":
        return sum(len(link.name.encode("utf-8", "surrogateescape")) + len(link.cid)
                   for link in links)
    if mode == "block":
        return FLAT_DIR_DATA_SIZE + sum(link_block_size(link.name, link.cid, link.tsize)
                                         for link in links)
    if mode == "disabled":
        return 0
    raise ValueError(f"unknown HAMT size estimation {mode!r} (one of {', '.join(ESTIMATIONS)})")


def should_shard(links: list[dagpb.Link], threshold: int = SHARDING_THRESHOLD,
                 mode: str = "links") -> bool:
    """Whether kubo would make this directory a HAMT (estimate strictly over the threshold;
    a threshold of 0 never shards)."""
    if threshold <= 0 or mode == "disabled":
        return False
    return estimate(links, mode) > threshold


def _bitfield_bytes(bits: int) -> bytes:
    return bits.to_bytes((bits.bit_length() + 7) // 8, "big")


def shard_data(bits: int, fanout: int) -> bytes:
    return unixfs.encode(unixfs.Kind.HAMT_SHARD, data=_bitfield_bytes(bits),
                         hash_type=MURMUR3_X64_64, fanout=fanout)


def build(links: list[dagpb.Link], node_cid: NodeCid, emit: Emit,
          fanout: int = DEFAULT_FANOUT) -> tuple[bytes, int]:
    """Write the HAMT over `links` (unique plain names); (root CID, root Tsize).

    `node_cid(block)` names a shard block and `emit(cid, block)` stores it; shards are
    emitted children first.
    """
    width = check_fanout(fanout)
    pad = pad_len(fanout)
    items = [(name_hash(link.name), link) for link in links]
    return _build(items, 0, width, fanout, pad, node_cid, emit)


def _build(items: list[tuple[int, dagpb.Link]], depth: int, width: int, fanout: int, pad: int,
           node_cid: NodeCid, emit: Emit) -> tuple[bytes, int]:
    shift = 64 - (depth + 1) * width
    if shift < 0:
        raise ValueError("sharded directory too deep (names with equal 64-bit hashes)")
    mask = fanout - 1
    buckets: dict[int, list[tuple[int, dagpb.Link]]] = {}
    for item in items:
        buckets.setdefault((item[0] >> shift) & mask, []).append(item)
    out: list[dagpb.Link] = []
    bits = 0
    for index in sorted(buckets):
        group = buckets[index]
        bits |= 1 << index
        prefix = f"{index:0{pad}X}"
        if len(group) == 1:
            link = group[0][1]
            out.append(dagpb.Link(link.cid, prefix + link.name, link.tsize))
        else:
            cid, tsize = _build(group, depth + 1, width, fanout, pad, node_cid, emit)
            out.append(dagpb.Link(cid, prefix, tsize))
    block = dagpb.encode(shard_data(bits, fanout), out)
    cid = node_cid(block)
    emit(cid, block)
    return cid, len(block) + sum(link.tsize for link in out)


# -- reading ---------------------------------------------------------------------

def check_shard(fs: unixfs.Data) -> int:
    """The fanout of a decoded HAMTShard Data message (validated)."""
    if fs.hash_type != MURMUR3_X64_64:
        raise ValueError(f"HAMT shard hashed with 0x{fs.hash_type or 0:x}; only murmur3 (0x22) "
                         "is supported")
    if fs.fanout is None:
        raise ValueError("HAMT shard without a fanout")
    check_fanout(fs.fanout)
    return fs.fanout


def _child_shard(get_block: GetBlock, cid: bytes, fanout: int) -> list[dagpb.Link]:
    data, links = dagpb.decode(get_block(cid))
    if data is None:
        raise ValueError("HAMT sub-shard without UnixFS data")
    fs = unixfs.decode(data)
    if fs.kind != unixfs.Kind.HAMT_SHARD:
        raise ValueError(f"HAMT child shard is a UnixFS {fs.kind.name}")
    if check_shard(fs) != fanout:
        raise ValueError("HAMT sub-shard with a different fanout")
    return links


def entries(get_block: GetBlock, links: list[dagpb.Link], fanout: int) -> Iterator[dagpb.Link]:
    """The directory entries under a shard's links (sub-shards loaded), names unprefixed,
    in shard order."""
    pad = pad_len(fanout)
    for link in links:
        if len(link.name) < pad:
            raise ValueError(f"invalid HAMT link name {link.name!r}")
        if len(link.name) == pad:
            yield from entries(get_block, _child_shard(get_block, link.cid, fanout), fanout)
        else:
            yield dagpb.Link(link.cid, link.name[pad:], link.tsize)


def find(get_block: GetBlock, links: list[dagpb.Link], fanout: int,
         name: str) -> dagpb.Link | None:
    """The entry called `name` (its link, name unprefixed), following only its hash path."""
    width = check_fanout(fanout)
    pad = pad_len(fanout)
    h = name_hash(name)
    depth = 0
    while True:
        shift = 64 - (depth + 1) * width
        if shift < 0:
            return None
        prefix = f"{(h >> shift) & (fanout - 1):0{pad}X}"
        for link in links:
            if link.name == prefix:
                links = _child_shard(get_block, link.cid, fanout)
                depth += 1
                break
            if link.name.startswith(prefix):
                if link.name[pad:] == name:
                    return dagpb.Link(link.cid, name, link.tsize)
                return None
        else:
            return None
