"""The one clock the server reads.

Everything that depends on wall-clock time (SigV4 skew, creation dates, and the
background jobs of later issues) reads a ``Clock``. ``FileOffsetClock``
lets a server started in test mode move time forward.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch, UTC."""


class SystemClock:
    def now(self) -> float:
        return time.time()


class FileOffsetClock:
    """The system clock plus an offset kept in a file, shared by every worker of a test server.

    Test mode only: the admin call that moves time writes the file; each
    process re-reads it at most every ``recheck_seconds``.
    """

    def __init__(self, path: Path, *, recheck_seconds: float = 0.05) -> None:
        self._path = path
        self._recheck = recheck_seconds
        self._offset = 0.0
        self._checked_at = -1e18

    def _read(self) -> float:
        try:
            return float(self._path.read_text().strip() or 0.0)
        except (OSError, ValueError):
            return 0.0

    def now(self) -> float:
        mono = time.monotonic()
        if mono - self._checked_at > self._recheck:
            self._offset = self._read()
            self._checked_at = mono
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds``; returns the new now."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        offset = self._read() + seconds
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(repr(offset))
        os.replace(tmp, self._path)
        self._checked_at = -1e18
        return self.now()
