"""Bit commands over string values (bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP.

Bits are numbered from the most significant bit of the first byte, as Redis does.
"""
from __future__ import annotations

from mimeidb.commands import errors
from mimeidb.commands.args import to_int, upper
from mimeidb.commands.errors import RedisError
from mimeidb.commands.strings import MAX_STRING, _store, _string
from mimeidb.commands.table import command
from mimeidb.store import notify as N

BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BIT_VALUE = "ERR bit is not an integer or out of range"


def _bit_offset(raw: bytes) -> int:
    offset = to_int(raw, BIT_OFFSET)
    if offset < 0 or (offset >> 3) >= MAX_STRING:
        raise RedisError(BIT_OFFSET)
    return offset


@command("setbit", 4, "write denyoom", group="bitmap")
def setbit(ctx, args):
    """Set or clear the bit at an offset, growing the string with zero bytes; the old bit."""
    ks = ctx.ks
    offset = _bit_offset(args[1])
    if args[2] not in (b"0", b"1"):
        raise RedisError(BIT_VALUE)
    on = args[2] == b"1"
    old, value = _string(ks, args[0])
    ks.check_writable()
    data = bytearray(value or b"")
    byte, shift = offset >> 3, 7 - (offset & 7)
    if len(data) <= byte:
        data.extend(b"\0" * (byte + 1 - len(data)))
    previous = (data[byte] >> shift) & 1
    if on:
        data[byte] |= 1 << shift
    else:
        data[byte] &= ~(1 << shift) & 0xFF
    if value is None or bytes(data) != value:
        _store(ks, args[0], bytes(data), old, raw=True)
        ks.notify(N.STRING, b"setbit", args[0])
    return previous


@command("getbit", 3, "readonly fast", group="bitmap")
def getbit(ctx, args):
    """The bit at an offset (0 past the end or for a missing key)."""
    offset = _bit_offset(args[1])
    value = ctx.ks.get_string(args[0]) or b""
    byte = offset >> 3
    if byte >= len(value):
        return 0
    return (value[byte] >> (7 - (offset & 7))) & 1


def _bit_range(size: int, start: int, end: int, is_bit: bool) -> tuple[int, int] | None:
    """The inclusive bit range [first, last] that start/end (bytes or bits) select, or None."""
    total = size * 8 if is_bit else size
    if start < 0:
        start += total
    if end < 0:
        end += total
    start, end = max(start, 0), max(end, 0)
    end = min(end, total - 1)
    if start > end:
        return None
    return (start, end) if is_bit else (start * 8, end * 8 + 7)


def _unit(args: list[bytes], at: int) -> bool:
    if len(args) <= at:
        return False
    unit = upper(args[at])
    if unit == b"BIT":
        return True
    if unit == b"BYTE":
        return False
    raise RedisError(errors.SYNTAX)


def _window(value: bytes, first: int, last: int) -> tuple[int, int]:
    """(bits as an int, width) of value's bits first..last inclusive."""
    chunk = value[first >> 3:(last >> 3) + 1]
    width = last - first + 1
    number = int.from_bytes(chunk, "big") >> (7 - (last & 7))
    return number & ((1 << width) - 1), width


@command("bitcount", -2, "readonly", group="bitmap")
def bitcount(ctx, args):
    """Count the set bits, optionally in a byte or bit range."""
    value = ctx.ks.get_string(args[0])
    if value is None:
        return 0
    if len(args) == 1:
        return int.from_bytes(value, "big").bit_count()
    if len(args) not in (3, 4):
        raise RedisError(errors.SYNTAX)
    start, end = to_int(args[1]), to_int(args[2])
    if start < 0 and end < 0 and start > end:
        return 0
    span = _bit_range(len(value), start, end, _unit(args, 3))
    if span is None:
        return 0
    number, _ = _window(value, *span)
    return number.bit_count()


