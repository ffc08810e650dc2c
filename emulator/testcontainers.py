"""The emulator's image in a test, through testcontainers-python (``pip install 'bedrock-emulator[testcontainers]'``).

    from emulator.testcontainers import BedrockEmulatorContainer

    with BedrockEmulatorContainer(scenarios="tests/scenarios") as bedrock:
        runtime = bedrock.client("bedrock-runtime", access_key="throttle-first-3")
        runtime.converse(modelId="anthropic.claude-3-haiku-20240307-v1:0", messages=[...])

Starting it waits until ``GET /_emulator/health`` answers ``"status": "ok"`` through the published port
(the engine's own health status needs a scheduler that not every engine runs, e.g. podman without
systemd). The port is published on the Docker host's loopback interface, as docs/container.md advises.
Any engine that speaks the Docker API works: Docker, or podman's ``podman system service`` with
``DOCKER_HOST`` pointing at its socket.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

try:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import HttpWaitStrategy
except ImportError as missing:  # an optional dependency: say which extra brings it
    raise ImportError(
        "emulator.testcontainers needs testcontainers: pip install 'bedrock-emulator[testcontainers]'"
    ) from missing

__all__ = ["DEFAULT_IMAGE", "PORT", "BedrockEmulatorContainer"]

DEFAULT_IMAGE = "ghcr.io/bedrock-emulator/bedrock-emulator:latest"
PORT = 8484


def _healthy(body: str) -> bool:
    try:
        health = json.loads(body)
    except ValueError:
        return False
    return isinstance(health, dict) and health.get("status") == "ok"


class BedrockEmulatorContainer(DockerContainer):
    """The emulator's image, started, healthy, and reachable at :attr:`endpoint_url`."""

    def __init__(
        self,
        image: str = DEFAULT_IMAGE,
        *,
        scenarios: str | Path | None = None,
        host_ip: str = "127.0.0.1",
        startup_timeout: float = 60.0,
        **kwargs: Any,
    ) -> None:
        """``scenarios``: a folder of scenario files, mounted read-only on ``/scenarios``; ``host_ip``: the
        Docker host's interface the port is published on; other arguments go to ``DockerContainer``."""
        super().__init__(image, **kwargs)
        # docker-py takes (interface, None) for "any free port on that interface".
        self.ports[f"{PORT}/tcp"] = (host_ip, None)  # type: ignore[assignment]
        if scenarios is not None:
            self.with_volume_mapping(Path(scenarios).resolve(), "/scenarios", "ro")
        self.waiting_for(
            HttpWaitStrategy(PORT, "/_emulator/health")
            .for_response_predicate(_healthy)
            .with_startup_timeout(int(startup_timeout))
            .with_poll_interval(0.1)
        )

    @property
    def endpoint_url(self) -> str:
        """The URL to give clients as ``endpoint_url`` (every service the emulator serves answers there)."""
        host = self.get_container_host_ip()
        if host == "localhost":  # the port is published on an IPv4 interface
            host = "127.0.0.1"
        return f"http://{host}:{self.get_exposed_port(PORT)}"

    def client(
        self,
        service: str = "bedrock-runtime",
        *,
        access_key: str = "testcontainers",
        region: str = "us-east-1",
        config: Config | None = None,
    ) -> Any:
        """A boto3 client for ``service`` at :attr:`endpoint_url`; the access key names the tenant, and
        selects the scenario of that name when one is loaded."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key="testcontainers",
            config=config,
        )
