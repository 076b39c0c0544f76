"""DeriveSharedSecret: ECDH with a KEY_AGREEMENT key (kms-semantics §4.5)."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto import asymmetric
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import (
    DryRunOperationException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.service.lookup import cached_key, incompatible_algorithm, require_usage


@dataclass(frozen=True, slots=True)
class DeriveSharedSecretRequest:
    key_id: str
    key_agreement_algorithm: str
    public_key: bytes
    grant_tokens: list[str] | None = None
    dry_run: bool | None = None
    recipient: dict[str, object] | None = None


@dataclass(frozen=True, slots=True)
class DeriveSharedSecretResult:
    key_id: str
    shared_secret: bytes
    key_agreement_algorithm: str
    key_origin: str


async def derive_shared_secret(
    ctx: ServiceContext, caller: Caller, req: DeriveSharedSecretRequest
) -> DeriveSharedSecretResult:
    if req.recipient is not None:
        raise UnsupportedOperationException(
            "Recipient (attested enclave) requests are not supported by this server."
        )
    key = await cached_key(
        ctx,
        caller,
        req.key_id,
        "DeriveSharedSecret",
        conditions=lambda: {"kms:keyagreementalgorithm": [req.key_agreement_algorithm]},
        grant_tokens=req.grant_tokens,
    )
    record = key.record
    require_usage(record, "KEY_AGREEMENT", "DeriveSharedSecret")
    if req.key_agreement_algorithm != "ECDH":
        raise incompatible_algorithm(req.key_agreement_algorithm, record)
    assert key.private_key is not None
    try:
        secret = key.private_key.derive_shared_secret(req.public_key)
    except asymmetric.InvalidPeerKey:
        raise ValidationException(
            f"The public key must be a DER-encoded X.509 public key on the curve of {record.arn}."
        ) from None
    if req.dry_run:
        raise DryRunOperationException
    return DeriveSharedSecretResult(record.arn, secret, "ECDH", record.origin)
