"""The stand-in classifiers: PII spans, content-filter strengths and denied-topic matching."""

from __future__ import annotations

import pytest

from emulator.guardrails import detectors


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.match) for f in detectors.find_pii(text, detectors.PII_TYPES_DETECTED)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jane.doe@example.co.uk today", [("EMAIL", "jane.doe@example.co.uk")]),
        ("call (555) 123-4567 now", [("PHONE", "(555) 123-4567")]),
        ("card 4111-1111-1111-1111 ok", [("CREDIT_DEBIT_CARD_NUMBER", "4111-1111-1111-1111")]),
        ("ssn 123-45-6789", [("US_SOCIAL_SECURITY_NUMBER", "123-45-6789")]),
        ("my name is Maria Lopez", [("NAME", "Maria Lopez")]),
        ("ship to 42 Main Street, Springfield", [("ADDRESS", "42 Main Street, Springfield")]),
        ("key AKIAIOSFODNN7EXAMPLE", [("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE")]),
        ("PIN: 4821", [("PIN", "4821")]),
    ],
)
def test_find_pii_recognises_common_entities(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


def test_a_number_failing_luhn_is_not_a_card_and_a_card_is_never_a_phone() -> None:
    assert ("CREDIT_DEBIT_CARD_NUMBER", "4111 1111 1111 1112") not in kinds("4111 1111 1111 1112")
    assert [k for k, _ in kinds("4111 1111 1111 1111")] == ["CREDIT_DEBIT_CARD_NUMBER"]


def test_find_pii_reports_only_wanted_types_with_offsets() -> None:
    text = "jane@example.com or 555-123-4567"
    (found,) = detectors.find_pii(text, frozenset({"PHONE"}))
    assert text[found.start : found.end] == "555-123-4567"


def test_plain_questions_hold_no_pii() -> None:
    assert kinds("What is your refund policy for orders over 30 days?") == []


@pytest.mark.parametrize(
    ("strength", "confidence", "acts"),
    [
        ("HIGH", "LOW", True),
        ("MEDIUM", "LOW", False),
        ("MEDIUM", "MEDIUM", True),
        ("LOW", "MEDIUM", False),
        ("LOW", "HIGH", True),
        ("NONE", "HIGH", False),
    ],
)
def test_filter_strength_decides_which_confidences_are_blocked(
    strength: str, confidence: str, acts: bool
) -> None:
    assert detectors.blocks(strength, confidence) is acts


def test_content_confidence_takes_the_strongest_cue() -> None:
    assert detectors.content_confidence("I will murder and punch", "VIOLENCE") == ("HIGH", "murder")
    assert detectors.content_confidence("a calm day", "VIOLENCE") == ("NONE", None)


def test_words_match_whole_words_ignoring_case() -> None:
    assert [f.match for f in detectors.find_phrase("Damn! damnation", "damn")] == ["Damn"]


def test_denied_topic_matches_examples_or_two_shared_words_only() -> None:
    topic = (
        "legal-advice",
        "Requests for legal advice or interpretation of contracts",
        ("Is my NDA enforceable?",),
    )
    assert detectors.topic_matches("is my nda enforceable?", *topic)
    assert detectors.topic_matches("I need legal advice on this", *topic)
    assert not detectors.topic_matches("Any advice on shipping times?", *topic)
