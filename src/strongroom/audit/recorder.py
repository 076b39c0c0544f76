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
from typing import Protocol, TypeGuard

from strongroom.audit.chain import PendingEvent, RowWriter, append, append_rows
from strongroom.domain.repositories import AuditAppender, ChainWriter, Store

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
        # Events waiting for the writer, and their requests' futures (same order).
        # Two plain lists rather than an asyncio.Queue of pairs: the queue's
        # bookkeeping (unfinished tasks, getters, putters) cost about a microsecond
        # per event, and only one task ever takes from it.
        self._events: list[PendingEvent] = []
        self._futures: list[asyncio.Future[None]] = []
        # Set while the writer waits for the first event of its next batch.
        self._wakeup: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._appender: AuditAppender | None = None
        # Counters, for metrics and tests.
        self.commits = 0
        self.events = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._task = self._loop.create_task(self._run())

    async def stop(self) -> None:
        """Commit what is queued, then stop the writer."""
        task = self._task
        if task is None:
            return
        self._stopping = True
        self._wake()
        try:
            # The writer returns once nothing is left to commit.
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            self._task = None
            if self._appender is not None:
                self._appender.close()
                self._appender = None

    async def record(self, event: PendingEvent) -> None:
        task = self._task
        if task is None or task.done() or self._loop is None:
            raise AuditWriteError("the audit recorder is not running")
        future = self._loop.create_future()
        self._events.append(event)
        self._futures.append(future)
        if self._wakeup is not None:
            self._wake()
        await future

    def _wake(self) -> None:
        wakeup, self._wakeup = self._wakeup, None
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    def _take(self) -> tuple[list[PendingEvent], list[asyncio.Future[None]]]:
        """The next batch: everything waiting, up to ``max_batch`` events."""
        events, futures = self._events, self._futures
        if len(events) <= self._max_batch:
            self._events, self._futures = [], []
            return events, futures
        n = self._max_batch
        self._events, self._futures = events[n:], futures[n:]
        return events[:n], futures[:n]

    async def _run(self) -> None:
        assert self._loop is not None
        loop = self._loop
        try:
            while True:
                if not self._events:
                    # Returning here, with no await after the check, is what lets
                    # record() refuse events once the writer is done.
                    if self._stopping:
                        return
                    self._wakeup = loop.create_future()
                    await self._wakeup
                    continue
                if self._max_wait > 0:
                    await asyncio.sleep(self._max_wait)
                events, futures = self._take()
                try:
                    await asyncio.to_thread(self._commit, events)
                except asyncio.CancelledError:
                    _fail(futures, AuditWriteError("the audit recorder stopped"))
                    raise
                except Exception as e:
                    log.exception("audit write failed (%d events)", len(events))
                    _fail(futures, AuditWriteError(str(e)))
                else:
                    self.commits += 1
                    self.events += len(events)
                    for future in futures:
                        if not future.done():
                            future.set_result(None)
        except asyncio.CancelledError:
            # Nothing waiting may be left without an answer.
            _fail(self._futures, AuditWriteError("the audit recorder stopped"))
            self._events, self._futures = [], []
            raise

    def _commit(self, events: list[PendingEvent]) -> None:
        # Runs on a worker thread, never two at once (one writer task awaits each).
        if self._appender is None:
            self._appender = self._store.audit_appender()
        with self._appender.transaction() as writer:
            if _takes_rows(writer):
                append_rows(writer, events)
            else:
                append(writer, events)


# Writer type -> whether it is a RowWriter: a protocol isinstance check costs
# microseconds, and there is one writer type per store.
_ROW_WRITER_TYPES: dict[type, bool] = {}


def _takes_rows(writer: ChainWriter) -> TypeGuard[RowWriter]:
    kind = type(writer)
    known = _ROW_WRITER_TYPES.get(kind)
    if known is None:
        known = _ROW_WRITER_TYPES[kind] = isinstance(writer, RowWriter)
    return known


def _fail(futures: list[asyncio.Future[None]], error: AuditWriteError) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(error)
