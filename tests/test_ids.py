"""Identity: Leither IDs, peer IDs, mids and mmsids (DESIGN.md §3)."""

import pytest

from mimeidb import ids
from mimeidb.keys import KeyPair, b64url_decode, verify

FACT_PUBKEY = "2T1U4-IUMfYpppIcPi8ITJazt8I2PpOI8W1jctmm1Hs="
FACT_ID = "h3PPmr6HVHrmaV_WAbnEP6t3x87"


def test_leither_id_of_known_public_key():
    assert ids.key_id(b64url_decode(FACT_PUBKEY)) == FACT_ID


def test_leither_id_round_trip_keeps_digest_and_tag():
    digest = bytes(range(20))
    for tag in range(4):
        text = ids.leither_id(digest, tag)
        assert len(text) == 27
        assert ids.decode_leither_id(text) == (digest, tag)


@pytest.mark.parametrize("bad", ["", "short", "x" * 28, "!" * 27])
def test_decode_rejects_non_ids(bad):
    with pytest.raises(ValueError):
        ids.decode_leither_id(bad)


def test_peer_id_is_libp2p_ed25519_form_and_inverts():
    key = KeyPair.generate()
    pid = key.peer_id
    assert pid.startswith("12D3KooW")
    assert ids.public_key_of_peer_id(pid) == key.public_key


def test_mid_is_deterministic_and_typed():
    a = ids.mimei_id(FACT_ID, "app", "", "mark1", "db")
    assert a == ids.mimei_id(FACT_ID, "app", "", "mark1", "db")
    assert a != ids.mimei_id(FACT_ID, "app", "", "mark2", "db")
    assert ids.mimei_type_of(a) == "db"
    assert ids.mimei_type_of(ids.mimei_id(FACT_ID, "", "", "m", "file")) == "file"
    with pytest.raises(ValueError):
        ids.mimei_id(FACT_ID, "", "", "m", "table")


def test_default_marks_differ():
    assert ids.new_mark() != ids.new_mark()


def test_mmsid_depends_on_secret_and_fields():
    one = ids.mmsid(b"s1", "mid", "cur", "user")
    assert ids.is_mmsid(one)
    assert one == ids.mmsid(b"s1", "mid", "cur", "user")
    assert one != ids.mmsid(b"s2", "mid", "cur", "user")
    assert one != ids.mmsid(b"s1", "mid", "1", "user")


def test_signatures_verify_only_for_the_signed_message():
    key = KeyPair.generate()
    sig = key.sign(b"message")
    assert verify(key.public_key, b"message", sig)
    assert not verify(key.public_key, b"messagE", sig)
    assert not verify(KeyPair.generate().public_key, b"message", sig)
    assert not verify(key.public_key, b"message", b"\0" * 64)


def test_key_file_round_trip_and_mode(tmp_path):
    key = KeyPair.generate()
    path = tmp_path / "k.key"
    key.save(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert KeyPair.load(path).public_key == key.public_key
    path.write_text("not json")
    with pytest.raises(ValueError):
        KeyPair.load(path)
