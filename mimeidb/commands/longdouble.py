"""INCRBYFLOAT/HINCRBYFLOAT arithmetic as Redis does it: x87 80-bit `long double`.

Redis parses both operands with strtold, adds them in long double and prints the sum with
"%.17Lf" minus trailing zeros. With Python floats 0.1 + 0.2 would print 0.30000000000000004
where Redis prints 0.3, so we emulate the format exactly: values are held as exact
Fractions rounded to a 64-bit significand (round half to even), the exponent range of the
80-bit format, and printed by rounding the exact value to 17 decimals.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction

from mimeidb.commands.errors import RedisError

MANTISSA_BITS = 64        # x87 extended precision: explicit 64-bit significand
MAX_EXP = 16384           # values below 2**16384
MIN_EXP = -16445          # smallest subnormal is 2**-16445
MAX_CHARS = 5 * 1024      # Redis's MAX_LONG_DOUBLE_CHARS: longer inputs are refused

INF = float("inf")

# strtold's decimal forms, plus inf/infinity; hex floats are also read by strtold.
_DEC_RE = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_INF_RE = re.compile(rb"[+-]?(inf|infinity)\Z", re.I)
_HEX_RE = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)([pP]([+-]?\d+))?\Z")


def _round(value: Fraction) -> Fraction | float:
    """value rounded to the nearest long double (half to even); +-inf on overflow."""
    if value == 0:
        return Fraction(0)
    sign = -1 if value < 0 else 1
    mag = abs(value)
    exp = mag.numerator.bit_length() - mag.denominator.bit_length()
    if Fraction(2) ** exp > mag:
        exp -= 1
    # mag is in [2**exp, 2**(exp+1)); keep MANTISSA_BITS significant bits (fewer if subnormal)
    shift = max(exp - MANTISSA_BITS + 1, MIN_EXP)
    scaled = mag / (Fraction(2) ** shift)
    rounded = round(scaled)  # Fraction.__round__ rounds half to even
    result = rounded * Fraction(2) ** shift
    if result >= Fraction(2) ** MAX_EXP:
        return sign * INF
    return sign * result


def parse(raw: bytes) -> Fraction | float | None:
    """Redis's string2ld: the long double value of raw, or None if it is not a valid number
    (spaces, trailing bytes, nan, too long, or an overflow/underflow strtold reports)."""
    if not raw or len(raw) >= MAX_CHARS:
        return None
    if _INF_RE.match(raw):
        return -INF if raw[:1] == b"-" else INF
    match = _DEC_RE.match(raw)
    if match:
        exact = Fraction(raw.decode())
    else:
        match = _HEX_RE.match(raw)
        if not match or not (match.group(2) or match.group(3)):
            return None
        digits = match.group(2) + match.group(3)
        exact = Fraction(int(digits, 16), 16 ** len(match.group(3)))
        exact *= Fraction(2) ** int(match.group(5) or b"0")
        if match.group(1) == b"-":
            exact = -exact
    value = _round(exact)
    if isinstance(value, float) or (value == 0 and exact != 0):
        return None  # ERANGE: strtold overflowed to HUGE_VALL or underflowed to zero
    return value


def is_infinite(value: Fraction | float) -> bool:
    return isinstance(value, float) and math.isinf(value)


def add(a: Fraction | float, b: Fraction | float) -> Fraction | float:
    """a + b in long double; +-inf on overflow, nan for inf - inf."""
    if isinstance(a, float) or isinstance(b, float):
        return float(a) + float(b)
    return _round(a + b)


def format_human(value: Fraction) -> bytes:
    """"%.17Lf" without trailing zeros (and "-0" printed as "0"), as Redis's LD_STR_HUMAN."""
    scaled = round(value * 10 ** 17)
    sign = "-" if scaled < 0 or (scaled == 0 and value < 0) else ""
    digits = str(abs(scaled)).rjust(18, "0")
    text = (digits[:-17] + "." + digits[-17:]).rstrip("0").rstrip(".")
    if sign and text == "0":
        return b"0"
    return (sign + text).encode()


def parse_increment(raw: bytes, error: str, allow_infinite: bool = False) -> Fraction:
    """The increment argument: `error` if it is not a number, Redis's text if infinite
    (HINCRBYFLOAT; INCRBYFLOAT passes allow_infinite and fails on the sum instead)."""
    delta = parse(raw)
    if delta is None:
        raise RedisError(error)
    if is_infinite(delta) and not allow_infinite:
        raise RedisError("ERR value is NaN or Infinity")
    return delta  # type: ignore[return-value]


def incr(current: bytes | None, delta: Fraction, value_error: str) -> bytes:
    """The text of current + delta; `value_error` if the stored value is not a number."""
    base: Fraction | float = Fraction(0)
    if current is not None:
        parsed = parse(current)
        if parsed is None:
            raise RedisError(value_error)
        base = parsed
    total = add(base, delta)
    if isinstance(total, float):
        raise RedisError("ERR increment would produce NaN or Infinity")
    return format_human(total)
