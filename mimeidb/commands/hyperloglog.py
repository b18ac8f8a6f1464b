"""HyperLogLog commands (PFADD, PFCOUNT, PFMERGE) on Redis's own string representation.

A HLL is a string: the 16-byte header "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes |
8-byte little-endian cached cardinality (top bit of the last byte set = stale), then either
16384 6-bit registers packed LSB first (dense, 12288 bytes) or the sparse run-length opcodes
(ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx). Elements are hashed with
MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the register, the run of zero bits
above them (+1) is the value. The estimate is Ertl's improved estimator, as Redis computes
it, so values move between this node and Redis (GET/SET, DUMP/RESTORE of the string) and
count the same on both.

Sparse values are rewritten in a canonical run-length form (Redis edits them in place, which
can leave a few adjacent runs unmerged): both forms decode to the same registers. A sparse
value becomes dense, as in Redis, when a register exceeds 32 or the encoding would grow past
hll-sparse-max-bytes; dense values never go back.
"""
from __future__ import annotations

import math
from collections import Counter

from mimeidb.commands import errors
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import OK
from mimeidb.commands.table import command
from mimeidb.store.encoding import KeyType

try:  # vectorized register work when numpy is present (merges of dense HLLs on PFCOUNT)
    import numpy as _np
except ImportError:  # pragma: no cover
    _np = None

GROUP = "hyperloglog"

P = 14
Q = 64 - P
REGISTERS = 1 << P
P_MASK = REGISTERS - 1
MAGIC = b"HYLL"
DENSE, SPARSE = 0, 1
HDR_SIZE = 16
DENSE_BYTES = (REGISTERS * 6 + 7) // 8
DENSE_SIZE = HDR_SIZE + DENSE_BYTES
ALPHA_INF = 0.721347520444481703680
SPARSE_VAL_MAX_VALUE = 32
SPARSE_VAL_MAX_LEN = 4
SPARSE_ZERO_MAX_LEN = 64
SPARSE_XZERO_MAX_LEN = 16384
DEFAULT_SPARSE_MAX_BYTES = 3000

WRONGTYPE_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
INVALIDOBJ = "INVALIDOBJ Corrupted HLL object detected"

_M64 = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995
_SEED = 0xADC83B19


def murmurhash64a(data: bytes, seed: int = _SEED) -> int:
    """MurmurHash64A over little-endian 8-byte blocks, as Redis hashes HLL elements."""
    n = len(data)
    h = (seed ^ ((n * _MUL) & _M64)) & _M64
    end = n - (n & 7)
    if end:
        for k in memoryview(data)[:end].cast("Q"):  # native order; little-endian hosts
            k = (k * _MUL) & _M64
            k ^= k >> 47
            k = (k * _MUL) & _M64
            h ^= k
            h = (h * _MUL) & _M64
    tail = n & 7
    if tail:
        h ^= int.from_bytes(data[end:], "little")
        h = (h * _MUL) & _M64
    h ^= h >> 47
    h = (h * _MUL) & _M64
    h ^= h >> 47
    return h


if memoryview(b"\1\0\0\0\0\0\0\0").cast("Q")[0] != 1:  # pragma: no cover - big-endian hosts
    def murmurhash64a(data: bytes, seed: int = _SEED) -> int:
        n = len(data)
        h = (seed ^ ((n * _MUL) & _M64)) & _M64
        end = n - (n & 7)
        for i in range(0, end, 8):
            k = int.from_bytes(data[i:i + 8], "little")
            k = (k * _MUL) & _M64
            k ^= k >> 47
            k = (k * _MUL) & _M64
            h ^= k
            h = (h * _MUL) & _M64
        if n & 7:
            h ^= int.from_bytes(data[end:], "little")
            h = (h * _MUL) & _M64
        h ^= h >> 47
        h = (h * _MUL) & _M64
        h ^= h >> 47
        return h


def pat_len(element: bytes) -> tuple[int, int]:
    """(register index, value) an element sets."""
    h = murmurhash64a(element)
    index = h & P_MASK
    h = (h >> P) | (1 << Q)
    return index, ((h & -h).bit_length())


