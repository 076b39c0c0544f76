"""Grants through boto3 (kms-semantics §10, §5.2): CreateGrant, ListGrants,
ListRetirableGrants, RetireGrant, RevokeGrant, and what a grant lets its grantee do.

The grantees are IAM users without any policy: the keys keep the default key policy,
which only delegates to the account's IAM policies, so whatever such a user may do
comes from grants alone. Users are made once per module; every test makes its own
key, so grants never leak from one test into another. The key owner's admin (``kms``)
has AdministratorAccess and issues the grants.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .helpers import (
    Account,
    KmsClientFactory,
    Server,
    advance_clock,
    create_iam_user,
    create_key,
    expect_error,
    unique_name,
    wait_until,
)

DAY = 86_400.0
CREATION_SLACK_S = 120.0
DRY_RUN_MESSAGE = "The request would have succeeded, but the DryRun option is set."
PLAINTEXT = b"granted plaintext"
ENCRYPT_DECRYPT = ["Encrypt", "Decrypt"]
FINANCE = {"Department": "Finance"}


@dataclass(frozen=True)
class Actor:
    """An IAM user of the key's account without any policy, and its boto3 client."""

    arn: str
    kms: Any


@pytest.fixture(scope="module")
def make_actor(server: Server, kms_client: KmsClientFactory) -> Callable[[], Actor]:
    def make() -> Actor:
        user = create_iam_user(server, server.account_id, unique_name("grants"))
        return Actor(user.arn, kms_client(creds=user.credentials))

    return make


@pytest.fixture(scope="module")
def grantee(make_actor: Callable[[], Actor]) -> Actor:
    return make_actor()


@pytest.fixture(scope="module")
def retiree(make_actor: Callable[[], Actor]) -> Actor:
    """The retiring principal of the grants that name one."""
    return make_actor()


@pytest.fixture(scope="module")
def stranger(make_actor: Callable[[], Actor]) -> Actor:
    """A user that no grant names unless a test says so."""
    return make_actor()


# --------------------------------------------------------------------------- helpers


def create_grant(
    kms: Any,
    key: dict[str, Any],
    grantee: str,
    operations: list[str] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """CreateGrant on ``key`` (by key ID); returns {GrantId, GrantToken}."""
    response: dict[str, Any] = kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=grantee,
        Operations=ENCRYPT_DECRYPT if operations is None else operations,
        **kwargs,
    )
    return response


def encrypt(
    client: Any, key: dict[str, Any], context: dict[str, str] | None = None, **kwargs: Any
) -> bytes:
    if context is not None:
        kwargs["EncryptionContext"] = context
    blob: bytes = client.encrypt(KeyId=key["KeyId"], Plaintext=PLAINTEXT, **kwargs)[
        "CiphertextBlob"
    ]
    return blob


def is_allowed(call: Callable[[], object]) -> bool:
    """True if ``call`` succeeds, False if it is refused with AccessDeniedException."""
    try:
        call()
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "AccessDeniedException":
            return False
        raise
    return True


def can_encrypt(
    actor: Actor, key: dict[str, Any], context: dict[str, str] | None = None, **kwargs: Any
) -> bool:
    return is_allowed(lambda: encrypt(actor.kms, key, context, **kwargs))


def grants_of(kms: Any, key: dict[str, Any], **filters: Any) -> list[dict[str, Any]]:
    grants: list[dict[str, Any]] = []
    for page in kms.get_paginator("list_grants").paginate(KeyId=key["KeyId"], **filters):
        grants.extend(page["Grants"])
    return grants


def grant_ids_of(kms: Any, key: dict[str, Any], **filters: Any) -> list[str]:
    return sorted(g["GrantId"] for g in grants_of(kms, key, **filters))


def retirable_grants(kms: Any, retiring_principal: str) -> dict[str, dict[str, Any]]:
    """GrantId -> entry of every grant ListRetirableGrants shows for the principal."""
    found: dict[str, dict[str, Any]] = {}
    paginator = kms.get_paginator("list_retirable_grants")
    for page in paginator.paginate(RetiringPrincipal=retiring_principal):
        for entry in page["Grants"]:
            found[entry["GrantId"]] = entry
    return found


