"""Per-model conversation rules (emulator/model_rules.py, the ``rules`` of model_features.json), each
tested with boto3 over a real socket against the source that shows what Bedrock does
(docs/wire-facts.md §31, where every source is cited in full)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.pytest_plugin import BedrockEmulator

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SONNET_4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"
HAIKU_45 = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
OPUS_41 = "us.anthropic.claude-opus-4-1-20250805-v1:0"
OPUS_48 = "us.anthropic.claude-opus-4-8"
NOVA_LITE = "amazon.nova-lite-v1:0"
NOVA_PRO = "amazon.nova-pro-v1:0"
NOVA_2_LITE = "us.amazon.nova-2-lite-v1:0"
LLAMA_31 = "meta.llama3-1-70b-instruct-v1:0"
LLAMA_4 = "us.meta.llama4-maverick-17b-instruct-v1:0"
COHERE_R_PLUS = "cohere.command-r-plus-v1:0"
MISTRAL_LARGE = "mistral.mistral-large-2407-v1:0"
TITAN = "amazon.titan-text-express-v1"
MINIMAX_M2 = "minimax.minimax-m2"
CLAUDE_V2 = "anthropic.claude-v2:1"
MODEL_SAYS = "The model returned the following errors: "
TOOL = {"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object", "properties": {}}}}}
PDF_S3 = {"format": "pdf", "name": "report", "source": {"s3Location": {"uri": "s3://bucket/report.pdf"}}}


@pytest.fixture
def runtime(bedrock_emulator: BedrockEmulator) -> Any:
    return bedrock_emulator.client("bedrock-runtime", parameter_validation=False)


def user(*blocks: Any) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": b} if isinstance(b, str) else b for b in blocks]}


def assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"text": text}]}


def refusal(runtime: Any, **request: Any) -> str:
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.converse(**request)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    message: str = caught.value.response["Error"]["Message"]
    return message


def text_of(answer: dict[str, Any]) -> str:
    return next(block["text"] for block in answer["output"]["message"]["content"] if "text" in block)


# -- conversations newer models accept and older ones refuse ----------------------------------------


def test_claude_sonnet_4_5_takes_a_conversation_that_opens_with_an_assistant_turn(runtime: Any) -> None:
    """Recorded: pydantic-ai's test_bedrock_anthropic_message_history_starting_with_response.yaml (Claude
    Sonnet 4.5 answers 200); older Claude models refuse, e.g. RooCodeInc/Roo-Code#4147 (Claude 4 Opus)."""
    messages = [assistant("Hello there!"), user("Now say goodbye.")]
    assert text_of(runtime.converse(modelId=SONNET_45, messages=messages))
    assert refusal(runtime, modelId=SONNET_4, messages=messages) == (
        "A conversation must start with a user message. "
        "Try again with a conversation that starts with a user message."
    )


def test_claude_opus_4_8_takes_a_system_message_later_in_the_conversation(runtime: Any) -> None:
    """Anthropic's mid-conversation system messages (Claude Opus 4.8; botocore's ConversationRole lists
    system); a model without them keeps the role refused (stdapi-ai/stdapi.ai#49)."""
    reminder = {"role": "system", "content": [{"text": "Answer in one word."}]}
    messages = [user("Hi"), assistant("Hello."), reminder, user("Colour of the sky?")]
    assert text_of(runtime.converse(modelId=OPUS_48, messages=messages))
    assert "Member must satisfy enum value set" in refusal(runtime, modelId=SONNET_45, messages=messages)


def test_titan_takes_two_user_turns_in_a_row_claude_does_not(runtime: Any) -> None:
    """Titan Text on Converse folds consecutive turns into its prompt (issue 9's comparison); Claude gets
    Bedrock's alternation text (microsoft/semantic-kernel#10277, langchain-ai/langchain-aws#130)."""
    messages = [user("First question."), user("Second question.")]
    assert text_of(runtime.converse(modelId=TITAN, messages=messages))
    assert refusal(runtime, modelId=HAIKU_45, messages=messages).startswith(
        "A conversation must alternate between user and assistant roles."
    )


