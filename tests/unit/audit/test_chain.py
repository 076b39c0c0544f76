"""Canonical JSON and the hash chain (format 1)."""

from __future__ import annotations

import hashlib

import pytest

from strongroom.audit.chain import PendingEvent, append, canonical_json, chain_hash
from strongroom.domain.audit import GENESIS_HASH, AuditQuery
from strongroom.store import SqlStore


def pending(n: int, *, usage: tuple[tuple[str, str], ...] = ()) -> PendingEvent:
    return PendingEvent(
        record=canonical_json(
            {
                "eventID": f"e{n}",
                "requestID": f"r{n}",
                "eventName": "Encrypt",
                "eventSource": "kms.amazonaws.com",
                "n": n,
            }
        ),
        event_id=f"e{n}",
        request_id=f"r{n}",
        event_time=1_700_000_000.0 + n,
        event_name="Encrypt",
        event_source="kms.amazonaws.com",
        key_arn=None,
        principal_arn=None,
        error_code=None,
        usage=usage,
    )


def test_canonical_json_sorts_keys_at_every_level_without_whitespace_in_utf8() -> None:
    record = {"b": 1, "a": {"z": [1, {"y": "é", "x": None}], "c": True}}
    assert canonical_json(record) == '{"a":{"c":true,"z":[1,{"x":null,"y":"é"}]},"b":1}'.encode()


def test_canonical_json_refuses_values_json_cannot_hold() -> None:
    with pytest.raises(TypeError):
        canonical_json({"a": object()})


def test_chain_hash_is_sha256_of_version_previous_hash_seq_and_record() -> None:
    # Known answer, written out by hand so that a format change fails here.
    expected = hashlib.sha256(b"\x01" + bytes(32) + (1).to_bytes(8, "big") + b"{}").hexdigest()
    assert chain_hash(GENESIS_HASH, 1, b"{}").hex() == expected
    assert chain_hash(GENESIS_HASH, 2, b"{}") != chain_hash(GENESIS_HASH, 1, b"{}")
    assert chain_hash(b"\x01" * 32, 1, b"{}") != chain_hash(GENESIS_HASH, 1, b"{}")


def test_append_assigns_consecutive_seqs_links_hashes_and_moves_the_head(
    sqlite_store: SqlStore,
) -> None:
    with sqlite_store.unit_of_work() as uow:
        first = append(uow.audit, [pending(1), pending(2)])
    with sqlite_store.unit_of_work() as uow:
        second = append(uow.audit, [pending(3)])
        assert append(uow.audit, []) == []
    events = first + second
    assert [e.seq for e in events] == [1, 2, 3]
    prev = GENESIS_HASH
    for event in events:
        assert event.prev_hash == prev
        assert event.hash == chain_hash(prev, event.seq, event.record.encode())
        prev = event.hash
    with sqlite_store.unit_of_work(write=False) as uow:
        head = uow.audit.head()
        stored = uow.audit.events(AuditQuery())
    assert (head.seq, head.hash) == (3, prev)
    assert stored == events


def test_append_records_the_last_use_of_each_key_of_a_successful_crypto_event(
    sqlite_store: SqlStore,
) -> None:
    arn = "arn:aws:kms:us-east-1:111122223333:key/k"
    with sqlite_store.unit_of_work() as uow:
        append(
            uow.audit, [pending(1, usage=((arn, "Encrypt"),)), pending(2, usage=((arn, "Sign"),))]
        )
    with sqlite_store.unit_of_work(write=False) as uow:
        usage = uow.audit.key_usage(arn)
        assert uow.audit.key_usage(arn + "x") is None
    assert usage is not None
    assert (usage.operation, usage.event_id, usage.request_id) == ("Sign", "e2", "r2")