def is_gone(kms: Any, key_id: str) -> bool:
    try:
        kms.describe_key(KeyId=key_id)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotFoundException":
            return True
        raise
    return False


# --------------------------------------------------------------------------- a grant authorizes


def test_a_user_without_policies_is_denied_encrypt(key: dict[str, Any], grantee: Actor) -> None:
    with expect_error("AccessDeniedException"):
        encrypt(grantee.kms, key)


def test_a_grant_lets_the_grantee_encrypt_and_decrypt_at_once(
    kms: Any, key: dict[str, Any], grantee: Actor
) -> None:
    assert not can_encrypt(grantee, key)
    create_grant(kms, key, grantee.arn, ENCRYPT_DECRYPT)

    blob = encrypt(grantee.kms, key)
    response = grantee.kms.decrypt(CiphertextBlob=blob, KeyId=key["KeyId"])
    assert response["Plaintext"] == PLAINTEXT
    assert response["KeyId"] == key["Arn"]


def test_the_grant_token_in_grant_tokens_makes_the_new_grant_usable_at_once(
    kms: Any, key: dict[str, Any], grantee: Actor
) -> None:
    # The denial first: a server worker that has just looked at the key's grants
    # must still honour the token of a grant made since (kms-semantics §5.2).
    assert not can_encrypt(grantee, key)
    token = create_grant(kms, key, grantee.arn, ENCRYPT_DECRYPT)["GrantToken"]

    blob = encrypt(grantee.kms, key, GrantTokens=[token])
    plaintext = grantee.kms.decrypt(CiphertextBlob=blob, GrantTokens=[token])["Plaintext"]
    assert plaintext == PLAINTEXT


def test_a_malformed_grant_token_in_grant_tokens_is_invalid(kms: Any, key: dict[str, Any]) -> None:
    with expect_error("InvalidGrantTokenException"):
        encrypt(kms, key, GrantTokens=["not-a-grant-token"])


@pytest.mark.parametrize("operation", ["GenerateDataKey", "ReEncrypt", "DescribeKey"])
def test_an_operation_the_grant_does_not_list_is_denied(
    kms: Any, key: dict[str, Any], grantee: Actor, operation: str
) -> None:
    token = create_grant(kms, key, grantee.arn, ENCRYPT_DECRYPT)["GrantToken"]
    blob = encrypt(grantee.kms, key)
    calls: dict[str, Callable[[], object]] = {
        "GenerateDataKey": lambda: grantee.kms.generate_data_key(
            KeyId=key["KeyId"], KeySpec="AES_256", GrantTokens=[token]
        ),
        "ReEncrypt": lambda: grantee.kms.re_encrypt(
            CiphertextBlob=blob, DestinationKeyId=key["KeyId"], GrantTokens=[token]
        ),
        "DescribeKey": lambda: grantee.kms.describe_key(KeyId=key["KeyId"], GrantTokens=[token]),
    }
    with expect_error("AccessDeniedException"):
        calls[operation]()


def test_re_encrypt_needs_re_encrypt_to_on_the_destination_key(
    kms: Any, key: dict[str, Any], grantee: Actor
) -> None:
    create_grant(kms, key, grantee.arn, ["Encrypt", "ReEncryptFrom"])
    blob = encrypt(grantee.kms, key)

    def re_encrypt() -> object:
        return grantee.kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key["KeyId"])

    assert not is_allowed(re_encrypt)
    create_grant(kms, key, grantee.arn, ["ReEncryptTo"])
    assert is_allowed(re_encrypt)


def test_a_describe_key_grant_lets_the_grantee_describe_the_key_despite_a_context_constraint(
    kms: Any, key: dict[str, Any], grantee: Actor
) -> None:
    constraints = {"EncryptionContextEquals": FINANCE}
    create_grant(kms, key, grantee.arn, ["DescribeKey"], Constraints=constraints)

    assert grantee.kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"] == key["Arn"]


# --------------------------------------------------------------------------- constraints


