"""The benchmark's scenarios: one row per scenario in :data:`SCENARIOS`.

A scenario names a KMS operation and builds its parameters in boto3's form
(bytes for blobs). The same parameters serve twice: once through a normal
boto3 call, whose answer ``check`` verifies (so a scenario that "runs fast"
because it fails is caught), and once as the JSON body of the pre-signed
request that wrk replays.

Adding a scenario is a few lines: a check, and a row in :data:`SCENARIOS`. The
``sign-p256`` row is a typical one: its ``setup`` (``make_key``) creates the
signing key and leaves its id in ``fixture.state``, ``params`` (``sign_params``)
builds the Sign request around it, and ``check_signature`` has Verify accept the
signature. A row without a target (``target_ratio=None``) is reported only: its
ratio is shown, with ``-`` in the target and result columns.

``setup`` runs after the benchmark key exists (``fixture.key_id``) and before
the scenario's check; state it leaves in ``fixture.state`` lasts for the
server's lifetime (one ``--workers`` value).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

# Two entries, as a typical envelope-encryption caller sends.
ENCRYPTION_CONTEXT = {"purpose": "strongroom-bench", "tenant": "tenant-0001"}
# The example key id from the AWS documentation: the same length as a real one.
PLACEHOLDER_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


class CheckFailed(AssertionError):
    """A scenario's boto3 call did not give the expected answer."""


@dataclass
class Fixture:
    """What scenarios build on: a KMS client, the benchmark key, fixed plaintexts.

    ``state`` holds whatever a scenario's ``setup`` prepares (a ciphertext, a
    signing key), by name.
    """

    kms: Any = None
    key_id: str = PLACEHOLDER_KEY_ID
    context: dict[str, str] = field(default_factory=lambda: dict(ENCRYPTION_CONTEXT))
    state: dict[str, Any] = field(default_factory=dict)
    _plaintexts: dict[int, bytes] = field(default_factory=dict)

    def plaintext(self, size: int) -> bytes:
        """Random bytes of ``size``, the same ones for the whole run."""
        return self._plaintexts.setdefault(size, os.urandom(size))


Params = dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    """One benchmark scenario.

    ``params`` builds the request in boto3's form; ``setup`` runs once before
    (it may fill ``fixture.state``); ``check`` verifies a boto3 answer to the
    same parameters; ``reply_keys`` must appear in the raw JSON answer to the
    pre-signed request. ``target_ratio`` is the minimum req/s relative to the
    baseline, or None for no target.
    """

    name: str
    operation: str
    params: Callable[[Fixture], Params]
    check: Callable[[Fixture, Params, dict[str, Any]], None] | None
    reply_keys: tuple[str, ...]
    target_ratio: float | None
    setup: Callable[[Fixture], None] | None = None
    server: Literal["strongroom", "baseline"] = "strongroom"

    def call(self, fixture: Fixture, params: Params) -> dict[str, Any]:
        """Make the scenario's request once with boto3 and return the answer."""
        method = getattr(fixture.kms, _snake_case(self.operation))
        answer: dict[str, Any] = method(**params)
        return answer


