"""The SQL store: engine setup, units of work and migrations (``Store``)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text

from strongroom.domain.repositories import AuditAppender, UnitOfWork
from strongroom.settings import Settings
from strongroom.store.audit import RawAuditAppender
from strongroom.store.unit_of_work import SqlUnitOfWork

if TYPE_CHECKING:
    from alembic.config import Config

# Execution option that tells the SQLite "begin" listener what kind of
# transaction to open.
_WRITE_OPTION = "strongroom_write"

# How long a SQLite connection waits for another writer (or a checkpoint)
# before failing with "database is locked".
_SQLITE_BUSY_TIMEOUT_MS = 10_000

# Key of the PostgreSQL advisory lock that serialises concurrent migrations
# (the ASCII bytes of "Strongrm" as a bigint).
_MIGRATION_LOCK_ID = 0x5374726F6E67726D


class SqlStore:
    """The ``Store`` on SQLite or PostgreSQL, through SQLAlchemy Core.

    ``url`` is ``sqlite:///<path>`` (a file; several processes may share it)
    or ``postgresql+psycopg://user@host:port/database``. Constructing a store
    opens no connection; the first unit of work does. The object is
    thread-safe: each unit of work takes its own pooled connection. Make the
    store after forking worker processes, never before.

    Transactions:

    - SQLite (WAL, ``synchronous=FULL``): a write unit starts with
      ``BEGIN IMMEDIATE``, so it holds the database's single write lock from
      its first statement and writers queue (up to 10 s) instead of failing
      half-way; a read unit starts with ``BEGIN`` and sees one snapshot while
      writers proceed.
    - PostgreSQL: a write unit is READ COMMITTED; lock what you read-modify-
      write with ``keys.get(..., for_update=True)``. A read unit is
      REPEATABLE READ, READ ONLY: one snapshot, as on SQLite.

    On both, a read unit (``write=False``) refuses writes with a
    ``sqlalchemy.exc.DBAPIError``, and write units must not be nested in one
    thread (on SQLite the inner one would wait for the outer one's lock).
    """

    def __init__(self, url: str) -> None:
        """Raises ``ValueError`` for an unsupported URL or an in-memory SQLite database."""
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        driver = parsed.get_driver_name()
        if backend == "sqlite" and driver == "pysqlite":
            if parsed.database in (None, "", ":memory:"):
                # Each pooled connection would see a different, empty database.
                raise ValueError("SqlStore needs a SQLite database file, not an in-memory one")
            # hide_parameters: a database error in the log never shows row values
            # (wrapped material, encryption contexts, audit records).
            self._engine: Engine = create_engine(parsed, hide_parameters=True)
            event.listen(self._engine, "connect", _on_sqlite_connect)
            event.listen(self._engine, "begin", _on_sqlite_begin)
        elif backend == "postgresql" and driver == "psycopg":
            # pre_ping replaces connections that died while pooled (a server
            # restart or failover) instead of failing the next request.
            self._engine = create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
        else:
            raise ValueError(
                f"unsupported database URL scheme {parsed.drivername!r}: "
                "use sqlite:///<path> or postgresql+psycopg://"
            )
        self._backend = backend
        self._closed = False

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[UnitOfWork]:
        """A transaction and the repositories bound to it.

        Commits when the block exits normally, and returns only once the commit
        is durable; rolls back and re-raises when the block raises. Raises
        ``RuntimeError`` after ``close()``.
        """
        if self._closed:
            raise RuntimeError("the store is closed")
        with self._engine.connect() as connection:
            self._configure(connection, write=write)
            with connection.begin():
                yield SqlUnitOfWork(connection)

    def audit_appender(self) -> AuditAppender:
        """Group commit's writer of the audit chain, on a connection of its own."""
        if self._closed:
            raise RuntimeError("the store is closed")
        lock_path = None
        if self._backend == "sqlite":
            lock_path = f"{self._engine.url.database}-audit.lock"
        return RawAuditAppender(
            self._engine.raw_connection,
            postgresql=self._backend == "postgresql",
            lock_path=lock_path,
        )

    def migrate(self) -> None:
        """Bring the schema to the newest migration (``alembic upgrade head``).

        Runs in one transaction: a failed migration changes nothing. Safe to
        call from several processes at once: they take turns, and all but the
        first find nothing to do.
        """
        if self._closed:
            raise RuntimeError("the store is closed")
        with self._engine.connect() as connection:
            self._configure(connection, write=True)
            with connection.begin():
                if self._backend == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:lock_id)"),
                        {"lock_id": _MIGRATION_LOCK_ID},
                    )
                # On SQLite, BEGIN IMMEDIATE has already serialised migrators.
                from alembic import command

                command.upgrade(alembic_config(connection), "head")

    def reclaim(self) -> None:
        """Make rows deleted so far unrecoverable from the database files.

        SQLite zeroes freed pages (``secure_delete``), but the WAL still holds
        their earlier images until a checkpoint rewrites the database and
        truncates it. PostgreSQL keeps dead tuples until VACUUM; VACUUM FULL
        rewrites the material table. Best effort: a long-running SQLite reader
        can keep part of the WAL alive, and PostgreSQL's own WAL segments keep
        old images until they are recycled (the material there is still
        wrapped under the root key).
        """
        if self._closed:
            raise RuntimeError("the store is closed")
        with self._engine.connect() as connection:
            if self._backend == "sqlite":
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
                # FULL rewrites the tables, so the old pages (and the wrapped
                # material in them) are gone from the table files; it locks the
                # tables for the few milliseconds a rewrite of them takes.
                autocommit.exec_driver_sql("VACUUM FULL key_versions")
                autocommit.exec_driver_sql("VACUUM keys")

    def close(self) -> None:
        """Close every pooled connection. Units of work still open finish normally."""
        self._closed = True
        self._engine.dispose()

    def _configure(self, connection: Connection, *, write: bool) -> None:
        if self._backend == "sqlite":
            connection.execution_options(**{_WRITE_OPTION: write})
        elif not write:
            # psycopg sends these with the BEGIN: no extra round trip. SQLAlchemy
            # resets them when the connection returns to the pool.
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )


