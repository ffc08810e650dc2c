"""Seeded malformed requests for every routed operation, and the rule every answer must keep.

The generator behind ``tests/wire/test_fuzz.py`` and ``bench/fuzz.py``: ``cases(seed, count)`` yields
the same requests for the same seed. Each starts from a valid request of a routed operation (a
hand-written body for the operations with deep logic, otherwise one synthesised from botocore's input
shape) and mutates it: a member of another JSON type, nulls, huge and non-finite numbers, deep nesting,
long and odd strings, a dropped or an unknown member, a garbage path label, query value or header; or
it sends raw garbage (invalid UTF-8, truncated JSON, top-level scalars, wrong content types). Every
request is well framed HTTP: framing faults are the server layer's to test.

``violation(status, headers, body)`` is the contract: an answer below 500, and every 4xx AWS-shaped
(``x-amzn-ErrorType`` and ``x-amzn-RequestId`` headers, a JSON body with a ``message``). A 501
``NotImplementedException`` for an operation the emulator does not serve yet is allowed.
"""

from __future__ import annotations

import base64
import http.client
import json
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from emulator.wire import routing, shapes
from emulator.wire.binding import MAX_DEPTH

Json = Any
TENANT_KEYS = ("AKIAFUZZTENANT000001", "AKIAFUZZTENANT000002", "AKIAFUZZTENANT000003")


@dataclass(frozen=True)
class Case:
    """One request: ``cause`` names the mutation, for counting answers by what provoked them."""

    index: int
    operation: str
    cause: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # lower-cased names
    body: bytes

    @property
    def error_type(self) -> str:
        return self.headers.get("x-amzn-errortype", "").split(":", 1)[0]


def violation(answer: Answer) -> str | None:
    """Why an answer breaks the contract, or None when it keeps it."""
    if answer.status == 0:
        return "no answer"
    if answer.status >= 500 and not (answer.status == 501 and answer.error_type == "NotImplementedException"):
        return f"{answer.status} {answer.error_type or 'without x-amzn-ErrorType'}"
    if "x-amzn-requestid" not in answer.headers:
        return "no x-amzn-RequestId"
    if answer.status < 400:
        return None
    if not answer.error_type:
        return f"{answer.status} without x-amzn-ErrorType"
    if not answer.headers.get("content-type", "").startswith("application/json"):
        return f"{answer.status} as {answer.headers.get('content-type') or 'no content type'}"
    try:
        body = json.loads(answer.body)
    except ValueError:
        return f"{answer.status} body is not JSON"
    message = body.get("message", body.get("Message")) if isinstance(body, dict) else None
    if not isinstance(message, str):
        return f"{answer.status} body without a message"
    return None


# -- sending ---------------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection to the emulator, reopened whenever the server closes it."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._connection: http.client.HTTPConnection | None = None

    def send(self, case: Case) -> Answer:
        for attempt in range(2):
            connection = self._connection or http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout
            )
            self._connection = connection
            try:
                connection.request(case.method, case.path, body=case.body, headers=dict(case.headers))
                response = connection.getresponse()
                body = response.read()
            except (ConnectionError, http.client.HTTPException, TimeoutError):
                self.close()
                if attempt:
                    return Answer(0, {}, b"")
                continue
            headers = {name.lower(): value for name, value in response.getheaders()}
            if response.will_close:
                self.close()
            return Answer(response.status, headers, body)
        return Answer(0, {}, b"")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


# -- values ----------------------------------------------------------------------------------------------

