"""RocksDB storage: one database per node, column families by role (DESIGN.md §5)."""
