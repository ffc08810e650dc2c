"""Trace events in the shapes of botocore's ``TracePart`` / ``InlineAgentTracePart`` and ``Trace``
(bedrock-agent-runtime), as recorded real traces carry them (wire-facts, "Agent and guardrail traces").

Each event carries exactly one member of a step (model input, model output, rationale, invocation input
or observation), in the order Bedrock sends them. Trace ids are a turn's UUID with a suffix per step
(``-pre-0``, ``-0``, ``-1``, ``-post-0``), as in Bedrock's own traces.

Times: a turn runs on a ``Timeline`` of nanosecond offsets. Each model call, Lambda run and knowledge base
lookup takes a duration worked out from its size, so every ``metadata`` (start, end, ``totalTimeMs``) and
``eventTime`` is deterministic relative to the turn; ``stamp`` anchors the turn so that it ends now.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from emulator.agents.definition import Action
from emulator.agents.raw_answer import ToolCall, raw_response
from emulator.generation import count_tokens

# The Smithy type marker Bedrock leaves in every trace's inference configuration.
_INFERENCE_TYPE = "com.amazon.bedrock.agent.common.types#InferenceConfiguration"
# Default prompt templates' stop sequences: Claude's orchestration template's, the pre/post-processing ones,
# and Nova's orchestration template's.
_ORCHESTRATION_STOPS: tuple[str, ...] = ("</invoke>", "</answer>", "</error>")
_PROCESSING_STOPS: tuple[str, ...] = ("\n\nHuman:",)
_NOVA_ORCHESTRATION_STOPS: tuple[str, ...] = ("</answer>", "\n\n<thinking>", "\n<thinking>", " <thinking>")
_MS = 1_000_000  # ns
_EVENT_GAP = 100_000  # ns between one trace event and the next
_OPERATION_LEAD = 250 * _MS  # the operation starts this long before its first step


def inference_configuration(prompt_type: str, foundation_model: str) -> dict[str, Any]:
    """The default templates' inference parameters for a step, with the type marker Bedrock includes: Nova's
    orchestration template differs from the Claude one (both recorded, 2025)."""
    if prompt_type == "ORCHESTRATION" and ".nova-" in foundation_model:
        maximum, stops, temperature, top_k = 1024, _NOVA_ORCHESTRATION_STOPS, 1.0, 1
    else:
        stops = _ORCHESTRATION_STOPS if prompt_type == "ORCHESTRATION" else _PROCESSING_STOPS
        maximum, temperature, top_k = 2048, 0.0, 250
    return {
        "__type": _INFERENCE_TYPE,
        "maximumLength": maximum,
        "stopSequences": list(stops),
        "temperature": temperature,
        "topK": top_k,
        "topP": 1.0,
    }


@dataclass(frozen=True)
class _Stamp:
    """A time on the turn's timeline, written out once the turn is anchored."""

    offset_ns: int


@dataclass
class Timeline:
    cursor: int = 0  # ns since the turn's first step started

    def next_event(self) -> _Stamp:
        self.cursor += _EVENT_GAP
        return _Stamp(self.cursor)

    def span(self, duration_ms: int, gap_ns: int) -> tuple[_Stamp, _Stamp]:
        start = self.cursor + gap_ns
        self.cursor = start + duration_ms * _MS
        return _Stamp(start), _Stamp(self.cursor)


def model_call_ms(input_tokens: int, output_tokens: int) -> int:
    """How long a model call takes: fitted to recorded Claude 3.5 Sonnet agent steps (wire-facts)."""
    return 600 + input_tokens // 2 + 18 * output_tokens


@dataclass(frozen=True)
class ModelCall:
    raw: str  # rawResponse.content
    metadata: dict[str, Any]
    input_tokens: int
    output_tokens: int


def _uuid(*parts: str) -> str:
    digest = hashlib.blake2b("|".join(parts).encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest, version=4))


