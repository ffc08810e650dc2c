"""Handlers of bedrock-runtime's model operations: Converse, ConverseStream, CountTokens, InvokeModel
and InvokeModelWithResponseStream. One function per operation, plain values in and out."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from emulator import (
    catalog,
    chat_request,
    citations,
    conversation,
    generation,
    invoke_caching,
    model_features,
    prompt_cache,
    scripted,
    token_overhead,
)
from emulator.bedrock_control import model_targets
from emulator.catalog import FoundationModel, ResolvedModel
from emulator.generation import Completion
from emulator.prompt_cache import CachePoint
from emulator.responder import STAND_IN, Ask
from emulator.services.exchange import (
    BytesReply,
    JsonReply,
    OperationCall,
    Reply,
    StreamReply,
    Usage,
)
from emulator.wire.errors import AwsError, validation
from emulator.wire.eventstream import StreamEvent

if TYPE_CHECKING:  # loaded with the first call that needs them: a Converse needs neither
    from emulator.guardrails import Guarded
    from emulator.providers import Prompt, Provider


def _resolve(call: OperationCall) -> ResolvedModel:
    model_id: str = call.input["modelId"]
    if model_id.startswith("arn:"):  # something the caller created in the bedrock control plane?
        created = model_targets.resolve(call, model_id)
        if created is not None:
            return created
    return catalog.resolve(model_id, region=call.region, strict=call.strict)


def _converse_request(call: OperationCall) -> tuple[ResolvedModel, Any]:
    """The model and the Converse body it answers: the request's own, or, when the model id is a prompt
    from Prompt management, the conversation that prompt expands to (``emulator.prompt_inference``)."""
    model_id: str = call.input["modelId"]
    if model_id.startswith("arn:") and ":prompt/" in model_id:
        from emulator import prompt_inference

        return prompt_inference.expand(call)
    return _resolve(call), call.input


# -- Converse ----------------------------------------------------------------------------------------


def _converse_guard(call: OperationCall, body: Any) -> Guarded | None:
    if not body.get("guardrailConfig"):
        return None
    from emulator import guardrails

    return guardrails.for_converse(
        body, tenant=call.tenant, region=call.region, strict=call.strict, state=call.state
    )


# A conversation longer than the model's context window, as Converse and ConverseStream report it (seen
# verbatim from Claude on Bedrock in continuedev/continue#6005 and #9592; wire-facts, third-party suites).
INPUT_TOO_LONG = "The model returned the following errors: Input is too long for requested model."


def _guarded_completion(
    call: OperationCall, model: FoundationModel, prompt: conversation.ConversePrompt, guard: Guarded | None
) -> tuple[Completion, int]:
    """The completion and input tokens, through the guardrail when the request names one (a blocked
    input never reaches the model, so nothing is counted). A conversation that does not fit the model's
    context window is refused once the guardrail has let it through."""
    if guard is not None and guard.input_blocked:
        return guard.finish(Completion("", 0, "end_turn", None, ()), intervened_stop_reason=_INTERVENED), 0
    if prompt.input_tokens > model.context_window:
        raise validation(INPUT_TOO_LONG)
    completion = conversation.complete(
        prompt, seed=call.seed, scripted=call.scripted, responder=call.responder
    )
    counted = completion.input_tokens if completion.input_tokens is not None else prompt.input_tokens
    if guard is not None:
        completion = guard.finish(completion, intervened_stop_reason=_INTERVENED)
    return completion, _input_tokens(call, counted)


_INTERVENED = "guardrail_intervened"


def _converse_trace(resolved: ResolvedModel, guard: Guarded | None) -> dict[str, Any] | None:
    """Converse's ``trace``: the guardrail's (when tracing is on) and the model a prompt router chose."""
    trace = guard.converse_trace() if guard else None
    if resolved.routed_to is not None:
        trace = {**(trace or {}), "promptRouter": {"invokedModelId": resolved.routed_to}}
    return trace


def _answer_shape(
    call: OperationCall,
    model: FoundationModel,
    body: Mapping[str, Any],
    points: list[CachePoint],
    input_tokens: int,
    *,
    stream: bool,
) -> conversation.AnswerShape:
    """The cache counts (reading and writing the tenant's prompt cache), and the members echoed. A
    stream's metadata carries the counts only when the request has a cache point (recorded: wire-facts
    §33), a unary answer of a model whose usage always has them carries them anyway."""
    features = model_features.features_of(model.model_id)
    caching = features.caching
    cache = None
    if caching is not None and (points or (caching.usage_always and not stream)):
        cache = prompt_cache.NO_CACHE
        if points and input_tokens:
            cache = prompt_cache.apply(
                call.state.store,
                call.tenant,
                model.model_id,
                points,
                caching,
                now=call.now,
                input_tokens=input_tokens,
            )
    return conversation.AnswerShape(
        cache=cache,
        cache_details=caching is not None and caching.details,
        tool_use_type=features.tool_use_type,
        performance_config=body.get("performanceConfig"),
        service_tier=body.get("serviceTier"),
        tool_input_whole=model.body_family == "nova",
        reasoning_last=features.reasoning_last,
    )


def _converse_answer(
    call: OperationCall, resolved: ResolvedModel, body: Mapping[str, Any], *, stream: bool = False
) -> tuple[Completion, int, conversation.AnswerShape, Guarded | None]:
    guard = _converse_guard(call, body)
    sent = guard.body if guard else body
    prompt = conversation.read_request(sent, resolved.model)
    caching = model_features.features_of(resolved.model.model_id).caching
    tool_prompt = 0
    if caching is not None and prompt.tools:
        overhead = token_overhead.overhead_of(resolved.model.model_id, resolved.model.body_family)
        tool_prompt = overhead.tool_prompt(prompt.tool_choice)
    points = prompt_cache.converse_points(sent, caching, tool_prompt=tool_prompt)
    completion, input_tokens = _guarded_completion(call, resolved.model, prompt, guard)
    shape = _answer_shape(call, resolved.model, sent, points, input_tokens, stream=stream)
    return completion, input_tokens, shape, guard


def converse(call: OperationCall) -> JsonReply:
    resolved, body = _converse_request(call)
    completion, input_tokens, shape, guard = _converse_answer(call, resolved, body)
    return JsonReply(
        conversation.converse_body(
            completion, input_tokens, trace=_converse_trace(resolved, guard), shape=shape
        ),
        usage=Usage(input_tokens, completion.output_tokens),
        model_id=resolved.model.model_id,
        warnings=resolved.warnings,
    )


def converse_stream(call: OperationCall) -> StreamReply:
    resolved, body = _converse_request(call)
    if not resolved.model.streaming:
        raise validation("The model is unsupported for streaming.")
    completion, input_tokens, shape, guard = _converse_answer(call, resolved, body, stream=True)
    return StreamReply(
        conversation.stream_events(
            completion, input_tokens, trace=_converse_trace(resolved, guard), shape=shape
        ),
        usage=Usage(input_tokens, completion.output_tokens),
        model_id=resolved.model.model_id,
        warnings=resolved.warnings,
    )


def _input_tokens(call: OperationCall, counted: int) -> int:
    return scripted.input_tokens(call.scripted, counted)


# -- CountTokens -------------------------------------------------------------------------------------


def count_tokens(call: OperationCall) -> JsonReply:
    # CountTokens takes the bare foundation-model id, even of models only invocable through a profile.
    model = catalog.get(call.input["modelId"])
    if model is None:
        resolved = _resolve(call)
        if resolved.kind != "foundation-model":
            raise validation("The provided model doesn't support counting tokens.")
        model = resolved.model
    elif call.strict and model.is_retired():
        _resolve(call)  # raises the end-of-life error
    if not model.count_tokens:
        raise validation("The provided model doesn't support counting tokens.")
    request = call.input.get("input")
    if not isinstance(request, dict) or len(request) != 1:
        raise validation(
            "1 validation error detected: Value null at 'input' failed to satisfy constraint: Member must not be null"
        )
    if "converse" in request:
        tokens = conversation.read_request(request["converse"] or {}, model).input_tokens
    elif "invokeModel" in request:
        encoded = (request["invokeModel"] or {}).get("body", "")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AwsError("SerializationException", "Invalid base64 in input.invokeModel.body.") from exc
        tokens = _invoke_prompt(raw, model).input_tokens
    else:
        raise validation("The input union must set exactly one of converse or invokeModel.")
    return JsonReply({"inputTokens": tokens}, model_id=model.model_id)


# -- InvokeModel -------------------------------------------------------------------------------------


def _invoke_prompt(raw: bytes, model: FoundationModel) -> Prompt:
    from emulator.providers import parse_body

    provider = _provider(model)
    return token_overhead.with_invoke_overhead(provider.validate(parse_body(raw), model), model)


def _guarded_invoke_prompt(call: OperationCall, model: FoundationModel) -> tuple[Prompt, Guarded | None]:
    """The prompt the model sees: the body as sent, or with the guardrail's ANONYMIZE findings masked."""
    from emulator import guardrails
    from emulator.providers import parse_body

    provider = _provider(model)
    # The data plane parsed the body once already; only a body that is not a JSON object is parsed again,
    # for the provider's own Malformed-input message.
    body = call.json_body if call.raw_body and isinstance(call.json_body, dict) else parse_body(call.raw_body)
    guard = guardrails.for_invoke(
        call.input, body, tenant=call.tenant, region=call.region, strict=call.strict, state=call.state
    )
    if guard is not None:
        provider.validate(body, model)  # Bedrock validates the body as sent before the guardrail reads it
        body = guard.body
    return token_overhead.with_invoke_overhead(provider.validate(body, model), model), guard


