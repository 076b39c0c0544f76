"""Canonical encoding of the encryption context: hand-computed vectors and its properties."""

from __future__ import annotations

import random
from types import MappingProxyType

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from strongroom.crypto import encryption_context as ec
from strongroom.crypto.encryption_context import EncryptionContextTooLarge, encode

contexts = st.dictionaries(st.text(max_size=24), st.text(max_size=24), max_size=8)


def decode(data: bytes) -> dict[str, str]:
    """Test-only inverse of ``encode``; that it exists at all is what proves injectivity."""
    count = int.from_bytes(data[:2], "big")
    pos = 2
    out: dict[str, str] = {}
    for _ in range(count):
        strings = []
        for _ in range(2):
            length = int.from_bytes(data[pos : pos + 2], "big")
            strings.append(data[pos + 2 : pos + 2 + length].decode("utf-8"))
            pos += 2 + length
        out[strings[0]] = strings[1]
    assert pos == len(data), "trailing bytes"
    return out


# Each expected value is written out by hand from the documented layout:
#   uint16 count || (uint16 len || key utf-8 || uint16 len || value utf-8) * count,
#   pairs sorted by the UTF-8 bytes of the key. Spaces separate the fields.
HAND_COMPUTED = [
    pytest.param(None, "0000", id="absent context"),
    pytest.param({}, "0000", id="empty context"),
    pytest.param({"a": "1"}, "0001 0001 61 0001 31", id="one pair"),
    pytest.param(
        {"b": "2", "a": "1"},
        "0002 0001 61 0001 31 0001 62 0001 32",
        id="two pairs given out of order",
    ),
    pytest.param({"k": ""}, "0001 0001 6b 0000", id="empty value"),
    pytest.param(
        {"é": "ü"},
        "0001 0002 c3a9 0002 c3bc",
        id="lengths count UTF-8 bytes, not characters",
    ),
    pytest.param(
        {"a": "x", "B": "y"},
        "0002 0001 42 0001 79 0001 61 0001 78",
        id="upper case sorts before lower case",
    ),
    pytest.param(
        {"b": "", "ab": "", "a": ""},
        "0003 0001 61 0000 0002 6162 0000 0001 62 0000",
        id="a key sorts before the keys it prefixes",
    ),
    pytest.param(
        # U+1F600 is f0 9f 98 80; U+FF61 is ef bd a1. By UTF-8 bytes U+FF61 comes
        # first; by UTF-16 code units (d83d de00) it would come second.
        {"\U0001f600": "y", "\uff61": "x"},
        "0002 0003 efbda1 0001 78 0004 f09f9880 0001 79",
        id="sorted by UTF-8 bytes, not UTF-16 code units",
    ),
]


@pytest.mark.parametrize(("context", "expected"), HAND_COMPUTED)
def test_encoding_matches_the_hand_computed_bytes(
    context: dict[str, str] | None, expected: str
) -> None:
    assert encode(context) == bytes.fromhex(expected)


def test_absent_and_empty_contexts_share_the_documented_empty_encoding() -> None:
    assert ec.EMPTY == b"\x00\x00"
    assert encode(None) == encode({}) == ec.EMPTY


def test_any_mapping_is_accepted() -> None:
    assert encode(MappingProxyType({"b": "2", "a": "1"})) == encode({"a": "1", "b": "2"})


@given(context=contexts)
def test_encoding_decodes_back_to_the_same_context(context: dict[str, str]) -> None:
    assert decode(encode(context)) == context


@given(context=contexts)
def test_encoded_length_is_two_plus_four_and_the_utf8_lengths_per_pair(
    context: dict[str, str],
) -> None:
    expected = 2 + sum(4 + len(k.encode()) + len(v.encode()) for k, v in context.items())
    assert len(encode(context)) == expected


@given(first=contexts, second=contexts)
@example(first={"ab": "c"}, second={"a": "bc"})
@example(first={"a": "b", "c": "d"}, second={"a": "b\x00\x01c\x00\x01d"})
@example(first={"": ""}, second={})
@example(first={"a": ""}, second={"": "a"})
@example(first={"k": "V"}, second={"k": "v"})
@example(first={"K": "v"}, second={"k": "v"})
def test_different_contexts_never_share_an_encoding(
    first: dict[str, str], second: dict[str, str]
) -> None:
    assume(first != second)
    assert encode(first) != encode(second)


@given(context=contexts, seed=st.integers())
def test_encoding_does_not_depend_on_insertion_order(context: dict[str, str], seed: int) -> None:
    items = list(context.items())
    random.Random(seed).shuffle(items)
    assert encode(dict(items)) == encode(context)
    assert encode(dict(reversed(items))) == encode(context)


def test_encryption_context_too_large_is_a_value_error() -> None:
    assert issubclass(EncryptionContextTooLarge, ValueError)
    assert ec.MAX_ENCODED_LENGTH == 8192


def test_a_context_of_exactly_the_maximum_encoded_length_is_accepted() -> None:
    # 2 (count) + 2 + 1 (key "k") + 2 + 8185 (value) = 8192
    context = {"k": "v" * 8185}
    assert len(encode(context)) == ec.MAX_ENCODED_LENGTH


def test_one_byte_over_the_maximum_encoded_length_is_rejected() -> None:
    with pytest.raises(EncryptionContextTooLarge):
        encode({"k": "v" * 8186})


def test_the_limit_counts_utf8_bytes_not_characters() -> None:
    # "é" is 2 bytes: 4093 of them make the value 8186 bytes, one byte over with key "k".
    assert len(encode({"": "é" * 4093})) == ec.MAX_ENCODED_LENGTH
    with pytest.raises(EncryptionContextTooLarge):
        encode({"k": "é" * 4093})


def test_many_small_pairs_over_the_maximum_are_rejected() -> None:
    # Each pair costs 4 + 4 + 4 = 12 bytes; 683 pairs make 2 + 8196 bytes.
    context = {f"{i:04d}": f"{i:04d}" for i in range(683)}
    with pytest.raises(EncryptionContextTooLarge):
        encode(context)
    del context["0682"]
    assert len(encode(context)) == 2 + 682 * 12
