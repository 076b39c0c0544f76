"""The symmetric hot path: Encrypt, Decrypt, ReEncrypt, GenerateDataKey[WithoutPlaintext].

These run on the event loop and touch no database when the key is cached.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from strongroom.crypto import asymmetric, blob
from strongroom.crypto import encryption_context as ec_encoding
from strongroom.domain.keys import KeyRecord
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import (
    AccessDeniedException,
    DryRunOperationException,
    IncorrectKeyException,
    InvalidCiphertextException,
    InvalidKeyUsageException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.service.key_cache import CachedKey
from strongroom.service.key_specs import ENCRYPT_DECRYPT, SYMMETRIC_DEFAULT, algorithm_lists
from strongroom.service.lookup import cached_key, incompatible_algorithm, require_usage
from strongroom.service.request_info import current_request
from strongroom.service.states import check_state

IGNORE_CIPHERTEXT = "IGNORE_CIPHERTEXT"
_DATA_KEY_BYTES = {"AES_256": 32, "AES_128": 16}


def check_symmetric_use(record: KeyRecord, operation: str, algorithm: str | None) -> str:
    """The algorithm to use; raises InvalidKeyUsageException if the key cannot do this."""
    if record.key_usage != ENCRYPT_DECRYPT:
        raise InvalidKeyUsageException(
            f"{record.arn} key usage is {record.key_usage} which is not valid for {operation}."
        )
    algorithm = algorithm or SYMMETRIC_DEFAULT
    if algorithm != SYMMETRIC_DEFAULT or record.key_spec != SYMMETRIC_DEFAULT:
        raise InvalidKeyUsageException(
            f"Algorithm {algorithm} is incompatible with key spec {record.key_spec}."
        )
    return algorithm


def encryption_conditions(
    context: Mapping[str, str] | None, algorithm: str | None
) -> dict[str, Sequence[str]]:
    """The condition keys an encryption request brings (kms-semantics §9.4)."""
    conditions: dict[str, Sequence[str]] = {
        "kms:encryptionalgorithm": [algorithm or SYMMETRIC_DEFAULT]
    }
    if context:
        conditions["kms:encryptioncontextkeys"] = list(context)
        for name, value in context.items():
            conditions[f"kms:encryptioncontext:{name.lower()}"] = [value]
    return conditions


_ENCODED_CONTEXTS: dict[tuple[tuple[str, str], ...], bytes] = {}
_ENCODED_CONTEXTS_MAX = 1024


def _check_asymmetric_use(
    key: CachedKey, operation: str, algorithm: str | None, context: Mapping[str, str] | None
) -> str:
    """The RSA encryption algorithm to use; raises what AWS raises for a wrong one."""
    record = key.record
    require_usage(record, ENCRYPT_DECRYPT, operation)
    algorithm = algorithm or SYMMETRIC_DEFAULT
    if algorithm not in algorithm_lists(record.key_spec, record.key_usage).get(
        "encryption_algorithms", []
    ):
        raise incompatible_algorithm(algorithm, record)
    if context:
        raise ValidationException(
            f"EncryptionContext is not supported with asymmetric KMS keys ({record.arn})."
        )
    return algorithm


def _asymmetric_encrypt(key: CachedKey, algorithm: str, plaintext: bytes) -> bytes:
    assert key.private_key is not None
    try:
        return key.private_key.encrypt(algorithm, plaintext)
    except asymmetric.PlaintextTooLong as e:
        raise ValidationException(str(e)) from None


def _asymmetric_decrypt(key: CachedKey, algorithm: str, ciphertext: bytes) -> bytes:
    assert key.private_key is not None
    try:
        return key.private_key.decrypt(algorithm, ciphertext)
    except asymmetric.DecryptionFailed:
        raise InvalidCiphertextException from None


def encode_context(context: Mapping[str, str] | None) -> bytes:
    if not context:
        return ec_encoding.EMPTY
    # Applications reuse a handful of contexts: remember their encodings.
    memo_key = tuple(context.items())
    encoded = _ENCODED_CONTEXTS.get(memo_key)
    if encoded is not None:
        return encoded
    try:
        encoded = ec_encoding.encode(context)
    except ec_encoding.EncryptionContextTooLarge:
        raise ValidationException(
            f"Encryption context must not exceed {ec_encoding.MAX_ENCODED_LENGTH} bytes."
        ) from None
    if len(_ENCODED_CONTEXTS) >= _ENCODED_CONTEXTS_MAX:
        _ENCODED_CONTEXTS.clear()
    _ENCODED_CONTEXTS[memo_key] = encoded
    return encoded


def _reject_recipient(recipient: object) -> None:
    if recipient is not None:
        raise UnsupportedOperationException(
            "Recipient (attested enclave) requests are not supported by this server."
        )


def seal(key: CachedKey, plaintext: bytes, encoded_context: bytes) -> bytes:
    # A key whose state lets it encrypt has current material (primary_version_keys checks).
    return key.primary_version_keys.encrypt(plaintext, encoded_context)


# The hot path's request and result types are plain slotted dataclasses: a
# frozen one pays object.__setattr__ for every field on every request.


@dataclass(slots=True)
class EncryptRequest:
    key_id: str
    plaintext: bytes
    encryption_context: dict[str, str] | None = None
    grant_tokens: list[str] | None = None
    encryption_algorithm: str | None = None
    dry_run: bool | None = None


@dataclass(slots=True)
class EncryptResult:
    ciphertext_blob: bytes
    key_id: str
    encryption_algorithm: str


async def encrypt(ctx: ServiceContext, caller: Caller, req: EncryptRequest) -> EncryptResult:
    key = await cached_key(
        ctx,
        caller,
        req.key_id,
        "Encrypt",
        conditions=lambda: encryption_conditions(req.encryption_context, req.encryption_algorithm),
        grant_tokens=req.grant_tokens,
    )
    if key.private_key is not None:
        algorithm = _check_asymmetric_use(
            key, "Encrypt", req.encryption_algorithm, req.encryption_context
        )
        if req.dry_run:
            raise DryRunOperationException
        return EncryptResult(
            _asymmetric_encrypt(key, algorithm, req.plaintext), key.record.arn, algorithm
        )
    algorithm = check_symmetric_use(key.record, "Encrypt", req.encryption_algorithm)
    encoded_context = encode_context(req.encryption_context)
    if req.dry_run:
        raise DryRunOperationException
    return EncryptResult(seal(key, req.plaintext, encoded_context), key.record.arn, algorithm)


class _Opened(NamedTuple):
    key: CachedKey
    plaintext: bytes
    version_id: bytes
    algorithm: str


async def _open(
    ctx: ServiceContext,
    caller: Caller,
    operation: str,
    ciphertext: bytes,
    context: Mapping[str, str] | None,
    named: CachedKey | None,
    algorithm: str | None,
    action: str,
) -> _Opened:
    """Decrypt a symmetric blob for ``operation``, with every check Decrypt makes.

    ``action`` is the permission checked on the blob's key (Decrypt, ReEncryptFrom).
    """
    try:
        header = blob.parse_header(ciphertext)
    except blob.InvalidBlob:
        raise InvalidCiphertextException from None
    hit, key = ctx.keys.fresh(header.key_id)
    if not hit:
        key = await ctx.keys.get(header.key_id)
    if key is None:
        raise InvalidCiphertextException
    record = key.record
    if record.region != caller.region:
        raise InvalidCiphertextException
    current_request().add_key(record.arn)
    if named is not None:
        # The caller named a key (already resolved and authorized): it must be the blob's.
        if named.record.key_id != record.key_id:
            raise IncorrectKeyException
    else:
        # The blob names the key: it may belong to another account, whose key
        # policy then decides (with the caller's identity policies). A refusal
        # does not name the key: a ciphertext must not tell who made it.
        try:
            await ctx.authorizer.check_key(
                caller, action, key, lambda: encryption_conditions(context, algorithm)
            )
        except AccessDeniedException:
            raise AccessDeniedException(
                f"User: {caller.principal_arn} is not authorized to perform: kms:{action} on "
                "the resource associated with this ciphertext because the resource does not "
                "exist in this Region, no resource-based policies allow access, or a "
                "resource-based policy explicitly denies access"
            ) from None
    check_state(operation, record)
    algorithm = check_symmetric_use(record, operation, algorithm)
    keys = key.version_keys(header.version_id)
    if keys is None:
        # Another node may have rotated the key since this one cached it.
        ctx.keys.invalidate(header.key_id)
        reloaded = await ctx.keys.get(header.key_id)
        keys = None if reloaded is None else reloaded.version_keys(header.version_id)
        if keys is None:
            raise InvalidCiphertextException
    try:
        plaintext = keys.decrypt(ciphertext, encode_context(context))
    except blob.InvalidBlob:
        raise InvalidCiphertextException from None
    return _Opened(key, plaintext, header.version_id, algorithm)


def _require_ciphertext(
    ciphertext: bytes | None, dry_run: bool | None, modifiers: list[str] | None, key_id: str | None
) -> bool:
    """True if this is an authorization-only dry run (IGNORE_CIPHERTEXT)."""
    if dry_run and modifiers and IGNORE_CIPHERTEXT in modifiers:
        if key_id is None:
            raise ValidationException(
                "KeyId is required when the DryRunModifiers include IGNORE_CIPHERTEXT."
            )
        return True
    if ciphertext is None:
        raise ValidationException(
            "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy "
            "constraint: Member must not be null"
        )
    return False


@dataclass(slots=True)
class DecryptRequest:
    ciphertext_blob: bytes | None = None
    encryption_context: dict[str, str] | None = None
    grant_tokens: list[str] | None = None
    key_id: str | None = None
    encryption_algorithm: str | None = None
    recipient: dict[str, object] | None = None
    dry_run: bool | None = None
    dry_run_modifiers: list[str] | None = None


@dataclass(slots=True)
class DecryptResult:
    key_id: str
    plaintext: bytes
    encryption_algorithm: str
    # Only symmetric keys have material ids.
    key_material_id: str | None = None


async def decrypt(ctx: ServiceContext, caller: Caller, req: DecryptRequest) -> DecryptResult:
    _reject_recipient(req.recipient)
    authorization_only = _require_ciphertext(
        req.ciphertext_blob, req.dry_run, req.dry_run_modifiers, req.key_id
    )
    named = None
    if req.key_id is not None:
        named = await cached_key(
            ctx,
            caller,
            req.key_id,
            "Decrypt",
            conditions=lambda: encryption_conditions(
                req.encryption_context, req.encryption_algorithm
            ),
            grant_tokens=req.grant_tokens,
        )
    if named is not None and named.private_key is not None:
        # Asymmetric ciphertext is raw RSA output: the key and algorithm come from the request.
        algorithm = _check_asymmetric_use(
            named, "Decrypt", req.encryption_algorithm, req.encryption_context
        )
        if authorization_only:
            raise DryRunOperationException
        assert req.ciphertext_blob is not None
        plaintext = _asymmetric_decrypt(named, algorithm, req.ciphertext_blob)
        if req.dry_run:
            raise DryRunOperationException
        return DecryptResult(named.record.arn, plaintext, algorithm)
    if authorization_only:
        assert named is not None
        check_symmetric_use(named.record, "Decrypt", req.encryption_algorithm)
        raise DryRunOperationException
    assert req.ciphertext_blob is not None
    opened = await _open(
        ctx,
        caller,
        "Decrypt",
        req.ciphertext_blob,
        req.encryption_context,
        named,
        req.encryption_algorithm,
        "Decrypt",
    )
    if req.dry_run:
        raise DryRunOperationException
    return DecryptResult(
        opened.key.record.arn, opened.plaintext, opened.algorithm, opened.version_id.hex()
    )


@dataclass(slots=True)
class ReEncryptRequest:
    destination_key_id: str
    ciphertext_blob: bytes | None = None
    source_encryption_context: dict[str, str] | None = None
    source_key_id: str | None = None
    destination_encryption_context: dict[str, str] | None = None
    source_encryption_algorithm: str | None = None
    destination_encryption_algorithm: str | None = None
    grant_tokens: list[str] | None = None
    dry_run: bool | None = None
    dry_run_modifiers: list[str] | None = None


@dataclass(slots=True)
class ReEncryptResult:
    ciphertext_blob: bytes
    source_key_id: str
    key_id: str
    source_encryption_algorithm: str
    destination_encryption_algorithm: str
    source_key_material_id: str | None = None
    destination_key_material_id: str | None = None


async def re_encrypt(ctx: ServiceContext, caller: Caller, req: ReEncryptRequest) -> ReEncryptResult:
    authorization_only = _require_ciphertext(
        req.ciphertext_blob, req.dry_run, req.dry_run_modifiers, req.source_key_id
    )
    destination = await cached_key(
        ctx,
        caller,
        req.destination_key_id,
        "ReEncrypt",
        action="ReEncryptTo",
        conditions=lambda: encryption_conditions(
            req.destination_encryption_context, req.destination_encryption_algorithm
        ),
        grant_tokens=req.grant_tokens,
    )
    if destination.private_key is not None:
        destination_algorithm = _check_asymmetric_use(
            destination,
            "ReEncrypt",
            req.destination_encryption_algorithm,
            req.destination_encryption_context,
        )
        destination_context = b""
    else:
        destination_algorithm = check_symmetric_use(
            destination.record, "ReEncrypt", req.destination_encryption_algorithm
        )
        destination_context = encode_context(req.destination_encryption_context)
    source = None
    if req.source_key_id is not None:
        source = await cached_key(
            ctx,
            caller,
            req.source_key_id,
            "ReEncrypt",
            action="ReEncryptFrom",
            conditions=lambda: encryption_conditions(
                req.source_encryption_context, req.source_encryption_algorithm
            ),
            grant_tokens=req.grant_tokens,
        )
    if authorization_only:
        assert source is not None
        if source.private_key is not None:
            _check_asymmetric_use(
                source, "ReEncrypt", req.source_encryption_algorithm, req.source_encryption_context
            )
        else:
            check_symmetric_use(source.record, "ReEncrypt", req.source_encryption_algorithm)
        raise DryRunOperationException
    assert req.ciphertext_blob is not None
    if source is not None and source.private_key is not None:
        source_algorithm = _check_asymmetric_use(
            source, "ReEncrypt", req.source_encryption_algorithm, req.source_encryption_context
        )
        plaintext = _asymmetric_decrypt(source, source_algorithm, req.ciphertext_blob)
        source_key, source_material_id = source, None
    else:
        opened = await _open(
            ctx,
            caller,
            "ReEncrypt",
            req.ciphertext_blob,
            req.source_encryption_context,
            source,
            req.source_encryption_algorithm,
            "ReEncryptFrom",
        )
        plaintext, source_algorithm = opened.plaintext, opened.algorithm
        source_key, source_material_id = opened.key, opened.version_id.hex()
    if req.dry_run:
        raise DryRunOperationException
    if destination.private_key is not None:
        ciphertext = _asymmetric_encrypt(destination, destination_algorithm, plaintext)
        destination_material_id = None
    else:
        ciphertext = seal(destination, plaintext, destination_context)
        destination_material_id = destination.record.material_id
    return ReEncryptResult(
        ciphertext_blob=ciphertext,
        source_key_id=source_key.record.arn,
        key_id=destination.record.arn,
        source_encryption_algorithm=source_algorithm,
        destination_encryption_algorithm=destination_algorithm,
        source_key_material_id=source_material_id,
        destination_key_material_id=destination_material_id,
    )


@dataclass(slots=True)
class GenerateDataKeyRequest:
    key_id: str
    encryption_context: dict[str, str] | None = None
    number_of_bytes: int | None = None
    key_spec: str | None = None
    grant_tokens: list[str] | None = None
    recipient: dict[str, object] | None = None
    dry_run: bool | None = None


@dataclass(slots=True)
class GenerateDataKeyResult:
    ciphertext_blob: bytes
    key_id: str
    key_material_id: str
    plaintext: bytes | None = None


async def _generate_data_key(
    ctx: ServiceContext, caller: Caller, req: GenerateDataKeyRequest, operation: str
) -> GenerateDataKeyResult:
    _reject_recipient(req.recipient)
    if (req.number_of_bytes is None) == (req.key_spec is None):
        raise ValidationException("Please specify either number of bytes or key spec.")
    length = req.number_of_bytes or _DATA_KEY_BYTES[req.key_spec or "AES_256"]
    key = await cached_key(
        ctx,
        caller,
        req.key_id,
        operation,
        conditions=lambda: encryption_conditions(req.encryption_context, None),
        grant_tokens=req.grant_tokens,
    )
    check_symmetric_use(key.record, operation, None)
    encoded_context = encode_context(req.encryption_context)
    if req.dry_run:
        raise DryRunOperationException
    data_key = os.urandom(length)
    return GenerateDataKeyResult(
        ciphertext_blob=seal(key, data_key, encoded_context),
        key_id=key.record.arn,
        key_material_id=key.record.material_id,
        plaintext=data_key if operation == "GenerateDataKey" else None,
    )


# Plain functions handing back the shared coroutine: no frame of their own per call.


def generate_data_key(
    ctx: ServiceContext, caller: Caller, req: GenerateDataKeyRequest
) -> Awaitable[GenerateDataKeyResult]:
    return _generate_data_key(ctx, caller, req, "GenerateDataKey")


def generate_data_key_without_plaintext(
    ctx: ServiceContext, caller: Caller, req: GenerateDataKeyRequest
) -> Awaitable[GenerateDataKeyResult]:
    return _generate_data_key(ctx, caller, req, "GenerateDataKeyWithoutPlaintext")
