"""Reading data source directories: formats, sidecar metadata, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.knowledge.documents import DocumentError, scan_directory, to_text


def test_html_text_keeps_words_and_drops_scripts_and_styles() -> None:
    html = "<html><head><style>p{}</style></head><body><h1>Title</h1><p>One &amp; two</p><script>x()</script></body></html>"
    assert to_text(html, ".html") == "Title\n\nOne & two"


def test_markdown_text_drops_markup() -> None:
    assert (
        to_text("# Head\n\nSee [the guide](http://x) and **bold** `code`.", ".md")
        == "Head\n\nSee the guide and bold code."
    )


def test_json_text_lists_paths_and_values() -> None:
    assert to_text('{"a": {"b": 1}, "c": ["x", "y"]}', ".json") == "a.b: 1\nc: x\nc: y"


def test_csv_text_names_each_cell_by_its_column() -> None:
    assert to_text("city,days\nParis,3\nRome,\n", ".csv") == "city: Paris; days: 3.\ncity: Rome."


def test_invalid_json_is_a_document_error() -> None:
    with pytest.raises(DocumentError):
        to_text("{nope", ".json")


def test_scan_reads_supported_files_with_plain_and_typed_sidecars(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Alpha text.")
    (tmp_path / "a.txt.metadata.json").write_text(json.dumps({"metadataAttributes": {"year": 2020}}))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("# Beta")
    (tmp_path / "sub" / "b.md.metadata.json").write_text(
        json.dumps(
            {
                "metadataAttributes": {
                    "tags": {
                        "value": {"type": "STRING_LIST", "stringListValue": ["x"]},
                        "includeForEmbedding": True,
                    }
                }
            }
        )
    )
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "broken.json").write_text("{")
    scan = scan_directory(tmp_path, "s3://bucket/prefix/")
    assert [d.relative_path for d in scan.documents] == ["a.txt", "sub/b.md"]
    assert scan.documents[0].source_uri == "s3://bucket/prefix/a.txt"
    assert scan.documents[0].metadata == {"year": 2020}
    assert scan.documents[1].metadata == {"tags": ["x"]}
    assert [path for path, _ in scan.failed] == ["broken.json"]
    assert scan.metadata_files == 2


def test_scan_of_a_missing_directory_is_a_document_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError):
        scan_directory(tmp_path / "nope", "s3://b")
