"""Fixtures: every store test runs once on SQLite and once on PostgreSQL.

The PostgreSQL runs (marked ``postgres``) need the server at 127.0.0.1:5432
(user postgres, trust auth) and assume nothing else about it: every database
they use is created with a random name and dropped afterwards. Its default
collation is ICU en-US where the server supports it, so that the tests prove
the store's ordering does not depend on it.

- ``database_url``: an empty database per test (for migration tests).
- ``store_url`` / ``store``: a migrated database with empty tables. On
  PostgreSQL one database serves the whole session and is truncated before
  each test, because creating a database costs about a second on a busy host.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import make_url

from strongroom.domain.repositories import Store
from strongroom.store import SqlStore
from strongroom.store.schema import metadata

_PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _create_pg_database(admin: psycopg.Connection[tuple[object, ...]], name: str) -> None:
    identifier = sql.Identifier(name)
    try:
        admin.execute(
            sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 LOCALE_PROVIDER icu"
                " ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
            ).format(identifier)
        )
    except psycopg.Error:
        # A server without ICU (or that locale): its default collation will do.
        admin.execute(sql.SQL("CREATE DATABASE {}").format(identifier))


@contextmanager
def _new_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped (with its connections) on exit."""
    name = f"strongroom_test_{secrets.token_hex(6)}"
    with psycopg.connect(_PG_ADMIN_DSN, autocommit=True) as admin:
        _create_pg_database(admin, name)
    try:
        yield _PG_URL.format(name=name)
    finally:
        with psycopg.connect(_PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    with _new_pg_database() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_postgres_url() -> Iterator[str]:
    """The URL of a migrated PostgreSQL database shared by the session."""
    with _new_pg_database() as url:
        sql_store = SqlStore(url)
        try:
            sql_store.migrate()
        finally:
            sql_store.close()
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'strongroom.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a migrated database whose tables are all empty."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'strongroom.db'}"
        sql_store = SqlStore(url)
        try:
            sql_store.migrate()
        finally:
            sql_store.close()
        return url
    url = str(request.getfixturevalue("migrated_postgres_url"))
    _truncate_every_table(url)
    return url


def _truncate_every_table(url: str) -> None:
    names = sql.SQL(", ").join(sql.Identifier(table.name) for table in metadata.sorted_tables)
    dsn = psycopg.conninfo.make_conninfo(_PG_ADMIN_DSN, dbname=make_url(url).database)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(sql.SQL("TRUNCATE {}").format(names))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A store on a migrated, empty database, closed after the test."""
    sql_store = SqlStore(store_url)
    try:
        yield sql_store
    finally:
        sql_store.close()