# -- representation -------------------------------------------------------------------------
def header(encoding: int, card: bytes = b"\0" * 8) -> bytes:
    return MAGIC + bytes([encoding, 0, 0, 0]) + card


def empty_sparse() -> bytes:
    """A new HLL: sparse, one XZERO run over every register, cached cardinality 0 (valid)."""
    n = REGISTERS - 1
    return header(SPARSE) + bytes([0x40 | (n >> 8), n & 0xFF])


def check(value: bytes) -> None:
    """isHLLObjectOrReply: the header must be sound and a dense body the exact size."""
    if (len(value) < HDR_SIZE or value[:4] != MAGIC or value[4] > SPARSE
            or (value[4] == DENSE and len(value) != DENSE_SIZE)):
        raise RedisError(WRONGTYPE_HLL)


def dense_get(body, index: int) -> int:
    bit = index * 6
    byte, shift = bit >> 3, bit & 7
    b0 = body[byte]
    b1 = body[byte + 1] if byte + 1 < len(body) else 0
    return ((b0 >> shift) | (b1 << (8 - shift))) & 63


def dense_set(body: bytearray, index: int, value: int) -> None:
    bit = index * 6
    byte, shift = bit >> 3, bit & 7
    body[byte] = (body[byte] & ~(63 << shift) & 0xFF) | ((value << shift) & 0xFF)
    if shift > 2:
        body[byte + 1] = (body[byte + 1] & ~(63 >> (8 - shift)) & 0xFF) | (value >> (8 - shift))


def dense_registers(body) -> list[int]:
    """The 16384 register values of a dense body (3 bytes hold 4 registers)."""
    if _np is not None:
        return _dense_array(body).tolist()
    out = [0] * REGISTERS
    j = 0
    for i in range(0, DENSE_BYTES, 3):
        v = body[i] | (body[i + 1] << 8) | (body[i + 2] << 16)
        out[j] = v & 63
        out[j + 1] = (v >> 6) & 63
        out[j + 2] = (v >> 12) & 63
        out[j + 3] = v >> 18
        j += 4
    return out


def _dense_array(body):
    raw = _np.frombuffer(bytes(body[:DENSE_BYTES]), dtype=_np.uint8).reshape(-1, 3).astype(_np.uint32)
    v = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
    return _np.stack([v & 63, (v >> 6) & 63, (v >> 12) & 63, v >> 18], axis=1).reshape(-1)


def dense_body(registers) -> bytearray:
    if _np is not None:
        regs = _np.asarray(registers, dtype=_np.uint32).reshape(-1, 4)
        v = regs[:, 0] | (regs[:, 1] << 6) | (regs[:, 2] << 12) | (regs[:, 3] << 18)
        out = _np.stack([v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF], axis=1).astype(_np.uint8)
        return bytearray(out.tobytes())
    body = bytearray(DENSE_BYTES)
    j = 0
    for i in range(0, REGISTERS, 4):
        v = registers[i] | (registers[i + 1] << 6) | (registers[i + 2] << 12) | (registers[i + 3] << 18)
        body[j] = v & 0xFF
        body[j + 1] = (v >> 8) & 0xFF
        body[j + 2] = v >> 16
        j += 3
    return body


def sparse_runs(body) -> list[tuple[int, int, int]]:
    """(first register, length, value) of each non-zero run; INVALIDOBJ unless the opcodes
    cover exactly 16384 registers."""
    runs = []
    idx = 0
    i = 0
    n = len(body)
    while i < n:
        op = body[i]
        if op & 0x80:
            length = (op & 3) + 1
            runs.append((idx, length, ((op >> 2) & 0x1F) + 1))
            i += 1
        elif op & 0x40:
            if i + 1 >= n:
                raise RedisError(INVALIDOBJ)
            length = (((op & 0x3F) << 8) | body[i + 1]) + 1
            i += 2
        else:
            length = (op & 0x3F) + 1
            i += 1
        idx += length
        if idx > REGISTERS:
            raise RedisError(INVALIDOBJ)
    if idx != REGISTERS:
        raise RedisError(INVALIDOBJ)
    return runs


