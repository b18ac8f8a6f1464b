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
