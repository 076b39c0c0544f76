"""Opaque pagination markers: the last item's sort key, base64url-encoded."""

from __future__ import annotations

import base64
import binascii

from strongroom.service.errors import InvalidMarkerException


def make_marker(last_sort_key: str) -> str:
    return base64.urlsafe_b64encode(last_sort_key.encode()).decode()


def read_marker(marker: str | None) -> str | None:
    """The sort key a marker carries; None for no marker. Raises InvalidMarkerException."""
    if marker is None:
        return None
    try:
        return base64.b64decode(marker.encode("ascii"), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidMarkerException("Invalid marker") from None
