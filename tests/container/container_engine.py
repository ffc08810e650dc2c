"""Running the built image with the container engine CI uses (docker or podman) from tests."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config

IMAGE = os.environ.get("BEDROCK_EMULATOR_TEST_IMAGE", "")
ENGINE = os.environ.get("CONTAINER_ENGINE") or ("podman" if shutil.which("podman") else "docker")

_names = itertools.count()


def engine(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ENGINE, *args], capture_output=True, text=True, check=check, timeout=timeout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def health_check_passes(name: str) -> bool:
    """Run the image's HEALTHCHECK now: podman runs it on demand (no timers without systemd); Docker runs
    it on its own schedule and reports the result."""
    if ENGINE == "podman":
        return engine("healthcheck", "run", name, check=False).returncode == 0
    state = engine("inspect", "--format", "{{json .State.Health}}", name, check=False).stdout
    return bool(state.strip()) and json.loads(state).get("Status") == "healthy"


@dataclass
class Running:
    name: str
    url: str
    seconds_to_healthy: float

    def client(self, access_key: str = "container-smoke") -> Any:
        return boto3.client(
            "bedrock-runtime",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=access_key,
            aws_secret_access_key="container-smoke",
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        )


@contextlib.contextmanager
def running(*options: str, image: str = IMAGE, port: int = 8484, timeout: float = 60) -> Iterator[Running]:
    """The image started with ``options`` (its port published on 127.0.0.1), once its health check passes."""
    name = f"bedrock-emulator-smoke-{os.getpid()}-{next(_names)}"
    host_port = free_port()
    started = time.monotonic()
    engine("run", "-d", "--name", name, "-p", f"127.0.0.1:{host_port}:{port}", *options, image)
    try:
        while not health_check_passes(name):
            if time.monotonic() - started > timeout:
                logs = engine("logs", name, check=False)
                pytest.fail(f"{name} not healthy after {timeout} s:\n{logs.stdout}{logs.stderr}")
            time.sleep(0.1)
        yield Running(name, f"http://127.0.0.1:{host_port}", time.monotonic() - started)
    finally:
        engine("rm", "-f", name, check=False)
