"""Looking up who owns an access key, with the secret unwrapped, cached per node."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto.wrapping import RootKey, UnwrapError, access_key_aad
from strongroom.domain.identities import Principal
from strongroom.domain.repositories import Store
from strongroom.service.arns import assumed_role_arn
from strongroom.service.identities import SESSION_KEY_PREFIX
from strongroom.service.key_cache import TtlCache


@dataclass(frozen=True, slots=True)
class ResolvedCredential:
    principal: Principal
    access_key_id: str
    secret_access_key: str
    # Temporary credentials (AssumeRole) only: the session token's SHA-256 and expiry.
    token_sha256: bytes | None = None
    expires_at: float | None = None

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

    def cached(self, access_key_id: str) -> ResolvedCredential | None:
        """The credential if this node holds it fresh, else None (then await ``resolve``):
        the hot path's way to skip a coroutine when the answer is in memory."""
        hit, credential = self._cache.fresh(access_key_id)
        return credential if hit else None

    def forget(self, access_key_id: str) -> None:
        """Drop this node's cached copy (after the key was deactivated here)."""
        self._cache.invalidate(access_key_id)

    def _load(self, access_key_id: str) -> ResolvedCredential | None:
        if access_key_id.startswith(SESSION_KEY_PREFIX):
            return self._load_session(access_key_id)
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

    def _load_session(self, access_key_id: str) -> ResolvedCredential | None:
        with self._store.unit_of_work(write=False) as uow:
            session = uow.sessions.get(access_key_id)
            role = (
                None if session is None else uow.identities.get_principal(session.role_principal_id)
            )
        if session is None or role is None:
            return None
        try:
            secret = self._root_key.unwrap(session.wrapped_secret, access_key_aad(access_key_id))
        except UnwrapError:
            return None
        principal = Principal(
            principal_id=role.principal_id,
            account_id=role.account_id,
            name=session.session_name,
            kind="assumed-role",
            arn=assumed_role_arn(role.account_id, role.name, session.session_name),
            created_at=session.created_at,
        )
        return ResolvedCredential(
            principal, access_key_id, secret.decode(), session.token_sha256, session.expires_at
        )
