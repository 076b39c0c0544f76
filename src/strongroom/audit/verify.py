"""Checking the audit trail offline: the hash chain, its head, anchor and signed digests.

The verdict names the first event (by seq and eventID) that was modified,
deleted, inserted or reordered. What makes the check trustworthy against
someone who can rewrite the database is the public key: pass the one exported
earlier (``strongroom audit public-key``), not the copy in the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from strongroom.audit.chain import chain_hash
from strongroom.audit.digests import NO_DIGEST_HASH, digest_hash, fingerprint, signature_valid
from strongroom.domain.audit import AuditDigest, AuditEvent, ChainHead

# Columns stored beside the record, and the record fields they must repeat.
_COLUMNS = (
    ("event_id", "eventID"),
    ("request_id", "requestID"),
    ("event_name", "eventName"),
    ("event_source", "eventSource"),
    ("error_code", "errorCode"),
)


@dataclass(slots=True)
class Verdict:
    events_checked: int = 0
    digests_checked: int = 0
    last_seq: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _name(event: AuditEvent) -> str:
    return f"event seq {event.seq} (eventID {event.event_id})"


def _columns_agree(event: AuditEvent) -> bool:
    try:
        record = json.loads(event.record)
    except ValueError:
        return False
    if not isinstance(record, dict):
        return False
    for column, key in _COLUMNS:
        if getattr(event, column) != record.get(key):
            return False
    resources = record.get("resources") or []
    first_arn = resources[0].get("ARN") if resources else None
    identity = record.get("userIdentity") or {}
    return event.key_arn == first_arn and event.principal_arn == identity.get("arn")


def check_chain(
    events: Iterable[AuditEvent],
    head: ChainHead,
    digests: Sequence[AuditDigest],
    public_key: Ed25519PublicKey | None,
) -> Verdict:
    """Check ``events`` (every stored event, by seq) against the head and ``digests``.

    ``public_key`` None skips the signature checks (and says so).
    """
    verdict = Verdict()
    problems = verdict.problems
    signed_at = {d.last_seq: d for d in digests}
    expected_seq, prev = head.anchor_seq + 1, head.anchor_hash
    previous: AuditEvent | None = None
    hashes: dict[int, bytes] = {}
    if head.anchor_seq:
        hashes[head.anchor_seq] = head.anchor_hash
    for event in events:
        verdict.events_checked += 1
        if event.seq > expected_seq:
            problems.append(
                f"event seq {expected_seq} is missing (deleted): the chain jumps from "
                f"seq {expected_seq - 1} to {_name(event)}"
            )
        elif event.prev_hash != prev:
            before = "the chain's anchor" if previous is None else _name(previous)
            problems.append(
                f"{_name(event)} does not follow {before}: one of them was inserted or "
                "moved here (reordered), or events between them were deleted"
            )
        elif chain_hash(event.prev_hash, event.seq, event.record.encode("utf-8")) != event.hash:
            problems.append(f"{_name(event)} was modified (or moved from another position)")
        elif not _columns_agree(event):
            problems.append(f"{_name(event)} was modified: its columns differ from its record")
        expected_seq, prev, previous = event.seq + 1, event.hash, event
        if event.seq in signed_at:
            hashes[event.seq] = event.hash
    verdict.last_seq = expected_seq - 1
    if verdict.last_seq < head.seq:
        problems.append(
            f"events seq {verdict.last_seq + 1} to {head.seq} are missing (deleted from the end)"
        )
    elif verdict.last_seq > head.seq:
        problems.append(
            f"event seq {head.seq + 1} and later were inserted after the chain head "
            f"(seq {head.seq})"
        )
    elif prev != head.hash:
        problems.append(f"event seq {head.seq} does not match the chain head (modified)")
    _check_digests(verdict, head, digests, hashes, public_key)
    return verdict


def _check_digests(
    verdict: Verdict,
    head: ChainHead,
    digests: Sequence[AuditDigest],
    hashes: dict[int, bytes],
    public_key: Ed25519PublicKey | None,
) -> None:
    problems = verdict.problems
    if public_key is None and digests:
        problems.append("no audit public key: the digests' signatures cannot be checked")
    expected_print = None if public_key is None else fingerprint(public_key)
    previous = NO_DIGEST_HASH
    expected_number = 1
    anchored = head.anchor_seq == 0
    for digest in digests:
        verdict.digests_checked += 1
        label = f"digest {digest.number} (seq {digest.last_seq})"
        if digest.number != expected_number:
            problems.append(f"digest {expected_number} is missing (deleted)")
        elif digest.previous_digest_hash != previous:
            problems.append(f"{label} does not follow the digest before it")
        if public_key is not None and (
            digest.key_fingerprint != expected_print or not signature_valid(digest, public_key)
        ):
            problems.append(f"{label} has no valid signature by the audit key")
        if digest.last_seq == head.anchor_seq and digest.last_hash == head.anchor_hash:
            anchored = True
        if digest.last_seq > head.anchor_seq:
            stored = hashes.get(digest.last_seq)
            if stored is None:
                problems.append(f"event seq {digest.last_seq}, signed by {label}, is missing")
            elif stored != digest.last_hash:
                problems.append(
                    f"the events up to seq {digest.last_seq} differ from what {label} signed "
                    "(an event at or before it was modified, deleted, inserted or reordered)"
                )
        previous = digest_hash(digest)
        expected_number = digest.number + 1
    if not anchored:
        problems.append(
            f"the pruning anchor (seq {head.anchor_seq}) is not covered by a signed digest"
        )
