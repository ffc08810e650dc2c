"""The token overhead table (emulator/data/token_overhead.json) names real families and models, and its
arithmetic is what docs/wire-facts.md §33 describes."""

from __future__ import annotations

import json
from importlib import resources

from emulator import catalog
from emulator.token_overhead import Overhead, for_invoke_body, overhead_of

_DATA = json.loads(
    resources.files("emulator").joinpath("data/token_overhead.json").read_text(encoding="utf-8")
)


def test_every_family_and_model_prefix_in_the_table_exists_in_the_catalogue() -> None:
    assert set(_DATA["families"]) <= catalog.BODY_FAMILIES
    ids = [m.model_id for m in catalog.foundation_models()]
    for prefix in _DATA["models"]:
        assert any(model_id.startswith(prefix) for model_id in ids), prefix


def test_every_entry_builds_an_overhead_with_known_tool_choices_and_thinking_types() -> None:
    for model in catalog.foundation_models():
        overhead = overhead_of(model.model_id, model.body_family)
        assert set(overhead.tools) <= {"auto", "none", "any", "tool"}
        assert set(overhead.thinking) <= {"enabled", "adaptive"}
        assert min([overhead.request, overhead.message, overhead.system, overhead.reply]) >= 0


def test_a_model_prefix_overrides_its_family() -> None:
    haiku_3 = overhead_of("anthropic.claude-3-haiku-20240307-v1:0", "anthropic-messages")
    sonnet_4 = overhead_of("anthropic.claude-sonnet-4-20250514-v1:0", "anthropic-messages")
    assert (haiku_3.tools["auto"], haiku_3.tools["any"]) == (264, 340)
    assert (sonnet_4.tools["auto"], sonnet_4.tools["tool"]) == (346, 313)
    assert haiku_3.message == sonnet_4.message  # the template is the family's
    assert overhead_of("openai.gpt-oss-20b-1:0", "openai-chat").request == 62
    assert overhead_of("qwen.qwen3-32b-v1:0", "openai-chat").request == 0


def test_count_adds_the_template_the_tool_prompt_and_the_thinking_prompt() -> None:
    overhead = Overhead(
        request=3, message=2, system=1, reply=2, tools={"auto": 346, "any": 313}, thinking={"enabled": 28}
    )
    assert overhead.count(messages=1, system=False, tools=0, tool_choice=None, thinking=None) == 7
    assert overhead.count(messages=3, system=True, tools=0, tool_choice="auto", thinking=None) == 12
    assert overhead.count(messages=1, system=False, tools=2, tool_choice=None, thinking=None) == 7 + 346
    assert overhead.count(messages=1, system=False, tools=1, tool_choice="tool:x", thinking=None) == 7
    assert (
        overhead.count(messages=1, system=False, tools=1, tool_choice="any", thinking="enabled")
        == 7 + 313 + 28
    )


def test_invoke_bodies_with_turns_get_the_overhead_and_raw_prompts_none() -> None:
    llama = overhead_of("meta.llama3-8b-instruct-v1:0", "llama")
    assert for_invoke_body(llama, {"prompt": "<|begin_of_text|>Hi"}, tools=0, tool_choice=None) == 0
    cohere = overhead_of("cohere.command-r-v1:0", "cohere-command-r")  # counts the words only (recorded)
    body = {"message": "Hi", "chat_history": [{"role": "USER", "message": "a"}]}
    assert for_invoke_body(cohere, body, tools=0, tool_choice=None) == 0
    nova = overhead_of("amazon.nova-lite-v1:0", "nova")
    turns = {"messages": [{"role": "user", "content": [{"text": "Hi"}]}], "system": [{"text": "Be brief."}]}
    assert for_invoke_body(nova, turns, tools=1, tool_choice="auto") == 338
    jamba = overhead_of("ai21.jamba-1-5-mini-v1:0", "ai21-jamba")
    chat = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}
    assert for_invoke_body(jamba, chat, tools=0, tool_choice=None) == 4 + 2 * 3 + 3
    claude = overhead_of("anthropic.claude-sonnet-4-20250514-v1:0", "anthropic-messages")
    thinking = {
        "messages": [{"role": "user", "content": "Hi"}],
        "thinking": {"type": "enabled", "budget_tokens": 1024},
    }
    assert for_invoke_body(claude, thinking, tools=0, tool_choice=None) == 7 + 28
    disabled = {**thinking, "thinking": {"type": "disabled"}}
    assert for_invoke_body(claude, disabled, tools=0, tool_choice=None) == 7
