"""The command line starts without importing the server or the migration tool.

Every ``strongroom`` command pays for its imports at start-up; the server
(uvicorn, the HTTP app, the jobs) and Alembic together doubled the time of a
command such as ``strongroom iam list``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("strongroom.server", "strongroom.workers", "strongroom.http.app", "uvicorn", "alembic")


def test_importing_the_cli_leaves_out_the_server_and_alembic() -> None:
    probe = (
        f"import sys, strongroom.cli\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert proc.stdout.split() == []


def test_migrating_still_finds_alembic(tmp_path: Path) -> None:
    from strongroom.store import SqlStore

    store = SqlStore(f"sqlite:///{tmp_path}/db.sqlite")
    try:
        store.migrate()
        with store.unit_of_work(write=False) as uow:
            assert uow.meta.get("no such entry") is None
    finally:
        store.close()
