"""Key deletion: ScheduleKeyDeletion, CancelKeyDeletion, and the destruction the background
job performs at the end of the waiting period (kms-semantics §7).

The server runs in test mode (see ``test_rotation``): ``advance_clock`` moves its
clock, and a test that needs to see that a job pass did *not* delete a key waits
for a control key with a shorter window that the same pass must delete.
"""

from __future__ import annotations

import contextlib
import datetime
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from botocore.exceptions import ClientError

from .helpers import (
    Account,
    AliasTracker,
    Server,
    advance_clock,
    create_key,
    expect_error,
    list_all_aliases,
    list_all_keys,
    postgres_dump_rows,
    wait_until,
)

DAY = 86_400.0
SLACK_S = 120.0


def epoch(value: datetime.datetime) -> float:
    return value.timestamp()


def server_now(server: Server) -> float:
    return advance_clock(server, 0)


def is_gone(kms: Any, key_id: str) -> bool:
    """True once DescribeKey says the key does not exist."""
    try:
        kms.describe_key(KeyId=key_id)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotFoundException":
            return True
        raise
    return False


def listed_key_ids(kms: Any) -> set[str]:
    return {entry["KeyId"] for entry in list_all_keys(kms)}


def alias_names(kms: Any) -> set[str]:
    return {entry["AliasName"] for entry in list_all_aliases(kms)}


# --------------------------------------------------------------------------- scheduling


def test_schedule_key_deletion_defaults_to_a_30_day_window(
    kms: Any, key: dict[str, Any], server: Server
) -> None:
    response = kms.schedule_key_deletion(KeyId=key["KeyId"])
    now = server_now(server)

    assert response["KeyId"] == key["Arn"]
    assert response["KeyState"] == "PendingDeletion"
    assert response["PendingWindowInDays"] == 30
    assert abs(epoch(response["DeletionDate"]) - (now + 30 * DAY)) < SLACK_S


@pytest.mark.parametrize("days", [7, 30])
def test_schedule_key_deletion_accepts_windows_of_7_to_30_days(
    kms: Any, key: dict[str, Any], server: Server, days: int
) -> None:
    response = kms.schedule_key_deletion(KeyId=key["Arn"], PendingWindowInDays=days)
    now = server_now(server)

    assert response["KeyId"] == key["Arn"]
    assert response["KeyState"] == "PendingDeletion"
    assert response["PendingWindowInDays"] == days
    assert abs(epoch(response["DeletionDate"]) - (now + days * DAY)) < SLACK_S


@pytest.mark.parametrize("days", [1, 6, 31, 365])
def test_schedule_key_deletion_rejects_windows_outside_7_to_30_days(
    kms: Any, key: dict[str, Any], days: int
) -> None:
    with expect_error("ValidationException") as error:
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=days)
    assert "pendingWindowInDays" in error.message
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_describe_key_of_a_key_pending_deletion_shows_its_deletion_date(
    kms: Any, key: dict[str, Any]
) -> None:
    scheduled = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=10)
    metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]

    assert metadata["KeyState"] == "PendingDeletion"
    assert metadata["Enabled"] is False
    assert metadata["DeletionDate"] == scheduled["DeletionDate"]
    # Only multi-Region primaries waiting for their replicas carry a window here.
    assert "PendingDeletionWindowInDays" not in metadata


