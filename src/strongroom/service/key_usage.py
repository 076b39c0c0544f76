"""GetKeyLastUsage: the last successful cryptographic operation on a key, from the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.audit import KeyUsage
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.keys import KeyIdRequest
from strongroom.service.lookup import cached_key


@dataclass(frozen=True, slots=True)
class KeyLastUsageData:
    operation: str | None = None
    timestamp: float | None = None
    cloud_trail_event_id: str | None = None
    kms_request_id: str | None = None


@dataclass(frozen=True, slots=True)
class GetKeyLastUsageResult:
    key_id: str
    key_last_usage: KeyLastUsageData
    tracking_start_date: float
    key_creation_date: float


async def get_key_last_usage(
    ctx: ServiceContext, caller: Caller, req: KeyIdRequest
) -> GetKeyLastUsageResult:
    """Answered from the audit trail's key usage, which the event's own transaction updates.

    Tracking starts when the key was created (every call is audited from the
    first); a key never used has an empty ``KeyLastUsage``.
    """
    key = await cached_key(ctx, caller, req.key_id, "GetKeyLastUsage", allow_alias=False)
    record = key.record

    def load() -> KeyUsage | None:
        with ctx.store.unit_of_work(write=False) as uow:
            return uow.audit.key_usage(record.arn)

    usage = await ctx.run(load)
    data = (
        KeyLastUsageData()
        if usage is None
        else KeyLastUsageData(usage.operation, usage.used_at, usage.event_id, usage.request_id)
    )
    return GetKeyLastUsageResult(record.arn, data, record.created_at, record.created_at)
