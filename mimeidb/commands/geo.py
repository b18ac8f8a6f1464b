"""GEO commands (geo.c semantics) on top of sorted sets: a member's score is the 52-bit
interleaved geohash of its point (mimeidb/store/geohash.py), so ZRANGE, ZREM... work on
geo keys and GEO commands work on any zset whose scores decode to points.

Replies as Redis shapes them: distances as bulk strings with 4 decimals, coordinates as the
decoded cell center with up to 17 decimals (bulk strings in RESP2; in RESP3 Redis sends them
as doubles with that text, here they travel as `Double`).
"""
from __future__ import annotations

from mimeidb.commands import errors
from mimeidb.commands.args import to_int, upper
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import NULL_ARRAY, Double
from mimeidb.commands.table import command
from mimeidb.commands.zsets import _score_arg, store_zset, zadd
from mimeidb.store import geohash as gh
from mimeidb.store.zset_type import ScoreRange, ZSet

GROUP = "geo"

UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}
BAD_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI"
NO_MEMBER = "ERR could not decode requested zset member"


# -- argument helpers -----------------------------------------------------------------------
def _lonlat(lon_raw: bytes, lat_raw: bytes) -> tuple[float, float]:
    lon, lat = _score_arg(lon_raw), _score_arg(lat_raw)
    if lon < gh.LON_MIN or lon > gh.LON_MAX or lat < gh.LAT_MIN or lat > gh.LAT_MAX:
        raise RedisError(f"ERR invalid longitude,latitude pair {lon:f},{lat:f}")
    return lon, lat


def _unit(raw: bytes) -> float:
    conversion = UNITS.get(raw.lower())
    if conversion is None:
        raise RedisError(BAD_UNIT)
    return conversion


def _distance_arg(raw: bytes, unit: bytes) -> tuple[float, float]:
    radius = _score_arg(raw, "ERR need numeric radius")
    if radius < 0:
        raise RedisError("ERR radius cannot be negative")
    return radius, _unit(unit)


def _box_arg(w_raw: bytes, h_raw: bytes, unit: bytes) -> tuple[float, float, float]:
    width = _score_arg(w_raw, "ERR need numeric width")
    height = _score_arg(h_raw, "ERR need numeric height")
    if height < 0 or width < 0:
        raise RedisError("ERR height or width cannot be negative")
    return width, height, _unit(unit)


