"""Entry point of the `mimeidb` command."""
from __future__ import annotations

import argparse
import re
import sys

from mimeidb import __version__
from mimeidb.cli import ipfs_cmd, lpki_cmd, mimei_cmd, node_cmd, p2p_cmd, swarm_cmd
from mimeidb.cli.client import CliError
from mimeidb.cli.context import CliContext
from mimeidb.config import Home

COMMAND_MODULES = [node_cmd, swarm_cmd, p2p_cmd, lpki_cmd, mimei_cmd, ipfs_cmd]

EPILOG = """examples:
  mimeidb run -d                     start the node in the background
  mimeidb swarm id                   this node's Leither ID and peer ID
  mimeidb mimei create -t db         a new database Mimei
  redis-cli -p 4801 SET k v          talk Redis to the node's default Mimei
  mimeidb stop                       stop the background node
"""


# Leither IDs use the base64url alphabet, so one in 64 starts with '-'; argparse must take
# such a word for a value, not an option (as it does for negative numbers).
_ID_OR_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$|^-[A-Za-z0-9_-]{26}$")


class Parser(argparse.ArgumentParser):
    """ArgumentParser that reads a mid starting with '-' as a positional value."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _ID_OR_NUMBER


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="mimeidb", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="A decentralized, versioned, Redis-compatible database node.")
    parser.add_argument("--home", metavar="DIR",
                        help="node home (default: $MIMEIDB_HOME or ~/.mimeidb)")
    parser.add_argument("--json", action="store_true", help="machine-readable JSON output")
    parser.add_argument("--version", action="version", version=f"mimeidb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        if args.command:
            parser.parse_args([args.command, "--help"])
        parser.print_help()
        return 2
    ctx = CliContext(home=Home(args.home), json=args.json)
    try:
        return int(args.func(args, ctx) or 0)
    except CliError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
