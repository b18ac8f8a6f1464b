"""`mimeidb mimei backup|history|diff|restore|release|delvers|verify|show|set|import`:
the versions of a Mimei (DESIGN.md §4)."""
from __future__ import annotations

from datetime import datetime, timezone

from mimeidb.cli.client import CliError

API = "/api/v0/mimei/"
RULE = "-" * 61


def register_mimei(mimei) -> None:
    """Add the version subcommands to the `mimei` command group."""
    p = mimei.add_parser("backup", help="seal cur as a new version (no change: no new version)",
                         description="example: mimeidb mimei backup <mid> -m 'before upgrade'")
    p.add_argument("mid")
    p.add_argument("-m", "--memo", default="", help="a note kept with the version")
    p.set_defaults(func=cmd_backup)

    p = mimei.add_parser("history", help="list the versions of a Mimei")
    p.add_argument("mid")
    p.set_defaults(func=cmd_history)

    p = mimei.add_parser("diff", help="keys added, changed and removed between two versions",
                         description="example: mimeidb mimei diff <mid> 2 3  (also last, release, cur)")
    p.add_argument("mid")
    p.add_argument("a", help="older version")
    p.add_argument("b", nargs="?", default="cur", help="newer version (default cur)")
    p.set_defaults(func=cmd_diff)

    p = mimei.add_parser("restore", help="copy a version back into cur")
    p.add_argument("mid")
    p.add_argument("ver", help="a number, last or release")
    p.set_defaults(func=cmd_restore)

    p = mimei.add_parser("release", help='name a version "release"')
    p.add_argument("mid")
    p.add_argument("ver", help="a number or last")
    p.set_defaults(func=cmd_release)

    p = mimei.add_parser("delvers", help="drop versions (the newest one stays)")
    p.add_argument("mid")
    p.add_argument("versions", nargs="+", type=int, metavar="N")
    p.set_defaults(func=cmd_delvers)

    p = mimei.add_parser("verify", help="re-check the hashes and the signature chain of versions")
    p.add_argument("mid")
    p.add_argument("-v", "--ver", default="", help="one version (default: the newest and its chain)")
    p.set_defaults(func=cmd_verify)

    p = mimei.add_parser("show", help="the Mimei's record and the versions kept on this node")
    p.add_argument("mid")
    p.set_defaults(func=cmd_show)

    p = mimei.add_parser("set", help="change a Mimei setting",
                         description="example: mimeidb mimei set <mid> autobackup 200  (ms; 0 = off)")
    p.add_argument("mid")
    p.add_argument("name", choices=("autobackup",))
    p.add_argument("value")
    p.set_defaults(func=cmd_set)

    p = mimei.add_parser("import", help="register a version received with `dag import` "
                                        "(verified first)",
                         description="example: mimeidb dag import v3.car; mimeidb mimei import <commit-cid>")
    p.add_argument("commit", help="the commit CID (the CAR's root)")
    p.set_defaults(func=cmd_import)


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).astimezone().isoformat(timespec="seconds")


def cmd_backup(args, ctx) -> int:
    reply = ctx.api.call("POST", API + "backup", json={"mid": args.mid, "memo": args.memo})
    if reply["changed"]:
        ctx.emit(reply, f"MMBackup ver= {reply['version']}", f"commit= {reply['commit']}")
    else:
        ctx.emit(reply, f"MMBackup no change, ver= {reply['version']}")
    return 0


def cmd_history(args, ctx) -> int:
    reply = ctx.api.call("GET", API + "history", params={"mid": args.mid})
    lines = [f"{'ver':<8} {'commit':<60} {'time':<25} memo"]
    for row in reply["versions"]:
        names = [n for n in ("last", "release") if reply[n] == row["version"]]
        tag = f" [{', '.join(names)}]" if names else ""
        lines.append(f"{row['version']:<8} {row['commit']:<60} {_time(row['time']):<25} "
                     f"{row['memo']}{tag}")
    if not reply["versions"]:
        lines = ["no versions yet (mimeidb mimei backup <mid>)"]
    ctx.emit(reply, *lines)
    return 0


def cmd_diff(args, ctx) -> int:
    reply = ctx.api.call("GET", API + "diff", params={"mid": args.mid, "a": args.a, "b": args.b})
    lines = [f"diff {args.a} -> {args.b}: {len(reply['added'])} added, "
             f"{len(reply['changed'])} changed, {len(reply['removed'])} removed"]
    for mark, name in (("+", "added"), ("~", "changed"), ("-", "removed")):
        lines += [f"{mark} {key}" for key in reply[name]]
    ctx.emit(reply, *lines)
    return 0


