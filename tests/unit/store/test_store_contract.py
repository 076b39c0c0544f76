"""The store contract (``strongroom.domain.repositories``), run on SQLite and PostgreSQL.

Every test that takes the ``store`` fixture runs once per backend; a test
that only makes sense on one backend says so in its name.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import DBAPIError

import strongroom
import strongroom.store
from strongroom.domain.aliases import Alias
from strongroom.domain.audit import (
    GENESIS_HASH,
    AuditDigest,
    AuditEvent,
    AuditQuery,
    ChainHead,
    KeyUsage,
    names_resource,
)
from strongroom.domain.errors import Conflict, NotFound
from strongroom.domain.identities import AccessKey, Account, Principal
from strongroom.domain.keys import KeyRecord, KeyState, KeyVersion
from strongroom.domain.repositories import Store, UnitOfWork
from strongroom.domain.tags import Tag
from strongroom.store import SqlStore
from strongroom.store.unit_of_work import SqlUnitOfWork

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
# An epoch time with microseconds: a 32-bit float column would not round-trip it.
NOW = 1_764_400_000.123456


def version_id_for(key_id: str, number: int = 0) -> bytes:
    return hashlib.sha256(f"{key_id}/{number}".encode()).digest()


def make_key(
    key_id: str = "1234abcd-12ab-34cd-56ef-1234567890ab",
    *,
    account_id: str = ACCOUNT,
    region: str = REGION,
    created_at: float = NOW,
) -> tuple[KeyRecord, KeyVersion]:
    """A key with default metadata and its first version."""
    version = KeyVersion(
        key_id=key_id,
        version_id=version_id_for(key_id),
        wrapped_material=b"\x01wrapped\x00material" + key_id.encode(),
        created_at=created_at,
    )
    key = KeyRecord(
        key_id=key_id,
        account_id=account_id,
        region=region,
        arn=f"arn:aws:kms:{region}:{account_id}:key/{key_id}",
        key_spec="SYMMETRIC_DEFAULT",
        key_usage="ENCRYPT_DECRYPT",
        origin="AWS_KMS",
        key_manager="CUSTOMER",
        state=KeyState.ENABLED,
        description="",
        created_at=created_at,
        primary_version_id=version.version_id,
    )
    return key, version


def add_key(store: Store, key_id: str = "1234abcd-12ab-34cd-56ef-1234567890ab") -> KeyRecord:
    key, version = make_key(key_id)
    with store.unit_of_work() as uow:
        uow.keys.insert(key, version)
    return key


def make_alias(name: str, target_key_id: str, *, region: str = REGION) -> Alias:
    return Alias(
        account_id=ACCOUNT,
        region=region,
        name=name,
        target_key_id=target_key_id,
        created_at=NOW,
        updated_at=NOW,
    )


def bump_revision(store: Store, key_id: str) -> None:
    """Read-modify-write of a key in one write unit, locking it first."""
    with store.unit_of_work() as uow:
        key = uow.keys.get(key_id, for_update=True)
        assert key is not None
        uow.keys.update(replace(key, revision=key.revision + 1))


def revision_of(store: Store, key_id: str) -> int:
    with store.unit_of_work(write=False) as uow:
        key = uow.keys.get(key_id)
        assert key is not None
        return key.revision


# --- The package surface ----------------------------------------------------------------


def test_package_exports_only_sql_store() -> None:
    assert strongroom.store.__all__ == ["SqlStore"]


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "mysql+pymysql://root@localhost/strongroom",
        "postgresql+psycopg2://postgres@127.0.0.1/strongroom",
    ],
)
def test_constructor_rejects_unsupported_urls(url: str) -> None:
    with pytest.raises(ValueError):
        SqlStore(url)


def test_closed_store_refuses_units_of_work(tmp_path: Path) -> None:
    sql_store = SqlStore(f"sqlite:///{tmp_path / 'closed.db'}")
    sql_store.migrate()
    sql_store.close()
    with pytest.raises(RuntimeError), sql_store.unit_of_work():
        pass


# --- Keys -------------------------------------------------------------------------------


def test_key_with_every_field_set_reads_back_equal(store: Store) -> None:
    key, version = make_key()
    key = replace(
        key,
        state=KeyState.PENDING_DELETION,
        description="déjà vu ✓",
        policy='{"Version": "2012-10-17", "Statement": []}',
        deletion_date=NOW + 7 * 86400.5,
        pending_window_days=7,
        multi_region=True,
        rotation_enabled=True,
        rotation_period_days=365,
        next_rotation_at=NOW + 0.000001,
        revision=42,
    )
    version = replace(version, rotation_type="ON_DEMAND")
    with store.unit_of_work() as uow:
        uow.keys.insert(key, version)

    with store.unit_of_work(write=False) as uow:
        stored = uow.keys.get(key.key_id)
        versions = uow.keys.versions(key.key_id)

    assert stored == key
    assert versions == [version]
    assert stored is not None
    assert type(stored.primary_version_id) is bytes
    assert type(stored.state) is KeyState
    assert type(versions[0].wrapped_material) is bytes


def test_key_with_defaults_reads_back_equal(store: Store) -> None:
    key = add_key(store)
    with store.unit_of_work(write=False) as uow:
        assert uow.keys.get(key.key_id) == key


def test_get_of_missing_key_returns_none(store: Store) -> None:
    with store.unit_of_work(write=False) as uow:
        assert uow.keys.get("no-such-key") is None


def test_get_for_update_returns_the_key(store: Store) -> None:
    key = add_key(store)
    with store.unit_of_work() as uow:
        assert uow.keys.get(key.key_id, for_update=True) == key


def test_insert_of_existing_key_id_raises_conflict_and_writes_nothing(store: Store) -> None:
    key = add_key(store)
    duplicate, _ = make_key(key.key_id)
    other_version = KeyVersion(key.key_id, version_id_for(key.key_id, 1), b"other", NOW)
    duplicate = replace(duplicate, primary_version_id=other_version.version_id)

    with store.unit_of_work() as uow:
        with pytest.raises(Conflict):
            uow.keys.insert(duplicate, other_version)
        # The unit of work stays usable after a Conflict.
        assert uow.keys.versions(key.key_id) == [make_key(key.key_id)[1]]

    with store.unit_of_work(write=False) as uow:
        assert uow.keys.get(key.key_id) == key
        assert len(uow.keys.versions(key.key_id)) == 1


def test_insert_rejects_a_version_that_is_not_the_keys_primary(store: Store) -> None:
    key, version = make_key("key-a")
    _, other_version = make_key("key-b")
    with store.unit_of_work() as uow:
        with pytest.raises(ValueError):
            uow.keys.insert(key, other_version)
        with pytest.raises(ValueError):
            uow.keys.insert(key, replace(version, version_id=version_id_for("key-a", 9)))
        assert uow.keys.get("key-a") is None


def test_update_writes_mutable_fields_as_given_without_bumping_revision(store: Store) -> None:
    key = add_key(store)
    new_version = KeyVersion(key.key_id, version_id_for(key.key_id, 1), b"second", NOW + 1)
    changed = replace(
        key,
        state=KeyState.DISABLED,
        description="changed",
        primary_version_id=new_version.version_id,
        policy="{}",
        deletion_date=NOW + 30,
        pending_window_days=30,
        multi_region=True,
        rotation_enabled=True,
        rotation_period_days=90,
        next_rotation_at=NOW + 90 * 86400,
        revision=key.revision,  # the caller did not bump it: neither does the store
    )
    with store.unit_of_work() as uow:
        uow.keys.add_version(new_version)
        uow.keys.update(changed)

    with store.unit_of_work(write=False) as uow:
        assert uow.keys.get(key.key_id) == changed


def test_update_stores_the_callers_revision(store: Store) -> None:
    key = add_key(store)
    with store.unit_of_work() as uow:
        uow.keys.update(replace(key, revision=7))
    assert revision_of(store, key.key_id) == 7


def test_update_leaves_fields_fixed_at_creation_alone(store: Store) -> None:
    key = add_key(store)
    with store.unit_of_work() as uow:
        uow.keys.update(
            replace(
                key,
                account_id=OTHER_ACCOUNT,
                region=OTHER_REGION,
                arn="arn:changed",
                key_spec="RSA_2048",
                key_usage="SIGN_VERIFY",
                origin="EXTERNAL",
                key_manager="AWS",
                created_at=0.0,
            )
        )
    with store.unit_of_work(write=False) as uow:
        assert uow.keys.get(key.key_id) == key


def test_update_of_missing_key_raises_not_found(store: Store) -> None:
    key, _ = make_key()
    with store.unit_of_work() as uow, pytest.raises(NotFound):
        uow.keys.update(key)


def test_list_pages_through_one_account_and_region_by_key_id(store: Store) -> None:
    key_ids = ["k-5", "k-1", "k-3", "k-2", "k-4"]
    with store.unit_of_work() as uow:
        for key_id in key_ids:
            uow.keys.insert(*make_key(key_id))
        uow.keys.insert(*make_key("other-account", account_id=OTHER_ACCOUNT))
        uow.keys.insert(*make_key("other-region", region=OTHER_REGION))

    with store.unit_of_work(write=False) as uow:
        first = uow.keys.list(ACCOUNT, REGION, limit=2, after_key_id=None)
        second = uow.keys.list(ACCOUNT, REGION, limit=2, after_key_id=first[-1].key_id)
        third = uow.keys.list(ACCOUNT, REGION, limit=2, after_key_id=second[-1].key_id)
        beyond = uow.keys.list(ACCOUNT, REGION, limit=2, after_key_id=third[-1].key_id)
        everything = uow.keys.list(ACCOUNT, REGION, limit=100, after_key_id=None)

    assert [k.key_id for k in first] == ["k-1", "k-2"]
    assert [k.key_id for k in second] == ["k-3", "k-4"]
    assert [k.key_id for k in third] == ["k-5"]
    assert beyond == []
    assert everything == [make_key(key_id)[0] for key_id in sorted(key_ids)]


def test_list_rejects_a_limit_below_one(store: Store) -> None:
    with store.unit_of_work(write=False) as uow, pytest.raises(ValueError):
        uow.keys.list(ACCOUNT, REGION, limit=0, after_key_id=None)


# Characters whose order differs between byte order and natural-language
# collations (case, punctuation, accents), but none that PostgreSQL rejects.
_ID_CHARACTERS = st.sampled_from(list("aAbBzZ09-_/:.é€"))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    key_ids=st.lists(
        st.text(_ID_CHARACTERS, min_size=1, max_size=6), min_size=0, max_size=12, unique=True
    ),
    page_size=st.integers(min_value=1, max_value=5),
)
def test_paging_returns_every_key_once_in_code_point_order(
    store: Store, key_ids: list[str], page_size: int
) -> None:
    # Each example gets an account of its own: the store fixture is shared.
    account_id = secrets.token_hex(6)
    with store.unit_of_work() as uow:
        for key_id in key_ids:
            uow.keys.insert(*make_key(f"{account_id}{key_id}", account_id=account_id))

    seen: list[str] = []
    after: str | None = None
    with store.unit_of_work(write=False) as uow:
        while True:
            page = uow.keys.list(account_id, REGION, limit=page_size, after_key_id=after)
            seen.extend(key.key_id for key in page)
            if len(page) < page_size:
                break
            after = page[-1].key_id

    assert seen == sorted(f"{account_id}{key_id}" for key_id in key_ids)


def test_versions_are_listed_oldest_first(store: Store) -> None:
    key = add_key(store)
    later = KeyVersion(key.key_id, version_id_for(key.key_id, 1), b"v1", NOW + 10, "AUTOMATIC")
    latest = KeyVersion(key.key_id, version_id_for(key.key_id, 2), b"v2", NOW + 20, "ON_DEMAND")
    with store.unit_of_work() as uow:
        uow.keys.add_version(latest)
        uow.keys.add_version(later)

    with store.unit_of_work(write=False) as uow:
        assert uow.keys.versions(key.key_id) == [make_key()[1], later, latest]
        assert uow.keys.versions("no-such-key") == []


def test_add_version_to_missing_key_raises_not_found(store: Store) -> None:
    _, version = make_key("no-such-key")
    with store.unit_of_work() as uow:
        with pytest.raises(NotFound):
            uow.keys.add_version(version)
        assert uow.keys.versions("no-such-key") == []


def test_add_existing_version_raises_conflict(store: Store) -> None:
    key = add_key(store)
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        uow.keys.add_version(make_key(key.key_id)[1])


def test_a_key_without_material_reads_back_equal(store: Store) -> None:
    key, _ = make_key()
    external = replace(
        key, origin="EXTERNAL", state=KeyState.PENDING_IMPORT, primary_version_id=None
    )
    with store.unit_of_work() as uow:
        uow.keys.insert(external, None)
    with store.unit_of_work(write=False) as uow:
        assert uow.keys.get(key.key_id) == external
        assert uow.keys.versions(key.key_id) == []
    with store.unit_of_work() as uow, pytest.raises(ValueError):
        uow.keys.insert(replace(external, key_id="other"), make_key("other")[1])


def test_imported_version_fields_read_back_and_update_in_place(store: Store) -> None:
    key = add_key(store)
    imported = KeyVersion(
        key.key_id,
        version_id_for(key.key_id, 1),
        b"imported",
        NOW + 1,
        expiration_model="KEY_MATERIAL_EXPIRES",
        valid_to=NOW + 3600.5,
        description="from the HSM",
        pending_rotation=True,
    )
    with store.unit_of_work() as uow:
        uow.keys.add_version(imported)
    cleared = replace(
        imported,
        wrapped_material=None,
        valid_to=None,
        expiration_model=None,
        pending_rotation=False,
        rotation_type="ON_DEMAND",
        created_at=NOW + 5,
    )
    with store.unit_of_work(write=False) as uow:
        assert uow.keys.versions(key.key_id)[1] == imported
    with store.unit_of_work() as uow:
        uow.keys.update_version(cleared)
    with store.unit_of_work(write=False) as uow:
        assert uow.keys.versions(key.key_id) == [make_key()[1], cleared]
        assert not cleared.has_material
    with store.unit_of_work() as uow, pytest.raises(NotFound):
        uow.keys.update_version(replace(cleared, version_id=version_id_for(key.key_id, 9)))


def test_delete_version_removes_only_that_version(store: Store) -> None:
    key = add_key(store)
    extra = KeyVersion(key.key_id, version_id_for(key.key_id, 1), b"v", NOW + 1)
    with store.unit_of_work() as uow:
        uow.keys.add_version(extra)
    with store.unit_of_work() as uow:
        assert uow.keys.delete_version(key.key_id, extra.version_id) is True
        assert uow.keys.delete_version(key.key_id, extra.version_id) is False
    with store.unit_of_work(write=False) as uow:
        assert uow.keys.versions(key.key_id) == [make_key()[1]]


def test_due_for_expiry_finds_present_material_past_its_valid_to(store: Store) -> None:
    for key_id, valid_to, present in [
        ("expired-first", NOW - 20, True),
        ("expired-now", NOW, True),
        ("already-deleted", NOW - 30, False),
        ("later", NOW + 1, True),
        ("never", None, True),
    ]:
        key = add_key(store, key_id)
        version = KeyVersion(
            key_id,
            version_id_for(key_id, 1),
            b"m" if present else None,
            NOW,
            expiration_model=None if valid_to is None else "KEY_MATERIAL_EXPIRES",
            valid_to=valid_to,
        )
        with store.unit_of_work() as uow:
            uow.keys.add_version(version)
        assert key.key_id == key_id
    with store.unit_of_work(write=False) as uow:
        assert uow.keys.due_for_expiry(NOW, limit=10) == ["expired-first", "expired-now"]
        assert uow.keys.due_for_expiry(NOW, limit=1) == ["expired-first"]


def test_delete_removes_the_key_with_its_versions_tags_and_aliases(store: Store) -> None:
    doomed = add_key(store, "doomed")
    kept = add_key(store, "kept")
    with store.unit_of_work() as uow:
        uow.keys.add_version(KeyVersion("doomed", version_id_for("doomed", 1), b"v", NOW + 1))
        uow.tags.put("doomed", [Tag("a", "1"), Tag("b", "2")])
        uow.tags.put("kept", [Tag("a", "1")])
        uow.aliases.insert(make_alias("alias/doomed-1", "doomed"))
        uow.aliases.insert(make_alias("alias/doomed-2", "doomed", region=OTHER_REGION))
        uow.aliases.insert(make_alias("alias/kept", "kept"))

    with store.unit_of_work() as uow:
        uow.keys.delete(doomed.key_id)

    with store.unit_of_work(write=False) as uow:
        assert uow.keys.get("doomed") is None
        assert uow.keys.versions("doomed") == []
        assert uow.tags.list("doomed") == []
        assert uow.aliases.count_for_key("doomed") == 0
        assert uow.aliases.get(ACCOUNT, REGION, "alias/doomed-1") is None
        assert uow.aliases.get(ACCOUNT, OTHER_REGION, "alias/doomed-2") is None
        # The other key is untouched.
        assert uow.keys.get("kept") == kept
        assert len(uow.keys.versions("kept")) == 1
        assert uow.tags.list("kept") == [Tag("a", "1")]
        assert uow.aliases.count_for_key("kept") == 1


def test_delete_of_missing_key_is_a_no_op(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.keys.delete("no-such-key")


# --- Aliases ----------------------------------------------------------------------------


def test_alias_reads_back_equal(store: Store) -> None:
    key = add_key(store)
    alias = make_alias("alias/Prod-Key_1", key.key_id)
    with store.unit_of_work() as uow:
        uow.aliases.insert(alias)
    with store.unit_of_work(write=False) as uow:
        assert uow.aliases.get(ACCOUNT, REGION, "alias/Prod-Key_1") == alias
        assert uow.aliases.get(ACCOUNT, REGION, "alias/prod-key_1") is None
        assert uow.aliases.get(ACCOUNT, OTHER_REGION, "alias/Prod-Key_1") is None


def test_alias_name_taken_in_same_account_and_region_raises_conflict(store: Store) -> None:
    first = add_key(store, "first")
    second = add_key(store, "second")
    with store.unit_of_work() as uow:
        uow.aliases.insert(make_alias("alias/name", first.key_id))

    with store.unit_of_work() as uow:
        with pytest.raises(Conflict):
            uow.aliases.insert(make_alias("alias/name", second.key_id))
        # The unit of work stays usable, and the name is free elsewhere.
        uow.aliases.insert(make_alias("alias/name", second.key_id, region=OTHER_REGION))

    with store.unit_of_work(write=False) as uow:
        assert uow.aliases.get(ACCOUNT, REGION, "alias/name") == make_alias("alias/name", "first")
        stored = uow.aliases.get(ACCOUNT, OTHER_REGION, "alias/name")
        assert stored is not None
        assert stored.target_key_id == "second"


def test_alias_to_missing_key_raises_not_found(store: Store) -> None:
    with store.unit_of_work() as uow, pytest.raises(NotFound):
        uow.aliases.insert(make_alias("alias/nothing", "no-such-key"))


def test_update_target_repoints_the_alias(store: Store) -> None:
    add_key(store, "first")
    add_key(store, "second")
    with store.unit_of_work() as uow:
        uow.aliases.insert(make_alias("alias/name", "first"))
    with store.unit_of_work() as uow:
        uow.aliases.update_target(ACCOUNT, REGION, "alias/name", "second", NOW + 5)

    with store.unit_of_work(write=False) as uow:
        assert uow.aliases.get(ACCOUNT, REGION, "alias/name") == replace(
            make_alias("alias/name", "second"), updated_at=NOW + 5
        )
        assert uow.aliases.count_for_key("first") == 0
        assert uow.aliases.count_for_key("second") == 1


def test_update_target_of_missing_alias_raises_not_found(store: Store) -> None:
    add_key(store, "first")
    with store.unit_of_work() as uow, pytest.raises(NotFound):
        uow.aliases.update_target(ACCOUNT, REGION, "alias/none", "first", NOW)


def test_update_target_to_missing_key_raises_not_found_and_keeps_target(store: Store) -> None:
    add_key(store, "first")
    with store.unit_of_work() as uow:
        uow.aliases.insert(make_alias("alias/name", "first"))
    with store.unit_of_work() as uow:
        with pytest.raises(NotFound):
            uow.aliases.update_target(ACCOUNT, REGION, "alias/name", "no-such-key", NOW)
        assert uow.aliases.get(ACCOUNT, REGION, "alias/name") == make_alias("alias/name", "first")


def test_alias_delete_reports_whether_it_existed(store: Store) -> None:
    add_key(store, "first")
    with store.unit_of_work() as uow:
        uow.aliases.insert(make_alias("alias/name", "first"))
    with store.unit_of_work() as uow:
        assert uow.aliases.delete(ACCOUNT, REGION, "alias/name") is True
        assert uow.aliases.delete(ACCOUNT, REGION, "alias/name") is False
    with store.unit_of_work(write=False) as uow:
        assert uow.aliases.get(ACCOUNT, REGION, "alias/name") is None
        assert uow.keys.get("first") is not None


def test_alias_list_filters_by_key_and_pages_in_code_point_order(store: Store) -> None:
    add_key(store, "first")
    add_key(store, "second")
    # Byte order puts upper case and "_" before lower case; en-US would not.
    first_names = ["alias/b-1", "alias/B", "alias/_c", "alias/a", "alias/C"]
    second_names = ["alias/A2", "alias/z"]
    with store.unit_of_work() as uow:
        for name in first_names:
            uow.aliases.insert(make_alias(name, "first"))
        for name in second_names:
            uow.aliases.insert(make_alias(name, "second"))
        uow.aliases.insert(make_alias("alias/elsewhere", "first", region=OTHER_REGION))

    def page(target: str | None, after: str | None, limit: int = 3) -> list[str]:
        with store.unit_of_work(write=False) as uow:
            found = uow.aliases.list(
                ACCOUNT, REGION, target_key_id=target, limit=limit, after_name=after
            )
        return [alias.name for alias in found]

    everything = sorted(first_names + second_names)
    assert page(None, None, limit=100) == everything
    assert page(None, None) == everything[:3]
    assert page(None, everything[2]) == everything[3:6]
    assert page(None, everything[5]) == everything[6:]
    mine = sorted(first_names)
    assert page("first", None) == mine[:3]
    assert page("first", mine[2]) == mine[3:]
    assert page("second", None, limit=100) == sorted(second_names)
    assert page("no-such-key", None) == []
    with store.unit_of_work(write=False) as uow, pytest.raises(ValueError):
        uow.aliases.list(ACCOUNT, REGION, target_key_id=None, limit=0, after_name=None)


def test_count_for_key_counts_aliases_in_every_region(store: Store) -> None:
    add_key(store, "first")
    with store.unit_of_work() as uow:
        assert uow.aliases.count_for_key("first") == 0
        uow.aliases.insert(make_alias("alias/one", "first"))
        uow.aliases.insert(make_alias("alias/two", "first"))
        uow.aliases.insert(make_alias("alias/one", "first", region=OTHER_REGION))
        assert uow.aliases.count_for_key("first") == 3
        assert uow.aliases.count_for_key("no-such-key") == 0


# --- Tags -------------------------------------------------------------------------------


def test_tags_are_listed_in_code_point_order(store: Store) -> None:
    key = add_key(store)
    given_tags = [Tag("b", "1"), Tag("A", "2"), Tag("_x", "3"), Tag("a", ""), Tag("é", "4")]
    with store.unit_of_work() as uow:
        uow.tags.put(key.key_id, given_tags)
    with store.unit_of_work(write=False) as uow:
        assert uow.tags.list(key.key_id) == sorted(given_tags, key=lambda tag: tag.key)


def test_put_overwrites_existing_values_and_keeps_others(store: Store) -> None:
    key = add_key(store)
    with store.unit_of_work() as uow:
        uow.tags.put(key.key_id, [Tag("env", "dev"), Tag("team", "red")])
    with store.unit_of_work() as uow:
        uow.tags.put(key.key_id, [Tag("env", "prod"), Tag("cost", "42")])
    with store.unit_of_work(write=False) as uow:
        assert uow.tags.list(key.key_id) == [
            Tag("cost", "42"),
            Tag("env", "prod"),
            Tag("team", "red"),
        ]


def test_put_of_the_same_tag_key_twice_keeps_the_last_value(store: Store) -> None:
    key = add_key(store)
    with store.unit_of_work() as uow:
        uow.tags.put(key.key_id, [Tag("env", "dev"), Tag("env", "prod")])
        uow.tags.put(key.key_id, [])
    with store.unit_of_work(write=False) as uow:
        assert uow.tags.list(key.key_id) == [Tag("env", "prod")]


def test_put_on_missing_key_raises_not_found(store: Store) -> None:
    with store.unit_of_work() as uow:
        with pytest.raises(NotFound):
            uow.tags.put("no-such-key", [Tag("env", "dev")])
        assert uow.tags.list("no-such-key") == []


def test_tag_delete_ignores_missing_tag_keys(store: Store) -> None:
    key = add_key(store)
    with store.unit_of_work() as uow:
        uow.tags.put(key.key_id, [Tag("env", "dev"), Tag("team", "red")])
    with store.unit_of_work() as uow:
        uow.tags.delete(key.key_id, ["env", "never-set"])
        uow.tags.delete(key.key_id, [])
        uow.tags.delete("no-such-key", ["team"])
    with store.unit_of_work(write=False) as uow:
        assert uow.tags.list(key.key_id) == [Tag("team", "red")]


# --- Identities -------------------------------------------------------------------------


def make_principal(principal_id: str = "AIDAEXAMPLE1", name: str = "alice") -> Principal:
    return Principal(
        principal_id=principal_id,
        account_id=ACCOUNT,
        name=name,
        kind="user",
        arn=f"arn:aws:iam::{ACCOUNT}:user/{name}",
        created_at=NOW,
    )


def test_accounts_read_back_and_list_in_order(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.identities.insert_account(Account(OTHER_ACCOUNT, NOW + 1))
        uow.identities.insert_account(Account(ACCOUNT, NOW))
    with store.unit_of_work(write=False) as uow:
        assert uow.identities.get_account(ACCOUNT) == Account(ACCOUNT, NOW)
        assert uow.identities.get_account("999999999999") is None
        assert uow.identities.list_accounts() == [
            Account(ACCOUNT, NOW),
            Account(OTHER_ACCOUNT, NOW + 1),
        ]


def test_existing_account_raises_conflict(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.identities.insert_account(Account(ACCOUNT, NOW))
    with store.unit_of_work() as uow:
        with pytest.raises(Conflict):
            uow.identities.insert_account(Account(ACCOUNT, NOW + 1))
        assert uow.identities.get_account(ACCOUNT) == Account(ACCOUNT, NOW)


def test_principal_reads_back_by_id_and_by_arn(store: Store) -> None:
    principal = make_principal()
    with store.unit_of_work() as uow:
        uow.identities.insert_principal(principal)
    with store.unit_of_work(write=False) as uow:
        assert uow.identities.get_principal(principal.principal_id) == principal
        assert uow.identities.get_principal_by_arn(principal.arn) == principal
        assert uow.identities.get_principal("AIDANOSUCH") is None
        assert uow.identities.get_principal_by_arn(principal.arn.upper()) is None


def test_principal_with_taken_id_or_arn_raises_conflict(store: Store) -> None:
    principal = make_principal()
    with store.unit_of_work() as uow:
        uow.identities.insert_principal(principal)
    with store.unit_of_work() as uow:
        with pytest.raises(Conflict):
            uow.identities.insert_principal(make_principal(principal.principal_id, "bob"))
        with pytest.raises(Conflict):
            uow.identities.insert_principal(make_principal("AIDAEXAMPLE2", principal.name))
        uow.identities.insert_principal(make_principal("AIDAEXAMPLE3", "carol"))
    with store.unit_of_work(write=False) as uow:
        assert uow.identities.get_principal("AIDAEXAMPLE2") is None
        assert uow.identities.get_principal("AIDAEXAMPLE3") is not None


def test_access_keys_read_back_and_list_oldest_first(store: Store) -> None:
    newer = AccessKey("AKIAEXAMPLE0001", "AIDAEXAMPLE1", b"\x00secret\xff", "Active", NOW + 1)
    older = AccessKey("AKIAEXAMPLE0002", "AIDAEXAMPLE1", b"\x01other", "Inactive", NOW)
    someone_elses = AccessKey("AKIAEXAMPLE0003", "AIDAEXAMPLE2", b"x", "Active", NOW)
    with store.unit_of_work() as uow:
        for access_key in (newer, older, someone_elses):
            uow.identities.insert_access_key(access_key)
    with store.unit_of_work(write=False) as uow:
        stored = uow.identities.get_access_key("AKIAEXAMPLE0001")
        assert stored == newer
        assert stored is not None
        assert type(stored.wrapped_secret) is bytes
        assert uow.identities.get_access_key("AKIANOSUCH") is None
        assert uow.identities.list_access_keys("AIDAEXAMPLE1") == [older, newer]
        assert uow.identities.list_access_keys("AIDANOSUCH") == []


def test_existing_access_key_id_raises_conflict(store: Store) -> None:
    access_key = AccessKey("AKIAEXAMPLE0001", "AIDAEXAMPLE1", b"s", "Active", NOW)
    with store.unit_of_work() as uow:
        uow.identities.insert_access_key(access_key)
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        uow.identities.insert_access_key(replace(access_key, wrapped_secret=b"t"))
    with store.unit_of_work(write=False) as uow:
        assert uow.identities.get_access_key("AKIAEXAMPLE0001") == access_key


# --- Meta -------------------------------------------------------------------------------


def test_meta_put_then_overwrite(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.meta.get("root_key_check") is None
        uow.meta.put("root_key_check", b"\x00first")
    with store.unit_of_work() as uow:
        assert uow.meta.get("root_key_check") == b"\x00first"
        uow.meta.put("root_key_check", b"second\xff")
    with store.unit_of_work(write=False) as uow:
        value = uow.meta.get("root_key_check")
        assert value == b"second\xff"
        assert type(value) is bytes
        assert uow.meta.get("other") is None


# --- Units of work ----------------------------------------------------------------------


def test_exception_rolls_back_everything_in_the_unit(store: Store) -> None:
    key, version = make_key()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.unit_of_work() as uow:
        uow.keys.insert(key, version)
        uow.tags.put(key.key_id, [Tag("env", "dev")])
        uow.aliases.insert(make_alias("alias/name", key.key_id))
        uow.identities.insert_account(Account(ACCOUNT, NOW))
        uow.meta.put("name", b"value")
        raise Boom

    with store.unit_of_work(write=False) as uow:
        assert uow.keys.get(key.key_id) is None
        assert uow.keys.versions(key.key_id) == []
        assert uow.tags.list(key.key_id) == []
        assert uow.aliases.get(ACCOUNT, REGION, "alias/name") is None
        assert uow.identities.list_accounts() == []
        assert uow.meta.get("name") is None


def test_read_unit_refuses_writes(store: Store) -> None:
    with pytest.raises(DBAPIError), store.unit_of_work(write=False) as uow:
        uow.meta.put("name", b"value")
    with store.unit_of_work(write=False) as uow:
        assert uow.meta.get("name") is None


def test_reader_runs_while_a_writer_holds_its_transaction(store: Store) -> None:
    key = add_key(store)
    written = threading.Event()
    read = threading.Event()

    def write() -> None:
        with store.unit_of_work() as uow:
            uow.meta.put("flag", b"uncommitted")
            uow.keys.update(replace(key, description="uncommitted"))
            written.set()
            assert read.wait(10)

    with ThreadPoolExecutor(max_workers=1) as pool:
        writer = pool.submit(write)
        assert written.wait(10)
        started = time.monotonic()
        try:
            with store.unit_of_work(write=False) as uow:
                assert uow.meta.get("flag") is None
                assert uow.keys.get(key.key_id) == key
        finally:
            read.set()
        # Not waiting for the writer (SQLite's busy timeout would be 10 s).
        assert time.monotonic() - started < 5
        writer.result(timeout=10)

    with store.unit_of_work(write=False) as uow:
        assert uow.meta.get("flag") == b"uncommitted"


def test_read_unit_sees_one_snapshot(store: Store) -> None:
    key = add_key(store)
    with store.unit_of_work(write=False) as uow, ThreadPoolExecutor(max_workers=1) as pool:
        assert uow.keys.get(key.key_id) == key
        pool.submit(bump_revision, store, key.key_id).result(timeout=10)
        assert uow.keys.get(key.key_id) == key
    assert revision_of(store, key.key_id) == key.revision + 1


def test_second_writer_of_a_key_waits_for_the_first_and_sees_its_change(store: Store) -> None:
    key = add_key(store)
    locked = threading.Event()
    order: list[str] = []

    def first() -> None:
        with store.unit_of_work() as uow:
            current = uow.keys.get(key.key_id, for_update=True)
            assert current is not None
            locked.set()
            time.sleep(0.3)
            uow.keys.update(replace(current, revision=current.revision + 1))
            order.append("first commits")

    def second() -> None:
        assert locked.wait(10)
        bump_revision(store, key.key_id)
        order.append("second commits")

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(first), pool.submit(second)]
        for future in futures:
            future.result(timeout=30)

    assert order == ["first commits", "second commits"]
    assert revision_of(store, key.key_id) == key.revision + 2


def _run_concurrently(workers: int, work: Callable[[int], None]) -> None:
    """Run ``work(worker_number)`` on ``workers`` threads released at the same moment."""
    start = threading.Barrier(workers)

    def run(number: int) -> None:
        start.wait(10)
        work(number)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(run, number) for number in range(workers)]:
            future.result(timeout=120)


def test_concurrent_writer_threads_all_succeed_without_lost_updates(store: Store) -> None:
    key = add_key(store)
    threads, rounds = 6, 20

    def work(_: int) -> None:
        for _ in range(rounds):
            bump_revision(store, key.key_id)

    _run_concurrently(threads, work)
    assert revision_of(store, key.key_id) == key.revision + threads * rounds


def test_concurrent_readers_and_writers_see_no_locking_errors(store: Store) -> None:
    key = add_key(store)
    rounds = 30

    def work(worker: int) -> None:
        for number in range(rounds):
            if worker % 2:
                bump_revision(store, key.key_id)
            with store.unit_of_work(write=False) as uow:
                assert uow.keys.get(key.key_id) is not None
                uow.keys.versions(key.key_id)
            with store.unit_of_work() as uow:
                uow.meta.put(f"worker-{worker}", str(number).encode())

    _run_concurrently(6, work)
    assert revision_of(store, key.key_id) == key.revision + 3 * rounds


_WRITER_PROCESS = """
import sys
from dataclasses import replace

