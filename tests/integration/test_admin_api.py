"""The HTTP admin API (``X-Amz-Target: StrongroomAdmin.<Call>``): users, roles, access keys
and inline policies, authorized by ``iam:<Call>`` in the caller's identity policies.

Every call goes through ``raw_post``, SigV4-signed like a KMS call (the
account admin's credentials unless a test says otherwise). Every test makes
its own users and roles under unique names. This server runs one worker, so a
policy change made here takes effect at once; the tests still wait for it with
a bounded ``wait_until`` rather than assume it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .helpers import (
    CACHE_BOUND_S,
    DEFAULT_REGION,
    Account,
    Credentials,
    RawPost,
    RawResponse,
    Server,
    allow,
    assert_client_error,
    expect_error,
    json_body,
    policy_json,
    unique_name,
    wait_until,
)

ADMIN = "StrongroomAdmin."
LIST_KEYS = policy_json(allow("kms:ListKeys"))

# --------------------------------------------------------------------------- helpers


def admin_call(
    raw_post: RawPost,
    call: str,
    body: Mapping[str, Any] | bytes,
    creds: Credentials | None = None,
) -> RawResponse:
    """``StrongroomAdmin.<call>`` signed with ``creds`` (the account admin's by default)."""
    data = body if isinstance(body, bytes) else json_body(body)
    if creds is None:
        return raw_post(ADMIN + call, data)
    return raw_post(ADMIN + call, data, creds=creds)


def admin_ok(
    raw_post: RawPost,
    call: str,
    body: Mapping[str, Any],
    creds: Credentials | None = None,
) -> dict[str, Any]:
    """The JSON answer of a call that must succeed."""
    response = admin_call(raw_post, call, body, creds)
    assert response.status == 200, (call, response.status, response.body[:500])
    result: dict[str, Any] = response.json()
    return result


@dataclass(frozen=True)
class ApiUser:
    name: str
    arn: str
    principal_id: str
    credentials: Credentials


def create_user(raw_post: RawPost, creds: Credentials | None = None) -> ApiUser:
    """CreateUser then CreateAccessKey: a user with an access key and no policy."""
    name = unique_name("api-user")
    made = admin_ok(raw_post, "CreateUser", {"UserName": name}, creds)
    key = admin_ok(raw_post, "CreateAccessKey", {"UserName": name}, creds)
    return ApiUser(
        name,
        made["Arn"],
        made["PrincipalId"],
        Credentials(key["AccessKeyId"], key["SecretAccessKey"]),
    )


def client(server: Server, service: str, creds: Credentials, token: str | None = None) -> Any:
    """A boto3 client of ``service`` (kms or sts) for ``server``; retries off."""
    session = boto3.session.Session(
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        aws_session_token=token,
        region_name=DEFAULT_REGION,
    )
    config = Config(retries={"max_attempts": 1}, connect_timeout=10, read_timeout=60)
    return session.client(service, endpoint_url=server.endpoint, config=config)


def error_of(call: Callable[[], Any]) -> str | None:
    """The error code ``call()`` fails with, or None if it succeeds."""
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return None


def wait_for_outcome(call: Callable[[], Any], code: str | None, what: str) -> None:
    """Wait (bounded) until ``call()`` fails with ``code`` (None: until it succeeds)."""
    wait_until(
        lambda: error_of(call) == code,
        timeout=CACHE_BOUND_S,
        message=f"{what} ({code or 'success'})",
    )


def trust_policy(*principals: str) -> str:
    return policy_json(
        {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}
    )


def principals_by_arn(raw_post: RawPost, creds: Credentials | None = None) -> dict[str, Any]:
    answer = admin_ok(raw_post, "ListPrincipals", {}, creds)
    return {p["Arn"]: p for p in answer["Principals"]}


# --------------------------------------------------------------------------- users and keys


def test_create_user_returns_the_users_arn_and_principal_id(
    raw_post: RawPost, account: Account
) -> None:
    name = unique_name("api-user")
    made = admin_ok(raw_post, "CreateUser", {"UserName": name})
    assert made["Arn"] == f"arn:aws:iam::{account.account_id}:user/{name}"
    assert made["PrincipalId"].startswith("AIDA")
    assert "AccessKeyId" not in made
    assert "SecretAccessKey" not in made


def test_create_access_key_issues_credentials_that_authenticate(
    raw_post: RawPost, server: Server, account: Account
) -> None:
    user = create_user(raw_post)
    assert user.credentials.access_key_id.startswith("AKIA")
    assert len(user.credentials.access_key_id) == 20
    assert len(user.credentials.secret_access_key) == 40
    identity = client(server, "sts", user.credentials).get_caller_identity()
    assert (identity["Arn"], identity["UserId"], identity["Account"]) == (
        user.arn,
        user.principal_id,
        account.account_id,
    )


def test_a_new_user_is_denied_until_put_user_policy_allows_and_again_after_delete(
    raw_post: RawPost, server: Server
) -> None:
    user = create_user(raw_post)
    kms = client(server, "kms", user.credentials)
    with expect_error("AccessDeniedException") as err:
        kms.list_keys()
    assert err.message.startswith(f"User: {user.arn} is not authorized to perform: kms:ListKeys")

    policy = {"UserName": user.name, "PolicyName": "list-keys", "PolicyDocument": LIST_KEYS}
    assert admin_ok(raw_post, "PutUserPolicy", policy) == {}
    wait_for_outcome(kms.list_keys, None, "ListKeys allowed by the new user policy")
    # Only what the policy allows.
    with expect_error("AccessDeniedException"):
        kms.create_key()

    removed = {"UserName": user.name, "PolicyName": "list-keys"}
    assert admin_ok(raw_post, "DeleteUserPolicy", removed) == {}
    wait_for_outcome(kms.list_keys, "AccessDeniedException", "ListKeys denied once deleted")


def test_put_user_policy_replaces_a_policy_of_the_same_name(
    raw_post: RawPost, server: Server
) -> None:
    user = create_user(raw_post)
    kms = client(server, "kms", user.credentials)
    policy = {"UserName": user.name, "PolicyName": "p", "PolicyDocument": LIST_KEYS}
    admin_ok(raw_post, "PutUserPolicy", policy)
    wait_for_outcome(kms.list_keys, None, "ListKeys allowed")
    replaced = {**policy, "PolicyDocument": policy_json(allow("kms:ListAliases"))}
    admin_ok(raw_post, "PutUserPolicy", replaced)
    wait_for_outcome(kms.list_keys, "AccessDeniedException", "ListKeys denied once replaced")
    assert kms.list_aliases()["Aliases"] is not None
    assert principals_by_arn(raw_post)[user.arn]["Policies"] == ["p"]


def test_an_inactive_access_key_is_unrecognized_until_reactivated(
    raw_post: RawPost, server: Server
) -> None:
    user = create_user(raw_post)
    admin_ok(
        raw_post,
        "PutUserPolicy",
        {"UserName": user.name, "PolicyName": "list", "PolicyDocument": LIST_KEYS},
    )
    kms = client(server, "kms", user.credentials)
    wait_for_outcome(kms.list_keys, None, "ListKeys allowed")

    key_id = user.credentials.access_key_id
    update = {"AccessKeyId": key_id, "Status": "Inactive"}
    assert admin_ok(raw_post, "UpdateAccessKey", update) == {}
    wait_for_outcome(kms.list_keys, "UnrecognizedClientException", "the key refused")
    with expect_error("UnrecognizedClientException"):
        kms.list_keys()
    assert principals_by_arn(raw_post)[user.arn]["AccessKeys"] == [
        {"AccessKeyId": key_id, "Status": "Inactive"}
    ]

    admin_ok(raw_post, "UpdateAccessKey", {**update, "Status": "Active"})
    wait_for_outcome(kms.list_keys, None, "the key accepted again")


def test_a_user_can_have_a_second_access_key(raw_post: RawPost, server: Server) -> None:
    user = create_user(raw_post)
    second = admin_ok(raw_post, "CreateAccessKey", {"UserName": user.name})
    assert second["AccessKeyId"] != user.credentials.access_key_id
    creds = Credentials(second["AccessKeyId"], second["SecretAccessKey"])
    assert client(server, "sts", creds).get_caller_identity()["Arn"] == user.arn
    listed = principals_by_arn(raw_post)[user.arn]["AccessKeys"]
    assert {k["AccessKeyId"] for k in listed} == {
        user.credentials.access_key_id,
        second["AccessKeyId"],
    }


# --------------------------------------------------------------------------- roles


def test_a_role_made_through_the_admin_api_can_be_assumed_and_used(
    raw_post: RawPost, server: Server, account: Account
) -> None:
    name = unique_name("api-role")
    made = admin_ok(
        raw_post,
        "CreateRole",
        {"RoleName": name, "AssumeRolePolicyDocument": trust_policy(account.arn)},
    )
    assert made["Arn"] == f"arn:aws:iam::{account.account_id}:role/{name}"
    assert made["PrincipalId"].startswith("AROA")

    sts = client(server, "sts", account.credentials)
    answer = sts.assume_role(RoleArn=made["Arn"], RoleSessionName="api")["Credentials"]
    session = Credentials(answer["AccessKeyId"], answer["SecretAccessKey"])
    kms = client(server, "kms", session, answer["SessionToken"])
    with expect_error("AccessDeniedException"):
        kms.list_keys()

    policy = {"RoleName": name, "PolicyName": "keys", "PolicyDocument": LIST_KEYS}
    assert admin_ok(raw_post, "PutRolePolicy", policy) == {}
    wait_for_outcome(kms.list_keys, None, "ListKeys allowed by the role policy")
    identity = client(server, "sts", session, answer["SessionToken"]).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{account.account_id}:assumed-role/{name}/api"

    assert admin_ok(raw_post, "DeleteRolePolicy", {"RoleName": name, "PolicyName": "keys"}) == {}
    wait_for_outcome(kms.list_keys, "AccessDeniedException", "ListKeys denied once deleted")


def test_a_roles_trust_policy_decides_who_may_assume_it(
    raw_post: RawPost, server: Server, account: Account
) -> None:
    outsider = create_user(raw_post)
    admin_ok(
        raw_post,
        "PutUserPolicy",
        {
            "UserName": outsider.name,
            "PolicyName": "assume",
            "PolicyDocument": policy_json(allow("sts:AssumeRole")),
        },
    )
    name = unique_name("api-role")
    role = admin_ok(
        raw_post,
        "CreateRole",
        {"RoleName": name, "AssumeRolePolicyDocument": trust_policy(account.arn)},
    )
    sts = client(server, "sts", outsider.credentials)
    with expect_error("AccessDenied", status=403):
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="no")


