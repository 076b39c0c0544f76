"""Importing key material (BYOK): GetParametersForImport, ImportKeyMaterial,
DeleteImportedKeyMaterial, and the expiry the background job enforces (kms-semantics §8).

A key created with Origin EXTERNAL starts in PendingImport without versions.
Each imported material is a key version whose id is derived from the key and
the material (``DefaultKeyStore.imported_material_id``), so importing the same
material again finds its version, and ciphertexts made before the material was
deleted decrypt again after it is re-imported. Deleting or expiring material
clears the version's wrapped material (the version and its id remain) and puts
the key in PendingImport (unless it is pending deletion). A key is Enabled
only while every one of its materials is present.
"""

from __future__ import annotations

import dataclasses
import hmac
from dataclasses import dataclass

from strongroom.clock import iso_utc
from strongroom.crypto.import_tokens import ImportParameters, TokenExpired, TokenInvalid
from strongroom.crypto.key_import import (
    InvalidMaterial,
    UnwrapFailed,
    check_material,
    unwrap_material,
    wrapping_refusal,
)
from strongroom.domain.keys import KeyRecord, KeyState, KeyVersion, has_all_material
from strongroom.domain.repositories import UnitOfWork
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import (
    ExpiredImportTokenException,
    IncorrectKeyMaterialException,
    InvalidCiphertextException,
    InvalidImportTokenException,
    KMSInvalidStateException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.service.key_specs import SYMMETRIC_DEFAULT
from strongroom.service.keys import EXTERNAL, KEY_MATERIAL_EXPIRES
from strongroom.service.lookup import authorized_key_id, cached_key, locked_key
from strongroom.service.rotation import DAY

# An import token and its public key are valid this long (AWS: 24 hours).
PARAMETERS_LIFETIME = DAY
# ValidTo may be at most this far ahead (AWS: 365 days).
MAX_VALID_TO_AHEAD = 365 * DAY
KEY_MATERIAL_DOES_NOT_EXPIRE = "KEY_MATERIAL_DOES_NOT_EXPIRE"
NEW_KEY_MATERIAL = "NEW_KEY_MATERIAL"
EXISTING_KEY_MATERIAL = "EXISTING_KEY_MATERIAL"


def _require_external(record: KeyRecord) -> None:
    if record.origin != EXTERNAL:
        raise UnsupportedOperationException(
            f"{record.arn} origin is {record.origin} which is not valid for this operation."
        )


# --- GetParametersForImport -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GetParametersForImportRequest:
    key_id: str
    wrapping_algorithm: str
    wrapping_key_spec: str


@dataclass(frozen=True, slots=True)
class GetParametersForImportResult:
    key_id: str
    import_token: bytes
    public_key: bytes
    parameters_valid_to: float


async def get_parameters_for_import(
    ctx: ServiceContext, caller: Caller, req: GetParametersForImportRequest
) -> GetParametersForImportResult:
    key = await cached_key(
        ctx,
        caller,
        req.key_id,
        "GetParametersForImport",
        allow_alias=False,
        conditions={
            "kms:wrappingalgorithm": [req.wrapping_algorithm],
            "kms:wrappingkeyspec": [req.wrapping_key_spec],
        },
    )
    record = key.record
    _require_external(record)
    refusal = wrapping_refusal(req.wrapping_algorithm, req.wrapping_key_spec, record.key_spec)
    if refusal is not None:
        raise ValidationException(refusal)
    now = ctx.clock.now()
    # RSA key generation takes up to a second: never on the event loop.
    private, public = await ctx.run(
        lambda: ctx.keystore.wrapping_key(record.arn, req.wrapping_key_spec, now)
    )
    expires_at = now + PARAMETERS_LIFETIME
    token = ctx.keystore.seal_import_token(
        record.arn,
        ImportParameters(req.wrapping_algorithm, req.wrapping_key_spec, private, expires_at),
    )
    return GetParametersForImportResult(record.arn, token, public, expires_at)


# --- ImportKeyMaterial ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportKeyMaterialRequest:
    key_id: str
    import_token: bytes
    encrypted_key_material: bytes
    valid_to: float | None = None
    expiration_model: str | None = None
    import_type: str | None = None
    key_material_description: str | None = None
    key_material_id: str | None = None


@dataclass(frozen=True, slots=True)
class ImportKeyMaterialResult:
    key_id: str
    key_material_id: str


def _check_expiry(req: ImportKeyMaterialRequest, now: float) -> str:
    """The expiration model; raises ValidationException for a bad ValidTo."""
    model = req.expiration_model or KEY_MATERIAL_EXPIRES
    if model == KEY_MATERIAL_DOES_NOT_EXPIRE:
        if req.valid_to is not None:
            raise ValidationException(
                "A validTo date must not be set if the ExpirationModel is "
                "KEY_MATERIAL_DOES_NOT_EXPIRE"
            )
        return model
    if req.valid_to is None:
        raise ValidationException(
            "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"
        )
    if req.valid_to <= now:
        raise ValidationException("The validTo date must be in the future.")
    if req.valid_to > now + MAX_VALID_TO_AHEAD:
        raise ValidationException("The validTo date must be at most 365 days in the future.")
    return model


def _import_conditions(model: str, valid_to: float | None) -> dict[str, list[str]]:
    conditions = {"kms:expirationmodel": [model]}
    if valid_to is not None:
        conditions["kms:validto"] = [iso_utc(valid_to)]
    return conditions


def _open_material(
    ctx: ServiceContext, record: KeyRecord, req: ImportKeyMaterialRequest, now: float
) -> tuple[bytes, bytes]:
    """(material, material id) from the token and the encrypted material. Blocking (RSA)."""
    try:
        parameters = ctx.keystore.open_import_token(record.arn, req.import_token, now)
    except TokenInvalid:
        raise InvalidImportTokenException(
            f"The import token is invalid or does not belong to {record.arn}."
        ) from None
    except TokenExpired:
        raise ExpiredImportTokenException(
            "The import token has expired. Call GetParametersForImport for a new one."
        ) from None
    # A token's algorithm was checked against this key's spec when it was issued.
    try:
        raw = unwrap_material(
            parameters.wrapping_algorithm,
            parameters.wrapping_private_key,
            req.encrypted_key_material,
        )
    except UnwrapFailed:
        raise InvalidCiphertextException from None
    try:
        material = check_material(record.key_spec, raw)
    except InvalidMaterial as e:
        raise IncorrectKeyMaterialException(str(e)) from None
    return material, ctx.keystore.imported_material_id(record.arn, material)


def _choose_version(
    record: KeyRecord,
    versions: list[KeyVersion],
    material_id: bytes,
    req: ImportKeyMaterialRequest,
) -> KeyVersion | None:
    """The existing version this import refills, or None for new material.

    New material is the key's first, or (symmetric keys only, since the others
    refuse ImportType) material pending rotation. Raises
    IncorrectKeyMaterialException, KMSInvalidStateException or
    ValidationException as AWS does for the ImportType rules.
    """
    existing = next((v for v in versions if hmac.compare_digest(v.version_id, material_id)), None)
    symmetric = record.key_spec == SYMMETRIC_DEFAULT
    if not symmetric and (
        req.import_type is not None
        or req.key_material_id is not None
        or req.key_material_description is not None
    ):
        raise ValidationException(
            "ImportType, KeyMaterialId and KeyMaterialDescription are only valid for "
            "symmetric encryption keys."
        )
    import_type = req.import_type or (EXISTING_KEY_MATERIAL if versions else NEW_KEY_MATERIAL)
    if import_type == EXISTING_KEY_MATERIAL:
        if req.key_material_id is not None and not hmac.compare_digest(
            req.key_material_id.encode(), material_id.hex().encode()
        ):
            raise IncorrectKeyMaterialException(
                f"The key material does not match the key material id {req.key_material_id}."
            )
        if existing is None:
            raise IncorrectKeyMaterialException(
                f"The key material is not the key material previously imported into {record.arn}."
            )
        return existing
    # NEW_KEY_MATERIAL
    if req.key_material_id is not None:
        raise ValidationException(
            "KeyMaterialId cannot be specified when ImportType is NEW_KEY_MATERIAL."
        )
    if existing is not None:
        raise IncorrectKeyMaterialException(
            f"The key material is already associated with {record.arn}; "
            "import it with ImportType EXISTING_KEY_MATERIAL."
        )
    pending = next((v for v in versions if v.pending_rotation), None)
    if pending is not None:
        raise KMSInvalidStateException(
            f"New key material (id: {material_id.hex()}) cannot be imported into KMS key "
            f"{record.arn}, because another key material (id: {pending.version_id.hex()}) "
            "is pending rotation."
        )
    return None


def _state_after(record: KeyRecord, versions: list[KeyVersion]) -> KeyState:
    """The key's state once its materials are ``versions``: Enabled needs all of them."""
    complete = has_all_material(versions)
    if record.state is KeyState.PENDING_IMPORT and complete:
        return KeyState.ENABLED
    if record.state in (KeyState.ENABLED, KeyState.DISABLED) and not complete:
        return KeyState.PENDING_IMPORT
    return record.state


async def import_key_material(
    ctx: ServiceContext, caller: Caller, req: ImportKeyMaterialRequest
) -> ImportKeyMaterialResult:
    operation = "ImportKeyMaterial"
    now = ctx.clock.now()
    model = _check_expiry(req, now)
    valid_to = req.valid_to if model == KEY_MATERIAL_EXPIRES else None
    cached = await cached_key(
        ctx,
        caller,
        req.key_id,
        operation,
        allow_alias=False,
        conditions=_import_conditions(model, valid_to),
    )
    key_id = cached.record.key_id
    _require_external(cached.record)
    # The ARN and spec never change; the state is checked again under the lock below.
    material, material_id = await ctx.run(lambda: _open_material(ctx, cached.record, req, now))

    def write() -> KeyRecord:
        with ctx.store.unit_of_work() as uow:
            record = locked_key(uow, caller, key_id, operation)
            _require_external(record)
            versions = uow.keys.versions(key_id)
            existing = _choose_version(record, versions, material_id, req)
            wrapped = ctx.keystore.wrap(record.arn, material_id, record.key_spec, material)
            if existing is not None:
                version = dataclasses.replace(
                    existing,
                    wrapped_material=wrapped,
                    expiration_model=model,
                    valid_to=valid_to,
                    description=req.key_material_description
                    if req.key_material_description is not None
                    else existing.description,
                )
                uow.keys.update_version(version)
                versions = [version if v.version_id == material_id else v for v in versions]
            else:
                version = KeyVersion(
                    key_id=key_id,
                    version_id=material_id,
                    wrapped_material=wrapped,
                    created_at=now,
                    expiration_model=model,
                    valid_to=valid_to,
                    description=req.key_material_description,
                    # Material added to a key that has some waits for RotateKeyOnDemand.
                    pending_rotation=bool(versions),
                )
                uow.keys.add_version(version)
                versions = [*versions, version]
            updated = dataclasses.replace(
                record,
                primary_version_id=record.primary_version_id or material_id,
                state=_state_after(record, versions),
                revision=record.revision + 1,
            )
            uow.keys.update(updated)
            return updated

    record = await ctx.run(write)
    ctx.keys.invalidate(key_id)
    return ImportKeyMaterialResult(record.arn, material_id.hex())


# --- DeleteImportedKeyMaterial and expiry ---------------------------------------------


@dataclass(frozen=True, slots=True)
class DeleteImportedKeyMaterialRequest:
    key_id: str
    key_material_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteImportedKeyMaterialResult:
    key_id: str
    key_material_id: str | None = None


def remove_materials(
    uow: UnitOfWork, record: KeyRecord, versions: list[KeyVersion], doomed: list[KeyVersion]
) -> KeyRecord:
    """Delete the material of ``doomed`` versions of ``record`` inside ``uow``; the saved key.

    Material pending rotation goes away with its version (it never encrypted
    anything); other versions stay without material, so that the same material
    can be imported again. The key goes to PendingImport unless it is pending
    deletion. The caller reclaims the freed space after the commit.
    """
    gone = {v.version_id for v in doomed}
    remaining: list[KeyVersion] = []
    for version in versions:
        if version.version_id not in gone:
            remaining.append(version)
        elif version.pending_rotation:
            uow.keys.delete_version(record.key_id, version.version_id)
        else:
            cleared = dataclasses.replace(
                version, wrapped_material=None, expiration_model=None, valid_to=None
            )
            uow.keys.update_version(cleared)
            remaining.append(cleared)
    updated = dataclasses.replace(
        record, state=_state_after(record, remaining), revision=record.revision + 1
    )
    uow.keys.update(updated)
    return updated


async def delete_imported_key_material(
    ctx: ServiceContext, caller: Caller, req: DeleteImportedKeyMaterialRequest
) -> DeleteImportedKeyMaterialResult:
    operation = "DeleteImportedKeyMaterial"
    key_id = await authorized_key_id(ctx, caller, req.key_id, operation)

    def write() -> tuple[KeyRecord, KeyVersion | None]:
        with ctx.store.unit_of_work() as uow:
            record = locked_key(uow, caller, key_id, operation)
            _require_external(record)
            versions = uow.keys.versions(key_id)
            wanted = (
                record.primary_version_id
                if req.key_material_id is None
                else bytes.fromhex(req.key_material_id)
            )
            target = next((v for v in versions if v.version_id == wanted), None)
            if req.key_material_id is not None and target is None:
                raise ValidationException(
                    f"Key material {req.key_material_id} is not associated with {record.arn}."
                )
            if target is None or not target.has_material:
                # Nothing imported, or already deleted: no effect (kms-semantics §3.3).
                return record, target
            return remove_materials(uow, record, versions, [target]), target

    record, target = await ctx.run(write)
    ctx.keys.invalidate(key_id)
    if target is not None and target.has_material:
        # The rows that held the material can linger in database pages.
        await ctx.run(ctx.store.reclaim)
    return DeleteImportedKeyMaterialResult(
        record.arn, None if target is None else target.version_id.hex()
    )


def expire_if_due(uow: UnitOfWork, key_id: str, now: float) -> KeyRecord | None:
    """The import-expiry job's step for one key: lock, re-check, delete expired material.

    Returns the updated key, or None if nothing had expired (re-checked under
    the row lock, so overlapping schedulers never act twice).
    """
    record = uow.keys.get(key_id, for_update=True)
    if record is None:
        return None
    versions = uow.keys.versions(key_id)
    expired = [
        v for v in versions if v.has_material and v.valid_to is not None and v.valid_to <= now
    ]
    if not expired:
        return None
    return remove_materials(uow, record, versions, expired)
