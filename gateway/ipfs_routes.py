"""HTTP for IPFS: the public path gateway (/ipfs/...) and the node API under /api/v0/ipfs/.

Everything is served from local blocks only, so a missing block is a quick 404, never a wait.
Store work runs in the default executor so large files never block the event loop; bodies
stream in both directions.

API conventions (the `mimeidb` CLI is the client):
- `POST /api/v0/ipfs/add?name=&cid-version=0|1&only-hash=&pin=true&tar=` : the body is the
  raw file, or with `tar=1` a tar stream of a directory (its single top-level entry is the
  root). Reply: {"cid", "name", "size", "entries": [{"name", "cid", "size"}]}.
- reads take `arg=<cid>[/path]` (GET or POST); writes are POST. Errors are {"error": "..."}.
"""
from __future__ import annotations

import asyncio
import codecs
import collections
import html
import io
import mimetypes
import threading
from typing import Any, Awaitable, Callable
from urllib.parse import quote

import libipld
from aiohttp import web

from gateway.responses import NODE, api_error, json_response
from mimeidb import files
from mimeidb.ipfs import car, dagpb, exporter, importer, pins
from mimeidb.ipfs import cid as cids
from mimeidb.ipfs.exporter import BlockMissing

CACHE_IMMUTABLE = "public, max-age=29030400, immutable"
MAX_BLOCK = 4 << 20           # block/put limit, as kubo's bitswap max block size
STREAM_CHUNK = 256 << 10
UPLOAD_PREFETCH = 16 << 20   # upload bytes read ahead of the importer
PUMP_READ = 1 << 20
GC_LOCK = web.AppKey("ipfs_gc_lock", asyncio.Lock)

_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"), (b"\x1f\x8b", "application/gzip"),
    (b"RIFF", "application/octet-stream"), (b"\x00asm", "application/wasm"),
]


def setup(app: web.Application) -> None:
    app[GC_LOCK] = asyncio.Lock()
    r = app.router
    r.add_get("/ipfs/{cid}", gateway_get)
    r.add_get("/ipfs/{cid}/{path:.*}", gateway_get)
    for name, handler in [("cat", api_cat), ("ls", api_ls), ("stat", api_stat), ("block/get", api_block_get),
                          ("block/stat", api_block_stat), ("pin/ls", api_pin_ls),
                          ("dag/export", api_dag_export)]:
        r.add_get(f"/api/v0/ipfs/{name}", handler, allow_head=False)
        r.add_post(f"/api/v0/ipfs/{name}", handler)
    for name, handler in [("add", api_add), ("block/put", api_block_put), ("pin/add", api_pin_add),
                          ("pin/rm", api_pin_rm), ("repo/gc", api_repo_gc),
                          ("dag/import", api_dag_import)]:
        r.add_post(f"/api/v0/ipfs/{name}", handler)


