"""Everything an operation needs, built once per process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from strongroom.clock import Clock
from strongroom.crypto.asymmetric import AsymmetricKey, load_private_key
from strongroom.domain.keys import KeyRecord
from strongroom.domain.repositories import Store
from strongroom.keystores.default import DefaultKeyStore
from strongroom.service.authorization import MAX_RESOURCE_ALIASES, Authorizer
from strongroom.service.key_cache import CachedKey, TtlCache
from strongroom.service.key_specs import is_asymmetric

T = TypeVar("T")


class ServiceContext:
    def __init__(
        self,
        *,
        store: Store,
        keystore: DefaultKeyStore,
        clock: Clock,
        cache_ttl_seconds: float,
    ) -> None:
        self.store = store
        self.cache_ttl_seconds = cache_ttl_seconds
        self.keystore = keystore
        self.clock = clock
        self.keys: TtlCache[CachedKey] = TtlCache(self._load_key, ttl=cache_ttl_seconds)
        self.authorizer = Authorizer(store, ttl=cache_ttl_seconds, now=clock.now)
        # "<account>/<region>/<alias name>" -> target key id
        self.aliases: TtlCache[str] = TtlCache(self._load_alias, ttl=cache_ttl_seconds)
        self._private_keys: dict[tuple[str, bytes], AsymmetricKey] = {}

    async def run(self, fn: Callable[[], T]) -> T:
        """Run blocking work (the database) on a worker thread, off the event loop."""
        return await asyncio.to_thread(fn)

    def _load_key(self, key_id: str) -> CachedKey | None:
        with self.store.unit_of_work(write=False) as uow:
            record = uow.keys.get(key_id)
            if record is None:
                return None
            versions = uow.keys.versions(key_id)
            aliases = tuple(
                a.name
                for a in uow.aliases.list(
                    record.account_id,
                    record.region,
                    target_key_id=key_id,
                    limit=MAX_RESOURCE_ALIASES + 1,
                    after_name=None,
                )
            )
        materials = {
            v.version_id: self.keystore.unwrap(
                record.arn, v.version_id, record.key_spec, v.wrapped_material
            )
            for v in versions
            if v.wrapped_material is not None
        }
        private_key = None
        primary = record.primary_version_id
        if is_asymmetric(record.key_spec) and primary is not None and primary in materials:
            private_key = self._parsed_private_key(record, primary, materials[primary])
        return CachedKey(record, materials, private_key, aliases, tuple(versions))

    def _parsed_private_key(
        self, record: KeyRecord, version_id: bytes, material: bytes
    ) -> AsymmetricKey:
        # Parsing checks an RSA key, which takes 50-300 ms: reuse the parsed key
        # whenever the cache reloads an unchanged version.
        name = (record.key_id, version_id)
        parsed = self._private_keys.get(name)
        if parsed is None:
            parsed = load_private_key(record.key_spec, material)
            if len(self._private_keys) >= 10_000:
                self._private_keys.clear()
            self._private_keys[name] = parsed
        return parsed

    def _load_alias(self, qualified_name: str) -> str | None:
        account_id, region, name = qualified_name.split("/", 2)
        with self.store.unit_of_work(write=False) as uow:
            alias = uow.aliases.get(account_id, region, name)
        return None if alias is None else alias.target_key_id

    def forget_alias(self, account_id: str, region: str, name: str) -> None:
        self.aliases.invalidate(f"{account_id}/{region}/{name}")
