"""ServiceModel: request decoding and AWS-style validation compiled from botocore's model.

Expected messages are AWS's wording as recorded from the real service where a recording
exists (see the module docstring of ``strongroom.http.shapes`` for the sources).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from pathlib import Path
from typing import Any

import botocore
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.http.shapes import ServiceModel, _check_padding, compile_java_pattern
from strongroom.service.errors import (
    SerializationException,
    UnknownOperationException,
    ValidationException,
)

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def _botocore_model() -> dict[str, Any]:
    path = Path(botocore.__file__).parent / "data" / "kms" / "2014-11-01" / "service-2.json.gz"
    with gzip.open(path, "rb") as f:
        model: dict[str, Any] = json.load(f)
    return model


BOTOCORE_MODEL = _botocore_model()
MODEL = ServiceModel()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def validation_message(operation: str, body: object) -> str:
    with pytest.raises(ValidationException) as e:
        MODEL.decode_input(operation, body)
    return e.value.message


def serialization_message(operation: str, body: object) -> str:
    with pytest.raises(SerializationException) as e:
        MODEL.decode_input(operation, body)
    return e.value.message


def one_error(text: str) -> str:
    return f"1 validation error detected: {text}"


# --------------------------------------------------------------------------- the model


def test_every_model_operation_has_a_decoder() -> None:
    assert MODEL.operation_names() == frozenset(BOTOCORE_MODEL["operations"])
    assert {"Encrypt", "Decrypt", "CreateKey", "GenerateRandom"} <= MODEL.operation_names()


def test_an_operation_outside_the_model_is_unknown() -> None:
    with pytest.raises(UnknownOperationException):
        MODEL.decode_input("Nope", {})


# --------------------------------------------------------------------------- decoding


def test_encrypt_decodes_blob_and_copies_the_context() -> None:
    context = {"tenant": "t-42", "purpose": "test"}
    body = {"KeyId": KEY_ID, "Plaintext": b64(b"secret"), "EncryptionContext": context}

    decoded = MODEL.decode_input("Encrypt", body)

    assert decoded == {"KeyId": KEY_ID, "Plaintext": b"secret", "EncryptionContext": context}
    assert decoded is not body
    assert decoded["EncryptionContext"] is not context


def test_unknown_members_and_nulls_are_dropped() -> None:
    body = {
        "KeyId": KEY_ID,
        "Plaintext": "AAAA",
        "Surprise": {"nested": [1, 2]},
        "EncryptionAlgorithm": None,
        "EncryptionContext": {"a": "b", "gone": None},
    }

    decoded = MODEL.decode_input("Encrypt", body)

    assert decoded == {"KeyId": KEY_ID, "Plaintext": b"\0\0\0", "EncryptionContext": {"a": "b"}}


def test_reencrypt_decodes_every_nested_member() -> None:
    body = {
        "CiphertextBlob": b64(b"\x01" * 40),
        "SourceEncryptionContext": {"a": "1"},
        "SourceKeyId": KEY_ID,
        "DestinationKeyId": "alias/dest",
        "DestinationEncryptionContext": {},
        "SourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "GrantTokens": ["token-1", "token-2"],
        "DryRun": True,
    }

    decoded = MODEL.decode_input("ReEncrypt", body)

    assert decoded == {**body, "CiphertextBlob": b"\x01" * 40}


def test_create_key_decodes_its_tag_list() -> None:
    tags = [{"TagKey": "project", "TagValue": "strongroom"}, {"TagKey": "empty", "TagValue": ""}]

    decoded = MODEL.decode_input("CreateKey", {"KeySpec": "SYMMETRIC_DEFAULT", "Tags": tags})

    assert decoded == {"KeySpec": "SYMMETRIC_DEFAULT", "Tags": tags}
    assert decoded["Tags"] is not tags and decoded["Tags"][0] is not tags[0]


def test_create_grant_decodes_nested_constraints() -> None:
    body = {
        "KeyId": KEY_ID,
        "GranteePrincipal": "arn:aws:iam::111122223333:role/app",
        "Operations": ["Encrypt", "Decrypt"],
        "Constraints": {"EncryptionContextEquals": {"tenant": "t-1"}},
    }

    assert MODEL.decode_input("CreateGrant", body) == body


def test_timestamps_stay_epoch_floats() -> None:
    body = {"KeyId": KEY_ID, "ImportToken": "AAAA", "EncryptedKeyMaterial": "AAAA"}

    with_float = MODEL.decode_input("ImportKeyMaterial", {**body, "ValidTo": 1593622000.191})
    with_int = MODEL.decode_input("ImportKeyMaterial", {**body, "ValidTo": 1593622000})

    assert with_float["ValidTo"] == 1593622000.191
    assert type(with_int["ValidTo"]) is float


def test_a_json_decimal_for_an_integer_is_truncated_like_coral() -> None:
    assert MODEL.decode_input("GenerateRandom", {"NumberOfBytes": 32.9}) == {"NumberOfBytes": 32}


# --------------------------------------------------------------------------- validation


def test_missing_required_members_are_null() -> None:
    assert validation_message("CreateAlias", {"AliasName": "alias/x"}) == one_error(
        "Value null at 'targetKeyId' failed to satisfy constraint: Member must not be null"
    )


@pytest.mark.parametrize(
    ("size", "constraint"),
    [
        (0, "Member must have length greater than or equal to 1"),
        (4097, "Member must have length less than or equal to 4096"),
    ],
)
def test_encrypt_plaintext_length_is_checked_on_the_decoded_bytes(
    size: int, constraint: str
) -> None:
    body = {"KeyId": KEY_ID, "Plaintext": b64(b"\xaa" * size)}

    assert validation_message("Encrypt", body) == one_error(
        f"Value at 'plaintext' failed to satisfy constraint: {constraint}"
    )


def test_encrypt_accepts_the_plaintext_length_limits() -> None:
    for size in (1, 4096):
        body = {"KeyId": KEY_ID, "Plaintext": b64(b"\xaa" * size)}
        assert len(MODEL.decode_input("Encrypt", body)["Plaintext"]) == size


@pytest.mark.parametrize(
    ("number", "constraint"),
    [
        (0, "Member must have value greater than or equal to 1"),
        (1025, "Member must have value less than or equal to 1024"),
    ],
)
def test_generate_random_number_of_bytes_range(number: int, constraint: str) -> None:
    assert validation_message("GenerateRandom", {"NumberOfBytes": number}) == one_error(
        f"Value '{number}' at 'numberOfBytes' failed to satisfy constraint: {constraint}"
    )


def test_create_key_enums_list_the_model_values_in_model_order() -> None:
    key_specs = ", ".join(BOTOCORE_MODEL["shapes"]["KeySpec"]["enum"])

    assert validation_message("CreateKey", {"KeySpec": "FOO"}) == one_error(
        "Value 'FOO' at 'keySpec' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{key_specs}]"
    )
    assert validation_message("CreateKey", {"KeyUsage": "BAR"}) == one_error(
        "Value 'BAR' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value "
        "set: [SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT, "
        "ENCAPSULATE_DECAPSULATE]"
    )


def test_create_alias_pattern_is_matched_against_the_whole_name() -> None:
    assert validation_message(
        "CreateAlias", {"AliasName": "alias/my-alias!", "TargetKeyId": "k"}
    ) == (
        one_error(
            "Value 'alias/my-alias!' at 'aliasName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
        )
    )
    MODEL.decode_input("CreateAlias", {"AliasName": "alias/my_alias-/", "TargetKeyId": "k"})


def test_length_is_reported_before_the_pattern() -> None:
    body = {"KeyId": KEY_ID, "PolicyName": ""}

    assert validation_message("GetKeyPolicy", body) == (
        "2 validation errors detected: "
        "Value '' at 'policyName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value '' at 'policyName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w]+"
    )


def test_tag_list_errors_name_the_one_based_member_path() -> None:
    body = {"KeyId": KEY_ID, "Tags": [{"TagKey": "ok", "TagValue": "v"}, {"TagKey": ""}]}

    assert validation_message("TagResource", body) == (
        "2 validation errors detected: "
        "Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value null at 'tags.2.member.tagValue' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_list_length_echoes_a_list_of_strings_like_java() -> None:
    body = {"KeyId": KEY_ID, "Plaintext": "AAAA", "GrantTokens": [f"t{i}" for i in range(11)]}

    assert validation_message("Encrypt", body) == one_error(
        "Value '[t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10]' at 'grantTokens' failed to "
        "satisfy constraint: Member must have length less than or equal to 10"
    )


def test_errors_follow_model_order_whatever_the_body_order() -> None:
    body = {"Plaintext": "", "KeyId": ""}

    assert validation_message("Encrypt", body) == (
        "2 validation errors detected: "
        "Value '' at 'keyId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_at_most_ten_errors_are_reported() -> None:
    tags = [{"TagKey": "", "TagValue": "v"} for _ in range(12)]

    message = validation_message("CreateKey", {"Tags": tags})

    assert message.startswith("10 validation errors detected: ")
    assert message.count("failed to satisfy constraint") == 10
    assert "tags.10.member.tagKey" in message and "tags.11.member" not in message


def test_a_null_list_element_is_reported_at_its_index() -> None:
    body = {"KeyId": KEY_ID, "Plaintext": "AAAA", "GrantTokens": ["t", None]}

    assert validation_message("Encrypt", body) == one_error(
        "Value null at 'grantTokens.2.member' failed to satisfy constraint: Member must not be null"
    )


def test_nested_structure_paths_are_dotted() -> None:
    body = {"KeyId": KEY_ID, "Operations": ["Encrypt"], "Constraints": {"SourceArn": "short"}}

    assert validation_message("CreateGrant", body).startswith(
        "2 validation errors detected: Value 'short' at 'constraints.sourceArn' failed to "
        "satisfy constraint: Member must have length greater than or equal to 20; "
    )


# --------------------------------------------------------------------------- secrets


def test_sensitive_and_blob_values_are_never_echoed() -> None:
    assert validation_message("Encrypt", {"KeyId": KEY_ID}) == one_error(
        "Value at 'plaintext' failed to satisfy constraint: Member must not be null"
    )
    assert validation_message("Decrypt", {"CiphertextBlob": b64(b"\x01" * 6145)}) == one_error(
        "Value at 'ciphertextBlob' failed to satisfy constraint: "
        "Member must have length less than or equal to 6144"
    )
    message = validation_message(
        "CreateCustomKeyStore", {"CustomKeyStoreName": "store", "KeyStorePassword": "hunter2!x" * 4}
    )
    assert message == one_error(
        "Value at 'keyStorePassword' failed to satisfy constraint: "
        "Member must have length less than or equal to 32"
    )


def test_a_non_sensitive_blob_that_is_missing_says_null() -> None:
    body = {"KeyId": KEY_ID, "Message": "AAAA", "SigningAlgorithm": "ECDSA_SHA_256"}

    assert validation_message("Verify", body) == one_error(
        "Value null at 'signature' failed to satisfy constraint: Member must not be null"
    )


def test_sensitive_members_inside_structures_are_not_echoed() -> None:
    body = {
        "CustomKeyStoreName": "store",
        "XksProxyAuthenticationCredential": {
            "AccessKeyId": "lowercase-secret-id!",
            "RawSecretAccessKey": "too-short",
        },
    }

    message = validation_message("CreateCustomKeyStore", body)

    assert "lowercase-secret-id!" not in message and "too-short" not in message
    assert "Value at 'xksProxyAuthenticationCredential.accessKeyId'" in message


@settings(max_examples=50)
@given(st.binary(min_size=1, max_size=64))
def test_an_oversized_plaintext_never_appears_in_the_error(seed: bytes) -> None:
    plaintext = seed * (4097 // len(seed) + 1)
    text = b64(plaintext)

    message = validation_message("Encrypt", {"KeyId": KEY_ID, "Plaintext": text})

    assert message == one_error(
        "Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096"
    )


# --------------------------------------------------------------------------- JSON types


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"NumberOfBytes": "1"}, "STRING_VALUE can not be converted to an Integer"),
        ({"NumberOfBytes": True}, "TRUE_VALUE can not be converted to an Integer"),
        ({"NumberOfBytes": [1]}, "Start of list found where not expected"),
        ({"NumberOfBytes": {"a": 1}}, "Start of structure or map found where not expected."),
        ({"CustomKeyStoreId": 1}, "NUMBER_VALUE can not be converted to a String"),
        ({"CustomKeyStoreId": False}, "FALSE_VALUE can not be converted to a String"),
        ({"CustomKeyStoreId": 1.5}, "DECIMAL_VALUE can not be converted to a String"),
        ({"Recipient": "x"}, "Expected null"),
        ({"Recipient": []}, "Start of list found where not expected"),
        (
            {"Recipient": {"AttestationDocument": 7}},
            "only base-64-encoded strings are convertible to bytes",
        ),
    ],
)
def test_wrong_json_types_are_serialization_errors(body: dict[str, Any], message: str) -> None:
    assert serialization_message("GenerateRandom", body) == message


@pytest.mark.parametrize(
    ("member", "value", "message"),
    [
        ("EncryptionContext", "x", "Expected map or null"),
        ("EncryptionContext", [], "Start of list found where not expected"),
        ("EncryptionContext", {"a": 1}, "NUMBER_VALUE can not be converted to a String"),
        ("EncryptionContext", {"a": {}}, "Start of structure or map found where not expected."),
        ("GrantTokens", "x", "Expected list or null"),
        ("GrantTokens", {}, "Start of structure or map found where not expected."),
        ("GrantTokens", [1], "NUMBER_VALUE can not be converted to a String"),
        ("DryRun", "true", "STRING_VALUE can not be converted to an Boolean"),
        ("DryRun", 1, "NUMBER_VALUE can not be converted to an Boolean"),
        ("Plaintext", 12, "only base-64-encoded strings are convertible to bytes"),
        ("Plaintext", ["AAAA"], "Start of list found where not expected"),
    ],
)
def test_encrypt_member_types(member: str, value: object, message: str) -> None:
    body = {"KeyId": KEY_ID, "Plaintext": "AAAA", member: value}

    assert serialization_message("Encrypt", body) == message


def test_a_type_error_wins_over_validation_errors() -> None:
    assert serialization_message("Encrypt", {"KeyId": "", "DryRun": "yes"}) == (
        "STRING_VALUE can not be converted to an Boolean"
    )


def test_of_two_type_errors_the_first_in_model_order_is_reported_whatever_the_body_order() -> None:
    # Encrypt's members: KeyId, Plaintext, EncryptionContext, GrantTokens, ...
    body = {"GrantTokens": "x", "KeyId": KEY_ID, "EncryptionContext": "x", "Plaintext": "AAAA"}

    assert serialization_message("Encrypt", body) == "Expected map or null"


def test_a_missing_required_member_is_reported_with_the_other_errors_in_model_order() -> None:
    assert validation_message("Encrypt", {"GrantTokens": ["t"] * 11}) == (
        "3 validation errors detected: "
        "Value null at 'keyId' failed to satisfy constraint: Member must not be null; "
        "Value at 'plaintext' failed to satisfy constraint: Member must not be null; "
        "Value '[t, t, t, t, t, t, t, t, t, t, t]' at 'grantTokens' failed to satisfy "
        "constraint: Member must have length less than or equal to 10"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [([], "Start of list found where not expected"), (None, ""), ("x", ""), (3, "")],
)
def test_a_body_that_is_not_an_object_is_a_serialization_error(body: object, message: str) -> None:
    assert serialization_message("ListKeys", body) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("QQ", "Base64 encoded length is expected a multiple of 4 bytes but found: 2"),
        ("QQ=", "Base64 encoded length is expected a multiple of 4 bytes but found: 3"),
        ("QUFBQ", "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
        ("Q Q=", "Invalid Base64 character"),
        ("QQ-_", "Invalid Base64 character"),
        ("QQ==QQ==", "Invalid Base64 character"),
        ("QUFB\n", "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
        ("====", "Invalid Base64 character"),
        ("ééé=", "Invalid Base64 character"),
        ("QR==", "Invalid last non-pad Base64 character dectected"),
        ("QUF=", "Invalid last non-pad Base64 character dectected"),
    ],
)
def test_invalid_base64_is_a_serialization_error(text: str, message: str) -> None:
    assert serialization_message("Encrypt", {"KeyId": KEY_ID, "Plaintext": text}) == message


def _decoded_or_message(text: str) -> bytes | str:
    try:
        return MODEL.decode_input("Encrypt", {"KeyId": KEY_ID, "Plaintext": text})["Plaintext"]
    except SerializationException as e:
        return e.message


def _binascii_answer(text: str) -> bytes | str:
    """What the decoder answered before pybase64: binascii's strict mode, then the padding bits."""
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
    except ValueError:
        return "refused"
    if text.endswith("="):
        try:
            _check_padding(text)
        except SerializationException as e:
            return e.message
    return data