@dataclass(frozen=True)
class Tracer:
    """Wraps a trace in its ``TracePart``: who produced it (an inline agent has no id, alias or version),
    the caller chain, when, which session; and keeps the turn's timeline."""

    session_id: str
    foundation_model: str
    agent_id: str | None = None
    alias_id: str | None = None
    alias_arn: str | None = None  # an inline agent's is agent-alias/INLINE_AGENT/TSTALIASID
    timeline: Timeline = field(default_factory=Timeline, compare=False)

    @property
    def inline(self) -> bool:
        return self.agent_id is None

    def part(self, trace: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        payload: dict[str, Any] = {}
        if self.agent_id is not None:
            payload["agentAliasId"] = self.alias_id
            payload["agentId"] = self.agent_id
            payload["agentVersion"] = "DRAFT"
        if self.alias_arn is not None:
            payload["callerChain"] = [{"agentAliasArn": self.alias_arn}]
        payload["eventTime"] = self.timeline.next_event()
        payload["sessionId"] = self.session_id
        payload["trace"] = dict(trace)
        return "trace", payload

    def model_input(self, step: str, trace_id: str, prompt_type: str, text: str) -> dict[str, Any]:
        member: dict[str, Any] = {}
        if prompt_type != "KNOWLEDGE_BASE_RESPONSE_GENERATION":  # recorded without the model's id
            member["foundationModel"] = self.foundation_model
        if not self.inline:  # recorded inline agent traces carry no inference configuration
            member["inferenceConfiguration"] = inference_configuration(prompt_type, self.foundation_model)
        member.update({"text": text, "traceId": trace_id, "type": prompt_type})
        return {step: {"modelInvocationInput": member}}

    def model_call(
        self,
        trace_id: str,
        prompt: str,
        parts: Sequence[str | ToolCall],
        stop_reason: str = "end_turn",
        stop_sequence: str | None = None,
    ) -> ModelCall:
        """One model call of a step: the model's raw answer and the call's ``metadata`` (request id, times,
        token usage), the call placed on the turn's timeline."""
        input_tokens = count_tokens(prompt)
        output_tokens = count_tokens(
            " ".join(p if isinstance(p, str) else json.dumps(p.input) for p in parts)
        )
        duration = model_call_ms(input_tokens, output_tokens)
        start, end = self.timeline.span(duration, 300_000)
        metadata = {
            "clientRequestId": _uuid(trace_id, prompt),
            "endTime": end,
            "startTime": start,
            "totalTimeMs": duration,
            "usage": {"inputTokens": input_tokens, "outputTokens": output_tokens},
        }
        raw = raw_response(
            self.foundation_model, trace_id, parts, stop_reason, stop_sequence, input_tokens, output_tokens
        )
        return ModelCall(raw, metadata, input_tokens, output_tokens)

    def call_metadata(self, request_id: str, duration_ms: int) -> dict[str, Any]:
        """A Lambda run's or a knowledge base lookup's ``metadata``: request id and times, no usage."""
        start, end = self.timeline.span(duration_ms, 50_000)
        return {"clientRequestId": request_id, "endTime": end, "startTime": start, "totalTimeMs": duration_ms}

    def final_metadata(self) -> dict[str, Any]:
        """The final response's ``metadata``: the whole operation's start, end and length."""
        _, end = self.timeline.span(40, 0)
        return {
            "endTime": end,
            "operationTotalTimeMs": (end.offset_ns + _OPERATION_LEAD) // _MS,
            "startTime": _Stamp(-_OPERATION_LEAD),
        }

    def stamp(self, events: Sequence[tuple[str, Any]], now_ns: int) -> None:
        """Write the turn's times out (nanoseconds since the epoch), anchored so that it ends ``now_ns``."""
        base = now_ns - self.timeline.cursor
        for kind, payload in events:
            if kind == "trace":
                _resolve(payload, base)


def _resolve(value: Any, base: int) -> None:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(item, _Stamp):
            value[key] = iso_ns(base + item.offset_ns)
        elif isinstance(item, dict | list):
            _resolve(item, base)


def iso_ns(ns: int) -> str:
    """An ISO 8601 time with nanoseconds, as Bedrock writes trace times: 2025-05-21T09:44:48.907968367Z."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{fraction:09d}Z"


def pre_processing_output(trace_id: str, call: ModelCall, valid: bool, rationale: str) -> dict[str, Any]:
    return {
        "preProcessingTrace": {
            "modelInvocationOutput": {
                "metadata": call.metadata,
                "parsedResponse": {"isValid": valid, "rationale": rationale},
                "rawResponse": {"content": call.raw},
                "traceId": trace_id,
            }
        }
    }


def orchestration_output(trace_id: str, call: ModelCall) -> dict[str, Any]:
    return {
        "orchestrationTrace": {
            "modelInvocationOutput": {
                "metadata": call.metadata,
                "rawResponse": {"content": call.raw},
                "traceId": trace_id,
            }
        }
    }


def rationale(trace_id: str, text: str) -> dict[str, Any]:
    return {"orchestrationTrace": {"rationale": {"text": text, "traceId": trace_id}}}


def action_input(
    trace_id: str, action: Action, parameters: Mapping[str, str], invocation_id: str | None
) -> dict[str, Any]:
    details: dict[str, Any] = {"actionGroupName": action.group}
    if action.is_api:
        details["apiPath"] = action.api_path
        details["verb"] = (action.verb or "get").upper()
        details["parameters"] = parameter_list(action, parameters, body=False)
        body = parameter_list(action, parameters, body=True)
        if body:
            details["requestBody"] = {"content": {"application/json": body}}
    else:
        details["function"] = action.name
        details["parameters"] = parameter_list(action, parameters)
    details["executionType"] = action.executor if invocation_id is None else "RETURN_CONTROL"
    if invocation_id is not None:
        details["invocationId"] = invocation_id
    return {
        "orchestrationTrace": {
            "invocationInput": {
                "actionGroupInvocationInput": details,
                "invocationType": "ACTION_GROUP",
                "traceId": trace_id,
            }
        }
    }


def parameter_list(
    action: Action, values: Mapping[str, str], body: bool | None = None
) -> list[dict[str, str]]:
    """``[{name, type, value}]`` in declaration order; ``body`` picks request-body or other parameters."""
    return [
        {"name": p.name, "type": p.type, "value": values[p.name]}
        for p in action.parameters
        if p.name in values and (body is None or p.in_body == body)
    ]


def knowledge_base_input(trace_id: str, knowledge_base_id: str, text: str) -> dict[str, Any]:
    return {
        "orchestrationTrace": {
            "invocationInput": {
                "invocationType": "KNOWLEDGE_BASE",
                "knowledgeBaseLookupInput": {"knowledgeBaseId": knowledge_base_id, "text": text},
                "traceId": trace_id,
            }
        }
    }


def action_observation(tracer: Tracer | None, trace_id: str, text: str) -> dict[str, Any]:
    """The action's result; with ``tracer``, the Lambda run that produced it (caller's results have none)."""
    output: dict[str, Any] = {}
    if tracer is not None:
        output["metadata"] = tracer.call_metadata(_uuid(trace_id, "lambda", text), 180 + len(text) // 2)
    output["text"] = text
    return {
        "orchestrationTrace": {
            "observation": {
                "actionGroupInvocationOutput": output,
                "traceId": trace_id,
                "type": "ACTION_GROUP",
            }
        }
    }


def knowledge_base_observation(
    tracer: Tracer, trace_id: str, references: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    # Recorded lookups carry the turn's id (the trace id without its step suffix) as their request id.
    metadata = tracer.call_metadata(trace_id.rsplit("-", 1)[0], 350 + 60 * len(references))
    return {
        "orchestrationTrace": {
            "observation": {
                "knowledgeBaseLookupOutput": {
                    "metadata": metadata,
                    "retrievedReferences": [dict(r) for r in references],
                },
                "traceId": trace_id,
                "type": "KNOWLEDGE_BASE",
            }
        }
    }


def final_observation(tracer: Tracer, trace_id: str, text: str, kind: str = "FINISH") -> dict[str, Any]:
    final = {"metadata": tracer.final_metadata(), "text": text}
    return {
        "orchestrationTrace": {"observation": {"finalResponse": final, "traceId": trace_id, "type": kind}}
    }


def post_processing_output(trace_id: str, call: ModelCall, text: str) -> dict[str, Any]:
    return {
        "postProcessingTrace": {
            "modelInvocationOutput": {
                "metadata": call.metadata,
                "parsedResponse": {"text": text},
                "rawResponse": {"content": call.raw},
                "traceId": trace_id,
            }
        }
    }
