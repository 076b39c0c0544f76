"""Key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
ListKeyRotations, and the automatic rotation the background job performs (kms-semantics §6).

The server runs in test mode: ``advance_clock`` moves its KMS clock forward and
its job pass runs every ``JOB_INTERVAL_S``. The clock is shared by every test of
the worker, so times are compared with the server's own clock, and a test that
needs to see that a job pass did *not* act waits for a control key that the
same pass must act on.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

import pytest

from .helpers import (
    Account,
    AliasTracker,
    Server,
    advance_clock,
    create_key,
    expect_error,
    wait_until,
)

DAY = 86_400.0
# Dates computed by the server and by the test differ by the requests in between.
SLACK_S = 120.0
ROTATION_OPS = [
    "EnableKeyRotation",
    "DisableKeyRotation",
    "GetKeyRotationStatus",
    "RotateKeyOnDemand",
    "ListKeyRotations",
]


def epoch(value: datetime.datetime) -> float:
    return value.timestamp()


def server_now(server: Server) -> float:
    return advance_clock(server, 0)


def all_rotations(kms: Any, key_id: str, *, include_all: bool = False) -> list[dict[str, Any]]:
    """Every ListKeyRotations entry, following NextMarker."""
    kwargs: dict[str, Any] = {"KeyId": key_id}
    if include_all:
        kwargs["IncludeKeyMaterial"] = "ALL_KEY_MATERIAL"
    entries: list[dict[str, Any]] = []
    while True:
        page = kms.list_key_rotations(**kwargs)
        entries.extend(page["Rotations"])
        if not page["Truncated"]:
            return entries
        kwargs["Marker"] = page["NextMarker"]


def current_material(kms: Any, key_id: str) -> str:
    material: str = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    return material


def rotation_status(kms: Any, key_id: str) -> dict[str, Any]:
    status: dict[str, Any] = kms.get_key_rotation_status(KeyId=key_id)
    status.pop("ResponseMetadata", None)
    return status


def wait_for_rotation(kms: Any, key_id: str) -> list[dict[str, Any]]:
    """The key's rotations, once the job has made one and DescribeKey shows its material.

    Each server process caches keys for a short while, and the job may run in
    another process than the one answering: wait for the cache to catch up too.
    """
    rotations = wait_until(lambda: all_rotations(kms, key_id), message="the automatic rotation")
    newest = rotations[-1]["KeyMaterialId"]
    wait_until(
        lambda: current_material(kms, key_id) == newest,
        message="DescribeKey showing the new material",
    )
    return all_rotations(kms, key_id)


def call_rotation_op(kms: Any, operation: str, key_id: str) -> Any:
    if operation == "EnableKeyRotation":
        return kms.enable_key_rotation(KeyId=key_id)
    if operation == "DisableKeyRotation":
        return kms.disable_key_rotation(KeyId=key_id)
    if operation == "GetKeyRotationStatus":
        return kms.get_key_rotation_status(KeyId=key_id)
    if operation == "RotateKeyOnDemand":
        return kms.rotate_key_on_demand(KeyId=key_id)
    assert operation == "ListKeyRotations"
    return kms.list_key_rotations(KeyId=key_id)


# --------------------------------------------------------------------------- on demand


def test_every_ciphertext_decrypts_after_repeated_on_demand_rotations(
    kms: Any, key: dict[str, Any]
) -> None:
    key_id = key["KeyId"]
    made: list[tuple[bytes, bytes, str]] = []  # (plaintext, ciphertext, material id)
    materials = [key["CurrentKeyMaterialId"]]
    for round_number in range(6):
        if round_number:
            response = kms.rotate_key_on_demand(KeyId=key_id)
            assert response["KeyId"] == key["Arn"]
            materials.append(current_material(kms, key_id))
        plaintext = secrets.token_bytes(24)
        blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
        made.append((plaintext, blob, materials[-1]))
        # The material DescribeKey calls current is the one new ciphertexts use.
        data_key = kms.generate_data_key(KeyId=key_id, NumberOfBytes=16)
        assert data_key["KeyMaterialId"] == materials[-1]

    assert len(set(materials)) == 6, "every rotation makes a new current material"
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyId"] == key_id
    assert described["Arn"] == key["Arn"]
    assert described["KeyState"] == "Enabled"

    for plaintext, blob, material in made:
        for kwargs in ({}, {"KeyId": key_id}, {"KeyId": key["Arn"]}):
            decrypted = kms.decrypt(CiphertextBlob=blob, **kwargs)
            assert decrypted["Plaintext"] == plaintext
            assert decrypted["KeyId"] == key["Arn"]
            assert decrypted["KeyMaterialId"] == material

        re_encrypted = kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id)
        assert re_encrypted["SourceKeyId"] == key["Arn"]
        assert re_encrypted["KeyId"] == key["Arn"]
        assert re_encrypted["SourceKeyMaterialId"] == material
        assert re_encrypted["DestinationKeyMaterialId"] == materials[-1]
        again = kms.decrypt(CiphertextBlob=re_encrypted["CiphertextBlob"])
        assert again["Plaintext"] == plaintext
        assert again["KeyMaterialId"] == materials[-1]


def test_rotation_keeps_aliases_tags_description_and_rotation_schedule(
    kms: Any, key: dict[str, Any], aliases: AliasTracker
) -> None:
    key_id = key["KeyId"]
    alias = aliases.create(key_id)
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "team", "TagValue": "blue"}])
    kms.enable_key_rotation(KeyId=key_id)
    before = rotation_status(kms, key_id)

    kms.rotate_key_on_demand(KeyId=key_id)

    blob = kms.encrypt(KeyId=alias, Plaintext=b"via alias")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"via alias"
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "team", "TagValue": "blue"}]
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["Description"] == key["Description"]
    # On-demand rotation does not move the automatic schedule (§6).
    assert rotation_status(kms, key_id) == before


def test_on_demand_rotation_is_limited_to_25_per_key(kms: Any, key: dict[str, Any]) -> None:
    key_id = key["KeyId"]
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=key_id)
    current = current_material(kms, key_id)

    with expect_error(
        "LimitExceededException",
        message=(
            "The on-demand rotations limit has been reached for the given keyId. No more "
            f"on-demand rotations can be performed for this key: {key['Arn']}"
        ),
    ):
        kms.rotate_key_on_demand(KeyId=key_id)

    assert current_material(kms, key_id) == current
    assert len(all_rotations(kms, key_id)) == 25


def test_on_demand_rotation_conflicts_with_an_automatic_rotation_due_within_20_minutes(
    kms: Any, key: dict[str, Any], server: Server
) -> None:
    key_id = key["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    next_rotation = epoch(rotation_status(kms, key_id)["NextRotationDate"])

    # Half an hour before the automatic rotation: on demand is still allowed.
    advance_clock(server, next_rotation - 30 * 60 - server_now(server))
    kms.rotate_key_on_demand(KeyId=key_id)
    assert epoch(rotation_status(kms, key_id)["NextRotationDate"]) == next_rotation

    # Ten minutes before: refused, and nothing changes.
    advance_clock(server, 20 * 60)
    current = current_material(kms, key_id)
    with expect_error("ConflictException"):
        kms.rotate_key_on_demand(KeyId=key_id)
    assert current_material(kms, key_id) == current
    assert [entry["RotationType"] for entry in all_rotations(kms, key_id)] == ["ON_DEMAND"]


def test_on_demand_rotation_is_allowed_with_automatic_rotation_disabled(
    kms: Any, key: dict[str, Any]
) -> None:
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    status = rotation_status(kms, key["KeyId"])
    assert status == {"KeyRotationEnabled": False, "KeyId": key["Arn"]}


# --------------------------------------------------------------------------- ListKeyRotations


def test_list_key_rotations_of_a_new_key_is_empty_unless_all_material_is_asked_for(
    kms: Any, key: dict[str, Any]
) -> None:
    response = kms.list_key_rotations(KeyId=key["KeyId"])
    assert response["Rotations"] == []
    assert response["Truncated"] is False
    assert "NextMarker" not in response

    everything = kms.list_key_rotations(KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")[
        "Rotations"
    ]
    assert everything == [
        {
            "KeyId": key["Arn"],
            "KeyMaterialId": key["CurrentKeyMaterialId"],
            "KeyMaterialState": "CURRENT",
        }
    ]


def test_list_key_rotations_lists_each_rotation_oldest_first_with_its_state(
    kms: Any, key: dict[str, Any], server: Server
) -> None:
    key_id = key["KeyId"]
    materials = [key["CurrentKeyMaterialId"]]
    for _ in range(3):
        kms.rotate_key_on_demand(KeyId=key_id)
        materials.append(current_material(kms, key_id))
    now = server_now(server)

    rotations = all_rotations(kms, key_id)
    assert [entry["KeyMaterialId"] for entry in rotations] == materials[1:]
    assert [entry["KeyMaterialState"] for entry in rotations] == [
        "NON_CURRENT",
        "NON_CURRENT",
        "CURRENT",
    ]
    for entry in rotations:
        assert entry["KeyId"] == key["Arn"]
        assert entry["RotationType"] == "ON_DEMAND"
        assert abs(epoch(entry["RotationDate"]) - now) < SLACK_S
        assert set(entry) == {
            "KeyId",
            "KeyMaterialId",
            "KeyMaterialState",
            "RotationDate",
            "RotationType",
        }

    everything = all_rotations(kms, key_id, include_all=True)
    assert everything[1:] == rotations
    assert everything[0] == {
        "KeyId": key["Arn"],
        "KeyMaterialId": materials[0],
        "KeyMaterialState": "NON_CURRENT",
    }


@pytest.mark.parametrize("include_all", [False, True], ids=["rotations_only", "all_material"])
def test_list_key_rotations_pages_with_limit_and_marker(
    kms: Any, key: dict[str, Any], include_all: bool
) -> None:
    key_id = key["KeyId"]
    for _ in range(5):
        kms.rotate_key_on_demand(KeyId=key_id)
    kwargs: dict[str, Any] = {"KeyId": key_id, "Limit": 2}
    if include_all:
        kwargs["IncludeKeyMaterial"] = "ALL_KEY_MATERIAL"
    expected = all_rotations(kms, key_id, include_all=include_all)
    assert len(expected) == (6 if include_all else 5)

    pages: list[list[dict[str, Any]]] = []
    while True:
        page = kms.list_key_rotations(**kwargs)
        pages.append(page["Rotations"])
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        assert page["NextMarker"]
        kwargs["Marker"] = page["NextMarker"]

    assert [len(page) for page in pages] == ([2, 2, 2] if include_all else [2, 2, 1])
    assert [entry for page in pages for entry in page] == expected


def test_list_key_rotations_with_the_paginator_returns_every_entry(
    kms: Any, key: dict[str, Any]
) -> None:
    for _ in range(3):
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    paginator = kms.get_paginator("list_key_rotations")
    entries = [
        entry
        for page in paginator.paginate(KeyId=key["KeyId"], PaginationConfig={"PageSize": 1})
        for entry in page["Rotations"]
    ]
    assert entries == all_rotations(kms, key["KeyId"])
    assert len(entries) == 3


def test_list_key_rotations_rejects_a_marker_from_another_listing(
    kms: Any, key: dict[str, Any]
) -> None:
    create_key(kms)
    foreign = kms.list_keys(Limit=1)["NextMarker"]
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    with expect_error("InvalidMarkerException"):
        kms.list_key_rotations(KeyId=key["KeyId"], Marker=foreign)


# --------------------------------------------------------------------------- status and period


def test_rotation_status_of_a_new_key_is_disabled(kms: Any, key: dict[str, Any]) -> None:
    assert rotation_status(kms, key["KeyId"]) == {
        "KeyRotationEnabled": False,
        "KeyId": key["Arn"],
    }


def test_enable_key_rotation_defaults_to_365_days_from_now(
    kms: Any, key: dict[str, Any], server: Server
) -> None:
    kms.enable_key_rotation(KeyId=key["KeyId"])
    now = server_now(server)

    status = rotation_status(kms, key["Arn"])
    assert status["KeyRotationEnabled"] is True
    assert status["KeyId"] == key["Arn"]
    assert status["RotationPeriodInDays"] == 365
    assert abs(epoch(status["NextRotationDate"]) - (now + 365 * DAY)) < SLACK_S
    assert "OnDemandRotationStartDate" not in status


@pytest.mark.parametrize("period", [90, 2560])
def test_enable_key_rotation_accepts_the_bounds_of_the_period(
    kms: Any, key: dict[str, Any], server: Server, period: int
) -> None:
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=period)
    now = server_now(server)
    status = rotation_status(kms, key["KeyId"])
    assert status["RotationPeriodInDays"] == period
    assert abs(epoch(status["NextRotationDate"]) - (now + period * DAY)) < SLACK_S


def test_changing_the_rotation_period_moves_the_next_rotation_date(
    kms: Any, key: dict[str, Any]
) -> None:
    key_id = key["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=365)
    first = epoch(rotation_status(kms, key_id)["NextRotationDate"])

    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=100)
    shorter = rotation_status(kms, key_id)
    assert shorter["RotationPeriodInDays"] == 100
    assert abs(epoch(shorter["NextRotationDate"]) - (first - 265 * DAY)) < SLACK_S

    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=1000)
    longer = rotation_status(kms, key_id)
    assert longer["RotationPeriodInDays"] == 1000
    assert abs(epoch(longer["NextRotationDate"]) - (first + 635 * DAY)) < SLACK_S


def test_disable_key_rotation_reports_rotation_off_without_a_schedule(
    kms: Any, key: dict[str, Any]
) -> None:
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=180)
    kms.disable_key_rotation(KeyId=key["KeyId"])
    assert rotation_status(kms, key["KeyId"]) == {
        "KeyRotationEnabled": False,
        "KeyId": key["Arn"],
    }


@pytest.mark.parametrize("period", [0, 89, 2561])
def test_rotation_period_outside_90_to_2560_days_is_rejected(
    kms_unvalidated: Any, key: dict[str, Any], period: int
) -> None:
    with expect_error("ValidationException") as error:
        kms_unvalidated.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=period)
    assert "rotationPeriodInDays" in error.message
    assert rotation_status(kms_unvalidated, key["KeyId"])["KeyRotationEnabled"] is False


# --------------------------------------------------------------------------- automatic


def test_automatic_rotation_happens_when_due_and_not_before(kms: Any, server: Server) -> None:
    subject = create_key(kms)
    # A key due earlier: once it has rotated, a job pass has run at the advanced time.
    control = create_key(kms)
    kms.enable_key_rotation(KeyId=subject["KeyId"])
    kms.enable_key_rotation(KeyId=control["KeyId"], RotationPeriodInDays=90)
    due = epoch(rotation_status(kms, subject["KeyId"])["NextRotationDate"])
    old_blob = kms.encrypt(KeyId=subject["KeyId"], Plaintext=b"before")["CiphertextBlob"]

    advance_clock(server, due - DAY - server_now(server))
    wait_until(lambda: all_rotations(kms, control["KeyId"]), message="the control key's rotation")
    assert all_rotations(kms, subject["KeyId"]) == []
    assert current_material(kms, subject["KeyId"]) == subject["CurrentKeyMaterialId"]

    advance_clock(server, DAY + 60)
    rotations = wait_for_rotation(kms, subject["KeyId"])
    assert len(rotations) == 1
    entry = rotations[0]
    assert entry["RotationType"] == "AUTOMATIC"
    assert entry["KeyMaterialState"] == "CURRENT"
    assert entry["KeyId"] == subject["Arn"]
    assert due <= epoch(entry["RotationDate"]) < due + 60 + SLACK_S
    assert entry["KeyMaterialId"] != subject["CurrentKeyMaterialId"]

    status = rotation_status(kms, subject["KeyId"])
    assert status["RotationPeriodInDays"] == 365
    next_rotation = epoch(status["NextRotationDate"])
    assert abs(next_rotation - (epoch(entry["RotationDate"]) + 365 * DAY)) < 1.0
    assert abs(next_rotation - (due + 365 * DAY)) < 60 + SLACK_S

    decrypted = kms.decrypt(CiphertextBlob=old_blob)
    assert decrypted["Plaintext"] == b"before"
    assert decrypted["KeyMaterialId"] == subject["CurrentKeyMaterialId"]


def test_disabled_key_is_not_rotated_until_enabled_again(kms: Any, server: Server) -> None:
    subject = create_key(kms)
    control = create_key(kms)
    for key in (subject, control):
        kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    kms.disable_key(KeyId=subject["KeyId"])
    due = epoch(rotation_status(kms, subject["KeyId"])["NextRotationDate"])

    advance_clock(server, due + DAY - server_now(server))
    wait_until(lambda: all_rotations(kms, control["KeyId"]), message="the control key's rotation")
    assert all_rotations(kms, subject["KeyId"]) == []
    # The setting survives while the key is disabled.
    assert rotation_status(kms, subject["KeyId"])["KeyRotationEnabled"] is True

    kms.enable_key(KeyId=subject["KeyId"])
    rotations = wait_for_rotation(kms, subject["KeyId"])
    assert [entry["RotationType"] for entry in rotations] == ["AUTOMATIC"]
    now = server_now(server)
    next_rotation = epoch(rotation_status(kms, subject["KeyId"])["NextRotationDate"])
    assert abs(next_rotation - (now + 90 * DAY)) < SLACK_S


def test_key_pending_deletion_is_not_rotated_and_cancel_then_enable_catches_up(
    kms: Any, server: Server
) -> None:
    subject = create_key(kms)
    control = create_key(kms)
    for key in (subject, control):
        kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    due = epoch(rotation_status(kms, subject["KeyId"])["NextRotationDate"])
    # Schedule the deletion so that the rotation falls due inside the waiting period.
    advance_clock(server, due - 5 * DAY - server_now(server))
    kms.schedule_key_deletion(KeyId=subject["KeyId"], PendingWindowInDays=30)

    advance_clock(server, 6 * DAY)
    wait_until(lambda: all_rotations(kms, control["KeyId"]), message="the control key's rotation")
    assert all_rotations(kms, subject["KeyId"]) == []
    assert rotation_status(kms, subject["KeyId"]) == {
        "KeyRotationEnabled": False,
        "KeyId": subject["Arn"],
    }

    kms.cancel_key_deletion(KeyId=subject["KeyId"])
    status = rotation_status(kms, subject["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 90
    kms.enable_key(KeyId=subject["KeyId"])
    rotations = wait_for_rotation(kms, subject["KeyId"])
    assert [entry["RotationType"] for entry in rotations] == ["AUTOMATIC"]


# --------------------------------------------------------------------------- errors and states


@pytest.mark.parametrize("operation", ROTATION_OPS)
@pytest.mark.parametrize("form", ["alias_name", "alias_arn"])
def test_rotation_operations_do_not_accept_an_alias(
    kms: Any,
    key: dict[str, Any],
    aliases: AliasTracker,
    account: Account,
    operation: str,
    form: str,
) -> None:
    alias = aliases.create(key["KeyId"])
    identifier = alias if form == "alias_name" else account.alias_arn(alias)
    with expect_error("NotFoundException"):
        call_rotation_op(kms, operation, identifier)
    assert rotation_status(kms, key["KeyId"])["KeyRotationEnabled"] is False
    assert all_rotations(kms, key["KeyId"]) == []


@pytest.mark.parametrize(
    "operation", ["EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand"]
)
def test_rotation_changes_on_a_key_pending_deletion_are_refused(
    kms: Any, key: dict[str, Any], operation: str
) -> None:
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with expect_error("KMSInvalidStateException", message=f"{key['Arn']} is pending deletion."):
        call_rotation_op(kms, operation, key["KeyId"])
    assert all_rotations(kms, key["KeyId"]) == []


@pytest.mark.parametrize(
    "operation", ["EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand"]
)
def test_rotation_changes_on_a_disabled_key_are_refused(
    kms: Any, key: dict[str, Any], operation: str
) -> None:
    kms.disable_key(KeyId=key["KeyId"])
    with expect_error("DisabledException", message=f"{key['Arn']} is disabled."):
        call_rotation_op(kms, operation, key["KeyId"])
    assert all_rotations(kms, key["KeyId"]) == []


def test_rotation_status_of_a_key_pending_deletion_is_false_until_cancelled(
    kms: Any, key: dict[str, Any], server: Server
) -> None:
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=200)
    before = rotation_status(kms, key["KeyId"])
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)

    assert rotation_status(kms, key["KeyId"]) == {
        "KeyRotationEnabled": False,
        "KeyId": key["Arn"],
    }
    # The rotation history stays readable while the key waits for deletion.
    assert len(all_rotations(kms, key["KeyId"])) == 1

    kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert rotation_status(kms, key["KeyId"]) == before


@pytest.mark.parametrize("operation", ROTATION_OPS)
def test_rotation_operations_on_an_unknown_key_are_not_found(
    kms: Any, account: Account, operation: str
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    with expect_error(
        "NotFoundException", message=f"Key '{account.key_arn(missing)}' does not exist"
    ):
        call_rotation_op(kms, operation, missing)


@pytest.mark.parametrize("operation", ROTATION_OPS)
@pytest.mark.parametrize(
    "create_args",
    [
        {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
        {"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"},
        {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
    ],
    ids=["ecc_signing", "rsa_encryption", "hmac"],
)
def test_rotation_operations_on_keys_that_cannot_rotate_are_unsupported(
    kms: Any, create_args: dict[str, str], operation: str
) -> None:
    key = create_key(kms, **create_args)
    with expect_error("UnsupportedOperationException"):
        call_rotation_op(kms, operation, key["KeyId"])