@pytest.mark.parametrize(
    ("context", "allowed"),
    [
        pytest.param({"Department": "Finance"}, True, id="the-same-pairs"),
        pytest.param({"Department": "Finance", "Project": "Apollo"}, True, id="a-superset"),
        pytest.param({"DEPARTMENT": "Finance"}, True, id="key-in-another-case"),
        pytest.param(None, False, id="no-context"),
        pytest.param({"Project": "Apollo"}, False, id="without-the-pair"),
        pytest.param({"Department": "Sales"}, False, id="another-value"),
        pytest.param({"Department": "finance"}, False, id="value-in-another-case"),
    ],
)
def test_encryption_context_subset_requires_its_pairs_in_the_request(
    kms: Any,
    key: dict[str, Any],
    grantee: Actor,
    context: dict[str, str] | None,
    allowed: bool,
) -> None:
    create_grant(kms, key, grantee.arn, Constraints={"EncryptionContextSubset": FINANCE})

    assert can_encrypt(grantee, key, context) is allowed


EQUALS = {"Department": "Finance", "Project": "Apollo"}


@pytest.mark.parametrize(
    ("context", "allowed"),
    [
        pytest.param({"Department": "Finance", "Project": "Apollo"}, True, id="exactly-it"),
        pytest.param({"department": "Finance", "PROJECT": "Apollo"}, True, id="keys-other-case"),
        pytest.param({"Department": "Finance", "Project": "apollo"}, False, id="value-other-case"),
        pytest.param({"Department": "Finance"}, False, id="a-pair-missing"),
        pytest.param(
            {"Department": "Finance", "Project": "Apollo", "Team": "Blue"}, False, id="a-superset"
        ),
        pytest.param({"Department": "Finance", "Project": "Gemini"}, False, id="another-value"),
        pytest.param(None, False, id="no-context"),
    ],
)
def test_encryption_context_equals_requires_exactly_its_context(
    kms: Any,
    key: dict[str, Any],
    grantee: Actor,
    context: dict[str, str] | None,
    allowed: bool,
) -> None:
    create_grant(kms, key, grantee.arn, Constraints={"EncryptionContextEquals": EQUALS})

    assert can_encrypt(grantee, key, context) is allowed


def test_a_constrained_grant_lets_the_grantee_decrypt_with_the_matching_context(
    kms: Any, key: dict[str, Any], grantee: Actor
) -> None:
    create_grant(kms, key, grantee.arn, Constraints={"EncryptionContextEquals": EQUALS})
    blob = encrypt(kms, key, EQUALS)

    response = grantee.kms.decrypt(CiphertextBlob=blob, EncryptionContext=EQUALS)
    assert response["Plaintext"] == PLAINTEXT
    with expect_error("AccessDeniedException"):
        grantee.kms.decrypt(CiphertextBlob=encrypt(kms, key, FINANCE), EncryptionContext=FINANCE)


# --------------------------------------------------------------------------- Name idempotency


def test_the_same_name_and_parameters_return_the_same_grant_with_a_new_token(
    kms: Any, key: dict[str, Any], grantee: Actor, retiree: Actor
) -> None:
    params: dict[str, Any] = {
        "RetiringPrincipal": retiree.arn,
        "Constraints": {"EncryptionContextSubset": FINANCE},
        "Name": unique_name("idempotent"),
    }
    first = create_grant(kms, key, grantee.arn, ENCRYPT_DECRYPT, **params)
    second = create_grant(kms, key, grantee.arn, ENCRYPT_DECRYPT, **params)

    assert second["GrantId"] == first["GrantId"]
    assert second["GrantToken"] != first["GrantToken"]
    assert grant_ids_of(kms, key) == [first["GrantId"]]
    # Either token names the one grant.
    retiree.kms.retire_grant(GrantToken=second["GrantToken"])
    assert grant_ids_of(kms, key) == []


