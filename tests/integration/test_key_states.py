"""The operation-by-key-state matrix (kms-semantics §3.3) through boto3, with the exact
error types and messages of §3.2, for every operation the server answers that acts
on an existing key and every state a key can reach today (Enabled, Disabled,
PendingDeletion).

Each operation runs on a key of a kind it works with (symmetric, ECC signing,
HMAC, ECC key agreement). Failures use one key per kind and state shared by the
module (a refused call changes nothing, and each test checks that). Successes of
calls that change the key use a fresh key in that state.
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
    "OX": (
        "UnsupportedOperationException",
        "origin is AWS_KMS which is not valid for this operation.",
    ),
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
    "PutKeyPolicy": (None, None, None),
    "CreateGrant": (None, "D", "PD"),
    "ListGrants": (None, None, None),
    "RetireGrant": (None, None, None),
    "RevokeGrant": (None, None, None),
    "ListKeyPolicies": (None, None, None),
    "EnableKeyRotation": (None, "D", "PD"),
    "DisableKeyRotation": (None, "D", "PD"),
    "GetKeyRotationStatus": (None, None, None),
    "RotateKeyOnDemand": (None, "D", "PD"),
    "ListKeyRotations": (None, None, None),
    "GetKeyLastUsage": (None, None, None),
    "ScheduleKeyDeletion": (None, None, "PD"),
    "CancelKeyDeletion": ("NPD", "NPD", None),
    "GenerateDataKeyPair": (None, "D", "PD"),
    "GenerateDataKeyPairWithoutPlaintext": (None, "D", "PD"),
    "Sign": (None, "D", "PD"),
    "Verify": (None, "D", "PD"),
    # The documented choice for Disabled (§3.3 note), though AWS is reported to answer.
    "GetPublicKey": (None, "D", "PD"),
    "GenerateMac": (None, "D", "PD"),
    "VerifyMac": (None, "D", "PD"),
    "DeriveSharedSecret": (None, "D", "PD"),
    # Import operations on keys of origin AWS_KMS (test_key_import covers EXTERNAL keys).
    "GetParametersForImport": ("OX", "OX", "PD"),
    "ImportKeyMaterial": ("OX", "OX", "PD"),
    "DeleteImportedKeyMaterial": ("OX", "OX", "OX"),
}

SYMMETRIC, SIGNING, HMAC, AGREEMENT = "symmetric", "signing", "hmac", "agreement"
KINDS = [SYMMETRIC, SIGNING, HMAC, AGREEMENT]
# The kind of key each operation needs; symmetric where not listed.
KIND_OF = {
    "Sign": SIGNING,
    "Verify": SIGNING,
    "GetPublicKey": SIGNING,
    "GenerateMac": HMAC,
    "VerifyMac": HMAC,
    "DeriveSharedSecret": AGREEMENT,
}
CREATE_ARGS: dict[str, dict[str, str]] = {
    SYMMETRIC: {},
    SIGNING: {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
    HMAC: {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
    AGREEMENT: {"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"},
}
MESSAGE = b"state matrix"

# Operations whose success changes the key (or its alias): they get a fresh key.
CHANGES_THE_KEY = {
    "UpdateKeyDescription",
    "RetireGrant",
    "RevokeGrant",
    "PutKeyPolicy",
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
KEYLESS_OPERATIONS = {"CreateKey", "ListKeys", "GenerateRandom", "ListRetirableGrants"}


@dataclass(frozen=True)
class Subject:
    """A key in some state, with what was made with it while it was still Enabled."""

    key_id: str
    arn: str
    alias: str
    grantee: str = ""
    # Whichever the key's kind makes: a ciphertext, a signature, a MAC, a public key.
    ciphertext: bytes = b""
    signature: bytes = b""
    mac: bytes = b""
    public_key: bytes = b""


def make_subject(kms: Any, aliases: AliasTracker, state: str, kind: str = SYMMETRIC) -> Subject:
    metadata = create_key(kms, **CREATE_ARGS[kind])
    key_id = metadata["KeyId"]
    made: dict[str, bytes] = {}
    if kind == SYMMETRIC:
        made["ciphertext"] = kms.encrypt(KeyId=key_id, Plaintext=MESSAGE)["CiphertextBlob"]
    elif kind == SIGNING:
        made["signature"] = kms.sign(
            KeyId=key_id, Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256"
        )["Signature"]
    elif kind == HMAC:
        made["mac"] = kms.generate_mac(KeyId=key_id, Message=MESSAGE, MacAlgorithm="HMAC_SHA_256")[
            "Mac"
        ]
    else:
        made["public_key"] = kms.get_public_key(KeyId=key_id)["PublicKey"]
    alias = aliases.create(key_id)
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "state", "TagValue": state}])
    grantee = f"arn:aws:iam::{metadata['AWSAccountId']}:root"
    kms.create_grant(KeyId=key_id, GranteePrincipal=grantee, Operations=["DescribeKey"])
    if state == DISABLED:
        kms.disable_key(KeyId=key_id)
    elif state == PENDING_DELETION:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=30)
    return Subject(key_id, metadata["Arn"], alias, grantee=grantee, **made)


@pytest.fixture(scope="module")
def shared_subjects(kms: Any) -> Iterator[dict[tuple[str, str], Subject]]:
    """One key per kind and state for the calls that must fail (and change nothing)."""
    tracker = AliasTracker(kms)
    try:
        yield {
            (kind, state): make_subject(kms, tracker, state, kind)
            for kind in KINDS
            for state in STATES
        }
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


def _grant(c: Call) -> str:
    """A grant on the subject, made by the admin whatever the key's state (for retire/revoke)."""
    rows = c.kms.list_grants(KeyId=c.subject.key_id)["Grants"]
    if rows:
        return str(rows[0]["GrantId"])
    raise AssertionError("the subject has no grant to retire or revoke")


