"""Accounts, principals and their access keys."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str  # 12 digits
    created_at: float


@dataclass(frozen=True, slots=True)
class Principal:
    """An IAM identity: ``kind`` is "user" or "role"; ``principal_id`` is AWS's unique id."""

    principal_id: str
    account_id: str
    name: str
    kind: str
    arn: str
    created_at: float
    # Roles only: who may assume the role (an IAM trust policy document).
    trust_policy: str | None = None


@dataclass(frozen=True, slots=True)
class AccessKey:
    """An access key. ``wrapped_secret`` is the secret access key wrapped by the root key."""

    access_key_id: str
    principal_id: str
    wrapped_secret: bytes
    status: str  # "Active" or "Inactive"
    created_at: float


@dataclass(frozen=True, slots=True)
class IdentityPolicy:
    """An inline IAM policy attached to a user or role."""

    principal_id: str
    name: str
    document: str
