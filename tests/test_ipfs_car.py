"""CAR round trips, tamper rejection, dag-cbor link walking, pins and GC."""
import io

import libipld
import pytest

from mimeidb.ipfs import car, cid, dag, importer, pins
from mimeidb.ipfs.blockstore import MemoryBlockStore, RocksBlockStore, multihash_of
from mimeidb.store.db import Database
from tests.test_ipfs_fixtures import kubo_bytes, make_testdirlisting


@pytest.fixture
def db(tmp_path):
    d = Database(tmp_path / "db")
    yield d
    d.close()


def car_bytes(store, root):
    return b"".join(car.write_car([root], car.dag_blocks(store, root)))


def test_round_trip_unixfs(tmp_path):
    src = MemoryBlockStore()
    root = importer.add_path(src, make_testdirlisting(tmp_path)).cid
    data = car_bytes(src, root)
    dst = MemoryBlockStore()
    roots, count = car.import_car(dst, io.BytesIO(data))
    assert roots == [root] and count == len(src.blocks) and dst.blocks == src.blocks
    # pre-order: the root block comes first
    _, blocks = car.read_car(io.BytesIO(data))
    assert next(blocks)[0] == root


def test_header_is_valid_dag_cbor_with_links():
    v0 = cid.parse("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")
    v1 = cid.parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
    header = car.encode_header([v0, v1])
    assert libipld.decode_dag_cbor(header) == {"roots": [v0, v1], "version": 1}
    assert libipld.encode_dag_cbor(libipld.decode_dag_cbor(header)) == header


def test_tampered_block_rejected():
    store = MemoryBlockStore()
    root = importer.add_bytes(store, kubo_bytes(300_000, "car")).cid
    data = bytearray(car_bytes(store, root))
    data[-5] ^= 1
    dst = MemoryBlockStore()
    with pytest.raises(car.CarError, match="does not match its hash"):
        car.import_car(dst, io.BytesIO(bytes(data)))


@pytest.mark.parametrize("data,msg", [(b"", "bad header"), (b"\x05abc", "truncated"),
                                      (b"\x02\xa0\x00", "not a CAR|version")])
def test_garbage_rejected(data, msg):
    with pytest.raises(car.CarError, match=msg):
        car.read_car(io.BytesIO(data))


def test_dag_cbor_links_walked_in_order():
    store = MemoryBlockStore()
    leaf = importer.add_bytes(store, b"payload", 1).cid
    prev = cid.of_block(libipld.encode_dag_cbor({"n": 1}), cid.DAG_CBOR, 1)
    store.put(prev, libipld.encode_dag_cbor({"n": 1}))
    commit = {"data": leaf, "prev": prev, "sig": bytes(64), "meta": [1, {"x": leaf}]}
    block = libipld.encode_dag_cbor(commit)
    # canonical key order is by length then bytes: data, meta, prev, sig; only tag 42 is a link
    links = dag.links(cid.of_block(block, cid.DAG_CBOR, 1), block)
    assert links == [leaf, leaf, prev]
    root = cid.of_block(block, cid.DAG_CBOR, 1)
    store.put(root, block)
    walked = [c for c, _ in dag.walk(store, root, on_missing=lambda c: None)]
    assert walked[:3] == [root, leaf, prev]
    dst = MemoryBlockStore()
    car.import_car(dst, io.BytesIO(car_bytes_tolerant(store, root)))
    assert dst.get(root) == block


def car_bytes_tolerant(store, root):
    blocks = dag.walk(store, root, on_missing=lambda c: None)
    return b"".join(car.write_car([root], blocks))


def test_pins_and_gc(db):
    store = RocksBlockStore(db)
    keep = importer.add_bytes(store, kubo_bytes(600_000, "keep")).cid
    version_root = importer.add_bytes(store, b"mimei version data").cid
    junk = importer.add_bytes(store, kubo_bytes(300_000, "junk")).cid
    pins.pin_add(db, store, keep)
    assert pins.pin_ls(db) == [keep]
    removed = pins.gc(db, store, extra_roots=[version_root])
    assert removed == 3  # junk: two leaves and its root
    assert not store.has(junk) and store.has(keep) and store.has(version_root)
    assert len(list(store.multihashes())) == 4 + 1
    pins.pin_rm(db, keep)
    with pytest.raises(KeyError, match="not pinned"):
        pins.pin_rm(db, keep)
    assert pins.gc(db, store) == 5
    assert list(store.multihashes()) == []


def test_pin_requires_complete_dag(db):
    store = RocksBlockStore(db)
    root = importer.add_bytes(store, kubo_bytes(300_000, "p")).cid
    from mimeidb.ipfs import dagpb, exporter
    leaf = dagpb.decode(store.get(root))[1][0].cid
    store.delete(multihash_of(leaf))
    with pytest.raises(exporter.BlockMissing, match=cid.format(leaf)):
        pins.pin_add(db, store, root)
    assert pins.pin_ls(db) == []