@pytest.mark.parametrize("model_id", ["global.anthropic.claude-sonnet-4-6", OPUS_48])
def test_claude_sonnet_4_6_and_later_take_two_user_turns_in_a_row(runtime: Any, model_id: str) -> None:
    """strands-agents' steering tests (tests_integ/steering/test_model_steering.py) send a guidance turn
    right after the user's, to its default global.anthropic.claude-sonnet-4-6, and pass against Bedrock;
    Claude 3.5 Sonnet v2 is still refused in 2026 (elastic/kibana#284682). Later models are inferred."""
    messages = [user("What is the capital of France?"), user("Please answer in more detail.")]
    assert text_of(runtime.converse(modelId=model_id, messages=messages))
    assert refusal(
        runtime, modelId="us.anthropic.claude-3-5-sonnet-20241022-v2:0", messages=messages
    ).startswith("A conversation must alternate between user and assistant roles.")


def test_whitespace_only_text_reaches_the_model_claude_refuses_it_nova_takes_it(runtime: Any) -> None:
    """Bedrock's own check refuses only empty text; whitespace goes to the model, and Claude answers
    Anthropic's text through Converse (NousResearch/hermes-agent#60628, #64858, #63983)."""
    messages = [user("Hi"), assistant("Hello."), user("   ")]
    assert refusal(runtime, modelId=HAIKU_45, messages=messages) == (
        MODEL_SAYS + "messages: text content blocks must contain non-whitespace text"
    )
    assert text_of(runtime.converse(modelId=NOVA_LITE, messages=messages))
    assert refusal(runtime, modelId=NOVA_LITE, messages=[user("")]) == (
        "The text field in the ContentBlock object at messages.0.content.0 is blank. "
        "Add text to the text field, and try again."
    )


def test_an_empty_tool_result_text_reaches_the_model_claude_refuses_it(runtime: Any) -> None:
    """Bedrock's blank-text check does not look into tool results: Claude answers Anthropic's texts
    (NousResearch/hermes-agent#55092 for empty text, #61318 for whitespace); Nova takes them."""
    call = {
        "role": "assistant",
        "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}}],
    }
    for text, rule in (("", "must be non-empty"), (" ", "must contain non-whitespace text")):
        result = {"toolResult": {"toolUseId": "t1", "content": [{"text": text}], "status": "success"}}
        messages = [user("Weather?"), call, user(result)]
        assert refusal(runtime, modelId=HAIKU_45, messages=messages, toolConfig={"tools": [TOOL]}) == (
            MODEL_SAYS + f"messages: text content blocks {rule}"
        )
        assert runtime.converse(modelId=NOVA_PRO, messages=messages, toolConfig={"tools": [TOOL]})[
            "stopReason"
        ]


# -- refusals by model ------------------------------------------------------------------------------


def test_s3_sources_are_nova_only(runtime: Any) -> None:
    """AWS's Converse feature table ("Amazon S3 links for multimedia": Nova Lite, Pro, Premier); Claude
    answers source.type: Field required (aws/aws-sdk-js-v3#7732, aws/aws-sdk-net#4454)."""
    messages = [user("Summarise this.", {"document": PDF_S3})]
    assert text_of(runtime.converse(modelId=NOVA_LITE, messages=messages))
    assert refusal(runtime, modelId=SONNET_45, messages=messages) == (
        MODEL_SAYS + "messages.0.content.1.document.source.type: Field required"
    )


def test_a_media_block_must_name_its_source(runtime: Any) -> None:
    """awslabs/aws-sdk-rust#1365: DocumentSource object at ... must set one of the following keys."""
    document = {"format": "pdf", "name": "report", "source": {}}
    message = refusal(runtime, modelId=NOVA_LITE, messages=[user("Read it.", {"document": document})])
    assert message == (
        "DocumentSource object at messages.0.content.1.document.source must set one of the following keys: "
        "bytes, s3Location, text, content."
    )


@pytest.mark.parametrize("model_id", [LLAMA_31, COHERE_R_PLUS])
def test_tool_choice_any_and_tool_are_refused_where_only_auto_is_offered(runtime: Any, model_id: str) -> None:
    """Bedrock's text, strands-agents/harness-sdk#1241 and aws-samples/bedrock-access-gateway#92; the
    ToolChoice API reference: any and tool on Claude and Mistral Large only (Nova since 2025)."""
    for member, choice in (("any", {"any": {}}), ("tool", {"tool": {"name": "get_weather"}})):
        tool_config = {"tools": [TOOL], "toolChoice": choice}
        assert refusal(runtime, modelId=model_id, messages=[user("Weather?")], toolConfig=tool_config) == (
            f"This model doesn't support the toolConfig.toolChoice.{member} field. "
            f"Remove toolConfig.toolChoice.{member} and try again."
        )
    auto = {"tools": [TOOL], "toolChoice": {"auto": {}}}
    assert runtime.converse(modelId=model_id, messages=[user("Weather?")], toolConfig=auto)["stopReason"]


