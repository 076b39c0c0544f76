"""Importing key material: wrapping keys, unwrapping, material checks, material ids, tokens."""

from __future__ import annotations

import os
from functools import cache

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from strongroom.crypto import key_import
from strongroom.crypto.import_tokens import (
    ImportParameters,
    TokenExpired,
    TokenInvalid,
    open_token,
    seal_token,
    token_aad,
)
from strongroom.crypto.key_import import (
    InvalidMaterial,
    UnwrapFailed,
    check_material,
    generate_wrapping_key,
    material_id,
    unwrap_material,
    wrapping_refusal,
)
from strongroom.crypto.wrapping import RootKey

ALGORITHMS = sorted(key_import.WRAPPING_ALGORITHMS)
ARN_A = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ARN_B = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09ba-87dc-65fe-ba0987654321"
NOW = 1_800_000_000.5
NONCE = b"\x05" * 12


@cache
def wrapping_key(spec: str = "RSA_2048") -> tuple[bytes, bytes]:
    return generate_wrapping_key(spec)


@cache
def private_key_der(spec: str) -> bytes:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if spec.startswith("RSA_"):
        key = rsa.generate_private_key(65537, int(spec[4:]))
    else:
        curves = {
            "ECC_NIST_P256": ec.SECP256R1(),
            "ECC_NIST_P384": ec.SECP384R1(),
            "ECC_NIST_P521": ec.SECP521R1(),
            "ECC_SECG_P256K1": ec.SECP256K1(),
        }
        key = ec.generate_private_key(curves[spec])
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def wrap(public_der: bytes, algorithm: str, material: bytes) -> bytes:
    public = serialization.load_der_public_key(public_der)
    assert isinstance(public, rsa.RSAPublicKey)
    digest: hashes.HashAlgorithm = (
        hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()  # noqa: S303
    )
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    if algorithm.startswith("RSA_AES"):
        aes_key = os.urandom(32)
        return public.encrypt(aes_key, oaep) + aes_key_wrap_with_padding(aes_key, material)
    return public.encrypt(material, oaep)


# --- wrapping keys and unwrapping --------------------------------------------------------------


