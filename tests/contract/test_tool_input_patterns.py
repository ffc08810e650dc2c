"""Tool inputs follow a schema's ``pattern`` when it is an anchored choice of words, through boto3 over a
socket.

Pydantic and Zod models often spell an enum as ``pattern="^(positive|negative|neutral)$"``; strands-agents'
structured output validates the tool input with the model class and asks again while it fails, so an input
outside the pattern made its agent loop recurse without end (docs/third-party-suites.md).
"""

from __future__ import annotations

import re
from typing import Any

from emulator.pytest_plugin import BedrockEmulator

MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "sentiment": {"type": "string", "pattern": "^(positive|negative|neutral)$"},
        "priority": {"type": "string", "pattern": "^(?:high|medium|low)$"},
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
    },
    "required": ["sentiment", "priority"],
}


def _tool_input(emulator: BedrockEmulator, text: str) -> dict[str, Any]:
    answer = emulator.client().converse(
        modelId=MODEL,
        messages=[{"role": "user", "content": [{"text": text}]}],
        toolConfig={
            "tools": [{"toolSpec": {"name": "review", "inputSchema": {"json": SCHEMA}}}],
            "toolChoice": {"tool": {"name": "review"}},
        },
    )
    blocks = answer["output"]["message"]["content"]
    tool_input: dict[str, Any] = next(block["toolUse"]["input"] for block in blocks if "toolUse" in block)
    return tool_input


def test_a_choice_of_words_gives_one_of_them(bedrock_emulator: BedrockEmulator) -> None:
    seen = set()
    for text in ("Great mouse", "Awful keyboard", "A screen", "Some cable", "The desk"):
        tool_input = _tool_input(bedrock_emulator, text)
        assert re.fullmatch("positive|negative|neutral", tool_input["sentiment"])
        assert tool_input["priority"] in {"high", "medium", "low"}
        seen.add(tool_input["sentiment"])
    assert len(seen) > 1  # chosen per request, not always the first word


def test_the_same_request_gets_the_same_choice(bedrock_emulator: BedrockEmulator) -> None:
    assert _tool_input(bedrock_emulator, "Great mouse") == _tool_input(bedrock_emulator, "Great mouse")