def format_distance(value: float) -> bytes:
    """fixedpoint 4 decimals: llrint(value * 10000) printed as an integer with 4 decimals."""
    if value == 0:
        return b"0.0000"
    scaled = round(value * 10000.0)
    sign = b"-" if scaled < 0 else b""
    scaled = abs(scaled)
    return sign + b"%d.%04d" % (scaled // 10000, scaled % 10000)


def format_coord(value: float) -> bytes:
    """'%.17Lf' of the double, trailing zeros (and a bare '.') dropped, '-0' as '0'."""
    text = b"%.17f" % value
    if b"." in text:
        text = text.rstrip(b"0").rstrip(b".")
    if text == b"-0":
        text = b"0"
    return text


def _coord(ctx, value: float):
    if ctx.protocol >= 3:
        return Double(value)
    return format_coord(value)


def _member_point(zs: ZSet, member: bytes) -> tuple[float, float] | None:
    score = zs.score(member)
    return None if score is None else gh.decode_score(score)


# -- GEOADD and point queries ---------------------------------------------------------------
@command("geoadd", -5, "write denyoom", group=GROUP)
def geoadd(ctx, args):
    """Add members at longitude/latitude points (NX XX CH), as ZADD with geohash scores."""
    flags: set[bytes] = set()
    i = 1
    while i < len(args) and upper(args[i]) in (b"NX", b"XX", b"CH"):
        flags.add(upper(args[i]))
        i += 1
    rest = args[i:]
    if len(rest) % 3 or {b"NX", b"XX"} <= flags:
        raise RedisError(errors.SYNTAX)
    zadd_args = [args[0], *args[1:i]]
    for j in range(0, len(rest), 3):
        lon, lat = _lonlat(rest[j], rest[j + 1])
        zadd_args += [b"%d" % gh.score_of(lon, lat), rest[j + 2]]
    return zadd(ctx, zadd_args)  # as Redis's geoaddCommand: ZADD with geohash scores


@command("geopos", -2, "readonly", group=GROUP)
def geopos(ctx, args):
    """Longitude and latitude of members (nil for the missing)."""
    zs = ZSet.read(ctx.ks, args[0])
    out: list = []
    for member in args[1:]:
        point = _member_point(zs, member) if zs is not None else None
        if point is None:
            out.append(NULL_ARRAY)
        else:
            out.append([_coord(ctx, point[0]), _coord(ctx, point[1])])
    return out


@command("geohash", -2, "readonly", group=GROUP)
def geohash(ctx, args):
    """Members' positions as 11-character geohash strings."""
    zs = ZSet.read(ctx.ks, args[0])
    out: list = []
    for member in args[1:]:
        score = zs.score(member) if zs is not None else None
        out.append(None if score is None else gh.geohash_string(score))
    return out


@command("geodist", -4, "readonly", group=GROUP)
def geodist(ctx, args):
    """Distance between two members (m, km, ft or mi), 4 decimals."""
    conversion = 1.0
    if len(args) == 4:
        conversion = _unit(args[3])
    elif len(args) > 4:
        raise RedisError(errors.SYNTAX)
    zs = ZSet.read(ctx.ks, args[0])
    if zs is None:
        return None
    s1, s2 = zs.score(args[1]), zs.score(args[2])
    if s1 is None or s2 is None:
        return None
    (lon1, lat1), (lon2, lat2) = gh.decode_score(s1), gh.decode_score(s2)
    return format_distance(gh.distance(lon1, lat1, lon2, lat2) / conversion)


# -- searches -------------------------------------------------------------------------------
COORDS, MEMBER, SEARCH = "coords", "member", "search"


def _points_in(zs: ZSet, shape: gh.Shape, limit: int) -> list[tuple[bytes, float, float, float, float]]:
    """(member, score, lon, lat, dist_m) of members inside the shape, box by box."""
    found: list[tuple[bytes, float, float, float, float]] = []
    for low, high in gh.search_boxes(shape):
        if found and limit and len(found) >= limit:
            break
        rng = ScoreRange.of(float(low), False, float(high), True)
        if rng is None:
            continue
        for member, score in zs.by_score(rng):
            lon, lat = gh.decode_score(score)
            dist = shape.contains(lon, lat)
            if dist is not None:
                found.append((member, score, lon, lat, dist))
            if found and limit and len(found) >= limit:
                break
    return found


def _search(ctx, args: list[bytes], kind: str, name: str, *, nostore: bool = False,
            store_dst: bytes | None = None):
    """georadiusGeneric: args start at the source key."""
    key = args[0]
    zs = ZSet.read(ctx.ks, key)
    shape = gh.Shape()
    storekey = store_dst
    is_search = kind == SEARCH
    if kind == COORDS:
        base = 5
        shape.lon, shape.lat = _lonlat(args[1], args[2])
        shape.radius, shape.conversion = _distance_arg(args[3], args[4])
    elif kind == MEMBER:
        base = 4
        if zs is not None:
            point = _member_point(zs, args[1])
            if point is None:
                raise RedisError(NO_MEMBER)
            shape.lon, shape.lat = point
            shape.radius, shape.conversion = _distance_arg(args[2], args[3])
    else:
        base = 1
    withdist = withhash = withcoord = any_ = False
    frommember = fromloc = byradius = bybox = False
    sort = None
    count = 0
    storedist = False
    opts = args[base:]
    n = len(opts)
    i = 0
    while i < n:
        arg = opts[i].lower()
        left = n - i - 1
        if arg == b"withdist":
            withdist = True
        elif arg == b"withhash":
            withhash = True
        elif arg == b"withcoord":
            withcoord = True
        elif arg == b"any":
            any_ = True
        elif arg == b"asc":
            sort = "asc"
        elif arg == b"desc":
            sort = "desc"
        elif arg == b"count" and left >= 1:
            count = to_int(opts[i + 1])
            if count <= 0:
                raise RedisError("ERR COUNT must be > 0")
            i += 1
        elif arg in (b"store", b"storedist") and left >= 1 and not nostore and not is_search:
            storekey = opts[i + 1]
            storedist = arg == b"storedist"
            i += 1
        elif arg == b"storedist" and is_search and store_dst is not None:
            storedist = True
        elif arg == b"frommember" and left >= 1 and is_search and not fromloc:
            if zs is not None:
                point = _member_point(zs, opts[i + 1])
                if point is None:
                    raise RedisError(NO_MEMBER)
                shape.lon, shape.lat = point
            frommember = True
            i += 1
        elif arg == b"fromlonlat" and left >= 2 and is_search and not frommember:
            shape.lon, shape.lat = _lonlat(opts[i + 1], opts[i + 2])
            fromloc = True
            i += 2
        elif arg == b"byradius" and left >= 2 and is_search and not bybox:
            shape.radius, shape.conversion = _distance_arg(opts[i + 1], opts[i + 2])
            byradius = True
            i += 2
        elif arg == b"bybox" and left >= 3 and is_search and not byradius:
            shape.width, shape.height, shape.conversion = _box_arg(opts[i + 1], opts[i + 2],
                                                                   opts[i + 3])
            shape.radius = None
            bybox = True
            i += 3
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    if storekey is not None and (withdist or withhash or withcoord):
        what = "GEOSEARCHSTORE" if store_dst is not None else "STORE option in GEORADIUS"
        raise RedisError(f"ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
    if is_search and not (frommember or fromloc):
        raise RedisError(f"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}")
    if is_search and not (byradius or bybox):
        raise RedisError(f"ERR exactly one of BYRADIUS and BYBOX can be specified for {name}")
    if any_ and not count:
        raise RedisError("ERR the ANY argument requires COUNT argument")
    if storekey is not None:
        ctx.ks.check_writable()
    if zs is None:
        if storekey is not None:
            ctx.ks.delete(storekey)
            return 0
        return []
    if count and sort is None and not any_:
        sort = "asc"
    found = _points_in(zs, shape, count if any_ else 0)
    if sort == "asc":
        found.sort(key=lambda p: p[4])
    elif sort == "desc":
        found.sort(key=lambda p: p[4], reverse=True)
    if count:
        found = found[:count]
    conversion = shape.conversion
    if storekey is not None:
        items = [(member, (dist / conversion) if storedist else score)
                 for member, score, _lon, _lat, dist in found]
        return store_zset(ctx.ks, storekey, items)
    out: list = []
    extras = withdist or withhash or withcoord
    for member, score, lon, lat, dist in found:
        if not extras:
            out.append(member)
            continue
        row: list = [member]
        if withdist:
            row.append(format_distance(dist / conversion))
        if withhash:
            row.append(int(score))
        if withcoord:
            row.append([_coord(ctx, lon), _coord(ctx, lat)])
        out.append(row)
    return out


def _store_keys(base: int):
    """Key finder of GEORADIUS[BYMEMBER]: the source, then a STORE/STOREDIST destination."""
    def find(argv: list[bytes]) -> list[bytes]:
        keys = argv[1:2]
        for j in range(base, len(argv) - 1):
            if argv[j].lower() in (b"store", b"storedist"):
                keys.append(argv[j + 1])
                break
        return keys
    return find


@command("georadius", -6, "write denyoom movablekeys", keys=(1, 1, 1), group=GROUP,
         getkeys=_store_keys(6))
def georadius(ctx, args):
    """Members within a radius of a point (deprecated by GEOSEARCH), STORE/STOREDIST."""
    return _search(ctx, args, COORDS, "georadius")


@command("georadiusbymember", -5, "write denyoom movablekeys", keys=(1, 1, 1), group=GROUP,
         getkeys=_store_keys(5))
def georadiusbymember(ctx, args):
    """Members within a radius of a member (deprecated by GEOSEARCH), STORE/STOREDIST."""
    return _search(ctx, args, MEMBER, "georadiusbymember")


@command("georadius_ro", -6, "readonly", group=GROUP)
def georadius_ro(ctx, args):
    """Read-only GEORADIUS."""
    return _search(ctx, args, COORDS, "georadius_ro", nostore=True)


@command("georadiusbymember_ro", -5, "readonly", group=GROUP)
def georadiusbymember_ro(ctx, args):
    """Read-only GEORADIUSBYMEMBER."""
    return _search(ctx, args, MEMBER, "georadiusbymember_ro", nostore=True)


@command("geosearch", -7, "readonly", group=GROUP)
def geosearch(ctx, args):
    """Members inside a circle or box around a member or a point."""
    return _search(ctx, args, SEARCH, "geosearch")


@command("geosearchstore", -8, "write denyoom", keys=(1, 2, 1), group=GROUP)
def geosearchstore(ctx, args):
    """GEOSEARCH, stored as a zset (STOREDIST stores distances as scores)."""
    return _search(ctx, args[1:], SEARCH, "geosearchstore", store_dst=args[0])
