"""Injected time.

Everything in the local cloud that depends on time (visibility timeouts, delays, retention,
deduplication windows, purge cooldowns) asks a ``Clock`` for ``now()`` instead of reading the
system time, so a test can run an hour of AWS time in a millisecond with ``ManualClock``.

Time is epoch seconds as a float, as ``time.time()`` gives it. Waiting on the network (long
polling) is measured in real seconds, not on this clock: a long poll against a ``ManualClock``
still returns after its real ``WaitTimeSeconds``.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Source of the current time in epoch seconds."""

    def now(self) -> float: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to; safe to advance from another thread."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += seconds
