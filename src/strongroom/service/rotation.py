"""Rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
ListKeyRotations, and the rotation itself, shared with the automatic-rotation job
(kms-semantics §6).

A rotation adds a key version and makes it primary; no version is ever
overwritten or dropped, so every ciphertext made before any number of
rotations still decrypts. On-demand rotation completes within the call (AWS
runs it asynchronously); ``OnDemandRotationStartDate`` is therefore never shown.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

from strongroom.domain.keys import KeyRecord, KeyState, KeyVersion
from strongroom.domain.repositories import UnitOfWork
from strongroom.keystores.default import DefaultKeyStore
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import (
    ConflictException,
    InvalidMarkerException,
    KMSInvalidStateException,
    LimitExceededException,
    UnsupportedOperationException,
)
from strongroom.service.key_specs import SYMMETRIC_DEFAULT
from strongroom.service.key_updates import update_key
from strongroom.service.keys import EXTERNAL, VERSION_ID_LENGTH, EmptyResult, KeyIdRequest
from strongroom.service.lookup import authorized_key_id, cached_key, locked_key
from strongroom.service.markers import make_marker, read_marker

DAY = 86_400.0
DEFAULT_ROTATION_PERIOD_DAYS = 365
MAX_ON_DEMAND_ROTATIONS = 25
# RotateKeyOnDemand is refused when an automatic rotation is due this soon (§6).
ON_DEMAND_CONFLICT_WINDOW = 20 * 60.0
AUTOMATIC = "AUTOMATIC"
ON_DEMAND = "ON_DEMAND"


def check_rotatable(record: KeyRecord, *, imported: bool = False) -> None:
    """Raise UnsupportedOperationException unless the key's material can rotate.

    ``imported``: the operation also serves symmetric keys with imported
    material (RotateKeyOnDemand, ListKeyRotations, GetKeyRotationStatus);
    automatic rotation is for origin AWS_KMS only (kms-semantics §6).
    """
    if record.origin != "AWS_KMS" and not (imported and record.origin == EXTERNAL):
        raise UnsupportedOperationException(
            f"{record.arn} origin is {record.origin} which is not valid for this operation."
        )
    if record.key_spec != SYMMETRIC_DEFAULT or record.key_manager != "CUSTOMER":
        raise UnsupportedOperationException("")


def rotate(
    uow: UnitOfWork, keystore: DefaultKeyStore, record: KeyRecord, now: float, rotation_type: str
) -> KeyRecord:
    """Add a new primary version to ``record`` inside ``uow``; return the updated record."""
    version_id = secrets.token_bytes(VERSION_ID_LENGTH)
    material = keystore.new_symmetric_material()
    wrapped = keystore.wrap(record.arn, version_id, record.key_spec, material)
    uow.keys.add_version(KeyVersion(record.key_id, version_id, wrapped, now, rotation_type))
    updated = dataclasses.replace(
        record, primary_version_id=version_id, revision=record.revision + 1
    )
    if rotation_type == AUTOMATIC and record.rotation_period_days is not None:
        updated = dataclasses.replace(
            updated, next_rotation_at=now + record.rotation_period_days * DAY
        )
    uow.keys.update(updated)
    return updated


def rotate_in_imported(
    uow: UnitOfWork, record: KeyRecord, versions: list[KeyVersion], now: float
) -> KeyRecord:
    """Make the imported material pending rotation current (RotateKeyOnDemand of an EXTERNAL key).

    Raises KMSInvalidStateException when no material is pending rotation.
    """
    pending = next((v for v in versions if v.pending_rotation), None)
    if pending is None:
        raise KMSInvalidStateException(
            f"No available key material pending rotation for the key: {record.arn}."
        )
    uow.keys.update_version(
        dataclasses.replace(
            pending, pending_rotation=False, rotation_type=ON_DEMAND, created_at=now
        )
    )
    updated = dataclasses.replace(
        record, primary_version_id=pending.version_id, revision=record.revision + 1
    )
    uow.keys.update(updated)
    return updated


def rotate_if_due(uow: UnitOfWork, keystore: DefaultKeyStore, key_id: str, now: float) -> bool:
    """The automatic-rotation job's step for one key: lock it, re-check, rotate. True if rotated.

    Re-checking under the row lock is what keeps two schedulers that overlap
    from rotating the same key twice.
    """
    record = uow.keys.get(key_id, for_update=True)
    if (
        record is None
        or not record.rotation_enabled
        or record.state is not KeyState.ENABLED
        or record.next_rotation_at is None
        or record.next_rotation_at > now
    ):
        return False
    rotate(uow, keystore, record, now, AUTOMATIC)
    return True


@dataclass(frozen=True, slots=True)
class EnableKeyRotationRequest:
    key_id: str
    rotation_period_in_days: int | None = None


async def enable_key_rotation(
    ctx: ServiceContext, caller: Caller, req: EnableKeyRotationRequest
) -> EmptyResult:
    period = req.rotation_period_in_days or DEFAULT_ROTATION_PERIOD_DAYS
    now = ctx.clock.now()

    def change(record: KeyRecord) -> KeyRecord:
        check_rotatable(record)
        if record.rotation_enabled and record.next_rotation_at is not None:
            # A new period moves the next date relative to the last rotation (or enabling).
            base = record.next_rotation_at - (record.rotation_period_days or period) * DAY
        else:
            base = now
        return dataclasses.replace(
            record,
            rotation_enabled=True,
            rotation_period_days=period,
            next_rotation_at=base + period * DAY,
        )

    await update_key(
        ctx,
        caller,
        req.key_id,
        "EnableKeyRotation",
        change,
        {"kms:rotationperiodindays": [str(period)]},
    )
    return EmptyResult()


async def disable_key_rotation(
    ctx: ServiceContext, caller: Caller, req: KeyIdRequest
) -> EmptyResult:
    def change(record: KeyRecord) -> KeyRecord:
        check_rotatable(record)
        return dataclasses.replace(record, rotation_enabled=False, next_rotation_at=None)

    await update_key(ctx, caller, req.key_id, "DisableKeyRotation", change)
    return EmptyResult()


@dataclass(frozen=True, slots=True)
class GetKeyRotationStatusResult:
    key_rotation_enabled: bool
    key_id: str
    rotation_period_in_days: int | None = None
    next_rotation_date: float | None = None


async def get_key_rotation_status(
    ctx: ServiceContext, caller: Caller, req: KeyIdRequest
) -> GetKeyRotationStatusResult:
    key = await cached_key(ctx, caller, req.key_id, "GetKeyRotationStatus", allow_alias=False)
    record = key.record
    if record.key_manager != "AWS":
        # AWS managed keys rotate yearly, always; for the others, the usual checks.
        check_rotatable(record, imported=True)
    # A key pending deletion reports rotation off; cancelling restores the setting.
    enabled = record.rotation_enabled and record.state is not KeyState.PENDING_DELETION
    if not enabled:
        return GetKeyRotationStatusResult(False, record.arn)
    return GetKeyRotationStatusResult(
        True, record.arn, record.rotation_period_days, record.next_rotation_at
    )


@dataclass(frozen=True, slots=True)
class KeyIdResult:
    key_id: str


async def rotate_key_on_demand(
    ctx: ServiceContext, caller: Caller, req: KeyIdRequest
) -> KeyIdResult:
    key_id = await authorized_key_id(ctx, caller, req.key_id, "RotateKeyOnDemand")
    now = ctx.clock.now()

    def write() -> KeyRecord:
        with ctx.store.unit_of_work() as uow:
            record = locked_key(uow, caller, key_id, "RotateKeyOnDemand")
            check_rotatable(record, imported=True)
            versions = uow.keys.versions(key_id)
            on_demand = sum(1 for v in versions if v.rotation_type == ON_DEMAND)
            if on_demand >= MAX_ON_DEMAND_ROTATIONS:
                raise LimitExceededException(
                    "The on-demand rotations limit has been reached for the given keyId. No more "
                    f"on-demand rotations can be performed for this key: {record.arn}"
                )
            if record.origin == EXTERNAL:
                return rotate_in_imported(uow, record, versions, now)
            if (
                record.rotation_enabled
                and record.next_rotation_at is not None
                and record.next_rotation_at - now < ON_DEMAND_CONFLICT_WINDOW
            ):
                raise ConflictException(
                    f"An automatic rotation of {record.arn} is in progress or due within "
                    "20 minutes. Try again later."
                )
            return rotate(uow, ctx.keystore, record, now, ON_DEMAND)

    record = await ctx.run(write)
    ctx.keys.invalidate(key_id)
    return KeyIdResult(record.arn)


@dataclass(frozen=True, slots=True)
class ListKeyRotationsRequest:
    key_id: str
    include_key_material: str | None = None
    limit: int | None = None
    marker: str | None = None


@dataclass(frozen=True, slots=True)
class RotationsListEntry:
    key_id: str
    key_material_id: str
    key_material_state: str
    key_material_description: str | None = None
    import_state: str | None = None
    expiration_model: str | None = None
    valid_to: float | None = None
    rotation_date: float | None = None
    rotation_type: str | None = None


def _rotations_entry(
    record: KeyRecord, version: KeyVersion, current: bytes | None
) -> RotationsListEntry:
    if version.pending_rotation:
        state = "PENDING_ROTATION"
    else:
        state = "CURRENT" if version.version_id == current else "NON_CURRENT"
    entry = RotationsListEntry(
        key_id=record.arn,
        key_material_id=version.version_id.hex(),
        key_material_state=state,
        rotation_date=version.created_at if version.rotation_type else None,
        rotation_type=version.rotation_type,
    )
    if record.origin != EXTERNAL:
        return entry
    # The import fields are shown for symmetric keys with imported material only.
    return dataclasses.replace(
        entry,
        key_material_description=version.description,
        import_state="IMPORTED" if version.has_material else "PENDING_IMPORT",
        expiration_model=version.expiration_model,
        valid_to=version.valid_to,
    )


@dataclass(frozen=True, slots=True)
class ListKeyRotationsResult:
    rotations: list[RotationsListEntry]
    truncated: bool
    next_marker: str | None = None


async def list_key_rotations(
    ctx: ServiceContext, caller: Caller, req: ListKeyRotationsRequest
) -> ListKeyRotationsResult:
    key = await cached_key(ctx, caller, req.key_id, "ListKeyRotations", allow_alias=False)
    record = key.record
    check_rotatable(record, imported=True)
    limit = req.limit or 100
    after = read_marker(req.marker)

    def read() -> tuple[list[KeyVersion], bytes | None]:
        # The versions and the current one from one snapshot, never from the node cache.
        with ctx.store.unit_of_work(write=False) as uow:
            fresh = uow.keys.get(record.key_id)
            primary = record.primary_version_id if fresh is None else fresh.primary_version_id
            return uow.keys.versions(record.key_id), primary

    versions, current = await ctx.run(read)
    entries = [
        _rotations_entry(record, v, current)
        for v in versions
        if v.rotation_type is not None or req.include_key_material == "ALL_KEY_MATERIAL"
    ]
    # Markers carry the index of the next entry: versions are append-only, oldest first.
    start = 0
    if after is not None:
        if not after.isdigit():
            raise InvalidMarkerException("Invalid marker")
        start = int(after)
    page = entries[start : start + limit]
    truncated = start + limit < len(entries)
    return ListKeyRotationsResult(
        rotations=page,
        truncated=truncated,
        next_marker=make_marker(str(start + limit)) if truncated else None,
    )
