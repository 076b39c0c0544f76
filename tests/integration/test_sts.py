"""STS through boto3: GetCallerIdentity, AssumeRole, and what a role session may do in KMS.

Roles and users are made with ``strongroom iam``. A test that attaches identity
policies makes its own principals and attaches them before their first use, so
the server has not cached them yet; the one test that changes a policy after use
waits (bounded) for the server's cache.
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
from botocore.exceptions import ClientError

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
    run_strongroom,
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
    config = Config(
        retries={"max_attempts": 1},
        parameter_validation=validate,
        connect_timeout=10,
        read_timeout=60,
    )
    return session.client(service, endpoint_url=server.endpoint, config=config)


def sts_client(
    server: Server,
    creds: Credentials | TemporaryCredentials | None = None,
    *,
    session_token: str | None = None,
    validate: bool = True,
) -> Any:
    """A boto3 STS client (the admin's by default); temporary credentials bring their token."""
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


def assume(sts: Any, role: Role, session_name: str | None = None, **kwargs: Any) -> Any:
    """AssumeRole (a fresh session name unless given); the whole answer."""
    return sts.assume_role(
        RoleArn=role.arn, RoleSessionName=session_name or unique_name("s"), **kwargs
    )


def session_of(sts: Any, role: Role, session_name: str | None = None) -> TemporaryCredentials:
    return TemporaryCredentials.from_response(assume(sts, role, session_name))


def principal_id_of(server: Server, account_id: str, arn: str) -> str:
    """A principal's id as ``strongroom iam list`` reports it."""
    args = iam_args(server, "list", "--account-id", account_id, "--json")
    principals = json.loads(run_strongroom(args, server.env).stdout)
    (match,) = [p for p in principals if p["Arn"] == arn]
    return str(match["PrincipalId"])


def assume_role_denied(caller_arn: str, role_arn: str) -> str:
    return (
        f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    )


def server_now(server: Server) -> float:
    """The server's own clock, which issues sessions and judges their expiry."""
    return advance_clock(server, 0)


def succeeds(call: Any) -> bool:
    """Whether ``call()`` returns without an AccessDenied (other errors propagate)."""
    try:
        call()
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "AccessDenied":
            raise
        return False
    return True


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def admin_sts(server: Server) -> Any:
    return sts_client(server)


@pytest.fixture(scope="module")
def admin_sts_unvalidated(server: Server) -> Any:
    """The admin's STS client without boto3's parameter validation (to send bad values)."""
    return sts_client(server, validate=False)


@pytest.fixture(scope="module")
def bare_role(server: Server, account: Account) -> Role:
    """A role that never gets an identity policy, whose trust policy names the admin user.

    Shared by the module's tests (``strongroom iam`` takes a second or two a call):
    tests that attach policies use ``role`` instead.
    """
    return create_role(server, account.account_id, trust_policy(account.arn))


@pytest.fixture
def role(server: Server, account: Account) -> Role:
    """A fresh role (for a test to attach identity policies to) that trusts the admin user."""
    return create_role(server, account.account_id, trust_policy(account.arn))


@pytest.fixture
def role_session(admin_sts: Any, bare_role: Role) -> TemporaryCredentials:
    """A session of ``bare_role``: it may do nothing unless a key policy names the role."""
    return session_of(admin_sts, bare_role)


# --------------------------------------------------------------------------- GetCallerIdentity


def test_get_caller_identity_names_the_admin_user_its_principal_id_and_account(
    server: Server, admin_sts: Any, account: Account
) -> None:
    identity = admin_sts.get_caller_identity()
    assert identity["Arn"] == account.arn == f"arn:aws:iam::{account.account_id}:user/admin"
    assert identity["Account"] == account.account_id
    assert identity["UserId"] == principal_id_of(server, account.account_id, account.arn)
    assert identity["UserId"].startswith("AIDA")


def test_get_caller_identity_needs_no_permission(server: Server, account: Account) -> None:
    user = create_iam_user(server, account.account_id)
    identity = sts_client(server, user.credentials).get_caller_identity()
    assert (identity["Arn"], identity["UserId"], identity["Account"]) == (
        user.arn,
        user.principal_id,
        account.account_id,
    )


def test_get_caller_identity_of_a_role_session_names_the_assumed_role_and_session(
    server: Server, admin_sts: Any, bare_role: Role, account: Account
) -> None:
    creds = session_of(admin_sts, bare_role, "build-42")
    identity = sts_client(server, creds).get_caller_identity()
    assert (
        identity["Arn"]
        == f"arn:aws:sts::{account.account_id}:assumed-role/{bare_role.name}/build-42"
    )
    assert identity["UserId"] == f"{bare_role.principal_id}:build-42"
    assert identity["UserId"].startswith("AROA")
    assert identity["Account"] == account.account_id


# --------------------------------------------------------------------------- AssumeRole


def test_assume_role_issues_temporary_credentials_for_an_hour_by_default(
    server: Server, admin_sts: Any, bare_role: Role
) -> None:
    before = server_now(server)
    response = assume(admin_sts, bare_role, "alice@example.com")
    after = server_now(server)

    creds = response["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40
    assert len(creds["SessionToken"]) >= 64
    expiration: datetime.datetime = creds["Expiration"]
    assert expiration.tzinfo is not None
    # The server's clock (which tests move) issues the session; its answer is whole seconds.
    assert before + 3600 - 1 <= expiration.timestamp() <= after + 3600

    assert response["AssumedRoleUser"] == {
        "AssumedRoleId": f"{bare_role.principal_id}:alice@example.com",
        "Arn": bare_role.session_arn("alice@example.com"),
    }


@pytest.mark.parametrize("duration", [900, 43_200])
def test_assume_role_honours_duration_seconds_at_both_bounds(
    server: Server, admin_sts: Any, bare_role: Role, duration: int
) -> None:
    before = server_now(server)
    response = assume(admin_sts, bare_role, DurationSeconds=duration)
    after = server_now(server)
    expiration = response["Credentials"]["Expiration"].timestamp()
    assert before + duration - 1 <= expiration <= after + duration


def test_each_assume_role_call_issues_distinct_credentials(admin_sts: Any, bare_role: Role) -> None:
    first = session_of(admin_sts, bare_role, "same")
    second = session_of(admin_sts, bare_role, "same")
    assert first.access_key_id != second.access_key_id
    assert first.secret_access_key != second.secret_access_key
    assert first.session_token != second.session_token


# --------------------------------------------------------------------------- sessions in KMS


def test_a_role_session_may_call_kms_exactly_as_the_roles_identity_policy_allows(
    server: Server, kms: Any, admin_sts: Any, role: Role
) -> None:
    key = create_key(kms)
    put_identity_policy(server, role.arn, "encrypt-only", policy_json(allow("kms:Encrypt")))
    session_name = unique_name("s")
    session_kms = kms_client(server, session_of(admin_sts, role, session_name))

    blob = session_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"role data")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"role data"

    with expect_error(
        "AccessDeniedException",
        message=(
            f"User: {role.session_arn(session_name)} is not authorized to perform: "
            f"kms:Decrypt on resource: {key['Arn']} "
            "because no identity-based policy allows the kms:Decrypt action"
        ),
    ):
        session_kms.decrypt(CiphertextBlob=blob, KeyId=key["Arn"])
    # Without a KeyId the refusal does not name the key the ciphertext came from.
    with expect_error("AccessDeniedException") as error:
        session_kms.decrypt(CiphertextBlob=blob)
    assert key["Arn"] not in error.message
    assert "the resource associated with this ciphertext" in error.message


def test_a_role_session_does_not_get_the_permissions_of_the_user_who_assumed_it(
    server: Server, key: dict[str, Any], role_session: TemporaryCredentials
) -> None:
    # The admin may do anything; the role it assumed has no identity policy at all.
    with expect_error("AccessDeniedException") as error:
        kms_client(server, role_session).encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert "assumed-role/" in error.message
    assert "no identity-based policy allows the kms:Encrypt action" in error.message


def test_an_explicit_deny_in_the_roles_policy_overrides_its_allow(
    server: Server, key: dict[str, Any], admin_sts: Any, role: Role
) -> None:
    put_identity_policy(
        server,
        role.arn,
        "all-but-decrypt",
        policy_json(allow("kms:*"), deny("kms:Decrypt", key["Arn"])),
    )
    session_kms = kms_client(server, session_of(admin_sts, role))
    blob = session_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    with expect_error("AccessDeniedException") as error:
        session_kms.decrypt(CiphertextBlob=blob, KeyId=key["Arn"])
    assert error.message.endswith("with an explicit deny in an identity-based policy")


def test_a_key_policy_naming_the_role_lets_its_sessions_use_the_key_without_identity_policies(
    server: Server, kms: Any, account: Account, role_session: TemporaryCredentials, bare_role: Role
) -> None:
    key_policy = policy_json(
        allow("kms:*", Principal={"AWS": account.root_arn()}),
        allow(["kms:Encrypt", "kms:Decrypt"], Principal={"AWS": bare_role.arn}),
    )
    key = create_key(kms, Policy=key_policy)
    default_key = create_key(kms)
    session_kms = kms_client(server, role_session)

    blob = session_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"by key policy")["CiphertextBlob"]
    assert session_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"by key policy"
    # The key policy names only Encrypt and Decrypt, and the default policy only delegates.
    with expect_error("AccessDeniedException"):
        session_kms.describe_key(KeyId=key["KeyId"])
    with expect_error("AccessDeniedException"):
        session_kms.encrypt(KeyId=default_key["KeyId"], Plaintext=b"x")


