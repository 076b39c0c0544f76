"""The ``Condition`` element: operators, set qualifiers, ``...IfExists`` and ``Null``.

A condition block is ``{operator: {key: value | [values]}}``. Every
(operator, key) pair becomes one :class:`Condition`; a statement's conditions
are ANDed. Values listed for one key are ORed for the positive operators; a
negated operator (``StringNotEquals``, ``NotIpAddress``, ``ArnNotLike``...)
holds when *no* listed value matches.

Semantics follow the IAM User Guide ("IAM JSON policy elements: Condition
operators" and "Single-valued vs. multivalued context keys"):

* Key absent from the request: positive operators are false, negated
  operators are true, ``...IfExists`` is true, ``ForAllValues:`` is true and
  ``ForAnyValue:`` is false. An empty list of values counts as absent.
* ``ForAllValues:op``: every request value satisfies ``op``;
  ``ForAnyValue:op``: at least one does.
* Without a set qualifier, a key with several request values is treated as
  "any value matches" for positive operators and "no value matches" for
  negated ones. AWS leaves this case undocumented (it tells you to use a
  qualifier); ours is the reading that makes the negation exact.

Condition *key* names compare case-insensitively (``kms:EncryptionContext:<k>``
included, per the KMS Developer Guide): they are lower-cased here and in
:func:`normalize_context`. Values compare as each operator says.

Policy variables (``${aws:username}``) are **not** substituted: they are
compared literally. A policy relying on them never matches the intended
value, which fails closed for Allow statements and for Deny statements with
negated operators, but fails *open* for a Deny with a positive operator.

Parsing functions raise ``ValueError`` with an AWS-like message;
``strongroom.policy.document`` turns it into ``MalformedPolicy``.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

__all__ = [
    "Condition",
    "arn_like",
    "condition_holds",
    "normalize_context",
    "parse_conditions",
    "wildcard_match",
]

FOR_ALL_VALUES = "ForAllValues"
FOR_ANY_VALUE = "ForAnyValue"
_IF_EXISTS = "IfExists"


def wildcard_match(pattern: str, value: str) -> bool:
    """Whether ``value`` matches ``pattern``, where ``*`` is any run and ``?`` one character.

    Case-sensitive; lower-case both sides first for a case-insensitive match.
    The classic two-pointer algorithm: O(len(pattern) * len(value)) in the
    worst case, never exponential, so a hostile pattern such as ``*a*a*a*b``
    cannot stall the evaluator the way a backtracking regular expression can.
    """
    p = v = 0
    star = -1
    resume = 0
    while v < len(value):
        if p < len(pattern) and pattern[p] in ("?", value[v]) and pattern[p] != "*":
            p += 1
            v += 1
        elif p < len(pattern) and pattern[p] == "*":
            star = p
            resume = v
            p += 1
        elif star >= 0:
            # Let the last '*' swallow one more character and retry from there.
            p = star + 1
            resume += 1
            v = resume
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def arn_like(pattern: str, value: str) -> bool:
    """``ArnLike`` matching: each of the six colon-separated ARN parts is matched on its own.

    The sixth part (the resource) keeps any further colons. A wildcard never
    spans a colon in the first five parts. Either side with fewer than six
    parts does not match.
    """
    pattern_parts = pattern.split(":", 5)
    value_parts = value.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        return False
    return all(wildcard_match(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


# -- value parsers (None = not a valid value of the type) ---------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_EPOCH = re.compile(r"\d+(?:\.\d+)?")


def _number(text: str) -> Decimal | None:
    return Decimal(text) if _NUMBER.fullmatch(text) else None


def _date(text: str) -> datetime | None:
    """ISO 8601 (a naive time is UTC) or epoch seconds, as IAM's Date operators accept."""
    try:
        if _EPOCH.fullmatch(text):
            return datetime.fromtimestamp(float(text), tz=UTC)
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _bool(text: str) -> bool | None:
    lowered = text.lower()
    return {"true": True, "false": False}.get(lowered)


def _binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        return None


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    # A bare address means a /32 (or /128), as the IAM guide says.
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


# -- operators ---------------------------------------------------------------------------------


def _compare_numbers(test: Callable[[Decimal, Decimal], bool]) -> Callable[[str, str], bool]:
    def match(request_value: str, policy_value: str) -> bool:
        got, want = _number(request_value), _number(policy_value)
        return got is not None and want is not None and test(got, want)

    return match


def _compare_dates(test: Callable[[datetime, datetime], bool]) -> Callable[[str, str], bool]:
    def match(request_value: str, policy_value: str) -> bool:
        got, want = _date(request_value), _date(policy_value)
        return got is not None and want is not None and test(got, want)

    return match


def _bool_equals(request_value: str, policy_value: str) -> bool:
    got = _bool(request_value)
    return got is not None and got == _bool(policy_value)


def _binary_equals(request_value: str, policy_value: str) -> bool:
    got = _binary(request_value)
    return got is not None and got == _binary(policy_value)