from strongroom.store import SqlStore

url, key_id, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = SqlStore(url)
try:
    for _ in range(rounds):
        with store.unit_of_work() as uow:
            key = uow.keys.get(key_id, for_update=True)
            uow.keys.update(replace(key, revision=key.revision + 1))
finally:
    store.close()
"""


def test_concurrent_writer_processes_all_succeed_without_lost_updates(
    store: Store, store_url: str
) -> None:
    key = add_key(store)
    processes, rounds = 3, 40
    # The children import strongroom from wherever this process found it.
    source_root = str(Path(strongroom.__file__).resolve().parents[1])
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        path for path in (source_root, environment.get("PYTHONPATH")) if path
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER_PROCESS, store_url, key.key_id, str(rounds)],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    for child in children:
        _, stderr = child.communicate(timeout=120)
        assert child.returncode == 0, stderr.decode()

    assert revision_of(store, key.key_id) == key.revision + processes * rounds


# --- SQLite specifics -------------------------------------------------------------------


def _pragma(uow: UnitOfWork, name: str) -> object:
    connection = cast(SqlUnitOfWork, uow).connection
    return connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()


def test_sqlite_connections_are_durable_wal_with_busy_timeout_and_foreign_keys(
    sqlite_store: SqlStore,
) -> None:
    with sqlite_store.unit_of_work() as uow:
        assert _pragma(uow, "journal_mode") == "wal"
        assert _pragma(uow, "synchronous") == 2  # FULL
        assert _pragma(uow, "busy_timeout") == 10_000
        assert _pragma(uow, "foreign_keys") == 1
        assert _pragma(uow, "query_only") == 0
    with sqlite_store.unit_of_work(write=False) as uow:
        assert _pragma(uow, "query_only") == 1


# --- Keys due for the background jobs ----------------------------------------------------


def add_keys_like(store: Store, changes: dict[str, dict[str, object]]) -> None:
    """Add one key per id, each with ``make_key``'s defaults replaced by its changes."""
    with store.unit_of_work() as uow:
        for key_id, fields in changes.items():
            key, version = make_key(key_id)
            uow.keys.insert(replace(key, **fields), version)  # type: ignore[arg-type]