async def _run(fn: Callable, *args: Any) -> Any:
    """Heavy work (imports, walks of whole DAGs) goes to a thread. Serving reads does not:
    a local RocksDB get costs microseconds, far less than the hop to a thread pool and back
    (which capped small-file serving at ~2.5k requests/s)."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


async def _stream(request: web.Request, response: web.StreamResponse, chunks) -> web.StreamResponse:
    """Write an iterator of byte strings; `write` yields to the loop between chunks."""
    await response.prepare(request)
    if request.method != "HEAD":
        for chunk in chunks:
            await response.write(chunk)
    await response.write_eof()
    return response


# -- public gateway --------------------------------------------------------------------

def _text(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=message + "\n", content_type="text/plain")


async def gateway_get(request: web.Request) -> web.StreamResponse:
    store = request.app[NODE].blocks
    try:
        root = cids.parse(request.match_info["cid"])
        segments = [s for s in request.match_info.get("path", "").split("/") if s]
        for s in segments:
            importer.check_name(s)
    except ValueError as exc:
        return _text(400, f"bad request: {exc}")
    return await serve_path(request, store, root, segments)


async def serve_path(request: web.Request, store, root: bytes, segments: list[str]) -> web.StreamResponse:
    """Serve `root/segments...` as the gateway does (also used by /mm for a Mimei version)."""
    try:
        target = exporter.resolve(store, root, segments)
        fmt = _format(request)
        if fmt == "raw":
            return await _serve_raw(request, store, target)
        if fmt == "car":
            return await _serve_car(request, store, target)
        n = exporter.node(store, target)
        if n.kind == "dir":
            return await _serve_dir(request, store, n, segments)
        if n.kind != "file":
            return _text(501, f"cannot serve a UnixFS {n.kind} (request ?format=raw)")
        name = segments[-1] if segments else ""
        return await _serve_file(request, store, n, name)
    except (BlockMissing, FileNotFoundError) as exc:
        return _text(404, f"not found: {exc.args[0] if exc.args else exc}")
    except ValueError as exc:
        return _text(400, f"bad request: {exc}")


def _format(request: web.Request) -> str | None:
    fmt = request.query.get("format")
    if fmt:
        if fmt not in ("raw", "car"):
            raise ValueError(f"unsupported format {fmt!r} (raw or car)")
        return fmt
    accept = request.headers.get("Accept", "")
    if "application/vnd.ipld.raw" in accept:
        return "raw"
    if "application/vnd.ipld.car" in accept:
        return "car"
    return None


def _immutable_headers(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": CACHE_IMMUTABLE, "X-Content-Type-Options": "nosniff"}


def _not_modified(request: web.Request, etag: str) -> web.Response | None:
    sent = request.headers.get("If-None-Match")
    if sent and (sent.strip() == "*" or etag in [t.strip() for t in sent.split(",")]):
        return web.Response(status=304, headers=_immutable_headers(etag))
    return None


async def _serve_raw(request: web.Request, store, target: bytes) -> web.StreamResponse:
    etag = f'"{cids.format(target)}.raw"'
    if (nm := _not_modified(request, etag)) is not None:
        return nm
    block = exporter.load(store, target)
    headers = _immutable_headers(etag)
    headers["Content-Disposition"] = f'attachment; filename="{cids.format(target)}.bin"'
    return web.Response(body=block, content_type="application/vnd.ipld.raw", headers=headers)


async def _serve_car(request: web.Request, store, target: bytes) -> web.StreamResponse:
    etag = f'"{cids.format(target)}.car"'
    if (nm := _not_modified(request, etag)) is not None:
        return nm
    exporter.load(store, target)  # 404 now rather than a broken stream later
    response = web.StreamResponse(headers=_immutable_headers(etag))
    response.content_type = "application/vnd.ipld.car"
    response.headers["Content-Type"] = "application/vnd.ipld.car; version=1"
    return await _stream(request, response, car.write_car([target], car.dag_blocks(store, target)))


async def _serve_dir(request: web.Request, store, n: exporter.Node, segments: list[str]):
    if not request.path.endswith("/"):
        location = request.path + "/" + (f"?{request.query_string}" if request.query_string else "")
        raise web.HTTPMovedPermanently(location)
    link = exporter.find(store, n, "index.html")
    if link is not None:
        index = exporter.node(store, link.cid)
        if index.kind == "file":
            return await _serve_file(request, store, index, "index.html")
    etag = f'"DirIndex-{cids.format(n.cid)}"'
    if (nm := _not_modified(request, etag)) is not None:
        return nm
    entries = exporter.ls(store, n.cid)
    page = _listing(request.path, cids.format(n.cid), entries, bool(segments))
    return web.Response(text=page, content_type="text/html", charset="utf-8",
                        headers=_immutable_headers(etag))


def _listing(path: str, cid_text: str, entries: list[exporter.Entry], has_parent: bool) -> str:
    rows = []
    if has_parent:
        rows.append('<tr><td><a href="..">..</a></td><td></td><td></td></tr>')
    for e in entries:
        name = e.name + ("/" if e.type == "dir" else "")
        rows.append(f'<tr><td><a href="{quote(e.name)}{"/" if e.type == "dir" else ""}">'
                    f"{html.escape(name)}</a></td><td>{cids.format(e.cid)}</td>"
                    f"<td>{e.size if e.type != 'dir' else '-'}</td></tr>")
    title = html.escape(path)
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of "
            f"{title}</title></head><body><h1>Index of {title}</h1><p>{cid_text}</p>\n"
            "<table><tr><th>Name</th><th>CID</th><th>Size</th></tr>\n"
            + "\n".join(rows) + "\n</table></body></html>\n")


def content_type(name: str, head: bytes) -> str:
    """By extension when known, else sniffed from the first bytes."""
    guessed, _ = mimetypes.guess_type(name) if name else (None, None)
    if guessed:
        return guessed + ("; charset=utf-8" if guessed.startswith("text/") else "")
    for magic, ctype in _MAGIC:
        if head.startswith(magic):
            return ctype
    start = head.lstrip()[:14].lower()
    if start.startswith(b"<!doctype html") or start.startswith(b"<html"):
        return "text/html; charset=utf-8"
    if b"\x00" not in head:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            return "text/plain; charset=utf-8"
        except UnicodeDecodeError:
            pass
    return "application/octet-stream"


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single `bytes=` range; None to ignore the header.

    Raises ValueError when the range cannot be satisfied (-> 416).
    """
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return None  # multiple ranges: answer with the whole body, as RFC 9110 allows
    first, sep, last = spec.strip().partition("-")
    if not sep:
        return None
    try:
        if first == "":
            n = int(last)
            if n <= 0:
                raise ValueError("empty suffix range")
            return max(size - n, 0), size
        start = int(first)
        end = int(last) + 1 if last else size
    except ValueError:
        if first == "" or (first.isdigit() and (last == "" or last.isdigit())):
            raise
        return None
    if start >= size or end <= start:
        raise ValueError("range not satisfiable")
    return start, min(end, size)


