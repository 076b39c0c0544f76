"""The one clock the server reads.

Everything that depends on wall-clock time (SigV4 skew, creation dates, and the
background jobs of later issues) reads a ``Clock``. ``OffsetClock`` lets a
server started in test mode move time forward.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch, UTC."""


class SystemClock:
    def now(self) -> float:
        return time.time()


class OffsetClock:
    """The system clock plus an adjustable offset (test mode only)."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset_seconds = offset_seconds

    def now(self) -> float:
        return time.time() + self.offset_seconds

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.offset_seconds += seconds
