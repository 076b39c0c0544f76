"""Key policies: the default policy, GetKeyPolicy and ListKeyPolicies.

Policies are stored and returned; enforcing them is a later issue.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import (
    MalformedPolicyDocumentException,
    NotFoundException,
    ValidationException,
)
from strongroom.service.key_updates import update_key
from strongroom.service.keys import EmptyResult
from strongroom.service.lookup import authorized_key_id, cached_key
from strongroom.service.policy_documents import (
    DEFAULT_POLICY_NAME,
    LOCKOUT_MESSAGE,
    check_policy_document,
    default_policy,
)
from strongroom.service.principal_checks import require_existing_principals


@dataclass(frozen=True, slots=True)
class GetKeyPolicyRequest:
    key_id: str
    policy_name: str | None = None


@dataclass(frozen=True, slots=True)
class GetKeyPolicyResult:
    policy: str
    policy_name: str


async def get_key_policy(
    ctx: ServiceContext, caller: Caller, req: GetKeyPolicyRequest
) -> GetKeyPolicyResult:
    key = await cached_key(ctx, caller, req.key_id, "GetKeyPolicy", allow_alias=False)
    name = req.policy_name or DEFAULT_POLICY_NAME
    if name != DEFAULT_POLICY_NAME:
        raise NotFoundException(f"No such policy exists: {name}")
    record = key.record
    return GetKeyPolicyResult(record.policy or default_policy(record.account_id), name)


@dataclass(frozen=True, slots=True)
class ListKeyPoliciesRequest:
    key_id: str
    limit: int | None = None
    marker: str | None = None


@dataclass(frozen=True, slots=True)
class ListKeyPoliciesResult:
    policy_names: list[str]
    truncated: bool


async def list_key_policies(
    ctx: ServiceContext, caller: Caller, req: ListKeyPoliciesRequest
) -> ListKeyPoliciesResult:
    await cached_key(ctx, caller, req.key_id, "ListKeyPolicies", allow_alias=False)
    return ListKeyPoliciesResult([DEFAULT_POLICY_NAME], False)


@dataclass(frozen=True, slots=True)
class PutKeyPolicyRequest:
    key_id: str
    policy: str
    policy_name: str | None = None
    bypass_policy_lockout_safety_check: bool | None = None


async def put_key_policy(
    ctx: ServiceContext, caller: Caller, req: PutKeyPolicyRequest
) -> EmptyResult:
    name = req.policy_name or DEFAULT_POLICY_NAME
    if name != DEFAULT_POLICY_NAME:
        raise ValidationException(f"PolicyName {name} cannot be set with PutKeyPolicy.")
    parsed = check_policy_document(req.policy)
    await require_existing_principals(ctx, parsed)
    bypass = bool(req.bypass_policy_lockout_safety_check)
    conditions = {
        "kms:bypasspolicylockoutsafetycheck": ["true" if bypass else "false"],
        "kms:policyname": [name],
    }
    key_id = await authorized_key_id(ctx, caller, req.key_id, "PutKeyPolicy", conditions)
    if not bypass:
        cached = await ctx.keys.get(key_id)
        assert cached is not None
        record = cached.record
        if not await ctx.authorizer.keeps_access(caller, record.arn, record.account_id, parsed):
            raise MalformedPolicyDocumentException(LOCKOUT_MESSAGE)
    await update_key(
        ctx,
        caller,
        req.key_id,
        "PutKeyPolicy",
        lambda r: dataclasses.replace(r, policy=req.policy),
        conditions,
    )
    return EmptyResult()