@pytest.mark.parametrize(
    "change",
    ["operations", "grantee", "retiring-principal", "constraints"],
)
def test_the_same_name_with_other_parameters_makes_a_new_grant(
    kms: Any, key: dict[str, Any], grantee: Actor, retiree: Actor, stranger: Actor, change: str
) -> None:
    name = unique_name("renamed")
    base: dict[str, Any] = {
        "grantee": grantee.arn,
        "operations": ENCRYPT_DECRYPT,
        "RetiringPrincipal": retiree.arn,
        "Constraints": {"EncryptionContextSubset": FINANCE},
        "Name": name,
    }
    changed = dict(base)
    if change == "operations":
        changed["operations"] = ["Encrypt"]
    elif change == "grantee":
        changed["grantee"] = stranger.arn
    elif change == "retiring-principal":
        changed["RetiringPrincipal"] = stranger.arn
    else:
        changed["Constraints"] = {"EncryptionContextEquals": FINANCE}

    first = create_grant(kms, key, **base)
    second = create_grant(kms, key, **changed)

    assert second["GrantId"] != first["GrantId"]
    named = [g["GrantId"] for g in grants_of(kms, key) if g.get("Name") == name]
    assert sorted(named) == sorted([first["GrantId"], second["GrantId"]])


def test_without_a_name_every_create_grant_makes_a_new_grant(
    kms: Any, key: dict[str, Any], grantee: Actor
) -> None:
    first = create_grant(kms, key, grantee.arn)
    second = create_grant(kms, key, grantee.arn)

    assert first["GrantId"] != second["GrantId"]
    assert grant_ids_of(kms, key) == sorted([first["GrantId"], second["GrantId"]])


# --------------------------------------------------------------------------- ListGrants


def test_list_grants_describes_each_grant(
    kms: Any,
    key: dict[str, Any],
    grantee: Actor,
    retiree: Actor,
    account: Account,
    server: Server,
) -> None:
    name = unique_name("listed")
    constraints = {"EncryptionContextSubset": FINANCE}
    created = create_grant(
        kms,
        key,
        grantee.arn,
        ["Encrypt", "Decrypt", "RetireGrant"],
        RetiringPrincipal=retiree.arn,
        Constraints=constraints,
        Name=name,
    )
    now = advance_clock(server, 0)

    response = kms.list_grants(KeyId=key["KeyId"])
    assert response["Truncated"] is False
    assert "NextMarker" not in response
    [entry] = response["Grants"]
    assert abs(entry.pop("CreationDate").timestamp() - now) < CREATION_SLACK_S
    assert sorted(entry.pop("Operations")) == ["Decrypt", "Encrypt", "RetireGrant"]
    assert entry == {
        "KeyId": key["Arn"],
        "GrantId": created["GrantId"],
        "Name": name,
        "GranteePrincipal": grantee.arn,
        "RetiringPrincipal": retiree.arn,
        "IssuingAccount": account.root_arn(),
        "Constraints": constraints,
    }


def test_list_grants_accepts_the_key_arn(kms: Any, key: dict[str, Any], grantee: Actor) -> None:
    grant_id = create_grant(kms, key, grantee.arn)["GrantId"]

    listed = kms.list_grants(KeyId=key["Arn"])["Grants"]
    assert [g["GrantId"] for g in listed] == [grant_id]


def test_list_grants_filters_by_grant_id_and_by_grantee(
    kms: Any, key: dict[str, Any], grantee: Actor, stranger: Actor
) -> None:
    first = create_grant(kms, key, grantee.arn)["GrantId"]
    other = create_grant(kms, key, stranger.arn)["GrantId"]
    third = create_grant(kms, key, grantee.arn, ["Encrypt"])["GrantId"]

    assert grant_ids_of(kms, key, GrantId=other) == [other]
    assert grant_ids_of(kms, key, GranteePrincipal=grantee.arn) == sorted([first, third])
    assert grant_ids_of(kms, key, GranteePrincipal=stranger.arn) == [other]


def test_list_grants_pages_with_limit_and_marker(
    kms: Any, key: dict[str, Any], grantee: Actor
) -> None:
    created = sorted(create_grant(kms, key, grantee.arn)["GrantId"] for _ in range(3))

    seen: list[str] = []
    response = kms.list_grants(KeyId=key["KeyId"], Limit=1)
    for _ in range(len(created)):
        assert len(response["Grants"]) == 1
        seen.append(response["Grants"][0]["GrantId"])
        if not response["Truncated"]:
            break
        response = kms.list_grants(KeyId=key["KeyId"], Limit=1, Marker=response["NextMarker"])
    assert response["Truncated"] is False
    assert "NextMarker" not in response
    assert sorted(seen) == created