async def _serve_file(request: web.Request, store, n: exporter.Node, name: str):
    etag = f'"{cids.format(n.cid)}"'
    if (nm := _not_modified(request, etag)) is not None:
        return nm
    head = b"".join(exporter.cat(store, n.cid, 0, 512))
    headers = _immutable_headers(etag)
    headers["Accept-Ranges"] = "bytes"
    headers["Content-Type"] = content_type(name, head)
    start, end, status = 0, n.size, 200
    if "Range" in request.headers:
        try:
            wanted = parse_range(request.headers["Range"], n.size)
        except ValueError:
            headers.pop("Content-Type")
            headers["Content-Range"] = f"bytes */{n.size}"
            return web.Response(status=416, headers=headers)
        if wanted is not None:
            start, end = wanted
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{n.size}"
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = end - start
    return await _stream(request, response, exporter.cat(store, n.cid, start, end - start))


# -- node API --------------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _api(handler: Handler) -> Handler:
    """Map exporter errors onto status codes; the app middleware handles the rest."""
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (BlockMissing, FileNotFoundError) as exc:
            return api_error(404, str(exc.args[0] if exc.args else exc))
        except car.CarError as exc:
            return api_error(400, str(exc))
    wrapped.__name__ = handler.__name__
    return wrapped


def _flag(request: web.Request, name: str, default: bool) -> bool:
    value = request.query.get(name)
    if value is None:
        return default
    if value.lower() in ("", "1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def _arg(request: web.Request) -> str:
    arg = request.query.get("arg")
    if not arg:
        raise ValueError("missing argument: arg=<cid>[/path]")
    return arg


def _cid_version(request: web.Request) -> int:
    value = request.query.get("cid-version", "0")
    if value not in ("0", "1"):
        raise ValueError("cid-version must be 0 or 1")
    return int(value)


class _BodyReader(io.RawIOBase):
    """A blocking file view of a request body, for importers running in a worker thread.

    A pump task on the event loop reads the body ahead (up to UPLOAD_PREFETCH bytes) while
    the importer hashes and stores what came before, so the network transfer and the import
    overlap instead of taking turns; the worker takes bytes from the buffer without a hop to
    the loop per read (tarfile reads 10 KiB at a time). Call `stop()` on the loop when the
    handler is done, whatever happened.
    """

    def __init__(self, request: web.Request, loop: asyncio.AbstractEventLoop,
                 limit: int = UPLOAD_PREFETCH) -> None:
        self._content = request.content
        self._loop = loop
        self._limit = limit
        self._cond = threading.Condition()
        self._chunks: collections.deque[bytes] = collections.deque()
        self._pos = 0               # bytes of _chunks[0] already taken
        self._buffered = 0          # bytes in _chunks not yet taken
        self._eof = False
        self._error: BaseException | None = None
        self._room = asyncio.Event()
        self._room.set()
        self._task = loop.create_task(self._pump())

    async def _pump(self) -> None:
        try:
            while True:
                with self._cond:
                    full = self._buffered >= self._limit
                    if full:
                        self._room.clear()
                if full:
                    await self._room.wait()
                    continue
                data = await self._content.read(PUMP_READ)
                with self._cond:
                    if data:
                        self._chunks.append(data)
                        self._buffered += len(data)
                    else:
                        self._eof = True
                    self._cond.notify_all()
                if not data:
                    return
        except asyncio.CancelledError:
            self._fail(ConnectionError("upload interrupted"))
            raise
        except Exception as exc:  # a broken or malformed body: the reader raises it
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        with self._cond:
            if self._error is None:
                self._error = exc
            self._cond.notify_all()

    def stop(self) -> None:
        """End the pump (on the loop thread); a reader still waiting gets an error."""
        if not self._task.done():
            self._task.cancel()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        """Up to n bytes, fewer only at the end of the body (all of it for n < 0)."""
        if n is None or n < 0:
            parts = []
            while chunk := self.read(1 << 20):
                parts.append(chunk)
            return b"".join(parts)
        with self._cond:
            while self._buffered < n and not self._eof and self._error is None:
                self._cond.wait()
            if self._error is not None and self._buffered < n:
                raise self._error
            parts = []
            need = min(n, self._buffered)
            self._buffered -= need
            while need:
                chunk = self._chunks[0]
                avail = len(chunk) - self._pos
                if avail <= need:
                    parts.append(chunk[self._pos:] if self._pos else chunk)
                    self._chunks.popleft()
                    self._pos = 0
                    need -= avail
                else:
                    parts.append(chunk[self._pos:self._pos + need])
                    self._pos += need
                    need = 0
            if not self._room.is_set() and self._buffered < self._limit:
                self._loop.call_soon_threadsafe(self._room.set)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


@_api
async def api_add(request: web.Request) -> web.Response:
    node = request.app[NODE]
    version = _cid_version(request)
    only_hash = _flag(request, "only-hash", False)
    pin = _flag(request, "pin", True) and not only_hash
    as_tar = _flag(request, "tar", False)
    name = request.query.get("name", "")
    store = None if only_hash else node.blocks
    body = _BodyReader(request, asyncio.get_running_loop())
    entries: list[dict] = []

    def on_entry(path: str, added: importer.Added) -> None:
        entries.append({"name": path, "cid": cids.format(added.cid), "size": added.size})

    def work() -> importer.Added:
        if as_tar:
            root = importer.add_tar(store, body, version, on_entry=on_entry)
        else:
            root = importer.add_file(store, body, version)
        if pin:
            pins.pin_written(node.db, root.cid)
        return root

    try:
        async with request.app[GC_LOCK]:  # GC must not see half-imported, unpinned DAGs
            root = await _run(work)
    finally:
        body.stop()
    return json_response({"cid": cids.format(root.cid), "name": name or (entries[-1]["name"] if entries else ""),
                          "size": root.size, "entries": entries})


@_api
async def api_cat(request: web.Request) -> web.StreamResponse:
    store = request.app[NODE].blocks
    target = await _run(exporter.resolve_path, store, _arg(request))
    offset = int(request.query.get("offset", "0"))
    length = int(request.query["length"]) if "length" in request.query else None
    chunks = await _run(exporter.cat, store, target, offset, length)
    response = web.StreamResponse()
    response.content_type = "application/octet-stream"
    return await _stream(request, response, chunks)


@_api
async def api_ls(request: web.Request) -> web.Response:
    entries = await _run(exporter.ls, request.app[NODE].blocks, _arg(request))
    return json_response({"entries": [e.to_json() for e in entries]})


@_api
async def api_stat(request: web.Request) -> web.Response:
    """What a CID or path names: {"cid", "type": file|dir|symlink|raw-block, "size"}."""
    store = request.app[NODE].blocks
    n = await _run(lambda: exporter.node(store, exporter.resolve_path(store, _arg(request))))
    return json_response({"cid": cids.format(n.cid), "type": n.kind, "size": n.size})


@_api
async def api_block_get(request: web.Request) -> web.Response:
    block = await _run(exporter.load, request.app[NODE].blocks, cids.parse(_arg(request)))
    return web.Response(body=block, content_type="application/octet-stream")


@_api
async def api_block_stat(request: web.Request) -> web.Response:
    target = cids.parse(_arg(request))
    block = await _run(exporter.load, request.app[NODE].blocks, target)
    return json_response({"cid": cids.format(target), "size": len(block)})


_CODECS = {"raw": cids.RAW, "dag-pb": cids.DAG_PB, "dag-cbor": cids.DAG_CBOR}


@_api
async def api_block_put(request: web.Request) -> web.Response:
    """Store one block (default like kubo: CIDv1, codec raw); dag-pb/dag-cbor are validated."""
    codec_name = request.query.get("cid-codec", "raw")
    if codec_name not in _CODECS:
        raise ValueError(f"cid-codec must be one of {', '.join(_CODECS)}")
    codec = _CODECS[codec_name]
    version = int(request.query.get("cid-version", "0" if codec == cids.DAG_PB else "1"))
    data = await request.content.read(MAX_BLOCK + 1)
    if len(data) > MAX_BLOCK:
        raise ValueError(f"block larger than {MAX_BLOCK} bytes")
    if codec == cids.DAG_PB:
        dagpb.decode(data)
    elif codec == cids.DAG_CBOR:
        libipld.decode_dag_cbor(data)
    target = cids.of_block(data, codec, version)
    await _run(request.app[NODE].blocks.put, target, data)
    if _flag(request, "pin", False):
        pins.pin_written(request.app[NODE].db, target)
    return json_response({"cid": cids.format(target), "size": len(data)})


@_api
async def api_pin_add(request: web.Request) -> web.Response:
    node = request.app[NODE]
    target = await _run(exporter.resolve_path, node.blocks, _arg(request))
    await _run(pins.pin_add, node.db, node.blocks, target)
    return json_response({"pins": [cids.format(target)]})


@_api
async def api_pin_rm(request: web.Request) -> web.Response:
    node = request.app[NODE]
    target = await _run(exporter.resolve_path, node.blocks, _arg(request))
    pins.pin_rm(node.db, target)
    return json_response({"pins": [cids.format(target)]})


@_api
async def api_pin_ls(request: web.Request) -> web.Response:
    return json_response({"pins": [cids.format(c) for c in pins.pin_ls(request.app[NODE].db)]})


@_api
async def api_repo_gc(request: web.Request) -> web.Response:
    """Keeps pins and every kept Mimei version (files.gc_roots); roots are read under the lock."""
    node = request.app[NODE]
    mimei = getattr(node, "mimei", None)

    def work() -> int:
        roots, keep = files.gc_roots(mimei) if mimei is not None else ([], set())
        return pins.gc(node.db, node.blocks, roots, keep)

    async with request.app[GC_LOCK]:
        removed = await _run(work)
    return json_response({"removed": removed})


@_api
async def api_dag_export(request: web.Request) -> web.StreamResponse:
    store = request.app[NODE].blocks
    target = await _run(exporter.resolve_path, store, _arg(request))
    await _run(exporter.load, store, target)
    response = web.StreamResponse()
    response.headers["Content-Type"] = "application/vnd.ipld.car; version=1"
    return await _stream(request, response, car.write_car([target], car.dag_blocks(store, target)))


@_api
async def api_dag_import(request: web.Request) -> web.Response:
    """Verify and store a CAR; its roots are pinned (kubo's default) unless pin-roots=false."""
    node = request.app[NODE]
    body = _BodyReader(request, asyncio.get_running_loop())
    pin_roots = _flag(request, "pin-roots", True)

    def work() -> tuple[list[bytes], int]:
        roots, count = car.import_car(node.blocks, body)
        if pin_roots:
            for root in roots:
                pins.pin_add(node.db, node.blocks, root)
        return roots, count

    try:
        async with request.app[GC_LOCK]:
            roots, count = await _run(work)
    finally:
        body.stop()
    return json_response({"roots": [cids.format(r) for r in roots], "blocks": count,
                          "pinned": pin_roots})
