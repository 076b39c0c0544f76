"""Policy documents: parsing and validation into an immutable :class:`Policy`.

Grammar (IAM User Guide, "IAM JSON policy elements reference"; KMS specifics
from kms-semantics §9.2):

* A JSON object with ``Version`` (``"2012-10-17"`` or ``"2008-10-17"``;
  absent means ``"2008-10-17"``, as in IAM), optional ``Id`` and a required
  ``Statement`` (one object or a non-empty list).
* A statement has optional ``Sid``, ``Effect`` (``Allow``/``Deny``), at most
  one of ``Principal``/``NotPrincipal``, of ``Action``/``NotAction`` and of
  ``Resource``/``NotResource``, and an optional ``Condition``.
* Key (resource) policies: every statement needs a principal. A statement
  without an action or without a resource is accepted and never matches
  (KMS accepts it as "ineffective").
* Identity policies: a principal is refused; actions and resources are required.
* Element names and ``Effect`` values are case-sensitive; unknown elements,
  duplicate JSON keys and non-finite numbers are refused, so that no two
  readers of a stored policy can disagree on what it says.

The size limit and the character set are checked elsewhere (the service
layer and the request validator built from botocore's model).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn, TypeVar

from strongroom.policy.actions import ActionSet, parse_actions
from strongroom.policy.conditions import Condition, arn_like, parse_conditions
from strongroom.policy.principals import PrincipalSet, parse_principals

__all__ = [
    "Effect",
    "MalformedPolicy",
    "Policy",
    "ResourceSet",
    "Statement",
    "parse_policy",
]

VERSIONS = ("2012-10-17", "2008-10-17")
_DEFAULT_VERSION = "2008-10-17"
_TOP_LEVEL = {"Version", "Id", "Statement"}
_T = TypeVar("_T")
_STATEMENT_ELEMENTS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}


class MalformedPolicy(Exception):
    """A policy document that is not valid; ``message`` is the text for the client.

    The service reports it as ``MalformedPolicyDocumentException``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Effect(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True, slots=True)
class ResourceSet:
    """The patterns of a ``Resource`` (``negated=False``) or ``NotResource`` element.

    ``"*"`` matches any resource (in a key policy: this key); other patterns
    are ARNs matched part by part with ``*``/``?`` wildcards, case-sensitively.
    """

    patterns: tuple[str, ...]
    negated: bool = False

    def matches(self, resource: str) -> bool:
        hit = any(p == "*" or arn_like(p, resource) for p in self.patterns)
        return hit != self.negated


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement. ``actions``/``resources`` are ``None`` when absent (never matches)."""

    effect: Effect
    sid: str | None = None
    principals: PrincipalSet | None = None  # None: identity policy (the caller is implicit)
    not_principal: bool = False
    actions: ActionSet | None = None
    resources: ResourceSet | None = None
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    version: str
    id: str | None
    statements: tuple[Statement, ...]

    def aws_principals(self) -> frozenset[str]:
        """Every account ID and ARN named under ``AWS`` in any statement."""
        named: frozenset[str] = frozenset()
        for statement in self.statements:
            if statement.principals is not None:
                named |= statement.principals.aws_principals()
        return named


class _Number:
    """A JSON number, kept as its source text (condition values may be numbers)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _is_text(value: object) -> bool:
    return isinstance(value, str | _Number)


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedPolicy(f"Policy contains a duplicate key: {key}")
        result[key] = value
    return result


def _reject_constant(name: str) -> NoReturn:
    raise MalformedPolicy("Policy contains invalid JSON.")


def _load(text: str) -> object:
    try:
        return json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_int=_Number,
            parse_float=_Number,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError):
        # json.JSONDecodeError is a ValueError; absurd nesting exhausts the C scanner's stack.
        raise MalformedPolicy("Policy contains invalid JSON.") from None


def _optional_string(element: dict[str, object], name: str) -> str | None:
    if name not in element:
        return None
    value = element[name]
    if not isinstance(value, str):
        raise MalformedPolicy(f"{name} must be a string.")
    return value


def _exclusive(element: dict[str, object], name: str) -> tuple[object, bool] | None:
    """The value of ``name`` or ``Not<name>`` with whether it was the negated one."""
    negated_name = f"Not{name}"
    if name in element and negated_name in element:
        raise MalformedPolicy(f"A statement cannot contain both {name} and {negated_name}.")
    if name in element:
        return element[name], False
    if negated_name in element:
        return element[negated_name], True
    return None


