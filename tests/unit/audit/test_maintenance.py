"""The server's periodic audit work: a digest when one is due, then pruning."""

from __future__ import annotations

import os

from strongroom.audit.chain import append
from strongroom.audit.maintenance import DAY_SECONDS, AuditMaintenance
from strongroom.crypto.wrapping import RootKey
from strongroom.domain.audit import AuditQuery
from strongroom.store import SqlStore

from .test_chain import pending


class FixedClock:
    def __init__(self, now: float) -> None:
        self.value = now

    def now(self) -> float:
        return self.value


def test_digests_are_written_when_due_and_old_events_pruned_up_to_one(
    sqlite_store: SqlStore,
) -> None:
    # pending(n) happens at 1_700_000_000 + n.
    clock = FixedClock(1_700_000_100.0)
    maintenance = AuditMaintenance(
        sqlite_store,
        RootKey(os.urandom(32)),
        clock,
        digest_interval_seconds=60.0,
        retention_days=1.0,
    )
    with sqlite_store.unit_of_work() as uow:
        append(uow.audit, [pending(n) for n in range(1, 4)])
    maintenance.run_once()
    with sqlite_store.unit_of_work() as uow:
        append(uow.audit, [pending(4)])
    clock.value += 10
    maintenance.run_once()  # too soon for another digest
    with sqlite_store.unit_of_work(write=False) as uow:
        assert [d.last_seq for d in uow.audit.digests()] == [3]
    maintenance.run_once(final=True)  # a clean shutdown signs whatever is new
    with sqlite_store.unit_of_work(write=False) as uow:
        assert [d.last_seq for d in uow.audit.digests()] == [3, 4]
    clock.value = 1_700_000_003.5 + DAY_SECONDS
    maintenance.run_once()
    with sqlite_store.unit_of_work(write=False) as uow:
        assert [e.seq for e in uow.audit.events(AuditQuery())] == [4]
        assert uow.audit.head().anchor_seq == 3
