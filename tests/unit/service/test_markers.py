"""Opaque pagination markers."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from strongroom.service.errors import InvalidMarkerException
from strongroom.service.markers import make_marker, read_marker


@given(sort_key=st.text())
@example(sort_key="")
@example(sort_key="alias/aws/ebs")
@example(sort_key="1234abcd-12ab-34cd-56ef-1234567890ab")
@example(sort_key="ü\U0001f600\x00")
def test_read_marker_returns_the_sort_key_make_marker_was_given(sort_key: str) -> None:
    assert read_marker(make_marker(sort_key)) == sort_key


@given(sort_key=st.text())
def test_a_marker_is_url_safe_ascii(sort_key: str) -> None:
    assert re.fullmatch(r"[A-Za-z0-9_=-]*", make_marker(sort_key))


def test_no_marker_means_no_sort_key() -> None:
    assert read_marker(None) is None


@pytest.mark.parametrize(
    "marker",
    [
        "a",  # not a multiple of four characters
        "abc",
        "YQ",  # "a" without its padding
        "é",  # not ASCII
        "Zm9v\u00a0",
        "/w==",  # decodes to 0xff: not UTF-8
        "_-8=",  # decodes to ff ef: not UTF-8
        "wg==",  # a truncated two-byte sequence
    ],
)
def test_a_garbage_marker_is_invalid(marker: str) -> None:
    with pytest.raises(InvalidMarkerException) as raised:
        read_marker(marker)
    assert raised.value.message == "Invalid marker"
    assert raised.value.code == "InvalidMarkerException"
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


@pytest.mark.parametrize("marker", ["!!!!", "Zm9v!!", "Zm9v\n", "Zm 9v"])
def test_a_marker_with_characters_outside_the_base64url_alphabet_is_invalid(marker: str) -> None:
    with pytest.raises(InvalidMarkerException):
        read_marker(marker)