def _guarded_invoke_completion(
    call: OperationCall, prompt: Prompt, guard: Guarded | None, model: FoundationModel
) -> tuple[Completion, Prompt, int]:
    """The completion, the prompt (with the model's own token count where it gives one) and the input
    tokens counted (none when the guardrail blocked the input)."""
    if guard is not None and guard.input_blocked:
        blocked = guard.finish(Completion("", 0, "end_turn", None, ()), intervened_stop_reason="end_turn")
        return blocked, prompt, 0
    completion = _invoke_completion(call, prompt, model)
    if completion.input_tokens is not None:
        prompt = replace(prompt, counted_tokens=completion.input_tokens)
    if guard is not None:
        completion = guard.finish(completion, intervened_stop_reason=completion.stop_reason)
    return completion, prompt, prompt.input_tokens


def _provider(model: FoundationModel) -> Provider:
    from emulator.providers import provider_for

    try:
        return provider_for(model.body_family)
    except KeyError:
        raise validation(
            f"The bedrock-emulator does not emulate the request body of {model.model_id} yet."
        ) from None


def _invoke_completion(call: OperationCall, prompt: Prompt, model: FoundationModel) -> Completion:
    written = scripted.completion(call.scripted)
    if written is not None:
        return written
    body, family = prompt.body, model.body_family
    ask = Ask(
        model_id=model.model_id,
        key=prompt.key,
        max_tokens=prompt.max_tokens,
        stop_sequences=prompt.stop_sequences,
        tools=prompt.tools,
        tool_choice=prompt.tool_choice,
        prompt_text=prompt.text_for_tokens[-2000:],
        after_tool_result=prompt.after_tool_result,
        thinking=prompt.thinking,
        output_schema=prompt.output_schema,
        chat=lambda: chat_request.from_invoke(family, body, prompt.text_for_tokens),
    )
    # Embeddings and rerank answers are no chat: the stand-in computes them whatever answers chats.
    texts = prompt.embedding is None and chat_request.speaks(family)
    responder = call.responder if texts and call.responder is not None else STAND_IN
    completion = responder.answer(ask, seed=call.seed)
    return citations.cite(
        completion, prompt.documents, key=prompt.key, seed=call.seed, max_tokens=prompt.max_tokens
    )


