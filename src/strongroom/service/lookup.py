"""Finding the key an operation acts on, and checking that its state allows the operation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from strongroom.domain.keys import KeyRecord
from strongroom.domain.repositories import UnitOfWork
from strongroom.service import identifiers
from strongroom.service.arns import alias_arn, key_arn
from strongroom.service.authorization import Conditions
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import InvalidKeyUsageException, NotFoundException
from strongroom.service.grant_tokens import grant_ids_of
from strongroom.service.key_cache import CachedKey
from strongroom.service.managed_keys import ensure_managed_key, service_of
from strongroom.service.request_info import current_request
from strongroom.service.states import check_state


def key_not_found(caller: Caller, key_id: str) -> NotFoundException:
    return NotFoundException(
        f"Key '{key_arn(caller.region, caller.account_id, key_id)}' does not exist"
    )


def is_visible(record: KeyRecord, caller: Caller) -> bool:
    return record.account_id == caller.account_id and record.region == caller.region


# Operations that accept another account's key by ARN (kms-semantics §1, column X);
# for the others a foreign ARN is refused before any lookup.
CROSS_ACCOUNT = frozenset(
    {
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "Sign",
        "Verify",
        "GetPublicKey",
        "GenerateMac",
        "VerifyMac",
        "DeriveSharedSecret",
        "DescribeKey",
        "CreateGrant",
        "ListGrants",
        "RetireGrant",
        "RevokeGrant",
        "GetKeyRotationStatus",
    }
)


async def _resolve(
    ctx: ServiceContext, caller: Caller, identifier: str, operation: str, allow_alias: bool
) -> tuple[CachedKey, str | None]:
    """The cached key ``identifier`` names and the alias it was named by, if any."""
    ref = identifiers.parse(
        identifier,
        caller,
        operation,
        allow_alias=allow_alias,
        allow_other_account=operation in CROSS_ACCOUNT,
    )
    alias = None
    if isinstance(ref, identifiers.AliasRef):
        alias = ref.name
        qualified = f"{ref.account_id}/{caller.region}/{ref.name}"
        hit, target = ctx.aliases.fresh(qualified)
        if not hit:
            target = await ctx.aliases.get(qualified)
        service = service_of(ref.name)
        if target is None and ref.account_id == caller.account_id and service is not None:
            # A predefined alias/aws/<service>: its AWS managed key is made on first use,
            # by that service acting for the account, or by a principal allowed to
            # describe keys (as a DescribeKey on the alias does in AWS).
            if caller.via_service != service:
                await ctx.authorizer.check_account(caller, "DescribeKey")
            now = ctx.clock.now()
            target = await ctx.run(
                lambda: ensure_managed_key(
                    ctx.store, ctx.keystore, caller.account_id, caller.region, ref.name, now
                )
            )
            ctx.aliases.invalidate(qualified)
        if target is None:
            raise NotFoundException(
                f"Alias {alias_arn(caller.region, ref.account_id, ref.name)} is not found."
            )
        key_id = target
    else:
        key_id = ref.key_id
    hit, cached = ctx.keys.fresh(key_id)
    if not hit:
        cached = await ctx.keys.get(key_id)
    if (
        cached is None
        or cached.record.account_id != ref.account_id
        or cached.record.region != caller.region
    ):
        raise NotFoundException(
            f"Key '{key_arn(caller.region, ref.account_id, key_id)}' does not exist"
        )
    current_request().add_key(cached.record.arn)
    return cached, alias


def _with_alias(conditions: Conditions | None, alias: str) -> Conditions:
    """Add kms:RequestAlias: the alias the caller named the key by."""

    def build() -> Mapping[str, Sequence[str]]:
        base = conditions() if callable(conditions) else (conditions or {})
        return {**base, "kms:requestalias": [alias]}

    return build


async def cached_key(
    ctx: ServiceContext,
    caller: Caller,
    identifier: str,
    operation: str,
    *,
    allow_alias: bool = True,
    action: str | None = None,
    conditions: Conditions | None = None,
    grant_tokens: list[str] | None = None,
) -> CachedKey:
    """The key ``identifier`` names, from the node cache, authorized and state-checked.

    ``action`` is the permission when it differs from the operation (ReEncrypt
    needs ReEncryptFrom and ReEncryptTo); ``conditions`` are the request's own
    condition keys. Raises NotFoundException, AccessDeniedException or the
    state's error, in that order.
    """
    grant_ids = grant_ids_of(grant_tokens)
    cached, alias = await _resolve(ctx, caller, identifier, operation, allow_alias)
    if alias is not None:
        conditions = _with_alias(conditions, alias)
    await ctx.authorizer.check_key(caller, action or operation, cached, conditions, grant_ids)
    check_state(operation, cached.record)
    return cached


async def resolve_key(
    ctx: ServiceContext, caller: Caller, identifier: str, operation: str
) -> CachedKey:
    """The key a key id or ARN names, without authorization (the caller decides)."""
    cached, _ = await _resolve(ctx, caller, identifier, operation, False)
    return cached


async def authorized_key_id(
    ctx: ServiceContext,
    caller: Caller,
    identifier: str,
    operation: str,
    conditions: Conditions | None = None,
) -> str:
    """For management operations (key id or ARN only): the key id, once authorized.

    The state is checked later, under the row lock, by ``locked_key``.
    """
    cached, _ = await _resolve(ctx, caller, identifier, operation, False)
    await ctx.authorizer.check_key(caller, operation, cached, conditions)
    return cached.record.key_id


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
