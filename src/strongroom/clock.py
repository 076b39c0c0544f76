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


def iso_utc(epoch: float) -> str:
    """``epoch`` as ISO-8601 UTC to the second (``2026-11-29T12:00:00Z``): CloudTrail's
    eventTime, aws:CurrentTime, kms:ValidTo and STS's Expiration all use this form.

    Formatting costs more than building a whole audit record, and consecutive
    calls mostly fall in the same second: the last second's text is kept.
    """
    global _last_second
    second = int(epoch // 1)
    last = _last_second
    if last[0] != second:
        last = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
        _last_second = last
    return last[1]


_last_second: tuple[int, str] = (-1, "")


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch, UTC."""


class SystemClock:
    def now(self) -> float:
        return time.time()


class FileOffsetClock:
    """The system clock plus an offset kept in a file, shared by every worker of a test server.

    Test mode only: the admin call that moves time writes the file; each
    process re-reads it when the file's modification time changes.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = 0.0
        self._stamp: tuple[int, int] | None = None

    def _read(self) -> float:
        try:
            return float(self._path.read_text().strip() or 0.0)
        except (OSError, ValueError):
            return 0.0

    def now(self) -> float:
        # One stat per call (test mode only): every worker sees a move at once.
        # Each move replaces the file, so its inode changes even when two moves
        # fall within one tick of the file system's clock.
        try:
            info = self._path.stat()
            stamp: tuple[int, int] | None = (info.st_ino, info.st_mtime_ns)
        except OSError:
            stamp = None
        if stamp != self._stamp:
            self._offset = self._read()
            self._stamp = stamp
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds``; returns the new now."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        offset = self._read() + seconds
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(repr(offset))
        os.replace(tmp, self._path)
        self._stamp = None
        return self.now()
