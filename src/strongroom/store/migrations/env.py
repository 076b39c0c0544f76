"""Alembic environment for Strongroom: online mode only, on a connection it is given.

``SqlStore.migrate`` opens the connection and its transaction, passes the
connection in ``config.attributes["connection"]`` and commits when the upgrade
returns. This file therefore neither creates an engine nor commits; it reads no
alembic.ini and configures no logging.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection


def _run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "Strongroom migrations run through SqlStore.migrate(), which passes a connection"
        )
    # No target metadata: migrations are hand-written frozen copies of the DDL.
    context.configure(connection=connection, target_metadata=None)
    # The caller's transaction is already open, so this joins it rather than
    # committing on its own.
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("Strongroom migrations run online only (no --sql mode)")
_run_migrations_online()
