"""Group commit: many concurrent records share few commits; a failed write reaches every caller."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from strongroom.audit.recorder import AuditRecorder, AuditWriteError
from strongroom.domain.audit import AuditQuery
from strongroom.domain.repositories import AuditAppender, ChainWriter
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


def test_concurrent_records_are_committed_in_fewer_transactions(slow_store: SlowStore) -> None:
    async def run() -> AuditRecorder:
        recorder = AuditRecorder(slow_store)
        recorder.start()
        await asyncio.gather(*(recorder.record(pending(n)) for n in range(200)))
        await recorder.stop()
        return recorder

    recorder = asyncio.run(run())
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