_B64_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@settings(deadline=None, max_examples=300)
@given(
    st.binary(min_size=90, max_size=600),
    st.lists(
        st.tuples(st.integers(0, 10_000), st.sampled_from([*_B64_CHARS[:4], "=", "==", " ", "\n"])),
        max_size=3,
    ),
    st.booleans(),
)
def test_long_base64_decodes_exactly_as_binascii_strict_mode(
    data: bytes, edits: list[tuple[int, str]], replace: bool
) -> None:
    """Long text goes through pybase64 first: the answer must still be binascii's."""
    text = b64(data)
    for at, piece in edits:
        at %= len(text) + 1
        text = text[:at] + piece + text[at + (1 if replace else 0) :]
    expected = _binascii_answer(text)
    got = _decoded_or_message(text)
    if expected == "refused":
        assert isinstance(got, str)
    else:
        assert got == expected


def test_long_base64_with_padding_after_a_whole_quantum_is_answered_as_binascii_does() -> None:
    # binascii's strict mode accepts "=" after a whole quantum and pybase64 refuses it.
    whole = b64(bytes(range(150)))
    assert len(whole) % 4 == 0
    for text in (whole + "=", whole + "=="):
        assert _decoded_or_message(text) == _binascii_answer(text) != "refused"


def test_canonical_padded_base64_is_accepted() -> None:
    for data in (b"A", b"AB", b"ABC", bytes(range(256))):
        body = {"KeyId": KEY_ID, "Plaintext": b64(data)}
        assert MODEL.decode_input("Encrypt", body)["Plaintext"] == data


