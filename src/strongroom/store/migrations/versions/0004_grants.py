"""Grants.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

A migration is a frozen copy of the DDL it applies: never import
``strongroom.store.schema`` here, and never edit a migration once shipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id_text() -> sa.types.TypeEngine[str]:
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "grants",
        sa.Column("grant_id", _id_text(), nullable=False),
        sa.Column("key_id", _id_text(), nullable=False),
        sa.Column("issuing_account", _id_text(), nullable=False),
        sa.Column("grantee_principal", _id_text(), nullable=False),
        sa.Column("retiring_principal", _id_text(), nullable=True),
        sa.Column("name", _id_text(), nullable=True),
        sa.Column("operations", sa.Text(), nullable=False),
        sa.Column("constraints", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("grant_id", name="pk_grants"),
        sa.ForeignKeyConstraint(
            ["key_id"], ["keys.key_id"], name="fk_grants_key_id_keys", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_grants_key_id", "grants", ["key_id"])
    op.create_index("ix_grants_retiring_principal", "grants", ["retiring_principal"])


def downgrade() -> None:
    op.drop_index("ix_grants_retiring_principal", table_name="grants")
    op.drop_index("ix_grants_key_id", table_name="grants")
    op.drop_table("grants")
