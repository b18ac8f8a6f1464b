"""Redis commands over a keyspace, one module per family, registered in one table (table.py)."""
