"""Citations: documents sent with ``citations: {enabled: true}`` (Converse ``document`` blocks, Anthropic
``document`` blocks in InvokeModel bodies) and an answer whose statements cite real spans of them.

A document is cut into the chunks Claude cites: sentences of a plain-text document (character offsets,
0-indexed, end exclusive, each sentence with the whitespace after it), sentences of each page of a PDF
(page numbers, 1-indexed, end exclusive) and the blocks of a custom-content document (block indices,
0-indexed, end exclusive). The cited text is always exactly the chunk. The stand-in answers its own words
first, then one to three cited statements, each a chunk of the documents chosen from a hash of the request
(wire-facts §30).

Bedrock refuses citations on a model without them, in tool results and on documents other than txt and
pdf, with its own texts; Claude takes them on all of a request's documents or none, and not together with
structured output.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from emulator.generation import Completion, count_tokens
from emulator.wire.errors import validation

__all__ = [
    "Citation",
    "Document",
    "Segment",
    "anthropic_blocks",
    "anthropic_citation",
    "anthropic_documents",
    "check_structured",
    "cite",
    "converse_blocks",
    "converse_citation",
    "converse_documents",
    "segments_of",
]

Kind = Literal["char", "page", "block"]

CONVERSE_PREFIX: Final = "The model returned the following errors: "
# Bedrock's own refusals on Converse, as recorded (wire-facts §30).
NO_SUPPORT: Final = "This model doesn't support citations."
IN_TOOL_RESULT: Final = "Citations are not supported in tool result documents."
FORMAT: Final = (
    "Unsupported document format. Only txt and pdf formats are supported when citations are enabled"
)
NOT_A_PDF: Final = "messages.{message}.content.{block}.image.source.bytes: The PDF specified was not valid."
_FORMATS: Final = frozenset({"txt", "pdf"})
# Anthropic's rules (all or none; not with structured output; not on Claude 3 Haiku): no recorded answer
# quotes these refusals, so the sentences are the emulator's own (wire-facts §30).
MIXED: Final = "citations must be enabled on all or none of the documents in a request"
UNSUPPORTED: Final = "citations are not supported by this model"
WITH_STRUCTURED: Final = "citations are not supported together with structured output (output_config.format)"

# A sentence and the whitespace after it; a document's sentences cover its text from its first word.
_SENTENCE: Final = re.compile(r"\S.*?(?:[.!?](?=\s)|$)\s*", re.DOTALL)
_MAX_CITED: Final = 3
_MAX_INFLATED: Final = 64 * 1024 * 1024  # a PDF's content streams inflate to no more than this in all


@dataclass(frozen=True)
class Chunk:
    text: str  # the exact cited text
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    index: int  # among all document blocks of the request, across messages
    title: str | None
    kind: Kind
    chunks: tuple[Chunk, ...]


@dataclass(frozen=True)
class Citation:
    document_index: int
    title: str | None
    kind: Kind
    start: int
    end: int
    cited_text: str


@dataclass(frozen=True)
class Segment:
    """A piece of the answer: its text, and the citations that support it (none for connecting words)."""

    text: str
    citations: tuple[Citation, ...] = ()


# -- documents -----------------------------------------------------------------------------------------


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    for match in _SENTENCE.finditer(text):
        yield match.start(), match.end()


def _plain(index: int, title: str | None, text: str) -> Document:
    chunks = tuple(Chunk(text[start:end], start, end) for start, end in _sentences(text))
    return Document(index, title, "char", chunks)


def _pdf(index: int, title: str | None, data: bytes) -> Document:
    from emulator.knowledge.extraction import pdf_pages  # only a cited PDF needs it

    chunks = [
        Chunk(page[start:end], number, number + 1)
        for number, page in enumerate(
            pdf_pages(data, max_inflated=min(len(data) * 32, _MAX_INFLATED)), start=1
        )
        for start, end in _sentences(page)
    ]
    return Document(index, title, "page", tuple(chunks))


def _blocks(index: int, title: str | None, texts: Iterable[str]) -> Document:
    chunks = tuple(Chunk(text, number, number + 1) for number, text in enumerate(texts))
    return Document(index, title, "block", chunks)


def _decoded(data: Any) -> bytes:
    if isinstance(data, bytes):
        return data
    try:
        return base64.b64decode(str(data), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _enabled(config: Any) -> bool:
    return isinstance(config, dict) and config.get("enabled") is True


def _check(enabled: Sequence[bool], *, supported: bool, prefix: str) -> bool:
    """Whether the request's documents are cited; raises Claude's refusals."""
    if not any(enabled):
        return False
    if not supported:
        raise validation(prefix + UNSUPPORTED)
    if not all(enabled):
        raise validation(prefix + MIXED)
    return True


def _content(message: Any) -> list[Any]:
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, list) else []


def converse_documents(messages: Any, *, supported: bool) -> tuple[Document, ...]:
    """The documents of a Converse conversation, when it asks for citations (of a model that gives them).

    Bedrock refuses citations on a model without them, in a tool result's document, and on a document of
    another format than txt or pdf; it hands Claude a txt document's bytes as a PDF, which Claude refuses
    (an open issue, as recorded); Claude refuses citations on some documents only."""
    found: list[tuple[int, int, Mapping[str, Any]]] = []  # message index, block index, document
    for message_index, message in enumerate(messages if isinstance(messages, list) else ()):
        for block_index, block in enumerate(_content(message)):
            if not isinstance(block, dict):
                continue
            if isinstance(block.get("document"), dict):
                found.append((message_index, block_index, block["document"]))
            elif "toolResult" in block and _tool_result_cites(block["toolResult"]):
                raise validation(IN_TOOL_RESULT)
    if not found:  # most calls
        return ()
    enabled = [_enabled(document.get("citations")) for _, _, document in found]
    if not any(enabled):
        return ()
    if not supported:
        raise validation(NO_SUPPORT)
    if any(
        on and document.get("format", "txt") not in _FORMATS
        for (_, _, document), on in zip(found, enabled, strict=True)
    ):
        raise validation(FORMAT)
    if not all(enabled):
        raise validation(CONVERSE_PREFIX + MIXED)
    for message_index, block_index, document in found:
        source = document.get("source")
        if document.get("format") == "txt" and isinstance(source, dict) and "bytes" in source:
            raise validation(CONVERSE_PREFIX + NOT_A_PDF.format(message=message_index, block=block_index))
    return tuple(_converse_document(index, document) for index, (_, _, document) in enumerate(found))


def _tool_result_cites(result: Any) -> bool:
    parts = result.get("content") if isinstance(result, dict) else None
    return isinstance(parts, list) and any(
        isinstance(part, dict)
        and isinstance(part.get("document"), dict)
        and _enabled(part["document"].get("citations"))
        for part in parts
    )


def _converse_document(index: int, block: Mapping[str, Any]) -> Document:
    title = block.get("name")
    title = str(title) if title is not None else None
    source = block.get("source")
    source = source if isinstance(source, dict) else {}
    if isinstance(source.get("text"), str):
        return _plain(index, title, source["text"])
    if isinstance(source.get("content"), list):
        parts = source["content"]
        return _blocks(index, title, (str(p.get("text", "")) if isinstance(p, dict) else "" for p in parts))
    if "bytes" in source and block.get("format") == "pdf":
        return _pdf(index, title, _decoded(source["bytes"]))
    return Document(index, title, "char", ())  # an S3 object: nothing the stand-in reads


def anthropic_documents(messages: Sequence[Mapping[str, Any]], *, supported: bool) -> tuple[Document, ...]:
    """The documents of an Anthropic Messages body, when it asks for citations."""
    blocks = [
        block
        for message in messages
        if isinstance(message.get("content"), list)
        for block in message["content"]
        if block.get("type") == "document"
    ]
    if not blocks:
        return ()
    if not _check([_enabled(b.get("citations")) for b in blocks], supported=supported, prefix=""):
        return ()
    return tuple(_anthropic_document(index, block) for index, block in enumerate(blocks))


def _anthropic_document(index: int, block: Mapping[str, Any]) -> Document:
    title = block.get("title")
    title = str(title) if title is not None else None
    source = block.get("source")
    source = source if isinstance(source, dict) else {}
    kind = source.get("type")
    if kind == "text":
        return _plain(index, title, str(source.get("data", "")))
    if kind == "content":
        content = source.get("content")
        if isinstance(content, str):
            return _blocks(index, title, [content])
        parts = content if isinstance(content, list) else []
        texts = (
            str(p.get("text", "")) if isinstance(p, dict) and p.get("type") == "text" else "" for p in parts
        )
        return _blocks(index, title, texts)
    if kind == "base64" and source.get("media_type") == "application/pdf":
        return _pdf(index, title, _decoded(source.get("data", "")))
    return Document(index, title, "char", ())  # a URL or a file id: not fetched here


def check_structured(documents: Sequence[Document], schema: Any, *, converse: bool) -> None:
    """Claude refuses citations together with structured output."""
    if documents and schema is not None:
        raise validation((CONVERSE_PREFIX if converse else "") + WITH_STRUCTURED)


# -- the answer ---------------------------------------------------------------------------------------


def cite(
    completion: Completion, documents: Sequence[Document], *, key: bytes, seed: int, max_tokens: int
) -> Completion:
    """The completion with cited statements after its own words, when the documents have anything to cite
    and the answer ends its turn within ``max_tokens``."""
    if not documents or completion.tool_calls or completion.stop_reason != "end_turn":
        return completion
    candidates = [
        (document, chunk) for document in documents for chunk in document.chunks if chunk.text.strip()
    ]
    if not candidates:
        return completion
    digest = int.from_bytes(hashlib.blake2b(key, digest_size=8, person=b"citations").digest(), "big") ^ seed
    count = 1 + digest % min(_MAX_CITED, len(candidates))
    first = (digest >> 8) % len(candidates)
    stride = 1 + (digest >> 24) % len(candidates)
    picked = sorted({(first + n * stride) % len(candidates) for n in range(count)})
    segments: list[Segment] = []
    if completion.text.strip():
        segments.append(Segment(completion.text.rstrip() + " "))
    for position, choice in enumerate(picked):
        if position:
            segments.append(Segment(" "))
        document, chunk = candidates[choice]
        citation = Citation(document.index, document.title, document.kind, chunk.start, chunk.end, chunk.text)
        segments.append(Segment(chunk.text.strip(), (citation,)))
    text = "".join(segment.text for segment in segments)
    output_tokens = completion.output_tokens - count_tokens(completion.text) + count_tokens(text)
    if output_tokens > max_tokens:
        return completion
    return replace(completion, text=text, output_tokens=output_tokens, segments=tuple(segments))


def segments_of(completion: Completion) -> tuple[Segment, ...] | None:
    """The completion's cited segments, unless its text was replaced since (a guardrail's message)."""
    segments = completion.segments
    if not segments or "".join(segment.text for segment in segments) != completion.text:
        return None
    return segments


_CONVERSE_LOCATIONS: Final = {"char": "documentChar", "page": "documentPage", "block": "documentChunk"}


def converse_citation(citation: Citation) -> dict[str, Any]:
    """A Converse ``Citation`` (and a stream's ``citation`` delta: the same members)."""
    location = {"documentIndex": citation.document_index, "end": citation.end, "start": citation.start}
    body: dict[str, Any] = {
        "location": {_CONVERSE_LOCATIONS[citation.kind]: location},
        "sourceContent": [{"text": citation.cited_text}],
    }
    if citation.title is not None:
        body["title"] = citation.title
    return body


def converse_blocks(segments: Sequence[Segment]) -> list[dict[str, Any]]:
    """Converse content blocks: ``citationsContent`` for a cited statement, ``text`` between them."""
    return [
        {
            "citationsContent": {
                "citations": [converse_citation(c) for c in segment.citations],
                "content": [{"text": segment.text}],
            }
        }
        if segment.citations
        else {"text": segment.text}
        for segment in segments
    ]


_ANTHROPIC_LOCATIONS: Final = {
    "char": ("char_location", "start_char_index", "end_char_index"),
    "page": ("page_location", "start_page_number", "end_page_number"),
    "block": ("content_block_location", "start_block_index", "end_block_index"),
}


def anthropic_citation(citation: Citation) -> dict[str, Any]:
    kind, start, end = _ANTHROPIC_LOCATIONS[citation.kind]
    return {
        "type": kind,
        "cited_text": citation.cited_text,
        "document_index": citation.document_index,
        "document_title": citation.title,
        start: citation.start,
        end: citation.end,
    }


def anthropic_blocks(segments: Sequence[Segment]) -> list[dict[str, Any]]:
    """Anthropic text blocks; a cited one carries its ``citations`` (first, as recorded answers order it)."""
    return [
        {
            "citations": [anthropic_citation(c) for c in segment.citations],
            "type": "text",
            "text": segment.text,
        }
        if segment.citations
        else {"type": "text", "text": segment.text}
        for segment in segments
    ]