# --------------------------------------------------------------------------- ListRetirableGrants


def test_list_retirable_grants_shows_the_grants_a_principal_may_retire(
    kms: Any, key: dict[str, Any], grantee: Actor, retiree: Actor, account: Account
) -> None:
    retirable = create_grant(kms, key, grantee.arn, ["Encrypt"], RetiringPrincipal=retiree.arn)
    not_retirable = create_grant(kms, key, grantee.arn, ["Encrypt"])

    found = retirable_grants(kms, retiree.arn)
    assert not_retirable["GrantId"] not in found
    entry = found[retirable["GrantId"]]
    assert entry["KeyId"] == key["Arn"]
    assert entry["GranteePrincipal"] == grantee.arn
    assert entry["RetiringPrincipal"] == retiree.arn
    assert entry["IssuingAccount"] == account.root_arn()
    assert entry["Operations"] == ["Encrypt"]


def test_list_retirable_grants_needs_the_list_retirable_grants_permission(
    kms: Any, key: dict[str, Any], grantee: Actor, retiree: Actor
) -> None:
    create_grant(kms, key, grantee.arn, RetiringPrincipal=retiree.arn)

    with expect_error("AccessDeniedException"):
        retiree.kms.list_retirable_grants(RetiringPrincipal=retiree.arn)


# --------------------------------------------------------------------------- RetireGrant


def test_the_retiring_principal_retires_a_grant_by_its_token(
    kms: Any, key: dict[str, Any], grantee: Actor, retiree: Actor
) -> None:
    created = create_grant(kms, key, grantee.arn, RetiringPrincipal=retiree.arn)
    assert can_encrypt(grantee, key)

    retiree.kms.retire_grant(GrantToken=created["GrantToken"])

    assert not can_encrypt(grantee, key)
    assert grant_ids_of(kms, key) == []
    assert created["GrantId"] not in retirable_grants(kms, retiree.arn)


def test_the_retiring_principal_retires_a_grant_by_key_arn_and_grant_id(
    kms: Any, key: dict[str, Any], grantee: Actor, retiree: Actor
) -> None:
    created = create_grant(kms, key, grantee.arn, RetiringPrincipal=retiree.arn)

    retiree.kms.retire_grant(KeyId=key["Arn"], GrantId=created["GrantId"])

    assert not can_encrypt(grantee, key)
    assert grant_ids_of(kms, key) == []


def test_the_issuing_account_retires_a_grant_by_key_arn_and_grant_id(
    kms: Any, key: dict[str, Any], grantee: Actor
) -> None:
    created = create_grant(kms, key, grantee.arn)
    assert can_encrypt(grantee, key)

    kms.retire_grant(KeyId=key["Arn"], GrantId=created["GrantId"])

    assert not can_encrypt(grantee, key)
    assert grant_ids_of(kms, key) == []


@pytest.mark.parametrize("by", ["token", "ids"])
def test_the_grantee_retires_a_grant_that_includes_retire_grant(
    kms: Any, key: dict[str, Any], grantee: Actor, by: str
) -> None:
    created = create_grant(kms, key, grantee.arn, ["Encrypt", "RetireGrant"])

    if by == "token":
        grantee.kms.retire_grant(GrantToken=created["GrantToken"])
    else:
        grantee.kms.retire_grant(KeyId=key["Arn"], GrantId=created["GrantId"])

    assert not can_encrypt(grantee, key)
    assert grant_ids_of(kms, key) == []