def test_a_role_session_round_trips_a_data_key(
    server: Server, kms: Any, admin_sts: Any, role: Role
) -> None:
    key = create_key(kms)
    put_identity_policy(
        server,
        role.arn,
        "data-keys",
        policy_json(allow(["kms:GenerateDataKey", "kms:Decrypt"], key["Arn"])),
    )
    session_kms = kms_client(server, session_of(admin_sts, role))
    data_key = session_kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    decrypted = session_kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])
    assert decrypted["Plaintext"] == data_key["Plaintext"]


# --------------------------------------------------------------------------- trust


def test_assume_role_is_denied_when_the_trust_policy_does_not_name_the_caller(
    server: Server, admin_sts: Any, account: Account
) -> None:
    other_user = create_iam_user(server, account.account_id)
    role = create_role(server, account.account_id, trust_policy(other_user.arn))
    # The admin may do everything in its account, but the trust policy names only other_user.
    with expect_error(
        "AccessDenied", message=assume_role_denied(account.arn, role.arn), status=403
    ):
        assume(admin_sts, role)
    # ...who may assume it, without any identity policy: the trust policy names it directly.
    assume(sts_client(server, other_user.credentials), role)


def test_a_trust_policy_delegating_to_the_account_needs_an_identity_policy_allowing_assume_role(
    server: Server, account: Account
) -> None:
    role = create_role(server, account.account_id, trust_policy(account.root_arn()))
    user = create_iam_user(server, account.account_id)
    user_sts = sts_client(server, user.credentials)
    with expect_error("AccessDenied", message=assume_role_denied(user.arn, role.arn), status=403):
        assume(user_sts, role)

    put_identity_policy(server, user.arn, "assume", policy_json(allow("sts:AssumeRole", role.arn)))
    wait_until(
        lambda: succeeds(lambda: assume(user_sts, role)),
        CACHE_BOUND_S,
        message="AssumeRole allowed once the identity policy allows sts:AssumeRole",
    )


