"""HMAC keys: generation, GenerateMac and VerifyMac (RFC 2104 / RFC 4231)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.crypto import hmac_keys
from strongroom.crypto.hmac_keys import (
    HMAC_SPECS,
    IncompatibleMacAlgorithm,
    generate_hmac_key,
    mac,
    verify_mac,
)

VECTORS = json.loads(
    (Path(__file__).parents[2] / "vectors" / "hmac_rfc4231.json").read_text(encoding="utf-8")
)
CASES: list[dict[str, Any]] = VECTORS["cases"]
SPEC_OF = {algorithm: spec for spec, algorithm in HMAC_SPECS.items()}
TAG_LENGTHS = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}

PROPERTY = settings(deadline=None, max_examples=100)

specs = st.sampled_from(sorted(HMAC_SPECS))
keys = st.binary(min_size=1, max_size=200)
messages = st.binary(min_size=1, max_size=4096)


def _flip(data: bytes, index: int = 0, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[index % len(out)] ^= 1 << bit
    return bytes(out)


VECTOR_PARAMS = [
    pytest.param(case, algorithm, id=f"case{case['test_case']}-{algorithm}")
    for case in CASES
    for algorithm in sorted(SPEC_OF)
]


# --- the spec table --------------------------------------------------------------------------


def test_each_spec_has_exactly_its_one_algorithm() -> None:
    assert dict(HMAC_SPECS) == {
        "HMAC_224": "HMAC_SHA_224",
        "HMAC_256": "HMAC_SHA_256",
        "HMAC_384": "HMAC_SHA_384",
        "HMAC_512": "HMAC_SHA_512",
    }


def test_spec_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        HMAC_SPECS["HMAC_128"] = "HMAC_SHA_128"  # type: ignore[index]


def test_exports_are_pinned() -> None:
    assert sorted(hmac_keys.__all__) == [
        "HMAC_SPECS",
        "IncompatibleMacAlgorithm",
        "generate_hmac_key",
        "mac",
        "verify_mac",
    ]


# --- RFC 4231 known answers ------------------------------------------------------------------


def test_vector_file_holds_all_seven_rfc_4231_cases() -> None:
    assert "RFC 4231" in VECTORS["source"]
    assert [c["test_case"] for c in CASES] == [1, 2, 3, 4, 5, 6, 7]
    assert [c["truncated_to_bytes"] for c in CASES] == [None, None, None, None, 16, None, None]


@pytest.mark.parametrize(("case", "algorithm"), VECTOR_PARAMS)
def test_mac_matches_rfc_4231(case: dict[str, Any], algorithm: str) -> None:
    spec = SPEC_OF[algorithm]
    tag = mac(spec, algorithm, bytes.fromhex(case["key"]), bytes.fromhex(case["data"]))
    assert len(tag) == TAG_LENGTHS[spec]
    truncated = case["truncated_to_bytes"]
    if truncated is None:
        assert tag.hex() == case[algorithm]
    else:
        assert tag[:truncated].hex() == case[algorithm]


@pytest.mark.parametrize(("case", "algorithm"), VECTOR_PARAMS)
def test_verify_mac_accepts_rfc_4231_tags_and_rejects_altered_or_truncated_ones(
    case: dict[str, Any], algorithm: str
) -> None:
    spec = SPEC_OF[algorithm]
    key, data = bytes.fromhex(case["key"]), bytes.fromhex(case["data"])
    published = bytes.fromhex(case[algorithm])
    if case["truncated_to_bytes"] is None:
        assert verify_mac(spec, algorithm, key, data, published)
        assert not verify_mac(spec, algorithm, key, data, _flip(published, -1, 7))
        assert not verify_mac(spec, algorithm, key, _flip(data), published)
        assert not verify_mac(spec, algorithm, _flip(key), data, published)
    else:
        # KMS never truncates MACs: the RFC's 128-bit prefix is not a valid tag.
        assert not verify_mac(spec, algorithm, key, data, published)


@pytest.mark.parametrize(("case", "algorithm"), VECTOR_PARAMS)
def test_vectors_agree_with_pycryptodome(case: dict[str, Any], algorithm: str) -> None:
    """The transcription check from tests/vectors/README.md, kept running."""
    crypto_hmac = pytest.importorskip("Crypto.Hash.HMAC", reason="pycryptodome (a test extra)")
    digestmod = pytest.importorskip(f"Crypto.Hash.SHA{algorithm.rsplit('_', 1)[1]}")
    expected = crypto_hmac.new(
        bytes.fromhex(case["key"]), bytes.fromhex(case["data"]), digestmod=digestmod
    ).hexdigest()
    truncated = case["truncated_to_bytes"]
    assert expected[: 2 * truncated if truncated else None] == case[algorithm]


# --- generation --------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", sorted(HMAC_SPECS))
def test_generated_key_is_as_long_as_the_spec_says(spec: str) -> None:
    key = generate_hmac_key(spec)
    assert len(key) * 8 == int(spec.removeprefix("HMAC_"))
    assert len(key) == TAG_LENGTHS[spec]


@pytest.mark.parametrize("spec", sorted(HMAC_SPECS))
def test_generated_keys_differ(spec: str) -> None:
    assert len({generate_hmac_key(spec) for _ in range(8)}) == 8


def test_generated_key_comes_from_os_urandom(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []

    def fake_urandom(n: int) -> bytes:
        asked.append(n)
        return b"\x5a" * n

    monkeypatch.setattr(os, "urandom", fake_urandom)
    assert generate_hmac_key("HMAC_384") == b"\x5a" * 48
    assert asked == [48]


@pytest.mark.parametrize("spec", ["HMAC_128", "SYMMETRIC_DEFAULT", "hmac_256", ""])
def test_generating_for_a_non_hmac_spec_is_a_value_error(spec: str) -> None:
    with pytest.raises(ValueError, match="not an HMAC key spec"):
        generate_hmac_key(spec)


# --- algorithm checks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "algorithm"),
    [
        (spec, algorithm)
        for spec in sorted(HMAC_SPECS)
        for algorithm in [*sorted(SPEC_OF), "SYMMETRIC_DEFAULT", "HMAC_SHA_1"]
        if HMAC_SPECS[spec] != algorithm
    ],
)
def test_an_algorithm_other_than_the_specs_is_incompatible(spec: str, algorithm: str) -> None:
    with pytest.raises(IncompatibleMacAlgorithm) as raised:
        mac(spec, algorithm, b"k" * 32, b"message")
    assert str(raised.value) == f"Algorithm {algorithm} is incompatible with key spec {spec}."
    with pytest.raises(IncompatibleMacAlgorithm):
        verify_mac(spec, algorithm, b"k" * 32, b"message", b"\x00" * 32)


def test_aws_message_for_an_incompatible_algorithm() -> None:
    with pytest.raises(IncompatibleMacAlgorithm) as raised:
        mac("HMAC_224", "HMAC_SHA_256", b"k" * 28, b"m")
    assert str(raised.value) == "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224."


def test_an_unknown_spec_is_incompatible_with_every_algorithm() -> None:
    with pytest.raises(IncompatibleMacAlgorithm):
        mac("RSA_2048", "HMAC_SHA_256", b"k" * 32, b"m")


# --- tampering and lengths ---------------------------------------------------------------------


@pytest.mark.parametrize("spec", sorted(HMAC_SPECS))
def test_tags_of_other_lengths_are_rejected(spec: str) -> None:
    algorithm = HMAC_SPECS[spec]
    key = generate_hmac_key(spec)
    tag = mac(spec, algorithm, key, b"message")
    assert verify_mac(spec, algorithm, key, b"message", tag)
    for wrong in (b"", tag[:-1], tag + b"\x00", tag[: len(tag) // 2]):
        assert not verify_mac(spec, algorithm, key, b"message", wrong)


def test_the_same_key_under_another_spec_gives_another_tag() -> None:
    key = b"\x42" * 64
    tags = {mac(spec, algorithm, key, b"message") for spec, algorithm in HMAC_SPECS.items()}
    assert len(tags) == 4


# --- properties --------------------------------------------------------------------------------


@PROPERTY
@given(spec=specs, key=keys, message=messages)
def test_verify_accepts_what_mac_made(spec: str, key: bytes, message: bytes) -> None:
    algorithm = HMAC_SPECS[spec]
    tag = mac(spec, algorithm, key, message)
    assert len(tag) == TAG_LENGTHS[spec]
    assert verify_mac(spec, algorithm, key, message, tag)


@PROPERTY
@given(
    spec=specs,
    key=keys,
    message=messages,
    where=st.sampled_from(["tag", "message", "key"]),
    index=st.integers(min_value=0),
    bit=st.integers(min_value=0, max_value=7),
)
def test_any_flipped_bit_fails_verification(
    spec: str, key: bytes, message: bytes, where: str, index: int, bit: int
) -> None:
    algorithm = HMAC_SPECS[spec]
    tag = mac(spec, algorithm, key, message)
    if where == "tag":
        tag = _flip(tag, index, bit)
    elif where == "message":
        message = _flip(message, index, bit)
    else:
        key = _flip(key, index, bit)
    assert not verify_mac(spec, algorithm, key, message, tag)


@PROPERTY
@given(spec=specs, key=keys, message=messages)
def test_mac_agrees_with_pycryptodome(spec: str, key: bytes, message: bytes) -> None:
    crypto_hmac = pytest.importorskip("Crypto.Hash.HMAC", reason="pycryptodome (a test extra)")
    digestmod = pytest.importorskip(f"Crypto.Hash.SHA{spec.removeprefix('HMAC_')}")
    expected = crypto_hmac.new(key, message, digestmod=digestmod).digest()
    assert mac(spec, HMAC_SPECS[spec], key, message) == expected
