"""Client-side pacing for Bedrock's per-minute quotas: requests per minute and tokens per minute.

Two token buckets, one per quota. A caller reserves one request and its estimated tokens (input plus
``maxTokens``, which is what Bedrock reserves against the quota) and is told how long to wait; the
reservation is made under a lock before waiting, so concurrent callers queue in order instead of
waking together. After the call, ``settle`` hands back what the estimate overstated.

Bedrock counts quotas over a sliding minute, admitting a call while the minute's usage plus the
call's own reservation stays within the quota. A bucket that holds ``b`` and refills at ``r`` per
second lets at most ``60 r + max(b, a)`` into any minute, ``a`` being the largest single reservation.
The refill rate is therefore set to ``(quota - b) / 60`` and a reservation larger than ``b`` is refused,
so no minute exceeds the quota. For requests the burst defaults to 1 (calls spaced 60/rpm seconds
apart); for tokens it defaults to a quarter of the quota and must be at least the largest call's
estimate. A larger burst lets the first calls through at once and slows the refill.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter", "Reservation", "TokenBucket"]


class TokenBucket:
    """``capacity`` units, refilled continuously at ``per_second``. Reservations may take the balance
    below zero; the reserver then waits until the refill has paid the debt back."""

    def __init__(self, capacity: float, per_second: float, clock: Callable[[], float]) -> None:
        if capacity <= 0 or per_second <= 0:
            raise ValueError("capacity and per_second must be positive")
        self.capacity = capacity
        self.per_second = per_second
        self._clock = clock
        self._balance = capacity
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._balance = min(self.capacity, self._balance + (now - self._updated) * self.per_second)
        self._updated = now

    def reserve(self, amount: float) -> float:
        """Take ``amount`` now; returns the seconds to wait before using it. Not locked: callers lock."""
        self._refill()
        self._balance -= amount
        return 0.0 if self._balance >= 0 else -self._balance / self.per_second

    def give_back(self, amount: float) -> None:
        self._refill()
        self._balance = min(self.capacity, self._balance + amount)

    @property
    def balance(self) -> float:
        self._refill()
        return self._balance


@dataclass(frozen=True)
class Reservation:
    """What one ``acquire`` reserved and how long it waited for it."""

    tokens: int
    waited: float


class RateLimiter:
    """Paces calls under a requests-per-minute and/or tokens-per-minute quota. Thread-safe.

    ``clock`` and ``sleep`` are injectable: tests pass a virtual clock whose sleep moves time on.
    """

    def __init__(
        self,
        *,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        request_burst: int = 1,
        token_burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._lock = threading.Lock()
        self._sleep = sleep
        self._requests: TokenBucket | None = None
        self._tokens: TokenBucket | None = None
        if requests_per_minute is not None:
            if not 1 <= request_burst <= requests_per_minute:
                raise ValueError("request_burst must be between 1 and requests_per_minute")
            # Unit requests admitted at exact spacing leave a half-open minute one short of the
            # bound, hence the + 1 (with burst 1, exactly rpm per minute).
            self._requests = TokenBucket(
                request_burst, (requests_per_minute - request_burst + 1) / 60.0, clock
            )
        if tokens_per_minute is not None:
            burst = token_burst if token_burst is not None else max(1, int(tokens_per_minute // 4))
            if not 1 <= burst < tokens_per_minute:
                raise ValueError("token_burst must be at least 1 and below tokens_per_minute")
            self._tokens = TokenBucket(burst, (tokens_per_minute - burst) / 60.0, clock)

    def acquire(self, tokens: int = 0) -> Reservation:
        """Wait until one more request of ``tokens`` estimated tokens fits the quotas."""
        if self._tokens is not None and tokens > self._tokens.capacity:
            raise ValueError(
                f"a call reserving {tokens} tokens needs token_burst >= {tokens} "
                f"(it is {self._tokens.capacity:g}) to stay within the tokens-per-minute quota"
            )
        with self._lock:
            wait = 0.0
            if self._requests is not None:
                wait = max(wait, self._requests.reserve(1))
            if self._tokens is not None and tokens > 0:
                wait = max(wait, self._tokens.reserve(tokens))
        if wait > 0:
            self._sleep(wait)
        return Reservation(tokens, wait)

    def settle(self, reservation: Reservation, used_tokens: int) -> None:
        """Correct a reservation to the tokens the call really used (Bedrock corrects its count too)."""
        if self._tokens is None:
            return
        with self._lock:
            surplus = reservation.tokens - used_tokens
            if surplus > 0:
                self._tokens.give_back(surplus)
            elif surplus < 0:
                self._tokens.reserve(-surplus)
