"""HMAC keys: GenerateMac, VerifyMac (kms-semantics §4.5)."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto import hmac_keys
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import DryRunOperationException, KMSInvalidMacException
from strongroom.service.key_cache import CachedKey
from strongroom.service.lookup import cached_key, incompatible_algorithm, require_usage

GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"


def _mac_key(key: CachedKey, operation: str, algorithm: str) -> bytes:
    record = key.record
    require_usage(record, GENERATE_VERIFY_MAC, operation)
    if hmac_keys.HMAC_SPECS.get(record.key_spec) != algorithm:
        raise incompatible_algorithm(algorithm, record)
    return key.primary_material


@dataclass(slots=True)
class GenerateMacRequest:
    message: bytes
    key_id: str
    mac_algorithm: str
    grant_tokens: list[str] | None = None
    dry_run: bool | None = None


@dataclass(slots=True)
class GenerateMacResult:
    mac: bytes
    mac_algorithm: str
    key_id: str


async def generate_mac(
    ctx: ServiceContext, caller: Caller, req: GenerateMacRequest
) -> GenerateMacResult:
    key = await cached_key(
        ctx,
        caller,
        req.key_id,
        "GenerateMac",
        conditions=lambda: {"kms:macalgorithm": [req.mac_algorithm]},
        grant_tokens=req.grant_tokens,
    )
    material = _mac_key(key, "GenerateMac", req.mac_algorithm)
    if req.dry_run:
        raise DryRunOperationException
    tag = hmac_keys.mac(key.record.key_spec, req.mac_algorithm, material, req.message)
    return GenerateMacResult(tag, req.mac_algorithm, key.record.arn)


@dataclass(slots=True)
class VerifyMacRequest:
    message: bytes
    key_id: str
    mac_algorithm: str
    mac: bytes
    grant_tokens: list[str] | None = None
    dry_run: bool | None = None


@dataclass(slots=True)
class VerifyMacResult:
    key_id: str
    mac_valid: bool
    mac_algorithm: str


async def verify_mac(ctx: ServiceContext, caller: Caller, req: VerifyMacRequest) -> VerifyMacResult:
    key = await cached_key(
        ctx,
        caller,
        req.key_id,
        "VerifyMac",
        conditions=lambda: {"kms:macalgorithm": [req.mac_algorithm]},
        grant_tokens=req.grant_tokens,
    )
    material = _mac_key(key, "VerifyMac", req.mac_algorithm)
    valid = hmac_keys.verify_mac(
        key.record.key_spec, req.mac_algorithm, material, req.message, req.mac
    )
    # A dry run still reports a signature or MAC that would fail (kms-semantics §5.3).
    if not valid:
        raise KMSInvalidMacException
    if req.dry_run:
        raise DryRunOperationException
    return VerifyMacResult(key.record.arn, True, req.mac_algorithm)
