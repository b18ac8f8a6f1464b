"""Pub/sub channels and patterns, scoped per Mimei: two Mimei's "news" channels are two
channels. A scope is the bound Mimei's mid (None for unbound connections)."""
from __future__ import annotations

from typing import Any, Callable, Iterator

from mimeidb.commands.glob import glob_match

# (scope, channel) -> subscribed sessions in subscription order (a dict used as an ordered set)
Subscribers = dict[tuple[Any, bytes], dict[Any, None]]


class PubSub:
    def __init__(self) -> None:
        self.channels: Subscribers = {}
        self.patterns: Subscribers = {}
        self.shard_channels: Subscribers = {}

    # -- membership (the session keeps its own side) ---------------------------------------
    @staticmethod
    def add(table: Subscribers, scope: Any, name: bytes, session: Any) -> None:
        table.setdefault((scope, name), {})[session] = None

    @staticmethod
    def remove(table: Subscribers, scope: Any, name: bytes, session: Any) -> None:
        subs = table.get((scope, name))
        if subs is not None:
            subs.pop(session, None)
            if not subs:
                del table[(scope, name)]

    # -- delivery ---------------------------------------------------------------------------
    def publish(self, scope: Any, channel: bytes, message: bytes,
                deliver: Callable[[Any, list], None]) -> int:
        """Deliver to channel subscribers, then pattern subscribers; the receiver count."""
        count = 0
        subs = self.channels.get((scope, channel))
        if subs:
            for session in list(subs):
                deliver(session, [b"message", channel, message])
                count += 1
        if self.patterns:
            for (pscope, pattern), psubs in list(self.patterns.items()):
                if pscope == scope and self.match(pattern, channel):
                    for session in list(psubs):
                        deliver(session, [b"pmessage", pattern, channel, message])
                        count += 1
        return count

    def spublish(self, scope: Any, channel: bytes, message: bytes,
                 deliver: Callable[[Any, list], None]) -> int:
        subs = self.shard_channels.get((scope, channel))
        if not subs:
            return 0
        for session in list(subs):
            deliver(session, [b"smessage", channel, message])
        return len(subs)

    @staticmethod
    def match(pattern: bytes, subject: bytes) -> bool:
        return glob_match(pattern, subject)

    def names(self, table: Subscribers, scope: Any) -> Iterator[bytes]:
        for (s, name) in table:
            if s == scope:
                yield name
