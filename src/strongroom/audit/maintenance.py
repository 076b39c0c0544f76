"""The periodic audit work of a server process: signed digests and retention pruning.

Every process runs it; the chain head lock and the digests' minimum interval
make concurrent runs harmless (at most one digest per interval in practice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from strongroom.audit.digests import write_digest
from strongroom.audit.retention import prune
from strongroom.clock import Clock
from strongroom.crypto.wrapping import RootKey
from strongroom.domain.repositories import Store

log = logging.getLogger("strongroom.audit")

DAY_SECONDS = 86_400.0


class AuditMaintenance:
    def __init__(
        self,
        store: Store,
        root_key: RootKey,
        clock: Clock,
        *,
        digest_interval_seconds: float,
        retention_days: float,
    ) -> None:
        self._store = store
        self._root_key = root_key
        self._clock = clock
        self._interval = digest_interval_seconds
        self._retention_days = retention_days
        self._task: asyncio.Task[None] | None = None

    def run_once(self, *, final: bool = False) -> None:
        """Write a digest if one is due (``final``: whenever the chain grew), then prune."""
        now = self._clock.now()
        with self._store.unit_of_work() as uow:
            write_digest(uow, self._root_key, now, min_interval=0.0 if final else self._interval)
        if self._retention_days > 0 and not final:
            with self._store.unit_of_work() as uow:
                deleted = prune(uow, now - self._retention_days * DAY_SECONDS)
            if deleted:
                log.info("pruned %d audit events older than %s days", deleted, self._retention_days)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await asyncio.to_thread(self.run_once)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("audit digest or pruning failed")

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Stop the loop and sign the chain as it is now (a clean shutdown's digest)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await asyncio.to_thread(self.run_once, final=True)
        except Exception:
            log.exception("final audit digest failed")
