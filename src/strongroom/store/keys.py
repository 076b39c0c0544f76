"""KMS keys and their versions in SQL (``KeyRepository``)."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from strongroom.domain.errors import NotFound
from strongroom.domain.keys import KeyRecord, KeyState, KeyVersion
from strongroom.store.schema import aliases, constraint_errors, grants, key_versions, keys, tags

# Columns that ``update`` writes. The others (ids, ARN, spec, usage, origin,
# manager, creation time) are fixed when a key is created.
_MUTABLE_COLUMNS = (
    "state",
    "description",
    "primary_version_id",
    "policy",
    "deletion_date",
    "pending_window_days",
    "multi_region",
    "rotation_enabled",
    "rotation_period_days",
    "next_rotation_at",
    "revision",
)


class SqlKeyRepository:
    """``KeyRepository`` on one connection; every call runs in that connection's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert(self, key: KeyRecord, version: KeyVersion | None) -> None:
        """Add a key with its first version (None: an EXTERNAL key awaiting its material).

        Raises ``Conflict`` if the key id exists (nothing is written then), and
        ``ValueError`` if ``version`` is not the key's primary version.
        """
        expected = None if version is None else (version.key_id, version.version_id)
        actual = None if key.primary_version_id is None else (key.key_id, key.primary_version_id)
        if expected != actual:
            raise ValueError("the first version must belong to the key and be its primary")
        with constraint_errors(self._connection, f"key {key.key_id}"):
            self._connection.execute(insert(keys), [_key_row(key)])
            if version is not None:
                self._connection.execute(insert(key_versions), [_version_row(version)])

    def get(self, key_id: str, *, for_update: bool = False) -> KeyRecord | None:
        """The key, or None.

        ``for_update`` locks the row until the unit of work ends (PostgreSQL
        ``SELECT … FOR UPDATE``; on SQLite a write unit already holds the
        database's write lock). Use it only in a write unit of work.
        """
        query = select(keys).where(keys.c.key_id == key_id)
        if for_update:
            query = query.with_for_update()
        row = self._connection.execute(query).one_or_none()
        return None if row is None else _key_record(row)

    def update(self, key: KeyRecord) -> None:
        """Write the mutable fields of ``key`` exactly as given (``revision`` included).

        The store bumps nothing: the caller sets the new revision. Raises
        ``NotFound`` if no key has ``key.key_id``.
        """
        row = _key_row(key)
        result = self._connection.execute(
            update(keys)
            .where(keys.c.key_id == key.key_id)
            .values({name: row[name] for name in _MUTABLE_COLUMNS})
        )
        if result.rowcount == 0:
            raise NotFound(f"key {key.key_id} does not exist")

    def versions(self, key_id: str) -> list[KeyVersion]:
        """Every version of a key, oldest first; [] if the key does not exist.

        Versions created at the same instant are ordered by version id.
        """
        rows = self._connection.execute(
            select(key_versions)
            .where(key_versions.c.key_id == key_id)
            .order_by(key_versions.c.created_at, key_versions.c.version_id)
        )
        return [_key_version(row) for row in rows]

    def add_version(self, version: KeyVersion) -> None:
        """Add a version to an existing key.

        Raises ``NotFound`` if the key does not exist and ``Conflict`` if the
        key already has a version with that id.
        """
        subject = f"version {version.version_id.hex()} of key {version.key_id}"
        with constraint_errors(self._connection, subject):
            self._connection.execute(insert(key_versions), [_version_row(version)])

    def update_version(self, version: KeyVersion) -> None:
        """Write every field of an existing version but its ids. Raises ``NotFound``.

        ``wrapped_material=None`` deletes the material: call ``Store.reclaim``
        after the commit so its bytes do not linger in the database files.
        """
        row = _version_row(version)
        result = self._connection.execute(
            update(key_versions)
            .where(
                key_versions.c.key_id == version.key_id,
                key_versions.c.version_id == version.version_id,
            )
            .values({k: v for k, v in row.items() if k not in ("key_id", "version_id")})
        )
        if result.rowcount == 0:
            raise NotFound(f"version {version.version_id.hex()} of key {version.key_id}")

    def delete_version(self, key_id: str, version_id: bytes) -> bool:
        """Remove one version; False if it did not exist. The caller keeps the key coherent."""
        result = self._connection.execute(
            delete(key_versions).where(
                key_versions.c.key_id == key_id, key_versions.c.version_id == version_id
            )
        )
        return result.rowcount > 0

    def due_for_expiry(self, now: float, *, limit: int) -> builtins.list[str]:
        """Ids of keys holding imported material whose ValidTo is at or before ``now``."""
        query = (
            select(key_versions.c.key_id)
            .where(
                key_versions.c.valid_to <= now,
                key_versions.c.wrapped_material.is_not(None),
            )
            .group_by(key_versions.c.key_id)
            .order_by(func.min(key_versions.c.valid_to))
            .limit(limit)
        )
        return list(self._connection.execute(query).scalars())

    def delete(self, key_id: str) -> None:
        """Remove a key with all of its versions, tags and aliases. No-op if absent."""
        # The foreign keys cascade too, but deleting explicitly does not depend
        # on the connection having enforcement switched on.
        self._connection.execute(delete(tags).where(tags.c.key_id == key_id))
        self._connection.execute(delete(grants).where(grants.c.key_id == key_id))
        self._connection.execute(delete(aliases).where(aliases.c.target_key_id == key_id))
        self._connection.execute(delete(key_versions).where(key_versions.c.key_id == key_id))
        self._connection.execute(delete(keys).where(keys.c.key_id == key_id))

    # ``list`` comes last: in the class body, annotations written after it
    # would take ``list`` to mean this method rather than the builtin.
    def list(
        self, account_id: str, region: str, *, limit: int, after_key_id: str | None
    ) -> list[KeyRecord]:
        """Up to ``limit`` keys of one account and region with ids after ``after_key_id``.

        Ordered by key id (byte order). Raises ``ValueError`` if ``limit`` < 1.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        query = select(keys).where(keys.c.account_id == account_id, keys.c.region == region)
        if after_key_id is not None:
            query = query.where(keys.c.key_id > after_key_id)
        rows = self._connection.execute(query.order_by(keys.c.key_id).limit(limit))
        return [_key_record(row) for row in rows]

    def due_for_rotation(self, now: float, *, limit: int) -> builtins.list[str]:
        """Ids of Enabled keys with rotation on whose next rotation is at or before ``now``."""
        query = (
            select(keys.c.key_id)
            .where(
                keys.c.rotation_enabled.is_(True),
                keys.c.state == KeyState.ENABLED.value,
                keys.c.next_rotation_at <= now,
            )
            .order_by(keys.c.next_rotation_at)
            .limit(limit)
        )
        return list(self._connection.execute(query).scalars())

    def due_for_deletion(self, now: float, *, limit: int) -> builtins.list[str]:
        """Ids of PendingDeletion keys whose deletion date is at or before ``now``."""
        query = (
            select(keys.c.key_id)
            .where(
                keys.c.state == KeyState.PENDING_DELETION.value,
                keys.c.deletion_date <= now,
            )
            .order_by(keys.c.deletion_date)
            .limit(limit)
        )
        return list(self._connection.execute(query).scalars())


def _key_row(key: KeyRecord) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "account_id": key.account_id,
        "region": key.region,
        "arn": key.arn,
        "key_spec": key.key_spec,
        "key_usage": key.key_usage,
        "origin": key.origin,
        "key_manager": key.key_manager,
        "state": key.state.value,
        "description": key.description,
        "created_at": key.created_at,
        # None is stored as b"": the column predates keys without material.
        "primary_version_id": key.primary_version_id or b"",
        "policy": key.policy,
        "deletion_date": key.deletion_date,
        "pending_window_days": key.pending_window_days,
        "multi_region": key.multi_region,
        "rotation_enabled": key.rotation_enabled,
        "rotation_period_days": key.rotation_period_days,
        "next_rotation_at": key.next_rotation_at,
        "revision": key.revision,
    }


def _key_record(row: Row[Any]) -> KeyRecord:
    return KeyRecord(
        key_id=row.key_id,
        account_id=row.account_id,
        region=row.region,
        arn=row.arn,
        key_spec=row.key_spec,
        key_usage=row.key_usage,
        origin=row.origin,
        key_manager=row.key_manager,
        state=KeyState(row.state),
        description=row.description,
        created_at=row.created_at,
        primary_version_id=bytes(row.primary_version_id) or None,
        policy=row.policy,
        deletion_date=row.deletion_date,
        pending_window_days=row.pending_window_days,
        multi_region=row.multi_region,
        rotation_enabled=row.rotation_enabled,
        rotation_period_days=row.rotation_period_days,
        next_rotation_at=row.next_rotation_at,
        revision=row.revision,
    )


def _version_row(version: KeyVersion) -> dict[str, Any]:
    return {
        "key_id": version.key_id,
        "version_id": version.version_id,
        "wrapped_material": version.wrapped_material,
        "created_at": version.created_at,
        "rotation_type": version.rotation_type,
        "expiration_model": version.expiration_model,
        "valid_to": version.valid_to,
        "description": version.description,
        "pending_rotation": version.pending_rotation,
    }


def _key_version(row: Row[Any]) -> KeyVersion:
    return KeyVersion(
        key_id=row.key_id,
        version_id=bytes(row.version_id),
        wrapped_material=None if row.wrapped_material is None else bytes(row.wrapped_material),
        created_at=row.created_at,
        rotation_type=row.rotation_type,
        expiration_model=row.expiration_model,
        valid_to=row.valid_to,
        description=row.description,
        pending_rotation=row.pending_rotation,
    )
