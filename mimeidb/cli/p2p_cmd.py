"""`mimeidb dht findpeer` and the network side of `mimeidb mimei`: publish, sync, provide,
findprovs (`mimei show` compares local and network versions). (`swarm peers|addrs|connect` live in swarm_cmd.py.)"""
from __future__ import annotations


def register(sub) -> None:
    dht = sub.add_parser("dht", help="the Kademlia DHT").add_subparsers(
        dest="dht_command", metavar="SUBCOMMAND")
    p = dht.add_parser("findpeer", help="addresses of a peer, one a line",
                       description="example: mimeidb dht findpeer <peer ID or node Leither ID>")
    p.add_argument("peer", help="12D3KooW... peer ID or a node's 27-char Leither ID")
    p.set_defaults(func=cmd_findpeer)


def register_mimei(mimei) -> None:
    p = mimei.add_parser("publish", help="announce a Mimei's newest version to the network",
                         description="Puts a signed head record into the DHT, provides the Mimei "
                                     "and announces the head on its gossip topic. Later backups are "
                                     "announced by themselves.")
    p.add_argument("mid")
    p.add_argument("-e", "--eol", default="168h", help="end of life of the record (default 168h)")
    p.set_defaults(func=cmd_publish)

    p = mimei.add_parser("sync", help="fetch a Mimei's newest version from the network, verified")
    p.add_argument("mid")
    p.set_defaults(func=cmd_sync)

    p = mimei.add_parser("provide", help="follow a Mimei: keep every new version, serve it")
    p.add_argument("mid")
    p.add_argument("--stop", action="store_true", help="stop following it")
    p.set_defaults(func=cmd_provide)

    p = mimei.add_parser("findprovs", help="the nodes that provide a Mimei, by version")
    p.add_argument("mid")
    p.set_defaults(func=cmd_findprovs)



def cmd_findpeer(args, ctx) -> int:
    info = ctx.api.call("GET", "/api/v0/dht/findpeer", {"arg": args.peer})
    ctx.emit(info, *info["Addrs"])
    return 0


def cmd_publish(args, ctx) -> int:
    eol = args.eol if args.eol.endswith("h") else args.eol + "h"
    if not ctx.json:
        print(f"MiMeiPublish mids= [{args.mid}] EOL = {eol}")
    info = ctx.api.call("POST", "/api/v0/mimei/publish", {"arg": args.mid, "eol": eol})
    ctx.emit(info, "MiMeiPublish ok")
    return 0


def cmd_sync(args, ctx) -> int:
    if not ctx.json:
        print(f"MiMeiSync mid = {args.mid}")
    info = ctx.api.call("POST", "/api/v0/mimei/sync", {"arg": args.mid})
    ctx.emit(info, "mimei sync ok")
    return 0


def cmd_provide(args, ctx) -> int:
    if not ctx.json and not args.stop:
        print(f"MiMeiProvide cids= [{args.mid}]")
    info = ctx.api.call("POST", "/api/v0/mimei/provide",
                        {"arg": args.mid, "stop": "1" if args.stop else None})
    lines = ["MiMeiProvide ok"] if not args.stop else [f"stopped following {args.mid}"]
    if info.get("sync_error"):
        lines.insert(0, f"(no version synced yet: {info['sync_error']})")
    ctx.emit(info, *lines)
    return 0


def cmd_findprovs(args, ctx) -> int:
    info = ctx.api.call("GET", "/api/v0/mimei/findprovs", {"arg": args.mid})
    lines = [f"findprovs mid= {args.mid}"]
    groups = info["providers"]
    order = sorted(groups, key=lambda v: -int(v) if v.isdigit() else 1)
    for version in order:
        lines.append(f"Version:{version}")
        for prov in groups[version]:
            lines.append(f"PeerID\t: {prov['ID']}")
            lines.append(f"Addrs\t:[{' '.join(prov['Addrs'])}]")
            lines.append("")
    if not groups:
        lines.append("no provider found")
    ctx.emit(info, *lines)
    return 0
