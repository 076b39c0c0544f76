"""Key specs, the usages each allows, and the algorithms each offers (kms-semantics §4.1)."""

from __future__ import annotations

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

# The specs this server can create today; the others arrive with later issues.
IMPLEMENTED_SPECS = frozenset({SYMMETRIC_DEFAULT})

ENCRYPTION_ALGORITHMS: dict[str, list[str]] = {SYMMETRIC_DEFAULT: ["SYMMETRIC_DEFAULT"]}


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
    if spec not in IMPLEMENTED_SPECS:
        raise UnsupportedOperationException(f"KeySpec {spec} is not supported by this server yet.")
    return spec, key_usage
