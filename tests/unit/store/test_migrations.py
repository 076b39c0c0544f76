"""Migrations: they build exactly ``schema.metadata``, on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, create_engine, inspect, text

from strongroom.audit.chain import PendingEvent, RowWriter, append, append_rows, canonical_json
from strongroom.audit.digests import PUBLIC_KEY_NAME, load_public_key, write_digest
from strongroom.audit.verify import Verdict, check_chain
from strongroom.crypto.wrapping import RootKey
from strongroom.domain.audit import AuditQuery
from strongroom.store import SqlStore
from strongroom.store.database import alembic_config
from strongroom.store.schema import metadata

MIGRATIONS = Path(__file__).resolve().parents[3] / "src/strongroom/store/migrations"


@contextmanager
def connect(url: str) -> Iterator[Connection]:
    """A plain connection (no Strongroom event listeners) in a transaction."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


# The newest migration; bump it with every new migration.
HEAD_REVISION = "0008"


def migrate(url: str) -> None:
    store = SqlStore(url)
    try:
        store.migrate()
    finally:
        store.close()


def current_revision(url: str) -> str | None:
    with connect(url) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_migrated_schema_matches_the_metadata(database_url: str) -> None:
    migrate(database_url)
    with connect(database_url) as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_migrated_columns_have_the_metadatas_collations(database_url: str) -> None:
    # compare_metadata does not look at collations, on which ordering depends.
    migrate(database_url)
    with connect(database_url) as connection:
        inspector = inspect(connection)
        for table in metadata.sorted_tables:
            reflected = {
                column["name"]: getattr(column["type"], "collation", None)
                for column in inspector.get_columns(table.name)
            }
            expected = {
                column.name: getattr(
                    column.type.dialect_impl(connection.dialect), "collation", None
                )
                for column in table.columns
            }
            assert reflected == expected, table.name


def test_migrate_reaches_head_and_is_idempotent(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)
    assert current_revision(database_url) == HEAD_REVISION


