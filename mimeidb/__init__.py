"""mimeidb: a decentralized, versioned, Redis-compatible database node."""
__version__ = "0.1.0"
