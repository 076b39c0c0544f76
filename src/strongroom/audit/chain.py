"""The hash chain (format version 1) and appending events to it.

    hash(n) = SHA-256(0x01 || hash(n-1) || seq(n) as 8 bytes big-endian || record(n))

``record`` is the event's canonical JSON: keys sorted at every level, no
whitespace, UTF-8 (orjson with OPT_SORT_KEYS). The stored record text is
exactly the hashed bytes, so verifying never re-serializes anything. Binding
the seq makes a row moved to another position fail even if its neighbours'
hashes were recomputed; binding the previous hash makes every deletion,
insertion or reordering break the link of the event after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

import orjson

from strongroom.domain.audit import AuditEvent, ChainHead, KeyUsage
from strongroom.domain.repositories import ChainWriter

FORMAT_VERSION = 1
_VERSION_BYTE = bytes([FORMAT_VERSION])


def canonical_json(record: dict[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8. Raises TypeError for a non-JSON value."""
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


def chain_hash(prev_hash: bytes, seq: int, record: bytes) -> bytes:
    return hashlib.sha256(_VERSION_BYTE + prev_hash + seq.to_bytes(8, "big") + record).digest()


class PendingEvent(NamedTuple):
    """An event built but not yet in the chain (no seq or hash yet).

    ``usage`` lists (key ARN, operation) pairs of a successful cryptographic
    operation, kept apart for GetKeyLastUsage.

    A named tuple rather than a frozen dataclass: every API call makes one, and
    a tuple is built (and unpacked by the writer) several times faster.
    """

    record: bytes
    event_id: str
    request_id: str
    event_time: float
    event_name: str
    event_source: str
    key_arn: str | None
    principal_arn: str | None
    error_code: str | None
    usage: tuple[tuple[str, str], ...] = ()


def append(writer: ChainWriter, pending: Sequence[PendingEvent]) -> list[AuditEvent]:
    """Append ``pending`` to the chain in ``writer``'s transaction, in order; returns them stored.

    ``writer`` is a unit of work's ``audit`` repository (service events, in the
    transaction that makes the change) or group commit's ``AuditAppender``.
    Locks the chain head first, so concurrent writers (other processes, other
    nodes) take turns; the events are durable when the transaction commits.
    """
    if not pending:
        return []
    head = writer.head(for_update=True)
    seq, prev = head.seq, head.hash
    stored: list[AuditEvent] = []
    usages: dict[str, tuple[str, float, str, str]] = {}
    for p in pending:
        seq += 1
        digest = chain_hash(prev, seq, p.record)
        stored.append(
            AuditEvent(
                seq=seq,
                event_id=p.event_id,
                request_id=p.request_id,
                event_time=p.event_time,
                event_name=p.event_name,
                event_source=p.event_source,
                key_arn=p.key_arn,
                principal_arn=p.principal_arn,
                error_code=p.error_code,
                record=p.record.decode("utf-8"),
                prev_hash=prev,
                hash=digest,
            )
        )
        for key_arn, operation in p.usage:
            usages[key_arn] = (operation, p.event_time, p.event_id, p.request_id)
        prev = digest
    writer.insert_events(stored)
    writer.set_head(seq, prev)
    if usages:
        writer.put_key_usage([KeyUsage(arn, *last) for arn, last in usages.items()])
    return stored


# One row of audit_events, in the order of its columns: seq, event_id, request_id,
# event_time, event_name, event_source, key_arn, principal_arn, error_code,
# record (text), prev_hash, hash. The hashes are bytearrays: the sqlite3 module
# binds a bytearray as a blob directly, but looks up an adapter for every bytes
# value (raising and clearing an AttributeError each time), which cost more than
# the rest of binding the row. The stored blob is the same; psycopg binds both.
EventRow = tuple[
    int, str, str, float, str, str, str | None, str | None, str | None, str, bytearray, bytearray
]
# One row of audit_key_usage: key_arn, operation, used_at, event_id, request_id.
UsageRow = tuple[str, str, float, str, str]


@runtime_checkable
class RowWriter(Protocol):
    """A ``ChainWriter`` that also takes plain rows: group commit's writer.

    Building an ``AuditEvent`` and a ``KeyUsage`` per event only to take them
    apart again into driver parameters costs more than the rest of the
    writer's Python work; ``append_rows`` hands the driver its tuples directly.
    """

    def head(self, *, for_update: bool = False) -> ChainHead: ...

    def set_head(self, seq: int, hash: bytes) -> None: ...

    def insert_event_rows(self, rows: Sequence[EventRow]) -> None: ...

    def put_key_usage_rows(self, rows: Sequence[UsageRow]) -> None:
        """Insert or overwrite the last usage of each key (one row per key)."""


def append_rows(writer: RowWriter, pending: Sequence[PendingEvent]) -> None:
    """``append`` for group commit: the same rows and hashes, without returning them.

    Stores exactly what ``append`` stores for the same events (a test compares
    the two), without building the ``AuditEvent`` list nobody reads.
    """
    if not pending:
        return
    head = writer.head(for_update=True)
    seq, prev = head.seq, head.hash
    prev_blob = bytearray(prev)
    sha256 = hashlib.sha256
    version = _VERSION_BYTE
    rows: list[EventRow] = []
    usages: dict[str, UsageRow] = {}
    for record, event_id, request_id, time, name, source, key, principal, error, usage in pending:
        seq += 1
        digest = sha256(version + prev + seq.to_bytes(8, "big") + record).digest()
        blob = bytearray(digest)
        rows.append(
            (
                seq,
                event_id,
                request_id,
                time,
                name,
                source,
                key,
                principal,
                error,
                record.decode("utf-8"),
                prev_blob,
                blob,
            )
        )
        for key_arn, operation in usage:
            usages[key_arn] = (key_arn, operation, time, event_id, request_id)
        prev, prev_blob = digest, blob
    writer.insert_event_rows(rows)
    writer.set_head(seq, prev)
    if usages:
        writer.put_key_usage_rows(list(usages.values()))
