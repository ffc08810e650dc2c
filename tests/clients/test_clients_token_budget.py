"""bedrock_emulator_clients.token_budget against the emulator: CountTokens agrees with what Converse bills, requests
over budget are refused or trimmed, and usage adds up."""

from __future__ import annotations

from typing import Any

import pytest

from bedrock_emulator_clients.token_budget import BudgetExceededError, TokenBudget, UsageTracker

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
SYSTEM = [{"text": "You are a terse geography tutor."}]


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"text": text}]}


HISTORY = [
    user("Which is the longest river in Europe? Please explain how it is measured in detail."),
    assistant("The Volga, at about 3,530 km, measured from its source to the Caspian Sea."),
    user("And which countries does the Danube flow through on its way to the Black Sea?"),
    assistant("Ten: Germany, Austria, Slovakia, Hungary, Croatia, Serbia, Romania, Bulgaria, ..."),
    user("Which of them is the source?"),
]


def test_count_agrees_with_the_input_tokens_converse_bills(bedrock_emulator):
    client = bedrock_emulator.client("bedrock-runtime")
    budget = TokenBudget(client, MODEL, max_input_tokens=10_000)

    counted = budget.count(HISTORY, system=SYSTEM)
    response = client.converse(modelId=MODEL, messages=HISTORY, system=SYSTEM)

    assert counted == response["usage"]["inputTokens"]
    assert counted > budget.count(HISTORY[-1:], system=SYSTEM)


def test_check_refuses_a_request_over_budget(bedrock_emulator):
    client = bedrock_emulator.client("bedrock-runtime")
    needed = TokenBudget(client, MODEL, max_input_tokens=10_000).count(HISTORY)

    with pytest.raises(BudgetExceededError) as raised:
        TokenBudget(client, MODEL, max_input_tokens=needed - 1).check(HISTORY)

    assert (raised.value.needed, raised.value.budget) == (needed, needed - 1)
    assert TokenBudget(client, MODEL, max_input_tokens=needed).check(HISTORY) == needed
    assert [r.operation for r in bedrock_emulator.requests()] == ["CountTokens"] * 3


def test_fit_drops_the_oldest_turns_until_the_request_fits(bedrock_emulator):
    client = bedrock_emulator.client("bedrock-runtime")
    limit = TokenBudget(client, MODEL, max_input_tokens=10_000).count(HISTORY[2:], system=SYSTEM)
    budget = TokenBudget(client, MODEL, max_input_tokens=limit)

    fitted = budget.fit(HISTORY, system=SYSTEM)

    assert fitted.dropped == 2
    assert fitted.messages == HISTORY[2:]
    assert fitted.input_tokens == limit
    response = client.converse(modelId=MODEL, messages=fitted.messages, system=SYSTEM)
    assert response["usage"]["inputTokens"] == fitted.input_tokens


def test_fit_keeps_a_request_that_already_fits_untouched(bedrock_emulator):
    client = bedrock_emulator.client("bedrock-runtime")

    fitted = TokenBudget(client, MODEL, max_input_tokens=10_000).fit(HISTORY)

    assert (fitted.messages, fitted.dropped) == (HISTORY, 0)


def test_fit_refuses_when_the_last_message_alone_is_over_budget(bedrock_emulator):
    client = bedrock_emulator.client("bedrock-runtime")
    prompt = [user("Summarise the hydrology of every river in South America. " * 20)]

    with pytest.raises(BudgetExceededError):
        TokenBudget(client, MODEL, max_input_tokens=50).fit(prompt)


def test_fit_never_starts_the_history_with_an_orphaned_tool_result(bedrock_emulator):
    client = bedrock_emulator.client("bedrock-runtime")
    tool_config = {
        "tools": [
            {
                "toolSpec": {
                    "name": "river_length",
                    "inputSchema": {"json": {"type": "object", "properties": {"river": {"type": "string"}}}},
                }
            }
        ]
    }
    history = [
        user("How long is the Nile?"),
        {
            "role": "assistant",
            "content": [
                {"toolUse": {"toolUseId": "tooluse_1", "name": "river_length", "input": {"river": "Nile"}}}
            ],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "6650 km"}]}}],
        },
        assistant("The Nile is about 6,650 km long."),
        user("And the Amazon?"),
    ]
    limit = TokenBudget(client, MODEL, max_input_tokens=10_000).count(history[2:], tool_config=tool_config)

    fitted = TokenBudget(client, MODEL, max_input_tokens=limit).fit(history, tool_config=tool_config)

    # Dropping two messages would fit, but would leave a toolResult without its toolUse.
    assert fitted.dropped == 4
    assert fitted.messages == history[4:]


def test_usage_tracker_adds_up_converse_usage_and_refuses_past_its_limit(bedrock_emulator):
    client = bedrock_emulator.client("bedrock-runtime")
    tracker = UsageTracker(limit_total_tokens=400)
    responses = [client.converse(modelId=MODEL, messages=[user(f"Name river {n}.")]) for n in range(3)]

    for response in responses:
        tracker.record_response(response)

    usage = tracker.usage
    assert usage.calls == 3
    assert usage.input_tokens == sum(r["usage"]["inputTokens"] for r in responses)
    assert usage.output_tokens == sum(r["usage"]["outputTokens"] for r in responses)
    assert usage.total_tokens == sum(r["usage"]["totalTokens"] for r in responses)
    assert tracker.remaining == max(0, 400 - usage.total_tokens)
    with pytest.raises(BudgetExceededError):
        tracker.ensure_room(input_tokens=10, max_output_tokens=400)
