"""The node's foundation through the real CLI and real daemon processes."""
import os
import socket
import stat

import orjson
import pytest

from mimeidb.cli.node_cmd import _alive
from mimeidb.keys import KeyPair
from tests.nodeproc import NodeProc, free_ports, run_cli


def test_init_run_stop_restart_keeps_identity(make_node):
    node = make_node("a")
    lines = node.out("swarm", "id").splitlines()
    assert len(lines) == 2
    leither_id, peer_id = lines
    assert len(leither_id) == 27 and peer_id.startswith("12D3KooW")
    pid = node.pid
    stopped = node.cli("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert node.pid is None
    assert not _alive(pid)
    node.start()
    assert node.out("swarm", "id").splitlines() == [leither_id, peer_id]
    node.cli("init", "-p", str(node.http_port))  # init again while running keeps the key
    assert node.out("swarm", "id").splitlines() == [leither_id, peer_id]


def test_home_files_and_modes(make_node):
    node = make_node("a", start=False)
    for name in ("node.key", "api.token", "node.secret"):
        assert stat.S_IMODE((node.home / name).stat().st_mode) == 0o600, name
    settings = orjson.loads((node.home / "SystemVars.json").read_bytes())
    assert settings["Port"] == node.http_port
    assert settings["RespPort"] == node.resp_port
    assert settings["P2PPort"] == node.p2p_port
    assert len(settings["DefaultMimei"]) == 27


def test_two_nodes_on_one_machine_are_distinct(make_node):
    a, b = make_node("a"), make_node("b")
    ida = a.out("swarm", "id").splitlines()
    idb = b.out("swarm", "id").splitlines()
    assert ida != idb
    assert f"/ip4/127.0.0.1/tcp/{a.p2p_port}" in a.out("swarm", "local").splitlines()
    assert f"/ip4/127.0.0.1/tcp/{b.p2p_port}" in b.out("swarm", "local").splitlines()


def test_json_output(make_node):
    node = make_node("a")
    info = orjson.loads(node.out("--json", "swarm", "id"))
    assert info["Ports"]["resp"] == node.resp_port
    assert info["PeerID"].startswith("12D3KooW")


def test_second_run_on_same_home_refuses(make_node):
    node = make_node("a")
    again = node.cli("run", "-d")
    assert again.returncode != 0
    assert b"already running" in again.stderr
    assert b"Traceback" not in again.stderr


def test_port_in_use_gives_clear_message(tmp_path):
    node = NodeProc.create(tmp_path / "n")
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", node.http_port))
    blocker.listen()
    try:
        proc = node.cli("run", "-d")
        assert proc.returncode != 0
        assert b"already in use" in proc.stderr, proc.stderr
    finally:
        blocker.close()
        node.kill()


def test_commands_that_need_a_node_say_none_runs(tmp_path):
    node = NodeProc.create(tmp_path / "n")
    proc = node.cli("swarm", "id")
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert "no mimeidb node is running" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    proc = node.cli("stop")
    assert proc.returncode == 1 and b"no mimeidb node is running" in proc.stderr


def test_bad_input_gives_clear_errors(tmp_path):
    proc = run_cli(tmp_path / "h", "frobnicate")
    assert proc.returncode == 2 and b"invalid choice" in proc.stderr
    proc = run_cli(tmp_path / "h", "init", "-p", "70000")
    assert proc.returncode == 1 and b"Port must be a TCP port" in proc.stderr
    proc = run_cli(tmp_path / "h", "init", "-p", "notanumber")
    assert proc.returncode == 2 and b"invalid int value" in proc.stderr
    proc = run_cli(tmp_path / "h", "init", "-b", "/ip4/999.1.1.1/tcp/1")
    assert proc.returncode == 1 and b"bad bootstrap multiaddr" in proc.stderr
    unreadable = tmp_path / "file-not-dir"
    unreadable.write_text("x")
    proc = run_cli(unreadable, "init")
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr
    assert b"cannot create home" in proc.stderr


def test_init_sets_bootstrap_and_keeps_key(tmp_path):
    http, resp, p2p = free_ports(3)
    home = tmp_path / "n"
    run_cli(home, "init", "-p", str(http), "--resp-port", str(resp), "--p2p-port", str(p2p), check=True)
    key_before = (home / "node.key").read_bytes()
    boot = f"/ip4/127.0.0.1/tcp/4902/p2p/{KeyPair.generate().peer_id}"
    out = run_cli(home, "init", "-b", boot, check=True).stdout.decode()
    assert "updated node" in out and boot in out
    assert (home / "node.key").read_bytes() == key_before
    assert orjson.loads((home / "SystemVars.json").read_bytes())["Bootstrap"] == [boot]


def test_lpki(tmp_path):
    keyfile = tmp_path / "my.key"
    key_id = run_cli(None, "lpki", "genkey", "-o", str(keyfile), check=True).stdout.decode().strip()
    assert len(key_id) == 27
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    shown = run_cli(None, "lpki", "show", "-i", str(keyfile), check=True).stdout.decode()
    assert key_id in shown
    pub = shown.split("pubkey  : ")[1].split()[0]
    assert run_cli(None, "lpki", "id", "--pubkey", pub, check=True).stdout.decode().strip() == key_id
    fact = run_cli(None, "lpki", "id", "--pubkey", "2T1U4-IUMfYpppIcPi8ITJazt8I2PpOI8W1jctmm1Hs=", check=True)
    assert fact.stdout.decode().strip() == "h3PPmr6HVHrmaV_WAbnEP6t3x87"
    bad = run_cli(None, "lpki", "id", "--pubkey", "abc")
    assert bad.returncode == 1 and b"32-byte" in bad.stderr
    again = run_cli(None, "lpki", "genkey", "-o", str(keyfile))
    assert again.returncode == 1 and b"exists" in again.stderr


def test_api_needs_token(make_node):
    import urllib.error
    import urllib.request
    node = make_node("a")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"http://127.0.0.1:{node.http_port}/api/v0/id", timeout=5)
    assert err.value.code == 401
    token = (node.home / "api.token").read_text().strip()
    req = urllib.request.Request(f"http://127.0.0.1:{node.http_port}/api/v0/id",
                                 headers={"Authorization": f"Bearer {token}"})
    assert orjson.loads(urllib.request.urlopen(req, timeout=5).read())["Ports"]["http"] == node.http_port


def test_sigterm_stops_cleanly_and_data_survives(make_node):
    import redis
    node = make_node("a")
    client = redis.Redis(port=node.resp_port)
    client.set("survivor", "yes")
    client.close()
    os.kill(node.pid, 15)
    import time
    deadline = time.time() + 20
    while node.pid is not None and time.time() < deadline:
        time.sleep(0.05)
    assert node.pid is None
    node.start()
    assert redis.Redis(port=node.resp_port).get("survivor") == b"yes"