# --------------------------------------------------------------------------- properties


def _valid_values(shape_name: str) -> st.SearchStrategy[Any]:
    """Values of a shape that satisfy the model (patterns are not supported here)."""
    shape = BOTOCORE_MODEL["shapes"][shape_name]
    kind = shape["type"]
    if kind == "string":
        assert "pattern" not in shape
        if "enum" in shape:
            return st.sampled_from(shape["enum"])
        return st.text(min_size=shape.get("min", 0), max_size=min(shape.get("max", 64), 64))
    if kind == "blob":
        return st.binary(min_size=shape.get("min", 0), max_size=min(shape.get("max", 64), 4096))
    if kind == "boolean":
        return st.booleans()
    if kind == "list":
        member = _valid_values(shape["member"]["shape"])
        return st.lists(member, min_size=shape.get("min", 0), max_size=min(shape.get("max", 5), 5))
    if kind == "map":
        keys = _valid_values(shape["key"]["shape"])
        return st.dictionaries(keys, _valid_values(shape["value"]["shape"]), max_size=5)
    if kind == "structure":
        required = set(shape.get("required", ()))
        members = {
            name: _valid_values(ref["shape"])
            for name, ref in shape["members"].items()
            if name in required
        }
        optional = {
            name: _valid_values(ref["shape"])
            for name, ref in shape["members"].items()
            if name not in required
        }
        return st.fixed_dictionaries(members, optional=optional)
    raise AssertionError(f"no strategy for {kind}")


