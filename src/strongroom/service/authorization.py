"""Authorization of every call: key policies, the caller's identity policies, AWS's logic.

The decision itself is the pure ``strongroom.policy`` engine; this module
gathers its inputs (the parsed key policy, the caller's parsed identity
policies, the condition context) and turns a refusal into AWS's
``AccessDeniedException``.

Identity policies are cached per principal for the cache TTL, like keys and
credentials, so a policy change reaches every node within that bound. When
neither the key policy nor the caller's policies have any condition, a
decision depends only on (principal, key revision, action) and is remembered
until either side changes: the hot path then costs one dictionary lookup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from strongroom.clock import iso_utc
from strongroom.domain.grants import Grant
from strongroom.domain.keys import KeyRecord
from strongroom.domain.repositories import Store
from strongroom.policy import MalformedPolicy, Policy, Principal, Request, authorize, parse_policy
from strongroom.policy.evaluate import Denial
from strongroom.service.caller import Caller
from strongroom.service.errors import AccessDeniedException
from strongroom.service.key_cache import CachedKey, TtlCache
from strongroom.service.policy_documents import default_policy
from strongroom.service.request_info import current_request

_DECISIONS_MAX = 10_000
# kms:ResourceAliases is not evaluated for keys with more aliases than this (§9.4).
MAX_RESOURCE_ALIASES = 50

# A request's own condition keys, or a function that builds them: they are only
# needed when some policy has conditions, so the hot path passes the function.
Conditions = Mapping[str, Sequence[str]] | Callable[[], Mapping[str, Sequence[str]]]


@dataclass(slots=True)
class IdentityPolicies:
    policies: tuple[Policy, ...]
    has_conditions: bool
    # (key id, key revision, action) -> allowed, valid while this object is.
    decisions: dict[tuple[str, int, str], bool] = field(default_factory=dict)


def _has_conditions(policy: Policy) -> bool:
    return any(statement.conditions for statement in policy.statements)


def access_denied(
    caller: Caller, action: str, resource: str, denial: Denial | None
) -> AccessDeniedException:
    """AWS's message: why, in the four kinds its AccessDeniedException tells apart."""
    if denial in (Denial.EXPLICIT_DENY_IN_KEY_POLICY, Denial.EXPLICIT_DENY_IN_IDENTITY_POLICY):
        assert denial is not None
        because = f"with an {denial.value}"
    elif denial is Denial.NO_IDENTITY_POLICY_ALLOWS:
        because = f"because no identity-based policy allows the {action} action"
    else:
        because = f"because no resource-based policy allows the {action} action"
    return AccessDeniedException(
        f"User: {caller.principal_arn} is not authorized to perform: {action} "
        f"on resource: {resource} {because}"
    )