def test_due_for_rotation_lists_enabled_keys_with_rotation_on_soonest_first(
    store: Store,
) -> None:
    on = {"rotation_enabled": True, "rotation_period_days": 365}
    add_keys_like(
        store,
        {
            "due-second": {**on, "next_rotation_at": NOW - 10},
            "due-at-now": {**on, "next_rotation_at": NOW},
            "due-first": {**on, "next_rotation_at": NOW - 20},
            "due-elsewhere": {
                **on,
                "next_rotation_at": NOW - 15,
                "account_id": OTHER_ACCOUNT,
                "region": OTHER_REGION,
            },
            "not-yet": {**on, "next_rotation_at": NOW + 0.001},
            "rotation-off": {"next_rotation_at": NOW - 30},
            "no-schedule": {**on, "next_rotation_at": None},
            "disabled": {**on, "next_rotation_at": NOW - 40, "state": KeyState.DISABLED},
            "pending-deletion": {
                **on,
                "next_rotation_at": NOW - 50,
                "state": KeyState.PENDING_DELETION,
                "deletion_date": NOW + 86400,
            },
        },
    )

    with store.unit_of_work(write=False) as uow:
        due = uow.keys.due_for_rotation(NOW, limit=100)
        first_two = uow.keys.due_for_rotation(NOW, limit=2)
        earlier = uow.keys.due_for_rotation(NOW - 12, limit=100)

    assert due == ["due-first", "due-elsewhere", "due-second", "due-at-now"]
    assert first_two == ["due-first", "due-elsewhere"]
    assert earlier == ["due-first", "due-elsewhere"]


