"""Three real ``serve --state redis://...`` processes sharing one real redis-server behave as one emulator.

A client rotates its calls across the replicas (as a load balancer would) from several threads; the
scenario counts, quota windows, virtual clock, scenario set, bindings, journal, resets and created
resources it sees are those of a single replica. Each test uses its own tenant (access key), so the
module's replicas and Redis are shared by all tests; the last tests kill and restart a replica.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from redis_server import RedisServer, free_port
from serve_process import ServeProcess

PYCACHE = Path(tempfile.gettempdir()) / "bedrock-emulator-tests-pycache"
MODEL = "amazon.nova-micro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Say something about rivers."}]}]
FIRST_5 = """\
version: 1
name: replicas-first-5
rules:
  - id: first-5
    match: {operations: [Converse]}
    take: {first: 5}
    error: ModelTimeoutException
"""


class Replica(ServeProcess):
    """One ``python -m emulator serve --port 0 --state URL`` process."""

    def __init__(self, state_url: str, scenario_dir: Path, **variables: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BEDROCK_EMULATOR_", "AWS_"))}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(PYTHONPYCACHEPREFIX=str(PYCACHE), AWS_EC2_METADATA_DISABLED="true", **variables)
        command = [sys.executable, "-m", "emulator", "serve", "--port", "0", "--state", state_url]
        command += ["--scenario", str(scenario_dir), "--log-level", "WARNING"]
        super().__init__(command, env)

    def url(self, timeout: float = 20.0) -> str:
        return self.endpoint_url(timeout)


def admin(url: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(
        f"{url}/_emulator{path}", data=data, method=method, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def client(url: str, tenant: str, service: str = "bedrock-runtime") -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=tenant,
        aws_secret_access_key="secret",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, max_pool_connections=32),
    )


def outcome(call: Callable[[], Any]) -> str:
    """``ok`` or the error code the call was answered with."""
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return "ok"


class Rotation:
    """A tenant's clients, one per replica; call ``n`` goes to replica ``n % len(urls)``."""

    def __init__(self, urls: list[str], tenant: str) -> None:
        self.tenant = tenant
        self.urls = urls
        self.clients = [client(url, tenant) for url in urls]

    def converse(self, n: int, **extra: Any) -> str:
        runtime = self.clients[n % len(self.clients)]
        return outcome(lambda: runtime.converse(modelId=MODEL, messages=MESSAGES, **extra))

    def run(self, calls: int, threads: int) -> Counter[str]:
        with ThreadPoolExecutor(threads) as pool:
            return Counter(pool.map(self.converse, range(calls)))


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("replica-scenarios")
    (folder / "replicas-first-5.yaml").write_text(FIRST_5)
    return folder


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The async invocations' output folder, one for every replica (a shared volume in production)."""
    return tmp_path_factory.mktemp("replica-async-outputs")


@pytest.fixture(scope="module")
def replicas(redis_server: RedisServer, scenario_dir: Path, outputs: Path) -> Iterator[list[Replica]]:
    started = [
        Replica(redis_server.url, scenario_dir, BEDROCK_EMULATOR_ASYNC_OUTPUT_DIR=str(outputs))
        for _ in range(3)
    ]
    try:
        for replica in started:
            replica.url()
        yield started
    finally:
        for replica in started:
            replica.stop()


@pytest.fixture
def urls(replicas: list[Replica]) -> list[str]:
    return [replica.url() for replica in replicas]


def bind(url: str, tenant: str, scenario: str) -> None:
    assert admin(url, "PUT", f"/tenants/{tenant}/scenario", {"name": scenario})[0] == 200


def test_throttle_first_3_throttles_three_calls_in_all(urls: list[str]) -> None:
    rotation = Rotation(urls, "AKIAREPLICASTHROTTLE")
    bind(urls[0], rotation.tenant, "throttle-first-3")

    assert rotation.run(64, threads=32) == {"ThrottlingException": 3, "ok": 61}  # 32 threads, 3 replicas


def test_quota_admits_47_per_virtual_minute_across_replicas(urls: list[str]) -> None:
    rotation = Rotation(urls, "AKIAREPLICASQUOTA")
    bind(urls[1], rotation.tenant, "quota-47-rpm")

    assert rotation.run(60, threads=6) == {"ok": 47, "ThrottlingException": 13}
    assert rotation.run(9, threads=3) == {"ThrottlingException": 9}  # full on every replica

    assert admin(urls[2], "POST", "/clock/advance", {"seconds": 61})[0] == 200  # on one replica

    assert rotation.run(48, threads=6) == {"ok": 47, "ThrottlingException": 1}  # reopened on all


