"""What the emulator's guardrails can recognise in text: PII entities, profanity, harmful-content keywords
and the words of a denied topic. Deterministic stand-ins for Bedrock's classifiers, kept small on purpose:
a test author should be able to predict every detection from reading this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Finding:
    """One detection: what kind, the exact text, and where it sits in the evaluated text."""

    kind: str
    match: str
    start: int
    end: int


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group(0))
    return 13 <= len(digits) <= 19 and _luhn(digits)


_FIRST_NAMES: Final = (
    "James|John|Robert|Michael|William|David|Richard|Joseph|Thomas|Charles|Daniel|Matthew|Anthony|Mark|"
    "Paul|Steven|Andrew|Joshua|Kevin|Brian|George|Peter|Maria|Mary|Patricia|Jennifer|Linda|Elizabeth|"
    "Barbara|Susan|Jessica|Sarah|Karen|Nancy|Lisa|Emily|Emma|Olivia|Anna|Laura|Alice|Jane|Carlos|Ahmed|"
    "Wei|Priya|Fatima|Yuki|Hans|Sofia|Lucas|Noah|Liam"
)
_CAPITALIZED: Final = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
_STREET: Final = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Highway|Hwy"
)

# Order matters: an earlier detector claims its characters, so a card number is never also a phone.
_PII_PATTERNS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("EMAIL", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")),
    ("URL", re.compile(r"\bhttps?://[^\s<>\"']+|\bwww\.[A-Za-z0-9-]+\.[A-Za-z]{2,}[^\s<>\"']*")),
    ("AWS_ACCESS_KEY", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    (
        "AWS_SECRET_KEY",
        re.compile(
            r"(?i:aws_secret_access_key|secret access key|secret key)\W{1,3}(?P<v>[A-Za-z0-9/+=]{40})\b"
        ),
    ),
    ("CREDIT_DEBIT_CARD_NUMBER", re.compile(r"\b\d(?:[ -]?\d){12,18}\b")),
    ("US_SOCIAL_SECURITY_NUMBER", re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")),
    (
        "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
        re.compile(r"\b9\d{2}-(?:5\d|6[0-5]|7\d|8[0-8]|9[0-24-9])-\d{4}\b"),
    ),
    ("CREDIT_DEBIT_CARD_CVV", re.compile(r"(?i:\b(?:cvv|cvc|security code)\W{0,3})(?P<v>\d{3,4})\b")),
    (
        "CREDIT_DEBIT_CARD_EXPIRY",
        re.compile(r"(?i:\bexp(?:iry|iration)?(?: date)?\W{0,3})(?P<v>(?:0[1-9]|1[0-2])/\d{2,4})\b"),
    ),
    ("PIN", re.compile(r"(?i:\bpin(?: code| number)?\W{0,3})(?P<v>\d{4,8})\b")),
    ("PASSWORD", re.compile(r"(?i:\bpassword(?: is)?\W{0,3})(?P<v>[^\s,;]{4,})")),
    ("USERNAME", re.compile(r"(?i:\buser ?name(?: is)?\W{0,3})(?P<v>[A-Za-z0-9._-]{3,})")),
    ("IP_ADDRESS", re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")),
    ("MAC_ADDRESS", re.compile(r"\b[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}\b")),
    (
        "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
        re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
    ),
    ("UK_NATIONAL_INSURANCE_NUMBER", re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")),
    (
        "VEHICLE_IDENTIFICATION_NUMBER",
        re.compile(r"\b(?=[A-HJ-NPR-Z0-9]*\d)(?=[A-HJ-NPR-Z0-9]*[A-Z])[A-HJ-NPR-Z0-9]{17}\b"),
    ),
    (
        "PHONE",
        re.compile(
            r"(?<![\w+])(?:\+?1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}\b|\+\d{1,3}(?:[ .-]?\d{2,4}){3,4}\b"
        ),
    ),
    (
        "ADDRESS",
        re.compile(
            rf"\b\d{{1,5}} (?:{_CAPITALIZED} ){{1,3}}(?:{_STREET})\b\.?(?:,? (?:{_CAPITALIZED} ?){{1,2}})?(?:,? [A-Z]{{2}})?(?: \d{{5}})?"
        ),
    ),
    ("AGE", re.compile(r"(?i)\b\d{1,3}(?= years? old\b)|(?<=\bage )\d{1,3}\b|(?<=\baged )\d{1,3}\b")),
    (
        "NAME",
        re.compile(
            rf"(?:\b[Mm]y name is |\bI am |\bI'm |\b[Tt]his is |\b[Nn]ame: )"
            rf"(?P<v>{_CAPITALIZED}(?: {_CAPITALIZED})?)"
            rf"|\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.? {_CAPITALIZED}(?: {_CAPITALIZED})?"
            rf"|\b(?:{_FIRST_NAMES})\b(?: (?!(?:{_STREET})\b){_CAPITALIZED})?"
        ),
    ),
)
_VALIDATORS: Final = {"CREDIT_DEBIT_CARD_NUMBER": _card}

PII_TYPES_DETECTED: Final = frozenset(kind for kind, _ in _PII_PATTERNS)


def find_pii(text: str, wanted: frozenset[str]) -> list[Finding]:
    """PII of the ``wanted`` types in ``text``, in reading order, never overlapping."""
    claimed: list[tuple[int, int]] = []
    found: list[Finding] = []
    for kind, pattern in _PII_PATTERNS:
        for match in pattern.finditer(text):
            # A pattern's ``v`` group, when it took part, is the value after a cue such as "PIN: ".
            value = "v" if "v" in pattern.groupindex and match.group("v") is not None else 0
            start, end = match.span(value)
            if start == end or any(start < b and a < end for a, b in claimed):
                continue
            validator = _VALIDATORS.get(kind)
            if validator is not None and not validator(match):
                continue
            # Claimed even when not wanted: a card number must not resurface as a phone number.
            claimed.append((start, end))
            if kind in wanted:
                found.append(Finding(kind, text[start:end], start, end))
    return sorted(found, key=lambda f: f.start)


def find_regex(text: str, name: str, pattern: re.Pattern[str]) -> list[Finding]:
    return [Finding(name, m.group(0), *m.span()) for m in pattern.finditer(text) if m.group(0)]


# -- words --------------------------------------------------------------------------------------------

# The managed PROFANITY list stands in for Bedrock's (which is not published): a few unambiguous words.
PROFANITY: Final = (
    "damn",
    "dammit",
    "crap",
    "shit",
    "bullshit",
    "fuck",
    "fucking",
    "bastard",
    "asshole",
    "bitch",
    "dickhead",
    "piss off",
    "wanker",
    "bollocks",
)


def find_phrase(text: str, phrase: str) -> Iterator[Finding]:
    """Whole-word, case-insensitive occurrences of ``phrase`` (Bedrock's word filters ignore case)."""
    words = phrase.strip().split()
    if not words:
        return
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)", re.IGNORECASE)
    for match in pattern.finditer(text):
        yield Finding("WORD", match.group(0), *match.span())


