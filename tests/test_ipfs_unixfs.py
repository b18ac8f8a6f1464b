"""Importer CIDs against kubo's published values, DAG shape invariants, exporter round trips."""
import hashlib
import io

import pytest

from mimeidb.ipfs import cid, dagpb, exporter, importer, unixfs
from mimeidb.ipfs.blockstore import MemoryBlockStore
from tests.test_ipfs_fixtures import kubo_bytes, make_symlink_dir, make_testdirlisting

C = importer.CHUNK_SIZE


def add(data: bytes, version: int = 0, store=None) -> str:
    return cid.format(importer.add_bytes(store, data, version).cid)


# -- kubo facts ----------------------------------------------------------------------------

def test_small_known_cids():
    assert add(b"") == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
    assert add(b"hello world\n") == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    assert add(b"hello world") == "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"
    assert add(b"hello\n") == "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"


def test_small_known_cids_v1_raw_leaves():
    assert add(b"hello world", 1) == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    assert add(b"hello\n", 1) == "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am"
    assert add(b"", 1) == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


# From kubo test/cli/cid_profiles_test.go (profile unixfs-v0-2015 = kubo's default).
@pytest.mark.parametrize("size,seed,expected", [
    (C, "chunk-v0-seed", "QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE"),
    (C + 1, "chunk-v0-seed", "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ"),
    (174 * C, "v0-seed", "QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2"),
    (174 * C + 1, "v0-seed", "QmV81WL765sC8DXsRhE5fJv2rwhS4icHRaf3J9Zk5FdRnW"),
])
def test_kubo_profile_v0_files(size, seed, expected):
    assert add(kubo_bytes(size, seed)) == expected


def test_kubo_profile_v1_two_chunks(monkeypatch):
    """unixfs-v1-2025 uses 1 MiB chunks; with that chunk size our v1 layout (raw leaves under
    a dag-pb CIDv1 parent) must give kubo's CID for a two-chunk file."""
    monkeypatch.setattr(importer, "CHUNK_SIZE", 1048576)
    data = kubo_bytes(1048577, "chunk-v1-seed")
    assert add(data, 1) == "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64"
    assert add(data[:1048576], 1) == "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta"


def test_kubo_directories(tmp_path):
    # kubo t0114 (`ipfs add -r --cid-version 1`), t0116 (`-w` wrapper) and t0113 (symlink, v0)
    listing = make_testdirlisting(tmp_path)
    assert cid.format(importer.add_path(None, listing, 1).cid) == \
        "bafybeiht6dtwk3les7vqm6ibpvz6qpohidvlshsfyr7l5mpysdw2vmbbhe"
    wrap = tmp_path / "wrap"
    (wrap / "root2" / "root3" / "root4").mkdir(parents=True)
    (wrap / "root2" / "root3" / "root4" / "index.html").write_text("hello\n")
    assert cid.format(importer.add_path(None, wrap, 1).cid) == \
        "bafybeib3ffl2teiqdncv3mkz4r23b5ctrwkzrrhctdbne6iboayxuxk5ui"
    assert cid.format(importer.add_path(None, make_symlink_dir(tmp_path), 0).cid) == \
        "QmWvY6FaqFMS89YAQ9NAPjVP4WZKA1qbHbicc9HeSKQTgt"


def test_empty_directory(tmp_path):
    (tmp_path / "empty").mkdir()
    assert cid.format(importer.add_path(None, tmp_path / "empty").cid) == \
        "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"


# -- structure invariants --------------------------------------------------------------

def test_multilevel_balanced_shape(monkeypatch):
    """kubo's layout with width 3 over 10 chunks: a full depth-2 subtree, then a depth-2
    node holding a depth-1 node holding the last leaf. Tsize and blocksizes are exact."""
    monkeypatch.setattr(importer, "CHUNK_SIZE", 16)
    monkeypatch.setattr(importer, "MAX_LINKS", 3)
    store = MemoryBlockStore()
    data = bytes(range(160))
    root = importer.add_bytes(store, data)

    def shape(c):
        block = store.get(c)
        data_, links = dagpb.decode(block)
        fs = unixfs.decode(data_)
        if not links:
            return len(fs.data or b"")
        assert fs.blocksizes == [sizeof(link.cid) for link in links]
        assert fs.filesize == sum(fs.blocksizes)
        for link in links:
            assert link.tsize == tsize(link.cid) and link.name == ""
        return [shape(link.cid) for link in links]

    def sizeof(c):
        return exporter.node(store, c).size

    def tsize(c):
        block = store.get(c)
        return len(block) + sum(link.tsize for link in dagpb.decode(block)[1])

    full = [[16, 16, 16]] * 3
    assert shape(root.cid) == [full, [[16]]]
    assert root.tsize == tsize(root.cid) and root.size == 160
    assert b"".join(exporter.cat(store, root.cid)) == data


def test_streams_chunks_without_reading_whole_file():
    class Source(io.RawIOBase):
        """Returns short reads, and fails if asked for more than a chunk at once."""
        def __init__(self, n):
            self.left = n
        def readable(self):
            return True
        def read(self, n=-1):
            assert 0 < n <= C
            n = min(n, self.left, 100_000)
            self.left -= n
            return b"\x07" * n

    seen = []
    a = importer.add_file(None, Source(3 * C + 5), progress=seen.append)
    assert a.cid == importer.add_bytes(None, b"\x07" * (3 * C + 5)).cid
    assert seen[-1] == 3 * C + 5


