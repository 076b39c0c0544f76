"""Migrations: they build exactly ``schema.metadata``, on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, create_engine, inspect

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
HEAD_REVISION = "0007"


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