# -- content filters ----------------------------------------------------------------------------------

# Per category, keywords at the confidence Bedrock's classifier would give them. A filter of strength
# HIGH blocks LOW, MEDIUM and HIGH confidence; MEDIUM blocks MEDIUM and HIGH; LOW blocks only HIGH.
CONTENT_KEYWORDS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "HATE": {
        "HIGH": ("genocide", "ethnic cleansing", "subhuman", "racial purity"),
        "MEDIUM": ("i hate all", "inferior race", "go back to your country"),
        "LOW": ("those people are all", "hate them"),
    },
    "INSULTS": {
        "HIGH": ("worthless idiot", "pathetic loser", "you disgust me"),
        "MEDIUM": ("idiot", "moron", "stupid", "loser", "dumb"),
        "LOW": ("clueless", "lame", "useless"),
    },
    "SEXUAL": {
        "HIGH": ("explicit sex", "pornographic", "porn", "nude photos"),
        "MEDIUM": ("sexual", "erotic", "naked"),
        "LOW": ("seductive", "sexy", "lingerie"),
    },
    "VIOLENCE": {
        "HIGH": ("kill you", "murder", "shoot them", "behead", "massacre", "torture"),
        "MEDIUM": ("kill", "stab", "beat up", "assault", "shooting"),
        "LOW": ("punch", "fight", "hurt", "weapon"),
    },
    "MISCONDUCT": {
        "HIGH": ("make a bomb", "build a bomb", "make meth", "launder money", "buy stolen"),
        "MEDIUM": ("hack into", "steal", "shoplift", "counterfeit", "evade taxes", "bypass the alarm"),
        "LOW": ("pirated", "cheat on", "fake id"),
    },
    "PROMPT_ATTACK": {
        "HIGH": (
            "ignore all previous instructions",
            "ignore previous instructions",
            "ignore your instructions",
            "disregard your instructions",
            "reveal your system prompt",
        ),
        "MEDIUM": ("jailbreak", "developer mode", "do anything now", "pretend you have no rules"),
        "LOW": ("you are no longer", "act as if you have no"),
    },
}
CONFIDENCE_ORDER: Final = ("NONE", "LOW", "MEDIUM", "HIGH")
# The lowest confidence each filter strength blocks.
STRENGTH_THRESHOLD: Final = {"LOW": "HIGH", "MEDIUM": "MEDIUM", "HIGH": "LOW"}