MODELS = (
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    "anthropic.claude-v2",
    "amazon.titan-text-express-v1",
    "amazon.titan-embed-text-v1",
    "amazon.titan-embed-text-v2:0",
    "amazon.nova-micro-v1:0",
    "meta.llama2-13b-chat-v1",
    "mistral.mistral-7b-instruct-v0:2",
    "mistral.mistral-large-2407-v1:0",
    "cohere.command-r-v1:0",
    "cohere.embed-english-v3",
    "ai21.jamba-1-5-mini-v1:0",
    "openai.gpt-oss-20b-1:0",
    "deepseek.r1-v1:0",
    "amazon.titan-image-generator-v1",
    "amazon.rerank-v1:0",
    "cohere.command-text-v14",
)
_MODEL_ARN = "arn:aws:bedrock:us-east-1::foundation-model/"
_LABELS: dict[str, tuple[str, ...]] = {
    "modelId": MODELS,
    "modelIdentifier": MODELS,
    "guardrailIdentifier": ("fuzzguard01", "abc123def456"),
    "guardrailVersion": ("DRAFT", "1"),
    "agentId": ("AGENT12345",),
    "agentAliasId": ("TSTALIASID",),
    "sessionId": ("fuzz-session-1", "fuzz-session-2"),
    "knowledgeBaseId": ("SEEDKB0003", "KB12345678"),
    "dataSourceId": ("SEEDDS0003", "DS12345678"),
    "documentId": ("returns-and-refunds.txt", "doc-1"),
    "flowIdentifier": ("INVOICEFLW", "ASKFLOW001", "ROUTEFLOW1"),
    "flowAliasIdentifier": ("TSTALIASID",),
    "executionIdentifier": ("exec-0001",),
    "sessionIdentifier": ("3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b",),
    "invocationStepId": ("5d6e4f70-3f1c-4b4a-8a9b-0c1d2e3f4a5b",),
    "invocationArn": ("arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdef123456",),
    "resourceArn": ("arn:aws:bedrock:us-east-1:123456789012:session/3f1c2b4a",),
    "inferenceProfileIdentifier": ("us.anthropic.claude-3-haiku-20240307-v1:0",),
    "ingestionJobId": ("JOB0000001",),
}
_BAD_LABELS = ("%00", "%FF%FE", "%ZZ", "a" * 3000, "..%2F..", "%E2%98%83", "%20", "-", "x%0Ay", "%C0%AF")
_TEXTS = ("Hello", "What is the refund policy?", "order ORD-1 status", "Summarise Hamlet in two lines.")
_ODD_STRINGS = (
    "",
    " ",
    "\u0000",
    "\ud800",
    "\u202e\u200b",
    "🙂" * 50,
    "x" * 200_000,
    "{{input}}",
    "$.a[0]",
    "null",
    "-1",
    "1e999",
    "<script>",
    "\\",
    "%s%n",
)
_HUGE_NUMBERS = (
    "1e999",
    "-1e999",
    "9" * 400,
    "9" * 5000,
    "1E400",
    "-0",
    "0.0000000000000000000000000001",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "1.5",
)
_DEPTHS = (20, 127, 128, 129, 1000, 100_000)
_PLACEHOLDER = "\u0001fuzz:{}\u0001"
_MAX_REPEATED = 1 << 20  # bytes a repeated list may grow to
MAX_BODY = 4 << 20  # no case is larger: bodies past the server's limits are the server layer's to test


def _sentence(rng: random.Random) -> str:
    return rng.choice(_TEXTS)


# -- valid bodies ------------------------------------------------------------------------------------------


def _converse(rng: random.Random) -> Json:
    body: dict[str, Json] = {
        "messages": [{"role": "user", "content": [{"text": _sentence(rng)}]}],
        "inferenceConfig": {
            "maxTokens": rng.choice((10, 200)),
            "temperature": 0.5,
            "stopSequences": ["\n\n"],
        },
    }
    if rng.random() < 0.5:
        body["system"] = [{"text": "You are terse."}]
    if rng.random() < 0.6:
        body["toolConfig"] = {
            "tools": [
                {
                    "toolSpec": {
                        "name": "lookup",
                        "description": "Look an order up.",
                        "inputSchema": {
                            "json": {
                                "type": "object",
                                "properties": {
                                    "orderId": {"type": "string", "minLength": 3},
                                    "count": {"type": "integer", "minimum": 1, "maximum": 9},
                                    "tags": {"type": "array", "items": {"type": "string"}},
                                    "when": {"type": "string", "format": "date-time"},
                                    "kind": {"enum": ["a", "b"]},
                                },
                                "required": ["orderId"],
                            }
                        },
                    }
                }
            ],
            "toolChoice": rng.choice(({"auto": {}}, {"any": {}}, {"tool": {"name": "lookup"}})),
        }
        if rng.random() < 0.5:
            body["messages"] += [
                {
                    "role": "assistant",
                    "content": [
                        {"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {"orderId": "O1"}}}
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "toolResult": {
                                "toolUseId": "t1",
                                "content": [{"json": {"ok": True}}, {"text": "ok"}],
                            }
                        }
                    ],
                },
            ]
    if rng.random() < 0.3:
        body["guardrailConfig"] = {
            "guardrailIdentifier": "fuzzguard01",
            "guardrailVersion": "DRAFT",
            "trace": "enabled",
        }
    if rng.random() < 0.2:
        body["additionalModelRequestFields"] = {"top_k": 5}
    return body