def test_due_for_deletion_lists_keys_pending_deletion_soonest_first(store: Store) -> None:
    pending = {"state": KeyState.PENDING_DELETION, "pending_window_days": 7}
    add_keys_like(
        store,
        {
            "due-second": {**pending, "deletion_date": NOW - 5},
            "due-at-now": {**pending, "deletion_date": NOW},
            "due-first": {**pending, "deletion_date": NOW - 10},
            "due-elsewhere": {**pending, "deletion_date": NOW - 7, "account_id": OTHER_ACCOUNT},
            "not-yet": {**pending, "deletion_date": NOW + 0.001},
            # A deletion date on a key that is not pending deletion is ignored.
            "disabled": {"state": KeyState.DISABLED, "deletion_date": NOW - 100},
            "enabled": {"deletion_date": NOW - 100},
        },
    )

    with store.unit_of_work(write=False) as uow:
        due = uow.keys.due_for_deletion(NOW, limit=100)
        first = uow.keys.due_for_deletion(NOW, limit=1)
        earlier = uow.keys.due_for_deletion(NOW - 6, limit=100)

    assert due == ["due-first", "due-elsewhere", "due-second", "due-at-now"]
    assert first == ["due-first"]
    assert earlier == ["due-first", "due-elsewhere"]


def test_due_lists_of_a_store_without_keys_are_empty(store: Store) -> None:
    with store.unit_of_work(write=False) as uow:
        assert uow.keys.due_for_rotation(NOW, limit=10) == []
        assert uow.keys.due_for_deletion(NOW, limit=10) == []


