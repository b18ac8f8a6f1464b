"""The command table: every command declared once with its arity, flags and key positions.

The same table drives dispatch, arity checks, READONLY refusal on old versions, the
NOMIMEI check on unbound connections, and COMMAND INFO/DOCS/GETKEYS.
Arity follows Redis: n > 0 means exactly n words (the name included), n < 0 at least -n.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from mimeidb.commands import errors
from mimeidb.commands.errors import RedisError

# Flags as Redis names them, plus:
#   "unbound"  - may run on a connection bound to no Mimei (PING, AUTH, MM.OPEN, ...)
#   "session"  - handled by the face (connection state): MULTI, SUBSCRIBE, CLIENT, ...
FLAG_WRITE = "write"
FLAG_READONLY = "readonly"
FLAG_UNBOUND = "unbound"
FLAG_BLOCKING = "blocking"
FLAG_NOSCRIPT = "noscript"
FLAG_PUBSUB = "pubsub"


@dataclass(slots=True, frozen=True)
class Command:
    name: str
    arity: int
    flags: frozenset[str]
    first_key: int
    last_key: int
    step: int
    group: str
    summary: str
    handler: Callable[..., Any]
    # movablekeys commands: fn(argv) -> the key arguments (first_key/last_key/step cannot say)
    getkeys: Callable[[list[bytes]], list[bytes]] | None = None

    @property
    def is_write(self) -> bool:
        return FLAG_WRITE in self.flags

    def check_arity(self, argc: int) -> None:
        """argc counts the command name, as Redis's arity does."""
        if (self.arity > 0 and argc != self.arity) or (self.arity < 0 and argc < -self.arity):
            raise errors.wrong_arity(self.name)

    def keys(self, argv: list[bytes]) -> list[bytes]:
        """The key arguments of a full argv (name at 0), from the declared positions (or the
        command's own key finder for movablekeys commands)."""
        if self.getkeys is not None:
            return self.getkeys(argv)
        if self.first_key == 0:
            return []
        last = self.last_key if self.last_key >= 0 else len(argv) + self.last_key
        return argv[self.first_key:last + 1:self.step]


COMMANDS: dict[bytes, Command] = {}


def command(name: str, arity: int, flags: str = "", keys: tuple[int, int, int] = (1, 1, 1),
            group: str = "generic", summary: str = "",
            getkeys: Callable[[list[bytes]], list[bytes]] | None = None) -> Callable:
    """Register a handler `fn(ctx, args)` where args are the words after the name."""
    def register(fn: Callable) -> Callable:
        spec = Command(name=name.lower(), arity=arity, flags=frozenset(flags.split()),
                       first_key=keys[0], last_key=keys[1], step=keys[2], group=group,
                       summary=summary or (fn.__doc__ or "").strip().split("\n")[0],
                       handler=fn, getkeys=getkeys)
        COMMANDS[name.lower().encode()] = spec
        return fn
    return register


def numkeys_keys(at: int, before: int = 0) -> Callable[[list[bytes]], list[bytes]]:
    """Key finder of `... numkeys key [key ...] ...` commands: numkeys at argv[at], and `before`
    fixed keys ahead of it (the destination of ZUNIONSTORE...)."""
    def find(argv: list[bytes]) -> list[bytes]:
        keys = argv[at - before:at]
        try:
            count = int(argv[at])
        except (IndexError, ValueError):
            return keys
        if count <= 0:
            return keys
        return keys + argv[at + 1:at + 1 + count]
    return find


def lookup(name: bytes) -> Command | None:
    spec = COMMANDS.get(name)
    if spec is None:
        spec = COMMANDS.get(name.lower())
    return spec


def resolve(argv: list[bytes]) -> Command:
    """The command for argv, arity checked; RedisError for unknown names and bad arity."""
    spec = lookup(argv[0])
    if spec is None:
        raise errors.unknown_command(argv[0], argv[1:])
    spec.check_arity(len(argv))
    return spec


def load_all() -> dict[bytes, Command]:
    """Import every command family module so that the table is complete."""
    from mimeidb.commands import families  # noqa: F401  (imports register the commands)
    return COMMANDS


__all__ = ["Command", "COMMANDS", "command", "lookup", "resolve", "load_all", "RedisError"]