def test_an_identity_policy_allowing_another_role_does_not_let_the_caller_assume_this_one(
    server: Server, account: Account
) -> None:
    role = create_role(server, account.account_id, trust_policy(account.account_id))
    other_role = create_role(server, account.account_id, trust_policy(account.account_id))
    user = create_iam_user(server, account.account_id)
    put_identity_policy(
        server, user.arn, "assume-other", policy_json(allow("sts:AssumeRole", other_role.arn))
    )
    user_sts = sts_client(server, user.credentials)
    with expect_error("AccessDenied", status=403):
        assume(user_sts, role)
    assume(user_sts, other_role)


def test_an_identity_policy_denying_assume_role_overrides_a_trust_policy_naming_the_caller(
    server: Server, account: Account
) -> None:
    user = create_iam_user(server, account.account_id)
    role = create_role(server, account.account_id, trust_policy(user.arn))
    put_identity_policy(server, user.arn, "no-roles", policy_json(deny("sts:AssumeRole")))
    with expect_error("AccessDenied", message=assume_role_denied(user.arn, role.arn), status=403):
        assume(sts_client(server, user.credentials), role)


@pytest.mark.parametrize(
    "role_arn",
    [
        pytest.param("arn:aws:iam::{account}:role/{missing}", id="unknown-role"),
        pytest.param("arn:aws:iam::999999999999:role/{missing}", id="unknown-account"),
        pytest.param("arn:aws:iam::{account}:user/admin", id="a-user-not-a-role"),
    ],
)
def test_assuming_something_that_is_not_an_existing_role_is_access_denied(
    admin_sts: Any, account: Account, role_arn: str
) -> None:
    arn = role_arn.format(account=account.account_id, missing=unique_name("no-such-role"))
    with expect_error("AccessDenied", message=assume_role_denied(account.arn, arn), status=403):
        admin_sts.assume_role(RoleArn=arn, RoleSessionName="s1")


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("duration", [899, 43_201, 0, -1])
def test_duration_seconds_outside_900_to_43200_is_a_validation_error(
    admin_sts_unvalidated: Any, bare_role: Role, duration: int
) -> None:
    with expect_error("ValidationError", status=400) as error:
        assume(admin_sts_unvalidated, bare_role, DurationSeconds=duration)
    assert "durationSeconds" in error.message


