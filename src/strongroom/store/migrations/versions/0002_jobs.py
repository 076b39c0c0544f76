"""Background jobs: the leases table and indexes for due rotations and deletions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

A migration is a frozen copy of the DDL it applies: never import
``strongroom.store.schema`` here, and never edit a migration once shipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id_text() -> sa.types.TypeEngine[str]:
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", _id_text(), nullable=False),
        sa.Column("holder", _id_text(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )
    op.create_index("ix_keys_next_rotation_at", "keys", ["next_rotation_at"])
    op.create_index("ix_keys_deletion_date", "keys", ["deletion_date"])


def downgrade() -> None:
    op.drop_index("ix_keys_deletion_date", table_name="keys")
    op.drop_index("ix_keys_next_rotation_at", table_name="keys")
    op.drop_table("leases")
