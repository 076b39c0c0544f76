"""Key specs, the usages each allows, and the algorithms each offers (kms-semantics §4.1)."""

from __future__ import annotations

from functools import cache

from strongroom.crypto import asymmetric
from strongroom.crypto.hmac_keys import HMAC_SPECS
from strongroom.service.errors import UnsupportedOperationException, ValidationException

SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"
ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"

_RSA = ("RSA_2048", "RSA_3072", "RSA_4096")
_NIST = ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521")
_HMAC = ("HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512")

ALLOWED_USAGES: dict[str, frozenset[str]] = {
    SYMMETRIC_DEFAULT: frozenset({ENCRYPT_DECRYPT}),
    **dict.fromkeys(_HMAC, frozenset({"GENERATE_VERIFY_MAC"})),
    **dict.fromkeys(_RSA, frozenset({ENCRYPT_DECRYPT, "SIGN_VERIFY"})),
    **dict.fromkeys(_NIST, frozenset({"SIGN_VERIFY", "KEY_AGREEMENT"})),
    "ECC_SECG_P256K1": frozenset({"SIGN_VERIFY"}),
    "ECC_NIST_EDWARDS25519": frozenset({"SIGN_VERIFY"}),
    **dict.fromkeys(("ML_DSA_44", "ML_DSA_65", "ML_DSA_87"), frozenset({"SIGN_VERIFY"})),
    "SM2": frozenset({ENCRYPT_DECRYPT, "SIGN_VERIFY", "KEY_AGREEMENT"}),
}


@cache
def implemented_specs() -> frozenset[str]:
    """The specs this server can create: symmetric, HMAC, and the asymmetric specs that the
    installed ``cryptography`` supports."""
    return frozenset({SYMMETRIC_DEFAULT, *HMAC_SPECS, *asymmetric.supported_specs()})


def is_symmetric(spec: str) -> bool:
    return spec == SYMMETRIC_DEFAULT


def is_hmac(spec: str) -> bool:
    return spec in HMAC_SPECS


def is_asymmetric(spec: str) -> bool:
    return spec != SYMMETRIC_DEFAULT and spec not in HMAC_SPECS


@cache
def algorithm_lists(spec: str, usage: str) -> dict[str, list[str]]:
    """DescribeKey's algorithm members for a spec and usage, keyed by snake_case field name."""
    if spec == SYMMETRIC_DEFAULT:
        return {"encryption_algorithms": ["SYMMETRIC_DEFAULT"]}
    if spec in HMAC_SPECS:
        return {"mac_algorithms": [HMAC_SPECS[spec]]}
    names = {
        "EncryptionAlgorithms": "encryption_algorithms",
        "SigningAlgorithms": "signing_algorithms",
        "KeyAgreementAlgorithms": "key_agreement_algorithms",
    }
    return {names[k]: v for k, v in asymmetric.algorithms(spec, usage).items()}


def choose_spec_and_usage(
    key_spec: str | None, customer_master_key_spec: str | None, key_usage: str | None
) -> tuple[str, str]:
    """The (spec, usage) of a new key.

    Raises ValidationException or UnsupportedOperationException.
    """
    if key_spec is not None and customer_master_key_spec is not None:
        raise ValidationException(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
            "CustomerMasterKeySpec parameter is deprecated. Use KeySpec."
        )
    spec = key_spec or customer_master_key_spec or SYMMETRIC_DEFAULT
    if key_usage is None:
        if spec != SYMMETRIC_DEFAULT:
            raise ValidationException(
                "You must specify a KeyUsage value for all KMS keys except for symmetric "
                "encryption keys."
            )
        key_usage = ENCRYPT_DECRYPT
    if key_usage not in ALLOWED_USAGES.get(spec, frozenset()):
        raise ValidationException(f"KeyUsage {key_usage} is not compatible with KeySpec {spec}")
    if spec not in implemented_specs():
        raise UnsupportedOperationException(f"KeySpec {spec} is not supported by this server yet.")
    return spec, key_usage