@pytest.mark.parametrize(
    "session_name",
    [
        pytest.param("a", id="too-short"),
        pytest.param("x" * 65, id="too-long"),
        pytest.param("has space", id="space"),
        pytest.param("slash/name", id="slash"),
        pytest.param("colon:name", id="colon"),
        pytest.param("caf\u00e9", id="non-ascii-letter"),
    ],
)
def test_an_invalid_role_session_name_is_a_validation_error(
    admin_sts_unvalidated: Any, bare_role: Role, session_name: str
) -> None:
    with expect_error("ValidationError", status=400) as error:
        assume(admin_sts_unvalidated, bare_role, session_name)
    assert "roleSessionName" in error.message


@pytest.mark.parametrize(
    "missing", ["RoleArn", "RoleSessionName"], ids=["no-role-arn", "no-session-name"]
)
def test_assume_role_without_a_role_arn_or_session_name_is_a_validation_error(
    admin_sts_unvalidated: Any, bare_role: Role, missing: str
) -> None:
    params = {"RoleArn": bare_role.arn, "RoleSessionName": "s1"}
    del params[missing]
    with expect_error("ValidationError", status=400):
        admin_sts_unvalidated.assume_role(**params)


@pytest.mark.parametrize(
    "session_name", ["ab", "x" * 64, "A_b+c=d,e.f@g-h"], ids=["2", "64", "punctuation"]
)
def test_role_session_names_of_the_allowed_alphabet_and_length_are_accepted(
    admin_sts: Any, bare_role: Role, session_name: str
) -> None:
    response = assume(admin_sts, bare_role, session_name)
    assert response["AssumedRoleUser"]["Arn"] == bare_role.session_arn(session_name)