def _parsed(parse: Callable[[], _T]) -> _T:
    """Run a leaf parser, turning its ``ValueError`` into ``MalformedPolicy``."""
    try:
        return parse()
    except ValueError as error:
        raise MalformedPolicy(str(error)) from error


def _resources(raw: object, *, negated: bool) -> ResourceSet:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise MalformedPolicy("Policy statement must contain resources.")
    patterns: list[str] = []
    for item in items:
        if not isinstance(item, str) or not _is_resource(item):
            raise MalformedPolicy(f'Resource {item} must be in ARN format or "*".')
        patterns.append(item)
    return ResourceSet(tuple(patterns), negated)


def _is_resource(text: str) -> bool:
    return text == "*" or (text.startswith("arn:") and text.count(":") >= 5)


def _statement(raw: object, *, resource_policy: bool) -> Statement:
    if not isinstance(raw, dict):
        raise MalformedPolicy("Each statement must be a JSON object.")
    unknown = sorted(set(raw) - _STATEMENT_ELEMENTS)
    if unknown:
        raise MalformedPolicy(f"Statement contains an unsupported element: {unknown[0]}")
    sid = _optional_string(raw, "Sid")
    if "Effect" not in raw:
        raise MalformedPolicy("Missing required field Effect.")
    effect_name = raw["Effect"]
    if effect_name not in ("Allow", "Deny"):
        raise MalformedPolicy("Effect must be Allow or Deny.")
    effect = Effect.ALLOW if effect_name == "Allow" else Effect.DENY

    principal = _exclusive(raw, "Principal")
    principals: PrincipalSet | None = None
    not_principal = False
    if principal is None and resource_policy:
        raise MalformedPolicy("Missing required field Principal.")
    if principal is not None:
        if not resource_policy:
            raise MalformedPolicy("Policy document should not specify a principal.")
        raw_principal, not_principal = principal
        principals = _parsed(lambda: parse_principals(raw_principal))

    action = _exclusive(raw, "Action")
    actions: ActionSet | None = None
    if action is None and not resource_policy:
        raise MalformedPolicy("Policy statement must contain actions.")
    if action is not None:
        raw_action, negated = action
        actions = _parsed(lambda: parse_actions(raw_action, negated=negated))

    resource = _exclusive(raw, "Resource")
    resources: ResourceSet | None = None
    if resource is None and not resource_policy:
        raise MalformedPolicy("Policy statement must contain resources.")
    if resource is not None:
        raw_resource, negated = resource
        resources = _resources(raw_resource, negated=negated)

    conditions: tuple[Condition, ...] = ()
    if "Condition" in raw:
        raw_conditions = raw["Condition"]
        conditions = _parsed(lambda: parse_conditions(raw_conditions, is_text=_is_text))

    return Statement(effect, sid, principals, not_principal, actions, resources, conditions)


def parse_policy(text: str, *, resource_policy: bool) -> Policy:
    """Parse and validate a policy document; raise :class:`MalformedPolicy` if it is not valid.

    ``resource_policy=True`` for key policies (statements name principals),
    ``False`` for IAM identity policies (the caller is the principal).
    """
    document = _load(text)
    if not isinstance(document, dict):
        raise MalformedPolicy("Policy must be a JSON object.")
    unknown = sorted(set(document) - _TOP_LEVEL)
    if unknown:
        raise MalformedPolicy(f"Policy contains an unsupported element: {unknown[0]}")
    version = document.get("Version", _DEFAULT_VERSION)
    if not isinstance(version, str) or version not in VERSIONS:
        raise MalformedPolicy("Policy version must be 2012-10-17 or 2008-10-17.")
    policy_id = _optional_string(document, "Id")
    if "Statement" not in document:
        raise MalformedPolicy("Policy must contain a Statement.")
    raw_statements = document["Statement"]
    items = raw_statements if isinstance(raw_statements, list) else [raw_statements]
    if not items:
        raise MalformedPolicy("Policy must contain at least one statement.")
    statements = tuple(_statement(item, resource_policy=resource_policy) for item in items)
    return Policy(version, policy_id, statements)