def _to_json(value: Any) -> Any:
    if isinstance(value, bytes):
        return b64(value)
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    return value


@settings(max_examples=300)
@given(_valid_values("EncryptRequest"))
def test_any_valid_encrypt_request_round_trips(request: dict[str, Any]) -> None:
    body = orjson.loads(orjson.dumps(_to_json(request)))

    decoded = MODEL.decode_input("Encrypt", body)

    assert decoded == request
    assert decoded["Plaintext"] == request["Plaintext"]


@settings(max_examples=100)
@given(_valid_values("DecryptRequest").filter(lambda r: "Recipient" not in r))
def test_any_valid_decrypt_request_round_trips(request: dict[str, Any]) -> None:
    body = orjson.loads(orjson.dumps(_to_json(request)))

    assert MODEL.decode_input("Decrypt", body) == request


# --------------------------------------------------------------------------- patterns


def test_java_patterns_match_the_whole_value() -> None:
    account = compile_java_pattern("[0-9]{12}")
    anchored = compile_java_pattern("^[a-z]+$")

    assert account("111122223333") is not None
    assert account("x111122223333") is None
    assert anchored("abc") is not None
    assert anchored("abc\n") is None


def test_java_pattern_classes_keep_java_meaning() -> None:
    assert compile_java_pattern("[\\w]+")("é") is None
    assert compile_java_pattern("\\d+")("٣") is None
    assert compile_java_pattern("^\\p{ASCII}+$")("key") is not None
    assert compile_java_pattern("^\\p{ASCII}+$")("キー") is None
    assert compile_java_pattern("[\\p{Alpha}_]+")("a_b") is not None
    assert compile_java_pattern("\\P{Digit}")("a") is not None
    assert compile_java_pattern("a.c")("a\rc") is None
    assert compile_java_pattern("a.c")("a\u2028c") is None
    assert compile_java_pattern("a.c")("abc") is not None
    assert compile_java_pattern("\\Q.*\\E")(".*") is not None
    assert compile_java_pattern("\\Q.*\\E")("ab") is None
    assert compile_java_pattern("(?<word>[a-z]+)")("abc") is not None
    assert compile_java_pattern("[\\u0020-\\u00FF]*")("\u0100") is None


