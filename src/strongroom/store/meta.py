"""Named values the server keeps about itself, in SQL (``MetaRepository``)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from strongroom.store.schema import meta, upsert


class SqlMetaRepository:
    """``MetaRepository`` on one connection; every call runs in that connection's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, name: str) -> bytes | None:
        """The value stored under ``name``, or None."""
        value = self._connection.execute(
            select(meta.c.value).where(meta.c.name == name)
        ).scalar_one_or_none()
        return None if value is None else bytes(value)

    def put(self, name: str, value: bytes) -> None:
        """Store ``value`` under ``name``, replacing any previous value."""
        upsert(self._connection, meta, [{"name": name, "value": value}], key=("name",))