def _grant_context(conditions: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The request's encryption context (keys lower-cased) from its condition keys."""
    prefix = "kms:encryptioncontext:"
    return {k[len(prefix) :]: v[0] for k, v in conditions.items() if k.startswith(prefix) and v}


def grant_allows(
    grant: Grant, principal: Principal, operation: str, context: Mapping[str, str] | None
) -> bool:
    """Whether ``grant`` lets ``principal`` call ``operation`` with this encryption context.

    Constraint keys compare case-insensitively, values exactly (kms-semantics
    §10); context constraints do not apply to DescribeKey and RetireGrant.
    """
    if grant.grantee_principal not in (principal.arn, principal.role_arn):
        return False
    if operation not in grant.operations:
        return False
    # Context constraints do not apply to these; for CreateGrant the new grant's
    # constraints are compared with this one's by the operation itself.
    if operation in ("DescribeKey", "RetireGrant", "CreateGrant"):
        return True
    request = context or {}
    if grant.context_equals is not None:
        wanted = {k.lower(): v for k, v in grant.context_equals}
        if request != wanted:
            return False
    if grant.context_subset is not None:
        for name, value in grant.context_subset:
            if request.get(name.lower()) != value:
                return False
    return True


class Authorizer:
    def __init__(self, store: Store, *, ttl: float, now: Callable[[], float]) -> None:
        self._store = store
        self._now = now
        self._identities: TtlCache[IdentityPolicies] = TtlCache(self._load, ttl=ttl)
        self._grants: TtlCache[tuple[Grant, ...]] = TtlCache(self._load_grants, ttl=ttl)
        self._key_policies: dict[tuple[str, int], tuple[Policy | None, bool]] = {}
        self._principals: dict[str, Principal] = {}

    def _load(self, principal_id: str) -> IdentityPolicies:
        with self._store.unit_of_work(write=False) as uow:
            stored = uow.identities.list_policies(principal_id)
        parsed = []
        for item in stored:
            try:
                parsed.append(parse_policy(item.document, resource_policy=False))
            except MalformedPolicy:
                # Documents are validated when attached; one that no longer
                # parses grants nothing rather than failing every call.
                continue
        policies = tuple(parsed)
        return IdentityPolicies(policies, any(_has_conditions(p) for p in policies))

    def _load_grants(self, key_id: str) -> tuple[Grant, ...]:
        with self._store.unit_of_work(write=False) as uow:
            return tuple(uow.grants.for_key(key_id))

    async def grants_for(self, key_id: str) -> tuple[Grant, ...]:
        hit, value = self._grants.fresh(key_id)
        if not hit:
            value = await self._grants.get(key_id)
        return value or ()

    def forget_grants(self, key_id: str) -> None:
        self._grants.invalidate(key_id)

    async def _identity(self, caller: Caller) -> IdentityPolicies:
        hit, value = self._identities.fresh(caller.principal_id)
        if not hit:
            value = await self._identities.get(caller.principal_id)
        assert value is not None
        return value

    def _key_policy(self, record: KeyRecord) -> tuple[Policy | None, bool]:
        """The parsed key policy and whether it has conditions; None if it does not parse."""
        cache_key = (record.key_id, record.revision)
        cached = self._key_policies.get(cache_key)
        if cached is None:
            text = record.policy or default_policy(record.account_id)
            try:
                policy: Policy | None = parse_policy(text, resource_policy=True)
            except MalformedPolicy:
                # Stored policies are validated on write; one that no longer
                # parses allows nothing rather than being guessed at.
                policy = None
            cached = (policy, policy is not None and _has_conditions(policy))
            if len(self._key_policies) >= _DECISIONS_MAX:
                self._key_policies.clear()
            self._key_policies[cache_key] = cached
        return cached

    def principal_of(self, caller: Caller) -> Principal:
        principal = self._principals.get(caller.principal_arn)
        if principal is None:
            principal = Principal.from_arn(caller.principal_arn)
            self._principals[caller.principal_arn] = principal
        return principal

    def _context(
        self, caller: Caller, record: KeyRecord | None, extra: Conditions | None
    ) -> dict[str, Sequence[str]]:
        now = self._now()
        info = current_request()
        context: dict[str, Sequence[str]] = {
            "aws:principalarn": [caller.principal_arn],
            "aws:principalaccount": [caller.account_id],
            "kms:calleraccount": [caller.account_id],
            "aws:currenttime": [iso_utc(now)],
            "aws:epochtime": [str(int(now))],
            "aws:securetransport": ["true" if info.secure_transport else "false"],
            "aws:requestedregion": [caller.region],
        }
        if info.source_ip:
            context["aws:sourceip"] = [info.source_ip]
        if caller.via_service is not None:
            context["kms:viaservice"] = [f"{caller.via_service}.{caller.region}.amazonaws.com"]
        if record is not None:
            context["kms:keyspec"] = [record.key_spec]
            context["kms:customermasterkeyspec"] = [record.key_spec]
            context["kms:keyusage"] = [record.key_usage]
            context["kms:customermasterkeyusage"] = [record.key_usage]
            context["kms:keyorigin"] = [record.origin]
            context["kms:multiregion"] = ["true" if record.multi_region else "false"]
        if extra is not None:
            context.update(extra() if callable(extra) else extra)
        return context

    async def check_key(
        self,
        caller: Caller,
        operation: str,
        key: CachedKey,
        conditions: Conditions | None = None,
        grant_ids: tuple[str, ...] = (),
    ) -> Grant | None:
        """Raise AccessDeniedException unless the caller may call ``kms:<operation>`` on the key.

        Returns the grant that allowed the call, or None when the policies did.
        ``grant_ids`` come from the request's grant tokens: a grant this node has
        not cached yet is read from the store.
        """
        action = f"kms:{operation}"
        record = key.record
        hit, identity = self._identities.fresh(caller.principal_id)
        if not hit or identity is None:
            identity = await self._identity(caller)
        key_policy, key_conditions = self._key_policy(record)
        if key_policy is None:
            raise access_denied(caller, action, record.arn, Denial.NO_KEY_POLICY_ALLOWS)
        memo_key = (record.key_id, record.revision, action)
        cacheable = not (identity.has_conditions or key_conditions)
        if cacheable:
            allowed = identity.decisions.get(memo_key)
            if allowed is True:
                return None
        principal = self.principal_of(caller)
        context = self._context(caller, record, conditions)
        if 0 < len(key.aliases) <= MAX_RESOURCE_ALIASES:
            context["kms:resourcealiases"] = list(key.aliases)
        request = Request(action, record.arn, principal, context)
        decision = authorize(
            request=request,
            key_policy=key_policy,
            key_account=record.account_id,
            identity_policies=identity.policies,
            grant_allows=False,
        )
        if cacheable:
            # Only policy decisions are remembered; grants are looked at afresh.
            if len(identity.decisions) >= _DECISIONS_MAX:
                identity.decisions.clear()
            identity.decisions[memo_key] = decision.allowed
        if decision.allowed:
            return None
        if decision.denial not in (
            Denial.EXPLICIT_DENY_IN_KEY_POLICY,
            Denial.EXPLICIT_DENY_IN_IDENTITY_POLICY,
        ):
            grants = await self.grants_for(record.key_id)
            known = {g.grant_id for g in grants}
            missing = [i for i in grant_ids if i not in known]
            if missing:
                grants = grants + await self._grants_by_id(record.key_id, missing)
            operation_name = action.removeprefix("kms:")
            ec = _grant_context(request.conditions) if grants else {}
            for grant in grants:
                if grant_allows(grant, principal, operation_name, ec):
                    return grant
        raise access_denied(caller, action, record.arn, decision.denial)

    async def _grants_by_id(self, key_id: str, grant_ids: list[str]) -> tuple[Grant, ...]:
        def read() -> tuple[Grant, ...]:
            with self._store.unit_of_work(write=False) as uow:
                found = (uow.grants.get(i) for i in grant_ids)
                return tuple(g for g in found if g is not None and g.key_id == key_id)

        return await asyncio.to_thread(read)

    async def check_account(
        self,
        caller: Caller,
        operation: str,
        resource: str = "*",
        conditions: Conditions | None = None,
    ) -> None:
        """Raise AccessDeniedException unless the caller's identity policies allow the action."""
        await self.check_identity(caller, f"kms:{operation}", resource, conditions)

    async def check_identity(
        self,
        caller: Caller,
        action: str,
        resource: str,
        conditions: Conditions | None = None,
    ) -> None:
        """Identity policies alone decide ``action`` (e.g. ``iam:CreateUser``) on ``resource``."""
        identity = await self._identity(caller)
        request = Request(
            action, resource, self.principal_of(caller), self._context(caller, None, conditions)
        )
        decision = authorize(
            request=request,
            key_policy=None,
            key_account=None,
            identity_policies=identity.policies,
            grant_allows=False,
        )
        if not decision.allowed:
            raise access_denied(caller, action, resource, decision.denial)

    async def keeps_access(
        self, caller: Caller, key_arn: str, key_account: str, policy: Policy
    ) -> bool:
        """The lockout safety check: would ``policy`` still let the caller change the policy?"""
        identity = await self._identity(caller)
        request = Request(
            "kms:PutKeyPolicy",
            key_arn,
            self.principal_of(caller),
            self._context(caller, None, None),
        )
        return authorize(
            request=request,
            key_policy=policy,
            key_account=key_account,
            identity_policies=identity.policies,
            grant_allows=False,
        ).allowed

    async def may_assume(
        self,
        caller: Caller,
        role_arn: str,
        role_account: str,
        trust: Policy,
        conditions: Conditions | None = None,
    ) -> bool:
        """Whether the role's trust policy (with the caller's identity policies) allows
        ``sts:AssumeRole``: the trust policy plays the part a key policy plays for keys."""
        identity = await self._identity(caller)
        principal = self.principal_of(caller)
        request = Request(
            "sts:AssumeRole", role_arn, principal, self._context(caller, None, conditions)
        )
        return authorize(
            request=request,
            key_policy=trust,
            key_account=role_account,
            identity_policies=identity.policies,
            grant_allows=False,
        ).allowed

    def forget_principal(self, principal_id: str) -> None:
        self._identities.invalidate(principal_id)
