"""Fixtures: every store test runs once on SQLite and once on PostgreSQL.

The PostgreSQL runs (marked ``postgres``) need the server at 127.0.0.1:5432
(user postgres, trust auth). Each test gets a database of its own with a
random name, dropped afterwards, so the server may hold anything else. The
database's default collation is ICU en-US where the server supports it, so
that tests prove the store's ordering does not depend on it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from strongroom.domain.repositories import Store
from strongroom.store import SqlStore

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


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
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


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'strongroom.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
def backend(database_url: str) -> str:
    """"sqlite" or "postgresql"."""
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store on an empty database, closed after the test."""
    sql_store = SqlStore(database_url)
    try:
        sql_store.migrate()
        yield sql_store
    finally:
        sql_store.close()
