"""Group commit: events of concurrent requests share one durable transaction.

A request calls ``await recorder.record(event)``, which returns once the event's
transaction has committed (SQLite ``synchronous=FULL``, PostgreSQL fsync). One
writer thread takes its turn on the chain (the lock that writers of all
processes and nodes share), then every event waiting in the queue (up to
``max_batch``), appends them to the chain in one transaction, and then wakes
their requests. While a commit is in flight, or while another process holds the
chain, new events accumulate, so under load one commit covers many requests and
the cost of the fsync is shared; an idle server commits each event at once
(``max_wait_seconds`` can make the writer linger for more).

A thread of its own rather than a writer task handing each batch to
``asyncio.to_thread``: the executor's hand-off (a concurrent future with its
condition variable, a context copy, a chained asyncio future) and the writer
task's own wake-ups cost more CPU per batch than the batch's Python work. A
request appends its event to a list on the loop, and the list goes to the
writer (a ``queue.SimpleQueue``) once a pass of the loop has added nothing to
it. Each pass polls the sockets once, so requests that are arriving join the
batch instead of starting one of their own: handing over after the first pass
split 16 busy connections into two alternating batches of about 8 events, and
a commit costs about 150 µs of CPU whatever its size (WAL frames and fsync), as
much as ten events' Python work. A steady stream of events is handed over after
``_MAX_PASSES`` passes at most, or at ``max_batch`` events. The writer is woken
once per batch and answers each batch with one ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol

from strongroom.audit.chain import PendingEvent, append_rows
from strongroom.domain.repositories import AuditAppender, Store

log = logging.getLogger("strongroom.audit")


class AuditWriteError(Exception):
    """The event could not be made durable: the request must not report success."""


class AuditSink(Protocol):
    async def record(self, event: PendingEvent) -> None:
        """Return once ``event`` is durable. Raises AuditWriteError."""


# Passes of the event loop a batch may wait for more events before it goes to the
# writer (each pass takes a few µs when nothing else is ready).
_MAX_PASSES = 16

# What the loop hands the writer: events with their requests' futures (same
# order); None tells the writer to stop.
_Item = tuple[list[PendingEvent], list["asyncio.Future[None]"]] | None


class AuditRecorder:
    def __init__(self, store: Store, *, max_batch: int = 512, max_wait_seconds: float = 0.0):
        self._store = store
        self._max_batch = max_batch
        self._max_wait = max_wait_seconds
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer_thread: threading.Thread | None = None
        # Read and written on the event loop only, like every record() call, so
        # nothing can be queued behind the writer's stop signal.
        self._accepting = False
        # Events recorded in this loop pass, not yet handed to the writer.
        self._events: list[PendingEvent] = []
        self._futures: list[asyncio.Future[None]] = []
        self._appender: AuditAppender | None = None
        # Counters, for metrics and tests (written by the writer thread).
        self.commits = 0
        self.events = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = queue.SimpleQueue()
        self._writer_thread = threading.Thread(
            target=self._write, args=(self._loop, self._queue), name="audit-writer", daemon=True
        )
        self._accepting = True
        self._writer_thread.start()

    async def stop(self) -> None:
        """Commit what is queued, then stop the writer."""
        thread = self._writer_thread
        if thread is None:
            return
        if self._accepting:
            self._accepting = False
            self._hand_over()
            self._queue.put(None)  # behind every event accepted so far
        await asyncio.to_thread(thread.join)
        self._writer_thread = None
        log.info("audit trail: %d events in %d commits", self.events, self.commits)

    async def record(self, event: PendingEvent) -> None:
        if not self._accepting or self._loop is None:
            raise AuditWriteError("the audit recorder is not running")
        loop = self._loop
        future = loop.create_future()
        if not self._events:
            loop.call_soon(self._hand_over_when_quiet, loop, 0, 0)
        self._events.append(event)
        self._futures.append(future)
        await future

    def _hand_over_when_quiet(
        self, loop: asyncio.AbstractEventLoop, seen: int, passes: int
    ) -> None:
        """Hand the events over once a pass of ``loop`` added none (on the loop).

        ``seen`` is how many there were one pass ago; ``passes`` how many passes
        this batch has waited.
        """
        count = len(self._events)
        if count > seen and passes < _MAX_PASSES and count < self._max_batch:
            loop.call_soon(self._hand_over_when_quiet, loop, count, passes + 1)
            return
        self._hand_over()

    def _hand_over(self) -> None:
        """Give the writer the events recorded so far (on the loop)."""
        if self._events:
            self._queue.put((self._events, self._futures))
            self._events, self._futures = [], []

    def _write(self, loop: asyncio.AbstractEventLoop, items: queue.SimpleQueue[_Item]) -> None:
        """The writer thread: commit batch after batch until told to stop."""
        events: list[PendingEvent] = []
        futures: list[asyncio.Future[None]] = []
        try:
            running = True
            while True:
                if not events:
                    if not running:
                        break
                    item = items.get()
                    if item is None:
                        break
                    events, futures = item
                    if self._max_wait > 0:
                        time.sleep(self._max_wait)
                events, futures, running = self._commit_batch(loop, items, events, futures, running)
        except BaseException:
            log.exception("the audit writer stopped unexpectedly")
            # Whatever of the batch in hand was not answered yet fails (answers already
            # sent for a part of it were scheduled first, so those stand).
            _answer(loop, futures, AuditWriteError("the audit recorder stopped"))
            raise
        finally:
            if self._appender is not None:
                self._appender.close()
                self._appender = None
            # If the writer died, refuse new events and fail the queued ones (on the
            # loop, where record() runs, so that none slips in behind).
            _call_soon(loop, self._refuse_queued, items)

    def _commit_batch(
        self,
        loop: asyncio.AbstractEventLoop,
        items: queue.SimpleQueue[_Item],
        events: list[PendingEvent],
        futures: list[asyncio.Future[None]],
        running: bool,
    ) -> tuple[list[PendingEvent], list[asyncio.Future[None]], bool]:
        """Commit ``events`` (up to ``max_batch``), joined by everything queued by the time
        this writer has its turn on the chain; wake their requests. Returns the events
        left for the next commit, their futures, and False once the stop signal was seen.

        The queue is emptied only once the turn is ours: while another writer (another
        worker process, a management call) holds the chain, events keep arriving, and
        they ride along with this commit instead of waiting for a turn of their own.
        """
        limit = self._max_batch
        error = None
        try:
            if self._appender is None:
                self._appender = self._store.audit_appender()
            with self._appender.transaction() as writer:
                head = writer.head(for_update=True)
                if running:
                    running = _take_waiting(items, events, futures)
                append_rows(writer, events[:limit], head)
        except Exception as e:
            log.exception("audit write failed (%d events)", min(len(events), limit))
            error = AuditWriteError(str(e))
        else:
            self.commits += 1
            self.events += min(len(events), limit)
        _answer(loop, futures[:limit], error)
        return events[limit:], futures[limit:], running

    def _refuse_queued(self, items: queue.SimpleQueue[_Item]) -> None:
        futures: list[asyncio.Future[None]] = []
        if items is self._queue:
            self._accepting = False
            futures, self._events, self._futures = self._futures, [], []
        # Nothing is queued behind a stop signal (record() refuses once stop() starts).
        _take_waiting(items, [], futures)
        _settle(futures, AuditWriteError("the audit recorder stopped"))


def _take_waiting(
    items: queue.SimpleQueue[_Item],
    events: list[PendingEvent],
    futures: list[asyncio.Future[None]],
) -> bool:
    """Move everything queued onto ``events``/``futures``; False if the stop signal came."""
    while True:
        try:
            item = items.get_nowait()
        except queue.Empty:
            return True
        if item is None:
            return False  # commit what came before it, then stop
        events += item[0]
        futures += item[1]


def _answer(
    loop: asyncio.AbstractEventLoop,
    futures: list[asyncio.Future[None]],
    error: AuditWriteError | None,
) -> None:
    """Wake a batch's requests, on their loop: one call for the whole batch."""
    _call_soon(loop, _settle, futures, error)


def _settle(futures: list[asyncio.Future[None]], error: AuditWriteError | None) -> None:
    for future in futures:
        if not future.done():  # a request whose client went away is cancelled
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)


def _call_soon(
    loop: asyncio.AbstractEventLoop, callback: Callable[..., object], *args: object
) -> None:
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:
        # The loop is closed: nobody is waiting any more.
        log.debug("audit writer: event loop closed")
