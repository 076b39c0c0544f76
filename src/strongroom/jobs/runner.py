"""One pass of the background jobs. Blocking: runs on a worker thread."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from strongroom.audit.service_events import record_service_event
from strongroom.clock import Clock
from strongroom.domain.repositories import Store, UnitOfWork
from strongroom.keystores.default import DefaultKeyStore
from strongroom.service.deletion import delete_if_due
from strongroom.service.imports import expire_if_due
from strongroom.service.rotation import rotate_if_due

log = logging.getLogger("strongroom.jobs")

LAST_RUN = "jobs.last_run"
BATCH = 100


@dataclass(slots=True)
class JobReport:
    started_at: float
    node: str
    rotated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self)).encode()


@dataclass(frozen=True, slots=True)
class _Job:
    """One background job: the keys due, what to do to one (returns the ARN of a key it
    changed, or None if it found nothing due), the service event, and the report list."""

    key_ids: list[str]
    step: Callable[[UnitOfWork, str], str | None]
    event_name: str
    done: list[str]
    message: str


class JobRunner:
    def __init__(
        self,
        store: Store,
        keystore: DefaultKeyStore,
        clock: Clock,
        *,
        node: str,
        on_change: Callable[[str], None] = lambda key_id: None,
    ) -> None:
        self._store = store
        self._keystore = keystore
        self._clock = clock
        self._node = node
        self._on_change = on_change

    def run_once(self) -> JobReport:
        """Rotate every key whose rotation is due, destroy every key whose window ended, and
        delete imported key material whose ValidTo has passed.

        Each key is handled in its own transaction that locks and re-checks it, so
        a pass that overlaps another node's never acts on a key twice, and one
        failing key does not stop the others.
        """
        now = self._clock.now()
        report = JobReport(started_at=now, node=self._node)
        with self._store.unit_of_work(write=False) as uow:
            due_rotation = uow.keys.due_for_rotation(now, limit=BATCH)
            due_deletion = uow.keys.due_for_deletion(now, limit=BATCH)
            due_expiry = uow.keys.due_for_expiry(now, limit=BATCH)
        keystore = self._keystore

        def rotate(uow: UnitOfWork, key_id: str) -> str | None:
            if not rotate_if_due(uow, keystore, key_id, now):
                return None
            record = uow.keys.get(key_id)
            return None if record is None else record.arn

        def delete(uow: UnitOfWork, key_id: str) -> str | None:
            deleted = delete_if_due(uow, key_id, now)
            return None if deleted is None else deleted.arn

        def expire(uow: UnitOfWork, key_id: str) -> str | None:
            expired = expire_if_due(uow, key_id, now)
            return None if expired is None else expired.arn

        jobs: tuple[_Job, ...] = (
            _Job(due_rotation, rotate, "RotateKey", report.rotated, "rotated %s (automatic)"),
            _Job(due_deletion, delete, "DeleteKey", report.deleted, "deleted %s (window ended)"),
            _Job(
                due_expiry,
                expire,
                "DeleteExpiredKeyMaterial",
                report.expired,
                "deleted the expired imported key material of %s",
            ),
        )
        for job in jobs:
            for key_id in job.key_ids:
                try:
                    with self._store.unit_of_work() as uow:
                        arn = job.step(uow, key_id)
                        if arn is not None:
                            # In the same transaction: the change and its event, or neither.
                            record_service_event(uow, job.event_name, arn, now)
                except Exception:
                    log.exception("%s failed", job.event_name, extra={"key_id": key_id})
                    report.failed.append(key_id)
                    continue
                if arn is not None:
                    log.info(job.message, arn)
                    job.done.append(key_id)
                    self._on_change(key_id)
        if report.deleted or report.expired:
            # Deleted rows can linger in database pages; make the material unrecoverable.
            self._store.reclaim()
        with self._store.unit_of_work() as uow:
            uow.meta.put(LAST_RUN, report.to_json())
        return report
