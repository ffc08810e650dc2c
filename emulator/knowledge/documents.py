"""Reading a data source's directory into plain-text documents with their Bedrock-style metadata.

Supported files: ``.txt``, ``.md`` / ``.markdown``, ``.html`` / ``.htm``, ``.json``, ``.csv``. Metadata comes
from a sidecar named ``<file>.metadata.json`` holding ``{"metadataAttributes": {...}}``, in either of the two
forms Bedrock accepts: plain values (``"year": 2024``) or typed values
(``"year": {"value": {"type": "NUMBER", "numberValue": 2024}, "includeForEmbedding": true}``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

SIDECAR_SUFFIX = ".metadata.json"
SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".json", ".csv"})


class DocumentError(ValueError):
    """A file that cannot be read as a document (ingestion counts it as failed)."""


@dataclass(frozen=True)
class Document:
    """One source file as text, with the S3 URI it stands for and its metadata attributes."""

    relative_path: str  # POSIX path inside the data source directory
    source_uri: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    digest: str = ""  # content + metadata hash: tells modified documents from unchanged ones


@dataclass(frozen=True)
class Scan:
    """What one pass over a directory found: documents read, files that failed, sidecars seen."""

    documents: tuple[Document, ...]
    failed: tuple[tuple[str, str], ...]  # (relative path, reason)
    metadata_files: int


def scan_directory(directory: Path, s3_prefix: str) -> Scan:
    """Read every supported file under ``directory`` (sorted, so chunk ids are stable)."""
    documents: list[Document] = []
    failed: list[tuple[str, str]] = []
    metadata_files = 0
    if not directory.is_dir():
        raise DocumentError(f"data source directory not found: {directory}")
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        name = path.name
        if name.endswith(SIDECAR_SUFFIX):
            metadata_files += 1
            continue
        if name.startswith(".") or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        relative = path.relative_to(directory).as_posix()
        try:
            documents.append(read_document(path, relative, s3_prefix))
        except (DocumentError, OSError, UnicodeDecodeError) as exc:
            failed.append((relative, str(exc)))
    return Scan(tuple(documents), tuple(failed), metadata_files)


def read_document(path: Path, relative_path: str, s3_prefix: str) -> Document:
    raw = path.read_bytes()
    text = to_text(raw.decode("utf-8-sig"), path.suffix.lower())
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    metadata = read_sidecar(sidecar) if sidecar.is_file() else {}
    digest = hashlib.sha256(raw + json.dumps(metadata, sort_keys=True).encode()).hexdigest()
    uri = s3_prefix.rstrip("/") + "/" + relative_path
    return Document(relative_path, uri, text, metadata, digest)


def to_text(content: str, suffix: str) -> str:
    """The text Bedrock would embed for a file of this type."""
    if suffix in (".html", ".htm"):
        return _html_text(content)
    if suffix == ".json":
        try:
            value = json.loads(content)
        except ValueError as exc:
            raise DocumentError(f"invalid JSON: {exc}") from exc
        return "\n".join(_json_lines(value, ""))
    if suffix == ".csv":
        return _csv_text(content)
    if suffix in (".md", ".markdown"):
        return _markdown_text(content)
    return content.strip()


def read_sidecar(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text("utf-8-sig"))
    except ValueError as exc:
        raise DocumentError(f"invalid metadata file {path.name}: {exc}") from exc
    attributes = document.get("metadataAttributes") if isinstance(document, dict) else None
    if not isinstance(attributes, dict):
        raise DocumentError(f"{path.name} must hold an object under 'metadataAttributes'")
    return {str(key): _attribute_value(value) for key, value in attributes.items()}


def _attribute_value(value: Any) -> Any:
    """A typed attribute (``{"value": {"type": ..., "<kind>Value": ...}}``) becomes its plain value."""
    if isinstance(value, dict) and isinstance(value.get("value"), dict):
        typed: dict[str, Any] = value["value"]
        kind = str(typed.get("type", "")).upper()
        key = {
            "STRING": "stringValue",
            "NUMBER": "numberValue",
            "BOOLEAN": "booleanValue",
            "STRING_LIST": "stringListValue",
        }.get(kind)
        if key is not None and key in typed:
            return typed[key]
    return value


# -- format readers ------------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "table",
        "ul",
        "ol",
        "pre",
        "blockquote",
        "title",
    }
)
_SKIPPED_TAGS = frozenset({"script", "style", "head", "noscript"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002 - HTMLParser's signature
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS and self._skipping:
            self._skipping -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _html_text(content: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(content)
    extractor.close()
    return _tidy("".join(extractor.parts))


def _tidy(text: str) -> str:
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _markdown_text(content: str) -> str:
    # Keep the words, drop the markup that would otherwise count as tokens and match queries.
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", content, flags=re.MULTILINE)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__|`)", "", text)
    return _tidy(text)


def _json_lines(value: Any, prefix: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_lines(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for item in value:
            yield from _json_lines(item, prefix)
    elif value is not None:
        yield f"{prefix}: {value}" if prefix else str(value)


def _csv_text(content: str) -> str:
    rows = list(csv.reader(io.StringIO(content)))
    if not rows:
        return ""
    header, *body = rows
    lines = []
    for row in body:
        cells = [f"{name}: {cell}" for name, cell in zip(header, row, strict=False) if cell.strip()]
        if cells:
            lines.append("; ".join(cells) + ".")
    return "\n".join(lines)
