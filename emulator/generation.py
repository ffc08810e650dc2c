"""The deterministic stand-in for a model: text, stream deltas, token counts, tool arguments, embeddings.

Everything here is a pure function of its inputs and the seed: the same request and seed give the same
text, sentences of plain words drawn by a generator seeded from a hash of the request (tool arguments
use Faker, which is imported only for them: it costs the first call tens of milliseconds). Token counting
is one function used for both prompts and completions, so CountTokens, ``usage`` and the token headers
always agree.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faker import Faker

    from emulator.citations import Segment
    from emulator.server_tools import ServerTurn

# A rough BPE stand-in: short words are one token, longer words one token per six characters,
# punctuation one token each; leading whitespace belongs to the token that follows it.
_TOKEN = re.compile(r"\s*(?:[A-Za-z0-9]{1,6}|[^\sA-Za-z0-9])|\s+")

_MIN_REPLY_TOKENS = 12
_MAX_REPLY_TOKENS = 120


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    tool_use_id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Reasoning:
    """A model's thinking before its answer: text and signature, or (redacted) opaque bytes only."""

    text: str
    signature: str
    redacted: bytes
    tokens: int


@dataclass(frozen=True)
class Completion:
    text: str
    output_tokens: int  # the reasoning's tokens included
    stop_reason: str  # "end_turn" | "max_tokens" | "stop_sequence" | "tool_use"
    stop_sequence: str | None
    tool_calls: tuple[ToolCall, ...]
    reasoning: Reasoning | None = None
    # The prompt's tokens as the model counted them (a real model behind ``serve --model-backend``); None:
    # usage counts the prompt with ``count_tokens``.
    input_tokens: int | None = None
    segments: tuple[
        Segment, ...
    ] = ()  # the text cut into statements and their citations (emulator.citations)
    server: ServerTurn | None = None  # the server tools' uses before the answer (emulator.server_tools)


def tokenize(text: str) -> list[str]:
    """Split text into tokens whose concatenation is the text."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


_local = threading.local()
_faker_lock = threading.Lock()


def _faker() -> Faker:
    """One Faker per thread: seeding is per instance, and instances are not thread-safe."""
    fake: Faker | None = getattr(_local, "faker", None)
    if fake is None:
        with _faker_lock:  # Faker's first import is slow; do it once
            from faker import Faker

        fake = Faker("en_US")
        _local.faker = fake
    return fake


def warm_up() -> None:
    """Import Faker ahead of the first call with tools (the server calls this in a background thread)."""
    _faker()


def _digest(key: bytes, seed: int, purpose: bytes) -> int:
    return int.from_bytes(
        hashlib.blake2b(
            key, digest_size=8, person=purpose, salt=seed.to_bytes(16, "big", signed=True)
        ).digest(),
        "big",
    )


def complete(
    key: bytes,
    *,
    max_tokens: int,
    stop_sequences: Sequence[str] = (),
    tools: Sequence[ToolSpec] = (),
    tool_choice: str | None = None,
    seed: int = 0,
    prompt_text: str = "",
    after_tool_result: bool = False,
    preface: bool = True,
) -> Completion:
    """The model's answer to a request identified by ``key`` (canonical request bytes).

    Tools are called when the caller forces it (``any`` / ``tool:<name>``), or under ``auto`` unless the
    conversation just returned a tool result; the tool whose name and description share most words with
    the prompt is chosen, so tests can steer it with ordinary prompts.
    """
    digest = _digest(key, seed, b"completion")
    tool = _chosen_tool(tuple(tools), tool_choice, prompt_text, after_tool_result)
    if tool is None:
        return _reply(digest, max_tokens, tuple(stop_sequences))
    # A sentence before the call, unless the call is forced or the model never writes one (``preface``
    # false: models whose assistant turns cannot hold text beside a tool use, wire-facts §31).
    sentence = _text(digest, 14) if preface and (not tool_choice or tool_choice == "auto") else ""
    preface_tokens = tokenize(sentence)[:max_tokens]
    arguments = arguments_for(tool.input_schema, digest)
    call = ToolCall(tool_use_id=_tool_use_id(digest), name=tool.name, input=arguments)
    argument_tokens = count_tokens(_compact_json(arguments)) + 4
    return Completion(
        "".join(preface_tokens), len(preface_tokens) + argument_tokens, "tool_use", None, (call,)
    )


@lru_cache(maxsize=4096)
def _reply(digest: int, max_tokens: int, stop_sequences: tuple[str, ...]) -> Completion:
    """A plain text reply; cached because clients and benchmarks repeat identical requests."""
    target = _MIN_REPLY_TOKENS + digest % (_MAX_REPLY_TOKENS - _MIN_REPLY_TOKENS)
    text = _text(digest, target)
    tokens = tokenize(text)
    for stop in stop_sequences:
        position = text.find(stop) if stop else -1
        if position >= 0:
            kept = text[:position]
            return Completion(kept, count_tokens(kept), "stop_sequence", stop, ())
    if len(tokens) > max_tokens:
        kept = "".join(tokens[:max_tokens])
        return Completion(kept, max_tokens, "max_tokens", None, ())
    return Completion(text, len(tokens), "end_turn", None, ())


# The stand-in's vocabulary: everyday English words, so replies read as prose-shaped filler.
_VOCABULARY = """
    about above across action after again against air almost along always among animal answer any
    area around ask away back ball base bear beauty bed before began begin behind being below best
    better between big bird black blue boat body book both bottom box boy bring brought build built
    call came can car care carry cause center certain change check child children city class clear
    close cold color come common complete could country course cover cross cut dark day deep did
    different direction does dog done door down draw dream drive during each early earth east easy
    eat end enough even evening every example eye face fact fall family far farm fast father feel feet
    few field figure fill final find fine fire first fish five flower fly follow food foot force form
    found four free friend front full game gave girl give glass gold good government great green
    ground group grow half hand happen hard head hear heard heat help here high hold home horse hot
    hour house hundred idea important inch interest island just keep kind king knew know land language
    large last later laugh lead learn leave left less letter life light line list little live long look
    made main make man many map mark measure men might mile mind minute miss money moon more morning
    most mother mountain move much music must name near need never new next night north note nothing
    notice number object ocean off office often old once only open order other paper part pass people
    perhaps person picture piece place plain plan plane plant play point power present problem pull
    question quick quiet rain ran reach read ready real record red remember rest river road rock room
    round rule run said same saw say school science sea second seem seen self sentence serve set shape
    share ship short should show side simple since sing size sleep slow small snow some song soon sound
    south space special stand star start state stay step still stone stop story street strong study
    such summer sun surface system table take talk teach tell test than thing think third those
    though thought three through time today together told took top toward town travel tree true try
    turn under unit until upon usual valley very voice walk want warm watch water wave way weather
    week weight well went west while white whole wind window winter wish with without wonder wood word
    work world would write year yellow young
