"""`mimeidb mimei ...`: create, open, grep, default, list."""
from __future__ import annotations

from mimeidb.cli import files_cmd, p2p_cmd
from mimeidb.cli.versions_cmd import register_mimei

API = "/api/v0/mimei/"


def register(sub) -> None:
    mimei = sub.add_parser("mimei", help="create and use Mimei (file or db)").add_subparsers(
        dest="mimei_command", metavar="SUBCOMMAND")
    p = mimei.add_parser("create", help="create a Mimei (default type: file)",
                         description="examples: mimeidb mimei create; mimeidb mimei create -t db")
    p.add_argument("-t", "--type", default="file", choices=("file", "db"), help="Mimei type")
    p.add_argument("-a", "--app", default="", help="default application ID")
    p.add_argument("-e", "--ext", default="", help="extension field")
    p.add_argument("-m", "--mark", default="", help="mark (default: time + random, so each create is new)")
    p.set_defaults(func=cmd_create)

    p = mimei.add_parser("open", help="open a Mimei version and print its mmsid",
                         description="example: mimeidb mimei open <mid>  (then redis-cli -p 4801 -a <mmsid>)")
    p.add_argument("mid")
    p.add_argument("-v", "--ver", default="cur", help="cur (writable), last, release or a number")
    p.set_defaults(func=cmd_open)

    p = mimei.add_parser("grep", help="dump the keys and values of a db Mimei",
                         description="example: mimeidb mimei grep <mid> -m 'user:*'")
    p.add_argument("mid")
    p.add_argument("-m", "--match", default="*", help="glob pattern of keys (default *)")
    p.add_argument("-v", "--ver", default="cur", help="version (default cur)")
    p.set_defaults(func=cmd_grep)

    p = mimei.add_parser("default", help="show or choose the db Mimei that unauthenticated local "
                                         "RESP connections use")
    p.add_argument("mid", nargs="?")
    p.set_defaults(func=cmd_default)

    p = mimei.add_parser("list", help="list the Mimei on this node")
    p.set_defaults(func=cmd_list)
    files_cmd.register_mimei(mimei)
    p2p_cmd.register_mimei(mimei)  # publish, sync, provide, findprovs
    register_mimei(mimei)  # backup, history, diff, restore, release, delvers, verify, show, set, import


def cmd_create(args, ctx) -> int:
    record = ctx.api.call("POST", API + "create", json={"type": args.type, "app": args.app,
                                                       "ext": args.ext, "mark": args.mark})
    ctx.emit(record, "Create MiMei  ok ", f"mid= {record['mid']}")
    return 0


def cmd_open(args, ctx) -> int:
    reply = ctx.api.call("POST", API + "open", json={"mid": args.mid, "ver": args.ver})
    ctx.emit(reply, reply["mmsid"])
    return 0


def cmd_grep(args, ctx) -> int:
    reply = ctx.api.call("GET", API + "grep", params={"mid": args.mid, "ver": args.ver,
                                                     "pattern": args.match})
    ctx.emit(reply, f"mid: {reply['mid']}", f"ver: {reply['version']}",
             f"MMOpen ok mmsid= {reply['mmsid']}", "Data Type KV",
             *(f"{row['key']}\t{row['value']}" for row in reply["keys"]))
    return 0


def cmd_default(args, ctx) -> int:
    if args.mid:
        reply = ctx.api.call("POST", API + "default", json={"mid": args.mid})
    else:
        reply = ctx.api.call("GET", API + "default")
    ctx.emit(reply, reply["mid"])
    return 0


def cmd_list(args, ctx) -> int:
    records = ctx.api.call("GET", API + "list")
    ctx.emit(records, *(f"{r['mid']}  {r['type']:4}  {r['author']}" for r in records))
    return 0
