"""Session-wide checks: the tests run the code that is in the tree.

In an editable install the mypyc-compiled hot path (strongroom.native) sits
beside its sources, and Python imports the extension first: an edited source
would go untested until the package is rebuilt. scripts/test rebuilds first;
this refuses to run against a stale build however pytest was started.
"""

from __future__ import annotations

import os

import pytest

from strongroom import native


def pytest_report_header() -> str:
    compiled = len(native.compiled_modules())
    return f"strongroom hot path: {compiled} of {len(native.HOT_PATH)} modules compiled (mypyc)"


def pytest_sessionstart(session: pytest.Session) -> None:
    stale = native.stale_modules()
    if stale:
        pytest.exit(
            "compiled modules older than their sources: "
            + ", ".join(stale)
            + " (rebuild with `.venv/bin/pip install -e .`; scripts/test does it)",
            returncode=2,
        )
    if os.environ.get("STRONGROOM_TEST_REQUIRE_COMPILED") == "1":
        missing = sorted(set(native.HOT_PATH) - set(native.compiled_modules()))
        if missing:
            pytest.exit("not compiled: " + ", ".join(missing), returncode=2)
