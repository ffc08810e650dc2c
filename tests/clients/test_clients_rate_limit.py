"""bedrock_emulator_clients.rate_limit: pacing that keeps a batch under Bedrock's per-minute quotas, on the
emulator's virtual clock (a minute of waiting costs the test nothing)."""

from __future__ import annotations

import threading
from typing import Any

import botocore.exceptions
import pytest

from bedrock_emulator_clients.rate_limit import RateLimiter
from bedrock_emulator_clients.token_budget import TokenBudget

MODEL = "amazon.nova-micro-v1:0"
COUNTING_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


def ask(client: Any, index: int, model: str = MODEL, max_tokens: int = 64) -> Any:
    return client.converse(
        modelId=model,
        messages=[{"role": "user", "content": [{"text": f"Name the state flower of state {index}."}]}],
        inferenceConfig={"maxTokens": max_tokens},
    )


def test_rate_limiter_at_47_rpm_keeps_a_50_item_batch_from_ever_being_throttled(
    bedrock_emulator, virtual_time
):
    bedrock_emulator.use_scenario("quota-47-rpm")
    client = bedrock_emulator.client("bedrock-runtime")
    limiter = RateLimiter(requests_per_minute=47, clock=virtual_time.clock, sleep=virtual_time.sleep)

    for index in range(50):
        limiter.acquire()
        ask(client, index)  # a 429 would raise: the client makes no retries

    assert [r.status for r in bedrock_emulator.requests()] == [200] * 50
    # Paced, not stalled: 49 gaps of 60/47 s, no more.
    assert virtual_time.slept == pytest.approx(49 * 60 / 47)


def test_without_the_rate_limiter_the_48th_request_is_throttled(bedrock_emulator):
    bedrock_emulator.use_scenario("quota-47-rpm")
    client = bedrock_emulator.client("bedrock-runtime")

    for index in range(47):
        ask(client, index)
    with pytest.raises(botocore.exceptions.ClientError, match="Too many requests"):
        ask(client, 47)


def test_rate_limiter_queues_concurrent_callers_in_order_without_waking_them_together():
    limiter = RateLimiter(requests_per_minute=60, clock=lambda: 0.0, sleep=lambda seconds: None)
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        waited = limiter.acquire().waited
        with lock:
            waits.append(waited)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Each reservation is made under the lock: one caller per second, none sharing a slot.
    assert sorted(waits) == pytest.approx([float(n) for n in range(8)])


def test_rate_limiter_burst_lets_the_first_calls_through_and_slows_the_refill():
    limiter = RateLimiter(
        requests_per_minute=10, request_burst=3, clock=lambda: 0.0, sleep=lambda seconds: None
    )

    waits = [limiter.acquire().waited for _ in range(5)]

    # burst - 1 + 60 * rate = 10 requests in any minute: refill at 8 per minute.
    assert waits == pytest.approx([0.0, 0.0, 0.0, 7.5, 15.0])


# quota-tokens-per-minute's 10,000 TPM, with answers that really spend 2,500 output tokens each (Bedrock
# corrects a call's reservation to its real usage, so short answers alone would never reach the quota).
TPM_SCENARIO = """
version: 1
name: tpm-with-long-answers
rules:
  - id: tpm
    match: {operations: [Converse]}
    quota: {tpm: 10000}
  - id: long-answers
    match: {operations: [Converse]}
    answer: {text: A long answer., usage: {output_tokens: 2500}}
"""


def spend_tokens(client: Any, budget: TokenBudget, limiter: RateLimiter | None, calls: int) -> None:
    for index in range(calls):
        messages = [{"role": "user", "content": [{"text": f"Name the state flower of state {index}."}]}]
        # Bedrock reserves input plus maxTokens; CountTokens gives the exact input.
        estimate = budget.count(messages) + 3000
        reservation = limiter.acquire(estimate) if limiter else None
        response = client.converse(
            modelId=COUNTING_MODEL, messages=messages, inferenceConfig={"maxTokens": 3000}
        )
        if limiter and reservation:
            limiter.settle(reservation, response["usage"]["totalTokens"])


def test_rate_limiter_paces_by_tokens_per_minute_so_no_call_is_throttled(bedrock_emulator, virtual_time):
    bedrock_emulator.use_scenario(bedrock_emulator.load_scenario(TPM_SCENARIO))
    client = bedrock_emulator.client("bedrock-runtime")
    budget = TokenBudget(client, COUNTING_MODEL, max_input_tokens=1000)
    # The burst must hold the largest reservation (about 15 input tokens + 3,000 maxTokens).
    limiter = RateLimiter(
        tokens_per_minute=10_000, token_burst=3100, clock=virtual_time.clock, sleep=virtual_time.sleep
    )

    spend_tokens(client, budget, limiter, calls=8)

    assert [r.status for r in bedrock_emulator.requests("Converse")] == [200] * 8
    assert virtual_time.slept > 60  # 8 x ~2,515 tokens is two minutes' worth of a 10,000 TPM quota


def test_without_token_pacing_the_tokens_per_minute_quota_throttles(bedrock_emulator):
    bedrock_emulator.use_scenario(bedrock_emulator.load_scenario(TPM_SCENARIO))
    client = bedrock_emulator.client("bedrock-runtime")
    budget = TokenBudget(client, COUNTING_MODEL, max_input_tokens=1000)

    with pytest.raises(botocore.exceptions.ClientError, match="Too many tokens"):
        spend_tokens(client, budget, None, calls=8)


def test_rate_limiter_refuses_a_burst_above_the_quota():
    with pytest.raises(ValueError, match="request_burst"):
        RateLimiter(requests_per_minute=5, request_burst=6)
    with pytest.raises(ValueError, match="token_burst"):
        RateLimiter(tokens_per_minute=100, token_burst=100)


def test_rate_limiter_refuses_a_reservation_larger_than_its_token_burst():
    limiter = RateLimiter(tokens_per_minute=10_000, token_burst=2_000, sleep=lambda seconds: None)

    with pytest.raises(ValueError, match="token_burst >= 3000"):
        limiter.acquire(3000)
