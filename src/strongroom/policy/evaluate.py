"""Evaluation: does a statement, a policy, and finally AWS KMS's logic allow a request?

Pure functions over parsed policies. Nothing here reads the clock: a request
carries ``aws:CurrentTime``/``aws:EpochTime`` in its condition context when a
policy needs them, and nothing adds condition keys behind the caller's back
(``kms:CallerAccount``, ``kms:ViaService``... are the service's to supply).

:func:`authorize` follows the KMS Developer Guide ("Default key policy",
"Allowing users in other accounts to use a KMS key") and kms-semantics §9.3:

1. An explicit ``Deny`` in the key policy or in any identity policy denies,
   whatever else allows (grants included).
2. Same-account caller: allowed when the key policy allows the caller
   directly (its ARN, its role for an assumed-role session, ``"*"``, or
   ``NotPrincipal``), or when the key policy allows the caller's account
   *and* an identity policy allows the action on the key, or when a grant
   allows it.
3. Cross-account caller: allowed when the key policy allows the caller
   (directly or through its account) *and* an identity policy of the caller
   allows it, or when a grant allows it. The guide says external users "cannot
   use the CMK until you attach IAM policies that delegate those permissions,
   or use grants", so a grant alone is enough.
4. Account-level actions (no key: ``CreateKey``, ``ListKeys``...): identity
   policies alone.

The account root user is never bound by identity policies: where an identity
allow is required it counts as present (an explicit Deny still applies).
Service principals have no identity policies: only a key policy statement
naming them (or a grant) allows them.

Which operations may be called across accounts at all (kms-semantics §1) is
the service's check, made before this one.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from strongroom.policy.conditions import normalize_context
from strongroom.policy.document import Effect, Policy, Statement
from strongroom.policy.principals import Principal, PrincipalMatch

__all__ = [
    "Decision",
    "Denial",
    "Match",
    "PolicyResult",
    "Request",
    "authorize",
    "evaluate_policy",
    "statement_matches",
]


@dataclass(frozen=True, slots=True)
class Request:
    """What is being authorized.

    ``resource`` is the key ARN, or ``"*"`` for account-level actions.
    ``conditions`` maps condition keys to their request values as strings
    (``"true"``/``"false"``, decimal numbers, ISO 8601 or epoch dates); a key
    with no value is simply left out. Keys are normalised to lower case (keys
    differing only in case are merged) and a bare string counts as one value.
    """

    action: str
    resource: str
    principal: Principal
    conditions: Mapping[str, Sequence[str]] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "conditions", normalize_context(self.conditions))


@dataclass(frozen=True, slots=True)
class Match:
    """A statement that applies to a request.

    ``delegates_to_account``: the principal was matched only through its
    account (``"ACCT"`` or ``"arn:aws:iam::ACCT:root"``) — for an Allow this is
    delegation to the account's identity policies, not a grant to the caller.
    """

    effect: Effect
    sid: str | None
    delegates_to_account: bool


@dataclass(frozen=True, slots=True)
class PolicyResult:
    """What one policy says about a request, independent of statement order.

    ``direct_allow``: an Allow names the caller directly (for identity
    policies: any Allow). ``account_allow``: the accounts an Allow delegated
    to (at most the caller's own).
    """

    explicit_deny: bool
    direct_allow: bool
    account_allow: frozenset[str]


class Denial(enum.Enum):
    """Why a request was refused, in the four kinds AWS's AccessDeniedException tells apart.

    Its message says "with an explicit deny in a resource-based (identity-based)
    policy" or "because no resource-based (identity-based) policy allows the
    <action> action".
    """

    EXPLICIT_DENY_IN_KEY_POLICY = "explicit deny in a resource-based policy"
    EXPLICIT_DENY_IN_IDENTITY_POLICY = "explicit deny in an identity-based policy"
    NO_KEY_POLICY_ALLOWS = "no resource-based policy allows"
    NO_IDENTITY_POLICY_ALLOWS = "no identity-based policy allows"


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome. ``reason`` is for logs and tests, never for the client;
    ``denial`` (``None`` when allowed) is what a client message may be built from.
    """

    allowed: bool
    reason: str
    denial: Denial | None = None


def _deny(reason: str, denial: Denial) -> Decision:
    return Decision(False, reason, denial)


def _principal_match(statement: Statement, principal: Principal) -> PrincipalMatch:
    principals = statement.principals
    if principals is None:
        return PrincipalMatch.DIRECT  # identity policy: the caller is the principal
    if not statement.not_principal:
        return principals.match(principal)
    if statement.effect is Effect.DENY:
        excluded = principals.excludes_from_deny(principal)
    else:
        excluded = principals.excludes_from_allow(principal)
    return PrincipalMatch.NONE if excluded else PrincipalMatch.DIRECT


def statement_matches(statement: Statement, request: Request) -> Match | None:
    """The :class:`Match` if ``statement`` applies to ``request``, else ``None``.

    A statement applies when its action, resource, principal and every
    condition match. A statement without ``Action`` or ``Resource`` (accepted
    in key policies) never applies.
    """
    if statement.actions is None or not statement.actions.matches(request.action):
        return None
    if statement.resources is None or not statement.resources.matches(request.resource):
        return None
    how = _principal_match(statement, request.principal)
    if how is PrincipalMatch.NONE:
        return None
    if not all(c.holds(request.conditions) for c in statement.conditions):
        return None
    return Match(statement.effect, statement.sid, how is PrincipalMatch.ACCOUNT)


def evaluate_policy(policy: Policy, request: Request) -> PolicyResult:
    """Combine every statement of ``policy`` that applies to ``request``."""
    explicit_deny = False
    direct_allow = False
    accounts: set[str] = set()
    for statement in policy.statements:
        match = statement_matches(statement, request)
        if match is None:
            continue
        if match.effect is Effect.DENY:
            explicit_deny = True
        elif match.delegates_to_account:
            accounts.add(request.principal.account_id)
        else:
            direct_allow = True
    return PolicyResult(explicit_deny, direct_allow, frozenset(accounts))


def authorize(
    *,
    request: Request,
    key_policy: Policy | None,
    key_account: str | None,
    identity_policies: Sequence[Policy],
    grant_allows: bool,
) -> Decision:
    """Decide ``request`` the way AWS KMS does (see the module docstring).

    ``key_policy``/``key_account`` are both ``None`` for account-level
    actions and both set otherwise (``ValueError`` if not). ``identity_policies``
    are the caller's IAM policies; ``grant_allows`` says whether a grant on the
    key covers this request (constraints already checked by the caller).
    """
    if (key_policy is None) != (key_account is None):
        raise ValueError("key_policy and key_account go together")
    key = evaluate_policy(key_policy, request) if key_policy is not None else None
    identities = [evaluate_policy(p, request) for p in identity_policies]
    if key is not None and key.explicit_deny:
        return _deny("explicit deny in the key policy", Denial.EXPLICIT_DENY_IN_KEY_POLICY)
    if any(r.explicit_deny for r in identities):
        return _deny("explicit deny in an identity policy", Denial.EXPLICIT_DENY_IN_IDENTITY_POLICY)

    principal = request.principal
    if principal.is_account_root:
        identity_allows, identity_reason = True, "the account root user"
    else:
        identity_allows = any(r.direct_allow for r in identities)
        identity_reason = "an identity policy"

    if key is None:
        if identity_allows:
            return Decision(True, f"{identity_reason} allows the account-level action")
        return _deny(
            "no identity policy allows the account-level action", Denial.NO_IDENTITY_POLICY_ALLOWS
        )

    if principal.is_service:
        if key.direct_allow:
            return Decision(True, "the key policy allows the service principal")
        if grant_allows:
            return Decision(True, "a grant allows")
        return _deny(
            "no key policy statement allows the service principal", Denial.NO_KEY_POLICY_ALLOWS
        )

    delegated = principal.account_id in key.account_allow
    if principal.account_id == key_account:
        if key.direct_allow:
            return Decision(True, "the key policy allows the principal")
        if delegated and identity_allows:
            return Decision(
                True, f"the key policy delegates to the account and {identity_reason} allows"
            )
        if grant_allows:
            return Decision(True, "a grant allows")
        if delegated:
            return _deny(
                "the key policy delegates to the account but no identity policy allows",
                Denial.NO_IDENTITY_POLICY_ALLOWS,
            )
        return _deny("no key policy statement allows the principal", Denial.NO_KEY_POLICY_ALLOWS)

    key_allows_caller = key.direct_allow or delegated
    if key_allows_caller and identity_allows:
        return Decision(True, f"cross-account: the key policy and {identity_reason} allow")
    if grant_allows:
        return Decision(True, "a grant allows")
    if key_allows_caller:
        return _deny(
            "cross-account: no identity policy of the caller allows",
            Denial.NO_IDENTITY_POLICY_ALLOWS,
        )
    return _deny(
        "cross-account: the key policy does not allow the caller", Denial.NO_KEY_POLICY_ALLOWS
    )
