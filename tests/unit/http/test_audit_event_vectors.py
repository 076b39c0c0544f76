"""The audit record of each request in ``tests/vectors/audit_records_v1.json``, byte for byte.

The vectors were made by the record builder as it was before the fast path: a
builder that changes a single byte of a record changes what the chain hashes.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

import strongroom.audit.events as events

_VECTORS_DIR = Path(__file__).parents[2] / "vectors"
_spec = importlib.util.spec_from_file_location(
    "generate_audit_records_v1", _VECTORS_DIR / "generate_audit_records_v1.py"
)
assert _spec is not None and _spec.loader is not None
_generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_generator)
build, event_ids, expected = _generator.build, _generator.event_ids, _generator.expected

VECTORS = json.loads((_VECTORS_DIR / "audit_records_v1.json").read_text("utf-8"))["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_call_event_reproduces_the_frozen_record(
    vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "event_ids", event_ids())
    assert expected(build(vector["inputs"])) == vector["expected"]


def test_every_vector_is_built_again_the_same_way() -> None:
    # Twice in a row (warm caches: identity, resources) gives the same record as once.
    for vector in VECTORS:
        first = build(vector["inputs"])
        second = build(vector["inputs"])
        assert first.record.replace(first.event_id.encode(), b"") == second.record.replace(
            second.event_id.encode(), b""
        )
