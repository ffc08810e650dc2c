"""The stand-in model's text comes from Faker's en_US lorem provider alone, and reads exactly as it did
from a full ``Faker("en_US")`` (which costs the first Converse some twenty milliseconds more to build)."""

from __future__ import annotations

import random

from faker import Faker

from emulator import generation


def _full_faker_text(digest: int, approximate_tokens: int) -> str:
    fake = Faker("en_US")
    fake.seed_instance(digest)
    sentences: list[str] = []
    count = 0
    while count < approximate_tokens:
        sentence = fake.sentence(nb_words=8)
        sentences.append(sentence)
        count += generation.count_tokens(sentence) + 1
    return " ".join(sentences)


def test_text_is_the_same_as_a_full_faker_seeded_alike() -> None:
    draws = random.Random(7)
    for _ in range(200):
        digest = draws.getrandbits(64)
        tokens = draws.randint(12, 120)
        assert generation._text(digest, tokens) == _full_faker_text(digest, tokens)