@pytest.mark.parametrize("by", ["token", "ids"])
def test_the_grantee_cannot_retire_a_grant_without_retire_grant(
    kms: Any, key: dict[str, Any], grantee: Actor, by: str
) -> None:
    created = create_grant(kms, key, grantee.arn, ["Encrypt"])

    with expect_error("AccessDeniedException"):
        if by == "token":
            grantee.kms.retire_grant(GrantToken=created["GrantToken"])
        else:
            grantee.kms.retire_grant(KeyId=key["Arn"], GrantId=created["GrantId"])

    assert grant_ids_of(kms, key) == [created["GrantId"]]
    assert can_encrypt(grantee, key)


@pytest.mark.parametrize("by", ["token", "ids"])
@pytest.mark.parametrize("retiring", [True, False], ids=["retiring-principal", "no-retiring"])
def test_an_unrelated_user_cannot_retire_a_grant(
    kms: Any,
    key: dict[str, Any],
    grantee: Actor,
    retiree: Actor,
    stranger: Actor,
    by: str,
    retiring: bool,
) -> None:
    extra = {"RetiringPrincipal": retiree.arn} if retiring else {}
    created = create_grant(kms, key, grantee.arn, **extra)

    with expect_error("AccessDeniedException"):
        if by == "token":
            stranger.kms.retire_grant(GrantToken=created["GrantToken"])
        else:
            stranger.kms.retire_grant(KeyId=key["Arn"], GrantId=created["GrantId"])

    assert grant_ids_of(kms, key) == [created["GrantId"]]
    assert can_encrypt(grantee, key)


def test_retire_grant_without_a_token_or_ids_is_a_validation_error(kms: Any) -> None:
    with expect_error("ValidationException"):
        kms.retire_grant()


def test_retire_grant_with_a_garbage_token_is_an_invalid_grant_token(kms: Any) -> None:
    with expect_error("InvalidGrantTokenException"):
        kms.retire_grant(GrantToken="this-is-not-a-grant-token")


# --------------------------------------------------------------------------- RevokeGrant


def test_revoke_grant_removes_the_grant_at_once(
    kms: Any, key: dict[str, Any], grantee: Actor
) -> None:
    created = create_grant(kms, key, grantee.arn)
    assert can_encrypt(grantee, key)

    kms.revoke_grant(KeyId=key["KeyId"], GrantId=created["GrantId"])

    assert not can_encrypt(grantee, key)
    assert grant_ids_of(kms, key) == []


def test_revoke_grant_of_an_unknown_grant_is_not_found(kms: Any, key: dict[str, Any]) -> None:
    with expect_error("NotFoundException"):
        kms.revoke_grant(KeyId=key["KeyId"], GrantId=secrets.token_hex(32))


def test_revoke_grant_of_another_keys_grant_is_not_found(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any], grantee: Actor
) -> None:
    created = create_grant(kms, key, grantee.arn)

    with expect_error("NotFoundException"):
        kms.revoke_grant(KeyId=other_key["KeyId"], GrantId=created["GrantId"])
    assert grant_ids_of(kms, key) == [created["GrantId"]]


def test_revoke_grant_with_a_malformed_grant_id_is_an_invalid_grant_id(
    kms: Any, key: dict[str, Any]
) -> None:
    with expect_error("InvalidGrantIdException"):
        kms.revoke_grant(KeyId=key["KeyId"], GrantId="not-a-grant-id")


def test_revoke_grant_by_a_user_without_permission_is_denied(
    kms: Any, key: dict[str, Any], grantee: Actor
) -> None:
    created = create_grant(kms, key, grantee.arn)

    with expect_error("AccessDeniedException"):
        grantee.kms.revoke_grant(KeyId=key["KeyId"], GrantId=created["GrantId"])
    assert grant_ids_of(kms, key) == [created["GrantId"]]


# --------------------------------------------------------------------------- CreateGrant checks


