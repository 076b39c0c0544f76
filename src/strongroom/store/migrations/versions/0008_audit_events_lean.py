"""Audit events: fewer b-trees per insert (rowid seq on SQLite, four indexes dropped).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

A migration is a frozen copy of the DDL it applies: never import
``strongroom.store.schema`` here, and never edit a migration once shipped.

Every API call inserts one ``audit_events`` row, and each b-tree the row lands
in costs the group-commit writer CPU on the server's core. On SQLite ``seq``
becomes ``INTEGER PRIMARY KEY`` (the rowid itself, so the table needs no
separate primary key index); that rebuilds the table (batch mode: copy, drop,
rename), which takes time and room proportional to the trail and preserves
every value. PostgreSQL keeps ``BIGINT``. On both, the indexes on
``(event_name, seq)``, ``(key_arn, seq)``, ``(principal_arn, seq)`` and
``(error_code, seq)`` go: those filters now read events in seq order (or the
``event_time`` range when one is given). ``event_time`` (time ranges, pruning)
and ``request_id`` (lookups; ids arrive nearly in order, so cheap to index) stay.
Downgrading restores the 0007 shape.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROPPED = ("event_name", "key_arn", "principal_arn", "error_code")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    # Dropped before the rebuild, so that batch mode does not copy them.
    for name in _DROPPED:
        op.drop_index(f"ix_audit_events_{name}", table_name="audit_events")
    if _sqlite():
        with op.batch_alter_table("audit_events", recreate="always") as batch:
            batch.alter_column(
                "seq",
                existing_type=sa.BigInteger(),
                type_=sa.Integer(),
                existing_nullable=False,
                autoincrement=False,
            )


def downgrade() -> None:
    if _sqlite():
        with op.batch_alter_table("audit_events", recreate="always") as batch:
            batch.alter_column(
                "seq",
                existing_type=sa.Integer(),
                type_=sa.BigInteger(),
                existing_nullable=False,
                autoincrement=False,
            )
    for name in _DROPPED:
        op.create_index(f"ix_audit_events_{name}", "audit_events", [name, "seq"])
