"""The sorted-set type layer: one zset as two families of raw entries (see encoding.py).

  member index  SUB   prefix + member                -> pack_double(score)
  order index   SCORE prefix + encode_score(score) + member -> b''

The member index answers ZSCORE and membership in one read; the order index is sorted by
(score, member) in byte order, so every range by score or lex is one seek plus a walk of the
entries returned, as Redis's skiplist does. What a skiplist has and a key/value store lacks is
the span per node: ranks are found by walking, so rank queries cost O(rank) (we walk from
whichever end is nearer). Commands parse and shape replies; this module owns the entries.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

from mimeidb.store import encoding as enc
from mimeidb.store.encoding import KeyType, Meta
from mimeidb.store.keyspace import Keyspace

INF = math.inf


@dataclass(slots=True, frozen=True)
class ScoreRange:
    """An inclusive interval of doubles: `(1.5` arrives here as nextafter(1.5, +inf), which
    is exact because scores are doubles."""

    low: float
    high: float

    @classmethod
    def of(cls, low: float, low_ex: bool, high: float, high_ex: bool) -> "ScoreRange | None":
        """None when Redis would call the range empty (min > max, or equal with an open end)."""
        if low > high or (low == high and (low_ex or high_ex)):
            return None
        if low_ex:
            low = math.nextafter(low, INF)
        if high_ex:
            high = math.nextafter(high, -INF)
        return cls(low, high)

    def __contains__(self, score: float) -> bool:
        return self.low <= score <= self.high


# A lex bound: (kind, value, exclusive); kind -1 is "-", +1 is "+", 0 a member.
LexBound = tuple[int, bytes, bool]


@dataclass(slots=True, frozen=True)
class LexRange:
    low: LexBound
    high: LexBound

    def above_low(self, member: bytes) -> bool:
        kind, value, ex = self.low
        if kind:
            return kind < 0
        return member > value if ex else member >= value

    def below_high(self, member: bytes) -> bool:
        kind, value, ex = self.high
        if kind:
            return kind > 0
        return member < value if ex else member <= value

    def is_empty(self) -> bool:
        (lk, lv, lex), (hk, hv, hex_) = self.low, self.high
        if lk > 0 or hk < 0:
            return True
        if lk < 0 or hk > 0:
            return False
        return lv > hv or (lv == hv and (lex or hex_))


class ZSet:
    """One sorted set bound to its keyspace and key. Writes update both indexes and the
    in-memory size; `save` writes the metadata (or deletes an emptied key) once."""

    def __init__(self, ks: Keyspace, key: bytes, meta: Meta | None) -> None:
        self.ks = ks
        self.key = key
        self.existed = meta is not None
        self.meta = meta if meta is not None else Meta(KeyType.ZSET)
        self._sub = enc.sub_prefix(key)
        self._order = enc.score_prefix(key)
        self._cut = len(self._order) + 8

    @classmethod
    def read(cls, ks: Keyspace, key: bytes) -> "ZSet | None":
        """The zset at key, None if absent; WRONGTYPE if key holds another type."""
        meta = ks.typed(key, KeyType.ZSET)
        return None if meta is None else cls(ks, key, meta)

    @classmethod
    def open(cls, ks: Keyspace, key: bytes) -> "ZSet":
        """The zset at key, or a new empty one (created by `save` if something was added)."""
        return cls(ks, key, ks.typed(key, KeyType.ZSET))

    @property
    def size(self) -> int:
        return self.meta.size

    # -- members -------------------------------------------------------------------------
    def score(self, member: bytes) -> float | None:
        raw = self.ks.raw.get(self._sub + member)
        return None if raw is None else enc.unpack_double(raw)

    def set(self, member: bytes, score: float, old: float | None) -> None:
        """Give member `score`; `old` is its current score (None: a new member)."""
        raw = self.ks.raw
        score += 0.0  # -0.0 is stored as 0.0, as the order index has it
        if old is not None:
            if old == score:
                return
            raw.delete(self._order + enc.encode_score(old) + member)
        else:
            self.meta.size += 1
        raw.put(self._sub + member, enc.pack_double(score))
        raw.put(self._order + enc.encode_score(score) + member, b"")

    def remove(self, member: bytes, score: float) -> None:
        raw = self.ks.raw
        raw.delete(self._sub + member)
        raw.delete(self._order + enc.encode_score(score) + member)
        self.meta.size -= 1

    def save(self, notify: bool = True) -> None:
        """Write the metadata; an emptied zset deletes its key (Redis never keeps one)."""
        ks = self.ks
        if self.meta.size == 0:
            if self.existed:  # every entry is already gone: drop the metadata, no rescan
                ks.delete_emptied(self.key, self.meta)
            return
        ks.put_meta(self.key, self.meta, self.meta if self.existed else None)
        self.existed = True
        if notify:
            ks.modified(self.key)

    # -- walks of the order index ------------------------------------------------------
    def walk(self, start: bytes | None = None, reverse: bool = False) -> Iterator[tuple[bytes, float]]:
        """(member, score) in (score, member) order, or reversed, from the raw suffix `start`
        (encoded score + member) on; for reverse, from the last entry at or before it."""
        cut = self._cut
        begin = None if start is None else self._order + start
        for raw, _ in self.ks.raw.scan(self._order, begin, reverse):
            yield raw[cut:], enc.decode_score(raw[cut - 8:cut])

    def members(self, start: bytes = b"") -> Iterator[tuple[bytes, float]]:
        """(member, score) in member byte order (the member index), from `start` on."""
        for member, value in self.ks.entries(self.key, start):
            yield member, enc.unpack_double(value)

    def by_score(self, rng: ScoreRange, reverse: bool = False) -> Iterator[tuple[bytes, float]]:
        if not reverse:
            for member, score in self.walk(enc.encode_score(rng.low)):
                if score > rng.high:
                    return
                yield member, score
            return
        # Everything at score `high` sorts before the first key of the next double up.
        start = None if rng.high == INF else enc.encode_score(math.nextafter(rng.high, INF))
        for member, score in self.walk(start, reverse=True):
            if score > rng.high:
                continue  # at most the empty member at the next double
            if score < rng.low:
                return
            yield member, score

    def by_lex(self, rng: LexRange, reverse: bool = False) -> Iterator[tuple[bytes, float]]:
        """Members in a lex range. Like Redis this assumes equal scores: the seek uses the
        score of the first (or last) entry, and the walk stops at the first member past the
        far bound."""
        if rng.is_empty():
            return
        kind, value, _ = rng.high if reverse else rng.low
        start = None
        if kind == 0:
            edge = next(self.walk(reverse=reverse), None)
            if edge is None:
                return
            start = enc.encode_score(edge[1]) + value
        for member, score in self.walk(start, reverse):
            near_ok = rng.below_high(member) if reverse else rng.above_low(member)
            if not near_ok:
                continue
            far_ok = rng.above_low(member) if reverse else rng.below_high(member)
            if not far_ok:
                return
            yield member, score

    def by_rank(self, first: int, last: int, reverse: bool = False) -> list[tuple[bytes, float]]:
        """Members at ranks first..last (0-based, clamped by the caller: 0 <= first <= last <
        size), counted from the top when reverse. Walks from the nearer end: O(distance + m)."""
        count = last - first + 1
        lo = self.size - 1 - last if reverse else first  # ascending rank of the lowest wanted
        from_bottom = lo <= self.size - 1 - (lo + count - 1)
        skip = lo if from_bottom else self.size - (lo + count)
        out = []
        entries = self.ks.raw.scan(self._order, None, not from_bottom)
        for _ in zip(range(skip), entries):
            pass  # skipped entries are not decoded
        cut = self._cut
        for raw, _ in entries:
            out.append((raw[cut:], enc.decode_score(raw[cut - 8:cut])))
            if len(out) == count:
                break
        if from_bottom == reverse:
            out.reverse()
        return out

    def rank(self, member: bytes, score: float) -> int:
        """Ascending 0-based rank of a present member: counts the entries before it, O(rank)."""
        stop = self._order + enc.encode_score(score) + member
        n = 0
        for raw, _ in self.ks.raw.scan(self._order):
            if raw >= stop:
                break
            n += 1
        return n
