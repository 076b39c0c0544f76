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
)

_HEAD_ID = 1
_HEAD = "SELECT seq, hash, anchor_seq, anchor_hash FROM audit_chain WHERE id = 1"
_HEAD_FOR_UPDATE = _HEAD + " FOR UPDATE"
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
        self._postgresql = connection.dialect.name == "postgresql"

    def _sql(self, statement: str) -> str:
        """``statement`` with the driver's parameter markers (``?`` on SQLite, ``%s``)."""
        return statement if not self._postgresql else statement.replace("?", "%s")

    def head(self, *, for_update: bool = False) -> ChainHead:
        # Plain driver SQL for the statements every group commit runs (head, head
        # update, insert, key usage): SQLAlchemy's per-statement overhead would
        # otherwise cost more than the database work.
        row = self._connection.exec_driver_sql(
            _HEAD_FOR_UPDATE if for_update and self._postgresql else _HEAD
        ).first()
        if row is None and not for_update:
            return ChainHead(0, GENESIS_HASH, 0, GENESIS_HASH)
        if row is None:
            # The migration seeds this row; recreate it if it went missing (a
            # truncated table) so the lock has something to hold. A chain that
            # had events then fails verification, as it should.
            statement = (
                postgresql.insert(audit_chain) if self._postgresql else sqlite.insert(audit_chain)
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
            return self.head(for_update=True)
        return ChainHead(row[0], bytes(row[1]), row[2], bytes(row[3]))

    def set_head(self, seq: int, hash: bytes) -> None:
        self._connection.exec_driver_sql(
            self._sql("UPDATE audit_chain SET seq = ?, hash = ? WHERE id = 1"),
            (seq, hash),
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
        self._connection.exec_driver_sql(
            self._sql(
                f"INSERT INTO audit_events ({_EVENT_COLUMNS}) "  # noqa: S608 (constants only)
                f"VALUES ({', '.join(['?'] * 12)})"
            ),
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
        if not usages:
            return
        self._connection.exec_driver_sql(
            self._sql(
                "INSERT INTO audit_key_usage (key_arn, operation, used_at, event_id, request_id) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key_arn) DO UPDATE SET "
                "operation = excluded.operation, used_at = excluded.used_at, "
                "event_id = excluded.event_id, request_id = excluded.request_id"
            ),
            [(u.key_arn, u.operation, u.used_at, u.event_id, u.request_id) for u in usages],
        )

    def key_usage(self, key_arn: str) -> KeyUsage | None:
        row = self._connection.execute(
            select(audit_key_usage).where(audit_key_usage.c.key_arn == key_arn)
        ).first()
        if row is None:
            return None
        return KeyUsage(row.key_arn, row.operation, row.used_at, row.event_id, row.request_id)
