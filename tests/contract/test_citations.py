"""Citations on Converse, ConverseStream, InvokeModel and its stream, with boto3 over a real socket
(docs/wire-facts.md §30): cited statements point at real spans of the documents sent."""

from __future__ import annotations

import base64
import copy
import json
import zlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.pytest_plugin import BedrockEmulator

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"  # Claude without citations
NOVA = "amazon.nova-pro-v1:0"
TEXT = (
    "The grass is green. The sky is blue! Is water wet? Rivers run to the sea.\n\n"
    "Mountains are tall. Deserts are dry. Forests hold many trees."
)
CHUNKS = ["First chunk about apples.", "Second chunk about pears.", "Third chunk about plums."]
PAGES = ["Page one speaks of ships. Ships sail far.", "Page two speaks of trains. Trains run on rails."]
CITED = {"enabled": True}


def pdf(pages: list[str], *, compressed: bool = False) -> bytes:
    """A small PDF with one content stream per page (Flate-encoded when ``compressed``)."""
    parts = [b"%PDF-1.4\n"]
    for number, text in enumerate(pages, start=1):
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        if compressed:
            body, extra = zlib.compress(content), b" /Filter /FlateDecode"
        else:
            body, extra = content, b""
        head = f"{number + 2} 0 obj\n<< /Length {len(body)}".encode() + extra + b" >>\nstream\n"
        parts.append(head + body + b"\nendstream\nendobj\n")
    parts.append(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")
    return b"".join(parts)


def document(
    source: dict[str, Any], name: str = "Field notes", fmt: str = "txt", **extra: Any
) -> dict[str, Any]:
    return {"document": {"name": name, "format": fmt, "source": source, "citations": CITED, **extra}}


def ask(*documents: dict[str, Any], question: str = "What does the document say?") -> list[dict[str, Any]]:
    return [{"role": "user", "content": [*documents, {"text": question}]}]


@pytest.fixture
def runtime(bedrock_emulator: BedrockEmulator) -> Any:
    return bedrock_emulator.client("bedrock-runtime")


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def _cited(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [block["citationsContent"] for block in content if "citationsContent" in block]


def _text(content: list[dict[str, Any]]) -> str:
    pieces = []
    for block in content:
        if "text" in block:
            pieces.append(block["text"])
        elif "citationsContent" in block:
            pieces.extend(part["text"] for part in block["citationsContent"]["content"])
    return "".join(pieces)


# -- Converse ------------------------------------------------------------------------------------------


def test_a_text_document_is_cited_by_character_offsets(runtime: Any) -> None:
    response = runtime.converse(modelId=SONNET_45, messages=ask(document({"text": TEXT})))
    content = response["output"]["message"]["content"]
    cited = _cited(content)
    assert cited, content
    assert "text" in content[0]  # the model's own words come first
    for block in cited:
        [citation] = block["citations"]
        location = citation["location"]["documentChar"]
        assert location["documentIndex"] == 0
        assert citation["title"] == "Field notes"
        assert citation["sourceContent"] == [{"text": TEXT[location["start"] : location["end"]]}]
        assert block["content"] == [{"text": TEXT[location["start"] : location["end"]].strip()}]
    assert response["stopReason"] == "end_turn"
    again = runtime.converse(modelId=SONNET_45, messages=ask(document({"text": TEXT})))
    assert again["output"] == response["output"]
    assert again["usage"] == response["usage"]


def test_cited_spans_are_whole_sentences_of_the_document(runtime: Any) -> None:
    sentences = {"The grass is green. ", "The sky is blue! ", "Is water wet? ", "Rivers run to the sea.\n\n"}
    sentences |= {"Mountains are tall. ", "Deserts are dry. ", "Forests hold many trees."}
    for question in ("Colours?", "Water?", "Land?", "Trees?", "Seas?"):
        response = runtime.converse(
            modelId=SONNET_45, messages=ask(document({"text": TEXT}), question=question)
        )
        for block in _cited(response["output"]["message"]["content"]):
            assert block["citations"][0]["sourceContent"][0]["text"] in sentences


def test_a_custom_content_document_is_cited_by_chunk(runtime: Any) -> None:
    source = {"content": [{"text": chunk} for chunk in CHUNKS]}
    response = runtime.converse(modelId=SONNET_45, messages=ask(document(source)))
    cited = _cited(response["output"]["message"]["content"])
    assert cited
    for block in cited:
        [citation] = block["citations"]
        location = citation["location"]["documentChunk"]
        assert location["end"] == location["start"] + 1
        assert citation["sourceContent"] == [{"text": CHUNKS[location["start"]]}]


@pytest.mark.parametrize("compressed", [False, True])
def test_a_pdf_is_cited_by_page(runtime: Any, compressed: bool) -> None:
    source = {"bytes": pdf(PAGES, compressed=compressed)}
    response = runtime.converse(modelId=SONNET_45, messages=ask(document(source, fmt="pdf")))
    cited = _cited(response["output"]["message"]["content"])
    assert cited
    for block in cited:
        [citation] = block["citations"]
        location = citation["location"]["documentPage"]
        assert 1 <= location["start"] <= len(PAGES)
        assert location["end"] == location["start"] + 1
        assert citation["sourceContent"][0]["text"].strip() in PAGES[location["start"] - 1]


def test_document_indices_count_every_document_of_the_conversation(runtime: Any) -> None:
    messages = [
        {
            "role": "user",
            "content": [document({"text": "Alpha is first. Alpha ends."}, name="A"), {"text": "Hi"}],
        },
        {"role": "assistant", "content": [{"text": "Noted."}]},
        {
            "role": "user",
            "content": [document({"text": "Beta is second. Beta ends."}, name="B"), {"text": "And?"}],
        },
    ]
    seen: set[tuple[int, str]] = set()
    for question in ("And?", "Then?", "More?", "Why?", "How?", "When?"):
        messages[2]["content"][1] = {"text": question}
        response = runtime.converse(modelId=SONNET_45, messages=messages)
        for block in _cited(response["output"]["message"]["content"]):
            citation = block["citations"][0]
            index = citation["location"]["documentChar"]["documentIndex"]
            seen.add((index, citation["title"]))
            assert citation["sourceContent"][0]["text"].startswith("Alpha" if index == 0 else "Beta")
    assert seen == {(0, "A"), (1, "B")}


def test_the_answer_counts_the_cited_statements_as_output(runtime: Any) -> None:
    response = runtime.converse(modelId=SONNET_45, messages=ask(document({"text": TEXT})))
    usage = response["usage"]
    assert usage["outputTokens"] > 0
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    without = runtime.converse(
        modelId=SONNET_45,
        messages=ask(
            {"document": {"name": "Field notes", "format": "txt", "source": {"bytes": TEXT.encode()}}}
        ),
    )
    assert not _cited(without["output"]["message"]["content"])


def test_no_room_for_the_citations_answers_plain_text(runtime: Any) -> None:
    response = runtime.converse(
        modelId=SONNET_45, messages=ask(document({"text": TEXT})), inferenceConfig={"maxTokens": 3}
    )
    content = response["output"]["message"]["content"]
    assert [list(block) for block in content] == [["text"]]
    assert response["stopReason"] == "max_tokens"


def test_citations_on_some_documents_only_are_refused(runtime: Any) -> None:
    plain = {"document": {"name": "Other", "format": "txt", "source": {"text": "Plain words here."}}}
    with pytest.raises(ClientError) as excinfo:
        runtime.converse(modelId=SONNET_45, messages=ask(document({"text": TEXT}), plain))
    assert _error(excinfo) == (
        "ValidationException",
        "The model returned the following errors: "
        "citations must be enabled on all or none of the documents in a request",
    )


@pytest.mark.parametrize("model", [HAIKU_3, NOVA])
def test_a_model_without_citations_refuses_them(runtime: Any, model: str) -> None:
    # boto/boto3#4608 and #4597: Bedrock's own text, on Converse and ConverseStream.
    with pytest.raises(ClientError) as excinfo:
        runtime.converse(modelId=model, messages=ask(document({"text": TEXT})))
    assert _error(excinfo) == ("ValidationException", "This model doesn't support citations.")
    with pytest.raises(ClientError) as excinfo:
        runtime.converse_stream(modelId=model, messages=ask(document({"text": TEXT})))
    assert _error(excinfo) == ("ValidationException", "This model doesn't support citations.")


def test_documents_without_citations_are_fine_on_any_model(runtime: Any) -> None:
    plain = {"document": {"name": "Notes", "format": "txt", "source": {"bytes": TEXT.encode()}}}
    for model in (HAIKU_3, NOVA, SONNET_45):
        content = runtime.converse(modelId=model, messages=ask(plain))["output"]["message"]["content"]
        assert [list(block) for block in content] == [["text"]]


def test_citations_in_a_tool_result_document_are_refused(runtime: Any) -> None:
    # boto/boto3#4648
    tool = {"toolSpec": {"name": "get_info", "inputSchema": {"json": {"type": "object"}}}}
    messages = [
        {"role": "user", "content": [{"text": "What color is the sky?"}]},
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "tool_1", "name": "get_info", "input": {}}}],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "tool_1", "content": [document({"text": TEXT})]}}],
        },
    ]
    with pytest.raises(ClientError) as excinfo:
        runtime.converse(modelId=SONNET_45, messages=messages, toolConfig={"tools": [tool]})
    assert _error(excinfo) == ("ValidationException", "Citations are not supported in tool result documents.")


