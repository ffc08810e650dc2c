"""bedrock_emulator_clients.streaming against the emulator: assembled text and tool calls, timings, and how a stream
ended (completed, an in-stream exception, a cut connection), plus restarting a failed stream."""

from __future__ import annotations

from typing import Any

import pytest

from bedrock_emulator_clients.retry import CONNECTION_ERROR, Retrier, RetryError, RetryPolicy
from bedrock_emulator_clients.streaming import converse_stream, converse_stream_with_retry

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Describe the water cycle in a few sentences."}]}]
WEATHER_TOOL = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "inputSchema": {
                    "json": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    }
                },
            }
        }
    ],
    "toolChoice": {"tool": {"name": "get_weather"}},
}


def load(bedrock_emulator: Any, yaml_text: str) -> None:
    bedrock_emulator.use_scenario(bedrock_emulator.load_scenario(yaml_text))


def test_stream_completes_with_the_same_text_and_usage_as_converse(bedrock_emulator):
    client = bedrock_emulator.client("bedrock-runtime")

    result = converse_stream(client, modelId=MODEL, messages=MESSAGES)
    reference = client.converse(modelId=MODEL, messages=MESSAGES)

    assert result.ending == "completed"
    assert result.stop_reason == "end_turn"
    assert result.text == reference["output"]["message"]["content"][0]["text"]
    assert result.usage is not None
    assert result.usage.input_tokens == reference["usage"]["inputTokens"]
    assert result.usage.output_tokens == reference["usage"]["outputTokens"]
    assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens
    assert result.latency_ms is not None
    assert result.time_to_first_token is not None
    assert result.exception_member is None
    # One gap between each pair of deltas; messageStart, contentBlockStop, messageStop and metadata
    # are not tokens.
    assert len(result.inter_token_gaps) == result.events - 5


def test_stream_assembles_a_tool_call_from_its_input_deltas(bedrock_emulator):
    client = bedrock_emulator.client("bedrock-runtime")

    result = converse_stream(client, modelId=MODEL, messages=MESSAGES, toolConfig=WEATHER_TOOL)

    assert result.ending == "completed"
    assert result.stop_reason == "tool_use"
    [tool] = result.tool_uses
    assert tool.name == "get_weather"
    assert tool.tool_use_id
    assert isinstance(tool.input, dict)
    assert isinstance(tool.input["city"], str)


def test_stream_measures_time_to_first_token_and_inter_token_gaps(bedrock_emulator):
    # scenarios/slow-first-token.yaml waits 2 s; the same shape, ten times faster, keeps the suite quick.
    load(
        bedrock_emulator,
        "version: 1\nname: slow-first-token-fast\nrules:\n  - id: slow-start\n"
        "    match: {operations: [ConverseStream]}\n"
        "    stream: {first_event_delay: 0.2, event_delay: 0.01}\n",
    )
    client = bedrock_emulator.client("bedrock-runtime")

    result = converse_stream(client, modelId=MODEL, messages=MESSAGES)

    assert result.ending == "completed"
    assert result.time_to_first_token is not None
    # The first delta is the second event: 0.2 s before messageStart, 0.01 s after it.
    assert 0.2 <= result.time_to_first_token < 0.2 + 0.5  # generous: CI machines are noisy
    assert result.mean_gap is not None
    assert 0.008 <= result.mean_gap < 0.1
    assert result.total_seconds >= result.time_to_first_token + 0.01 * len(result.inter_token_gaps)


def test_stream_without_delays_has_a_small_time_to_first_token(bedrock_emulator):
    client = bedrock_emulator.client("bedrock-runtime")

    result = converse_stream(client, modelId=MODEL, messages=MESSAGES)

    assert result.time_to_first_token is not None
    assert result.time_to_first_token < 0.5


def test_stream_reports_exception_with_its_member_on_stream_exception_after_5(bedrock_emulator):
    bedrock_emulator.use_scenario("stream-exception-after-5")
    client = bedrock_emulator.client("bedrock-runtime")

    result = converse_stream(client, modelId=MODEL, messages=MESSAGES)

    assert result.ending == "exception"
    assert result.exception_member == "modelStreamErrorException"
    assert result.exception_message
    assert result.events == 5
    assert result.text  # the partial text is kept, and flagged by the ending
    assert result.stop_reason is None
    assert result.usage is None
    assert [r.status for r in bedrock_emulator.requests()] == [200]


