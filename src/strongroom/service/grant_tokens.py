"""Grant tokens: opaque to clients, naming the grant they came from.

A token lets a grant work before it has reached every node: the node that
sees an unknown grant id in a token reads that grant from the store.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from strongroom.service.errors import InvalidGrantTokenException

_PREFIX = "SRGT1"


def make_token(grant_id: str) -> str:
    raw = bytes.fromhex(grant_id) + secrets.token_bytes(32)
    return _PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def grant_id_of_token(token: str) -> str:
    """The grant a token names. Raises InvalidGrantTokenException."""
    if not token.startswith(_PREFIX):
        raise InvalidGrantTokenException("Invalid grant token.")
    text = token[len(_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidGrantTokenException("Invalid grant token.") from None
    if len(raw) != 64:
        raise InvalidGrantTokenException("Invalid grant token.")
    return raw[:32].hex()


def grant_ids_of(tokens: list[str] | None) -> tuple[str, ...]:
    """The grants a request's GrantTokens name. Raises InvalidGrantTokenException."""
    if not tokens:
        return ()
    return tuple(grant_id_of_token(t) for t in tokens)