def test_roles_get_no_access_keys(raw_post: RawPost, account: Account) -> None:
    name = unique_name("api-role")
    admin_ok(
        raw_post,
        "CreateRole",
        {"RoleName": name, "AssumeRolePolicyDocument": trust_policy(account.arn)},
    )
    # CreateAccessKey names a user: there is no user of that name.
    response = admin_call(raw_post, "CreateAccessKey", {"UserName": name})
    assert_client_error(response, "NotFoundException")


# --------------------------------------------------------------------------- ListPrincipals


def test_list_principals_lists_users_and_roles_without_secrets(
    raw_post: RawPost, account: Account
) -> None:
    user = create_user(raw_post)
    admin_ok(
        raw_post,
        "PutUserPolicy",
        {"UserName": user.name, "PolicyName": "list", "PolicyDocument": LIST_KEYS},
    )
    role_name = unique_name("api-role")
    role = admin_ok(
        raw_post,
        "CreateRole",
        {"RoleName": role_name, "AssumeRolePolicyDocument": trust_policy(account.arn)},
    )

    response = admin_call(raw_post, "ListPrincipals", {})
    assert response.status == 200, response.body[:500]
    listed = {p["Arn"]: p for p in response.json()["Principals"]}
    assert listed[user.arn] == {
        "Arn": user.arn,
        "Kind": "user",
        "PrincipalId": user.principal_id,
        "AccessKeys": [{"AccessKeyId": user.credentials.access_key_id, "Status": "Active"}],
        "Policies": ["list"],
    }
    assert listed[role["Arn"]] == {
        "Arn": role["Arn"],
        "Kind": "role",
        "PrincipalId": role["PrincipalId"],
        "AccessKeys": [],
        "Policies": [],
    }
    assert listed[account.arn]["Policies"] == ["AdministratorAccess"]
    assert all(arn.startswith(f"arn:aws:iam::{account.account_id}:") for arn in listed)
    body = response.body.decode()
    for secret in (user.credentials.secret_access_key, account.credentials.secret_access_key):
        assert secret not in body
    assert "Secret" not in body


