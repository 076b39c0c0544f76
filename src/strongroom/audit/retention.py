"""Pruning old events without breaking verification.

Events older than the cutoff are deleted only up to a signed digest: the
newest digest whose last event is old enough becomes the chain's anchor
(its seq and hash), and ``verify`` starts from there. Digests are never
pruned, so the anchor stays covered by a signature.
"""

from __future__ import annotations

from strongroom.domain.repositories import UnitOfWork


def prune(uow: UnitOfWork, cutoff: float) -> int:
    """Delete events older than ``cutoff`` (epoch seconds) up to a digest boundary.

    Returns how many events were deleted.
    """
    head = uow.audit.head(for_update=True)
    old = uow.audit.last_seq_before(cutoff)
    boundary = None
    for digest in uow.audit.digests():
        if head.anchor_seq < digest.last_seq <= old:
            boundary = digest
    if boundary is None:
        return 0
    deleted = uow.audit.delete_events_through(boundary.last_seq)
    uow.audit.set_anchor(boundary.last_seq, boundary.last_hash)
    return deleted