@pytest.mark.parametrize(
    ("spec", "usage", "operations", "constraints"),
    [
        pytest.param("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", ["Sign"], None, id="sign-symmetric"),
        pytest.param(
            "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", ["GenerateMac"], None, id="mac-symmetric"
        ),
        pytest.param("ECC_NIST_P256", "SIGN_VERIFY", ["GenerateMac"], None, id="mac-asymmetric"),
        pytest.param(
            "ECC_NIST_P256", "SIGN_VERIFY", ["GenerateDataKey"], None, id="data-key-asymmetric"
        ),
        pytest.param("HMAC_256", "GENERATE_VERIFY_MAC", ["Encrypt"], None, id="encrypt-hmac"),
        pytest.param(
            "ECC_NIST_P256",
            "SIGN_VERIFY",
            ["Sign"],
            {"EncryptionContextSubset": FINANCE},
            id="constraint-asymmetric",
        ),
    ],
)
def test_create_grant_with_operations_or_constraints_the_key_does_not_support_is_invalid(
    kms: Any,
    grantee: Actor,
    spec: str,
    usage: str,
    operations: list[str],
    constraints: dict[str, Any] | None,
) -> None:
    key = create_key(kms, KeySpec=spec, KeyUsage=usage)
    extra = {} if constraints is None else {"Constraints": constraints}

    with expect_error("ValidationException"):
        create_grant(kms, key, grantee.arn, operations, **extra)
    assert grant_ids_of(kms, key) == []


def test_create_grant_on_a_disabled_key_is_refused(
    kms: Any, key: dict[str, Any], grantee: Actor
) -> None:
    kms.disable_key(KeyId=key["KeyId"])

    with expect_error("DisabledException", message=f"{key['Arn']} is disabled."):
        create_grant(kms, key, grantee.arn)
    assert grant_ids_of(kms, key) == []


def test_create_grant_by_a_user_without_permission_is_denied(
    kms: Any, key: dict[str, Any], grantee: Actor, stranger: Actor
) -> None:
    with expect_error("AccessDeniedException"):
        create_grant(grantee.kms, key, stranger.arn)
    assert grant_ids_of(kms, key) == []


# --------------------------------------------------------------------------- DryRun


def test_create_grant_dry_run_creates_nothing(
    kms: Any, key: dict[str, Any], grantee: Actor
) -> None:
    with expect_error("DryRunOperationException", message=DRY_RUN_MESSAGE):
        create_grant(kms, key, grantee.arn, DryRun=True)

    assert grant_ids_of(kms, key) == []
    assert not can_encrypt(grantee, key)


def test_retire_grant_dry_run_keeps_the_grant(
    kms: Any, key: dict[str, Any], grantee: Actor, retiree: Actor
) -> None:
    created = create_grant(kms, key, grantee.arn, RetiringPrincipal=retiree.arn)

    with expect_error("DryRunOperationException", message=DRY_RUN_MESSAGE):
        retiree.kms.retire_grant(GrantToken=created["GrantToken"], DryRun=True)

    assert grant_ids_of(kms, key) == [created["GrantId"]]
    assert can_encrypt(grantee, key)


def test_revoke_grant_dry_run_keeps_the_grant(
    kms: Any, key: dict[str, Any], grantee: Actor
) -> None:
    created = create_grant(kms, key, grantee.arn)

    with expect_error("DryRunOperationException", message=DRY_RUN_MESSAGE):
        kms.revoke_grant(KeyId=key["KeyId"], GrantId=created["GrantId"], DryRun=True)

    assert grant_ids_of(kms, key) == [created["GrantId"]]
    assert can_encrypt(grantee, key)


def test_dry_run_reports_the_real_error_of_a_call_that_would_fail(
    kms: Any, key: dict[str, Any], grantee: Actor, stranger: Actor
) -> None:
    created = create_grant(kms, key, grantee.arn)

    with expect_error("AccessDeniedException"):
        stranger.kms.retire_grant(GrantToken=created["GrantToken"], DryRun=True)
    with expect_error("NotFoundException"):
        kms.revoke_grant(KeyId=key["KeyId"], GrantId=secrets.token_hex(32), DryRun=True)


# --------------------------------------------------------------------------- cross-account


