"""The operation-by-key-state matrix (kms-semantics §3.3) through boto3, with the exact
error types and messages of §3.2, for every operation the server answers that acts
on an existing key and every state a key can reach today (Enabled, Disabled,
PendingDeletion).

Failures use one key per state shared by the module (a refused call changes
nothing, and each test checks that). Successes of calls that change the key use
a fresh key in that state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from .helpers import AliasTracker, RawPost, create_key, expect_error, list_all_keys

ENABLED, DISABLED, PENDING_DELETION = "Enabled", "Disabled", "PendingDeletion"
STATES = [ENABLED, DISABLED, PENDING_DELETION]

# §3.2: failure code -> (error code, words after "<key ARN> ").
ERRORS = {
    "D": ("DisabledException", "is disabled."),
    "PD": ("KMSInvalidStateException", "is pending deletion."),
    "NPD": ("KMSInvalidStateException", "is not pending deletion."),
}

# §3.3 rows, columns Enabled, Disabled, PendingDeletion; None = allowed. A suffix after
# ":" names which key of a two-key operation is in the state.
EXPECTED: dict[str, tuple[str | None, str | None, str | None]] = {
    "DescribeKey": (None, None, None),
    "UpdateKeyDescription": (None, None, "PD"),
    "EnableKey": (None, None, "PD"),
    "DisableKey": (None, None, "PD"),
    "Encrypt": (None, "D", "PD"),
    "Decrypt": (None, "D", "PD"),
    "ReEncrypt:source": (None, "D", "PD"),
    "ReEncrypt:destination": (None, "D", "PD"),
    "GenerateDataKey": (None, "D", "PD"),
    "GenerateDataKeyWithoutPlaintext": (None, "D", "PD"),
    "CreateAlias": (None, None, "PD"),
    "UpdateAlias:new_target": (None, None, "PD"),
    "UpdateAlias:old_target": (None, None, None),
    "DeleteAlias": (None, None, None),
    "ListAliases": (None, None, None),
    "TagResource": (None, None, "PD"),
    "UntagResource": (None, None, "PD"),
    "ListResourceTags": (None, None, None),
    "GetKeyPolicy": (None, None, None),
    "ListKeyPolicies": (None, None, None),
    "EnableKeyRotation": (None, "D", "PD"),
    "DisableKeyRotation": (None, "D", "PD"),
    "GetKeyRotationStatus": (None, None, None),
    "RotateKeyOnDemand": (None, "D", "PD"),
    "ListKeyRotations": (None, None, None),
    "ScheduleKeyDeletion": (None, None, "PD"),
    "CancelKeyDeletion": ("NPD", "NPD", None),
}

# Operations whose success changes the key (or its alias): they get a fresh key.
CHANGES_THE_KEY = {
    "UpdateKeyDescription",
    "EnableKey",
    "DisableKey",
    "UpdateAlias:old_target",
    "DeleteAlias",
    "TagResource",
    "UntagResource",
    "EnableKeyRotation",
    "DisableKeyRotation",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
}

# The state a successful call leaves the key in, where it is not the state it started in.
STATE_AFTER = {
    "EnableKey": ENABLED,
    "DisableKey": DISABLED,
    "ScheduleKeyDeletion": PENDING_DELETION,
    "CancelKeyDeletion": DISABLED,
}

# Operations that name no existing key.
KEYLESS_OPERATIONS = {"CreateKey", "ListKeys", "GenerateRandom"}


@dataclass(frozen=True)
class Subject:
    """A key in some state, with what was made for it while it was still Enabled."""

    key_id: str
    arn: str
    ciphertext: bytes
    alias: str


def make_subject(kms: Any, aliases: AliasTracker, state: str) -> Subject:
    metadata = create_key(kms)
    key_id = metadata["KeyId"]
    ciphertext = kms.encrypt(KeyId=key_id, Plaintext=b"state matrix")["CiphertextBlob"]
    alias = aliases.create(key_id)
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "state", "TagValue": state}])
    if state == DISABLED:
        kms.disable_key(KeyId=key_id)
    elif state == PENDING_DELETION:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=30)
    return Subject(key_id, metadata["Arn"], ciphertext, alias)


@pytest.fixture(scope="module")
def shared_subjects(kms: Any) -> Iterator[dict[str, Subject]]:
    """One key per state for the calls that must fail (and change nothing)."""
    tracker = AliasTracker(kms)
    try:
        yield {state: make_subject(kms, tracker, state) for state in STATES}
    finally:
        tracker.cleanup()


@pytest.fixture
def partner(kms: Any, aliases: AliasTracker) -> Subject:
    """An Enabled key: the other end of ReEncrypt and UpdateAlias."""
    return make_subject(kms, aliases, ENABLED)


@dataclass(frozen=True)
class Call:
    kms: Any
    subject: Subject
    partner: Subject
    aliases: AliasTracker


CALLS: dict[str, Callable[[Call], Any]] = {
    "DescribeKey": lambda c: c.kms.describe_key(KeyId=c.subject.key_id),
    "UpdateKeyDescription": lambda c: c.kms.update_key_description(
        KeyId=c.subject.key_id, Description="changed"
    ),
    "EnableKey": lambda c: c.kms.enable_key(KeyId=c.subject.key_id),
    "DisableKey": lambda c: c.kms.disable_key(KeyId=c.subject.key_id),
    "Encrypt": lambda c: c.kms.encrypt(KeyId=c.subject.key_id, Plaintext=b"x"),
    "Decrypt": lambda c: c.kms.decrypt(CiphertextBlob=c.subject.ciphertext),
    "ReEncrypt:source": lambda c: c.kms.re_encrypt(
        CiphertextBlob=c.subject.ciphertext, DestinationKeyId=c.partner.key_id
    ),
    "ReEncrypt:destination": lambda c: c.kms.re_encrypt(
        CiphertextBlob=c.partner.ciphertext, DestinationKeyId=c.subject.key_id
    ),
    "GenerateDataKey": lambda c: c.kms.generate_data_key(KeyId=c.subject.key_id, KeySpec="AES_256"),
    "GenerateDataKeyWithoutPlaintext": lambda c: c.kms.generate_data_key_without_plaintext(
        KeyId=c.subject.key_id, NumberOfBytes=32
    ),
    "CreateAlias": lambda c: c.aliases.create(c.subject.key_id),
    "UpdateAlias:new_target": lambda c: c.kms.update_alias(
        AliasName=c.partner.alias, TargetKeyId=c.subject.key_id
    ),
    "UpdateAlias:old_target": lambda c: c.kms.update_alias(
        AliasName=c.subject.alias, TargetKeyId=c.partner.key_id
    ),
    "DeleteAlias": lambda c: c.kms.delete_alias(AliasName=c.subject.alias),
    "ListAliases": lambda c: c.kms.list_aliases(KeyId=c.subject.key_id),
    "TagResource": lambda c: c.kms.tag_resource(
        KeyId=c.subject.key_id, Tags=[{"TagKey": "added", "TagValue": "1"}]
    ),
    "UntagResource": lambda c: c.kms.untag_resource(KeyId=c.subject.key_id, TagKeys=["state"]),
    "ListResourceTags": lambda c: c.kms.list_resource_tags(KeyId=c.subject.key_id),
    "GetKeyPolicy": lambda c: c.kms.get_key_policy(KeyId=c.subject.key_id, PolicyName="default"),
    "ListKeyPolicies": lambda c: c.kms.list_key_policies(KeyId=c.subject.key_id),
    "EnableKeyRotation": lambda c: c.kms.enable_key_rotation(KeyId=c.subject.key_id),
    "DisableKeyRotation": lambda c: c.kms.disable_key_rotation(KeyId=c.subject.key_id),
    "GetKeyRotationStatus": lambda c: c.kms.get_key_rotation_status(KeyId=c.subject.key_id),
    "RotateKeyOnDemand": lambda c: c.kms.rotate_key_on_demand(KeyId=c.subject.key_id),
    "ListKeyRotations": lambda c: c.kms.list_key_rotations(KeyId=c.subject.key_id),
    "ScheduleKeyDeletion": lambda c: c.kms.schedule_key_deletion(
        KeyId=c.subject.key_id, PendingWindowInDays=7
    ),
    "CancelKeyDeletion": lambda c: c.kms.cancel_key_deletion(KeyId=c.subject.key_id),
}

CASES = [
    pytest.param(operation, state, codes[index], id=f"{operation}-{state}")
    for operation, codes in EXPECTED.items()
    for index, state in enumerate(STATES)
]


def state_of(kms: Any, key_id: str) -> str:
    state: str = kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]
    return state


@pytest.mark.parametrize(("operation", "state", "failure"), CASES)
def test_operation_on_a_key_in_each_state_succeeds_or_fails_as_documented(
    kms: Any,
    shared_subjects: dict[str, Subject],
    partner: Subject,
    aliases: AliasTracker,
    operation: str,
    state: str,
    failure: str | None,
) -> None:
    if failure is None and operation in CHANGES_THE_KEY:
        subject = make_subject(kms, aliases, state)
    else:
        subject = shared_subjects[state]
    call = Call(kms, subject, partner, aliases)

    if failure is None:
        CALLS[operation](call)
        assert state_of(kms, subject.key_id) == STATE_AFTER.get(operation, state)
        return

    error_code, words = ERRORS[failure]
    # Called with the key id: the message names the key by its ARN.
    with expect_error(error_code, message=f"{subject.arn} {words}"):
        CALLS[operation](call)
    assert state_of(kms, subject.key_id) == state


def test_matrix_covers_every_operation_the_server_answers_on_a_key(
    kms: Any, raw_post: RawPost
) -> None:
    covered = {name.split(":")[0] for name in EXPECTED}
    answered = set()
    for operation in kms.meta.service_model.operation_names:
        # Not a JSON object: an operation the server answers fails to parse it,
        # one it does not know is refused before the body is read.
        response = raw_post(operation, b"[]")
        assert response.status != 200, operation
        if response.error_code != "UnknownOperationException":
            answered.add(operation)
    assert "Encrypt" in answered
    assert answered - KEYLESS_OPERATIONS == covered


def test_list_keys_lists_keys_in_every_state(kms: Any, shared_subjects: dict[str, Subject]) -> None:
    listed = {entry["KeyId"]: entry["KeyArn"] for entry in list_all_keys(kms)}
    for subject in shared_subjects.values():
        assert listed.get(subject.key_id) == subject.arn
