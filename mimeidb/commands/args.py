"""Typed argument converters that fail with Redis's exact error text."""
from __future__ import annotations

import math
import time
import re

from mimeidb.commands import errors
from mimeidb.commands.errors import RedisError

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

# Redis's string2ll: optional '-', no '+', no leading zeros, no spaces, fits in int64.
_INT_RE = re.compile(rb"(0|-?[1-9][0-9]*)\Z")
# strtold as Redis uses it: decimal or exponent forms and inf; no spaces, no nan, no '_'.
_FLOAT_RE = re.compile(rb"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity)\Z", re.I)


def to_int(raw: bytes, error: str = errors.NOT_INTEGER) -> int:
    if len(raw) > 20 or not _INT_RE.match(raw):
        raise RedisError(error)
    value = int(raw)
    if not INT64_MIN <= value <= INT64_MAX:
        raise RedisError(error)
    return value


def is_int(raw: bytes) -> bool:
    try:
        to_int(raw)
        return True
    except RedisError:
        return False


def to_float(raw: bytes, error: str = errors.NOT_FLOAT) -> float:
    if not _FLOAT_RE.match(raw):
        raise RedisError(error)
    value = float(raw)
    if math.isnan(value):
        raise RedisError(error)
    return value


def to_finite_float(raw: bytes, error: str = errors.NOT_FLOAT) -> float:
    value = to_float(raw, error)
    if math.isinf(value):
        raise RedisError(error)
    return value


def to_timeout(raw: bytes) -> float:
    """A blocking timeout in seconds (float allowed, 0 = forever), read like Redis's
    getTimeoutFromObjectOrReply: strtold forms (hex too), then range-checked in ms."""
    from mimeidb.commands import longdouble  # the long double parser; imports args lazily
    value = longdouble.parse(raw)
    if value is None:
        raise RedisError(errors.TIMEOUT_NOT_FLOAT)
    millis = value * 1000 if isinstance(value, float) else longdouble._round(value * 1000)
    if millis > INT64_MAX:
        raise RedisError(errors.TIMEOUT_OUT_OF_RANGE)
    millis = math.ceil(millis)
    if millis < 0:
        raise RedisError(errors.TIMEOUT_NEGATIVE)
    if millis > 0 and millis > INT64_MAX - int(time.time() * 1000):
        raise RedisError(errors.TIMEOUT_OUT_OF_RANGE)
    return millis / 1000


def upper(raw: bytes) -> bytes:
    return raw.upper()