def test_list_principals_shows_only_the_callers_account(
    raw_post: RawPost, other_account: Account
) -> None:
    user = create_user(raw_post)
    theirs = principals_by_arn(raw_post, other_account.credentials)
    assert user.arn not in theirs
    assert other_account.arn in theirs


# --------------------------------------------------------------------------- authorization


def test_a_user_without_iam_permissions_cannot_create_users(
    raw_post: RawPost, account: Account
) -> None:
    user = create_user(raw_post)
    name = unique_name("api-user")
    response = admin_call(raw_post, "CreateUser", {"UserName": name}, user.credentials)
    assert_client_error(response, "AccessDeniedException")
    assert response.error_message == (
        f"User: {user.arn} is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{account.account_id}:user/{name} because no identity-based policy "
        "allows the iam:CreateUser action"
    )
    assert f"arn:aws:iam::{account.account_id}:user/{name}" not in principals_by_arn(raw_post)


@pytest.mark.parametrize(
    ("call", "body"),
    [
        ("CreateRole", {"RoleName": "denied", "AssumeRolePolicyDocument": trust_policy("*")}),
        ("CreateAccessKey", {"UserName": "admin"}),
        ("PutUserPolicy", {"UserName": "admin", "PolicyName": "p", "PolicyDocument": LIST_KEYS}),
        ("PutRolePolicy", {"RoleName": "any", "PolicyName": "p", "PolicyDocument": LIST_KEYS}),
        ("DeleteUserPolicy", {"UserName": "admin", "PolicyName": "AdministratorAccess"}),
        ("DeleteRolePolicy", {"RoleName": "any", "PolicyName": "p"}),
        ("ListPrincipals", {}),
    ],
)
def test_a_user_without_iam_permissions_is_denied_every_admin_call(
    raw_post: RawPost, account: Account, call: str, body: dict[str, Any]
) -> None:
    user = create_user(raw_post)
    admin_before = principals_by_arn(raw_post)[account.arn]
    response = admin_call(raw_post, call, body, user.credentials)
    assert_client_error(response, "AccessDeniedException")
    assert response.error_message is not None
    assert f"is not authorized to perform: iam:{call} on resource: arn:aws:iam::" in (
        response.error_message
    )
    # The admin keeps its policy and gains no access key.
    assert principals_by_arn(raw_post)[account.arn] == admin_before


