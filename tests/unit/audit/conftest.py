"""A migrated SQLite store per test (the audit logic is backend-independent; the store
contract suite covers PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.store import SqlStore


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqlStore]:
    store = SqlStore(f"sqlite:///{tmp_path / 'audit.db'}")
    store.migrate()
    try:
        yield store
    finally:
        store.close()
