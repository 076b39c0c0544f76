"""Initial schema: accounts, principals, access keys, keys, versions, aliases, tags, meta.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

A migration is a frozen copy of the DDL it applies: never import
``strongroom.store.schema`` here, and never edit a migration once shipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id_text() -> sa.types.TypeEngine[str]:
    # Byte-wise comparison on PostgreSQL, as SQLite does by default.
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", _id_text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_accounts"),
    )
    op.create_table(
        "principals",
        sa.Column("principal_id", _id_text(), nullable=False),
        sa.Column("account_id", _id_text(), nullable=False),
        sa.Column("name", _id_text(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("arn", _id_text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("principal_id", name="pk_principals"),
        sa.UniqueConstraint("arn", name="uq_principals_arn"),
    )
    op.create_table(
        "access_keys",
        sa.Column("access_key_id", _id_text(), nullable=False),
        sa.Column("principal_id", _id_text(), nullable=False),
        sa.Column("wrapped_secret", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("access_key_id", name="pk_access_keys"),
    )
    op.create_index("ix_access_keys_principal_id", "access_keys", ["principal_id"])
    op.create_table(
        "keys",
        sa.Column("key_id", _id_text(), nullable=False),
        sa.Column("account_id", _id_text(), nullable=False),
        sa.Column("region", _id_text(), nullable=False),
        sa.Column("arn", _id_text(), nullable=False),
        sa.Column("key_spec", sa.String(), nullable=False),
        sa.Column("key_usage", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("key_manager", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("primary_version_id", sa.LargeBinary(), nullable=False),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("deletion_date", sa.Double(), nullable=True),
        sa.Column("pending_window_days", sa.Integer(), nullable=True),
        sa.Column("multi_region", sa.Boolean(), nullable=False),
        sa.Column("rotation_enabled", sa.Boolean(), nullable=False),
        sa.Column("rotation_period_days", sa.Integer(), nullable=True),
        sa.Column("next_rotation_at", sa.Double(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name="pk_keys"),
    )
    op.create_index("ix_keys_account_id_region_key_id", "keys", ["account_id", "region", "key_id"])
    op.create_table(
        "key_versions",
        sa.Column("key_id", _id_text(), nullable=False),
        sa.Column("version_id", sa.LargeBinary(), nullable=False),
        sa.Column("wrapped_material", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("rotation_type", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", "version_id", name="pk_key_versions"),
        sa.ForeignKeyConstraint(
            ["key_id"], ["keys.key_id"], name="fk_key_versions_key_id_keys", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "aliases",
        sa.Column("account_id", _id_text(), nullable=False),
        sa.Column("region", _id_text(), nullable=False),
        sa.Column("name", _id_text(), nullable=False),
        sa.Column("target_key_id", _id_text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name", name="pk_aliases"),
        sa.ForeignKeyConstraint(
            ["target_key_id"],
            ["keys.key_id"],
            name="fk_aliases_target_key_id_keys",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_aliases_target_key_id", "aliases", ["target_key_id"])
    op.create_table(
        "tags",
        sa.Column("key_id", _id_text(), nullable=False),
        sa.Column("tag_key", _id_text(), nullable=False),
        sa.Column("tag_value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "tag_key", name="pk_tags"),
        sa.ForeignKeyConstraint(
            ["key_id"], ["keys.key_id"], name="fk_tags_key_id_keys", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "meta",
        sa.Column("name", _id_text(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_meta"),
    )


def downgrade() -> None:
    op.drop_table("meta")
    op.drop_table("tags")
    op.drop_index("ix_aliases_target_key_id", table_name="aliases")
    op.drop_table("aliases")
    op.drop_table("key_versions")
    op.drop_index("ix_keys_account_id_region_key_id", table_name="keys")
    op.drop_table("keys")
    op.drop_index("ix_access_keys_principal_id", table_name="access_keys")
    op.drop_table("access_keys")
    op.drop_table("principals")
    op.drop_table("accounts")
