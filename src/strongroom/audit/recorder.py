"""Group commit: events of concurrent requests share one durable transaction.

A request calls ``await recorder.record(event)``, which returns once the event's
transaction has committed (SQLite ``synchronous=FULL``, PostgreSQL fsync). One
writer task takes every event waiting in the queue (up to ``max_batch``),
appends them to the chain in one transaction on a worker thread, and then
wakes their requests. While a commit is in flight new events accumulate, so
under load one commit covers many requests and the cost of the fsync is
shared; an idle server commits each event at once (``max_wait_seconds`` can
make the writer linger for more).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from strongroom.audit.chain import PendingEvent, append
from strongroom.domain.repositories import AuditAppender, Store

log = logging.getLogger("strongroom.audit")


class AuditWriteError(Exception):
    """The event could not be made durable: the request must not report success."""


class AuditSink(Protocol):
    async def record(self, event: PendingEvent) -> None:
        """Return once ``event`` is durable. Raises AuditWriteError."""


class AuditRecorder:
    def __init__(self, store: Store, *, max_batch: int = 512, max_wait_seconds: float = 0.0):
        self._store = store
        self._max_batch = max_batch
        self._max_wait = max_wait_seconds
        self._queue: asyncio.Queue[tuple[PendingEvent, asyncio.Future[None]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._appender: AuditAppender | None = None
        # Counters, for metrics and tests.
        self.commits = 0
        self.events = 0

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Commit what is queued, then stop the writer."""
        if self._task is None or self._queue is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._appender is not None:
            self._appender.close()
            self._appender = None

    async def record(self, event: PendingEvent) -> None:
        if self._queue is None or self._task is None or self._task.done():
            raise AuditWriteError("the audit recorder is not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((event, future))
        await future

    async def _run(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            batch = [await queue.get()]
            if self._max_wait > 0:
                await asyncio.sleep(self._max_wait)
            while len(batch) < self._max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await asyncio.to_thread(self._commit, [event for event, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(AuditWriteError("the audit recorder stopped"))
                raise
            except Exception as e:
                log.exception("audit write failed (%d events)", len(batch))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(AuditWriteError(str(e)))
            else:
                self.commits += 1
                self.events += len(batch)
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)
            finally:
                for _ in batch:
                    queue.task_done()

    def _commit(self, events: list[PendingEvent]) -> None:
        # Runs on a worker thread, never two at once (one writer task awaits each).
        if self._appender is None:
            self._appender = self._store.audit_appender()
        with self._appender.transaction() as writer:
            append(writer, events)