@pytest.mark.parametrize(
    "session_policy",
    [
        pytest.param({"Policy": policy_json(allow("kms:Encrypt"))}, id="inline-Policy"),
        pytest.param(
            {"PolicyArns": [{"arn": "arn:aws:iam::123456789012:policy/some-policy"}]},
            id="managed-PolicyArns",
        ),
    ],
)
def test_a_session_policy_is_refused_with_a_validation_error(
    admin_sts: Any, bare_role: Role, session_policy: dict[str, Any]
) -> None:
    # Refused rather than ignored: a session must never get more than its caller asked for.
    with expect_error(
        "ValidationError",
        message="Session policies are not supported by this server.",
        status=400,
    ):
        assume(admin_sts, bare_role, **session_policy)


# --------------------------------------------------------------------------- session tokens


def test_temporary_keys_without_their_session_token_are_rejected(
    server: Server, key: dict[str, Any], role_session: TemporaryCredentials
) -> None:
    with expect_error("UnrecognizedClientException", status=400):
        kms_client(server, role_session.keys).encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    with expect_error("InvalidClientTokenId", status=403):
        sts_client(server, role_session.keys).get_caller_identity()


def test_temporary_keys_with_another_sessions_token_are_rejected(
    server: Server, key: dict[str, Any], admin_sts: Any, bare_role: Role
) -> None:
    mine = session_of(admin_sts, bare_role)
    theirs = session_of(admin_sts, bare_role)
    with expect_error("UnrecognizedClientException", status=400):
        kms_client(server, mine.keys, session_token=theirs.session_token).encrypt(
            KeyId=key["KeyId"], Plaintext=b"x"
        )
    with expect_error("InvalidClientTokenId", status=403):
        sts_client(server, mine.keys, session_token=theirs.session_token).get_caller_identity()


def test_temporary_keys_with_a_tampered_session_token_are_rejected(
    server: Server, role_session: TemporaryCredentials
) -> None:
    token = role_session.session_token
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with expect_error("InvalidClientTokenId", status=403):
        sts_client(server, role_session.keys, session_token=tampered).get_caller_identity()
    # The untampered token still works.
    sts_client(server, role_session).get_caller_identity()


def test_a_session_token_sent_with_long_term_keys_is_rejected(
    server: Server, key: dict[str, Any], role_session: TemporaryCredentials
) -> None:
    token = role_session.session_token
    with expect_error("UnrecognizedClientException", status=400):
        kms_client(server, server.credentials, session_token=token).encrypt(
            KeyId=key["KeyId"], Plaintext=b"x"
        )
    with expect_error("InvalidClientTokenId", status=403):
        sts_client(server, server.credentials, session_token=token).get_caller_identity()


def test_an_expired_session_is_refused_with_expired_token(
    server: Server, kms: Any, admin_sts: Any, role: Role
) -> None:
    key = create_key(kms)
    put_identity_policy(server, role.arn, "encrypt", policy_json(allow("kms:Encrypt")))
    creds = TemporaryCredentials.from_response(assume(admin_sts, role, DurationSeconds=900))
    session_kms = kms_client(server, creds)
    session_sts = sts_client(server, creds)

    advance_clock(server, 890)
    session_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"still valid")
    session_sts.get_caller_identity()

    advance_clock(server, 20)
    with expect_error(
        "ExpiredTokenException",
        message="The security token included in the request is expired",
        status=400,
    ):
        session_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"too late")
    with expect_error("ExpiredToken", status=400):
        session_sts.get_caller_identity()
    # A fresh session of the same role works again.
    kms_client(server, session_of(admin_sts, role)).encrypt(KeyId=key["KeyId"], Plaintext=b"x")


# --------------------------------------------------------------------------- cross-account


