"""emulator.testcontainers against the built image, through a Docker-API socket: Docker's, or the one
`podman system service` serves (started here when DOCKER_HOST is unset), as testcontainers users run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from container_engine import ENGINE, IMAGE, engine

from emulator.testcontainers import BedrockEmulatorContainer

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello"}]}]
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(scope="module")
def docker_api() -> Iterator[None]:
    """DOCKER_HOST for testcontainers: as given, or podman's Docker-compatible service on a private socket."""
    if os.environ.get("DOCKER_HOST") or ENGINE == "docker":
        yield
        return
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"bedrock-emulator-podman-{os.getpid()}"
    folder.mkdir(mode=0o700)
    socket = folder / "podman.sock"
    service = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{socket}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not socket.exists():
            assert service.poll() is None, "podman system service exited"
            assert time.monotonic() < deadline, "podman system service made no socket in 10 s"
            time.sleep(0.05)
        os.environ["DOCKER_HOST"] = f"unix://{socket}"
        yield
    finally:
        os.environ.pop("DOCKER_HOST", None)
        service.terminate()
        service.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def local_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """No reaper: testcontainers' reaper is an image of its own, which a machine without a registry cannot
    pull. Ports on the Docker host: CI may itself run in a container (where testcontainers would otherwise
    look for a gateway), yet its engine publishes on this machine's own interfaces."""
    from testcontainers.core.config import ConnectionMode, testcontainers_config

    monkeypatch.setattr(testcontainers_config, "ryuk_disabled", True)
    monkeypatch.setattr(testcontainers_config, "connection_mode_override", ConnectionMode.docker_host)


def test_the_helper_starts_the_image_waits_for_health_and_hands_back_clients(
    docker_api: None, readable_dir: Path
) -> None:
    (readable_dir / "tc-throttled-once.yaml").write_text(
        "version: 1\ndescription: The first call is throttled.\n"
        "rules:\n  - id: once\n    take: {first: 1}\n    error: ThrottlingException\n",
        encoding="utf-8",
    )
    (readable_dir / "tc-throttled-once.yaml").chmod(0o644)
    started = time.monotonic()
    with BedrockEmulatorContainer(IMAGE, scenarios=readable_dir) as bedrock:
        print(f"testcontainers: healthy {time.monotonic() - started:.2f} s after start()")
        assert bedrock.endpoint_url.startswith("http://127.0.0.1:")
        answer = bedrock.client().converse(modelId=MODEL, messages=MESSAGES)
        assert answer["stopReason"] == "end_turn"

        throttled = bedrock.client(access_key="tc-throttled-once", config=NO_RETRIES)
        with pytest.raises(ClientError) as caught:
            throttled.converse(modelId=MODEL, messages=MESSAGES)
        assert caught.value.response["Error"]["Code"] == "ThrottlingException"
        assert throttled.converse(modelId=MODEL, messages=MESSAGES)["stopReason"] == "end_turn"

        control = bedrock.client("bedrock")  # the control plane at the same URL
        assert control.get_foundation_model(modelIdentifier=MODEL)["modelDetails"]["modelId"] == MODEL
        name = bedrock.get_wrapped_container().name
    assert engine("container", "inspect", name, check=False).returncode != 0  # removed on exit