def test_concurrent_migrations_of_a_fresh_database_all_succeed(database_url: str) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(migrate, database_url) for _ in range(4)]:
            future.result(timeout=60)
    assert current_revision(database_url) == HEAD_REVISION


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(
    database_url: str,
) -> None:
    migrate(database_url)
    with connect(database_url) as connection:
        command.downgrade(alembic_config(connection), "base")
    with connect(database_url) as connection:
        assert set(inspect(connection).get_table_names()) == {"alembic_version"}
    assert current_revision(database_url) is None

    migrate(database_url)
    with connect(database_url) as connection:
        tables = set(inspect(connection).get_table_names())
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_migrations_are_frozen_copies_that_import_no_strongroom_code() -> None:
    scripts = [MIGRATIONS / "env.py", *sorted((MIGRATIONS / "versions").glob("*.py"))]
    assert len(scripts) > 1
    for script in scripts:
        tree = ast.parse(script.read_text(encoding="utf-8"))
        imported = {
            name.split(".")[0]
            for node in ast.walk(tree)
            for name in (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
        }
        assert imported <= {"__future__", "collections", "alembic", "sqlalchemy"}, script


# --- 0008: audit_events with fewer b-trees, on a database that holds events ---------

_DROPPED_IN_0008 = {
    "ix_audit_events_event_name",
    "ix_audit_events_key_arn",
    "ix_audit_events_principal_arn",
    "ix_audit_events_error_code",
}
_KEPT_IN_0008 = {"ix_audit_events_event_time", "ix_audit_events_request_id"}


def _to(url: str, revision: str, *, down: bool = False) -> None:
    with connect(url) as connection:
        (command.downgrade if down else command.upgrade)(alembic_config(connection), revision)


def _event(n: int) -> PendingEvent:
    key = None if n % 5 == 0 else f"arn:aws:kms:us-east-1:111122223333:key/k{n % 3}"
    principal = None if n % 4 == 0 else "arn:aws:iam::111122223333:user/alice"
    error = "AccessDeniedException" if n % 3 == 0 else None
    name = ("Encrypt", "Decrypt")[n % 2]
    record = {
        "eventID": f"e{n}",
        "requestID": f"r{n}",
        "eventName": name,
        "eventSource": "kms.amazonaws.com",
        "errorCode": error,
        "resources": [] if key is None else [{"ARN": key}],
        "userIdentity": {} if principal is None else {"arn": principal},
        "text": "\u00e9\u4e2d\U0001f600",
    }
    return PendingEvent(
        record=canonical_json(record),
        event_id=f"e{n}",
        request_id=f"r{n}",
        # Needs all of a double's bits: copied, not re-rounded.
        event_time=1_764_400_000.123456789 + n / 7,
        event_name=name,
        event_source="kms.amazonaws.com",
        key_arn=key,
        principal_arn=principal,
        error_code=error,
        usage=() if key is None or error else ((key, name),),
    )


def _append(url: str, numbers: range, root_key: RootKey) -> None:
    """Events through group commit and through a unit of work, then a signed digest."""
    store = SqlStore(url)
    try:
        appender = store.audit_appender()
        try:
            half = numbers.start + len(numbers) // 2
            with appender.transaction() as writer:
                assert isinstance(writer, RowWriter)
                append_rows(writer, [_event(n) for n in range(numbers.start, half)])
        finally:
            appender.close()
        with store.unit_of_work() as uow:
            append(uow.audit, [_event(n) for n in range(half, numbers.stop)])
        with store.unit_of_work() as uow:
            assert write_digest(uow, root_key, 1_764_500_000.0 + numbers.start) is not None
    finally:
        store.close()


def _verdict(url: str) -> Verdict:
    store = SqlStore(url)
    try:
        with store.unit_of_work(write=False) as uow:
            events = uow.audit.events(AuditQuery(limit=100_000))
            pem = uow.meta.get(PUBLIC_KEY_NAME)
            assert pem is not None
            return check_chain(events, uow.audit.head(), uow.audit.digests(), load_public_key(pem))
    finally:
        store.close()


def _stored_rows(url: str) -> list[tuple[object, ...]]:
    """Every audit_events row as the database holds it (on SQLite: storage classes too)."""
    with connect(url) as connection:
        if connection.dialect.name == "sqlite":
            columns = [column["name"] for column in inspect(connection).get_columns("audit_events")]
            probes = ", ".join(f"typeof({c}), quote({c})" for c in columns)
            query = f"SELECT {probes} FROM audit_events ORDER BY seq"  # noqa: S608
        else:
            query = "SELECT * FROM audit_events ORDER BY seq"
        return [tuple(row) for row in connection.execute(text(query))]


def _audit_indexes(url: str) -> set[str]:
    with connect(url) as connection:
        return {str(index["name"]) for index in inspect(connection).get_indexes("audit_events")}


def test_0008_keeps_every_event_and_the_chain_verifies_up_and_down(database_url: str) -> None:
    root_key = RootKey(os.urandom(32))
    _to(database_url, "0007")
    _append(database_url, range(1, 41), root_key)
    before = _stored_rows(database_url)
    assert len(before) == 40
    assert _verdict(database_url).problems == []

    _to(database_url, "0008")
    assert _stored_rows(database_url) == before
    verdict = _verdict(database_url)
    assert (verdict.problems, verdict.events_checked, verdict.digests_checked) == ([], 40, 1)
    assert _audit_indexes(database_url) == _KEPT_IN_0008
    with connect(database_url) as connection:
        if connection.dialect.name == "sqlite":
            # seq is the rowid: no index of its own (an autoindex would show up here).
            ddl = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'audit_events'")
            ).scalar_one()
            assert "seq INTEGER NOT NULL" in ddl
            assert connection.execute(
                text("SELECT count(*) FROM pragma_index_list('audit_events')")
            ).scalar_one() == len(_KEPT_IN_0008)
    # The chain goes on at 0008 ...
    _append(database_url, range(41, 61), root_key)
    after_upgrade = _stored_rows(database_url)
    assert after_upgrade[:40] == before

    # ... and survives the way back.
    _to(database_url, "0007", down=True)
    assert _stored_rows(database_url) == after_upgrade
    assert _audit_indexes(database_url) == _KEPT_IN_0008 | _DROPPED_IN_0008
    verdict = _verdict(database_url)
    assert (verdict.problems, verdict.events_checked, verdict.digests_checked) == ([], 60, 2)
    _append(database_url, range(61, 71), root_key)
    assert _verdict(database_url).problems == []
