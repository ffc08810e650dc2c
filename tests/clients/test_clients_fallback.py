"""bedrock_emulator_clients.fallback and bedrock_emulator_clients.circuit_breaker against the emulator's shipped scenarios:
``model-timeout`` (shorter answers asked for), ``model-not-ready-then-ready`` (wait, then the same
model), ``service-unavailable-20pct`` (another region and model), ``throttle-always`` (a circuit that
opens, refuses locally and tries again after its timeout)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bedrock_emulator_clients.circuit_breaker import CircuitBreaker, CircuitOpenError
from bedrock_emulator_clients.fallback import FallbackError, FallbackPolicy, Target, converse_with_fallback
from emulator.pytest_plugin import BedrockEmulator

PRIMARY = "anthropic.claude-3-haiku-20240307-v1:0"
SECONDARY = "amazon.nova-micro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Summarise the quarterly report in two lines."}]}]


def max_tokens_sent(emulator: BedrockEmulator) -> list[int]:
    return [
        json.loads(entry.request_body or b"{}")["inferenceConfig"]["maxTokens"]
        for entry in emulator.requests("Converse")
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_model_timeouts_ask_for_shorter_answers_then_give_up(
    bedrock_emulator: BedrockEmulator, shipped_faster: Callable[[str, float], str]
) -> None:
    shipped_faster("model-timeout", 0.1)  # the shipped rule, answering after 0.05 s instead of 0.5 s
    target = Target(bedrock_emulator.client(), PRIMARY)

    with pytest.raises(FallbackError) as raised:
        converse_with_fallback(
            [target],
            policy=FallbackPolicy(max_shortenings=2),
            messages=MESSAGES,
            inferenceConfig={"maxTokens": 800},
        )

    assert max_tokens_sent(bedrock_emulator) == [800, 400, 200]
    assert [step.action for step in raised.value.steps] == ["shorter", "shorter", "next target"]
    assert raised.value.bedrock_error_code == "ModelTimeoutException"
    assert isinstance(raised.value.__cause__, ClientError)


def test_a_shorter_answer_is_taken_once_the_model_keeps_up(bedrock_emulator: BedrockEmulator) -> None:
    # model-timeout for the first call only: the retry with half the tokens answers.
    name = bedrock_emulator.load_scenario(
        "version: 1\nname: timeout-once\nrules:\n"
        "  - {id: once, match: {operations: [Converse]}, take: {first: 1}, delay: 0.05, error: ModelTimeoutException}\n"
    )
    bedrock_emulator.use_scenario(name)

    result = converse_with_fallback([Target(bedrock_emulator.client(), PRIMARY)], messages=MESSAGES)

    assert result.max_tokens == 512
    assert max_tokens_sent(bedrock_emulator) == [1024, 512]
    assert result.response["output"]["message"]["content"][0]["text"]


def test_a_model_not_ready_is_waited_for_then_asked_again(bedrock_emulator: BedrockEmulator) -> None:
    bedrock_emulator.use_scenario("model-not-ready-then-ready")
    waits: list[float] = []

    result = converse_with_fallback(
        [Target(bedrock_emulator.client(), PRIMARY), Target(bedrock_emulator.client(), SECONDARY)],
        policy=FallbackPolicy(not_ready_wait=5.0),
        sleep=waits.append,
        messages=MESSAGES,
    )

    assert waits == [5.0, 5.0]
    assert result.target.model_id == PRIMARY
    assert [(e.model, e.status) for e in bedrock_emulator.requests("Converse")] == [
        (PRIMARY, 429),
        (PRIMARY, 429),
        (PRIMARY, 200),
    ]


def test_service_unavailable_moves_to_another_region_and_model(bedrock_emulator: BedrockEmulator) -> None:
    bedrock_emulator.use_scenario("service-unavailable-20pct")
    targets = [
        Target(bedrock_emulator.client(), PRIMARY, name="us-east-1"),
        Target(bedrock_emulator.client(region_name="us-west-2"), PRIMARY, name="us-west-2"),
        Target(bedrock_emulator.client(), SECONDARY, name="smaller model"),
    ]

    results = [converse_with_fallback(targets, messages=MESSAGES) for _ in range(20)]

    # Each call's requests: 503s on the targets in order, then one answer.
    journal = bedrock_emulator.requests("Converse")
    calls: list[list[Any]] = [[]]
    for entry in journal:
        calls[-1].append(entry)
        if entry.status == 200:
            calls.append([])
    assert calls.pop() == []
    assert len(calls) == 20
    for result, requests in zip(results, calls, strict=True):
        tried = targets[: len(requests)]
        assert [e.status for e in requests] == [503] * (len(requests) - 1) + [200]
        assert [e.model for e in requests] == [t.model_id for t in tried]
        assert result.target is tried[-1]
        assert [s.action for s in result.steps] == ["next target"] * (len(requests) - 1) + ["answered"]
        assert {s.error_code for s in result.steps[:-1]} <= {"ServiceUnavailableException"}
    assert any(len(requests) > 1 for requests in calls), "the seeded 20% hits some of 20 calls"


def test_the_circuit_opens_refuses_locally_and_tries_again_after_its_timeout(
    bedrock_emulator: BedrockEmulator,
) -> None:
    bedrock_emulator.use_scenario("throttle-always")
    client = bedrock_emulator.client()
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=30.0, clock=clock)

    def ask() -> Any:
        return client.converse(modelId=PRIMARY, messages=MESSAGES)

    for _ in range(3):
        with pytest.raises(ClientError):
            breaker.call(ask)
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError):
        breaker.call(ask)
    assert len(bedrock_emulator.requests("Converse")) == 3  # refused without a request

    clock.now = 30.0
    assert breaker.state == "half_open"
    with pytest.raises(ClientError):  # the one trial call goes out, fails, and opens the circuit again
        breaker.call(ask)
    assert breaker.state == "open"
    assert len(bedrock_emulator.requests("Converse")) == 4


def test_a_successful_trial_closes_the_circuit(bedrock_emulator: BedrockEmulator) -> None:
    bedrock_emulator.use_scenario("model-not-ready-then-ready")
    client = bedrock_emulator.client()
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=10.0, clock=clock)

    for _ in range(2):
        with pytest.raises(ClientError):
            breaker.call(lambda: client.converse(modelId=PRIMARY, messages=MESSAGES))
    with pytest.raises(CircuitOpenError):
        breaker.call(lambda: client.converse(modelId=PRIMARY, messages=MESSAGES))
    clock.now = 10.0

    breaker.call(lambda: client.converse(modelId=PRIMARY, messages=MESSAGES))

    assert breaker.state == "closed"
    assert [e.status for e in bedrock_emulator.requests("Converse")] == [429, 429, 200]


def test_a_validation_error_is_not_a_failure_of_the_service(bedrock_emulator: BedrockEmulator) -> None:
    client = bedrock_emulator.client()
    breaker = CircuitBreaker(failure_threshold=1)
    for _ in range(3):
        with pytest.raises(ClientError):
            breaker.call(lambda: client.converse(modelId=PRIMARY, messages=[]))
    assert breaker.state == "closed"


def test_a_target_with_an_open_circuit_is_skipped_without_a_request(
    bedrock_emulator: BedrockEmulator,
) -> None:
    name = bedrock_emulator.load_scenario(
        "version: 1\nname: primary-down\nrules:\n"
        f"  - {{id: down, match: {{operations: [Converse], models: ['{PRIMARY}']}}, error: ServiceUnavailableException}}\n"
    )
    bedrock_emulator.use_scenario(name)
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=60.0, clock=Clock())
    primary = Target(bedrock_emulator.client(), PRIMARY, name="primary", breaker=breaker)
    secondary = Target(bedrock_emulator.client(), SECONDARY, name="secondary")

    first = converse_with_fallback([primary, secondary], messages=MESSAGES)
    second = converse_with_fallback([primary, secondary], messages=MESSAGES)

    assert (first.target, second.target) == (secondary, secondary)
    assert [(s.error_code, s.action) for s in second.steps] == [
        ("CircuitOpen", "skipped (circuit open)"),
        (None, "answered"),
    ]
    assert [(e.model, e.status) for e in bedrock_emulator.requests("Converse")] == [
        (PRIMARY, 503),
        (SECONDARY, 200),
        (SECONDARY, 200),
    ]


def test_errors_in_the_request_are_not_failed_over(bedrock_emulator: BedrockEmulator) -> None:
    bedrock_emulator.use_scenario("access-denied-one-model")
    opus = "anthropic.claude-3-opus-20240229-v1:0"
    targets = [Target(bedrock_emulator.client(), opus), Target(bedrock_emulator.client(), SECONDARY)]

    with pytest.raises(ClientError) as raised:
        converse_with_fallback(targets, messages=MESSAGES)

    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert len(bedrock_emulator.requests("Converse")) == 1
