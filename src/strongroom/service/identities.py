"""Accounts, their admin principals and access keys (the bootstrap the CLI performs).

Secret access keys are stored only wrapped by the root key: SigV4 needs the
secret itself, so a hash would not do.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from strongroom.clock import Clock
from strongroom.crypto.wrapping import NONCE_LENGTH, RootKey, access_key_aad
from strongroom.domain.errors import Conflict, NotFound
from strongroom.domain.identities import AccessKey, Account, IdentityPolicy, Principal
from strongroom.domain.repositories import Store, UnitOfWork
from strongroom.service.errors import (
    AlreadyExistsException,
    NotFoundException,
    ValidationException,
)
from strongroom.service.policy_documents import check_identity_policy

_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"  # noqa: S105
ADMIN_USER = "admin"
# Access key ids of temporary (AssumeRole) credentials start with ASIA, as in AWS.
SESSION_KEY_PREFIX = "ASIA"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_access_key_id(prefix: str = "AKIA") -> str:
    """An access key id: AKIA for long-term keys, ASIA for temporary ones, as in AWS."""
    return prefix + _random(_BASE32, 16)


def new_secret_access_key() -> str:
    return _random(_SECRET_ALPHABET, 40)


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


ADMIN_POLICY_NAME = "AdministratorAccess"
ADMIN_POLICY = (
    '{"Version": "2012-10-17", "Statement": '
    '[{"Sid": "AdministratorAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}'
)
_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


def _new_principal(
    account_id: str, name: str, kind: str, now: float, trust: str | None
) -> Principal:
    if _NAME.fullmatch(name) is None:
        raise ValidationException(f"Invalid {kind} name {name!r}: 1-64 of [A-Za-z0-9+=,.@_-].")
    prefix = "AIDA" if kind == "user" else "AROA"
    return Principal(
        principal_id=prefix + _random(_BASE32, 17),
        account_id=account_id,
        name=name,
        kind=kind,
        arn=f"arn:aws:iam::{account_id}:{kind}/{name}",
        created_at=now,
        trust_policy=trust,
    )


def _new_access_key(root_key: RootKey, principal_id: str, now: float) -> tuple[AccessKey, str]:
    access_key_id = new_access_key_id()
    secret = new_secret_access_key()
    wrapped = root_key.wrap(
        secret.encode(), access_key_aad(access_key_id), nonce=secrets.token_bytes(NONCE_LENGTH)
    )
    return AccessKey(access_key_id, principal_id, wrapped, "Active", now), secret


def create_account_with_admin(
    store: Store, root_key: RootKey, clock: Clock, account_id: str | None = None
) -> IssuedCredentials:
    """Create an account, its ``admin`` user and an access key for it.

    Raises AlreadyExistsException if the account exists.
    """
    account_id = account_id or new_account_id()
    now = clock.now()
    principal = _new_principal(account_id, ADMIN_USER, "user", now, None)
    access_key, secret = _new_access_key(root_key, principal.principal_id, now)
    try:
        with store.unit_of_work() as uow:
            uow.identities.insert_account(Account(account_id, now))
            uow.identities.insert_principal(principal)
            uow.identities.insert_access_key(access_key)
            # The admin may do everything in its account, as an IAM administrator can.
            uow.identities.put_policy(
                IdentityPolicy(principal.principal_id, ADMIN_POLICY_NAME, ADMIN_POLICY)
            )
    except Conflict:
        raise AlreadyExistsException(f"Account {account_id} already exists") from None
    return IssuedCredentials(account_id, principal.arn, access_key.access_key_id, secret)


def create_principal(
    store: Store,
    clock: Clock,
    account_id: str,
    name: str,
    *,
    kind: str,
    trust_policy: str | None = None,
) -> Principal:
    """Create a user or role.

    Raises NotFoundException (no such account) or AlreadyExistsException.
    """
    if kind not in ("user", "role"):
        raise ValidationException("kind must be user or role")
    if trust_policy is not None:
        check_identity_policy(trust_policy, resource_policy=True)
    principal = _new_principal(account_id, name, kind, clock.now(), trust_policy)
    with store.unit_of_work() as uow:
        if uow.identities.get_account(account_id) is None:
            raise NotFoundException(f"Account {account_id} does not exist")
        try:
            uow.identities.insert_principal(principal)
        except Conflict:
            raise AlreadyExistsException(f"{principal.arn} already exists") from None
    return principal


def _principal_by_arn(uow: UnitOfWork, arn: str) -> Principal:
    principal = uow.identities.get_principal_by_arn(arn)
    if principal is None:
        raise NotFoundException(f"{arn} does not exist")
    return principal


def create_access_key(
    store: Store, root_key: RootKey, clock: Clock, principal_arn: str
) -> IssuedCredentials:
    """A new access key for a user (roles get credentials from AssumeRole)."""
    with store.unit_of_work() as uow:
        principal = _principal_by_arn(uow, principal_arn)
        if principal.kind != "user":
            raise ValidationException("Only users have access keys.")
        access_key, secret = _new_access_key(root_key, principal.principal_id, clock.now())
        uow.identities.insert_access_key(access_key)
    return IssuedCredentials(principal.account_id, principal.arn, access_key.access_key_id, secret)


def set_access_key_status(store: Store, access_key_id: str, active: bool) -> None:
    """Activate or deactivate an access key. Raises NotFoundException."""
    try:
        with store.unit_of_work() as uow:
            uow.identities.set_access_key_status(access_key_id, "Active" if active else "Inactive")
    except NotFound:
        raise NotFoundException(f"Access key {access_key_id} does not exist") from None


def access_key_owner(store: Store, access_key_id: str) -> Principal | None:
    """The user an access key belongs to, or None."""
    with store.unit_of_work(write=False) as uow:
        key = uow.identities.get_access_key(access_key_id)
        return None if key is None else uow.identities.get_principal(key.principal_id)


def put_identity_policy(store: Store, principal_arn: str, name: str, document: str) -> str:
    """Attach or replace an inline policy.

    Returns the principal id. Raises MalformedPolicyDocumentException or NotFoundException.
    """
    check_identity_policy(document, resource_policy=False)
    if _NAME.fullmatch(name) is None:
        raise ValidationException(f"Invalid policy name {name!r}.")
    with store.unit_of_work() as uow:
        principal = _principal_by_arn(uow, principal_arn)
        uow.identities.put_policy(IdentityPolicy(principal.principal_id, name, document))
    return principal.principal_id


def delete_identity_policy(store: Store, principal_arn: str, name: str) -> str:
    """Detach an inline policy; returns the principal id. Raises NotFoundException."""
    with store.unit_of_work() as uow:
        principal = _principal_by_arn(uow, principal_arn)
        if not uow.identities.delete_policy(principal.principal_id, name):
            raise NotFoundException(f"{principal_arn} has no policy named {name}")
    return principal.principal_id


def describe_account(store: Store, account_id: str) -> list[dict[str, object]]:
    """Users and roles of an account with their access keys and policy names (no secrets)."""
    with store.unit_of_work(write=False) as uow:
        if uow.identities.get_account(account_id) is None:
            raise NotFoundException(f"Account {account_id} does not exist")
        return [
            {
                "Arn": p.arn,
                "Kind": p.kind,
                "PrincipalId": p.principal_id,
                "AccessKeys": [
                    {"AccessKeyId": k.access_key_id, "Status": k.status}
                    for k in uow.identities.list_access_keys(p.principal_id)
                ],
                "Policies": [x.name for x in uow.identities.list_policies(p.principal_id)],
            }
            for p in uow.identities.list_principals(account_id)
        ]


# Registered services (applications that call KMS on behalf of their users, as
# AWS services do) live in this reserved account, which holds no keys.
SERVICES_ACCOUNT = "000000000000"
_SERVICE_NAME = re.compile(r"[a-z][a-z0-9-]{1,62}")


def register_service(store: Store, root_key: RootKey, clock: Clock, name: str) -> IssuedCredentials:
    """Register an application as the service ``name`` and issue its access key.

    Its requests must name the principal they act for (X-Strongroom-On-Behalf-Of);
    they are then authorized as that principal with kms:ViaService set to
    ``<name>.<region>.amazonaws.com``.
    """
    if _SERVICE_NAME.fullmatch(name) is None:
        raise ValidationException("A service name is 2-63 of [a-z0-9-], starting with a letter.")
    now = clock.now()
    principal = Principal(
        principal_id="AIDA" + _random(_BASE32, 17),
        account_id=SERVICES_ACCOUNT,
        name=name,
        kind="service",
        arn=f"arn:aws:iam::{SERVICES_ACCOUNT}:user/service/{name}",
        created_at=now,
    )
    access_key, secret = _new_access_key(root_key, principal.principal_id, now)
    with store.unit_of_work() as uow:
        if uow.identities.get_account(SERVICES_ACCOUNT) is None:
            uow.identities.insert_account(Account(SERVICES_ACCOUNT, now))
        try:
            uow.identities.insert_principal(principal)
        except Conflict:
            raise AlreadyExistsException(f"Service {name} is already registered") from None
        uow.identities.insert_access_key(access_key)
    return IssuedCredentials(SERVICES_ACCOUNT, principal.arn, access_key.access_key_id, secret)