def test_a_user_cannot_deactivate_another_users_key_without_permission(
    raw_post: RawPost, server: Server
) -> None:
    victim = create_user(raw_post)
    attacker = create_user(raw_post)
    update = {"AccessKeyId": victim.credentials.access_key_id, "Status": "Inactive"}
    response = admin_call(raw_post, "UpdateAccessKey", update, attacker.credentials)
    assert_client_error(response, "AccessDeniedException")
    assert client(server, "sts", victim.credentials).get_caller_identity()["Arn"] == victim.arn


def test_iam_permissions_are_checked_against_the_named_resource(
    raw_post: RawPost, account: Account
) -> None:
    delegate = create_user(raw_post)
    prefix = unique_name("team")
    scoped = policy_json(
        allow("iam:CreateUser", f"arn:aws:iam::{account.account_id}:user/{prefix}-*")
    )
    admin_ok(
        raw_post,
        "PutUserPolicy",
        {"UserName": delegate.name, "PolicyName": "team", "PolicyDocument": scoped},
    )

    def create(name: str) -> RawResponse:
        return admin_call(raw_post, "CreateUser", {"UserName": name}, delegate.credentials)

    wait_until(
        lambda: create(f"{prefix}-alice").status == 200,
        timeout=CACHE_BOUND_S,
        message="CreateUser allowed by the scoped policy",
    )
    assert_client_error(create(unique_name("outside")), "AccessDeniedException")


