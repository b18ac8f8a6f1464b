"""GEO commands through dispatch.execute on a real keyspace, and (when /usr/bin/redis-server
exists) byte-exact RESP2 replies compared with a real Redis."""
from __future__ import annotations

import random

from mimeidb.commands import geo
from mimeidb.commands.replies import NULL_ARRAY
from mimeidb.store import geohash as gh
from tests.cmdkit import resp2

SYNTAX = "ERR syntax error"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def test_geoadd_scores_are_redis_geohashes(r):
    assert r("GEOADD", "Sicily", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania") == 2
    # the scores Redis stores for the documented example
    assert r("ZSCORE", "Sicily", "Palermo") == 3479099956230698.0
    assert r("ZSCORE", "Sicily", "Catania") == 3479447370796909.0
    assert r("GEODIST", "Sicily", "Palermo", "Catania") == b"166274.1516"
    assert r("GEODIST", "Sicily", "Palermo", "Catania", "km") == b"166.2742"
    assert r("GEODIST", "Sicily", "Palermo", "Catania", "mi") == b"103.3182"
    assert r("GEODIST", "Sicily", "Palermo", "Catania", "yards") == geo.BAD_UNIT
    assert r("GEODIST", "Sicily", "Palermo", "nope") is None
    assert r("GEOHASH", "Sicily", "Palermo", "Catania", "nope") == [b"sqc8b49rny0", b"sqdtr74hyu0", None]
    assert r("GEOPOS", "Sicily", "Palermo")[0] == [b"13.36138933897018433", b"38.11555639549629859"]
    assert r("GEORADIUS", "Sicily", 15, 37, 200, "km", "WITHDIST", "ASC") == [
        [b"Catania", b"56.4413"], [b"Palermo", b"190.4424"]]
    assert r("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 400, 400, "km", "ASC",
             "WITHCOORD", "WITHDIST", "WITHHASH") == [
        [b"Catania", b"56.4413", 3479447370796909,
         [b"15.08726745843887329", b"37.50266842333162032"]],
        [b"Palermo", b"190.4424", 3479099956230698,
         [b"13.36138933897018433", b"38.11555639549629859"]]]


def test_geoadd_options_and_errors(r):
    assert r("GEOADD", "g", 10, 10, "a") == 1
    assert r("GEOADD", "g", "NX", 20, 20, "a", 5, 5, "b") == 1
    assert r("GEOADD", "g", "XX", "CH", 20, 20, "a", 5, 5, "c") == 1
    assert r("ZCARD", "g") == 2
    assert r("GEOADD", "g", "NX", "XX", 1, 1, "a") == SYNTAX
    assert r("GEOADD", "g", 1, 1) == "ERR wrong number of arguments for 'geoadd' command"
    assert r("GEOADD", "g", 1, 1, "a", 2) == SYNTAX
    assert r("GEOADD", "g", 200, 100, "a") == "ERR invalid longitude,latitude pair 200.000000,100.000000"
    assert r("GEOADD", "g", "x", 1, "a") == "ERR value is not a valid float"
    r("SET", "s", "v")
    assert r("GEOADD", "s", 1, 1, "a") == WRONGTYPE
    assert r("GEOPOS", "s", "a") == WRONGTYPE
    assert r("GEOPOS", "nokey", "a", "b") == [NULL_ARRAY, NULL_ARRAY]


def test_search_errors(r):
    r("GEOADD", "g", 10, 10, "a")
    assert r("GEOSEARCH", "g", "BYRADIUS", 10, "km", "ASC", "WITHDIST") == \
        "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch"
    assert r("GEOSEARCH", "g", "FROMMEMBER", "a", "WITHDIST", "ASC", "WITHHASH") == \
        "ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch"
    assert r("GEOSEARCH", "g", "FROMMEMBER", "a", "BYRADIUS", 1, "km", "ANY") == \
        "ERR the ANY argument requires COUNT argument"
    assert r("GEOSEARCH", "g", "FROMMEMBER", "zz", "BYRADIUS", 1, "km") == geo.NO_MEMBER
    assert r("GEORADIUS", "g", 10, 10, 1, "km", "COUNT", 0) == "ERR COUNT must be > 0"
    assert r("GEORADIUS", "g", 10, 10, -1, "km") == "ERR radius cannot be negative"
    assert r("GEORADIUS", "g", 10, 10, 1, "km", "STORE", "x", "WITHDIST") == \
        "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
    assert r("GEORADIUS_RO", "g", 10, 10, 1, "km", "STORE", "x") == SYNTAX
    assert r("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "a", "BYRADIUS", 1, "km", "STORE", "x") == SYNTAX


def test_store_variants(r):
    r("GEOADD", "g", 10, 10, "a", 10.001, 10.001, "b", 50, 50, "far")
    assert r("GEORADIUS", "g", 10, 10, 10, "km", "STORE", "d") == 2
    assert r("ZRANGE", "d", 0, -1) == [b"a", b"b"]
    assert r("GEORADIUSBYMEMBER", "g", "a", 10, "km", "STOREDIST", "d2") == 2
    assert r("ZRANGE", "d2", 0, -1, "WITHSCORES")[0:2] == [b"a", 0.0]
    assert r("GEOSEARCHSTORE", "d3", "g", "FROMLONLAT", 10, 10, "BYBOX", 1, 1, "km") == 2
    assert r("GEOSEARCHSTORE", "d3", "g", "FROMLONLAT", 0, 0, "BYBOX", 1, 1, "km") == 0
    assert r("EXISTS", "d3") == 0
    assert r("GEOSEARCHSTORE", "d2", "nokey", "FROMLONLAT", 0, 0, "BYBOX", 1, 1, "km") == 0
    assert r("EXISTS", "d2") == 0


def test_geohash_roundtrip_matches_cell_center():
    rng = random.Random(5)
    for _ in range(500):
        lon, lat = rng.uniform(-180, 180), rng.uniform(-85.05, 85.05)
        score = gh.score_of(lon, lat)
        dlon, dlat = gh.decode_score(float(score))
        assert abs(dlon - lon) < 1e-5 and abs(dlat - lat) < 1e-5
        assert gh.score_of(dlon, dlat) == score


def test_search_matches_brute_force(r):
    """Every member within the radius is found, none outside (the box cover is complete)."""
    rng = random.Random(7)
    pts = []
    for i in range(300):
        lon, lat = rng.uniform(-20, 20), rng.uniform(-20, 20)
        pts.append((f"m{i}", lon, lat))
        r("GEOADD", "g", lon, lat, f"m{i}")
    for _ in range(40):
        clon, clat = rng.uniform(-20, 20), rng.uniform(-20, 20)
        radius = rng.choice([50, 300, 1000, 3000])
        got = sorted(m.decode() for m in r("GEOSEARCH", "g", "FROMLONLAT", clon, clat,
                                           "BYRADIUS", radius, "km"))
        want = []
        for name, _lon, _lat in pts:
            dlon, dlat = gh.decode_score(float(gh.score_of(_lon, _lat)))
            if gh.distance(clon, clat, dlon, dlat) <= radius * 1000:
                want.append(name)
        assert got == sorted(want)


# -- against a real Redis -----------------------------------------------------------------------
def _compare(redis_server, r, script):
    redis_server.call(b"FLUSHALL")
    for argv in script:
        words = [a if isinstance(a, bytes) else str(a).encode() for a in argv]
        theirs = redis_server.call(*words)
        ours = resp2(r(*words))
        assert ours == theirs, (argv, ours, theirs)


SCRIPT = [
    ("GEOADD", "Sicily", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"),
    ("GEOADD", "Sicily", "CH", "NX", 13.361389, 38.115556, "Palermo", 12, 37, "Agrigento"),
    ("GEOADD", "Sicily", "CH", "XX", 13.5, 38.115556, "Palermo", 12, 37, "Nope"),
    ("GEOADD", "Sicily", "NX", "XX", 13.5, 38, "a"), ("GEOADD", "Sicily", 13.5, 38),
    ("GEOADD", "Sicily", 200, 38, "a"), ("GEOADD", "Sicily", 13, 86, "a"), ("GEOADD", "Sicily", "x", 1, "a"),
    ("GEOADD", "Sicily", "-180", "-85.05112878", "corner"), ("GEOADD", "Sicily", "180", "85.05112878", "corner2"),
    ("ZRANGE", "Sicily", 0, -1, "WITHSCORES"),
    ("GEOPOS", "Sicily", "Palermo", "Catania", "nope", "corner", "corner2"), ("GEOPOS", "nokey", "a"),
    ("GEOHASH", "Sicily", "Palermo", "Catania", "nope", "corner", "corner2"), ("GEOHASH", "nokey", "a"),
    ("GEODIST", "Sicily", "Palermo", "Catania"), ("GEODIST", "Sicily", "Palermo", "Catania", "KM"),
    ("GEODIST", "Sicily", "Palermo", "Catania", "ft"), ("GEODIST", "Sicily", "Palermo", "Catania", "mi"),
    ("GEODIST", "Sicily", "Palermo", "Catania", "yd"), ("GEODIST", "Sicily", "Palermo", "Catania", "km", "x"),
    ("GEODIST", "Sicily", "Palermo", "Palermo"), ("GEODIST", "nokey", "a", "b"),
    ("GEODIST", "Sicily", "Palermo", "nope"), ("GEODIST", "Sicily", "corner", "corner2"),
    ("GEORADIUS", "Sicily", 15, 37, 200, "km"), ("GEORADIUS", "Sicily", 15, 37, 200, "km", "ASC"),
    ("GEORADIUS", "Sicily", 15, 37, 200, "km", "DESC", "WITHDIST", "WITHCOORD", "WITHHASH"),
    ("GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", 1), ("GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", 1, "DESC"),
    ("GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", 5, "ANY"), ("GEORADIUS", "Sicily", 15, 37, 200, "km", "ANY"),
    ("GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", 0), ("GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", "x"),
    ("GEORADIUS", "Sicily", 15, 37, "x", "km"), ("GEORADIUS", "Sicily", 15, 37, -5, "km"),
    ("GEORADIUS", "Sicily", 15, 37, 5, "yd"), ("GEORADIUS", "Sicily", 15, 37, 200, "km", "foo"),
    ("GEORADIUS", "Sicily", 15, 37, 200, "km", "STORE", "dst"), ("ZRANGE", "dst", 0, -1, "WITHSCORES"),
    ("GEORADIUS", "Sicily", 15, 37, 200, "km", "STOREDIST", "dst"), ("ZRANGE", "dst", 0, -1),
    ("GEORADIUS", "Sicily", 15, 37, 200, "km", "STORE", "dst", "WITHDIST"),
    ("GEORADIUS", "Sicily", 0, 0, 1, "km", "STORE", "dst"), ("EXISTS", "dst"),
    ("GEORADIUS", "nokey", 0, 0, 1, "km"), ("GEORADIUS", "nokey", 0, 0, 1, "km", "STORE", "Sicily2"),
    ("GEORADIUS_RO", "Sicily", 15, 37, 200, "km", "WITHDIST"), ("GEORADIUS_RO", "Sicily", 15, 37, 200, "km", "STORE", "x"),
    ("GEORADIUSBYMEMBER", "Sicily", "Palermo", 200, "km", "WITHDIST", "ASC"),
    ("GEORADIUSBYMEMBER", "Sicily", "nope", 200, "km"), ("GEORADIUSBYMEMBER", "nokey", "nope", 200, "km"),
    ("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", 500, "km", "ASC", "WITHCOORD"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "ASC", "WITHDIST"),
    ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", 400, 400, "km", "ASC", "WITHDIST", "WITHCOORD"),
    ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", 400, 400, "km", "DESC", "COUNT", 2),
    ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", 1, 1, "BYBOX", 4, 4, "km"),
    ("GEOSEARCH", "Sicily", "BYRADIUS", 1, "km", "BYBOX", 4, 4, "km", "FROMLONLAT", 1, 1),
    ("GEOSEARCH", "Sicily", "BYRADIUS", 1, "km"), ("GEOSEARCH", "Sicily", "FROMLONLAT", 1, 1),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", 1, 1, "BYBOX", -1, 1, "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", 1, 1, "BYBOX", "w", 1, "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", 1, 1, "BYBOX", 1, "h", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", 1, 1, "BYRADIUS", 1, "km", "STORE", "x"),
    ("GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", 1, "km"),
    ("GEOSEARCH", "nokey", "FROMMEMBER", "nope", "BYRADIUS", 1, "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "COUNT", 1, "ANY"),
    ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "STOREDIST"),
    ("ZRANGE", "dst", 0, -1),
    ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "WITHDIST"),
    ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "COUNT", 1),
    ("ZRANGE", "dst", 0, -1, "WITHSCORES"),
    ("SET", "str", "x"), ("GEOADD", "str", 1, 1, "a"), ("GEOPOS", "str", "a"), ("GEOHASH", "str", "a"),
    ("GEODIST", "str", "a", "b"), ("GEORADIUS", "str", 1, 1, 1, "km"), ("GEOSEARCH", "str", "FROMLONLAT", 1, 1, "BYRADIUS", 1, "km"),
    ("ZADD", "z", -5, "neg", "inf", "big", 1e20, "huge"), ("GEOPOS", "z", "neg", "big", "huge"),
    ("GEOHASH", "z", "neg", "huge"),
]


