"""Converse with a fallback strategy per error, as Bedrock's errors call for:

- ``ModelTimeoutException``: the model took too long for this answer, so ask again for a shorter one
  (``maxTokens`` halved, down to a floor);
- ``ModelNotReadyException``: the model is warming up (a cold or freshly imported model), so wait and
  ask the same target again;
- ``ServiceUnavailableException`` (and a dropped connection, an internal error, an open circuit): the
  endpoint is in trouble, so move on to the next target, another region or another model.

Targets are tried in order, each behind its own optional ``CircuitBreaker``: a target whose circuit is
open is skipped without sending anything. Errors in the request (``ValidationException``,
``AccessDeniedException``, ...) propagate unchanged: no other target would answer them differently.
Throttling is not handled here; pace with ``RateLimiter`` or wrap the whole call in a ``Retrier``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .circuit_breaker import CIRCUIT_OPEN, CircuitBreaker
from .retry import CONNECTION_ERROR, error_code

__all__ = ["FallbackError", "FallbackPolicy", "FallbackResult", "Step", "Target", "converse_with_fallback"]

MODEL_TIMEOUT = "ModelTimeoutException"
MODEL_NOT_READY = "ModelNotReadyException"


@dataclass(frozen=True)
class Target:
    """Where to send a Converse call: a bedrock-runtime client (its region) and a model."""

    client: Any
    model_id: str
    name: str = ""
    breaker: CircuitBreaker | None = None

    @property
    def label(self) -> str:
        return self.name or self.model_id


@dataclass(frozen=True)
class FallbackPolicy:
    default_max_tokens: int = 1024  # when the request sets no maxTokens
    min_max_tokens: int = 64  # ModelTimeout: never ask for fewer
    max_shortenings: int = 2  # ModelTimeout: halvings per target, then the next target
    not_ready_wait: float = 5.0  # ModelNotReady: seconds to wait before asking again
    max_not_ready_waits: int = 3  # then the next target
    failover_codes: frozenset[str] = frozenset(
        {"ServiceUnavailableException", "InternalServerException", CONNECTION_ERROR, CIRCUIT_OPEN}
    )


@dataclass(frozen=True)
class Step:
    """One decision: the target and maxTokens tried, the error it got (None: success), what came next."""

    target: str
    max_tokens: int
    error_code: str | None
    action: str  # "answered" | "shorter" | "wait" | "next target" | "skipped (circuit open)"


@dataclass(frozen=True)
class FallbackResult:
    response: dict[str, Any]
    target: Target
    max_tokens: int
    steps: tuple[Step, ...]


class FallbackError(Exception):
    """Every target failed; ``steps`` tells how, ``__cause__`` is the last error."""

    def __init__(self, steps: Sequence[Step]) -> None:
        last = steps[-1].error_code if steps else None
        super().__init__(f"no target answered after {len(steps)} step(s); last error: {last}")
        self.steps = tuple(steps)
        self.bedrock_error_code = last


@dataclass
class _Run:
    policy: FallbackPolicy
    sleep: Callable[[float], None]
    steps: list[Step] = field(default_factory=list)
    last_error: Exception | None = None


def _try_target(run: _Run, target: Target, request: dict[str, Any], max_tokens: int) -> FallbackResult | None:
    """Ask one target until it answers (a result), or a fallback to the next target is due (None)."""
    policy = run.policy
    shortenings = waits = 0
    while True:
        config = {**request.get("inferenceConfig", {}), "maxTokens": max_tokens}
        call = {**request, "modelId": target.model_id, "inferenceConfig": config}

        def send(call: dict[str, Any] = call) -> dict[str, Any]:
            return dict(target.client.converse(**call))

        try:
            response = target.breaker.call(send) if target.breaker is not None else send()
        except Exception as error:
            code = error_code(error)
            if code == MODEL_TIMEOUT and shortenings < policy.max_shortenings:
                if max_tokens // 2 >= policy.min_max_tokens:
                    shortenings += 1
                    run.steps.append(Step(target.label, max_tokens, code, "shorter"))
                    max_tokens //= 2
                    continue
            elif code == MODEL_NOT_READY and waits < policy.max_not_ready_waits:
                waits += 1
                run.steps.append(Step(target.label, max_tokens, code, "wait"))
                run.sleep(policy.not_ready_wait)
                continue
            elif code == CIRCUIT_OPEN:
                run.steps.append(Step(target.label, max_tokens, code, "skipped (circuit open)"))
                run.last_error = error
                return None
            elif code not in policy.failover_codes and code not in (MODEL_TIMEOUT, MODEL_NOT_READY):
                raise
            run.steps.append(Step(target.label, max_tokens, code, "next target"))
            run.last_error = error
            return None
        run.steps.append(Step(target.label, max_tokens, None, "answered"))
        return FallbackResult(response, target, max_tokens, tuple(run.steps))


def converse_with_fallback(
    targets: Sequence[Target],
    *,
    policy: FallbackPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    **request: Any,
) -> FallbackResult:
    """Converse with ``request`` (messages, system, inferenceConfig, ...; no modelId: each target
    names its own) on the first target that answers, following the policy above."""
    if not targets:
        raise ValueError("need at least one target")
    run = _Run(policy or FallbackPolicy(), sleep)
    for target in targets:
        wanted = request.get("inferenceConfig", {}).get("maxTokens", run.policy.default_max_tokens)
        result = _try_target(run, target, request, int(wanted))
        if result is not None:
            return result
    raise FallbackError(run.steps) from run.last_error
