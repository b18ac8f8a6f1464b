"""Keyspace notification classes (Redis's notify-keyspace-events, notify.c).

Commands call `Keyspace.notify(flag, event, key)` where Redis calls notifyKeyspaceEvent; the
keyspace hands it to the notifier a face installed (`MimeiManager.set_notifier`), or does
nothing when none is installed (notifications off: one attribute test per write).
The flag values and letters are Redis's, so CONFIG GET shows the same normalised string.
"""
from __future__ import annotations

KEYSPACE = 1 << 0   # K
KEYEVENT = 1 << 1   # E
GENERIC = 1 << 2    # g
STRING = 1 << 3     # $
LIST = 1 << 4       # l
SET = 1 << 5        # s
HASH = 1 << 6       # h
ZSET = 1 << 7       # z
EXPIRED = 1 << 8    # x
EVICTED = 1 << 9    # e
STREAM = 1 << 10    # t
KEY_MISS = 1 << 11  # m (not part of A)
MODULE = 1 << 13    # d
NEW = 1 << 14       # n (not part of A)
ALL = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE

_LETTERS = {"A": ALL, "g": GENERIC, "$": STRING, "l": LIST, "s": SET, "h": HASH, "z": ZSET,
            "x": EXPIRED, "e": EVICTED, "K": KEYSPACE, "E": KEYEVENT, "t": STREAM,
            "m": KEY_MISS, "d": MODULE, "n": NEW}
_CLASS_ORDER = (("g", GENERIC), ("$", STRING), ("l", LIST), ("s", SET), ("h", HASH),
                ("z", ZSET), ("x", EXPIRED), ("e", EVICTED), ("t", STREAM), ("d", MODULE),
                ("n", NEW))
INVALID = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."


def parse(text: str) -> int | None:
    """keyspaceEventsStringToFlags: the flags of a class string, None for a bad character."""
    flags = 0
    for ch in text:
        bit = _LETTERS.get(ch)
        if bit is None:
            return None
        flags |= bit
    return flags


def to_string(flags: int) -> str:
    """keyspaceEventsFlagsToString: the form CONFIG GET shows."""
    if flags & ALL == ALL:
        out = "A"
    else:
        out = "".join(letter for letter, bit in _CLASS_ORDER if flags & bit)
    if flags & KEYSPACE:
        out += "K"
    if flags & KEYEVENT:
        out += "E"
    if flags & KEY_MISS:
        out += "m"
    return out
