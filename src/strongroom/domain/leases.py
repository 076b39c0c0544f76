"""Leases: which node runs the background jobs, and until when."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Lease:
    name: str
    holder: str
    expires_at: float
