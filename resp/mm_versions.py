"""Version commands over RESP, on the connection's bound Mimei (Leither's MM* calls):

    MM.BACKUP [memo]        -> the new version number, or the current last one when nothing changed
    MM.HISTORY              -> one map per version: version, commit, data, time, memo, prev
    MM.DIFF <a> <b>         -> map of added / changed / removed keys (a, b: number, last, release, cur)
    MM.RESTORE <ver>        -> number of keys now in cur
    MM.RELEASE <ver>        -> the version now named release
    MM.AUTOBACKUP [ms]      -> the auto-backup delay in ms (0 = off); with ms, sets it first
They act on the bound Mimei whatever version the connection reads; changes need the author.
"""
from __future__ import annotations

from mimeidb.commands import errors
from mimeidb.commands.args import to_int
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import Map
from mimeidb.commands.table import command

_F = "unbound"  # dispatch must not refuse them on a read-only version or a file Mimei


def _mid(ctx) -> str:
    if ctx.binding is None:
        raise RedisError(errors.NOT_BOUND)
    return ctx.binding.mid


def _author(ctx) -> str:
    """The bound mid, when the connection's user may change it (the author, on this node)."""
    mid = _mid(ctx)
    mimei = ctx.services.node.mimei
    record = _call(mimei.require, mid)
    if not mimei.can_write(record, ctx.binding.user):
        raise RedisError(f"NOPERM only the author of {mid} can change its versions")
    return mid


def _call(fn, *args):
    try:
        return fn(*args)
    except PermissionError as exc:
        raise RedisError(f"NOPERM {exc}".replace("\n", " ")) from None
    except (ValueError, KeyError, LookupError) as exc:
        raise RedisError(f"ERR {exc}".replace("\n", " ")) from None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


@command("mm.backup", -1, _F, keys=(0, 0, 0), group="mimei")
def mm_backup(ctx, args):
    """Seal the bound Mimei's cur as a new version; replies its number (the last one if no change)."""
    if len(args) > 1:
        raise RedisError(errors.SYNTAX)
    mimei = ctx.services.node.mimei
    mid = _author(ctx)
    commit = _call(mimei.backup, mid, _text(args[0]) if args else "")
    return commit.version if commit is not None else mimei.versions.last(mid)


@command("mm.history", 1, _F, keys=(0, 0, 0), group="mimei")
def mm_history(ctx, args):
    """The versions of the bound Mimei, oldest first."""
    mimei = ctx.services.node.mimei
    rows = _call(mimei.history, _mid(ctx))
    return [Map([(k.encode(), v.encode() if isinstance(v, str) else v)
                 for k, v in row.items() if v is not None]) for row in rows]


@command("mm.diff", 3, _F, keys=(0, 0, 0), group="mimei")
def mm_diff(ctx, args):
    """Keys added, changed and removed from version a to version b."""
    mimei = ctx.services.node.mimei
    result = _call(mimei.diff, _mid(ctx), _text(args[0]), _text(args[1]))
    return Map([(name.encode(), sorted(result[name])) for name in ("added", "changed", "removed")])


@command("mm.restore", 2, _F, keys=(0, 0, 0), group="mimei")
def mm_restore(ctx, args):
    """Copy a version back into cur; replies the number of keys."""
    return _call(ctx.services.node.mimei.restore, _author(ctx), _text(args[0]))


@command("mm.release", 2, _F, keys=(0, 0, 0), group="mimei")
def mm_release(ctx, args):
    """Name a version "release"; replies its number."""
    return _call(ctx.services.node.mimei.release, _author(ctx), _text(args[0]))


@command("mm.autobackup", -1, _F, keys=(0, 0, 0), group="mimei")
def mm_autobackup(ctx, args):
    """Read or set the auto-backup delay (ms, 0 = off) of the bound Mimei."""
    if len(args) > 1:
        raise RedisError(errors.SYNTAX)
    delay = to_int(args[0]) if args else None
    mid = _author(ctx) if args else _mid(ctx)
    return _call(ctx.services.node.mimei.autobackup, mid, delay)
