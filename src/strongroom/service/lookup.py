"""Finding the key an operation acts on, and checking that its state allows the operation."""

from __future__ import annotations

from strongroom.domain.keys import KeyRecord
from strongroom.domain.repositories import UnitOfWork
from strongroom.service import identifiers
from strongroom.service.arns import alias_arn, key_arn
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import InvalidKeyUsageException, NotFoundException
from strongroom.service.key_cache import CachedKey
from strongroom.service.states import check_state


def key_not_found(caller: Caller, key_id: str) -> NotFoundException:
    return NotFoundException(
        f"Key '{key_arn(caller.region, caller.account_id, key_id)}' does not exist"
    )


def is_visible(record: KeyRecord, caller: Caller) -> bool:
    return record.account_id == caller.account_id and record.region == caller.region


async def cached_key(
    ctx: ServiceContext,
    caller: Caller,
    identifier: str,
    operation: str,
    *,
    allow_alias: bool = True,
) -> CachedKey:
    """The key ``identifier`` names, from the node cache, after the state check for ``operation``.

    Raises NotFoundException, AccessDeniedException or the state's error.
    """
    ref = identifiers.parse(identifier, caller, operation, allow_alias=allow_alias)
    if isinstance(ref, identifiers.AliasRef):
        qualified = f"{caller.account_id}/{caller.region}/{ref.name}"
        hit, target = ctx.aliases.fresh(qualified)
        if not hit:
            target = await ctx.aliases.get(qualified)
        if target is None:
            raise NotFoundException(
                f"Alias {alias_arn(caller.region, caller.account_id, ref.name)} is not found."
            )
        key_id = target
    else:
        key_id = ref.key_id
    hit, cached = ctx.keys.fresh(key_id)
    if not hit:
        cached = await ctx.keys.get(key_id)
    if cached is None or not is_visible(cached.record, caller):
        raise key_not_found(caller, key_id)
    check_state(operation, cached.record)
    return cached


def key_id_of(identifier: str, caller: Caller, operation: str) -> str:
    """The key id of a key id or key ARN (operations that take no alias)."""
    ref = identifiers.parse(identifier, caller, operation, allow_alias=False)
    assert isinstance(ref, identifiers.KeyRef)
    return ref.key_id


def locked_key(uow: UnitOfWork, caller: Caller, key_id: str, operation: str) -> KeyRecord:
    """The key, locked for update in ``uow``, after the state check. Raises NotFoundException."""
    record = uow.keys.get(key_id, for_update=True)
    if record is None or not is_visible(record, caller):
        raise key_not_found(caller, key_id)
    check_state(operation, record)
    return record


def require_usage(record: KeyRecord, usage: str, operation: str) -> None:
    """Raise InvalidKeyUsageException unless the key's usage is ``usage``."""
    if record.key_usage != usage:
        raise InvalidKeyUsageException(
            f"{record.arn} key usage is {record.key_usage} which is not valid for {operation}."
        )


def incompatible_algorithm(algorithm: str, record: KeyRecord) -> InvalidKeyUsageException:
    return InvalidKeyUsageException(
        f"Algorithm {algorithm} is incompatible with key spec {record.key_spec}."
    )
