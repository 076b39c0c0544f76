"""Micro benchmark: CPU per audit event inserted by group commit, on SQLite.

    .venv/bin/python bench/audit_insert.py [--prefill 100000] [--batches 2000]
        [--batch 16] [--drop-index NAME ...]

A fresh SQLite database (migrated to head; the store's own connection settings:
WAL, ``synchronous=FULL``) is filled with ``--prefill`` events, then
``--batches`` transactions of ``--batch`` events each go through
``RawAuditAppender`` and ``append_rows``, as the recorder's writer thread does.
Prints CPU µs per event (the thread's CPU time: what the writer takes from the
server's core; fsync waits are not CPU) and wall µs per event. ``--drop-index``
drops an index of ``audit_events`` first, to price one index at a time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from strongroom.audit.chain import PendingEvent, RowWriter, append_rows
from strongroom.store import SqlStore

_KEYS = [f"arn:aws:kms:us-east-1:111122223333:key/{uuid.UUID(int=n)}" for n in range(20)]
_PRINCIPALS = [f"arn:aws:iam::111122223333:user/user{n}" for n in range(10)]
_NAMES = ["Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey"]
# As the server makes request ids (http/app.py): a random prefix per process and a
# counter, so they arrive in index order; event ids are random.
_REQUEST_PREFIX = str(uuid.uuid4())[:24]


def _event(n: int) -> PendingEvent:
    event_id, request_id = str(uuid.uuid4()), f"{_REQUEST_PREFIX}{n:012x}"
    key, principal = _KEYS[n % len(_KEYS)], _PRINCIPALS[n % len(_PRINCIPALS)]
    name = _NAMES[n % len(_NAMES)]
    error = "AccessDeniedException" if n % 50 == 0 else None
    # About the size of a real Encrypt record.
    record = (
        f'{{"eventID":"{event_id}","eventName":"{name}","requestID":"{request_id}",'
        f'"resources":[{{"ARN":"{key}"}}],"userIdentity":{{"arn":"{principal}"}},'
        f'"requestParameters":{{"keyId":"{key}","encryptionContext":{{"app":"bench"}}}},'
        f'"padding":"{"x" * 600}"}}'
    ).encode()
    return PendingEvent(
        record,
        event_id,
        request_id,
        time.time(),
        name,
        "kms.amazonaws.com",
        key,
        principal,
        error,
        ((key, name),) if error is None else (),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prefill", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--drop-index", action="append", default=[])
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        store = SqlStore(f"sqlite:///{Path(directory) / 'bench.db'}")
        try:
            store.migrate()
            appender = store.audit_appender()
            with appender.transaction() as writer:
                assert isinstance(writer, RowWriter)
                for name in options.drop_index:
                    writer._cursor.execute(f"DROP INDEX {name}")  # type: ignore[attr-defined]
                for start in range(0, options.prefill, 1000):
                    append_rows(writer, [_event(n) for n in range(start, start + 1000)])
            batches = [
                [_event(b * options.batch + n) for n in range(options.batch)]
                for b in range(options.batches)
            ]
            cpu, wall = time.thread_time(), time.perf_counter()
            for batch in batches:
                with appender.transaction() as writer:
                    assert isinstance(writer, RowWriter)
                    append_rows(writer, batch)
            cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
            appender.close()
        finally:
            store.close()
    events = options.batches * options.batch
    print(
        f"{events} events in batches of {options.batch} after {options.prefill}: "
        f"{cpu / events * 1e6:.1f} µs CPU/event, {wall / events * 1e6:.1f} µs wall/event"
    )


if __name__ == "__main__":
    main()
