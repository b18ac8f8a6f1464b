"""IPFS: CIDs, the UnixFS importer/exporter (dag-pb), the blockstore keyspace and CAR files."""
