"""Wrapping secrets at rest under the root key."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from strongroom.crypto import wrapping
from strongroom.crypto.wrapping import RootKey, UnwrapError, access_key_aad, material_aad

ROOT = bytes(range(100, 132))
OTHER_ROOT = bytes(range(200, 232))
NONCE = b"\x07" * 12
ARN_A = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ARN_B = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09ba-87dc-65fe-ba0987654321"
VERSION_1 = b"\x01" * 32
VERSION_2 = b"\x02" * 32
SPEC = "SYMMETRIC_DEFAULT"

PROPERTY = settings(deadline=None, max_examples=200)

secrets_ = st.binary(max_size=128)
aads = st.binary(max_size=128)
nonces = st.binary(min_size=12, max_size=12)


@pytest.fixture
def root() -> RootKey:
    return RootKey(ROOT)


# --- layout and round trip -------------------------------------------------------------------


def test_wrapped_value_is_version_nonce_ciphertext_and_tag(root: RootKey) -> None:
    wrapped = root.wrap(b"material", b"aad", nonce=NONCE)
    assert wrapped[0] == wrapping.FORMAT_VERSION == 0x01
    assert wrapped[1:13] == NONCE
    assert len(wrapped) == 1 + 12 + len(b"material") + 16


def test_wrapping_is_aes_gcm_over_the_version_byte_and_aad(root: RootKey) -> None:
    """An independent AES-GCM (pycryptodome) opens it with AAD = 0x01 || aad.

    The module docstring writes the AAD as just ``aad``; the version byte is
    bound too, which this pins.
    """
    aes = pytest.importorskip("Crypto.Cipher.AES", reason="pycryptodome (a test extra)")
    wrapped = root.wrap(b"material", b"aad", nonce=NONCE)
    cipher = aes.new(ROOT, aes.MODE_GCM, nonce=NONCE)
    cipher.update(b"\x01" + b"aad")
    assert cipher.decrypt_and_verify(wrapped[13:-16], wrapped[-16:]) == b"material"


@PROPERTY
@given(secret=secrets_, aad=aads, nonce=nonces)
def test_unwrap_undoes_wrap(secret: bytes, aad: bytes, nonce: bytes) -> None:
    root = RootKey(ROOT)
    assert root.unwrap(root.wrap(secret, aad, nonce=nonce), aad) == secret


@PROPERTY
@given(secret=secrets_, aad=aads, other=aads)
def test_unwrap_with_different_aad_fails(secret: bytes, aad: bytes, other: bytes) -> None:
    assume(aad != other)
    root = RootKey(ROOT)
    with pytest.raises(UnwrapError):
        root.unwrap(root.wrap(secret, aad, nonce=NONCE), other)


@pytest.mark.parametrize(
    "other_aad",
    [
        material_aad(ARN_B, VERSION_1, SPEC),
        material_aad(ARN_A, VERSION_2, SPEC),
        material_aad(ARN_A, VERSION_1, "HMAC_256"),
        material_aad(ARN_A.replace("us-east-1", "eu-west-1"), VERSION_1, SPEC),
        access_key_aad(ARN_A),
    ],
    ids=["other key ARN", "other version", "other key spec", "other region", "access key aad"],
)
def test_material_bound_to_one_key_version_and_spec_fails_under_another(
    root: RootKey, other_aad: bytes
) -> None:
    wrapped = root.wrap(b"\x42" * 32, material_aad(ARN_A, VERSION_1, SPEC), nonce=NONCE)
    with pytest.raises(UnwrapError):
        root.unwrap(wrapped, other_aad)


def test_rows_swapped_between_two_keys_fail_to_unwrap(root: RootKey) -> None:
    aad_a = material_aad(ARN_A, VERSION_1, SPEC)
    aad_b = material_aad(ARN_B, VERSION_1, SPEC)
    row_a = root.wrap(b"\xaa" * 32, aad_a, nonce=b"\x01" * 12)
    row_b = root.wrap(b"\xbb" * 32, aad_b, nonce=b"\x02" * 12)
    assert root.unwrap(row_a, aad_a) == b"\xaa" * 32
    assert root.unwrap(row_b, aad_b) == b"\xbb" * 32
    with pytest.raises(UnwrapError):
        root.unwrap(row_b, aad_a)
    with pytest.raises(UnwrapError):
        root.unwrap(row_a, aad_b)


def test_rows_swapped_between_two_versions_of_one_key_fail_to_unwrap(root: RootKey) -> None:
    aad_1 = material_aad(ARN_A, VERSION_1, SPEC)
    aad_2 = material_aad(ARN_A, VERSION_2, SPEC)
    row_2 = root.wrap(b"\x22" * 32, aad_2, nonce=NONCE)
    with pytest.raises(UnwrapError):
        root.unwrap(row_2, aad_1)


def test_a_secret_access_key_bound_to_one_access_key_id_fails_under_another(
    root: RootKey,
) -> None:
    wrapped = root.wrap(b"secret", access_key_aad("AKIAAAAAAAAAAAAAAAAA"), nonce=NONCE)
    assert root.unwrap(wrapped, access_key_aad("AKIAAAAAAAAAAAAAAAAA")) == b"secret"
    with pytest.raises(UnwrapError):
        root.unwrap(wrapped, access_key_aad("AKIABBBBBBBBBBBBBBBB"))


def test_another_root_key_cannot_unwrap(root: RootKey) -> None:
    wrapped = root.wrap(b"secret", b"aad", nonce=NONCE)
    with pytest.raises(UnwrapError):
        RootKey(OTHER_ROOT).unwrap(wrapped, b"aad")


# --- tampering -------------------------------------------------------------------------------


@PROPERTY
@given(secret=secrets_, aad=aads, data=st.data())
def test_flipping_any_single_bit_of_a_wrapped_value_fails(
    secret: bytes, aad: bytes, data: st.DataObject
) -> None:
    root = RootKey(ROOT)
    wrapped = bytearray(root.wrap(secret, aad, nonce=NONCE))
    bit = data.draw(st.integers(0, len(wrapped) * 8 - 1), label="bit")
    wrapped[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(UnwrapError):
        root.unwrap(bytes(wrapped), aad)


@PROPERTY
@given(secret=secrets_, data=st.data())
def test_a_truncated_wrapped_value_fails(secret: bytes, data: st.DataObject) -> None:
    root = RootKey(ROOT)
    wrapped = root.wrap(secret, b"aad", nonce=NONCE)
    length = data.draw(st.integers(0, len(wrapped) - 1), label="kept length")
    with pytest.raises(UnwrapError):
        root.unwrap(wrapped[:length], b"aad")


@given(version=st.integers(0, 255).filter(lambda v: v != 1))
@example(version=0)
@example(version=2)
def test_an_unknown_version_byte_fails(version: int) -> None:
    root = RootKey(ROOT)
    wrapped = root.wrap(b"secret", b"aad", nonce=NONCE)
    with pytest.raises(UnwrapError):
        root.unwrap(bytes([version]) + wrapped[1:], b"aad")


@pytest.mark.parametrize("length", [0, 1, 13, 28])
def test_a_value_shorter_than_version_nonce_and_tag_fails(root: RootKey, length: int) -> None:
    with pytest.raises(UnwrapError):
        root.unwrap(b"\x01" * length, b"aad")


# --- argument validation and secrecy ---------------------------------------------------------


@pytest.mark.parametrize("length", [0, 16, 24, 31, 33, 64])
def test_a_root_key_that_is_not_32_bytes_is_refused(length: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        RootKey(b"\x00" * length)


@pytest.mark.parametrize("length", [0, 8, 11, 13, 16])
def test_a_nonce_that_is_not_12_bytes_is_refused(root: RootKey, length: int) -> None:
    with pytest.raises(ValueError, match="nonce must be 12 bytes"):
        root.wrap(b"secret", b"aad", nonce=b"\x00" * length)


def test_root_key_repr_and_str_do_not_show_the_key() -> None:
    key = bytes.fromhex("deadbeef" * 8)
    root = RootKey(key)
    for text in (repr(root), str(root), f"{root!r}", f"{root}"):
        assert text == "RootKey(<hidden>)"
        assert "deadbeef" not in text.lower()
        assert str(key) not in text
        assert key.hex() not in text


# --- associated data builders ----------------------------------------------------------------


def test_material_aad_is_length_prefixed_parts() -> None:
    expected = b"".join([b"\x00\x0ckey-material", b"\x00\x03arn", b"\x00\x01\x01", b"\x00\x01S"])
    assert material_aad("arn", b"\x01", "S") == expected


def test_access_key_aad_is_length_prefixed_parts() -> None:
    assert access_key_aad("AKID") == b"".join([b"\x00\x11secret-access-key", b"\x00\x04AKID"])


@given(
    first=st.tuples(st.text(max_size=20), st.binary(max_size=33), st.text(max_size=20)),
    second=st.tuples(st.text(max_size=20), st.binary(max_size=33), st.text(max_size=20)),
)
@example(first=("ab", b"", "c"), second=("a", b"", "bc"))
@example(first=("a", b"b", ""), second=("a", b"", "b"))
def test_material_aad_differs_for_any_two_different_bindings(
    first: tuple[str, bytes, str], second: tuple[str, bytes, str]
) -> None:
    assume(first != second)
    assert material_aad(*first) != material_aad(*second)


@given(arn=st.text(max_size=40), version=st.binary(max_size=32), spec=st.text(max_size=20))
def test_material_aad_never_equals_an_access_key_aad(arn: str, version: bytes, spec: str) -> None:
    for access_key_id in (arn, spec, version.hex()):
        assert material_aad(arn, version, spec) != access_key_aad(access_key_id)
