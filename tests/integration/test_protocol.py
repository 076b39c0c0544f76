"""The AWS JSON 1.1 protocol: malformed requests, unknown operations, validation text."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import (
    RawPost,
    assert_client_error,
    assert_not_server_error,
    b64,
    json_body,
)

# --------------------------------------------------------------------------- envelope


def test_error_bodies_carry_type_and_message(raw_post: RawPost) -> None:
    response = raw_post("DescribeKey", json_body({"KeyId": str(uuid.uuid4())}))
    assert response.status == 400
    assert response.headers["content-type"].startswith("application/x-amz-json-1.1")
    body = response.json()
    assert body["__type"].rsplit("#", 1)[-1] == "NotFoundException"
    assert isinstance(body.get("message"), str)


def test_successful_responses_are_amz_json(raw_post: RawPost) -> None:
    response = raw_post("GenerateRandom", json_body({"NumberOfBytes": 16}))
    assert response.status == 200, response.body
    assert response.headers["content-type"].startswith("application/x-amz-json-1.1")
    assert "x-amzn-requestid" in response.headers


@pytest.mark.parametrize(
    "body",
    [b"{", b"{not json}", b'{"KeyId": }', b"\xff\xfe\x00", b'{"a": "b"} trailing'],
    ids=["unclosed", "bare-words", "missing-value", "not-utf8", "trailing-garbage"],
)
def test_malformed_json_is_a_serialization_error(raw_post: RawPost, body: bytes) -> None:
    assert_client_error(raw_post("ListKeys", body), "SerializationException")


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null"])
def test_a_json_body_that_is_not_an_object_is_a_client_error(
    raw_post: RawPost, body: bytes
) -> None:
    response = raw_post("ListKeys", body)
    assert_not_server_error(response)
    assert response.error_code in {"SerializationException", "ValidationException"}


def test_a_body_in_many_pieces_is_read_whole(raw_post: RawPost) -> None:
    # About 300 KB: the server receives it in several reads (several ASGI messages).
    # Members the model does not know are ignored, as AWS ignores them.
    body = json_body({"NumberOfBytes": 16, "Padding": "x" * 300_000})
    response = raw_post("GenerateRandom", body)
    assert response.status == 200, response.body[:300]
    assert len(response.json()["Plaintext"]) == 24  # 16 bytes in base64


def test_a_body_over_the_limit_is_a_validation_error(raw_post: RawPost) -> None:
    body = json_body({"NumberOfBytes": 16, "Padding": "x" * (1_048_576 + 1)})
    response = raw_post("GenerateRandom", body)
    assert_client_error(response, "ValidationException")
    assert response.json()["message"] == "Request body must not exceed 1048576 bytes."


def test_an_empty_body_is_not_a_server_error(raw_post: RawPost) -> None:
    response = raw_post("ListKeys", b"")
    if response.status != 200:
        assert_not_server_error(response)


def test_an_unknown_operation_is_unknown_operation(raw_post: RawPost) -> None:
    assert_client_error(raw_post("FrobnicateKey", b"{}"), "UnknownOperationException")


def test_a_target_of_another_service_is_unknown_operation(raw_post: RawPost) -> None:
    response = raw_post("DynamoDB_20120810.ListTables", b"{}")
    assert_client_error(response, "UnknownOperationException")


def test_a_missing_target_is_a_client_error(raw_post: RawPost) -> None:
    assert_not_server_error(raw_post(None, b"{}"))


# --------------------------------------------------------------------------- validation text


def test_a_missing_required_member_is_a_validation_error(raw_post: RawPost) -> None:
    response = raw_post("Encrypt", json_body({"Plaintext": b64(b"x")}))
    assert_client_error(response, "ValidationException")
    assert response.error_message == (
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_a_range_violation_is_reported_in_aws_words(raw_post: RawPost) -> None:
    response = raw_post("GenerateRandom", json_body({"NumberOfBytes": 0}))
    assert_client_error(response, "ValidationException")
    assert response.error_message == (
        "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1"
    )


def test_several_violations_are_counted_in_the_message(raw_post: RawPost) -> None:
    response = raw_post("ListAliases", json_body({"Limit": 0, "Marker": ""}))
    assert_client_error(response, "ValidationException")
    assert (response.error_message or "").startswith("2 validation errors detected: ")


def test_an_unknown_enum_value_is_a_validation_error_naming_the_member(
    raw_post: RawPost, kms: Any
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    response = raw_post("GenerateDataKey", json_body({"KeyId": key_id, "KeySpec": "AES_1"}))
    assert_client_error(response, "ValidationException")
    assert (response.error_message or "").startswith(
        "1 validation error detected: Value 'AES_1' at 'keySpec' failed to satisfy constraint: "
        "Member must satisfy enum value set: "
    ), response.body


def test_an_over_long_key_id_is_a_validation_error(raw_post: RawPost) -> None:
    response = raw_post("DescribeKey", json_body({"KeyId": "k" * 2049}))
    assert_client_error(response, "ValidationException")
    assert "keyId" in (response.error_message or "")


@pytest.mark.parametrize(
    ("target", "body"),
    [
        ("GenerateRandom", {"NumberOfBytes": "ten"}),
        ("DescribeKey", {"KeyId": ["a"]}),
        ("Encrypt", {"KeyId": "alias/x", "Plaintext": "***not base64***"}),
        ("Encrypt", {"KeyId": "alias/x", "Plaintext": b64(b"x"), "EncryptionContext": "a=b"}),
        ("CreateKey", {"Tags": {"TagKey": "a"}}),
        ("CreateKey", {"Tags": [{"TagKey": None, "TagValue": "x"}]}),
    ],
)
def test_a_member_of_the_wrong_type_is_a_client_error(
    raw_post: RawPost, target: str, body: dict[str, Any]
) -> None:
    response = raw_post(target, json_body(body))
    assert_not_server_error(response)
    assert response.error_code in {"SerializationException", "ValidationException"}, response.body


# --------------------------------------------------------------------------- never a 5xx

_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
_json_value = st.recursive(
    _json_leaf,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
_members = st.sampled_from(
    [
        "KeyId",
        "Plaintext",
        "CiphertextBlob",
        "EncryptionContext",
        "NumberOfBytes",
        "KeySpec",
        "Limit",
        "Marker",
        "DestinationKeyId",
        "Tags",
        "AliasName",
        "TargetKeyId",
        "Description",
        "PolicyName",
        "DryRun",
        "GrantTokens",
    ]
)
_operations = st.sampled_from(
    [
        "CreateKey",
        "DescribeKey",
        "ListKeys",
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateRandom",
        "CreateAlias",
        "ListAliases",
        "TagResource",
        "GetKeyPolicy",
        "UpdateKeyDescription",
    ]
)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operation=_operations, body=st.dictionaries(_members, _json_value, max_size=4))
def test_arbitrary_request_bodies_never_cause_a_server_error(
    raw_post: RawPost, operation: str, body: dict[str, Any]
) -> None:
    response = raw_post(operation, json.dumps(body).encode())
    assert response.status < 500, (operation, body, response.status, response.body[:300])
    if response.status >= 400:
        assert response.error_code, response.body[:300]