def _invoke_model(model: str, rng: random.Random) -> Json:
    text = _sentence(rng)
    messages = [{"role": "user", "content": text}]
    if model.startswith(("anthropic.claude-3", "us.anthropic")):
        return {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 50,
            "system": "Be brief.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
            "tools": [{"name": "lookup", "description": "d", "input_schema": {"type": "object"}}],
        }
    if model.startswith("anthropic."):
        return {"prompt": f"\n\nHuman: {text}\n\nAssistant:", "max_tokens_to_sample": 50}
    if model.startswith("amazon.titan-embed-text-v2"):
        return {"inputText": text, "dimensions": 256, "normalize": True}
    if model.startswith("amazon.titan"):
        return {"inputText": text, "textGenerationConfig": {"maxTokenCount": 50, "temperature": 0.2}}
    if model.startswith("amazon.nova"):
        return {
            "messages": [{"role": "user", "content": [{"text": text}]}],
            "inferenceConfig": {"maxTokens": 50},
        }
    if model.startswith("meta."):
        return {"prompt": text, "max_gen_len": 50, "temperature": 0.5}
    if model.startswith("mistral.mistral-large"):
        return {"messages": messages, "max_tokens": 50}
    if model.startswith("mistral."):
        return {"prompt": f"<s>[INST] {text} [/INST]", "max_tokens": 50}
    if model.startswith("cohere.embed"):
        return {"texts": [text], "input_type": "search_document"}
    if model.startswith("cohere."):
        return {"message": text, "chat_history": [{"role": "USER", "message": "hi"}], "max_tokens": 50}
    if model.startswith("deepseek."):
        return {"prompt": text, "max_tokens": 50}
    return {"messages": messages, "max_tokens": 50}


_TEMPLATES: dict[str, Callable[[random.Random], Json]] = {
    "Converse": _converse,
    "ConverseStream": _converse,
    "CountTokens": lambda rng: (
        {"input": {"converse": {"messages": [{"role": "user", "content": [{"text": _sentence(rng)}]}]}}}
        if rng.random() < 0.5
        else {
            "input": {
                "invokeModel": {
                    "body": base64.b64encode(json.dumps(_invoke_model(MODELS[0], rng)).encode()).decode()
                }
            }
        }
    ),
    "ApplyGuardrail": lambda rng: {
        "source": rng.choice(("INPUT", "OUTPUT")),
        "content": [{"text": {"text": _sentence(rng) + " my email is a@b.co", "qualifiers": ["query"]}}],
        "outputScope": "FULL",
    },
    "StartAsyncInvoke": lambda rng: {
        "modelId": "amazon.nova-reel-v1:0",
        "modelInput": {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": _sentence(rng)}},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://fuzz-bucket/out"}},
    },
    "Retrieve": lambda rng: {
        "retrievalQuery": {"text": _sentence(rng)},
        "retrievalConfiguration": {
            "vectorSearchConfiguration": {
                "numberOfResults": 3,
                "filter": {
                    "andAll": [
                        {"equals": {"key": "category", "value": "returns"}},
                        {"greaterThan": {"key": "year", "value": 2020}},
                    ]
                },
            }
        },
    },
    "RetrieveAndGenerate": lambda rng: {
        "input": {"text": _sentence(rng)},
        "retrieveAndGenerateConfiguration": {
            "type": "KNOWLEDGE_BASE",
            "knowledgeBaseConfiguration": {
                "knowledgeBaseId": "SEEDKB0003",
                "modelArn": _MODEL_ARN + MODELS[0],
            },
        },
    },
    "InvokeAgent": lambda rng: {
        "inputText": _sentence(rng),
        "enableTrace": True,
        "sessionState": {"sessionAttributes": {"user": "u1"}, "promptSessionAttributes": {"tz": "UTC"}},
    },
    "InvokeInlineAgent": lambda rng: {
        "foundationModel": MODELS[0],
        "instruction": "You help customers with their orders and returns.",
        "inputText": _sentence(rng),
        "enableTrace": True,
    },
    "InvokeFlow": lambda rng: {
        "inputs": [
            {
                "nodeName": "FlowInputNode",
                "nodeOutputName": "document",
                "content": {"document": _sentence(rng)},
            }
        ],
        "enableTrace": True,
    },
    "Rerank": lambda rng: {
        "queries": [{"type": "TEXT", "textQuery": {"text": _sentence(rng)}}],
        "sources": [
            {"type": "INLINE", "inlineDocumentSource": {"type": "TEXT", "textDocument": {"text": t}}}
            for t in _TEXTS
        ],
        "rerankingConfiguration": {
            "type": "BEDROCK_RERANKING_MODEL",
            "bedrockRerankingConfiguration": {
                "numberOfResults": 2,
                "modelConfiguration": {"modelArn": _MODEL_ARN + "amazon.rerank-v1:0"},
            },
        },
    },
}
for _stream_twin, _twin in (("RetrieveAndGenerateStream", "RetrieveAndGenerate"),):
    _TEMPLATES[_stream_twin] = _TEMPLATES[_twin]


