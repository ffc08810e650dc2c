"""The ``/_emulator/`` admin API over HTTP, as a non-Python client (curl, a CI script) would use it.

Health, scenarios (list / load YAML or JSON / delete), tenant bindings, reset, the journal and its
filters, the virtual clock, and errors: always JSON, never an HTML page. The data-plane effects are
checked with plain boto3 using the tenant's access key.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from emulator.app import create_app
from emulator.pytest_plugin import BedrockEmulator
from emulator.server import EmulatorServer
from emulator.settings import Settings

MODEL = "amazon.nova-micro-v1:0"
COUNT_MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]
CONTRACT_SCENARIOS = {
    "throttle-always",
    "throttle-first-3",
    "quota-47-rpm",
    "stream-exception-after-5",
    "service-unavailable-20pct",
}
RPM_MESSAGE = (
    "Too many requests, please wait before trying again. "
    "You have sent too many requests.  Wait before trying again."
)


class Reply:
    """One admin response: status, content type and the parsed JSON body."""

    def __init__(self, status: int, content_type: str, raw: bytes) -> None:
        self.status = status
        self.content_type = content_type
        self.raw = raw

    def json(self) -> Any:
        assert self.content_type.startswith("application/json"), (self.content_type, self.raw[:200])
        return json.loads(self.raw)


def admin(
    endpoint_url: str,
    method: str,
    path: str,
    body: bytes | str | dict[str, Any] | list[Any] | None = None,
    content_type: str = "application/json",
) -> Reply:
    parts = urlsplit(endpoint_url)
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        headers = {"Content-Type": content_type} if data is not None else {}
        connection.request(method, f"/_emulator/{path}", body=data, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.getheader("Content-Type") or "", response.read())
    finally:
        connection.close()


def runtime_client(endpoint_url: str, access_key: str) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key="secret",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def converse_status(client: Any) -> int:
    """200, or the HTTP status of the error the call raised."""
    try:
        client.converse(modelId=MODEL, messages=MESSAGES)
    except client.exceptions.ClientError as exc:
        return int(exc.response["ResponseMetadata"]["HTTPStatusCode"])
    return 200


@pytest.fixture(scope="module")
def small_server() -> Iterator[EmulatorServer]:
    """A private server with a 5-entry journal, for the journal bound and a reset of every tenant."""
    with EmulatorServer(create_app(Settings(port=0, journal_size=5))) as server:
        yield server


def test_health_reports_ok_and_the_loaded_scenarios(bedrock_emulator: BedrockEmulator) -> None:
    reply = admin(bedrock_emulator.endpoint_url, "GET", "health")

    assert reply.status == 200
    health = reply.json()
    assert health["status"] == "ok"
    assert isinstance(health["version"], str)
    assert health["uptime_seconds"] >= 0
    assert health["strict"] is False
    assert set(health["scenarios"]) >= CONTRACT_SCENARIOS


def test_scenarios_lists_the_shipped_library(bedrock_emulator: BedrockEmulator) -> None:
    reply = admin(bedrock_emulator.endpoint_url, "GET", "scenarios")

    assert reply.status == 200
    listed = {s["name"]: s for s in reply.json()["scenarios"]}
    assert set(listed) >= CONTRACT_SCENARIOS
    assert listed["throttle-first-3"]["rules"] == ["first-3"]
    assert listed["throttle-first-3"]["description"]


def test_put_scenario_as_yaml_then_as_json_loads_and_lists_both(bedrock_emulator: BedrockEmulator) -> None:
    url = bedrock_emulator.endpoint_url
    yaml_name, json_name = f"{bedrock_emulator.tenant}-yaml", f"{bedrock_emulator.tenant}-json"
    yaml_text = f"""
version: 1
name: {yaml_name}
rules:
  - id: burst
    take: {{first: 2}}
    error: ThrottlingException