"""
_WORDS = tuple(_VOCABULARY.split())


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(5, 11))]
    return " ".join(words).capitalize() + "."


def _text(digest: int, approximate_tokens: int) -> str:
    rng = random.Random(digest)
    sentences: list[str] = []
    count = 0
    while count < approximate_tokens:
        sentence = _sentence(rng)
        sentences.append(sentence)
        count += count_tokens(sentence) + 1
    return " ".join(sentences)


# Anthropic's documented test string: a prompt holding it gets redacted thinking.
REDACTION_TRIGGER = "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253D5E2D82641AC0E52CC2876CB"


def reasoning(
    key: bytes, *, budget: int, seed: int = 0, redacted: bool = False, signed: bool = True
) -> Reasoning:
    """Deterministic thinking for a request: a few sentences within ``budget`` tokens, and a signature
    shaped like Anthropic's (base64 of opaque bytes, starting ``E``); redacted, only opaque bytes."""
    import base64

    digest = _digest(key, seed, b"reasoning")
    target = max(1, min(budget, 24 + digest % 96))
    tokens = tokenize(_text(digest, target))[:target]
    opaque = hashlib.blake2b(
        key, digest_size=64, person=b"signature", salt=seed.to_bytes(16, "big", signed=True)
    )
    signature = base64.b64encode(b"\x12" + opaque.digest() + opaque.digest()[:31]).decode()
    if redacted:
        return Reasoning(
            "", "", base64.b64encode(b"\x12\x88" + opaque.digest() * 4).rstrip(b"="), len(tokens)
        )
    return Reasoning("".join(tokens), signature if signed else "", b"", len(tokens))


def tool_use_id(key: bytes, seed: int, index: int) -> str:
    """A Converse-style tool use id for the ``index``-th call answering the request ``key``."""
    return _tool_use_id(_digest(key + b"|%d" % index, seed, b"tool-use-id"))


