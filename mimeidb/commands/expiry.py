"""The active expire sweep (Redis's activeExpireCycle, expire.c).

Keys with an expiry are deleted lazily when a command touches them (`Keyspace.meta`), but a
key nobody reads would stay forever, so the node calls `sweep` every 100 ms for each live
keyspace. Redis samples random volatile keys; we have an index ordered by expire time
(namespace + expire-at ms + key, kept by `Keyspace.put_meta`), so the keys due are simply its
first entries and no sampling is needed. `budget` bounds the work of one call, as Redis's
time limit does; whatever is left waits for the next tick.
"""
from __future__ import annotations

from mimeidb.store import encoding as enc
from mimeidb.store.keyspace import Keyspace

DEFAULT_BUDGET = 200  # keys per call: at 10 calls a second, 2000 expired keys/s per keyspace


def sweep(ks: Keyspace, now_ms: int, budget: int = DEFAULT_BUDGET) -> int:
    """Delete up to `budget` keys whose expiry is at or before now_ms; returns how many.
    Each deletion goes through `ks.modified` (WATCH, blocked clients, auto-backup)."""
    if ks.readonly or budget <= 0:
        return 0
    raw = ks.raw
    deleted = 0
    for when, key in raw.expired_entries(now_ms, budget):  # type: ignore[attr-defined]
        current = raw.get(enc.META + key)
        if current is None or enc.decode_meta(current).expire_ms != when:
            # an index entry that outlived its key's expiry: drop it so it cannot clog the head
            raw.set_expire_index(key, when, 0)  # type: ignore[attr-defined]
            continue
        if ks.expire_if_due(key, now_ms):
            deleted += 1
    return deleted
