"""Expiring named leases in SQL (``LeaseRepository``)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from strongroom.domain.errors import Conflict
from strongroom.domain.leases import Lease
from strongroom.store.schema import constraint_errors, leases


class SqlLeaseRepository:
    """``LeaseRepository`` on one connection; every call runs in that connection's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def try_acquire(self, name: str, holder: str, now: float, ttl: float) -> bool:
        """Take or renew the lease if it is free, expired or already ``holder``'s. True if held.

        One conditional UPDATE decides between contenders: the database applies
        it to the row atomically, so two nodes can never both see it succeed.
        """
        taken = self._connection.execute(
            update(leases)
            .where(
                leases.c.name == name,
                (leases.c.holder == holder) | (leases.c.expires_at <= now),
            )
            .values(holder=holder, expires_at=now + ttl)
        )
        if taken.rowcount == 1:
            return True
        exists = self._connection.execute(
            select(leases.c.name).where(leases.c.name == name)
        ).first()
        if exists is not None:
            return False
        try:
            with constraint_errors(self._connection, f"lease {name}"):
                self._connection.execute(
                    insert(leases), [{"name": name, "holder": holder, "expires_at": now + ttl}]
                )
        except Conflict:
            return False
        return True

    def get(self, name: str) -> Lease | None:
        row = self._connection.execute(select(leases).where(leases.c.name == name)).first()
        return None if row is None else Lease(row.name, row.holder, row.expires_at)
