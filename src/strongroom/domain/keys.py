"""KMS keys and their versions (key materials)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class KeyState(StrEnum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"
    PENDING_REPLICA_DELETION = "PendingReplicaDeletion"
    PENDING_IMPORT = "PendingImport"
    UNAVAILABLE = "Unavailable"
    CREATING = "Creating"
    UPDATING = "Updating"


@dataclass(frozen=True, slots=True)
class KeyVersion:
    """One key material of a key. ``version_id`` (32 bytes) is AWS's KeyMaterialId in hex.

    ``wrapped_material`` is the material wrapped by the root key; plaintext
    material never reaches this type. It is None when imported material was
    deleted or expired (AWS's ImportState PENDING_IMPORT): the version, its id
    and its description remain, so that the same material can be imported again.
    """

    key_id: str
    version_id: bytes
    wrapped_material: bytes | None
    # When the version became part of the key: its creation, or for imported
    # material pending rotation, its import and then the rotation that made it current.
    created_at: float
    # None for the key's first material; "AUTOMATIC" or "ON_DEMAND" for rotations.
    rotation_type: str | None = None
    # Imported material only (origin EXTERNAL): "KEY_MATERIAL_EXPIRES" or
    # "KEY_MATERIAL_DOES_NOT_EXPIRE" (None for generated material), the expiry
    # time, and the caller's KeyMaterialDescription.
    expiration_model: str | None = None
    valid_to: float | None = None
    description: str | None = None
    # Imported with ImportType NEW_KEY_MATERIAL into a key that already had
    # material: not used until RotateKeyOnDemand makes it current.
    pending_rotation: bool = False

    @property
    def has_material(self) -> bool:
        """Whether the material is present (False only for deleted or expired imported material)."""
        return self.wrapped_material is not None


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """The metadata of one KMS key; changes make a new record (``dataclasses.replace``)."""

    key_id: str
    account_id: str
    region: str
    arn: str
    key_spec: str
    key_usage: str
    origin: str
    key_manager: str
    state: KeyState
    description: str
    created_at: float
    # The current material; None only for an EXTERNAL key that never had material imported.
    primary_version_id: bytes | None
    # The stored key policy document; None means the default key policy.
    policy: str | None = None
    deletion_date: float | None = None
    pending_window_days: int | None = None
    multi_region: bool = False
    rotation_enabled: bool = False
    rotation_period_days: int | None = None
    next_rotation_at: float | None = None
    # Bumped on every update; lets caches and optimistic writers detect change.
    revision: int = 1

    @property
    def material_id(self) -> str:
        """The current KeyMaterialId (hex). Every key whose state allows crypto has one.

        Raises ValueError for a key that never had material (origin EXTERNAL, PendingImport).
        """
        if self.primary_version_id is None:
            raise ValueError(f"{self.arn} has no key material")
        return self.primary_version_id.hex()


def has_all_material(versions: Sequence[KeyVersion]) -> bool:
    """Whether a key with these versions can be used: it has some and none lacks its material.

    A key with imported material is Enabled (or Disabled) only while this holds,
    and PendingImport otherwise (kms-semantics §8).
    """
    return bool(versions) and all(v.has_material for v in versions)
