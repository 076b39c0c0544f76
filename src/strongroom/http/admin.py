"""Administrative calls beside the KMS API (``X-Amz-Target: StrongroomAdmin.<Call>``).

Authenticated with SigV4 like every KMS call. Today there is one, for test
servers only: ``AdvanceClock {"Seconds": N}`` moves the server's clock forward so
that tests can watch due rotations and deletions happen.
"""

from __future__ import annotations

from typing import Any

from strongroom.clock import FileOffsetClock
from strongroom.service.caller import Caller
from strongroom.service.errors import (
    AccessDeniedException,
    UnknownOperationException,
    ValidationException,
)


class AdminOperations:
    def __init__(self, *, test_clock: FileOffsetClock | None) -> None:
        self._test_clock = test_clock

    async def call(self, name: str, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        if name == "AdvanceClock":
            return self._advance_clock(body)
        raise UnknownOperationException("")

    def _advance_clock(self, body: dict[str, Any]) -> dict[str, Any]:
        if self._test_clock is None:
            raise AccessDeniedException("The clock can only be moved on a server in test mode.")
        seconds = body.get("Seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValidationException("Seconds must be a non-negative number.")
        return {"Now": self._test_clock.advance(float(seconds))}
