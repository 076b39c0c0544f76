"""The operation-by-key-state matrix against kms-semantics §3.2 (messages) and §3.3 (matrix)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import botocore
import pytest

from strongroom.domain.keys import KeyRecord, KeyState
from strongroom.service.errors import (
    DisabledException,
    KMSError,
    KMSInvalidStateException,
    UnsupportedOperationException,
)
from strongroom.service.states import MATRIX, check_state

ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
S = KeyState

# Codes of kms-semantics §3.2.
FAILURE_CODES = {"D", "PD", "NPD", "PI", "UN", "CR", "UP", "OX", "US"}

# Operations Strongroom serves today on an existing key (README, "What works today").
SERVED_OPERATIONS = [
    "DescribeKey",
    "UpdateKeyDescription",
    "EnableKey",
    "DisableKey",
    "Encrypt",
    "Decrypt",
    "ReEncrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "TagResource",
    "UntagResource",
    "ListResourceTags",
    "GetKeyPolicy",
    "ListKeyPolicies",
]


def key_in(state: KeyState, origin: str = "AWS_KMS") -> KeyRecord:
    return KeyRecord(
        key_id="1234abcd-12ab-34cd-56ef-1234567890ab",
        account_id="111122223333",
        region="us-east-1",
        arn=ARN,
        key_spec="SYMMETRIC_DEFAULT",
        key_usage="ENCRYPT_DECRYPT",
        origin=origin,
        key_manager="CUSTOMER",
        state=state,
        description="",
        created_at=0.0,
        primary_version_id=b"\x00" * 32,
    )


def outcome(operation: str, key: KeyRecord) -> tuple[type[KMSError], str] | None:
    try:
        check_state(operation, key)
    except KMSError as e:
        return type(e), e.message
    return None


def _model_operations() -> set[str]:
    path = Path(botocore.__file__).parent / "data" / "kms" / "2014-11-01" / "service-2.json.gz"
    return set(json.loads(gzip.decompress(path.read_bytes()))["operations"])


# --- the table itself ------------------------------------------------------------------------


def test_every_matrix_row_names_only_real_key_states_and_known_codes() -> None:
    for operation, failures in MATRIX.items():
        for state, code in failures.items():
            assert isinstance(state, KeyState), (operation, state)
            assert code in FAILURE_CODES, (operation, state, code)


def test_every_matrix_operation_is_an_operation_of_the_kms_model() -> None:
    assert set(MATRIX) <= _model_operations()


@pytest.mark.parametrize("operation", SERVED_OPERATIONS)
def test_every_served_operation_on_a_key_declares_its_row(operation: str) -> None:
    assert operation in MATRIX


@pytest.mark.parametrize("operation", sorted(MATRIX))
@pytest.mark.parametrize("state", list(KeyState))
def test_every_operation_and_state_either_passes_or_raises_a_kms_error_naming_the_key(
    operation: str, state: KeyState
) -> None:
    result = outcome(operation, key_in(state))
    if result is not None:
        _, message = result
        assert message == "" or message.startswith(f"{ARN} "), message


@pytest.mark.parametrize("operation", sorted(MATRIX))
def test_pending_replica_deletion_behaves_like_pending_deletion(operation: str) -> None:
    assert outcome(operation, key_in(S.PENDING_REPLICA_DELETION)) == outcome(
        operation, key_in(S.PENDING_DELETION)
    )


@pytest.mark.parametrize("operation", sorted(MATRIX))
def test_only_cancel_key_deletion_refuses_an_enabled_key(operation: str) -> None:
    expected = (
        (KMSInvalidStateException, f"{ARN} is not pending deletion.")
        if operation == "CancelKeyDeletion"
        else None
    )
    assert outcome(operation, key_in(S.ENABLED)) == expected


def test_an_operation_missing_from_the_matrix_raises_key_error() -> None:
    with pytest.raises(KeyError):
        check_state("NoSuchOperation", key_in(S.ENABLED))


def test_an_operation_name_is_case_sensitive() -> None:
    with pytest.raises(KeyError):
        check_state("encrypt", key_in(S.ENABLED))


# --- exact errors, sampled from §3.3 ---------------------------------------------------------

DISABLED = (DisabledException, f"{ARN} is disabled.")
PENDING_DELETION = (KMSInvalidStateException, f"{ARN} is pending deletion.")
NOT_PENDING_DELETION = (KMSInvalidStateException, f"{ARN} is not pending deletion.")
PENDING_IMPORT = (KMSInvalidStateException, f"{ARN} is pending import.")
UNAVAILABLE = (KMSInvalidStateException, f"{ARN} is unavailable.")
CREATING = (KMSInvalidStateException, f"{ARN} is creating.")
UPDATING = (KMSInvalidStateException, f"{ARN} is updating.")
ORIGIN_AWS_KMS = (
    UnsupportedOperationException,
    f"{ARN} origin is AWS_KMS which is not valid for this operation.",
)
UNSUPPORTED = (UnsupportedOperationException, "")

SAMPLES = [
    # crypto operations
    ("Encrypt", S.ENABLED, None),
    ("Encrypt", S.DISABLED, DISABLED),
    ("Encrypt", S.PENDING_DELETION, PENDING_DELETION),
    ("Decrypt", S.PENDING_REPLICA_DELETION, PENDING_DELETION),
    ("GenerateDataKey", S.PENDING_IMPORT, PENDING_IMPORT),
    ("ReEncrypt", S.UNAVAILABLE, UNAVAILABLE),
    ("GenerateDataKeyWithoutPlaintext", S.CREATING, CREATING),
    ("Encrypt", S.UPDATING, None),
    ("GenerateDataKeyPair", S.DISABLED, DISABLED),
    ("Sign", S.DISABLED, DISABLED),
    ("VerifyMac", S.PENDING_DELETION, PENDING_DELETION),
    # GetPublicKey follows the documentation on Disabled keys (§3.3 note).
    ("GetPublicKey", S.DISABLED, DISABLED),
    # grants
    ("CreateGrant", S.DISABLED, DISABLED),
    ("CreateGrant", S.UNAVAILABLE, None),
    ("RetireGrant", S.PENDING_DELETION, None),
    # metadata
    ("DescribeKey", S.PENDING_DELETION, None),
    ("DescribeKey", S.CREATING, None),
    ("CreateAlias", S.DISABLED, None),
    ("CreateAlias", S.PENDING_DELETION, PENDING_DELETION),
    ("UpdateAlias", S.PENDING_DELETION, PENDING_DELETION),
    ("DeleteAlias", S.PENDING_DELETION, None),
    ("TagResource", S.PENDING_DELETION, PENDING_DELETION),
    ("UntagResource", S.PENDING_IMPORT, None),
    ("UpdateKeyDescription", S.PENDING_DELETION, PENDING_DELETION),
    # enable / disable
    ("EnableKey", S.DISABLED, None),
    ("EnableKey", S.PENDING_DELETION, PENDING_DELETION),
    ("DisableKey", S.PENDING_IMPORT, PENDING_IMPORT),
    ("EnableKey", S.UNAVAILABLE, None),
    ("DisableKey", S.CREATING, CREATING),
    ("EnableKey", S.UPDATING, UPDATING),
    # deletion
    ("ScheduleKeyDeletion", S.DISABLED, None),
    ("ScheduleKeyDeletion", S.PENDING_DELETION, PENDING_DELETION),
    ("ScheduleKeyDeletion", S.UPDATING, UPDATING),
    ("CancelKeyDeletion", S.ENABLED, NOT_PENDING_DELETION),
    ("CancelKeyDeletion", S.DISABLED, NOT_PENDING_DELETION),
    ("CancelKeyDeletion", S.PENDING_DELETION, None),
    ("CancelKeyDeletion", S.PENDING_REPLICA_DELETION, None),
    ("CancelKeyDeletion", S.UNAVAILABLE, NOT_PENDING_DELETION),
    # rotation
    ("EnableKeyRotation", S.DISABLED, DISABLED),
    ("DisableKeyRotation", S.PENDING_IMPORT, ORIGIN_AWS_KMS),
    ("EnableKeyRotation", S.UNAVAILABLE, UNSUPPORTED),
    ("GetKeyRotationStatus", S.PENDING_DELETION, None),
    ("GetKeyRotationStatus", S.UNAVAILABLE, UNSUPPORTED),
    ("RotateKeyOnDemand", S.DISABLED, DISABLED),
    ("RotateKeyOnDemand", S.UPDATING, UPDATING),
    ("ListKeyRotations", S.DISABLED, None),
    # import
    ("GetParametersForImport", S.PENDING_IMPORT, None),
    ("GetParametersForImport", S.UNAVAILABLE, ORIGIN_AWS_KMS),
    ("ImportKeyMaterial", S.PENDING_DELETION, PENDING_DELETION),
    ("ImportKeyMaterial", S.UPDATING, None),
    ("DeleteImportedKeyMaterial", S.PENDING_DELETION, None),
    ("DeleteImportedKeyMaterial", S.CREATING, CREATING),
]


@pytest.mark.parametrize(
    ("operation", "state", "expected"),
    SAMPLES,
    ids=[f"{op}-{state.value}" for op, state, _ in SAMPLES],
)
def test_check_state_raises_the_documented_error_and_message(
    operation: str, state: KeyState, expected: tuple[type[KMSError], str] | None
) -> None:
    assert outcome(operation, key_in(state)) == expected


@pytest.mark.parametrize("state", list(KeyState))
def test_describe_key_works_in_every_state(state: KeyState) -> None:
    check_state("DescribeKey", key_in(state))


def test_the_origin_error_names_the_keys_actual_origin() -> None:
    key = key_in(S.UNAVAILABLE, origin="EXTERNAL_KEY_STORE")
    assert outcome("ImportKeyMaterial", key) == (
        UnsupportedOperationException,
        f"{ARN} origin is EXTERNAL_KEY_STORE which is not valid for this operation.",
    )


def test_state_errors_are_client_errors_with_http_400() -> None:
    for state in (S.DISABLED, S.PENDING_DELETION):
        with pytest.raises(KMSError) as raised:
            check_state("Encrypt", key_in(state))
        assert raised.value.status == 400
    with pytest.raises(DisabledException) as disabled:
        check_state("Encrypt", key_in(S.DISABLED))
    assert disabled.value.code == "DisabledException"
    with pytest.raises(KMSInvalidStateException) as invalid:
        check_state("Encrypt", key_in(S.PENDING_DELETION))
    assert invalid.value.code == "KMSInvalidStateException"
