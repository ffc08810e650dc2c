"""The Converse request model: validation with Bedrock's own messages, the prompt it reduces to, and
the answer as a Converse body or as ConverseStream events.

Validation follows what Bedrock checks and in the order a caller meets it: the request constraints
(``1 validation error detected: ...``), the conversation rules (first message from the user, roles
alternate, no blank text), then what the chosen model supports (system prompts, images, documents,
tools, the maximum output tokens).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from emulator import (
    chat_request,
    citations,
    generation,
    json_text,
    reasoning,
    server_tools,
    structured_output,
    token_overhead,
)
from emulator.catalog import FoundationModel, max_tokens_error
from emulator.citations import Document
from emulator.engine.plan import ScriptedAnswer
from emulator.generation import Completion, Reasoning, ToolSpec
from emulator.model_features import features_of
from emulator.model_rules import Rules, rules_of
from emulator.prompt_cache import CacheUsage
from emulator.reasoning import Thinking
from emulator.responder import STAND_IN, Ask, Responder
from emulator.scripted import completion as scripted_completion
from emulator.wire.binding import START_OF_MAP, read_json
from emulator.wire.errors import AwsError, constraint_violation, validation
from emulator.wire.eventstream import StreamEvent

_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_MEDIA_BLOCKS = ("image", "document", "video", "audio")
_MODEL_SAYS = reasoning.CONVERSE_PREFIX  # a refusal the model sends, which Converse wraps (wire-facts §25)
_FIRST_USER = (
    "A conversation must start with a user message. "
    "Try again with a conversation that starts with a user message."
)
# Converse's inferenceConfig names of the sampling parameters that model_rules names as Anthropic does
_SAMPLING_NAMES = {"temperature": "temperature", "top_p": "topP"}


@dataclass(frozen=True)
class ConversePrompt:
    text_for_tokens: str
    last_user_text: str
    key: bytes
    max_tokens: int
    stop_sequences: tuple[str, ...]
    tools: tuple[ToolSpec, ...]
    tool_choice: str | None
    after_tool_result: bool
    thinking: Thinking | None = None
    output_schema: Mapping[str, Any] | None = None
    model_id: str = ""
    body: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)  # as validated
    documents: tuple[Document, ...] = ()  # the documents cited, when the request asks for citations
    overhead: int = 0  # the model's chat template and hidden prompts (token_overhead)
    system_tools: tuple[str, ...] = ()  # the server tools the model may run (emulator.server_tools)
    tool_preface: bool = True  # the model may write text beside a tool use (model_rules.tool_use_mixing)

    @property
    def input_tokens(self) -> int:
        return generation.count_tokens(self.text_for_tokens) + self.overhead

    def ask(self) -> Ask:
        """The request as a model is asked it (``emulator.responder``)."""
        body = self.body
        return Ask(
            model_id=self.model_id,
            key=self.key,
            max_tokens=self.max_tokens,
            stop_sequences=self.stop_sequences,
            tools=self.tools,
            tool_choice=self.tool_choice,
            prompt_text=self.last_user_text,
            after_tool_result=self.after_tool_result,
            tool_preface=self.tool_preface,
            thinking=self.thinking,
            output_schema=self.output_schema,
            converse=True,
            chat=lambda: chat_request.from_converse(body),
        )


def _constraint(value: Any, path: str, rule: str) -> AwsError:
    return constraint_violation(path, value, rule)


def read_request(body: Mapping[str, Any], model: FoundationModel) -> ConversePrompt:
    """Validate a Converse/ConverseStream (or CountTokens ``converse``) body for a model."""
    if not model.converse:
        raise validation(
            "This action doesn't support the model that you provided. "
            "Try again with a supported text or chat model."
        )
    inference = body.get("inferenceConfig") or {}
    if not isinstance(inference, dict):
        raise AwsError("SerializationException", START_OF_MAP)
    max_tokens = inference.get("maxTokens")
    if max_tokens is not None:
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
            raise AwsError("SerializationException", "NUMBER_VALUE can not be converted to an Integer")
        if max_tokens < 1:
            raise _constraint(
                max_tokens, "inferenceConfig.maxTokens", "Member must have value greater than or equal to 1"
            )
    for name in ("temperature", "topP"):
        value = inference.get(name)
        if value is not None and not 0 <= float(value) <= 1:
            bound = "less than or equal to 1" if float(value) > 1 else "greater than or equal to 0"
            raise _constraint(value, f"inferenceConfig.{name}", f"Member must have value {bound}")
    stop_sequences = tuple(str(s) for s in inference.get("stopSequences") or ())

    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise validation(_FIRST_USER)
    rules = rules_of(model)
    system = body.get("system") or []
    if system and not rules.system_prompt:
        raise validation(
            "This model doesn't support system messages. "
            "Try again without a system message or use a model that supports system messages."
        )

    tool_config = body.get("toolConfig")
    tools, system_tools = _tools(tool_config, model)
    tool_choice = _tool_choice(tool_config, rules)

    pieces: list[str] = [_system_text(system)]
    last_user_text = ""
    after_tool_result = False
    uses_tool_blocks = False
    previous_role: str | None = None
    refusal: str | None = None  # the model's first refusal, sent once Bedrock's own checks have passed
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise AwsError("SerializationException", START_OF_MAP)
        role = message.get("role")
        if role not in ("user", "assistant") and not (role == "system" and index and rules.system_messages):
            raise _constraint(
                role,
                f"messages.{index + 1}.member.role",
                "Member must satisfy enum value set: [user, assistant]",
            )
        if index == 0 and role != "user" and not (role == "assistant" and rules.assistant_first):
            raise validation(_FIRST_USER)
        if role == previous_role and rules.alternate:
            raise validation(
                "A conversation must alternate between user and assistant roles. "
                "Make sure the conversation alternates between user and assistant roles and try again."
            )
        if role != "system":  # a mid-conversation system message sits between turns
            previous_role = role
        content = message.get("content")
        if not isinstance(content, list) or not content:
            raise validation(
                f"The content field in the Message object at messages.{index} is empty. Add a ContentBlock object to the content field and try again."
            )
        read = _read_content(content, index, str(role), rules)
        refusal = refusal or read.refusal
        uses_tool_blocks = uses_tool_blocks or read.has_tool_block
        pieces.extend(read.texts)
        if role == "user":
            last_user_text = " ".join(read.texts)
            after_tool_result = read.has_tool_result
    if uses_tool_blocks and not tools and not system_tools:
        raise validation(
            "The toolConfig field must be defined when using toolUse and toolResult content blocks."
        )
    if messages[-1].get("role") == "assistant" and tools and not model.body_family.startswith("anthropic"):
        after_tool_result = False

    if max_tokens is None:
        max_tokens = model.default_max_tokens
    elif max_tokens > model.max_output_tokens:
        raise max_tokens_error(model.max_output_tokens)
    refusal = refusal or _sampling_refusal(inference, rules)
    if refusal is not None:
        raise validation(_MODEL_SAYS + refusal)
    extra = body.get("additionalModelRequestFields")
    features = features_of(model.model_id)
    output_schema = structured_output.converse_schema(
        body, supported=features.structured_output, anthropic=model.body_family.startswith("anthropic")
    )
    documents = citations.converse_documents(messages, supported=features.citations)
    citations.check_structured(documents, output_schema, converse=True)
    thinking = None
    if features.reasoning is not None and features.reasoning != "effort":  # most models: nothing to read
        thinking = reasoning.read(
            extra.get("thinking", extra.get("reasoning_config")) if isinstance(extra, dict) else None,
            reasoning=features.reasoning,
            max_tokens=max_tokens,
            sampling={
                "temperature": inference.get("temperature"),
                "top_p": inference.get("topP"),
                "top_k": extra.get("top_k") if isinstance(extra, dict) else None,
            },
            tool_choice=tool_choice,
            converse=True,
        )
    if thinking is not None:
        reasoning.check_turns(thinking, _turns(messages), converse=True)
    elif model.body_family == "nova" and isinstance(extra, dict):
        thinking = reasoning.read_nova(
            extra.get("reasoningConfig"),
            supported=features.reasoning == "effort",
            inference=inference,
            max_tokens=max_tokens,
        )

    pieces.extend(f"{t.name} {t.description} {json.dumps(t.input_schema, sort_keys=True)}" for t in tools)
    text_for_tokens = "\n".join(p for p in pieces if p)
    key = json_text.sorted_default_repr(
        {
            "m": messages,
            "s": system,
            "t": [t.name for t in tools],
            "c": tool_choice,
        }
    ).encode()
    return ConversePrompt(
        text_for_tokens=text_for_tokens,
        last_user_text=last_user_text,
        key=key,
        max_tokens=max_tokens,
        stop_sequences=stop_sequences,
        tools=tools,
        tool_choice=tool_choice,
        after_tool_result=after_tool_result,
        tool_preface=rules.tool_use_mixing,
        thinking=thinking,
        output_schema=output_schema,
        model_id=model.model_id,
        body=body,
        documents=documents,
        overhead=token_overhead.overhead_of(model.model_id, model.body_family).count(
            messages=len(messages),
            system=bool(system),
            tools=len(tools),
            tool_choice=tool_choice,
            thinking=_thinking_type(extra),
        ),
        system_tools=system_tools,
    )


def _thinking_type(extra: Any) -> str | None:
    """The thinking type ``additionalModelRequestFields`` asks for (``enabled``, ``adaptive``), if any."""
    thinking = extra.get("thinking") if isinstance(extra, dict) else None
    if isinstance(thinking, dict) and thinking.get("type") not in (None, "disabled"):
        return str(thinking["type"])
    return None


def _turns(messages: list[Any]) -> list[tuple[str, str | None, bool]]:
    """Each message's role, its first block's type as Claude names it, and whether it returns a tool result."""
    turns: list[tuple[str, str | None, bool]] = []
    for message in messages:
        content = message.get("content") or []
        first = reasoning.converse_block_type(content[0]) if content else None
        has_result = any(isinstance(block, dict) and "toolResult" in block for block in content)
        turns.append((str(message.get("role")), first, has_result))
    return turns


def _system_text(system: Any) -> str:
    if not isinstance(system, list):
        return ""
    return "\n".join(str(block.get("text", "")) for block in system if isinstance(block, dict))


class _Content(NamedTuple):
    texts: list[str]
    has_tool_result: bool
    has_tool_block: bool
    refusal: str | None  # what the model would refuse in these blocks (checked after Bedrock's own rules)


def _read_content(content: list[Any], index: int, role: str, rules: Rules) -> _Content:
    texts: list[str] = []
    has_tool_result = False
    has_tool_block = False
    has_tool_use = False
    has_conversation_block = False
    refusal: str | None = None
    for position, block in enumerate(content):
        if not isinstance(block, dict):
            raise AwsError("SerializationException", START_OF_MAP)
        if "text" in block:
            has_conversation_block = True
            text = block["text"]
            if not isinstance(text, str) or not text:
                raise validation(
                    f"The text field in the ContentBlock object at messages.{index}.content.{position} is blank. "
                    "Add text to the text field, and try again."
                )
            # Whitespace between cited statements comes back as its own text block, and clients pass it
            # back: Claude takes a blank block beside words, not a message of blanks (wire-facts §30, §31).
            if not rules.whitespace_text and not any(_has_words(other) for other in content):
                refusal = refusal or _blank_refusal(text)
            texts.append(text)
        for media in _MEDIA_BLOCKS:
            if media in block:
                has_conversation_block = True
                if media not in rules.media:
                    raise validation(
                        f"This model doesn't support the {media} field for {role} messages. Remove {media} and try again."
                    )
                at = f"messages.{index}.content.{position}"
                refusal = refusal or _source_refusal(block[media], media, at, rules)
        if "document" in block and isinstance(block["document"], dict):
            texts.append(str(block["document"].get("name", "")))
            texts.extend(_document_texts(block["document"]))
        if "toolUse" in block:
            has_tool_block = True
            has_tool_use = True
            tool_use = block["toolUse"] or {}
            texts.append(f"{tool_use.get('name', '')} {json.dumps(tool_use.get('input'), sort_keys=True)}")
        if "toolResult" in block:
            has_tool_block = True
            has_tool_result = True
            result = block["toolResult"] or {}
            result_content = result.get("content") or []
            if result.get("status") == "error" and not result_content:
                raise validation(
                    f"The content field at messages.{index}.content.{position}.toolResult cannot be empty "
                    "when status value is error."
                )
            for part_index, part in enumerate(result_content):
                if not isinstance(part, dict):
                    continue
                if "json" in part and not isinstance(part["json"], dict):
                    raise validation(
                        f"The format of the value at messages.{index}.content.{position}.toolResult.content."
                        f"{part_index}.json is invalid. Provide a json object for the field and try again."
                    )
                if not rules.whitespace_text and isinstance(part.get("text"), str):
                    refusal = refusal or _blank_refusal(part["text"])
                texts.append(str(part.get("text") or json.dumps(part.get("json"), sort_keys=True)))
    if has_tool_result and has_conversation_block and not rules.tool_result_mixing:
        raise validation(
            f"messages.{index}.content: Conversation blocks and tool result blocks cannot be provided in the same turn."
        )
    if has_tool_use and has_conversation_block and not rules.tool_use_mixing:
        raise validation(
            f"messages.{index}.content: Conversation blocks and tool use blocks cannot be provided in the same turn."
        )
    return _Content(texts, has_tool_result, has_tool_block, refusal)


def _has_words(block: Any) -> bool:
    if not isinstance(block, dict):
        return False
    if isinstance(block.get("text"), str):
        return bool(block["text"].strip())
    cited = block.get("citationsContent")
    parts = cited.get("content") if isinstance(cited, dict) else None
    return isinstance(parts, list) and any(
        isinstance(part, dict) and str(part.get("text", "")).strip() for part in parts
    )


def _document_texts(document: Mapping[str, Any]) -> list[str]:
    """The text of a document given as text or as custom content (the model reads it: it counts)."""
    source = document.get("source")
    if not isinstance(source, Mapping):
        return []
    if isinstance(source.get("text"), str):
        return [source["text"]]
    parts = source.get("content")
    if isinstance(parts, list):
        return [str(part.get("text", "")) for part in parts if isinstance(part, Mapping)]
    return []


def _blank_refusal(text: str) -> str | None:
    """Claude's texts for a text block Bedrock let through: in a tool result even an empty one reaches
    the model; elsewhere Bedrock refuses empty text itself, so only whitespace does (wire-facts §31)."""
    if not text:
        return "messages: text content blocks must be non-empty"
    if not text.strip():
        return "messages: text content blocks must contain non-whitespace text"
    return None


# The source members Bedrock takes per media block (botocore's unions; documents also take text and content)
_SOURCE_KEYS = {"document": ("bytes", "s3Location", "text", "content")}


def _source_refusal(media_block: Any, media: str, at: str, rules: Rules) -> str | None:
    """Bedrock's check that a media block names its source, and what a model without S3 sources says to
    an ``s3Location`` one (wire-facts §31)."""
    if not isinstance(media_block, dict):
        return None
    source = media_block.get("source")
    keys = _SOURCE_KEYS.get(media, ("bytes", "s3Location"))
    if not isinstance(source, dict) or not any(key in source for key in keys):
        raise validation(
            f"{media.capitalize()}Source object at {at}.{media}.source must set one of the following keys: "
            f"{', '.join(keys)}."
        )
    if "s3Location" in source and not rules.s3_sources:
        return f"{at}.{media}.source.type: Field required"
    return None


def _sampling_refusal(inference: Mapping[str, Any], rules: Rules) -> str | None:
    """Newer Claude models take a temperature or a top_p, not both (wire-facts §31)."""
    if rules.exclusive_sampling and all(
        inference.get(_SAMPLING_NAMES[name]) is not None for name in rules.exclusive_sampling
    ):
        names = " and ".join(f"`{name}`" for name in rules.exclusive_sampling)
        return f"{names} cannot both be specified for this model. Please use only one."
    return None


def _tools(tool_config: Any, model: FoundationModel) -> tuple[tuple[ToolSpec, ...], tuple[str, ...]]:
    """The caller's tools, and the server tools (``systemTool``) the model is asked to run."""
    if not tool_config:
        return (), ()
    tools = tool_config.get("tools") or []
    if tools and not model.tool_use:
        raise validation("This model doesn't support tool use.")
    specs: list[ToolSpec] = []
    system: list[tuple[int, Any]] = []
    for index, tool in enumerate(tools):
        spec = tool.get("toolSpec") if isinstance(tool, dict) else None
        if not spec:
            if isinstance(tool, dict) and isinstance(tool.get("systemTool"), dict):
                system.append((index, tool["systemTool"].get("name")))
            continue  # cachePoint / systemTool entries carry no schema
        schema = _input_schema(spec.get("inputSchema") or {}, index)
        specs.append(ToolSpec(str(spec.get("name", "")), str(spec.get("description", "")), schema))
    if not system:
        return tuple(specs), ()
    return tuple(specs), server_tools.check(system, features_of(model.model_id).server_tools)