def test_only_hash_stores_nothing_and_store_gets_blocks():
    store = MemoryBlockStore()
    data = kubo_bytes(3 * C + 1, "x")
    assert importer.add_bytes(None, data).cid == importer.add_bytes(store, data).cid
    assert len(store.blocks) == 5  # 4 leaves + root


# -- exporter --------------------------------------------------------------------------

@pytest.fixture
def big():
    store = MemoryBlockStore()
    data = kubo_bytes(5 * C + 123, "range")
    return store, data, importer.add_bytes(store, data).cid


@pytest.mark.parametrize("version", [0, 1])
def test_cat_round_trip(version):
    store = MemoryBlockStore()
    data = kubo_bytes(2 * C + 7, "rt")
    c = importer.add_bytes(store, data, version).cid
    out = b"".join(exporter.cat(store, cid.format(c)))
    assert hashlib.sha256(out).digest() == hashlib.sha256(data).digest()


@pytest.mark.parametrize("offset,length", [(0, 1), (C - 1, 2), (C, C), (3 * C + 5, None),
                                           (5 * C + 122, 10), (5 * C + 123, 5), (10, 0)])
def test_cat_ranges(big, offset, length):
    store, data, c = big
    end = None if length is None else offset + length
    assert b"".join(exporter.cat(store, c, offset, length)) == data[offset:end]


def test_cat_reads_only_needed_blocks(big):
    store, data, c = big

    class Counting(MemoryBlockStore):
        reads = 0
        def get(self, k):
            Counting.reads += 1
            return super().get(k)

    counting = Counting()
    counting.blocks = store.blocks
    assert b"".join(exporter.cat(counting, c, 2 * C + 1, 10)) == data[2 * C + 1:2 * C + 11]
    assert Counting.reads == 2  # root + one leaf


def test_missing_block_names_cid(big):
    store, data, c = big
    _, links = dagpb.decode(store.get(c))
    del store.blocks[links[1].cid]
    with pytest.raises(exporter.BlockMissing, match=cid.format(links[1].cid)):
        b"".join(exporter.cat(store, c))
    assert b"".join(exporter.cat(store, c, 0, 100)) == data[:100]


def test_paths_ls_get(tmp_path):
    store = MemoryBlockStore()
    src = make_testdirlisting(tmp_path)
    (src / "ünïcødé.txt").write_text("ü\n")
    (src / "empty").mkdir()
    (src / "zero").write_bytes(b"")
    root = cid.format(importer.add_path(store, src).cid)
    assert b"".join(exporter.cat(store, f"/ipfs/{root}/ipfs/ipns/bar")) == b"text-file-content\n"
    assert b"".join(exporter.cat(store, f"{root}/ünïcødé.txt")) == "ü\n".encode()
    names = [e.name for e in exporter.ls(store, root)]
    assert names == sorted(names, key=str.encode)
    kinds = {e.name: (e.type, e.size) for e in exporter.ls(store, root)}
    assert kinds["api"] == ("dir", 0) and kinds["hello"] == ("file", 6) and kinds["zero"] == ("file", 0)
    with pytest.raises(FileNotFoundError):
        exporter.resolve_path(store, f"{root}/nope")
    with pytest.raises(ValueError):
        exporter.resolve_path(store, f"{root}/api/../hello")
    with pytest.raises(exporter.NotADirectory):
        exporter.resolve_path(store, f"{root}/hello/x")
    with pytest.raises(exporter.NotAFile):
        b"".join(exporter.cat(store, root))
    out = tmp_path / "out"
    exporter.get(store, root, out)
    for p in src.rglob("*"):
        q = out / p.relative_to(src)
        assert q.is_dir() if p.is_dir() else q.read_bytes() == p.read_bytes()


def test_get_refuses_escaping_names(tmp_path):
    store = MemoryBlockStore()
    imp = importer.Importer(store)
    leaf = imp.file(io.BytesIO(b"x"))
    block = unixfs.directory_node([dagpb.Link(leaf.cid, "../evil", leaf.tsize)])
    evil = cid.of_block(block)
    store.put(evil, block)
    imp.close()
    with pytest.raises(ValueError, match="invalid directory entry"):
        exporter.get(store, evil, tmp_path / "out")
    assert not (tmp_path / "evil").exists()


def test_tar_import_matches_path_import(tmp_path):
    import tarfile
    src = make_testdirlisting(tmp_path)
    tar_path = tmp_path / "t.tar"
    with tarfile.open(tar_path, "w") as tar:
        tar.add(src, arcname="testdirlisting")
    entries = []
    with open(tar_path, "rb") as f:
        root = importer.add_tar(None, f, 1, on_entry=lambda n, a: entries.append(n))
    assert cid.format(root.cid) == "bafybeiht6dtwk3les7vqm6ibpvz6qpohidvlshsfyr7l5mpysdw2vmbbhe"
    assert entries[-1] == "testdirlisting" and "testdirlisting/ipfs/ipns/bar" in entries


def test_tar_refuses_dotdot(tmp_path):
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("a/../../x")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    buf.seek(0)
    with pytest.raises(ValueError, match=r"'\.\.'"):
        importer.add_tar(None, buf)
