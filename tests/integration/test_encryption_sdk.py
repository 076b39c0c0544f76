"""The AWS Encryption SDK (KMS master key provider) using the server as its KMS."""

from __future__ import annotations

import io
import os
from typing import Any

import aws_encryption_sdk
import pytest
from aws_encryption_sdk import CommitmentPolicy, StrictAwsKmsMasterKeyProvider
from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError
from aws_encryption_sdk.internal.formatting.deserialize import deserialize_header
from cryptography.exceptions import InvalidTag

from .helpers import EndpointBotocoreSession, Server, create_key

MESSAGE_SIZE = 1024 * 1024
CONTEXT = {"purpose": "integration-test", "tenant": "acme"}


@pytest.fixture(scope="module")
def sdk_client() -> aws_encryption_sdk.EncryptionSDKClient:
    return aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )


def provider(server: Server, *key_arns: str) -> StrictAwsKmsMasterKeyProvider:
    session = EndpointBotocoreSession(server.endpoint, server.credentials)
    return StrictAwsKmsMasterKeyProvider(key_ids=list(key_arns), botocore_session=session)


@pytest.fixture
def sealed(
    server: Server, kms: Any, sdk_client: aws_encryption_sdk.EncryptionSDKClient
) -> tuple[bytes, bytes, str]:
    """(plaintext, SDK message, key ARN) for a 1 MiB message."""
    key_arn = create_key(kms)["Arn"]
    plaintext = os.urandom(MESSAGE_SIZE)
    message, _header = sdk_client.encrypt(
        source=plaintext, key_provider=provider(server, key_arn), encryption_context=CONTEXT
    )
    return plaintext, message, key_arn


def test_sdk_round_trips_a_1_mib_message_with_an_encryption_context(
    server: Server,
    sdk_client: aws_encryption_sdk.EncryptionSDKClient,
    sealed: tuple[bytes, bytes, str],
) -> None:
    plaintext, message, key_arn = sealed
    assert plaintext not in message
    decrypted, header = sdk_client.decrypt(source=message, key_provider=provider(server, key_arn))
    assert decrypted == plaintext
    for name, value in CONTEXT.items():
        assert header.encryption_context[name] == value
    assert [edk.key_provider.key_info.decode() for edk in header.encrypted_data_keys] == [key_arn]


def test_sdk_message_can_carry_data_keys_for_two_kms_keys(
    server: Server, kms: Any, sdk_client: aws_encryption_sdk.EncryptionSDKClient
) -> None:
    first, second = create_key(kms)["Arn"], create_key(kms)["Arn"]
    message, _ = sdk_client.encrypt(
        source=b"two recipients",
        key_provider=provider(server, first, second),
        encryption_context=CONTEXT,
    )
    for arn in (first, second):
        decrypted, _ = sdk_client.decrypt(source=message, key_provider=provider(server, arn))
        assert decrypted == b"two recipients"


def test_sdk_rejects_a_message_with_a_modified_body(
    server: Server,
    sdk_client: aws_encryption_sdk.EncryptionSDKClient,
    sealed: tuple[bytes, bytes, str],
) -> None:
    _, message, key_arn = sealed
    tampered = bytearray(message)
    tampered[len(tampered) // 2] ^= 0x01
    # A modified frame fails its GCM tag inside the SDK (cryptography's InvalidTag).
    with pytest.raises((AWSEncryptionSDKClientError, InvalidTag)):
        sdk_client.decrypt(source=bytes(tampered), key_provider=provider(server, key_arn))


def test_sdk_cannot_decrypt_when_kms_rejects_the_modified_data_key(
    server: Server,
    sdk_client: aws_encryption_sdk.EncryptionSDKClient,
    sealed: tuple[bytes, bytes, str],
) -> None:
    _, message, key_arn = sealed
    header, _ = deserialize_header(io.BytesIO(message))
    (edk,) = header.encrypted_data_keys
    offset = message.index(edk.encrypted_data_key)
    tampered = bytearray(message)
    tampered[offset + len(edk.encrypted_data_key) // 2] ^= 0x01
    # The server answers InvalidCiphertextException, which the SDK reports as
    # "unable to decrypt any data key".
    with pytest.raises(AWSEncryptionSDKClientError):
        sdk_client.decrypt(source=bytes(tampered), key_provider=provider(server, key_arn))


def test_sdk_provider_for_another_key_cannot_decrypt(
    server: Server,
    kms: Any,
    sdk_client: aws_encryption_sdk.EncryptionSDKClient,
    sealed: tuple[bytes, bytes, str],
) -> None:
    _, message, _ = sealed
    stranger = create_key(kms)["Arn"]
    with pytest.raises(AWSEncryptionSDKClientError):
        sdk_client.decrypt(source=message, key_provider=provider(server, stranger))