def _snake_case(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


def _decrypts_to(fixture: Fixture, blob: bytes, plaintext: bytes) -> None:
    answer = fixture.kms.decrypt(CiphertextBlob=blob, EncryptionContext=fixture.context)
    if answer["Plaintext"] != plaintext:
        raise CheckFailed("Decrypt did not return the plaintext that was encrypted")


def check_encrypt(fixture: Fixture, params: Params, answer: dict[str, Any]) -> None:
    """Encrypt's ciphertext decrypts, with the same context, to the plaintext sent."""
    _decrypts_to(fixture, answer["CiphertextBlob"], params["Plaintext"])


def check_decrypt(fixture: Fixture, params: Params, answer: dict[str, Any]) -> None:
    """Decrypt returns the plaintext the ciphertext was made from."""
    if answer["Plaintext"] != fixture.state["decrypt_plaintext"]:
        raise CheckFailed("Decrypt did not return the original plaintext")


def check_data_key(fixture: Fixture, params: Params, answer: dict[str, Any]) -> None:
    """GenerateDataKey gives 32 bytes and a ciphertext that decrypts to them."""
    if len(answer["Plaintext"]) != 32:
        raise CheckFailed(f"AES_256 data key has {len(answer['Plaintext'])} bytes, not 32")
    _decrypts_to(fixture, answer["CiphertextBlob"], answer["Plaintext"])


def check_signature(fixture: Fixture, params: Params, answer: dict[str, Any]) -> None:
    """Verify accepts the signature Sign gave, for the same message and algorithm.

    Verify answers KMSInvalidSignatureException (a ClientError) for a bad one.
    """
    verified = fixture.kms.verify(
        KeyId=params["KeyId"],
        Message=params["Message"],
        MessageType=params["MessageType"],
        Signature=answer["Signature"],
        SigningAlgorithm=params["SigningAlgorithm"],
    )
    if verified.get("SignatureValid") is not True:
        raise CheckFailed("Verify did not accept the signature")


def check_mac(fixture: Fixture, params: Params, answer: dict[str, Any]) -> None:
    """GenerateMac gives a full-length HMAC-SHA-256 tag (32 bytes) that VerifyMac accepts.

    VerifyMac answers KMSInvalidMacException (a ClientError) for a bad one.
    """
    if len(answer["Mac"]) != 32:
        raise CheckFailed(f"HMAC_SHA_256 tag has {len(answer['Mac'])} bytes, not 32")
    verified = fixture.kms.verify_mac(
        KeyId=params["KeyId"],
        Message=params["Message"],
        Mac=answer["Mac"],
        MacAlgorithm=params["MacAlgorithm"],
    )
    if verified.get("MacValid") is not True:
        raise CheckFailed("VerifyMac did not accept the MAC")


def make_key(name: str, key_spec: str, key_usage: str) -> Callable[[Fixture], None]:
    """A ``setup`` that creates a key of ``key_spec`` and ``key_usage`` as ``state[name]``."""

    def setup(fixture: Fixture) -> None:
        answer = fixture.kms.create_key(
            Description=f"strongroom bench {name}", KeySpec=key_spec, KeyUsage=key_usage
        )
        fixture.state[name] = answer["KeyMetadata"]["KeyId"]

    return setup


def sign_params(key_name: str, algorithm: str) -> Callable[[Fixture], Params]:
    """Sign with the key ``setup`` made as ``state[key_name]``: a 32 B RAW message."""

    def build(fixture: Fixture) -> Params:
        return {
            "KeyId": fixture.state.get(key_name, PLACEHOLDER_KEY_ID),
            "Message": fixture.plaintext(32),
            "MessageType": "RAW",
            "SigningAlgorithm": algorithm,
        }

    return build


def mac_params(fixture: Fixture) -> Params:
    """GenerateMac with the HMAC_256 key ``setup`` made: a 32 B message."""
    return {
        "KeyId": fixture.state.get("hmac_256_key", PLACEHOLDER_KEY_ID),
        "Message": fixture.plaintext(32),
        "MacAlgorithm": "HMAC_SHA_256",
    }


def encrypt_params(size: int) -> Callable[[Fixture], Params]:
    def build(fixture: Fixture) -> Params:
        return {
            "KeyId": fixture.key_id,
            "Plaintext": fixture.plaintext(size),
            "EncryptionContext": fixture.context,
        }

    return build


def setup_decrypt(fixture: Fixture) -> None:
    """Encrypt 32 bytes under the benchmark key, with the context, for Decrypt to replay."""
    plaintext = fixture.plaintext(32)
    answer = fixture.kms.encrypt(
        KeyId=fixture.key_id, Plaintext=plaintext, EncryptionContext=fixture.context
    )
    fixture.state["decrypt_plaintext"] = plaintext
    fixture.state["decrypt_ciphertext"] = answer["CiphertextBlob"]


def decrypt_params(fixture: Fixture) -> Params:
    return {
        "CiphertextBlob": fixture.state["decrypt_ciphertext"],
        "EncryptionContext": fixture.context,
    }


def data_key_params(fixture: Fixture) -> Params:
    return {"KeyId": fixture.key_id, "KeySpec": "AES_256", "EncryptionContext": fixture.context}


def baseline_params(fixture: Fixture) -> Params:
    """encrypt-32's body, with a key id of the same length that needs no server."""
    return {**encrypt_params(32)(fixture), "KeyId": PLACEHOLDER_KEY_ID}


BASELINE = Scenario(
    name="baseline",
    operation="Encrypt",
    params=baseline_params,
    check=None,
    reply_keys=("ok",),
    target_ratio=None,
    server="baseline",
)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        name="encrypt-32",
        operation="Encrypt",
        params=encrypt_params(32),
        check=check_encrypt,
        reply_keys=("CiphertextBlob", "KeyId"),
        target_ratio=0.40,
    ),
    Scenario(
        name="encrypt-4k",
        operation="Encrypt",
        params=encrypt_params(4096),
        check=check_encrypt,
        reply_keys=("CiphertextBlob", "KeyId"),
        target_ratio=0.27,
    ),
    Scenario(
        name="decrypt",
        operation="Decrypt",
        params=decrypt_params,
        check=check_decrypt,
        reply_keys=("Plaintext", "KeyId"),
        target_ratio=0.40,
        setup=setup_decrypt,
    ),
    Scenario(
        name="generate-data-key",
        operation="GenerateDataKey",
        params=data_key_params,
        check=check_data_key,
        reply_keys=("CiphertextBlob", "Plaintext", "KeyId"),
        target_ratio=0.40,
    ),
    # Asymmetric and HMAC scenarios: reported, no target yet.
    Scenario(
        name="sign-p256",
        operation="Sign",
        params=sign_params("p256_key", "ECDSA_SHA_256"),
        check=check_signature,
        reply_keys=("Signature", "KeyId"),
        target_ratio=None,
        setup=make_key("p256_key", "ECC_NIST_P256", "SIGN_VERIFY"),
    ),
    Scenario(
        name="sign-rsa2048",
        operation="Sign",
        params=sign_params("rsa_2048_key", "RSASSA_PSS_SHA_256"),
        check=check_signature,
        reply_keys=("Signature", "KeyId"),
        target_ratio=None,
        setup=make_key("rsa_2048_key", "RSA_2048", "SIGN_VERIFY"),
    ),
    Scenario(
        name="generate-mac",
        operation="GenerateMac",
        params=mac_params,
        check=check_mac,
        reply_keys=("Mac", "KeyId"),
        target_ratio=None,
        setup=make_key("hmac_256_key", "HMAC_256", "GENERATE_VERIFY_MAC"),
    ),
    BASELINE,
)

BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