def test_only_txt_and_pdf_documents_take_citations(runtime: Any) -> None:
    # boto/boto3#4726: the format check, and a txt document's bytes handed to Claude as a PDF (an open issue)
    with pytest.raises(ClientError) as excinfo:
        runtime.converse(modelId=SONNET_45, messages=ask(document({"text": TEXT}, fmt="md")))
    assert _error(excinfo) == (
        "ValidationException",
        "Unsupported document format. Only txt and pdf formats are supported when citations are enabled",
    )
    with pytest.raises(ClientError) as excinfo:
        runtime.converse(modelId=SONNET_45, messages=ask(document({"bytes": TEXT.encode()})))
    assert _error(excinfo) == (
        "ValidationException",
        "The model returned the following errors: "
        "messages.0.content.0.image.source.bytes: The PDF specified was not valid.",
    )


def test_citations_with_structured_output_are_refused(runtime: Any) -> None:
    schema = json.dumps({"type": "object", "properties": {"a": {"type": "string"}}})
    output = {
        "textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": schema, "name": "x"}}}
    }
    with pytest.raises(ClientError) as excinfo:
        runtime.converse(modelId=SONNET_45, messages=ask(document({"text": TEXT})), outputConfig=output)
    assert _error(excinfo) == (
        "ValidationException",
        "The model returned the following errors: "
        "citations are not supported together with structured output (output_config.format)",
    )


