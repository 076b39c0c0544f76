"""Between AWS's wire names (``KeyId``) and the service's snake_case dataclasses.

One mapping rule with a small table of exceptions; per-type field lists are
computed once, so encoding a response costs a loop over its fields.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pybase64

from strongroom.domain.tags import Tag

_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WIRE_OVERRIDES = {"aws_account_id": "AWSAccountId"}
_TYPE_OVERRIDES: dict[type[Any], dict[str, str]] = {Tag: {"key": "TagKey", "value": "TagValue"}}


def snake_name(wire_name: str) -> str:
    return _BOUNDARY.sub("_", wire_name).lower()


def wire_name(field: str) -> str:
    override = _WIRE_OVERRIDES.get(field)
    if override is not None:
        return override
    return "".join(part[:1].upper() + part[1:] for part in field.split("_"))


def _tags(value: list[dict[str, str]]) -> list[Tag]:
    return [Tag(t["TagKey"], t.get("TagValue", "")) for t in value]


# Input members that are structures or lists of structures in the model.
_NESTED_INPUTS: dict[str, Callable[[Any], Any]] = {"tags": _tags}


class RequestDecoder:
    """Builds a request dataclass from a model-validated body with AWS member names."""

    def __init__(self, request_type: type[Any]) -> None:
        self._type = request_type
        fields = {f.name for f in dataclasses.fields(request_type)}
        # Wire name -> (field, converter for a nested input or None): one lookup a member.
        self._fields = {wire_name(f): (f, _NESTED_INPUTS.get(f)) for f in fields}

    def decode(self, body: dict[str, Any]) -> Any:
        kwargs: dict[str, Any] = {}
        for name, value in body.items():
            known = self._fields.get(name)
            if known is None or value is None:
                continue
            field, nested = known
            kwargs[field] = nested(value) if nested is not None else value
        return self._type(**kwargs)


_FIELD_CACHE: dict[type[Any], tuple[tuple[str, str], ...]] = {}


def _fields_of(t: type[Any]) -> tuple[tuple[str, str], ...]:
    cached = _FIELD_CACHE.get(t)
    if cached is None:
        overrides = _TYPE_OVERRIDES.get(t, {})
        cached = tuple(
            (f.name, overrides.get(f.name) or wire_name(f.name)) for f in dataclasses.fields(t)
        )
        _FIELD_CACHE[t] = cached
    return cached


def encode_value(value: Any) -> Any:
    """JSON-ready data: bytes become base64, dataclasses objects; None fields are dropped."""
    t = type(value)
    fields = _FIELD_CACHE.get(t)
    if fields is None:
        if t is bytes:
            # pybase64's SIMD encoder: the standard library's text, 2-20x faster.
            return pybase64.b64encode_as_string(value)
        if t is list:
            return [encode_value(v) for v in value]
        if not (dataclasses.is_dataclass(value) and not isinstance(value, type)):
            return value
        fields = _fields_of(t)
    out: dict[str, Any] = {}
    for attr, name in fields:
        item = getattr(value, attr)
        if item is None:
            continue
        # Most members are strings: skip the call for them.
        out[name] = item if type(item) is str else encode_value(item)
    return out