def _input_schema(input_schema: Mapping[str, Any], index: int) -> dict[str, Any]:
    """A tool's JSON schema: a JSON object (or one sent as a string) whose ``type``, if given, is object."""
    schema = input_schema.get("json") or {"type": "object"}
    if isinstance(schema, str):
        try:
            schema = read_json(schema.encode())
        except ValueError:
            schema = None
    at = f"toolConfig.tools.{index}.toolSpec.inputSchema.json"
    if not isinstance(schema, dict):
        raise validation(
            f"The format of the value at {at} is invalid. Provide a json object for the field and try again."
        )
    if schema.get("type", "object") != "object":
        raise validation(f"The value at {at}.type must be one of the following: object.")
    return schema


def _tool_choice(tool_config: Any, rules: Rules) -> str | None:
    if not tool_config:
        return None
    choice = tool_config.get("toolChoice")
    if not choice:
        return "auto"
    for member in ("any", "tool"):
        if member in choice and member not in rules.tool_choices:
            raise validation(
                f"This model doesn't support the toolConfig.toolChoice.{member} field. "
                f"Remove toolConfig.toolChoice.{member} and try again."
            )
    if "tool" in choice:
        return "tool:" + str((choice.get("tool") or {}).get("name", ""))
    if "any" in choice:
        return "any"
    return "auto"


