"""The audit trail's reads on SQLite use the indexes they were written for.

SQLite's planner has no statistics here (nothing runs ANALYZE), so a changed
query can silently fall back to walking the whole trail in rowid order: the
results stay right, only slow on a large trail, and no other test would notice.
These tests capture the SQL the repository really sends and ask SQLite for its
plan (EXPLAIN QUERY PLAN), so such a change fails here instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from strongroom.domain.audit import AuditQuery
from strongroom.store import SqlStore
from strongroom.store.audit import SqlAuditRepository


@contextmanager
def _captured(store: SqlStore) -> Iterator[list[tuple[str, Any]]]:
    """The (statement, parameters) pairs sent to the driver inside the block."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    engine = store._engine  # the test inspects the store's own engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def _plans_of(store: SqlStore, read: Callable[[SqlAuditRepository], object]) -> list[str]:
    """SQLite's query plan (one text line per step) of each SELECT ``read`` sends."""
    with _captured(store) as sent, store.unit_of_work(write=False) as uow:
        assert isinstance(uow.audit, SqlAuditRepository)
        read(uow.audit)
    selects = [(s, p) for s, p in sent if s.lstrip().upper().startswith("SELECT")]
    assert selects, "the read sent no SELECT"
    raw = store._engine.raw_connection()
    try:
        cursor = raw.cursor()
        return [
            " | ".join(row[-1] for row in cursor.execute(f"EXPLAIN QUERY PLAN {s}", p))
            for s, p in selects
        ]
    finally:
        raw.close()


def test_a_time_window_reads_through_the_event_time_index(sqlite_store: SqlStore) -> None:
    query = AuditQuery(since=1_700_000_000.0, until=1_700_003_600.0, after_seq=10)
    (plan,) = _plans_of(sqlite_store, lambda audit: audit.events(query))
    assert "ix_audit_events_event_time" in plan, plan


def test_a_window_with_other_filters_still_uses_the_event_time_index(
    sqlite_store: SqlStore,
) -> None:
    query = AuditQuery(
        since=1_700_000_000.0,
        until=1_700_003_600.0,
        event_name="Decrypt",
        key_arn="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )
    (plan,) = _plans_of(sqlite_store, lambda audit: audit.events(query))
    assert "ix_audit_events_event_time" in plan, plan


def test_a_request_id_lookup_uses_its_index(sqlite_store: SqlStore) -> None:
    query = AuditQuery(request_id="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
    (plan,) = _plans_of(sqlite_store, lambda audit: audit.events(query))
    assert "ix_audit_events_request_id" in plan, plan


def test_reading_on_from_a_seq_walks_the_rowid_from_there(sqlite_store: SqlStore) -> None:
    # Export and verification page through the trail by seq: a range on the rowid.
    (plan,) = _plans_of(sqlite_store, lambda audit: audit.events(AuditQuery(after_seq=500)))
    assert "USING INTEGER PRIMARY KEY (rowid>?)" in plan, plan


def test_retention_finds_its_cut_through_the_event_time_index(sqlite_store: SqlStore) -> None:
    (plan,) = _plans_of(sqlite_store, lambda audit: audit.last_seq_before(1_700_000_000.0))
    assert "ix_audit_events_event_time" in plan, plan
