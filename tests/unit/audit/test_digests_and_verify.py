"""Signed digests, offline verification and pruning."""

from __future__ import annotations

import dataclasses
import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from strongroom.audit.chain import append, chain_hash
from strongroom.audit.digests import (
    PUBLIC_KEY_NAME,
    SIGNING_KEY_NAME,
    digest_hash,
    load_public_key,
    signature_valid,
    write_digest,
)
from strongroom.audit.retention import prune
from strongroom.audit.verify import Verdict, check_chain
from strongroom.crypto.wrapping import RootKey
from strongroom.domain.audit import AuditDigest, AuditEvent, AuditQuery, ChainHead
from strongroom.store import SqlStore

from .test_chain import pending

ROOT_KEY = RootKey(os.urandom(32))


def add(store: SqlStore, first: int, count: int) -> None:
    with store.unit_of_work() as uow:
        append(uow.audit, [pending(n) for n in range(first, first + count)])


def sign(store: SqlStore, now: float, min_interval: float = 0.0) -> AuditDigest | None:
    with store.unit_of_work() as uow:
        return write_digest(uow, ROOT_KEY, now, min_interval=min_interval)


def snapshot(store: SqlStore) -> tuple[list[AuditEvent], ChainHead, list[AuditDigest], bytes]:
    with store.unit_of_work(write=False) as uow:
        pem = uow.meta.get(PUBLIC_KEY_NAME)
        assert pem is not None
        return (
            uow.audit.events(AuditQuery(limit=10_000)),
            uow.audit.head(),
            uow.audit.digests(),
            pem,
        )


def verdict_of(store: SqlStore) -> Verdict:
    events, head, digests, pem = snapshot(store)
    return check_chain(events, head, digests, load_public_key(pem))


@pytest.fixture
def signed_chain(sqlite_store: SqlStore) -> SqlStore:
    """Ten events, a digest after the fifth and one after the tenth."""
    add(sqlite_store, 1, 5)
    sign(sqlite_store, 1000.0)
    add(sqlite_store, 6, 5)
    sign(sqlite_store, 2000.0)
    return sqlite_store


def test_the_signing_key_is_stored_wrapped_and_its_public_key_in_clear(
    signed_chain: SqlStore,
) -> None:
    with signed_chain.unit_of_work(write=False) as uow:
        wrapped = uow.meta.get(SIGNING_KEY_NAME)
        pem = uow.meta.get(PUBLIC_KEY_NAME)
    assert wrapped is not None and pem is not None
    assert wrapped[0] == 1 and b"PRIVATE" not in wrapped
    load_public_key(pem)


def test_digests_sign_the_head_chain_to_each_other_and_verify(signed_chain: SqlStore) -> None:
    events, head, digests, pem = snapshot(signed_chain)
    key = load_public_key(pem)
    assert [(d.number, d.last_seq) for d in digests] == [(1, 5), (2, 10)]
    assert digests[1].last_hash == head.hash
    assert digests[1].previous_digest_hash == digest_hash(digests[0])
    assert all(signature_valid(d, key) for d in digests)
    forged = dataclasses.replace(digests[1], last_seq=9)
    assert not signature_valid(forged, key)
    verdict = check_chain(events, head, digests, key)
    assert verdict.ok, verdict.problems
    assert (verdict.events_checked, verdict.digests_checked) == (10, 2)


def test_no_digest_is_written_when_nothing_is_new_or_the_last_is_too_recent(
    signed_chain: SqlStore,
) -> None:
    assert sign(signed_chain, 3000.0) is None
    add(signed_chain, 11, 1)
    assert sign(signed_chain, 2100.0, min_interval=300.0) is None
    digest = sign(signed_chain, 2400.0, min_interval=300.0)
    assert digest is not None and digest.number == 3


def check(events: list[AuditEvent], store: SqlStore) -> Verdict:
    _, head, digests, pem = snapshot(store)
    return check_chain(events, head, digests, load_public_key(pem))


def test_verify_names_a_modified_event(signed_chain: SqlStore) -> None:
    events = snapshot(signed_chain)[0]
    events[6] = dataclasses.replace(events[6], record=events[6].record.replace("7", "8"))
    verdict = check(events, signed_chain)
    assert (
        verdict.problems[0]
        == "event seq 7 (eventID e7) was modified (or moved from another position)"
    )


