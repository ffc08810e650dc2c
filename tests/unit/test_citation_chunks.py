"""The chunks documents are cited by (emulator/citations.py, docs/wire-facts.md §30)."""

from __future__ import annotations

import random
import time
import zlib

from emulator.citations import _blocks, _pdf, _plain
from emulator.knowledge.extraction import pdf_pages


def test_sentences_cover_the_text_from_its_first_word_and_quote_it_exactly() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice("ab .!?\n\t") for _ in range(rng.randint(0, 40)))
        chunks = _plain(0, None, text).chunks
        assert "".join(chunk.text for chunk in chunks) == text.lstrip()
        for chunk in chunks:
            assert chunk.text == text[chunk.start : chunk.end]
            assert chunk.text.strip()
            assert not chunk.text[0].isspace()


def test_a_sentence_keeps_the_whitespace_after_it() -> None:
    chunks = _plain(0, "t", "The grass is green. The sky is blue. Version 26.1 is out.").chunks
    assert [(c.text, c.start, c.end) for c in chunks] == [
        ("The grass is green. ", 0, 20),
        ("The sky is blue. ", 20, 37),
        ("Version 26.1 is out.", 37, 57),
    ]


def test_custom_content_blocks_are_chunks_by_index() -> None:
    document = _blocks(2, None, ["one", "two"])
    assert (document.index, document.kind) == (2, "block")
    assert [(c.text, c.start, c.end) for c in document.chunks] == [("one", 0, 1), ("two", 1, 2)]


def test_a_flate_bomb_in_a_pdf_inflates_only_to_the_budget() -> None:
    bomb = zlib.compress(b"BT (x) Tj ET " + b" " * 20_000_000, 9)  # 20 MB from about 20 KB
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\n" + bomb + b"\nendstream\nendobj\n"
    started = time.monotonic()
    assert pdf_pages(pdf, max_inflated=1_000_000) == ["x"]
    assert _pdf(0, None, pdf * 3).chunks  # the citations path bounds it by the PDF's own size
    assert time.monotonic() - started < 5