def test_an_account_admin_cannot_touch_another_accounts_principals(
    raw_post: RawPost, server: Server, other_account: Account
) -> None:
    user = create_user(raw_post)
    foreign = other_account.credentials
    update = {"AccessKeyId": user.credentials.access_key_id, "Status": "Inactive"}
    assert_client_error(
        admin_call(raw_post, "UpdateAccessKey", update, foreign), "AccessDeniedException"
    )
    # Names are resolved in the caller's own account, where this user does not exist.
    policy = {"UserName": user.name, "PolicyName": "p", "PolicyDocument": LIST_KEYS}
    assert_client_error(admin_call(raw_post, "PutUserPolicy", policy, foreign), "NotFoundException")
    assert_client_error(
        admin_call(raw_post, "CreateAccessKey", {"UserName": user.name}, foreign),
        "NotFoundException",
    )
    assert client(server, "sts", user.credentials).get_caller_identity()["Arn"] == user.arn
    assert principals_by_arn(raw_post)[user.arn]["Policies"] == []


def test_an_unsigned_admin_call_is_refused(raw_post: RawPost) -> None:
    body = json_body({"UserName": unique_name("api-user")})
    response = raw_post(ADMIN + "CreateUser", body, sign=False)
    assert_client_error(response, "MissingAuthenticationTokenException")


# --------------------------------------------------------------------------- bad requests


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'"CreateUser"', b"42"])
def test_a_malformed_body_is_a_serialization_exception(raw_post: RawPost, body: bytes) -> None:
    assert_client_error(admin_call(raw_post, "CreateUser", body), "SerializationException")


@pytest.mark.parametrize(
    ("call", "body"),
    [
        ("CreateUser", {}),
        ("CreateUser", {"UserName": ""}),
        ("CreateUser", {"UserName": 7}),
        ("CreateUser", {"UserName": "has spaces"}),
        ("CreateUser", {"UserName": "x" * 65}),
        ("CreateRole", {"RoleName": "r"}),
        ("CreateRole", {"AssumeRolePolicyDocument": trust_policy("111122223333")}),
        ("CreateAccessKey", {}),
        ("UpdateAccessKey", {"Status": "Inactive"}),
        ("UpdateAccessKey", {"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA"}),
        ("UpdateAccessKey", {"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA", "Status": "Disabled"}),
        ("PutUserPolicy", {"UserName": "admin", "PolicyName": "p"}),
        ("PutUserPolicy", {"UserName": "admin", "PolicyDocument": LIST_KEYS}),
        ("PutUserPolicy", {"PolicyName": "p", "PolicyDocument": LIST_KEYS}),
        ("PutRolePolicy", {"PolicyName": "p", "PolicyDocument": LIST_KEYS}),
        ("DeleteUserPolicy", {"UserName": "admin"}),
        ("DeleteRolePolicy", {"PolicyName": "p"}),
    ],
)
def test_missing_or_invalid_members_are_a_validation_exception(
    raw_post: RawPost, call: str, body: dict[str, Any]
) -> None:
    assert_client_error(admin_call(raw_post, call, body), "ValidationException")


def test_an_unknown_admin_call_is_an_unknown_operation(raw_post: RawPost) -> None:
    response = admin_call(raw_post, "DeleteEverything", {})
    assert_client_error(response, "UnknownOperationException")