def _tool_use_id(digest: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    rng = random.Random(digest)
    return "tooluse_" + "".join(rng.choice(alphabet) for _ in range(22))


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def _chosen_tool(
    tools: tuple[ToolSpec, ...], tool_choice: str | None, prompt_text: str, after_tool_result: bool
) -> ToolSpec | None:
    if not tools or tool_choice == "none":
        return None
    if tool_choice and tool_choice.startswith("tool:"):
        wanted = tool_choice.removeprefix("tool:")
        return next((t for t in tools if t.name == wanted), tools[0])
    if tool_choice != "any" and after_tool_result:
        return None
    prompt_words = _words(prompt_text)

    def overlap(tool: ToolSpec) -> int:
        return len(prompt_words & (_words(tool.name.replace("_", " ")) | _words(tool.description)))

    best = max(tools, key=overlap)
    return best if overlap(best) > 0 or tool_choice == "any" or len(tools) == 1 else tools[0]


def _compact_json(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def split_deltas(text: str) -> list[str]:
    """Streaming pieces of 1 to 4 tokens, like real ConverseStream deltas; ``"".join(...) == text``."""
    tokens = tokenize(text)
    pieces: list[str] = []
    index = 0
    step = 0
    while index < len(tokens):
        size = 1 + (step * 7 + len(tokens)) % 4
        pieces.append("".join(tokens[index : index + size]))
        index += size
        step += 1
    return pieces


def split_json(text: str) -> list[str]:
    """A tool's input JSON cut into the partial strings Claude streams: pieces of 4 to 16 characters, cut
    anywhere, many per input (wire-facts §27); ``"".join(...) == text``."""
    pieces: list[str] = []
    index = 0
    step = 0
    while index < len(text):
        size = 4 + (step * 5 + len(text)) % 13
        pieces.append(text[index : index + size])
        index += size
        step += 1
    return pieces or [text]


def embed(text: str, *, dimensions: int, normalize: bool, seed: int = 0) -> list[float]:
    """A deterministic vector for a text; texts sharing words get closer vectors (word-hash sums)."""
    vector = [0.0] * dimensions
    words = re.findall(r"\w+", text.lower()) or [""]
    for word in words:
        rng = random.Random(_digest(word.encode(), seed, b"embedding"))
        for i in range(dimensions):
            vector[i] += rng.gauss(0.0, 1.0)
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    if normalize:
        return [round(v / norm, 8) for v in vector]
    scale = 0.05 * math.sqrt(dimensions) / norm
    return [round(v * scale, 8) for v in vector]


# -- tool arguments ----------------------------------------------------------------------------------

_STRING_BY_NAME: tuple[tuple[str, str], ...] = (
    ("email", "email"),
    ("city", "city"),
    ("country", "country"),
    ("name", "name"),
    ("address", "address"),
    ("phone", "phone_number"),
    ("url", "url"),
    ("company", "company"),
    ("date", "date"),
    ("id", "uuid4"),
)


def arguments_for(schema: dict[str, Any], digest: int) -> dict[str, Any]:
    """Arguments that validate against a tool's JSON schema (object at the top).

    The schema is whatever the caller sent: a keyword of the wrong type counts as absent, and sizes are
    kept small (a ``minItems`` of a billion yields a few items, not a billion), so no schema can make
    this fail or run away. Local ``$ref``s (Pydantic's ``$defs``) are followed, within bounds.
    """
    from emulator.schema_refs import inlined

    fake = _faker()
    fake.seed_instance(digest ^ 0x5EED)
    rng = random.Random(digest)
    schema = inlined(schema) if isinstance(schema, dict) else schema
    top = schema if isinstance(schema, dict) and schema.get("type", "object") == "object" else {}
    value = _value(top or {"type": "object"}, "", fake, rng, 0)
    return value if isinstance(value, dict) else {}


_MAX_ITEMS = 8
_MAX_LENGTH = 10_000
_MAX_MAGNITUDE = 1e15  # bounds beyond this are clamped: random draws need finite, modest numbers


def _value(schema: dict[str, Any], name: str, fake: Faker, rng: random.Random, depth: int) -> Any:
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return rng.choice(enum)
    for combinator in ("anyOf", "oneOf"):
        branch = next((b for b in _list(schema.get(combinator)) if isinstance(b, dict)), None)
        if branch is not None:
            return _value(branch, name, fake, rng, depth)
    parts = [part for part in _list(schema.get("allOf")) if isinstance(part, dict)]
    if parts:
        merged: dict[str, Any] = {key: value for key, value in schema.items() if key != "allOf"}
        for part in parts:
            merged.update(part)
        return _value(merged, name, fake, rng, depth)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties")
        required = {key for key in _list(schema.get("required")) if isinstance(key, str)}
        result: dict[str, Any] = {}
        for key, sub in properties.items() if isinstance(properties, dict) else ():
            # A model fills in the tool's top-level parameters; deeper optional ones only sometimes.
            if key in required or depth == 0 or (depth < 2 and rng.random() < 0.5):
                result[key] = _value(sub if isinstance(sub, dict) else {}, key, fake, rng, depth + 1)
        return result
    if kind == "array":
        items = schema.get("items")
        if isinstance(items, list):  # draft-4 tuple form: the first item's schema stands for all
            items = next((item for item in items if isinstance(item, dict)), None)
        low = int(_number(schema.get("minItems"), 1, 0, _MAX_ITEMS))
        high = max(
            low, min(int(_number(schema.get("maxItems"), _MAX_ITEMS, 0, _MAX_ITEMS)), low + 2, _MAX_ITEMS)
        )
        item_schema = items if isinstance(items, dict) else {"type": "string"}
        return [_value(item_schema, name, fake, rng, depth + 1) for _ in range(rng.randint(low, high))]
    if kind == "integer":
        low_i, high_i = _bounds(schema, 0, 100)
        first, last = math.ceil(low_i), math.floor(high_i)
        return rng.randint(first, last) if first <= last else first
    if kind == "number":
        low_n, high_n = _bounds(schema, 0, 100)
        return round(rng.uniform(low_n, high_n), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    return _string(schema, name, fake)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any, default: float, low: float, high: float) -> float:
    """A schema keyword as a number within [low, high], or ``default`` when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    if isinstance(value, int) and abs(value) >= 2**53:  # beyond any useful bound (or a double's range)
        return high if value > 0 else low
    number = float(value)
    return min(max(number, low), high) if math.isfinite(number) else default


def _bounds(schema: dict[str, Any], low: float, high: float) -> tuple[float, float]:
    limit = _MAX_MAGNITUDE
    exclusive_min, exclusive_max = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    minimum = _number(schema.get("minimum", exclusive_min), low, -limit, limit)
    maximum = _number(schema.get("maximum", exclusive_max), max(high, minimum + 1), -limit, limit)
    if isinstance(exclusive_min, int | float) and not isinstance(exclusive_min, bool):
        minimum += 1
    if isinstance(exclusive_max, int | float) and not isinstance(exclusive_max, bool):
        maximum -= 1
    return minimum, max(minimum, maximum)


# A pattern that is an anchored choice of literal words, ``^(high|medium|low)$``, is how Pydantic and Zod
# models often spell an enum as a constraint: a model answers one of the words. Other patterns are not
# followed. The words hold no "|", so matching the pattern text is linear.
_LITERAL_CHOICE = re.compile(r"\^\(?(?:\?:)?([\w ,.\-]+(?:\|[\w ,.\-]+)*)\)?\$")
_MAX_PATTERN = 1000


def _pattern_choice(pattern: Any, fake: Faker) -> str | None:
    if not isinstance(pattern, str) or len(pattern) > _MAX_PATTERN:
        return None
    match = _LITERAL_CHOICE.fullmatch(pattern)
    return str(fake.random_element(match.group(1).split("|"))) if match else None


def _string(schema: dict[str, Any], name: str, fake: Faker) -> str:
    chosen = _pattern_choice(schema.get("pattern"), fake)
    if chosen is not None:
        return chosen
    fmt = schema.get("format")
    if fmt == "date":
        return str(fake.date())
    if fmt == "date-time":
        return fake.date_time().isoformat() + "Z"
    if fmt == "email":
        return str(fake.email())
    if fmt in ("uri", "url"):
        return str(fake.url())
    if fmt == "uuid":
        return str(fake.uuid4())
    lowered = name.lower()
    text = next((str(getattr(fake, method)()) for key, method in _STRING_BY_NAME if key in lowered), None)
    if text is None:
        text = " ".join(fake.words(nb=2))
    min_length = int(_number(schema.get("minLength"), 0, 0, _MAX_LENGTH))
    max_length = int(_number(schema.get("maxLength"), _MAX_LENGTH, 0, _MAX_LENGTH))
    if len(text) < min_length:
        text = text + "x" * (min_length - len(text))
    return text[:max_length]
