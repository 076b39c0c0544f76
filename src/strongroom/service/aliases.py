"""Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases (kms-semantics §11)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.domain.aliases import Alias
from strongroom.domain.errors import Conflict
from strongroom.service.arns import alias_arn
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import (
    AlreadyExistsException,
    InvalidAliasNameException,
    LimitExceededException,
    NotFoundException,
    ValidationException,
)
from strongroom.service.keys import EmptyResult
from strongroom.service.lookup import (
    authorized_key_id,
    is_visible,
    key_id_of,
    key_not_found,
    locked_key,
)
from strongroom.service.markers import make_marker, read_marker

MAX_ALIASES_PER_KEY = 50
_PREFIX = "alias/"
_RESERVED_PREFIX = "alias/aws/"
# The documented character set; the model's pattern also admits ':', which AWS refuses.
_NAME = re.compile(r"alias/[a-zA-Z0-9/_-]+")


def _check_alias_name(name: str) -> None:
    if not name.startswith(_PREFIX):
        raise ValidationException(
            'Alias must start with the prefix "alias/". Please see '
            "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
        )
    if name.startswith(_RESERVED_PREFIX):
        raise InvalidAliasNameException(
            f"{name} must not begin with alias/aws/: that prefix is reserved for AWS managed keys."
        )
    if _NAME.fullmatch(name) is None:
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at 'aliasName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$"
        )


async def _authorize_alias(
    ctx: ServiceContext, caller: Caller, operation: str, name: str
) -> str | None:
    """Check the IAM half of an alias operation; return the alias's current target, if any.

    Alias operations need permission on the alias (identity policies) and on
    every key involved (key policies, checked by the callers).
    """
    await ctx.authorizer.check_account(
        caller, operation, alias_arn(caller.region, caller.account_id, name)
    )
    return await ctx.aliases.get(f"{caller.account_id}/{caller.region}/{name}")


async def _authorize_key(ctx: ServiceContext, caller: Caller, operation: str, key_id: str) -> None:
    cached = await ctx.keys.get(key_id)
    if cached is not None:
        await ctx.authorizer.check_key(caller, operation, cached)


def _alias_not_found(caller: Caller, name: str) -> NotFoundException:
    return NotFoundException(
        f"Alias {alias_arn(caller.region, caller.account_id, name)} is not found."
    )


@dataclass(frozen=True, slots=True)
class CreateAliasRequest:
    alias_name: str
    target_key_id: str


async def create_alias(ctx: ServiceContext, caller: Caller, req: CreateAliasRequest) -> EmptyResult:
    _check_alias_name(req.alias_name)
    await _authorize_alias(ctx, caller, "CreateAlias", req.alias_name)
    key_id = await authorized_key_id(ctx, caller, req.target_key_id, "CreateAlias")
    now = ctx.clock.now()

    def write() -> None:
        with ctx.store.unit_of_work() as uow:
            key = locked_key(uow, caller, key_id, "CreateAlias")
            if uow.aliases.count_for_key(key.key_id) >= MAX_ALIASES_PER_KEY:
                raise LimitExceededException(
                    f"A key may have at most {MAX_ALIASES_PER_KEY} aliases."
                )
            alias = Alias(caller.account_id, caller.region, req.alias_name, key.key_id, now, now)
            try:
                uow.aliases.insert(alias)
            except Conflict:
                raise AlreadyExistsException(
                    f"An alias with the name {alias.arn} already exists"
                ) from None

    await ctx.run(write)
    ctx.forget_alias(caller.account_id, caller.region, req.alias_name)
    ctx.keys.invalidate(key_id)
    return EmptyResult()


@dataclass(frozen=True, slots=True)
class UpdateAliasRequest:
    alias_name: str
    target_key_id: str


async def update_alias(ctx: ServiceContext, caller: Caller, req: UpdateAliasRequest) -> EmptyResult:
    _check_alias_name(req.alias_name)
    old_key_id = await _authorize_alias(ctx, caller, "UpdateAlias", req.alias_name)
    if old_key_id is not None:
        await _authorize_key(ctx, caller, "UpdateAlias", old_key_id)
    new_key_id = await authorized_key_id(ctx, caller, req.target_key_id, "UpdateAlias")
    now = ctx.clock.now()

    def write() -> None:
        with ctx.store.unit_of_work() as uow:
            alias = uow.aliases.get(caller.account_id, caller.region, req.alias_name)
            if alias is None:
                raise _alias_not_found(caller, req.alias_name)
            new_target = locked_key(uow, caller, new_key_id, "UpdateAlias")
            old_target = uow.keys.get(alias.target_key_id)
            if old_target is not None and (
                old_target.key_spec != new_target.key_spec
                or old_target.key_usage != new_target.key_usage
            ):
                raise ValidationException(
                    f"Alias {req.alias_name} cannot be changed from a key of spec "
                    f"{old_target.key_spec} and usage {old_target.key_usage} to a key of spec "
                    f"{new_target.key_spec} and usage {new_target.key_usage}."
                )
            if uow.aliases.count_for_key(new_target.key_id) >= MAX_ALIASES_PER_KEY:
                raise LimitExceededException(
                    f"A key may have at most {MAX_ALIASES_PER_KEY} aliases."
                )
            uow.aliases.update_target(
                caller.account_id, caller.region, req.alias_name, new_target.key_id, now
            )

    await ctx.run(write)
    ctx.forget_alias(caller.account_id, caller.region, req.alias_name)
    ctx.keys.invalidate(new_key_id)
    if old_key_id is not None:
        ctx.keys.invalidate(old_key_id)
    return EmptyResult()


@dataclass(frozen=True, slots=True)
class DeleteAliasRequest:
    alias_name: str


async def delete_alias(ctx: ServiceContext, caller: Caller, req: DeleteAliasRequest) -> EmptyResult:
    _check_alias_name(req.alias_name)
    target = await _authorize_alias(ctx, caller, "DeleteAlias", req.alias_name)
    if target is not None:
        await _authorize_key(ctx, caller, "DeleteAlias", target)

    def write() -> bool:
        with ctx.store.unit_of_work() as uow:
            return uow.aliases.delete(caller.account_id, caller.region, req.alias_name)

    deleted = await ctx.run(write)
    ctx.forget_alias(caller.account_id, caller.region, req.alias_name)
    if target is not None:
        ctx.keys.invalidate(target)
    if not deleted:
        raise _alias_not_found(caller, req.alias_name)
    return EmptyResult()


@dataclass(frozen=True, slots=True)
class ListAliasesRequest:
    key_id: str | None = None
    limit: int | None = None
    marker: str | None = None


@dataclass(frozen=True, slots=True)
class AliasListEntry:
    alias_name: str
    alias_arn: str
    target_key_id: str
    creation_date: float
    last_updated_date: float


@dataclass(frozen=True, slots=True)
class ListAliasesResult:
    aliases: list[AliasListEntry]
    truncated: bool
    next_marker: str | None = None


async def list_aliases(
    ctx: ServiceContext, caller: Caller, req: ListAliasesRequest
) -> ListAliasesResult:
    await ctx.authorizer.check_account(caller, "ListAliases")
    limit = req.limit or 50
    after = read_marker(req.marker)
    key_id = None if req.key_id is None else key_id_of(req.key_id, caller, "ListAliases")

    def read() -> list[Alias]:
        with ctx.store.unit_of_work(write=False) as uow:
            if key_id is not None:
                key = uow.keys.get(key_id)
                if key is None or not is_visible(key, caller):
                    raise key_not_found(caller, key_id)
            return uow.aliases.list(
                caller.account_id,
                caller.region,
                target_key_id=key_id,
                limit=limit + 1,
                after_name=after,
            )

    aliases = await ctx.run(read)
    page = aliases[:limit]
    truncated = len(aliases) > limit
    return ListAliasesResult(
        aliases=[
            AliasListEntry(a.name, a.arn, a.target_key_id, a.created_at, a.updated_at) for a in page
        ],
        truncated=truncated,
        next_marker=make_marker(page[-1].name) if truncated else None,
    )
