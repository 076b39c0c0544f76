"""The audit trail in SQL (``AuditRepository``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from strongroom.domain.audit import (
    GENESIS_HASH,
    AuditDigest,
    AuditEvent,
    AuditQuery,
    ChainHead,
    KeyUsage,
)
from strongroom.store.schema import (
    audit_chain,
    audit_digests,
    audit_events,
    audit_key_usage,
    constraint_errors,
    upsert,
)

_HEAD_ID = 1
_EVENT_COLUMNS = (
    "seq, event_id, request_id, event_time, event_name, event_source, key_arn, "
    "principal_arn, error_code, record, prev_hash, hash"
)


def _event(row: Row[Any]) -> AuditEvent:
    return AuditEvent(
        seq=row.seq,
        event_id=row.event_id,
        request_id=row.request_id,
        event_time=row.event_time,
        event_name=row.event_name,
        event_source=row.event_source,
        key_arn=row.key_arn,
        principal_arn=row.principal_arn,
        error_code=row.error_code,
        record=row.record,
        prev_hash=bytes(row.prev_hash),
        hash=bytes(row.hash),
    )


def _digest(row: Row[Any]) -> AuditDigest:
    return AuditDigest(
        number=row.number,
        last_seq=row.last_seq,
        last_hash=bytes(row.last_hash),
        created_at=row.created_at,
        previous_digest_hash=bytes(row.previous_digest_hash),
        key_fingerprint=row.key_fingerprint,
        signature=bytes(row.signature),
    )


class SqlAuditRepository:
    """``AuditRepository`` on one connection; every call runs in that connection's transaction.

    The chain head is one row; ``head(for_update=True)`` locks it (PostgreSQL:
    ``SELECT … FOR UPDATE``; SQLite: a write unit already holds the database's
    write lock from its ``BEGIN IMMEDIATE``).
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def head(self, *, for_update: bool = False) -> ChainHead:
        query = select(audit_chain).where(audit_chain.c.id == _HEAD_ID)
        if for_update:
            query = query.with_for_update()
        row = self._connection.execute(query).first()
        if row is None and not for_update:
            return ChainHead(0, GENESIS_HASH, 0, GENESIS_HASH)
        if row is None:
            # The migration seeds this row; recreate it if it went missing (a
            # truncated table) so the lock has something to hold. A chain that
            # had events then fails verification, as it should.
            statement = (
                postgresql.insert(audit_chain)
                if self._connection.dialect.name == "postgresql"
                else sqlite.insert(audit_chain)
            )
            self._connection.execute(
                statement.on_conflict_do_nothing(index_elements=["id"]),
                [
                    {
                        "id": _HEAD_ID,
                        "seq": 0,
                        "hash": GENESIS_HASH,
                        "anchor_seq": 0,
                        "anchor_hash": GENESIS_HASH,
                    }
                ],
            )
            row = self._connection.execute(query).one()
        return ChainHead(row.seq, bytes(row.hash), row.anchor_seq, bytes(row.anchor_hash))

    def set_head(self, seq: int, hash: bytes) -> None:
        self._connection.execute(
            update(audit_chain).where(audit_chain.c.id == _HEAD_ID).values(seq=seq, hash=hash)
        )

    def set_anchor(self, seq: int, hash: bytes) -> None:
        self._connection.execute(
            update(audit_chain)
            .where(audit_chain.c.id == _HEAD_ID)
            .values(anchor_seq=seq, anchor_hash=hash)
        )

    def insert_events(self, events: Sequence[AuditEvent]) -> None:
        if not events:
            return
        # The group commit's hot statement: one prepared executemany on the driver,
        # without building a dict per row.
        marker = "?" if self._connection.dialect.paramstyle == "qmark" else "%s"
        self._connection.exec_driver_sql(
            f"INSERT INTO audit_events ({_EVENT_COLUMNS}) "  # noqa: S608 (constants only)
            f"VALUES ({', '.join([marker] * 12)})",
            [
                (
                    e.seq,
                    e.event_id,
                    e.request_id,
                    e.event_time,
                    e.event_name,
                    e.event_source,
                    e.key_arn,
                    e.principal_arn,
                    e.error_code,
                    e.record,
                    e.prev_hash,
                    e.hash,
                )
                for e in events
            ],
        )

    def events(self, query: AuditQuery) -> list[AuditEvent]:
        c = audit_events.c
        statement = select(audit_events).where(c.seq > query.after_seq)
        if query.since is not None:
            statement = statement.where(c.event_time >= query.since)
        if query.until is not None:
            statement = statement.where(c.event_time < query.until)
        if query.event_name is not None:
            statement = statement.where(c.event_name == query.event_name)
        if query.key_arn is not None:
            statement = statement.where(c.key_arn == query.key_arn)
        if query.principal_arn is not None:
            statement = statement.where(c.principal_arn == query.principal_arn)
        if query.error_code is not None:
            statement = statement.where(c.error_code == query.error_code)
        if query.request_id is not None:
            statement = statement.where(c.request_id == query.request_id)
        statement = statement.order_by(c.seq).limit(query.limit)
        return [_event(row) for row in self._connection.execute(statement)]

    def delete_events_through(self, seq: int) -> int:
        result = self._connection.execute(delete(audit_events).where(audit_events.c.seq <= seq))
        return int(result.rowcount)

    def last_seq_before(self, time: float) -> int:
        value = self._connection.execute(
            select(func.max(audit_events.c.seq)).where(audit_events.c.event_time < time)
        ).scalar_one_or_none()
        return int(value or 0)

    def insert_digest(self, digest: AuditDigest) -> None:
        with constraint_errors(self._connection, f"audit digest {digest.number}"):
            self._connection.execute(
                insert(audit_digests),
                [
                    {
                        "number": digest.number,
                        "last_seq": digest.last_seq,
                        "last_hash": digest.last_hash,
                        "created_at": digest.created_at,
                        "previous_digest_hash": digest.previous_digest_hash,
                        "key_fingerprint": digest.key_fingerprint,
                        "signature": digest.signature,
                    }
                ],
            )

    def last_digest(self) -> AuditDigest | None:
        row = self._connection.execute(
            select(audit_digests).order_by(audit_digests.c.number.desc()).limit(1)
        ).first()
        return None if row is None else _digest(row)

    def digests(self) -> list[AuditDigest]:
        rows = self._connection.execute(select(audit_digests).order_by(audit_digests.c.number))
        return [_digest(row) for row in rows]

    def put_key_usage(self, usages: Sequence[KeyUsage]) -> None:
        upsert(
            self._connection,
            audit_key_usage,
            [
                {
                    "key_arn": u.key_arn,
                    "operation": u.operation,
                    "used_at": u.used_at,
                    "event_id": u.event_id,
                    "request_id": u.request_id,
                }
                for u in usages
            ],
            key=("key_arn",),
        )

    def key_usage(self, key_arn: str) -> KeyUsage | None:
        row = self._connection.execute(
            select(audit_key_usage).where(audit_key_usage.c.key_arn == key_arn)
        ).first()
        if row is None:
            return None
        return KeyUsage(row.key_arn, row.operation, row.used_at, row.event_id, row.request_id)