def cross_account_user(server: Server, other_account: Account, role: Role) -> IamUser:
    """A user of ``other_account`` whose identity policy allows assuming ``role``."""
    user = create_iam_user(server, other_account.account_id)
    put_identity_policy(server, user.arn, "assume", policy_json(allow("sts:AssumeRole", role.arn)))
    return user


def test_a_user_of_another_account_may_assume_a_role_that_trusts_its_account(
    server: Server, kms: Any, account: Account, other_account: Account
) -> None:
    role = create_role(server, account.account_id, trust_policy(other_account.root_arn()))
    put_identity_policy(
        server,
        role.arn,
        "encrypt-and-create",
        policy_json(allow(["kms:Encrypt", "kms:CreateKey"])),
    )
    key = create_key(kms)
    user = cross_account_user(server, other_account, role)

    creds = session_of(sts_client(server, user.credentials), role, "visitor")
    identity = sts_client(server, creds).get_caller_identity()
    assert identity["Arn"] == role.session_arn("visitor")
    assert identity["Account"] == account.account_id
    assert identity["UserId"] == f"{role.principal_id}:visitor"

    # The session acts in the role's account, with the role's permissions.
    session_kms = kms_client(server, creds)
    blob = session_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"visiting")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"visiting"
    created = create_key(session_kms)
    assert created["Arn"] == account.key_arn(created["KeyId"])
    assert kms.describe_key(KeyId=created["KeyId"])["KeyMetadata"]["AWSAccountId"] == (
        account.account_id
    )
    with expect_error("AccessDeniedException") as error:
        session_kms.decrypt(CiphertextBlob=blob)
    assert error.message.startswith(f"User: {role.session_arn('visitor')} is not authorized")


def test_a_role_session_does_not_get_the_permissions_of_the_other_accounts_user(
    server: Server, other_kms: Any, account: Account, other_account: Account
) -> None:
    role = create_role(server, account.account_id, trust_policy(other_account.root_arn()))
    put_identity_policy(server, role.arn, "everything", policy_json(allow("kms:*")))
    user = create_iam_user(server, other_account.account_id)
    put_identity_policy(server, user.arn, "everything", policy_json(allow("*")))
    their_key = create_key(other_kms)

    session_kms = kms_client(server, session_of(sts_client(server, user.credentials), role))
    # The user may use its own account's key, the role's session may not: its default
    # key policy trusts only that account.
    kms_client(server, user.credentials).encrypt(KeyId=their_key["Arn"], Plaintext=b"x")
    with expect_error("AccessDeniedException"):
        session_kms.encrypt(KeyId=their_key["Arn"], Plaintext=b"x")


def test_a_user_of_another_account_needs_an_identity_policy_and_a_trusting_role(
    server: Server, account: Account, other_account: Account
) -> None:
    trusting = create_role(server, account.account_id, trust_policy(other_account.root_arn()))
    not_trusting = create_role(server, account.account_id, trust_policy(account.root_arn()))

    without_policy = create_iam_user(server, other_account.account_id)
    with expect_error(
        "AccessDenied", message=assume_role_denied(without_policy.arn, trusting.arn), status=403
    ):
        assume(sts_client(server, without_policy.credentials), trusting)

    # Another account's admin may do anything in its own account, but the role does not trust it.
    other_admin_sts = sts_client(server, other_account.credentials)
    with expect_error(
        "AccessDenied", message=assume_role_denied(other_account.arn, not_trusting.arn), status=403
    ):
        assume(other_admin_sts, not_trusting)
    assume(other_admin_sts, trusting)


# --------------------------------------------------------------------------- AWS CLI


@pytest.mark.awscli
def test_aws_cli_get_caller_identity_reports_the_admin(aws_cli: AwsCli, account: Account) -> None:
    identity = aws_cli("sts", "get-caller-identity").json()
    assert identity["Arn"] == account.arn
    assert identity["Account"] == account.account_id
    assert identity["UserId"].startswith("AIDA")
