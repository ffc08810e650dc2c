"""What each node type does with its inputs: the stand-in model, knowledge bases, scripted nodes.

Prompt nodes answer with ``emulator.generation`` over the rendered template; KnowledgeBase nodes search
``emulator.knowledge`` (and answer from the hits when the node names a model); Lambda nodes are scripted:
their outputs come from the node's ``emulator.outputs`` block (strings there may use ``{{input}}``), or
echo the input. Any node's ``emulator.outputs`` replaces what it would compute, which is how a test pins
a Prompt node's answer. Agent nodes may ask a question first (``emulator.ask``) and answer on the next turn.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator import generation, knowledge
from emulator.flows.definition import DEFAULT_CONDITION, Node, template_text
from emulator.knowledge import answers, retrieval
from emulator.state import AppState

DEFAULT_MAX_TOKENS = 512
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class NodeError(ValueError):
    """A node that cannot run on the inputs it received (the flow fails at that node)."""


@dataclass(frozen=True)
class Context:
    """What a run needs from the request: its seed and mode, and the app's state (knowledge bases)."""

    seed: int = 0
    strict: bool = False
    state: AppState = field(default_factory=AppState, repr=False, compare=False)


@dataclass(frozen=True)
class Action:
    """A call a node makes to another service (reported as ``nodeActionTrace``)."""

    service: str
    operation: str
    request: dict[str, Any]
    response: dict[str, Any]


@dataclass
class NodeResult:
    outputs: dict[str, Any] = field(default_factory=dict)
    action: Action | None = None
    satisfied: tuple[str, ...] = ()  # Condition nodes: the condition that routed the flow
    question: str | None = None  # Agent nodes that need more input first


def render(template: str, values: Mapping[str, Any]) -> str:
    """``{{name}}`` replaced by the value (JSON for non-strings); unknown names stay as written."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        item = values[name]
        return item if isinstance(item, str) else json.dumps(item, sort_keys=True)

    return _VARIABLE.sub(value, template)


def run(node: Node, inputs: Mapping[str, Any], context: Context, answer: str | None = None) -> NodeResult:
    scripted = node.emulator.get("outputs")
    if node.type == "Condition":
        return NodeResult(satisfied=(_route(node, inputs),))
    if node.type == "Agent":
        return _agent(node, inputs, context, answer)
    if isinstance(scripted, Mapping):
        return NodeResult({str(k): _scripted(v, inputs) for k, v in scripted.items()})
    if node.type == "Prompt":
        return _prompt(node, inputs, context)
    if node.type == "KnowledgeBase":
        return _knowledge_base(node, inputs, context)
    if node.type == "LambdaFunction":
        return _lambda(node, inputs)
    if node.type == "Collector":
        return NodeResult({"collectedArray": list(inputs.get("arrayItem") or [])})
    return NodeResult()


def _scripted(value: Any, inputs: Mapping[str, Any]) -> Any:
    return render(value, inputs) if isinstance(value, str) else value


def _route(node: Node, inputs: Mapping[str, Any]) -> str:
    # Bedrock evaluates conditions in order; the first one that holds wins, else ``default``.
    for condition in node.conditions:
        if condition.expression is not None and condition.expression.evaluate(inputs):
            return condition.name
    return DEFAULT_CONDITION


def _prompt(node: Node, inputs: Mapping[str, Any], context: Context) -> NodeResult:
    configuration = node.configuration
    inline = (configuration.get("sourceConfiguration") or {}).get("inline") or {}
    resource = (configuration.get("sourceConfiguration") or {}).get("resource") or {}
    model_id = str(inline.get("modelId") or resource.get("promptArn") or "")
    template = template_text(configuration)
    prompt = (
        render(template, inputs) if template is not None else "\n".join(_text(v) for v in inputs.values())
    )
    inference = (inline.get("inferenceConfiguration") or {}).get("text") or {}
    max_tokens = inference.get("maxTokens")
    stops = inference.get("stopSequences") or ()
    completion = generation.complete(
        f"flow-prompt|{model_id}|{prompt}".encode(),
        max_tokens=max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else DEFAULT_MAX_TOKENS,
        stop_sequences=tuple(str(s) for s in stops),
        seed=context.seed,
        prompt_text=prompt,
    )
    request = {"modelId": model_id, "messages": [{"role": "user", "content": [{"text": prompt}]}]}
    response = {
        "output": {"message": {"role": "assistant", "content": [{"text": completion.text}]}},
        "usage": {
            "inputTokens": generation.count_tokens(prompt),
            "outputTokens": completion.output_tokens,
        },
    }
    return NodeResult(
        {"modelCompletion": completion.text}, Action("Amazon Bedrock", "Converse", request, response)
    )


def _knowledge_base(node: Node, inputs: Mapping[str, Any], context: Context) -> NodeResult:
    configuration = node.configuration
    kb_id = str(configuration.get("knowledgeBaseId") or "")
    query = _text(inputs.get("retrievalQuery", ""))
    resolved = knowledge.current(context.state).resolve(kb_id, strict=context.strict)
    number = configuration.get("numberOfResults")
    page = retrieval.retrieve(
        resolved.knowledge_base,
        query,
        number_of_results=number if isinstance(number, int) and 1 <= number <= 100 else 5,
    )
    request = {"knowledgeBaseId": kb_id, "retrievalQuery": {"text": query}}
    model_id = configuration.get("modelId")
    if model_id:
        template = (configuration.get("promptTemplate") or {}).get("textPromptTemplate")
        result = answers.answer(
            query,
            page.hits,
            prompt_template=template if isinstance(template, str) else None,
            seed=context.seed,
        )
        action = Action("Amazon Bedrock", "RetrieveAndGenerate", request, {"output": {"text": result.text}})
        return NodeResult({"outputText": result.text}, action)
    results = [hit.wire() for hit in page.hits]
    return NodeResult(
        {"retrievalResults": results},
        Action("Amazon Bedrock", "Retrieve", request, {"retrievalResults": results}),
    )


def _lambda(node: Node, inputs: Mapping[str, Any]) -> NodeResult:
    # No scripted output: echo the input, so a flow through a Lambda node still carries data.
    value: Any = next(iter(inputs.values())) if len(inputs) == 1 else dict(inputs)
    arn = str(node.configuration.get("lambdaArn") or "")
    action = Action(
        "AWS Lambda", "Invoke", {"functionName": arn, "payload": dict(inputs)}, {"payload": value}
    )
    return NodeResult({"functionResponse": value}, action)


def _agent(node: Node, inputs: Mapping[str, Any], context: Context, answer: str | None) -> NodeResult:
    question = node.emulator.get("ask")
    if isinstance(question, str) and answer is None:
        return NodeResult(question=render(question, inputs))
    values = {**inputs, "answer": answer or ""}
    scripted = node.emulator.get("outputs")
    if isinstance(scripted, Mapping):
        return NodeResult({str(k): _scripted(v, values) for k, v in scripted.items()})
    text = " ".join(_text(v) for v in values.values() if v != "")
    completion = generation.complete(
        f"flow-agent|{node.name}|{text}".encode(), max_tokens=DEFAULT_MAX_TOKENS, seed=context.seed
    )
    return NodeResult({"agentResponse": completion.text})


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
