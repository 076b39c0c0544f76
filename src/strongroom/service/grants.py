"""Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant (§10).

Grants take effect at once on the node that made them and within the cache TTL
on the others; a grant token is accepted wherever the API takes one, and
RetireGrant can name a grant by its token alone.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from strongroom.domain.grants import Grant
from strongroom.domain.keys import KeyRecord
from strongroom.service.arns import account_root_arn
from strongroom.service.authorization import grant_allows
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import (
    AccessDeniedException,
    DryRunOperationException,
    InvalidGrantIdException,
    LimitExceededException,
    NotFoundException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.service.grant_tokens import grant_id_of_token, grant_ids_of, make_token
from strongroom.service.key_specs import is_asymmetric, is_hmac, is_symmetric
from strongroom.service.keys import EmptyResult
from strongroom.service.lookup import cached_key, resolve_key
from strongroom.service.markers import make_marker, read_marker
from strongroom.service.states import check_state

MAX_GRANTS_PER_KEY = 50_000
_GRANT_ID = re.compile(r"[0-9a-f]{64}")
_PRINCIPAL = re.compile(
    r"arn:aws:(iam::\d{12}:(root|user/.+|role/.+)|sts::\d{12}:assumed-role/.+/.+)|\d{12}"
)
_ALWAYS = frozenset({"CreateGrant", "RetireGrant", "DescribeKey"})
_SYMMETRIC = frozenset(
    {
        "Encrypt",
        "Decrypt",
        "ReEncryptFrom",
        "ReEncryptTo",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
    }
)
_ASYMMETRIC = {
    "ENCRYPT_DECRYPT": frozenset({"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo"}),
    "SIGN_VERIFY": frozenset({"Sign", "Verify"}),
    "KEY_AGREEMENT": frozenset({"DeriveSharedSecret"}),
}
_HMAC = frozenset({"GenerateMac", "VerifyMac"})


def _allowed_operations(record: KeyRecord) -> frozenset[str]:
    if is_symmetric(record.key_spec):
        return _ALWAYS | _SYMMETRIC
    if is_hmac(record.key_spec):
        return _ALWAYS | _HMAC
    return _ALWAYS | {"GetPublicKey"} | _ASYMMETRIC.get(record.key_usage, frozenset())


def _pairs(value: Any) -> tuple[tuple[str, str], ...] | None:
    return None if value is None else tuple(sorted(value.items()))


@dataclass(frozen=True, slots=True)
class CreateGrantRequest:
    key_id: str
    operations: list[str]
    grantee_principal: str | None = None
    retiring_principal: str | None = None
    constraints: dict[str, Any] | None = None
    grant_tokens: list[str] | None = None
    name: str | None = None
    dry_run: bool | None = None
    grantee_service_principal: str | None = None
    retiring_service_principal: str | None = None


@dataclass(frozen=True, slots=True)
class CreateGrantResult:
    grant_token: str
    grant_id: str


def _check_grant_request(req: CreateGrantRequest, record: KeyRecord) -> None:
    if req.grantee_service_principal is not None or req.retiring_service_principal is not None:
        raise UnsupportedOperationException("Service principals are not supported by this server.")
    if req.grantee_principal is None:
        raise ValidationException("GranteePrincipal is required.")
    for label, value in (
        ("granteePrincipal", req.grantee_principal),
        ("retiringPrincipal", req.retiring_principal),
    ):
        if value is not None and _PRINCIPAL.fullmatch(value) is None:
            raise ValidationException(f"Invalid {label}: {value}")
    if not req.operations:
        raise ValidationException("Operations must not be empty.")
    invalid = sorted(set(req.operations) - _allowed_operations(record))
    if invalid:
        raise ValidationException(
            f"Grant operations {invalid} are not valid for a key with spec {record.key_spec} "
            f"and usage {record.key_usage}."
        )
    constraints = req.constraints or {}
    if set(constraints) - {"EncryptionContextEquals", "EncryptionContextSubset"}:
        raise UnsupportedOperationException("Only encryption context constraints are supported.")
    if len(constraints) > 1:
        raise ValidationException(
            "A grant may have EncryptionContextEquals or EncryptionContextSubset, not both."
        )
    if constraints and is_asymmetric(record.key_spec):
        raise ValidationException(
            "Encryption context constraints are only valid for symmetric encryption keys."
        )


def _grant_conditions(req: CreateGrantRequest) -> dict[str, list[str]]:
    conditions = {
        "kms:grantoperations": list(req.operations),
        "kms:granteeprincipal": [req.grantee_principal or ""],
        "kms:grantisforawsresource": ["false"],
    }
    if req.retiring_principal:
        conditions["kms:retiringprincipal"] = [req.retiring_principal]
    for kind in req.constraints or {}:
        conditions.setdefault("kms:grantconstrainttype", []).append(kind)
    return conditions


def _normalised(pairs: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in (pairs or {}).items()}


def _check_delegation(
    caller: Caller, record: KeyRecord, via: Grant, req: CreateGrantRequest
) -> None:
    """A grantee creating a grant through its own grant may only pass on a subset of its
    operations, with constraints at least as strict (kms-semantics §10)."""
    constraints = req.constraints or {}
    equals = _normalised(constraints.get("EncryptionContextEquals"))
    subset = _normalised(constraints.get("EncryptionContextSubset"))
    narrower = set(req.operations) <= set(via.operations)
    if via.context_equals is not None:
        narrower = narrower and equals == _normalised(dict(via.context_equals))
    if via.context_subset is not None:
        required = _normalised(dict(via.context_subset)).items()
        held = equals if equals else subset
        narrower = narrower and bool(held) and all(held.get(k) == v for k, v in required)
    if not narrower:
        raise AccessDeniedException(
            f"User: {caller.principal_arn} is not authorized to perform: kms:CreateGrant on "
            f"resource: {record.arn}: a grant can only pass on the operations and constraints "
            "of the grant that allows it"
        )


async def create_grant(
    ctx: ServiceContext, caller: Caller, req: CreateGrantRequest
) -> CreateGrantResult:
    grant_ids = grant_ids_of(req.grant_tokens)
    key = await resolve_key(ctx, caller, req.key_id, "CreateGrant")
    via_grant = await ctx.authorizer.check_key(
        caller, "CreateGrant", key, lambda: _grant_conditions(req), grant_ids
    )
    check_state("CreateGrant", key.record)
    if via_grant is not None:
        _check_delegation(caller, key.record, via_grant, req)
    record = key.record
    _check_grant_request(req, record)
    assert req.grantee_principal is not None
    constraints = req.constraints or {}
    if req.dry_run:
        raise DryRunOperationException
    grant = Grant(
        grant_id=secrets.token_hex(32),
        key_id=record.key_id,
        issuing_account=caller.account_id,
        grantee_principal=req.grantee_principal,
        operations=tuple(sorted(set(req.operations))),
        created_at=ctx.clock.now(),
        name=req.name,
        retiring_principal=req.retiring_principal,
        context_equals=_pairs(constraints.get("EncryptionContextEquals")),
        context_subset=_pairs(constraints.get("EncryptionContextSubset")),
    )

    def write() -> str:
        with ctx.store.unit_of_work() as uow:
            existing = uow.grants.for_key(record.key_id)
            if req.name is not None:
                for old in existing:
                    # A retry with the same Name and parameters returns the same grant.
                    same = (
                        old.name == grant.name
                        and old.grantee_principal == grant.grantee_principal
                        and old.retiring_principal == grant.retiring_principal
                        and old.operations == grant.operations
                        and old.context_equals == grant.context_equals
                        and old.context_subset == grant.context_subset
                    )
                    if same:
                        return old.grant_id
            if len(existing) >= MAX_GRANTS_PER_KEY:
                raise LimitExceededException(f"A key may have at most {MAX_GRANTS_PER_KEY} grants.")
            uow.grants.insert(grant)
            return grant.grant_id

    grant_id = await ctx.run(write)
    ctx.authorizer.forget_grants(record.key_id)
    return CreateGrantResult(make_token(grant_id), grant_id)


@dataclass(frozen=True, slots=True)
class GrantConstraints:
    encryption_context_equals: dict[str, str] | None = None
    encryption_context_subset: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class GrantListEntry:
    key_id: str
    grant_id: str
    creation_date: float
    grantee_principal: str
    issuing_account: str
    operations: list[str]
    name: str | None = None
    retiring_principal: str | None = None
    constraints: GrantConstraints | None = None


@dataclass(frozen=True, slots=True)
class ListGrantsResult:
    grants: list[GrantListEntry]
    truncated: bool
    next_marker: str | None = None


def _entry(grant: Grant, key_arn: str) -> GrantListEntry:
    constraints = None
    if grant.context_equals is not None or grant.context_subset is not None:
        constraints = GrantConstraints(
            None if grant.context_equals is None else dict(grant.context_equals),
            None if grant.context_subset is None else dict(grant.context_subset),
        )
    return GrantListEntry(
        key_id=key_arn,
        grant_id=grant.grant_id,
        creation_date=grant.created_at,
        grantee_principal=grant.grantee_principal,
        issuing_account=account_root_arn(grant.issuing_account),
        operations=list(grant.operations),
        name=grant.name,
        retiring_principal=grant.retiring_principal,
        constraints=constraints,
    )


def _page(entries: list[GrantListEntry], limit: int | None, marker: str | None) -> ListGrantsResult:
    after = read_marker(marker)
    remaining = [e for e in entries if after is None or e.grant_id > after]
    size = limit or 50
    page = remaining[:size]
    truncated = len(remaining) > size
    return ListGrantsResult(
        grants=page,
        truncated=truncated,
        next_marker=make_marker(page[-1].grant_id) if truncated else None,
    )


@dataclass(frozen=True, slots=True)
class ListGrantsRequest:
    key_id: str
    limit: int | None = None
    marker: str | None = None
    grant_id: str | None = None
    grantee_principal: str | None = None
    grantee_service_principal: str | None = None


async def list_grants(
    ctx: ServiceContext, caller: Caller, req: ListGrantsRequest
) -> ListGrantsResult:
    key = await cached_key(ctx, caller, req.key_id, "ListGrants", allow_alias=False)
    record = key.record

    def read() -> list[Grant]:
        with ctx.store.unit_of_work(write=False) as uow:
            return uow.grants.for_key(record.key_id)

    grants = [
        g
        for g in await ctx.run(read)
        if (req.grant_id is None or g.grant_id == req.grant_id)
        and (req.grantee_principal is None or g.grantee_principal == req.grantee_principal)
    ]
    return _page([_entry(g, record.arn) for g in grants], req.limit, req.marker)


@dataclass(frozen=True, slots=True)
class ListRetirableGrantsRequest:
    retiring_principal: str | None = None
    limit: int | None = None
    marker: str | None = None
    retiring_service_principal: str | None = None


async def list_retirable_grants(
    ctx: ServiceContext, caller: Caller, req: ListRetirableGrantsRequest
) -> ListGrantsResult:
    if req.retiring_principal is None:
        raise ValidationException("RetiringPrincipal is required.")
    await ctx.authorizer.check_account(caller, "ListRetirableGrants")

    def read() -> list[tuple[Grant, str]]:
        with ctx.store.unit_of_work(write=False) as uow:
            out = []
            for g in uow.grants.retirable_by(req.retiring_principal or ""):
                key = uow.keys.get(g.key_id)
                if key is not None:
                    out.append((g, key.arn))
            return out

    found = await ctx.run(read)
    return _page([_entry(g, arn) for g, arn in found], req.limit, req.marker)


def _check_grant_id(grant_id: str) -> None:
    if _GRANT_ID.fullmatch(grant_id) is None:
        raise InvalidGrantIdException(f"Invalid grant id {grant_id}")


async def _load_grant(ctx: ServiceContext, grant_id: str) -> Grant:
    def read() -> Grant | None:
        with ctx.store.unit_of_work(write=False) as uow:
            return uow.grants.get(grant_id)

    grant = await ctx.run(read)
    if grant is None:
        raise NotFoundException(f"Grant {grant_id} does not exist.")
    return grant


async def _delete_grant(ctx: ServiceContext, grant: Grant) -> None:
    def write() -> None:
        with ctx.store.unit_of_work() as uow:
            uow.grants.delete(grant.grant_id)

    await ctx.run(write)
    ctx.authorizer.forget_grants(grant.key_id)


@dataclass(frozen=True, slots=True)
class RetireGrantRequest:
    grant_token: str | None = None
    key_id: str | None = None
    grant_id: str | None = None
    dry_run: bool | None = None


async def retire_grant(ctx: ServiceContext, caller: Caller, req: RetireGrantRequest) -> EmptyResult:
    if req.grant_token is not None:
        grant_id = grant_id_of_token(req.grant_token)
    elif req.key_id is not None and req.grant_id is not None:
        _check_grant_id(req.grant_id)
        grant_id = req.grant_id
    else:
        raise ValidationException("Either GrantToken or both KeyId and GrantId are required.")
    grant = await _load_grant(ctx, grant_id)
    if req.key_id is not None and req.grant_token is None:
        # Resolved without authorization: who may retire is decided below.
        key = await resolve_key(ctx, caller, req.key_id, "RetireGrant")
        if key.record.key_id != grant.key_id:
            raise NotFoundException(f"Grant {grant_id} does not exist.")
    # Who may retire: the retiring principal, a grantee the grant allows to,
    # or the issuing account's principals that the key's policies allow.
    principal = ctx.authorizer.principal_of(caller)
    # (A user's role_arn is None: a grant without a retiring principal must not match it.)
    retiring = grant.retiring_principal
    may_retire = (
        retiring is not None and retiring in (principal.arn, principal.role_arn)
    ) or grant_allows(grant, principal, "RetireGrant", None)
    if not may_retire:
        cached = await ctx.keys.get(grant.key_id)
        if cached is None or caller.account_id != grant.issuing_account:
            raise AccessDeniedException(
                f"User: {caller.principal_arn} is not authorized to perform: kms:RetireGrant "
                f"on grant {grant_id}"
            )
        await ctx.authorizer.check_key(caller, "RetireGrant", cached)
    if req.dry_run:
        raise DryRunOperationException
    await _delete_grant(ctx, grant)
    return EmptyResult()


@dataclass(frozen=True, slots=True)
class RevokeGrantRequest:
    key_id: str
    grant_id: str
    dry_run: bool | None = None


async def revoke_grant(ctx: ServiceContext, caller: Caller, req: RevokeGrantRequest) -> EmptyResult:
    key = await cached_key(ctx, caller, req.key_id, "RevokeGrant", allow_alias=False)
    _check_grant_id(req.grant_id)
    grant = await _load_grant(ctx, req.grant_id)
    if grant.key_id != key.record.key_id:
        raise NotFoundException(f"Grant {req.grant_id} does not exist.")
    if req.dry_run:
        raise DryRunOperationException
    await _delete_grant(ctx, grant)
    return EmptyResult()
