"""Reading ASGI request headers: ``(name, value)`` byte pairs, names lower-case."""

from __future__ import annotations


def header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of header ``name`` (lower-case), or None.

    A linear scan: requests carry about ten headers, so this is cheaper than a dict.
    """
    for key, value in headers:
        if key == name:
            return value
    return None