@pytest.mark.parametrize(
    "pattern", ["\\p{L}+", "[a-z&&[^e]]", "[a[b]]", "\\v", "\\x{41}", "[]a]", "[a-z", "a\\"]
)
def test_java_patterns_python_cannot_honour_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError):
        compile_java_pattern(pattern)


def test_every_model_pattern_compiles() -> None:
    for shape in BOTOCORE_MODEL["shapes"].values():
        if "pattern" in shape:
            compile_java_pattern(shape["pattern"])


# --------------------------------------------------------------------------- other models


def _synthetic(shapes: dict[str, Any]) -> ServiceModel:
    return ServiceModel.from_dict(
        {"operations": {"Op": {"name": "Op", "input": {"shape": "Req"}}}, "shapes": shapes}
    )


def test_map_key_and_value_constraints_are_reported_once_per_map() -> None:
    model = _synthetic(
        {
            "Req": {"type": "structure", "members": {"Filter": {"shape": "Filter"}}},
            "Filter": {
                "type": "map",
                "key": {"shape": "Key"},
                "value": {"shape": "Val"},
                "max": 2,
            },
            "Key": {"type": "string", "enum": ["A", "B"]},
            "Val": {"type": "string", "min": 1},
        }
    )

    with pytest.raises(ValidationException) as e:
        model.decode_input("Op", {"Filter": {"x": "", "y": "", "A": "ok"}})

    assert e.value.message == (
        "3 validation errors detected: "
        "Value at 'filter' failed to satisfy constraint: "
        "Member must have length less than or equal to 2; "
        "Value at 'filter' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must satisfy enum value set: [A, B]]; "
        "Value at 'filter' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must have length greater than or equal to 1]"
    )
    assert model.decode_input("Op", {"Filter": {"A": "x", "B": None}}) == {"Filter": {"A": "x"}}


