"""Aliases: friendly names that point at one key of the same account and region."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Alias:
    account_id: str
    region: str
    name: str  # full name, "alias/…"
    target_key_id: str
    created_at: float
    updated_at: float

    @property
    def arn(self) -> str:
        return f"arn:aws:kms:{self.region}:{self.account_id}:{self.name}"
