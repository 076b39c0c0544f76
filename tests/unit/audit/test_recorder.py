"""Group commit: many concurrent records share few commits; a failed write reaches every caller."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from strongroom.audit.recorder import AuditRecorder, AuditWriteError
from strongroom.domain.audit import AuditQuery
from strongroom.domain.repositories import AuditAppender, ChainWriter, Store
from strongroom.store import SqlStore

from .test_chain import pending


class SlowAppender:
    """Group commit's writer, with commits that take a while (like an fsync) and can fail."""

    def __init__(self, store: SlowStore, inner: AuditAppender) -> None:
        self._store = store
        self._inner = inner

    @contextmanager
    def transaction(self) -> Iterator[ChainWriter]:
        with self._inner.transaction() as writer:
            yield writer
            time.sleep(0.02)
            if self._store.fail:
                raise OSError("disk full")

    def close(self) -> None:
        self._inner.close()


class SlowStore(SqlStore):
    fail = False

    def audit_appender(self) -> AuditAppender:
        return SlowAppender(self, super().audit_appender())


@pytest.fixture
def slow_store(sqlite_store: SqlStore) -> Iterator[SlowStore]:
    url = str(sqlite_store._engine.url)
    store = SlowStore(url)
    try:
        yield store
    finally:
        store.close()


def _record_together(store: Store, count: int) -> AuditRecorder:
    """Record ``count`` events from concurrent tasks started in one pass of the loop."""

    async def run() -> AuditRecorder:
        recorder = AuditRecorder(store)
        recorder.start()
        await asyncio.gather(*(recorder.record(pending(n)) for n in range(count)))
        await recorder.stop()
        return recorder

    return asyncio.run(run())


def test_concurrent_records_are_committed_in_fewer_transactions(slow_store: SlowStore) -> None:
    recorder = _record_together(slow_store, 200)
    assert recorder.events == 200
    assert recorder.commits < 20
    with slow_store.unit_of_work(write=False) as uow:
        events = uow.audit.events(AuditQuery(limit=1000))
    assert sorted(e.event_id for e in events) == sorted(f"e{n}" for n in range(200))


def test_a_record_returns_only_after_its_commit(slow_store: SlowStore) -> None:
    async def run() -> int:
        recorder = AuditRecorder(slow_store)
        recorder.start()
        await recorder.record(pending(1))
        with slow_store.unit_of_work(write=False) as uow:
            count = len(uow.audit.events(AuditQuery()))
        await recorder.stop()
        return count

    assert asyncio.run(run()) == 1


def test_a_failed_write_fails_every_waiting_record_and_the_recorder_recovers(
    slow_store: SlowStore,
) -> None:
    async def run() -> list[BaseException | None]:
        recorder = AuditRecorder(slow_store)
        recorder.start()
        slow_store.fail = True
        results = await asyncio.gather(
            *(recorder.record(pending(n)) for n in range(10)), return_exceptions=True
        )
        slow_store.fail = False
        await recorder.record(pending(99))
        await recorder.stop()
        return list(results)

    results = asyncio.run(run())
    assert all(isinstance(r, AuditWriteError) for r in results)
    # The failed transaction was rolled back: none of its events, and the chain goes on.
    with slow_store.unit_of_work(write=False) as uow:
        assert [e.event_id for e in uow.audit.events(AuditQuery())] == ["e99"]


def test_recording_without_a_running_recorder_fails(slow_store: SlowStore) -> None:
    async def run() -> None:
        await AuditRecorder(slow_store).record(pending(1))

    with pytest.raises(AuditWriteError):
        asyncio.run(run())


def test_stop_commits_what_was_recorded_before_it_then_refuses(slow_store: SlowStore) -> None:
    async def run() -> tuple[list[BaseException | None], AuditRecorder]:
        recorder = AuditRecorder(slow_store)
        recorder.start()
        waiting = [asyncio.ensure_future(recorder.record(pending(n))) for n in range(30)]
        await asyncio.sleep(0)  # the records are queued, none committed yet
        await recorder.stop()
        results = await asyncio.gather(*waiting, return_exceptions=True)
        with pytest.raises(AuditWriteError):
            await recorder.record(pending(99))
        return list(results), recorder

    results, recorder = asyncio.run(run())
    assert results == [None] * 30
    assert recorder.events == 30
    with slow_store.unit_of_work(write=False) as uow:
        assert len(uow.audit.events(AuditQuery())) == 30


def test_a_batch_larger_than_max_batch_is_split_into_several_commits(
    slow_store: SlowStore,
) -> None:
    async def run() -> AuditRecorder:
        recorder = AuditRecorder(slow_store, max_batch=4)
        recorder.start()
        await asyncio.gather(*(recorder.record(pending(n)) for n in range(10)))
        await recorder.stop()
        return recorder

    recorder = asyncio.run(run())
    assert recorder.events == 10
    assert recorder.commits >= 3
    with slow_store.unit_of_work(write=False) as uow:
        events = uow.audit.events(AuditQuery())
    assert [e.event_id for e in events] == [f"e{n}" for n in range(10)]


def test_records_made_in_one_pass_of_the_loop_share_a_commit(slow_store: SlowStore) -> None:
    recorder = _record_together(slow_store, 50)
    assert (recorder.commits, recorder.events) == (1, 50)