def _in_network(request_value: str, policy_value: str) -> bool:
    address, network = _address(request_value), _network(policy_value)
    # ``in`` is simply False across IP versions.
    return address is not None and network is not None and address in network


def _string_like(request_value: str, policy_value: str) -> bool:
    return wildcard_match(policy_value, request_value)


def _ignore_case(request_value: str, policy_value: str) -> bool:
    return request_value.lower() == policy_value.lower()


def _equals(request_value: str, policy_value: str) -> bool:
    return request_value == policy_value


def _arn_like(request_value: str, policy_value: str) -> bool:
    return arn_like(policy_value, request_value)


def _any_string(_: str) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class _Operator:
    match: Callable[[str, str], bool]  # (request value, policy value) -> matches
    negated: bool
    # Whether a policy value is acceptable; invalid values are refused at parse time.
    valid: Callable[[str], bool]
    kind: str  # for error messages


def _valid_number(text: str) -> bool:
    return _number(text) is not None


def _valid_date(text: str) -> bool:
    return _date(text) is not None


def _valid_bool(text: str) -> bool:
    return _bool(text) is not None


def _valid_binary(text: str) -> bool:
    return _binary(text) is not None


def _valid_network(text: str) -> bool:
    return _network(text) is not None


def _string(match: Callable[[str, str], bool], *, negated: bool) -> _Operator:
    return _Operator(match, negated, _any_string, "string")


def _numeric(test: Callable[[Decimal, Decimal], bool], *, negated: bool = False) -> _Operator:
    return _Operator(_compare_numbers(test), negated, _valid_number, "number")


def _dated(test: Callable[[datetime, datetime], bool], *, negated: bool = False) -> _Operator:
    return _Operator(_compare_dates(test), negated, _valid_date, "date")


# The negated operators reuse the positive comparison: NumericNotEquals(x) == not NumericEquals(x).
_OPERATORS: dict[str, _Operator] = {
    "StringEquals": _string(_equals, negated=False),
    "StringNotEquals": _string(_equals, negated=True),
    "StringEqualsIgnoreCase": _string(_ignore_case, negated=False),
    "StringNotEqualsIgnoreCase": _string(_ignore_case, negated=True),
    "StringLike": _string(_string_like, negated=False),
    "StringNotLike": _string(_string_like, negated=True),
    "NumericEquals": _numeric(lambda a, b: a == b),
    "NumericNotEquals": _numeric(lambda a, b: a == b, negated=True),
    "NumericLessThan": _numeric(lambda a, b: a < b),
    "NumericLessThanEquals": _numeric(lambda a, b: a <= b),
    "NumericGreaterThan": _numeric(lambda a, b: a > b),
    "NumericGreaterThanEquals": _numeric(lambda a, b: a >= b),
    "DateEquals": _dated(lambda a, b: a == b),
    "DateNotEquals": _dated(lambda a, b: a == b, negated=True),
    "DateLessThan": _dated(lambda a, b: a < b),
    "DateLessThanEquals": _dated(lambda a, b: a <= b),
    "DateGreaterThan": _dated(lambda a, b: a > b),
    "DateGreaterThanEquals": _dated(lambda a, b: a >= b),
    "Bool": _Operator(_bool_equals, False, _valid_bool, "boolean"),
    "BinaryEquals": _Operator(_binary_equals, False, _valid_binary, "base64"),
    "IpAddress": _Operator(_in_network, False, _valid_network, "IP address or CIDR"),
    "NotIpAddress": _Operator(_in_network, True, _valid_network, "IP address or CIDR"),
    "ArnEquals": _string(_arn_like, negated=False),
    "ArnLike": _string(_arn_like, negated=False),
    "ArnNotEquals": _string(_arn_like, negated=True),
    "ArnNotLike": _string(_arn_like, negated=True),
}
_NULL = "Null"

# KMS refuses ForAllValues on these single-valued keys. The EncryptionContext text is the KMS
# Developer Guide's ("kms:EncryptionContext:context-key"); the RequestTag one fills in the
# guide's general "[encryption context or tag]" template, as no exact text is published.
_OVERLY_PERMISSIVE = {
    "kms:encryptioncontext:": (
        "OverlyPermissiveCondition:EncryptionContext: Using the ForAllValues set operator with "
        "a single-valued condition key matches requests without the specified encryption "
        "context or with an unspecified encryption context. To fix, remove ForAllValues."
    ),
    "aws:requesttag/": (
        "OverlyPermissiveCondition:RequestTag: Using the ForAllValues set operator with a "
        "single-valued condition key matches requests without the specified tag or with an "
        "unspecified tag. To fix, remove ForAllValues."
    ),
}


@dataclass(frozen=True, slots=True)
class Condition:
    """One (operator, key) pair of a ``Condition`` block, with its policy values.

    ``operator`` is the base name (``"StringLike"``, ``"Null"``...); ``qualifier``
    is ``"ForAllValues"``, ``"ForAnyValue"`` or ``None``; ``key`` is lower-case.
    """

    operator: str
    key: str
    values: tuple[str, ...]
    qualifier: str | None = None
    if_exists: bool = False

    def holds(self, context: Mapping[str, Sequence[str]]) -> bool:
        """See :func:`condition_holds`."""
        return condition_holds(self, context)


