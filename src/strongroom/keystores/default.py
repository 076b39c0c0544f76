"""The default key store: AES-256 material generated here and kept wrapped by the root key."""

from __future__ import annotations

import secrets

from strongroom.crypto.asymmetric import generate_private_key
from strongroom.crypto.blob import MATERIAL_LENGTH
from strongroom.crypto.hmac_keys import HMAC_SPECS, generate_hmac_key
from strongroom.crypto.import_tokens import ImportParameters, open_token, seal_token
from strongroom.crypto.key_import import generate_wrapping_key, material_id
from strongroom.crypto.wrapping import (
    NONCE_LENGTH,
    RootKey,
    UnwrapError,
    access_key_aad,
    material_aad,
)


class MaterialUnwrapError(Exception):
    """Stored material does not unwrap under the root key for this key, version and spec."""


# GetParametersForImport hands out one wrapping key per KMS key and wrapping key
# spec for this long (seconds), so that repeated calls do not each pay for an
# RSA key generation (about a second for RSA-4096). Never shared between KMS
# keys: material wrapped for one key's import must not be importable into another.
WRAPPING_KEY_REUSE_SECONDS = 300.0
_MAX_WRAPPING_KEYS = 1000


class DefaultKeyStore:
    def __init__(self, root_key: RootKey) -> None:
        self._root_key = root_key
        self._material_id_key = root_key.derive(b"strongroom imported key material id v1")
        # (key ARN, wrapping key spec) -> (made at, private PKCS#8 DER, public DER SPKI)
        self._wrapping_keys: dict[tuple[str, str], tuple[float, bytes, bytes]] = {}

    def new_symmetric_material(self) -> bytes:
        return secrets.token_bytes(MATERIAL_LENGTH)

    def new_material(self, key_spec: str) -> bytes:
        """Fresh material for a key spec: 32 random bytes for SYMMETRIC_DEFAULT, an HMAC key
        for HMAC_*, otherwise a private key as PKCS#8 DER."""
        if key_spec == "SYMMETRIC_DEFAULT":
            return self.new_symmetric_material()
        if key_spec in HMAC_SPECS:
            return generate_hmac_key(key_spec)
        return generate_private_key(key_spec)

    def wrap(self, key_arn: str, version_id: bytes, key_spec: str, material: bytes) -> bytes:
        aad = material_aad(key_arn, version_id, key_spec)
        return self._root_key.wrap(material, aad, nonce=secrets.token_bytes(NONCE_LENGTH))

    def wrap_access_secret(self, access_key_id: str, secret: bytes) -> bytes:
        """A secret access key wrapped for storage, bound to its access key id."""
        return self._root_key.wrap(
            secret, access_key_aad(access_key_id), nonce=secrets.token_bytes(NONCE_LENGTH)
        )

    def unwrap(self, key_arn: str, version_id: bytes, key_spec: str, wrapped: bytes) -> bytes:
        try:
            return self._root_key.unwrap(wrapped, material_aad(key_arn, version_id, key_spec))
        except UnwrapError:
            raise MaterialUnwrapError(f"material of {key_arn} does not unwrap") from None

    def imported_material_id(self, key_arn: str, material: bytes) -> bytes:
        """The deterministic 32-byte id of imported ``material`` in the key ``key_arn``."""
        return material_id(self._material_id_key, key_arn, material)

    def seal_import_token(self, key_arn: str, parameters: ImportParameters) -> bytes:
        """An import token for ``key_arn`` holding ``parameters``, sealed under the root key."""
        return seal_token(
            self._root_key, key_arn, parameters, nonce=secrets.token_bytes(NONCE_LENGTH)
        )

    def open_import_token(self, key_arn: str, token: bytes, now: float) -> ImportParameters:
        """The parameters of a token for ``key_arn``. Raises TokenInvalid or TokenExpired."""
        return open_token(self._root_key, key_arn, token, now=now)

    def wrapping_key(self, key_arn: str, wrapping_key_spec: str, now: float) -> tuple[bytes, bytes]:
        """An RSA wrapping key for imports into ``key_arn``: (private PKCS#8 DER, public DER SPKI).

        Blocking (RSA key generation): call it on a worker thread. The same
        pair is returned for the same key and spec for WRAPPING_KEY_REUSE_SECONDS.
        """
        name = (key_arn, wrapping_key_spec)
        entry = self._wrapping_keys.get(name)
        if entry is not None and 0 <= now - entry[0] < WRAPPING_KEY_REUSE_SECONDS:
            return entry[1], entry[2]
        private, public = generate_wrapping_key(wrapping_key_spec)
        if len(self._wrapping_keys) >= _MAX_WRAPPING_KEYS:
            self._wrapping_keys.clear()
        self._wrapping_keys[name] = (now, private, public)
        return private, public
