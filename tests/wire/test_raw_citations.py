"""Raw event-stream frames of cited answers (docs/wire-facts.md §30): ConverseStream's ``citation``
deltas and InvokeModelWithResponseStream's ``citations_delta`` chunks, decoded by botocore's own
event-stream parser from the bytes on the socket."""

from __future__ import annotations

import base64
import json
from typing import Any

from emulator.pytest_plugin import BedrockEmulator
from tests.wire.test_raw_responses import _boto_frames, _send

_SONNET_4 = "us.anthropic.claude-sonnet-4-20250514-v1%3A0"
_TEXT = "The capital of Vietnam is Hanoi. The Red River runs through it. It is old."


def _converse_body() -> dict[str, Any]:
    document = {
        "name": "MyDocument",
        "format": "txt",
        "source": {"text": _TEXT},
        "citations": {"enabled": True},
    }
    return {
        "messages": [{"role": "user", "content": [{"document": document}, {"text": "What is the capital?"}]}]
    }


def test_converse_stream_citation_frames(bedrock_emulator: BedrockEmulator) -> None:
    raw = _send(bedrock_emulator, "POST", f"/model/{_SONNET_4}/converse-stream", _converse_body())
    assert raw.status == 200
    assert raw.header("Content-Type") == "application/vnd.amazon.eventstream"
    frames = _boto_frames(raw.body)
    kinds = [frame.headers[":event-type"] for frame in frames]
    assert kinds[0] == "messageStart"
    assert kinds[-2:] == ["messageStop", "metadata"]
    assert "contentBlockStart" not in kinds  # text and cited blocks open with their first delta
    payloads = [json.loads(frame.payload) for frame in frames]
    citations = [p for p in payloads if "citation" in p.get("delta", {})]
    assert citations
    for payload in citations:
        # Keys sorted at every level, the padding member included, as recorded frames send them.
        assert list(payload) == ["contentBlockIndex", "delta", "p"]
        citation = payload["delta"]["citation"]
        assert list(citation) == ["location", "sourceContent", "title"]
        assert citation["title"] == "MyDocument"
        location = citation["location"]["documentChar"]
        assert list(location) == ["documentIndex", "end", "start"]
        assert citation["sourceContent"] == [{"text": _TEXT[location["start"] : location["end"]]}]
        index = payloads.index(payload)
        following = payloads[index + 1]
        assert following["contentBlockIndex"] == payload["contentBlockIndex"]
        assert "citation" in following["delta"] or "text" in following["delta"]
        block = [p for p in payloads if p.get("contentBlockIndex") == payload["contentBlockIndex"]]
        text = "".join(p["delta"].get("text", "") for p in block if "delta" in p)
        assert text == citation["sourceContent"][0]["text"].strip()
        assert list(block[-1]) == ["contentBlockIndex", "p"]  # its contentBlockStop


def test_invoke_stream_citations_delta_chunks(bedrock_emulator: BedrockEmulator) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 400,
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "document",
                        "source": {"type": "text", "media_type": "text/plain", "data": _TEXT},
                        "title": "MyDocument",
                        "citations": {"enabled": True},
                    },
                    {"type": "text", "text": "What is the capital?"},
                ],
            }
        ],
    }
    raw = _send(bedrock_emulator, "POST", f"/model/{_SONNET_4}/invoke-with-response-stream", body)
    assert raw.status == 200
    frames = _boto_frames(raw.body)
    assert {frame.headers[":event-type"] for frame in frames} == {"chunk"}
    chunks = [json.loads(base64.b64decode(json.loads(frame.payload)["bytes"])) for frame in frames]
    cited_starts = [
        c for c in chunks if c["type"] == "content_block_start" and "citations" in c["content_block"]
    ]
    assert cited_starts
    for start in cited_starts:
        assert list(start["content_block"]) == ["citations", "type", "text"]
        index = chunks.index(start)
        delta = chunks[index + 1]["delta"]
        assert delta["type"] == "citations_delta"
        citation = delta["citation"]
        assert list(citation) == [
            "type",
            "cited_text",
            "document_index",
            "document_title",
            "start_char_index",
            "end_char_index",
        ]
        assert citation["cited_text"] == _TEXT[citation["start_char_index"] : citation["end_char_index"]]
    uncited = [
        c for c in chunks if c["type"] == "content_block_start" and "citations" not in c["content_block"]
    ]
    assert all(c["content_block"] == {"type": "text", "text": ""} for c in uncited)
    assert chunks[-1]["type"] == "message_stop"
    assert "amazon-bedrock-invocationMetrics" in chunks[-1]


def _one_page_pdf(text: str) -> bytes:
    content = f"BT\n/F1 12 Tf\n100 700 Td\n({text}) Tj\nET".encode()
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        + f"4 0 obj\n<< /Length {len(content)} >>\nstream\n".encode()
        + content
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def test_a_one_page_pdf_is_cited_as_a_recorded_stream_cites_it(bedrock_emulator: BedrockEmulator) -> None:
    # agentjido/req_llm's converse_citations_streaming.json (Claude Haiku 4.5, recorded 2026-09-12): a PDF
    # whose only text is "Test PDF Document", named MyDocument, streams this frame first after messageStart.
    recorded_delta = (
        b'{"citation":{"location":{"documentPage":{"documentIndex":0,"end":2,"start":1}},'
        b'"sourceContent":[{"text":"Test PDF Document"}],"title":"MyDocument"}}'
    )
    pdf = base64.b64encode(_one_page_pdf("Test PDF Document")).decode()
    document = {
        "citations": {"enabled": True},
        "format": "pdf",
        "name": "MyDocument",
        "source": {"bytes": pdf},
    }
    body = {
        "inferenceConfig": {"maxTokens": 256},
        "messages": [
            {
                "content": [{"text": "What's in this document? Quote its text."}, {"document": document}],
                "role": "user",
            }
        ],
    }
    raw = _send(
        bedrock_emulator,
        "POST",
        "/model/global.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream",
        body,
    )
    assert raw.status == 200
    frames = _boto_frames(raw.body)
    citation_frames = [f.payload for f in frames if b'"citation"' in f.payload]
    assert citation_frames
    for payload in citation_frames:  # the same bytes, key order included, whatever the block index
        assert b'"delta":' + recorded_delta + b',"p":"' in payload