def sparse_encode(values: dict[int, int]) -> bytes:
    """Canonical sparse opcodes for the non-zero registers `values` (all <= 32)."""
    out = bytearray()

    def zeros(count: int) -> None:
        while count > 0:
            if count > SPARSE_ZERO_MAX_LEN:
                run = min(count, SPARSE_XZERO_MAX_LEN) - 1
                out.append(0x40 | (run >> 8))
                out.append(run & 0xFF)
                count -= run + 1
            else:
                out.append(count - 1)
                count = 0

    pos = 0
    items = sorted(values.items())
    k = 0
    while k < len(items):
        idx, value = items[k]
        zeros(idx - pos)
        length = 1
        while (k + length < len(items) and items[k + length][0] == idx + length
               and items[k + length][1] == value and length < SPARSE_VAL_MAX_LEN):
            length += 1
        out.append(0x80 | ((value - 1) << 2) | (length - 1))
        pos = idx + length
        k += length
    zeros(REGISTERS - pos)
    return bytes(out)


class HLL:
    """A decoded HLL value: dense keeps its body bytes (single-register edits in place),
    sparse its non-zero registers."""

    def __init__(self, value: bytes) -> None:
        check(value)
        self.encoding = value[4]
        self.card = bytearray(value[8:16])
        if self.encoding == DENSE:
            self.body = bytearray(value[HDR_SIZE:])
            self.sparse: dict[int, int] | None = None
        else:
            self.body = bytearray()
            self.sparse = {}
            for start, length, val in sparse_runs(value[HDR_SIZE:]):
                for r in range(start, start + length):
                    self.sparse[r] = val

    def get(self, index: int) -> int:
        if self.sparse is None:
            return dense_get(self.body, index)
        return self.sparse.get(index, 0)

    def set_max(self, index: int, count: int) -> bool:
        """Raise register index to count; True if it changed."""
        if self.sparse is None:
            if dense_get(self.body, index) >= count:
                return False
            dense_set(self.body, index, count)
            return True
        if self.sparse.get(index, 0) >= count:
            return False
        self.sparse[index] = count
        return True

    def to_dense(self) -> None:
        if self.sparse is None:
            return
        regs = [0] * REGISTERS
        for idx, val in self.sparse.items():
            regs[idx] = val
        self.body = dense_body(regs)
        self.sparse = None
        self.encoding = DENSE

    def registers(self):
        if self.sparse is None:
            return _dense_array(self.body) if _np is not None else dense_registers(self.body)
        regs = [0] * REGISTERS
        for idx, val in self.sparse.items():
            regs[idx] = val
        return _np.array(regs, dtype=_np.uint32) if _np is not None else regs

    def histogram(self) -> list[int]:
        histo = [0] * 64
        if self.sparse is None:
            if _np is not None:
                counts = _np.bincount(_dense_array(self.body), minlength=64)
                return [int(c) for c in counts[:64]]
            for val, n in Counter(dense_registers(self.body)).items():
                histo[val] += n
            return histo
        for val in self.sparse.values():
            histo[val] += 1
        histo[0] += REGISTERS - len(self.sparse)
        return histo

    def invalidate(self) -> None:
        self.card[7] |= 0x80

    def encode(self, sparse_max_bytes: int) -> bytes:
        if self.sparse is not None:
            if any(v > SPARSE_VAL_MAX_VALUE for v in self.sparse.values()):
                self.to_dense()
            else:
                body = sparse_encode(self.sparse)
                if HDR_SIZE + len(body) <= sparse_max_bytes:
                    return header(SPARSE, bytes(self.card)) + body
                self.to_dense()
        return header(DENSE, bytes(self.card)) + bytes(self.body)


# -- estimation -----------------------------------------------------------------------------
def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        z_prime = z
        z += x * y
        y += y
        if z_prime == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        z_prime = z
        y *= 0.5
        z -= math.pow(1 - x, 2) * y
        if z_prime == z:
            return z / 3


def estimate(histo: list[int]) -> int:
    m = float(REGISTERS)
    z = m * _tau((m - histo[Q + 1]) / m)
    for j in range(Q, 0, -1):
        z += histo[j]
        z *= 0.5
    z += m * _sigma(histo[0] / m)
    e = ALPHA_INF * m * m / z
    return math.floor(e + 0.5)


