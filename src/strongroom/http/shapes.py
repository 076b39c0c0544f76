"""Request decoding and validation compiled from botocore's KMS service model.

``ServiceModel()`` reads ``botocore/data/kms/2014-11-01/service-2.json.gz`` once and
turns the input shape of every operation into a tree of closures. At request time
``decode_input`` only runs those closures: no model lookups, no generic recursion
for flat structures.

Two kinds of failure, in the order AWS's request layer (Coral) produces them:

* ``SerializationException``: the body is not a JSON object, or a member has the
  wrong JSON type, or a blob is not strict, canonical, padded base64. The first
  such problem stops decoding (Coral deserializes before it validates).
* ``ValidationException``: every violated model constraint (required, length,
  range, pattern, enum), collected in model member order and reported as
  ``N validation error(s) detected: <e1>; <e2>`` with at most ten listed, each
  ``Value '<v>' at '<path>' failed to satisfy constraint: Member must ...``.
  Sensitive shapes and blobs never echo their value: ``Value at 'plaintext' ...``.

Only constraints present in the model are enforced. Where each message text comes
from is recorded next to its constant below.
"""

from __future__ import annotations

import binascii
import gzip
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeAlias

import botocore
import pybase64

from strongroom.service.errors import (
    SerializationException,
    UnknownOperationException,
    ValidationException,
)

__all__ = ["ServiceModel", "compile_java_pattern"]

_MODEL_FILE = ("data", "kms", "2014-11-01", "service-2.json.gz")

# Where a value sits in the request, rendered only when an error names it:
# "keyId" at the top level, (parent, "tagKey") for a structure member,
# (parent, 2) for the second list element ("tags.2.member").
# (Not a recursive alias: mypyc, which compiles this module, cannot expand one.)
_Loc: TypeAlias = "str | tuple[Any, str | int]"
# decode(json_value, location, validation_errors) -> decoded value
_Decoder: TypeAlias = Callable[[Any, _Loc, list[str]], Any]

# Coral caps the list at ten ("10 validation errors detected" with more violations
# present: recorded DynamoDB, Kinesis and Bedrock responses).
_MAX_REPORTED = 10

# Serialization messages: AWS's wording as recorded against Coral JSON 1.1 services
# (Athena and SES v2, by emulator projects that probe the real service), unless
# marked otherwise. KMS itself was not recorded for these.
_START_LIST = "Start of list found where not expected"
_START_MAP = "Start of structure or map found where not expected."
_EXPECTED_LIST = "Expected list or null"
_EXPECTED_STRUCTURE = "Expected null"
# Not recorded from the JSON 1.1 generation; older Coral (dynalite) wording.
_EXPECTED_MAP = "Expected map or null"
# Recorded from DynamoDB's Coral for a number or boolean where a blob belongs.
_BLOB_NOT_STRING = "only base-64-encoded strings are convertible to bytes"
# Recorded from DynamoDB's Coral (the "dectected" typo is theirs).
_B64_LENGTH = "Base64 encoded length is expected a multiple of 4 bytes but found: {}"
_B64_LAST_CHAR = "Invalid last non-pad Base64 character dectected"
# Ours: Coral's own text echoes the offending character, which could be plaintext.
_B64_CHARACTER = "Invalid Base64 character"

_NOT_NULL = "Member must not be null"

_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Last data character before "==" / "=": its unused low bits must be zero, or the
# text is not the canonical encoding of its bytes.
_B64_TAIL_BEFORE_2_PAD = frozenset(c for i, c in enumerate(_B64_ALPHABET) if i % 16 == 0)
_B64_TAIL_BEFORE_1_PAD = frozenset(c for i, c in enumerate(_B64_ALPHABET) if i % 4 == 0)


