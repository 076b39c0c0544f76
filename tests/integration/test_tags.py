"""TagResource, UntagResource, ListResourceTags."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .helpers import create_key, expect_error


def tags_of(kms: Any, key_id: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    marker: str | None = None
    while True:
        kwargs: dict[str, Any] = {"KeyId": key_id}
        if marker:
            kwargs["Marker"] = marker
        page = kms.list_resource_tags(**kwargs)
        for tag in page["Tags"]:
            assert tag["TagKey"] not in tags, f"tag {tag['TagKey']} listed twice"
            tags[tag["TagKey"]] = tag["TagValue"]
        if not page["Truncated"]:
            return tags
        marker = page["NextMarker"]


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"TagKey": k, "TagValue": v} for k, v in tags.items()]


def test_a_new_key_has_no_tags(kms: Any, key: dict[str, Any]) -> None:
    page = kms.list_resource_tags(KeyId=key["KeyId"])
    assert page["Tags"] == []
    assert page["Truncated"] is False


def test_tag_resource_adds_tags(kms: Any, key: dict[str, Any]) -> None:
    kms.tag_resource(KeyId=key["KeyId"], Tags=tag_list({"team": "payments", "env": "prod"}))
    assert tags_of(kms, key["KeyId"]) == {"team": "payments", "env": "prod"}


def test_tag_resource_accepts_a_key_arn(kms: Any, key: dict[str, Any]) -> None:
    kms.tag_resource(KeyId=key["Arn"], Tags=tag_list({"by": "arn"}))
    assert tags_of(kms, key["Arn"]) == {"by": "arn"}


def test_tag_resource_overwrites_the_value_of_an_existing_key(
    kms: Any, key: dict[str, Any]
) -> None:
    kms.tag_resource(KeyId=key["KeyId"], Tags=tag_list({"env": "dev", "keep": "me"}))
    kms.tag_resource(KeyId=key["KeyId"], Tags=tag_list({"env": "prod"}))
    assert tags_of(kms, key["KeyId"]) == {"env": "prod", "keep": "me"}


def test_tag_keys_are_case_sensitive(kms: Any, key: dict[str, Any]) -> None:
    kms.tag_resource(KeyId=key["KeyId"], Tags=tag_list({"Env": "a", "env": "b"}))
    assert tags_of(kms, key["KeyId"]) == {"Env": "a", "env": "b"}


def test_tag_value_may_be_empty(kms: Any, key: dict[str, Any]) -> None:
    kms.tag_resource(KeyId=key["KeyId"], Tags=tag_list({"flag": ""}))
    assert tags_of(kms, key["KeyId"]) == {"flag": ""}


def test_tags_belong_to_one_key(kms: Any, key: dict[str, Any], other_key: dict[str, Any]) -> None:
    kms.tag_resource(KeyId=key["KeyId"], Tags=tag_list({"only": "here"}))
    assert tags_of(kms, other_key["KeyId"]) == {}


# Only the lower-case prefix is certain: AWS documents "aws:" without saying
# whether "AWS:" is reserved too.
@pytest.mark.parametrize("tag_key", ["aws:owner", "aws:"])
def test_tag_keys_with_the_aws_prefix_are_rejected(
    kms: Any, key: dict[str, Any], tag_key: str
) -> None:
    with expect_error("TagException"):
        kms.tag_resource(KeyId=key["KeyId"], Tags=tag_list({tag_key: "v"}))
    assert tags_of(kms, key["KeyId"]) == {}


def test_create_key_with_an_aws_prefixed_tag_is_rejected(kms: Any) -> None:
    with expect_error("TagException"):
        kms.create_key(Tags=tag_list({"aws:reserved": "v"}))


def test_duplicate_tag_keys_in_one_request_are_rejected(kms: Any, key: dict[str, Any]) -> None:
    with expect_error("TagException") as error:
        kms.tag_resource(
            KeyId=key["KeyId"],
            Tags=[{"TagKey": "dup", "TagValue": "1"}, {"TagKey": "dup", "TagValue": "2"}],
        )
    assert "Duplicate tag keys" in error.message
    assert tags_of(kms, key["KeyId"]) == {}


def test_create_key_with_duplicate_tag_keys_is_rejected(kms: Any) -> None:
    with expect_error("TagException"):
        kms.create_key(
            Tags=[{"TagKey": "dup", "TagValue": "1"}, {"TagKey": "dup", "TagValue": "2"}]
        )


def test_tag_key_longer_than_128_characters_is_a_validation_error(
    kms_unvalidated: Any, key: dict[str, Any]
) -> None:
    long_key = "k" * 129
    with expect_error(
        "ValidationException",
        message=(
            f"1 validation error detected: Value '{long_key}' at 'tags.1.member.tagKey' "
            "failed to satisfy constraint: Member must have length less than or equal to 128"
        ),
    ):
        kms_unvalidated.tag_resource(KeyId=key["KeyId"], Tags=tag_list({long_key: "v"}))


def test_tag_value_longer_than_256_characters_is_a_validation_error(
    kms_unvalidated: Any, key: dict[str, Any]
) -> None:
    with expect_error("ValidationException") as error:
        kms_unvalidated.tag_resource(KeyId=key["KeyId"], Tags=tag_list({"k": "v" * 257}))
    assert "tagValue" in error.message


def test_more_than_50_tags_on_a_key_is_rejected(kms: Any, key: dict[str, Any]) -> None:
    kms.tag_resource(KeyId=key["KeyId"], Tags=tag_list({f"t{i}": "v" for i in range(50)}))
    # Recorded answers say TagException "Too many tags"; the model also lists
    # LimitExceededException for TagResource. Either is faithful.
    with pytest.raises(kms.exceptions.ClientError) as info:
        kms.tag_resource(KeyId=key["KeyId"], Tags=tag_list({"one-too-many": "v"}))
    assert info.value.response["Error"]["Code"] in {"TagException", "LimitExceededException"}
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(tags_of(kms, key["KeyId"])) == 50


def test_untag_resource_removes_only_the_named_keys(kms: Any, key: dict[str, Any]) -> None:
    kms.tag_resource(KeyId=key["KeyId"], Tags=tag_list({"a": "1", "b": "2", "c": "3"}))
    kms.untag_resource(KeyId=key["KeyId"], TagKeys=["a", "c"])
    assert tags_of(kms, key["KeyId"]) == {"b": "2"}


def test_untag_resource_of_missing_tag_keys_is_silent(kms: Any, key: dict[str, Any]) -> None:
    kms.tag_resource(KeyId=key["KeyId"], Tags=tag_list({"a": "1"}))
    kms.untag_resource(KeyId=key["KeyId"], TagKeys=["never-set", "A"])
    assert tags_of(kms, key["KeyId"]) == {"a": "1"}


def test_list_resource_tags_paginates_with_limit_and_marker(kms: Any) -> None:
    expected = {f"tag-{i:02d}": str(i) for i in range(7)}
    target = create_key(kms, Tags=tag_list(expected))
    first = kms.list_resource_tags(KeyId=target["KeyId"], Limit=3)
    assert 1 <= len(first["Tags"]) <= 3
    assert first["Truncated"] is True
    collected = {t["TagKey"]: t["TagValue"] for t in first["Tags"]}
    marker = first["NextMarker"]
    while marker:
        page = kms.list_resource_tags(KeyId=target["KeyId"], Limit=3, Marker=marker)
        assert len(page["Tags"]) <= 3
        for tag in page["Tags"]:
            assert tag["TagKey"] not in collected
            collected[tag["TagKey"]] = tag["TagValue"]
        marker = page.get("NextMarker") if page["Truncated"] else None
    assert collected == expected


@pytest.mark.parametrize("operation", ["tag_resource", "untag_resource", "list_resource_tags"])
def test_tag_operations_on_an_unknown_key_are_not_found(kms: Any, operation: str) -> None:
    kwargs: dict[str, Any] = {"KeyId": str(uuid.uuid4())}
    if operation == "tag_resource":
        kwargs["Tags"] = tag_list({"a": "b"})
    elif operation == "untag_resource":
        kwargs["TagKeys"] = ["a"]
    with expect_error("NotFoundException"):
        getattr(kms, operation)(**kwargs)
