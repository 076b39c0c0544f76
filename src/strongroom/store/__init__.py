"""SQL storage for Strongroom: the ``Store`` protocol on SQLite or PostgreSQL.

Repositories use SQLAlchemy Core and return the domain dataclasses; the
schema lives in ``schema.py`` and its migrations in ``migrations/``.
"""

from strongroom.store.database import SqlStore

__all__ = ["SqlStore"]
