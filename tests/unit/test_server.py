"""The composition root's process set-up."""

from __future__ import annotations

import gc
import weakref

from strongroom import server


class _Node:
    peer: object = None


def test_start_up_objects_are_frozen_and_later_garbage_is_still_collected() -> None:
    """Full collections must not walk the long-lived start-up heap (a pause that every
    request in flight waits out), and must still free what requests leave behind."""
    try:
        frozen = server.freeze_startup_objects()
        assert frozen > 1000
        assert gc.get_freeze_count() == frozen
        node = _Node()
        node.peer = node  # a cycle: only the collector frees it
        ref = weakref.ref(node)
        del node
        gc.collect()
        assert ref() is None
    finally:
        gc.unfreeze()
