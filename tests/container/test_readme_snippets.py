"""The README's CI snippets, tried: each is validated against its CI system's schema (actionlint for the
GitHub workflow) and run with the built image under the snippet's name, with the snippet's own image,
ports, variables and network names. The compose file runs under podman-compose where Docker is absent.

Where podman is older than 4.6 and has no systemd (this CI), nothing runs health checks on a schedule and
podman-compose cannot wait for `service_healthy`: the test then starts the service, passes its health
check by hand (`podman healthcheck run`, what the condition waits for) and only then starts the tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from container_engine import ENGINE, IMAGE, engine, health_check_passes, running

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]

# What a test job does with the snippet's variables: the scenario named by the access key throttles the
# first three calls, then answers; the admin API answers at the service's name when it is allowed.
JOB = textwrap.dedent(
    """
    import json, os, urllib.request
    import boto3
    from botocore.config import Config
    runtime = boto3.client("bedrock-runtime", config=Config(retries={"total_max_attempts": 1}))
    outcomes = []
    for _ in range(4):
        try:
            runtime.converse(modelId="amazon.nova-micro-v1:0",
                             messages=[{"role": "user", "content": [{"text": "hi"}]}])
            outcomes.append("ok")
        except runtime.exceptions.ThrottlingException:
            outcomes.append("throttled")
    endpoint = os.environ["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"]
    with urllib.request.urlopen(endpoint + "/_emulator/scenarios", timeout=5) as answer:
        names = [s["name"] for s in json.load(answer)["scenarios"]]
    print(json.dumps({"outcomes": outcomes, "scenarios": names}))
    """
)
EXPECTED = ["throttled", "throttled", "throttled", "ok"]


def readme_snippets() -> list[str]:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### In CI", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)


def snippet(containing: str) -> str:
    (found,) = [text for text in readme_snippets() if containing in text]
    return found


@pytest.fixture
def readme_image() -> Iterator[str]:
    """The built image under the name the README gives, which must carry the package's version."""
    names = {
        re.search(r"(ghcr\.io/\S+)", text)[1]  # type: ignore[index]
        for text in readme_snippets()
    }
    assert names == {f"ghcr.io/bedrock-emulator/bedrock-emulator:{VERSION}"}
    (name,) = names
    engine("tag", IMAGE, name)
    yield name
    engine("rmi", name, check=False)


def schema_check(tmp_path: Path, schema: str, text: str) -> None:
    document = tmp_path / f"{schema}.yaml"
    document.write_text(text, encoding="utf-8")
    checked = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", f"vendor.{schema}", document],
        check=False,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def job(image: str, network: str, variables: dict[str, str]) -> dict[str, Any]:
    """JOB in a container on ``network`` (the emulator's image has Python and boto3), with ``variables``."""
    env = [option for name, value in variables.items() for option in ("-e", f"{name}={value}")]
    ran = engine(
        "run", "--rm", "--network", network, *env, "--entrypoint", "python", image, "-c", JOB, timeout=120
    )
    return job_result(ran.stdout)


def job_result(output: str) -> dict[str, Any]:
    """JOB's one line of JSON (compose tools print lines of their own around it)."""
    (line,) = [line for line in output.splitlines() if line.startswith('{"outcomes"')]
    return json.loads(line)  # type: ignore[no-any-return]