def test_a_scenario_loaded_and_a_binding_made_on_one_replica_apply_on_the_others(urls: list[str]) -> None:
    rotation = Rotation(urls, "AKIAREPLICASLOADED")
    scenario = b"version: 1\nname: replicas-loaded\nrules:\n  - id: deny\n    error: AccessDeniedException\n"
    assert admin(urls[0], "PUT", "/scenarios", scenario)[0] == 201

    assert rotation.converse(1, additionalModelRequestFields={}) == "ok"  # not bound yet
    assert "replicas-loaded" in admin(urls[2], "GET", "/health")[1]["scenarios"]
    bind(urls[1], rotation.tenant, "replicas-loaded")
    assert [rotation.converse(n) for n in range(3)] == ["AccessDeniedException"] * 3
    assert (
        admin(urls[2], "GET", "/tenants")[1]["tenants"].count(
            {"tenant": rotation.tenant, "scenario": "replicas-loaded"}
        )
        == 1
    )

    assert admin(urls[2], "DELETE", "/scenarios/replicas-loaded")[0] == 200
    assert [rotation.converse(n) for n in range(3)] == ["ok"] * 3


def test_the_journal_on_any_replica_lists_every_call(urls: list[str]) -> None:
    tenant = "AKIAREPLICASJOURNAL"
    runtimes = [client(url, tenant) for url in urls]
    request_ids = {
        runtimes[n % 3].converse(modelId=MODEL, messages=MESSAGES)["ResponseMetadata"]["RequestId"]
        for n in range(9)
    }
    assert len(request_ids) == 9  # ids count per tenant across replicas: none repeats

    for url in urls:
        entries = admin(url, "GET", f"/requests?tenant={tenant}")[1]["requests"]
        assert {entry["request_id"] for entry in entries} == request_ids
        assert len({entry["sequence"] for entry in entries}) == 9


def test_a_reset_on_one_replica_resets_all(urls: list[str]) -> None:
    rotation = Rotation(urls, "AKIAREPLICASRESET")
    bind(urls[0], rotation.tenant, "throttle-first-3")
    assert [rotation.converse(n) for n in range(4)] == ["ThrottlingException"] * 3 + ["ok"]

    assert admin(urls[1], "POST", "/reset", {"tenant": rotation.tenant})[0] == 200

    assert admin(urls[2], "GET", f"/requests?tenant={rotation.tenant}")[1]["requests"] == []
    assert [rotation.converse(n) for n in range(4)] == ["ThrottlingException"] * 3 + ["ok"]


def test_a_resource_created_on_one_replica_is_used_on_another(urls: list[str]) -> None:
    tenant = "AKIAREPLICASRESOURCE"
    agents = [client(url, tenant, "bedrock-agent") for url in urls]
    prompt = agents[0].create_prompt(name="replicated-prompt", description="made on replica 0")

    assert agents[1].get_prompt(promptIdentifier=prompt["id"])["description"] == "made on replica 0"
    assert [p["id"] for p in agents[2].list_prompts()["promptSummaries"]] == [prompt["id"]]
    agents[2].update_prompt(promptIdentifier=prompt["id"], name="replicated-prompt", description="changed")
    assert agents[0].get_prompt(promptIdentifier=prompt["id"])["description"] == "changed"

    sessions = [client(url, tenant, "bedrock-agent-runtime") for url in urls]
    session = sessions[1].create_session()
    assert sessions[2].get_session(sessionIdentifier=session["sessionId"])["sessionStatus"] == "ACTIVE"

    agents[1].delete_prompt(promptIdentifier=prompt["id"])
    assert outcome(lambda: agents[2].get_prompt(promptIdentifier=prompt["id"])) == "ResourceNotFoundException"


def test_an_async_invocation_started_on_one_replica_runs_on_the_shared_clock_of_all(
    urls: list[str], outputs: Path
) -> None:
    runtimes = [client(url, "AKIAREPLICASASYNC") for url in urls]
    started = {
        "modelId": "amazon.nova-reel-v1:0",
        "modelInput": {"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "A lighthouse at dawn"}},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://replica-videos/reel"}},
        "clientRequestToken": "replicas-token-1",
    }
    arn = runtimes[0].start_async_invoke(**started)["invocationArn"]

    assert runtimes[1].get_async_invoke(invocationArn=arn)["status"] == "InProgress"
    assert runtimes[2].start_async_invoke(**started)["invocationArn"] == arn  # the token, seen elsewhere
    assert admin(urls[2], "POST", "/clock/advance", {"seconds": 3600})[0] == 200
    assert runtimes[1].get_async_invoke(invocationArn=arn)["status"] == "Completed"
    listed = runtimes[2].list_async_invokes(statusEquals="Completed")["asyncInvokeSummaries"]
    assert [summary["invocationArn"] for summary in listed] == [arn]
    assert list(outputs.rglob("output.mp4"))


