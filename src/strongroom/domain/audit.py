"""Audit trail records as the store keeps them: chained events, the chain head, digests."""

from __future__ import annotations

import json
from dataclasses import dataclass

# The hash before the first event (and the anchor of an unpruned chain).
GENESIS_HASH = bytes(32)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One stored event: the canonical JSON record and the columns searched on.

    ``hash`` = SHA-256 over the chain format (see ``strongroom.audit.chain``) of
    ``prev_hash``, ``seq`` and ``record``; the other columns repeat fields of
    ``record`` so that searches need no JSON parsing.
    """

    seq: int
    event_id: str
    request_id: str
    event_time: float
    event_name: str
    event_source: str
    key_arn: str | None
    principal_arn: str | None
    error_code: str | None
    record: str
    prev_hash: bytes
    hash: bytes


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last event's seq and hash; and the anchor the stored chain starts from.

    Events up to ``anchor_seq`` were pruned; ``anchor_hash`` is the hash of
    event ``anchor_seq`` (``GENESIS_HASH`` and 0 when nothing was pruned).
    """

    seq: int
    hash: bytes
    anchor_seq: int
    anchor_hash: bytes


@dataclass(frozen=True, slots=True)
class AuditDigest:
    """A signed statement that the chain up to ``last_seq`` ended in ``last_hash``.

    Digests form a chain of their own through ``previous_digest_hash``.
    """

    number: int
    last_seq: int
    last_hash: bytes
    created_at: float
    previous_digest_hash: bytes
    key_fingerprint: str
    signature: bytes


@dataclass(frozen=True, slots=True)
class KeyUsage:
    """The last successful cryptographic operation on a key (GetKeyLastUsage)."""

    key_arn: str
    operation: str
    used_at: float
    event_id: str
    request_id: str


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters for listing events; None means no filter on that column.

    ``key_arn`` is the event's first resource (its column); ``resource`` is an
    ARN or a bare key id named by any of the event's resources, as ReEncrypt's
    destination key is. The store may over-match ``resource`` (it searches the
    record's text); ``names_resource`` is the exact test.
    """

    after_seq: int = 0
    since: float | None = None
    until: float | None = None
    event_name: str | None = None
    key_arn: str | None = None
    resource: str | None = None
    principal_arn: str | None = None
    error_code: str | None = None
    request_id: str | None = None
    limit: int = 1000


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


def names_resource(record: str, resource: str) -> bool:
    """Whether the event ``record`` (its JSON) lists ``resource`` among its resources:
    the ARN itself, or, for a bare key id, a key ARN ending in ``key/<id>``."""
    try:
        resources = json.loads(record).get("resources") or []
    except (ValueError, AttributeError):
        return False
    bare = not resource.startswith("arn:")
    for entry in resources:
        arn = entry.get("ARN") if isinstance(entry, dict) else None
        if not isinstance(arn, str):
            continue
        if arn == resource or (bare and arn.endswith(f":key/{resource}")):
            return True
    return False
