"""`/mimeidb/sync/1.0.0`: fetch exactly the blocks a peer lacks between two commits.

One stream carries a short conversation. Every request and reply header is a varint-length-
prefixed JSON object; blocks follow a reply header as CAR sections (varint(len(cid)+len(data))
+ binary CID + data), `count` of them.

    -> {"op": "head", "mid": M}
    <- {"version": n, "commit": cid|null, "head": base64(signed head record)|null}
    -> {"op": "chain", "mid": M, "from": cid, "to": cid|null}
    <- {"count": k}  + the commits from `from` down to just above `to` (or version 1),
                       then the Mimei record block
    -> {"op": "blocks", "cids": [cid, ...]}        (at most MAX_BATCH)
    <- {"count": k, "missing": [cid, ...]} + the blocks held, in request order
    -> {"op": "diff", "mid": M, "to": cid|null, "from": cid|null}
    <- {"version", "commit", "head" (as for "head"), "count": k, "diff": bool}
       + the commits from `to` (default: the peer's head) down to just above `from`, the
       Mimei record block, and, when "diff" is true, every block the MST diff of each new
       version against the one before it names as new (versions/diff.py)
    -> {"op": "bye"}

A follower that holds version `from` gets a new version in one round trip with "diff": the
server knows from the MST diffs exactly which blocks are new, so nothing is asked level by
level. When the server cannot diff (a file Mimei, an old version it no longer holds, a first
sync) it sends the commits only ("diff": false) and the requester walks as below; a server
that does not know "diff" answers an error and the requester falls back to head + chain.

The requester walks the new versions' data DAGs level by level and asks only for CIDs it does
not hold (a subtree it holds is skipped whole), so a new version costs the blocks it changed.
Everything received is kept in memory, hash-checked as it arrives, then verified as a whole by
versions.verify.verify_commit before one block of it is stored (replication/service.py).
"""
from __future__ import annotations

import base64
import logging
from typing import Any, Callable

import orjson

from mimeidb.ipfs import cid as cids
from mimeidb.ipfs import dag
from mimeidb.ipfs.blockstore import multihash_of
from mimeidb.versions.commit import Commit
from mimeidb.versions.diff import diff as tree_diff
from replication.bitswap_store import hash_ok

log = logging.getLogger("mimeidb.p2p.sync")

PROTOCOL = "/mimeidb/sync/1.0.0"
MAX_HEADER = 4 << 20
MAX_SECTION = 4 << 20
MAX_BATCH = 1024
MAX_CHAIN = 100_000
MAX_BLOCKS = 5_000_000
MAX_DIFF_BLOCKS = 200_000   # a larger diff is left to the level walk (batched requests)
DIFF_CACHE = 256            # (old root, new root) -> new block CIDs, for several followers


class SyncError(Exception):
    """The peer broke the protocol or sent data that does not check."""


def varint(n: int) -> bytes:
    return cids.varint(n)


