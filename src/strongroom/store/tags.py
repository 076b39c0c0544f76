"""Tags on keys in SQL (``TagRepository``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, select

from strongroom.domain.tags import Tag
from strongroom.store.schema import constraint_errors, upsert
from strongroom.store.schema import tags as tags_table


class SqlTagRepository:
    """``TagRepository`` on one connection; every call runs in that connection's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def list(self, key_id: str) -> list[Tag]:
        """Tags of a key ordered by tag key (byte order); [] for an unknown key."""
        rows = self._connection.execute(
            select(tags_table.c.tag_key, tags_table.c.tag_value)
            .where(tags_table.c.key_id == key_id)
            .order_by(tags_table.c.tag_key)
        )
        return [Tag(key=row.tag_key, value=row.tag_value) for row in rows]

    def put(self, key_id: str, tags: Sequence[Tag]) -> None:
        """Insert or overwrite tags.

        If ``tags`` names a tag key twice, the last value wins. Raises
        ``NotFound`` if the key does not exist (and writes nothing).
        """
        # One row per tag key: the last value wins, and a batched upsert may
        # not touch the same row twice.
        latest = {tag.key: tag.value for tag in tags}
        rows = [
            {"key_id": key_id, "tag_key": tag_key, "tag_value": value}
            for tag_key, value in latest.items()
        ]
        if not rows:
            return
        with constraint_errors(self._connection, f"tags of key {key_id}"):
            upsert(self._connection, tags_table, rows, key=("key_id", "tag_key"))

    def delete(self, key_id: str, tag_keys: Sequence[str]) -> None:
        """Remove the named tags; tag keys the key does not have are ignored."""
        if not tag_keys:
            return
        self._connection.execute(
            delete(tags_table).where(
                tags_table.c.key_id == key_id, tags_table.c.tag_key.in_(list(tag_keys))
            )
        )