def condition_holds(condition: Condition, context: Mapping[str, Sequence[str]]) -> bool:
    """Whether ``condition`` is satisfied by ``context`` (lower-case key -> request values).

    ``context`` must already be normalised (see :func:`normalize_context`).
    """
    request_values = context.get(condition.key) or ()
    if condition.operator == _NULL:
        present = len(request_values) > 0
        # "true": the key must be absent; "false": it must be present. Several values OR.
        return any((_bool(v) is True) != present for v in condition.values)
    operator = _OPERATORS[condition.operator]
    if not request_values:
        if condition.if_exists or condition.qualifier == FOR_ALL_VALUES:
            return True
        if condition.qualifier == FOR_ANY_VALUE:
            return False
        return operator.negated

    def satisfied(request_value: str) -> bool:
        hit = any(operator.match(request_value, p) for p in condition.values)
        return hit != operator.negated

    if condition.qualifier == FOR_ALL_VALUES or (condition.qualifier is None and operator.negated):
        return all(satisfied(r) for r in request_values)
    return any(satisfied(r) for r in request_values)


def normalize_context(context: Mapping[str, Sequence[str] | str]) -> dict[str, tuple[str, ...]]:
    """Lower-case the keys of a request context and make every value a tuple.

    Keys that differ only in case are merged (their values concatenated). A
    bare string is one value, not a sequence of characters.
    """
    normalized: dict[str, tuple[str, ...]] = {}
    for key, values in context.items():
        as_tuple = (values,) if isinstance(values, str) else tuple(values)
        lowered = key.lower()
        normalized[lowered] = normalized.get(lowered, ()) + as_tuple
    return normalized


# -- parsing -----------------------------------------------------------------------------------


def _split_operator(name: str) -> tuple[str | None, str, bool]:
    """``"ForAnyValue:StringLikeIfExists"`` -> ``("ForAnyValue", "StringLike", True)``."""
    qualifier: str | None = None
    base = name
    prefix, sep, rest = name.partition(":")
    if sep:
        if prefix not in (FOR_ALL_VALUES, FOR_ANY_VALUE):
            raise ValueError(f"Policy contains an unsupported condition operator: {name}")
        qualifier, base = prefix, rest
    if_exists = base.endswith(_IF_EXISTS) and base != _IF_EXISTS
    if if_exists:
        base = base[: -len(_IF_EXISTS)]
    known = base in _OPERATORS or (base == _NULL and qualifier is None and not if_exists)
    if not known:
        raise ValueError(f"Policy contains an unsupported condition operator: {name}")
    return qualifier, base, if_exists


def _values(raw: object, *, is_text: Callable[[object], bool]) -> tuple[str, ...]:
    items: Iterable[object] = raw if isinstance(raw, list) else (raw,)
    values: list[str] = []
    for item in items:
        if isinstance(item, bool):
            values.append("true" if item else "false")
        elif is_text(item):
            values.append(str(item))
        else:
            raise ValueError("Condition values must be strings, numbers or booleans.")
    if not values:
        raise ValueError("Condition values must not be empty.")
    return tuple(values)


def parse_conditions(raw: object, *, is_text: Callable[[object], bool]) -> tuple[Condition, ...]:
    """Parse a statement's ``Condition`` element into conditions, in document order.

    ``is_text`` says which JSON scalars count as text (the document parser
    passes numbers through as their source text). Raises ``ValueError`` for
    unknown operators, invalid values for the operator's type, empty value
    lists, and ``ForAllValues`` on ``kms:EncryptionContext:<k>`` or
    ``aws:RequestTag/<k>`` (KMS's "OverlyPermissiveCondition").
    """
    if not isinstance(raw, dict):
        raise ValueError("The Condition element must be a JSON object.")
    conditions: list[Condition] = []
    for operator_name, block in raw.items():
        qualifier, base, if_exists = _split_operator(operator_name)
        if not isinstance(block, dict):
            raise ValueError(f"The {operator_name} condition must be a JSON object.")
        for key, raw_values in block.items():
            lowered = key.lower()
            if not lowered:
                raise ValueError("Condition keys must not be empty.")
            if qualifier == FOR_ALL_VALUES:
                for prefix, message in _OVERLY_PERMISSIVE.items():
                    if lowered.startswith(prefix):
                        raise ValueError(message)
            values = _values(raw_values, is_text=is_text)
            valid = _valid_bool if base == _NULL else _OPERATORS[base].valid
            if not all(valid(v) for v in values):
                kind = "boolean" if base == _NULL else _OPERATORS[base].kind
                raise ValueError(f"The {operator_name} condition on {key} needs {kind} values.")
            conditions.append(Condition(base, lowered, values, qualifier, if_exists))
    return tuple(conditions)
