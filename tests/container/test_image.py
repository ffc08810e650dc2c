"""The built image: labels, health, Converse and ConverseStream over boto3, a mounted scenario picked by
access key, a read-only root file system with an arbitrary user (collected by `make image-smoke`)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from container_engine import IMAGE, engine, running

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Say hello from the container."}]}]
PROJECT = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_labels_tags_user_and_health_check_come_from_the_project() -> None:
    config = json.loads(engine("image", "inspect", "--format", "{{json .Config}}", IMAGE).stdout)
    config["Healthcheck"] = json.loads(
        engine("image", "inspect", "--format", "{{json .Config.Healthcheck}}", IMAGE).stdout
    )  # podman leaves it out of .Config
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == PROJECT["version"]
    assert labels["org.opencontainers.image.licenses"] == PROJECT["license"]
    assert labels["org.opencontainers.image.description"] == PROJECT["description"]
    assert labels["org.opencontainers.image.source"].startswith("https://github.com/")
    assert len(labels["org.opencontainers.image.revision"]) == 40  # `make image` passes the commit
    assert config["User"] == "10001:10001"
    assert config["Healthcheck"]["Test"] == ["CMD", "python", "-m", "emulator.healthcheck"]
    versioned = IMAGE.rsplit(":", 1)[0] + ":" + PROJECT["version"]
    assert (
        engine("image", "inspect", "--format", "{{.Id}}", versioned).stdout
        == engine("image", "inspect", "--format", "{{.Id}}", IMAGE).stdout
    )


def test_healthy_then_converse_and_converse_stream() -> None:
    with running() as emulator:
        print(f"healthy {emulator.seconds_to_healthy:.2f} s after run")
        runtime = emulator.client()
        answer = runtime.converse(modelId=MODEL, messages=MESSAGES)
        assert answer["stopReason"] == "end_turn"
        assert answer["output"]["message"]["content"][0]["text"]
        assert answer["usage"]["outputTokens"] > 0

        events = list(runtime.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])
        kinds = [next(iter(event)) for event in events]
        assert kinds[0] == "messageStart"
        assert "contentBlockDelta" in kinds
        assert kinds[-2:] == ["messageStop", "metadata"]
        streamed = "".join(
            e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
        )
        assert streamed == answer["output"]["message"]["content"][0]["text"]  # same request, same answer


def test_a_scenario_from_a_mounted_folder_is_picked_by_access_key(readable_dir: Path) -> None:
    scenario = readable_dir / "ci-throttled-twice.yaml"
    scenario.write_text(
        "version: 1\ndescription: The first two calls are throttled.\n"
        "rules:\n  - id: twice\n    take: {first: 2}\n    error: ThrottlingException\n",
        encoding="utf-8",
    )
    scenario.chmod(0o644)
    with running("-v", f"{readable_dir}:/scenarios:ro") as emulator:
        throttled = emulator.client(access_key="ci-throttled-twice")

        for _ in range(2):
            with pytest.raises(ClientError) as caught:
                throttled.converse(modelId=MODEL, messages=MESSAGES)
            assert caught.value.response["Error"]["Code"] == "ThrottlingException"
            assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert throttled.converse(modelId=MODEL, messages=MESSAGES)["stopReason"] == "end_turn"
        # another access key is another tenant, without the scenario
        assert emulator.client(access_key="someone-else").converse(modelId=MODEL, messages=MESSAGES)


def test_read_only_root_and_an_arbitrary_user() -> None:
    with running("--read-only", "--user", "4242:4242") as emulator:
        assert emulator.client().converse(modelId=MODEL, messages=MESSAGES)["stopReason"] == "end_turn"
        state = json.loads(engine("inspect", "--format", "{{json .HostConfig}}", emulator.name).stdout)
        assert state["ReadonlyRootfs"] is True
        status = engine("exec", emulator.name, "cat", "/proc/1/status").stdout
        assert any(line.split()[:2] == ["Uid:", "4242"] for line in status.splitlines())
        refused = engine("exec", emulator.name, "touch", "/opt/written", check=False)
        assert refused.returncode != 0