class ServiceModel:
    """The KMS request model, compiled once per process."""

    def __init__(self, model: dict[str, Any] | None = None) -> None:
        self._compile(_load_model() if model is None else model)

    @classmethod
    def from_dict(cls, model: dict[str, Any]) -> ServiceModel:
        """Compile an already-loaded model of the same format (tests, other versions).

        Raises ``ValueError`` for a shape type or pattern this module cannot honour.
        """
        return cls(model)

    def _compile(self, model: dict[str, Any]) -> None:
        compiler = _Compiler(model["shapes"])
        self._decoders: dict[str, Callable[[object], dict[str, Any]]] = {
            name: compiler.top_level(op.get("input", {}).get("shape"))
            for name, op in model["operations"].items()
        }
        self._names = frozenset(self._decoders)

    def operation_names(self) -> frozenset[str]:
        """Every operation in the model (``Encrypt``, ``CreateKey``, ...)."""
        return self._names

    def decode_input(self, operation: str, body: object) -> dict[str, Any]:
        """Decode and validate the JSON-parsed request body of ``operation``.

        Returns a new dict with the AWS member names: blobs base64-decoded to bytes,
        timestamps as floats, integers as ints (a JSON decimal is truncated, as Coral
        does), nested structures, lists and maps decoded recursively. Unknown members
        and members set to null are dropped, as are null map values.

        Raises ``UnknownOperationException`` for an operation not in the model,
        ``SerializationException`` for a body that is not a JSON object, a member of
        the wrong JSON type or invalid base64, and ``ValidationException`` listing
        every violated model constraint. No sensitive value or blob is ever echoed.
        """
        try:
            decoder = self._decoders[operation]
        except KeyError:
            raise UnknownOperationException("") from None
        return decoder(body)


def _load_model() -> dict[str, Any]:
    path = Path(botocore.__file__).parent.joinpath(*_MODEL_FILE)
    with gzip.open(path, "rb") as f:
        model: dict[str, Any] = json.load(f)
    return model


# --------------------------------------------------------------------------- messages


def _render(loc: _Loc) -> str:
    parts: list[str] = []
    while not isinstance(loc, str):
        loc, segment = loc
        parts.append(f"{segment}.member" if isinstance(segment, int) else segment)
    if loc:
        parts.append(loc)
    return ".".join(reversed(parts))


def _message(echo: str, loc: _Loc, constraint: str) -> str:
    # "Value '<v>' at '<path>' ...", "Value null at ..." and, for sensitive shapes and
    # blobs, "Value at ..." (even when null): recorded KMS responses (Encrypt
    # plaintext, GenerateRandom numberOfBytes, CreateAlias aliasName, Verify signature).
    return f"Value{echo} at '{_render(loc)}' failed to satisfy constraint: {constraint}"


def _summary(errors: list[str]) -> str:
    shown = errors[:_MAX_REPORTED]
    noun = "error" if len(shown) == 1 else "errors"
    return f"{len(shown)} validation {noun} detected: " + "; ".join(shown)


def _token(value: object) -> str:
    # Coral names the JSON token it found (Athena: STRING_VALUE, NUMBER_VALUE,
    # TRUE_VALUE; DynamoDB: DECIMAL_VALUE for a number with a fraction).
    if value is True:
        return "TRUE_VALUE"
    if value is False:
        return "FALSE_VALUE"
    if isinstance(value, str):
        return "STRING_VALUE"
    if isinstance(value, int):
        return "NUMBER_VALUE"
    if isinstance(value, float):
        return "DECIMAL_VALUE"
    return "VALUE"


def _wrong_type(value: object, target: str) -> SerializationException:
    """A scalar member holding the wrong JSON type; ``target`` is e.g. "an Integer"."""
    if isinstance(value, list):
        return SerializationException(_START_LIST)
    if isinstance(value, dict):
        return SerializationException(_START_MAP)
    return SerializationException(f"{_token(value)} can not be converted to {target}")


def _blob_type_error(value: object) -> SerializationException:
    if isinstance(value, (list, dict)):
        return _wrong_type(value, "a Blob")
    return SerializationException(_BLOB_NOT_STRING)


def _base64_error(text: str) -> SerializationException:
    if len(text) % 4:
        return SerializationException(_B64_LENGTH.format(len(text)))
    return SerializationException(_B64_CHARACTER)