def test_verify_names_a_modified_column(signed_chain: SqlStore) -> None:
    events = snapshot(signed_chain)[0]
    events[2] = dataclasses.replace(events[2], event_name="Decrypt")
    assert (
        check(events, signed_chain).problems[0].startswith("event seq 3 (eventID e3) was modified")
    )


def test_verify_names_a_deleted_event(signed_chain: SqlStore) -> None:
    events = snapshot(signed_chain)[0]
    del events[3]
    assert check(events, signed_chain).problems[0].startswith("event seq 4 is missing (deleted)")


def test_verify_names_events_deleted_from_the_end(signed_chain: SqlStore) -> None:
    events = snapshot(signed_chain)[0]
    problems = check(events[:8], signed_chain).problems
    assert problems[0] == "events seq 9 to 10 are missing (deleted from the end)"


def test_verify_names_an_inserted_event(signed_chain: SqlStore) -> None:
    events = snapshot(signed_chain)[0]
    # Renumber from seq 4 on and insert a forged, correctly hashed event there.
    record = '{"eventID":"forged"}'
    forged = AuditEvent(
        4,
        "forged",
        "r",
        0.0,
        "Encrypt",
        "kms.amazonaws.com",
        None,
        None,
        None,
        record,
        events[2].hash,
        chain_hash(events[2].hash, 4, record.encode()),
    )
    shifted = [dataclasses.replace(e, seq=e.seq + 1) for e in events[3:]]
    problems = check([*events[:3], forged, *shifted], signed_chain).problems
    assert problems[0].startswith("event seq 4 (eventID forged) was modified") or (
        "eventID forged" in problems[0]
    ), problems


def test_verify_names_reordered_events(signed_chain: SqlStore) -> None:
    events = snapshot(signed_chain)[0]
    a, b = events[4], events[5]
    events[4] = dataclasses.replace(b, seq=a.seq)
    events[5] = dataclasses.replace(a, seq=b.seq)
    problem = check(events, signed_chain).problems[0]
    assert problem.startswith("event seq 5 (eventID e6) does not follow event seq 4 (eventID e4)")


def test_only_the_digests_catch_a_consistently_rewritten_chain(signed_chain: SqlStore) -> None:
    events, head, digests, pem = snapshot(signed_chain)
    rewritten: list[AuditEvent] = []
    prev = events[0].prev_hash
    for event in events:
        record = event.record.replace('"n":3', '"n":33')
        digest = chain_hash(prev, event.seq, record.encode())
        rewritten.append(dataclasses.replace(event, record=record, prev_hash=prev, hash=digest))
        prev = digest
    forged_head = dataclasses.replace(head, hash=prev)
    problems = check_chain(rewritten, forged_head, digests, load_public_key(pem)).problems
    assert problems[0].startswith("the events up to seq 5 differ from what digest 1")


def test_verify_rejects_a_deleted_digest_and_another_key(signed_chain: SqlStore) -> None:
    events, head, digests, pem = snapshot(signed_chain)
    problems = check_chain(events, head, digests[1:], load_public_key(pem)).problems
    assert problems == ["digest 1 is missing (deleted)"]
    other = Ed25519PrivateKey.generate().public_key()
    problems = check_chain(events, head, digests, other).problems
    assert problems[0] == "digest 1 (seq 5) has no valid signature by the audit key"


def test_pruning_stops_at_a_digest_and_leaves_a_verifiable_anchor(signed_chain: SqlStore) -> None:
    # Events 1..10 have times 1_700_000_001..010: a cutoff after event 7 prunes
    # up to the digest at seq 5 only.
    with signed_chain.unit_of_work() as uow:
        assert prune(uow, 1_700_000_007.5) == 5
    with signed_chain.unit_of_work() as uow:
        assert prune(uow, 1_700_000_007.5) == 0
    events, head, digests, pem = snapshot(signed_chain)
    assert [e.seq for e in events] == [6, 7, 8, 9, 10]
    assert (head.anchor_seq, head.anchor_hash) == (5, digests[0].last_hash)
    verdict = check_chain(events, head, digests, load_public_key(pem))
    assert verdict.ok, verdict.problems
    # A forged anchor no digest covers is caught.
    forged = dataclasses.replace(head, anchor_hash=bytes(32))
    assert not check_chain(events, forged, digests, load_public_key(pem)).ok


def test_pruning_without_a_digest_keeps_everything(sqlite_store: SqlStore) -> None:
    add(sqlite_store, 1, 3)
    with sqlite_store.unit_of_work() as uow:
        assert prune(uow, 1_800_000_000.0) == 0
