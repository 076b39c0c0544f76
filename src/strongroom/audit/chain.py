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
from dataclasses import dataclass
from typing import Any

import orjson

from strongroom.domain.audit import AuditEvent, KeyUsage
from strongroom.domain.repositories import ChainWriter

FORMAT_VERSION = 1
_VERSION_BYTE = bytes([FORMAT_VERSION])


def canonical_json(record: dict[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8. Raises TypeError for a non-JSON value."""
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


def chain_hash(prev_hash: bytes, seq: int, record: bytes) -> bytes:
    return hashlib.sha256(_VERSION_BYTE + prev_hash + seq.to_bytes(8, "big") + record).digest()


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event built but not yet in the chain (no seq or hash yet).

    ``usage`` lists (key ARN, operation) pairs of a successful cryptographic
    operation, kept apart for GetKeyLastUsage.
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
    usages: dict[str, KeyUsage] = {}
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
            usages[key_arn] = KeyUsage(key_arn, operation, p.event_time, p.event_id, p.request_id)
        prev = digest
    writer.insert_events(stored)
    writer.set_head(seq, prev)
    if usages:
        writer.put_key_usage(list(usages.values()))
    return stored
