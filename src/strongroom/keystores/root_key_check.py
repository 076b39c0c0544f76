"""Refusing a root key that is not the one a database was created with.

Kept apart from the server module: the command line checks the root key too,
and should not import the whole server (HTTP app, jobs) to do it.
"""

from __future__ import annotations

import secrets

from strongroom.crypto.wrapping import NONCE_LENGTH, RootKey, UnwrapError
from strongroom.domain.repositories import Store

_CHECK_NAME = "root_key_check"
_CHECK_AAD = b"strongroom root key check"
_CHECK_VALUE = b"strongroom"


class WrongRootKey(Exception):
    """The root key does not match the one this database was created with."""


def check_root_key(store: Store, root_key: RootKey) -> None:
    """Record a check value on first use; afterwards refuse a root key that cannot open it.

    Raises WrongRootKey.
    """
    with store.unit_of_work() as uow:
        check = uow.meta.get(_CHECK_NAME)
        if check is None:
            uow.meta.put(
                _CHECK_NAME,
                root_key.wrap(_CHECK_VALUE, _CHECK_AAD, nonce=secrets.token_bytes(NONCE_LENGTH)),
            )
            return
    try:
        root_key.unwrap(check, _CHECK_AAD)
    except UnwrapError:
        raise WrongRootKey(
            "the root key file does not match this database (wrong data dir or database URL?)"
        ) from None
