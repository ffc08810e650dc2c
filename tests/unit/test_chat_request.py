"""Bedrock bodies as chat-completions messages (emulator/chat_request.py): the blocks the socket tests of
tests/e2e/test_model_backend.py do not send."""

from __future__ import annotations

import base64

from emulator import chat_request
from emulator.responder import ChatInput

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()


def test_converse_images_documents_and_guard_content() -> None:
    notes = base64.b64encode(b"Meeting at noon.").decode()
    body = {
        "system": [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"text": "What is in these?"},
                    {"image": {"format": "png", "source": {"bytes": PNG}}},
                    {"document": {"format": "txt", "name": "notes", "source": {"bytes": notes}}},
                    {"document": {"format": "pdf", "name": "report", "source": {"bytes": PNG}}},
                    {"guardContent": {"text": {"text": "Checked text."}}},
                ],
            }
        ],
        "inferenceConfig": {"temperature": 0.5, "topP": 1},
    }
    assert chat_request.from_converse(body) == ChatInput(
        [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in these?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                    {"type": "text", "text": "notes:\nMeeting at noon."},
                    {"type": "text", "text": "[document: report]"},
                    {"type": "text", "text": "Checked text."},
                ],
            },
        ],
        0.5,
        1.0,
    )


def test_reasoning_blocks_are_not_shown_to_the_model() -> None:
    body = {
        "messages": [
            {"role": "user", "content": [{"text": "Hi"}]},
            {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "hm", "signature": "E"}}},
                    {"text": "Hello"},
                ],
            },
            {"role": "user", "content": [{"text": "Bye"}]},
        ]
    }
    assert chat_request.from_converse(body).messages == [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Bye"},
    ]


def test_chat_bodies_pass_through_with_known_members_only() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "Be brief.", "extra": 1},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function"}]},
            {"role": "tool", "tool_call_id": "c", "content": "42"},
        ],
        "temperature": 0.2,
        "top_p": 0.9,
    }
    assert chat_request.from_invoke("openai-chat", body, "") == ChatInput(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "tool_calls": [{"id": "c", "type": "function"}], "content": ""},
            {"role": "tool", "tool_call_id": "c", "content": "42"},
        ],
        0.2,
        0.9,
    )


def test_cohere_history_and_text_completion_families() -> None:
    cohere = {
        "preamble": "Be brief.",
        "chat_history": [{"role": "USER", "message": "Hi"}, {"role": "CHATBOT", "message": "Hello"}],
        "message": "Bye",
        "p": 0.7,
    }
    assert chat_request.from_invoke("cohere-command-r", cohere, "") == ChatInput(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"},
            {"role": "user", "content": "Bye"},
        ],
        None,
        0.7,
    )
    titan = {"inputText": "User: Hi\nBot:", "textGenerationConfig": {"temperature": 0.1, "topP": 0.8}}
    assert chat_request.from_invoke("titan-text", titan, "") == ChatInput(
        [{"role": "user", "content": "User: Hi\nBot:"}], 0.1, 0.8
    )
    assert chat_request.speaks("anthropic-messages")
    assert not chat_request.speaks("titan-embed-v2")
    assert not chat_request.speaks("cohere-rerank")
