"""The AWS SDK for JavaScript v3 (``@aws-sdk/client-bedrock-runtime``), unmodified, against the emulator.

Each test runs ``tests/node/bedrock_calls.mjs <case>`` with ``node``; the script prints one JSON object.

Wire habits of this client (found by running it here): for bedrock-runtime its default request handler
is ``NodeHttp2Handler``, so against an ``http://`` endpoint it opens HTTP/2 cleartext with prior knowledge
(no HTTP/1.1 at all; a server that only spoke HTTP/1.1 would fail it). The model id's ``:`` travels as
``%3A``. It signs with SigV4 for service ``bedrock``, sends ``x-amz-user-agent`` and
``amz-sdk-request: attempt=1; max=N``, and ``X-Amzn-Bedrock-Accept`` on InvokeModelWithResponseStream. Errors
become ``ValidationException`` etc. by name from ``x-amzn-ErrorType``, with ``$fault`` and
``$metadata.httpStatusCode``/``requestId``; an in-stream exception event is thrown while iterating.

To prove HTTP/2 was used the server side must say so, so this file runs its own emulator whose WSGI app
is wrapped to record each request's ``SERVER_PROTOCOL`` (the shared fixture's journal does not carry it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
SCRIPT = NODE_DIR / "bedrock_calls.mjs"
PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
FOUNDATION_MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0"
_CREDENTIAL = re.compile(r"Credential=([^/]+)/")

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
    pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed"),
    pytest.mark.skipif(
        not (NODE_DIR / "node_modules" / "@aws-sdk" / "client-bedrock-runtime").is_dir(),
        reason="tests/node/node_modules is missing: run `npm install` in tests/node (make test does)",
    ),
]


@dataclass
class _Protocols:
    """The HTTP version each request arrived with, per tenant (access key id of the SigV4 credential)."""

    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (tenant, protocol, path)

    def wrap(self, app: Callable[..., Any]) -> Callable[..., Any]:
        def recording(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
            self.seen.append(
                (found.group(1) if found else "", environ["SERVER_PROTOCOL"], environ["PATH_INFO"])
            )
            return app(environ, start_response)

        return recording

    def of(self, tenant: str) -> list[str]:
        return [protocol for who, protocol, _ in self.seen if who == tenant]


@dataclass
class _Emulator:
    endpoint_url: str
    state: Any
    protocols: _Protocols

    def requests(self, tenant: str) -> list[Any]:
        return self.state.journal.entries(tenant=tenant)


@pytest.fixture(scope="module")
def emulator() -> Iterator[_Emulator]:
    from emulator.app import create_app
    from emulator.server import EmulatorServer
    from emulator.settings import Settings

    app = create_app(Settings(port=0))
    protocols = _Protocols()
    app.wsgi_app = protocols.wrap(app.wsgi_app)  # type: ignore[method-assign]
    server = EmulatorServer(app, "127.0.0.1", 0).start()
    yield _Emulator(server.endpoint_url, app.extensions["bedrock_emulator"], protocols)
    server.stop()


def _run(
    emulator: _Emulator, case: str, *, tenant: str | None = None, model_id: str = PROFILE
) -> tuple[str, Any]:
    tenant = tenant or f"js-{uuid.uuid4().hex[:12]}"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "BEDROCK_ENDPOINT": emulator.endpoint_url,
        "MODEL_ID": model_id,
        "AWS_ACCESS_KEY_ID": tenant,
        "AWS_SECRET_ACCESS_KEY": "emulator",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    result = subprocess.run(
        ["node", str(SCRIPT), case],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tenant, json.loads(result.stdout)


def test_client_keeps_its_default_http2_handler_and_the_server_sees_http2(emulator: _Emulator) -> None:
    tenant, result = _run(emulator, "converse")

    assert result["requestHandler"] == "NodeHttp2Handler"
    assert emulator.protocols.of(tenant) == ["HTTP/2"]


def test_converse_command_returns_the_assistant_message(emulator: _Emulator) -> None:
    tenant, result = _run(emulator, "converse")

    assert result["httpStatusCode"] == 200
    assert result["role"] == "assistant"
    assert result["text"].strip()
    assert result["stopReason"] in ("end_turn", "max_tokens")
    usage = result["usage"]
    assert 0 < usage["outputTokens"] <= 40
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    [entry] = emulator.requests(tenant)
    assert (entry.operation, entry.status, entry.model) == ("Converse", 200, FOUNDATION_MODEL)
    assert result["requestId"] == entry.request_id


def test_converse_stream_command_yields_every_event_in_order_over_http2(emulator: _Emulator) -> None:
    tenant, result = _run(emulator, "converse-stream")

    events = result["events"]
    assert events[0] == "messageStart"
    assert events[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    assert set(events[1:-3]) == {"contentBlockDelta"}
    assert result["text"].strip()
    assert result["stopReason"] in ("end_turn", "max_tokens")
    assert 0 < result["usage"]["outputTokens"] <= 40
    assert emulator.protocols.of(tenant) == ["HTTP/2"]
    [entry] = emulator.requests(tenant)
    assert (entry.operation, entry.stream_end, entry.events_sent) == (
        "ConverseStream",
        "completed",
        len(events),
    )


def test_invoke_model_command_returns_the_anthropic_body(emulator: _Emulator) -> None:
    tenant, result = _run(emulator, "invoke")

    assert result["httpStatusCode"] == 200
    assert result["contentType"] == "application/json"
    body = result["body"]
    assert (body["type"], body["role"]) == ("message", "assistant")
    assert body["content"][0]["text"].strip()
    assert 0 < body["usage"]["output_tokens"] <= 40
    [entry] = emulator.requests(tenant)
    assert (entry.operation, entry.status) == ("InvokeModel", 200)


def test_invoke_model_with_response_stream_command_yields_anthropic_chunks(emulator: _Emulator) -> None:
    tenant, result = _run(emulator, "invoke-stream")

    assert result["contentType"] == "application/json"
    types = [chunk["type"] for chunk in result["chunks"]]
    assert types[:2] == ["message_start", "content_block_start"]
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    text = "".join(c["delta"]["text"] for c in result["chunks"] if c["type"] == "content_block_delta")
    assert text.strip()
    metrics = result["chunks"][-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["outputTokenCount"] == result["chunks"][-2]["usage"]["output_tokens"]
    assert emulator.protocols.of(tenant) == ["HTTP/2"]
    [entry] = emulator.requests(tenant)
    assert (entry.operation, entry.stream_end) == ("InvokeModelWithResponseStream", "completed")


def test_unknown_model_throws_validation_exception_with_status_and_request_id(emulator: _Emulator) -> None:
    tenant, result = _run(emulator, "error")

    error = result["error"]
    assert error["name"] == "ValidationException"
    assert error["message"] == "The provided model identifier is invalid."
    assert error["fault"] == "client"
    assert error["httpStatusCode"] == 400
    [entry] = emulator.requests(tenant)
    assert error["requestId"] == entry.request_id


def test_in_stream_exception_event_is_thrown_while_iterating(emulator: _Emulator) -> None:
    # A scenario named like the access key applies to that tenant: no client change needed.
    tenant, result = _run(emulator, "stream-error", tenant="stream-exception-after-5")

    assert result["httpStatusCode"] == 200
    assert result["events"][0] == "messageStart"
    assert len(result["events"]) == 5
    assert result["error"]["name"] == "ModelStreamErrorException"
    assert result["error"]["message"] == (
        "The system encountered an unexpected error during processing. Try your request again."
    )
    assert emulator.protocols.of(tenant) == ["HTTP/2"]


SONIC_SCRIPT = NODE_DIR / "sonic_session.mjs"


def _run_sonic(emulator: _Emulator, sonic_case: str) -> tuple[str, Any]:
    tenant = f"js-sonic-{uuid.uuid4().hex[:8]}"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "BEDROCK_ENDPOINT": emulator.endpoint_url,
        "MODEL_ID": "amazon.nova-2-sonic-v1:0",
        "SONIC_CASE": sonic_case,
        "AWS_ACCESS_KEY_ID": tenant,
        "AWS_SECRET_ACCESS_KEY": "emulator",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    result = subprocess.run(
        ["node", str(SONIC_SCRIPT)],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tenant, json.loads(result.stdout)


def test_bidirectional_stream_command_holds_a_nova_sonic_conversation_over_http2(emulator: _Emulator) -> None:
    tenant, result = _run_sonic(emulator, "turn")

    assert result["error"] is None
    assert result["httpStatusCode"] == 200
    names = [next(iter(event)) for event in result["events"]]
    assert names[0] == "completionStart"
    assert names[-2:] == ["usageEvent", "completionEnd"]
    assert names.count("contentStart") == names.count("contentEnd") == 4
    audio = [event["audioOutput"]["content"] for event in result["events"] if "audioOutput" in event]
    assert audio
    assert set(audio) == {4800}  # bytes of LPCM per chunk, decoded by the script
    transcript = result["events"][names.index("textOutput")]["textOutput"]
    assert transcript["role"] == "USER"
    assert transcript["content"]
    assert emulator.protocols.of(tenant) == ["HTTP/2"]
    [entry] = emulator.requests(tenant)
    assert (entry.operation, entry.status, entry.model) == (
        "InvokeModelWithBidirectionalStream",
        200,
        "amazon.nova-2-sonic-v1:0",
    )


def test_bidirectional_stream_command_throws_the_validation_exception_of_events_out_of_order(
    emulator: _Emulator,
) -> None:
    _, result = _run_sonic(emulator, "out-of-order")

    assert result["events"] == []
    assert result["error"]["name"] == "ValidationException"
    assert "audioInput arrived outside a prompt" in result["error"]["message"]
