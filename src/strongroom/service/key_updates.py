"""The one way a management operation changes a key's metadata."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from strongroom.domain.keys import KeyRecord
from strongroom.service.authorization import Conditions
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.lookup import authorized_key_id, locked_key


async def update_key(
    ctx: ServiceContext,
    caller: Caller,
    identifier: str,
    operation: str,
    change: Callable[[KeyRecord], KeyRecord],
    conditions: Conditions | None = None,
) -> KeyRecord:
    """Lock the key (id or ARN), check its state for ``operation``, apply ``change``, save.

    ``change`` may raise a KMS error to refuse; nothing is written then. The
    revision is bumped here, and this node's cached copy is dropped once the
    transaction has committed. Returns the saved record.
    """
    key_id = await authorized_key_id(ctx, caller, identifier, operation, conditions)

    def write() -> KeyRecord:
        with ctx.store.unit_of_work() as uow:
            record = locked_key(uow, caller, key_id, operation)
            updated = dataclasses.replace(change(record), revision=record.revision + 1)
            uow.keys.update(updated)
            return updated

    saved = await ctx.run(write)
    ctx.keys.invalidate(key_id)
    return saved
