"""Policy documents: the grammar, what is refused and with which message, and the exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import strongroom.policy
from strongroom.policy import MalformedPolicy, Policy, parse_policy
from strongroom.policy.actions import ActionSet, parse_actions
from strongroom.policy.conditions import Condition
from strongroom.policy.document import Effect, ResourceSet, Statement
from strongroom.policy.principals import (
    INVALID_PRINCIPALS,
    Principal,
    PrincipalSet,
    parse_principals,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "policies"
KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROOT = "arn:aws:iam::111122223333:root"


def key_policy(*statements: dict[str, Any], **top: Any) -> str:
    return json.dumps({"Version": "2012-10-17", **top, "Statement": list(statements)})


def allow(**extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"AWS": ROOT},
        "Action": "kms:*",
        "Resource": "*",
    } | extra


def malformed(text: str, *, resource_policy: bool = True) -> str:
    with pytest.raises(MalformedPolicy) as caught:
        parse_policy(text, resource_policy=resource_policy)
    assert caught.value.message == str(caught.value)
    return caught.value.message


# -- what parses -------------------------------------------------------------------------------


def test_default_key_policy_in_aws_layout() -> None:
    text = (
        '{\n  "Version" : "2012-10-17",\n  "Id" : "key-default-1",\n  "Statement" : [ {\n'
        '    "Sid" : "Enable IAM User Permissions",\n    "Effect" : "Allow",\n'
        '    "Principal" : {\n      "AWS" : "arn:aws:iam::111122223333:root"\n    },\n'
        '    "Action" : "kms:*",\n    "Resource" : "*"\n  } ]\n}'
    )
    assert parse_policy(text, resource_policy=True) == Policy(
        "2012-10-17",
        "key-default-1",
        (
            Statement(
                Effect.ALLOW,
                "Enable IAM User Permissions",
                PrincipalSet(accounts=frozenset({"111122223333"})),
                False,
                ActionSet(("kms:*",)),
                ResourceSet(("*",)),
            ),
        ),
    )


def test_statement_may_be_a_single_object_and_version_defaults_to_2008() -> None:
    policy = parse_policy(json.dumps({"Statement": allow()}), resource_policy=True)
    assert policy.version == "2008-10-17"
    assert policy.id is None
    assert len(policy.statements) == 1


def test_2008_version_is_accepted() -> None:
    assert parse_policy(key_policy(allow(), Version="2008-10-17"), resource_policy=True)


def test_not_elements_and_conditions() -> None:
    (statement,) = parse_policy(
        key_policy(
            {
                "Sid": "with spaces and : colons",
                "Effect": "Deny",
                "NotPrincipal": {"AWS": ["111122223333", "arn:aws:iam::111122223333:user/Bob"]},
                "NotAction": ["kms:Describe*", "kms:List*"],
                "NotResource": KEY,
                "Condition": {
                    "NumericGreaterThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 7}
                },
            }
        ),
        resource_policy=True,
    ).statements
    assert statement.effect is Effect.DENY
    assert statement.sid == "with spaces and : colons"
    assert statement.not_principal
    assert statement.principals == PrincipalSet(
        accounts=frozenset({"111122223333"}),
        arns=frozenset({"arn:aws:iam::111122223333:user/Bob"}),
    )
    assert statement.actions == ActionSet(("kms:describe*", "kms:list*"), negated=True)
    assert statement.resources == ResourceSet((KEY,), negated=True)
    assert statement.conditions == (
        Condition("NumericGreaterThan", "kms:schedulekeydeletionpendingwindowindays", ("7",)),
    )


def test_numbers_and_booleans_in_conditions_keep_their_text() -> None:
    (statement,) = parse_policy(
        key_policy(
            allow(
                Condition={
                    "NumericLessThanEquals": {"kms:RotationPeriodInDays": [90, 365.25, -100]},
                    "Bool": {"kms:MultiRegion": False},
                }
            )
        ).replace("365.25", "365.250"),
        resource_policy=True,
    ).statements
    assert [c.values for c in statement.conditions] == [("90", "365.250", "-100"), ("false",)]


def test_numbers_in_exponent_form_are_not_numeric_condition_values() -> None:
    text = key_policy(allow(Condition={"NumericLessThan": {"kms:RotationPeriodInDays": 1}}))
    assert malformed(text.replace(": 1}", ": 1e2}")) == (
        "The NumericLessThan condition on kms:RotationPeriodInDays needs number values."
    )


def test_key_policy_statement_without_action_or_resource_is_accepted_but_empty() -> None:
    # kms-semantics 9.2: "A statement missing Action or Resource is accepted but ineffective."
    no_action, no_resource = parse_policy(
        key_policy(
            {"Effect": "Allow", "Principal": "*", "Resource": "*"},
            {"Effect": "Allow", "Principal": "*", "Action": "kms:*"},
        ),
        resource_policy=True,
    ).statements
    assert no_action.actions is None
    assert no_resource.resources is None


def test_identity_policy_has_no_principal() -> None:
    (statement,) = parse_policy(
        json.dumps({"Statement": {"Effect": "Allow", "Action": "kms:CreateKey", "Resource": "*"}}),
        resource_policy=False,
    ).statements
    assert statement.principals is None


def test_aws_principals_lists_every_named_account_and_arn() -> None:
    policy = parse_policy(
        key_policy(
            allow(),
            allow(Principal={"AWS": ["444455556666", "arn:aws:iam::444455556666:role/R"]}),
            allow(Principal={"Service": "cloudtrail.amazonaws.com"}),
            allow(Principal="*"),
        ),
        resource_policy=True,
    )
    assert policy.aws_principals() == {
        "111122223333",
        "444455556666",
        "arn:aws:iam::444455556666:role/R",
    }
    identity = parse_policy(
        json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
        resource_policy=False,
    )
    assert identity.aws_principals() == frozenset()


@pytest.mark.parametrize("path", sorted(VECTORS.glob("*.json")), ids=lambda p: p.stem)
def test_every_documented_policy_parses(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    for document in data["key_policies"].values():
        parse_policy(json.dumps(document), resource_policy=True)
    for document in data["identity_policies"].values():
        parse_policy(json.dumps(document), resource_policy=False)


# -- what is refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Policy contains invalid JSON."),
        ("{", "Policy contains invalid JSON."),
        ('{"Statement": []} trailing', "Policy contains invalid JSON."),
        (
            '{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*", '
            '"Resource": "*", "Condition": {"NumericEquals": {"k": NaN}}}}',
            "Policy contains invalid JSON.",
        ),
        ("[" * 100_000 + "]" * 100_000, "Policy contains invalid JSON."),
        ("[]", "Policy must be a JSON object."),
        ('"policy"', "Policy must be a JSON object."),
        (
            '{"Version": "2012-10-17", "Version": "2008-10-17", "Statement": []}',
            "Policy contains a duplicate key: Version",
        ),
        (
            '{"Statement": {"Effect": "Allow", "Effect": "Deny"}}',
            "Policy contains a duplicate key: Effect",
        ),
        (
            '{"Statement": [], "Extra": 1, "Another": 2}',
            "Policy contains an unsupported element: Another",
        ),
        ('{"statement": []}', "Policy contains an unsupported element: statement"),
        (
            '{"Version": "2012-10-18", "Statement": []}',
            "Policy version must be 2012-10-17 or 2008-10-17.",
        ),
        ('{"Version": 2012, "Statement": []}', "Policy version must be 2012-10-17 or 2008-10-17."),
        ('{"Id": 7, "Statement": []}', "Id must be a string."),
        ('{"Id": null, "Statement": []}', "Id must be a string."),
        ('{"Version": "2012-10-17"}', "Policy must contain a Statement."),
        ('{"Statement": []}', "Policy must contain at least one statement."),
        ('{"Statement": ["Allow"]}', "Each statement must be a JSON object."),
    ],
)
def test_document_errors(text: str, message: str) -> None:
    assert malformed(text) == message


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (allow(Principals="*"), "Statement contains an unsupported element: Principals"),
        (allow(effect="Allow"), "Statement contains an unsupported element: effect"),
        (allow(Sid=1), "Sid must be a string."),
        ({"Principal": "*", "Action": "kms:*", "Resource": "*"}, "Missing required field Effect."),
        (allow(Effect="allow"), "Effect must be Allow or Deny."),
        (allow(Effect=None), "Effect must be Allow or Deny."),
        (
            {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
            "Missing required field Principal.",
        ),
        (allow(NotPrincipal="*"), "A statement cannot contain both Principal and NotPrincipal."),
        (allow(NotAction="kms:Encrypt"), "A statement cannot contain both Action and NotAction."),
        (allow(NotResource="*"), "A statement cannot contain both Resource and NotResource."),
        (
            allow(Action="Encrypt"),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (allow(Action="kms:"), "Actions/Conditions must be prefaced by a vendor"),
        (allow(Action="kms:Encrypt Decrypt"), "Actions/Conditions must be prefaced by a vendor"),
        (allow(Action=[]), "Actions/Conditions must be prefaced by a vendor"),
        (allow(Action=["kms:Encrypt", 7]), "Actions/Conditions must be prefaced by a vendor"),
        (allow(Resource="key/1234"), 'Resource key/1234 must be in ARN format or "*".'),
        (allow(Resource="arn:aws:kms"), 'Resource arn:aws:kms must be in ARN format or "*".'),
        (allow(Resource=["*", 7]), 'Resource 7 must be in ARN format or "*".'),
        (allow(Resource=[]), "Policy statement must contain resources."),
        (allow(Condition={"StringEquals": {"k": []}}), "Condition values must not be empty."),
        (
            allow(
                Condition={"ForAllValues:StringEquals": {"kms:EncryptionContext:Department": "IT"}}
            ),
            "OverlyPermissiveCondition:EncryptionContext: Using the ForAllValues set operator "
            "with a single-valued condition key matches requests without the specified "
            "encryption context or with an unspecified encryption context. To fix, remove "
            "ForAllValues.",
        ),
        (allow(Principal="**"), INVALID_PRINCIPALS),
    ],
)
def test_statement_errors(statement: dict[str, Any], message: str) -> None:
    assert malformed(key_policy(statement)).startswith(message)


def test_identity_policy_rules() -> None:
    rule = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
    assert (
        malformed(json.dumps({"Statement": rule | {"Principal": "*"}}), resource_policy=False)
        == "Policy document should not specify a principal."
    )
    assert (
        malformed(json.dumps({"Statement": rule | {"NotPrincipal": "*"}}), resource_policy=False)
        == "Policy document should not specify a principal."
    )
    no_action = {"Effect": "Allow", "Resource": "*"}
    assert (
        malformed(json.dumps({"Statement": no_action}), resource_policy=False)
        == "Policy statement must contain actions."
    )
    no_resource = {"Effect": "Allow", "Action": "kms:*"}
    assert (
        malformed(json.dumps({"Statement": no_resource}), resource_policy=False)
        == "Policy statement must contain resources."
    )


def test_malformed_policy_chains_the_leaf_error() -> None:
    with pytest.raises(MalformedPolicy) as caught:
        parse_policy(key_policy(allow(Action="nope")), resource_policy=True)
    assert isinstance(caught.value.__cause__, ValueError)


# -- actions and principals on their own -------------------------------------------------------


def test_actions_lower_case_and_match_case_insensitively() -> None:
    actions = parse_actions(["KMS:Encrypt", "kms:ReEncrypt*", "*"], negated=False)
    assert actions.patterns == ("kms:encrypt", "kms:reencrypt*", "*")
    assert parse_actions("kms:Describe*", negated=False).matches("kms:DescribeKey")
    assert parse_actions("kms:describe*", negated=False).matches("KMS:DESCRIBEKEY")
    assert not parse_actions("kms:Describe*", negated=False).matches("kms:DisableKey")
    assert parse_actions("kms:Describe*", negated=True).matches("kms:DisableKey")
    assert parse_actions("kms:Get?eyPolicy", negated=False).matches("kms:GetKeyPolicy")
    assert parse_actions("*", negated=False).matches("s3:GetObject")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("*", PrincipalSet(everyone=True)),
        ({"AWS": "*"}, PrincipalSet(everyone=True)),
        ({"AWS": "111122223333"}, PrincipalSet(accounts=frozenset({"111122223333"}))),
        ({"AWS": ROOT}, PrincipalSet(accounts=frozenset({"111122223333"}))),
        (
            {"AWS": "arn:aws-cn:iam::111122223333:root"},
            PrincipalSet(accounts=frozenset({"111122223333"})),
        ),
        (
            {"AWS": ["arn:aws:iam::111122223333:user/division/Bob", "arn:aws:iam::1:role/x"][:1]},
            PrincipalSet(arns=frozenset({"arn:aws:iam::111122223333:user/division/Bob"})),
        ),
        (
            {"AWS": "arn:aws-us-gov:sts::111122223333:assumed-role/Role/session@example.com"},
            PrincipalSet(
                arns=frozenset(
                    {"arn:aws-us-gov:sts::111122223333:assumed-role/Role/session@example.com"}
                )
            ),
        ),
        (
            {"AWS": "arn:aws:sts::111122223333:federated-user/Carol"},
            PrincipalSet(arns=frozenset({"arn:aws:sts::111122223333:federated-user/Carol"})),
        ),
        (
            {"Service": ["cloudtrail.amazonaws.com", "logs.us-east-1.amazonaws.com"]},
            PrincipalSet(
                services=frozenset({"cloudtrail.amazonaws.com", "logs.us-east-1.amazonaws.com"})
            ),
        ),
        (
            {"AWS": "444455556666", "Service": "ec2.amazonaws.com"},
            PrincipalSet(
                accounts=frozenset({"444455556666"}), services=frozenset({"ec2.amazonaws.com"})
            ),
        ),
    ],
)
def test_principal_forms(raw: object, expected: PrincipalSet) -> None:
    assert parse_principals(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "**",
        "111122223333",  # a bare account outside an AWS object
        {},
        [],
        {"Federated": "cognito-identity.amazonaws.com"},
        {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
        {"aws": "111122223333"},
        {"AWS": []},
        {"AWS": 111122223333},
        {"AWS": ["111122223333", None]},
        {"AWS": "11112222333"},  # eleven digits
        {"AWS": "arn:aws:iam::111122223333:user/*"},  # no wildcards in principals
        {"AWS": "arn:aws:iam::111122223333:role/Admin*"},
        {"AWS": "arn:aws:iam::111122223333:group/Admins"},  # groups are not principals
        {"AWS": "arn:aws:sts::111122223333:assumed-role/Role/*"},
        {"AWS": "arn:aws:sts::111122223333:assumed-role/Role"},
        {"AWS": "arn:aws:kms:us-east-1:111122223333:key/x"},
        {"AWS": "AIDAJQABLZS4A3QDU576Q"},  # a unique ID left by a deleted user
        {"Service": "*"},
        {"Service": "Not A Service"},
    ],
)
def test_invalid_principals(raw: object) -> None:
    with pytest.raises(ValueError, match=INVALID_PRINCIPALS):
        parse_principals(raw)


@pytest.mark.parametrize(
    ("arn", "account", "role_arn", "root"),
    [
        (ROOT, "111122223333", None, True),
        ("arn:aws:iam::111122223333:user/Bob", "111122223333", None, False),
        ("arn:aws:iam::111122223333:role/path/R", "111122223333", None, False),
        (
            "arn:aws:sts::444455556666:assumed-role/R/s",
            "444455556666",
            "arn:aws:iam::444455556666:role/R",
            False,
        ),
        (
            "arn:aws-cn:sts::444455556666:assumed-role/R/s",
            "444455556666",
            "arn:aws-cn:iam::444455556666:role/R",
            False,
        ),
        ("arn:aws:sts::111122223333:federated-user/Carol", "111122223333", None, False),
    ],
)
def test_principal_from_arn(arn: str, account: str, role_arn: str | None, root: bool) -> None:
    principal = Principal.from_arn(arn)
    assert (principal.arn, principal.account_id, principal.role_arn) == (arn, account, role_arn)
    assert principal.is_account_root is root
    assert not principal.is_service


@pytest.mark.parametrize(
    "arn", ["", "111122223333", "arn:aws:iam::111122223333:group/G", "arn:aws:s3:::bucket"]
)
def test_principal_from_arn_refuses_other_strings(arn: str) -> None:
    with pytest.raises(ValueError, match="not a principal ARN"):
        Principal.from_arn(arn)


def test_service_principal() -> None:
    service = Principal.for_service("cloudtrail.amazonaws.com")
    assert service.is_service
    assert service.service_name == "cloudtrail.amazonaws.com"
    assert not service.is_account_root
    # A root ARN with a mismatched account is not that account's root.
    assert not Principal("arn:aws:iam::111122223333:root", "444455556666").is_account_root


# -- the public surface ------------------------------------------------------------------------


def test_exports_are_pinned() -> None:
    assert sorted(strongroom.policy.__all__) == [
        "Condition",
        "Decision",
        "Denial",
        "Effect",
        "MalformedPolicy",
        "Match",
        "Policy",
        "PolicyResult",
        "Principal",
        "Request",
        "Statement",
        "authorize",
        "evaluate_policy",
        "parse_policy",
        "statement_matches",
    ]
    for name in strongroom.policy.__all__:
        assert getattr(strongroom.policy, name) is not None


def test_the_package_imports_nothing_else_from_strongroom() -> None:
    source_dir = Path(strongroom.policy.__file__).parent
    for path in source_dir.glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("import strongroom", "from strongroom")):
                assert line.startswith("from strongroom.policy"), (path.name, line)
