"""The node's cache of keys and unwrapped material, so the hot path needs no database trip.

An entry is served for ``ttl`` seconds after it was loaded; after that the
next use reloads it. That is the bound on how long a change made on another
node can go unseen here. Changes made on this node invalidate the entry at once.
Concurrent misses for one key share a single load.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from strongroom.crypto.asymmetric import AsymmetricKey
from strongroom.crypto.blob import VersionKeys
from strongroom.domain.keys import KeyRecord, KeyVersion

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class CachedKey:
    record: KeyRecord
    # version id -> unwrapped material. Zeroising is best effort in Python, so
    # entries are simply dropped and left to the garbage collector.
    materials: dict[bytes, bytes]
    # The parsed private key of an asymmetric key (parsing PKCS#8 per request
    # would cost more than the signature itself).
    private_key: AsymmetricKey | None = None
    # The key's alias names, for the kms:ResourceAliases condition key.
    aliases: tuple[str, ...] = ()
    # The key's versions, oldest first (DescribeKey shows their import expiry).
    versions: tuple[KeyVersion, ...] = ()
    # version id -> its derived message keys (symmetric keys), made on first use and
    # dropped with this entry, so a reload or an invalidation also renews them.
    _version_keys: dict[bytes, VersionKeys] = field(default_factory=dict)

    def version_keys(self, version_id: bytes) -> VersionKeys | None:
        """The message keys of a symmetric key's version; None if this node lacks its material."""
        keys = self._version_keys.get(version_id)
        if keys is None:
            material = self.materials.get(version_id)
            if material is None:
                return None
            keys = VersionKeys(material, self.record.key_id, version_id)
            self._version_keys[version_id] = keys
        return keys

    def _primary_id(self) -> bytes:
        primary = self.record.primary_version_id
        if primary is None or primary not in self.materials:
            raise KeyError(f"{self.record.arn} has no current key material")
        return primary

    @property
    def primary_material(self) -> bytes:
        """The current material. Only for keys whose state allows crypto, which have it."""
        return self.materials[self._primary_id()]

    @property
    def primary_version_keys(self) -> VersionKeys:
        """The current version's message keys (symmetric keys), as ``primary_material``."""
        keys = self.version_keys(self._primary_id())
        assert keys is not None  # _primary_id checked that this node has the material
        return keys


class TtlCache(Generic[V]):
    """A bounded map from a string key to a value loaded on a worker thread.

    ``loader`` runs in a thread (it may block on the database); it returns None
    for an absent item, which is cached like a value.
    """

    def __init__(
        self,
        loader: Callable[[str], V | None],
        *,
        ttl: float,
        max_entries: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loader = loader
        self._ttl = ttl
        self._max_entries = max_entries
        self._monotonic = monotonic
        self._entries: dict[str, tuple[float, V | None]] = {}
        self._loading: dict[str, asyncio.Future[V | None]] = {}
        self.hits = 0
        self.misses = 0

    def fresh(self, name: str) -> tuple[bool, V | None]:
        """(True, value) if a fresh entry exists, else (False, None): no await on a hit."""
        entry = self._entries.get(name)
        if entry is not None and self._monotonic() - entry[0] < self._ttl:
            self.hits += 1
            return True, entry[1]
        return False, None

    async def get(self, name: str) -> V | None:
        entry = self._entries.get(name)
        if entry is not None and self._monotonic() - entry[0] < self._ttl:
            self.hits += 1
            return entry[1]
        self.misses += 1
        pending = self._loading.get(name)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._loading[name] = future
        try:
            started = self._monotonic()
            value = await asyncio.to_thread(self._loader, name)
            if self._loading.get(name) is future:
                self._store(name, started, value)
            future.set_result(value)
            return value
        except BaseException as e:
            future.set_exception(e)
            # Nobody else may be waiting; retrieve it so asyncio does not warn.
            future.exception()
            raise
        finally:
            if self._loading.get(name) is future:
                del self._loading[name]

    def _store(self, name: str, loaded_at: float, value: V | None) -> None:
        self._entries.pop(name, None)
        if len(self._entries) >= self._max_entries:
            # Dicts keep insertion order: drop the oldest load.
            del self._entries[next(iter(self._entries))]
        self._entries[name] = (loaded_at, value)

    def invalidate(self, name: str) -> None:
        """Forget ``name``; a load already running for it will not be cached."""
        self._entries.pop(name, None)
        self._loading.pop(name, None)
