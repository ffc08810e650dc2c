"""Trace events in the shapes of botocore's ``TracePart`` and ``Trace`` (bedrock-agent-runtime).

Each event carries exactly one member of a step (model input, model output, rationale, invocation input
or observation), in the order Bedrock sends them. Trace ids are a turn's UUID with a suffix per step
(``-pre-0``, ``-0``, ``-1``, ``-post-0``), as in Bedrock's own traces.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulator.agents.definition import Action
from emulator.agents.memory import iso
from emulator.generation import count_tokens

INFERENCE = {
    "maximumLength": 2048,
    "stopSequences": ["</invoke>", "</answer>", "</error>"],
    "temperature": 0.0,
    "topK": 250,
    "topP": 1.0,
}


@dataclass(frozen=True)
class Tracer:
    """Wraps a trace in its ``TracePart``: who produced it (absent for inline agents), when, which session."""

    session_id: str
    foundation_model: str
    agent_id: str | None = None
    alias_id: str | None = None
    alias_arn: str | None = None

    def part(self, trace: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        payload: dict[str, Any] = {}
        if self.agent_id is not None:
            payload["agentAliasId"] = self.alias_id
            payload["agentId"] = self.agent_id
            payload["agentVersion"] = "DRAFT"
            if self.alias_arn is not None:
                payload["callerChain"] = [{"agentAliasArn": self.alias_arn}]
        payload["eventTime"] = iso(time.time())
        payload["sessionId"] = self.session_id
        payload["trace"] = dict(trace)
        return "trace", payload

    def model_input(self, step: str, trace_id: str, prompt_type: str, text: str) -> dict[str, Any]:
        return {
            step: {
                "modelInvocationInput": {
                    "foundationModel": self.foundation_model,
                    "inferenceConfiguration": INFERENCE,
                    "parserMode": "DEFAULT",
                    "promptCreationMode": "DEFAULT",
                    "text": text,
                    "traceId": trace_id,
                    "type": prompt_type,
                }
            }
        }

    def metadata(self, trace_id: str, prompt: str, output: str) -> dict[str, Any]:
        digest = hashlib.blake2b(f"{trace_id}|{prompt}".encode(), digest_size=16).digest()
        return {
            "clientRequestId": str(uuid.UUID(bytes=digest, version=4)),
            "usage": {"inputTokens": count_tokens(prompt), "outputTokens": count_tokens(output)},
        }


def pre_processing_output(
    tracer: Tracer, trace_id: str, prompt: str, raw: str, valid: bool, rationale: str
) -> dict[str, Any]:
    return {
        "preProcessingTrace": {
            "modelInvocationOutput": {
                "metadata": tracer.metadata(trace_id, prompt, raw),
                "parsedResponse": {"isValid": valid, "rationale": rationale},
                "rawResponse": {"content": raw},
                "traceId": trace_id,
            }
        }
    }


def orchestration_output(tracer: Tracer, trace_id: str, prompt: str, raw: str) -> dict[str, Any]:
    return {
        "orchestrationTrace": {
            "modelInvocationOutput": {
                "metadata": tracer.metadata(trace_id, prompt, raw),
                "rawResponse": {"content": raw},
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


def action_observation(trace_id: str, text: str) -> dict[str, Any]:
    return {
        "orchestrationTrace": {
            "observation": {
                "actionGroupInvocationOutput": {"text": text},
                "traceId": trace_id,
                "type": "ACTION_GROUP",
            }
        }
    }


def knowledge_base_observation(trace_id: str, references: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "orchestrationTrace": {
            "observation": {
                "knowledgeBaseLookupOutput": {"retrievedReferences": [dict(r) for r in references]},
                "traceId": trace_id,
                "type": "KNOWLEDGE_BASE",
            }
        }
    }


def final_observation(trace_id: str, text: str, kind: str = "FINISH") -> dict[str, Any]:
    return {
        "orchestrationTrace": {
            "observation": {"finalResponse": {"text": text}, "traceId": trace_id, "type": kind}
        }
    }


def post_processing_output(tracer: Tracer, trace_id: str, prompt: str, text: str) -> dict[str, Any]:
    return {
        "postProcessingTrace": {
            "modelInvocationOutput": {
                "metadata": tracer.metadata(trace_id, prompt, text),
                "parsedResponse": {"text": text},
                "rawResponse": {"content": f"<final_response>\n{text}\n</final_response>"},
                "traceId": trace_id,
            }
        }
    }