def content_confidence(text: str, category: str) -> tuple[str, str | None]:
    """The highest confidence at which ``text`` falls into ``category``, and the phrase that put it there."""
    for confidence in ("HIGH", "MEDIUM", "LOW"):
        for phrase in CONTENT_KEYWORDS.get(category, {}).get(confidence, ()):
            if next(find_phrase(text, phrase), None) is not None:
                return confidence, phrase
    return "NONE", None


def blocks(strength: str, confidence: str) -> bool:
    """Whether a filter of ``strength`` acts on content classified at ``confidence``."""
    threshold = STRENGTH_THRESHOLD.get(strength)
    if threshold is None or confidence == "NONE":
        return False
    return CONFIDENCE_ORDER.index(confidence) >= CONFIDENCE_ORDER.index(threshold)


# -- denied topics ------------------------------------------------------------------------------------

_STOPWORDS: Final = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "please",
        "should",
        "so",
        "such",
        "that",
        "the",
        "their",
        "them",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "about",
        "any",
        "some",
        "specific",
        "questions",
        "question",
        "requests",
        "request",
        "asking",
        "ask",
        "tell",
        "give",
        "provide",
        "information",
    ]
)


def content_words(text: str) -> frozenset[str]:
    """The words that carry a text's meaning: lower-cased, stopwords dropped, plural ``s`` stripped."""
    words = set()
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word in _STOPWORDS or len(word) < 3:
            continue
        words.add(word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word)
    return frozenset(words)


def topic_matches(text: str, name: str, definition: str, examples: tuple[str, ...]) -> bool:
    """A denied topic matches a text that contains one of its examples, or shares two of its words."""
    lowered = " ".join(text.lower().split())
    if any(example.strip() and " ".join(example.lower().split()) in lowered for example in examples):
        return True
    vocabulary = content_words(" ".join((name.replace("-", " ").replace("_", " "), definition, *examples)))
    return len(content_words(text) & vocabulary) >= 2


# InvokeGuardrailChecks splits prompt attacks into three categories; their cues, strongest first.
PROMPT_ATTACK_KEYWORDS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "PROMPT_INJECTION": {
        "HIGH": (
            "ignore all previous instructions",
            "ignore previous instructions",
            "disregard your instructions",
        ),
        "MEDIUM": ("ignore your instructions", "new instructions:"),
        "LOW": ("instead, do",),
    },
    "JAILBREAK": {
        "HIGH": ("do anything now", "pretend you have no rules"),
        "MEDIUM": ("jailbreak", "developer mode"),
        "LOW": ("you are no longer", "act as if you have no"),
    },
    "PROMPT_LEAKAGE": {
        "HIGH": ("reveal your system prompt", "print your system prompt"),
        "MEDIUM": ("what is your system prompt", "show me your instructions"),
        "LOW": ("your hidden instructions",),
    },
}


def keyword_confidence(text: str, levels: dict[str, tuple[str, ...]]) -> str:
    """The highest level whose phrases occur in ``text`` ("NONE" when none do)."""
    for confidence in ("HIGH", "MEDIUM", "LOW"):
        if any(next(find_phrase(text, phrase), None) is not None for phrase in levels.get(confidence, ())):
            return confidence
    return "NONE"
