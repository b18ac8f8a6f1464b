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
from itertools import islice

from mimeidb.store.keyspace import Keyspace

EXACT_LIMIT = 4096
_WIDTH = 12    # random bytes generated past the common prefix of the sub-keys
_WINDOW = 16   # entries read after a seek; the pick is uniform among them
_PROBE = 32    # entries read at each end to learn which bytes sub-keys use


class _Seeker:
    """Picks sub-entries of one large collection by random seeks.

    A random point is built from the bytes the sub-keys actually use (learnt from both ends
    of the collection), so that e.g. decimal member names do not pile the picks onto the
    first key after each gap; the pick is then uniform among the next _WINDOW entries."""

    def __init__(self, ks: Keyspace, key: bytes) -> None:
        self.ks = ks
        self.key = key
        head = list(islice(ks.entries(key), _PROBE))
        tail = list(islice(ks.entries(key, reverse=True), _PROBE))
        lo, hi = head[0][0], tail[0][0]
        common = 0
        while common < min(len(lo), len(hi)) and lo[common] == hi[common]:
            common += 1
        self.common = lo[:common]
        used = {b for subkey, _ in head + tail for b in subkey[common:]}
        self.alphabet = bytes(sorted(used)) or b"\0"
        self.first = (lo[common:common + 1] or b"\0")[0]
        self.last = (hi[common:common + 1] or b"\xff")[0]

    def pick(self) -> tuple[bytes, bytes]:
        lead = [b for b in self.alphabet if self.first <= b <= self.last] or [self.first]
        point = bytes([random.choice(lead)]) + bytes(random.choices(self.alphabet, k=_WIDTH - 1))
        window = list(islice(self.ks.entries(self.key, self.common + point), _WINDOW))
        if len(window) < _WINDOW:  # near the end: wrap around to the start
            window += list(islice(self.ks.entries(self.key), _WINDOW - len(window)))
        return random.choice(window)


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
