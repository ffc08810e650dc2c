"""Per-app state over real sockets: two apps in one process share nothing, and ``POST /_emulator/reset``
forgets a tenant (or everyone) in every store: async invocations, flow executions, Sessions API sessions,
agent memory, agent conversations (a pending returnControl), created guardrails, ingestion jobs, created
bedrock-agent resources (a prompt), S3 buckets; and each app serves the definitions its own settings name."""

from __future__ import annotations

import json
import textwrap
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.agents.sample import SAMPLE_AGENT_ID
from emulator.app import create_app
from emulator.flows.sample import SAMPLE_FLOW_ID
from emulator.knowledge.registry import SAMPLE_DATA_SOURCE_ID, SAMPLE_KNOWLEDGE_BASE_ID
from emulator.server import EmulatorServer
from emulator.settings import Settings

DRAFT = "TSTALIASID"
DESK_AGENT = "STATEAGNT1"
AGENTS = """
agents:
  - id: STATEAGNT1
    name: state-probe
    instruction: You reset the passwords of employee accounts when they ask for it.
    action_groups:
      - name: accounts
        executor: return_control
        functions:
          - name: reset_password
            description: Reset the password of an employee account.
            parameters:
              username: {type: string, description: "The employee username (format: EMP-XXXX)", required: true}
"""
FLOWS = """
flows:
  - id: ONLYFIRST1
    name: only-in-the-first-app
    definition:
      nodes:
        - {name: Start, type: Input, outputs: [{name: document, type: String}]}
        - {name: End, type: Output, inputs: [{name: document, type: String, expression: $.data}]}
      connections:
        - {name: c1, source: Start, target: End}
"""
STORES = (
    "async invocations",
    "flow executions",
    "sessions",
    "memory",
    "conversation",
    "guardrails",
    "jobs",
    "prompts",
    "buckets",
)


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmulatorServer, EmulatorServer]]:
    """Two apps in this process, each on its own server, strict (no sample stands in for unknown ids),
    given the same agents file; only the first is given a flows file."""
    directory = tmp_path_factory.mktemp("app-state")
    (directory / "agents.yaml").write_text(textwrap.dedent(AGENTS))
    (directory / "flows.yaml").write_text(textwrap.dedent(FLOWS))
    agents = (str(directory / "agents.yaml"),)
    first = Settings(
        port=0, strict=True, library=False, agents=agents, flows=(str(directory / "flows.yaml"),)
    )
    second = Settings(port=0, strict=True, library=False, agents=agents)
    servers = [EmulatorServer(create_app(settings), "127.0.0.1", 0).start() for settings in (first, second)]
    yield servers[0], servers[1]
    for server in servers:
        server.stop()


