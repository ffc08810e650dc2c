"""The admin API's guard over a real socket: what a hostile web page, a rebound DNS name or a caller
without the token gets, and that the emulator's own users (curl, the dashboard, the pytest plugin,
SDKs calling the data plane by a compose service name) are not caught by it.

Requests are written with http.client so that Host, Origin and Sec-Fetch-Site are exactly what a
browser would send; every refusal is checked to have left the emulator's state alone.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from flask import Flask

from emulator.app import create_app
from emulator.pytest_plugin import BedrockEmulator
from emulator.server import EmulatorServer
from emulator.settings import Settings

TOKEN = "s3cret-admin-token"
MODEL = "amazon.nova-micro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]


class Reply:
    def __init__(self, status: int, headers: dict[str, str], raw: bytes) -> None:
        self.status = status
        self.headers = headers
        self.raw = raw

    def json(self) -> Any:
        assert self.headers["content-type"].startswith("application/json"), (self.headers, self.raw[:200])
        return json.loads(self.raw)


def send(
    server: EmulatorServer,
    method: str,
    path: str,
    *,
    host: str | None = None,
    body: bytes | None = None,
    **headers: str,
) -> Reply:
    """One request with the given headers (underscores become dashes); Host defaults to the real one."""
    parts = urlsplit(server.endpoint_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    sent["Host"] = host if host is not None else parts.netloc
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        received = {name.lower(): value for name, value in response.getheaders()}
        return Reply(response.status, received, response.read())
    finally:
        connection.close()


def converse(server: EmulatorServer, tenant: str) -> None:
    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=tenant,
        aws_secret_access_key="secret",
    )
    client.converse(modelId=MODEL, messages=MESSAGES)
    client.close()


def journal(app: Flask, tenant: str) -> list[Any]:
    entries: list[Any] = app.extensions["bedrock_emulator"].journal.entries(tenant=tenant)
    return entries


@pytest.fixture(scope="module")
def open_app() -> Flask:
    return create_app(Settings(port=0, allowed_host=("bedrock", "ci-runner:9000")))


@pytest.fixture(scope="module")
def open_server(open_app: Flask) -> Iterator[EmulatorServer]:
    with EmulatorServer(open_app) as server:
        yield server


@pytest.fixture(scope="module")
def token_app() -> Flask:
    return create_app(Settings(port=0, admin_token=TOKEN))


@pytest.fixture(scope="module")
def token_server(token_app: Flask) -> Iterator[EmulatorServer]:
    with EmulatorServer(token_app) as server:
        yield server


# --- cross-site requests ------------------------------------------------------------------------------


def test_a_cross_site_text_plain_post_to_reset_is_refused_and_resets_nothing(
    open_app: Flask, open_server: EmulatorServer
) -> None:
    converse(open_server, "csrf-victim")

    # What a <form enctype="text/plain"> or fetch(..., {mode: "no-cors"}) on another site sends.
    reply = send(
        open_server,
        "POST",
        "/_emulator/reset",
        body=b'{"tenant": "csrf-victim"}',
        Content_Type="text/plain",
        Origin="https://evil.example",
        Sec_Fetch_Site="cross-site",
    )

    assert reply.status == 403
    assert reply.json()["error"] == "Forbidden"
    assert "cross-site" in reply.json()["message"]
    assert len(journal(open_app, "csrf-victim")) == 1


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Origin": "https://evil.example"}, "Origin 'https://evil.example'"),
        ({"Origin": "null"}, "Origin 'null'"),  # sandboxed frames, file: pages
        ({"Sec-Fetch-Site": "cross-site"}, "Sec-Fetch-Site"),
        ({"Origin": "http://localhost:3000"}, "Origin 'http://localhost:3000'"),  # another local app
    ],
    ids=["foreign-origin", "null-origin", "fetch-metadata-only", "other-local-port"],
)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/_emulator/reset", b"{}"),
        ("POST", "/_emulator/clock/advance", b'{"seconds": 3600}'),
        ("PUT", "/_emulator/tenants/victim/scenario", b'{"name": "throttle-always"}'),
        ("DELETE", "/_emulator/scenarios/throttle-always", None),
        ("PUT", "/_emulator/scenarios", b"name: planted\nrules: []\n"),
    ],
    ids=["reset", "clock", "bind", "delete-scenario", "load-scenario"],
)
def test_state_changing_admin_requests_from_another_site_get_403(
    open_app: Flask,
    open_server: EmulatorServer,
    headers: dict[str, str],
    reason: str,
    method: str,
    path: str,
    body: bytes | None,
) -> None:
    state = open_app.extensions["bedrock_emulator"]
    clock_before = state.engine.clock.offset

    reply = send(open_server, method, path, body=body, **{k.replace("-", "_"): v for k, v in headers.items()})

    assert reply.status == 403, reply.raw
    assert reason in reply.json()["message"]
    assert state.engine.clock.offset == clock_before
    assert state.engine.bindings().get("victim") is None
    assert state.engine.get("throttle-always") is not None
    assert state.engine.get("planted") is None


def test_same_origin_requests_change_state_as_before(open_app: Flask, open_server: EmulatorServer) -> None:
    converse(open_server, "same-origin")
    origin = open_server.endpoint_url  # the dashboard's own origin

    reply = send(
        open_server,
        "POST",
        "/_emulator/reset",
        body=b'{"tenant": "same-origin"}',
        Content_Type="application/json",
        Origin=origin,
        Sec_Fetch_Site="same-origin",
    )

    assert reply.status == 200, reply.raw
    assert reply.json() == {"reset": "same-origin"}
    assert journal(open_app, "same-origin") == []


def test_requests_without_origin_such_as_curl_and_scripts_are_not_affected(
    open_server: EmulatorServer,
) -> None:
    reply = send(
        open_server,
        "POST",
        "/_emulator/clock/advance",
        body=b'{"seconds": 0}',
        Content_Type="application/json",
    )

    assert reply.status == 200
    assert "now" in reply.json()


def test_cross_site_reads_are_answered_but_never_shared_with_the_page(open_server: EmulatorServer) -> None:
    reply = send(open_server, "GET", "/_emulator/requests", Origin="https://evil.example")

    assert reply.status == 200
    # No CORS grant: the browser keeps the body from the foreign page.
    assert not any(name.startswith("access-control-") for name in reply.headers)


# --- Host (DNS rebinding) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "localhost:8484",
        "LOCALHOST",
        "127.0.0.1:1",
        "127.8.9.10:8484",
        "[::1]:8484",
        "dashboard.localhost:8484",
    ],
)
def test_admin_api_answers_loopback_host_names_on_any_port(open_server: EmulatorServer, host: str) -> None:
    reply = send(open_server, "GET", "/_emulator/scenarios", host=host)

    assert reply.status == 200, reply.raw


@pytest.mark.parametrize(
    "host", ["evil.example:8484", "localhost.evil.example", "192.168.1.20:8484", "bedrock.evil", "", "[::1"]
)
def test_admin_api_refuses_other_host_names_as_dns_rebinding_would_send(
    open_server: EmulatorServer, host: str
) -> None:
    reply = send(open_server, "GET", "/_emulator/requests", host=host)

    assert reply.status == 403
    assert reply.json()["error"] == "Forbidden"
    assert "Host" in reply.json()["message"] or "allowed host" in reply.json()["message"]


def test_refusal_names_the_flag_that_allows_the_host(open_server: EmulatorServer) -> None:
    reply = send(open_server, "GET", "/_emulator/requests", host="bedrock-emulator:8484")

    assert "--allowed-host bedrock-emulator" in reply.json()["message"]


@pytest.mark.parametrize(
    ("host", "status"),
    [("bedrock:8484", 200), ("bedrock", 200), ("ci-runner:9000", 200), ("ci-runner:9001", 403)],
)
def test_allowed_host_admits_its_name_on_any_port_or_only_its_given_port(
    open_server: EmulatorServer, host: str, status: int
) -> None:
    assert send(open_server, "GET", "/_emulator/scenarios", host=host).status == status


def test_an_allowed_host_still_refuses_a_foreign_origin(open_server: EmulatorServer) -> None:
    def reset_from(origin: str) -> Reply:
        body = b'{"tenant": "nobody"}'
        return send(
            open_server,
            "POST",
            "/_emulator/reset",
            host="bedrock:8484",
            body=body,
            Content_Type="application/json",
            Origin=origin,
        )

    same = reset_from("http://bedrock:8484")
    foreign = reset_from("http://evil.example")

    assert same.status == 200
    assert foreign.status == 403


def test_health_answers_any_host_so_orchestrators_can_probe_by_ip_or_service_name(
    open_server: EmulatorServer,
) -> None:
    reply = send(open_server, "GET", "/_emulator/health", host="10.1.2.3:8484")

    assert reply.status == 200
    assert reply.json()["status"] == "ok"


def test_data_plane_does_not_check_host_so_sdks_can_use_a_service_name(open_server: EmulatorServer) -> None:
    reply = send(
        open_server,
        "POST",
        f"/model/{MODEL}/converse",
        host="bedrock:8484",
        body=json.dumps({"messages": MESSAGES}).encode(),
        Content_Type="application/json",
    )

    assert reply.status == 200, reply.raw
    assert reply.json()["output"]["message"]["role"] == "assistant"


def test_allowed_host_star_turns_the_host_check_off_but_not_the_origin_check() -> None:
    with EmulatorServer(create_app(Settings(port=0, allowed_host=("*",)))) as server:
        read = send(server, "GET", "/_emulator/scenarios", host="anything.example")
        forged = send(
            server,
            "POST",
            "/_emulator/reset",
            host="anything.example",
            Origin="http://evil.example",
            body=b"{}",
        )

    assert read.status == 200
    assert forged.status == 403


# --- the admin token ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_emulator/scenarios"),
        ("GET", "/_emulator/requests"),
        ("GET", "/_emulator/requests/export"),
        ("GET", "/_emulator/tenants"),
        ("POST", "/_emulator/reset"),
        ("GET", "/_emulator/no-such-route"),  # not a 404 that would confirm which paths exist
    ],
)
def test_with_a_token_admin_routes_answer_401_with_a_bearer_challenge_without_it(
    token_server: EmulatorServer, method: str, path: str
) -> None:
    reply = send(token_server, method, path, body=b"{}" if method == "POST" else None)

    assert reply.status == 401
    assert reply.headers["www-authenticate"].startswith("Bearer ")
    assert reply.json()["error"] == "Unauthorized"
    assert "Authorization: Bearer" in reply.json()["message"]


@pytest.mark.parametrize(
    "authorization", [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer "]
)
def test_a_wrong_token_or_scheme_is_refused(token_server: EmulatorServer, authorization: str) -> None:
    reply = send(token_server, "GET", "/_emulator/scenarios", Authorization=authorization)

    assert reply.status == 401


def test_the_right_token_opens_every_admin_route(token_app: Flask, token_server: EmulatorServer) -> None:
    converse(token_server, "token-tenant")

    listed = send(
        token_server, "GET", "/_emulator/requests?tenant=token-tenant", Authorization=f"Bearer {TOKEN}"
    )
    reset = send(
        token_server,
        "POST",
        "/_emulator/reset",
        body=b'{"tenant": "token-tenant"}',
        Authorization=f"bearer {TOKEN}",  # the scheme is case-insensitive
        Content_Type="application/json",
    )

    assert listed.status == 200
    assert [e["tenant"] for e in listed.json()["requests"]] == ["token-tenant"]
    assert reset.status == 200
    assert journal(token_app, "token-tenant") == []


def test_health_and_the_dashboard_page_need_no_token_but_carry_no_data(token_server: EmulatorServer) -> None:
    health = send(token_server, "GET", "/_emulator/health")
    page = send(token_server, "GET", "/_emulator/ui")

    assert health.status == 200
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in page.headers


def test_the_token_does_not_excuse_a_cross_site_request(token_server: EmulatorServer) -> None:
    reply = send(
        token_server,
        "POST",
        "/_emulator/reset",
        body=b"{}",
        Authorization=f"Bearer {TOKEN}",
        Origin="https://evil.example",
    )

    assert reply.status == 403


def test_pytest_plugin_admin_helper_sends_the_token(token_server: EmulatorServer) -> None:
    handle = BedrockEmulator(token_server, "plugin-tenant")

    handle.admin("PUT", "tenants/plugin-tenant/scenario", {"name": "throttle-always"})
    tenants = handle.admin("GET", "tenants")

    assert {"tenant": "plugin-tenant", "scenario": "throttle-always"} in tenants["tenants"]
    handle.close()


def test_the_token_never_appears_in_the_settings_repr() -> None:
    assert TOKEN not in repr(Settings(admin_token=TOKEN))


def test_admin_body_over_its_limit_is_refused_with_json_413() -> None:
    from emulator.app import ADMIN_MAX_BODY_BYTES

    with EmulatorServer(create_app(Settings(library=False))) as server:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
        conn.putrequest("PUT", "/_emulator/scenarios")
        conn.putheader("Content-Type", "text/yaml")
        conn.putheader("Content-Length", str(ADMIN_MAX_BODY_BYTES + 1))
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413
        assert response.getheader("Content-Type") == "application/json"
        conn.close()
