import pytest

from tests.nodeproc import NodeProc


@pytest.fixture
def make_node(tmp_path):
    """Factory of real node processes; every node made is stopped at the end of the test."""
    made = []

    def make(name: str = "node", start: bool = True, **kw) -> NodeProc:
        node = NodeProc.create(tmp_path / name, **kw)
        made.append(node)
        return node.start() if start else node

    yield make
    for node in made:
        node.kill()


@pytest.fixture(scope="module")
def shared_node(tmp_path_factory):
    """One running node shared by the tests of a module (faster than one per test)."""
    node = NodeProc.create(tmp_path_factory.mktemp("shared") / "node").start()
    yield node
    node.kill()


# -- command-family tests: a real keyspace in a temporary RocksDB ------------------------------
@pytest.fixture
def db(tmp_path):
    from mimeidb.store.db import Database
    database = Database(tmp_path / "db")
    yield database
    database.close()


@pytest.fixture
def ks(db):
    """A live keyspace; `ks.modified_log` lists the keys signalled as modified, in order."""
    from mimeidb.commands import table
    from mimeidb.store.keyspace import Keyspace, LiveRaw
    from mimeidb.store.writebuffer import WriteBuffer
    table.load_all()
    modified: list[bytes] = []
    keyspace = Keyspace(LiveRaw(WriteBuffer(db), b"ns01"), "test",
                        on_modified=lambda _ks, key: modified.append(key))
    keyspace.modified_log = modified  # type: ignore[attr-defined]
    return keyspace


@pytest.fixture
def r(ks):
    """r("HSET", "k", "f", "v") -> the reply, or the error text for an error reply (RESP2)."""
    from tests.cmdkit import runner
    return runner(ks, 2)


@pytest.fixture
def r3(ks):
    """Like r, on a RESP3 connection."""
    from tests.cmdkit import runner
    return runner(ks, 3)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """Debian's redis-server on a free loopback port (the test skips without it)."""
    from tests.cmdkit import start_redis_server
    gen = start_redis_server(tmp_path_factory.mktemp("redis"))
    client = next(gen)
    if client is None:
        pytest.skip("redis-server is not installed or did not start")
    yield client
    gen.close()