def _histogram_of(registers) -> list[int]:
    if _np is not None:
        counts = _np.bincount(_np.asarray(registers, dtype=_np.int64), minlength=64)
        return [int(c) for c in counts[:64]]
    histo = [0] * 64
    for val, n in Counter(registers).items():
        histo[val] += n
    return histo


# -- keys -----------------------------------------------------------------------------------
def _sparse_max_bytes(ctx) -> int:
    config = getattr(getattr(ctx, "services", None), "config", None)
    try:
        return int(config.get("hll-sparse-max-bytes", DEFAULT_SPARSE_MAX_BYTES))
    except (AttributeError, TypeError, ValueError):
        return DEFAULT_SPARSE_MAX_BYTES


def _load(ctx, key: bytes):
    """(meta, HLL) of key, (None, None) if absent; WRONGTYPE for other types or strings that
    are not HLLs."""
    meta = ctx.ks.meta(key)
    if meta is None:
        return None, None
    if meta.type != KeyType.STRING:
        raise RedisError(errors.WRONGTYPE)
    return meta, HLL(meta.value)


def _save(ctx, key: bytes, meta, value: bytes) -> None:
    ctx.ks.set_string(key, value, meta.expire_ms if meta is not None else 0, meta)


@command("pfadd", -2, "write denyoom fast", group=GROUP)
def pfadd(ctx, args):
    """Add elements to a HyperLogLog; 1 if its estimate may have changed (or it was created)."""
    key = args[0]
    ctx.ks.check_writable()
    meta, hll = _load(ctx, key)
    updated = 0
    if hll is None:
        hll = HLL(empty_sparse())
        updated = 1
    for element in args[1:]:
        index, count = pat_len(element)
        if hll.set_max(index, count):
            updated += 1
    if updated:
        hll.invalidate()
        _save(ctx, key, meta, hll.encode(_sparse_max_bytes(ctx)))
    return 1 if updated else 0


@command("pfcount", -2, "readonly may_replicate", keys=(1, -1, 1), group=GROUP)
def pfcount(ctx, args):
    """Estimated cardinality of one HyperLogLog (cached in its header), or of the union of
    several (merged on the fly)."""
    if len(args) > 1:
        merged = None
        for key in args:
            _meta, hll = _load(ctx, key)
            if hll is None:
                continue
            regs = hll.registers()
            if merged is None:
                merged = regs
            elif _np is not None:
                merged = _np.maximum(merged, regs)
            else:
                merged = list(map(max, merged, regs))
        if merged is None:
            return 0
        return estimate(_histogram_of(merged))
    key = args[0]
    meta = ctx.ks.meta(key)
    if meta is None:
        return 0
    if meta.type != KeyType.STRING:
        raise RedisError(errors.WRONGTYPE)
    check(meta.value)
    if not meta.value[15] & 0x80:  # the cached cardinality is valid
        return int.from_bytes(meta.value[8:16], "little")
    card = estimate(HLL(meta.value).histogram())
    if not ctx.ks.readonly:
        value = meta.value
        ctx.ks.set_string(key, value[:8] + card.to_bytes(8, "little") + value[HDR_SIZE:],
                          meta.expire_ms, meta)
    return card


@command("pfmerge", -2, "write denyoom", keys=(1, -1, 1), group=GROUP)
def pfmerge(ctx, args):
    """Merge HyperLogLogs into the first key (which is also a source)."""
    ctx.ks.check_writable()
    merged = None
    use_dense = False
    for key in args:
        _meta, hll = _load(ctx, key)
        if hll is None:
            continue
        if hll.encoding == DENSE:
            use_dense = True
        regs = hll.registers()
        if merged is None:
            merged = regs
        elif _np is not None:
            merged = _np.maximum(merged, regs)
        else:
            merged = list(map(max, merged, regs))
    meta, dst = _load(ctx, args[0])
    if dst is None:
        dst = HLL(empty_sparse())
    if use_dense:
        dst.to_dense()
    if merged is not None:
        if dst.sparse is None:
            dst.body = dense_body(merged)
        else:
            values = merged.tolist() if _np is not None else merged
            dst.sparse = {i: v for i, v in enumerate(values) if v}
    dst.invalidate()
    _save(ctx, args[0], meta, dst.encode(_sparse_max_bytes(ctx)))
    return OK


