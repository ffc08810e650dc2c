"""Server tools (``toolConfig.tools[].systemTool``) on Converse and ConverseStream, with boto3 over a real
socket (docs/wire-facts.md §34): Nova's code interpreter and web grounding answer with the tool's use and
result blocks before the answer, and web citations (``serverToolUsage``, which boto3 drops, is checked
on the raw wire in tests/wire/test_raw_server_tools.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.pytest_plugin import BedrockEmulator

NOVA_2 = "us.amazon.nova-2-lite-v1:0"
NOVA_PREMIER = "us.amazon.nova-premier-v1:0"  # web grounding only
NOVA_PRO = "amazon.nova-pro-v1:0"  # no server tools
SONNET_4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"
CODE = {"systemTool": {"name": "nova_code_interpreter"}}
GROUNDING = {"systemTool": {"name": "nova_grounding"}}
AVERAGE = "What is the average of 10, 24, 2, 3, 43, 52, 13, 68, 6, 7, 902, 82?"


@pytest.fixture
def runtime(bedrock_emulator: BedrockEmulator) -> Any:
    return bedrock_emulator.client("bedrock-runtime")


def ask(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def _stream(runtime: Any, **request: Any) -> list[dict[str, Any]]:
    return list(runtime.converse_stream(**request)["stream"])


def _blocks_from_stream(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rebuild Converse content blocks from stream events, as a client does."""
    blocks: dict[int, dict[str, Any]] = {}
    for event in events:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            blocks[start["contentBlockIndex"]] = {"start": start["start"], "deltas": []}
        elif "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]
            blocks.setdefault(delta["contentBlockIndex"], {"start": None, "deltas": []})
            blocks[delta["contentBlockIndex"]]["deltas"].append(delta["delta"])
    return [blocks[index] for index in sorted(blocks)]


# -- code interpreter ------------------------------------------------------------------------------------


def test_code_interpreter_answers_its_use_its_result_then_the_answer(runtime: Any) -> None:
    response = runtime.converse(modelId=NOVA_2, messages=ask(AVERAGE), toolConfig={"tools": [CODE]})
    content = response["output"]["message"]["content"]
    assert [next(iter(block)) for block in content] == ["toolUse", "toolResult", "text"]
    use, result = content[0]["toolUse"], content[1]["toolResult"]
    assert use["name"] == "nova_code_interpreter"
    assert use["type"] == "server_tool_use"
    assert use["toolUseId"].startswith("tooluse_")
    assert len(use["toolUseId"]) == 30
    assert "numbers = [10, 24, 2, 3, 43, 52, 13, 68, 6, 7, 902, 82]" in use["input"]["code"]
    assert result["toolUseId"] == use["toolUseId"]
    assert result["type"] == "nova_code_interpreter_result"
    assert result["status"] == "success"
    [part] = result["content"]
    report = json.loads(part["text"])  # the sandbox's report comes as JSON text, as AWS's guide shows
    assert report == {"stdOut": "(1212, 12, 101.0)", "stdErr": "", "exitCode": 0, "isError": False}
    assert content[2]["text"]
    assert response["stopReason"] == "end_turn"
    # botocore's TokenUsage does not declare serverToolUsage, so boto3 drops it: tests/wire checks it.


def test_the_same_request_gets_the_same_answer(runtime: Any) -> None:
    first = runtime.converse(modelId=NOVA_2, messages=ask(AVERAGE), toolConfig={"tools": [CODE]})
    second = runtime.converse(modelId=NOVA_2, messages=ask(AVERAGE), toolConfig={"tools": [CODE]})
    assert first["output"] == second["output"]
    assert first["usage"] == second["usage"]


def test_code_counts_as_output_tokens(runtime: Any) -> None:
    plain = runtime.converse(modelId=NOVA_2, messages=ask(AVERAGE))
    coded = runtime.converse(modelId=NOVA_2, messages=ask(AVERAGE), toolConfig={"tools": [CODE]})
    assert coded["usage"]["outputTokens"] > plain["usage"]["outputTokens"]


def test_code_interpreter_stream_sends_start_events_for_use_and_result(runtime: Any) -> None:
    events = _stream(runtime, modelId=NOVA_2, messages=ask(AVERAGE), toolConfig={"tools": [CODE]})
    blocks = _blocks_from_stream(events)
    use, result, text = blocks[0], blocks[1], blocks[2:]
    assert use["start"]["toolUse"]["type"] == "server_tool_use"
    assert use["start"]["toolUse"]["name"] == "nova_code_interpreter"
    [delta] = use["deltas"]  # Nova sends a tool input whole
    assert "numbers = [" in json.loads(delta["toolUse"]["input"])["code"]
    assert result["start"]["toolResult"] == {
        "toolUseId": use["start"]["toolUse"]["toolUseId"],
        "type": "nova_code_interpreter_result",
        "status": "success",
    }
    [[part]] = [delta["toolResult"] for delta in result["deltas"]]
    assert json.loads(part["text"])["stdOut"] == "(1212, 12, 101.0)"
    assert len(text) == 1
    assert text[0]["start"] is None
    streamed = "".join(delta["text"] for delta in text[0]["deltas"])
    answer = runtime.converse(modelId=NOVA_2, messages=ask(AVERAGE), toolConfig={"tools": [CODE]})
    assert streamed == answer["output"]["message"]["content"][2]["text"]
    assert events[-1]["metadata"]["usage"] == answer["usage"]