@pytest.mark.parametrize(("spec", "bits"), [("RSA_2048", 2048), ("RSA_3072", 3072)])
def test_wrapping_keys_are_rsa_of_the_spec(spec: str, bits: int) -> None:
    private, public = wrapping_key(spec)
    key = serialization.load_der_private_key(private, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == bits
    assert (
        key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        == public
    )


def test_unknown_wrapping_key_spec_is_refused() -> None:
    with pytest.raises(ValueError, match="not a wrapping key spec"):
        generate_wrapping_key("SM2")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("length", [1, 32, 128])
def test_each_algorithm_unwraps_what_it_wrapped(algorithm: str, length: int) -> None:
    material = os.urandom(length)
    private, public = wrapping_key()
    assert unwrap_material(algorithm, private, wrap(public, algorithm, material)) == material


def test_key_wrap_carries_material_longer_than_one_rsa_block() -> None:
    private, public = wrapping_key()
    material = private_key_der("RSA_4096")
    wrapped = wrap(public, "RSA_AES_KEY_WRAP_SHA_256", material)
    assert unwrap_material("RSA_AES_KEY_WRAP_SHA_256", private, wrapped) == material


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_unwrap_failures_are_one_error(algorithm: str) -> None:
    private, public = wrapping_key()
    other_private, _ = wrapping_key("RSA_3072")
    wrapped = wrap(public, algorithm, os.urandom(32))
    other_hash = algorithm.replace("SHA_256", "SHA_1") if "256" in algorithm else algorithm + "56"
    tampered = wrapped[:-1] + bytes([wrapped[-1] ^ 1])
    cases = [
        (algorithm, other_private, wrapped),  # another wrapping key
        (algorithm, private, tampered),
        (algorithm, private, wrapped[:-8]),  # truncated
        (algorithm, private, b""),
        (other_hash, private, wrapped),  # another hash (or an unknown algorithm)
        ("RSAES_PKCS1_V1_5", private, wrapped),
    ]
    for name, key, data in cases:
        with pytest.raises(UnwrapFailed):
            unwrap_material(name, key, data)


def test_key_wrap_needs_a_wrapped_aes_256_key() -> None:
    private, public = wrapping_key()
    digest = hashes.SHA256()
    public_key = serialization.load_der_public_key(public)
    assert isinstance(public_key, rsa.RSAPublicKey)
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    aes_128 = os.urandom(16)
    wrapped = public_key.encrypt(aes_128, oaep) + aes_key_wrap_with_padding(aes_128, b"x" * 32)
    with pytest.raises(UnwrapFailed):
        unwrap_material("RSA_AES_KEY_WRAP_SHA_256", private, wrapped)


def test_a_non_rsa_wrapping_key_is_refused() -> None:
    with pytest.raises(UnwrapFailed):
        unwrap_material("RSAES_OAEP_SHA_256", private_key_der("ECC_NIST_P256"), b"\x00" * 256)


@pytest.mark.parametrize(
    ("algorithm", "wrapping_spec", "key_spec", "refused"),
    [
        ("RSAES_OAEP_SHA_256", "RSA_2048", "SYMMETRIC_DEFAULT", False),
        ("RSAES_OAEP_SHA_1", "RSA_4096", "HMAC_512", False),
        ("RSAES_OAEP_SHA_256", "RSA_4096", "RSA_2048", True),
        ("RSAES_OAEP_SHA_1", "RSA_2048", "RSA_3072", True),
        ("RSA_AES_KEY_WRAP_SHA_1", "RSA_2048", "RSA_4096", False),
        ("RSAES_OAEP_SHA_256", "RSA_2048", "ECC_NIST_P521", True),
        ("RSAES_OAEP_SHA_256", "RSA_3072", "ECC_NIST_P521", False),
        ("RSA_AES_KEY_WRAP_SHA_256", "RSA_2048", "ECC_NIST_P521", False),
        ("RSAES_PKCS1_V1_5", "RSA_2048", "SYMMETRIC_DEFAULT", True),
        ("SM2PKE", "SM2", "SYMMETRIC_DEFAULT", True),
        ("RSAES_OAEP_SHA_256", "SM2", "SYMMETRIC_DEFAULT", True),
    ],
)
def test_wrapping_rules_follow_aws(
    algorithm: str, wrapping_spec: str, key_spec: str, refused: bool
) -> None:
    assert (wrapping_refusal(algorithm, wrapping_spec, key_spec) is not None) is refused


@pytest.mark.parametrize("wrapping_spec", ["RSA_3072", "RSA_4096"])
def test_the_largest_material_allowed_with_oaep_fits(wrapping_spec: str) -> None:
    # RSA_2048 is refused for P-521 (its PKCS#8 is larger than one OAEP block).
    bits = int(wrapping_spec[4:])
    assert len(private_key_der("ECC_NIST_P521")) <= bits // 8 - 2 * 20 - 2
    assert len(private_key_der("ECC_NIST_P521")) > 2048 // 8 - 2 * 20 - 2


# --- material checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "good", "bad"),
    [
        ("SYMMETRIC_DEFAULT", [32], [0, 16, 31, 33]),
        ("HMAC_224", [28, 64], [27, 65]),
        ("HMAC_256", [32, 64], [31, 65]),
        ("HMAC_384", [48, 128], [47, 129]),
        ("HMAC_512", [64, 128], [63, 129]),
    ],
)
def test_raw_material_lengths(spec: str, good: list[int], bad: list[int]) -> None:
    for length in good:
        material = os.urandom(length)
        assert check_material(spec, material) == material
    for length in bad:
        with pytest.raises(InvalidMaterial, match="bytes long"):
            check_material(spec, os.urandom(length))


@pytest.mark.parametrize(
    "spec",
    ["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1"],
)
def test_private_keys_are_accepted_in_pkcs8_and_kept_canonical(spec: str) -> None:
    der = private_key_der(spec)
    assert check_material(spec, der) == der


