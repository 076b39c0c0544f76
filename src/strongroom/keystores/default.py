"""The default key store: AES-256 material generated here and kept wrapped by the root key."""

from __future__ import annotations

import secrets

from strongroom.crypto.asymmetric import generate_private_key
from strongroom.crypto.blob import MATERIAL_LENGTH
from strongroom.crypto.hmac_keys import HMAC_SPECS, generate_hmac_key
from strongroom.crypto.wrapping import (
    NONCE_LENGTH,
    RootKey,
    UnwrapError,
    access_key_aad,
    material_aad,
)


class MaterialUnwrapError(Exception):
    """Stored material does not unwrap under the root key for this key, version and spec."""


class DefaultKeyStore:
    def __init__(self, root_key: RootKey) -> None:
        self._root_key = root_key

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