# -- answers -----------------------------------------------------------------------------------------


def complete(
    prompt: ConversePrompt,
    *,
    seed: int,
    scripted: ScriptedAnswer | None,
    responder: Responder | None = None,
) -> Completion:
    """The model's completion (the stand-in's unless a ``responder`` is given), or the scenario's
    scripted one."""
    written = scripted_completion(scripted)
    if written is not None:
        return written
    completion = (responder or STAND_IN).answer(prompt.ask(), seed=seed)
    completion = citations.cite(
        completion, prompt.documents, key=prompt.key, seed=seed, max_tokens=prompt.max_tokens
    )
    if prompt.system_tools:
        completion = server_tools.run(
            completion, prompt.system_tools, question=prompt.last_user_text, key=prompt.key, seed=seed
        )
    if scripted is not None and scripted.stop_reason:
        completion = replace(completion, stop_reason=scripted.stop_reason)
    return completion


def latency_ms(input_tokens: int, output_tokens: int) -> int:
    """A plausible, deterministic model latency (real bodies carry one; ours must be reproducible)."""
    return 180 + input_tokens // 20 + output_tokens * 9


@dataclass(frozen=True)
class AnswerShape:
    """What a Converse answer carries beside the completion, by model and request.

    ``cache`` is None when the usage carries no cache counts (models without prompt caching, and Nova
    without a cache point); ``cache_details`` adds the per-TTL breakdown of written tokens (Claude).
    ``performance_config`` and ``service_tier`` are echoed as the request sent them."""

    cache: CacheUsage | None = None
    cache_details: bool = False
    tool_use_type: bool = False
    performance_config: Mapping[str, Any] | None = None
    service_tier: Mapping[str, Any] | None = None
    tool_input_whole: bool = False  # a stream sends each tool input in one delta (Nova)
    reasoning_last: bool = False  # the reasoning block follows the text (DeepSeek-R1)


