"""The strict HTTP/1.1 head parser and the environ it gives, against what Werkzeug's server builds."""

from __future__ import annotations

import pytest

from emulator.request_head import HeadError, parse_head, wsgi_environ


def _environ(line: bytes, *fields: bytes) -> dict[str, object]:
    head = parse_head(line, list(fields))
    return wsgi_environ(
        head,
        None,
        server_name="127.0.0.1",
        server_port=8484,
        client=("127.0.0.1", 5555),
        server_software="bedrock-emulator",
        connection=None,
    )


def test_an_arn_model_id_keeps_its_escapes_in_raw_uri_and_is_decoded_in_path_info() -> None:
    target = b"/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Ainference-profile%2Fus.x/converse?a=1"
    environ = _environ(b"POST " + target + b" HTTP/1.1\r\n", b"Host: h\r\n", b"Content-Length: 2\r\n")
    assert environ["RAW_URI"] == target.decode()
    assert environ["PATH_INFO"] == "/model/arn:aws:bedrock:us-east-1:123:inference-profile/us.x/converse"
    assert environ["QUERY_STRING"] == "a=1"
    assert environ["CONTENT_LENGTH"] == "2"
    assert environ["HTTP_HOST"] == "h"


def test_repeated_fields_are_joined_and_underscored_names_dropped_as_werkzeug_does() -> None:
    environ = _environ(b"GET / HTTP/1.1\r\n", b"X-A: 1\r\n", b"X-A: 2\r\n", b"X_B: 3\r\n")
    assert environ["HTTP_X_A"] == "1,2"
    assert "HTTP_X_B" not in environ


def test_keep_alive_follows_the_version_and_the_connection_field() -> None:
    assert parse_head(b"GET / HTTP/1.1", []).keep_alive
    assert not parse_head(b"GET / HTTP/1.1", [b"Connection: close\r\n"]).keep_alive
    assert not parse_head(b"GET / HTTP/1.0", []).keep_alive
    assert parse_head(b"GET / HTTP/1.0", [b"Connection: Keep-Alive\r\n"]).keep_alive


@pytest.mark.parametrize(
    ("line", "fields", "status"),
    [
        (b"GET /", [], 400),
        (b"GET / HTTP/2.0", [], 505),
        (b"GET / FTP/1.1", [], 400),
        (b"G(T / HTTP/1.1", [], 400),
        (b"GET / HTTP/1.1", [b"X-Y: 1\r\n"] * 101, 431),
        (b"POST / HTTP/1.1", [b"Content-Length: 1\r\n", b"Content-Length: 2\r\n"], 400),
        (b"POST / HTTP/1.1", [b"Content-Length: 1\r\n", b"Transfer-Encoding: chunked\r\n"], 400),
        (b"POST / HTTP/1.1", [b"Transfer-Encoding: gzip\r\n"], 400),
        (b"POST / HTTP/1.1", [b"NoColon\r\n"], 400),
        (b"POST / HTTP/1.1", [b"X-A: 1\r\n", b" folded\r\n"], 400),
    ],
)
def test_heads_that_are_not_plain_http_1_are_refused(line: bytes, fields: list[bytes], status: int) -> None:
    with pytest.raises(HeadError) as refused:
        parse_head(line, fields)
    assert refused.value.status == status


def test_chunked_sets_input_terminated() -> None:
    environ = _environ(b"POST / HTTP/1.1\r\n", b"Transfer-Encoding: chunked\r\n")
    assert environ["wsgi.input_terminated"] is True
