"""Recording what the server does by itself, in the transaction that does it."""

from __future__ import annotations

from typing import Any

from strongroom.audit.chain import append
from strongroom.audit.events import service_event
from strongroom.domain.repositories import UnitOfWork


def record_service_event(
    uow: UnitOfWork,
    event_name: str,
    key_arn: str,
    time: float,
    details: dict[str, Any] | None = None,
) -> None:
    """Append an AwsServiceEvent (RotateKey, DeleteKey, DeleteExpiredKeyMaterial…) in ``uow``.

    Called inside the unit of work that makes the change, so the change and its
    event commit together or not at all.
    """
    append(
        uow.audit,
        [service_event(time=time, event_name=event_name, key_arn=key_arn, details=details)],
    )
