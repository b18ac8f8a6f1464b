import pytest

from mimeidb.ipfs import cid


def test_v0_round_trip():
    text = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    binary = cid.parse(text)
    assert binary[:2] == b"\x12\x20" and len(binary) == 34
    assert cid.format(binary) == text
    assert cid.codec_of(binary) == cid.DAG_PB


def test_v1_base32_and_other_multibase():
    text = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    binary = cid.parse(text)
    assert cid.format(binary) == text
    assert cid.codec_of(binary) == cid.RAW
    # the same CID in base58btc ('z') is accepted and normalised to base32
    import libipld
    assert cid.parse(libipld.encode_multibase("z", binary)) == binary


def test_v0_to_v1():
    v0 = cid.parse("QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN")
    assert cid.format(cid.to_v1(v0)) == "bafybeiffndsajwhk3lwjewwdxqntmjm4b5wxaaanokonsggenkbw6slwk4"


def test_of_block():
    assert cid.format(cid.of_block(b"", cid.RAW, 1)) == \
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    assert cid.format(cid.of_block(b"\x0a\x02\x08\x01")) == \
        "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
    with pytest.raises(ValueError, match="CIDv0"):
        cid.of_block(b"x", cid.RAW, 0)


@pytest.mark.parametrize("bad", ["", "Qm123", "hello", "bafy!!!", "zzzz"])
def test_bad_input(bad):
    with pytest.raises(ValueError):
        cid.parse(bad)


def test_parse_path():
    c = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
    assert cid.parse_path(f"/ipfs/{c}/a//b/") == (cid.parse(c), ["a", "b"])
    assert cid.parse_path(c) == (cid.parse(c), [])
    with pytest.raises(ValueError, match="not allowed"):
        cid.parse_path(f"{c}/a/../b")
    with pytest.raises(ValueError, match="namespace"):
        cid.parse_path(f"/ipns/{c}")