def test_an_ec_key_without_its_public_key_gets_one_encoding() -> None:
    # RFC 5915 makes the public key optional inside PKCS#8: the same key must get the
    # same bytes (and so the same material id) whichever way it was written.
    der = private_key_der("ECC_NIST_P256")
    key = serialization.load_der_private_key(der, None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    without_public = (
        bytes.fromhex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420")
        + scalar
    )
    assert check_material("ECC_NIST_P256", without_public) == der


@pytest.mark.parametrize(
    ("spec", "material"),
    [
        ("RSA_2048", lambda: private_key_der("RSA_3072")),
        ("RSA_3072", lambda: private_key_der("ECC_NIST_P256")),
        ("ECC_NIST_P384", lambda: private_key_der("ECC_NIST_P256")),
        ("ECC_SECG_P256K1", lambda: private_key_der("ECC_NIST_P256")),
        ("ECC_NIST_P256", lambda: b"\x30\x03\x02\x01\x00"),
        ("ECC_NIST_P256", lambda: b""),
        ("ECC_NIST_P256", lambda: b"\x30\x82\x01"),
        ("ECC_NIST_P256", lambda: os.urandom(64)),
    ],
)
def test_private_keys_of_another_kind_or_malformed_are_refused(spec: str, material: object) -> None:
    assert callable(material)
    with pytest.raises(InvalidMaterial, match="PKCS#8"):
        check_material(spec, material())


def test_pkcs1_and_sec1_private_keys_are_refused() -> None:
    for spec in ("RSA_2048", "ECC_NIST_P256"):
        key = serialization.load_der_private_key(private_key_der(spec), None)
        traditional = key.private_bytes(  # type: ignore[union-attr]
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        with pytest.raises(InvalidMaterial, match="PKCS#8"):
            check_material(spec, traditional)


@pytest.mark.parametrize("spec", ["ECC_NIST_EDWARDS25519", "ML_DSA_44", "SM2", "NOPE"])
def test_specs_that_cannot_be_imported_are_refused(spec: str) -> None:
    with pytest.raises(InvalidMaterial, match="cannot be imported"):
        check_material(spec, os.urandom(32))


def test_refusals_never_show_the_material() -> None:
    material = b"\xaa" * 31
    with pytest.raises(InvalidMaterial) as refused:
        check_material("SYMMETRIC_DEFAULT", material)
    assert material.hex() not in str(refused.value)
    assert "aaaa" not in str(refused.value)


# --- material ids ------------------------------------------------------------------------------


def test_material_ids_are_deterministic_keyed_and_bound_to_the_key() -> None:
    id_key, other_id_key = b"\x01" * 32, b"\x02" * 32
    material = os.urandom(32)
    first = material_id(id_key, ARN_A, material)
    assert len(first) == 32
    assert material_id(id_key, ARN_A, material) == first
    assert material_id(id_key, ARN_B, material) != first
    assert material_id(other_id_key, ARN_A, material) != first
    assert material_id(id_key, ARN_A, os.urandom(32)) != first
    # Length prefixes: moving bytes between the ARN and the material changes the id.
    assert material_id(id_key, ARN_A + "x", material[1:]) != material_id(
        id_key, ARN_A, b"x" + material[1:]
    )


def test_root_key_derivation_is_hkdf_per_purpose() -> None:
    raw = bytes(range(32))
    root = RootKey(raw)
    expected = HKDF(hashes.SHA256(), 32, salt=None, info=b"purpose").derive(raw)
    assert root.derive(b"purpose") == expected
    assert root.derive(b"other") != expected
    assert expected != raw


# --- import tokens -----------------------------------------------------------------------------


@pytest.fixture
def root() -> RootKey:
    return RootKey(b"\x09" * 32)


def parameters(expires_at: float = NOW + 86_400) -> ImportParameters:
    private, _ = wrapping_key()
    return ImportParameters("RSA_AES_KEY_WRAP_SHA_256", "RSA_2048", private, expires_at)


def test_a_token_opens_for_its_key_until_it_expires(root: RootKey) -> None:
    sealed = seal_token(root, ARN_A, parameters(), nonce=NONCE)
    assert open_token(root, ARN_A, sealed, now=NOW) == parameters()
    assert open_token(root, ARN_A, sealed, now=NOW + 86_399.9) == parameters()
    with pytest.raises(TokenExpired):
        open_token(root, ARN_A, sealed, now=NOW + 86_400)


def test_a_token_never_opens_for_another_key_or_root_key(root: RootKey) -> None:
    sealed = seal_token(root, ARN_A, parameters(), nonce=NONCE)
    with pytest.raises(TokenInvalid):
        open_token(root, ARN_B, sealed, now=NOW)
    with pytest.raises(TokenInvalid):
        open_token(RootKey(b"\x08" * 32), ARN_A, sealed, now=NOW)


def test_any_modified_byte_makes_a_token_invalid(root: RootKey) -> None:
    sealed = seal_token(root, ARN_A, parameters(), nonce=NONCE)
    for index in (0, 1, 12, 13, 40, len(sealed) - 1):
        tampered = sealed[:index] + bytes([sealed[index] ^ 0x10]) + sealed[index + 1 :]
        with pytest.raises(TokenInvalid):
            open_token(root, ARN_A, tampered, now=NOW)
    for garbage in (b"", sealed[:20], os.urandom(200)):
        with pytest.raises(TokenInvalid):
            open_token(root, ARN_A, garbage, now=NOW)


def test_a_sealed_token_with_a_bad_layout_is_invalid(root: RootKey) -> None:
    aad = token_aad(ARN_A)
    for plaintext in (b"", b"\x02" + b"\x00" * 20, b"\x01\x00"):
        sealed = root.wrap(plaintext, aad, nonce=NONCE)
        with pytest.raises(TokenInvalid):
            open_token(root, ARN_A, sealed, now=NOW)


def test_a_token_hides_its_private_key_and_fits_the_api(root: RootKey) -> None:
    private, _ = wrapping_key()
    sealed = seal_token(root, ARN_A, parameters(), nonce=NONCE)
    assert private not in sealed
    assert private[100:140] not in sealed
    assert "RSA_AES_KEY_WRAP_SHA_256" in repr(parameters())
    assert private.hex()[:40] not in repr(parameters())


def test_an_rsa_4096_token_fits_the_6144_byte_ciphertext_limit(root: RootKey) -> None:
    private = private_key_der("RSA_4096")
    sealed = seal_token(
        root,
        ARN_A,
        ImportParameters("RSA_AES_KEY_WRAP_SHA_256", "RSA_4096", private, NOW),
        nonce=NONCE,
    )
    assert len(sealed) <= 6144