def test_replies_match_real_redis(redis_server, r):
    _compare(redis_server, r, SCRIPT)


def test_random_searches_match_real_redis(redis_server, r):
    """Random points and searches (sorted, so qsort's order of ties cannot differ)."""
    rng = random.Random(3)
    redis_server.call(b"FLUSHALL")
    script = []
    for i in range(200):
        script.append(("GEOADD", "pts", round(rng.uniform(-30, 30), 6), round(rng.uniform(-40, 40), 6), f"p{i}"))
    script.append(("GEOADD", "pts", 179.9, 85.0, "pole1", -179.9, 85.0, "pole2", 0, -85, "pole3"))
    for _ in range(60):
        lon, lat = round(rng.uniform(-35, 35), 4), round(rng.uniform(-45, 45), 4)
        unit = rng.choice(["m", "km", "mi", "ft"])
        size = {"m": 900000, "km": 900, "mi": 500, "ft": 2000000}[unit] * rng.random()
        order = rng.choice(["ASC", "DESC"])
        script.append(("GEOSEARCH", "pts", "FROMLONLAT", lon, lat, "BYRADIUS", round(size, 3), unit,
                       order, "WITHDIST", "WITHCOORD", "WITHHASH"))
        script.append(("GEOSEARCH", "pts", "FROMMEMBER", f"p{rng.randrange(200)}", "BYBOX",
                       round(size, 3), round(size * rng.uniform(0.2, 3), 3), unit, order, "WITHDIST"))
        script.append(("GEORADIUS", "pts", lon, lat, round(size, 3), unit, "COUNT", rng.randint(1, 5), order))
    for lon, lat in [(179.5, 84.9), (-179.9, -84), (0, 0), (90, 80)]:
        script.append(("GEOSEARCH", "pts", "FROMLONLAT", lon, lat, "BYRADIUS", 5000, "km", "ASC"))
        script.append(("GEOSEARCH", "pts", "FROMLONLAT", lon, lat, "BYBOX", 8000, 3000, "km", "ASC"))
    script += [("GEOHASH", "pts", *[f"p{i}" for i in range(50)]), ("GEOPOS", "pts", *[f"p{i}" for i in range(50)])]
    _compare(redis_server, r, script)