def client(server: EmulatorServer, service: str, tenant: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=tenant,
        aws_secret_access_key="emulator",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def reset(server: EmulatorServer, tenant: str | None) -> None:
    body = json.dumps({"tenant": tenant} if tenant else {}).encode()
    request = urllib.request.Request(
        f"{server.endpoint_url}/_emulator/reset",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _completion(response: dict[str, Any]) -> list[dict[str, Any]]:
    return list(response["completion"])


def create_everything(server: EmulatorServer, tenant: str) -> None:
    """One thing in every store, for ``tenant``."""
    client(server, "bedrock-runtime", tenant).start_async_invoke(
        modelId="amazon.nova-reel-v1:0",
        modelInput={"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "A lighthouse at dawn"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://app-state/out/"}},
    )
    agent_runtime = client(server, "bedrock-agent-runtime", tenant)
    agent_runtime.start_flow_execution(
        flowIdentifier=SAMPLE_FLOW_ID,
        flowAliasIdentifier=DRAFT,
        inputs=[
            {
                "content": {"document": "INVOICE #1 Total: 10 USD"},
                "nodeName": "Input",
                "nodeOutputName": "document",
            }
        ],
    )
    agent_runtime.create_session()
    _completion(
        agent_runtime.invoke_agent(
            agentId=SAMPLE_AGENT_ID,
            agentAliasId=DRAFT,
            sessionId="remembered",
            inputText="Where is order ORD-100200?",
            memoryId="memory-1",
            endSession=True,
        )
    )
    events = _completion(
        agent_runtime.invoke_agent(
            agentId=DESK_AGENT, agentAliasId=DRAFT, sessionId="pending", inputText="Please reset EMP-0042"
        )
    )
    assert "returnControl" in events[-1]
    client(server, "bedrock", tenant).create_guardrail(
        name="app-state-guardrail",
        blockedInputMessaging="no",
        blockedOutputsMessaging="no",
        wordPolicyConfig={"wordsConfig": [{"text": "forbidden"}]},
    )
    client(server, "bedrock-agent", tenant).start_ingestion_job(
        knowledgeBaseId=SAMPLE_KNOWLEDGE_BASE_ID, dataSourceId=SAMPLE_DATA_SOURCE_ID
    )
    client(server, "bedrock-agent", tenant).create_prompt(name="app-state-prompt")
    client(server, "s3", tenant).create_bucket(Bucket="app-state-bucket")


def seen(server: EmulatorServer, tenant: str) -> dict[str, bool]:
    """Which stores hold something of ``tenant``'s."""
    agent_runtime = client(server, "bedrock-agent-runtime", tenant)
    memory = agent_runtime.get_agent_memory(
        agentId=SAMPLE_AGENT_ID, agentAliasId=DRAFT, memoryId="memory-1", memoryType="SESSION_SUMMARY"
    )
    jobs = client(server, "bedrock-agent", tenant).list_ingestion_jobs(
        knowledgeBaseId=SAMPLE_KNOWLEDGE_BASE_ID, dataSourceId=SAMPLE_DATA_SOURCE_ID
    )["ingestionJobSummaries"]
    return {
        "async invocations": bool(
            client(server, "bedrock-runtime", tenant).list_async_invokes()["asyncInvokeSummaries"]
        ),
        "flow executions": bool(
            agent_runtime.list_flow_executions(flowIdentifier=SAMPLE_FLOW_ID)["flowExecutionSummaries"]
        ),
        "sessions": bool(agent_runtime.list_sessions()["sessionSummaries"]),
        "memory": bool(memory["memoryContents"]),
        "conversation": _pending_return_control(agent_runtime),
        "guardrails": bool(client(server, "bedrock", tenant).list_guardrails()["guardrails"]),
        "jobs": len(jobs) > 1,  # the data source's first ingestion is everyone's
        "prompts": bool(client(server, "bedrock-agent", tenant).list_prompts()["promptSummaries"]),
        "buckets": bool(client(server, "s3", tenant).list_buckets()["Buckets"]),
    }


def _pending_return_control(agent_runtime: Any) -> bool:
    """Whether the conversation still waits for the returnControl results (answering it ends the wait)."""
    result = {
        "functionResult": {
            "actionGroup": "accounts",
            "function": "reset_password",
            "responseBody": {"TEXT": {"body": "done"}},
        }
    }
    try:
        _completion(
            agent_runtime.invoke_agent(
                agentId=DESK_AGENT,
                agentAliasId=DRAFT,
                sessionId="pending",
                inputText="",
                sessionState={"returnControlInvocationResults": [result]},
            )
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ValidationException":  # not "no pending returnControl"
            raise
        return False
    return True


def test_two_apps_in_one_process_share_no_stores(apps: tuple[EmulatorServer, EmulatorServer]) -> None:
    first, second = apps
    create_everything(first, "same-access-key")
    assert seen(second, "same-access-key") == dict.fromkeys(STORES, False)
    assert seen(first, "same-access-key") == dict.fromkeys(STORES, True)


def test_each_app_serves_the_definitions_its_own_settings_name(
    apps: tuple[EmulatorServer, EmulatorServer],
) -> None:
    first, second = apps
    assert client(first, "bedrock-agent", "definitions").get_flow(flowIdentifier="ONLYFIRST1")["name"] == (
        "only-in-the-first-app"
    )
    with pytest.raises(ClientError) as error:
        client(second, "bedrock-agent", "definitions").get_flow(flowIdentifier="ONLYFIRST1")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_reset_of_a_tenant_forgets_it_in_every_store_and_no_one_else(
    apps: tuple[EmulatorServer, EmulatorServer],
) -> None:
    first, _ = apps
    create_everything(first, "reset-me")
    create_everything(first, "keep-me")
    reset(first, "reset-me")
    assert seen(first, "reset-me") == dict.fromkeys(STORES, False)
    assert seen(first, "keep-me") == dict.fromkeys(STORES, True)


def test_reset_without_a_tenant_forgets_every_tenant(apps: tuple[EmulatorServer, EmulatorServer]) -> None:
    _, second = apps
    create_everything(second, "everyone-1")
    create_everything(second, "everyone-2")
    reset(second, None)
    assert seen(second, "everyone-1") == dict.fromkeys(STORES, False)
    assert seen(second, "everyone-2") == dict.fromkeys(STORES, False)


def test_a_reset_tenant_starts_again_with_the_same_ids(apps: tuple[EmulatorServer, EmulatorServer]) -> None:
    """Counters are per tenant and forgotten with it, so a reset run repeats its ids, request ids too."""
    first, _ = apps
    sessions = client(first, "bedrock-agent-runtime", "repeat")
    before = sessions.create_session()
    reset(first, "repeat")
    after = sessions.create_session()
    assert after["sessionId"] == before["sessionId"]
    assert after["ResponseMetadata"]["RequestId"] == before["ResponseMetadata"]["RequestId"]
