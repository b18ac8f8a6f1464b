"""Random sub-entries of a collection (SRANDMEMBER, SPOP, HRANDFIELD, ZRANDMEMBER).

Redis picks random hash-table buckets in O(1). Our sub-entries are sorted in RocksDB, with
no rank index, so an exactly uniform pick needs a full read. Collections up to
EXACT_LIMIT entries are read whole and sampled exactly (Redis's own tests check the
distribution on small sets with a chi-square test). Larger ones are sampled by seeking
to random points between the first and the last sub-key: O(log n) per pick, uniform over
the key space rather than over entries, which is what a huge set can afford.
"""
from __future__ import annotations

import random
from typing import Iterator

from mimeidb.store.keyspace import Keyspace

EXACT_LIMIT = 4096
_WIDTH = 16  # bytes of a sub-key that seeking interpolates over


def _first(it: Iterator[tuple[bytes, bytes]]) -> tuple[bytes, bytes] | None:
    return next(it, None)


class _Seeker:
    """Picks sub-entries of one large collection by random seeks."""

    def __init__(self, ks: Keyspace, key: bytes) -> None:
        self.ks = ks
        self.key = key
        first = _first(ks.entries(key))
        last = _first(ks.entries(key, reverse=True))
        assert first is not None and last is not None
        self.first = first
        lo, hi = first[0], last[0]
        common = 0
        while common < min(len(lo), len(hi)) and lo[common] == hi[common]:
            common += 1
        self.common = lo[:common]
        self.lo = int.from_bytes(lo[common:common + _WIDTH].ljust(_WIDTH, b"\0"), "big")
        self.hi = int.from_bytes(hi[common:common + _WIDTH].ljust(_WIDTH, b"\xff"), "big")

    def pick(self) -> tuple[bytes, bytes]:
        point = random.randint(self.lo, self.hi).to_bytes(_WIDTH, "big")
        found = _first(self.ks.entries(self.key, self.common + point))
        return found if found is not None else self.first


def sample(ks: Keyspace, key: bytes, size: int, count: int,
           distinct: bool) -> list[tuple[bytes, bytes]]:
    """`count` random (subkey, value) of key, which holds `size` sub-entries: distinct ones
    (at most size) or, with distinct=False, exactly count picks with repetitions."""
    if count <= 0 or size <= 0:
        return []
    if distinct and count >= size:
        entries = list(ks.entries(key))
        random.shuffle(entries)
        return entries
    if size <= EXACT_LIMIT or (distinct and count * 4 >= size):
        entries = list(ks.entries(key))
        if distinct:
            return random.sample(entries, count)
        return random.choices(entries, k=count)
    seeker = _Seeker(ks, key)
    if not distinct:
        return [seeker.pick() for _ in range(count)]
    chosen: dict[bytes, bytes] = {}
    attempts = 0
    while len(chosen) < count and attempts < count * 20:
        subkey, value = seeker.pick()
        chosen[subkey] = value
        attempts += 1
    if len(chosen) < count:  # skewed key space: fall back to an exact sample
        return random.sample(list(ks.entries(key)), count)
    return list(chosen.items())
