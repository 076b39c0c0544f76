"""Who is calling, from where, in which region."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Caller:
    account_id: str
    principal_arn: str
    principal_id: str
    access_key_id: str
    # From the SigV4 credential scope: every key and alias lives in one region.
    region: str
    source_ip: str = ""
    user_agent: str = ""
    request_id: str = ""
