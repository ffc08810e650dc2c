"""Which source files a created knowledge base takes, and the text it reads from each format."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest

from emulator.knowledge.extraction import NoTextError, extension, extract, supported


def _zip(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _pdf(content: bytes, *, deflate: bool) -> bytes:
    body = zlib.compress(content) if deflate else content
    flate = b" /Filter /FlateDecode" if deflate else b""
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Length "
        + str(len(body)).encode()
        + flate
        + b" >>\nstream\n"
        + body
        + b"\nendstream\nendobj\n%%EOF\n"
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("docs/a.txt", True),
        ("docs/A.PDF", True),
        ("guide.docx", True),
        ("sheet.xlsx", True),
        ("old.doc", True),
        ("old.xls", True),
        ("page.html", True),
        ("notes.md", True),
        ("rows.csv", True),
        ("page.htm", False),
        ("data.json", False),
        ("diagram.png", False),
        ("README", False),
        (".hidden", False),
    ],
)
def test_supported_formats_are_the_documented_ones(key: str, expected: bool) -> None:
    assert supported(key) is expected


def test_extension_reads_the_last_path_segment_only() -> None:
    assert extension("dir.v2/readme") == ""
    assert extension("dir/Report.Final.DOCX") == ".docx"


def test_text_formats_drop_their_markup() -> None:
    assert extract(b"# Title\n\nSome **bold** words.", ".md") == "Title\n\nSome bold words."
    html = b"<html><head><title>x</title></head><body><p>Hello <b>there</b></p><script>no()</script></body></html>"
    assert extract(html, ".html") == "Hello there"
    assert extract(b"name,price\nlamp,20\n", ".csv") == "name: lamp; price: 20."


def test_docx_text_comes_from_its_paragraphs() -> None:
    document = (
        "<w:document><w:body><w:p><w:r><w:t>Warranty &amp; care</w:t></w:r></w:p>"
        '<w:p><w:r><w:t xml:space="preserve">Two </w:t></w:r><w:r><w:t>years.</w:t></w:r></w:p></w:body></w:document>'
    )
    assert extract(_zip({"word/document.xml": document}), ".docx") == "Warranty & care\nTwo years."


def test_xlsx_text_comes_from_its_rows_with_shared_strings() -> None:
    shared = "<sst><si><t>lamp</t></si><si><t>shade</t></si></sst>"
    sheet = (
        '<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>20</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="inlineStr"><is><t>blue</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    data = _zip({"xl/sharedStrings.xml": shared, "xl/worksheets/sheet1.xml": sheet})
    assert extract(data, ".xlsx") == "lamp, 20\nshade, blue"


@pytest.mark.parametrize("deflate", [False, True])
def test_pdf_text_comes_from_its_text_operators(deflate: bool) -> None:
    content = b"BT /F1 12 Tf 72 712 Td (Refunds \\(in full\\)) Tj ET BT [(within) -250 ( 30 days)] TJ ET"
    assert extract(_pdf(content, deflate=deflate), ".pdf") == "Refunds (in full)\nwithin 30 days"


def test_legacy_office_files_give_their_readable_runs() -> None:
    data = b"\xd0\xcf\x11\xe0" + bytes(40) + "Lamp assembly guide".encode("utf-16-le") + bytes(12)
    assert extract(data, ".doc") == "Lamp assembly guide"


@pytest.mark.parametrize(
    ("data", "suffix"),
    [(b"  \n ", ".txt"), (b"not a zip", ".docx"), (b"%PDF-1.4\n%%EOF", ".pdf"), (b"\x00\x01", ".xls")],
)
def test_files_without_text_are_refused(data: bytes, suffix: str) -> None:
    with pytest.raises(NoTextError):
        extract(data, suffix)