"""
    json_body = {
        "version": 1,
        "name": json_name,
        "rules": [{"id": "gone", "match": {"operations": ["Converse"]}, "error": "ModelTimeoutException"}],
    }
    try:
        loaded_yaml = admin(url, "PUT", "scenarios", yaml_text, "application/yaml")
        loaded_json = admin(url, "PUT", "scenarios", json_body)

        assert (loaded_yaml.status, loaded_yaml.json()) == (201, {"loaded": yaml_name})
        assert (loaded_json.status, loaded_json.json()) == (201, {"loaded": json_name})
        listed = {s["name"]: s["rules"] for s in admin(url, "GET", "scenarios").json()["scenarios"]}
        assert listed[yaml_name] == ["burst"]
        assert listed[json_name] == ["gone"]
    finally:
        admin(url, "DELETE", f"scenarios/{yaml_name}")
        admin(url, "DELETE", f"scenarios/{json_name}")


def test_put_invalid_scenario_answers_400_naming_rule_field_and_expectation(
    bedrock_emulator: BedrockEmulator,
) -> None:
    url = bedrock_emulator.endpoint_url
    name = f"{bedrock_emulator.tenant}-bad"
    text = f"version: 1\nname: {name}\nrules:\n  - id: flaky\n    take: {{firsst: 3}}\n    error: ThrottlingException\n"

    reply = admin(url, "PUT", "scenarios", text, "application/yaml")

    assert reply.status == 400
    problem = reply.json()
    assert problem["error"] == "InvalidScenario"
    assert "rule 'flaky'" in problem["message"]
    assert "rules[0].take.firsst" in problem["message"]
    assert "expected a known field" in problem["message"]
    assert name not in {s["name"] for s in admin(url, "GET", "scenarios").json()["scenarios"]}


def test_put_scenario_with_an_undeclared_error_code_is_refused(bedrock_emulator: BedrockEmulator) -> None:
    body = {
        "version": 1,
        "name": f"{bedrock_emulator.tenant}-undeclared",
        "rules": [{"id": "x", "match": {"operations": ["Converse"]}, "error": "NoSuchException"}],
    }
    reply = admin(bedrock_emulator.endpoint_url, "PUT", "scenarios", body)

    assert reply.status == 400
    assert "rules[0].error.code" in reply.json()["message"]
    assert "NoSuchException is not declared by Converse" in reply.json()["message"]


def test_put_empty_body_is_refused_as_json(bedrock_emulator: BedrockEmulator) -> None:
    reply = admin(bedrock_emulator.endpoint_url, "PUT", "scenarios", b"")

    assert reply.status == 400
    assert reply.json()["error"] == "InvalidScenario"


def test_delete_scenario_then_a_second_delete_is_404_json(bedrock_emulator: BedrockEmulator) -> None:
    url = bedrock_emulator.endpoint_url
    name = f"{bedrock_emulator.tenant}-doomed"
    admin(
        url,
        "PUT",
        "scenarios",
        {"version": 1, "name": name, "rules": [{"id": "r", "error": "ThrottlingException"}]},
    )

    first = admin(url, "DELETE", f"scenarios/{name}")
    second = admin(url, "DELETE", f"scenarios/{name}")

    assert (first.status, first.json()) == (200, {"deleted": name})
    assert second.status == 404
    assert second.json()["error"] == "ScenarioNotFound"
    assert name in second.json()["message"]


def test_bound_scenario_applies_to_the_tenant_access_key_until_unbound(
    bedrock_emulator: BedrockEmulator,
) -> None:
    url, tenant = bedrock_emulator.endpoint_url, bedrock_emulator.tenant
    client = runtime_client(url, tenant)

    bound = admin(url, "PUT", f"tenants/{tenant}/scenario", {"name": "throttle-always"})
    assert (bound.status, bound.json()) == (200, {"tenant": tenant, "scenario": "throttle-always"})
    with pytest.raises(client.exceptions.ThrottlingException) as excinfo:
        client.converse(modelId=MODEL, messages=MESSAGES)
    assert excinfo.value.response["Error"]["Message"] == RPM_MESSAGE
    headers = excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-bedrock-emulator-rule"] == "throttle-always/throttle"

    unbound = admin(url, "DELETE", f"tenants/{tenant}/scenario")
    assert (unbound.status, unbound.json()) == (200, {"tenant": tenant, "scenario": None})
    assert converse_status(client) == 200
    client.close()


def test_binding_an_unknown_scenario_is_400_json_naming_it(bedrock_emulator: BedrockEmulator) -> None:
    reply = admin(
        bedrock_emulator.endpoint_url,
        "PUT",
        f"tenants/{bedrock_emulator.tenant}/scenario",
        {"name": "no-such"},
    )

    assert reply.status == 400
    assert "'no-such'" in reply.json()["message"]


def test_reset_of_one_tenant_restarts_only_its_counters(bedrock_emulator: BedrockEmulator) -> None:
    url = bedrock_emulator.endpoint_url
    tenants = [f"{bedrock_emulator.tenant}-a", f"{bedrock_emulator.tenant}-b"]
    clients = [runtime_client(url, t) for t in tenants]
    try:
        for tenant, client in zip(tenants, clients, strict=True):
            admin(url, "PUT", f"tenants/{tenant}/scenario", {"name": "throttle-first-3"})
            assert [converse_status(client) for _ in range(4)] == [429, 429, 429, 200]

        reply = admin(url, "POST", "reset", {"tenant": tenants[0]})

        assert (reply.status, reply.json()) == (200, {"reset": tenants[0]})
        assert converse_status(clients[0]) == 429  # counting starts over
        assert converse_status(clients[1]) == 200
        journal = admin(url, "GET", f"requests?tenant={tenants[0]}").json()["requests"]
        assert [e["status"] for e in journal] == [429]  # the tenant's journal was cleared too
    finally:
        for tenant, client in zip(tenants, clients, strict=True):
            admin(url, "DELETE", f"tenants/{tenant}/scenario")
            admin(url, "POST", "reset", {"tenant": tenant})
            client.close()


def test_reset_without_a_tenant_restarts_every_tenant(small_server: EmulatorServer) -> None:
    url = small_server.endpoint_url
    clients = [runtime_client(url, t) for t in ("reset-all-a", "reset-all-b")]
    for tenant in ("reset-all-a", "reset-all-b"):
        admin(url, "PUT", f"tenants/{tenant}/scenario", {"name": "throttle-first-3"})
    for client in clients:
        assert [converse_status(client) for _ in range(4)] == [429, 429, 429, 200]

    reply = admin(url, "POST", "reset")

    assert (reply.status, reply.json()) == (200, {"reset": "all"})
    assert [converse_status(client) for client in clients] == [429, 429]
    assert len(admin(url, "GET", "requests").json()["requests"]) == 2
    for client in clients:
        client.close()


def test_journal_entries_carry_every_field_and_filter_by_tenant_operation_and_since(
    bedrock_emulator: BedrockEmulator,
) -> None:
    url, tenant = bedrock_emulator.endpoint_url, bedrock_emulator.tenant
    client = runtime_client(url, tenant)
    client.converse(modelId=MODEL, messages=MESSAGES)
    stream = client.converse_stream(modelId=MODEL, messages=MESSAGES)
    events = list(stream["stream"])
    client.count_tokens(modelId=COUNT_MODEL, input={"converse": {"messages": MESSAGES}})
    between = time.time()
    time.sleep(0.01)
    bedrock_emulator.use_scenario("throttle-always")
    with pytest.raises(client.exceptions.ThrottlingException):
        client.converse(modelId=MODEL, messages=MESSAGES)
    client.close()

    everything = admin(url, "GET", f"requests?tenant={tenant}").json()["requests"]
    assert [e["operation"] for e in everything] == ["Converse", "ConverseStream", "CountTokens", "Converse"]
    fields = {
        "time",
        "tenant",
        "operation",
        "model",
        "status",
        "error_code",
        "rule",
        "latency_ms",
        "events_sent",
        "stream_end",
        "protocol",
    }
    for entry in everything:
        assert fields <= set(entry)
        assert entry["tenant"] == tenant
        assert entry["latency_ms"] >= 0
        assert entry["protocol"] == "HTTP/1.1"
    converse, streamed, _, throttled = everything
    assert (converse["model"], converse["status"], converse["error_code"], converse["rule"]) == (
        MODEL,
        200,
        None,
        None,
    )
    assert (converse["events_sent"], converse["stream_end"]) == (None, None)
    assert (streamed["events_sent"], streamed["stream_end"]) == (len(events), "completed")
    assert (throttled["status"], throttled["error_code"], throttled["rule"]) == (
        429,
        "ThrottlingException",
        "throttle-always/throttle",
    )
    assert everything == sorted(everything, key=lambda e: e["time"])

    only_converse = admin(url, "GET", f"requests?tenant={tenant}&operation=Converse").json()["requests"]
    assert [e["status"] for e in only_converse] == [200, 429]
    since = admin(url, "GET", f"requests?tenant={tenant}&since={between}").json()["requests"]
    assert [e["error_code"] for e in since] == ["ThrottlingException"]
    other_tenant = admin(url, "GET", "requests?tenant=nobody-sent-this").json()["requests"]
    assert other_tenant == []


def test_journal_keeps_only_the_newest_entries_up_to_its_size(small_server: EmulatorServer) -> None:
    url = small_server.endpoint_url
    admin(url, "POST", "reset")
    client = runtime_client(url, "bounded")
    texts = [f"message {i}" for i in range(8)]
    for text in texts:
        client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": text}]}])
    client.close()

    journal = admin(url, "GET", "requests").json()["requests"]

    assert len(journal) == 5
    sequences = [e["sequence"] for e in journal]
    assert sequences == sorted(sequences)
    assert sequences[-1] - sequences[0] == 4  # the last five, contiguous


def test_clock_advance_past_a_minute_frees_a_quota_47_rpm_tenant(bedrock_emulator: BedrockEmulator) -> None:
    url, tenant = bedrock_emulator.endpoint_url, bedrock_emulator.tenant
    admin(url, "PUT", f"tenants/{tenant}/scenario", {"name": "quota-47-rpm"})
    client = runtime_client(url, tenant)
    statuses = [converse_status(client) for _ in range(48)]
    assert statuses == [200] * 47 + [429]
    with pytest.raises(client.exceptions.ThrottlingException) as excinfo:
        client.converse(modelId=MODEL, messages=MESSAGES)
    assert excinfo.value.response["Error"]["Message"] == RPM_MESSAGE

    reply = admin(url, "POST", "clock/advance", {"seconds": 61})

    assert reply.status == 200
    assert isinstance(reply.json()["now"], float)
    assert converse_status(client) == 200
    client.close()


@pytest.mark.parametrize(
    "body",
    [b"", {"seconds": "soon"}, {"seconds": -5}, {"minutes": 1}],
    ids=["empty", "not-a-number", "negative", "no-seconds"],
)
def test_clock_advance_with_an_invalid_body_is_400_json(
    bedrock_emulator: BedrockEmulator, body: bytes | dict[str, Any]
) -> None:
    reply = admin(bedrock_emulator.endpoint_url, "POST", "clock/advance", body)

    assert reply.status == 400
    problem = reply.json()
    assert problem["error"] == "InvalidRequest"
    assert problem["message"]


@pytest.mark.parametrize(("method", "path"), [("GET", "no-such-thing"), ("DELETE", "health")])
def test_unknown_admin_path_or_method_answers_json_not_html(
    bedrock_emulator: BedrockEmulator, method: str, path: str
) -> None:
    reply = admin(bedrock_emulator.endpoint_url, method, path)

    assert reply.status in (404, 405)
    assert reply.content_type.startswith("application/json"), reply.raw[:80]
    assert reply.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "requests?since=yesterday", None),
        ("POST", "reset", [1]),
        ("POST", "clock/advance", [61]),
        ("PUT", "tenants/someone/scenario", {}),
    ],
    ids=["since-not-a-number", "reset-with-a-list", "clock-with-a-list", "bind-without-a-name"],
)
def test_malformed_admin_input_is_a_400_not_a_500(
    bedrock_emulator: BedrockEmulator, method: str, path: str, body: list[int] | dict[str, Any] | None
) -> None:
    reply = admin(bedrock_emulator.endpoint_url, method, path, body)

    assert reply.status == 400
    assert reply.json()["error"]


def test_tenants_lists_bindings_and_tenants_seen(bedrock_emulator: BedrockEmulator) -> None:
    bedrock_emulator.use_scenario("throttle-first-3")
    listed = admin(bedrock_emulator.endpoint_url, "GET", "tenants")
    assert listed.status == 200
    tenants = {row["tenant"]: row["scenario"] for row in listed.json()["tenants"]}
    assert tenants[bedrock_emulator.tenant] == "throttle-first-3"
