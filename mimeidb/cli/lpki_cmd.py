"""`mimeidb lpki`: Ed25519 user keys, offline (no node needed)."""
from __future__ import annotations

from pathlib import Path

from mimeidb import ids
from mimeidb.cli.client import CliError
from mimeidb.keys import KeyPair, b64url, b64url_decode


def register(sub) -> None:
    lpki = sub.add_parser("lpki", help="keys and identities").add_subparsers(
        dest="lpki_command", metavar="SUBCOMMAND")
    p = lpki.add_parser("genkey", help="make a new Ed25519 key file (mode 0600) and print its ID",
                        description="example: mimeidb lpki genkey -o my.key")
    p.add_argument("-o", "--output", required=True, help="key file to write")
    p.add_argument("-f", "--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_genkey)
    p = lpki.add_parser("id", help="print the Leither ID of a public key",
                        description="example: mimeidb lpki id --pubkey 2T1U4-IUMfYpppIcPi8ITJazt8I2PpOI8W1jctmm1Hs=")
    p.add_argument("--pubkey", required=True, help="base64url of a raw 32-byte Ed25519 public key")
    p.set_defaults(func=cmd_id)
    p = lpki.add_parser("show", help="print a key file's ID and public key",
                        description="example: mimeidb lpki show -i my.key")
    p.add_argument("-i", "--input", required=True, help="key file to read")
    p.set_defaults(func=cmd_show)


def cmd_genkey(args, ctx) -> int:
    path = Path(args.output)
    if path.exists() and not args.force:
        raise CliError(f"{path} exists (use -f to overwrite)")
    key = KeyPair.generate()
    try:
        key.save(path)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None
    ctx.emit({"ID": key.id, "PublicKey": b64url(key.public_key), "File": str(path)}, key.id)
    return 0


def cmd_id(args, ctx) -> int:
    try:
        public = b64url_decode(args.pubkey)
        key_id = ids.key_id(public)
    except ValueError:
        raise CliError("--pubkey must be the base64url of a 32-byte Ed25519 public key") from None
    ctx.emit({"ID": key_id}, key_id)
    return 0


def cmd_show(args, ctx) -> int:
    key = KeyPair.load(Path(args.input))
    ctx.emit({"ID": key.id, "PublicKey": b64url(key.public_key), "PeerID": key.peer_id},
             f"id      : {key.id}", f"pubkey  : {b64url(key.public_key)}", f"peer id : {key.peer_id}")
    return 0
