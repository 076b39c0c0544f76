"""Between AWS wire names and snake_case dataclasses."""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

import botocore
import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.domain.tags import Tag
from strongroom.http.codec import RequestDecoder, encode_value, snake_name, wire_name

# Member names the snake_case round trip cannot restore, and why.
KNOWN_EXCEPTIONS = {
    # The lower-case member of every error shape (the JSON error body's "message").
    # It shares its snake name with Sign/Verify/GenerateMac's "Message", which wins.
    "message",
}


def _model_member_names() -> list[str]:
    path = Path(botocore.__file__).parent / "data" / "kms" / "2014-11-01" / "service-2.json.gz"
    model = json.loads(gzip.decompress(path.read_bytes()))
    return sorted(
        {
            member
            for shape in model["shapes"].values()
            if shape["type"] == "structure"
            for member in shape["members"]
        }
    )


MEMBER_NAMES = _model_member_names()


# --- names -----------------------------------------------------------------------------------


def test_the_model_has_the_member_names_we_expect_to_walk() -> None:
    assert len(MEMBER_NAMES) > 100
    assert {"KeyId", "CiphertextBlob", "AWSAccountId", "message"} <= set(MEMBER_NAMES)


@pytest.mark.parametrize("name", [n for n in MEMBER_NAMES if n not in KNOWN_EXCEPTIONS])
def test_wire_name_restores_every_model_member_name_from_its_snake_name(name: str) -> None:
    assert wire_name(snake_name(name)) == name


@pytest.mark.parametrize("name", sorted(KNOWN_EXCEPTIONS))
def test_known_exceptions_are_still_model_members_that_do_not_round_trip(name: str) -> None:
    # If one of these starts to round trip (or leaves the model), shrink the set.
    assert name in MEMBER_NAMES
    assert wire_name(snake_name(name)) != name


def test_snake_names_of_model_members_are_identifiers_and_distinct_except_known() -> None:
    names = [n for n in MEMBER_NAMES if n not in KNOWN_EXCEPTIONS]
    snakes = [snake_name(n) for n in names]
    assert all(s.isidentifier() and s == s.lower() for s in snakes)
    assert len(set(snakes)) == len(snakes)


@pytest.mark.parametrize(
    ("wire", "snake"),
    [
        ("KeyId", "key_id"),
        ("CiphertextBlob", "ciphertext_blob"),
        ("AWSAccountId", "aws_account_id"),
        ("CloudHsmClusterId", "cloud_hsm_cluster_id"),
        ("XksProxyUriEndpoint", "xks_proxy_uri_endpoint"),
        ("GrantTokens", "grant_tokens"),
        ("NumberOfBytes", "number_of_bytes"),
    ],
)
def test_snake_name_splits_words_and_acronyms(wire: str, snake: str) -> None:
    assert snake_name(wire) == snake
    assert wire_name(snake) == wire


@given(words=st.lists(st.from_regex(r"[A-Z][a-z0-9]{1,8}", fullmatch=True), min_size=1))
def test_any_capitalised_word_sequence_round_trips(words: list[str]) -> None:
    name = "".join(words)
    assert wire_name(snake_name(name)) == name


# --- encoding responses ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Inner:
    key_id: str
    ciphertext_blob: bytes | None = None


@dataclass(frozen=True)
class _Outer:
    aws_account_id: str
    inner: _Inner
    inners: list[_Inner] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    plaintext: bytes | None = None
    truncated: bool = False
    next_marker: str | None = None
    encryption_context: dict[str, str] | None = None


def test_encode_value_writes_nested_dataclasses_with_wire_names() -> None:
    value = _Outer(
        aws_account_id="111122223333",
        inner=_Inner("k1", b"\x00\x01"),
        inners=[_Inner("k2"), _Inner("k3", b"")],
        tags=[Tag("Owner", "alice"), Tag("Empty", "")],
        plaintext=b"\xfb\xff",
        encryption_context={"Purpose": "test"},
    )
    assert encode_value(value) == {
        "AWSAccountId": "111122223333",
        "Inner": {"KeyId": "k1", "CiphertextBlob": "AAE="},
        "Inners": [{"KeyId": "k2"}, {"KeyId": "k3", "CiphertextBlob": ""}],
        "Tags": [{"TagKey": "Owner", "TagValue": "alice"}, {"TagKey": "Empty", "TagValue": ""}],
        "Plaintext": "+/8=",
        "Truncated": False,
        "EncryptionContext": {"Purpose": "test"},
    }


def test_encode_value_drops_none_fields_but_keeps_false_zero_and_empty() -> None:
    encoded = encode_value(_Outer(aws_account_id="", inner=_Inner("")))
    assert encoded == {
        "AWSAccountId": "",
        "Inner": {"KeyId": ""},
        "Inners": [],
        "Tags": [],
        "Truncated": False,
    }


@given(data=st.binary(max_size=256))
def test_bytes_encode_as_standard_padded_base64(data: bytes) -> None:
    encoded = encode_value(data)
    assert isinstance(encoded, str)
    assert base64.b64decode(encoded, validate=True) == data
    assert len(encoded) % 4 == 0


def test_encode_value_passes_plain_json_values_through() -> None:
    for value in ("text", 3, 1.5, True, None, {"k": "v"}):
        assert encode_value(value) == value
    assert encode_value([b"\x00", None, "x"]) == ["AA==", None, "x"]


def test_encode_value_leaves_a_dataclass_type_alone() -> None:
    assert encode_value(_Inner) is _Inner


def test_encode_value_is_stable_across_calls_on_the_same_type() -> None:
    value = _Inner("k", b"\x01")
    assert encode_value(value) == encode_value(value) == {"KeyId": "k", "CiphertextBlob": "AQ=="}


# --- decoding requests -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    key_id: str
    aws_account_id: str | None = None
    grant_tokens: list[str] | None = None
    tags: list[Tag] | None = None
    dry_run: bool | None = None


def test_request_decoder_maps_wire_names_to_fields() -> None:
    decoded = RequestDecoder(_Request).decode(
        {"KeyId": "k", "AWSAccountId": "111122223333", "GrantTokens": ["t"], "DryRun": True}
    )
    assert decoded == _Request("k", "111122223333", ["t"], None, True)


def test_request_decoder_ignores_unknown_members_and_nulls() -> None:
    decoded = RequestDecoder(_Request).decode({"KeyId": "k", "Unknown": 1, "GrantTokens": None})
    assert decoded == _Request("k")


def test_request_decoder_builds_tags_and_defaults_a_missing_value_to_empty() -> None:
    decoded = RequestDecoder(_Request).decode(
        {"KeyId": "k", "Tags": [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b"}]}
    )
    assert decoded.tags == [Tag("a", "1"), Tag("b", "")]
