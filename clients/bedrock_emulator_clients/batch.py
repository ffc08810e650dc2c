"""Process many prompts against Bedrock with bounded concurrency, client-side pacing and retries, and
report every item's outcome instead of stopping at the first failure.

Each attempt first takes its place in the ``RateLimiter`` (if any), then calls the model; transient
failures are retried by the ``Retrier``; an item that still fails is recorded with its error code and
the batch carries on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TextIO, TypeVar

from .progress import ProgressBar
from .rate_limit import RateLimiter
from .retry import Attempt, Retrier, RetryError, error_code

__all__ = ["BatchReport", "ItemOutcome", "converse_batch", "run_batch"]

ItemT = TypeVar("ItemT")
T = TypeVar("T")

THROTTLED = "ThrottlingException"


@dataclass(frozen=True)
class ItemOutcome(Generic[T]):
    """One item's fate: its value, or the error it ended with; and every attempt it took."""

    index: int
    value: T | None
    error_code: str | None
    error_message: str | None
    attempts: tuple[Attempt, ...]

    @property
    def ok(self) -> bool:
        return self.error_code is None

    @property
    def throttled(self) -> bool:
        """Whether any attempt of this item was throttled."""
        return any(attempt.error_code == THROTTLED for attempt in self.attempts)


@dataclass(frozen=True)
class BatchReport(Generic[T]):
    """All outcomes, in the items' order."""

    outcomes: list[ItemOutcome[T]]

    @property
    def succeeded(self) -> list[int]:
        return [outcome.index for outcome in self.outcomes if outcome.ok]

    @property
    def failed(self) -> list[int]:
        return [outcome.index for outcome in self.outcomes if not outcome.ok]

    @property
    def throttled(self) -> list[int]:
        return [outcome.index for outcome in self.outcomes if outcome.throttled]

    @property
    def attempts(self) -> int:
        return sum(len(outcome.attempts) for outcome in self.outcomes)

    def values(self) -> list[T | None]:
        return [outcome.value for outcome in self.outcomes]

    def summary(self, *, max_failures: int = 20) -> str:
        """The final report: counts, then each failed item (the first ``max_failures``) with its error."""
        total = len(self.outcomes)
        lines = [
            f"{total} items: {len(self.succeeded)} succeeded, {len(self.failed)} failed, "
            f"{len(self.throttled)} throttled at least once; {self.attempts} attempts "
            f"({self.attempts - total} retries)"
        ]
        failures = [outcome for outcome in self.outcomes if not outcome.ok]
        for outcome in failures[:max_failures]:
            message = (outcome.error_message or "").splitlines()[0] if outcome.error_message else ""
            lines.append(
                f"  item {outcome.index}: {outcome.error_code} after {len(outcome.attempts)} attempt(s)"
                + (f": {message[:200]}" if message else "")
            )
        if len(failures) > max_failures:
            lines.append(f"  ... and {len(failures) - max_failures} more failed items")
        return "\n".join(lines)


def run_batch(
    items: Sequence[ItemT],
    work: Callable[[ItemT], T],
    *,
    concurrency: int = 4,
    retrier: Retrier | None = None,
    limiter: RateLimiter | None = None,
    estimate_tokens: Callable[[ItemT], int] | None = None,
    used_tokens: Callable[[T], int] | None = None,
    progress: TextIO | None = None,
) -> BatchReport[T]:
    """Run ``work`` on every item, at most ``concurrency`` at a time.

    With ``progress`` (e.g. ``sys.stderr``) a progress bar is drawn there while the batch runs if it
    is a terminal (nothing otherwise), and the final report (``BatchReport.summary()``) is written
    there at the end in either case.

    ``estimate_tokens`` (input plus max output) feeds the limiter's tokens-per-minute bucket and
    ``used_tokens`` corrects it afterwards. Keep ``concurrency`` within the boto3 client's
    ``max_pool_connections`` (10 by default) or calls queue for a connection anyway.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    chosen = retrier or Retrier()

    def attempt(item: ItemT) -> T:
        if limiter is None:
            return work(item)
        reservation = limiter.acquire(estimate_tokens(item) if estimate_tokens else 0)
        value = work(item)
        if used_tokens is not None:
            limiter.settle(reservation, used_tokens(value))
        return value

    bar = ProgressBar(len(items), progress)

    def one(index: int) -> ItemOutcome[T]:
        outcome = attempts_of(index)
        bar.advance(ok=outcome.ok, throttled=outcome.throttled)
        return outcome

    def attempts_of(index: int) -> ItemOutcome[T]:
        item = items[index]
        seen: list[Attempt] = []
        try:
            result = chosen.call(lambda: attempt(item), on_attempt=seen.append)
        except RetryError as error:
            last = error.last_error_code or "RetryError"
            return ItemOutcome(index, None, last, str(error.__cause__), error.attempts)
        except Exception as error:
            # Not retryable (validation, access, a bug in ``work``): recorded, the batch goes on.
            found = error_code(error)
            return ItemOutcome(index, None, found or type(error).__name__, str(error), tuple(seen))
        return ItemOutcome(index, result.value, None, None, result.attempts)

    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bedrock-batch") as pool:
            outcomes = list(pool.map(one, range(len(items))))
    finally:
        bar.close()
    report = BatchReport(outcomes)
    if progress is not None:
        progress.write(report.summary() + "\n")
        progress.flush()
    return report


def converse_batch(
    client: Any,
    model_id: str,
    prompts: Sequence[str],
    *,
    max_tokens: int = 512,
    concurrency: int = 4,
    retrier: Retrier | None = None,
    limiter: RateLimiter | None = None,
    progress: TextIO | None = None,
) -> BatchReport[str]:
    """One Converse call per prompt; each successful item's value is the answer's text. ``progress``
    as for ``run_batch``."""

    def ask(prompt: str) -> tuple[str, int]:
        response = client.converse(
            modelId=model_id,
            messages=[{"role": "user", "content": [{"text": prompt}]}],
            inferenceConfig={"maxTokens": max_tokens},
        )
        blocks = response["output"]["message"]["content"]
        text = "".join(block.get("text", "") for block in blocks)
        usage = response.get("usage", {})
        return text, int(usage.get("inputTokens", 0)) + int(usage.get("outputTokens", 0))

    report = run_batch(
        prompts,
        ask,
        concurrency=concurrency,
        retrier=retrier,
        limiter=limiter,
        # About four characters a token for English; Bedrock reserves input plus maxTokens.
        estimate_tokens=lambda prompt: len(prompt) // 4 + 1 + max_tokens,
        used_tokens=lambda answer: answer[1],
        progress=progress,
    )
    return BatchReport(
        [
            ItemOutcome(
                o.index,
                o.value[0] if o.value is not None else None,
                o.error_code,
                o.error_message,
                o.attempts,
            )
            for o in report.outcomes
        ]
    )