def _synthesised(service: str, operation: str, rng: random.Random) -> Json:
    model = shapes.model(service)
    if model is None:
        return {}
    shape_name = model["operations"][operation].get("input", {}).get("shape")
    if shape_name is None:
        return {}
    value = _Synthesiser(model["shapes"], rng).value(shape_name, 0, body_only=True)
    return value if isinstance(value, dict) else {}


class _Synthesiser:
    """A plausible value for a shape: required members always, optional ones by chance, one union arm."""

    def __init__(self, shapes_: Mapping[str, Any], rng: random.Random) -> None:
        self.shapes, self.rng = shapes_, rng

    def value(self, name: str, depth: int, *, body_only: bool = False, member: str = "") -> Json:
        shape = self.shapes[name]
        kind = shape["type"]
        rng = self.rng
        if kind == "structure":
            members = {
                key: spec
                for key, spec in shape.get("members", {}).items()
                if not (body_only and spec.get("location"))
            }
            required = set(shape.get("required", ()))
            if shape.get("union"):
                chosen = [rng.choice(sorted(members))] if members else []
            else:
                chance = 0.6 if depth < 3 else 0.15
                chosen = [key for key in members if key in required or rng.random() < chance]
            if depth > 6:
                chosen = [key for key in chosen if key in required]
            return {key: self.value(members[key]["shape"], depth + 1, member=key) for key in chosen}
        if kind == "list":
            count = 1 if depth > 4 else rng.randint(1, 2)
            return [self.value(shape["member"]["shape"], depth + 1, member=member) for _ in range(count)]
        if kind == "map":
            return {"key1": self.value(shape["value"]["shape"], depth + 1, member=member)}
        return self.scalar(kind, shape, member)

    def scalar(self, kind: str, shape: Mapping[str, Any], member: str) -> Json:
        rng = self.rng
        if "enum" in shape:
            return rng.choice(shape["enum"])
        if kind in ("integer", "long"):
            low = int(shape.get("min", 1))
            return rng.randint(low, max(low, min(int(shape.get("max", 10)), low + 10)))
        if kind in ("float", "double"):
            return round(rng.uniform(float(shape.get("min", 0)), min(float(shape.get("max", 1)), 1.0)), 2)
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "timestamp":
            return 1_767_225_600
        if kind == "blob":
            return base64.b64encode(b"fuzz bytes").decode()
        if kind == "document":
            return {"type": "object", "properties": {"q": {"type": "string"}}}
        lowered = member.lower()
        if "arn" in lowered and "model" in lowered:
            return _MODEL_ARN + rng.choice(MODELS[:3])
        if "model" in lowered:
            return rng.choice(MODELS[:3])
        if "knowledgebaseid" in lowered:
            return "SEEDKB0003"
        return rng.choice((*_TEXTS, "fuzz-value"))


# -- mutations ---------------------------------------------------------------------------------------------


def _slots(value: Json) -> list[tuple[Json, Any, int]]:
    """Every (container, key, nesting depth of the value there) in a JSON value, iteratively."""
    out: list[tuple[Json, Any, int]] = []
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, item in items:
            out.append((node, key, depth + 1))
            if isinstance(item, dict | list):
                stack.append((item, depth + 1))
    return out


