"""Geohash arithmetic as Redis's GEO commands use it (geohash.c, geohash_helper.c semantics).

A point is a 52-bit integer: latitude and longitude each quantized to 26 bits over the
Mercator-safe range (lat +-85.05112878, lon +-180) and interleaved, latitude on the even
bits and longitude on the odd ones. That integer, as a double, is the sorted-set score of a
geo member, so every ZSET command works on geo keys. Expressions keep Redis's order of
floating-point operations so that decoded coordinates and distances are bit-identical.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

STEP_MAX = 26
LAT_MIN, LAT_MAX = -85.05112878, 85.05112878
LON_MIN, LON_MAX = -180.0, 180.0
EARTH_RADIUS = 6372797.560856
MERCATOR_MAX = 20037726.37
D_R = math.pi / 180.0
_MASK64 = (1 << 64) - 1
_EVEN = 0x5555555555555555
_ODD = 0xAAAAAAAAAAAAAAAA
BASE32 = b"0123456789bcdefghjkmnpqrstuvwxyz"


def _spread(v: int) -> int:
    """The 32 low bits of v onto the even bits of a 64-bit word."""
    v &= 0xFFFFFFFF
    v = (v | (v << 16)) & 0x0000FFFF0000FFFF
    v = (v | (v << 8)) & 0x00FF00FF00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0F
    v = (v | (v << 2)) & 0x3333333333333333
    v = (v | (v << 1)) & 0x5555555555555555
    return v


def _squash(v: int) -> int:
    """The even bits of a 64-bit word packed into 32 bits (inverse of _spread)."""
    v &= 0x5555555555555555
    v = (v | (v >> 1)) & 0x3333333333333333
    v = (v | (v >> 2)) & 0x0F0F0F0F0F0F0F0F
    v = (v | (v >> 4)) & 0x00FF00FF00FF00FF
    v = (v | (v >> 8)) & 0x0000FFFF0000FFFF
    v = (v | (v >> 16)) & 0x00000000FFFFFFFF
    return v


def interleave(x: int, y: int) -> int:
    """x on the even bits, y on the odd bits."""
    return _spread(x) | (_spread(y) << 1)


@dataclass(slots=True, frozen=True)
class Area:
    lon_min: float
    lon_max: float
    lat_min: float
    lat_max: float


def _to_u32(value: float) -> int:
    """C's double -> uint32_t conversion for the values that occur here (truncation)."""
    return int(value) & 0xFFFFFFFF


def encode(lon: float, lat: float, step: int = STEP_MAX,
           lon_range: tuple[float, float] = (LON_MIN, LON_MAX),
           lat_range: tuple[float, float] = (LAT_MIN, LAT_MAX)) -> int | None:
    """The step*2-bit hash of a point, None outside the ranges."""
    if lon > LON_MAX or lon < LON_MIN or lat > LAT_MAX or lat < LAT_MIN:
        return None
    if lat < lat_range[0] or lat > lat_range[1] or lon < lon_range[0] or lon > lon_range[1]:
        return None
    lat_off = (lat - lat_range[0]) / (lat_range[1] - lat_range[0])
    lon_off = (lon - lon_range[0]) / (lon_range[1] - lon_range[0])
    lat_off *= float(1 << step)
    lon_off *= float(1 << step)
    return interleave(_to_u32(lat_off), _to_u32(lon_off))


def decode(bits: int, step: int = STEP_MAX) -> Area:
    """The cell a hash names."""
    ilat = _squash(bits)
    ilon = _squash(bits >> 1)
    lat_scale = LAT_MAX - LAT_MIN
    lon_scale = LON_MAX - LON_MIN
    div = float(1 << step)
    return Area(LON_MIN + (ilon * 1.0 / div) * lon_scale,
                LON_MIN + ((ilon + 1) * 1.0 / div) * lon_scale,
                LAT_MIN + (ilat * 1.0 / div) * lat_scale,
                LAT_MIN + ((ilat + 1) * 1.0 / div) * lat_scale)


