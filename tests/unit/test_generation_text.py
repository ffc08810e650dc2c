"""The stand-in model's text: sentences of plain words, a pure function of the request's digest, built
without Faker (whose import cost the first Converse some forty milliseconds; tool arguments still use it)."""

from __future__ import annotations

import random
import re
import subprocess
import sys

from emulator import generation

_SENTENCE = re.compile(r"[A-Z][a-z]*(?: [a-z]+)*\.")


def test_the_same_digest_gives_the_same_text_and_another_digest_other_text() -> None:
    assert generation._text(42, 60) == generation._text(42, 60)
    assert generation._text(42, 60) != generation._text(43, 60)


def test_text_is_whole_sentences_reaching_the_token_target() -> None:
    draws = random.Random(7)
    for _ in range(300):
        digest, target = draws.getrandbits(64), draws.randint(12, 120)
        text = generation._text(digest, target)
        sentences = text.split(". ")
        assert all(_SENTENCE.fullmatch(s if s.endswith(".") else s + ".") for s in sentences), text
        assert generation.count_tokens(text) >= target - len(sentences)  # a separator per sentence aside


def test_known_digest_reads_as_before() -> None:
    # Pinned so a change of vocabulary or algorithm is a visible decision (every reply's text changes).
    assert generation._text(12345, 20) == (
        "Valley again half learn enough full same much. Less class mountain found run south. "
        "Sleep rock east land voice valley."
    )


def test_text_does_not_import_faker() -> None:
    code = "import sys\nfrom emulator import generation\ngeneration._text(1, 80)\nprint('faker' in sys.modules)\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
