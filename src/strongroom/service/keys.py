"""Key management: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, EnableKey, DisableKey."""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from strongroom.crypto.key_import import IMPORTABLE_SPECS
from strongroom.domain.keys import KeyRecord, KeyState, KeyVersion
from strongroom.domain.tags import Tag
from strongroom.service.arns import key_arn
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import (
    MalformedPolicyDocumentException,
    UnsupportedOperationException,
)
from strongroom.service.key_specs import algorithm_lists, choose_spec_and_usage
from strongroom.service.key_updates import update_key
from strongroom.service.lookup import cached_key
from strongroom.service.markers import make_marker, read_marker
from strongroom.service.policy_documents import LOCKOUT_MESSAGE, check_policy_document
from strongroom.service.principal_checks import require_existing_principals
from strongroom.service.tag_rules import check_new_tags, check_tag_count

VERSION_ID_LENGTH = 32
EXTERNAL = "EXTERNAL"
KEY_MATERIAL_EXPIRES = "KEY_MATERIAL_EXPIRES"


@dataclass(frozen=True, slots=True)
class KeyMetadata:
    aws_account_id: str
    key_id: str
    arn: str
    creation_date: float
    enabled: bool
    description: str
    key_usage: str
    key_state: str
    origin: str
    key_manager: str
    customer_master_key_spec: str
    key_spec: str
    multi_region: bool
    encryption_algorithms: list[str] | None = None
    signing_algorithms: list[str] | None = None
    key_agreement_algorithms: list[str] | None = None
    mac_algorithms: list[str] | None = None
    deletion_date: float | None = None
    valid_to: float | None = None
    expiration_model: str | None = None
    current_key_material_id: str | None = None


def _expiry(record: KeyRecord, versions: Sequence[KeyVersion]) -> tuple[str | None, float | None]:
    """(ExpirationModel, ValidTo) of a key: for EXTERNAL keys only (kms-semantics §8).

    ValidTo is the earliest expiry among the materials present; the model is
    KEY_MATERIAL_EXPIRES when there is one, else that of the current material.
    """
    if record.origin != EXTERNAL:
        return None, None
    expiries = [v.valid_to for v in versions if v.has_material and v.valid_to is not None]
    if expiries:
        return KEY_MATERIAL_EXPIRES, min(expiries)
    current = next((v for v in versions if v.version_id == record.primary_version_id), None)
    if current is None or not current.has_material:
        return None, None
    return current.expiration_model, None


def key_metadata(record: KeyRecord, versions: Sequence[KeyVersion] = ()) -> KeyMetadata:
    """DescribeKey's KeyMetadata; ``versions`` supply the import expiry of EXTERNAL keys."""
    expiration_model, valid_to = _expiry(record, versions)
    return KeyMetadata(
        aws_account_id=record.account_id,
        key_id=record.key_id,
        arn=record.arn,
        creation_date=record.created_at,
        enabled=record.state is KeyState.ENABLED,
        description=record.description,
        key_usage=record.key_usage,
        key_state=record.state.value,
        origin=record.origin,
        key_manager=record.key_manager,
        customer_master_key_spec=record.key_spec,
        key_spec=record.key_spec,
        multi_region=record.multi_region,
        **algorithm_lists(record.key_spec, record.key_usage),
        deletion_date=record.deletion_date,
        valid_to=valid_to,
        expiration_model=expiration_model,
        # AWS shows material ids only for symmetric encryption keys.
        current_key_material_id=record.primary_version_id.hex()
        if record.key_spec == "SYMMETRIC_DEFAULT" and record.primary_version_id is not None
        else None,
    )


@dataclass(frozen=True, slots=True)
class CreateKeyRequest:
    policy: str | None = None
    description: str | None = None
    key_usage: str | None = None
    customer_master_key_spec: str | None = None
    key_spec: str | None = None
    origin: str | None = None
    custom_key_store_id: str | None = None
    bypass_policy_lockout_safety_check: bool | None = None
    tags: list[Tag] | None = None
    multi_region: bool | None = None
    xks_key_id: str | None = None


@dataclass(frozen=True, slots=True)
class KeyMetadataResult:
    key_metadata: KeyMetadata