def test_creating_a_user_twice_is_already_exists(raw_post: RawPost) -> None:
    name = unique_name("api-user")
    admin_ok(raw_post, "CreateUser", {"UserName": name})
    assert_client_error(
        admin_call(raw_post, "CreateUser", {"UserName": name}), "AlreadyExistsException"
    )


def test_creating_a_role_twice_is_already_exists(raw_post: RawPost, account: Account) -> None:
    body = {"RoleName": unique_name("api-role"), "AssumeRolePolicyDocument": trust_policy("*")}
    admin_ok(raw_post, "CreateRole", body)
    assert_client_error(admin_call(raw_post, "CreateRole", body), "AlreadyExistsException")


def test_a_user_and_a_role_may_share_a_name(raw_post: RawPost, account: Account) -> None:
    name = unique_name("shared")
    admin_ok(raw_post, "CreateUser", {"UserName": name})
    body = {"RoleName": name, "AssumeRolePolicyDocument": trust_policy(account.arn)}
    assert admin_ok(raw_post, "CreateRole", body)["Arn"].endswith(f":role/{name}")


MALFORMED_POLICIES = {
    "not json": "{not json",
    "no statement": json.dumps({"Version": "2012-10-17"}),
    "bad effect": policy_json({"Effect": "Maybe", "Action": "kms:ListKeys", "Resource": "*"}),
    "no action": policy_json({"Effect": "Allow", "Resource": "*"}),
}


@pytest.mark.parametrize("document", list(MALFORMED_POLICIES))
@pytest.mark.parametrize("call", ["PutUserPolicy", "PutRolePolicy"])
def test_a_malformed_policy_document_is_refused(
    raw_post: RawPost, account: Account, call: str, document: str
) -> None:
    if call == "PutUserPolicy":
        owner = {"UserName": create_user(raw_post).name}
    else:
        role = unique_name("api-role")
        admin_ok(
            raw_post,
            "CreateRole",
            {"RoleName": role, "AssumeRolePolicyDocument": trust_policy(account.arn)},
        )
        owner = {"RoleName": role}
    body = {**owner, "PolicyName": "bad", "PolicyDocument": MALFORMED_POLICIES[document]}
    assert_client_error(admin_call(raw_post, call, body), "MalformedPolicyDocumentException")


@pytest.mark.parametrize("document", ["not json", "bad effect"])
def test_a_malformed_trust_policy_is_refused(raw_post: RawPost, document: str) -> None:
    name = unique_name("api-role")
    body = {"RoleName": name, "AssumeRolePolicyDocument": MALFORMED_POLICIES[document]}
    assert_client_error(
        admin_call(raw_post, "CreateRole", body), "MalformedPolicyDocumentException"
    )
    # Nothing was made: the name is still free.
    good = {"RoleName": name, "AssumeRolePolicyDocument": trust_policy("111122223333")}
    admin_ok(raw_post, "CreateRole", good)


@pytest.mark.parametrize(
    ("call", "body"),
    [
        ("CreateAccessKey", {"UserName": "nobody-here"}),
        (
            "PutUserPolicy",
            {"UserName": "nobody-here", "PolicyName": "p", "PolicyDocument": LIST_KEYS},
        ),
        (
            "PutRolePolicy",
            {"RoleName": "nobody-here", "PolicyName": "p", "PolicyDocument": LIST_KEYS},
        ),
        ("DeleteUserPolicy", {"UserName": "admin", "PolicyName": "never-attached"}),
        ("UpdateAccessKey", {"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA", "Status": "Inactive"}),
    ],
)
def test_calls_on_something_that_does_not_exist_are_refused(
    raw_post: RawPost, call: str, body: dict[str, Any]
) -> None:
    response = admin_call(raw_post, call, body)
    # An unknown access key is not told apart from another account's.
    expected = "AccessDeniedException" if call == "UpdateAccessKey" else "NotFoundException"
    assert_client_error(response, expected)
