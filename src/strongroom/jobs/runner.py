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


def _audit(uow: UnitOfWork, event_name: str, key_id: str, now: float) -> None:
    """Record a service event for a key that still exists, in the job's own transaction."""
    record = uow.keys.get(key_id)
    if record is not None:
        record_service_event(uow, event_name, record.arn, now)


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
        for key_id in due_rotation:
            try:
                with self._store.unit_of_work() as uow:
                    rotated = rotate_if_due(uow, self._keystore, key_id, now)
                    if rotated:
                        _audit(uow, "RotateKey", key_id, now)
            except Exception:
                log.exception("automatic rotation failed", extra={"key_id": key_id})
                report.failed.append(key_id)
                continue
            if rotated:
                log.info("rotated key %s (automatic rotation)", key_id)
                report.rotated.append(key_id)
                self._on_change(key_id)
        for key_id in due_deletion:
            try:
                with self._store.unit_of_work() as uow:
                    deleted = delete_if_due(uow, key_id, now)
                    if deleted is not None:
                        record_service_event(uow, "DeleteKey", deleted.arn, now)
            except Exception:
                log.exception("key deletion failed", extra={"key_id": key_id})
                report.failed.append(key_id)
                continue
            if deleted is not None:
                log.info("deleted key %s at the end of its waiting period", deleted.arn)
                report.deleted.append(key_id)
                self._on_change(key_id)
        for key_id in due_expiry:
            try:
                with self._store.unit_of_work() as uow:
                    expired = expire_if_due(uow, key_id, now)
                    if expired is not None:
                        record_service_event(uow, "DeleteExpiredKeyMaterial", expired.arn, now)
            except Exception:
                log.exception("import expiry failed", extra={"key_id": key_id})
                report.failed.append(key_id)
                continue
            if expired is not None:
                log.info("deleted the expired imported key material of %s", expired.arn)
                report.expired.append(key_id)
                self._on_change(key_id)
        if report.deleted or report.expired:
            # Deleted rows can linger in database pages; make the material unrecoverable.
            self._store.reclaim()
        with self._store.unit_of_work() as uow:
            uow.meta.put(LAST_RUN, report.to_json())
        return report