def _check_content_type(call: OperationCall) -> None:
    content_type = call.input.get("contentType", "application/json").split(";")[0].strip().lower()
    if content_type not in ("application/json", "", "*/*"):
        raise validation(f"The provided content type {content_type} is not supported. Use application/json.")


def _echoed_headers(call: OperationCall) -> dict[str, str]:
    """The performance configuration and service tier a request asked for, echoed in response headers."""
    headers: dict[str, str] = {}
    latency = call.input.get("performanceConfigLatency")
    if latency is not None:
        headers["X-Amzn-Bedrock-PerformanceConfig-Latency"] = str(latency)
    tier = call.input.get("serviceTier")
    if tier is not None:
        headers["X-Amzn-Bedrock-Service-Tier"] = str(tier)
    return headers


def invoke_model(call: OperationCall) -> BytesReply:
    resolved = _resolve(call)
    model = resolved.model
    _check_content_type(call)
    prompt, guard = _guarded_invoke_prompt(call, model)
    scripted_body = call.scripted.invoke_body if call.scripted is not None else None
    if scripted_body is not None:
        completion = Completion("", scripted.output_tokens(call.scripted) or 0, "end_turn", None, ())
        blocked = guard is not None and guard.input_blocked
        input_tokens = 0 if blocked else prompt.input_tokens
    else:
        completion, prompt, input_tokens = _guarded_invoke_completion(call, prompt, guard, model)
    cache = invoke_caching.for_invoke(call, model, prompt, input_tokens)
    uncached = cache.uncached(input_tokens)
    headers = {"x-amzn-bedrock-input-token-count": str(uncached)}
    provider = _provider(model)
    body: Mapping[str, Any]
    if scripted_body is not None:
        body = scripted_body
    else:
        body = cache.body(provider.respond(prompt, completion, model, call.request_id))
    if guard is not None:
        body = {**body, **guard.invoke_fields()}
    output_tokens = 0 if prompt.embedding is not None else completion.output_tokens
    latency = conversation.latency_ms(input_tokens, output_tokens)
    if prompt.embedding is None:
        headers["x-amzn-bedrock-output-token-count"] = str(output_tokens)
    headers.update(cache.header_fields())
    headers["x-amzn-bedrock-invocation-latency"] = str(latency)
    headers.update(_echoed_headers(call))
    return BytesReply(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(),
        "application/json",
        headers=headers,
        usage=Usage(uncached, output_tokens),
        model_id=model.model_id,
        warnings=resolved.warnings,
    )


