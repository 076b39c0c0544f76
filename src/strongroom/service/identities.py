"""Accounts, their admin principals and access keys (the bootstrap the CLI performs).

Secret access keys are stored only wrapped by the root key: SigV4 needs the
secret itself, so a hash would not do.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from strongroom.clock import Clock
from strongroom.crypto.wrapping import NONCE_LENGTH, RootKey, access_key_aad
from strongroom.domain.errors import Conflict
from strongroom.domain.identities import AccessKey, Account, Principal
from strongroom.domain.repositories import Store
from strongroom.service.errors import AlreadyExistsException

_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"  # noqa: S105
ADMIN_USER = "admin"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_account_id() -> str:
    # AWS account ids are 12 digits and do not start with 0 in practice.
    return str(secrets.randbelow(9 * 10**11) + 10**11)


@dataclass(frozen=True, slots=True)
class IssuedCredentials:
    """A freshly issued access key; the only time the secret is shown. ``repr`` hides it."""

    account_id: str
    principal_arn: str
    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:
        return (
            f"IssuedCredentials(account_id={self.account_id!r}, principal_arn="
            f"{self.principal_arn!r}, access_key_id={self.access_key_id!r}, secret=<hidden>)"
        )


def create_account_with_admin(
    store: Store, root_key: RootKey, clock: Clock, account_id: str | None = None
) -> IssuedCredentials:
    """Create an account, its ``admin`` user and an access key for it.

    Raises AlreadyExistsException if the account exists.
    """
    account_id = account_id or new_account_id()
    now = clock.now()
    principal = Principal(
        principal_id="AIDA" + _random(_BASE32, 17),
        account_id=account_id,
        name=ADMIN_USER,
        kind="user",
        arn=f"arn:aws:iam::{account_id}:user/{ADMIN_USER}",
        created_at=now,
    )
    access_key_id = "AKIA" + _random(_BASE32, 16)
    secret = _random(_SECRET_ALPHABET, 40)
    wrapped = root_key.wrap(
        secret.encode(), access_key_aad(access_key_id), nonce=secrets.token_bytes(NONCE_LENGTH)
    )
    try:
        with store.unit_of_work() as uow:
            uow.identities.insert_account(Account(account_id, now))
            uow.identities.insert_principal(principal)
            uow.identities.insert_access_key(
                AccessKey(access_key_id, principal.principal_id, wrapped, "Active", now)
            )
    except Conflict:
        raise AlreadyExistsException(f"Account {account_id} already exists") from None
    return IssuedCredentials(account_id, principal.arn, access_key_id, secret)