class Reader:
    """Buffered reads from a libp2p stream (trio)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.buf = bytearray()

    async def _fill(self, n: int) -> None:
        while len(self.buf) < n:
            chunk = await self.stream.read(1 << 16)
            if not chunk:
                raise SyncError("the peer closed the stream")
            self.buf += chunk

    async def exact(self, n: int) -> bytes:
        await self._fill(n)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    async def uvarint(self) -> int:
        shift = value = 0
        for _ in range(10):
            await self._fill(1)
            b = self.buf[0]
            del self.buf[:1]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
        raise SyncError("bad varint")

    async def message(self) -> dict:
        n = await self.uvarint()
        if n > MAX_HEADER:
            raise SyncError("message too large")
        try:
            obj = orjson.loads(await self.exact(n))
        except orjson.JSONDecodeError:
            raise SyncError("message is not JSON") from None
        if not isinstance(obj, dict):
            raise SyncError("message is not an object")
        return obj

    async def section(self) -> tuple[bytes, bytes]:
        n = await self.uvarint()
        if n > MAX_SECTION:
            raise SyncError("block section too large")
        raw = await self.exact(n)
        try:
            split = _cid_length(raw)
        except ValueError as exc:
            raise SyncError(f"bad CID in a block section: {exc}") from None
        return raw[:split], raw[split:]


def _cid_length(section: bytes) -> int:
    if len(section) >= 34 and section[0] == 0x12 and section[1] == 0x20:
        return 34
    version, pos = cids.read_varint(section, 0)
    if version != 1:
        raise ValueError(f"CID version {version}")
    _, pos = cids.read_varint(section, pos)   # codec
    _, pos = cids.read_varint(section, pos)   # hash code
    size, pos = cids.read_varint(section, pos)
    return pos + size


def frame(obj: dict) -> bytes:
    raw = orjson.dumps(obj)
    return varint(len(raw)) + raw


def section(cid: bytes, data: bytes) -> bytes:
    return varint(len(cid) + len(data)) + cid + data


# -- server -------------------------------------------------------------------------------

class SyncServer:
    """Answers the protocol from the node's store. `head_of(mid)` -> (version, commit cid,
    signed head bytes | None); `blocks` a mimeidb BlockStore. Runs in the trio thread."""

    def __init__(self, blocks: Any, head_of: Callable[[str], tuple[int, bytes | None, bytes | None]]) -> None:
        self.blocks = blocks
        self.head_of = head_of
        self.served_blocks = 0
        self.diffs = 0
        self._diff_cache: dict[tuple[bytes, bytes], list[bytes]] = {}

    async def handle(self, stream: Any) -> None:
        import trio
        reader = Reader(stream)
        try:
            while True:
                req = await reader.message()
                op = req.get("op")
                if op == "bye":
                    break
                if op == "head":
                    out = await trio.to_thread.run_sync(self._head, str(req.get("mid", "")))
                elif op == "chain":
                    out = await trio.to_thread.run_sync(self._chain, req)
                elif op == "diff":
                    out = await trio.to_thread.run_sync(self._diff, req)
                elif op == "blocks":
                    out = await trio.to_thread.run_sync(self._blocks, req.get("cids") or [])
                else:
                    out = frame({"error": f"unknown op {op!r}"})
                await stream.write(out)
        except SyncError as exc:
            log.debug("sync stream ended: %s", exc)
        except Exception as exc:  # noqa: BLE001 - a bad peer must not hurt the node
            log.debug("sync stream failed: %r", exc)
        finally:
            try:
                await stream.close()
            except Exception:  # noqa: BLE001
                pass

    @staticmethod
    def _head_info(version: int, commit: bytes | None, head: bytes | None) -> dict:
        """A head_of() answer as the protocol sends it."""
        return {"version": version, "commit": cids.format(commit) if commit else None,
                "head": base64.b64encode(head).decode() if head else None}

    def _head(self, mid: str) -> bytes:
        return frame(self._head_info(*self.head_of(mid)))

    def _commit_chain(self, start: bytes, stop: bytes | None
                      ) -> tuple[list[bytes], list[Commit], bytes | None]:
        """CAR sections of the commits from start back to (not including) stop, then the
        Mimei record; the decoded commits; and where the walk ended (stop when complete)."""
        parts: list[bytes] = []
        commits: list[Commit] = []
        record = None
        cid: bytes | None = start
        while cid is not None and cid != stop and len(parts) < MAX_CHAIN:
            data = self.blocks.get(cid)
            if data is None:
                break
            parts.append(section(cid, data))
            try:
                commit = Commit.decode(data)
            except ValueError:
                break
            commits.append(commit)
            if record is None:
                rdata = self.blocks.get(commit.record)
                if rdata is not None:
                    record = section(commit.record, rdata)
            cid = commit.prev
        if record is not None:
            parts.append(record)
        return parts, commits, cid

    def _chain(self, req: dict) -> bytes:
        try:
            start = cids.parse(str(req.get("from")))
            stop = cids.parse(str(req["to"])) if req.get("to") else None
        except ValueError as exc:
            return frame({"error": str(exc)})
        parts, _, _ = self._commit_chain(start, stop)
        return frame({"count": len(parts)}) + b"".join(parts)

    def _diff(self, req: dict) -> bytes:
        mid = str(req.get("mid", ""))
        version, head_commit, head = self.head_of(mid)
        info = self._head_info(version, head_commit, head)
        try:
            start = cids.parse(str(req["to"])) if req.get("to") else head_commit
            stop = cids.parse(str(req["from"])) if req.get("from") else None
        except ValueError as exc:
            return frame({"error": str(exc)})
        if start is None:
            return frame({**info, "count": 0, "diff": False})
        pairs: list[tuple[bytes | None, bytes]] = []  # (previous data root, new data root)
        kinds: set[str] = set()
        parts, commits, cid = self._commit_chain(start, stop)
        ok = bool(commits) and cid == stop and stop is not None
        new_blocks: list[bytes] = []
        if ok:
            prev_root = None
            try:
                pdata = self.blocks.get(stop)
                prev_root = Commit.decode(pdata).data if pdata is not None else None
            except ValueError:
                prev_root = None
            for commit in reversed(commits):  # oldest new version first
                kinds.add(commit.data_kind)
                pairs.append((prev_root, commit.data))
                prev_root = commit.data
            ok = kinds == {"mst"} and pairs[0][0] is not None
        if ok:
            seen: set[bytes] = set()
            try:
                for old_root, new_root in pairs:
                    for c in self._new_blocks(old_root, new_root):
                        mh = multihash_of(c)
                        if mh not in seen:
                            seen.add(mh)
                            new_blocks.append(c)
                    if len(new_blocks) > MAX_DIFF_BLOCKS:
                        raise ValueError("diff too large")
                blocks = []
                for c in new_blocks:
                    data = self.blocks.get(c)
                    if data is None:
                        raise ValueError("a block of the diff is missing here")
                    blocks.append(section(c, data))
            except Exception as exc:  # noqa: BLE001 - missing old tree, too large: walk instead
                log.debug("diff of %s not served: %r", mid, exc)
                ok = False
            else:
                parts += blocks
                self.diffs += 1
                self.served_blocks += len(blocks)
        return frame({**info, "count": len(parts), "diff": ok}) + b"".join(parts)

    def _new_blocks(self, old_root: bytes, new_root: bytes) -> list[bytes]:
        key = (old_root, new_root)
        got = self._diff_cache.get(key)
        if got is None:
            got = sorted(tree_diff(old_root, new_root, self.blocks).new_blocks)
            if len(self._diff_cache) >= DIFF_CACHE:
                self._diff_cache.pop(next(iter(self._diff_cache)))
            self._diff_cache[key] = got
        return got

    def _blocks(self, wanted: list) -> bytes:
        parts, missing = [], []
        for text in wanted[:MAX_BATCH]:
            try:
                cid = cids.parse(str(text))
            except ValueError:
                continue
            data = self.blocks.get(cid)
            if data is None:
                missing.append(text)
            else:
                parts.append(section(cid, data))
        self.served_blocks += len(parts)
        return frame({"count": len(parts), "missing": missing}) + b"".join(parts)


# -- client -------------------------------------------------------------------------------

class Overlay:
    """What the node holds plus what was received, for verify_commit; receives nothing into
    the node's store."""

    def __init__(self, local: Any) -> None:
        self.local = local
        self.mem: dict[bytes, tuple[bytes, bytes]] = {}  # multihash -> (cid, data)

    def get(self, cid: bytes) -> bytes | None:
        got = self.mem.get(multihash_of(cid))
        if got is not None:
            return got[1]
        return self.local.get(cid)

    def has(self, cid: bytes) -> bool:
        return multihash_of(cid) in self.mem or self.local.has(cid)

    def put(self, cid: bytes, data: bytes) -> None:
        self.mem[multihash_of(cid)] = (cid, data)

    def received(self) -> list[tuple[bytes, bytes]]:
        return list(self.mem.values())