# --- Leases -----------------------------------------------------------------------------


def try_acquire(store: Store, holder: str, now: float, ttl: float = 10.0) -> bool:
    with store.unit_of_work() as uow:
        return uow.leases.try_acquire("jobs", holder, now, ttl)


def lease_of(store: Store, name: str = "jobs") -> tuple[str, str, float] | None:
    """The lease as (name, holder, expires_at), or None."""
    with store.unit_of_work(write=False) as uow:
        lease = uow.leases.get(name)
    return None if lease is None else (lease.name, lease.holder, lease.expires_at)


def test_free_lease_is_taken(store: Store) -> None:
    assert lease_of(store) is None
    assert try_acquire(store, "node-a", NOW) is True
    assert lease_of(store) == ("jobs", "node-a", NOW + 10.0)


def test_lease_held_by_another_is_refused_until_it_expires(store: Store) -> None:
    assert try_acquire(store, "node-a", NOW)

    assert try_acquire(store, "node-b", NOW + 9.999) is False
    assert lease_of(store) == ("jobs", "node-a", NOW + 10.0)

    # It expires at its expiry time exactly.
    assert try_acquire(store, "node-b", NOW + 10.0) is True
    assert lease_of(store) == ("jobs", "node-b", NOW + 20.0)
    assert try_acquire(store, "node-a", NOW + 11.0) is False


