"""Reply values that commands return; each face encodes them (RESP2, RESP3, JSON).

Plain Python values cover most replies: bytes (bulk string), int (integer), None (null),
list (array), bool (RESP3 boolean, RESP2 integer). These wrappers carry what RESP3 tells apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Simple(str):
    """A status reply (+OK)."""


OK = Simple("OK")
QUEUED = Simple("QUEUED")
PONG = Simple("PONG")


class Map(list):
    """Key/value pairs: a RESP3 map, a flat array in RESP2. Holds (key, value) tuples."""


class SetReply(list):
    """A RESP3 set, an array in RESP2."""


class Double(float):
    """A RESP3 double, a bulk string in RESP2."""


class Verbatim(str):
    """A RESP3 verbatim string (txt), a bulk string in RESP2."""


class Push(list):
    """A RESP3 push (pub/sub messages), an array in RESP2."""


class _NullArray:
    """Redis's null array: '*-1' in RESP2, '_' in RESP3 (e.g. BLPOP timeout, EXEC after WATCH)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NULL_ARRAY"


NULL_ARRAY = _NullArray()


@dataclass(slots=True)
class Block:
    """Returned by a blocking command that found nothing: the face parks the client on `keys`
    and runs the command again when one is written; after `timeout` seconds (0 = forever)
    it replies `timeout_reply`."""

    keys: list[bytes]
    timeout: float
    timeout_reply: Any = NULL_ARRAY


def format_double(value: float) -> bytes:
    """Shortest round-trip text of a double, as Redis 7.2+ prints scores (inf, -inf, 3, 1.5)."""
    if value != value:
        return b"nan"
    if value == float("inf"):
        return b"inf"
    if value == float("-inf"):
        return b"-inf"
    if value.is_integer() and abs(value) < 1e17:
        if value == 0 and str(value)[0] == "-":
            return b"-0"
        return b"%d" % int(value)
    return repr(value).encode()
