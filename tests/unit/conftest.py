"""Fixtures shared by the unit tests of several layers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.store import SqlStore


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqlStore]:
    """A migrated SQLite store of its own per test (tests that need PostgreSQL as well use
    the store package's backend-parametrized fixtures)."""
    store = SqlStore(f"sqlite:///{tmp_path / 'strongroom.db'}")
    try:
        store.migrate()
        yield store
    finally:
        store.close()