# -- debugging --------------------------------------------------------------------------------
def _decode_opcodes(body: bytes) -> bytes:
    """PFDEBUG DECODE's text: z:len (ZERO), Z:len (XZERO), v:value,len (VAL)."""
    parts = []
    i = 0
    while i < len(body):
        op = body[i]
        if op & 0x80:
            parts.append(b"v:%d,%d" % (((op >> 2) & 0x1F) + 1, (op & 3) + 1))
            i += 1
        elif op & 0x40:
            nxt = body[i + 1] if i + 1 < len(body) else 0
            parts.append(b"Z:%d" % ((((op & 0x3F) << 8) | nxt) + 1))
            i += 2
        else:
            parts.append(b"z:%d" % ((op & 0x3F) + 1))
            i += 1
    return b" ".join(parts)


@command("pfdebug", 3, "write denyoom admin", keys=(2, 2, 1), group=GROUP)
def pfdebug(ctx, args):
    """Internal: GETREG (converts to dense), DECODE (sparse opcodes), ENCODING, TODENSE."""
    sub, key = args[0].lower(), args[1]
    ctx.ks.check_writable()
    meta, hll = None, None
    meta = ctx.ks.meta(key)
    if meta is None:
        raise RedisError("ERR The specified key does not exist")
    if meta.type != KeyType.STRING:
        raise RedisError(errors.WRONGTYPE)
    check(meta.value)
    value = meta.value
    if sub == b"getreg":
        hll = HLL(value)
        if hll.sparse is not None:
            hll.to_dense()
            _save(ctx, key, meta, header(DENSE, bytes(hll.card)) + bytes(hll.body))
        return dense_registers(hll.body) if _np is None else [int(v) for v in _dense_array(hll.body)]
    if sub == b"decode":
        if value[4] != SPARSE:
            raise RedisError("ERR HLL encoding is not sparse")
        return _decode_opcodes(value[HDR_SIZE:])
    if sub == b"encoding":
        from mimeidb.commands.replies import Simple
        return Simple("dense" if value[4] == DENSE else "sparse")
    if sub == b"todense":
        hll = HLL(value)
        if hll.sparse is None:
            return 0
        hll.to_dense()
        _save(ctx, key, meta, header(DENSE, bytes(hll.card)) + bytes(hll.body))
        return 1
    shown = args[0].decode("utf-8", "replace")
    raise RedisError(f"ERR Unknown PFDEBUG subcommand '{shown}'")


@command("pfselftest", 1, "admin", keys=(0, 0, 0), group=GROUP)
def pfselftest(ctx, args):
    """Internal: check register packing and the estimator's error on this node."""
    import random as _random
    rng = _random.Random()
    body = bytearray(DENSE_BYTES)
    model = [0] * REGISTERS
    for _ in range(4):
        for i in range(REGISTERS):
            v = rng.randrange(64)
            model[i] = v
            dense_set(body, i, v)
        if any(dense_get(body, i) != model[i] for i in range(REGISTERS)) \
                or list(dense_registers(body)) != model:
            raise RedisError("ERR TESTFAILED Register error")
    dense = HLL(empty_sparse())
    dense.to_dense()
    sparse = HLL(empty_sparse())
    relerr = 1.04 / math.sqrt(REGISTERS)
    checkpoint = 1
    for j in range(1, 100001):
        index, count = pat_len(b"%d-%d" % (rng.getrandbits(32), j))
        dense.set_max(index, count)
        sparse.set_max(index, count)
        if j == checkpoint:
            card = estimate(dense.histogram())
            if j < 10000 and card != estimate(sparse.histogram()):
                raise RedisError("ERR TESTFAILED sparse/dense estimates differ")
            maxerr = max(relerr * 6 * j, 1) if j >= 10 else 1
            if abs(card - j) > maxerr:
                raise RedisError(f"ERR TESTFAILED Too big error. card:{card} ele:{j} error:{abs(card - j)} max error:{maxerr}")
            checkpoint *= 10
    from mimeidb.commands.replies import OK as _OK
    return _OK
