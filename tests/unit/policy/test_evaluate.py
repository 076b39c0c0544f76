"""Evaluation: the documented AWS examples as vectors, then each rule of ``authorize`` alone."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from strongroom.policy import (
    Decision,
    Denial,
    Effect,
    Match,
    Policy,
    PolicyResult,
    Principal,
    Request,
    authorize,
    evaluate_policy,
    parse_policy,
    statement_matches,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "policies"
KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OWNER = "111122223333"
OTHER = "444455556666"
ROOT = f"arn:aws:iam::{OWNER}:root"
BOB = Principal.from_arn(f"arn:aws:iam::{OWNER}:user/Bob")
SESSION = Principal.from_arn(f"arn:aws:sts::{OWNER}:assumed-role/Admin/alice")
ROOT_USER = Principal.from_arn(ROOT)
CAROL = Principal.from_arn(f"arn:aws:iam::{OTHER}:user/Carol")
OTHER_ROOT = Principal.from_arn(f"arn:aws:iam::{OTHER}:root")
TRAIL = Principal.for_service("cloudtrail.amazonaws.com")


# -- documented examples (tests/vectors/policies) ----------------------------------------------


def _encryption_context(pairs: dict[str, str]) -> dict[str, list[str]]:
    """The condition keys the service derives from a request's encryption context."""
    if not pairs:
        return {}
    context = {f"kms:EncryptionContext:{k}": [v] for k, v in pairs.items()}
    return context | {"kms:EncryptionContextKeys": list(pairs)}


def _load_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    cases = []
    for path in sorted(VECTORS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            cases.append((f"{path.stem}/{case['name']}", data, case))
    return cases


CASES = _load_cases()


@pytest.mark.parametrize(("name", "data", "case"), CASES, ids=[c[0] for c in CASES])
def test_documented_example(name: str, data: dict[str, Any], case: dict[str, Any]) -> None:
    key_policies = {
        n: parse_policy(json.dumps(d), resource_policy=True)
        for n, d in data["key_policies"].items()
    }
    identity_policies = {
        n: parse_policy(json.dumps(d), resource_policy=False)
        for n, d in data["identity_policies"].items()
    }
    key_policy = key_policies[case["key_policy"]] if case["key_policy"] is not None else None
    resource = case.get("resource", data["key_arn"] if key_policy is not None else "*")
    key_account = None
    if key_policy is not None:
        key_account = case.get("key_account", data.get("key_account", resource.split(":")[4]))
    context = case.get("context", {}) | _encryption_context(case.get("encryption_context", {}))
    decision = authorize(
        request=Request(case["action"], resource, Principal.from_arn(case["caller"]), context),
        key_policy=key_policy,
        key_account=key_account,
        identity_policies=[identity_policies[n] for n in case.get("identity_policies", [])],
        grant_allows=case.get("grant_allows", False),
    )
    assert decision.allowed is case["allowed"], f"{name}: {case['why']} ({decision.reason})"


def test_vector_files_are_well_formed() -> None:
    assert len(CASES) >= 90
    for path in VECTORS.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert {
            "description",
            "sources",
            "key_arn",
            "key_policies",
            "identity_policies",
            "cases",
        } <= set(data)
        assert all({"title"} <= set(s) for s in data["sources"])
        for case in data["cases"]:
            assert {"name", "caller", "action", "key_policy", "allowed", "why"} <= set(case), case
        names = [c["name"] for c in data["cases"]]
        assert len(names) == len(set(names)), path.name
        assert {True, False} <= {c["allowed"] for c in data["cases"]}, path.name


# -- helpers -----------------------------------------------------------------------------------


def key_policy(*statements: dict[str, Any]) -> Policy:
    return parse_policy(
        json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), resource_policy=True
    )


def identity_policy(*statements: dict[str, Any]) -> Policy:
    return parse_policy(
        json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), resource_policy=False
    )


