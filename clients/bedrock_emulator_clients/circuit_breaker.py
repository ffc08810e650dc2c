"""A circuit breaker for Bedrock calls: after ``failure_threshold`` transient failures in a row
(throttling, unavailability, a model timing out or not ready, a dropped connection) it opens and
refuses calls locally, without sending them, for ``reset_timeout`` seconds; then one trial call goes
through (half-open): success closes the circuit, failure opens it again.

It stops a struggling model or region from being hammered, and answers callers at once instead of
after a timeout, so they can fall back elsewhere (see ``fallback.py``). Errors in the request itself
(``ValidationException``, ...) say nothing about the service's health: they pass through uncounted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from .retry import CONNECTION_ERROR, RETRYABLE_CODES, error_code

__all__ = ["CIRCUIT_OPEN", "CircuitBreaker", "CircuitOpenError", "State"]

T = TypeVar("T")
State = Literal["closed", "open", "half_open"]

# The code CircuitOpenError reports to error_code(), so retriers and fallbacks can classify it.
CIRCUIT_OPEN = "CircuitOpen"


class CircuitOpenError(Exception):
    """Refused locally: the circuit is open (or a trial call is already under way)."""

    bedrock_error_code = CIRCUIT_OPEN

    def __init__(self, name: str, retry_in: float) -> None:
        super().__init__(f"circuit {name or 'breaker'} is open; next trial in {max(retry_in, 0.0):.1f} s")
        self.retry_in = retry_in


def _transient(code: str | None) -> bool:
    return code == CONNECTION_ERROR or (code is not None and code in RETRYABLE_CODES)


@dataclass
class CircuitBreaker:
    """Thread-safe. ``clock`` is injectable (monotonic seconds); ``counts`` decides which error codes
    count as failures (default: Bedrock's transient ones and dropped connections)."""

    failure_threshold: int = 5
    reset_timeout: float = 30.0
    name: str = ""
    clock: Callable[[], float] = time.monotonic
    counts: Callable[[str | None], bool] = _transient
    _state: State = field(default="closed", init=False)
    _failures: int = field(default=0, init=False)
    _opened_at: float = field(default=0.0, init=False)
    _trial_running: bool = field(default=False, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if self.reset_timeout < 0:
            raise ValueError("reset_timeout must not be negative")

    @property
    def state(self) -> State:
        with self._lock:
            if self._state == "open" and self.clock() - self._opened_at >= self.reset_timeout:
                return "half_open"
            return self._state

    def call(self, operation: Callable[[], T]) -> T:
        """Run ``operation`` unless the circuit is open; record how it went."""
        self._admit()
        try:
            value = operation()
        except Exception as error:
            self._record(error_code(error), failed=True)
            raise
        except BaseException:  # interrupted: says nothing about the service; free the trial slot
            with self._lock:
                self._trial_running = False
            raise
        self._record(None, failed=False)
        return value

    def _admit(self) -> None:
        with self._lock:
            if self._state == "closed":
                return
            waited = self.clock() - self._opened_at
            if self._state == "open" and waited >= self.reset_timeout:
                self._state = "half_open"
            if self._state == "half_open" and not self._trial_running:
                self._trial_running = True
                return
            raise CircuitOpenError(self.name, self.reset_timeout - waited)

    def _record(self, code: str | None, *, failed: bool) -> None:
        with self._lock:
            trial = self._trial_running
            self._trial_running = False
            if not failed or not self.counts(code):
                # A success, or an error that says nothing about the service's health.
                if not failed or trial:
                    self._state, self._failures = "closed", 0
                return
            self._failures += 1
            if trial or self._failures >= self.failure_threshold:
                self._state, self._opened_at = "open", self.clock()
