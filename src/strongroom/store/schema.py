"""The SQL schema of the store, and what its constraints mean in domain terms.

The tables are SQLAlchemy Core objects shared by every repository. The
migrations in ``strongroom.store.migrations`` create the same schema from a
frozen copy; ``tests/unit/store/test_migrations.py`` proves that the two agree.

Conventions:

- Times are epoch seconds in double precision (``Double``: 64-bit on both
  SQLite and PostgreSQL; a 32-bit float would round today's epoch to minutes).
- Identifiers and names that are ordered or paged over compare byte by byte on
  every backend (``IdText``), so that a listing has the same order on SQLite
  and PostgreSQL and matches Python's ``sorted``.
- Every constraint and index has an explicit name, so migrations can refer to it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Double,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from strongroom.domain.errors import Conflict, NotFound

# PostgreSQL compares text by the database's collation (often en_US, which
# ignores case and punctuation at first), SQLite by bytes. The "C" collation
# makes PostgreSQL compare by bytes too; for UTF-8 that is code point order.
IdText = String().with_variant(String(collation="C"), "postgresql")

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", IdText, nullable=False),
    Column("created_at", Double, nullable=False),
    PrimaryKeyConstraint("account_id", name="pk_accounts"),
)

principals = Table(
    "principals",
    metadata,
    Column("principal_id", IdText, nullable=False),
    Column("account_id", IdText, nullable=False),
    Column("name", IdText, nullable=False),
    Column("kind", String, nullable=False),
    Column("arn", IdText, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("trust_policy", Text, nullable=True),
    PrimaryKeyConstraint("principal_id", name="pk_principals"),
    UniqueConstraint("arn", name="uq_principals_arn"),
)

access_keys = Table(
    "access_keys",
    metadata,
    Column("access_key_id", IdText, nullable=False),
    Column("principal_id", IdText, nullable=False),
    Column("wrapped_secret", LargeBinary, nullable=False),
    Column("status", String, nullable=False),
    Column("created_at", Double, nullable=False),
    PrimaryKeyConstraint("access_key_id", name="pk_access_keys"),
    Index("ix_access_keys_principal_id", "principal_id"),
)

identity_policies = Table(
    "identity_policies",
    metadata,
    Column("principal_id", IdText, nullable=False),
    Column("policy_name", IdText, nullable=False),
    Column("document", Text, nullable=False),
    PrimaryKeyConstraint("principal_id", "policy_name", name="pk_identity_policies"),
    ForeignKeyConstraint(
        ["principal_id"],
        ["principals.principal_id"],
        name="fk_identity_policies_principal_id_principals",
        ondelete="CASCADE",
    ),
)

keys = Table(
    "keys",
    metadata,
    Column("key_id", IdText, nullable=False),
    Column("account_id", IdText, nullable=False),
    Column("region", IdText, nullable=False),
    Column("arn", IdText, nullable=False),
    Column("key_spec", String, nullable=False),
    Column("key_usage", String, nullable=False),
    Column("origin", String, nullable=False),
    Column("key_manager", String, nullable=False),
    Column("state", String, nullable=False),  # KeyState's value, e.g. "Enabled"
    Column("description", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    # Empty (b"") for an EXTERNAL key that never had material imported: the
    # store maps it to None (a NOT NULL column, as created by migration 0001).
    Column("primary_version_id", LargeBinary, nullable=False),
    Column("policy", Text, nullable=True),
    Column("deletion_date", Double, nullable=True),
    Column("pending_window_days", Integer, nullable=True),
    Column("multi_region", Boolean, nullable=False),
    Column("rotation_enabled", Boolean, nullable=False),
    Column("rotation_period_days", Integer, nullable=True),
    Column("next_rotation_at", Double, nullable=True),
    Column("revision", Integer, nullable=False),
    PrimaryKeyConstraint("key_id", name="pk_keys"),
    # Serves ListKeys: one account and region, paged by key id.
    Index("ix_keys_account_id_region_key_id", "account_id", "region", "key_id"),
    # Serve the background jobs' searches for due rotations and deletions.
    Index("ix_keys_next_rotation_at", "next_rotation_at"),
    Index("ix_keys_deletion_date", "deletion_date"),
)

key_versions = Table(
    "key_versions",
    metadata,
    Column("key_id", IdText, nullable=False),
    Column("version_id", LargeBinary, nullable=False),
    # NULL once imported material is deleted or expires (the version itself stays).
    Column("wrapped_material", LargeBinary, nullable=True),
    Column("created_at", Double, nullable=False),
    Column("rotation_type", String, nullable=True),
    # Imported material only: expiration model, expiry time, KeyMaterialDescription.
    Column("expiration_model", String, nullable=True),
    Column("valid_to", Double, nullable=True),
    Column("description", Text, nullable=True),
    Column("pending_rotation", Boolean, nullable=False),
    PrimaryKeyConstraint("key_id", "version_id", name="pk_key_versions"),
    ForeignKeyConstraint(
        ["key_id"], ["keys.key_id"], name="fk_key_versions_key_id_keys", ondelete="CASCADE"
    ),
    # Serves the import-expiry job's search for material whose ValidTo has passed.
    Index("ix_key_versions_valid_to", "valid_to"),
)

aliases = Table(
    "aliases",
    metadata,
    Column("account_id", IdText, nullable=False),
    Column("region", IdText, nullable=False),
    Column("name", IdText, nullable=False),
    Column("target_key_id", IdText, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
    # An alias name is unique within an account and region.
    PrimaryKeyConstraint("account_id", "region", "name", name="pk_aliases"),
    ForeignKeyConstraint(
        ["target_key_id"], ["keys.key_id"], name="fk_aliases_target_key_id_keys", ondelete="CASCADE"
    ),
    Index("ix_aliases_target_key_id", "target_key_id"),
)

tags = Table(
    "tags",
    metadata,
    Column("key_id", IdText, nullable=False),
    Column("tag_key", IdText, nullable=False),
    Column("tag_value", String, nullable=False),
    PrimaryKeyConstraint("key_id", "tag_key", name="pk_tags"),
    ForeignKeyConstraint(
        ["key_id"], ["keys.key_id"], name="fk_tags_key_id_keys", ondelete="CASCADE"
    ),
)

grants = Table(
    "grants",
    metadata,
    Column("grant_id", IdText, nullable=False),
    Column("key_id", IdText, nullable=False),
    Column("issuing_account", IdText, nullable=False),
    Column("grantee_principal", IdText, nullable=False),
    Column("retiring_principal", IdText, nullable=True),
    Column("name", IdText, nullable=True),
    Column("operations", Text, nullable=False),  # JSON list
    Column("constraints", Text, nullable=True),  # JSON object
    Column("created_at", Double, nullable=False),
    PrimaryKeyConstraint("grant_id", name="pk_grants"),
    ForeignKeyConstraint(
        ["key_id"], ["keys.key_id"], name="fk_grants_key_id_keys", ondelete="CASCADE"
    ),
    Index("ix_grants_key_id", "key_id"),
    Index("ix_grants_retiring_principal", "retiring_principal"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("access_key_id", IdText, nullable=False),
    Column("role_principal_id", IdText, nullable=False),
    Column("session_name", IdText, nullable=False),
    Column("wrapped_secret", LargeBinary, nullable=False),
    Column("token_sha256", LargeBinary, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    PrimaryKeyConstraint("access_key_id", name="pk_sessions"),
    Index("ix_sessions_expires_at", "expires_at"),
)

leases = Table(
    "leases",
    metadata,
    Column("name", IdText, nullable=False),
    Column("holder", IdText, nullable=False),
    Column("expires_at", Double, nullable=False),
    PrimaryKeyConstraint("name", name="pk_leases"),
)

meta = Table(
    "meta",
    metadata,
    Column("name", IdText, nullable=False),
    Column("value", LargeBinary, nullable=False),
    PrimaryKeyConstraint("name", name="pk_meta"),
)


# --- Audit trail ----------------------------------------------------------------------

audit_events = Table(
    "audit_events",
    metadata,
    # On SQLite the rowid itself (INTEGER PRIMARY KEY): one b-tree fewer per insert.
    Column(
        "seq",
        BigInteger().with_variant(Integer(), "sqlite"),
        autoincrement=False,
        nullable=False,
    ),
    Column("event_id", IdText, nullable=False),
    Column("request_id", IdText, nullable=False),
    Column("event_time", Double, nullable=False),
    Column("event_name", IdText, nullable=False),
    Column("event_source", IdText, nullable=False),
    Column("key_arn", IdText, nullable=True),
    Column("principal_arn", IdText, nullable=True),
    Column("error_code", IdText, nullable=True),
    # The canonical JSON record, exactly the bytes that were hashed (UTF-8).
    Column("record", Text, nullable=False),
    Column("prev_hash", LargeBinary, nullable=False),
    Column("hash", LargeBinary, nullable=False),
    PrimaryKeyConstraint("seq", name="pk_audit_events"),
    # Every index costs each insert (every API call); the other filters (event name,
    # key, principal, error code) read in seq order or within the time range.
    Index("ix_audit_events_event_time", "event_time"),
    Index("ix_audit_events_request_id", "request_id"),
)

# One row (id 1): the chain's head and the anchor left by pruning. Locking it is
# how writers of the chain take turns.
audit_chain = Table(
    "audit_chain",
    metadata,
    Column("id", Integer, autoincrement=False, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", LargeBinary, nullable=False),
    Column("anchor_seq", BigInteger, nullable=False),
    Column("anchor_hash", LargeBinary, nullable=False),
    PrimaryKeyConstraint("id", name="pk_audit_chain"),
)

audit_digests = Table(
    "audit_digests",
    metadata,
    Column("number", BigInteger, autoincrement=False, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", LargeBinary, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("previous_digest_hash", LargeBinary, nullable=False),
    Column("key_fingerprint", IdText, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    PrimaryKeyConstraint("number", name="pk_audit_digests"),
)

audit_key_usage = Table(
    "audit_key_usage",
    metadata,
    Column("key_arn", IdText, nullable=False),
    Column("operation", IdText, nullable=False),
    Column("used_at", Double, nullable=False),
    Column("event_id", IdText, nullable=False),
    Column("request_id", IdText, nullable=False),
    PrimaryKeyConstraint("key_arn", name="pk_audit_key_usage"),
)


# --- What a violated constraint means -------------------------------------------------

# SQLSTATE codes (PostgreSQL appendix A) and SQLite extended result codes.
_PG_UNIQUE_VIOLATION = "23505"
_PG_FOREIGN_KEY_VIOLATION = "23503"
_SQLITE_UNIQUE = {sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY}
_SQLITE_FOREIGN_KEY = {sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY}


def _is_unique_violation(error: IntegrityError) -> bool:
    cause = error.orig
    return (
        getattr(cause, "sqlstate", None) == _PG_UNIQUE_VIOLATION
        or getattr(cause, "sqlite_errorcode", None) in _SQLITE_UNIQUE
    )


def _is_foreign_key_violation(error: IntegrityError) -> bool:
    cause = error.orig
    return (
        getattr(cause, "sqlstate", None) == _PG_FOREIGN_KEY_VIOLATION
        or getattr(cause, "sqlite_errorcode", None) in _SQLITE_FOREIGN_KEY
    )


@contextmanager
def constraint_errors(connection: Connection, subject: str) -> Iterator[None]:
    """Run the block's statements in a savepoint and report violations in domain terms.

    Raises ``Conflict`` when a unique or primary key constraint is violated and
    ``NotFound`` when a foreign key refers to a missing row (``subject`` names
    what was being written, for the message). Any other integrity error
    propagates unchanged. After either error the statements of the block are
    undone and the unit of work remains usable: the savepoint is what makes
    that true on PostgreSQL, where a failed statement otherwise aborts the
    whole transaction.
    """
    try:
        with connection.begin_nested():
            yield
    except IntegrityError as error:
        if _is_unique_violation(error):
            raise Conflict(f"{subject} already exists") from error
        if _is_foreign_key_violation(error):
            raise NotFound(f"{subject} refers to a row that does not exist") from error
        raise


def upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
) -> None:
    """Insert ``rows``; where a row with the same ``key`` columns exists, overwrite the rest.

    One atomic statement per row (``INSERT … ON CONFLICT … DO UPDATE``), so two
    concurrent writers of the same row cannot both take the insert path.
    """
    if not rows:
        return
    statement: postgresql.Insert | sqlite.Insert
    if connection.dialect.name == "postgresql":
        statement = postgresql.insert(table)
    elif connection.dialect.name == "sqlite":
        statement = sqlite.insert(table)
    else:  # pragma: no cover - SqlStore accepts no other backend
        raise NotImplementedError(connection.dialect.name)
    replaced = {
        column.name: statement.excluded[column.name]
        for column in table.columns
        if column.name not in key
    }
    connection.execute(
        statement.on_conflict_do_update(index_elements=list(key), set_=replaced), list(rows)
    )
