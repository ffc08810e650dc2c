"""Answers recorded from real Bedrock, replayed here in shape, never in words.

``recorded_shapes.json`` holds, per recording, our own request skeleton of the recorded request and the
shape of the recorded answer (``recorded_shape.py``: member paths with JSON types, header names, stream
event kinds in order), each citing its source. The test makes the same request to the emulator with boto3
over a socket and compares our answer's shape with the recorded one. A recording the emulator does not
reproduce yet is listed in ``DIFFERS`` with why: the test fails once it does (strict xfail), so the list
only shrinks. docs/wire-facts.md §33 has the count and the sources.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.pytest_plugin import BedrockEmulator
from tests.contract.recorded_shape import header_names, paths, stream_shape

_FIXTURES: list[dict[str, Any]] = json.loads(
    (Path(__file__).with_name("recorded_shapes.json")).read_text(encoding="utf-8")
)["fixtures"]

# Members Bedrock added after some recordings were made, with the first day a recording carries them:
# an older recording's lack of them is its age, not a difference (recorded in 2025-08 without, 2026-02 with).
ADDED_LATER: dict[str, str] = {"usage.serverToolUsage: object": "2026-02-02"}

_JUDGEMENT = "the model's judgement, not a shape: "
# Recordings whose shape the emulator does not reproduce, and why (areas other changes own are named).
DIFFERS: dict[str, str] = {
    "llama_tool_result_followed_by_text_accepted": _JUDGEMENT + "it answered a new question without the "
    "tool, the stand-in calls a lone tool under auto",
    "writer_tool_result_followed_by_text_accepted": _JUDGEMENT + "as the Llama 4 recording",
    "media_kind_delivered_in_tool_result[mistral_document]": "Pixtral calls a tool without text before it; "
    "the stand-in writes a sentence first (a per-model rule: whether text and tool use share a turn)",
    "moonshotai_tool_call": "Kimi K2 Thinking reasons on every answer and calls tools without text "
    "(per-model reasoning and tool rules)",
    "thinking_true_qwen_variant": "Qwen3 answers with reasoning when asked (per-model reasoning rules)",
    "model_stream_empty_text_delta": "gpt-oss streamed an empty text block before its reasoning",
    "oi-cohere-command-models": "Cohere Command (text) InvokeModel bodies are not emulated",
    "req_llm-converse_reasoning_tool_1": _JUDGEMENT + "Haiku 4.5 called the tool without a sentence first "
    "(Claude 3.7 wrote one); and its usage has the cache read counts without the write counts, where "
    "February 2026 Sonnet 4.5 answers had all four: one recording, left open",
}


class _Captured:
    """The raw answer boto3 received (headers, and the stream's bytes), taken before boto3 parses it."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.stream: bytes | None = None
        self.body: bytes | None = None

    def before_parse(self, response_dict: dict[str, Any], operation_model: Any, **_: Any) -> None:
        self.headers = dict(response_dict["headers"])
        if operation_model.has_event_stream_output and response_dict["status_code"] == 200:
            data = response_dict["body"].read()
            self.stream = data
            response_dict["body"] = _Replay(data)
        elif isinstance(response_dict["body"], bytes):
            self.body = response_dict["body"]  # boto3 drops members its model lacks: keep the raw JSON


class _Replay:
    """What botocore's EventStream reads frames from: the captured bytes, so boto3 still parses them."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self) -> Any:
        yield self._data

    def close(self) -> None:
        pass


def _call(client: Any, fixture: dict[str, Any]) -> Any:
    request, model = fixture["request"], fixture["modelId"]
    operation = fixture["operation"]
    if operation.startswith("invoke_model"):
        body = json.dumps(request).encode()
        call = getattr(client, operation)
        return call(modelId=model, body=body, contentType="application/json", accept="application/json")
    return getattr(client, operation)(modelId=model, **request)


def _our_shape(bedrock_emulator: BedrockEmulator, fixture: dict[str, Any]) -> dict[str, Any]:
    client = bedrock_emulator.client()
    captured = _Captured()
    client.meta.events.register("before-parse.bedrock-runtime.*", captured.before_parse)
    if fixture["status"] != 200:
        with pytest.raises(ClientError) as refused:
            _call(client, fixture)
        error = refused.value.response
        assert captured.body is not None
        return {
            "headers": sorted(header_names(captured.headers)),
            "status": error["ResponseMetadata"]["HTTPStatusCode"],
            "errorType": error["Error"]["Code"],
            "shape": sorted(paths(json.loads(captured.body))),
        }
    response = _call(client, fixture)
    shape: dict[str, Any] = {"headers": sorted(header_names(captured.headers)), "status": 200}
    if captured.stream is not None:
        events = list(response["stream" if "stream" in response else "body"])  # boto3 parses them too
        assert events, "boto3 parsed no events"
        shape["stream"] = stream_shape(captured.stream)
    elif fixture["operation"] == "invoke_model":
        shape["shape"] = sorted(paths(json.loads(response["body"].read())))
    else:
        assert captured.body is not None
        shape["shape"] = sorted(paths(json.loads(captured.body)))
    return shape


def _differences(ours: dict[str, Any], fixture: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    newer = {member for member, since in ADDED_LATER.items() if fixture["recorded"] < since}
    if ours["status"] != fixture["status"]:
        problems.append(f"status: recorded {fixture['status']}, ours {ours['status']}")
    if "errorType" in fixture and ours.get("errorType") != fixture["errorType"]:
        problems.append(f"error: recorded {fixture['errorType']}, ours {ours.get('errorType')}")
    missing_headers = set(fixture["headers"]) - set(ours["headers"]) - {"date"}
    if missing_headers:
        problems.append(f"headers missing: {sorted(missing_headers)}")
    if "stream" in fixture:
        recorded, got = fixture["stream"], ours.get("stream") or {"events": [], "members": {}}
        if recorded["events"] != got["events"]:
            problems.append(f"events: recorded {recorded['events']}, ours {got['events']}")
        for kind in sorted(set(recorded["members"]) & set(got["members"])):
            ours_members = set(got["members"][kind]) - newer
            problems += _compare(f"{kind}: ", set(recorded["members"][kind]), ours_members)
    else:
        problems += _compare("", set(fixture["shape"]), set(ours.get("shape") or ()) - newer)
    return problems


def _compare(where: str, recorded: set[str], ours: set[str]) -> list[str]:
    problems = []
    if recorded - ours:
        problems.append(f"{where}missing {sorted(recorded - ours)}")
    if ours - recorded:
        problems.append(f"{where}extra {sorted(ours - recorded)}")
    return problems


def _params() -> list[Any]:
    return [
        pytest.param(
            f,
            id=f["id"],
            marks=[pytest.mark.xfail(strict=True, reason=DIFFERS[f["id"]])] if f["id"] in DIFFERS else [],
        )
        for f in _FIXTURES
    ]


@pytest.mark.parametrize("fixture", _params())
def test_recorded_answer_reproduces_in_shape(
    bedrock_emulator: BedrockEmulator, fixture: dict[str, Any]
) -> None:
    ours = _our_shape(bedrock_emulator, fixture)
    problems = _differences(ours, fixture)
    assert not problems, f"{fixture['source']}\n" + "\n".join(problems)


def test_the_recordings_cover_a_dozen_model_families_and_every_answer_kind() -> None:
    families = {f["modelId"].removeprefix("us.").split(".")[0] for f in _FIXTURES}
    operations = {f["operation"] for f in _FIXTURES}
    assert len(_FIXTURES) >= 12
    assert {"anthropic", "amazon", "meta", "mistral", "cohere", "deepseek", "openai", "qwen"} <= families
    assert {f["status"] for f in _FIXTURES} == {200, 400}
    assert operations == {
        "converse",
        "converse_stream",
        "count_tokens",
        "invoke_model",
        "invoke_model_with_response_stream",
    }
    assert all(f["source"].startswith("https://github.com/") for f in _FIXTURES)
