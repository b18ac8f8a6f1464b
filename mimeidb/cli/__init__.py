"""The `mimeidb` command: a client of the node's HTTP API (except init/run/stop/lpki)."""
