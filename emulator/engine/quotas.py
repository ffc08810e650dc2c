"""On-demand quotas like Bedrock's: requests and tokens per minute, tokens per day, per model per tenant.

Sliding windows on the virtual clock (60 s for rpm/tpm, 24 h for tpd). Tokens are admitted on an
estimate (input tokens plus the requested maximum output, as Bedrock reserves) and corrected to real
usage when the call settles. Throttled calls consume nothing. Callers hold the engine's lock.

A call admitted on an estimate is in flight until it settles; since a call that fails after admission
never settles, it counts as in flight for at most a minute. The engine does not evict a tenant with a
call in flight, so evicting never drops the window a running call is about to settle into.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

from emulator.engine.plan import QuotaTicket
from emulator.engine.schema import QuotaEffect

MINUTE = 60.0
DAY = 86_400.0

# Real messages (wire-facts.md §8); note the two spaces before "Wait".
RPM_MESSAGE = (
    "Too many requests, please wait before trying again. You have sent too many requests.  "
    "Wait before trying again."
)
TPM_MESSAGE = "Too many tokens, please wait before trying again."
TPD_MESSAGE = "Too many tokens per day, please wait before trying again."

QuotaKey = tuple[str, str, str, str]  # tenant, scenario, rule id, model


@dataclass
class _Entry:
    at: float
    tokens: int
    in_minute: bool = True
    in_day: bool = True


@dataclass
class _Windows:
    requests: deque[float] = field(default_factory=deque)
    minute: deque[tuple[int, _Entry]] = field(default_factory=deque)
    day: deque[tuple[int, _Entry]] = field(default_factory=deque)
    minute_tokens: int = 0
    day_tokens: int = 0
    open_entries: dict[int, _Entry] = field(default_factory=dict)

    def expire(self, now: float) -> None:
        while self.requests and self.requests[0] <= now - MINUTE:
            self.requests.popleft()
        while self.minute and self.minute[0][1].at <= now - MINUTE:
            entry_id, entry = self.minute.popleft()
            self.minute_tokens -= entry.tokens
            entry.in_minute = False
            self._close_if_done(entry_id, entry)
        while self.day and self.day[0][1].at <= now - DAY:
            entry_id, entry = self.day.popleft()
            self.day_tokens -= entry.tokens
            entry.in_day = False
            self._close_if_done(entry_id, entry)

    def _close_if_done(self, entry_id: int, entry: _Entry) -> None:
        if not entry.in_minute and not entry.in_day:
            self.open_entries.pop(entry_id, None)


class QuotaBook:
    def __init__(self) -> None:
        self._tenants: dict[str, dict[tuple[str, str, str], _Windows]] = {}
        # Per tenant, the admitted calls not settled yet: entry id -> when admitted (oldest first).
        self._unsettled: dict[str, dict[int, float]] = {}
        self._ids = itertools.count(1)

    def _windows(self, key: QuotaKey) -> _Windows | None:
        tenant, scenario, rule, model = key
        return self._tenants.get(tenant, {}).get((scenario, rule, model))

    def admit(
        self, key: QuotaKey, limits: QuotaEffect, now: float, estimated_tokens: int
    ) -> tuple[str | None, QuotaTicket | None]:
        """(throttle message, None) when a limit is reached, else (None, ticket for settling tokens)."""
        tenant, scenario, rule, model = key
        by_key = self._tenants.setdefault(tenant, {})
        windows = by_key.get((scenario, rule, model))
        if windows is None:
            windows = by_key[(scenario, rule, model)] = _Windows()
        windows.expire(now)
        if limits.rpm is not None and len(windows.requests) >= limits.rpm:
            return RPM_MESSAGE, None
        if limits.tpm is not None and windows.minute_tokens + estimated_tokens > limits.tpm:
            return TPM_MESSAGE, None
        if limits.tpd is not None and windows.day_tokens + estimated_tokens > limits.tpd:
            return TPD_MESSAGE, None
        windows.requests.append(now)
        if limits.tpm is None and limits.tpd is None:
            return None, None
        entry_id = next(self._ids)
        entry = _Entry(now, estimated_tokens, in_minute=limits.tpm is not None, in_day=limits.tpd is not None)
        if entry.in_minute:
            windows.minute.append((entry_id, entry))
            windows.minute_tokens += estimated_tokens
        if entry.in_day:
            windows.day.append((entry_id, entry))
            windows.day_tokens += estimated_tokens
        windows.open_entries[entry_id] = entry
        unsettled = self._unsettled.setdefault(tenant, {})
        _drop_stale(unsettled, now)
        unsettled[entry_id] = now
        return None, QuotaTicket(key, entry_id)

    def settle(self, ticket: QuotaTicket, tokens: int) -> None:
        """Replaces an admitted call's estimate with the tokens it really used (if still in a window)."""
        unsettled = self._unsettled.get(ticket.key[0])
        if unsettled is not None:
            unsettled.pop(ticket.entry_id, None)
        windows = self._windows(ticket.key)
        entry = windows.open_entries.get(ticket.entry_id) if windows is not None else None
        if windows is None or entry is None:
            return
        delta = tokens - entry.tokens
        entry.tokens = tokens
        if entry.in_minute:
            windows.minute_tokens += delta
        if entry.in_day:
            windows.day_tokens += delta

    def in_flight(self, tenant: str, now: float) -> bool:
        """Whether a call of the tenant was admitted less than a minute ago and has not settled."""
        unsettled = self._unsettled.get(tenant)
        if not unsettled:
            return False
        _drop_stale(unsettled, now)
        return bool(unsettled)

    def usage(self, key: QuotaKey, now: float) -> tuple[int, int, int]:
        """(requests this minute, tokens this minute, tokens today) for a key."""
        windows = self._windows(key)
        if windows is None:
            return 0, 0, 0
        windows.expire(now)
        return len(windows.requests), windows.minute_tokens, windows.day_tokens

    def gauges(self, tenants: list[str], now: float) -> list[tuple[QuotaKey, tuple[int, int, int]]]:
        """Each of these tenants' keys with its (requests this minute, tokens this minute, tokens today)."""
        return [
            ((tenant, scenario, rule, model), self.usage((tenant, scenario, rule, model), now))
            for tenant in tenants
            for scenario, rule, model in list(self._tenants.get(tenant, {}))
        ]

    def tenants(self) -> int:
        """How many tenants have quota windows."""
        return len(self._tenants)

    def reset(self, tenant: str | None = None) -> None:
        if tenant is None:
            self._tenants.clear()
            self._unsettled.clear()
        else:
            self._tenants.pop(tenant, None)
            self._unsettled.pop(tenant, None)

    def forget(self, scenario: str) -> None:
        for by_key in self._tenants.values():
            for key in [key for key in by_key if key[0] == scenario]:
                del by_key[key]


def _drop_stale(unsettled: dict[int, float], now: float) -> None:
    # Admission times only grow within a tenant (the clock never runs backwards), so the stale are first.
    while unsettled:
        entry_id, admitted = next(iter(unsettled.items()))
        if admitted > now - MINUTE:
            return
        del unsettled[entry_id]
