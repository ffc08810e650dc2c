"""Nova, Llama, Mistral, Cohere Command R, Jamba, gpt-oss and DeepSeek bodies, answers and stream chunks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from emulator.generation import Completion, split_deltas
from emulator.providers import PROVIDERS, Prompt, generate, provider_for
from emulator.wire.errors import AwsError

SUFFIX = ", please reformat your input and try again."


@dataclass(frozen=True)
class Model:
    model_id: str
    max_output_tokens: int
    default_max_tokens: int


NOVA = Model("amazon.nova-micro-v1:0", 10000, 4096)
LLAMA = Model("meta.llama3-1-70b-instruct-v1:0", 2048, 512)
MISTRAL = Model("mistral.mistral-7b-instruct-v0:2", 8192, 512)
MISTRAL_LARGE = Model("mistral.mistral-large-2407-v1:0", 8192, 8192)
COMMAND_R = Model("cohere.command-r-v1:0", 4000, 4000)
JAMBA = Model("ai21.jamba-1-5-mini-v1:0", 4096, 4096)
GPT_OSS = Model("openai.gpt-oss-120b-1:0", 32768, 4096)
DEEPSEEK = Model("deepseek.r1-v1:0", 32768, 8192)

WEATHER_TOOL_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def run(family: str, body: dict[str, Any], model: Model) -> tuple[Prompt, Completion, dict[str, Any]]:
    provider = provider_for(family)
    prompt = provider.validate(json.loads(json.dumps(body)), model)
    completion = generate(prompt)
    return prompt, completion, provider.respond(prompt, completion, model, "req-1")


def chunks(family: str, body: dict[str, Any], model: Model) -> tuple[Completion, list[dict[str, Any]]]:
    prompt, completion, _ = run(family, body, model)
    return completion, provider_for(family).stream_chunks(
        prompt, completion, model, "req-1", split_deltas(completion.text)
    )


def error(family: str, body: Any, model: Model) -> str:
    with pytest.raises(AwsError) as caught:
        provider_for(family).validate(body, model)
    assert caught.value.code == "ValidationException"
    return caught.value.message


def test_every_family_of_the_brief_is_registered() -> None:
    assert set(PROVIDERS) >= {
        "anthropic-messages", "anthropic-text", "titan-text", "titan-embed-v1", "titan-embed-v2", "nova",
        "llama", "mistral", "mistral-chat", "cohere-command-r", "cohere-embed", "ai21-jamba", "openai-chat",
        "deepseek",
    }  # fmt: skip


# -- Nova ---------------------------------------------------------------------------------------------

NOVA_BODY = {
    "schemaVersion": "messages-v1",
    "system": [{"text": "You are concise."}],
    "messages": [{"role": "user", "content": [{"text": "Hello there"}]}],
    "inferenceConfig": {"max_new_tokens": 300, "temperature": 0.7, "top_p": 0.9, "top_k": 20},
}


def test_nova_response() -> None:
    prompt, completion, answer = run("nova", NOVA_BODY, NOVA)
    assert answer["output"]["message"] == {"content": [{"text": completion.text}], "role": "assistant"}
    assert answer["stopReason"] == "end_turn"
    usage = answer["usage"]
    assert usage["inputTokens"] == prompt.input_tokens
    assert usage["outputTokens"] == completion.output_tokens
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]


def test_nova_max_tokens_and_default() -> None:
    short = NOVA_BODY | {"inferenceConfig": {"max_new_tokens": 2}}
    assert run("nova", short, NOVA)[2]["stopReason"] == "max_tokens"
    assert run("nova", {"messages": NOVA_BODY["messages"]}, NOVA)[0].max_tokens == 4096


def test_nova_refuses_anthropic_style_blocks() -> None:
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}
    assert error("nova", body, NOVA) == (
        f"Malformed input request: #/messages/0/content/0: extraneous key [type] is not permitted{SUFFIX}"
    )


def test_nova_tool_use_and_stream() -> None:
    body = NOVA_BODY | {
        "toolConfig": {
            "tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": WEATHER_TOOL_SCHEMA}}}],
            "toolChoice": {"any": {}},
        }
    }
    _, completion, answer = run("nova", body, NOVA)
    assert answer["stopReason"] == "tool_use"
    assert answer["output"]["message"]["content"][-1]["toolUse"]["name"] == "get_weather"
    _, events = chunks("nova", body, NOVA)
    names = [next(iter(event)) for event in events]
    assert names[0] == "messageStart"
    assert names[-2:] == ["messageStop", "metadata"]
    assert "contentBlockStart" in names
    tool_json = "".join(
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "contentBlockDelta" in e and "toolUse" in e["contentBlockDelta"]["delta"]
    )
    assert json.loads(tool_json) == completion.tool_calls[0].input


def test_nova_text_stream() -> None:
    completion, events = chunks("nova", NOVA_BODY, NOVA)
    names = [next(iter(event)) for event in events]
    assert names == [
        "messageStart",
        *["contentBlockDelta"] * (len(names) - 4),
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == completion.text
    assert events[-1]["metadata"]["usage"]["outputTokens"] == completion.output_tokens


# -- Llama --------------------------------------------------------------------------------------------

LLAMA_PROMPT = (
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\nWrite binary search.<|eot_id|>\n"
    "<|start_header_id|>assistant<|end_header_id|>"
)


def test_llama_response_and_stream() -> None:
    body = {"prompt": LLAMA_PROMPT, "max_gen_len": 512, "temperature": 0.2, "top_p": 0.9}
    prompt, completion, answer = run("llama", body, LLAMA)
    assert answer == {
        "generation": completion.text,
        "prompt_token_count": prompt.input_tokens,
        "generation_token_count": completion.output_tokens,
        "stop_reason": "stop",
    }
    _, parts = chunks("llama", body, LLAMA)
    assert "".join(p["generation"] for p in parts) == completion.text
    assert parts[0]["prompt_token_count"] == prompt.input_tokens
    assert parts[-1]["stop_reason"] == "stop"
    assert parts[-1]["generation_token_count"] == completion.output_tokens
    assert all(p["stop_reason"] is None for p in parts[:-1])
    assert run("llama", body | {"max_gen_len": 3}, LLAMA)[2]["stop_reason"] == "length"


def test_llama_validation() -> None:
    assert error("llama", {"prompt": "hi", "max_gen_len": 4096}, LLAMA) == (
        f"Malformed input request: #/max_gen_len: 4096 is not less or equal to 2048{SUFFIX}"
    )
    assert error("llama", {"prompt": "hi", "max_tokens": 10}, LLAMA) == (
        f"Malformed input request: #: extraneous key [max_tokens] is not permitted{SUFFIX}"
    )


# -- Mistral ------------------------------------------------------------------------------------------


def test_mistral_text() -> None:
    body = {
        "prompt": "<s>[INST] What is your favourite condiment? [/INST]",
        "max_tokens": 200,
        "temperature": 0.5,
    }
    _, completion, answer = run("mistral", body, MISTRAL)
    assert answer == {"outputs": [{"text": completion.text, "stop_reason": "stop"}]}
    assert run("mistral", body | {"max_tokens": 2}, MISTRAL)[2]["outputs"][0]["stop_reason"] == "length"
    _, parts = chunks("mistral", body, MISTRAL)
    assert "".join(p["outputs"][0]["text"] for p in parts) == completion.text
    assert parts[-1]["outputs"][0]["stop_reason"] == "stop"
    assert error("mistral", {"prompt": "x", "stop": "x"}, MISTRAL) == (
        f"Malformed input request: #/stop: expected type: JSONArray, found: String{SUFFIX}"
    )


def test_mistral_chat_and_tools() -> None:
    body = {
        "messages": [{"role": "user", "content": "What is the most popular song on WZPZ?"}],
        "max_tokens": 300,
    }
    _, completion, answer = run("mistral-chat", body, MISTRAL_LARGE)
    choice = answer["choices"][0]
    assert choice["message"]["content"] == completion.text
    assert choice["stop_reason"] == "stop"
    tool = {
        "type": "function",
        "function": {"name": "top_song", "description": "song", "parameters": WEATHER_TOOL_SCHEMA},
    }
    _, _, with_tool = run("mistral-chat", body | {"tools": [tool], "tool_choice": "any"}, MISTRAL_LARGE)
    call = with_tool["choices"][0]["message"]["tool_calls"][0]
    assert with_tool["choices"][0]["stop_reason"] == "tool_calls"
    assert call["function"]["name"] == "top_song"
    assert isinstance(json.loads(call["function"]["arguments"]), dict)
    assert len(call["id"]) == 9


# -- Cohere Command R ---------------------------------------------------------------------------------


def test_cohere_command_r() -> None:
    body = {
        "message": "What is an interesting new role in AI?",
        "chat_history": [{"role": "USER", "message": "Hi"}, {"role": "CHATBOT", "message": "Hello!"}],
        "preamble": "You are helpful.",
        "max_tokens": 300,
    }
    _, completion, answer = run("cohere-command-r", body, COMMAND_R)
    assert answer["text"] == completion.text
    assert answer["finish_reason"] == "COMPLETE"
    assert answer["chat_history"][-2:] == [
        {"role": "USER", "message": body["message"]},
        {"role": "CHATBOT", "message": completion.text},
    ]
    assert {"response_id", "generation_id"} <= set(answer)
    assert run("cohere-command-r", body | {"max_tokens": 2}, COMMAND_R)[2]["finish_reason"] == "MAX_TOKENS"
    _, events = chunks("cohere-command-r", body, COMMAND_R)
    assert events[0]["event_type"] == "stream-start"
    assert events[-1]["event_type"] == "stream-end"
    assert "".join(e["text"] for e in events if e["event_type"] == "text-generation") == completion.text
    assert events[-1]["is_finished"]
    assert events[-1]["finish_reason"] == "COMPLETE"
    assert error("cohere-command-r", {"message": "hi", "stream": True}, COMMAND_R) == (
        f"Malformed input request: #: extraneous key [stream] is not permitted{SUFFIX}"
    )


# -- chat completions: Jamba and gpt-oss ----------------------------------------------------------------

CHAT = {
    "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}],
    "max_tokens": 200,
}


@pytest.mark.parametrize(("family", "model"), [("ai21-jamba", JAMBA), ("openai-chat", GPT_OSS)])
def test_chat_completions_response_and_stream(family: str, model: Model) -> None:
    prompt, completion, answer = run(family, CHAT, model)
    choice = answer["choices"][0]
    assert choice["index"] == 0
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"] == completion.text
    assert answer["usage"] == {
        "prompt_tokens": prompt.input_tokens,
        "completion_tokens": completion.output_tokens,
        "total_tokens": prompt.input_tokens + completion.output_tokens,
    }
    assert answer["id"].startswith("chatcmpl-")
    _, parts = chunks(family, CHAT, model)
    text = "".join(p["choices"][0]["delta"].get("content", "") for p in parts)
    assert text == completion.text
    assert parts[-1]["choices"][0]["finish_reason"] == "stop"
    assert parts[-1]["usage"] == answer["usage"]
    assert run(family, CHAT | {"max_tokens": 2}, model)[2]["choices"][0]["finish_reason"] == "length"


def test_jamba_validation() -> None:
    assert error("ai21-jamba", {"messages": [{"role": "bot", "content": "x"}]}, JAMBA) == (
        f"Malformed input request: #/messages/0/role: bot is not a valid enum value{SUFFIX}"
    )
    assert error("ai21-jamba", CHAT | {"temperature": 3}, JAMBA) == (
        f"Malformed input request: #/temperature: 3 is not less or equal to 2{SUFFIX}"
    )


def test_openai_tool_calls() -> None:
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_TOOL_SCHEMA}}
    _, _, answer = run("openai-chat", CHAT | {"tools": [tool], "tool_choice": "required"}, GPT_OSS)
    choice = answer["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"][0]["function"]["name"] == "get_weather"


# -- DeepSeek -----------------------------------------------------------------------------------------


def test_deepseek() -> None:
    body = {"prompt": "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜><think>\n", "max_tokens": 512}
    _, completion, answer = run("deepseek", body, DEEPSEEK)
    assert answer == {"choices": [{"text": completion.text, "stop_reason": "stop"}]}
    _, parts = chunks("deepseek", body, DEEPSEEK)
    assert "".join(p["choices"][0]["text"] for p in parts) == completion.text
    assert parts[-1]["choices"][0]["stop_reason"] == "stop"


def test_every_catalogue_text_model_of_a_registered_family_answers_a_minimal_body() -> None:
    from emulator import catalog

    minimal: dict[str, dict[str, Any]] = {
        "anthropic-messages": {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 100,
            "messages": [{"role": "user", "content": "Hi"}],
        },
        "anthropic-text": {"prompt": "\n\nHuman: Hi\n\nAssistant:", "max_tokens_to_sample": 100},
        "titan-text": {"inputText": "Hi"},
        "titan-embed-v1": {"inputText": "Hi"},
        "titan-embed-v2": {"inputText": "Hi"},
        "titan-embed-image": {"inputText": "Hi"},
        "nova": {"messages": [{"role": "user", "content": [{"text": "Hi"}]}]},
        "llama": {"prompt": "Hi"},
        "mistral": {"prompt": "<s>[INST] Hi [/INST]"},
        "mistral-chat": {"messages": [{"role": "user", "content": "Hi"}]},
        "cohere-command-r": {"message": "Hi"},
        "cohere-embed": {"texts": ["Hi"], "input_type": "search_query"},
        "ai21-jamba": {"messages": [{"role": "user", "content": "Hi"}]},
        "openai-chat": {"messages": [{"role": "user", "content": "Hi"}]},
        "deepseek": {"prompt": "Hi"},
        "nova-embed": {
            "taskType": "SINGLE_EMBEDDING",
            "singleEmbeddingParams": {
                "embeddingPurpose": "GENERIC_INDEX",
                "text": {"truncationMode": "END", "value": "Hi"},
            },
        },
        "cohere-rerank": {"query": "Hi", "documents": ["Hi there"], "api_version": 2},
        "amazon-rerank": {"query": "Hi", "documents": ["Hi there"]},
    }
    covered = 0
    for model in catalog.foundation_models():
        if model.body_family not in PROVIDERS:
            continue
        provider = provider_for(model.body_family)
        prompt = provider.validate(minimal[model.body_family], model)
        completion = generate(prompt)
        assert json.loads(json.dumps(provider.respond(prompt, completion, model, "r")))
        if prompt.embedding is None:
            events = provider.stream_chunks(prompt, completion, model, "r", split_deltas(completion.text))
            assert json.loads(json.dumps(events))
        covered += 1
    assert covered > 40
