"""Accounts, principals and access keys in SQL (``IdentityRepository``)."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from strongroom.domain.errors import NotFound
from strongroom.domain.identities import AccessKey, Account, IdentityPolicy, Principal
from strongroom.store.schema import (
    access_keys,
    accounts,
    constraint_errors,
    identity_policies,
    principals,
    upsert,
)


class SqlIdentityRepository:
    """``IdentityRepository`` on one connection; every call runs in that connection's transaction.

    The store checks uniqueness only: that a principal's account or an access
    key's principal exists is the caller's concern.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert_account(self, account: Account) -> None:
        """Add an account. Raises ``Conflict`` if the account id exists."""
        with constraint_errors(self._connection, f"account {account.account_id}"):
            self._connection.execute(
                insert(accounts),
                [{"account_id": account.account_id, "created_at": account.created_at}],
            )

    def get_account(self, account_id: str) -> Account | None:
        """The account, or None."""
        row = self._connection.execute(
            select(accounts).where(accounts.c.account_id == account_id)
        ).one_or_none()
        return (
            None if row is None else Account(account_id=row.account_id, created_at=row.created_at)
        )

    def list_accounts(self) -> list[Account]:
        """Every account, ordered by account id."""
        rows = self._connection.execute(select(accounts).order_by(accounts.c.account_id))
        return [Account(account_id=row.account_id, created_at=row.created_at) for row in rows]

    def insert_principal(self, principal: Principal) -> None:
        """Add a principal. Raises ``Conflict`` if the principal id or the ARN exists."""
        with constraint_errors(self._connection, f"principal {principal.arn}"):
            self._connection.execute(
                insert(principals),
                [
                    {
                        "principal_id": principal.principal_id,
                        "account_id": principal.account_id,
                        "name": principal.name,
                        "kind": principal.kind,
                        "arn": principal.arn,
                        "created_at": principal.created_at,
                        "trust_policy": principal.trust_policy,
                    }
                ],
            )

    def get_principal(self, principal_id: str) -> Principal | None:
        """The principal with that unique id, or None."""
        row = self._connection.execute(
            select(principals).where(principals.c.principal_id == principal_id)
        ).one_or_none()
        return None if row is None else _principal(row)

    def get_principal_by_arn(self, arn: str) -> Principal | None:
        """The principal with that ARN (compared exactly), or None."""
        row = self._connection.execute(
            select(principals).where(principals.c.arn == arn)
        ).one_or_none()
        return None if row is None else _principal(row)

    def insert_access_key(self, key: AccessKey) -> None:
        """Add an access key. Raises ``Conflict`` if the access key id exists."""
        with constraint_errors(self._connection, f"access key {key.access_key_id}"):
            self._connection.execute(
                insert(access_keys),
                [
                    {
                        "access_key_id": key.access_key_id,
                        "principal_id": key.principal_id,
                        "wrapped_secret": key.wrapped_secret,
                        "status": key.status,
                        "created_at": key.created_at,
                    }
                ],
            )

    def get_access_key(self, access_key_id: str) -> AccessKey | None:
        """The access key, or None."""
        row = self._connection.execute(
            select(access_keys).where(access_keys.c.access_key_id == access_key_id)
        ).one_or_none()
        return None if row is None else _access_key(row)

    def list_access_keys(self, principal_id: str) -> list[AccessKey]:
        """The principal's access keys, oldest first (ties by access key id)."""
        rows = self._connection.execute(
            select(access_keys)
            .where(access_keys.c.principal_id == principal_id)
            .order_by(access_keys.c.created_at, access_keys.c.access_key_id)
        )
        return [_access_key(row) for row in rows]

    def set_access_key_status(self, access_key_id: str, status: str) -> None:
        """Set an access key Active or Inactive. Raises ``NotFound`` if it does not exist."""
        result = self._connection.execute(
            update(access_keys)
            .where(access_keys.c.access_key_id == access_key_id)
            .values(status=status)
        )
        if result.rowcount != 1:
            raise NotFound(f"access key {access_key_id} does not exist")

    def delete_access_key(self, access_key_id: str) -> bool:
        """Remove an access key; False if it did not exist."""
        result = self._connection.execute(
            delete(access_keys).where(access_keys.c.access_key_id == access_key_id)
        )
        return result.rowcount == 1

    def list_principals(self, account_id: str) -> builtins.list[Principal]:
        """Users and roles of an account, ordered by ARN."""
        rows = self._connection.execute(
            select(principals)
            .where(principals.c.account_id == account_id)
            .order_by(principals.c.arn)
        )
        return [_principal(row) for row in rows]

    def put_policy(self, policy: IdentityPolicy) -> None:
        """Attach or replace an inline policy. Raises ``NotFound`` if the principal is absent."""
        with constraint_errors(self._connection, f"policy {policy.name}"):
            upsert(
                self._connection,
                identity_policies,
                [
                    {
                        "principal_id": policy.principal_id,
                        "policy_name": policy.name,
                        "document": policy.document,
                    }
                ],
                key=("principal_id", "policy_name"),
            )

    def delete_policy(self, principal_id: str, name: str) -> bool:
        """Detach an inline policy; False if there was none of that name."""
        result = self._connection.execute(
            delete(identity_policies).where(
                identity_policies.c.principal_id == principal_id,
                identity_policies.c.policy_name == name,
            )
        )
        return result.rowcount == 1

    def list_policies(self, principal_id: str) -> builtins.list[IdentityPolicy]:
        """Inline policies of a principal, ordered by name."""
        rows = self._connection.execute(
            select(identity_policies)
            .where(identity_policies.c.principal_id == principal_id)
            .order_by(identity_policies.c.policy_name)
        )
        return [IdentityPolicy(r.principal_id, r.policy_name, r.document) for r in rows]


def _principal(row: Row[Any]) -> Principal:
    return Principal(
        principal_id=row.principal_id,
        account_id=row.account_id,
        name=row.name,
        kind=row.kind,
        arn=row.arn,
        created_at=row.created_at,
        trust_policy=row.trust_policy,
    )


def _access_key(row: Row[Any]) -> AccessKey:
    return AccessKey(
        access_key_id=row.access_key_id,
        principal_id=row.principal_id,
        wrapped_secret=bytes(row.wrapped_secret),
        status=row.status,
        created_at=row.created_at,
    )
