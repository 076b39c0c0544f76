"""Group commit's row path (``append_rows``) stores what ``append`` stores, on every backend."""

from __future__ import annotations

import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from strongroom.audit.chain import PendingEvent, RowWriter, append, append_rows, chain_hash
from strongroom.domain.audit import GENESIS_HASH, AuditEvent, AuditQuery, KeyUsage
from strongroom.domain.repositories import Store
from strongroom.store import SqlStore

NOW = 1_764_400_000.123456
KEY = "arn:aws:kms:us-east-1:111122223333:key/k1"
OTHER_KEY = "arn:aws:kms:us-east-1:111122223333:key/k2"


def _pending(n: int, **overrides: object) -> PendingEvent:
    values: dict[str, object] = {
        "record": f'{{"eventID":"e{n}","n":{n},"text":"\u00e9"}}'.encode(),
        "event_id": f"e{n}",
        "request_id": f"r{n}",
        "event_time": NOW + n,
        "event_name": "Encrypt",
        "event_source": "kms.amazonaws.com",
        "key_arn": KEY,
        "principal_arn": "arn:aws:iam::111122223333:user/alice",
        "error_code": None,
        "usage": ((KEY, "Encrypt"),),
    }
    values.update(overrides)
    return PendingEvent(**values)  # type: ignore[arg-type]


def _expected(pending: list[PendingEvent], seq: int, prev: bytes) -> list[AuditEvent]:
    """What ``append`` makes of ``pending`` after head (``seq``, ``prev``): the format."""
    out = []
    for p in pending:
        seq += 1
        digest = chain_hash(prev, seq, p.record)
        out.append(
            AuditEvent(
                seq,
                p.event_id,
                p.request_id,
                p.event_time,
                p.event_name,
                p.event_source,
                p.key_arn,
                p.principal_arn,
                p.error_code,
                p.record.decode("utf-8"),
                prev,
                digest,
            )
        )
        prev = digest
    return out


def test_the_appenders_writer_takes_rows(store: Store) -> None:
    appender = store.audit_appender()
    try:
        with appender.transaction() as writer:
            assert isinstance(writer, RowWriter)
    finally:
        appender.close()


def test_append_rows_stores_the_same_events_hashes_and_key_usage_as_append(store: Store) -> None:
    first = [
        _pending(1),
        _pending(2, error_code="AccessDeniedException", usage=()),
        _pending(3, key_arn=None, principal_arn=None, usage=()),
        _pending(4, usage=((OTHER_KEY, "Sign"), (KEY, "Decrypt"))),
    ]
    second = [_pending(5, usage=((OTHER_KEY, "Verify"),)), _pending(6, usage=())]
    appender = store.audit_appender()
    try:
        with appender.transaction() as writer:
            assert isinstance(writer, RowWriter)
            append_rows(writer, first)
        with appender.transaction() as writer:
            assert isinstance(writer, RowWriter)
            append_rows(writer, [])
            append_rows(writer, second)
    finally:
        appender.close()
    expected = _expected(first, 0, GENESIS_HASH)
    expected += _expected(second, 4, expected[-1].hash)
    with store.unit_of_work(write=False) as uow:
        assert uow.audit.events(AuditQuery()) == expected
        head = uow.audit.head()
        assert (head.seq, head.hash) == (6, expected[-1].hash)
        # The last use of each key, in chain order, as append records it.
        assert uow.audit.key_usage(KEY) == KeyUsage(KEY, "Decrypt", NOW + 4, "e4", "r4")
        assert uow.audit.key_usage(OTHER_KEY) == KeyUsage(OTHER_KEY, "Verify", NOW + 5, "e5", "r5")
    # And a unit of work's append continues the same chain.
    with store.unit_of_work() as uow:
        (seventh,) = append(uow.audit, [_pending(7)])
    assert (seventh.seq, seventh.prev_hash) == (7, expected[-1].hash)


def test_rows_and_units_of_work_take_turns_on_one_chain(store: Store) -> None:
    def write(worker: int) -> None:
        events = [_pending(100 * worker + n, usage=()) for n in range(10)]
        if worker % 2:
            for event in events:
                with store.unit_of_work() as uow:
                    append(uow.audit, [event])
            return
        appender = store.audit_appender()
        try:
            for event in events:
                with appender.transaction() as writer:
                    assert isinstance(writer, RowWriter)
                    append_rows(writer, [event])
        finally:
            appender.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(write, worker) for worker in range(4)]:
            future.result(timeout=60)
    with store.unit_of_work(write=False) as uow:
        events = uow.audit.events(AuditQuery())
    assert [e.seq for e in events] == list(range(1, 41))
    prev = GENESIS_HASH
    for event in events:
        assert event.hash == chain_hash(prev, event.seq, event.record.encode())
        prev = event.hash


def test_sqlite_group_commits_take_turns_through_a_file_lock(tmp_path: Path) -> None:
    """A second appender (another worker process, in production) waits on the lock file
    while the first holds a transaction, and goes on the moment it commits."""
    store = SqlStore(f"sqlite:///{tmp_path / 'strongroom.db'}")
    store.migrate()
    first, second = store.audit_appender(), store.audit_appender()
    entered = threading.Event()
    order: list[str] = []
    try:
        with first.transaction() as writer:
            assert isinstance(writer, RowWriter)
            append_rows(writer, [_pending(1, usage=())])

            def other() -> None:
                entered.set()
                with second.transaction() as other_writer:
                    assert isinstance(other_writer, RowWriter)
                    order.append("second")
                    append_rows(other_writer, [_pending(2, usage=())])

            thread = threading.Thread(target=other)
            thread.start()
            assert entered.wait(10)
            time.sleep(0.2)  # time for the second to reach the lock (no timing is asserted)
            assert order == []
            order.append("first")
        thread.join(10)
        assert order == ["first", "second"]
        lock = tmp_path / "strongroom.db-audit.lock"
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
        with store.unit_of_work(write=False) as uow:
            assert [e.seq for e in uow.audit.events(AuditQuery())] == [1, 2]
    finally:
        first.close()
        second.close()
        store.close()