def cmd_restore(args, ctx) -> int:
    reply = ctx.api.call("POST", API + "restore", json={"mid": args.mid, "ver": args.ver})
    ctx.emit(reply, f"MMRestore ok ver= {reply['version']} keys= {reply['keys']}")
    return 0


def cmd_release(args, ctx) -> int:
    reply = ctx.api.call("POST", API + "release", json={"mid": args.mid, "ver": args.ver})
    ctx.emit(reply, f"MMRelease ok release= {reply['release']}")
    return 0


def cmd_delvers(args, ctx) -> int:
    reply = ctx.api.call("POST", API + "delvers", json={"mid": args.mid, "versions": args.versions})
    ctx.emit(reply, f"MMDelVers ok dropped= {' '.join(map(str, reply['dropped']))}")
    return 0


def cmd_verify(args, ctx) -> int:
    reply = ctx.api.call("GET", API + "verify", params={"mid": args.mid, "ver": args.ver or None})
    ctx.emit(reply, f"verify ok ver= {reply['version']} commit= {reply['commit']}",
             f"checked versions: {' '.join(map(str, reply['checked']))}")
    return 0


def cmd_show(args, ctx) -> int:
    r = ctx.api.call("GET", API + "show", params={"mid": args.mid})
    lines = [f"MiMeiShow mid= {r['mid']}", f"Author  : {r['Author']}", f"AppType : {r['AppType']}",
             f"Ext     : {r['Ext']}", f"Mark    : {r['Mark']}", f"Create  : {r['Create']}",
             f"Right   : {r['Right']}", f"Type    : {r['type']}"]
    if r["autobackup"]:
        lines.append(f"AutoBackup: {r['autobackup']} ms")
    lines += ["", "from local", RULE]
    lines += [f"{v['version']:<8} {v['data']}" for v in r["versions"]]
    if r["last"]:
        lines.append(f"{'last':<8} {r['last']}")
    if r["release"]:
        lines.append(f"{'release':<8} {r['release']}")
    net = _network_status(ctx, args.mid)
    lines += ["", "from net", RULE] + _net_lines(net, r)
    r["net"] = net
    ctx.emit(r, *lines, "", "mimei show ok")
    return 0


def _network_status(ctx, mid: str) -> dict:
    """The network's view of the Mimei (head record in the DHT), or why there is none."""
    try:
        return ctx.api.call("GET", "/api/v0/mimei/netstatus", params={"arg": mid})
    except CliError as exc:
        return {"error": str(exc)}


def _net_lines(net: dict, local: dict) -> list[str]:
    """The seed's "from net", "conflict" and "compare version" sections."""
    if "error" in net:
        return [f"unavailable: {net['error']}"]
    head = net.get("network")
    if head is None:
        return ["not published", "", "conflict", RULE, "no conflict"]
    held_data = {v.get("commit"): v["data"] for v in local["versions"]}
    shown = held_data.get(head["commit"], head["commit"])  # the data CID when the commit is here
    lines = [f"{head['version']:<8} {shown}", f"{'last':<8} {head['version']}",
             "", "conflict", RULE,
             "conflict: the network names another commit for a version held here"
             if net.get("conflict") else "no conflict", "", "compare version", RULE]
    held = local["last"] or 0
    if held == head["version"]:
        lines.append("local version is same with net")
    elif held < head["version"]:
        lines.append(f"local version is older than net: run `mimeidb mimei sync {local['mid']}`")
    else:
        lines.append("local version is newer than net: run `mimeidb mimei publish "
                     f"{local['mid']}`")
    return lines


def cmd_set(args, ctx) -> int:
    reply = ctx.api.call("POST", API + "set", json={"mid": args.mid, "name": args.name,
                                                   "value": args.value})
    delay = reply["autobackup"]
    ctx.emit(reply, f"autobackup {'off' if not delay else f'{delay} ms'}")
    return 0


def cmd_import(args, ctx) -> int:
    reply = ctx.api.call("POST", API + "import", json={"commit": args.commit})
    got = reply["imported"]
    ctx.emit(reply, f"MMImport ok mid= {reply['mid']} ver= {reply['version']}"
             + (f" (new here: {' '.join(map(str, got))})" if got else " (already here)"))
    return 0