def stmt(effect: str = "Allow", principal: Any = "*", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Effect": effect, "Action": "kms:*", "Resource": "*"}
    if principal is not None:
        base["Principal"] = principal
    return base | extra


IAM_ALLOW = identity_policy(stmt(principal=None))
IAM_DENY = identity_policy(stmt("Deny", principal=None))
DEFAULT = key_policy(stmt(principal={"AWS": ROOT}))


def decide(
    principal: Principal,
    policy: Policy | None = DEFAULT,
    identities: Sequence[Policy] = (),
    *,
    grant: bool = False,
    action: str = "kms:Encrypt",
    account: str | None = OWNER,
    context: Mapping[str, Sequence[str]] | None = None,
) -> Decision:
    return authorize(
        request=Request(action, KEY if policy is not None else "*", principal, context or {}),
        key_policy=policy,
        key_account=account if policy is not None else None,
        identity_policies=identities,
        grant_allows=grant,
    )


# -- statement_matches and evaluate_policy ------------------------------------------------------


def test_statement_matches_reports_effect_sid_and_delegation() -> None:
    request = Request("kms:Encrypt", KEY, BOB)
    account, direct, deny = key_policy(
        stmt(principal={"AWS": OWNER}, Sid="account"),
        stmt(principal={"AWS": [OWNER, BOB.arn]}, Sid="direct"),
        stmt("Deny", principal={"AWS": ROOT}),
    ).statements
    assert statement_matches(account, request) == Match(Effect.ALLOW, "account", True)
    assert statement_matches(direct, request) == Match(Effect.ALLOW, "direct", False)
    assert statement_matches(deny, request) == Match(Effect.DENY, None, True)


@pytest.mark.parametrize(
    ("statement", "request_"),
    [
        (stmt(Action="kms:Decrypt"), Request("kms:Encrypt", KEY, BOB)),
        (
            stmt(Resource="arn:aws:kms:us-west-2:111122223333:key/other"),
            Request("kms:Encrypt", KEY, BOB),
        ),
        (stmt(Resource=KEY), Request("kms:CreateKey", "*", BOB)),
        (stmt(principal={"AWS": CAROL.arn}), Request("kms:Encrypt", KEY, BOB)),
        (
            stmt(Condition={"Bool": {"kms:GrantIsForAWSResource": True}}),
            Request("kms:Encrypt", KEY, BOB),
        ),
        ({"Effect": "Allow", "Principal": "*", "Resource": "*"}, Request("kms:Encrypt", KEY, BOB)),
        ({"Effect": "Allow", "Principal": "*", "Action": "*"}, Request("kms:Encrypt", KEY, BOB)),
    ],
    ids=[
        "action",
        "resource",
        "arn-vs-star-request",
        "principal",
        "condition",
        "no-action",
        "no-resource",
    ],
)
def test_statement_does_not_match(statement: dict[str, Any], request_: Request) -> None:
    (parsed,) = key_policy(statement).statements
    assert statement_matches(parsed, request_) is None


def test_resource_patterns() -> None:
    (statement,) = identity_policy(
        stmt(principal=None, Resource="arn:aws:kms:*:111122223333:key/*")
    ).statements
    assert statement_matches(statement, Request("kms:Encrypt", KEY, BOB))
    assert not statement_matches(statement, Request("kms:Encrypt", KEY.replace(OWNER, OTHER), BOB))
    (not_resource,) = identity_policy(
        {"Effect": "Allow", "Action": "kms:*", "NotResource": KEY}
    ).statements
    assert not statement_matches(not_resource, Request("kms:Encrypt", KEY, BOB))
    assert statement_matches(not_resource, Request("kms:CreateKey", "*", BOB))


def test_evaluate_policy_combines_all_statements() -> None:
    policy = key_policy(
        stmt(principal={"AWS": ROOT}),
        stmt(principal={"AWS": BOB.arn}, Action="kms:Decrypt"),
        stmt("Deny", principal="*", Action="kms:ScheduleKeyDeletion"),
    )
    assert evaluate_policy(policy, Request("kms:Encrypt", KEY, BOB)) == PolicyResult(
        False, False, frozenset({OWNER})
    )
    assert evaluate_policy(policy, Request("kms:Decrypt", KEY, BOB)) == PolicyResult(
        False, True, frozenset({OWNER})
    )
    assert evaluate_policy(policy, Request("kms:ScheduleKeyDeletion", KEY, BOB)) == PolicyResult(
        True, False, frozenset({OWNER})
    )
    assert evaluate_policy(policy, Request("kms:Encrypt", KEY, CAROL)) == PolicyResult(
        False, False, frozenset()
    )


def test_request_normalizes_condition_keys() -> None:
    request = Request(
        "kms:Encrypt", KEY, BOB, {"kms:CallerAccount": OWNER, "KMS:CallerAccount": ["x"]}
    )
    assert request.conditions == {"kms:calleraccount": (OWNER, "x")}
    assert hash(request) == hash(Request("kms:Encrypt", KEY, BOB))  # the context is not hashed


# -- authorize: the rules one by one ------------------------------------------------------------


def test_explicit_deny_in_the_key_policy_wins_over_everything() -> None:
    policy = key_policy(stmt(principal={"AWS": BOB.arn}), stmt("Deny", principal="*"))
    assert decide(BOB, policy, [IAM_ALLOW], grant=True) == Decision(
        False, "explicit deny in the key policy", Denial.EXPLICIT_DENY_IN_KEY_POLICY
    )
    assert not decide(ROOT_USER, policy).allowed


def test_explicit_deny_in_an_identity_policy_wins_over_everything() -> None:
    policy = key_policy(stmt(principal={"AWS": BOB.arn}))
    assert decide(BOB, policy, [IAM_ALLOW, IAM_DENY], grant=True) == Decision(
        False, "explicit deny in an identity policy", Denial.EXPLICIT_DENY_IN_IDENTITY_POLICY
    )
    assert not decide(BOB, None, [IAM_ALLOW, IAM_DENY]).allowed


def test_same_account_direct_allow_needs_no_identity_policy() -> None:
    assert decide(BOB, key_policy(stmt(principal={"AWS": BOB.arn}))) == Decision(
        True, "the key policy allows the principal"
    )
    assert decide(SESSION, key_policy(stmt(principal={"AWS": SESSION.role_arn}))).allowed
    assert decide(SESSION, key_policy(stmt(principal={"AWS": SESSION.arn}))).allowed
    assert decide(BOB, key_policy(stmt(principal="*"))).allowed


def test_same_account_delegation_needs_an_identity_allow() -> None:
    assert decide(BOB, DEFAULT, [IAM_ALLOW]) == Decision(
        True, "the key policy delegates to the account and an identity policy allows"
    )
    assert decide(BOB, DEFAULT) == Decision(
        False,
        "the key policy delegates to the account but no identity policy allows",
        Denial.NO_IDENTITY_POLICY_ALLOWS,
    )
    assert decide(ROOT_USER, DEFAULT) == Decision(
        True, "the key policy delegates to the account and the account root user allows"
    )


def test_same_account_without_any_key_policy_statement() -> None:
    policy = key_policy(stmt(principal={"AWS": CAROL.arn}))
    assert decide(BOB, policy, [IAM_ALLOW]) == Decision(
        False, "no key policy statement allows the principal", Denial.NO_KEY_POLICY_ALLOWS
    )
    assert not decide(ROOT_USER, policy).allowed  # the root user too needs the key policy
    assert decide(BOB, policy, grant=True) == Decision(True, "a grant allows")


def test_cross_account_needs_key_policy_and_identity_policy() -> None:
    by_account = key_policy(stmt(principal={"AWS": OTHER}))
    by_arn = key_policy(stmt(principal={"AWS": CAROL.arn}))
    everyone = key_policy(stmt(principal="*"))
    for policy in (by_account, by_arn, everyone):
        assert decide(CAROL, policy, [IAM_ALLOW]) == Decision(
            True, "cross-account: the key policy and an identity policy allow"
        )
        assert decide(CAROL, policy) == Decision(
            False,
            "cross-account: no identity policy of the caller allows",
            Denial.NO_IDENTITY_POLICY_ALLOWS,
        )
    assert decide(OTHER_ROOT, by_account) == Decision(
        True, "cross-account: the key policy and the account root user allow"
    )
    assert decide(CAROL, DEFAULT, [IAM_ALLOW]) == Decision(
        False,
        "cross-account: the key policy does not allow the caller",
        Denial.NO_KEY_POLICY_ALLOWS,
    )
    assert decide(CAROL, DEFAULT, grant=True) == Decision(True, "a grant allows")


def test_account_level_actions_use_identity_policies_only() -> None:
    assert decide(BOB, None, [IAM_ALLOW], action="kms:CreateKey") == Decision(
        True, "an identity policy allows the account-level action"
    )
    assert decide(BOB, None, action="kms:CreateKey") == Decision(
        False,
        "no identity policy allows the account-level action",
        Denial.NO_IDENTITY_POLICY_ALLOWS,
    )
    assert decide(ROOT_USER, None, action="kms:ListKeys").allowed
    # A grant says nothing about account-level actions.
    assert not decide(BOB, None, grant=True, action="kms:ListKeys").allowed
    # Key-scoped identity statements do not cover account-level actions.
    scoped = identity_policy(stmt(principal=None, Resource=KEY))
    assert not decide(BOB, None, [scoped], action="kms:CreateKey").allowed


def test_service_principals() -> None:
    named = key_policy(stmt(principal={"Service": "cloudtrail.amazonaws.com"}))
    assert decide(TRAIL, named) == Decision(True, "the key policy allows the service principal")
    assert decide(TRAIL, DEFAULT, [IAM_ALLOW]) == Decision(
        False, "no key policy statement allows the service principal", Denial.NO_KEY_POLICY_ALLOWS
    )
    assert decide(TRAIL, DEFAULT, grant=True).allowed
    assert decide(TRAIL, key_policy(stmt(principal={"AWS": "*"}))).allowed
    assert not decide(TRAIL, key_policy(stmt(principal={"Service": "logs.amazonaws.com"}))).allowed
    # A service is never matched by an AWS account or ARN entry.
    assert not decide(TRAIL, key_policy(stmt(principal={"AWS": [OWNER, BOB.arn]}))).allowed


def test_key_policy_and_key_account_go_together() -> None:
    request = Request("kms:Encrypt", KEY, BOB)
    with pytest.raises(ValueError, match="go together"):
        authorize(
            request=request,
            key_policy=DEFAULT,
            key_account=None,
            identity_policies=[],
            grant_allows=False,
        )
    with pytest.raises(ValueError, match="go together"):
        authorize(
            request=request,
            key_policy=None,
            key_account=OWNER,
            identity_policies=[],
            grant_allows=False,
        )


# -- NotPrincipal (fail-safe reading) -----------------------------------------------------------

EXEMPT_BOB_FULLY = {"AWS": [BOB.arn, OWNER]}
EXEMPT_BOB_ONLY = {"AWS": BOB.arn}


def test_not_principal_deny_exempts_only_a_fully_listed_chain() -> None:
    allow_all = stmt(principal="*")
    full = key_policy(allow_all, stmt("Deny", principal=None, NotPrincipal=EXEMPT_BOB_FULLY))
    partial = key_policy(allow_all, stmt("Deny", principal=None, NotPrincipal=EXEMPT_BOB_ONLY))
    assert decide(BOB, full).allowed
    assert not decide(BOB, partial).allowed  # AWS: the account "might" be denied
    assert not decide(Principal.from_arn(f"arn:aws:iam::{OWNER}:user/Eve"), full).allowed
    session_chain = {"AWS": [SESSION.arn, SESSION.role_arn, OWNER]}
    role_only = {"AWS": [SESSION.role_arn, OWNER]}
    assert decide(
        SESSION, key_policy(allow_all, stmt("Deny", principal=None, NotPrincipal=session_chain))
    ).allowed
    assert not decide(
        SESSION, key_policy(allow_all, stmt("Deny", principal=None, NotPrincipal=role_only))
    ).allowed
    root_listed = key_policy(allow_all, stmt("Deny", principal=None, NotPrincipal={"AWS": ROOT}))
    assert decide(ROOT_USER, root_listed).allowed
    assert not decide(BOB, root_listed).allowed
    everyone = key_policy(allow_all, stmt("Deny", principal=None, NotPrincipal="*"))
    assert decide(BOB, everyone).allowed
    service = key_policy(
        allow_all,
        stmt("Deny", principal=None, NotPrincipal={"Service": "cloudtrail.amazonaws.com"}),
    )
    assert decide(TRAIL, service).allowed
    assert not decide(Principal.for_service("logs.amazonaws.com"), service).allowed


def test_not_principal_allow_applies_only_when_nothing_is_listed() -> None:
    not_bob = key_policy(stmt(principal=None, NotPrincipal=EXEMPT_BOB_ONLY))
    assert not decide(BOB, not_bob).allowed
    assert decide(Principal.from_arn(f"arn:aws:iam::{OWNER}:user/Eve"), not_bob) == Decision(
        True, "the key policy allows the principal"
    )
    not_account = key_policy(stmt(principal=None, NotPrincipal={"AWS": OWNER}))
    assert not decide(BOB, not_account).allowed  # Bob's account is listed
    assert not decide(TRAIL, key_policy(stmt(principal=None, NotPrincipal="*"))).allowed


# -- conditions in context ----------------------------------------------------------------------


def test_time_comes_from_the_request_context() -> None:
    policy = key_policy(
        stmt(
            principal={"AWS": BOB.arn},
            Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
        )
    )
    assert decide(BOB, policy, context={"aws:CurrentTime": ["2029-12-31T23:59:59Z"]}).allowed
    assert not decide(BOB, policy, context={"aws:CurrentTime": ["2030-01-01T00:00:00Z"]}).allowed
    assert not decide(BOB, policy).allowed  # no time supplied: the condition is false


def test_policy_variables_are_compared_literally() -> None:
    policy = key_policy(
        stmt(
            principal={"AWS": BOB.arn},
            Condition={"StringEquals": {"kms:EncryptionContext:user": "${aws:username}"}},
        )
    )
    context = {"kms:EncryptionContext:user": ["Bob"], "aws:username": ["Bob"]}
    assert not decide(BOB, policy, context=context).allowed
    assert decide(BOB, policy, context={"kms:EncryptionContext:user": ["${aws:username}"]}).allowed
