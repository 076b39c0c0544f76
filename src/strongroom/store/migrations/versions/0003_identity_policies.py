"""Identity policies and role trust policies.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

A migration is a frozen copy of the DDL it applies: never import
``strongroom.store.schema`` here, and never edit a migration once shipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id_text() -> sa.types.TypeEngine[str]:
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("principals") as batch:
        batch.add_column(sa.Column("trust_policy", sa.Text(), nullable=True))
    op.create_table(
        "identity_policies",
        sa.Column("principal_id", _id_text(), nullable=False),
        sa.Column("policy_name", _id_text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("principal_id", "policy_name", name="pk_identity_policies"),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principals.principal_id"],
            name="fk_identity_policies_principal_id_principals",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("identity_policies")
    with op.batch_alter_table("principals") as batch:
        batch.drop_column("trust_policy")