def test_a_document_without_a_name_is_refused_before_the_model(runtime: Any) -> None:
    from botocore.exceptions import ParamValidationError

    nameless = {"document": {"format": "txt", "source": {"text": TEXT}, "citations": CITED}}
    with pytest.raises(ParamValidationError):  # boto3 checks the required member itself
        runtime.converse(modelId=SONNET_45, messages=ask(nameless))


def test_cited_answers_given_back_are_accepted_in_later_turns(runtime: Any) -> None:
    first = ask(document({"text": TEXT}))
    answer = runtime.converse(modelId=SONNET_45, messages=first)["output"]["message"]
    assert _cited(answer["content"])
    follow_up = [*first, answer, {"role": "user", "content": [{"text": "Say more about that."}]}]
    response = runtime.converse(modelId=SONNET_45, messages=follow_up)
    assert response["stopReason"] == "end_turn"
    assert _text(response["output"]["message"]["content"])


# -- ConverseStream ------------------------------------------------------------------------------------


def _assemble(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Converse content blocks rebuilt from a stream's deltas."""
    blocks: dict[int, dict[str, Any]] = {}
    for event in events:
        delta_event = event.get("contentBlockDelta")
        if not delta_event:
            continue
        block = blocks.setdefault(delta_event["contentBlockIndex"], {"text": "", "citations": []})
        delta = delta_event["delta"]
        if "citation" in delta:
            assert not block["text"], "a citation comes before its statement's text"
            block["citations"].append(delta["citation"])
        else:
            block["text"] += delta["text"]
    return [
        {"citationsContent": {"citations": b["citations"], "content": [{"text": b["text"]}]}}
        if b["citations"]
        else {"text": b["text"]}
        for _, b in sorted(blocks.items())
    ]


def test_the_stream_sends_each_citation_before_its_statement(runtime: Any) -> None:
    messages = ask(document({"text": TEXT}))
    events = list(runtime.converse_stream(modelId=SONNET_45, messages=messages)["stream"])
    assert not any("contentBlockStart" in event for event in events)
    stops = [
        event["contentBlockStop"]["contentBlockIndex"] for event in events if "contentBlockStop" in event
    ]
    assert stops == list(range(len(stops)))
    unary = runtime.converse(modelId=SONNET_45, messages=messages)
    assert _assemble(events) == unary["output"]["message"]["content"]
    # a stream's usage has no cache counts without a cache point (recorded, wire-facts §33)
    cache_counts = {"cacheReadInputTokens", "cacheWriteInputTokens"}
    unary_usage = {k: v for k, v in unary["usage"].items() if k not in cache_counts}
    assert events[-1]["metadata"]["usage"] == unary_usage


# -- InvokeModel -----------------------------------------------------------------------------------------


def _anthropic_body(*documents: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 512,
        "messages": [
            {"role": "user", "content": [*documents, {"type": "text", "text": "What does it say?"}]}
        ],
        **extra,
    }


def _text_document(text: str = TEXT, **extra: Any) -> dict[str, Any]:
    source = {"type": "text", "media_type": "text/plain", "data": text}
    return {"type": "document", "source": source, "citations": CITED, **extra}


def _invoke(runtime: Any, body: dict[str, Any], model: str = SONNET_45) -> dict[str, Any]:
    response = runtime.invoke_model(modelId=model, body=json.dumps(body))
    answer: dict[str, Any] = json.loads(response["body"].read())
    return answer


def test_invoke_model_answers_text_blocks_with_char_locations(runtime: Any) -> None:
    answer = _invoke(runtime, _anthropic_body(_text_document(title="Field notes")))
    cited = [block for block in answer["content"] if "citations" in block]
    assert cited
    for block in cited:
        assert list(block) == ["citations", "type", "text"]
        [citation] = block["citations"]
        assert citation["type"] == "char_location"
        assert citation["document_index"] == 0
        assert citation["document_title"] == "Field notes"
        span = TEXT[citation["start_char_index"] : citation["end_char_index"]]
        assert citation["cited_text"] == span
        assert block["text"] == span.strip()
    assert all(block["type"] == "text" for block in answer["content"])
    assert answer["stop_reason"] == "end_turn"


def test_invoke_model_cites_pages_and_content_blocks(runtime: Any) -> None:
    pdf_document = {
        "type": "document",
        "source": {
            "type": "base64",
            "media_type": "application/pdf",
            "data": base64.b64encode(pdf(PAGES)).decode(),
        },
        "citations": CITED,
    }
    blocks = [{"type": "text", "text": chunk} for chunk in CHUNKS]
    custom = {"type": "document", "source": {"type": "content", "content": blocks}, "citations": CITED}
    kinds: set[str] = set()
    for question in ("A?", "B?", "C?", "D?", "E?", "F?", "G?", "H?"):
        body = _anthropic_body(pdf_document, custom)
        body["messages"][0]["content"][-1]["text"] = question
        for block in _invoke(runtime, body)["content"]:
            for citation in block.get("citations", ()):
                kinds.add(citation["type"])
                assert citation["document_title"] is None  # no title given
                if citation["type"] == "page_location":
                    assert citation["document_index"] == 0
                    page = citation["start_page_number"]
                    assert citation["end_page_number"] == page + 1
                    assert citation["cited_text"].strip() in PAGES[page - 1]
                else:
                    assert citation["type"] == "content_block_location"
                    assert citation["document_index"] == 1
                    start = citation["start_block_index"]
                    assert citation["end_block_index"] == start + 1
                    assert citation["cited_text"] == CHUNKS[start]
    assert kinds == {"page_location", "content_block_location"}


def test_invoke_model_refuses_mixed_citations_and_unsupported_models(runtime: Any) -> None:
    plain = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "Other words."},
    }
    with pytest.raises(ClientError) as excinfo:
        _invoke(runtime, _anthropic_body(_text_document(), plain))
    assert _error(excinfo) == (
        "ValidationException",
        "citations must be enabled on all or none of the documents in a request",
    )
    with pytest.raises(ClientError) as excinfo:
        _invoke(runtime, _anthropic_body(_text_document()), model=HAIKU_3)
    assert _error(excinfo) == ("ValidationException", "citations are not supported by this model")
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    output_config = {"format": {"type": "json_schema", "schema": schema}}
    with pytest.raises(ClientError) as excinfo:
        _invoke(runtime, _anthropic_body(_text_document(), output_config=output_config))
    assert (
        _error(excinfo)[1]
        == "citations are not supported together with structured output (output_config.format)"
    )


