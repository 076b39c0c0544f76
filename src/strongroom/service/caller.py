"""Who is calling, and in which region."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated identity behind a request and the region it addressed.

    The http layer builds one per access key and region and reuses it, so it
    carries nothing specific to one request.
    """

    account_id: str
    principal_arn: str
    principal_id: str
    access_key_id: str
    # From the SigV4 credential scope: every key and alias lives in one region.
    region: str
    # Set when a registered service calls on this principal's behalf (kms:ViaService).
    via_service: str | None = None
