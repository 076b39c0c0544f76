"""What each server process sets up for itself at start-up."""

from __future__ import annotations

import re

from .helpers import Server


def test_the_server_freezes_its_start_up_objects(server: Server) -> None:
    """Each worker takes what start-up built out of garbage collection (server.py)."""
    pattern = r"(\d+) objects from start-up kept out of garbage collection"
    found = re.findall(pattern, server.log_text())
    assert found
    assert all(int(count) > 1000 for count in found)
