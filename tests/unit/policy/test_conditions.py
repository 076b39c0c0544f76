"""Condition operators: truth tables, absent keys, IfExists, Null and the set qualifiers."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.policy.conditions import (
    Condition,
    arn_like,
    condition_holds,
    normalize_context,
    parse_conditions,
    wildcard_match,
)

PROPERTY = settings(deadline=None, max_examples=200)


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def holds(
    operator: str,
    policy_values: str | Sequence[str],
    request_values: Sequence[str] | None,
    *,
    key: str = "k:key",
) -> bool:
    """Parse ``{operator: {key: policy_values}}`` and evaluate it against one request key."""
    (condition,) = parse_conditions(
        {
            operator: {
                key: list(policy_values) if not isinstance(policy_values, str) else policy_values
            }
        },
        is_text=_is_text,
    )
    context = {} if request_values is None else {key.lower(): tuple(request_values)}
    return condition_holds(condition, context)


# -- wildcard and ARN matching -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("", "", True),
        ("", "a", False),
        ("*", "", True),
        ("*", "anything at all", True),
        ("**", "x", True),
        ("a*", "a", True),
        ("a*", "abc", True),
        ("a*", "ba", False),
        ("*c", "abc", True),
        ("*c", "abd", False),
        ("a*c", "abbbc", True),
        ("a*c", "ac", True),
        ("a*c*e", "abcdcxe", True),
        ("a*b*c", "aXbYb", False),
        ("?", "x", True),
        ("?", "", False),
        ("?", "xy", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("*?", "", False),
        ("*?", "z", True),
        ("abc", "abc", True),
        ("abc", "abd", False),
        ("abc", "ab", False),
        ("ab", "abc", False),
        ("ABC", "abc", False),  # case-sensitive
        ("a*", "a\nb", True),  # '*' crosses newlines
        ("*a*a*a*a*a*a*a*a*b", "a" * 200, False),  # no exponential backtracking
    ],
)
def test_wildcard_match(pattern: str, value: str, expected: bool) -> None:
    assert wildcard_match(pattern, value) is expected


def test_literal_star_in_value_is_matched_only_by_a_wildcard() -> None:
    assert wildcard_match("a*", "a*")
    assert wildcard_match("*", "*")
    assert not wildcard_match("a", "*")


@PROPERTY
@given(st.text(alphabet="ab*?", max_size=8), st.text(alphabet="ab", max_size=10))
def test_wildcard_match_agrees_with_fnmatch_semantics(pattern: str, value: str) -> None:
    import re

    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    assert wildcard_match(pattern, value) is (re.fullmatch(regex, value, re.DOTALL) is not None)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:us-east-1:111122223333:key/abc", True),
        ("arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:us-east-1:444455556666:key/abc", False),
        ("arn:aws:kms:us-?ast-1:*:*", "arn:aws:kms:us-east-1:1:key/x", True),
        # From the IAM guide: StringLike would match, ArnLike must not (a '*' never spans a colon).
        (
            "arn:aws:someservice:*:111122223333:finance/*",
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
            False,
        ),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a:b:c", True),  # the resource keeps colons
        ("arn:aws:kms", "arn:aws:kms", False),  # fewer than six parts
        ("*", "arn:aws:kms:r:1:key/x", False),  # a bare '*' is not an ARN pattern
        ("arn:aws:kms:r:1:key/x", "not-an-arn", False),
        ("arn:aws:kms:r:1:key/X", "arn:aws:kms:r:1:key/x", False),  # case-sensitive
    ],
)
def test_arn_like(pattern: str, value: str, expected: bool) -> None:
    assert arn_like(pattern, value) is expected


# -- truth tables (key present, single value) --------------------------------------------------

TRUTH_TABLE: list[tuple[str, str | list[str], str, bool]] = [
    # operator, policy value(s), request value, holds
    ("StringEquals", "ExampleApp", "ExampleApp", True),
    ("StringEquals", "ExampleApp", "exampleapp", False),
    ("StringEquals", ["a", "b"], "b", True),
    ("StringEquals", "a*", "abc", False),  # no wildcards
    ("StringNotEquals", "ExampleApp", "ExampleApp", False),
    ("StringNotEquals", "ExampleApp", "Other", True),
    ("StringNotEquals", ["a", "b"], "b", False),  # NOT of any
    ("StringNotEquals", ["a", "b"], "c", True),
    ("StringEqualsIgnoreCase", "ExampleApp", "EXAMPLEAPP", True),
    ("StringEqualsIgnoreCase", "ExampleApp", "Example", False),
    ("StringNotEqualsIgnoreCase", "ExampleApp", "exampleAPP", False),
    ("StringNotEqualsIgnoreCase", "ExampleApp", "other", True),
    ("StringLike", "RSA*", "RSA_2048", True),
    ("StringLike", "RSA*", "ECC_NIST_P256", False),
    ("StringLike", "RSA_????", "RSA_2048", True),
    ("StringLike", "rsa*", "RSA_2048", False),  # case-sensitive
    ("StringNotLike", "RSA*", "RSA_2048", False),
    ("StringNotLike", "RSA*", "ECC_NIST_P256", True),
    ("NumericEquals", "10", "10", True),
    ("NumericEquals", "10", "10.0", True),
    ("NumericEquals", "10", "11", False),
    ("NumericEquals", "10", "ten", False),  # a request value that is not a number never matches
    ("NumericNotEquals", "10", "10", False),
    ("NumericNotEquals", "10", "7", True),
    ("NumericNotEquals", "10", "ten", True),
    ("NumericLessThan", "30", "7", True),
    ("NumericLessThan", "30", "30", False),
    ("NumericLessThanEquals", "30", "30", True),
    ("NumericLessThanEquals", "30", "31", False),
    ("NumericGreaterThan", "7", "8", True),
    ("NumericGreaterThan", "7", "7", False),
    ("NumericGreaterThanEquals", "7", "7", True),
    ("NumericGreaterThanEquals", "7", "-7", False),
    ("NumericLessThan", "-1.5", "-2", True),
    ("NumericLessThan", ".5", "0.25", True),
    ("DateEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00+00:00", True),
    ("DateEquals", "2020-01-01T00:00:00Z", "1577836800", True),  # epoch seconds
    ("DateEquals", "1577836800", "2020-01-01T01:00:00+01:00", True),
    ("DateEquals", "2020-01-01", "2020-01-01T00:00:00Z", True),  # naive is UTC
    ("DateEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:01Z", False),
    ("DateEquals", "2020-01-01T00:00:00Z", "yesterday", False),
    ("DateNotEquals", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", True),
    ("DateNotEquals", "2020-01-01T00:00:00Z", "1577836800.0", False),
    ("DateLessThan", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", True),
    ("DateLessThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", False),
    ("DateLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("DateLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:01Z", False),
    ("DateGreaterThan", "2020-01-01T00:00:01Z", "2021-06-01T12:00:00.5Z", True),
    ("DateGreaterThan", "2020-01-01T00:00:01Z", "2020-01-01T00:00:01Z", False),
    ("DateGreaterThanEquals", "2020-01-01T00:00:01Z", "2020-01-01T00:00:01Z", True),
    ("DateGreaterThanEquals", "2020-01-01T00:00:01Z", "1", False),
    ("DateGreaterThan", "2020-01-01T00:00:00Z", "9" * 30, False),  # an epoch too large to be a date
    ("Bool", "true", "true", True),
    ("Bool", "true", "TRUE", True),
    ("Bool", "true", "false", False),
    ("Bool", "false", "false", True),
    ("Bool", "true", "yes", False),
    ("BinaryEquals", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", True),
    ("BinaryEquals", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "T3RoZXI=", False),
    ("BinaryEquals", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "not base64!", False),
    ("IpAddress", "203.0.113.0/24", "203.0.113.7", True),
    ("IpAddress", "203.0.113.0/24", "203.0.114.7", False),
    ("IpAddress", "203.0.113.7", "203.0.113.7", True),  # a bare address is a /32
    ("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", True),
    ("IpAddress", "2001:DB8:1234:5678::/64", "203.0.113.7", False),  # other IP version
    ("IpAddress", "203.0.113.0/24", "not-an-ip", False),
    ("NotIpAddress", "203.0.113.0/24", "203.0.113.7", False),
    ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", True),
    (
        "ArnEquals",
        "arn:aws:sns:us-east-1:123456789012:*",
        "arn:aws:sns:us-east-1:123456789012:t",
        True,
    ),
    ("ArnLike", "arn:aws:sns:*:123456789012:t", "arn:aws:sns:eu-west-1:123456789012:t", True),
    ("ArnLike", "arn:aws:sns:*:123456789012:t", "arn:aws:sns:eu-west-1:999999999999:t", False),
    ("ArnNotEquals", "arn:aws:iam::444455556666:user/u", "arn:aws:iam::444455556666:user/u", False),
    ("ArnNotLike", "arn:aws:iam::*:root", "arn:aws:iam::444455556666:user/u", True),
]


@pytest.mark.parametrize(("operator", "policy", "request_value", "expected"), TRUTH_TABLE)
def test_truth_table(
    operator: str, policy: str | list[str], request_value: str, expected: bool
) -> None:
    assert holds(operator, policy, [request_value]) is expected


@pytest.mark.parametrize(("operator", "policy", "request_value", "expected"), TRUTH_TABLE)
def test_if_exists_behaves_like_the_operator_when_the_key_is_present(
    operator: str, policy: str | list[str], request_value: str, expected: bool
) -> None:
    assert holds(operator + "IfExists", policy, [request_value]) is expected


POSITIVE = [
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "NumericEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "ArnEquals",
    "ArnLike",
]
NEGATED = [
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
    "ArnNotEquals",
    "ArnNotLike",
]
SAMPLE_VALUE = {
    "Numeric": "1",
    "Date": "2020-01-01T00:00:00Z",
    "Bool": "true",
    "Binary": "AA==",
    "IpAddress": "10.0.0.0/8",
    "NotIpAddress": "10.0.0.0/8",
    "Arn": "arn:aws:iam::111122223333:root",
}


def sample_value(operator: str) -> str:
    for prefix, value in SAMPLE_VALUE.items():
        if operator.startswith(prefix):
            return value
    return "value"


# -- absent keys -------------------------------------------------------------------------------


@pytest.mark.parametrize("operator", POSITIVE)
def test_absent_key_positive_operator_is_false(operator: str) -> None:
    assert holds(operator, sample_value(operator), None) is False
    assert holds(operator, sample_value(operator), []) is False  # empty counts as absent


@pytest.mark.parametrize("operator", NEGATED)
def test_absent_key_negated_operator_is_true(operator: str) -> None:
    # IAM guide: "If the policy condition requires that the key is not matched ... and the
    # right key is not present, the condition is true".
    assert holds(operator, sample_value(operator), None) is True


@pytest.mark.parametrize("operator", POSITIVE + NEGATED)
def test_absent_key_if_exists_is_true(operator: str) -> None:
    assert holds(operator + "IfExists", sample_value(operator), None) is True
    assert holds(f"ForAnyValue:{operator}IfExists", sample_value(operator), None) is True


@pytest.mark.parametrize("operator", POSITIVE + NEGATED)
def test_absent_key_for_all_values_is_true_and_for_any_value_is_false(operator: str) -> None:
    assert holds(f"ForAllValues:{operator}", sample_value(operator), None) is True
    assert holds(f"ForAllValues:{operator}", sample_value(operator), []) is True
    assert holds(f"ForAnyValue:{operator}", sample_value(operator), None) is False
    assert holds(f"ForAnyValue:{operator}", sample_value(operator), []) is False


# -- multi-valued keys ------------------------------------------------------------------------

KEYS = "kms:EncryptionContextKeys"


@pytest.mark.parametrize(
    ("operator", "policy", "request_values", "expected"),
    [
        ("ForAllValues:StringEquals", ["AppName"], ["AppName"], True),
        ("ForAllValues:StringEquals", ["AppName"], ["AppName", "Project"], False),
        ("ForAllValues:StringEquals", ["AppName", "Project"], ["Project", "AppName"], True),
        ("ForAnyValue:StringEquals", "AppName", ["AppName", "Project"], True),
        ("ForAnyValue:StringEquals", "AppName", ["Project"], False),
        ("ForAllValues:StringLike", "key1*", ["key1a", "key1b"], True),
        ("ForAllValues:StringLike", "key1*", ["key1a", "key2"], False),
        # IAM guide example: Deny with ForAllValues:StringNotLike on aws:TagKeys.
        ("ForAllValues:StringNotLike", "key1*", ["key2", "key3"], True),
        ("ForAllValues:StringNotLike", "key1*", ["key1", "key3"], False),
        ("ForAnyValue:StringNotLike", "key1*", ["key1", "key3"], True),
        ("ForAnyValue:StringNotLike", "key1*", ["key1", "key12"], False),
        # Without a qualifier: positive = any value matches, negated = no value matches.
        ("StringEquals", "AppName", ["Project", "AppName"], True),
        ("StringEquals", "AppName", ["Project", "Stage"], False),
        ("StringNotEquals", "AppName", ["Project", "AppName"], False),
        ("StringNotEquals", "AppName", ["Project", "Stage"], True),
    ],
)
def test_multi_valued_keys(
    operator: str, policy: str | list[str], request_values: list[str], expected: bool
) -> None:
    assert holds(operator, policy, request_values, key=KEYS) is expected


@PROPERTY
@given(
    st.sampled_from(POSITIVE + NEGATED),
    st.lists(st.sampled_from(["a", "b", "10.0.0.1", "1", "true", "AA=="]), max_size=4),
)
def test_set_qualifiers_are_all_and_any_of_the_single_value_results(
    operator: str, request_values: list[str]
) -> None:
    """On a present key, ForAllValues:op is all(op(v)) and ForAnyValue:op is any(op(v))."""
    if not request_values:
        return
    value = sample_value(operator)
    per_value = [holds(operator, value, [r]) for r in request_values]
    assert holds(f"ForAllValues:{operator}", value, request_values) is all(per_value)
    assert holds(f"ForAnyValue:{operator}", value, request_values) is any(per_value)


@PROPERTY
@given(st.sampled_from(list(zip(POSITIVE[:3], NEGATED[:3], strict=True))), st.text(max_size=6))
def test_negated_string_operator_is_the_negation_on_a_single_value(
    pair: tuple[str, str], request_value: str
) -> None:
    positive, negated = pair
    assert holds(negated, ["x", "y*"], [request_value]) is not holds(
        positive, ["x", "y*"], [request_value]
    )


# -- Null --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "request_values", "expected"),
    [
        ("true", None, True),
        ("true", [], True),
        ("true", ["AppName"], False),
        ("false", None, False),
        ("false", ["AppName"], True),
        ("False", ["AppName"], True),
        (["true", "false"], None, True),
        (["true", "false"], ["x"], True),
    ],
)
def test_null(policy: str | list[str], request_values: list[str] | None, expected: bool) -> None:
    assert holds("Null", policy, request_values, key=KEYS) is expected


def test_null_accepts_json_booleans() -> None:
    (condition,) = parse_conditions({"Null": {KEYS: False}}, is_text=_is_text)
    assert condition == Condition("Null", KEYS.lower(), ("false",))


# -- keys and the request context --------------------------------------------------------------


def test_condition_keys_compare_case_insensitively() -> None:
    (condition,) = parse_conditions(
        {"StringEquals": {"kms:EncryptionContext:AppName": "ExampleApp"}}, is_text=_is_text
    )
    assert condition.key == "kms:encryptioncontext:appname"
    context = normalize_context({"KMS:ENCRYPTIONCONTEXT:appname": ["ExampleApp"]})
    assert condition.holds(context)


def test_normalize_context_merges_keys_differing_in_case_and_wraps_bare_strings() -> None:
    assert normalize_context(
        {"kms:EncryptionContext:A": "1", "kms:encryptioncontext:a": ["2", "3"], "K": ()}
    ) == {"kms:encryptioncontext:a": ("1", "2", "3"), "k": ()}


# -- parsing -----------------------------------------------------------------------------------


def test_parse_keeps_document_order_and_splits_operator_names() -> None:
    conditions = parse_conditions(
        {
            "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", "b*"]},
            "Bool": {"aws:SecureTransport": True, "kms:MultiRegion": "false"},
            "NumericLessThan": {"kms:RotationPeriodInDays": 365},
        },
        is_text=lambda v: isinstance(v, str | int),
    )
    assert conditions == (
        Condition("StringLike", "aws:tagkeys", ("a*", "b*"), "ForAnyValue", True),
        Condition("Bool", "aws:securetransport", ("true",)),
        Condition("Bool", "kms:multiregion", ("false",)),
        Condition("NumericLessThan", "kms:rotationperiodindays", ("365",)),
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "The Condition element must be a JSON object."),
        ({"StringEquals": "x"}, "The StringEquals condition must be a JSON object."),
        ({"StringEqual": {"k": "v"}}, "unsupported condition operator: StringEqual"),
        ({"ForSomeValues:StringEquals": {"k": "v"}}, "unsupported condition operator"),
        ({"ForAnyValue:ForAllValues:StringEquals": {"k": "v"}}, "unsupported"),
        ({"IfExists": {"k": "v"}}, "unsupported condition operator: IfExists"),
        ({"NullIfExists": {"k": "true"}}, "unsupported condition operator: NullIfExists"),
        ({"ForAnyValue:Null": {"k": "true"}}, "unsupported condition operator"),
        ({"StringEquals": {"": "v"}}, "Condition keys must not be empty."),
        ({"StringEquals": {"k": []}}, "Condition values must not be empty."),
        ({"StringEquals": {"k": None}}, "must be strings, numbers or booleans"),
        ({"StringEquals": {"k": {"a": "b"}}}, "must be strings, numbers or booleans"),
        ({"StringEquals": {"k": [["v"]]}}, "must be strings, numbers or booleans"),
        ({"NumericEquals": {"k": "ten"}}, "The NumericEquals condition on k needs number values."),
        ({"NumericEquals": {"k": "1e3"}}, "needs number values"),
        ({"DateLessThan": {"k": "tomorrow"}}, "needs date values"),
        ({"DateLessThan": {"k": "99999999999999999999999"}}, "needs date values"),
        ({"Bool": {"k": "yes"}}, "The Bool condition on k needs boolean values."),
        ({"BinaryEquals": {"k": "not base64!"}}, "needs base64 values"),
        ({"IpAddress": {"k": "300.1.1.1/8"}}, "needs IP address or CIDR values"),
        ({"NotIpAddressIfExists": {"k": "x"}}, "needs IP address or CIDR values"),
        ({"Null": {"k": "maybe"}}, "The Null condition on k needs boolean values."),
    ],
)
def test_parse_errors(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_conditions(raw, is_text=_is_text)


@pytest.mark.parametrize(
    "key",
    [
        "kms:EncryptionContext:AppName",
        "KMS:encryptioncontext:Department",
        "aws:RequestTag/Project",
    ],
)
def test_for_all_values_on_single_valued_keys_is_overly_permissive(key: str) -> None:
    # KMS Developer Guide: "Attempts to create or update a policy with this format fail with an
    # OverlyPermissiveCondition exception" (the guide's earlier examples used this form).
    with pytest.raises(ValueError, match=r"^OverlyPermissiveCondition:"):
        parse_conditions({"ForAllValues:StringEquals": {key: "IT"}}, is_text=_is_text)


def test_for_any_value_on_encryption_context_key_is_accepted() -> None:
    # The guide warns against it but only ForAllValues is refused.
    conditions = parse_conditions(
        {"ForAnyValue:StringEquals": {"kms:EncryptionContext:Department": "IT"}}, is_text=_is_text
    )
    assert conditions[0].qualifier == "ForAnyValue"


def test_for_all_values_on_encryption_context_keys_is_accepted() -> None:
    conditions = parse_conditions(
        {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["AppName"]}},
        is_text=_is_text,
    )
    assert conditions[0].key == "kms:encryptioncontextkeys"


def test_every_documented_operator_is_known() -> None:
    # 26 operators in the IAM guide's tables, plus Null (tested above).
    base = POSITIVE + NEGATED
    assert len(set(base)) == 26
    block = {name: {"k": sample_value(name)} for name in base}
    assert [c.operator for c in parse_conditions(block, is_text=_is_text)] == base
