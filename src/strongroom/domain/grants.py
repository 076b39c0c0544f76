"""Grants: per-key permissions given to a principal, with optional context constraints."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Grant:
    grant_id: str  # 64 hex characters
    key_id: str
    issuing_account: str
    grantee_principal: str
    operations: tuple[str, ...]
    created_at: float
    name: str | None = None
    retiring_principal: str | None = None
    # Encryption context constraints (at most one of them is set).
    context_equals: tuple[tuple[str, str], ...] | None = None
    context_subset: tuple[tuple[str, str], ...] | None = None
