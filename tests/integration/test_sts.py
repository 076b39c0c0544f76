"""STS through boto3: GetCallerIdentity, AssumeRole, and what a role session may do in KMS.

Roles and users are made with ``strongroom iam``; every test makes its own, so
a principal's identity policies are never cached by the server before they are
attached (except where a test changes them on purpose and waits for the cache).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config

from .helpers import (
    CACHE_BOUND_S,
    DEFAULT_REGION,
    Account,
    AwsCli,
    Credentials,
    IamUser,
    Server,
    advance_clock,
    allow,
    create_iam_user,
    create_key,
    deny,
    expect_error,
    iam_args,
    policy_json,
    put_identity_policy,
    run_strongroom_json,
    unique_name,
    wait_until,
)

# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Role:
    """A role made with ``strongroom iam create-role``."""

    arn: str
    principal_id: str
    name: str
    account_id: str

    def session_arn(self, session_name: str) -> str:
        return f"arn:aws:sts::{self.account_id}:assumed-role/{self.name}/{session_name}"


@dataclass(frozen=True)
class TemporaryCredentials:
    """The Credentials of an AssumeRole answer."""

    access_key_id: str
    secret_access_key: str
    session_token: str

    @classmethod
    def from_response(cls, response: Mapping[str, Any]) -> TemporaryCredentials:
        creds = response["Credentials"]
        return cls(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])

    @property
    def keys(self) -> Credentials:
        """The key pair alone, without the session token."""
        return Credentials(self.access_key_id, self.secret_access_key)


def _config(validate: bool) -> Config:
    return Config(
        retries={"max_attempts": 1},
        parameter_validation=validate,
        connect_timeout=10,
        read_timeout=60,
    )


def _client(
    service: str,
    server: Server,
    keys: Credentials,
    session_token: str | None,
    *,
    validate: bool = True,
) -> Any:
    session = boto3.session.Session(
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key,
        aws_session_token=session_token,
        region_name=DEFAULT_REGION,
    )
    return session.client(service, endpoint_url=server.endpoint, config=_config(validate))


def sts_client(
    server: Server,
    creds: Credentials | TemporaryCredentials | None = None,
    *,
    session_token: str | None = None,
    validate: bool = True,
) -> Any:
    """A boto3 STS client; temporary credentials bring their own session token."""
    if isinstance(creds, TemporaryCredentials):
        return _client("sts", server, creds.keys, creds.session_token, validate=validate)
    return _client("sts", server, creds or server.credentials, session_token, validate=validate)


def kms_client(
    server: Server,
    creds: Credentials | TemporaryCredentials,
    *,
    session_token: str | None = None,
) -> Any:
    """A boto3 KMS client; temporary credentials bring their own session token."""
    if isinstance(creds, TemporaryCredentials):
        return _client("kms", server, creds.keys, creds.session_token)
    return _client("kms", server, creds, session_token)


def trust_policy(*principals: str) -> str:
    """A trust policy letting these AWS principals (ARNs or account ids) call sts:AssumeRole."""
    return policy_json(
        {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}
    )


def create_role(server: Server, account_id: str, trust: str) -> Role:
    name = unique_name("role")
    args = iam_args(server, "create-role", "--account-id", account_id, "--name", name)
    data = run_strongroom_json([*args, "--trust-policy", trust, "--json"], server.env)
    return Role(str(data["Arn"]), str(data["PrincipalId"]), name, account_id)


def assume(
    sts: Any, role: Role, session_name: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    response: dict[str, Any] = sts.assume_role(
        RoleArn=role.arn, RoleSessionName=session_name or unique_name("s"), **kwargs
    )
    return response


def server_now(server: Server) -> float:
    return advance_clock(server, 0)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def admin_sts(server: Server) -> Any:
    return sts_client(server)


@pytest.fixture(scope="module")
def admin_sts_unvalidated(server: Server) -> Any:
    return sts_client(server, validate=False)


@pytest.fixture
def admin_role(server: Server, account: Account) -> Role:
    """A role whose trust policy names the account's admin user directly."""
    return create_role(server, account.account_id, trust_policy(account.arn))


# --------------------------------------------------------------------------- GetCallerIdentity


def test_get_caller_identity_names_the_admin_user_its_principal_id_and_account(
    server: Server, admin_sts: Any, account: Account
) -> None:
    listed = run_strongroom_json(
        ["iam", "list", "--data-dir", str(server.data_dir), "--account-id", account.account_id]
        + ["--json"],
        server.env,
    ) if False else None
    del listed
    identity = admin_sts.get_caller_identity()
    assert identity["Arn"] == account.arn == f"arn:aws:iam::{account.account_id}:user/admin"
    assert identity["Account"] == account.account_id
    assert identity["UserId"] == admin_principal_id(server, account)


def admin_principal_id(server: Server, account: Account) -> str:
    from .helpers import run_strongroom

    args = iam_args(server, "list", "--account-id", account.account_id, "--json")
    principals = json.loads(run_strongroom(args, server.env).stdout)
    (admin,) = [p for p in principals if p["Arn"] == account.arn]
    return str(admin["PrincipalId"])
