"""Errors the store raises in domain terms (the service maps them to KMS errors)."""


class StoreError(Exception):
    """Base of store errors."""


class Conflict(StoreError):
    """A unique name is already taken (an alias, an account, an access key id)."""


class NotFound(StoreError):
    """The row to update or delete does not exist."""
