"""`mimeidb swarm id|local|peers|addrs|connect`: who this node is, where it listens, whom it knows."""
from __future__ import annotations

from mimeidb import ids


def register(sub) -> None:
    swarm = sub.add_parser("swarm", help="node identity, addresses and peers").add_subparsers(
        dest="swarm_command", metavar="SUBCOMMAND")
    p = swarm.add_parser("id", help="print the Leither ID and the libp2p peer ID",
                         description="Two lines: the 27-char Leither ID, then the 12D3KooW... peer ID.")
    p.set_defaults(func=cmd_id)
    p = swarm.add_parser("local", help="print this node's multiaddrs, one a line")
    p.set_defaults(func=cmd_local)
    p = swarm.add_parser("peers", help="connected peers: multiaddr/p2p/<peer ID>, one a line")
    p.set_defaults(func=cmd_peers)
    p = swarm.add_parser("addrs", help="known peers (by Leither ID) and their addresses")
    p.set_defaults(func=cmd_addrs)
    p = swarm.add_parser("connect", help="connect to a peer",
                         description="example: mimeidb swarm connect /ip4/127.0.0.1/tcp/4802/p2p/12D3KooW...")
    p.add_argument("addr", help="multiaddr ending with /p2p/<peer ID>")
    p.set_defaults(func=cmd_connect)


def cmd_id(args, ctx) -> int:
    info = ctx.api.call("GET", "/api/v0/id")
    ctx.emit(info, info["ID"], info["PeerID"])
    return 0


def cmd_local(args, ctx) -> int:
    """The addresses the p2p host really listens on (the configured ones when it is off)."""
    try:
        addrs = ctx.api.call("GET", "/api/v0/swarm/listen")["Strings"]
    except Exception:  # noqa: BLE001 - p2p layer off: what the settings say
        addrs = ctx.api.call("GET", "/api/v0/swarm/local")["Strings"]
    ctx.emit(addrs, *addrs)
    return 0


def cmd_peers(args, ctx) -> int:
    peers = ctx.api.call("GET", "/api/v0/swarm/peers")["Peers"]
    ctx.emit(peers, *(f"{p['Addr']}/p2p/{p['Peer']}" for p in peers))
    return 0


def _leither(peer_id: str) -> str:
    try:
        return ids.key_id(ids.public_key_of_peer_id(peer_id))
    except ValueError:
        return peer_id


def cmd_addrs(args, ctx) -> int:
    known = ctx.api.call("GET", "/api/v0/swarm/addrs")["Addrs"]
    lines = []
    for peer, addrs in sorted(known.items()):
        lines.append(f"{_leither(peer)} ({len(addrs)})")
        lines.extend(f"\t{a}" for a in addrs)
    data = {peer: {"ID": _leither(peer), "Addrs": addrs} for peer, addrs in known.items()}
    ctx.emit(data, *lines)
    return 0


def cmd_connect(args, ctx) -> int:
    info = ctx.api.call("POST", "/api/v0/swarm/connect", {"arg": args.addr})
    ctx.emit(info, *info["Strings"])
    return 0
