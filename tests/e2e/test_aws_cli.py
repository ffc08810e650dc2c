"""The AWS CLI v1 (``awscli`` from PyPI), unmodified, against the emulator, as a user would run it.

Wire habits of this client (found by running it here): it is botocore underneath (its own pinned
botocore), so the model id's ``:`` travels as ``%3A``; it signs with SigV4 for service ``bedrock`` and
reads the error code from ``x-amzn-ErrorType``. What v1 does *not* have: ``converse-stream`` and
``invoke-model-with-response-stream`` (v1 has no event-stream output support; only v2 offers them) and the
``--cli-binary-format`` option (v2 only: v1 already sends a blob given on the command line as raw bytes).
So streaming is not tested here. A client error exits with 255 (v2 uses 254).

Each CLI start costs about half a second, so this file keeps to a handful of invocations.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

AWS_CLI = Path(sys.executable).with_name("aws")
CONVERSE_MODEL = "amazon.nova-micro-v1:0"
INVOKE_PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"

pytestmark = pytest.mark.skipif(not AWS_CLI.exists(), reason="awscli is not installed in this venv")


def _aws(bedrock_emulator: Any, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``aws bedrock-runtime ARGS`` with this test's tenant and no real configuration."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": bedrock_emulator.tenant,
        "AWS_SECRET_ACCESS_KEY": "emulator",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
    }
    command = [sys.executable, str(AWS_CLI), "bedrock-runtime", *args]
    command += ["--endpoint-url", bedrock_emulator.endpoint_url, "--output", "json"]
    return subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False
    )


def test_converse_prints_the_assistant_message_as_json(bedrock_emulator: Any, tmp_path: Path) -> None:
    messages = [{"role": "user", "content": [{"text": "Name three colours."}]}]
    result = _aws(
        bedrock_emulator,
        tmp_path,
        "converse",
        "--model-id",
        CONVERSE_MODEL,
        "--messages",
        json.dumps(messages),
        "--inference-config",
        json.dumps({"maxTokens": 40, "temperature": 0.2}),
    )

    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["output"]["message"]["role"] == "assistant"
    assert output["output"]["message"]["content"][0]["text"].strip()
    assert output["stopReason"] in ("end_turn", "max_tokens")
    usage = output["usage"]
    assert 0 < usage["outputTokens"] <= 40
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert output["metrics"]["latencyMs"] >= 0
    [entry] = bedrock_emulator.requests()
    assert (entry.operation, entry.status, entry.model) == ("Converse", 200, CONVERSE_MODEL)


def test_converse_with_tool_config_returns_tool_use(bedrock_emulator: Any, tmp_path: Path) -> None:
    tool_config = {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "description": "Current weather for a city.",
                    "inputSchema": {
                        "json": {
                            "type": "object",
                            "properties": {"city": {"type": "string"}},
                            "required": ["city"],
                        }
                    },
                }
            }
        ],
        "toolChoice": {"tool": {"name": "get_weather"}},
    }
    result = _aws(
        bedrock_emulator,
        tmp_path,
        "converse",
        "--model-id",
        INVOKE_PROFILE,
        "--messages",
        json.dumps([{"role": "user", "content": [{"text": "Weather in Oslo?"}]}]),
        "--tool-config",
        json.dumps(tool_config),
    )

    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["stopReason"] == "tool_use"
    [tool_use] = [b["toolUse"] for b in output["output"]["message"]["content"] if "toolUse" in b]
    assert tool_use["name"] == "get_weather"
    assert isinstance(tool_use["input"]["city"], str)
    assert tool_use["toolUseId"]


def test_invoke_model_writes_the_model_body_to_the_outfile(bedrock_emulator: Any, tmp_path: Path) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 30,
        "messages": [{"role": "user", "content": "Say hello."}],
    }
    outfile = tmp_path / "answer.json"
    result = _aws(
        bedrock_emulator,
        tmp_path,
        "invoke-model",
        "--model-id",
        INVOKE_PROFILE,
        "--content-type",
        "application/json",
        "--accept",
        "application/json",
        "--body",
        json.dumps(body),
        str(outfile),
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["contentType"] == "application/json"
    answer = json.loads(outfile.read_text())
    assert answer["type"] == "message"
    assert answer["role"] == "assistant"
    assert answer["content"][0]["type"] == "text"
    assert answer["content"][0]["text"].strip()
    assert 0 < answer["usage"]["output_tokens"] <= 30
    [entry] = bedrock_emulator.requests()
    assert (entry.operation, entry.status) == ("InvokeModel", 200)


def test_unknown_model_exits_255_with_the_validation_message(bedrock_emulator: Any, tmp_path: Path) -> None:
    result = _aws(
        bedrock_emulator,
        tmp_path,
        "converse",
        "--model-id",
        "anthropic.claude-nonexistent-v9:0",
        "--messages",
        json.dumps([{"role": "user", "content": [{"text": "Hi"}]}]),
    )

    assert result.returncode in (254, 255)  # 255 in v1, 254 in v2
    assert result.stdout == ""
    assert (
        "An error occurred (ValidationException) when calling the Converse operation: "
        "The provided model identifier is invalid."
    ) in result.stderr
    [entry] = bedrock_emulator.requests()
    assert (entry.operation, entry.status, entry.error_code) == ("Converse", 400, "ValidationException")
