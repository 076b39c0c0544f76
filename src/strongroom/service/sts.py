"""STS: GetCallerIdentity and AssumeRole, so role-based setups work with the SDKs unchanged.

AssumeRole checks the role's trust policy the way IAM does (a resource policy
on the role, with the caller's identity policies when it delegates to the
account) and issues temporary credentials: an ``ASIA…`` access key, a secret
stored wrapped by the root key, and a session token stored only as its hash.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass

from strongroom.domain.identities import Principal as Identity
from strongroom.domain.sessions import Session
from strongroom.policy import MalformedPolicy, parse_policy
from strongroom.service.arns import assumed_role_arn
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import AccessDeniedException, ValidationException
from strongroom.service.identities import (
    SESSION_KEY_PREFIX,
    new_access_key_id,
    new_secret_access_key,
)

MIN_DURATION = 900
MAX_DURATION = 43_200
DEFAULT_DURATION = 3_600
# A session assuming another role ("role chaining") gets at most one hour, as in AWS.
CHAINED_MAX_DURATION = 3_600
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)


@dataclass(frozen=True, slots=True)
class CallerIdentity:
    arn: str
    user_id: str
    account: str


def get_caller_identity(caller: Caller) -> CallerIdentity:
    """Who the credentials belong to (needs no permission, as in AWS)."""
    if ":assumed-role/" in caller.principal_arn:
        session = caller.principal_arn.rsplit("/", 1)[1]
        return CallerIdentity(
            caller.principal_arn, f"{caller.principal_id}:{session}", caller.account_id
        )
    return CallerIdentity(caller.principal_arn, caller.principal_id, caller.account_id)


@dataclass(frozen=True, slots=True)
class IssuedSession:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float
    assumed_role_id: str
    arn: str

    def __repr__(self) -> str:
        return f"IssuedSession({self.access_key_id!r}, {self.arn!r}, <hidden>)"


def _with_implied_resource(trust_policy: str, role_arn: str) -> str:
    """A trust policy names no Resource (it is the role itself); make that explicit so the
    policy engine, which treats a statement without Resource as matching nothing, sees it."""
    try:
        document = json.loads(trust_policy)
    except ValueError:
        return trust_policy
    if not isinstance(document, dict):
        return trust_policy
    statements = document.get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        if isinstance(statement, dict) and not {"Resource", "NotResource"} & set(statement):
            statement["Resource"] = role_arn
    return json.dumps(document)


def _denied(caller: Caller, role_arn: str) -> AccessDeniedException:
    return AccessDeniedException(
        f"User: {caller.principal_arn} is not authorized to perform: sts:AssumeRole on "
        f"resource: {role_arn}"
    )


async def assume_role(
    ctx: ServiceContext,
    caller: Caller,
    role_arn: str,
    session_name: str,
    duration_seconds: int | None,
    external_id: str | None = None,
) -> IssuedSession:
    """Temporary credentials for ``role_arn``.

    Raises AccessDeniedException or ValidationException.
    """
    if _SESSION_NAME.fullmatch(session_name) is None:
        raise ValidationException(
            f"1 validation error detected: Value '{session_name}' at 'roleSessionName' failed "
            "to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )
    duration = DEFAULT_DURATION if duration_seconds is None else duration_seconds
    if ":assumed-role/" in caller.principal_arn and duration > CHAINED_MAX_DURATION:
        raise ValidationException(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
            "by role chaining."
        )
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise ValidationException(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
            f"satisfy constraint: Member must have value between {MIN_DURATION} and {MAX_DURATION}"
        )

    def find_role() -> Identity | None:
        with ctx.store.unit_of_work(write=False) as uow:
            return uow.identities.get_principal_by_arn(role_arn)

    role = await ctx.run(find_role)
    # An unknown role and a refused one look the same to the caller, as in AWS.
    if role is None or role.kind != "role" or role.trust_policy is None:
        raise _denied(caller, role_arn)
    try:
        trust = parse_policy(
            _with_implied_resource(role.trust_policy, role.arn), resource_policy=True
        )
    except MalformedPolicy:
        raise _denied(caller, role_arn) from None
    conditions = {} if external_id is None else {"sts:externalid": [external_id]}
    if not await ctx.authorizer.may_assume(caller, role.arn, role.account_id, trust, conditions):
        raise _denied(caller, role_arn)

    now = ctx.clock.now()
    access_key_id = new_access_key_id(SESSION_KEY_PREFIX)
    secret = new_secret_access_key()
    token = secrets.token_urlsafe(96)
    session = Session(
        access_key_id=access_key_id,
        role_principal_id=role.principal_id,
        session_name=session_name,
        wrapped_secret=ctx.keystore.wrap_access_secret(access_key_id, secret.encode()),
        token_sha256=hashlib.sha256(token.encode()).digest(),
        created_at=now,
        expires_at=now + duration,
    )

    def write() -> None:
        with ctx.store.unit_of_work() as uow:
            uow.sessions.insert(session)

    await ctx.run(write)
    return IssuedSession(
        access_key_id=access_key_id,
        secret_access_key=secret,
        session_token=token,
        expiration=session.expires_at,
        assumed_role_id=f"{role.principal_id}:{session_name}",
        arn=assumed_role_arn(role.account_id, role.name, session_name),
    )
