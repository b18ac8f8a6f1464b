"""What a command handler may rely on: the face (RESP, HTTP /db, replay) provides it."""
from __future__ import annotations

from typing import Any, Protocol

from mimeidb.store.keyspace import Keyspace


class Context(Protocol):
    """Per-call context. `ks` is the keyspace of the bound Mimei version; `protocol` is 2 or 3;
    `session` is the face's connection state (None for replay); `services` the node-wide
    registries (pub/sub, clients, config) the face exposes."""

    ks: Keyspace
    protocol: int
    session: Any
    services: Any