def test_killing_a_replica_mid_run_loses_and_doubles_no_count_and_a_restart_resets_nothing(
    replicas: list[Replica], redis_server: RedisServer, scenario_dir: Path
) -> None:
    urls = [replica.url() for replica in replicas]
    quota = Rotation(urls, "AKIAREPLICASKILLED")
    bind(urls[0], quota.tenant, "quota-47-rpm")
    timeouts = Rotation(urls, "AKIAREPLICASFILES")
    bind(urls[0], timeouts.tenant, "replicas-first-5")
    assert [timeouts.converse(n) for n in range(3)] == ["ModelTimeoutException"] * 3

    lock = threading.Lock()
    answered = 0
    in_flight_on_last = 0
    last_alive = threading.Event()
    last_alive.set()
    drained = threading.Event()

    def call(n: int) -> str:
        nonlocal answered, in_flight_on_last
        with lock:
            target = n % 3 if last_alive.is_set() else n % 2
            in_flight_on_last += target == 2
        result = quota.converse(target)
        with lock:
            answered += 1
            in_flight_on_last -= target == 2
            if answered == 21:
                last_alive.clear()  # the load balancer stops sending to the replica about to die
            if not last_alive.is_set() and in_flight_on_last == 0:
                drained.set()
        return result

    def kill_when_drained() -> None:
        drained.wait(30)
        replicas[2].stop(signal.SIGKILL)

    killer = threading.Thread(target=kill_when_drained)
    killer.start()
    with ThreadPoolExecutor(4) as pool:
        results = Counter(pool.map(call, range(60)))
    killer.join()

    assert replicas[2].process.returncode == -signal.SIGKILL
    assert results == {"ok": 47, "ThrottlingException": 13}
    entries = admin(urls[0], "GET", f"/requests?tenant={quota.tenant}")[1]["requests"]
    assert Counter(entry["status"] for entry in entries) == {200: 47, 429: 13}

    # Restarted with the same scenario files: identical content is not a reset.
    replicas[2] = Replica(redis_server.url, scenario_dir)
    restarted = replicas[2].url()
    assert Rotation([restarted], quota.tenant).converse(0) == "ThrottlingException"  # the window stays full
    rejoined = Rotation([restarted], timeouts.tenant)
    assert [rejoined.converse(0) for _ in range(3)] == ["ModelTimeoutException"] * 2 + ["ok"]


def test_redis_lost_while_serving_answers_service_unavailable_and_reconnects_by_itself(
    tmp_path: Path,
) -> None:
    redis = RedisServer.start()
    replica = Replica(redis.url, tmp_path)
    try:
        url = replica.url()
        runtime = client(url, "AKIAREPLICASOUTAGE")
        assert outcome(lambda: runtime.converse(modelId=MODEL, messages=MESSAGES)) == "ok"

        redis.stop()
        with pytest.raises(ClientError) as lost:
            runtime.converse(modelId=MODEL, messages=MESSAGES)
        assert lost.value.response["Error"]["Code"] == "ServiceUnavailableException"
        assert lost.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert lost.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"].startswith(
            "ServiceUnavailableException"
        )
        status, health = admin(url, "GET", "/health")
        assert (status, health["status"]) == (503, "degraded")
        status, problem = admin(url, "GET", "/requests")
        assert (status, problem["error"]) == (503, "StateUnavailable")

        redis.run()  # the same port, empty
        assert outcome(lambda: runtime.converse(modelId=MODEL, messages=MESSAGES)) == "ok"
        status, health = admin(url, "GET", "/health")
        assert (status, health["status"], health["state"]) == (200, "ok", "redis")
    finally:
        replica.stop()
        redis.stop()


def test_redis_unreachable_at_start_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    started = time.monotonic()
    replica = Replica(f"redis://127.0.0.1:{port}/0", tmp_path)
    replica.process.wait(timeout=20)
    replica.stop()

    assert replica.process.returncode == 2
    assert replica.lines[0].startswith(
        f"bedrock-emulator: cannot use --state: Redis at redis://127.0.0.1:{port}/0 is unavailable: "
    )
    assert len(replica.lines) == 1, replica.lines
    assert time.monotonic() - started < 15