def test_mistral_large_takes_any_but_not_a_named_tool(runtime: Any) -> None:
    """langchain-aws's ChatBedrockConverse.supports_tool_choice_values: ('auto', 'any') for Mistral Large."""
    any_choice = {"tools": [TOOL], "toolChoice": {"any": {}}}
    answer = runtime.converse(modelId=MISTRAL_LARGE, messages=[user("Weather?")], toolConfig=any_choice)
    assert answer["stopReason"] == "tool_use"
    named = {"tools": [TOOL], "toolChoice": {"tool": {"name": "get_weather"}}}
    assert "toolChoice.tool" in refusal(
        runtime, modelId=MISTRAL_LARGE, messages=[user("x")], toolConfig=named
    )


@pytest.mark.parametrize("model_id", [OPUS_41, SONNET_45, HAIKU_45])
def test_newer_claude_refuses_temperature_with_top_p(runtime: Any, model_id: str) -> None:
    """BerriAI/litellm#15070 (Sonnet 4.5, Converse), aws-samples/bedrock-access-gateway#191 (Haiku 4.5),
    aws-samples/bedrock-chat#979 (Opus 4.1); Claude Sonnet 4 takes both."""
    both = {"temperature": 0.5, "topP": 0.9}
    assert refusal(runtime, modelId=model_id, messages=[user("Hi")], inferenceConfig=both) == (
        MODEL_SAYS + "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
    )
    assert runtime.converse(modelId=model_id, messages=[user("Hi")], inferenceConfig={"temperature": 0.5})
    assert runtime.converse(modelId=SONNET_4, messages=[user("Hi")], inferenceConfig=both)


def test_invoke_model_on_newer_claude_refuses_temperature_with_top_p_without_the_prefix(runtime: Any) -> None:
    """The same refusal on InvokeModel carries the model's text alone (lobehub/lobehub#9523)."""
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "Hi"}],
        "temperature": 0.5,
        "top_p": 0.9,
    }
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId=SONNET_45, body=json.dumps(body))
    assert caught.value.response["Error"]["Message"] == (
        "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
    )


def test_llama_refuses_text_beside_tool_results_in_one_turn(runtime: Any) -> None:
    """strands-agents/harness-sdk#1223 (Llama 4 Maverick); pydantic-ai splits such turns for Llama
    (test_bedrock_llama_tool_result_followed_by_text_accepted.yaml). Nova takes them
    (test_bedrock_nova_tool_result_followed_by_document_accepted.yaml)."""
    call = {
        "role": "assistant",
        "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}}],
    }
    result = {"toolResult": {"toolUseId": "t1", "content": [{"text": "sunny"}], "status": "success"}}
    messages = [user("Weather?"), call, user(result, "And tomorrow?")]
    tool_config = {"tools": [TOOL]}
    assert refusal(runtime, modelId=LLAMA_4, messages=messages, toolConfig=tool_config) == (
        "messages.2.content: Conversation blocks and tool result blocks cannot be provided in the same turn."
    )
    assert runtime.converse(modelId=NOVA_PRO, messages=messages, toolConfig=tool_config)["stopReason"]


@pytest.mark.parametrize(
    "model_id", [LLAMA_4, "us.meta.llama3-3-70b-instruct-v1:0", "mistral.mistral-large-2402-v1:0"]
)
def test_llama_and_mistral_refuse_text_beside_a_tool_use_in_one_assistant_turn(
    runtime: Any, model_id: str
) -> None:
    """langchain-aws's integration tests mark this history shape as refused on Bedrock by Llama 3.3 70B
    and Mistral Large 2402, quoting the text (tests/integration_tests/chat_models/test_bedrock_converse.py,
    test_tool_message_histories_list_content); a public code note quotes it for Llama 4 Maverick. Claude
    and Nova take such turns."""
    call = {
        "role": "assistant",
        "content": [
            {"text": "Let me look that up."},
            {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}},
        ],
    }
    result = {"toolResult": {"toolUseId": "t1", "content": [{"text": "sunny"}], "status": "success"}}
    messages = [user("Weather?"), call, user(result)]
    tool_config = {"tools": [TOOL]}
    assert refusal(runtime, modelId=model_id, messages=messages, toolConfig=tool_config) == (
        "messages.1.content: Conversation blocks and tool use blocks cannot be provided in the same turn."
    )
    for other in (NOVA_PRO, HAIKU_45):
        assert runtime.converse(modelId=other, messages=messages, toolConfig=tool_config)["stopReason"]


