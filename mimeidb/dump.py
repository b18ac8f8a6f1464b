"""A readable dump of a db Mimei's keys (`mimei grep`), in the seed's `key<TAB>value` shape."""
from __future__ import annotations

from mimeidb.store.encoding import KeyType, unpack_double
from mimeidb.store.keyspace import Keyspace

TYPE_LABELS = {KeyType.STRING: "string", KeyType.HASH: "hash", KeyType.LIST: "list",
               KeyType.SET: "set", KeyType.ZSET: "zset", KeyType.STREAM: "stream"}


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


def render(ks: Keyspace, key: bytes, ktype: KeyType, value: bytes) -> str:
    """Go-like rendering as Leither prints it: map[f:v ...], [a b c]."""
    if ktype == KeyType.STRING:
        return _text(value)
    if ktype == KeyType.STREAM:
        from mimeidb.store.stream_type import MAX_ID, MIN_ID, Stream, format_id
        stream = Stream(ks, key, ks.meta(key))
        return "[" + " ".join(
            f"{_text(format_id(sid))}:map[" + " ".join(
                f"{_text(f)}:{_text(v)}" for f, v in zip(fields[::2], fields[1::2])) + "]"
            for sid, fields in stream.range(MIN_ID, MAX_ID)) + "]"
    entries = ks.entries(key)
    if ktype == KeyType.HASH:
        return "map[" + " ".join(f"{_text(f)}:{_text(v)}" for f, v in entries) + "]"
    if ktype == KeyType.LIST:
        return "[" + " ".join(_text(v) for _, v in entries) + "]"
    if ktype == KeyType.SET:
        return "[" + " ".join(_text(m) for m, _ in entries) + "]"
    pairs = sorted(((unpack_double(s), m) for m, s in entries))
    return "[" + " ".join(f"{_text(m)}:{s:g}" for s, m in pairs) + "]"


def dump_keyspace(ks: Keyspace, pattern: bytes = b"*", limit: int = 10000) -> list[dict]:
    from mimeidb.commands.glob import glob_match, literal_prefix

    prefix = literal_prefix(pattern)
    rows = []
    for key, meta in ks.keys(prefix or None):
        if prefix and not key.startswith(prefix):
            break
        if not glob_match(pattern, key):
            continue
        rows.append({"key": _text(key), "type": TYPE_LABELS[meta.type],
                     "value": render(ks, key, meta.type, meta.value)})
        if len(rows) >= limit:
            break
    return rows
