"""Retry a Bedrock call with capped exponential backoff and full jitter.

Only transient failures are retried: throttling, service unavailability, a model not ready or timed
out, internal errors, the same failures arriving inside a response stream (``throttlingException``,
``modelStreamErrorException``, ...) and dropped connections. Errors in the caller's request
(``ValidationException``, ``AccessDeniedException``, ``ResourceNotFoundException``, ...) fail at once:
repeating the same request cannot fix them and only burns quota.

Sleep, randomness and the clock are injectable so tests can check the exact schedule without waiting.
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import botocore.exceptions
import urllib3.exceptions

__all__ = [
    "CONNECTION_ERROR",
    "RETRYABLE_CODES",
    "Attempt",
    "Retrier",
    "RetryError",
    "RetryPolicy",
    "RetryResult",
    "error_code",
]

T = TypeVar("T")

# Bedrock's transient errors. In-stream exception members are lower camel case
# (``throttlingException``); error_code() capitalises them so one set serves both.
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "InternalServerException",
        "ModelStreamErrorException",
    }
)

# The code reported for a connection dropped, reset or timed out before the answer was complete.
CONNECTION_ERROR = "ConnectionError"

_CONNECTION_FAILURES = (
    botocore.exceptions.ConnectionError,  # could not connect, connect timeout
    botocore.exceptions.HTTPClientError,  # read timeout, connection closed, response streaming error
    # botocore lets urllib3's error through when a response stream is reset mid-body.
    urllib3.exceptions.ProtocolError,
)


def error_code(error: BaseException) -> str | None:
    """The Bedrock error code of ``error`` (in-stream members capitalised), ``CONNECTION_ERROR`` for a
    broken connection, or None for anything else. An exception may name its code in a
    ``bedrock_error_code`` attribute; otherwise ``__cause__`` is followed, so wrappers keep their origin."""
    seen: BaseException | None = error
    while seen is not None:
        named = getattr(seen, "bedrock_error_code", None)
        if isinstance(named, str):
            return named
        if isinstance(seen, botocore.exceptions.ClientError):
            code = str(seen.response.get("Error", {}).get("Code", ""))
            return code[:1].upper() + code[1:] if code else None
        if isinstance(seen, _CONNECTION_FAILURES):
            return CONNECTION_ERROR
        seen = seen.__cause__
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``deadline`` bounds the whole call, sleeps included (None: no bound)."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    deadline: float | None = 120.0
    retryable_codes: frozenset[str] = RETRYABLE_CODES
    retry_connection_errors: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("need 0 <= base_delay <= max_delay")

    def ceiling(self, retry_number: int) -> float:
        """The upper bound of the sleep before retry ``retry_number`` (1 for the first retry)."""
        return min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))

    def is_retryable(self, code: str | None) -> bool:
        if code == CONNECTION_ERROR:
            return self.retry_connection_errors
        return code is not None and code in self.retryable_codes


@dataclass(frozen=True)
class Attempt:
    """One try: its number (from 1), the error code it failed with (None if it succeeded) and how
    long the retrier slept after it (0 for the last one)."""

    number: int
    error_code: str | None
    slept: float = 0.0


@dataclass(frozen=True)
class RetryResult(Generic[T]):
    """What the call returned, and every attempt made to get it."""

    value: T
    attempts: tuple[Attempt, ...]

    @property
    def retries(self) -> int:
        return len(self.attempts) - 1


class RetryError(Exception):
    """Raised when retrying stopped without success; ``__cause__`` is the last error."""

    def __init__(self, reason: str, attempts: tuple[Attempt, ...]) -> None:
        last = attempts[-1].error_code if attempts else None
        super().__init__(f"{reason} after {len(attempts)} attempt(s); last error: {last}")
        self.reason = reason
        self.attempts = attempts

    @property
    def last_error_code(self) -> str | None:
        return self.attempts[-1].error_code if self.attempts else None


@dataclass
class Retrier:
    """Runs a callable until it succeeds, fails with a non-retryable error, or runs out of attempts
    or time. Thread-safe as long as the injected ``random`` is (the default ``random.random`` is)."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = _random.random
    clock: Callable[[], float] = time.monotonic

    def call(
        self, operation: Callable[[], T], *, on_attempt: Callable[[Attempt], None] | None = None
    ) -> RetryResult[T]:
        """Call ``operation``; non-retryable errors propagate unchanged, exhausted retries raise
        RetryError from the last error. ``on_attempt`` sees every attempt as it ends (for logs and
        metrics, and to learn the attempts behind an error that propagated)."""
        policy = self.policy
        started = self.clock()
        attempts: list[Attempt] = []

        def record(attempt: Attempt) -> None:
            attempts.append(attempt)
            if on_attempt is not None:
                on_attempt(attempt)

        number = 0
        while True:
            number += 1
            try:
                value = operation()
            except Exception as error:
                code = error_code(error)
                if not policy.is_retryable(code):
                    record(Attempt(number, code))
                    raise
                if number >= policy.max_attempts:
                    record(Attempt(number, code))
                    raise RetryError("gave up", tuple(attempts)) from error
                # Full jitter: uniform in [0, ceiling] spreads out clients that failed together.
                delay = self.random() * policy.ceiling(number)
                if policy.deadline is not None and self.clock() - started + delay > policy.deadline:
                    record(Attempt(number, code))
                    raise RetryError("deadline reached", tuple(attempts)) from error
                record(Attempt(number, code, delay))
                self.sleep(delay)
                continue
            record(Attempt(number, None))
            return RetryResult(value, tuple(attempts))
