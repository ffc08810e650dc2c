"""bedrock_emulator_clients.retry against the emulator: what is retried, how long it sleeps, when it gives up."""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import pytest

from bedrock_emulator_clients.retry import CONNECTION_ERROR, Retrier, RetryError, RetryPolicy

MODEL = "amazon.nova-micro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Name three rivers."}]}]


def converse(client: Any) -> Any:
    return client.converse(modelId=MODEL, messages=MESSAGES, inferenceConfig={"maxTokens": 64})


def retrier(virtual_time: Any, *, jitter: float = 0.5, **policy: Any) -> Retrier:
    return Retrier(
        RetryPolicy(**{"base_delay": 1.0, "max_delay": 20.0, **policy}),
        sleep=virtual_time.sleep,
        random=lambda: jitter,
        clock=virtual_time.clock,
    )


def test_retry_absorbs_three_throttles_with_full_jitter_backoff_schedule(bedrock_emulator, virtual_time):
    bedrock_emulator.use_scenario("throttle-first-3")
    client = bedrock_emulator.client("bedrock-runtime")

    result = retrier(virtual_time, jitter=0.5).call(lambda: converse(client))

    assert result.retries == 3
    assert [a.error_code for a in result.attempts] == ["ThrottlingException"] * 3 + [None]
    # Full jitter: random() * min(max_delay, base * 2**(n-1)), with random() pinned at 0.5.
    assert virtual_time.sleeps == [0.5, 1.0, 2.0]
    assert [a.slept for a in result.attempts] == [0.5, 1.0, 2.0, 0.0]
    assert result.value["output"]["message"]["content"][0]["text"]
    assert [r.status for r in bedrock_emulator.requests()] == [429, 429, 429, 200]


def test_retry_gives_up_on_throttle_always_after_max_attempts(bedrock_emulator, virtual_time):
    bedrock_emulator.use_scenario("throttle-always")
    client = bedrock_emulator.client("bedrock-runtime")

    with pytest.raises(RetryError) as raised:
        retrier(virtual_time, jitter=1.0, max_attempts=4).call(lambda: converse(client))

    assert raised.value.reason == "gave up"
    assert raised.value.last_error_code == "ThrottlingException"
    assert len(raised.value.attempts) == 4
    assert isinstance(raised.value.__cause__, botocore.exceptions.ClientError)
    assert "Too many requests" in str(raised.value.__cause__)
    assert virtual_time.sleeps == [1.0, 2.0, 4.0]  # no sleep after the last attempt
    assert [r.status for r in bedrock_emulator.requests()] == [429] * 4


def test_retry_backoff_is_capped_at_max_delay(bedrock_emulator, virtual_time):
    bedrock_emulator.use_scenario("throttle-always")
    client = bedrock_emulator.client("bedrock-runtime")

    with pytest.raises(RetryError):
        retrier(virtual_time, jitter=1.0, max_attempts=8, max_delay=10.0, deadline=None).call(
            lambda: converse(client)
        )

    assert virtual_time.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def test_retry_stops_before_a_sleep_that_would_pass_the_deadline(bedrock_emulator, virtual_time):
    bedrock_emulator.use_scenario("throttle-always")
    client = bedrock_emulator.client("bedrock-runtime")

    with pytest.raises(RetryError) as raised:
        retrier(virtual_time, jitter=1.0, max_attempts=10, deadline=2.5).call(lambda: converse(client))

    assert raised.value.reason == "deadline reached"
    assert virtual_time.sleeps == [1.0]  # the next sleep (2 s) would end past 2.5 s
    assert len(bedrock_emulator.requests()) == 2


@pytest.mark.parametrize(
    "code",
    [
        "ThrottlingException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "InternalServerException",
    ],
)
def test_retry_recovers_from_each_transient_error(bedrock_emulator, virtual_time, code):
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: once-{code}\nrules:\n  - id: once\n    take: {{first: 1}}\n"
            f"    match: {{operations: [Converse]}}\n    error: {code}\n"
        )
    )
    client = bedrock_emulator.client("bedrock-runtime")

    result = retrier(virtual_time).call(lambda: converse(client))

    assert [a.error_code for a in result.attempts] == [code, None]


@pytest.mark.parametrize(
    "code", ["ValidationException", "AccessDeniedException", "ResourceNotFoundException"]
)
def test_retry_does_not_retry_errors_in_the_request(bedrock_emulator, virtual_time, code):
    # Only the first call fails: a retry would succeed, so a passing test proves none was made.
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: once-{code}\nrules:\n  - id: once\n    take: {{first: 1}}\n"
            f"    match: {{operations: [Converse]}}\n    error: {code}\n"
        )
    )
    client = bedrock_emulator.client("bedrock-runtime")
    seen: list[Any] = []

    with pytest.raises(botocore.exceptions.ClientError) as raised:
        retrier(virtual_time).call(lambda: converse(client), on_attempt=seen.append)

    assert raised.value.response["Error"]["Code"] == code
    assert [a.error_code for a in seen] == [code]
    assert virtual_time.sleeps == []
    assert len(bedrock_emulator.requests()) == 1


def test_retry_does_not_retry_a_real_validation_error(bedrock_emulator, virtual_time):
    client = bedrock_emulator.client("bedrock-runtime")

    with pytest.raises(botocore.exceptions.ClientError) as raised:
        retrier(virtual_time).call(
            lambda: client.converse(modelId="amazon.no-such-model-v9:0", messages=MESSAGES)
        )

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert len(bedrock_emulator.requests()) == 1


def test_retry_treats_a_dropped_connection_as_transient(bedrock_emulator, virtual_time):
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            "version: 1\nname: drop-once\nrules:\n  - id: drop\n    take: {first: 1}\n"
            "    match: {operations: [Converse]}\n    drop: true\n"
        )
    )
    client = bedrock_emulator.client("bedrock-runtime")

    result = retrier(virtual_time).call(lambda: converse(client))

    assert [a.error_code for a in result.attempts] == [CONNECTION_ERROR, None]


def test_retry_policy_refuses_nonsense():
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="base_delay"):
        RetryPolicy(base_delay=5.0, max_delay=1.0)
