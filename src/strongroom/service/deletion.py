"""Deletion: ScheduleKeyDeletion, CancelKeyDeletion, and the destruction the deletion job
performs at the end of the waiting period (kms-semantics §7).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from strongroom.domain.keys import KeyRecord, KeyState, has_all_material
from strongroom.domain.repositories import UnitOfWork
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import ValidationException
from strongroom.service.key_updates import update_key
from strongroom.service.keys import KeyIdRequest
from strongroom.service.lookup import authorized_key_id, locked_key
from strongroom.service.rotation import DAY, KeyIdResult

DEFAULT_PENDING_WINDOW_DAYS = 30
MIN_PENDING_WINDOW_DAYS = 7
MAX_PENDING_WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class ScheduleKeyDeletionRequest:
    key_id: str
    pending_window_in_days: int | None = None


@dataclass(frozen=True, slots=True)
class ScheduleKeyDeletionResult:
    key_id: str
    deletion_date: float
    key_state: str
    pending_window_in_days: int


async def schedule_key_deletion(
    ctx: ServiceContext, caller: Caller, req: ScheduleKeyDeletionRequest
) -> ScheduleKeyDeletionResult:
    days = req.pending_window_in_days
    if days is None:
        days = DEFAULT_PENDING_WINDOW_DAYS
    elif not MIN_PENDING_WINDOW_DAYS <= days <= MAX_PENDING_WINDOW_DAYS:
        # The model allows 1-365; KMS enforces 7-30.
        bound = "greater than or equal to 7" if days < 7 else "less than or equal to 30"
        raise ValidationException(
            f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to "
            f"satisfy constraint: Member must have value {bound}"
        )
    now = ctx.clock.now()
    record = await update_key(
        ctx,
        caller,
        req.key_id,
        "ScheduleKeyDeletion",
        lambda r: dataclasses.replace(
            r,
            state=KeyState.PENDING_DELETION,
            deletion_date=now + days * DAY,
            pending_window_days=days,
        ),
        {"kms:schedulekeydeletionpendingwindowindays": [str(days)]},
    )
    assert record.deletion_date is not None
    return ScheduleKeyDeletionResult(record.arn, record.deletion_date, record.state.value, days)


async def cancel_key_deletion(
    ctx: ServiceContext, caller: Caller, req: KeyIdRequest
) -> KeyIdResult:
    """The key goes to Disabled, or to PendingImport if it lacks imported material (§3.1)."""
    operation = "CancelKeyDeletion"
    key_id = await authorized_key_id(ctx, caller, req.key_id, operation)

    def write() -> KeyRecord:
        with ctx.store.unit_of_work() as uow:
            record = locked_key(uow, caller, key_id, operation)
            complete = has_all_material(uow.keys.versions(key_id))
            updated = dataclasses.replace(
                record,
                state=KeyState.DISABLED if complete else KeyState.PENDING_IMPORT,
                deletion_date=None,
                pending_window_days=None,
                revision=record.revision + 1,
            )
            uow.keys.update(updated)
            return updated

    record = await ctx.run(write)
    ctx.keys.invalidate(key_id)
    return KeyIdResult(record.arn)


def delete_if_due(uow: UnitOfWork, key_id: str, now: float) -> KeyRecord | None:
    """The deletion job's step for one key: lock, re-check, destroy. The deleted key, or None.

    Destroys every version's material, the aliases, tags and metadata in one
    transaction; re-checking under the lock keeps overlapping schedulers from
    acting twice.
    """
    record = uow.keys.get(key_id, for_update=True)
    if (
        record is None
        or record.state is not KeyState.PENDING_DELETION
        or record.deletion_date is None
        or record.deletion_date > now
    ):
        return None
    uow.keys.delete(key_id)
    return record