class _Mutator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.raw: list[str] = []  # literals spliced into the serialised text in place of placeholders

    def literal(self, text: str) -> str:
        self.raw.append(text)
        return _PLACEHOLDER.format(len(self.raw) - 1)

    def replacement(self, kind: str, old: Json, at: int = 1) -> Json:
        rng = self.rng
        if kind == "type":
            candidates: list[Json] = ["x", 7, 2.5, True, False, [], {}, [1], {"a": 1}, ["x"], [None]]
            return rng.choice([c for c in candidates if type(c) is not type(old)] or candidates)
        if kind == "null":
            return None
        if kind == "number":
            return self.literal(rng.choice(_HUGE_NUMBERS))
        if kind == "string":
            return rng.choice(_ODD_STRINGS)
        if kind == "deep":
            # Some to the parser's exact limit from where they sit, to reach the handlers that walk them.
            depth = rng.choice((*_DEPTHS, MAX_DEPTH - at, MAX_DEPTH - at, MAX_DEPTH - at + 1))
            opener, closer = rng.choice((("[", "]"), ('{"a":', "}")))
            return self.literal(opener * depth + "1" + closer * depth)
        if kind == "wrap":
            return rng.choice(([old], {"wrapped": old}))
        if kind == "odd":
            return self.odd(old)
        raise ValueError(kind)

    def odd(self, old: Json) -> Json:
        """A value of the same JSON type, chosen to be awkward: it passes a type check, not a handler's."""
        rng = self.rng
        if isinstance(old, bool):
            return not old
        if isinstance(old, int):
            return rng.choice((0, -1, 1, 2**31 - 1, -(2**31), 10**6, 2**53 + 1))
        if isinstance(old, float):
            return rng.choice((0.0, -0.0, 1e308, -1e308, 5e-324, 1.0000001, -0.5))
        if isinstance(old, str):
            return rng.choice(_ODD_STRINGS)
        if isinstance(old, list):
            # Many copies of the elements, within a body size a front end would take (_MAX_REPEATED).
            copies = max(1, min(rng.choice((2, 50, 1000)), _MAX_REPEATED // (len(json.dumps(old)) + 1)))
            return rng.choice(([], old * copies, list(reversed(old))))
        if isinstance(old, dict):
            return rng.choice(({}, {key: self.odd(value) for key, value in old.items()}))
        return old

    def mutate(self, body: Json, kind: str) -> Json:
        slots = _slots(body)
        rng = self.rng
        if kind == "extra" or not slots:
            target = rng.choice([node for node, _, _ in slots if isinstance(node, dict)] or [body])
            if isinstance(target, dict):
                target[rng.choice(("unknownMember", "p", "__proto__", "modelId"))] = self.replacement(
                    "type", None
                )
            return body
        if kind == "root":
            return self.replacement(rng.choice(("type", "deep", "number")), body)
        node, key, at = rng.choice(slots)
        if kind == "drop":
            del node[key]
        else:
            node[key] = self.replacement(kind, node[key], at)
        return body

    def serialise(self, body: Json) -> bytes:
        text = json.dumps(body)
        for index, literal in enumerate(self.raw):
            text = text.replace(json.dumps(_PLACEHOLDER.format(index)), literal)
        return text.encode()


_MUTATIONS = (
    "type",
    "null",
    "number",
    "string",
    "deep",
    "wrap",
    "drop",
    "extra",
    "root",
    "odd",
    "odd",
    "odd",
)
_GARBAGE: tuple[bytes, ...] = (
    b"",
    b"{",
    b'{"a":',
    b"[]",
    b"[{}]",
    b"null",
    b"true",
    b'"text"',
    b"42",
    b"\xff\xfe\x00{",
    b'{"a":"\xc3\x28"}',
    b"\xef\xbb\xbf{}",
    b'{"a":NaN}',
    b'{"a":Infinity}',
    b'{"a":1e999}',
    b"{'a': 1}",
    b'{"a":1,}',
    b'{"a":1}{"b":2}',
    b'{"a":"\\ud800"}',
    b'{"a":"\\u0000"}',
    b"<xml/>",
    b"\x00" * 64,
    b"[" * 100_000,
    b'{"a":' * 50_000,
    b"[" * 128 + b"]" * 128,
    b"[" * 129 + b"]" * 129,
    b'{"x":"' + b"\\" * 1001 + b'"}',
    b'{"x":' + b"9" * 4301 + b"}",
)
_CONTENT_TYPES = (
    "application/json",
    "text/plain",
    "application/xml",
    "",
    "application/x-amz-json-1.1",
    "*/*",
)


def _labels(route: routing.Route, rng: random.Random, *, garbage: bool) -> dict[str, str]:
    """A value for each URI label (unquoted); with ``garbage``, one of them is junk (already quoted)."""
    names = [part.strip("{}") for part in route.template.split("/") if part.startswith("{")]
    bad = rng.choice(names) if garbage and names else None
    return {
        name: rng.choice(_BAD_LABELS) if name == bad else rng.choice(_LABELS.get(name, ("fuzz-id",)))
        for name in names
    }


def _route_path(route: routing.Route, labels: Mapping[str, str]) -> str:
    path = route.template
    for name, value in labels.items():
        path = path.replace("{" + name + "}", value if "%" in value else quote(value, safe=":"))
    return path


def _query(service: str, operation: str, rng: random.Random, *, garbage: bool) -> str:
    model = shapes.model(service)
    if model is None:
        return ""
    input_name = model["operations"][operation].get("input", {}).get("shape")
    if input_name is None:
        return ""
    pairs: list[tuple[str, str]] = []
    for spec in model["shapes"][input_name].get("members", {}).values():
        if spec.get("location") != "querystring" or rng.random() < 0.5:
            continue
        kind = model["shapes"][spec["shape"]]["type"]
        if garbage:
            value = rng.choice(("abc", "-1", "0", "99999999999999999999", "", "%FF", "1.5", "x" * 5000))
        elif kind in ("integer", "long"):
            value = str(rng.randint(1, 5))
        elif kind == "boolean":
            value = rng.choice(("true", "false"))
        else:
            value = rng.choice(model["shapes"][spec["shape"]].get("enum") or ["fuzz"])
        pairs.append((spec["locationName"], value))
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)


def _headers(rng: random.Random, content_type: str, *, garbage: bool) -> list[tuple[str, str]]:
    key = rng.choice(TENANT_KEYS)
    headers = [
        ("Authorization", f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/bedrock/aws4_request"),
        ("Content-Type", content_type),
    ]
    if garbage:
        name = rng.choice(
            (
                "X-Amzn-Bedrock-GuardrailIdentifier",
                "X-Amzn-Bedrock-GuardrailVersion",
                "X-Amzn-Bedrock-Trace",
                "X-Amzn-Bedrock-PerformanceConfig-Latency",
                "X-Amzn-Bedrock-Service-Tier",
                "X-Amzn-Bedrock-Request-Metadata",
                "Accept",
                "Authorization",
            )
        )
        value = rng.choice(
            ("", "garbage", "DRAFT", "ENABLED", "{", '{"a":[]}', "x" * 4000, "optimized", "*/*")
        )
        headers = [(n, v) for n, v in headers if n != name] + [(name, value)]
    return headers


def cases(seed: int, count: int) -> Iterator[Case]:
    """``count`` requests over every routed operation, the same ones for the same seed."""
    rng = random.Random(seed)
    routes = routing.routes()
    for index in range(count):
        route = rng.choice(routes)
        roll = rng.random()
        cause = "valid"
        content_type = "application/json"
        garbage_query = garbage_header = False
        labels = _labels(route, rng, garbage=0.80 <= roll < 0.85)
        body_bytes: bytes
        if roll < 0.12:
            cause = "garbage"
            body_bytes = rng.choice(_GARBAGE)
        else:
            body = _valid_body(route, labels, rng)
            mutator = _Mutator(rng)
            if roll < 0.75:
                for _ in range(rng.choice((1, 1, 1, 2, 3))):
                    kind = rng.choice(_MUTATIONS)
                    cause = kind if cause == "valid" else f"{cause}+{kind}"
                    body = mutator.mutate(body, kind)
            elif roll < 0.80:
                cause, content_type = "content-type", rng.choice(_CONTENT_TYPES[1:])
            elif roll < 0.85:
                cause = "label"
            elif roll < 0.90:
                cause, garbage_query = "query", True
            elif roll < 0.95:
                cause, garbage_header = "header", True
            body_bytes = mutator.serialise(body) if body != {} or route.method != "GET" else b""
            if len(body_bytes) > MAX_BODY:
                body_bytes = body_bytes[:MAX_BODY]  # a truncated body: still a case, of unreadable JSON
                cause += "+truncated"
        path = _route_path(route, labels)
        query = _query(route.service, route.operation, rng, garbage=garbage_query)
        yield Case(
            index=index,
            operation=route.operation,
            cause=cause,
            method=route.method,
            path=f"{path}?{query}" if query else path,
            headers=tuple(_headers(rng, content_type, garbage=garbage_header)),
            body=body_bytes,
        )


def _valid_body(route: routing.Route, labels: Mapping[str, str], rng: random.Random) -> Json:
    if route.operation in ("InvokeModel", "InvokeModelWithResponseStream"):
        return _invoke_model(labels.get("modelId", MODELS[0]), rng)
    template = _TEMPLATES.get(route.operation)
    if template is not None and rng.random() < 0.6:
        return template(rng)
    return _synthesised(route.service, route.operation, rng)