def _java_string(value: object) -> str:
    """How Java's ``toString`` shows a list element (Coral echoes lists that way)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _length_failures(n: int, lo: int, hi: int) -> list[str]:
    failures = []
    if n < lo:
        failures.append(f"Member must have length greater than or equal to {lo}")
    if n > hi:
        failures.append(f"Member must have length less than or equal to {hi}")
    return failures


# --------------------------------------------------------------------------- patterns

# Java's POSIX classes (java.util.regex.Pattern, US-ASCII only), as class contents.
_POSIX_CLASSES = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "\\x21-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7e",
    "Graph": "\\x21-\\x7e",
    "Print": "\\x20-\\x7e",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0b\\f\\r",
}
# Java's "." stops at every line terminator, Python's only at "\n".
_JAVA_DOT = "[^\\n\\r\\x85\\u2028\\u2029]"
# Escapes whose meaning differs between the two engines.
_UNSUPPORTED_ESCAPES = frozenset("0cehHvVRXZGk")


def compile_java_pattern(pattern: str) -> Callable[[str], object]:
    """Compile a model (``java.util.regex``) pattern; return its whole-string matcher.

    The matcher follows Java's ``Matcher.matches()``: it returns None unless the whole
    value matches. ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are ASCII-only as in Java;
    ``\\p{ASCII}``-style POSIX classes, ``\\Q...\\E``, ``\\z`` and ``(?<name>`` are
    translated. Raises ``ValueError`` for constructs Python's ``re`` cannot express
    the same way (Unicode categories, class intersection, nested classes), so a new
    model fails at start-up rather than validating differently.
    """
    try:
        return re.compile(_translate_java_pattern(pattern), re.ASCII).fullmatch
    except re.error as e:
        raise ValueError(f"pattern {pattern!r}: {e}") from e


def _translate_java_pattern(pattern: str) -> str:
    out: list[str] = []
    in_class = False
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise ValueError(f"pattern ends with a backslash: {pattern!r}")
            nxt = pattern[i + 1]
            if nxt in "pP":
                name, i = _posix_name(pattern, i + 2)
                body = _POSIX_CLASSES.get(name)
                if body is None or (in_class and nxt == "P"):
                    raise ValueError(f"unsupported class \\{nxt}{{{name}}} in {pattern!r}")
                if in_class:
                    out.append(body)
                else:
                    out.append(f"[{'^' if nxt == 'P' else ''}{body}]")
                continue
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                stop = n if end < 0 else end
                out.append(re.escape(pattern[i + 2 : stop]))
                i = n if end < 0 else end + 2
                continue
            if nxt == "z" and not in_class:
                out.append("\\Z")
            elif nxt == "x" and pattern.startswith("{", i + 2):
                raise ValueError(f"unsupported escape \\x{{...}} in {pattern!r}")
            elif nxt in _UNSUPPORTED_ESCAPES:
                raise ValueError(f"unsupported escape \\{nxt} in {pattern!r}")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "[" or pattern.startswith("&&", i):
                raise ValueError(f"unsupported class union/intersection in {pattern!r}")
            if c == "]":
                in_class = False
            out.append(c)
        elif c == "[":
            start = i + 2 if pattern.startswith("[^", i) else i + 1
            if pattern.startswith("]", start):
                raise ValueError(f"ambiguous leading ']' in a class in {pattern!r}")
            in_class = True
            out.append(pattern[i:start])
            i = start
            continue
        elif c == ".":
            out.append(_JAVA_DOT)
        elif pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
            continue
        else:
            out.append(c)
        i += 1
    if in_class:
        raise ValueError(f"unterminated class in {pattern!r}")
    return "".join(out)


def _posix_name(pattern: str, i: int) -> tuple[str, int]:
    if pattern.startswith("{", i):
        end = pattern.find("}", i)
        if end < 0:
            raise ValueError(f"unterminated \\p{{...}} in {pattern!r}")
        return pattern[i + 1 : end], end + 1
    return pattern[i : i + 1], i + 1


# --------------------------------------------------------------------------- compiler


class _Scalar(NamedTuple):
    """A compiled scalar shape.

    ``decode`` is the member decoder. ``convert`` only type-checks and converts
    (raising SerializationException) and ``failures`` lists the violated constraints
    of a converted value; map keys and values are checked with these two.
    """

    decode: _Decoder
    convert: Callable[[Any], Any]
    failures: Callable[[Any], list[str]]


class _Compiler:
    def __init__(self, shapes: dict[str, Any]) -> None:
        self._shapes = shapes
        self._done: dict[tuple[str, bool], _Decoder] = {}
        self._scalars: dict[tuple[str, bool], _Scalar] = {}

    # -- entry points

    def top_level(self, shape_name: str | None) -> Callable[[object], dict[str, Any]]:
        members: tuple[tuple[str, str, _Decoder, bool, str], ...] = ()
        if shape_name is not None:
            shape = self._shapes[shape_name]
            required = frozenset(shape.get("required", ()))
            hidden = bool(shape.get("sensitive"))
            members = tuple(
                (
                    name,
                    _lower_camel(name),
                    self.decoder(ref["shape"], hidden),
                    name in required,
                    _message(self._null_echo(ref["shape"], hidden), _lower_camel(name), _NOT_NULL),
                )
                for name, ref in shape.get("members", {}).items()
            )

        by_name = {m[0]: m for m in members}
        required_names = tuple(m[0] for m in members if m[3])

        def in_model_order(body: dict[str, Any]) -> dict[str, Any]:
            get = body.get
            out: dict[str, Any] = {}
            errors: list[str] = []
            for name, loc, member, required, null_message in members:
                value = get(name)
                if value is None:
                    if required:
                        errors.append(null_message)
                    continue
                out[name] = member(value, loc, errors)
            if errors:
                # Collected in model member order, the order Coral lists them in.
                raise ValidationException(_summary(errors))
            return out

        def decode(body: object) -> dict[str, Any]:
            if type(body) is not dict:
                # Athena answers a top-level null, string or number with no message.
                raise SerializationException(_START_LIST if isinstance(body, list) else "")
            # A request sets a few of its shape's members: walk those. Anything wrong
            # (an error, a missing required member) is decoded again in model order,
            # so which error is raised, and in what order errors are listed, is as
            # Coral's; member decoders are pure, so decoding twice changes nothing.
            out: dict[str, Any] = {}
            errors: list[str] = []
            try:
                for name, value in body.items():
                    entry = by_name.get(name)
                    if entry is not None and value is not None:
                        out[name] = entry[2](value, entry[1], errors)
            except SerializationException:
                return in_model_order(body)
            if errors:
                return in_model_order(body)
            for name in required_names:
                if body.get(name) is None:
                    return in_model_order(body)
            return out

        return decode

    def decoder(self, shape_name: str, hidden: bool) -> _Decoder:
        key = (shape_name, hidden)
        done = self._done.get(key)
        if done is not None:
            return done
        # A placeholder first, so a recursive shape refers back to itself.
        cell: list[_Decoder] = []

        def forward(value: Any, loc: _Loc, errors: list[str]) -> Any:
            return cell[0](value, loc, errors)

        self._done[key] = forward
        shape = self._shapes[shape_name]
        kind = shape["type"]
        hidden = hidden or bool(shape.get("sensitive"))
        if kind == "structure":
            compiled = self._structure(shape, hidden)
        elif kind == "list":
            compiled = self._list(shape, hidden)
        elif kind == "map":
            compiled = self._map(shape, hidden)
        else:
            compiled = self.scalar(shape_name, hidden).decode
        cell.append(compiled)
        self._done[key] = compiled
        return compiled

    def scalar(self, shape_name: str, hidden: bool) -> _Scalar:
        shape = self._shapes[shape_name]
        hidden = hidden or bool(shape.get("sensitive"))
        key = (shape_name, hidden)
        if key not in self._scalars:
            kind = shape["type"]
            if kind == "string":
                compiled = _string(shape, hidden, shape_name)
            elif kind == "blob":
                compiled = _blob(shape)
            elif kind in ("integer", "long"):
                compiled = _integer(shape, hidden, "an Integer" if kind == "integer" else "a Long")
            elif kind == "boolean":
                compiled = _boolean()
            elif kind == "timestamp":
                compiled = _timestamp()
            else:
                raise ValueError(f"shape {shape_name} has unsupported type {kind!r}")
            self._scalars[key] = compiled
        return self._scalars[key]

    def _null_echo(self, shape_name: str, hidden: bool) -> str:
        return "" if hidden or self._shapes[shape_name].get("sensitive") else " null"

    # -- containers

    def _structure(self, shape: dict[str, Any], hidden: bool) -> _Decoder:
        required = frozenset(shape.get("required", ()))
        members = tuple(
            (
                name,
                _lower_camel(name),
                self.decoder(ref["shape"], hidden),
                name in required,
                self._null_echo(ref["shape"], hidden),
            )
            for name, ref in shape.get("members", {}).items()
        )

        def decode(value: Any, loc: _Loc, errors: list[str]) -> Any:
            if type(value) is not dict:
                raise SerializationException(
                    _START_LIST if isinstance(value, list) else _EXPECTED_STRUCTURE
                )
            get = value.get
            out: dict[str, Any] = {}
            for name, lname, member, is_required, null_echo in members:
                item = get(name)
                if item is None:
                    if is_required:
                        errors.append(_message(null_echo, (loc, lname), _NOT_NULL))
                    continue
                out[name] = member(item, (loc, lname), errors)
            return out

        return decode

    def _list(self, shape: dict[str, Any], hidden: bool) -> _Decoder:
        member_name = shape["member"]["shape"]
        member = self.decoder(member_name, hidden)
        member_shape = self._shapes[member_name]
        lo = int(shape.get("min", 0))
        hi = int(shape.get("max", sys.maxsize))
        null_echo = self._null_echo(member_name, hidden)
        # Coral echoes a list through Java's toString: readable for lists of plain
        # scalars; anything else (structures, blobs, secrets) is not echoed.
        echoes = not (hidden or member_shape.get("sensitive")) and member_shape["type"] in (
            "string",
            "integer",
            "long",
            "boolean",
        )

        def decode(value: Any, loc: _Loc, errors: list[str]) -> Any:
            if type(value) is not list:
                raise SerializationException(
                    _START_MAP if isinstance(value, dict) else _EXPECTED_LIST
                )
            n = len(value)
            if n < lo or n > hi:
                echo = f" '[{', '.join(map(_java_string, value))}]'" if echoes else ""
                errors.extend(_message(echo, loc, c) for c in _length_failures(n, lo, hi))
            out = []
            for index, item in enumerate(value, 1):
                if item is None:
                    errors.append(_message(null_echo, (loc, index), _NOT_NULL))
                    continue
                out.append(member(item, (loc, index), errors))
            return out

        return decode

    def _map(self, shape: dict[str, Any], hidden: bool) -> _Decoder:
        lo = int(shape.get("min", 0))
        hi = int(shape.get("max", sys.maxsize))
        key_shape = self._shapes[shape["key"]["shape"]]
        if key_shape["type"] != "string":
            raise ValueError(f"map key shape {shape['key']['shape']} is not a string")
        key = self.scalar(shape["key"]["shape"], hidden)
        value_name = shape["value"]["shape"]
        value_is_scalar = self._shapes[value_name]["type"] not in ("structure", "list", "map")
        value_scalar = self.scalar(value_name, hidden) if value_is_scalar else None
        value_decoder = self.decoder(value_name, hidden)
        key_plain = not _has_constraints(key_shape)
        value_plain = self._shapes[value_name]["type"] == "string" and not _has_constraints(
            self._shapes[value_name]
        )

        def decode_slow(value: dict[Any, Any], loc: _Loc, errors: list[str]) -> Any:
            # Coral reports one error per map for its keys and one for its values,
            # without echoing the map (SES v2 probes): "Value at 'filter' failed to
            # satisfy constraint: Map keys must satisfy constraint: [Member must ...]".
            n = len(value)
            if n < lo or n > hi:
                errors.extend(_message("", loc, c) for c in _length_failures(n, lo, hi))
            out: dict[str, Any] = {}
            key_failures: list[str] = []
            value_failures: list[str] = []
            for k, v in value.items():
                k = key.convert(k)
                key_failures.extend(f for f in key.failures(k) if f not in key_failures)
                if v is None:
                    continue
                if value_scalar is not None:
                    v = value_scalar.convert(v)
                    failed = value_scalar.failures(v)
                    value_failures.extend(f for f in failed if f not in value_failures)
                    out[k] = v
                else:
                    out[k] = value_decoder(v, (loc, k), errors)
            if key_failures:
                constraint = f"Map keys must satisfy constraint: [{', '.join(key_failures)}]"
                errors.append(_message("", loc, constraint))
            if value_failures:
                constraint = f"Map value must satisfy constraint: [{', '.join(value_failures)}]"
                errors.append(_message("", loc, constraint))
            return out

        def decode(value: Any, loc: _Loc, errors: list[str]) -> Any:
            if type(value) is not dict:
                raise SerializationException(
                    _START_LIST if isinstance(value, list) else _EXPECTED_MAP
                )
            if key_plain and value_plain and lo <= len(value) <= hi:
                # The common case (EncryptionContext): string to string, no limits.
                for v in value.values():
                    if type(v) is not str:
                        break
                else:
                    return dict(value)
            return decode_slow(value, loc, errors)

        return decode


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _has_constraints(shape: dict[str, Any]) -> bool:
    return any(k in shape for k in ("min", "max", "pattern", "enum"))


# --------------------------------------------------------------------------- scalars


def _string(shape: dict[str, Any], hidden: bool, shape_name: str) -> _Scalar:
    lo = int(shape.get("min", 0))
    hi = int(shape.get("max", sys.maxsize))
    match: Callable[[str], object] | None = None
    pattern = shape.get("pattern")
    if pattern is not None:
        try:
            match = compile_java_pattern(pattern)
        except ValueError as e:
            raise ValueError(f"shape {shape_name}: {e}") from e
    enum: frozenset[str] | None = frozenset(shape["enum"]) if "enum" in shape else None
    enum_text = f"Member must satisfy enum value set: [{', '.join(shape.get('enum', ()))}]"
    pattern_text = f"Member must satisfy regular expression pattern: {pattern}"

    def failures(value: str) -> list[str]:
        # Order as AWS lists them: length, then pattern (CloudFormation, Cognito).
        found = _length_failures(len(value), lo, hi)
        if match is not None and match(value) is None:
            found.append(pattern_text)
        if enum is not None and value not in enum:
            found.append(enum_text)
        return found

    def convert(value: Any) -> str:
        if type(value) is not str:
            raise _wrong_type(value, "a String")
        return value

    def report(value: str, loc: _Loc, errors: list[str]) -> None:
        echo = "" if hidden else f" '{value}'"
        errors.extend(_message(echo, loc, c) for c in failures(value))

    if match is None and enum is None:

        def decode(value: Any, loc: _Loc, errors: list[str]) -> Any:
            if type(value) is not str:
                raise _wrong_type(value, "a String")
            if not lo <= len(value) <= hi:
                report(value, loc, errors)
            return value

    else:

        def decode(value: Any, loc: _Loc, errors: list[str]) -> Any:
            if type(value) is not str:
                raise _wrong_type(value, "a String")
            if (
                not lo <= len(value) <= hi
                or (match is not None and match(value) is None)
                or (enum is not None and value not in enum)
            ):
                report(value, loc, errors)
            return value

    return _Scalar(decode, convert, failures)


def _check_padding(text: str) -> None:
    """Reject padded base64 whose last data character has unused bits set.

    ``a2b_base64`` ignores those bits, so "QR==" would decode like "QQ=="; Coral
    refuses such text, and so do we: one byte string has one encoding.
    """
    if text[-2] == "=":
        canonical = text[-3] in _B64_TAIL_BEFORE_2_PAD
    else:
        canonical = text[-2] in _B64_TAIL_BEFORE_1_PAD
    if not canonical:
        raise SerializationException(_B64_LAST_CHAR)


# From this length on, pybase64's SIMD decoder is faster than binascii despite its call overhead.
_LONG_BASE64 = 128


def _b64decode(text: str) -> bytes:
    """Base64 as ``binascii.a2b_base64(strict_mode=True)`` decodes it, faster for long text.

    pybase64 refuses a few texts that binascii's strict mode accepts (padding after a
    complete quantum, "QQ==="), and accepts nothing it refuses, with the same bytes; so
    a refusal is asked again of binascii, and the answer is always binascii's.
    """
    if len(text) >= _LONG_BASE64:
        try:
            return pybase64.b64decode(text, validate=True)
        except ValueError:
            pass
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        raise _base64_error(text) from None


def _blob(shape: dict[str, Any]) -> _Scalar:
    lo = int(shape.get("min", 0))
    hi = int(shape.get("max", sys.maxsize))

    def convert(value: Any) -> bytes:
        if type(value) is not str:
            raise _blob_type_error(value)
        data = _b64decode(value)
        if value and value[-1] == "=":
            _check_padding(value)
        return data

    def failures(value: bytes) -> list[str]:
        return _length_failures(len(value), lo, hi)

    def decode(value: Any, loc: _Loc, errors: list[str]) -> Any:
        # convert(), inlined: this runs for every Encrypt and Decrypt.
        if type(value) is not str:
            raise _blob_type_error(value)
        data = _b64decode(value)
        if value and value[-1] == "=":
            _check_padding(value)
        if not lo <= len(data) <= hi:
            # Blobs are never echoed, sensitive or not (recorded KMS messages).
            errors.extend(_message("", loc, c) for c in failures(data))
        return data

    return _Scalar(decode, convert, failures)


def _integer(shape: dict[str, Any], hidden: bool, target: str) -> _Scalar:
    lo = shape.get("min")
    hi = shape.get("max")
    low = -sys.maxsize - 1 if lo is None else int(lo)
    high = sys.maxsize if hi is None else int(hi)

    def convert(value: Any) -> int:
        if type(value) is int:
            return value
        if type(value) is float:
            # A JSON decimal is truncated to an integer (Athena, measured).
            try:
                return int(value)
            except (ValueError, OverflowError):
                pass
        raise _wrong_type(value, target)

    def failures(value: int) -> list[str]:
        found = []
        if lo is not None and value < low:
            found.append(f"Member must have value greater than or equal to {lo}")
        if hi is not None and value > high:
            found.append(f"Member must have value less than or equal to {hi}")
        return found

    def decode(value: Any, loc: _Loc, errors: list[str]) -> Any:
        if type(value) is not int:
            value = convert(value)
        if not low <= value <= high:
            echo = "" if hidden else f" '{value}'"
            errors.extend(_message(echo, loc, c) for c in failures(value))
        return value

    return _Scalar(decode, convert, failures)


def _no_failures(value: Any) -> list[str]:
    return []


def _boolean() -> _Scalar:
    def convert(value: Any) -> bool:
        if type(value) is not bool:
            # "an Boolean" is Coral's wording (SES v2 probe).
            raise _wrong_type(value, "an Boolean")
        return value

    def decode(value: Any, loc: _Loc, errors: list[str]) -> Any:
        return convert(value)

    return _Scalar(decode, convert, _no_failures)


def _timestamp() -> _Scalar:
    def convert(value: Any) -> float:
        if type(value) is not int and type(value) is not float:
            # Not recorded from AWS: Coral's wording for timestamps is unknown.
            raise _wrong_type(value, "a Timestamp")
        return float(value)

    def decode(value: Any, loc: _Loc, errors: list[str]) -> Any:
        return convert(value)

    return _Scalar(decode, convert, _no_failures)
