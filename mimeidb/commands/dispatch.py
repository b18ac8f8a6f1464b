"""Run one command against a context: the table's checks, then the handler.

Faces call `execute`; the RESP server inlines the same steps on its hot path.
"""
from __future__ import annotations

from typing import Any

from mimeidb.commands import errors
from mimeidb.commands.errors import RedisError
from mimeidb.commands.table import FLAG_UNBOUND, Command, resolve


def check_binding(spec: Command, ctx: Any) -> None:
    """Data commands need a bound Mimei; writes need a writable version."""
    if ctx.ks is None:
        if FLAG_UNBOUND not in spec.flags:
            raise RedisError(errors.NOT_BOUND)
    elif spec.is_write and ctx.ks.readonly:
        raise RedisError(errors.READONLY)


def execute(ctx: Any, argv: list[bytes]) -> Any:
    spec = resolve(argv)
    check_binding(spec, ctx)
    return spec.handler(ctx, argv[1:])