def center(area: Area) -> tuple[float, float]:
    lon = (area.lon_min + area.lon_max) / 2
    lon = min(max(lon, LON_MIN), LON_MAX)
    lat = (area.lat_min + area.lat_max) / 2
    lat = min(max(lat, LAT_MIN), LAT_MAX)
    return lon, lat


def score_bits(score: float) -> int:
    """(uint64_t)score as x86-64 compilers convert it: below 2**63 a signed truncation
    (negatives wrap; out of range gives 2**63), above it the high half is shifted in, and
    what overflows even that (inf, nan, >= 2**64) comes out as 0."""
    two63 = 9223372036854775808.0
    if score < two63:
        if math.isnan(score) or score < -two63 or math.isinf(score):
            return 1 << 63
        return int(score) & _MASK64
    rest = score - two63
    if math.isnan(rest) or rest >= two63:
        return 0
    return int(rest) ^ (1 << 63)


def decode_score(score: float) -> tuple[float, float]:
    """(lon, lat) of the center of the 52-bit cell a geo score names."""
    return center(decode(score_bits(score), STEP_MAX))


def score_of(lon: float, lat: float) -> int:
    """The 52-bit score of a valid point."""
    bits = encode(lon, lat, STEP_MAX)
    return 0 if bits is None else bits


def geohash_string(score: float) -> bytes:
    """The 11-character standard geohash (lat range +-90) of a geo score, as GEOHASH prints it."""
    lon, lat = decode_score(score)
    bits = encode(lon, lat, STEP_MAX, (-180.0, 180.0), (-90.0, 90.0)) or 0
    out = bytearray()
    for i in range(11):
        idx = 0 if i == 10 else (bits >> (52 - (i + 1) * 5)) & 0x1F
        out.append(BASE32[idx])
    return bytes(out)


# -- distances ------------------------------------------------------------------------------
def deg_rad(ang: float) -> float:
    return ang * D_R


def rad_deg(ang: float) -> float:
    return ang / D_R


def lat_distance(lat1: float, lat2: float) -> float:
    return EARTH_RADIUS * abs(deg_rad(lat2) - deg_rad(lat1))


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance in meters."""
    lon1r = deg_rad(lon1)
    lon2r = deg_rad(lon2)
    v = math.sin((lon2r - lon1r) / 2)
    if v == 0.0:
        return lat_distance(lat1, lat2)
    lat1r = deg_rad(lat1)
    lat2r = deg_rad(lat2)
    u = math.sin((lat2r - lat1r) / 2)
    a = u * u + math.cos(lat1r) * math.cos(lat2r) * v * v
    return 2.0 * EARTH_RADIUS * math.asin(math.sqrt(a))


# -- search areas ---------------------------------------------------------------------------
@dataclass(slots=True)
class Shape:
    """A search: center (lon, lat), a radius or a width/height box (in `unit`s), and the unit's
    size in meters."""

    lon: float = 0.0
    lat: float = 0.0
    radius: float | None = None
    width: float = 0.0
    height: float = 0.0
    conversion: float = 1.0

    def contains(self, lon: float, lat: float) -> float | None:
        """The distance in meters from the center if the point is inside, else None."""
        if self.radius is not None:
            d = distance(self.lon, self.lat, lon, lat)
            return None if d > self.radius * self.conversion else d
        width_m = self.width * self.conversion
        height_m = self.height * self.conversion
        if lat_distance(lat, self.lat) > height_m / 2:
            return None
        if distance(lon, lat, self.lon, lat) > width_m / 2:
            return None
        return distance(self.lon, self.lat, lon, lat)

    def bounds(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of the box around the shape."""
        if self.radius is not None:
            height = width = self.conversion * self.radius
        else:
            height = self.conversion * (self.height / 2)
            width = self.conversion * (self.width / 2)
        lat_delta = rad_deg(height / EARTH_RADIUS)
        top = rad_deg(width / EARTH_RADIUS / math.cos(deg_rad(self.lat + lat_delta)))
        bottom = rad_deg(width / EARTH_RADIUS / math.cos(deg_rad(self.lat - lat_delta)))
        south = self.lat < 0
        delta = bottom if south else top
        return self.lon - delta, self.lat - lat_delta, self.lon + delta, self.lat + lat_delta

    def radius_meters(self) -> float:
        if self.radius is not None:
            r = self.radius
        else:
            r = math.sqrt((self.width / 2) * (self.width / 2) + (self.height / 2) * (self.height / 2))
        return r * self.conversion


