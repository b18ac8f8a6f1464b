"""`mimeidb ipfs ...`, `mimeidb repo gc`, `mimeidb dag export|import`: files and blocks.

Uploads stream: a file is sent as the raw request body, a directory (`add -r`) as a tar
stream built on the fly (headers from tarfile, contents read in chunks), so nothing is held
whole in memory. `--only-hash` is computed locally and needs no running node.
"""
from __future__ import annotations

import os
import sys
import stat
import tarfile
import time
from pathlib import Path
from typing import BinaryIO, Iterator

from mimeidb.cli.client import CliError
from mimeidb.ipfs import cid as cids
from mimeidb.ipfs import importer

API = "/api/v0/ipfs/"
CHUNK = 1 << 18
PROGRESS_MIN_BYTES = 4 << 20  # smaller uploads finish before a bar would help


def register(sub) -> None:
    ipfs = sub.add_parser("ipfs", help="add, read and pin IPFS files and blocks").add_subparsers(
        dest="ipfs_command", metavar="SUBCOMMAND")

    p = ipfs.add_parser("add", help="add a file or directory; prints its CID",
                        description="examples: mimeidb ipfs add notes.txt; mimeidb ipfs add -r site/; "
                                    "mimeidb ipfs add --cid-version 1 -q movie.mp4")
    p.add_argument("path", help="file or directory ('-' reads standard input)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the root CID")
    p.add_argument("-r", "--recursive", action="store_true", help="add a directory tree")
    p.add_argument("--cid-version", type=int, choices=(0, 1), default=0,
                   help="0 (default, Qm...) or 1 (raw leaves, bafy...), as kubo")
    p.add_argument("-n", "--only-hash", action="store_true", help="compute the CID only, store nothing")
    p.add_argument("--hidden", action="store_true", help="include dot-files with -r")
    p.add_argument("--no-pin", action="store_true", help="do not pin the added content")
    p.set_defaults(func=cmd_add)

    p = ipfs.add_parser("cat", help="print a file", description="example: mimeidb ipfs cat <cid>/a.txt")
    p.add_argument("path", help="<cid>[/path]")
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--length", type=int)
    p.set_defaults(func=cmd_cat)

    p = ipfs.add_parser("get", help="save a file or directory",
                        description="example: mimeidb ipfs get <cid> -o out")
    p.add_argument("path", help="<cid>[/path]")
    p.add_argument("-o", "--output", help="where to write (default: the CID or last path name)")
    p.set_defaults(func=cmd_get)

    p = ipfs.add_parser("ls", help="list a directory", description="example: mimeidb ipfs ls <cid>")
    p.add_argument("path", help="<cid>[/path]")
    p.set_defaults(func=cmd_ls)

    block = ipfs.add_parser("block", help="raw blocks").add_subparsers(dest="block_command", metavar="SUBCOMMAND")
    p = block.add_parser("get", help="write a block's bytes to stdout", description="example: mimeidb ipfs block get <cid> > b")
    p.add_argument("cid")
    p.set_defaults(func=cmd_block_get)
    p = block.add_parser("put", help="store a block from a file ('-' for stdin)",
                         description="example: mimeidb ipfs block put --cid-codec dag-cbor commit.cbor")
    p.add_argument("file")
    p.add_argument("--cid-codec", default="raw", choices=("raw", "dag-pb", "dag-cbor"))
    p.set_defaults(func=cmd_block_put)
    p = block.add_parser("stat", help="size of a block", description="example: mimeidb ipfs block stat <cid>")
    p.add_argument("cid")
    p.set_defaults(func=cmd_block_stat)

    pin = ipfs.add_parser("pin", help="keep content through repo gc").add_subparsers(dest="pin_command", metavar="SUBCOMMAND")
    p = pin.add_parser("add", help="pin a DAG (recursive)", description="example: mimeidb ipfs pin add <cid>")
    p.add_argument("path")
    p.set_defaults(func=cmd_pin_add)
    p = pin.add_parser("rm", help="unpin", description="example: mimeidb ipfs pin rm <cid>")
    p.add_argument("path")
    p.set_defaults(func=cmd_pin_rm)
    p = pin.add_parser("ls", help="list pins", description="example: mimeidb ipfs pin ls")
    p.set_defaults(func=cmd_pin_ls)

    repo = sub.add_parser("repo", help="the node's block repository").add_subparsers(dest="repo_command", metavar="SUBCOMMAND")
    p = repo.add_parser("gc", help="delete blocks not pinned nor part of a Mimei version",
                        description="example: mimeidb repo gc")
    p.set_defaults(func=cmd_repo_gc)

    dag = sub.add_parser("dag", help="export and import DAGs as CAR files").add_subparsers(dest="dag_command", metavar="SUBCOMMAND")
    p = dag.add_parser("export", help="write a DAG as CAR", description="example: mimeidb dag export <cid> -o f.car")
    p.add_argument("cid")
    p.add_argument("-o", "--output", help="CAR file (default: stdout)")
    p.set_defaults(func=cmd_dag_export)
    p = dag.add_parser("import", help="verify and store a CAR file, pinning its roots",
                       description="example: mimeidb dag import f.car")
    p.add_argument("file")
    p.add_argument("--no-pin-roots", action="store_true")
    p.set_defaults(func=cmd_dag_import)