def test_invoke_stream_sends_citations_deltas_before_the_text(runtime: Any) -> None:
    body = _anthropic_body(_text_document(title="Field notes"))
    stream = runtime.invoke_model_with_response_stream(modelId=SONNET_45, body=json.dumps(body))["body"]
    chunks = [json.loads(event["chunk"]["bytes"]) for event in stream]
    blocks: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        if chunk["type"] == "content_block_start":
            blocks[chunk["index"]] = copy.deepcopy(chunk["content_block"])
        elif chunk["type"] == "content_block_delta":
            block, delta = blocks[chunk["index"]], chunk["delta"]
            if delta["type"] == "citations_delta":
                assert block["text"] == "", "citations come before the text"
                block["citations"].append(delta["citation"])
            else:
                block["text"] += delta["text"]
    starts = [c["content_block"] for c in chunks if c["type"] == "content_block_start"]
    assert {"citations": [], "type": "text", "text": ""} in starts
    assert [blocks[index] for index in sorted(blocks)] == _invoke(runtime, body)["content"]


def test_invoke_model_accepts_its_cited_answer_given_back(runtime: Any) -> None:
    body = _anthropic_body(_text_document(title="Field notes"))
    answer = _invoke(runtime, body)
    assert any("citations" in block for block in answer["content"])
    body["messages"] += [
        {"role": "assistant", "content": answer["content"]},
        {"role": "user", "content": [{"type": "text", "text": "Tell me more."}]},
    ]
    follow_up = _invoke(runtime, body)
    assert follow_up["stop_reason"] == "end_turn"
    assert follow_up["content"]


def test_thinking_comes_before_the_cited_statements(runtime: Any) -> None:
    thinking = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    response = runtime.converse(
        modelId=SONNET_45,
        messages=ask(document({"text": TEXT})),
        additionalModelRequestFields=thinking,
        inferenceConfig={"maxTokens": 4096},
    )
    content = response["output"]["message"]["content"]
    assert "reasoningContent" in content[0]
    assert _cited(content[1:])
    events = list(
        runtime.converse_stream(
            modelId=SONNET_45,
            messages=ask(document({"text": TEXT})),
            additionalModelRequestFields=thinking,
            inferenceConfig={"maxTokens": 4096},
        )["stream"]
    )
    without_reasoning = [
        event for event in events if event.get("contentBlockDelta", {}).get("contentBlockIndex", 1) != 0
    ]
    assert _assemble(without_reasoning) == content[1:]
