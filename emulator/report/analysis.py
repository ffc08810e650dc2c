"""What a run's journal says: outcomes per operation and per rule, latency and time-to-first-token
percentiles, the streams that were cut or broken, and the retries clients made.

A retry is the same request (tenant, operation, model and request-body digest) sent again within
``RETRY_WINDOW_S`` of the end of a failed attempt; a chain of them ends with the first success ("recovered")
or with a failure nothing followed ("gave up").
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from emulator.call_detail import OUTCOMES

RETRY_WINDOW_S = 60.0
PERCENTILES = (50, 90, 99)
_SUCCESSES = frozenset({"success", "delayed"})
_BROKEN_STREAM_ENDS = frozenset({"exception", "truncated", "disconnected"})
NO_RULE = "(no rule)"

Call = dict[str, Any]


def percentiles(values: Sequence[float], wanted: Iterable[int] = PERCENTILES) -> dict[int, float | None]:
    """Nearest-rank percentiles (``None`` for no values)."""
    ordered = sorted(values)
    if not ordered:
        return dict.fromkeys(wanted)
    return {p: ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] for p in wanted}


@dataclass
class Group:
    """The calls of one operation, or of one rule."""

    name: str
    outcomes: Counter[str] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    ttfts: list[float] = field(default_factory=list)

    def add(self, call: Call) -> None:
        self.outcomes[call["outcome"]] += 1
        if call.get("error_code"):
            self.error_codes[call["error_code"]] += 1
        self.latencies.append(call["latency_ms"])
        if call.get("ttft_ms") is not None:
            self.ttfts.append(call["ttft_ms"])

    @property
    def calls(self) -> int:
        return sum(self.outcomes.values())

    @property
    def latency(self) -> dict[int, float | None]:
        return percentiles(self.latencies)

    @property
    def ttft(self) -> dict[int, float | None]:
        return percentiles(self.ttfts)


@dataclass
class RetryChain:
    """A request its client sent again after an error: every attempt, oldest first."""

    attempts: list[Call]

    @property
    def recovered(self) -> bool:
        return self.attempts[-1]["outcome"] in _SUCCESSES

    @property
    def retries(self) -> int:
        return len(self.attempts) - 1


@dataclass
class Analysis:
    overall: Group
    by_operation: list[Group]
    by_rule: list[Group]
    tenants: list[str]
    start: float | None
    end: float | None
    broken_streams: list[Call]
    retry_chains: list[RetryChain]

    @property
    def outcomes_seen(self) -> list[str]:
        return [o for o in OUTCOMES if self.overall.outcomes[o]]


def analyse(calls: Sequence[Call]) -> Analysis:
    overall = Group("all")
    operations: dict[str, Group] = {}
    rules: dict[str, Group] = {}
    for call in calls:
        overall.add(call)
        operations.setdefault(call["operation"], Group(call["operation"])).add(call)
        rule = call.get("rule") or NO_RULE
        rules.setdefault(rule, Group(rule)).add(call)
    broken = [
        c for c in calls if c.get("stream_end") in _BROKEN_STREAM_ENDS or c["outcome"] == "corrupt-frame"
    ]
    return Analysis(
        overall=overall,
        by_operation=sorted(operations.values(), key=lambda g: (-g.calls, g.name)),
        by_rule=sorted(rules.values(), key=lambda g: (g.name == NO_RULE, g.name)),
        tenants=sorted({c["tenant"] for c in calls}),
        start=min((c["time"] for c in calls), default=None),
        end=max((c["time"] + c["latency_ms"] / 1000 for c in calls), default=None),
        broken_streams=broken,
        retry_chains=retry_chains(calls),
    )


def retry_chains(calls: Sequence[Call]) -> list[RetryChain]:
    """Chains of the same request sent again after a failed attempt, in the order they began."""
    open_chains: dict[tuple[Any, ...], RetryChain] = {}
    chains: list[RetryChain] = []
    for call in sorted(calls, key=lambda c: (c["time"], c.get("sequence") or 0)):
        key = (call["tenant"], call["operation"], call.get("model"), call.get("request_digest"))
        failed = call["outcome"] not in _SUCCESSES
        chain = open_chains.pop(key, None)
        if chain is not None:
            last = chain.attempts[-1]
            if call["time"] - (last["time"] + last["latency_ms"] / 1000) <= RETRY_WINDOW_S:
                chain.attempts.append(call)
                if len(chain.attempts) == 2:
                    chains.append(chain)
                if failed:
                    open_chains[key] = chain
                continue
        if failed:
            open_chains[key] = RetryChain([call])
    return chains
