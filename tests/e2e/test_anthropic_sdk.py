"""The Anthropic Python SDK's Bedrock client (``anthropic.AnthropicBedrock``), unmodified, against the emulator.

Wire habits of this client (found by running it here, and in ``anthropic/lib/bedrock/_client.py``):

- It speaks InvokeModel / InvokeModelWithResponseStream only, never Converse: ``messages.create`` posts
  to ``/model/{model}/invoke`` and ``stream=True`` (or ``messages.stream``) to
  ``/model/{model}/invoke-with-response-stream``.
- The model id is quoted with ``safe=":;"``: ``:`` stays raw in the path, ``/`` (inference profile ARNs)
  arrives as ``%2F``.
- ``model`` and ``stream`` leave the body; ``anthropic_version`` is added when absent. From SDK 2.0 on it is
  the SDK's API version (``2026-10-21``), no longer ``bedrock-2023-05-31``.
- It signs with botocore's SigV4 (service ``bedrock``) and sends ``Accept: application/json`` even for
  streams; it decodes the event stream with botocore's ``EventStreamBuffer``, takes each ``chunk`` event's
  ``bytes`` as one Anthropic streaming event, and turns an ``exception`` frame into an SSE ``error`` event.
- Errors: the status picks the exception class (400 ``BadRequestError``, 429 ``RateLimitError``); the
  JSON body ``{"message": ...}`` is kept as ``error.body``.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

anthropic = pytest.importorskip("anthropic")

PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
FOUNDATION_MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0"
PROFILE_ARN = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{PROFILE}"
INVALID_MODEL_MESSAGE = "The provided model identifier is invalid."
WEATHER_TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
        },
        "required": ["city", "unit"],
    },
}


@pytest.fixture
def client(anthropic_bedrock: Any) -> Any:
    return anthropic_bedrock


def _hello() -> list[dict[str, Any]]:
    return [{"role": "user", "content": "Hello, who are you?"}]


def test_messages_create_returns_a_text_message_through_invoke_model(
    client: Any, bedrock_emulator: Any
) -> None:
    message = client.messages.create(model=PROFILE, max_tokens=64, messages=_hello())

    assert message.type == "message"
    assert message.role == "assistant"
    assert message.id.startswith("msg_bdrk_")
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text.strip()
    assert message.stop_reason in ("end_turn", "max_tokens")
    assert 0 < message.usage.output_tokens <= 64
    assert message.usage.input_tokens > 0
    [entry] = bedrock_emulator.requests()
    assert (entry.operation, entry.status, entry.model) == ("InvokeModel", 200, FOUNDATION_MODEL)


def test_sdk_default_anthropic_version_is_accepted_and_model_leaves_the_body(
    client: Any, bedrock_emulator: Any
) -> None:
    # SDK 2.x sends its own API version (2026-10-21) as anthropic_version; 0.x/1.x sent bedrock-2023-05-31.
    message = client.messages.create(model=PROFILE, max_tokens=16, messages=_hello())

    assert message.content
    [entry] = bedrock_emulator.requests()
    sent = json.loads(entry.request_body)
    assert sent["anthropic_version"] in ("bedrock-2023-05-31", "2026-10-21")
    assert "model" not in sent
    assert "stream" not in sent


def test_raw_response_carries_bedrock_token_count_headers_matching_usage(client: Any) -> None:
    raw = client.messages.with_raw_response.create(model=PROFILE, max_tokens=32, messages=_hello())
    message = raw.parse()

    assert raw.headers["content-type"].startswith("application/json")
    assert raw.headers["x-amzn-requestid"]
    assert int(raw.headers["x-amzn-bedrock-input-token-count"]) == message.usage.input_tokens
    assert int(raw.headers["x-amzn-bedrock-output-token-count"]) == message.usage.output_tokens
    assert int(raw.headers["x-amzn-bedrock-invocation-latency"]) >= 0


def test_messages_stream_decodes_event_stream_into_final_message(client: Any, bedrock_emulator: Any) -> None:
    with client.messages.stream(model=PROFILE, max_tokens=48, messages=_hello()) as stream:
        event_types = [event.type for event in stream]
        final = stream.get_final_message()
        streamed_text = stream.current_message_snapshot.content[0].text

    raw_types = [t for t in event_types if t not in ("text", "input_json")]  # SDK-derived helper events
    assert raw_types[0] == "message_start"
    assert raw_types[1] == "content_block_start"
    assert "content_block_delta" in raw_types
    assert raw_types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert final.content[0].text == streamed_text
    assert final.content[0].text.strip()
    assert final.stop_reason in ("end_turn", "max_tokens")
    assert 0 < final.usage.output_tokens <= 48
    [entry] = bedrock_emulator.requests()
    assert (entry.operation, entry.status, entry.stream_end) == (
        "InvokeModelWithResponseStream",
        200,
        "completed",
    )


def test_create_with_stream_true_yields_raw_anthropic_events(client: Any) -> None:
    events = list(client.messages.create(model=PROFILE, max_tokens=24, messages=_hello(), stream=True))

    assert events[0].type == "message_start"
    assert events[0].message.role == "assistant"
    assert events[-1].type == "message_stop"
    text = "".join(e.delta.text for e in events if e.type == "content_block_delta")
    assert text.strip()
    [delta] = [e for e in events if e.type == "message_delta"]
    assert delta.delta.stop_reason in ("end_turn", "max_tokens")


def test_forced_tool_use_returns_input_valid_against_the_tool_schema(client: Any) -> None:
    message = client.messages.create(
        model=PROFILE,
        max_tokens=200,
        tools=[WEATHER_TOOL],
        tool_choice={"type": "tool", "name": "get_weather"},
        messages=[{"role": "user", "content": "What's the weather in Paris?"}],
    )

    assert message.stop_reason == "tool_use"
    [tool_use] = [b for b in message.content if b.type == "tool_use"]
    assert tool_use.name == "get_weather"
    assert tool_use.id.startswith("toolu_")
    jsonschema.validate(tool_use.input, WEATHER_TOOL["input_schema"])


def test_streamed_tool_use_accumulates_partial_json_into_valid_input(client: Any) -> None:
    with client.messages.stream(
        model=PROFILE,
        max_tokens=200,
        tools=[WEATHER_TOOL],
        tool_choice={"type": "any"},
        messages=[{"role": "user", "content": "What's the weather in Paris?"}],
    ) as stream:
        final = stream.get_final_message()

    assert final.stop_reason == "tool_use"
    [tool_use] = [b for b in final.content if b.type == "tool_use"]
    jsonschema.validate(tool_use.input, WEATHER_TOOL["input_schema"])


def test_tool_result_turn_gets_a_text_answer(client: Any) -> None:
    first = client.messages.create(
        model=PROFILE,
        max_tokens=200,
        tools=[WEATHER_TOOL],
        tool_choice={"type": "tool", "name": "get_weather"},
        messages=[{"role": "user", "content": "What's the weather in Paris?"}],
    )
    [tool_use] = [b for b in first.content if b.type == "tool_use"]

    second = client.messages.create(
        model=PROFILE,
        max_tokens=100,
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "What's the weather in Paris?"},
            {"role": "assistant", "content": first.content},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": tool_use.id, "content": "18 degrees, sunny"}
                ],
            },
        ],
    )

    assert second.role == "assistant"
    assert any(b.type == "text" and b.text.strip() for b in second.content)


def test_inference_profile_arn_travels_percent_encoded_and_is_served(
    client: Any, bedrock_emulator: Any
) -> None:
    message = client.messages.create(model=PROFILE_ARN, max_tokens=16, messages=_hello())

    assert message.content[0].text.strip()
    [entry] = bedrock_emulator.requests()
    assert (entry.operation, entry.status, entry.model) == ("InvokeModel", 200, FOUNDATION_MODEL)


def test_unknown_model_raises_bad_request_error_with_bedrock_message(client: Any) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model="anthropic.claude-nonexistent-v9:0", max_tokens=16, messages=_hello())

    assert caught.value.status_code == 400
    assert caught.value.body == {"message": INVALID_MODEL_MESSAGE}
    assert caught.value.response.headers["x-amzn-errortype"].startswith("ValidationException:")


def test_foundation_model_needing_a_profile_raises_bad_request_naming_on_demand(client: Any) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model=FOUNDATION_MODEL, max_tokens=16, messages=_hello())

    assert caught.value.body["message"] == (
        f"Invocation of model ID {FOUNDATION_MODEL} with on-demand throughput isn’t supported. Retry your "
        "request with the ID or ARN of an inference profile that contains this model."
    )


def test_stream_to_unknown_model_raises_before_any_event(client: Any, bedrock_emulator: Any) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:  # noqa: SIM117 (the error comes from opening)
        with client.messages.stream(
            model="anthropic.claude-nonexistent-v9:0", max_tokens=8, messages=_hello()
        ):
            pytest.fail("the stream must not open")

    assert caught.value.body == {"message": INVALID_MODEL_MESSAGE}
    [entry] = bedrock_emulator.requests()
    assert (entry.operation, entry.status) == ("InvokeModelWithResponseStream", 400)


def test_throttling_maps_to_rate_limit_error(client: Any, bedrock_emulator: Any) -> None:
    bedrock_emulator.use_scenario("throttle-always")

    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(model=PROFILE, max_tokens=16, messages=_hello())

    assert caught.value.status_code == 429
    assert caught.value.body["message"].startswith("Too many")


def test_mid_stream_exception_event_raises_after_partial_events(client: Any, bedrock_emulator: Any) -> None:
    bedrock_emulator.use_scenario("stream-exception-after-5")
    seen: list[str] = []

    with pytest.raises(anthropic.APIStatusError) as caught:  # noqa: SIM117 (the error comes from iterating)
        with client.messages.stream(model=PROFILE, max_tokens=64, messages=_hello()) as stream:
            seen.extend(event.type for event in stream if event.type not in ("text", "input_json"))

    assert seen[0] == "message_start"
    assert len(seen) == 5
    assert "modelStreamErrorException" in str(caught.value)
    [entry] = bedrock_emulator.requests()
    assert entry.stream_end == "exception"
