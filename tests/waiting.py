"""Waiting in tests for something the local cloud does in the background."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(condition: Callable[[], Any], seconds: float = 20) -> Any:
    """Poll ``condition`` until it returns something truthy (returned), or fail after
    ``seconds``. A deadline for a hang, not a timing assertion."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def journaled(cloud: Any, kind: str) -> list[dict[str, Any]]:
    """The details of the local cloud's journal entries of ``kind``, waited for (one at least)."""
    return list(wait_for(lambda: [e.detail for e in cloud.journal.read() if e.kind == kind]))