def estimate_steps(range_m: float, lat: float) -> int:
    if range_m == 0:
        return 26
    step = 1
    while range_m < MERCATOR_MAX:
        range_m *= 2
        step += 1
    step -= 2
    if lat > 66 or lat < -66:
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    return max(1, min(step, 26))


def _move_x(bits: int, step: int, d: int) -> int:
    x = bits & _ODD
    y = bits & _EVEN
    zz = _EVEN >> (64 - step * 2)
    if d > 0:
        x = (x + (zz + 1)) & _MASK64
    else:
        x = ((x | zz) - (zz + 1)) & _MASK64
    x &= _ODD >> (64 - step * 2)
    return x | y


def _move_y(bits: int, step: int, d: int) -> int:
    x = bits & _ODD
    y = bits & _EVEN
    zz = _ODD >> (64 - step * 2)
    if d > 0:
        y = (y + (zz + 1)) & _MASK64
    else:
        y = ((y | zz) - (zz + 1)) & _MASK64
    y &= _EVEN >> (64 - step * 2)
    return x | y


def _neighbors(bits: int, step: int) -> dict[str, int]:
    def mv(dx: int, dy: int) -> int:
        b = bits
        if dx:
            b = _move_x(b, step, dx)
        if dy:
            b = _move_y(b, step, dy)
        return b
    return {"n": mv(0, 1), "s": mv(0, -1), "e": mv(1, 0), "w": mv(-1, 0),
            "ne": mv(1, 1), "nw": mv(-1, 1), "se": mv(1, -1), "sw": mv(-1, -1)}


def search_boxes(shape: Shape) -> list[tuple[int, int]]:
    """The score ranges [min, max) to scan for a search, in Redis's order (center, N, S, E, W,
    NE, NW, SE, SW), without boxes that cannot hold a match or repeat the previous one."""
    min_lon, min_lat, max_lon, max_lat = shape.bounds()
    steps = estimate_steps(shape.radius_meters(), shape.lat)
    bits = encode(shape.lon, shape.lat, steps) or 0
    nb = _neighbors(bits, steps)
    decrease = False
    if decode(nb["n"], steps).lat_max < max_lat:
        decrease = True
    if decode(nb["s"], steps).lat_min > min_lat:
        decrease = True
    if decode(nb["e"], steps).lon_max < max_lon:
        decrease = True
    if decode(nb["w"], steps).lon_min > min_lon:
        decrease = True
    if steps > 1 and decrease:
        steps -= 1
        bits = encode(shape.lon, shape.lat, steps) or 0
        nb = _neighbors(bits, steps)
    area = decode(bits, steps)
    cells: list[int | None] = [bits, nb["n"], nb["s"], nb["e"], nb["w"],
                               nb["ne"], nb["nw"], nb["se"], nb["sw"]]
    if steps >= 2:
        zero = set()
        if area.lat_min < min_lat:
            zero |= {2, 8, 7}
        if area.lat_max > max_lat:
            zero |= {1, 5, 6}
        if area.lon_min < min_lon:
            zero |= {4, 8, 6}
        if area.lon_max > max_lon:
            zero |= {3, 7, 5}
        for i in zero:
            cells[i] = None
    out: list[tuple[int, int]] = []
    last = 0
    shift = 52 - steps * 2
    for i, cell in enumerate(cells):
        # a zeroed neighbour is skipped (Redis's HASHISZERO: bits 0 and step 0)
        if cell is None:
            continue
        if last and cell == cells[last]:
            continue
        out.append((cell << shift, ((cell + 1) << shift)))
        last = i
    return out
