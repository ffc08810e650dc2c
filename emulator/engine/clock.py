"""The virtual clock quotas are measured on: monotonic time plus an offset tests can advance.

Tests cross a quota minute with ``advance(60)`` instead of sleeping; real time still flows underneath so
served traffic ages naturally between calls.
"""

from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds on the virtual clock (monotonic; only differences are meaningful)."""
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward; returns the total offset. The clock never runs backwards."""
        if seconds < 0:
            raise ValueError("the clock can only be advanced forwards")
        with self._lock:
            self._offset += seconds
            return self._offset

    @property
    def offset(self) -> float:
        return self._offset
