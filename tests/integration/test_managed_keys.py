"""AWS managed keys (``alias/aws/<service>``) and registered services (kms-semantics §13).

An AWS managed key is made on the first use of its predefined alias by a
caller of the account. Its policy lets anyone of the owner account use it
through the service (``kms:ViaService`` + ``kms:CallerAccount``) and lets the
account only read it: every direct use or management call by an account
principal, even an administrator, ends in AccessDeniedException.

A registered service (``strongroom service register``) calls on behalf of a
user or role named in the signed ``X-Strongroom-On-Behalf-Of`` header. Every
test registers its own services under unique names, so each managed key here
is fresh: the server is shared by the whole worker.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config

from .helpers import (
    DEFAULT_REGION,
    OTHER_REGION,
    Account,
    Credentials,
    KmsClientFactory,
    Server,
    advance_clock,
    create_iam_user,
    create_key,
    expect_error,
    iam_args,
    list_all_aliases,
    list_all_keys,
    policy_json,
    run_strongroom_json,
    unique_alias,
    unique_name,
    wait_until,
)
from .helpers import (
    kms_client as new_kms_client,
)

ON_BEHALF_OF = "X-Strongroom-On-Behalf-Of"
DAY = 86_400.0
YEAR_DAYS = 365
# How far the clock moves to make a managed key's yearly rotation due.
PAST_A_YEAR = 366 * DAY
PLAINTEXT = b"protected by an AWS managed key"

# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Service:
    """A service registered with ``strongroom service register``."""

    name: str
    arn: str
    credentials: Credentials

    @property
    def alias(self) -> str:
        return f"alias/aws/{self.name}"

    def via(self, region: str = DEFAULT_REGION) -> str:
        return f"{self.name}.{region}.amazonaws.com"


def register_service(server: Server, name: str | None = None) -> Service:
    name = name or unique_name("svc")
    args = ["service", "register", "--data-dir", str(server.data_dir), "--name", name, "--json"]
    data = run_strongroom_json(args, server.env)
    return Service(
        name=name,
        arn=str(data["Arn"]),
        credentials=Credentials(str(data["AccessKeyId"]), str(data["SecretAccessKey"])),
    )


def _header_adder(arn: str) -> Callable[..., None]:
    def add(request: Any, **_: Any) -> None:
        request.headers[ON_BEHALF_OF] = arn

    return add


def service_kms(
    server: Server,
    service: Service,
    on_behalf_of: str | None,
    *,
    region: str = DEFAULT_REGION,
    event: str = "before-sign",
) -> Any:
    """A boto3 KMS client of ``service`` acting for ``on_behalf_of``.

    The header is added on ``event``: ``before-sign`` makes it part of the
    signature; ``before-send`` adds it after signing. None sends no header.
    """
    session = boto3.session.Session(
        aws_access_key_id=service.credentials.access_key_id,
        aws_secret_access_key=service.credentials.secret_access_key,
        region_name=region,
    )
    client = session.client(
        "kms",
        endpoint_url=server.endpoint,
        config=Config(retries={"max_attempts": 1}, connect_timeout=10, read_timeout=60),
    )
    if on_behalf_of is not None:
        client.meta.events.register(f"{event}.kms.*", _header_adder(on_behalf_of))
    return client


def create_role(server: Server, account_id: str) -> str:
    """A role without identity policies (trusting its account); its ARN."""
    trust = policy_json(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "sts:AssumeRole",
        }
    )
    args = iam_args(server, "create-role", "--account-id", account_id, "--name", unique_name("r"))
    return str(run_strongroom_json([*args, "--trust-policy", trust, "--json"], server.env)["Arn"])


def denied_message(principal_arn: str, action: str) -> str:
    return f"User: {principal_arn} is not authorized to perform: {action} on resource: "


def roundtrip(kms: Any, key_id: str) -> None:
    """Encrypt, Decrypt and GenerateDataKey with ``key_id`` all work."""
    blob = kms.encrypt(KeyId=key_id, Plaintext=PLAINTEXT)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == PLAINTEXT
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert len(data_key["Plaintext"]) == 32
    assert (
        kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"]
        == (data_key["Plaintext"])
    )


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def service(server: Server) -> Service:
    return register_service(server)


@pytest.fixture(scope="module")
def managed_key(kms: Any, service: Service) -> dict[str, Any]:
    """The account's managed key for ``service`` (made by the admin's DescribeKey)."""
    metadata: dict[str, Any] = kms.describe_key(KeyId=service.alias)["KeyMetadata"]
    return metadata


@pytest.fixture(scope="module")
def user_arn(server: Server, account: Account) -> str:
    """A user of the account with no identity policy at all."""
    return create_iam_user(server, account.account_id).arn


@pytest.fixture(scope="module")
def service_kms_for_user(server: Server, service: Service, user_arn: str) -> Any:
    return service_kms(server, service, user_arn)


# --------------------------------------------------------------------------- creation


def test_describe_key_on_an_aws_alias_creates_an_enabled_aws_managed_key(
    kms: Any, server: Server, account: Account
) -> None:
    svc = register_service(server)
    metadata = kms.describe_key(KeyId=svc.alias)["KeyMetadata"]
    assert metadata["KeyManager"] == "AWS"
    assert metadata["KeyState"] == "Enabled"
    assert metadata["Enabled"] is True
    assert metadata["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert metadata["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert metadata["Origin"] == "AWS_KMS"
    assert metadata["AWSAccountId"] == account.account_id
    assert metadata["Arn"] == account.key_arn(metadata["KeyId"])


def test_a_second_describe_key_on_an_aws_alias_returns_the_same_key(
    kms: Any, server: Server
) -> None:
    svc = register_service(server)
    first = kms.describe_key(KeyId=svc.alias)["KeyMetadata"]
    second = kms.describe_key(KeyId=svc.alias)["KeyMetadata"]
    by_arn = kms.describe_key(
        KeyId=f"arn:aws:kms:{DEFAULT_REGION}:{first['AWSAccountId']}:{svc.alias}"
    )
    assert second["KeyId"] == first["KeyId"]
    assert by_arn["KeyMetadata"]["KeyId"] == first["KeyId"]


def test_an_aws_alias_of_an_unregistered_service_also_makes_a_managed_key(kms: Any) -> None:
    # As in AWS, the predefined alias exists for any service name; registration
    # only decides who may call through the service.
    name = f"alias/aws/{unique_name('unregistered')}"
    metadata = kms.describe_key(KeyId=name)["KeyMetadata"]
    assert metadata["KeyManager"] == "AWS"


def test_a_managed_key_is_made_by_the_first_use_through_its_service(
    server: Server, kms: Any, user_arn: str
) -> None:
    svc = register_service(server)
    client = service_kms(server, svc, user_arn)
    blob = client.encrypt(KeyId=svc.alias, Plaintext=PLAINTEXT)["CiphertextBlob"]
    metadata = kms.describe_key(KeyId=svc.alias)["KeyMetadata"]
    assert metadata["KeyManager"] == "AWS"
    assert client.decrypt(CiphertextBlob=blob)["KeyId"] == metadata["Arn"]


def test_each_region_has_its_own_managed_key_for_a_service(
    kms_client: KmsClientFactory, server: Server, account: Account
) -> None:
    svc = register_service(server)
    east = kms_client(DEFAULT_REGION).describe_key(KeyId=svc.alias)["KeyMetadata"]
    west = kms_client(OTHER_REGION).describe_key(KeyId=svc.alias)["KeyMetadata"]
    assert west["KeyId"] != east["KeyId"]
    assert west["Arn"] == account.key_arn(west["KeyId"], OTHER_REGION)
    assert west["KeyManager"] == "AWS"


def test_list_keys_shows_the_managed_key(kms: Any, managed_key: dict[str, Any]) -> None:
    listed = {k["KeyId"]: k["KeyArn"] for k in list_all_keys(kms)}
    assert listed.get(managed_key["KeyId"]) == managed_key["Arn"]


def test_list_aliases_shows_the_aws_alias_with_its_target(
    kms: Any, managed_key: dict[str, Any], service: Service, account: Account
) -> None:
    by_name = {a["AliasName"]: a for a in list_all_aliases(kms)}
    entry = by_name[service.alias]
    assert entry["TargetKeyId"] == managed_key["KeyId"]
    assert entry["AliasArn"] == account.alias_arn(service.alias)
    only_for_key = list_all_aliases(kms, KeyId=managed_key["KeyId"])
    assert [a["AliasName"] for a in only_for_key] == [service.alias]


# --------------------------------------------------------------------------- policy


def test_get_key_policy_returns_the_managed_key_policy(
    kms: Any, managed_key: dict[str, Any], service: Service, account: Account
) -> None:
    policy = json.loads(kms.get_key_policy(KeyId=managed_key["KeyId"])["Policy"])
    assert policy["Version"] == "2012-10-17"
    assert policy["Id"].startswith(f"auto-{service.name}")
    through_service, metadata_only = policy["Statement"]

    assert through_service["Effect"] == "Allow"
    assert through_service["Principal"] == {"AWS": "*"}
    assert set(through_service["Action"]) == {
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:CreateGrant",
        "kms:DescribeKey",
    }
    assert through_service["Condition"] == {
        "StringEquals": {
            "kms:CallerAccount": account.account_id,
            "kms:ViaService": service.via(),
        }
    }

    assert metadata_only["Effect"] == "Allow"
    assert metadata_only["Principal"] == {"AWS": account.root_arn()}
    assert set(metadata_only["Action"]) == {
        "kms:Describe*",
        "kms:Get*",
        "kms:List*",
        "kms:RevokeGrant",
    }


def test_list_key_policies_of_a_managed_key_names_the_default_policy(
    kms: Any, managed_key: dict[str, Any]
) -> None:
    assert kms.list_key_policies(KeyId=managed_key["KeyId"])["PolicyNames"] == ["default"]


def test_the_account_admin_can_read_a_managed_keys_metadata(
    kms: Any, managed_key: dict[str, Any]
) -> None:
    key_id = managed_key["KeyId"]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyManager"] == "AWS"
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == []


# --------------------------------------------------------------------------- the admin is refused

DIRECT_USES: dict[str, Callable[[Any, str], Any]] = {
    "Encrypt": lambda kms, key: kms.encrypt(KeyId=key, Plaintext=b"x"),
    "GenerateDataKey": lambda kms, key: kms.generate_data_key(KeyId=key, KeySpec="AES_256"),
    "GenerateDataKeyWithoutPlaintext": lambda kms, key: kms.generate_data_key_without_plaintext(
        KeyId=key, KeySpec="AES_256"
    ),
    "CreateGrant": lambda kms, key: kms.create_grant(
        KeyId=key, GranteePrincipal="arn:aws:iam::111122223333:root", Operations=["Encrypt"]
    ),
}


@pytest.mark.parametrize(
    ("operation", "by"),
    [(op, "key-id") for op in DIRECT_USES]
    # CreateGrant takes no alias.
    + [(op, "alias") for op in DIRECT_USES if op != "CreateGrant"],
)
def test_the_account_admin_cannot_use_a_managed_key_directly(
    kms: Any,
    managed_key: dict[str, Any],
    service: Service,
    account: Account,
    operation: str,
    by: str,
) -> None:
    key = managed_key["KeyId"] if by == "key-id" else service.alias
    with expect_error("AccessDeniedException") as err:
        DIRECT_USES[operation](kms, key)
    assert err.message.startswith(denied_message(account.arn, f"kms:{operation}"))


def test_the_account_admin_cannot_decrypt_what_the_service_encrypted(
    kms: Any, service_kms_for_user: Any, service: Service, managed_key: dict[str, Any]
) -> None:
    blob = service_kms_for_user.encrypt(KeyId=service.alias, Plaintext=PLAINTEXT)["CiphertextBlob"]
    with expect_error("AccessDeniedException"):
        kms.decrypt(CiphertextBlob=blob)
    with expect_error("AccessDeniedException"):
        kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=create_key(kms)["KeyId"])


MANAGEMENT_CALLS: dict[str, Callable[[Any, str], Any]] = {
    "ScheduleKeyDeletion": lambda kms, key: kms.schedule_key_deletion(
        KeyId=key, PendingWindowInDays=7
    ),
    "CancelKeyDeletion": lambda kms, key: kms.cancel_key_deletion(KeyId=key),
    "DisableKey": lambda kms, key: kms.disable_key(KeyId=key),
    "EnableKey": lambda kms, key: kms.enable_key(KeyId=key),
    "EnableKeyRotation": lambda kms, key: kms.enable_key_rotation(KeyId=key),
    "DisableKeyRotation": lambda kms, key: kms.disable_key_rotation(KeyId=key),
    "RotateKeyOnDemand": lambda kms, key: kms.rotate_key_on_demand(KeyId=key),
    "PutKeyPolicy": lambda kms, key: kms.put_key_policy(
        KeyId=key,
        PolicyName="default",
        Policy=policy_json(
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}
        ),
    ),
    "TagResource": lambda kms, key: kms.tag_resource(
        KeyId=key, Tags=[{"TagKey": "team", "TagValue": "x"}]
    ),
    "UntagResource": lambda kms, key: kms.untag_resource(KeyId=key, TagKeys=["team"]),
    "UpdateKeyDescription": lambda kms, key: kms.update_key_description(
        KeyId=key, Description="mine now"
    ),
    "CreateAlias": lambda kms, key: kms.create_alias(AliasName=unique_alias(), TargetKeyId=key),
}


@pytest.mark.parametrize("operation", list(MANAGEMENT_CALLS))
def test_the_account_admin_cannot_manage_a_managed_key(
    kms: Any, managed_key: dict[str, Any], account: Account, operation: str
) -> None:
    with expect_error("AccessDeniedException") as err:
        MANAGEMENT_CALLS[operation](kms, managed_key["KeyId"])
    assert err.message.startswith(denied_message(account.arn, f"kms:{operation}"))
    # Nothing changed.
    after = kms.describe_key(KeyId=managed_key["KeyId"])["KeyMetadata"]
    assert after["KeyState"] == "Enabled"
    assert after["Description"] == managed_key["Description"]
    assert kms.list_resource_tags(KeyId=managed_key["KeyId"])["Tags"] == []
    assert kms.get_key_rotation_status(KeyId=managed_key["KeyId"])["KeyRotationEnabled"] is True


def test_an_alias_cannot_be_repointed_to_a_managed_key(
    kms: Any, managed_key: dict[str, Any], aliases: Any
) -> None:
    name = aliases.create(create_key(kms)["KeyId"])
    with expect_error("AccessDeniedException"):
        kms.update_alias(AliasName=name, TargetKeyId=managed_key["KeyId"])


@pytest.mark.parametrize("call", ["CreateAlias", "DeleteAlias", "UpdateAlias"])
def test_alias_calls_with_an_aws_alias_name_are_invalid_alias_names(
    kms: Any, managed_key: dict[str, Any], service: Service, call: str
) -> None:
    own = create_key(kms)["KeyId"]
    with expect_error("InvalidAliasNameException"):
        if call == "CreateAlias":
            kms.create_alias(AliasName=f"alias/aws/{unique_name('mine')}", TargetKeyId=own)
        elif call == "DeleteAlias":
            kms.delete_alias(AliasName=service.alias)
        else:
            kms.update_alias(AliasName=service.alias, TargetKeyId=own)
    # The predefined alias still names the managed key.
    assert kms.describe_key(KeyId=service.alias)["KeyMetadata"]["KeyId"] == managed_key["KeyId"]


# --------------------------------------------------------------------------- rotation status


def test_get_key_rotation_status_of_a_managed_key_is_on_and_yearly(
    kms: Any, server: Server
) -> None:
    svc = register_service(server)
    before = advance_clock(server, 0)
    metadata = kms.describe_key(KeyId=svc.alias)["KeyMetadata"]
    after = advance_clock(server, 0)
    status = kms.get_key_rotation_status(KeyId=metadata["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert status["KeyId"] == metadata["Arn"]
    assert status["RotationPeriodInDays"] == YEAR_DAYS
    next_rotation = status["NextRotationDate"].timestamp()
    assert before + YEAR_DAYS * DAY - 1 <= next_rotation <= after + YEAR_DAYS * DAY + 1


# --------------------------------------------------------------------------- through the service


def test_a_service_acting_for_a_user_without_policies_can_use_its_managed_key(
    service_kms_for_user: Any, service: Service, managed_key: dict[str, Any]
) -> None:
    roundtrip(service_kms_for_user, service.alias)
    roundtrip(service_kms_for_user, managed_key["Arn"])
    described = service_kms_for_user.describe_key(KeyId=service.alias)["KeyMetadata"]
    assert described["KeyId"] == managed_key["KeyId"]


def test_a_service_acting_for_a_role_can_use_its_managed_key(
    server: Server, account: Account, service: Service, managed_key: dict[str, Any]
) -> None:
    role_arn = create_role(server, account.account_id)
    roundtrip(service_kms(server, service, role_arn), service.alias)


def test_a_service_re_encrypts_under_its_managed_key(
    service_kms_for_user: Any, service: Service, managed_key: dict[str, Any]
) -> None:
    blob = service_kms_for_user.encrypt(KeyId=service.alias, Plaintext=PLAINTEXT)["CiphertextBlob"]
    again = service_kms_for_user.re_encrypt(CiphertextBlob=blob, DestinationKeyId=service.alias)
    assert again["KeyId"] == again["SourceKeyId"] == managed_key["Arn"]
    assert service_kms_for_user.decrypt(CiphertextBlob=again["CiphertextBlob"])["Plaintext"] == (
        PLAINTEXT
    )


def test_a_service_gets_only_the_users_own_permissions_on_customer_keys(
    kms: Any, service_kms_for_user: Any, user_arn: str
) -> None:
    # The default key policy delegates to IAM, and the user has no identity policy.
    customer_key = create_key(kms)["KeyId"]
    with expect_error("AccessDeniedException") as err:
        service_kms_for_user.encrypt(KeyId=customer_key, Plaintext=PLAINTEXT)
    assert err.message.startswith(denied_message(user_arn, "kms:Encrypt"))


def test_a_service_acting_for_a_user_cannot_manage_its_managed_key(
    service_kms_for_user: Any, managed_key: dict[str, Any]
) -> None:
    with expect_error("AccessDeniedException"):
        service_kms_for_user.disable_key(KeyId=managed_key["KeyId"])
    with expect_error("AccessDeniedException"):
        service_kms_for_user.schedule_key_deletion(KeyId=managed_key["KeyId"])


def test_another_service_cannot_use_a_services_managed_key(
    server: Server, service: Service, managed_key: dict[str, Any], user_arn: str
) -> None:
    intruder = service_kms(server, register_service(server), user_arn)
    with expect_error("AccessDeniedException") as err:
        intruder.encrypt(KeyId=managed_key["Arn"], Plaintext=PLAINTEXT)
    assert err.message.startswith(denied_message(user_arn, "kms:Encrypt"))
    with expect_error("AccessDeniedException"):
        intruder.generate_data_key(KeyId=managed_key["KeyId"], KeySpec="AES_256")


def test_another_service_cannot_decrypt_what_a_service_encrypted(
    server: Server, service_kms_for_user: Any, service: Service, user_arn: str
) -> None:
    blob = service_kms_for_user.encrypt(KeyId=service.alias, Plaintext=PLAINTEXT)["CiphertextBlob"]
    intruder = service_kms(server, register_service(server), user_arn)
    with expect_error("AccessDeniedException"):
        intruder.decrypt(CiphertextBlob=blob)


def test_a_service_acting_for_another_account_cannot_use_this_accounts_managed_key(
    server: Server, service: Service, managed_key: dict[str, Any], other_account: Account
) -> None:
    foreign = service_kms(server, service, other_account.arn)
    with expect_error("AccessDeniedException") as err:
        foreign.encrypt(KeyId=managed_key["Arn"], Plaintext=PLAINTEXT)
    assert err.message.startswith(denied_message(other_account.arn, "kms:Encrypt"))


def test_in_another_account_the_same_aws_alias_names_a_different_key(
    server: Server,
    service: Service,
    managed_key: dict[str, Any],
    other_account: Account,
    other_kms: Any,
) -> None:
    foreign = service_kms(server, service, other_account.arn)
    blob = foreign.encrypt(KeyId=service.alias, Plaintext=PLAINTEXT)["CiphertextBlob"]
    theirs = other_kms.describe_key(KeyId=service.alias)["KeyMetadata"]
    assert theirs["KeyId"] != managed_key["KeyId"]
    assert theirs["AWSAccountId"] == other_account.account_id
    assert theirs["KeyManager"] == "AWS"
    assert foreign.decrypt(CiphertextBlob=blob)["KeyId"] == theirs["Arn"]


# --------------------------------------------------------------------------- the header


def test_a_service_request_without_the_on_behalf_of_header_is_denied(
    server: Server, service: Service, managed_key: dict[str, Any]
) -> None:
    client = service_kms(server, service, None)
    with expect_error("AccessDeniedException") as err:
        client.encrypt(KeyId=service.alias, Plaintext=PLAINTEXT)
    assert ON_BEHALF_OF in err.message
    with expect_error("AccessDeniedException"):
        client.list_keys()


def test_a_service_request_with_an_unsigned_on_behalf_of_header_is_denied(
    server: Server, service: Service, managed_key: dict[str, Any], user_arn: str
) -> None:
    client = service_kms(server, service, user_arn, event="before-send")
    with expect_error("AccessDeniedException") as err:
        client.encrypt(KeyId=service.alias, Plaintext=PLAINTEXT)
    assert ON_BEHALF_OF in err.message


def test_swapping_a_signed_on_behalf_of_header_breaks_the_signature(
    server: Server, service: Service, managed_key: dict[str, Any], user_arn: str, account: Account
) -> None:
    client = service_kms(server, service, user_arn)
    client.meta.events.register("before-send.kms.*", _header_adder(account.arn))
    with expect_error("InvalidSignatureException"):
        client.encrypt(KeyId=service.alias, Plaintext=PLAINTEXT)


def test_a_service_acting_for_an_unknown_principal_is_denied(
    server: Server, service: Service, managed_key: dict[str, Any], account: Account
) -> None:
    ghost = f"arn:aws:iam::{account.account_id}:user/{unique_name('nobody')}"
    with expect_error("AccessDeniedException") as err:
        service_kms(server, service, ghost).encrypt(KeyId=service.alias, Plaintext=PLAINTEXT)
    assert ghost in err.message


@pytest.mark.parametrize("named", ["another service", "the account root", "not an arn"])
def test_a_service_can_act_only_for_a_user_or_role(
    server: Server, service: Service, managed_key: dict[str, Any], account: Account, named: str
) -> None:
    arn = {
        "another service": register_service(server).arn,
        "the account root": account.root_arn(),
        "not an arn": "alice",
    }[named]
    with expect_error("AccessDeniedException"):
        service_kms(server, service, arn).encrypt(KeyId=service.alias, Plaintext=PLAINTEXT)


def test_a_user_cannot_borrow_a_service_by_sending_the_header(
    server: Server, service: Service, managed_key: dict[str, Any], account: Account
) -> None:
    # The header means something only on a registered service's request.
    client = new_kms_client(server)
    client.meta.events.register("before-sign.kms.*", _header_adder(account.arn))
    with expect_error("AccessDeniedException") as err:
        client.encrypt(KeyId=service.alias, Plaintext=PLAINTEXT)
    assert err.message.startswith(denied_message(account.arn, "kms:Encrypt"))


# --------------------------------------------------------------------------- yearly rotation


def test_a_managed_key_rotates_automatically_after_a_year(
    server: Server, kms: Any, user_arn: str
) -> None:
    svc = register_service(server)
    client = service_kms(server, svc, user_arn)
    old_blob = client.encrypt(KeyId=svc.alias, Plaintext=PLAINTEXT)["CiphertextBlob"]
    before = kms.describe_key(KeyId=svc.alias)["KeyMetadata"]
    assert before["CurrentKeyMaterialId"]

    now = advance_clock(server, PAST_A_YEAR)

    def rotated() -> dict[str, Any] | None:
        metadata: dict[str, Any] = kms.describe_key(KeyId=svc.alias)["KeyMetadata"]
        changed = metadata["CurrentKeyMaterialId"] != before["CurrentKeyMaterialId"]
        return metadata if changed else None

    after = wait_until(rotated, message="the managed key's yearly rotation")
    assert after["KeyId"] == before["KeyId"]
    assert client.decrypt(CiphertextBlob=old_blob)["Plaintext"] == PLAINTEXT
    new_blob = client.encrypt(KeyId=svc.alias, Plaintext=PLAINTEXT)["CiphertextBlob"]
    assert new_blob != old_blob
    assert client.decrypt(CiphertextBlob=new_blob)["Plaintext"] == PLAINTEXT

    status = kms.get_key_rotation_status(KeyId=after["KeyId"])
    assert status["KeyRotationEnabled"] is True
    # The next rotation is a year after this one, which happened after the move.
    assert status["NextRotationDate"].timestamp() >= now + YEAR_DAYS * DAY - 1
