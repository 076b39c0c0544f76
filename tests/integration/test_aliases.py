"""CreateAlias, UpdateAlias, DeleteAlias, ListAliases."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest

from .helpers import (
    Account,
    AliasTracker,
    create_key,
    expect_error,
    list_all_aliases,
    unique_alias,
)

# The live service reportedly answers alias/aws/... with the unmodelled
# NotAuthorizedException; InvalidAliasNameException is the modelled choice.
RESERVED_ALIAS_CODES = {"InvalidAliasNameException", "NotAuthorizedException"}


def aliases_by_name(kms: Any, **kwargs: Any) -> dict[str, dict[str, Any]]:
    return {a["AliasName"]: a for a in list_all_aliases(kms, **kwargs)}


# --------------------------------------------------------------------------- CreateAlias


def test_create_alias_makes_it_listable_with_arn_and_target(
    kms: Any, key: dict[str, Any], aliases: AliasTracker, account: Account
) -> None:
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    name = aliases.create(key["KeyId"])
    entry = aliases_by_name(kms)[name]
    assert entry["AliasArn"] == account.alias_arn(name)
    assert entry["TargetKeyId"] == key["KeyId"]
    assert entry["CreationDate"] >= before
    assert entry["LastUpdatedDate"] >= before


def test_create_alias_accepts_a_key_arn_as_target(
    kms: Any, key: dict[str, Any], aliases: AliasTracker
) -> None:
    name = aliases.create(key["Arn"])
    assert aliases_by_name(kms)[name]["TargetKeyId"] == key["KeyId"]


def test_a_key_may_have_several_aliases(
    kms: Any, key: dict[str, Any], aliases: AliasTracker
) -> None:
    names = {aliases.create(key["KeyId"]) for _ in range(3)}
    for name in names:
        assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_alias_names_are_case_sensitive(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any], aliases: AliasTracker
) -> None:
    name = unique_alias("case")
    aliases.create(key["KeyId"], name.lower())
    aliases.create(other_key["KeyId"], "alias/" + name.removeprefix("alias/").upper())
    assert kms.describe_key(KeyId=name.lower())["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_create_alias_with_an_existing_name_already_exists(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any], aliases: AliasTracker
) -> None:
    name = aliases.create(key["KeyId"])
    with expect_error("AlreadyExistsException"):
        kms.create_alias(AliasName=name, TargetKeyId=other_key["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_create_alias_without_the_alias_prefix_is_a_validation_error(
    kms: Any, key: dict[str, Any]
) -> None:
    with expect_error("ValidationException") as error:
        kms.create_alias(AliasName=f"no-prefix-{uuid.uuid4().hex}", TargetKeyId=key["KeyId"])
    assert error.message.startswith('Alias must start with the prefix "alias/".'), error.message


@pytest.mark.parametrize("name", ["alias/", "alias/has space", "alias/bang!", "alias/ümlaut"])
def test_create_alias_with_invalid_characters_is_a_validation_error(
    kms: Any, key: dict[str, Any], name: str
) -> None:
    with expect_error("ValidationException"):
        kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])


def test_create_alias_longer_than_256_characters_is_a_validation_error(
    kms_unvalidated: Any, key: dict[str, Any]
) -> None:
    with expect_error("ValidationException") as error:
        kms_unvalidated.create_alias(AliasName="alias/" + "a" * 251, TargetKeyId=key["KeyId"])
    assert "aliasName" in error.message


def test_create_alias_in_the_reserved_aws_namespace_is_refused(
    kms: Any, key: dict[str, Any]
) -> None:
    with pytest.raises(kms.exceptions.ClientError) as info:
        kms.create_alias(AliasName=f"alias/aws/x{uuid.uuid4().hex}", TargetKeyId=key["KeyId"])
    assert info.value.response["Error"]["Code"] in RESERVED_ALIAS_CODES
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_create_alias_for_an_unknown_key_is_not_found(kms: Any) -> None:
    with expect_error("NotFoundException"):
        kms.create_alias(AliasName=unique_alias(), TargetKeyId=str(uuid.uuid4()))


# --------------------------------------------------------------------------- UpdateAlias


def test_update_alias_points_the_alias_at_another_key(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any], aliases: AliasTracker
) -> None:
    name = aliases.create(key["KeyId"])
    kms.update_alias(AliasName=name, TargetKeyId=other_key["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == other_key["KeyId"]
    assert aliases_by_name(kms)[name]["TargetKeyId"] == other_key["KeyId"]
    assert kms.encrypt(KeyId=name, Plaintext=b"x")["KeyId"] == other_key["Arn"]


def test_update_alias_keeps_old_ciphertexts_decryptable(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any], aliases: AliasTracker
) -> None:
    name = aliases.create(key["KeyId"])
    blob = kms.encrypt(KeyId=name, Plaintext=b"before")["CiphertextBlob"]
    kms.update_alias(AliasName=name, TargetKeyId=other_key["Arn"])
    decrypted = kms.decrypt(CiphertextBlob=blob)
    assert decrypted["Plaintext"] == b"before"
    assert decrypted["KeyId"] == key["Arn"]


def test_update_alias_of_an_unknown_alias_is_not_found(kms: Any, key: dict[str, Any]) -> None:
    with expect_error("NotFoundException"):
        kms.update_alias(AliasName=unique_alias("missing"), TargetKeyId=key["KeyId"])


def test_update_alias_to_an_unknown_key_is_not_found(
    kms: Any, key: dict[str, Any], aliases: AliasTracker
) -> None:
    name = aliases.create(key["KeyId"])
    with expect_error("NotFoundException"):
        kms.update_alias(AliasName=name, TargetKeyId=str(uuid.uuid4()))
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]


# --------------------------------------------------------------------------- DeleteAlias


def test_delete_alias_removes_it_but_not_the_key(kms: Any, key: dict[str, Any]) -> None:
    name = unique_alias()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    kms.delete_alias(AliasName=name)
    with expect_error("NotFoundException"):
        kms.describe_key(KeyId=name)
    assert name not in aliases_by_name(kms)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_a_deleted_alias_name_can_be_reused(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any], aliases: AliasTracker
) -> None:
    name = unique_alias()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    kms.delete_alias(AliasName=name)
    aliases.create(other_key["KeyId"], name)
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == other_key["KeyId"]


def test_delete_alias_of_an_unknown_alias_is_not_found(kms: Any) -> None:
    with expect_error("NotFoundException"):
        kms.delete_alias(AliasName=unique_alias("missing"))


# --------------------------------------------------------------------------- ListAliases


@pytest.mark.parametrize("form", ["id", "arn"])
def test_list_aliases_filtered_by_key_shows_only_that_keys_aliases(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any], aliases: AliasTracker, form: str
) -> None:
    mine = {aliases.create(key["KeyId"]) for _ in range(2)}
    theirs = aliases.create(other_key["KeyId"])
    listed = aliases_by_name(kms, KeyId=key[{"id": "KeyId", "arn": "Arn"}[form]])
    assert set(listed) == mine
    assert theirs not in listed
    assert all(entry["TargetKeyId"] == key["KeyId"] for entry in listed.values())


def test_list_aliases_of_a_key_without_aliases_is_empty(kms: Any, key: dict[str, Any]) -> None:
    page = kms.list_aliases(KeyId=key["KeyId"])
    assert page["Aliases"] == []
    assert page["Truncated"] is False


def test_list_aliases_paginator_returns_every_alias_once(
    kms: Any, key: dict[str, Any], aliases: AliasTracker
) -> None:
    created = {aliases.create(key["KeyId"]) for _ in range(5)}
    pages = list(kms.get_paginator("list_aliases").paginate(PaginationConfig={"PageSize": 2}))
    seen = [a["AliasName"] for page in pages for a in page["Aliases"]]
    assert len(seen) == len(set(seen)), "an alias was listed twice"
    assert created <= set(seen)
    assert all(len(page["Aliases"]) <= 2 for page in pages)


def test_list_aliases_manual_pagination_with_a_key_filter(kms: Any, aliases: AliasTracker) -> None:
    target = create_key(kms)
    created = {aliases.create(target["KeyId"]) for _ in range(3)}
    seen: list[str] = []
    marker: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"KeyId": target["KeyId"], "Limit": 2}
        if marker:
            kwargs["Marker"] = marker
        page = kms.list_aliases(**kwargs)
        pages += 1
        seen.extend(a["AliasName"] for a in page["Aliases"])
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
    assert sorted(seen) == sorted(created)
    assert pages >= 2


# The docs say 1-100, the model's LimitType says 1-1000 and "might return fewer":
# only the model's bounds are certain to be rejected.
@pytest.mark.parametrize("limit", [0, 1001])
def test_list_aliases_rejects_limit_outside_the_model_range(
    kms_unvalidated: Any, limit: int
) -> None:
    with expect_error("ValidationException") as error:
        kms_unvalidated.list_aliases(Limit=limit)
    assert "limit" in error.message


def test_list_aliases_for_an_unknown_key_is_not_found(kms: Any) -> None:
    with expect_error("NotFoundException"):
        kms.list_aliases(KeyId=str(uuid.uuid4()))
