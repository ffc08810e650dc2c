"""The bounded JSON body parser: what it refuses, with which SerializationException, and what it reads."""

from __future__ import annotations

import threading

import pytest

from emulator.providers import MALFORMED_BODY, parse_body
from emulator.wire.binding import MAX_DEPTH, nesting_depth, parse_json_body, read_json
from emulator.wire.errors import AwsError


def _refusal(raw: bytes) -> str:
    with pytest.raises(AwsError) as caught:
        parse_json_body(raw)
    assert caught.value.code == "SerializationException"
    return caught.value.message


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        (b"{}", 1),
        (b'{"a":1}', 1),
        (b"1", 0),
        (b"[" * 200 + b"]" * 200, 200),
        (b'{"a":' * 150 + b"1" + b"}" * 150, 150),
        (b'["' + b"[" * 500 + b'"]', 1),  # brackets inside a string do not nest
        (b'["\\"' + b"[" * 500 + b'"]', 1),  # nor after an escaped quote
        (b"[]" * 1000, 1),
    ],
)
def test_nesting_depth_counts_brackets_outside_strings(raw: bytes, depth: int) -> None:
    assert nesting_depth(raw) == depth


def test_nesting_up_to_the_limit_is_read_and_one_more_level_is_refused_before_decoding() -> None:
    at_limit = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert read_json(at_limit) is not None
    message = _refusal(b'{"a":' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}")
    assert message == f"Document nesting depth ({MAX_DEPTH + 1}) exceeds the maximum allowed ({MAX_DEPTH})"


def test_a_hundred_thousand_levels_never_reach_the_decoder_even_on_a_small_stack() -> None:
    outcome: list[str] = []
    previous = threading.stack_size(256 * 1024)
    try:
        worker = threading.Thread(target=lambda: outcome.append(_refusal(b"[" * 100_000)))
        worker.start()
        worker.join()
    finally:
        threading.stack_size(previous)
    assert len(outcome) == 1
    assert outcome[0].startswith("Document nesting depth (100000)")


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":NaN}',
        b'{"a":-Infinity}',
        b'{"a":1e999}',  # a double would be infinite
        b'{"a":' + b"9" * 5000 + b"}",  # more digits than Python converts
        b'{"a":"\xc3\x28"}',  # invalid UTF-8
        b"{",
        b"null",
        b"42",
        b'"text"',
    ],
)
def test_what_json_or_a_double_cannot_hold_is_unreadable(raw: bytes) -> None:
    assert _refusal(raw) == "Unable to parse the request body as JSON."


def test_a_top_level_list_is_a_start_of_list_refusal() -> None:
    assert _refusal(b"[{}]") == "Start of list found where not expected"


def test_large_but_finite_numbers_and_a_byte_order_mark_are_read() -> None:
    assert parse_json_body(b'\xef\xbb\xbf{"a":1e308,"b":' + b"9" * 400 + b"}") == {
        "a": 1e308,
        "b": int("9" * 400),
    }
    assert parse_json_body(b"  ") == {}


def test_a_lone_surrogate_reads_as_a_question_mark_and_a_pair_as_its_character() -> None:
    body = parse_json_body(b'{"a":"x\\ud800y","b":"\\ud83d\\ude00"}')
    assert body == {"a": "x?y", "b": "\U0001f600"}
    assert body["a"].encode("utf-8")  # nothing downstream can fail to encode it


def test_invoke_model_bodies_get_the_same_bounds_with_the_providers_own_message() -> None:
    for raw in (b"[" * 5000, b'{"prompt":NaN}', b'{"prompt":1e999}'):
        with pytest.raises(AwsError) as caught:
            parse_body(raw)
        assert (caught.value.code, caught.value.message) == ("ValidationException", MALFORMED_BODY)
