"""Looking up who owns an access key, with the secret unwrapped, cached per node."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto.wrapping import RootKey, UnwrapError, access_key_aad
from strongroom.domain.identities import Principal
from strongroom.domain.repositories import Store
from strongroom.service.key_cache import TtlCache


@dataclass(frozen=True, slots=True)
class ResolvedCredential:
    principal: Principal
    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:
        return f"ResolvedCredential({self.principal.arn!r}, {self.access_key_id!r}, <hidden>)"


class CredentialResolver:
    def __init__(self, store: Store, root_key: RootKey, *, ttl: float) -> None:
        self._store = store
        self._root_key = root_key
        self._cache: TtlCache[ResolvedCredential] = TtlCache(self._load, ttl=ttl)

    async def resolve(self, access_key_id: str) -> ResolvedCredential | None:
        """The active credential, or None if the key is unknown or inactive."""
        hit, credential = self._cache.fresh(access_key_id)
        if hit:
            return credential
        return await self._cache.get(access_key_id)

    def _load(self, access_key_id: str) -> ResolvedCredential | None:
        with self._store.unit_of_work(write=False) as uow:
            key = uow.identities.get_access_key(access_key_id)
            if key is None or key.status != "Active":
                return None
            principal = uow.identities.get_principal(key.principal_id)
        if principal is None:
            return None
        try:
            secret = self._root_key.unwrap(key.wrapped_secret, access_key_aad(access_key_id))
        except UnwrapError:
            return None
        return ResolvedCredential(principal, access_key_id, secret.decode())