@command("bitpos", -3, "readonly", group="bitmap")
def bitpos(ctx, args):
    """The first bit set to 0 or 1, optionally in a byte or bit range."""
    bit = to_int(args[1])
    if bit not in (0, 1):
        raise RedisError("ERR The bit argument must be 1 or 0.")
    value = ctx.ks.get_string(args[0])
    if value is None:
        return -1 if bit else 0
    end_given = len(args) >= 4
    if len(args) == 2:
        span = _bit_range(len(value), 0, len(value) - 1, False)
    elif len(args) <= 5:
        start = to_int(args[2])
        is_bit = _unit(args, 4)
        if end_given:
            end = to_int(args[3])
        else:
            end = -1
        span = _bit_range(len(value), start, end, is_bit)
    else:
        raise RedisError(errors.SYNTAX)
    if span is None:
        return -1
    number, width = _window(value, *span)
    if bit == 0:
        number = ~number & ((1 << width) - 1)
    if number == 0:
        if bit == 0 and not end_given:
            return ((span[1] >> 3) + 1) * 8
        return -1
    return span[0] + width - number.bit_length()


@command("bitop", -4, "write denyoom", keys=(2, -1, 1), group="bitmap")
def bitop(ctx, args):
    """AND/OR/XOR/NOT of string keys into a destination; the result's length."""
    ks = ctx.ks
    op = upper(args[0])
    if op not in (b"AND", b"OR", b"XOR", b"NOT"):
        raise RedisError(errors.SYNTAX)
    sources = args[2:]
    if op == b"NOT" and len(sources) != 1:
        raise RedisError("ERR BITOP NOT must be called with a single source key.")
    values = [ks.get_string(key) or b"" for key in sources]
    size = max(len(v) for v in values)
    ks.check_writable()
    if size == 0:
        if ks.delete(args[1]):
            ks.notify(N.GENERIC, b"del", args[1])
        return 0
    numbers = [int.from_bytes(v.ljust(size, b"\0"), "big") for v in values]
    result = numbers[0]
    if op == b"NOT":
        result = ~result & ((1 << (size * 8)) - 1)
    for number in numbers[1:]:
        if op == b"AND":
            result &= number
        elif op == b"OR":
            result |= number
        else:
            result ^= number
    _store(ks, args[1], result.to_bytes(size, "big"), ks.meta(args[1]), keep_ttl=False)
    ks.notify(N.STRING, b"set", args[1])
    return size


# -- BITFIELD ----------------------------------------------------------------------------
BITFIELD_TYPE = ("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
                 "supported but i64 is.")
BITFIELD_RO_WRITE = "ERR BITFIELD_RO only supports the GET subcommand"
_OVERFLOWS = {b"WRAP", b"SAT", b"FAIL"}


def _field_type(raw: bytes) -> tuple[bool, int]:
    """i1..i64 or u1..u63 (lowercase, as Redis reads it) -> (signed, bits)."""
    signed = raw[:1] == b"i"
    if not signed and raw[:1] != b"u":
        raise RedisError(BITFIELD_TYPE)
    bits = to_int(raw[1:], BITFIELD_TYPE)
    if bits < 1 or bits > (64 if signed else 63):
        raise RedisError(BITFIELD_TYPE)
    return signed, bits


def _field_offset(raw: bytes, bits: int) -> int:
    """A bit offset; `#n` means the n-th field of this width."""
    hashed = raw[:1] == b"#"
    offset = to_int(raw[1:] if hashed else raw, BIT_OFFSET)
    if hashed:
        offset *= bits
    if offset < 0 or (offset >> 3) >= MAX_STRING:
        raise RedisError(BIT_OFFSET)
    return offset


