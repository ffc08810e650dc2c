"""Who may use the admin API (``/_emulator/``): checked in front of Flask, so every admin path is covered,
routed or not.

Three checks, in this order (docs/admin-security.md explains the threats):

1. **Host** (DNS rebinding): the ``Host`` a request was addressed to must be a loopback name
   (``localhost``, ``*.localhost``, ``127.0.0.0/8``, ``[::1]``, any port) or match ``--allowed-host``
   (``name`` for any port, ``name:port``, or ``*`` for any Host). ``GET /_emulator/health`` is exempt:
   orchestrators probe it by pod IP or service name, and it tells nothing a caller could misuse.
2. **Site** (cross-site request forgery): a state-changing request (any method but GET, HEAD and OPTIONS)
   is refused when ``Sec-Fetch-Site`` says ``cross-site``, or when its ``Origin`` is ``null`` or names
   another host:port than the request's own ``Host`` (or an ``--allowed-host`` entry with a name).
3. **Token**: with ``--admin-token`` set, every admin path but health and the dashboard page needs
   ``Authorization: Bearer <token>`` (compared in constant time); 401 with ``WWW-Authenticate`` otherwise.

The data plane (Bedrock's own routes) checks none of these: SDKs in a compose network address it by
service name, and it changes nothing a page could abuse beyond its own anonymous tenant.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["ANY_HOST", "AdminGuard", "HostPattern", "Refusal"]

HEALTH_PATH = "/_emulator/health"
UI_PATH = "/_emulator/ui"
ANY_HOST = "*"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

_log = logging.getLogger("bedrock_emulator.admin")


@dataclass(frozen=True)
class Authority:
    """A host and port as a request names them: lower-cased host (IPv6 without brackets), explicit port."""

    host: str
    port: int


def parse_authority(text: str, default_port: int = 80) -> Authority | None:
    """``name``, ``name:port``, ``1.2.3.4:port``, ``[v6]`` or ``[v6]:port``; None when malformed."""
    text = text.strip().lower()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else ""
    elif text.count(":") > 1:
        return None  # a bare IPv6 address is not a valid Host
    else:
        host, _, port_text = text.partition(":")
    if not host:
        return None
    if not port_text:
        return Authority(host, default_port)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    return Authority(host, int(port_text))


def is_loopback_name(host: str) -> bool:
    """``localhost``, a name under ``.localhost`` (RFC 6761: never resolved through DNS, so never
    rebound), or a loopback address."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


@dataclass(frozen=True)
class HostPattern:
    """One ``--allowed-host`` entry: ``*``, ``name`` (any port) or ``name:port``."""

    host: str
    port: int | None

    @classmethod
    def parse(cls, text: str) -> HostPattern:
        text = text.strip()
        if text == ANY_HOST:
            return cls(ANY_HOST, None)
        authority = parse_authority(text, default_port=0)
        if authority is None or "/" in text or "@" in text:
            raise ValueError(f"expected a host name, host:port or *, got {text!r}")
        return cls(authority.host, authority.port or None)

    def matches(self, authority: Authority) -> bool:
        if self.host == ANY_HOST:
            return True
        return self.host == authority.host and self.port in (None, authority.port)


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, as the admin API's other errors say it: ``{"error", "message"}``."""

    status: int
    error: str
    message: str

    def respond(self, start_response: Callable[..., Any]) -> list[bytes]:
        body = json.dumps({"error": self.error, "message": self.message}).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ]
        if self.status == 401:
            headers.append(("WWW-Authenticate", 'Bearer realm="bedrock-emulator admin API"'))
        reason = "401 Unauthorized" if self.status == 401 else "403 Forbidden"
        start_response(reason, headers)
        return [body]


def _forbidden(message: str) -> Refusal:
    return Refusal(403, "Forbidden", message)


def _digest(value: str) -> bytes:
    # Hashing first makes the constant-time comparison independent of the given value's length too.
    return hashlib.sha256(value.encode("utf-8", "replace")).digest()


class AdminGuard:
    """WSGI middleware in front of the admin app: answers a `Refusal` or passes the request on."""

    def __init__(
        self,
        app: Callable[..., Any],
        *,
        allowed_hosts: Iterable[str] = (),
        token: str | None = None,
    ) -> None:
        self.app = app
        self.allowed = tuple(HostPattern.parse(entry) for entry in allowed_hosts)
        self._any_host = any(pattern.host == ANY_HOST for pattern in self.allowed)
        self._token = _digest(token) if token is not None else None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        refusal = self.check(environ)
        if refusal is None:
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        level = logging.INFO if refusal.status == 401 else logging.WARNING
        if _log.isEnabledFor(level):
            _log.log(level, "admin API refused %s %s: %s", method, path, refusal.message)
        return refusal.respond(start_response)

    def check(self, environ: dict[str, Any]) -> Refusal | None:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "")
        host_header = environ.get("HTTP_HOST", "")
        authority = parse_authority(host_header)
        if path == HEALTH_PATH and method in SAFE_METHODS:
            return None
        refusal = self._check_host(host_header, authority)
        if refusal is None and method not in SAFE_METHODS:
            refusal = self._check_site(environ, authority)
        if refusal is None and self._token is not None and path != UI_PATH:
            refusal = self._check_token(environ.get("HTTP_AUTHORIZATION", ""))
        return refusal

    def _check_host(self, header: str, authority: Authority | None) -> Refusal | None:
        if self._any_host:
            return None
        if authority is None:
            return _forbidden(f"the admin API needs a valid Host header, got {header!r}")
        if is_loopback_name(authority.host) or any(p.matches(authority) for p in self.allowed):
            return None
        return _forbidden(
            f"the admin API answers only requests addressed to localhost or an allowed host, not "
            f"{header!r} (a defence against DNS rebinding); to reach it by this name, start the emulator "
            f"with --allowed-host {authority.host} (BEDROCK_EMULATOR_ALLOWED_HOST)"
        )

    def _check_site(self, environ: dict[str, Any], authority: Authority | None) -> Refusal | None:
        if environ.get("HTTP_SEC_FETCH_SITE", "").strip().lower() == "cross-site":
            return _forbidden("cross-site request refused (Sec-Fetch-Site: cross-site)")
        origin = environ.get("HTTP_ORIGIN")
        if origin is None:
            return None  # not sent by a browser (curl, SDKs, scripts): nothing to forge
        if origin.strip().lower() == "null" or not self._same_site(origin, authority):
            return _forbidden(
                f"cross-site request refused: Origin {origin!r} is not this server; state-changing admin "
                "requests must come from the same origin or carry no Origin"
            )
        return None

    def _same_site(self, origin: str, authority: Authority | None) -> bool:
        try:
            parts = urlsplit(origin.strip())
            hostname, port = parts.hostname, parts.port
        except ValueError:
            return False
        if not hostname or parts.scheme not in _DEFAULT_PORTS:
            return False
        source = Authority(hostname.lower(), port or _DEFAULT_PORTS[parts.scheme])
        if source == authority:
            return True
        return any(p.host != ANY_HOST and p.matches(source) for p in self.allowed)

    def _check_token(self, header: str) -> Refusal | None:
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return Refusal(
                401,
                "Unauthorized",
                "this emulator's admin API needs its token: send Authorization: Bearer <token> "
                "(the value of serve --admin-token / BEDROCK_EMULATOR_ADMIN_TOKEN)",
            )
        assert self._token is not None
        if not hmac.compare_digest(_digest(credentials.strip()), self._token):
            return Refusal(401, "Unauthorized", "the admin token does not match")
        return None
