"""The storage contract the service depends on.

Implementations live in ``strongroom.store`` (SQLAlchemy Core on SQLite or
PostgreSQL). Every method runs inside the transaction of the ``UnitOfWork`` it
belongs to; nothing is visible to others until the unit of work commits, and
``Store.unit_of_work`` returns only after a durable commit.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

from strongroom.domain.aliases import Alias
from strongroom.domain.audit import (
    AuditDigest,
    AuditEvent,
    AuditQuery,
    ChainHead,
    EventRow,
    KeyUsage,
    UsageRow,
)
from strongroom.domain.grants import Grant
from strongroom.domain.identities import AccessKey, Account, IdentityPolicy, Principal
from strongroom.domain.keys import KeyRecord, KeyVersion
from strongroom.domain.leases import Lease
from strongroom.domain.sessions import Session
from strongroom.domain.tags import Tag


class KeyRepository(Protocol):
    def insert(self, key: KeyRecord, version: KeyVersion | None) -> None:
        """Add a key with its first version (None for an EXTERNAL key awaiting material).

        Raises Conflict if the key id exists.
        """

    def get(self, key_id: str, *, for_update: bool = False) -> KeyRecord | None:
        """The key, or None. ``for_update`` locks the row until the unit of work ends."""

    def update(self, key: KeyRecord) -> None:
        """Replace the mutable fields of an existing key. Raises NotFound."""

    def list(
        self, account_id: str, region: str, *, limit: int, after_key_id: str | None
    ) -> builtins.list[KeyRecord]:
        """Keys of one account and region ordered by key id, those after ``after_key_id``."""

    def versions(self, key_id: str) -> builtins.list[KeyVersion]:
        """Every version of a key, oldest first."""

    def add_version(self, version: KeyVersion) -> None:
        """Add a version to an existing key."""

    def update_version(self, version: KeyVersion) -> None:
        """Replace the fields of an existing version (not its ids). Raises NotFound."""

    def delete_version(self, key_id: str, version_id: bytes) -> bool:
        """Remove one version; False if it did not exist."""

    def delete(self, key_id: str) -> None:
        """Remove a key, all of its versions, tags and aliases. No-op if absent."""

    def due_for_rotation(self, now: float, *, limit: int) -> builtins.list[str]:
        """Ids of Enabled keys with rotation on whose next rotation is at or before ``now``."""

    def due_for_deletion(self, now: float, *, limit: int) -> builtins.list[str]:
        """Ids of PendingDeletion keys whose deletion date is at or before ``now``."""

    def due_for_expiry(self, now: float, *, limit: int) -> builtins.list[str]:
        """Ids of keys holding imported material whose ValidTo is at or before ``now``."""


class AliasRepository(Protocol):
    def insert(self, alias: Alias) -> None:
        """Add an alias. Raises Conflict if the name exists in that account and region."""

    def get(self, account_id: str, region: str, name: str) -> Alias | None: ...

    def update_target(
        self, account_id: str, region: str, name: str, target_key_id: str, updated_at: float
    ) -> None:
        """Point an alias at another key. Raises NotFound."""

    def delete(self, account_id: str, region: str, name: str) -> bool:
        """Remove an alias; False if it did not exist."""

    def list(
        self,
        account_id: str,
        region: str,
        *,
        target_key_id: str | None,
        limit: int,
        after_name: str | None,
    ) -> builtins.list[Alias]:
        """Aliases ordered by name, optionally only those of one key."""

    def count_for_key(self, key_id: str) -> int: ...


class TagRepository(Protocol):
    def list(self, key_id: str) -> builtins.list[Tag]:
        """Tags of a key ordered by tag key."""

    def put(self, key_id: str, tags: Sequence[Tag]) -> None:
        """Insert or overwrite tags."""

    def delete(self, key_id: str, tag_keys: Sequence[str]) -> None:
        """Remove tags; missing keys are ignored."""


class IdentityRepository(Protocol):
    def insert_account(self, account: Account) -> None:
        """Raises Conflict if the account exists."""

    def get_account(self, account_id: str) -> Account | None: ...

    def list_accounts(self) -> builtins.list[Account]: ...

    def insert_principal(self, principal: Principal) -> None:
        """Raises Conflict if the principal id or ARN exists."""

    def get_principal(self, principal_id: str) -> Principal | None: ...

    def get_principal_by_arn(self, arn: str) -> Principal | None: ...

    def insert_access_key(self, key: AccessKey) -> None:
        """Raises Conflict if the access key id exists."""

    def get_access_key(self, access_key_id: str) -> AccessKey | None: ...

    def list_access_keys(self, principal_id: str) -> builtins.list[AccessKey]: ...

    def set_access_key_status(self, access_key_id: str, status: str) -> None:
        """Raises NotFound if the access key does not exist."""

    def delete_access_key(self, access_key_id: str) -> bool: ...

    def list_principals(self, account_id: str) -> builtins.list[Principal]:
        """Users and roles of an account, ordered by ARN."""

    def put_policy(self, policy: IdentityPolicy) -> None:
        """Attach (or replace) an inline policy. Raises NotFound if the principal is absent."""

    def delete_policy(self, principal_id: str, name: str) -> bool: ...

    def list_policies(self, principal_id: str) -> builtins.list[IdentityPolicy]:
        """Inline policies of a principal, ordered by name."""


class MetaRepository(Protocol):
    """Small named values the server keeps about itself (e.g. the root key check value)."""

    def get(self, name: str) -> bytes | None: ...

    def put(self, name: str, value: bytes) -> None: ...


class LeaseRepository(Protocol):
    """Named, expiring leases: how exactly one node at a time runs the background jobs."""

    def try_acquire(self, name: str, holder: str, now: float, ttl: float) -> bool:
        """Take or renew the lease if it is free, expired or already ``holder``'s. True if held."""

    def get(self, name: str) -> Lease | None: ...


