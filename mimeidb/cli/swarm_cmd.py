"""`mimeidb swarm id|local`: who this node is and where it listens."""
from __future__ import annotations


def register(sub) -> None:
    swarm = sub.add_parser("swarm", help="node identity and addresses").add_subparsers(
        dest="swarm_command", metavar="SUBCOMMAND")
    p = swarm.add_parser("id", help="print the Leither ID and the libp2p peer ID",
                         description="Two lines: the 27-char Leither ID, then the 12D3KooW... peer ID.")
    p.set_defaults(func=cmd_id)
    p = swarm.add_parser("local", help="print this node's multiaddrs, one a line")
    p.set_defaults(func=cmd_local)


def cmd_id(args, ctx) -> int:
    info = ctx.api.call("GET", "/api/v0/id")
    ctx.emit(info, info["ID"], info["PeerID"])
    return 0


def cmd_local(args, ctx) -> int:
    addrs = ctx.api.call("GET", "/api/v0/swarm/local")["Strings"]
    ctx.emit(addrs, *addrs)
    return 0