# -- progress -------------------------------------------------------------------------

class _Progress:
    """A one-line bar on stderr, only when stderr is a terminal and the input is large."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.enabled = sys.stderr.isatty() and (total or 0) >= PROGRESS_MIN_BYTES
        self.done = 0
        self._last = 0.0

    def __call__(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if self.enabled and now - self._last >= 0.1:
            self._last = now
            pct = f" {100 * done // self.total:3d}%" if self.total else ""
            sys.stderr.write(f"\r{done / 2**20:10.1f} MiB / {self.total / 2**20:.1f} MiB{pct}")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            self._last = 0.0
            self(self.total or self.done)
            sys.stderr.write("\n")

    def wrap(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            yield chunk
            self(self.done + len(chunk))
        self.finish()


def upload_file(ctx, path: str, params: dict, f: BinaryIO, stdin: bool) -> dict:
    """POST a file: a regular file goes with Content-Length by sendfile(2), a pipe chunked."""
    size = None
    if not stdin:
        try:
            size = os.fstat(f.fileno()).st_size
        except (OSError, ValueError):
            size = None
    progress = _Progress(size)
    if size is not None and stat.S_ISREG(os.fstat(f.fileno()).st_mode):
        reply = ctx.api.call("POST", path, params=params, data=f, progress=progress)
        progress.finish()
        return reply
    return ctx.api.call("POST", path, params=params, data=progress.wrap(_file_chunks(f)))


def _file_chunks(f: BinaryIO) -> Iterator[bytes]:
    while chunk := f.read(CHUNK):
        yield chunk


def _walk(root: Path, hidden: bool, name: str = "") -> Iterator[tuple[Path, str]]:
    """(path, name in the tar) depth-first, sorted, skipping dot-files unless hidden."""
    name = name or root.name
    yield root, name
    if root.is_dir() and not root.is_symlink():
        for entry in sorted(os.scandir(root), key=lambda e: e.name.encode("utf-8", "surrogateescape")):
            if hidden or not entry.name.startswith("."):
                yield from _walk(Path(entry.path), hidden, f"{name}/{entry.name}")


def tar_stream(root: Path, hidden: bool = False) -> Iterator[bytes]:
    """A POSIX (pax) tar of `root`, produced chunk by chunk."""
    for path, name in _walk(root, hidden):
        info = tarfile.TarInfo(name)
        st = path.lstat()
        info.mtime = int(st.st_mtime)
        info.mode = st.st_mode & 0o7777
        if path.is_symlink():
            info.type, info.linkname = tarfile.SYMTYPE, os.readlink(path)
        elif path.is_dir():
            info.type = tarfile.DIRTYPE
        elif path.is_file():
            info.size = st.st_size
        else:
            continue
        yield info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
        if info.isfile():
            left = info.size
            with open(path, "rb") as f:
                while left > 0:
                    chunk = f.read(min(CHUNK, left)) or bytes(min(CHUNK, left))  # file shrank: pad
                    left -= len(chunk)
                    yield chunk
            if info.size % tarfile.BLOCKSIZE:
                yield bytes(tarfile.BLOCKSIZE - info.size % tarfile.BLOCKSIZE)
    yield bytes(2 * tarfile.BLOCKSIZE)


def _tree_size(root: Path, hidden: bool) -> int:
    return sum(p.lstat().st_size for p, _ in _walk(root, hidden) if p.is_file() and not p.is_symlink())


# -- handlers -------------------------------------------------------------------------

def cmd_add(args, ctx) -> int:
    stdin = args.path == "-"
    path = Path(args.path)
    if not stdin and not path.exists():
        raise CliError(f"{args.path}: no such file or directory")
    if not stdin and path.is_dir() and not args.recursive:
        raise CliError(f"{args.path} is a directory (use -r to add a directory)")
    directory = not stdin and path.is_dir()
    if args.only_hash:
        reply = _add_locally(args, path, directory)
    else:
        params = {"cid-version": args.cid_version, "pin": "false" if args.no_pin else "true",
                  "name": "" if stdin else path.name}
        if directory:
            params["tar"] = "1"
            progress = _Progress(_tree_size(path, args.hidden))
            body = progress.wrap(tar_stream(path, args.hidden))
            reply = ctx.api.call("POST", API + "add", params=params, data=body)
        else:
            with (sys.stdin.buffer if stdin else open(path, "rb")) as f:
                reply = upload_file(ctx, API + "add", params, f, stdin)
    lines = [reply["cid"]] if args.quiet else [
        *(f"added {e['cid']} {e['name']}" for e in reply.get("entries", []) if directory),
        f"ipfs add ok /ipfs/{reply['cid']}"]
    ctx.emit(reply, *lines)
    return 0


def _add_locally(args, path: Path, directory: bool) -> dict:
    entries: list[dict] = []

    def on_entry(name: str, added: importer.Added) -> None:
        entries.append({"name": name, "cid": cids.format(added.cid), "size": added.size})

    if directory:
        progress = _Progress(_tree_size(path, args.hidden))
        root = importer.add_path(None, path, args.cid_version, progress, on_entry, args.hidden)
    elif args.path == "-":
        progress = _Progress(None)
        root = importer.add_file(None, sys.stdin.buffer, args.cid_version, progress)
    else:
        progress = _Progress(path.stat().st_size)
        with open(path, "rb") as f:
            root = importer.add_file(None, f, args.cid_version, progress)
    progress.finish()
    return {"cid": cids.format(root.cid), "name": path.name, "size": root.size, "entries": entries}


def cmd_cat(args, ctx) -> int:
    params = {"arg": args.path, "offset": args.offset, "length": args.length}
    out = sys.stdout.buffer
    for chunk in ctx.api.stream("GET", API + "cat", params=params):
        out.write(chunk)
    out.flush()
    return 0


def cmd_get(args, ctx) -> int:
    target = args.path.removeprefix("/ipfs/").rstrip("/")
    out = Path(args.output or target.rsplit("/", 1)[-1])
    if out.exists() or out.is_symlink():
        raise CliError(f"{out} already exists")
    _get(ctx, target, out)
    ctx.emit({"saved": str(out)}, f"Saving file(s) to {out}")
    return 0


def _get(ctx, target: str, out: Path) -> None:
    stat = ctx.api.call("GET", API + "stat", params={"arg": target})
    if stat["type"] == "dir":
        out.mkdir()
        for entry in ctx.api.call("GET", API + "ls", params={"arg": target})["entries"]:
            importer.check_name(entry["name"])  # a DAG's names never leave `out`
            _get(ctx, f"{target}/{entry['name']}", out / entry["name"])
    elif stat["type"] == "file":
        with open(out, "xb") as f:
            for chunk in ctx.api.stream("GET", API + "cat", params={"arg": target}):
                f.write(chunk)
    else:
        print(f"skipped {target}: a {stat['type']}", file=sys.stderr)


def cmd_ls(args, ctx) -> int:
    reply = ctx.api.call("GET", API + "ls", params={"arg": args.path})
    ctx.emit(reply, *(f"{e['cid']} {e['size'] if e['type'] != 'dir' else '-'} "
                      f"{e['name']}{'/' if e['type'] == 'dir' else ''}" for e in reply["entries"]))
    return 0


def cmd_block_get(args, ctx) -> int:
    for chunk in ctx.api.stream("GET", API + "block/get", params={"arg": args.cid}):
        sys.stdout.buffer.write(chunk)
    sys.stdout.buffer.flush()
    return 0


def cmd_block_put(args, ctx) -> int:
    with (sys.stdin.buffer if args.file == "-" else open(args.file, "rb")) as f:
        data = f.read()
    reply = ctx.api.call("POST", API + "block/put", params={"cid-codec": args.cid_codec}, data=data)
    ctx.emit(reply, reply["cid"])
    return 0


def cmd_block_stat(args, ctx) -> int:
    reply = ctx.api.call("GET", API + "block/stat", params={"arg": args.cid})
    ctx.emit(reply, f"Key: {reply['cid']}", f"Size: {reply['size']}")
    return 0


def cmd_pin_add(args, ctx) -> int:
    reply = ctx.api.call("POST", API + "pin/add", params={"arg": args.path})
    ctx.emit(reply, *(f"pinned {c} recursively" for c in reply["pins"]))
    return 0


def cmd_pin_rm(args, ctx) -> int:
    reply = ctx.api.call("POST", API + "pin/rm", params={"arg": args.path})
    ctx.emit(reply, *(f"unpinned {c}" for c in reply["pins"]))
    return 0


def cmd_pin_ls(args, ctx) -> int:
    reply = ctx.api.call("GET", API + "pin/ls")
    ctx.emit(reply, *(f"{c} recursive" for c in reply["pins"]))
    return 0


def cmd_repo_gc(args, ctx) -> int:
    reply = ctx.api.call("POST", API + "repo/gc")
    ctx.emit(reply, f"removed {reply['removed']} blocks")
    return 0


def cmd_dag_export(args, ctx) -> int:
    chunks = ctx.api.stream("GET", API + "dag/export", params={"arg": args.cid})
    if args.output:
        with open(args.output, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
    else:
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    return 0


def cmd_dag_import(args, ctx) -> int:
    params = {"pin-roots": "false" if args.no_pin_roots else "true"}
    with open(args.file, "rb") as f:
        progress = _Progress(os.fstat(f.fileno()).st_size)
        reply = ctx.api.call("POST", API + "dag/import", params=params, data=progress.wrap(_file_chunks(f)))
    ctx.emit(reply, *(f"Pinned root {r} success" if reply["pinned"] else f"root {r}" for r in reply["roots"]),
             f"imported {reply['blocks']} blocks")
    return 0