PLAIN = AnswerShape()


def usage_block(
    input_tokens: int,
    output_tokens: int,
    cache: CacheUsage | None = None,
    *,
    details: bool = False,
    server: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Converse ``usage``: ``inputTokens`` counts what was neither read from nor written to the cache;
    the total counts everything. Recorded answers carry the cache counts twice, under botocore's names
    and older ``...Count`` ones, and ``serverToolUsage`` (wire-facts §24)."""
    read = write = 0
    if cache is not None:
        read, write = cache.read, cache.write
    usage: dict[str, Any] = {
        "inputTokens": input_tokens - read - write,
        "outputTokens": output_tokens,
        "totalTokens": input_tokens + output_tokens,
    }
    if cache is not None:
        usage["cacheReadInputTokenCount"] = read
        usage["cacheReadInputTokens"] = read
        usage["cacheWriteInputTokenCount"] = write
        usage["cacheWriteInputTokens"] = write
        if details and write:
            by_ttl: dict[str, int] = {}
            for ttl, tokens in cache.written:
                by_ttl[ttl] = by_ttl.get(ttl, 0) + tokens
            usage["cacheDetails"] = [{"inputTokens": tokens, "ttl": ttl} for ttl, tokens in by_ttl.items()]
    usage["serverToolUsage"] = server or {}  # the server tools' invocations (wire-facts §34)
    return usage


def _reasoning_block(thought: Reasoning) -> dict[str, Any]:
    if thought.redacted:
        return {"reasoningContent": {"redactedContent": base64.b64encode(thought.redacted).decode()}}
    text: dict[str, Any] = {"text": thought.text}
    if thought.signature:  # gpt-oss's reasoning is unsigned
        text["signature"] = thought.signature
    return {"reasoningContent": {"reasoningText": text}}


def content_blocks(
    completion: Completion, *, tool_use_type: bool = False, reasoning_last: bool = False
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    segments = citations.segments_of(completion)
    if completion.server is not None:
        blocks.extend(_server_blocks(completion.server, completion.text))
    elif segments is not None:
        blocks.extend(citations.converse_blocks(segments))
    elif completion.text or not completion.tool_calls:
        blocks.append({"text": completion.text})
    if completion.reasoning is not None:
        blocks.insert(len(blocks) if reasoning_last else 0, _reasoning_block(completion.reasoning))
    for call in completion.tool_calls:
        tool_use: dict[str, Any] = {"toolUseId": call.tool_use_id, "name": call.name, "input": call.input}
        if tool_use_type:
            tool_use["type"] = "tool_use"
        blocks.append({"toolUse": tool_use})
    return blocks


def _server_blocks(turn: server_tools.ServerTurn, text: str) -> list[dict[str, Any]]:
    """The server tools' use and result blocks, then the answer (cited pieces in citationsContent)."""
    blocks: list[dict[str, Any]] = []
    for call in turn.calls:
        blocks.append({"toolUse": server_tools.use_block(call)})
        if call.result_text is not None:
            blocks.append({"toolResult": server_tools.result_block(call)})
    for piece, source in server_tools.text_segments(turn, text):
        if source is None:
            blocks.append({"text": piece})
        else:
            cited = {"citations": [server_tools.web_citation(source)], "content": [{"text": piece}]}
            blocks.append({"citationsContent": cited})
    return blocks


def _server_usage(completion: Completion) -> dict[str, int] | None:
    return completion.server.usage() if completion.server is not None else None


def _echoes(shape: AnswerShape) -> dict[str, Any]:
    echoed: dict[str, Any] = {}
    if shape.performance_config is not None:
        echoed["performanceConfig"] = dict(shape.performance_config)
    if shape.service_tier is not None:
        echoed["serviceTier"] = dict(shape.service_tier)
    return echoed


def converse_body(
    completion: Completion,
    input_tokens: int,
    *,
    trace: dict[str, Any] | None = None,
    shape: AnswerShape = PLAIN,
) -> dict[str, Any]:
    body = {
        "metrics": {"latencyMs": latency_ms(input_tokens, completion.output_tokens)},
        "output": {
            "message": {
                "content": content_blocks(
                    completion, tool_use_type=shape.tool_use_type, reasoning_last=shape.reasoning_last
                ),
                "role": "assistant",
            }
        },
        "stopReason": completion.stop_reason,
        "usage": usage_block(
            input_tokens,
            completion.output_tokens,
            shape.cache,
            details=shape.cache_details,
            server=_server_usage(completion),
        ),
        **_echoes(shape),
    }
    if trace is not None:
        body["trace"] = trace
    return body


def padding(ordinal: int) -> str:
    """The ``p`` member of a stream frame: real frames carry a random-length prefix of the alphabet that
    clients ignore (ours has a deterministic length)."""
    return _PADDING[: 1 + (ordinal * 37) % len(_PADDING)]


def _padded(payload: dict[str, Any], ordinal: int) -> dict[str, Any]:
    # Keys arrive sorted at every level, "p" included.
    payload["p"] = padding(ordinal)
    return {key: _sorted(payload[key]) for key in sorted(payload)}


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _server_stream(
    turn: server_tools.ServerTurn, text: str, first: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The server tools' blocks as stream events: a use opens with its start (the input whole in one
    delta, as Nova sends tool inputs), a result with its start and its content in one delta; then the
    answer, each cited piece's citation before its text (wire-facts §34)."""
    index = first

    def close() -> tuple[str, dict[str, Any]]:
        nonlocal index
        index += 1
        return "contentBlockStop", {"contentBlockIndex": index - 1}

    for call in turn.calls:
        start = {"toolUseId": call.tool_use_id, "name": call.name, "type": server_tools.USE_TYPE}
        yield "contentBlockStart", {"contentBlockIndex": index, "start": {"toolUse": start}}
        piece = json.dumps(call.input, separators=(",", ":"), ensure_ascii=False)
        yield "contentBlockDelta", {"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}}
        yield close()
        if call.result_text is not None:
            result = {
                "toolUseId": call.tool_use_id,
                "type": server_tools.CODE_RESULT_TYPE,
                "status": "success",
            }
            yield "contentBlockStart", {"contentBlockIndex": index, "start": {"toolResult": result}}
            delta = {"toolResult": [{"text": call.result_text}]}
            yield "contentBlockDelta", {"contentBlockIndex": index, "delta": delta}
            yield close()
    for piece, source in server_tools.text_segments(turn, text):
        if source is not None:
            citation = {"citation": server_tools.web_citation(source)}
            yield "contentBlockDelta", {"contentBlockIndex": index, "delta": citation}
        for part in generation.split_deltas(piece) or [""]:
            yield "contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": part}}
        yield close()


