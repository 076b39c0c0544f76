"""Runs the job pass periodically on the one node that holds the jobs lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from strongroom.clock import Clock
from strongroom.domain.repositories import Store
from strongroom.jobs.runner import JobRunner

log = logging.getLogger("strongroom.jobs")

LEASE = "jobs"


class Scheduler:
    def __init__(
        self,
        runner: JobRunner,
        store: Store,
        clock: Clock,
        *,
        node: str,
        interval_seconds: float,
    ) -> None:
        self._runner = runner
        self._store = store
        self._clock = clock
        self._node = node
        self._interval = interval_seconds
        # Long enough to survive a slow pass, short enough that another node
        # takes over soon after this one dies.
        self._lease_ttl = max(3 * interval_seconds, 10.0)
        self._task: asyncio.Task[None] | None = None

    def _acquire(self) -> bool:
        with self._store.unit_of_work() as uow:
            return uow.leases.try_acquire(LEASE, self._node, self._clock.now(), self._lease_ttl)

    async def tick(self) -> None:
        """Run one pass if this node holds (or can take) the lease."""
        if await asyncio.to_thread(self._acquire):
            await asyncio.to_thread(self._runner.run_once)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job pass failed")

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
