"""Configuration, read in one place.

Sources, highest priority first: explicit values (command-line options),
environment variables ``STRONGROOM_<NAME>``, the TOML file named by
``STRONGROOM_CONFIG`` (or ``<data_dir>/strongroom.toml`` if present), defaults.
``Settings`` is frozen and built once at startup; nothing else reads the
environment.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(Exception):
    """A setting is invalid. The message names the setting, never a secret's value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STRONGROOM_", frozen=True, extra="forbid")

    data_dir: Path = Path("./data")
    # Empty means the embedded SQLite database <data_dir>/strongroom.db.
    database_url: SecretStr = SecretStr("")
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=256)
    # How long a node may serve cached key metadata, material and credentials
    # before reading them again: the bound on cross-node staleness.
    cache_ttl_seconds: float = Field(default=2.0, ge=0.0, le=300.0)
    max_clock_skew_seconds: float = Field(default=300.0, gt=0.0, le=3600.0)
    max_body_bytes: int = Field(default=1_048_576, ge=8192)
    log_level: str = "INFO"
    # Enables the admin call that moves the server's clock. Never in production.
    test_mode: bool = False
    default_region: str = "us-east-1"
    # How often the background jobs (due rotations, deletions) run.
    job_interval_seconds: float = Field(default=30.0, gt=0.0, le=3600.0)
    # The audit trail (docs/operations.md, "Audit trail"). Off only for benchmarks:
    # without it calls leave no record.
    audit_enabled: bool = True
    # Events older than this are pruned, up to a signed digest; 0 keeps them forever.
    audit_retention_days: float = Field(default=365.0, ge=0.0)
    # How often a signed digest of the chain is written (and pruning runs).
    audit_digest_interval_seconds: float = Field(default=300.0, gt=0.0, le=86400.0)
    # Group commit: at most this many events per transaction, and how long the
    # writer waits for more after the first (0: commit at once; batches form
    # while a commit is in flight).
    audit_max_batch: int = Field(default=512, ge=1, le=100_000)
    audit_max_wait_seconds: float = Field(default=0.0, ge=0.0, le=1.0)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    @property
    def root_key_path(self) -> Path:
        return self.data_dir / "root.key"

    @property
    def test_clock_path(self) -> Path:
        return self.data_dir / "test-clock-offset"

    @property
    def credentials_path(self) -> Path:
        return self.data_dir / "credentials"

    @property
    def aws_config_path(self) -> Path:
        return self.data_dir / "config"

    def resolved_database_url(self) -> str:
        url = self.database_url.get_secret_value()
        if url:
            return url
        return f"sqlite:///{(self.data_dir / 'strongroom.db').resolve()}"

    def is_sqlite(self) -> bool:
        return self.resolved_database_url().startswith("sqlite")


def _config_file_values(environ: dict[str, str], data_dir: Path | None) -> dict[str, Any]:
    named = environ.get("STRONGROOM_CONFIG")
    path = Path(named) if named else (data_dir / "strongroom.toml" if data_dir else None)
    if path is None or not path.exists():
        if named:
            raise SettingsError(f"STRONGROOM_CONFIG: no such file {named}")
        return {}
    try:
        with path.open("rb") as f:
            values = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SettingsError(f"config file {path}: {e}") from None
    section = values.get("strongroom", values)
    if not isinstance(section, dict):
        raise SettingsError(f"config file {path}: [strongroom] must be a table")
    return section


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from overrides, the environment and the config file.

    Raises SettingsError naming the offending setting.
    """
    explicit = {k: v for k, v in overrides.items() if v is not None}
    environ = dict(os.environ)
    data_dir = explicit.get("data_dir") or environ.get("STRONGROOM_DATA_DIR")
    file_values = _config_file_values(environ, Path(data_dir) if data_dir else None)
    env_names = {name for name in Settings.model_fields if f"STRONGROOM_{name.upper()}" in environ}
    # File values are the lowest-priority explicit source: drop those the
    # environment or the command line set.
    merged = {k: v for k, v in file_values.items() if k not in env_names}
    merged.update(explicit)
    try:
        return Settings(**merged)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from None