@pytest.mark.parametrize("model_id", [LLAMA_4, "mistral.mistral-large-2402-v1:0"])
def test_models_refusing_text_beside_a_tool_use_answer_a_tool_call_alone(runtime: Any, model_id: str) -> None:
    """Their own answers must go back as history unchanged (an agent loop), so a tool call comes without
    a sentence before it; Claude writes one."""
    messages = [user("What is the weather in Paris?")]
    tool_config = {"tools": [TOOL]}
    answer = runtime.converse(modelId=model_id, messages=messages, toolConfig=tool_config)
    assert answer["stopReason"] == "tool_use"
    turn = answer["output"]["message"]
    assert [next(iter(block)) for block in turn["content"]] == ["toolUse"]
    call = turn["content"][0]["toolUse"]
    result = {"toolResult": {"toolUseId": call["toolUseId"], "content": [{"text": "sunny"}]}}
    follow_up = runtime.converse(
        modelId=model_id, messages=[*messages, turn, user(result)], toolConfig=tool_config
    )
    assert follow_up["stopReason"] == "end_turn"
    claude = runtime.converse(modelId=HAIKU_45, messages=messages, toolConfig=tool_config)["output"][
        "message"
    ]
    assert [next(iter(block)) for block in claude["content"]] == ["text", "toolUse"]


def test_a_system_prompt_is_refused_where_the_model_has_none(runtime: Any) -> None:
    """AWS's Converse feature table: Titan models have no system prompts (the catalogue's system_prompt)."""
    assert refusal(runtime, modelId=TITAN, messages=[user("Hi")], system=[{"text": "Be brief."}]) == (
        "This model doesn't support system messages. "
        "Try again without a system message or use a model that supports system messages."
    )


# -- reasoning the request does not or does ask for -------------------------------------------------


def test_minimax_m2_reasons_unasked(runtime: Any) -> None:
    """pydantic-ai's test_bedrock_native_output_minimax.yaml: a reasoningContent block (text, no
    signature) before the text, with no request field asking for it; MiniMax's M2.x thinking is always on."""
    answer = runtime.converse(modelId=MINIMAX_M2, messages=[user("Capital of France?")])
    first, second = answer["output"]["message"]["content"][:2]
    assert set(first["reasoningContent"]["reasoningText"]) == {"text"}
    assert second["text"]


def test_nova_2_lite_reasons_when_asked_and_redacts_the_reasoning(runtime: Any) -> None:
    """AWS's Nova 2 user guide (reasoning-capabilities, extended-thinking): reasoningConfig through
    additionalModelRequestFields; the reasoning shows as [REDACTED] and its tokens are charged."""
    fields = {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}}
    plain = runtime.converse(modelId=NOVA_2_LITE, messages=[user("Plan a trip.")])
    answer = runtime.converse(
        modelId=NOVA_2_LITE, messages=[user("Plan a trip.")], additionalModelRequestFields=fields
    )
    first = answer["output"]["message"]["content"][0]
    assert first == {"reasoningContent": {"reasoningText": {"text": "[REDACTED]"}}}
    assert answer["usage"]["outputTokens"] > plain["usage"]["outputTokens"]
    stream = runtime.converse_stream(
        modelId=NOVA_2_LITE, messages=[user("Plan a trip.")], additionalModelRequestFields=fields
    )
    deltas = [e["contentBlockDelta"]["delta"] for e in stream["stream"] if "contentBlockDelta" in e]
    thought = [delta["reasoningContent"]["text"] for delta in deltas if "reasoningContent" in delta]
    assert "".join(thought) == "[REDACTED]"
    assert "reasoningContent" in deltas[0]


def test_nova_2_reasoning_refuses_sampling_and_max_tokens_at_high_effort(runtime: Any) -> None:
    """Documented (AWS's Nova 2 extended thinking; inspect_ai#3767 filed by AWS): temperature and topP
    unset with reasoning, maxTokens unset at high effort. The refusal texts are the emulator's."""
    high = {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "high"}}
    low = {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}}
    message = refusal(
        runtime,
        modelId=NOVA_2_LITE,
        messages=[user("Hi")],
        inferenceConfig={"maxTokens": 500},
        additionalModelRequestFields=high,
    )
    assert message.startswith(MODEL_SAYS + "Malformed input request: maxTokens")
    message = refusal(
        runtime,
        modelId=NOVA_2_LITE,
        messages=[user("Hi")],
        inferenceConfig={"temperature": 0.2},
        additionalModelRequestFields=low,
    )
    assert message.startswith(MODEL_SAYS + "Malformed input request: temperature")
    assert runtime.converse(
        modelId=NOVA_2_LITE,
        messages=[user("Hi")],
        inferenceConfig={"maxTokens": 500},
        additionalModelRequestFields=low,
    )


