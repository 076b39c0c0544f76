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
from typing import Any, NamedTuple

import orjson

from strongroom.domain.audit import AuditEvent, ChainHead, EventRow, KeyUsage, UsageRow
from strongroom.domain.repositories import ChainWriter, RowWriter

__all__ = [
    "PendingEvent",
    "RowWriter",
    "append",
    "append_rows",
    "canonical_json",
    "chain_hash",
]

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
    rows, usages = _link(head.seq, head.hash, pending)
    stored = [AuditEvent(*row[:10], bytes(row[10]), bytes(row[11])) for row in rows]
    writer.insert_events(stored)
    writer.set_head(stored[-1].seq, stored[-1].hash)
    if usages:
        writer.put_key_usage([KeyUsage(*usage) for usage in usages])
    return stored


def append_rows(
    writer: RowWriter, pending: Sequence[PendingEvent], head: ChainHead | None = None
) -> None:
    """``append`` for group commit: the same rows and hashes, without returning them.

    Stores exactly what ``append`` stores for the same events (a test compares
    the two), without building the ``AuditEvent`` list nobody reads. ``head``
    is the chain head as ``writer.head(for_update=True)`` returned it in this
    transaction, if the caller already locked it.
    """
    if not pending:
        return
    if head is None:
        head = writer.head(for_update=True)
    rows, usages = _link(head.seq, head.hash, pending)
    writer.insert_event_rows(rows)
    writer.set_head(rows[-1][0], bytes(rows[-1][11]))
    if usages:
        writer.put_key_usage_rows(usages)


def _link(
    seq: int, prev: bytes, pending: Sequence[PendingEvent]
) -> tuple[list[EventRow], list[UsageRow]]:
    """The rows of ``pending`` chained after (``seq``, ``prev``), and the last use of each key."""
    prev_blob = bytearray(prev)
    rows: list[EventRow] = []
    usages: dict[str, UsageRow] = {}
    for record, event_id, request_id, time, name, source, key, principal, error, usage in pending:
        seq += 1
        digest = chain_hash(prev, seq, record)
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
    return rows, list(usages.values())
