"""Role sessions in SQL (``SessionRepository``)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from strongroom.domain.sessions import Session
from strongroom.store.schema import constraint_errors, sessions


class SqlSessionRepository:
    """``SessionRepository`` on one connection; every call runs in that connection's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert(self, session: Session) -> None:
        with constraint_errors(self._connection, f"session {session.access_key_id}"):
            self._connection.execute(
                insert(sessions),
                [
                    {
                        "access_key_id": session.access_key_id,
                        "role_principal_id": session.role_principal_id,
                        "session_name": session.session_name,
                        "wrapped_secret": session.wrapped_secret,
                        "token_sha256": session.token_sha256,
                        "created_at": session.created_at,
                        "expires_at": session.expires_at,
                    }
                ],
            )

    def get(self, access_key_id: str) -> Session | None:
        row = self._connection.execute(
            select(sessions).where(sessions.c.access_key_id == access_key_id)
        ).one_or_none()
        if row is None:
            return None
        return Session(
            access_key_id=row.access_key_id,
            role_principal_id=row.role_principal_id,
            session_name=row.session_name,
            wrapped_secret=bytes(row.wrapped_secret),
            token_sha256=bytes(row.token_sha256),
            created_at=row.created_at,
            expires_at=row.expires_at,
        )

    def delete_expired(self, now: float) -> int:
        result = self._connection.execute(delete(sessions).where(sessions.c.expires_at < now))
        return result.rowcount