def test_holder_renews_its_lease_before_and_after_expiry(store: Store) -> None:
    assert try_acquire(store, "node-a", NOW)
    assert try_acquire(store, "node-a", NOW + 5, ttl=30.0) is True
    assert lease_of(store) == ("jobs", "node-a", NOW + 35.0)
    # Nobody took it meanwhile: the old holder gets it back.
    assert try_acquire(store, "node-a", NOW + 100) is True
    assert lease_of(store) == ("jobs", "node-a", NOW + 110.0)


def test_leases_of_different_names_are_independent(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.leases.try_acquire("jobs", "node-a", NOW, 10.0)
        assert uow.leases.try_acquire("other", "node-b", NOW, 10.0)
    assert lease_of(store, "jobs") == ("jobs", "node-a", NOW + 10.0)
    assert lease_of(store, "other") == ("other", "node-b", NOW + 10.0)
    assert lease_of(store, "missing") is None


def test_a_taken_lease_is_not_visible_before_commit_and_vanishes_on_rollback(
    store: Store,
) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.unit_of_work() as uow:
        assert uow.leases.try_acquire("jobs", "node-a", NOW, 10.0)
        raise Boom
    assert lease_of(store) is None
    assert try_acquire(store, "node-b", NOW) is True


@pytest.mark.parametrize("held", [False, True], ids=["free", "expired"])
def test_concurrent_contenders_for_a_lease_exactly_one_wins(store: Store, held: bool) -> None:
    if held:
        assert try_acquire(store, "old-node", NOW - 20)
    contenders = 8
    won: list[str] = []
    lock = threading.Lock()

    def work(number: int) -> None:
        if try_acquire(store, f"node-{number}", NOW):
            with lock:
                won.append(f"node-{number}")

    _run_concurrently(contenders, work)

    assert len(won) == 1, won
    assert lease_of(store) == ("jobs", won[0], NOW + 10.0)


# --------------------------------------------------------------------------- audit trail


def _audit_event(seq: int, prev: bytes, **overrides: object) -> AuditEvent:
    values: dict[str, object] = {
        "seq": seq,
        "event_id": f"event-{seq}",
        "request_id": f"request-{seq}",
        "event_time": NOW + seq,
        "event_name": "Encrypt" if seq % 2 else "Decrypt",
        "event_source": "kms.amazonaws.com",
        "key_arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k{seq % 3}",
        "principal_arn": f"arn:aws:iam::{ACCOUNT}:user/u{seq % 2}",
        "error_code": "AccessDeniedException" if seq == 4 else None,
        "record": '{"é":"ü"}',
        "prev_hash": prev,
        "hash": hashlib.sha256(prev + bytes([seq])).digest(),
    }
    values.update(overrides)
    return AuditEvent(**values)  # type: ignore[arg-type]


def test_audit_chain_starts_at_the_genesis_head(store: Store) -> None:
    with store.unit_of_work(write=False) as uow:
        assert uow.audit.head() == ChainHead(0, GENESIS_HASH, 0, GENESIS_HASH)
        assert uow.audit.events(AuditQuery()) == []
        assert uow.audit.last_digest() is None


def test_audit_events_round_trip_and_filter(store: Store) -> None:
    events = [_audit_event(1, GENESIS_HASH)]
    for seq in range(2, 8):
        events.append(_audit_event(seq, events[-1].hash))
    with store.unit_of_work() as uow:
        uow.audit.head(for_update=True)
        uow.audit.insert_events(events)
        uow.audit.set_head(7, events[-1].hash)
    with store.unit_of_work(write=False) as uow:
        assert uow.audit.events(AuditQuery()) == events
        assert uow.audit.head().seq == 7
        assert uow.audit.events(AuditQuery(after_seq=5)) == events[5:]
        assert uow.audit.events(AuditQuery(limit=2)) == events[:2]
        assert [e.seq for e in uow.audit.events(AuditQuery(event_name="Decrypt"))] == [2, 4, 6]
        key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k1"
        assert [e.seq for e in uow.audit.events(AuditQuery(key_arn=key))] == [1, 4, 7]
        principal = f"arn:aws:iam::{ACCOUNT}:user/u0"
        assert [e.seq for e in uow.audit.events(AuditQuery(principal_arn=principal))] == [2, 4, 6]
        assert [
            e.seq for e in uow.audit.events(AuditQuery(error_code="AccessDeniedException"))
        ] == [4]
        assert [e.seq for e in uow.audit.events(AuditQuery(request_id="request-3"))] == [3]
        window = AuditQuery(since=NOW + 2, until=NOW + 4)
        assert [e.seq for e in uow.audit.events(window)] == [2, 3]
        # A window with other filters, paged: still in seq order (SQLite reads it
        # through the event_time index and sorts).
        wide = AuditQuery(since=NOW + 1, until=NOW + 7, after_seq=2, limit=3)
        assert [e.seq for e in uow.audit.events(wide)] == [3, 4, 5]
        decrypts = AuditQuery(since=NOW + 1, until=NOW + 7, event_name="Decrypt")
        assert [e.seq for e in uow.audit.events(decrypts)] == [2, 4, 6]
        by_request = AuditQuery(since=NOW + 1, until=NOW + 7, request_id="request-3")
        assert [e.seq for e in uow.audit.events(by_request)] == [3]
        assert uow.audit.last_seq_before(NOW + 3.5) == 3
        assert uow.audit.last_seq_before(NOW) == 0
    with store.unit_of_work() as uow:
        uow.audit.head(for_update=True)
        assert uow.audit.delete_events_through(3) == 3
        uow.audit.set_anchor(3, events[2].hash)
    with store.unit_of_work(write=False) as uow:
        assert [e.seq for e in uow.audit.events(AuditQuery())] == [4, 5, 6, 7]
        head = uow.audit.head()
        assert (head.seq, head.anchor_seq, head.anchor_hash) == (7, 3, events[2].hash)


def test_audit_digests_are_numbered_uniquely(store: Store) -> None:
    digest = AuditDigest(1, 5, b"h" * 32, NOW, GENESIS_HASH, "fp", b"sig")
    with store.unit_of_work() as uow:
        uow.audit.insert_digest(digest)
        with pytest.raises(Conflict):
            uow.audit.insert_digest(digest)
        uow.audit.insert_digest(replace(digest, number=2, last_seq=9))
    with store.unit_of_work(write=False) as uow:
        assert uow.audit.digests() == [digest, replace(digest, number=2, last_seq=9)]
        assert uow.audit.last_digest() == replace(digest, number=2, last_seq=9)


def test_audit_key_usage_keeps_the_last_use(store: Store) -> None:
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"
    with store.unit_of_work() as uow:
        uow.audit.put_key_usage([KeyUsage(arn, "Encrypt", NOW, "e1", "r1")])
    with store.unit_of_work() as uow:
        uow.audit.put_key_usage([KeyUsage(arn, "Decrypt", NOW + 1, "e2", "r2")])
    with store.unit_of_work(write=False) as uow:
        assert uow.audit.key_usage(arn) == KeyUsage(arn, "Decrypt", NOW + 1, "e2", "r2")
        assert uow.audit.key_usage(arn + "-other") is None


def test_concurrent_chain_appends_take_turns_and_leave_one_unbroken_chain(store: Store) -> None:
    """Units of work (service events) and group commit's appenders share one chain lock."""
    from strongroom.audit.chain import PendingEvent, append, chain_hash

    def event(worker: int, n: int) -> PendingEvent:
        record = f'{{"w":{worker},"n":{n}}}'.encode()
        return PendingEvent(record, f"{worker}-{n}", "r", NOW, "Encrypt", "kms", None, None, None)

    def write(worker: int) -> None:
        if worker % 2:
            for n in range(10):
                with store.unit_of_work() as uow:
                    append(uow.audit, [event(worker, n)])
            return
        appender = store.audit_appender()
        try:
            for n in range(10):
                with appender.transaction() as writer:
                    append(writer, [event(worker, n)])
        finally:
            appender.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(write, worker) for worker in range(4)]:
            future.result(timeout=60)
    with store.unit_of_work(write=False) as uow:
        events = uow.audit.events(AuditQuery())
        head = uow.audit.head()
    assert [e.seq for e in events] == list(range(1, 41))
    prev = GENESIS_HASH
    for event in events:
        assert event.prev_hash == prev
        assert event.hash == chain_hash(prev, event.seq, event.record.encode())
        prev = event.hash
    assert head.hash == prev