def open_store(settings: Settings) -> SqlStore:
    """The store that ``settings`` name (``database_url``, or SQLite in the data directory)."""
    return SqlStore(settings.resolved_database_url())


def alembic_config(connection: Connection) -> Config:
    """An Alembic configuration for Strongroom's migrations, running on ``connection``.

    No alembic.ini is read: the script location is the ``migrations`` folder
    next to this module, and ``migrations/env.py`` uses ``connection`` (and
    its open transaction) as it finds it. Alembic is imported here, not at the
    top: it takes a fifth of a second, and only ``init`` and ``serve`` migrate,
    not every command-line call that opens the store.
    """
    from alembic.config import Config

    config = Config()
    location = Path(__file__).resolve().parent / "migrations"
    # Config values go through configparser interpolation, where "%" is special.
    config.set_main_option("script_location", str(location).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    """Prepare a new SQLite connection (runs once per pooled connection)."""
    # Take transaction control away from the sqlite3 module: it would not BEGIN
    # before a SELECT or DDL, so reads would not be repeatable, DDL and
    # savepoints not transactional. _on_sqlite_begin emits BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # First, because switching to WAL below may have to wait for a lock.
        cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}")
        # WAL lets readers run while one writer writes. It is a property of the
        # file: a no-op after the first connection. Some file systems (network
        # shares) cannot do it; better to fail here than to lock up under load.
        _use_wal(cursor)
        # FULL: the WAL is synced at every commit, so a commit we acknowledge
        # survives a power loss (NORMAL may lose the last ones).
        cursor.execute("PRAGMA synchronous = FULL")
        # Off by default in SQLite; the schema's foreign keys need it.
        cursor.execute("PRAGMA foreign_keys = ON")
        # Overwrite deleted content with zeros, so destroyed key material does
        # not linger in free pages.
        cursor.execute("PRAGMA secure_delete = ON")
    finally:
        cursor.close()


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the database file to WAL, unless it is already.

    Switching needs an exclusive lock, and SQLite answers "database is locked" at
    once, without its busy handler, when another connection is switching the
    same new file at that moment (several processes starting together): retry
    for as long as the busy timeout would have waited.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                (mode,) = cursor.execute("PRAGMA journal_mode = WAL").fetchone()
            break
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)
    if str(mode).lower() != "wal":
        raise RuntimeError(f"SQLite refused WAL journal mode (got {mode!r})")


def _on_sqlite_begin(connection: Connection) -> None:
    """Open the transaction that the unit of work asked for."""
    write = bool(connection.get_execution_options().get(_WRITE_OPTION, False))
    # query_only makes a write in a read unit fail at once, as it does on
    # PostgreSQL, instead of sometimes failing with SQLITE_BUSY under load
    # (a read transaction cannot always be upgraded to a write one).
    connection.exec_driver_sql(f"PRAGMA query_only = {'OFF' if write else 'ON'}")
    # IMMEDIATE takes the write lock now, waiting up to busy_timeout for it; a
    # deferred transaction would take it at its first write and could then
    # fail with "database is locked" without waiting.
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
