"""FUNCTION, as far as a node without a script engine can answer it.

Clients and test harnesses run FUNCTION FLUSH before they start and FUNCTION LIST to look;
with no engine there are never any libraries, so both succeed trivially. Loading code
(LOAD, RESTORE, FCALL) is refused.
"""
from __future__ import annotations

from mimeidb.commands import errors
from mimeidb.commands.args import upper
from mimeidb.commands.errors import RedisError
from mimeidb.commands.replies import OK, Simple
from mimeidb.commands.table import command


@command("function", -2, "noscript", keys=(0, 0, 0), group="scripting")
def function(ctx, args):
    """FUNCTION FLUSH/LIST/HELP; there is no script engine, so no libraries."""
    sub = upper(args[0])
    if sub == b"FLUSH":
        if len(args) > 2:
            raise RedisError("ERR unknown subcommand or wrong number of arguments for 'flush'. "
                             "Try FUNCTION HELP.")
        if len(args) == 2 and upper(args[1]) not in (b"SYNC", b"ASYNC"):
            raise RedisError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
        return OK
    if sub == b"LIST":
        i = 1
        while i < len(args):
            opt = upper(args[i])
            if opt == b"WITHCODE":
                i += 1
            elif opt == b"LIBRARYNAME" and i + 1 < len(args):
                i += 2
            else:
                raise RedisError(f"ERR Unknown argument {args[i].decode('utf-8', 'replace')}")
        return []
    if sub == b"HELP" and len(args) == 1:
        return [Simple(line) for line in (
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "FLUSH [ASYNC|SYNC]", "    Delete all the libraries (there are none: no script engine).",
            "LIST [WITHCODE] [LIBRARYNAME <pattern>]", "    Return the libraries (always none).",
            "HELP", "    Print this help.")]
    if sub in (b"LOAD", b"DELETE", b"DUMP", b"RESTORE", b"KILL", b"STATS"):
        raise RedisError("ERR this node has no script engine: FUNCTION " + sub.decode() +
                         " is not supported")
    raise errors.unknown_subcommand(args[0], "function")
