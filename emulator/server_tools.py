"""Server tools: ``toolConfig.tools[].systemTool`` on Converse and ConverseStream, the tools a model runs
itself (Amazon Nova's web grounding, ``nova_grounding``, and code interpreter, ``nova_code_interpreter``).

The answer carries each tool's use (a ``toolUse`` block of type ``server_tool_use``) and, for the code
interpreter, its result (a ``toolResult`` block of type ``nova_code_interpreter_result`` whose text is the
sandbox's JSON report), then the model's answer; a grounded answer cites web pages with
``citationsContent`` blocks located by ``web`` (url and domain), and ``usage.serverToolUsage`` counts the
web searches. The stand-in runs nothing: the "code" adds up the numbers of the question (its stdout is
computed here, not executed) and the web pages are made up from the question's words, all deterministic
(docs/wire-facts.md §34).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

from emulator.generation import count_tokens, tool_use_id
from emulator.wire.errors import validation

if TYPE_CHECKING:
    from emulator.generation import Completion

__all__ = ["ServerCall", "ServerTurn", "WebSource", "check", "run", "text_segments"]

GROUNDING: Final = "nova_grounding"
CODE_INTERPRETER: Final = "nova_code_interpreter"
KNOWN: Final = (CODE_INTERPRETER, GROUNDING)
CODE_RESULT_TYPE: Final = "nova_code_interpreter_result"
USE_TYPE: Final = "server_tool_use"

# No recorded answer quotes Bedrock's refusals of a system tool: these sentences are the emulator's own,
# patterned on Bedrock's "This model doesn't support the toolConfig.toolChoice.tool field..." (§34).
NO_SUPPORT: Final = (
    "This model doesn't support the toolConfig.tools.{index}.systemTool field. "
    "Remove toolConfig.tools.{index}.systemTool and try again."
)
UNKNOWN: Final = (
    "The system tool {name} at toolConfig.tools.{index}.systemTool.name isn't supported by this model. "
    "Supported system tools: {supported}."
)

_NUMBER: Final = re.compile(r"-?\d{1,15}(?:\.\d{1,15})?")
_MAX_NUMBERS: Final = 50
_SCANNED: Final = 20_000  # characters of the question the stand-in reads
_WORD: Final = re.compile(r"[A-Za-z0-9]+")
_SENTENCE: Final = re.compile(r"\S.*?(?:[.!?](?=\s)|$)\s*", re.DOTALL)
_MAX_CITED: Final = 2
_QUESTION_WORDS: Final = frozenset(
    [
        "what",
        "which",
        "when",
        "where",
        "whom",
        "whose",
        "tell",
        "about",
        "latest",
        "does",
        "have",
        "with",
        "that",
        "this",
        "from",
        "there",
        "their",
    ]
)
_SITES: Final = (
    ("en.wikipedia.org", "https://en.wikipedia.org/wiki/{Title}"),
    ("www.britannica.com", "https://www.britannica.com/topic/{title}"),
    ("www.reuters.com", "https://www.reuters.com/technology/{title}/"),
    ("aws.amazon.com", "https://aws.amazon.com/blogs/{title}/"),
    ("www.nature.com", "https://www.nature.com/articles/{title}"),
)


@dataclass(frozen=True)
class ServerCall:
    """One use of a server tool and, for the code interpreter, what it returned."""

    tool_use_id: str
    name: str
    input: dict[str, Any]
    result_text: str | None = None  # the toolResult's text (None: the tool sends no result block)


@dataclass(frozen=True)
class WebSource:
    url: str
    domain: str


@dataclass(frozen=True)
class ServerTurn:
    calls: tuple[ServerCall, ...]
    text: str  # the answer's text the turn was built for (a guardrail may replace it)
    cited: tuple[tuple[str, WebSource | None], ...] = ()  # the text in pieces, a cited piece with its page
    web_searches: int = 0

    def usage(self) -> dict[str, int]:
        """``usage.serverToolUsage``: web searches are counted as ``webSearchRequests`` (§34)."""
        return {"webSearchRequests": self.web_searches} if self.web_searches else {}


def check(names: Sequence[tuple[int, Any]], supported: frozenset[str]) -> tuple[str, ...]:
    """The system tools a request names (``(index, name)`` in ``toolConfig.tools``), checked against the
    model's; each at most once, in the request's order."""
    found: list[str] = []
    for index, name in names:
        if not supported:
            raise validation(NO_SUPPORT.format(index=index))
        if name not in supported:
            raise validation(UNKNOWN.format(name=name, index=index, supported=", ".join(sorted(supported))))
        if name not in found:
            found.append(name)
    return tuple(found)


def run(completion: Completion, tools: Sequence[str], *, question: str, key: bytes, seed: int) -> Completion:
    """The completion with the server tools' uses before its answer (when the model answers in words: a
    call of the caller's own tools or a cut answer leaves it as it is)."""
    if completion.tool_calls or completion.stop_reason != "end_turn" or not tools:
        return completion
    question = question[:_SCANNED]
    calls: list[ServerCall] = []
    extra_tokens = 0
    for index, name in enumerate(tools):
        use_id = tool_use_id(key + b"|server", seed, index)
        if name == CODE_INTERPRETER:
            code, stdout = _program(question)
            report = {"stdOut": stdout, "stdErr": "", "exitCode": 0, "isError": False}
            calls.append(ServerCall(use_id, name, {"code": code}, json.dumps(report, separators=(",", ":"))))
            extra_tokens += count_tokens(code)
        else:
            query = " ".join(_WORD.findall(question)[:12]) or "latest news"
            calls.append(ServerCall(use_id, name, {"query": query}))
            extra_tokens += count_tokens(query)
    searches = sum(1 for call in calls if call.name == GROUNDING)
    cited = _cite(completion.text, calls, key=key, seed=seed) if searches else ()
    turn = ServerTurn(tuple(calls), completion.text, cited, searches)
    return replace(completion, output_tokens=completion.output_tokens + extra_tokens, server=turn)


