"""Asymmetric signatures: Sign, Verify, GetPublicKey (kms-semantics §4.4, §4.5)."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto import asymmetric
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import (
    DryRunOperationException,
    KMSInvalidSignatureException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.service.key_cache import CachedKey
from strongroom.service.key_specs import algorithm_lists
from strongroom.service.lookup import cached_key, incompatible_algorithm, require_usage

SIGN_VERIFY = "SIGN_VERIFY"


def _signing_key(key: CachedKey, operation: str, algorithm: str) -> asymmetric.AsymmetricKey:
    record = key.record
    require_usage(record, SIGN_VERIFY, operation)
    if algorithm not in algorithm_lists(record.key_spec, record.key_usage).get(
        "signing_algorithms", []
    ):
        raise incompatible_algorithm(algorithm, record)
    assert key.private_key is not None
    return key.private_key


@dataclass(slots=True)
class SignRequest:
    key_id: str
    message: bytes
    signing_algorithm: str
    message_type: str | None = None
    grant_tokens: list[str] | None = None
    dry_run: bool | None = None


@dataclass(slots=True)
class SignResult:
    key_id: str
    signature: bytes
    signing_algorithm: str


def _sign_errors(e: asymmetric.AsymmetricError) -> Exception:
    if isinstance(e, asymmetric.InvalidDigestLength | asymmetric.InvalidMessageType):
        return ValidationException(str(e))
    return e


async def sign(ctx: ServiceContext, caller: Caller, req: SignRequest) -> SignResult:
    key = await cached_key(
        ctx,
        caller,
        req.key_id,
        "Sign",
        conditions=lambda: {
            "kms:signingalgorithm": [req.signing_algorithm],
            "kms:messagetype": [req.message_type or "RAW"],
        },
        grant_tokens=req.grant_tokens,
    )
    private_key = _signing_key(key, "Sign", req.signing_algorithm)
    message_type = req.message_type or "RAW"
    try:
        # A dry run signs too: that is what checks the message type and digest length.
        signature = private_key.sign(req.signing_algorithm, req.message, message_type)
    except asymmetric.AsymmetricError as e:
        raise _sign_errors(e) from None
    if req.dry_run:
        raise DryRunOperationException
    return SignResult(key.record.arn, signature, req.signing_algorithm)


@dataclass(slots=True)
class VerifyRequest:
    key_id: str
    message: bytes
    signature: bytes
    signing_algorithm: str
    message_type: str | None = None
    grant_tokens: list[str] | None = None
    dry_run: bool | None = None


@dataclass(slots=True)
class VerifyResult:
    key_id: str
    signature_valid: bool
    signing_algorithm: str


async def verify(ctx: ServiceContext, caller: Caller, req: VerifyRequest) -> VerifyResult:
    key = await cached_key(
        ctx,
        caller,
        req.key_id,
        "Verify",
        conditions=lambda: {
            "kms:signingalgorithm": [req.signing_algorithm],
            "kms:messagetype": [req.message_type or "RAW"],
        },
        grant_tokens=req.grant_tokens,
    )
    private_key = _signing_key(key, "Verify", req.signing_algorithm)
    try:
        valid = private_key.verify(
            req.signing_algorithm, req.message, req.message_type or "RAW", req.signature
        )
    except asymmetric.AsymmetricError as e:
        raise _sign_errors(e) from None
    # A dry run still reports a signature or MAC that would fail (kms-semantics §5.3).
    if not valid:
        raise KMSInvalidSignatureException
    if req.dry_run:
        raise DryRunOperationException
    return VerifyResult(key.record.arn, True, req.signing_algorithm)


@dataclass(frozen=True, slots=True)
class GetPublicKeyRequest:
    key_id: str
    grant_tokens: list[str] | None = None


@dataclass(frozen=True, slots=True)
class GetPublicKeyResult:
    key_id: str
    public_key: bytes
    customer_master_key_spec: str
    key_spec: str
    key_usage: str
    encryption_algorithms: list[str] | None = None
    signing_algorithms: list[str] | None = None
    key_agreement_algorithms: list[str] | None = None


async def get_public_key(
    ctx: ServiceContext, caller: Caller, req: GetPublicKeyRequest
) -> GetPublicKeyResult:
    # A Disabled key fails with DisabledException, as the documentation says
    # (the live service has been seen answering anyway): the conservative choice.
    key = await cached_key(ctx, caller, req.key_id, "GetPublicKey", grant_tokens=req.grant_tokens)
    record = key.record
    if key.private_key is None:
        raise UnsupportedOperationException(
            f"{record.arn} key spec is {record.key_spec}, which has no public key."
        )
    return GetPublicKeyResult(
        key_id=record.arn,
        public_key=key.private_key.public_key_der(),
        customer_master_key_spec=record.key_spec,
        key_spec=record.key_spec,
        key_usage=record.key_usage,
        **algorithm_lists(record.key_spec, record.key_usage),
    )