def test_github_actions_service_container(tmp_path: Path, readme_image: str) -> None:
    text = snippet("runs-on:")
    workflow = tmp_path / ".github" / "workflows" / "tests.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(text, encoding="utf-8")
    linted = subprocess.run(
        [BIN / "actionlint", "-no-color", workflow], check=False, capture_output=True, text=True
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
    schema_check(tmp_path, "github-workflows", text)

    test_job = yaml.safe_load(text)["jobs"]["test"]
    service = test_job["services"]["bedrock"]
    (ports,) = service["ports"]
    interface, published, container_port = ports.split(":")
    assert interface == "127.0.0.1"
    options = [o for name, value in service.get("env", {}).items() for o in ("-e", f"{name}={value}")]
    options += service.get("options", "").split()
    # the runner's `docker create` with the service's image, env and options, published as the snippet
    # says (on a free host port here, as 8484 may be taken on a shared machine)
    with running(*options, image=service["image"], port=int(container_port)) as bedrock:
        variables = dict(test_job["env"])
        assert variables["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == f"http://127.0.0.1:{published}"
        variables["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = bedrock.url
        outcome = subprocess.run(
            [sys.executable, "-c", JOB],
            env={**os.environ, **variables},
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert outcome.returncode == 0, outcome.stderr
        assert job_result(outcome.stdout)["outcomes"] == EXPECTED


@pytest.fixture
def network() -> Iterator[str]:
    name = f"bedrock-emulator-smoke-{uuid.uuid4().hex[:8]}"
    engine("network", "create", name)
    yield name
    engine("network", "rm", "-f", name, check=False)


def test_gitlab_services_entry(tmp_path: Path, readme_image: str, network: str) -> None:
    text = snippet("alias:")
    schema_check(tmp_path, "gitlab-ci", text)
    test_job = yaml.safe_load(text)["test"]
    (service,) = test_job["services"]
    env = [o for name, value in service.get("variables", {}).items() for o in ("-e", f"{name}={value}")]
    # the runner starts the service on the job's network under its alias, and waits for its port
    with running("--network", network, "--network-alias", service["alias"], *env, image=service["name"]):
        # the job's image is python:3.11 with the project installed; the emulator's has Python and boto3
        result = job(readme_image, network, test_job["variables"])
    assert result["outcomes"] == EXPECTED
    assert "throttle-first-3" in result["scenarios"]  # the admin API answered at http://bedrock:8484


@pytest.mark.skipif(ENGINE == "podman" and not shutil.which("podman-compose"), reason="no podman-compose")
def test_compose_file_with_a_service_healthy_condition(tmp_path: Path, readme_image: str) -> None:
    text = snippet("service_healthy")
    schema_check(tmp_path, "compose-spec", text)
    project = tmp_path / "project"
    (project / "scenarios").mkdir(parents=True)
    for path in (tmp_path, project, project / "scenarios"):
        path.chmod(0o755)
    (project / "compose.yaml").write_text(text, encoding="utf-8")
    mounted = project / "scenarios" / "compose-mounted.yaml"
    mounted.write_text(
        "version: 1\ndescription: Mounted.\nrules:\n  - id: all\n    error: ThrottlingException\n"
    )
    mounted.chmod(0o644)
    # the tests' image: the emulator's own (Python, boto3) running JOB; published on a free port
    override = {
        "services": {
            "bedrock": {"ports": []},
            "tests": {"image": readme_image, "entrypoint": ["python", "-c", JOB]},
        }
    }
    (project / "override.yaml").write_text(yaml.safe_dump(override), encoding="utf-8")
    compose_tool = ["podman-compose"] if ENGINE == "podman" else ["docker", "compose"]
    name = f"bedrock-smoke-{uuid.uuid4().hex[:8]}"
    compose = [*compose_tool, "-p", name, "-f", "compose.yaml", "-f", "override.yaml"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*compose, *args], cwd=project, check=False, capture_output=True, text=True, timeout=120
        )

    try:
        up = run("up", "-d", "--no-build", "bedrock")
        assert up.returncode == 0, up.stdout + up.stderr
        (container,) = engine(
            "ps", "-q", "--filter", f"label=com.docker.compose.project={name}"
        ).stdout.split()
        assert _wait(lambda: health_check_passes(container))  # what service_healthy waits for
        tests = run("run", "--rm", "--no-deps", "tests")
        assert tests.returncode == 0, tests.stdout + tests.stderr
        result = job_result(tests.stdout)
        assert result["outcomes"] == EXPECTED
        assert "compose-mounted" in result["scenarios"]  # from ./scenarios
    finally:
        run("down", "-t", "1")
        engine("network", "rm", "-f", f"{name}_default", check=False)  # podman-compose 1.0 leaves it


def _wait(condition: Any, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True
