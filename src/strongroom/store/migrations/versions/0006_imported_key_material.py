"""Imported key material: per-version import state, expiry and description.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

A migration is a frozen copy of the DDL it applies: never import
``strongroom.store.schema`` here, and never edit a migration once shipped.

``wrapped_material`` becomes nullable (deleted or expired imported material);
on SQLite that rebuilds ``key_versions`` (batch mode), which no other table
references. Downgrading fails while some imported material is deleted (NULL):
re-import or destroy those keys first.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("key_versions") as batch:
        batch.alter_column("wrapped_material", existing_type=sa.LargeBinary(), nullable=True)
        batch.add_column(sa.Column("expiration_model", sa.String(), nullable=True))
        batch.add_column(sa.Column("valid_to", sa.Double(), nullable=True))
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("pending_rotation", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # The default only filled the existing rows; the code always writes the column.
    with op.batch_alter_table("key_versions") as batch:
        batch.alter_column("pending_rotation", existing_type=sa.Boolean(), server_default=None)
    op.create_index("ix_key_versions_valid_to", "key_versions", ["valid_to"])


def downgrade() -> None:
    op.drop_index("ix_key_versions_valid_to", table_name="key_versions")
    with op.batch_alter_table("key_versions") as batch:
        batch.drop_column("pending_rotation")
        batch.drop_column("description")
        batch.drop_column("valid_to")
        batch.drop_column("expiration_model")
        batch.alter_column("wrapped_material", existing_type=sa.LargeBinary(), nullable=False)
