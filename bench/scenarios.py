"""The benchmark's scenarios: one row per scenario in :data:`SCENARIOS`.

A scenario names a KMS operation and builds its parameters in boto3's form
(bytes for blobs). The same parameters serve twice: once through a normal
boto3 call, whose answer ``check`` verifies (so a scenario that "runs fast"
because it fails is caught), and once as the JSON body of the pre-signed
request that wrk replays.

Adding a scenario is a few lines: a check, and a row in :data:`SCENARIOS`::

    def check_signature(fixture: Fixture, params: Params, answer: dict[str, Any]) -> None:
        verified = fixture.kms.verify(
            KeyId=params["KeyId"], Message=params["Message"], Signature=answer["Signature"],
            SigningAlgorithm=params["SigningAlgorithm"])
        if not verified["SignatureValid"]:
            raise CheckFailed("Verify rejected the signature")

    Scenario(
        name="sign-p256",
        operation="Sign",
        setup=lambda fx: fx.state.update(sign_key=fx.kms.create_key(
            KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]),
        params=lambda fx: {"KeyId": fx.state["sign_key"], "Message": fx.plaintext(32),
                           "SigningAlgorithm": "ECDSA_SHA_256"},
        check=check_signature,
        reply_keys=("Signature",),
        target_ratio=0.30,  # whatever the project sets
    )

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
    BASELINE,
)

BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