async def _recv_blocks(reader: Reader, overlay: Overlay, count: int, asked: set[bytes] | None) -> list[tuple[bytes, bytes]]:
    got = []
    for _ in range(count):
        cid, data = await reader.section()
        if asked is not None and multihash_of(cid) not in asked:
            raise SyncError(f"the peer sent a block that was not asked for ({cids.format(cid)})")
        if not hash_ok(cid, data):
            raise SyncError(f"the peer sent a block that does not match its CID {cids.format(cid)}")
        overlay.put(cid, data)
        got.append((cid, data))
    if len(overlay.mem) > MAX_BLOCKS:
        raise SyncError("too many blocks")
    return got


async def ask_head(stream: Any, mid: str) -> dict:
    reader = Reader(stream)
    await stream.write(frame({"op": "head", "mid": mid}))
    reply = await reader.message()
    await stream.write(frame({"op": "bye"}))
    return reply


async def fetch(stream: Any, mid: str, target: bytes | None, trusted: bytes | None,
                overlay: Overlay) -> dict:
    """The client side, run in trio on an open stream. Fills overlay with the commits from
    target (default: the peer's head) down to trusted and every data block this node lacks.
    Returns {"head": commit cid, "version", "peer_head": signed head bytes|None, "blocks": n}."""
    reader = Reader(stream)
    # one round trip: the peer's head, the new commits and (when it can) the diff's blocks
    await stream.write(frame({"op": "diff", "mid": mid,
                              "to": cids.format(target) if target else None,
                              "from": cids.format(trusted) if trusted else None}))
    head = await reader.message()
    diffed = "error" not in head
    if not diffed:  # a peer without "diff": head, then chain
        await stream.write(frame({"op": "head", "mid": mid}))
        head = await reader.message()
        if head.get("error"):
            raise SyncError(head["error"])
    peer_head = base64.b64decode(head["head"]) if head.get("head") else None
    if target is None:
        if not head.get("commit"):
            raise SyncError(f"the peer holds no version of {mid}")
        target = cids.parse(head["commit"])
    if diffed:
        if head.get("commit") and trusted and cids.parse(head["commit"]) == trusted \
                and not head.get("count"):
            await stream.write(frame({"op": "bye"}))
            return {"head": trusted, "peer_head": peer_head, "blocks": 0, "diff": False}
        got = await _recv_blocks(reader, overlay, int(head.get("count", 0)), None)
    else:
        await stream.write(frame({"op": "chain", "mid": mid, "from": cids.format(target),
                                  "to": cids.format(trusted) if trusted else None}))
        reply = await reader.message()
        if reply.get("error"):
            raise SyncError(reply["error"])
        got = await _recv_blocks(reader, overlay, int(reply.get("count", 0)), None)
    if not any(multihash_of(c) == multihash_of(target) for c, _ in got) and not overlay.has(target):
        raise SyncError(f"the peer does not hold commit {cids.format(target)}")
    # the data roots of the new commits
    frontier: list[bytes] = []
    cid: bytes | None = target
    while cid is not None and cid != trusted:
        data = overlay.get(cid)
        if data is None:
            break  # verify_commit reports the gap
        try:
            commit = Commit.decode(data)
        except ValueError as exc:
            raise SyncError(f"commit {cids.format(cid)} is malformed: {exc}") from None
        frontier.append(commit.data)
        cid = commit.prev
    seen: set[bytes] = set()
    asked = 0
    while frontier:
        want = []
        for c in frontier:
            mh = multihash_of(c)
            if mh in seen:
                continue
            seen.add(mh)
            if _identity(c) or overlay.has(c):
                continue  # held here: the whole subtree is too
            want.append(c)
        frontier = []
        for i in range(0, len(want), MAX_BATCH):
            batch = want[i:i + MAX_BATCH]
            asked += 1
            await stream.write(frame({"op": "blocks", "cids": [cids.format(c) for c in batch]}))
            reply = await reader.message()
            if reply.get("error"):
                raise SyncError(reply["error"])
            got = await _recv_blocks(reader, overlay, int(reply.get("count", 0)),
                                     {multihash_of(c) for c in batch})
            for c, data in got:
                try:
                    frontier.extend(dag.links(c, data))
                except ValueError as exc:
                    raise SyncError(f"block {cids.format(c)}: {exc}") from None
    await stream.write(frame({"op": "bye"}))
    return {"head": target, "peer_head": peer_head, "blocks": len(overlay.mem),
            "diff": bool(diffed and head.get("diff")), "requests": 1 + asked}


def _identity(cid: bytes) -> bool:
    if len(cid) > 2 and cid[0] == 1:
        try:
            return cids.info(cid)["hash"]["code"] == cids.IDENTITY
        except ValueError:
            return True
    return False
