"""The text a knowledge base indexes from one source file, and which files it takes at all.

Bedrock documents the formats a data source's files may have (.txt, .md, .html, .doc/.docx, .csv,
.xls/.xlsx, .pdf) and a 50 MB limit per file; any other file is ignored "as their file format was not
supported", and a file with no text "as no text content found" (wire-facts §17). The text formats are
read by ``emulator.knowledge.documents.to_text`` (markup dropped, words kept). For the binary formats the
emulator has no document parser, so it approximates with the standard library: Office Open XML (.docx,
.xlsx) from its XML parts, PDF from the strings its text operators show (content streams inflated when
Flate-encoded), legacy .doc and .xls from their runs of readable characters.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import Final

from emulator.knowledge.documents import DocumentError, to_text

MAX_FILE_BYTES: Final = 50 * 1024 * 1024
SIDECAR_SUFFIX: Final = ".metadata.json"
SUPPORTED: Final = frozenset({".txt", ".md", ".html", ".doc", ".docx", ".csv", ".xls", ".xlsx", ".pdf"})
# Inline BYTE content names its type; these are the supported formats' MIME types.
MIME_TYPES: Final = {
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/html": ".html",
    "text/csv": ".csv",
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}

_WORD_TEXT = re.compile(rb"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")
_WORD_PARAGRAPH_END = re.compile(rb"</w:p>")
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.DOTALL)
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_INLINE_TEXT = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>")
_SHARED = re.compile(rb"<si>(.*?)</si>", re.DOTALL)
_ROW = re.compile(rb"<row\b[^>]*>(.*?)</row>", re.DOTALL)
_STREAM = re.compile(rb"<<(.*?)>>\s*stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
_TEXT_BLOCK = re.compile(rb"BT(.*?)ET", re.DOTALL)
_PDF_STRING = re.compile(rb"\((?:\\.|[^\\()])*\)", re.DOTALL)
_PDF_ESCAPE = re.compile(rb"\\([nrtbf()\\]|[0-7]{1,3})")
_READABLE_RUN = re.compile(rb"[\x20-\x7e\t\r\n]{5,}")
_READABLE_RUN_UTF16 = re.compile(rb"(?:[\x20-\x7e]\x00){5,}")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


class NoTextError(ValueError):
    """A supported file from which no text could be read."""


def extension(key: str) -> str:
    """A file's extension as the format check reads it: lower case, with its dot (``""`` when none)."""
    name = key.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def supported(key: str) -> bool:
    return extension(key) in SUPPORTED


def extract(data: bytes, suffix: str) -> str:
    """The text of a file of a supported format; `NoTextError` when it holds none."""
    reader = _READERS.get(suffix)
    if reader is None:
        raise NoTextError(f"unsupported format {suffix!r}")
    try:
        text = reader(data)
    except (DocumentError, zipfile.BadZipFile, KeyError, ValueError, zlib.error) as exc:
        raise NoTextError(str(exc)) from exc
    if not text.strip():
        raise NoTextError("no text content found")
    return text.strip()


def _text(data: bytes, suffix: str) -> str:
    return to_text(data.decode("utf-8-sig", errors="replace"), suffix)


def _docx(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml")
    paragraphs = (b"".join(_WORD_TEXT.findall(part)) for part in _WORD_PARAGRAPH_END.split(xml))
    return "\n".join(_xml_text(p) for p in paragraphs if p.strip())


def _xlsx(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
        shared_xml = (
            archive.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in archive.namelist() else b""
        )
        shared = [b"".join(_INLINE_TEXT.findall(item)) for item in _SHARED.findall(shared_xml)]
        lines = [line for name in names for line in _sheet_rows(archive.read(name), shared)]
    return "\n".join(lines)


def _sheet_rows(xml: bytes, shared: list[bytes]) -> Iterator[str]:
    for row in _ROW.findall(xml):
        cells = []
        for attributes, cell in _CELL.findall(row):
            body = cell or b""
            if b't="s"' in attributes:
                value = _VALUE.search(body)
                text = shared[int(value.group(1))] if value else b""
            elif b't="inlineStr"' in attributes:
                text = b"".join(_INLINE_TEXT.findall(body))
            else:
                value = _VALUE.search(body)
                text = value.group(1) if value else b""
            if text.strip():
                cells.append(_xml_text(text))
        if cells:
            yield ", ".join(cells)


def _pdf(data: bytes) -> str:
    return "\n".join(pdf_pages(data))


def pdf_pages(data: bytes, *, max_inflated: int = MAX_FILE_BYTES) -> list[str]:
    """The text a PDF shows, one entry per content stream that shows any, in file order: for the simple
    PDFs the emulator reads (one content stream per page, pages in order) that is the text of each page.
    Flate-encoded streams are inflated to at most ``max_inflated`` bytes in all (a zip bomb stays small)."""
    pages: list[str] = []
    budget = max_inflated
    for dictionary, body in _STREAM.findall(data):
        content = body
        if b"/FlateDecode" in dictionary:
            if budget <= 0:
                break
            content = zlib.decompressobj().decompress(body, budget)
            budget -= len(content)
        blocks = []
        for block in _TEXT_BLOCK.findall(content):
            shown = [_pdf_string(s[1:-1]) for s in _PDF_STRING.findall(block)]
            if shown:
                blocks.append("".join(shown))
        if blocks:
            pages.append("\n".join(blocks))
    return pages


def _pdf_string(raw: bytes) -> str:
    def unescape(match: re.Match[bytes]) -> bytes:
        code = match.group(1)
        if code.isdigit():
            return bytes([int(code, 8) & 0xFF])
        return _ESCAPES.get(code, code)

    return _PDF_ESCAPE.sub(unescape, raw).decode("latin-1")


def _legacy_office(data: bytes) -> str:
    runs = [r.decode("utf-16-le") for r in _READABLE_RUN_UTF16.findall(data)]
    if not runs:
        runs = [r.decode("ascii") for r in _READABLE_RUN.findall(data)]
    return "\n".join(run.strip() for run in runs if run.strip())


def _xml_text(raw: bytes) -> str:
    return html.unescape(raw.decode("utf-8", errors="replace"))


_READERS = {
    ".txt": lambda data: _text(data, ".txt"),
    ".md": lambda data: _text(data, ".md"),
    ".html": lambda data: _text(data, ".html"),
    ".csv": lambda data: _text(data, ".csv"),
    ".docx": _docx,
    ".xlsx": _xlsx,
    ".pdf": _pdf,
    ".doc": _legacy_office,
    ".xls": _legacy_office,
}
