"""The audit trail in SQL (``AuditRepository``)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, delete, func, insert, select, update

from strongroom.domain.audit import (
    GENESIS_HASH,
    AuditDigest,
    AuditEvent,
    AuditQuery,
    ChainHead,
    KeyUsage,
)
from strongroom.domain.repositories import RowWriter
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
# The statements every group commit runs, with "?" markers (PostgreSQL: "%s").
_INSERT_EVENTS = (
    f"INSERT INTO audit_events ({_EVENT_COLUMNS}) "  # noqa: S608 (constants only)
    f"VALUES ({', '.join(['?'] * 12)})"
)
_LAST_SEQ_BEFORE = (
    "SELECT max(seq) FROM audit_events INDEXED BY ix_audit_events_event_time WHERE event_time < ?"
)
_SET_HEAD = "UPDATE audit_chain SET seq = ?, hash = ? WHERE id = 1"
_SEED_HEAD = (
    "INSERT INTO audit_chain (id, seq, hash, anchor_seq, anchor_hash) "
    "VALUES (1, 0, ?, 0, ?) ON CONFLICT (id) DO NOTHING"
)
_PUT_KEY_USAGE = (
    "INSERT INTO audit_key_usage (key_arn, operation, used_at, event_id, request_id) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key_arn) DO UPDATE SET "
    "operation = excluded.operation, used_at = excluded.used_at, "
    "event_id = excluded.event_id, request_id = excluded.request_id"
)


def _resource_pattern(resource: str) -> str:
    """A LIKE pattern (escape character backslash) for records whose resources name
    ``resource``: an ARN, or a bare key id. A superset (SQLite's LIKE ignores ASCII
    case, and "%" may run past the ARN's end): callers check ``names_resource``."""
    literal = resource.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if resource.startswith("arn:"):
        return f'%"ARN":"{literal}"%'
    return f'%"ARN":"arn:%:key/{literal}"%'


def _event_rows(events: Sequence[AuditEvent]) -> list[tuple[Any, ...]]:
    return [
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
    ]


def _usage_rows(usages: Sequence[KeyUsage]) -> list[tuple[Any, ...]]:
    return [(u.key_arn, u.operation, u.used_at, u.event_id, u.request_id) for u in usages]


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
            self._connection.exec_driver_sql(self._sql(_SEED_HEAD), (GENESIS_HASH, GENESIS_HASH))
            return self.head(for_update=True)
        return ChainHead(row[0], bytes(row[1]), row[2], bytes(row[3]))

    def set_head(self, seq: int, hash: bytes) -> None:
        self._connection.exec_driver_sql(self._sql(_SET_HEAD), (seq, hash))

    def set_anchor(self, seq: int, hash: bytes) -> None:
        self._connection.execute(
            update(audit_chain)
            .where(audit_chain.c.id == _HEAD_ID)
            .values(anchor_seq=seq, anchor_hash=hash)
        )

    def insert_events(self, events: Sequence[AuditEvent]) -> None:
        if events:
            # One prepared executemany on the driver, without a dict per row.
            self._connection.exec_driver_sql(self._sql(_INSERT_EVENTS), _event_rows(events))

    def events(self, query: AuditQuery) -> list[AuditEvent]:
        c = audit_events.c
        seq: ColumnElement[int] = c.seq
        window = query.since is not None and query.until is not None
        if window and query.request_id is None and not self._postgresql:
            # A time window: read it through ix_audit_events_event_time and sort.
            # SQLite's planner (no statistics) would rather walk the rowid in seq
            # order from after_seq, through every event before the window; "seq + 0"
            # is SQLite's way of keeping a term off an index (the rowid here).
            seq = c.seq + 0
        statement = select(audit_events).where(seq > query.after_seq)
        if query.since is not None:
            statement = statement.where(c.event_time >= query.since)
        if query.until is not None:
            statement = statement.where(c.event_time < query.until)
        if query.event_name is not None:
            statement = statement.where(c.event_name == query.event_name)
        if query.key_arn is not None:
            statement = statement.where(c.key_arn == query.key_arn)
        if query.resource is not None:
            pattern = _resource_pattern(query.resource)
            statement = statement.where(c.record.like(pattern, escape="\\"))
        if query.principal_arn is not None:
            statement = statement.where(c.principal_arn == query.principal_arn)
        if query.error_code is not None:
            statement = statement.where(c.error_code == query.error_code)
        if query.request_id is not None:
            statement = statement.where(c.request_id == query.request_id)
        statement = statement.order_by(seq).limit(query.limit)
        return [_event(row) for row in self._connection.execute(statement)]

    def delete_events_through(self, seq: int) -> int:
        result = self._connection.execute(delete(audit_events).where(audit_events.c.seq <= seq))
        return int(result.rowcount)

    def last_seq_before(self, time: float) -> int:
        if self._postgresql:
            value = self._connection.execute(
                select(func.max(audit_events.c.seq)).where(audit_events.c.event_time < time)
            ).scalar_one_or_none()
        else:
            # Without the hint SQLite walks the rowid down from the newest event to
            # the first one older than ``time``: the whole retained trail, each time
            # retention runs. The index reads only the events old enough to prune.
            value = self._connection.exec_driver_sql(_LAST_SEQ_BEFORE, (time,)).scalar()
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
        if usages:
            self._connection.exec_driver_sql(self._sql(_PUT_KEY_USAGE), _usage_rows(usages))

    def key_usage(self, key_arn: str) -> KeyUsage | None:
        row = self._connection.execute(
            select(audit_key_usage).where(audit_key_usage.c.key_arn == key_arn)
        ).first()
        if row is None:
            return None
        return KeyUsage(row.key_arn, row.operation, row.used_at, row.event_id, row.request_id)


class _DriverChainWriter:
    """``RowWriter`` (and ``ChainWriter``) on a DB-API cursor, in ``RawAuditAppender``'s
    transaction."""

    def __init__(self, cursor: Any, postgresql: bool) -> None:
        self._cursor = cursor
        self._postgresql = postgresql
        self._insert_events = self._sql(_INSERT_EVENTS)
        self._put_key_usage = self._sql(_PUT_KEY_USAGE)

    def _sql(self, statement: str) -> str:
        return statement if not self._postgresql else statement.replace("?", "%s")

    def head(self, *, for_update: bool = False) -> ChainHead:
        locked = for_update and self._postgresql
        self._cursor.execute(_HEAD_FOR_UPDATE if locked else _HEAD)
        row = self._cursor.fetchone()
        if row is None:
            # As SqlAuditRepository.head: recreate a missing head row to lock it.
            self._cursor.execute(self._sql(_SEED_HEAD), (GENESIS_HASH, GENESIS_HASH))
            self._cursor.execute(_HEAD_FOR_UPDATE if locked else _HEAD)
            row = self._cursor.fetchone()
        return ChainHead(row[0], bytes(row[1]), row[2], bytes(row[3]))

    def set_head(self, seq: int, hash: bytes) -> None:
        self._cursor.execute(self._sql(_SET_HEAD), (seq, hash))

    def insert_events(self, events: Sequence[AuditEvent]) -> None:
        self.insert_event_rows(_event_rows(events))

    def put_key_usage(self, usages: Sequence[KeyUsage]) -> None:
        self.put_key_usage_rows(_usage_rows(usages))

    # Group commit's entry points (``RowWriter``): the rows as the driver takes
    # them, with no domain object built per event.

    def insert_event_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            self._cursor.executemany(self._insert_events, rows)

    def put_key_usage_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            self._cursor.executemany(self._put_key_usage, rows)


class RawAuditAppender:
    """``AuditAppender``: group commit's own DB-API connection, taken from the engine's pool.

    A unit of work costs about 0.3 ms of CPU more per transaction (pool checkout
    and return, SQLAlchemy's execution path for five statements), and every API
    call waits for one of these transactions. The connection comes from
    ``engine.raw_connection()``, so it is configured like every other (SQLite:
    WAL, ``synchronous=FULL``, busy timeout; PostgreSQL: the same driver
    settings). After a failure it is discarded and a new one taken next time,
    so a restarted PostgreSQL server or a broken connection heals by itself.

    On SQLite, worker processes take turns through ``lock_path`` (``flock``)
    before asking for the database's write lock. SQLite's own wait for a busy
    database is a sleep-and-retry with sleeps of up to 100 ms, which under
    several workers left requests waiting hundreds of milliseconds for their
    event; a blocked ``flock`` is woken the moment the other writer commits.
    (PostgreSQL's row lock on the chain head already queues its waiters.)
    """

    def __init__(
        self, connect: Callable[[], Any], *, postgresql: bool, lock_path: str | None = None
    ) -> None:
        self._connect = connect
        self._postgresql = postgresql
        self._connection: Any = None
        self._lock_path = lock_path
        self._lock_fd: int | None = None

    def _open(self) -> Any:
        connection = self._connect()
        if not self._postgresql:
            cursor = connection.cursor()
            try:
                # A pooled SQLite connection may have served a read unit last.
                cursor.execute("PRAGMA query_only = OFF")
            finally:
                cursor.close()
        return connection

    @contextmanager
    def transaction(self) -> Iterator[RowWriter]:
        with self._turn():
            if self._connection is None:
                self._connection = self._open()
            with self._transaction(self._connection) as writer:
                yield writer

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """Hold the writers' file lock (SQLite), so waiting writers queue instead of polling."""
        if self._lock_path is None:
            yield
            return
        if self._lock_fd is None:
            # A file of its own: closing any descriptor of the database file would
            # drop this process's SQLite (POSIX) locks on it.
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextmanager
    def _transaction(self, connection: Any) -> Iterator[RowWriter]:
        cursor = connection.cursor()
        try:
            if not self._postgresql:
                # The sqlite3 module runs in autocommit mode here (isolation_level
                # None, set for every pooled connection): open the write transaction
                # ourselves, taking the database's write lock now.
                cursor.execute("BEGIN IMMEDIATE")
            yield _DriverChainWriter(cursor, self._postgresql)
            if self._postgresql:
                connection.commit()
            else:
                cursor.execute("COMMIT")
        except BaseException:
            self._discard()
            raise
        finally:
            with suppress(Exception):
                cursor.close()

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        with suppress(Exception):
            connection.rollback()
        with suppress(Exception):
            connection.invalidate()
        with suppress(Exception):
            connection.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(Exception):
                connection.close()
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)
