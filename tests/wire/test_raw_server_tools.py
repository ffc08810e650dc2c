"""Raw bytes of server-tool answers (docs/wire-facts.md §34): ConverseStream's ``toolUse`` and
``toolResult`` starts, the ``toolResult`` delta (a list), web ``citation`` deltas, and
``usage.serverToolUsage`` (which boto3 drops), decoded by botocore's own event-stream parser."""

from __future__ import annotations

import json
from typing import Any

from emulator.pytest_plugin import BedrockEmulator
from tests.wire.test_raw_responses import _assert_aws_error, _boto_frames, _send

_NOVA_2 = "us.amazon.nova-2-lite-v1%3A0"
_NOVA_PRO = "amazon.nova-pro-v1%3A0"


def _body(*tools: str, question: str = "What is the average of 3, 4 and 8?") -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": [{"text": question}]}],
        "toolConfig": {"tools": [{"systemTool": {"name": name}} for name in tools]},
    }


def _frames(emulator: BedrockEmulator, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    raw = _send(emulator, "POST", f"/model/{_NOVA_2}/converse-stream", body)
    assert raw.status == 200
    assert raw.header("Content-Type") == "application/vnd.amazon.eventstream"
    return [(f.headers[":event-type"], json.loads(f.payload)) for f in _boto_frames(raw.body)]


def test_code_interpreter_stream_frames(bedrock_emulator: BedrockEmulator) -> None:
    frames = _frames(bedrock_emulator, _body("nova_code_interpreter"))
    kinds = [kind for kind, _ in frames]
    assert kinds[:8] == [
        "messageStart",
        "contentBlockStart",  # the tool's use
        "contentBlockDelta",
        "contentBlockStop",
        "contentBlockStart",  # its result
        "contentBlockDelta",
        "contentBlockStop",
        "contentBlockDelta",  # the answer's text opens with its first delta
    ]
    assert kinds[-2:] == ["messageStop", "metadata"]
    use_start, use_delta, result_start, result_delta = (frames[i][1] for i in (1, 2, 4, 5))
    for payload in (use_start, use_delta, result_start, result_delta):
        assert list(payload) == sorted(payload)
        assert "p" in payload
    assert use_start["contentBlockIndex"] == 0
    start = use_start["start"]["toolUse"]
    assert list(start) == ["name", "toolUseId", "type"]
    assert start["type"] == "server_tool_use"
    code = json.loads(use_delta["delta"]["toolUse"]["input"])["code"]
    assert code.startswith("numbers = [3, 4, 8]\n")
    assert result_start["contentBlockIndex"] == 1
    assert result_start["start"] == {
        "toolResult": {
            "status": "success",
            "toolUseId": start["toolUseId"],
            "type": "nova_code_interpreter_result",
        }
    }
    [part] = result_delta["delta"]["toolResult"]  # ToolResultBlocksDelta is a list
    assert json.loads(part["text"]) == {
        "exitCode": 0,
        "isError": False,
        "stdErr": "",
        "stdOut": "(15, 3, 5.0)",
    }
    assert frames[7][1]["contentBlockIndex"] == 2
    assert frames[-1][1]["usage"]["serverToolUsage"] == {}


def test_grounding_stream_frames_and_usage(bedrock_emulator: BedrockEmulator) -> None:
    frames = _frames(bedrock_emulator, _body("nova_grounding", question="Tell me about Hanoi today."))
    citations = [payload for kind, payload in frames if "citation" in payload.get("delta", {})]
    assert citations
    for payload in citations:
        assert list(payload) == ["contentBlockIndex", "delta", "p"]
        web = payload["delta"]["citation"]["location"]["web"]
        assert list(web) == ["domain", "url"]
    assert not any("toolResult" in payload.get("start", {}) for _, payload in frames)
    assert frames[-1][1]["usage"]["serverToolUsage"] == {"webSearchRequests": 1}


def test_converse_usage_counts_web_searches(bedrock_emulator: BedrockEmulator) -> None:
    raw = _send(bedrock_emulator, "POST", f"/model/{_NOVA_2}/converse", _body("nova_grounding"))
    assert raw.status == 200
    body = raw.json()
    assert body["usage"]["serverToolUsage"] == {"webSearchRequests": 1}
    assert body["output"]["message"]["content"][0]["toolUse"]["type"] == "server_tool_use"


def test_a_model_without_server_tools_answers_a_validation_error(bedrock_emulator: BedrockEmulator) -> None:
    raw = _send(bedrock_emulator, "POST", f"/model/{_NOVA_PRO}/converse", _body("nova_grounding"))
    error = _assert_aws_error(raw, 400, "ValidationException")
    assert "systemTool" in error["message"]
