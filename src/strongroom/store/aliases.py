"""Aliases in SQL (``AliasRepository``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from strongroom.domain.aliases import Alias
from strongroom.domain.errors import NotFound
from strongroom.store.schema import aliases, constraint_errors


class SqlAliasRepository:
    """``AliasRepository`` on one connection; every call runs in that connection's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert(self, alias: Alias) -> None:
        """Add an alias.

        Raises ``Conflict`` if the name exists in that account and region, and
        ``NotFound`` if the target key does not exist.
        """
        with constraint_errors(
            self._connection, _subject(alias.account_id, alias.region, alias.name)
        ):
            self._connection.execute(
                insert(aliases),
                [
                    {
                        "account_id": alias.account_id,
                        "region": alias.region,
                        "name": alias.name,
                        "target_key_id": alias.target_key_id,
                        "created_at": alias.created_at,
                        "updated_at": alias.updated_at,
                    }
                ],
            )

    def get(self, account_id: str, region: str, name: str) -> Alias | None:
        """The alias, or None."""
        row = self._connection.execute(
            select(aliases).where(
                aliases.c.account_id == account_id,
                aliases.c.region == region,
                aliases.c.name == name,
            )
        ).one_or_none()
        return None if row is None else _alias(row)

    def update_target(
        self, account_id: str, region: str, name: str, target_key_id: str, updated_at: float
    ) -> None:
        """Point an alias at another key.

        Raises ``NotFound`` if the alias or the new target key does not exist.
        """
        subject = _subject(account_id, region, name)
        with constraint_errors(self._connection, subject):
            result = self._connection.execute(
                update(aliases)
                .where(
                    aliases.c.account_id == account_id,
                    aliases.c.region == region,
                    aliases.c.name == name,
                )
                .values(target_key_id=target_key_id, updated_at=updated_at)
            )
        if result.rowcount == 0:
            raise NotFound(f"{subject} does not exist")

    def delete(self, account_id: str, region: str, name: str) -> bool:
        """Remove an alias; False if it did not exist."""
        result = self._connection.execute(
            delete(aliases).where(
                aliases.c.account_id == account_id,
                aliases.c.region == region,
                aliases.c.name == name,
            )
        )
        return result.rowcount > 0

    def list(
        self,
        account_id: str,
        region: str,
        *,
        target_key_id: str | None,
        limit: int,
        after_name: str | None,
    ) -> list[Alias]:
        """Up to ``limit`` aliases of one account and region with names after ``after_name``.

        Ordered by name (byte order); only those pointing at ``target_key_id``
        if it is given. Raises ``ValueError`` if ``limit`` < 1.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        query = select(aliases).where(
            aliases.c.account_id == account_id, aliases.c.region == region
        )
        if target_key_id is not None:
            query = query.where(aliases.c.target_key_id == target_key_id)
        if after_name is not None:
            query = query.where(aliases.c.name > after_name)
        rows = self._connection.execute(query.order_by(aliases.c.name).limit(limit))
        return [_alias(row) for row in rows]

    def count_for_key(self, key_id: str) -> int:
        """How many aliases point at the key."""
        count = self._connection.execute(
            select(func.count()).select_from(aliases).where(aliases.c.target_key_id == key_id)
        ).scalar_one()
        return int(count)


def _subject(account_id: str, region: str, name: str) -> str:
    return f"alias {name} in {account_id}/{region}"


def _alias(row: Row[Any]) -> Alias:
    return Alias(
        account_id=row.account_id,
        region=row.region,
        name=row.name,
        target_key_id=row.target_key_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
