"""GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext (kms-semantics §17).

The private key is sealed like an Encrypt result under a symmetric key, with the
encryption context, so Decrypt recovers it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from strongroom.crypto import asymmetric
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.crypto_ops import (
    check_symmetric_use,
    encode_context,
    encryption_conditions,
    seal,
)
from strongroom.service.errors import (
    DryRunOperationException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.service.lookup import cached_key


@dataclass(frozen=True, slots=True)
class GenerateDataKeyPairRequest:
    key_id: str
    key_pair_spec: str
    encryption_context: dict[str, str] | None = None
    grant_tokens: list[str] | None = None
    recipient: dict[str, object] | None = None
    dry_run: bool | None = None


@dataclass(frozen=True, slots=True)
class GenerateDataKeyPairResult:
    private_key_ciphertext_blob: bytes
    public_key: bytes
    key_id: str
    key_pair_spec: str
    key_material_id: str
    private_key_plaintext: bytes | None = None


async def _generate(
    ctx: ServiceContext, caller: Caller, req: GenerateDataKeyPairRequest, operation: str
) -> GenerateDataKeyPairResult:
    if req.recipient is not None:
        raise UnsupportedOperationException(
            "Recipient (attested enclave) requests are not supported by this server."
        )
    if req.key_pair_spec not in asymmetric.data_key_pair_specs():
        raise ValidationException(
            f"KeyPairSpec {req.key_pair_spec} is not supported by this server."
        )
    key = await cached_key(
        ctx,
        caller,
        req.key_id,
        operation,
        conditions=lambda: {
            **encryption_conditions(req.encryption_context, None),
            "kms:datakeypairspec": [req.key_pair_spec],
        },
        grant_tokens=req.grant_tokens,
    )
    check_symmetric_use(key.record, operation, None)
    encoded_context = encode_context(req.encryption_context)
    if req.dry_run:
        raise DryRunOperationException
    # RSA key generation takes milliseconds: keep it off the event loop.
    private_der, public_der = await asyncio.to_thread(
        asymmetric.generate_data_key_pair, req.key_pair_spec
    )
    return GenerateDataKeyPairResult(
        private_key_ciphertext_blob=seal(key, private_der, encoded_context),
        public_key=public_der,
        key_id=key.record.arn,
        key_pair_spec=req.key_pair_spec,
        key_material_id=key.record.material_id,
        private_key_plaintext=private_der if operation == "GenerateDataKeyPair" else None,
    )


async def generate_data_key_pair(
    ctx: ServiceContext, caller: Caller, req: GenerateDataKeyPairRequest
) -> GenerateDataKeyPairResult:
    return await _generate(ctx, caller, req, "GenerateDataKeyPair")


async def generate_data_key_pair_without_plaintext(
    ctx: ServiceContext, caller: Caller, req: GenerateDataKeyPairRequest
) -> GenerateDataKeyPairResult:
    return await _generate(ctx, caller, req, "GenerateDataKeyPairWithoutPlaintext")
