"""Redis error replies, with the exact text Redis sends (clients and test suites match on it)."""
from __future__ import annotations


class RedisError(Exception):
    """An error reply. `message` is the whole line after '-', prefix included (ERR, WRONGTYPE...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
SYNTAX = "ERR syntax error"
OVERFLOW = "ERR increment or decrement would overflow"
INCR_NAN = "ERR increment would produce NaN or Infinity"
NO_SUCH_KEY = "ERR no such key"
INDEX_OUT_OF_RANGE = "ERR index out of range"
OFFSET_OUT_OF_RANGE = "ERR offset is out of range"
NOT_POSITIVE = "ERR value is out of range, must be positive"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE = "ERR timeout is negative"
TIMEOUT_OUT_OF_RANGE = "ERR timeout is out of range"
INVALID_EXPIRE = "ERR invalid expire time in '{}' command"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
READONLY = "READONLY You can't write against a read only Mimei version."
NOT_BOUND = "NOMIMEI this connection is not bound to a Mimei: AUTH <mmsid> or MM.OPEN <mid> first"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
DB_INDEX = "ERR DB index is out of range"
MIN_MAX_FLOAT = "ERR min or max is not a float"
MIN_MAX_LEX = "ERR min or max not valid string range item"


def wrong_arity(name: str) -> RedisError:
    return RedisError(f"ERR wrong number of arguments for '{name}' command")


def unknown_command(name: bytes, args: list[bytes]) -> RedisError:
    shown = "".join(f"'{_printable(a)}' " for a in args[:20])
    return RedisError(f"ERR unknown command '{_printable(name)}', with args beginning with: {shown}")


def unknown_subcommand(sub: bytes, name: str) -> RedisError:
    return RedisError(f"ERR unknown subcommand '{_printable(sub)}'. Try {name.upper()} HELP.")


def _printable(raw: bytes) -> str:
    text = raw[:128].decode("utf-8", "replace")
    return "".join(c if c.isprintable() and c not in "'\"" else " " for c in text)
