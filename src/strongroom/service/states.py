"""The operation-by-key-state matrix (kms-semantics §3.3), the one place every operation checks.

Each row lists, per state, ``None`` (allowed) or the failure code of §3.2.
Checks that depend on more than the state (key usage, origin, whether a key
type can rotate) are made by the operations themselves after this one.
"""

from __future__ import annotations

from collections.abc import Callable

from strongroom.domain.keys import KeyRecord, KeyState
from strongroom.service.errors import (
    DisabledException,
    KMSError,
    KMSInvalidStateException,
    UnsupportedOperationException,
)

_S = KeyState
_COLUMNS = (
    (_S.ENABLED,),
    (_S.DISABLED,),
    (_S.PENDING_DELETION, _S.PENDING_REPLICA_DELETION),
    (_S.PENDING_IMPORT,),
    (_S.UNAVAILABLE,),
    (_S.CREATING,),
    (_S.UPDATING,),
)

_CRYPTO = (None, "D", "PD", "PI", "UN", "CR", None)
_ASYMMETRIC_CRYPTO = (None, "D", "PD", "PI", "UN", "CR", None)
_ALWAYS = (None, None, None, None, None, None, None)
_MUTATE_METADATA = (None, None, "PD", None, None, None, None)
_ENABLE_DISABLE = (None, None, "PD", "PI", None, "CR", "UP")

_ROWS: dict[str, tuple[str | None, ...]] = {
    **dict.fromkeys(
        (
            "Encrypt",
            "Decrypt",
            "ReEncrypt",
            "GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext",
            "GenerateDataKeyPair",
            "GenerateDataKeyPairWithoutPlaintext",
        ),
        _CRYPTO,
    ),
    **dict.fromkeys(
        (
            "Sign",
            "Verify",
            "GenerateMac",
            "VerifyMac",
            "DeriveSharedSecret",
            "GetPublicKey",
        ),
        _ASYMMETRIC_CRYPTO,
    ),
    "CreateGrant": (None, "D", "PD", "PI", None, "CR", None),
    **dict.fromkeys(
        (
            "DescribeKey",
            "GetKeyPolicy",
            "PutKeyPolicy",
            "ListGrants",
            "ListKeyPolicies",
            "ListResourceTags",
            "RetireGrant",
            "RevokeGrant",
            "DeleteAlias",
            "GetKeyLastUsage",
            "ListAliases",
        ),
        _ALWAYS,
    ),
    # UpdateAlias checks only the new target this way (an old target pending deletion is fine).
    **dict.fromkeys(
        ("CreateAlias", "UpdateAlias", "TagResource", "UntagResource", "UpdateKeyDescription"),
        _MUTATE_METADATA,
    ),
    "EnableKey": _ENABLE_DISABLE,
    "DisableKey": _ENABLE_DISABLE,
    "ScheduleKeyDeletion": (None, None, "PD", None, None, None, "UP"),
    "CancelKeyDeletion": ("NPD", "NPD", None, "NPD", "NPD", "NPD", "NPD"),
    "EnableKeyRotation": (None, "D", "PD", "OX", "US", "CR", None),
    "DisableKeyRotation": (None, "D", "PD", "OX", "US", "CR", None),
    "GetKeyRotationStatus": (None, None, None, None, "US", None, None),
    "RotateKeyOnDemand": (None, "D", "PD", "PI", "US", "CR", "UP"),
    "ListKeyRotations": (None, None, None, None, "US", None, None),
    "GetParametersForImport": (None, None, "PD", None, "OX", "CR", "UP"),
    "ImportKeyMaterial": (None, None, "PD", None, "OX", "CR", None),
    "DeleteImportedKeyMaterial": (None, None, None, None, None, "CR", "UP"),
}


def _build() -> dict[str, dict[KeyState, str]]:
    matrix: dict[str, dict[KeyState, str]] = {}
    for operation, row in _ROWS.items():
        failures: dict[KeyState, str] = {}
        for states, code in zip(_COLUMNS, row, strict=True):
            if code is not None:
                for state in states:
                    failures[state] = code
        matrix[operation] = failures
    return matrix


# operation -> {state: failure code}; a state absent from the inner dict is allowed.
MATRIX = _build()

_STATE_WORDS = {
    "PD": "is pending deletion",
    "NPD": "is not pending deletion",
    "PI": "is pending import",
    "UN": "is unavailable",
    "CR": "is creating",
    "UP": "is updating",
}


def _invalid_state(words: str) -> Callable[[KeyRecord], KMSError]:
    return lambda key: KMSInvalidStateException(f"{key.arn} {words}.")


_ERRORS: dict[str, Callable[[KeyRecord], KMSError]] = {
    "D": lambda key: DisabledException(f"{key.arn} is disabled."),
    "OX": lambda key: UnsupportedOperationException(
        f"{key.arn} origin is {key.origin} which is not valid for this operation."
    ),
    "US": lambda key: UnsupportedOperationException(""),
    **{code: _invalid_state(words) for code, words in _STATE_WORDS.items()},
}


def check_state(operation: str, key: KeyRecord) -> None:
    """Raise the error §3.2 gives for ``operation`` on a key in ``key.state``, if any.

    Raises KeyError for an operation missing from the matrix, so that a new
    operation cannot forget to declare its row.
    """
    code = MATRIX[operation].get(key.state)
    if code is not None:
        raise _ERRORS[code](key)