class GrantRepository(Protocol):
    def insert(self, grant: Grant) -> None:
        """Raises Conflict if the grant id exists, NotFound if the key does not."""

    def get(self, grant_id: str) -> Grant | None: ...

    def for_key(self, key_id: str) -> builtins.list[Grant]:
        """Grants of a key, ordered by grant id."""

    def retirable_by(self, retiring_principal: str) -> builtins.list[Grant]:
        """Grants (on any key) whose retiring principal is ``retiring_principal``, by grant id."""

    def delete(self, grant_id: str) -> bool: ...


class SessionRepository(Protocol):
    def insert(self, session: Session) -> None:
        """Raises Conflict if the access key id exists."""

    def get(self, access_key_id: str) -> Session | None: ...

    def delete_expired(self, now: float) -> int:
        """Remove sessions that expired before ``now``; how many were removed."""


class ChainWriter(Protocol):
    """What appending events to the audit chain needs (a part of ``AuditRepository``)."""

    def head(self, *, for_update: bool = False) -> ChainHead:
        """The chain head; ``for_update`` locks it until the transaction ends (the chain's
        writer lock: take it before reading anything the next events depend on)."""

    def set_head(self, seq: int, hash: bytes) -> None: ...

    def insert_events(self, events: Sequence[AuditEvent]) -> None: ...

    def put_key_usage(self, usages: Sequence[KeyUsage]) -> None:
        """Insert or overwrite the last usage of each key."""


@runtime_checkable
class RowWriter(Protocol):
    """The chain as group commit writes it: plain rows, as the driver takes them.

    Building an ``AuditEvent`` and a ``KeyUsage`` per event only to take them
    apart again into driver parameters costs more than the rest of the
    writer's Python work; ``strongroom.audit.chain.append_rows`` hands the
    driver its tuples directly.
    """

    def head(self, *, for_update: bool = False) -> ChainHead: ...

    def set_head(self, seq: int, hash: bytes) -> None: ...

    def insert_event_rows(self, rows: Sequence[EventRow]) -> None: ...

    def put_key_usage_rows(self, rows: Sequence[UsageRow]) -> None:
        """Insert or overwrite the last usage of each key (one row per key)."""


class AuditAppender(Protocol):
    """Group commit's writer: a database connection of its own, used by one thread at a time.

    Cheaper per transaction than a unit of work (no pool checkout, no SQL toolkit
    on the path), which matters because every API call waits for one.
    """

    def transaction(self) -> AbstractContextManager[RowWriter]:
        """A transaction that commits durably when the block exits normally."""

    def close(self) -> None: ...


class AuditRepository(Protocol):
    """The audit trail: one hash chain of events per database, its digests and key usage."""

    def head(self, *, for_update: bool = False) -> ChainHead:
        """The chain head; ``for_update`` locks it until the unit of work ends (the chain's
        writer lock: take it before reading anything the next events depend on)."""

    def set_head(self, seq: int, hash: bytes) -> None: ...

    def set_anchor(self, seq: int, hash: bytes) -> None:
        """Record that events up to ``seq`` (whose last hash is ``hash``) were pruned."""

    def insert_events(self, events: Sequence[AuditEvent]) -> None: ...

    def events(self, query: AuditQuery) -> builtins.list[AuditEvent]:
        """Events matching ``query`` with seq > ``query.after_seq``, by seq, at most ``limit``."""

    def delete_events_through(self, seq: int) -> int:
        """Remove events with seq <= ``seq``; how many were removed."""

    def last_seq_before(self, time: float) -> int:
        """The highest seq of an event with event_time < ``time`` (0 if none)."""

    def insert_digest(self, digest: AuditDigest) -> None:
        """Raises Conflict if a digest with that number exists."""

    def last_digest(self) -> AuditDigest | None: ...

    def digests(self) -> builtins.list[AuditDigest]:
        """Every digest, by number."""

    def put_key_usage(self, usages: Sequence[KeyUsage]) -> None:
        """Insert or overwrite the last usage of each key."""

    def key_usage(self, key_arn: str) -> KeyUsage | None: ...


class UnitOfWork(Protocol):
    audit: AuditRepository
    keys: KeyRepository
    sessions: SessionRepository
    grants: GrantRepository
    leases: LeaseRepository
    aliases: AliasRepository
    tags: TagRepository
    identities: IdentityRepository
    meta: MetaRepository


class Store(Protocol):
    def unit_of_work(self, *, write: bool = True) -> AbstractContextManager[UnitOfWork]:
        """A transaction: commits durably when the block exits normally, rolls back on error."""

    def migrate(self) -> None:
        """Bring the schema to the newest migration."""

    def audit_appender(self) -> AuditAppender:
        """A new writer of the audit chain with its own connection (close it when done)."""

    def reclaim(self) -> None:
        """Make rows deleted so far unrecoverable from the database files.

        SQLite: secure_delete zeroes freed pages; this checkpoints and truncates
        the WAL, which still holds their old images. PostgreSQL: VACUUM the
        tables that held key material.
        """

    def close(self) -> None: ...