def invoke_model_with_response_stream(call: OperationCall) -> StreamReply:
    resolved = _resolve(call)
    model = resolved.model
    if not model.streaming:
        raise validation("The model is unsupported for streaming.")
    _check_content_type(call)
    prompt, guard = _guarded_invoke_prompt(call, model)
    completion, prompt, input_tokens = _guarded_invoke_completion(call, prompt, guard, model)
    cache = invoke_caching.for_invoke(call, model, prompt, input_tokens)
    uncached = cache.uncached(input_tokens)
    provider = _provider(model)
    chunks = cache.chunks(
        provider.stream_chunks(
            prompt, completion, model, call.request_id, generation.split_deltas(completion.text)
        )
    )
    latency = conversation.latency_ms(input_tokens, completion.output_tokens)
    metrics: dict[str, Any] = {
        "inputTokenCount": uncached,
        "outputTokenCount": completion.output_tokens,
        "invocationLatency": latency,
        "firstByteLatency": min(latency, 120 + input_tokens // 40),
    }
    metrics.update(cache.metric_fields())
    extra = guard.invoke_fields() if guard is not None else {}
    return StreamReply(
        _payload_parts(chunks, {"amazon-bedrock-invocationMetrics": metrics, **extra}),
        headers={"x-amzn-bedrock-content-type": "application/json", **_echoed_headers(call)},
        usage=Usage(uncached, completion.output_tokens),
        model_id=model.model_id,
        warnings=resolved.warnings,
    )


def _payload_parts(chunks: list[dict[str, Any]], last_extra: dict[str, Any]) -> Iterator[StreamEvent]:
    """Chunk events; Bedrock adds its own members (invocation metrics, guardrail action) to the last.
    Each frame also carries the padding member ``p`` ConverseStream frames have (wire-facts §24)."""
    last = len(chunks) - 1
    for index, chunk in enumerate(chunks):
        payload = {**chunk, **last_extra} if index == last else chunk
        encoded = base64.b64encode(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
        yield "chunk", {"bytes": encoded.decode(), "p": conversation.padding(index + 1)}


RUNTIME_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "Converse": converse,
    "ConverseStream": converse_stream,
    "CountTokens": count_tokens,
    "InvokeModel": invoke_model,
    "InvokeModelWithResponseStream": invoke_model_with_response_stream,
}