def _program(question: str) -> tuple[str, str]:
    """Python code that works on the question's numbers, and what the sandbox reports: like AWS's example,
    the code ends with an expression whose value is the output."""
    numbers = _NUMBER.findall(question)[:_MAX_NUMBERS]
    if not numbers:
        words = " ".join(question.split()[:16])
        return f"text = {json.dumps(words)}\nlen(text.split())", str(len(words.split()))
    values: list[int | float] = [float(n) if "." in n else int(n) for n in numbers]
    total = sum(values)
    code = (
        f"numbers = [{', '.join(numbers)}]\n"
        "total = sum(numbers)\n"
        "count = len(numbers)\n"
        "(total, count, total / count)"
    )
    return code, repr((total, len(values), total / len(values)))


def _cite(
    text: str, calls: Iterable[ServerCall], *, key: bytes, seed: int
) -> tuple[tuple[str, WebSource | None], ...]:
    """The answer's first sentences, each citing a web page about the search query."""
    query = next(call.input["query"] for call in calls if call.name == GROUNDING)
    words = [w for w in _WORD.findall(query) if len(w) > 3 and w.lower() not in _QUESTION_WORDS][:4]
    words = words or ["search"]
    digest = int.from_bytes(hashlib.blake2b(key, digest_size=8, person=b"grounding").digest(), "big") ^ seed
    pieces: list[tuple[str, WebSource | None]] = []
    for number, match in enumerate(_SENTENCE.finditer(text)):
        sentence = match.group()
        if number < _MAX_CITED and sentence.strip():
            domain, pattern = _SITES[(digest + number) % len(_SITES)]
            slug = "-".join(w.lower() for w in words)
            title = "_".join(w.capitalize() for w in words)
            url = pattern.format(title=slug, Title=title)
            pieces.append((sentence, WebSource(url, domain)))
        elif pieces and pieces[-1][1] is None:
            pieces[-1] = (pieces[-1][0] + sentence, None)
        else:
            pieces.append((sentence, None))
    return tuple(pieces)


def text_segments(turn: ServerTurn, text: str) -> tuple[tuple[str, WebSource | None], ...]:
    """The answer's text in pieces (cited ones with their page), or the whole text when nothing is cited
    or the text was replaced since (a guardrail's message)."""
    if turn.cited and text == turn.text:
        return turn.cited
    return ((text, None),)


def web_citation(source: WebSource) -> dict[str, Any]:
    """A Converse ``Citation`` (and a stream's ``citation`` delta) of a web page."""
    return {"location": {"web": {"domain": source.domain, "url": source.url}}}


def use_block(call: ServerCall) -> dict[str, Any]:
    return {"toolUseId": call.tool_use_id, "name": call.name, "input": call.input, "type": USE_TYPE}


def result_block(call: ServerCall) -> dict[str, Any]:
    return {
        "toolUseId": call.tool_use_id,
        "type": CODE_RESULT_TYPE,
        "status": "success",
        "content": [{"text": call.result_text}],
    }