def _read_field(data: bytearray, offset: int, bits: int, signed: bool) -> int:
    first, last = offset >> 3, (offset + bits - 1) >> 3
    chunk = bytes(data[first:last + 1]).ljust(last + 1 - first, b"\0")
    value = int.from_bytes(chunk, "big") >> (7 - ((offset + bits - 1) & 7))
    value &= (1 << bits) - 1
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def _write_field(data: bytearray, offset: int, bits: int, value: int) -> None:
    first, last = offset >> 3, (offset + bits - 1) >> 3
    width = (last + 1 - first) * 8
    shift = 7 - ((offset + bits - 1) & 7)
    mask = ((1 << bits) - 1) << shift
    current = int.from_bytes(data[first:last + 1], "big")
    current = (current & ~mask) | ((value << shift) & mask)
    data[first:last + 1] = current.to_bytes(width // 8, "big")


def _i64(value: int) -> int:
    """value as C's int64_t after wrapping (Redis computes its limits in int64)."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >> 63 else value


def _fit(value: int, incr: int, bits: int, signed: bool, overflow: bytes) -> int | None:
    """value + incr brought into the field's range by the OVERFLOW rule (None: FAIL refuses).
    Which way a value overflows follows Redis's checks, int64 wraparound included: SAT of
    `SET i63 <below the minimum>` saturates to the maximum, as Redis does."""
    if signed:
        high = (1 << (bits - 1)) - 1
        low = -high - 1
        max_incr, min_incr = _i64(high - value), _i64(low - value)
        if value > high or (bits != 64 and incr > max_incr) or \
                (value >= 0 and incr > 0 and incr > max_incr):
            limit = high
        elif value < low or (bits != 64 and incr < min_incr) or \
                (value < 0 and incr < 0 and incr < min_incr):
            limit = low
        else:
            return value + incr
    else:
        high, low = (1 << bits) - 1, 0
        max_incr, min_incr = _i64(high - value), _i64(-value)
        if value > high or (incr > 0 and incr > max_incr):
            limit = high
        elif incr < 0 and incr < min_incr:
            limit = low
        else:
            return value + incr
    if overflow == b"FAIL":
        return None
    if overflow == b"SAT":
        return limit
    wrapped = (value + incr) & ((1 << bits) - 1)
    if signed and wrapped >> (bits - 1):
        wrapped -= 1 << bits
    return wrapped


def _bitfield(ctx, args, readonly_command: bool):
    ops = []
    overflow = b"WRAP"
    writes = False
    highest = 0
    i = 1
    while i < len(args):
        sub = upper(args[i])
        left = len(args) - i - 1
        if sub == b"OVERFLOW" and left >= 1:
            overflow = upper(args[i + 1])
            if overflow not in _OVERFLOWS:
                raise RedisError("ERR Invalid OVERFLOW type specified")
            i += 2
            continue
        if not ((sub == b"GET" and left >= 2) or (sub in (b"SET", b"INCRBY") and left >= 3)):
            raise RedisError(errors.SYNTAX)
        signed, bits = _field_type(args[i + 1])
        offset = _field_offset(args[i + 2], bits)
        number = 0
        if sub != b"GET":
            writes = True
            highest = max(highest, offset + bits - 1)
            number = to_int(args[i + 3])
        ops.append((sub, signed, bits, offset, number, overflow))
        i += 3 if sub == b"GET" else 4
    ks = ctx.ks
    if not writes:
        old, value = _string(ks, args[0])
        data = bytearray(value or b"")
        return [_read_field(data, offset, bits, signed) for _, signed, bits, offset, _, _ in ops]
    if readonly_command:
        raise RedisError(BITFIELD_RO_WRITE)
    old, value = _string(ks, args[0])
    ks.check_writable()
    data = bytearray(value or b"")
    need = (highest >> 3) + 1
    if len(data) < need:
        data.extend(b"\0" * (need - len(data)))
    out = []
    for sub, signed, bits, offset, number, rule in ops:
        current = _read_field(data, offset, bits, signed)
        if sub == b"GET":
            out.append(current)
            continue
        if sub == b"INCRBY":
            fitted = _fit(current, number, bits, signed, rule)
        else:  # SET checks the value itself; unsigned fields read it as a uint64
            fitted = _fit(number if signed else number % (1 << 64), 0, bits, signed, rule)
        if fitted is None:
            out.append(None)
            continue
        _write_field(data, offset, bits, fitted)
        out.append(current if sub == b"SET" else fitted)
    if value is None or bytes(data) != value:
        _store(ks, args[0], bytes(data), old, raw=True)
        ks.notify(N.STRING, b"setbit", args[0])
    return out


@command("bitfield", -2, "write denyoom", group="bitmap")
def bitfield(ctx, args):
    """Integer fields of any width at any bit offset: GET/SET/INCRBY with OVERFLOW control."""
    return _bitfield(ctx, args, readonly_command=False)


@command("bitfield_ro", -2, "readonly fast", group="bitmap")
def bitfield_ro(ctx, args):
    """BITFIELD restricted to GET."""
    return _bitfield(ctx, args, readonly_command=True)
