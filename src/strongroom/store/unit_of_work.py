"""One transaction's repositories (``UnitOfWork``)."""

from __future__ import annotations

from sqlalchemy import Connection

from strongroom.domain.repositories import (
    AliasRepository,
    AuditRepository,
    GrantRepository,
    IdentityRepository,
    KeyRepository,
    LeaseRepository,
    MetaRepository,
    SessionRepository,
    TagRepository,
)
from strongroom.store.aliases import SqlAliasRepository
from strongroom.store.audit import SqlAuditRepository
from strongroom.store.grants import SqlGrantRepository
from strongroom.store.identities import SqlIdentityRepository
from strongroom.store.keys import SqlKeyRepository
from strongroom.store.leases import SqlLeaseRepository
from strongroom.store.meta import SqlMetaRepository
from strongroom.store.sessions import SqlSessionRepository
from strongroom.store.tags import SqlTagRepository


class SqlUnitOfWork:
    """The repositories of one unit of work, all bound to ``connection``.

    ``SqlStore.unit_of_work`` opens the connection's transaction before making
    this object and commits or rolls it back afterwards; this object neither
    commits nor outlives that block. ``connection`` is exposed for the store's
    own tests; the service sees only the ``UnitOfWork`` protocol.
    """

    # Declared with the protocol types: the protocol's attributes are mutable,
    # so its implementation must declare exactly those types.
    audit: AuditRepository
    keys: KeyRepository
    sessions: SessionRepository
    grants: GrantRepository
    leases: LeaseRepository
    aliases: AliasRepository
    tags: TagRepository
    identities: IdentityRepository
    meta: MetaRepository

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.audit = SqlAuditRepository(connection)
        self.keys = SqlKeyRepository(connection)
        self.sessions = SqlSessionRepository(connection)
        self.grants = SqlGrantRepository(connection)
        self.leases = SqlLeaseRepository(connection)
        self.aliases = SqlAliasRepository(connection)
        self.tags = SqlTagRepository(connection)
        self.identities = SqlIdentityRepository(connection)
        self.meta = SqlMetaRepository(connection)
