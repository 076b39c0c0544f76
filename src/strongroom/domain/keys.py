"""KMS keys and their versions (key materials)."""

from __future__ import annotations

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
    material never reaches this type.
    """

    key_id: str
    version_id: bytes
    wrapped_material: bytes
    created_at: float
    # None for the key's first material; "AUTOMATIC" or "ON_DEMAND" for rotations.
    rotation_type: str | None = None


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
    primary_version_id: bytes
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
        return self.primary_version_id.hex()