def test_audit_events_filter_by_any_resource(store: Store) -> None:
    """``resource`` finds a key named by any resource of the record (ReEncrypt's
    destination too), by ARN or by bare key id; LIKE's wildcards in the value are
    literal. The store may over-match; ``names_resource`` is exact."""
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/"
    records = {
        1: {"resources": [{"ARN": arn + "src"}, {"ARN": arn + "dst"}]},
        2: {"resources": [{"ARN": arn + "dst"}]},
        3: {"resources": [{"ARN": arn + "other"}]},
        4: {"resources": None, "requestParameters": {"keyId": arn + "dst"}},
        5: {"resources": [{"ARN": arn + "d_t"}]},
    }

    def canonical(seq: int) -> str:  # as chain.canonical_json writes records
        return json.dumps(records[seq], separators=(",", ":"), sort_keys=True)

    events = [_audit_event(1, GENESIS_HASH, record=canonical(1))]
    for seq in range(2, 6):
        events.append(_audit_event(seq, events[-1].hash, record=canonical(seq)))
    with store.unit_of_work() as uow:
        uow.audit.head(for_update=True)
        uow.audit.insert_events(events)
        uow.audit.set_head(5, events[-1].hash)

    def found(resource: str) -> list[AuditEvent]:
        with store.unit_of_work(write=False) as uow:
            return uow.audit.events(AuditQuery(resource=resource))

    def matching(resource: str) -> list[int]:
        return [e.seq for e in found(resource) if names_resource(e.record, resource)]

    assert matching(arn + "dst") == [1, 2]
    assert matching("dst") == [1, 2]
    assert matching("src") == [1]
    assert matching(arn + "missing") == []
    # Escaped in SQL: "_" and "%" would otherwise match "dst" as well.
    assert [e.seq for e in found("d_t")] == [5]
    assert [e.seq for e in found(arn + "d_t")] == [5]
    assert found("d%") == []


def test_names_resource_is_exact() -> None:
    record = json.dumps({"resources": [{"ARN": "arn:aws:kms:r:1:key/abc"}]})
    assert names_resource(record, "abc")
    assert names_resource(record, "arn:aws:kms:r:1:key/abc")
    assert not names_resource(record, "ABC")
    assert not names_resource(record, "bc")
    assert not names_resource(record, "arn:aws:kms:r:1:key/ab")
    assert not names_resource('{"resources":null}', "abc")
    assert not names_resource("not json", "abc")
