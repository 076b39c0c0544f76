"""Grants in SQL (``GrantRepository``)."""

from __future__ import annotations

import builtins
import json
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select

from strongroom.domain.grants import Grant
from strongroom.store.schema import constraint_errors, grants


class SqlGrantRepository:
    """``GrantRepository`` on one connection; every call runs in that connection's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert(self, grant: Grant) -> None:
        """Add a grant. Raises ``Conflict`` (id taken) or ``NotFound`` (no such key)."""
        constraints: dict[str, Any] = {}
        if grant.context_equals is not None:
            constraints["EncryptionContextEquals"] = dict(grant.context_equals)
        if grant.context_subset is not None:
            constraints["EncryptionContextSubset"] = dict(grant.context_subset)
        with constraint_errors(self._connection, f"grant {grant.grant_id}"):
            self._connection.execute(
                insert(grants),
                [
                    {
                        "grant_id": grant.grant_id,
                        "key_id": grant.key_id,
                        "issuing_account": grant.issuing_account,
                        "grantee_principal": grant.grantee_principal,
                        "retiring_principal": grant.retiring_principal,
                        "name": grant.name,
                        "operations": json.dumps(list(grant.operations)),
                        "constraints": json.dumps(constraints) if constraints else None,
                        "created_at": grant.created_at,
                    }
                ],
            )

    def get(self, grant_id: str) -> Grant | None:
        row = self._connection.execute(
            select(grants).where(grants.c.grant_id == grant_id)
        ).one_or_none()
        return None if row is None else _grant(row)

    def for_key(self, key_id: str) -> builtins.list[Grant]:
        rows = self._connection.execute(
            select(grants).where(grants.c.key_id == key_id).order_by(grants.c.grant_id)
        )
        return [_grant(row) for row in rows]

    def retirable_by(self, retiring_principal: str) -> builtins.list[Grant]:
        rows = self._connection.execute(
            select(grants)
            .where(grants.c.retiring_principal == retiring_principal)
            .order_by(grants.c.grant_id)
        )
        return [_grant(row) for row in rows]

    def delete(self, grant_id: str) -> bool:
        result = self._connection.execute(delete(grants).where(grants.c.grant_id == grant_id))
        return result.rowcount == 1


def _pairs(value: Any) -> tuple[tuple[str, str], ...] | None:
    return None if value is None else tuple(sorted(value.items()))


def _grant(row: Row[Any]) -> Grant:
    constraints = json.loads(row.constraints) if row.constraints else {}
    return Grant(
        grant_id=row.grant_id,
        key_id=row.key_id,
        issuing_account=row.issuing_account,
        grantee_principal=row.grantee_principal,
        operations=tuple(json.loads(row.operations)),
        created_at=row.created_at,
        name=row.name,
        retiring_principal=row.retiring_principal,
        context_equals=_pairs(constraints.get("EncryptionContextEquals")),
        context_subset=_pairs(constraints.get("EncryptionContextSubset")),
    )