def test_stream_reports_cut_on_stream_cut_after_5_deltas(bedrock_emulator):
    bedrock_emulator.use_scenario("stream-cut-after-5-deltas")
    client = bedrock_emulator.client("bedrock-runtime")

    result = converse_stream(client, modelId=MODEL, messages=MESSAGES)

    assert result.ending == "cut"
    assert result.events == 6
    assert len(result.inter_token_gaps) == 4  # five deltas arrived
    assert result.exception_member is None
    assert result.error is not None
    assert result.stop_reason is None


def test_stream_that_ends_without_message_stop_counts_as_cut(bedrock_emulator):
    load(
        bedrock_emulator,
        "version: 1\nname: end-early\nrules:\n  - id: early\n"
        "    match: {operations: [ConverseStream]}\n    stream: {end_without_close_after: 3}\n",
    )
    client = bedrock_emulator.client("bedrock-runtime")

    result = converse_stream(client, modelId=MODEL, messages=MESSAGES)

    assert result.ending == "cut"
    assert result.events == 3
    assert result.error is None


def test_stream_keeps_a_partial_tool_call_unparsed_when_cut(bedrock_emulator):
    load(
        bedrock_emulator,
        "version: 1\nname: cut-tool\nrules:\n  - id: cut\n"
        "    match: {operations: [ConverseStream]}\n    stream: {cut_after: 3}\n",
    )
    client = bedrock_emulator.client("bedrock-runtime")

    result = converse_stream(client, modelId=MODEL, messages=MESSAGES, toolConfig=WEATHER_TOOL)

    assert result.ending == "cut"
    [tool] = result.tool_uses
    assert tool.name == "get_weather"
    assert tool.input is None  # one input delta of several: not valid JSON, not passed off as input


def retrier(virtual_time: Any, max_attempts: int = 3) -> Retrier:
    return Retrier(
        RetryPolicy(max_attempts=max_attempts, base_delay=1.0),
        sleep=virtual_time.sleep,
        random=lambda: 1.0,
        clock=virtual_time.clock,
    )


def test_stream_retry_restarts_after_an_in_stream_throttling_exception(bedrock_emulator, virtual_time):
    load(
        bedrock_emulator,
        "version: 1\nname: first-stream-throttled\nrules:\n  - id: once\n"
        "    match: {operations: [ConverseStream]}\n    take: {first: 1}\n"
        "    stream: {exception_after: {events: 3, member: throttlingException}}\n",
    )
    client = bedrock_emulator.client("bedrock-runtime")

    outcome = converse_stream_with_retry(client, retrier(virtual_time), modelId=MODEL, messages=MESSAGES)

    assert [a.error_code for a in outcome.attempts] == ["ThrottlingException", None]
    assert outcome.value.ending == "completed"
    assert outcome.value.text == converse_stream(client, modelId=MODEL, messages=MESSAGES).text
    assert virtual_time.sleeps == [1.0]
    assert len(bedrock_emulator.requests("ConverseStream")) == 3


def test_stream_retry_restarts_after_a_cut(bedrock_emulator, virtual_time):
    load(
        bedrock_emulator,
        "version: 1\nname: first-stream-cut\nrules:\n  - id: once\n"
        "    match: {operations: [ConverseStream]}\n    take: {first: 1}\n    stream: {cut_after: 4}\n",
    )
    client = bedrock_emulator.client("bedrock-runtime")

    outcome = converse_stream_with_retry(client, retrier(virtual_time), modelId=MODEL, messages=MESSAGES)

    assert [a.error_code for a in outcome.attempts] == [CONNECTION_ERROR, None]
    assert outcome.value.completed


def test_stream_retry_gives_up_when_every_stream_fails(bedrock_emulator, virtual_time):
    bedrock_emulator.use_scenario("stream-exception-after-5")
    client = bedrock_emulator.client("bedrock-runtime")

    with pytest.raises(RetryError) as raised:
        converse_stream_with_retry(client, retrier(virtual_time), modelId=MODEL, messages=MESSAGES)

    assert raised.value.last_error_code == "ModelStreamErrorException"
    assert len(bedrock_emulator.requests("ConverseStream")) == 3


def test_stream_retry_does_not_retry_an_in_stream_validation_exception(bedrock_emulator, virtual_time):
    load(
        bedrock_emulator,
        "version: 1\nname: stream-invalid\nrules:\n  - id: once\n"
        "    match: {operations: [ConverseStream]}\n    take: {first: 1}\n"
        "    stream: {exception_after: {events: 1, member: validationException}}\n",
    )
    client = bedrock_emulator.client("bedrock-runtime")

    with pytest.raises(Exception, match="validationException"):
        converse_stream_with_retry(client, retrier(virtual_time), modelId=MODEL, messages=MESSAGES)

    assert len(bedrock_emulator.requests("ConverseStream")) == 1