def test_a_grant_to_another_accounts_principal_lets_it_use_the_key_by_arn(
    kms: Any, key: dict[str, Any], other_account: Account, other_kms: Any
) -> None:
    def other_encrypt(tokens: list[str]) -> bytes:
        response = other_kms.encrypt(KeyId=key["Arn"], Plaintext=PLAINTEXT, GrantTokens=tokens)
        blob: bytes = response["CiphertextBlob"]
        return blob

    assert not is_allowed(lambda: other_encrypt([]))
    created = create_grant(kms, key, other_account.arn, ENCRYPT_DECRYPT)
    tokens = [created["GrantToken"]]

    blob = other_encrypt(tokens)
    response = other_kms.decrypt(CiphertextBlob=blob, KeyId=key["Arn"], GrantTokens=tokens)
    assert response["Plaintext"] == PLAINTEXT
    assert response["KeyId"] == key["Arn"]
    [entry] = grants_of(kms, key)
    assert entry["GrantId"] == created["GrantId"]
    assert entry["GranteePrincipal"] == other_account.arn


# --------------------------------------------------------------------------- delegation


def test_a_grantee_with_create_grant_can_grant_to_someone_else(
    kms: Any, key: dict[str, Any], grantee: Actor, stranger: Actor, account: Account
) -> None:
    token = create_grant(kms, key, grantee.arn, ["Encrypt", "CreateGrant"])["GrantToken"]
    assert not can_encrypt(stranger, key)

    delegated = create_grant(grantee.kms, key, stranger.arn, ["Encrypt"], GrantTokens=[token])

    assert can_encrypt(stranger, key, GrantTokens=[delegated["GrantToken"]])
    [entry] = grants_of(kms, key, GrantId=delegated["GrantId"])
    assert entry["GranteePrincipal"] == stranger.arn
    assert entry["IssuingAccount"] == account.root_arn()


def test_a_grantee_cannot_delegate_operations_its_grant_does_not_have(
    kms: Any, key: dict[str, Any], grantee: Actor, stranger: Actor
) -> None:
    create_grant(kms, key, grantee.arn, ["Encrypt", "CreateGrant"])

    with expect_error("AccessDeniedException"):
        create_grant(grantee.kms, key, stranger.arn, ["Encrypt", "Decrypt"])
    assert grant_ids_of(kms, key, GranteePrincipal=stranger.arn) == []


def test_a_constrained_grantee_can_delegate_with_an_equally_strict_constraint(
    kms: Any, key: dict[str, Any], grantee: Actor, stranger: Actor
) -> None:
    constraints = {"EncryptionContextSubset": FINANCE}
    created = create_grant(
        kms, key, grantee.arn, ["Encrypt", "CreateGrant"], Constraints=constraints
    )

    delegated = create_grant(
        grantee.kms,
        key,
        stranger.arn,
        ["Encrypt"],
        Constraints=constraints,
        GrantTokens=[created["GrantToken"]],
    )

    tokens = [delegated["GrantToken"]]
    assert can_encrypt(stranger, key, FINANCE, GrantTokens=tokens)
    assert not can_encrypt(stranger, key, GrantTokens=tokens)


def test_a_constrained_grantee_cannot_delegate_without_the_constraint(
    kms: Any, key: dict[str, Any], grantee: Actor, stranger: Actor
) -> None:
    constraints = {"EncryptionContextSubset": FINANCE}
    create_grant(kms, key, grantee.arn, ["Encrypt", "CreateGrant"], Constraints=constraints)

    with expect_error("AccessDeniedException"):
        create_grant(grantee.kms, key, stranger.arn, ["Encrypt"])
    assert grant_ids_of(kms, key, GranteePrincipal=stranger.arn) == []


# --------------------------------------------------------------------------- key deletion


def test_deleting_the_key_removes_its_grants(
    kms: Any, server: Server, grantee: Actor, retiree: Actor
) -> None:
    key = create_key(kms)
    created = create_grant(kms, key, grantee.arn, RetiringPrincipal=retiree.arn)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    # A key pending deletion keeps its grants until it is destroyed.
    assert grant_ids_of(kms, key) == [created["GrantId"]]
    assert created["GrantId"] in retirable_grants(kms, retiree.arn)

    advance_clock(server, 8 * DAY)
    wait_until(lambda: is_gone(kms, key["KeyId"]), message="the key's deletion")

    assert created["GrantId"] not in retirable_grants(kms, retiree.arn)
