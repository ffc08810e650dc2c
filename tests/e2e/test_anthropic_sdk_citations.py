"""Citations through the Anthropic Python SDK's Bedrock client (``anthropic.AnthropicBedrock``), unmodified:
its typed citation objects and its stream accumulator read the emulator's answers (docs/wire-facts.md §30)."""

from __future__ import annotations

from typing import Any

import pytest

anthropic = pytest.importorskip("anthropic")

PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
TEXT = "Paris is the capital of France. Lyon is known for its food. Marseille is a port."
CHUNKS = ["Clause one: the tenant pays rent.", "Clause two: the landlord fixes the roof."]


@pytest.fixture
def client(anthropic_bedrock: Any) -> Any:
    return anthropic_bedrock


def _messages(question: str = "What does the document say about Paris?") -> list[dict[str, Any]]:
    return [
        {
            "role": "user",
            "content": [
                {
                    "type": "document",
                    "source": {"type": "text", "media_type": "text/plain", "data": TEXT},
                    "title": "Cities",
                    "citations": {"enabled": True},
                },
                {
                    "type": "document",
                    "source": {"type": "content", "content": [{"type": "text", "text": c} for c in CHUNKS]},
                    "title": "Lease",
                    "citations": {"enabled": True},
                },
                {"type": "text", "text": question},
            ],
        }
    ]


def _check(citation: Any) -> None:
    if citation.type == "char_location":
        assert isinstance(citation, anthropic.types.CitationCharLocation)
        assert (citation.document_index, citation.document_title) == (0, "Cities")
        assert citation.cited_text == TEXT[citation.start_char_index : citation.end_char_index]
    else:
        assert isinstance(citation, anthropic.types.CitationContentBlockLocation)
        assert (citation.document_index, citation.document_title) == (1, "Lease")
        assert citation.end_block_index == citation.start_block_index + 1
        assert citation.cited_text == CHUNKS[citation.start_block_index]


def test_messages_create_returns_typed_citations(client: Any) -> None:
    kinds = set()
    for question in ("Paris?", "Food?", "Rent?", "Roof?", "Ports?", "France?"):
        message = client.messages.create(model=PROFILE, max_tokens=512, messages=_messages(question))
        cited = [block for block in message.content if block.type == "text" and block.citations]
        assert cited
        for block in cited:
            for citation in block.citations:
                _check(citation)
                kinds.add(citation.type)
                assert block.text == citation.cited_text.strip()
    assert kinds == {"char_location", "content_block_location"}


def test_the_stream_accumulates_to_the_same_cited_message(client: Any) -> None:
    messages = _messages()
    with client.messages.stream(model=PROFILE, max_tokens=512, messages=messages) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert "citation" in kinds  # the SDK's event for a citations_delta
    unary = client.messages.create(model=PROFILE, max_tokens=512, messages=messages)
    assert [block.model_dump() for block in final.content] == [block.model_dump() for block in unary.content]
    assert any(block.citations for block in final.content if block.type == "text")
