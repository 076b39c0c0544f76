"""Parsing key ids, key ARNs, alias names and alias ARNs (kms-semantics §2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.service.caller import Caller
from strongroom.service.errors import AccessDeniedException, NotFoundException
from strongroom.service.identifiers import AliasRef, KeyRef, access_denied, parse

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
REGION = "us-east-1"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
MRK_ID = "mrk-1234abcd12ab34cd56ef1234567890ab"
CALLER = Caller(
    account_id=ACCOUNT,
    principal_arn=f"arn:aws:iam::{ACCOUNT}:user/alice",
    principal_id="AIDAEXAMPLE",
    access_key_id="AKIAEXAMPLE",
    region=REGION,
)


def arn(resource: str, *, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:kms:{region}:{account}:{resource}"


def parse_key(value: str) -> KeyRef | AliasRef:
    return parse(value, CALLER, "Encrypt", allow_alias=False)


def parse_any(value: str) -> KeyRef | AliasRef:
    return parse(value, CALLER, "Encrypt", allow_alias=True)


# --- accepted forms --------------------------------------------------------------------------


@pytest.mark.parametrize("allow_alias", [False, True])
def test_a_key_id_names_a_key_in_the_callers_account(allow_alias: bool) -> None:
    assert parse(KEY_ID, CALLER, "Encrypt", allow_alias=allow_alias) == KeyRef(KEY_ID, ACCOUNT)


def test_a_multi_region_key_id_names_a_key() -> None:
    assert parse_key(MRK_ID) == KeyRef(MRK_ID, ACCOUNT)


@pytest.mark.parametrize("key_id", [KEY_ID, MRK_ID])
def test_a_key_arn_names_the_key_it_contains(key_id: str) -> None:
    assert parse_key(arn(f"key/{key_id}")) == KeyRef(key_id, ACCOUNT)


def test_an_alias_name_names_an_alias_in_the_callers_account() -> None:
    assert parse_any("alias/my-key") == AliasRef("alias/my-key", ACCOUNT)


def test_an_alias_arn_names_the_alias_it_contains() -> None:
    assert parse_any(arn("alias/my-key")) == AliasRef("alias/my-key", ACCOUNT)


def test_an_alias_name_may_contain_slashes() -> None:
    assert parse_any("alias/team/app") == AliasRef("alias/team/app", ACCOUNT)


# --- malformed ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "",
        "nope",
        KEY_ID.upper(),
        KEY_ID[:-1],
        KEY_ID + "0",
        KEY_ID.replace("-", ""),
        "{" + KEY_ID + "}",
        "mrk-" + "0" * 31,
        "mrk-" + "0" * 33,
        "MRK-" + "0" * 32,
        " " + KEY_ID,
        KEY_ID + "\n",
        "key/" + KEY_ID,
    ],
)
def test_a_malformed_key_id_is_not_found_with_the_input_quoted(value: str) -> None:
    with pytest.raises(NotFoundException) as raised:
        parse_any(value)
    assert raised.value.message == f"Invalid keyId '{value}'"


@given(value=st.text(max_size=60).filter(lambda v: not v.startswith(("arn:", "alias/"))))
def test_anything_but_an_id_arn_or_alias_is_not_found(value: str) -> None:
    try:
        ref = parse_any(value)
    except NotFoundException as e:
        assert e.message == f"Invalid keyId '{value}'"
    else:
        assert ref == KeyRef(value, ACCOUNT)


def test_a_key_arn_with_a_malformed_key_id_is_not_found() -> None:
    value = arn("key/nope")
    with pytest.raises(NotFoundException) as raised:
        parse_key(value)
    assert raised.value.message == f"Invalid keyId '{value}'"


@pytest.mark.parametrize(
    "value",
    [
        "arn:",
        "arn:aws:kms",
        f"arn:aws:s3:{REGION}:{ACCOUNT}:key/{KEY_ID}",
        f"arn:aws:kms:{REGION}:12345:key/{KEY_ID}",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:grant/{KEY_ID}",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:key/",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/",
    ],
)
def test_a_malformed_arn_is_not_found(value: str) -> None:
    with pytest.raises(NotFoundException) as raised:
        parse_any(value)
    assert raised.value.message == f"Invalid arn {value}"


# --- aliases where the operation takes none --------------------------------------------------


@pytest.mark.parametrize("value", ["alias/my-key", arn("alias/my-key")])
def test_an_alias_is_refused_where_the_operation_takes_none(value: str) -> None:
    with pytest.raises(NotFoundException) as raised:
        parse(value, CALLER, "EnableKey", allow_alias=False)
    assert raised.value.message == f"Invalid keyId '{value}'"


# --- other regions and accounts --------------------------------------------------------------


@pytest.mark.parametrize("resource", [f"key/{KEY_ID}", "alias/my-key", "key/nope"])
def test_an_arn_of_another_region_is_not_found_naming_that_region(resource: str) -> None:
    with pytest.raises(NotFoundException) as raised:
        parse_any(arn(resource, region="eu-west-1"))
    assert raised.value.message == "Invalid arn eu-west-1"


def test_the_region_is_checked_before_the_account() -> None:
    with pytest.raises(NotFoundException, match="Invalid arn eu-west-1"):
        parse_any(arn(f"key/{KEY_ID}", region="eu-west-1", account=OTHER_ACCOUNT))


@pytest.mark.parametrize("resource", [f"key/{KEY_ID}", f"key/{MRK_ID}", "alias/my-key"])
def test_an_arn_of_another_account_is_access_denied(resource: str) -> None:
    value = arn(resource, account=OTHER_ACCOUNT)
    with pytest.raises(AccessDeniedException) as raised:
        parse(value, CALLER, "Decrypt", allow_alias=True)
    assert raised.value.message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: kms:Decrypt "
        f"on resource: {value} because no resource-based policy allows the kms:Decrypt action"
    )


def test_a_malformed_key_id_in_another_accounts_arn_is_not_found_rather_than_denied() -> None:
    value = arn("key/nope", account=OTHER_ACCOUNT)
    with pytest.raises(NotFoundException, match="Invalid keyId"):
        parse_key(value)


def test_an_alias_arn_of_another_account_where_aliases_are_not_taken_is_not_found() -> None:
    value = arn("alias/my-key", account=OTHER_ACCOUNT)
    with pytest.raises(NotFoundException):
        parse_key(value)


def test_access_denied_names_the_caller_the_operation_and_the_resource() -> None:
    error = access_denied(CALLER, "GenerateDataKey", "arn:x")
    assert isinstance(error, AccessDeniedException)
    assert error.code == "AccessDeniedException"
    assert error.message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: "
        "kms:GenerateDataKey on resource: arn:x because no resource-based policy allows "
        "the kms:GenerateDataKey action"
    )
