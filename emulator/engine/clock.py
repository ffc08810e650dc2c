"""The virtual clock quotas are measured on: monotonic time plus an offset tests can advance.

Tests cross a quota minute with ``advance(60)`` instead of sleeping; real time still flows underneath so
served traffic ages naturally between calls.
"""

from __future__ import annotations

import threading
import time
from collections import deque

# The clock's recent advances, for the dashboard's timeline and the run report.
MAX_ADVANCES = 256


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        self._advances: deque[tuple[float, float]] = deque(maxlen=MAX_ADVANCES)

    def now(self) -> float:
        """Seconds on the virtual clock (monotonic; only differences are meaningful)."""
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward; returns the total offset. The clock never runs backwards."""
        if seconds < 0:
            raise ValueError("the clock can only be advanced forwards")
        with self._lock:
            self._offset += seconds
            self._advances.append((time.time(), seconds))
            return self._offset

    def advances(self) -> list[tuple[float, float]]:
        """The most recent advances: (wall-clock seconds since the epoch, seconds advanced), oldest first."""
        with self._lock:
            return list(self._advances)

    @property
    def offset(self) -> float:
        return self._offset