def stream_events(
    completion: Completion,
    input_tokens: int,
    *,
    trace: dict[str, Any] | None = None,
    shape: AnswerShape = PLAIN,
) -> Iterator[StreamEvent]:
    """ConverseStream events, as real streams send them: no contentBlockStart for text blocks, toolUse
    input as partial JSON strings, ``metadata`` last (with the guardrail ``trace`` when one is asked for)."""
    ordinal = 0

    def event(kind: str, payload: dict[str, Any]) -> StreamEvent:
        nonlocal ordinal
        ordinal += 1
        return kind, _padded(payload, ordinal)

    yield event("messageStart", {"role": "assistant"})
    index = 0
    thought = completion.reasoning
    if thought is not None:  # like a text block, reasoning has no contentBlockStart
        if thought.redacted:
            redacted = base64.b64encode(thought.redacted).decode()
            deltas: list[dict[str, Any]] = [{"redactedContent": redacted}]
        else:
            deltas = [{"text": piece} for piece in generation.split_deltas(thought.text)]
            if thought.signature:
                deltas.append({"signature": thought.signature})
        for delta in deltas:
            yield event(
                "contentBlockDelta", {"contentBlockIndex": index, "delta": {"reasoningContent": delta}}
            )
        yield event("contentBlockStop", {"contentBlockIndex": index})
        index += 1
    segments = citations.segments_of(completion)
    if completion.server is not None:
        for kind, payload in _server_stream(completion.server, completion.text, index):
            if kind == "contentBlockStop":
                index += 1
            yield event(kind, payload)
    elif segments is not None:  # a cited statement's citations come before its text, as recorded
        for segment in segments:
            for cited in segment.citations:
                delta = {"citation": citations.converse_citation(cited)}
                yield event("contentBlockDelta", {"contentBlockIndex": index, "delta": delta})
            for piece in generation.split_deltas(segment.text):
                yield event("contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": piece}})
            yield event("contentBlockStop", {"contentBlockIndex": index})
            index += 1
    elif completion.text or not completion.tool_calls:
        for piece in generation.split_deltas(completion.text) or [""]:
            yield event("contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": piece}})
        yield event("contentBlockStop", {"contentBlockIndex": index})
        index += 1
    for call in completion.tool_calls:
        start: dict[str, Any] = {"toolUseId": call.tool_use_id, "name": call.name}
        if shape.tool_use_type:
            start["type"] = "tool_use"
        yield event("contentBlockStart", {"contentBlockIndex": index, "start": {"toolUse": start}})
        if shape.tool_input_whole:  # Nova: the whole input in one delta
            pieces = [json.dumps(call.input, separators=(",", ":"), ensure_ascii=False)]
        else:  # Claude and the others: many small pieces, Claude's with spaces after separators
            separators = (", ", ": ") if shape.tool_use_type else (",", ":")
            pieces = generation.split_json(json.dumps(call.input, separators=separators, ensure_ascii=False))
        for piece in pieces:
            yield event(
                "contentBlockDelta", {"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}}
            )
        yield event("contentBlockStop", {"contentBlockIndex": index})
        index += 1
    yield event("messageStop", {"stopReason": completion.stop_reason})
    metadata: dict[str, Any] = {
        "metrics": {"latencyMs": latency_ms(input_tokens, completion.output_tokens)},
        "usage": usage_block(
            input_tokens,
            completion.output_tokens,
            shape.cache,
            details=shape.cache_details,
            server=_server_usage(completion),
        ),
        **_echoes(shape),
    }
    if trace is not None:
        metadata["trace"] = trace
    yield event("metadata", metadata)
