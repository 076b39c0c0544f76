"""What each operation may log: an explicit allow-list of request members.

CloudTrail logs request parameters under lower-camel names and never logs
plaintext, ciphertext blobs, messages, signatures, MACs, key material, import
tokens, grant tokens (bearer secrets) or attestation documents. A member that is
not listed here is not logged, so a new secret-bearing member cannot leak by
default; a test checks that every operation the server answers has an entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_KEY = ("KeyId",)
_PAGE = ("Limit", "Marker")
_DRY = ("DryRun",)

# operation -> wire names of the request members that are logged.
REQUEST_MEMBERS: dict[str, tuple[str, ...]] = {
    "CreateKey": (
        "Description",
        "KeyUsage",
        "KeySpec",
        "CustomerMasterKeySpec",
        "Origin",
        "Policy",
        "BypassPolicyLockoutSafetyCheck",
        "Tags",
        "MultiRegion",
        "CustomKeyStoreId",
        "XksKeyId",
    ),
    "DescribeKey": _KEY,
    "ListKeys": _PAGE,
    "UpdateKeyDescription": (*_KEY, "Description"),
    "EnableKey": _KEY,
    "DisableKey": _KEY,
    "Encrypt": (*_KEY, "EncryptionContext", "EncryptionAlgorithm", *_DRY),
    "Decrypt": (*_KEY, "EncryptionContext", "EncryptionAlgorithm", "DryRunModifiers", *_DRY),
    "ReEncrypt": (
        "SourceKeyId",
        "SourceEncryptionContext",
        "SourceEncryptionAlgorithm",
        "DestinationKeyId",
        "DestinationEncryptionContext",
        "DestinationEncryptionAlgorithm",
        "DryRunModifiers",
        *_DRY,
    ),
    "GenerateDataKey": (*_KEY, "EncryptionContext", "NumberOfBytes", "KeySpec", *_DRY),
    "GenerateDataKeyWithoutPlaintext": (
        *_KEY,
        "EncryptionContext",
        "NumberOfBytes",
        "KeySpec",
        *_DRY,
    ),
    "GenerateDataKeyPair": (*_KEY, "EncryptionContext", "KeyPairSpec", *_DRY),
    "GenerateDataKeyPairWithoutPlaintext": (*_KEY, "EncryptionContext", "KeyPairSpec", *_DRY),
    "GenerateRandom": ("NumberOfBytes", "CustomKeyStoreId"),
    "CreateAlias": ("AliasName", "TargetKeyId"),
    "UpdateAlias": ("AliasName", "TargetKeyId"),
    "DeleteAlias": ("AliasName",),
    "ListAliases": (*_KEY, *_PAGE),
    "TagResource": (*_KEY, "Tags"),
    "UntagResource": (*_KEY, "TagKeys"),
    "ListResourceTags": (*_KEY, *_PAGE),
    "GetKeyPolicy": (*_KEY, "PolicyName"),
    "ListKeyPolicies": (*_KEY, *_PAGE),
    "PutKeyPolicy": (*_KEY, "PolicyName", "Policy", "BypassPolicyLockoutSafetyCheck"),
    "CreateGrant": (
        *_KEY,
        "GranteePrincipal",
        "RetiringPrincipal",
        "Operations",
        "Constraints",
        "Name",
        *_DRY,
    ),
    "ListGrants": (*_KEY, "GrantId", "GranteePrincipal", *_PAGE),
    "ListRetirableGrants": ("RetiringPrincipal", *_PAGE),
    # Never GrantToken: a grant token is a bearer credential.
    "RetireGrant": (*_KEY, "GrantId", *_DRY),
    "RevokeGrant": (*_KEY, "GrantId", *_DRY),
    "EnableKeyRotation": (*_KEY, "RotationPeriodInDays"),
    "DisableKeyRotation": _KEY,
    "GetKeyRotationStatus": _KEY,
    "RotateKeyOnDemand": _KEY,
    "ListKeyRotations": (*_KEY, "IncludeKeyMaterial", *_PAGE),
    "ScheduleKeyDeletion": (*_KEY, "PendingWindowInDays"),
    "CancelKeyDeletion": _KEY,
    # Never Message, Signature or Mac.
    "Sign": (*_KEY, "MessageType", "SigningAlgorithm", *_DRY),
    "Verify": (*_KEY, "MessageType", "SigningAlgorithm", *_DRY),
    "GetPublicKey": _KEY,
    "GenerateMac": (*_KEY, "MacAlgorithm", *_DRY),
    "VerifyMac": (*_KEY, "MacAlgorithm", *_DRY),
    "DeriveSharedSecret": (*_KEY, "KeyAgreementAlgorithm", *_DRY),
    "GetKeyLastUsage": _KEY,
    # Key import (BYOK): never ImportToken or EncryptedKeyMaterial.
    "GetParametersForImport": (*_KEY, "WrappingAlgorithm", "WrappingKeySpec"),
    "ImportKeyMaterial": (
        *_KEY,
        "ValidTo",
        "ExpirationModel",
        "ImportType",
        "KeyMaterialId",
        "KeyMaterialDescription",
    ),
    "DeleteImportedKeyMaterial": (*_KEY, "KeyMaterialId"),
}

# Members whose value is a structure (or list of structures) with wire-named
# fields; every other value is logged as sent (an encryption context's own
# keys must keep their spelling).
_STRUCTURES = frozenset({"Tags", "Constraints"})
_MAP_FIELDS = frozenset({"EncryptionContextSubset", "EncryptionContextEquals"})

# operation -> wire names of response members that are logged (CloudTrail logs
# non-secret output of some management calls; null for everything else).
RESPONSE_MEMBERS: dict[str, tuple[str, ...]] = {
    "CreateKey": ("KeyMetadata",),
    "CreateGrant": ("GrantId",),
    "ScheduleKeyDeletion": ("KeyId", "DeletionDate", "KeyState", "PendingWindowInDays"),
    "CancelKeyDeletion": ("KeyId",),
}


def lower_camel(name: str) -> str:
    """CloudTrail's spelling of a wire member name: ``KeyId`` -> ``keyId``."""
    return name[:1].lower() + name[1:]


def _struct(value: Any) -> Any:
    if isinstance(value, list):
        return [_struct(item) for item in value]
    if isinstance(value, dict):
        return {lower_camel(k): (v if k in _MAP_FIELDS else _struct(v)) for k, v in value.items()}
    return value


# operation -> (wire name, logged name) of each logged member: spelled once, not per call.
_REQUEST_NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    operation: tuple((name, lower_camel(name)) for name in names)
    for operation, names in REQUEST_MEMBERS.items()
}


def request_parameters(operation: str, body: object) -> dict[str, Any] | None:
    """The loggable members of a request body (parsed JSON), or None if none are."""
    allowed = _REQUEST_NAMES.get(operation)
    if allowed is None or not isinstance(body, Mapping):
        return None
    logged = {
        logged_name: (_struct(body[name]) if name in _STRUCTURES else body[name])
        for name, logged_name in allowed
        if name in body
    }
    return logged or None


def response_elements(operation: str, result: object) -> dict[str, Any] | None:
    """The loggable members of an encoded response, or None (the crypto operations' case)."""
    allowed = RESPONSE_MEMBERS.get(operation)
    if allowed is None or not isinstance(result, Mapping):
        return None
    logged = {lower_camel(name): _struct(result[name]) for name in allowed if name in result}
    return logged or None