async def create_key(
    ctx: ServiceContext, caller: Caller, req: CreateKeyRequest
) -> KeyMetadataResult:
    spec, usage = choose_spec_and_usage(req.key_spec, req.customer_master_key_spec, req.key_usage)
    origin = req.origin or "AWS_KMS"
    if (
        origin not in ("AWS_KMS", EXTERNAL)
        or req.custom_key_store_id is not None
        or req.xks_key_id is not None
    ):
        raise UnsupportedOperationException(
            f"Origin {origin} and custom key stores are not supported by this server yet."
        )
    if origin == EXTERNAL and spec not in IMPORTABLE_SPECS:
        raise UnsupportedOperationException(
            f"Origin EXTERNAL is not supported for keys with KeySpec {spec}."
        )
    if req.multi_region:
        raise UnsupportedOperationException("Multi-Region keys are not supported by this server.")
    parsed_policy = None if req.policy is None else check_policy_document(req.policy)
    if parsed_policy is not None:
        await require_existing_principals(ctx, parsed_policy)
    tags = req.tags or []
    check_new_tags(tags)
    check_tag_count([], tags)
    bypass = bool(req.bypass_policy_lockout_safety_check)
    await ctx.authorizer.check_account(
        caller,
        "CreateKey",
        conditions=lambda: {
            "kms:keyspec": [spec],
            "kms:customermasterkeyspec": [spec],
            "kms:keyusage": [usage],
            "kms:customermasterkeyusage": [usage],
            "kms:keyorigin": [origin],
            "kms:multiregion": ["false"],
            "kms:bypasspolicylockoutsafetycheck": ["true" if bypass else "false"],
        },
    )
    if tags:
        # Tagging at creation needs the tagging permission too (kms-semantics §12).
        await ctx.authorizer.check_account(caller, "TagResource")

    key_id = str(uuid.uuid4())
    arn = key_arn(caller.region, caller.account_id, key_id)
    if (
        parsed_policy is not None
        and not bypass
        and not await ctx.authorizer.keeps_access(caller, arn, caller.account_id, parsed_policy)
    ):
        raise MalformedPolicyDocumentException(LOCKOUT_MESSAGE)
    now = ctx.clock.now()
    version: KeyVersion | None = None
    if origin == EXTERNAL:
        # No material until ImportKeyMaterial; its id is derived from the material then.
        version_id = None
    else:
        version_id = secrets.token_bytes(VERSION_ID_LENGTH)
        # RSA key generation takes up to seconds: never on the event loop.
        material = await ctx.run(lambda: ctx.keystore.new_material(spec))
        version = KeyVersion(
            key_id=key_id,
            version_id=version_id,
            wrapped_material=ctx.keystore.wrap(arn, version_id, spec, material),
            created_at=now,
        )
    record = KeyRecord(
        key_id=key_id,
        account_id=caller.account_id,
        region=caller.region,
        arn=arn,
        key_spec=spec,
        key_usage=usage,
        origin=origin,
        key_manager="CUSTOMER",
        state=KeyState.PENDING_IMPORT if origin == EXTERNAL else KeyState.ENABLED,
        description=req.description or "",
        created_at=now,
        primary_version_id=version_id,
        policy=req.policy,
    )

    def write() -> None:
        with ctx.store.unit_of_work() as uow:
            uow.keys.insert(record, version)
            if tags:
                uow.tags.put(key_id, tags)

    await ctx.run(write)
    return KeyMetadataResult(key_metadata(record))


@dataclass(frozen=True, slots=True)
class DescribeKeyRequest:
    key_id: str
    grant_tokens: list[str] | None = None


async def describe_key(
    ctx: ServiceContext, caller: Caller, req: DescribeKeyRequest
) -> KeyMetadataResult:
    key = await cached_key(ctx, caller, req.key_id, "DescribeKey", grant_tokens=req.grant_tokens)
    return KeyMetadataResult(key_metadata(key.record, key.versions))


@dataclass(frozen=True, slots=True)
class ListKeysRequest:
    limit: int | None = None
    marker: str | None = None


@dataclass(frozen=True, slots=True)
class KeyListEntry:
    key_id: str
    key_arn: str


@dataclass(frozen=True, slots=True)
class ListKeysResult:
    keys: list[KeyListEntry]
    truncated: bool
    next_marker: str | None = None


async def list_keys(ctx: ServiceContext, caller: Caller, req: ListKeysRequest) -> ListKeysResult:
    await ctx.authorizer.check_account(caller, "ListKeys")
    limit = req.limit or 100
    after = read_marker(req.marker)

    def read() -> list[KeyRecord]:
        with ctx.store.unit_of_work(write=False) as uow:
            # One extra row tells whether there is a next page.
            return uow.keys.list(
                caller.account_id, caller.region, limit=limit + 1, after_key_id=after
            )

    records = await ctx.run(read)
    page = records[:limit]
    truncated = len(records) > limit
    return ListKeysResult(
        keys=[KeyListEntry(r.key_id, r.arn) for r in page],
        truncated=truncated,
        next_marker=make_marker(page[-1].key_id) if truncated else None,
    )


@dataclass(frozen=True, slots=True)
class UpdateKeyDescriptionRequest:
    key_id: str
    description: str


@dataclass(frozen=True, slots=True)
class KeyIdRequest:
    key_id: str


@dataclass(frozen=True, slots=True)
class EmptyResult:
    pass


async def update_key_description(
    ctx: ServiceContext, caller: Caller, req: UpdateKeyDescriptionRequest
) -> EmptyResult:
    await update_key(
        ctx,
        caller,
        req.key_id,
        "UpdateKeyDescription",
        lambda r: dataclasses.replace(r, description=req.description),
    )
    return EmptyResult()


async def enable_key(ctx: ServiceContext, caller: Caller, req: KeyIdRequest) -> EmptyResult:
    await update_key(
        ctx,
        caller,
        req.key_id,
        "EnableKey",
        lambda r: dataclasses.replace(r, state=KeyState.ENABLED),
    )
    return EmptyResult()


async def disable_key(ctx: ServiceContext, caller: Caller, req: KeyIdRequest) -> EmptyResult:
    await update_key(
        ctx,
        caller,
        req.key_id,
        "DisableKey",
        lambda r: dataclasses.replace(r, state=KeyState.DISABLED),
    )
    return EmptyResult()