def test_recursive_shapes_compile_and_decode() -> None:
    model = _synthetic(
        {
            "Req": {"type": "structure", "members": {"Node": {"shape": "Node"}}},
            "Node": {
                "type": "structure",
                "required": ["Name"],
                "members": {"Name": {"shape": "Name"}, "Child": {"shape": "Node"}},
            },
            "Name": {"type": "string", "min": 1},
        }
    )

    body = {"Node": {"Name": "a", "Child": {"Name": "b", "Child": {"Name": ""}}}}
    with pytest.raises(ValidationException) as e:
        model.decode_input("Op", body)

    assert e.value.message == one_error(
        "Value '' at 'node.child.child.name' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_a_sensitive_structure_hides_its_members() -> None:
    model = _synthetic(
        {
            "Req": {"type": "structure", "members": {"Secret": {"shape": "Secret"}}},
            "Secret": {
                "type": "structure",
                "sensitive": True,
                "required": ["Value"],
                "members": {"Value": {"shape": "Name"}, "Other": {"shape": "Name"}},
            },
            "Name": {"type": "string", "max": 3},
        }
    )

    with pytest.raises(ValidationException) as e:
        model.decode_input("Op", {"Secret": {"Other": "toolong"}})

    assert "toolong" not in e.value.message
    assert "Value at 'secret.value' failed to satisfy constraint: Member must not be null" in (
        e.value.message
    )


def test_an_unsupported_shape_type_fails_at_construction() -> None:
    with pytest.raises(ValueError):
        _synthetic(
            {
                "Req": {"type": "structure", "members": {"Doc": {"shape": "Doc"}}},
                "Doc": {"type": "document"},
            }
        )
