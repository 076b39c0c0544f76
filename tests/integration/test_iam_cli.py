"""The ``strongroom iam`` commands: users, roles, access keys and inline policies.

Every failure must be a non-zero exit with a one-line ``Error: ...`` on
stderr, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import (
    Account,
    CliResult,
    Credentials,
    KmsClientFactory,
    Server,
    allow,
    create_iam_user,
    expect_error,
    iam_args,
    policy_json,
    put_identity_policy,
    run_strongroom_unchecked,
    unique_name,
)

ENCRYPT_ANYWHERE = policy_json(allow("kms:Encrypt"))


def iam(server: Server, command: str, *args: str) -> CliResult:
    return run_strongroom_unchecked(iam_args(server, command, *args), server.env)


def iam_json(server: Server, command: str, *args: str) -> Any:
    result = iam(server, command, *args, "--json")
    assert result.ok, f"strongroom iam {command} exited with {result.returncode}: {result.stderr}"
    return json.loads(result.stdout)


def assert_fails_cleanly(result: CliResult, *fragments: str) -> None:
    """A non-zero exit whose stderr names the problem, without a traceback."""
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def listed(server: Server, account_id: str) -> dict[str, dict[str, Any]]:
    """``iam list --json`` by ARN."""
    return {p["Arn"]: p for p in iam_json(server, "list", "--account-id", account_id)}


# --------------------------------------------------------------------------- create-user


def test_create_user_prints_its_arn_and_principal_id(server: Server, account: Account) -> None:
    name = unique_name("cli-user")
    out = iam_json(server, "create-user", "--account-id", account.account_id, "--name", name)
    assert out["Arn"] == f"arn:aws:iam::{account.account_id}:user/{name}"
    assert out["PrincipalId"].startswith("AIDA")
    assert "AccessKeyId" not in out
    assert "SecretAccessKey" not in out
    entry = listed(server, account.account_id)[out["Arn"]]
    assert entry["Kind"] == "user"
    assert entry["PrincipalId"] == out["PrincipalId"]
    assert entry["AccessKeys"] == []
    assert entry["Policies"] == []


def test_create_user_with_an_access_key_gives_working_credentials(
    server: Server, account: Account, kms_client: KmsClientFactory
) -> None:
    name = unique_name("cli-user")
    out = iam_json(
        server,
        "create-user",
        "--account-id",
        account.account_id,
        "--name",
        name,
        "--with-access-key",
    )
    assert out["AccessKeyId"].startswith("AKIA")
    assert len(out["SecretAccessKey"]) == 40
    kms = kms_client(creds=Credentials(out["AccessKeyId"], out["SecretAccessKey"]))
    # Authenticated (not UnrecognizedClient), but a new user may do nothing.
    with expect_error("AccessDeniedException"):
        kms.list_keys()
    keys = listed(server, account.account_id)[out["Arn"]]["AccessKeys"]
    assert keys == [{"AccessKeyId": out["AccessKeyId"], "Status": "Active"}]


def test_create_user_in_an_unknown_account_fails_cleanly(server: Server) -> None:
    result = iam(server, "create-user", "--account-id", "999999999999", "--name", unique_name())
    assert_fails_cleanly(result, "Account 999999999999 does not exist")


def test_create_user_twice_with_one_name_fails_cleanly(server: Server, account: Account) -> None:
    name = unique_name("cli-user")
    iam_json(server, "create-user", "--account-id", account.account_id, "--name", name)
    result = iam(server, "create-user", "--account-id", account.account_id, "--name", name)
    assert_fails_cleanly(result, f"arn:aws:iam::{account.account_id}:user/{name} already exists")


def test_two_accounts_may_have_users_of_the_same_name(
    server: Server, account: Account, other_account: Account
) -> None:
    name = unique_name("cli-user")
    mine = iam_json(server, "create-user", "--account-id", account.account_id, "--name", name)
    theirs = iam_json(
        server, "create-user", "--account-id", other_account.account_id, "--name", name
    )
    assert mine["Arn"] != theirs["Arn"]
    assert theirs["Arn"] == f"arn:aws:iam::{other_account.account_id}:user/{name}"


@pytest.mark.parametrize("name", ["has space", "slash/name", "x" * 65, ""])
def test_create_user_with_an_invalid_name_fails_cleanly(
    server: Server, account: Account, name: str
) -> None:
    result = iam(server, "create-user", "--account-id", account.account_id, "--name", name)
    assert_fails_cleanly(result, "Invalid user name")


# --------------------------------------------------------------------------- inline policies


def test_put_policy_attaches_a_policy_that_the_server_enforces(
    server: Server, account: Account, kms_client: KmsClientFactory, kms: Any
) -> None:
    user = create_iam_user(server, account.account_id)
    key_id = kms.create_key(Description=unique_name("cli"))["KeyMetadata"]["KeyId"]
    result = iam(
        server, "put-policy", "--arn", user.arn, "--name", "encrypt", "--document", ENCRYPT_ANYWHERE
    )
    assert result.ok, result.stderr
    assert listed(server, account.account_id)[user.arn]["Policies"] == ["encrypt"]
    client = kms_client(creds=user.credentials)
    client.encrypt(KeyId=key_id, Plaintext=b"x")
    with expect_error("AccessDeniedException"):
        client.describe_key(KeyId=key_id)


def test_put_policy_reads_a_document_from_a_file(
    server: Server, account: Account, tmp_path: Path
) -> None:
    user = create_iam_user(server, account.account_id)
    document = tmp_path / "policy.json"
    document.write_text(ENCRYPT_ANYWHERE)
    for value in (f"@{document}", str(document)):
        result = iam(server, "put-policy", "--arn", user.arn, "--name", "p", "--document", value)
        assert result.ok, result.stderr
    assert listed(server, account.account_id)[user.arn]["Policies"] == ["p"]


def test_put_policy_with_the_same_name_replaces_the_policy(
    server: Server, account: Account
) -> None:
    user = create_iam_user(server, account.account_id)
    put_identity_policy(server, user.arn, "p", ENCRYPT_ANYWHERE)
    put_identity_policy(server, user.arn, "p", policy_json(allow("kms:Decrypt")))
    put_identity_policy(server, user.arn, "q", policy_json(allow("kms:ListKeys")))
    assert sorted(listed(server, account.account_id)[user.arn]["Policies"]) == ["p", "q"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"Version": "2012-10-17", "Statement": [', "Policy contains invalid JSON."),
        (
            policy_json(allow("kms:*", Principal={"AWS": "*"})),
            "Policy document should not specify a principal.",
        ),
        (
            policy_json({"Effect": "Allow", "Resource": "*"}),
            "Policy statement must contain actions.",
        ),
        (policy_json(allow("kms:*", Colour="blue")), "unsupported element"),
        (json.dumps({"Version": "2012-10-17", "Statement": []}), "at least one statement"),
    ],
    ids=["not-json", "principal", "no-action", "unknown-element", "no-statement"],
)
def test_put_policy_with_a_malformed_document_fails_cleanly_and_attaches_nothing(
    server: Server, account: Account, document: str, message: str
) -> None:
    user = create_iam_user(server, account.account_id)
    result = iam(server, "put-policy", "--arn", user.arn, "--name", "p", "--document", document)
    assert_fails_cleanly(result, message)
    assert listed(server, account.account_id)[user.arn]["Policies"] == []


def test_put_policy_for_an_unknown_principal_fails_cleanly(
    server: Server, account: Account
) -> None:
    arn = f"arn:aws:iam::{account.account_id}:user/{unique_name('nobody')}"
    result = iam(server, "put-policy", "--arn", arn, "--name", "p", "--document", ENCRYPT_ANYWHERE)
    assert_fails_cleanly(result, f"{arn} does not exist")


def test_put_policy_with_an_invalid_policy_name_fails_cleanly(
    server: Server, account: Account
) -> None:
    user = create_iam_user(server, account.account_id)
    result = iam(
        server, "put-policy", "--arn", user.arn, "--name", "a b", "--document", ENCRYPT_ANYWHERE
    )
    assert_fails_cleanly(result, "Invalid policy name")


def test_delete_policy_detaches_it(server: Server, account: Account) -> None:
    user = create_iam_user(server, account.account_id)
    put_identity_policy(server, user.arn, "p", ENCRYPT_ANYWHERE)
    put_identity_policy(server, user.arn, "q", ENCRYPT_ANYWHERE)
    result = iam(server, "delete-policy", "--arn", user.arn, "--name", "p")
    assert result.ok, result.stderr
    assert listed(server, account.account_id)[user.arn]["Policies"] == ["q"]


def test_delete_policy_that_is_not_attached_fails_cleanly(server: Server, account: Account) -> None:
    user = create_iam_user(server, account.account_id)
    result = iam(server, "delete-policy", "--arn", user.arn, "--name", "never")
    assert_fails_cleanly(result, f"{user.arn} has no policy named never")


def test_delete_policy_of_an_unknown_principal_fails_cleanly(
    server: Server, account: Account
) -> None:
    arn = f"arn:aws:iam::{account.account_id}:user/{unique_name('nobody')}"
    assert_fails_cleanly(
        iam(server, "delete-policy", "--arn", arn, "--name", "p"), "does not exist"
    )


# --------------------------------------------------------------------------- access keys


def test_create_access_key_adds_a_second_working_key(
    server: Server, account: Account, kms_client: KmsClientFactory
) -> None:
    user = create_iam_user(server, account.account_id)
    put_identity_policy(server, user.arn, "p", policy_json(allow("kms:ListKeys")))
    out = iam_json(server, "create-access-key", "--arn", user.arn)
    assert out["AccessKeyId"].startswith("AKIA")
    assert out["AccessKeyId"] != user.credentials.access_key_id
    assert len(out["SecretAccessKey"]) == 40
    for creds in (user.credentials, Credentials(out["AccessKeyId"], out["SecretAccessKey"])):
        assert "Keys" in kms_client(creds=creds).list_keys(Limit=1)
    keys = listed(server, account.account_id)[user.arn]["AccessKeys"]
    assert {k["AccessKeyId"] for k in keys} == {user.credentials.access_key_id, out["AccessKeyId"]}


def test_create_access_key_for_an_unknown_user_fails_cleanly(
    server: Server, account: Account
) -> None:
    arn = f"arn:aws:iam::{account.account_id}:user/{unique_name('nobody')}"
    assert_fails_cleanly(iam(server, "create-access-key", "--arn", arn), f"{arn} does not exist")


def test_set_access_key_status_is_shown_by_list(server: Server, account: Account) -> None:
    user = create_iam_user(server, account.account_id)
    access_key_id = user.credentials.access_key_id

    def status() -> str:
        keys = listed(server, account.account_id)[user.arn]["AccessKeys"]
        return str(keys[0]["Status"])

    result = iam(server, "set-access-key-status", "--access-key-id", access_key_id, "--inactive")
    assert result.ok, result.stderr
    assert status() == "Inactive"
    result = iam(server, "set-access-key-status", "--access-key-id", access_key_id, "--active")
    assert result.ok, result.stderr
    assert status() == "Active"


def test_set_access_key_status_of_an_unknown_key_fails_cleanly(server: Server) -> None:
    result = iam(
        server, "set-access-key-status", "--access-key-id", "AKIAUNKNOWNUNKNOWN00", "--inactive"
    )
    assert_fails_cleanly(result, "Access key AKIAUNKNOWNUNKNOWN00 does not exist")


def test_set_access_key_status_needs_active_or_inactive(server: Server, account: Account) -> None:
    user = create_iam_user(server, account.account_id)
    result = iam(server, "set-access-key-status", "--access-key-id", user.credentials.access_key_id)
    assert result.returncode == 2, result  # click's usage error
    assert "Traceback" not in result.stderr
    assert "--active" in result.stderr


# --------------------------------------------------------------------------- roles


def test_create_role_with_a_trust_policy_is_listed_as_a_role(
    server: Server, account: Account
) -> None:
    name = unique_name("cli-role")
    trust = policy_json(
        allow("sts:AssumeRole", Principal={"AWS": account.root_arn()}, Resource="*")
    )
    out = iam_json(
        server,
        "create-role",
        "--account-id",
        account.account_id,
        "--name",
        name,
        "--trust-policy",
        trust,
    )
    assert out["Arn"] == f"arn:aws:iam::{account.account_id}:role/{name}"
    assert out["PrincipalId"].startswith("AROA")
    assert listed(server, account.account_id)[out["Arn"]]["Kind"] == "role"

    # Roles get credentials from AssumeRole, never access keys of their own.
    assert_fails_cleanly(
        iam(server, "create-access-key", "--arn", out["Arn"]), "Only users have access keys."
    )
    put_identity_policy(server, out["Arn"], "p", ENCRYPT_ANYWHERE)
    assert listed(server, account.account_id)[out["Arn"]]["Policies"] == ["p"]


def test_create_role_with_a_malformed_trust_policy_fails_cleanly(
    server: Server, account: Account
) -> None:
    name = unique_name("cli-role")
    trust = policy_json(allow("sts:AssumeRole"))  # no Principal
    result = iam(
        server,
        "create-role",
        "--account-id",
        account.account_id,
        "--name",
        name,
        "--trust-policy",
        trust,
    )
    assert_fails_cleanly(result, "Missing required field Principal.")
    assert f"arn:aws:iam::{account.account_id}:role/{name}" not in listed(
        server, account.account_id
    )


# --------------------------------------------------------------------------- list


def test_list_shows_the_admin_with_administrator_access_and_no_secrets(
    server: Server, account: Account
) -> None:
    result = iam(server, "list", "--account-id", account.account_id, "--json")
    assert result.ok, result.stderr
    admin = {p["Arn"]: p for p in json.loads(result.stdout)}[account.arn]
    assert admin["Kind"] == "user"
    assert admin["Policies"] == ["AdministratorAccess"]
    assert {"AccessKeyId": account.credentials.access_key_id, "Status": "Active"} in admin[
        "AccessKeys"
    ]
    assert account.credentials.secret_access_key not in result.stdout
    assert "SecretAccessKey" not in result.stdout


def test_list_without_json_is_readable_text(server: Server, account: Account) -> None:
    result = iam(server, "list", "--account-id", account.account_id)
    assert result.ok, result.stderr
    assert account.arn in result.stdout
    assert f"{account.credentials.access_key_id} (Active)" in result.stdout
    assert "AdministratorAccess" in result.stdout
    assert account.credentials.secret_access_key not in result.stdout


def test_list_of_an_unknown_account_fails_cleanly(server: Server) -> None:
    result = iam(server, "list", "--account-id", "999999999999")
    assert_fails_cleanly(result, "Account 999999999999 does not exist")


def test_list_shows_only_the_accounts_own_principals(
    server: Server, account: Account, other_account: Account
) -> None:
    user = create_iam_user(server, other_account.account_id)
    mine = listed(server, account.account_id)
    theirs = listed(server, other_account.account_id)
    assert user.arn in theirs
    assert user.arn not in mine
    assert all(arn.startswith(f"arn:aws:iam::{account.account_id}:") for arn in mine)


# --------------------------------------------------------------------------- data directory


def test_iam_commands_on_an_uninitialised_data_dir_fail_cleanly(
    server: Server, tmp_path: Path
) -> None:
    result = run_strongroom_unchecked(
        ["iam", "list", "--data-dir", str(tmp_path / "empty"), "--account-id", "111122223333"],
        server.env,
    )
    assert_fails_cleanly(result, "root key")