def test_a_reasoning_config_on_a_nova_model_without_reasoning_is_refused(runtime: Any) -> None:
    """UKGovernmentBEIS/inspect_ai#5301 (Nova Pro, Converse), quoted in full."""
    fields = {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}}
    assert refusal(runtime, modelId=NOVA_PRO, messages=[user("Hi")], additionalModelRequestFields=fields) == (
        MODEL_SAYS + "Malformed input request: the provided reasoning config value is invalid, please "
        "reformat your input and try again."
    )


# -- InvokeModel bodies -----------------------------------------------------------------------------


def test_nova_invoke_bodies_refuse_extraneous_keys_inside_blocks(runtime: Any) -> None:
    """Nova's closed schema: "Malformed input request: #/...: extraneous key [x] is not permitted"
    (zed-industries/zed#31815, crmne/ruby_llm#586), at every level of a block."""
    image = {"format": "png", "source": {"bytes": "iVBORw0KGgo="}, "detail": "high"}
    body = {"messages": [{"role": "user", "content": [{"text": "What is this?"}, {"image": image}]}]}
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId=NOVA_LITE, body=json.dumps(body))
    assert caught.value.response["Error"]["Message"] == (
        "Malformed input request: #/messages/0/content/1/image: extraneous key [detail] is not permitted, "
        "please reformat your input and try again."
    )


def test_nova_2_invoke_body_takes_a_top_level_reasoning_config(runtime: Any) -> None:
    """Nova 2's native body carries reasoningConfig beside inferenceConfig (promptfoo/promptfoo#6531);
    the answer opens with the redacted reasoning block. Nova Lite (v1) has no such member."""
    body = {
        "messages": [{"role": "user", "content": [{"text": "Plan a trip."}]}],
        "reasoningConfig": {"type": "enabled", "maxReasoningEffort": "medium"},
    }
    answer = json.loads(runtime.invoke_model(modelId=NOVA_2_LITE, body=json.dumps(body))["body"].read())
    assert answer["output"]["message"]["content"][0] == {
        "reasoningContent": {"reasoningText": {"text": "[REDACTED]"}}
    }
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId=NOVA_LITE, body=json.dumps(body))
    assert "extraneous key [reasoningConfig]" in caught.value.response["Error"]["Message"]


def test_claude_text_completion_takes_words_after_the_last_assistant_turn(runtime: Any) -> None:
    """Anthropic's text completions let the caller put words in Claude's mouth after the final
    "\\n\\nAssistant:" (run-llama/llama_index#10593 sends such a prompt to Claude v2.1 on Bedrock); the
    refusal names the last turn (spring-projects/spring-ai#404), not the end of the string."""
    body = {"prompt": "\n\nHuman: Give me a JSON object.\n\nAssistant: {", "max_tokens_to_sample": 40}
    answer = json.loads(runtime.invoke_model(modelId=CLAUDE_V2, body=json.dumps(body))["body"].read())
    assert answer["completion"]
    body["prompt"] = "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Bye"
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId=CLAUDE_V2, body=json.dumps(body))
    assert caught.value.response["Error"]["Message"] == 'prompt must end with "\n\nAssistant:" turn'


def test_nova_2_invoke_stream_sends_the_redacted_reasoning_first(runtime: Any) -> None:
    """The native stream's chunks carry ConverseStream's event shapes (§27); the reasoning delta comes first."""
    body = {
        "messages": [{"role": "user", "content": [{"text": "Plan a trip."}]}],
        "reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"},
    }
    stream = runtime.invoke_model_with_response_stream(modelId=NOVA_2_LITE, body=json.dumps(body))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in stream["body"] if "chunk" in event]
    deltas = [chunk["contentBlockDelta"] for chunk in chunks if "contentBlockDelta" in chunk]
    assert deltas[0] == {"delta": {"reasoningContent": {"text": "[REDACTED]"}}, "contentBlockIndex": 0}
    assert all(delta["contentBlockIndex"] == 1 for delta in deltas[1:])
