"""Versions: Merkle search tree snapshots of a keyspace, signed commits, diff and verification."""
