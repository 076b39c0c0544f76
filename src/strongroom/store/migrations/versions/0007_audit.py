"""The audit trail: hash-chained events, the chain head, signed digests, key usage.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

A migration is a frozen copy of the DDL it applies: never import
``strongroom.store.schema`` here, and never edit a migration once shipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id_text() -> sa.types.TypeEngine[str]:
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", _id_text(), nullable=False),
        sa.Column("request_id", _id_text(), nullable=False),
        sa.Column("event_time", sa.Double(), nullable=False),
        sa.Column("event_name", _id_text(), nullable=False),
        sa.Column("event_source", _id_text(), nullable=False),
        sa.Column("key_arn", _id_text(), nullable=True),
        sa.Column("principal_arn", _id_text(), nullable=True),
        sa.Column("error_code", _id_text(), nullable=True),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_event_time", "audit_events", ["event_time"])
    op.create_index("ix_audit_events_event_name", "audit_events", ["event_name", "seq"])
    op.create_index("ix_audit_events_key_arn", "audit_events", ["key_arn", "seq"])
    op.create_index("ix_audit_events_principal_arn", "audit_events", ["principal_arn", "seq"])
    op.create_index("ix_audit_events_error_code", "audit_events", ["error_code", "seq"])
    op.create_index("ix_audit_events_request_id", "audit_events", ["request_id"])
    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.Column("anchor_seq", sa.BigInteger(), nullable=False),
        sa.Column("anchor_hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_chain"),
    )
    op.bulk_insert(
        chain, [{"id": 1, "seq": 0, "hash": bytes(32), "anchor_seq": 0, "anchor_hash": bytes(32)}]
    )
    op.create_table(
        "audit_digests",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("previous_digest_hash", sa.LargeBinary(), nullable=False),
        sa.Column("key_fingerprint", _id_text(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_audit_digests"),
    )
    op.create_table(
        "audit_key_usage",
        sa.Column("key_arn", _id_text(), nullable=False),
        sa.Column("operation", _id_text(), nullable=False),
        sa.Column("used_at", sa.Double(), nullable=False),
        sa.Column("event_id", _id_text(), nullable=False),
        sa.Column("request_id", _id_text(), nullable=False),
        sa.PrimaryKeyConstraint("key_arn", name="pk_audit_key_usage"),
    )


def downgrade() -> None:
    op.drop_table("audit_key_usage")
    op.drop_table("audit_digests")
    op.drop_table("audit_chain")
    for name in ("request_id", "error_code", "principal_arn", "key_arn", "event_name"):
        op.drop_index(f"ix_audit_events_{name}", table_name="audit_events")
    op.drop_index("ix_audit_events_event_time", table_name="audit_events")
    op.drop_table("audit_events")
