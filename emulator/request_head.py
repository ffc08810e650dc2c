"""An HTTP/1.1 request head (request line and header fields) parsed strictly, and its WSGI environ.

`emulator.server` reads the head off the socket within its bounds and hands the bytes here. Parsing it
directly instead of through ``http.server``'s email-based parser and Werkzeug's ``make_environ`` costs a
tenth of what they did per request; the environ is the one Werkzeug builds (the same keys and the same
latin-1 "encoding dance" of the path), so the applications cannot tell.

A head is refused (`HeadError`, with the status the server answers) when it is not HTTP/1.x, a field
line has no colon or starts with white space (obsolete line folding), there are more than
`MAX_FIELDS` fields, or the body's length is ambiguous (two different Content-Lengths, Content-Length
beside Transfer-Encoding, a coding other than chunked): the request-smuggling shapes of RFC 9112 6.3.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["MAX_FIELDS", "HeadError", "Headers", "RequestHead", "parse_head", "wsgi_environ"]

MAX_FIELDS = 100
_METHOD_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class HeadError(Exception):
    """A request head the server refuses: ``status`` and a short ``message`` for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Headers:
    """Header fields in arrival order, looked up without regard to case."""

    __slots__ = ("_by_name", "fields")

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self.fields = fields
        self._by_name: dict[str, list[str]] = {}
        for name, value in fields:
            self._by_name.setdefault(name.lower(), []).append(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._by_name.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        return list(self._by_name.get(name.lower(), ()))

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(self.fields)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_name


@dataclass(frozen=True)
class RequestHead:
    method: str
    target: str  # as sent, latin-1 text of the raw bytes
    version: str  # HTTP/1.0 or HTTP/1.1
    headers: Headers
    chunked: bool

    @property
    def keep_alive(self) -> bool:
        tokens = {t.strip().lower() for t in (self.headers.get("Connection") or "").split(",")}
        if self.version == "HTTP/1.1":
            return "close" not in tokens
        return "keep-alive" in tokens


def parse_head(request_line: bytes, field_lines: list[bytes]) -> RequestHead:
    """The request line (without its CRLF or with it) and the field lines up to the empty one."""
    words = request_line.decode("latin-1").rstrip("\r\n").split()
    if len(words) != 3:
        raise HeadError(400, "Bad request syntax")
    method, target, version = words
    if not version.startswith("HTTP/") or not _is_version(version[5:]):
        raise HeadError(400, "Bad request version")
    if version[5:6] != "1":
        raise HeadError(505, "HTTP Version Not Supported")
    if not method or not _METHOD_CHARS.issuperset(method):
        raise HeadError(400, "Bad request method")
    if len(field_lines) > MAX_FIELDS:
        raise HeadError(431, "Too many headers")
    fields: list[tuple[str, str]] = []
    for raw in field_lines:
        line = raw.decode("latin-1").rstrip("\r\n")
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip() or line[0] in " \t":
            raise HeadError(400, "Malformed header field")
        fields.append((name, value.strip(" \t")))
    headers = Headers(fields)
    lengths = {value.strip() for value in headers.get_all("Content-Length")}
    coding = (headers.get("Transfer-Encoding") or "").strip().lower()
    if len(lengths) > 1:
        raise HeadError(400, "Conflicting Content-Length fields")
    if lengths and coding:
        raise HeadError(400, "Both Transfer-Encoding and Content-Length")
    if coding and coding != "chunked":
        raise HeadError(400, "Unsupported Transfer-Encoding")
    return RequestHead(
        method, target, "HTTP/1.1" if version == "HTTP/1.1" else "HTTP/1.0", headers, bool(coding)
    )


def _is_version(number: str) -> bool:
    major, dot, minor = number.partition(".")
    return bool(dot) and major.isdigit() and minor.isdigit() and len(major) < 4 and len(minor) < 4


def _dance(text: str) -> str:
    """Werkzeug's WSGI "encoding dance" (PEP 3333 native strings), so environ values match its server."""
    return text.encode("utf-8").decode("latin-1")


def wsgi_environ(
    head: RequestHead,
    body: Any,
    *,
    server_name: str,
    server_port: int,
    client: tuple[str, int],
    server_software: str,
    connection: Any,
) -> dict[str, Any]:
    """The WSGI environ Werkzeug's development server builds for this head (``wsgi.input`` is ``body``)."""
    target = head.target
    if target.startswith("/"):
        path, _, query = target.partition("?")
        host = None
    else:  # absolute form: http://host/path?query
        parts = urlsplit(target)
        path, query = parts.path, parts.query
        host = parts.netloc if parts.scheme and parts.netloc else None
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "werkzeug.socket": connection,
        "SERVER_SOFTWARE": server_software,
        "REQUEST_METHOD": head.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _dance(unquote(path)),
        "QUERY_STRING": _dance(query),
        "REQUEST_URI": _dance(target),
        "RAW_URI": _dance(target),
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": client[1],
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(server_port),
        "SERVER_PROTOCOL": head.version,
    }
    for name, value in head.headers.items():
        if "_" in name:
            continue  # as Werkzeug: "_" and "-" would collide in CGI names
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = f"{environ[key]},{value}" if key.startswith("HTTP_") and key in environ else value
    if host is not None:
        environ["HTTP_HOST"] = host
    if head.chunked:
        environ["wsgi.input_terminated"] = True
    return environ