def test_a_disabled_key_can_be_scheduled_for_deletion(kms: Any, key: dict[str, Any]) -> None:
    kms.disable_key(KeyId=key["KeyId"])
    response = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert response["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


@pytest.mark.parametrize("operation", ["ScheduleKeyDeletion", "CancelKeyDeletion"])
def test_deletion_operations_do_not_accept_an_alias(
    kms: Any, key: dict[str, Any], aliases: AliasTracker, operation: str
) -> None:
    alias = aliases.create(key["KeyId"])
    with expect_error("NotFoundException"):
        if operation == "ScheduleKeyDeletion":
            kms.schedule_key_deletion(KeyId=alias, PendingWindowInDays=7)
        else:
            kms.cancel_key_deletion(KeyId=alias)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


@pytest.mark.parametrize("operation", ["ScheduleKeyDeletion", "CancelKeyDeletion"])
def test_deletion_operations_on_an_unknown_key_are_not_found(
    kms: Any, account: Account, operation: str
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    with expect_error(
        "NotFoundException", message=f"Key '{account.key_arn(missing)}' does not exist"
    ):
        if operation == "ScheduleKeyDeletion":
            kms.schedule_key_deletion(KeyId=missing)
        else:
            kms.cancel_key_deletion(KeyId=missing)


# --------------------------------------------------------------------------- cancelling


def test_cancel_key_deletion_leaves_the_key_disabled_until_enabled(
    kms: Any, key: dict[str, Any]
) -> None:
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"kept")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)

    response = kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert response["KeyId"] == key["Arn"]
    metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert metadata["KeyState"] == "Disabled"
    assert metadata["Enabled"] is False
    assert "DeletionDate" not in metadata
    with expect_error("DisabledException", message=f"{key['Arn']} is disabled."):
        kms.decrypt(CiphertextBlob=blob)

    kms.enable_key(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"


def test_a_cancelled_deletion_does_not_happen_at_the_old_date(kms: Any, server: Server) -> None:
    subject = create_key(kms)
    control = create_key(kms)
    kms.schedule_key_deletion(KeyId=subject["KeyId"], PendingWindowInDays=7)
    kms.schedule_key_deletion(KeyId=control["KeyId"], PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=subject["KeyId"])

    advance_clock(server, 8 * DAY)
    wait_until(lambda: is_gone(kms, control["KeyId"]), message="the control key's deletion")
    assert kms.describe_key(KeyId=subject["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


# --------------------------------------------------------------------------- the deletion


def test_key_is_deleted_at_the_end_of_its_window_and_not_before(
    kms: Any, server: Server, account: Account, aliases: AliasTracker
) -> None:
    subject = create_key(kms)
    # Deleted by the first pass after the advance, which must leave the subject alone.
    control = create_key(kms)
    alias = aliases.create(subject["KeyId"])
    kms.tag_resource(KeyId=subject["KeyId"], Tags=[{"TagKey": "k", "TagValue": "v"}])
    blob = kms.encrypt(KeyId=subject["KeyId"], Plaintext=b"doomed")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=subject["KeyId"])
    newer_blob = kms.encrypt(KeyId=subject["KeyId"], Plaintext=b"doomed")["CiphertextBlob"]
    deletion_date = epoch(
        kms.schedule_key_deletion(KeyId=subject["KeyId"], PendingWindowInDays=30)["DeletionDate"]
    )
    kms.schedule_key_deletion(KeyId=control["KeyId"], PendingWindowInDays=7)

    advance_clock(server, deletion_date - DAY - server_now(server))
    wait_until(lambda: is_gone(kms, control["KeyId"]), message="the control key's deletion")
    assert kms.describe_key(KeyId=subject["KeyId"])["KeyMetadata"]["KeyState"] == (
        "PendingDeletion"
    )
    assert subject["KeyId"] in listed_key_ids(kms)
    assert alias in alias_names(kms)

    advance_clock(server, DAY + 60)
    wait_until(lambda: is_gone(kms, subject["KeyId"]), message="the subject's deletion")

    with expect_error("NotFoundException", message=f"Key '{subject['Arn']}' does not exist"):
        kms.describe_key(KeyId=subject["Arn"])
    with expect_error("NotFoundException"):
        kms.describe_key(KeyId=alias)
    with expect_error("NotFoundException"):
        kms.cancel_key_deletion(KeyId=subject["KeyId"])
    with expect_error("NotFoundException"):
        kms.list_aliases(KeyId=subject["KeyId"])
    assert subject["KeyId"] not in listed_key_ids(kms)
    assert alias not in alias_names(kms)
    for ciphertext in (blob, newer_blob):
        with expect_error("InvalidCiphertextException", message=""):
            kms.decrypt(CiphertextBlob=ciphertext)
    # The alias name is free again.
    aliases.create(create_key(kms)["KeyId"], alias)


def test_ciphertexts_of_a_deleted_key_stay_undecryptable(kms: Any, server: Server) -> None:
    doomed = create_key(kms)
    other = create_key(kms)
    blob = kms.encrypt(KeyId=doomed["KeyId"], Plaintext=b"lost")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    advance_clock(server, 7 * DAY + 60)
    wait_until(lambda: is_gone(kms, doomed["KeyId"]), message="the deletion")

    for _ in range(2):
        with expect_error("InvalidCiphertextException", message=""):
            kms.decrypt(CiphertextBlob=blob)
        with expect_error("InvalidCiphertextException", message=""):
            kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=other["KeyId"])
        # A much later clock changes nothing.
        advance_clock(server, 400 * DAY)


# --------------------------------------------------------------------------- material at rest


def sqlite_database(server: Server) -> Path:
    return server.data_dir / "strongroom.db"


def postgres_conninfo(server: Server) -> str:
    url = server.env["STRONGROOM_DATABASE_URL"]
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def wrapped_materials(server: Server, key_id: str) -> list[bytes]:
    """The key's ``key_versions.wrapped_material`` values, read from the database directly."""
    query = "SELECT wrapped_material FROM key_versions WHERE key_id = "
    if server.backend == "sqlite":
        uri = f"{sqlite_database(server).resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
            rows = connection.execute(query + "?", (key_id,)).fetchall()
    else:
        with psycopg.connect(postgres_conninfo(server)) as connection:
            rows = connection.execute(query + "%s", (key_id,)).fetchall()
    return [bytes(row[0]) for row in rows]


def stored_bytes(server: Server) -> Iterator[tuple[str, bytes]]:
    """What a reader of the database sees: every file of the data dir (the SQLite database,
    its -wal and -shm), or every row of every PostgreSQL table."""
    if server.backend == "sqlite":
        for path in sorted(server.data_dir.rglob("*")):
            if path.is_file():
                yield path.name, path.read_bytes()
    else:
        database = server.env["STRONGROOM_DATABASE_URL"].rsplit("/", 1)[1]
        yield from postgres_dump_rows(database)


def places_holding(server: Server, needles: list[bytes]) -> list[str]:
    return sorted({place for place, data in stored_bytes(server) for n in needles if n in data})


def test_deleted_key_material_is_gone_from_the_database(kms: Any, server: Server) -> None:
    doomed = create_key(kms)
    for _ in range(2):
        kms.rotate_key_on_demand(KeyId=doomed["KeyId"])
    materials = wrapped_materials(server, doomed["KeyId"])
    assert len(materials) == 3
    # The scan can see them while the key exists, so their absence later means something.
    assert places_holding(server, materials), "the scan does not find live key material"

    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    advance_clock(server, 7 * DAY + 60)
    wait_until(lambda: is_gone(kms, doomed["KeyId"]), message="the deletion")

    # The job reclaims the space right after the deleting transaction commits.
    lingering: list[str] = []

    def reclaimed() -> bool:
        lingering[:] = places_holding(server, materials)
        return not lingering

    try:
        wait_until(reclaimed, message="wrapped material gone from the database")
    except AssertionError:
        raise AssertionError(f"deleted key material still in {lingering}") from None
    assert wrapped_materials(server, doomed["KeyId"]) == []