CALLS: dict[str, Callable[[Call], Any]] = {
    "CreateGrant": lambda c: c.kms.create_grant(
        KeyId=c.subject.key_id, GranteePrincipal=c.subject.grantee, Operations=["DescribeKey"]
    ),
    "ListGrants": lambda c: c.kms.list_grants(KeyId=c.subject.key_id),
    "RetireGrant": lambda c: c.kms.retire_grant(KeyId=c.subject.arn, GrantId=_grant(c)),
    "RevokeGrant": lambda c: c.kms.revoke_grant(KeyId=c.subject.key_id, GrantId=_grant(c)),
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
    "PutKeyPolicy": lambda c: c.kms.put_key_policy(
        KeyId=c.subject.key_id,
        PolicyName="default",
        Policy=c.kms.get_key_policy(KeyId=c.subject.key_id)["Policy"],
    ),
    "ListKeyPolicies": lambda c: c.kms.list_key_policies(KeyId=c.subject.key_id),
    "EnableKeyRotation": lambda c: c.kms.enable_key_rotation(KeyId=c.subject.key_id),
    "DisableKeyRotation": lambda c: c.kms.disable_key_rotation(KeyId=c.subject.key_id),
    "GetKeyRotationStatus": lambda c: c.kms.get_key_rotation_status(KeyId=c.subject.key_id),
    "RotateKeyOnDemand": lambda c: c.kms.rotate_key_on_demand(KeyId=c.subject.key_id),
    "ListKeyRotations": lambda c: c.kms.list_key_rotations(KeyId=c.subject.key_id),
    "GetKeyLastUsage": lambda c: c.kms.get_key_last_usage(KeyId=c.subject.key_id),
    "ScheduleKeyDeletion": lambda c: c.kms.schedule_key_deletion(
        KeyId=c.subject.key_id, PendingWindowInDays=7
    ),
    "CancelKeyDeletion": lambda c: c.kms.cancel_key_deletion(KeyId=c.subject.key_id),
    "GetParametersForImport": lambda c: c.kms.get_parameters_for_import(
        KeyId=c.subject.key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    ),
    "ImportKeyMaterial": lambda c: c.kms.import_key_material(
        KeyId=c.subject.key_id,
        ImportToken=b"t" * 64,
        EncryptedKeyMaterial=b"m" * 256,
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    ),
    "DeleteImportedKeyMaterial": lambda c: c.kms.delete_imported_key_material(
        KeyId=c.subject.key_id
    ),
    "GenerateDataKeyPair": lambda c: c.kms.generate_data_key_pair(
        KeyId=c.subject.key_id, KeyPairSpec="ECC_NIST_P256"
    ),
    "GenerateDataKeyPairWithoutPlaintext": lambda c: c.kms.generate_data_key_pair_without_plaintext(
        KeyId=c.subject.key_id, KeyPairSpec="ECC_NIST_P256"
    ),
    "Sign": lambda c: c.kms.sign(
        KeyId=c.subject.key_id, Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256"
    ),
    "Verify": lambda c: c.kms.verify(
        KeyId=c.subject.key_id,
        Message=MESSAGE,
        Signature=c.subject.signature,
        SigningAlgorithm="ECDSA_SHA_256",
    ),
    "GetPublicKey": lambda c: c.kms.get_public_key(KeyId=c.subject.key_id),
    "GenerateMac": lambda c: c.kms.generate_mac(
        KeyId=c.subject.key_id, Message=MESSAGE, MacAlgorithm="HMAC_SHA_256"
    ),
    "VerifyMac": lambda c: c.kms.verify_mac(
        KeyId=c.subject.key_id, Message=MESSAGE, MacAlgorithm="HMAC_SHA_256", Mac=c.subject.mac
    ),
    "DeriveSharedSecret": lambda c: c.kms.derive_shared_secret(
        KeyId=c.subject.key_id, KeyAgreementAlgorithm="ECDH", PublicKey=c.subject.public_key
    ),
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
    shared_subjects: dict[tuple[str, str], Subject],
    partner: Subject,
    aliases: AliasTracker,
    operation: str,
    state: str,
    failure: str | None,
) -> None:
    kind = KIND_OF.get(operation, SYMMETRIC)
    if failure is None and operation in CHANGES_THE_KEY:
        subject = make_subject(kms, aliases, state, kind)
    else:
        subject = shared_subjects[(kind, state)]
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


def test_list_keys_lists_keys_in_every_state(
    kms: Any, shared_subjects: dict[tuple[str, str], Subject]
) -> None:
    listed = {entry["KeyId"]: entry["KeyArn"] for entry in list_all_keys(kms)}
    for subject in shared_subjects.values():
        assert listed.get(subject.key_id) == subject.arn