def _record_one_per_pass(store: Store, count: int) -> AuditRecorder:
    """Record ``count`` events, the n-th in the n-th pass of the loop after the first."""

    async def after_passes(recorder: AuditRecorder, n: int) -> None:
        for _ in range(n):
            await asyncio.sleep(0)  # one pass of the loop
        await recorder.record(pending(n))

    async def ticker() -> None:
        # Slow passes that let go of the GIL, so the writer commits whatever it is
        # handed while the loop goes on (else a busy loop can delay it enough that
        # separate hand-overs meet in one commit anyway).
        for _ in range(count + 2):
            time.sleep(0.002)
            await asyncio.sleep(0)

    async def run() -> AuditRecorder:
        recorder = AuditRecorder(store)
        recorder.start()
        await asyncio.gather(ticker(), *(after_passes(recorder, n) for n in range(count)))
        await recorder.stop()
        return recorder

    return asyncio.run(run())


def test_events_of_consecutive_passes_of_the_loop_share_a_commit(
    sqlite_store: SqlStore,
) -> None:
    """Requests arriving one after another (as a burst of connections is read) wait for
    a pass that adds nothing, instead of each pass starting a commit of its own."""
    recorder = _record_one_per_pass(sqlite_store, 10)
    assert (recorder.commits, recorder.events) == (1, 10)


def test_a_steady_stream_of_events_is_still_handed_over(sqlite_store: SqlStore) -> None:
    """A batch waits for at most _MAX_PASSES passes, so a stream that never pauses
    still gets its events committed, in order."""
    recorder = _record_one_per_pass(sqlite_store, 60)
    assert recorder.events == 60
    assert recorder.commits >= 2
    with sqlite_store.unit_of_work(write=False) as uow:
        events = uow.audit.events(AuditQuery(limit=100))
    assert [e.event_id for e in events] == [f"e{n}" for n in range(60)]


def test_events_that_arrive_while_the_writer_waits_for_its_turn_join_its_commit(
    sqlite_store: SqlStore,
) -> None:
    """Another writer (another worker process, in production) holds the chain: the
    events queued meanwhile ride along with the waiting writer's commit."""
    holding, release = threading.Event(), threading.Event()

    def hold_the_chain() -> None:
        other = sqlite_store.audit_appender()
        try:
            with other.transaction():
                holding.set()
                release.wait(10)
        finally:
            other.close()

    async def run() -> AuditRecorder:
        recorder = AuditRecorder(sqlite_store)
        recorder.start()
        holder = threading.Thread(target=hold_the_chain)
        holder.start()
        assert await asyncio.to_thread(holding.wait, 10)
        first = asyncio.ensure_future(recorder.record(pending(0)))
        await asyncio.sleep(0.001)  # the record runs and is handed over
        while recorder._events or not recorder._queue.empty():
            await asyncio.sleep(0.001)  # until the writer took it (and waits for its turn)
        later = [asyncio.ensure_future(recorder.record(pending(n))) for n in range(1, 10)]
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(first, *later)
        await asyncio.to_thread(holder.join, 10)
        await recorder.stop()
        return recorder

    recorder = asyncio.run(run())
    assert (recorder.commits, recorder.events) == (1, 10)
    with sqlite_store.unit_of_work(write=False) as uow:
        events = uow.audit.events(AuditQuery())
    assert [e.event_id for e in events] == [f"e{n}" for n in range(10)]


def test_a_record_waits_for_max_wait_before_its_commit(slow_store: SlowStore) -> None:
    async def run() -> float:
        recorder = AuditRecorder(slow_store, max_wait_seconds=0.05)
        recorder.start()
        started = time.monotonic()
        await recorder.record(pending(1))
        elapsed = time.monotonic() - started
        await recorder.stop()
        return elapsed

    assert asyncio.run(run()) >= 0.05


class DyingStore(SqlStore):
    """The writer thread itself fails (not a failed write): a bug, not a disk error."""

    def audit_appender(self) -> AuditAppender:
        raise SystemExit("writer thread killed")


# The dying thread's exception reaches threading.excepthook, as it should.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_if_the_writer_dies_waiting_records_fail_and_new_ones_are_refused(
    sqlite_store: SqlStore,
) -> None:
    store = DyingStore(str(sqlite_store._engine.url))

    async def run() -> list[BaseException | None]:
        recorder = AuditRecorder(store)
        recorder.start()
        results = await asyncio.gather(
            *(recorder.record(pending(n)) for n in range(5)), return_exceptions=True
        )
        await asyncio.sleep(0.05)  # the writer's last words reach the loop
        with pytest.raises(AuditWriteError):
            await recorder.record(pending(99))
        await recorder.stop()
        return list(results)

    try:
        results = asyncio.run(run())
    finally:
        store.close()
    assert all(isinstance(r, AuditWriteError) for r in results)


def test_stop_logs_how_many_events_went_in_how_many_commits(
    sqlite_store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    """The figure the benchmark reads from the server's log (bench/run.py)."""
    with caplog.at_level(logging.INFO, logger="strongroom.audit"):
        recorder = _record_together(sqlite_store, 5)
    assert (recorder.commits, recorder.events) == (1, 5)
    assert "audit trail: 5 events in 1 commits" in caplog.text
