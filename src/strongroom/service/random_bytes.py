"""GenerateRandom."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import CustomKeyStoreNotFoundException, ValidationException


@dataclass(frozen=True, slots=True)
class GenerateRandomRequest:
    number_of_bytes: int | None = None
    custom_key_store_id: str | None = None
    recipient: dict[str, object] | None = None


@dataclass(frozen=True, slots=True)
class GenerateRandomResult:
    plaintext: bytes


async def generate_random(
    ctx: ServiceContext, caller: Caller, req: GenerateRandomRequest
) -> GenerateRandomResult:
    if req.number_of_bytes is None:
        raise ValidationException("NumberOfBytes is required.")
    await ctx.authorizer.check_account(caller, "GenerateRandom")
    if req.custom_key_store_id is not None:
        raise CustomKeyStoreNotFoundException("")
    if req.recipient is not None:
        raise ValidationException("Recipient is not supported by this server.")
    return GenerateRandomResult(secrets.token_bytes(req.number_of_bytes))