def test_a_question_without_numbers_counts_its_words(runtime: Any) -> None:
    response = runtime.converse(
        modelId=NOVA_2, messages=ask("Say something clever"), toolConfig={"tools": [CODE]}
    )
    report = json.loads(response["output"]["message"]["content"][1]["toolResult"]["content"][0]["text"])
    assert report["stdOut"] == "3"


# -- web grounding ---------------------------------------------------------------------------------------


def test_grounding_cites_web_pages_and_counts_the_search(runtime: Any) -> None:
    question = "What are the latest developments in quantum computing?"
    response = runtime.converse(modelId=NOVA_2, messages=ask(question), toolConfig={"tools": [GROUNDING]})
    content = response["output"]["message"]["content"]
    use = content[0]["toolUse"]
    assert use["name"] == "nova_grounding"
    assert use["type"] == "server_tool_use"
    assert use["input"] == {"query": "What are the latest developments in quantum computing"}
    assert not any("toolResult" in block for block in content)
    cited = [block["citationsContent"] for block in content if "citationsContent" in block]
    assert cited
    for block in cited:
        [citation] = block["citations"]
        web = citation["location"]["web"]
        assert web["url"].startswith("https://" + web["domain"] + "/")
        assert "quantum" in web["url"].lower()  # a page about the search
        assert block["content"][0]["text"].strip()


def test_grounding_stream_sends_citation_deltas_before_their_text(runtime: Any) -> None:
    question = "Who won the match yesterday? Tell me more."
    request = {"modelId": NOVA_PREMIER, "messages": ask(question), "toolConfig": {"tools": [GROUNDING]}}
    events = _stream(runtime, **request)
    blocks = _blocks_from_stream(events)
    assert blocks[0]["start"]["toolUse"]["name"] == "nova_grounding"
    cited = [block for block in blocks[1:] if "citation" in block["deltas"][0]]
    assert cited
    for block in cited:
        assert "web" in block["deltas"][0]["citation"]["location"]
        assert all("text" in delta for delta in block["deltas"][1:])
    answer = runtime.converse(**request)
    rebuilt = "".join(d.get("text", "") for block in blocks[1:] for d in block["deltas"])
    words = "".join(
        block.get("text") or block.get("citationsContent", {}).get("content", [{}])[0].get("text", "")
        for block in answer["output"]["message"]["content"]
    )
    assert rebuilt == words


def test_both_server_tools_run_in_the_requested_order(runtime: Any) -> None:
    response = runtime.converse(
        modelId=NOVA_2, messages=ask("Add 2 and 3."), toolConfig={"tools": [GROUNDING, CODE]}
    )
    uses = [b["toolUse"]["name"] for b in response["output"]["message"]["content"] if "toolUse" in b]
    assert uses == ["nova_grounding", "nova_code_interpreter"]


def test_server_tool_history_is_accepted_in_a_later_turn(runtime: Any) -> None:
    first = runtime.converse(modelId=NOVA_2, messages=ask(AVERAGE), toolConfig={"tools": [CODE]})
    messages = [*ask(AVERAGE), first["output"]["message"], *ask("And the sum?")]
    again = runtime.converse(modelId=NOVA_2, messages=messages, toolConfig={"tools": [CODE]})
    assert again["stopReason"] == "end_turn"


def test_no_system_tool_leaves_the_answer_plain(runtime: Any) -> None:
    response = runtime.converse(modelId=NOVA_2, messages=ask(AVERAGE))
    assert [next(iter(block)) for block in response["output"]["message"]["content"]] == ["text"]


# -- refusals ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [NOVA_PRO, SONNET_4])
def test_a_model_without_server_tools_refuses_them(runtime: Any, model: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        runtime.converse(modelId=model, messages=ask("hi"), toolConfig={"tools": [GROUNDING]})
    assert _error(excinfo) == (
        "ValidationException",
        "This model doesn't support the toolConfig.tools.0.systemTool field. "
        "Remove toolConfig.tools.0.systemTool and try again.",
    )


def test_a_server_tool_the_model_lacks_is_refused(runtime: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        runtime.converse(modelId=NOVA_PREMIER, messages=ask("hi"), toolConfig={"tools": [CODE]})
    code, message = _error(excinfo)
    assert code == "ValidationException"
    assert message.startswith("The system tool nova_code_interpreter at toolConfig.tools.0.systemTool.name")
    assert message.endswith("Supported system tools: nova_grounding.")


def test_an_unknown_server_tool_is_refused_in_streams_too(runtime: Any) -> None:
    tools = [{"systemTool": {"name": "web_browser"}}]
    with pytest.raises(ClientError) as excinfo:
        runtime.converse_stream(modelId=NOVA_2, messages=ask("hi"), toolConfig={"tools": tools})
    code, message = _error(excinfo)
    assert code == "ValidationException"
    assert "web_browser" in message
    assert message.endswith("Supported system tools: nova_code_interpreter, nova_grounding.")


def test_count_tokens_refuses_server_tools_as_converse_does(runtime: Any) -> None:
    request = {"messages": ask("hi"), "toolConfig": {"tools": [GROUNDING]}}
    with pytest.raises(ClientError) as excinfo:
        runtime.count_tokens(modelId="anthropic.claude-sonnet-4-20250514-v1:0", input={"converse": request})
    code, message = _error(excinfo)
    assert code == "ValidationException"
    assert message.startswith("This model doesn't support the toolConfig.tools.0.systemTool field.")
