"""`mimeidb mimei setcid|add|get`: the versions of a file Mimei.

`add` streams the upload exactly as `ipfs add` does (the raw file, or a tar stream built on
the fly for -r) and the node seals the imported root as the next version. `get` resolves a
version and reads it through the IPFS read routes, so files of any size stream.
"""
from __future__ import annotations

import sys
from pathlib import Path

from mimeidb.cli import ipfs_cmd
from mimeidb.cli.client import CliError

API = "/api/v0/mimei/"
IPFS_API = "/api/v0/ipfs/"


def register_mimei(mimei) -> None:
    p = mimei.add_parser("setcid", help="make an IPFS root held by this node the next version of a file Mimei",
                         description="example: mimeidb mimei setcid <mid> QmWiEp87XKT5CLfSGiEeGAgMobXuWVz6n5e8dXv82Uu4U2")
    p.add_argument("mid")
    p.add_argument("cid", help="the root CID (add the content first with `mimeidb ipfs add`)")
    p.add_argument("-m", "--memo", default="", help="a note stored in the version")
    p.set_defaults(func=cmd_setcid)

    p = mimei.add_parser("add", help="add a file (or a directory with -r) as the next version of a file Mimei",
                         description="examples: mimeidb mimei add <mid> notes.txt; mimeidb mimei add <mid> -r site/")
    p.add_argument("mid")
    p.add_argument("path", help="file or directory ('-' reads standard input)")
    p.add_argument("-r", "--recursive", action="store_true", help="add a directory tree")
    p.add_argument("--cid-version", type=int, choices=(0, 1), default=0,
                   help="0 (default, Qm...) or 1 (raw leaves, bafy...), as kubo")
    p.add_argument("--hidden", action="store_true", help="include dot-files with -r")
    p.add_argument("-m", "--memo", default="", help="a note stored in the version")
    p.set_defaults(func=cmd_add)

    p = mimei.add_parser("get", help="print or save a file Mimei's content (a directory is listed)",
                         description="examples: mimeidb mimei get <mid>; mimeidb mimei get <mid>/docs/a.txt -v 1; "
                                     "mimeidb mimei get <mid> -o site")
    p.add_argument("mid", help="<mid>[/path]")
    p.add_argument("-v", "--ver", default="last", help="a version number, last (default) or release")
    p.add_argument("-o", "--output", help="write the file or directory tree here instead")
    p.set_defaults(func=cmd_get)


def cmd_setcid(args, ctx) -> int:
    reply = ctx.api.call("POST", API + "setcid", json={"mid": args.mid, "cid": args.cid, "memo": args.memo})
    ctx.emit(reply, f"mid= {reply['mid']}", f"cid= {reply['cid']}", f"MiMeiSetCid ver= {reply['version']}")
    return 0


def cmd_add(args, ctx) -> int:
    stdin = args.path == "-"
    path = Path(args.path)
    if not stdin and not path.exists():
        raise CliError(f"{args.path}: no such file or directory")
    if not stdin and path.is_dir() and not args.recursive:
        raise CliError(f"{args.path} is a directory (use -r to add a directory)")
    params = {"mid": args.mid, "cid-version": args.cid_version, "memo": args.memo,
              "name": "" if stdin else path.name}
    if not stdin and path.is_dir():
        params["tar"] = "1"
        progress = ipfs_cmd._Progress(ipfs_cmd._tree_size(path, args.hidden))
        reply = ctx.api.call("POST", API + "add", params=params,
                             data=progress.wrap(ipfs_cmd.tar_stream(path, args.hidden)))
    else:
        with (sys.stdin.buffer if stdin else open(path, "rb")) as f:
            reply = ipfs_cmd.upload_file(ctx, API + "add", params, f, stdin)
    ctx.emit(reply, f"add /ipfs/{reply['cid']} {reply['size']}", f"MiMeiAdd cid= /ipfs/{reply['cid']}",
             f"MiMeiAdd ver= {reply['version']}")
    return 0


def cmd_get(args, ctx) -> int:
    mid, _, path = args.mid.partition("/")
    found = ctx.api.call("GET", API + "resolve", params={"mid": mid, "ver": args.ver, "path": path})
    target = found["target"]
    if args.output:
        out = Path(args.output)
        if out.exists() or out.is_symlink():
            raise CliError(f"{out} already exists")
        ipfs_cmd._get(ctx, target, out)
        ctx.emit({**found, "saved": str(out)}, f"Saving file(s) to {out}")
        return 0
    stat = ctx.api.call("GET", IPFS_API + "stat", params={"arg": target})
    if stat["type"] == "dir":
        reply = ctx.api.call("GET", IPFS_API + "ls", params={"arg": target})
        ctx.emit({**found, "entries": reply["entries"]},
                 *(f"{e['cid']} {e['size'] if e['type'] != 'dir' else '-'} "
                   f"{e['name']}{'/' if e['type'] == 'dir' else ''}" for e in reply["entries"]))
        return 0
    out = sys.stdout.buffer
    for chunk in ctx.api.stream("GET", IPFS_API + "cat", params={"arg": target}):
        out.write(chunk)
    out.flush()
    return 0
