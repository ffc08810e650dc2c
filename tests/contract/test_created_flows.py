"""Flows made through bedrock-agent run as made: CreateFlow, ValidateFlowDefinition, PrepareFlow,
versions and aliases, then InvokeFlow and StartFlowExecution through the alias, with real boto3 over a
socket in ``--strict`` mode (so nothing is served by the bundled sample)."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from emulator.control.accounts import account_id
from emulator.pytest_plugin import BedrockEmulator

ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonBedrockExecutionRoleForFlows_test"
MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0"
TOPIC = "the spring tides of the Tagus estuary"
_names = itertools.count(1)


def prompt_node(name: str, template: str, variable: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "Prompt",
        "configuration": {
            "prompt": {
                "sourceConfiguration": {
                    "inline": {
                        "modelId": MODEL,
                        "templateType": "TEXT",
                        "templateConfiguration": {
                            "text": {"text": template, "inputVariables": [{"name": variable}]}
                        },
                        "inferenceConfiguration": {"text": {"maxTokens": 80}},
                    }
                }
            }
        },
        "inputs": [{"name": variable, "type": "String", "expression": "$.data"}],
        "outputs": [{"name": "modelCompletion", "type": "String"}],
    }


def data(source: str, output: str, target: str, target_input: str) -> dict[str, Any]:
    return {
        "name": f"{source}To{target}",
        "type": "Data",
        "source": source,
        "target": target,
        "configuration": {"data": {"sourceOutput": output, "targetInput": target_input}},
    }


# Input -> Prompt -> Output, written the way the API takes it (every input, output and configuration).
FLOW: dict[str, Any] = {
    "nodes": [
        {
            "name": "Start",
            "type": "Input",
            "configuration": {"input": {}},
            "outputs": [{"name": "document", "type": "String"}],
        },
        prompt_node("Summarise", "Summarise in one line: {{topic}}", "topic"),
        {
            "name": "End",
            "type": "Output",
            "configuration": {"output": {}},
            "inputs": [{"name": "document", "type": "String", "expression": "$.data"}],
        },
    ],
    "connections": [
        data("Start", "document", "Summarise", "topic"),
        data("Summarise", "modelCompletion", "End", "document"),
    ],
}

# Seed 002's create_flow call, fixed only where it is refused: botocore wants the Input and Output
# configurations empty, templateType on inline prompts and a type on connections; Bedrock wants a role
# ARN with a 12-digit account. The rest (no inputs or outputs, Data connections without configuration, a
# model id without its version suffix) is sent as the seed wrote it.
SEED_002_FLOW: dict[str, Any] = {
    "nodes": [
        {"name": "Input", "type": "Input", "configuration": {"input": {}}},
        {
            "name": "ExtractInfo",
            "type": "Prompt",
            "configuration": {
                "prompt": {
                    "sourceConfiguration": {
                        "inline": {
                            "modelId": "anthropic.claude-haiku-4-5-20251001",
                            "templateType": "TEXT",
                            "templateConfiguration": {
                                "text": {
                                    "text": "Extract the following from this invoice: vendor name, invoice number, "
                                    "date, total amount, line items.\n\nInvoice:\n{{document}}\n\n"
                                    "Respond in JSON format."
                                }
                            },
                        }
                    }
                }
            },
        },
        {
            "name": "ClassifyPriority",
            "type": "Prompt",
            "configuration": {
                "prompt": {
                    "sourceConfiguration": {
                        "inline": {
                            "modelId": "anthropic.claude-haiku-4-5-20251001",
                            "templateType": "TEXT",
                            "templateConfiguration": {
                                "text": {
                                    "text": "Classify this invoice as HIGH, MEDIUM, or LOW priority based on "
                                    "amount and due date.\n\nInvoice data: {{extracted_info}}\n\n"
                                    "Respond with just the priority level."
                                }
                            },
                        }
                    }
                }
            },
        },
        {"name": "Output", "type": "Output", "configuration": {"output": {}}},
    ],
    "connections": [
        {"name": "c1", "source": "Input", "target": "ExtractInfo", "type": "Data"},
        {"name": "c2", "source": "ExtractInfo", "target": "ClassifyPriority", "type": "Data"},
        {"name": "c3", "source": "ClassifyPriority", "target": "Output", "type": "Data"},
    ],
}
SEED_002_ROLE = "arn:aws:iam::123:role/BedrockFlowRole"  # as the seed wrote it: not a 12-digit account
INVOICE = "INVOICE #INV-2026-0042\nVendor: Northwind Traders\nTotal: 4,560.00 USD\nDue: 2026-03-15"


@pytest.fixture
def clients(bedrock_emulator: BedrockEmulator) -> tuple[Any, Any]:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: created-flows-strict-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    return bedrock_emulator.client("bedrock-agent"), bedrock_emulator.client("bedrock-agent-runtime")


def prepared_flow(agent: Any, emulator: BedrockEmulator, definition: dict[str, Any] = FLOW) -> dict[str, Any]:
    flow: dict[str, Any] = agent.create_flow(
        name=f"flow-{next(_names)}", executionRoleArn=ROLE, definition=definition
    )
    assert agent.prepare_flow(flowIdentifier=flow["id"])["status"] == "Preparing"
    emulator.advance_clock(2)
    assert agent.get_flow(flowIdentifier=flow["id"])["status"] == "Prepared"
    return flow


def invoke(runtime: Any, flow_id: str, alias: str, document: Any, node: str = "Start") -> dict[str, Any]:
    response = runtime.invoke_flow(
        flowIdentifier=flow_id,
        flowAliasIdentifier=alias,
        inputs=[{"content": {"document": document}, "nodeName": node, "nodeOutputName": "document"}],
        enableTrace=True,
    )
    events = list(response["responseStream"])
    return {"executionId": response["executionId"], "events": events}


def outputs(events: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    return [
        (e["flowOutputEvent"]["nodeName"], e["flowOutputEvent"]["content"]["document"])
        for e in events
        if "flowOutputEvent" in e
    ]


def completion(events: list[dict[str, Any]]) -> str:
    [reason] = [e["flowCompletionEvent"]["completionReason"] for e in events if "flowCompletionEvent" in e]
    return str(reason)


def prompts_sent(events: list[dict[str, Any]]) -> dict[str, str]:
    """What each Prompt node asked its model (nodeActionTrace's Converse request)."""
    return {
        t["nodeActionTrace"]["nodeName"]: t["nodeActionTrace"]["operationRequest"]["messages"][0]["content"][
            0
        ]["text"]
        for e in events
        if "flowTraceEvent" in e
        for t in [e["flowTraceEvent"]["trace"]]
        if "nodeActionTrace" in t
    }


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def test_a_created_flow_runs_through_its_alias_once_prepared_and_versioned(
    clients: tuple[Any, Any], bedrock_emulator: BedrockEmulator
) -> None:
    agent, runtime = clients
    assert agent.validate_flow_definition(definition=FLOW)["validations"] == []
    flow = agent.create_flow(name=f"flow-{next(_names)}", executionRoleArn=ROLE, definition=FLOW)
    with pytest.raises(runtime.exceptions.ConflictException) as raised:
        invoke(runtime, flow["id"], "TSTALIASID", TOPIC)
    assert error_of(raised) == (
        409,
        "ConflictException",
        "Couldn't perform InvokeFlow operation. The resource that you specified is currently in status "
        "NotPrepared. Retry your request after the resource changes to a valid status.",
    )

    agent.prepare_flow(flowIdentifier=flow["id"])
    bedrock_emulator.advance_clock(2)
    version = agent.create_flow_version(flowIdentifier=flow["id"])["version"]
    alias = agent.create_flow_alias(
        flowIdentifier=flow["id"], name="live", routingConfiguration=[{"flowVersion": version}]
    )
    run = invoke(runtime, flow["id"], alias["id"], TOPIC)

    events = run["events"]
    assert [next(iter(e)) for e in events if "flowTraceEvent" not in e] == [
        "flowOutputEvent",
        "flowCompletionEvent",
    ]
    assert completion(events) == "SUCCESS"
    [(node, answer)] = outputs(events)
    assert node == "End"
    assert isinstance(answer, str)
    assert answer
    assert prompts_sent(events) == {"Summarise": f"Summarise in one line: {TOPIC}"}
    by_arn = invoke(runtime, flow["arn"], alias["arn"], TOPIC)
    assert outputs(by_arn["events"]) == outputs(events)  # deterministic, and ARNs name the same flow


def test_an_alias_keeps_running_its_version_after_the_draft_changes(
    clients: tuple[Any, Any], bedrock_emulator: BedrockEmulator
) -> None:
    agent, runtime = clients
    flow = prepared_flow(agent, bedrock_emulator)
    agent.create_flow_version(flowIdentifier=flow["id"])
    alias = agent.create_flow_alias(
        flowIdentifier=flow["id"], name="v1", routingConfiguration=[{"flowVersion": "1"}]
    )
    changed = copy.deepcopy(FLOW)
    inline = changed["nodes"][1]["configuration"]["prompt"]["sourceConfiguration"]["inline"]
    inline["templateConfiguration"]["text"]["text"] = "Explain to a child: {{topic}}"
    agent.update_flow(flowIdentifier=flow["id"], name=flow["name"], executionRoleArn=ROLE, definition=changed)

    assert prompts_sent(invoke(runtime, flow["id"], alias["id"], TOPIC)["events"]) == {
        "Summarise": f"Summarise in one line: {TOPIC}"
    }
    with pytest.raises(runtime.exceptions.ConflictException):  # the draft is NotPrepared again
        invoke(runtime, flow["id"], "TSTALIASID", TOPIC)
    agent.prepare_flow(flowIdentifier=flow["id"])
    bedrock_emulator.advance_clock(2)
    assert prompts_sent(invoke(runtime, flow["id"], "TSTALIASID", TOPIC)["events"]) == {
        "Summarise": f"Explain to a child: {TOPIC}"
    }


def test_an_alias_to_a_deleted_version_or_an_unknown_alias_is_resource_not_found(
    clients: tuple[Any, Any], bedrock_emulator: BedrockEmulator
) -> None:
    agent, runtime = clients
    flow = prepared_flow(agent, bedrock_emulator)
    agent.create_flow_version(flowIdentifier=flow["id"])
    alias = agent.create_flow_alias(
        flowIdentifier=flow["id"], name="v1", routingConfiguration=[{"flowVersion": "1"}]
    )
    agent.delete_flow_version(flowIdentifier=flow["id"], flowVersion="1", skipResourceInUseCheck=True)

    for alias_id in (alias["id"], "NOSUCHALIA"):
        with pytest.raises(runtime.exceptions.ResourceNotFoundException) as raised:
            invoke(runtime, flow["id"], alias_id, TOPIC)
        assert error_of(raised)[:2] == (404, "ResourceNotFoundException")


def test_start_flow_execution_runs_the_created_flow(
    clients: tuple[Any, Any], bedrock_emulator: BedrockEmulator
) -> None:
    agent, runtime = clients
    flow = prepared_flow(agent, bedrock_emulator)
    agent.create_flow_version(flowIdentifier=flow["id"])
    alias = agent.create_flow_alias(
        flowIdentifier=flow["id"], name="v1", routingConfiguration=[{"flowVersion": "1"}]
    )

    arn = runtime.start_flow_execution(
        flowIdentifier=flow["id"],
        flowAliasIdentifier=alias["id"],
        inputs=[{"content": {"document": TOPIC}, "nodeName": "Start", "nodeOutputName": "document"}],
    )["executionArn"]

    account = account_id(bedrock_emulator.tenant)
    assert arn.startswith(
        f"arn:aws:bedrock:us-east-1:{account}:flow/{flow['id']}/alias/{alias['id']}/execution/"
    )
    execution = runtime.get_flow_execution(
        flowIdentifier=flow["id"], flowAliasIdentifier=alias["id"], executionIdentifier=arn
    )
    assert execution["status"] == "Succeeded"
    events = runtime.list_flow_execution_events(
        flowIdentifier=flow["id"], flowAliasIdentifier=alias["id"], executionIdentifier=arn, eventType="Flow"
    )["flowExecutionEvents"]
    assert [next(iter(e)) for e in events] == ["flowInputEvent", "flowOutputEvent"]
    listed = runtime.list_flow_executions(flowIdentifier=flow["id"])["flowExecutionSummaries"]
    assert [s["executionArn"] for s in listed] == [arn]


def test_seed_002_create_flow_as_written_is_refused_before_and_at_bedrock(
    clients: tuple[Any, Any], bedrock_emulator: BedrockEmulator
) -> None:
    agent, _ = clients
    as_written = copy.deepcopy(SEED_002_FLOW)
    as_written["nodes"][0]["configuration"] = {"input": {"document": {"type": "String"}}}
    for connection in as_written["connections"]:
        del connection["type"]
    with pytest.raises(ParamValidationError):  # botocore checks the definition's structure first
        agent.create_flow(name=f"flow-{next(_names)}", executionRoleArn=SEED_002_ROLE, definition=as_written)
    assert bedrock_emulator.requests() == []

    with pytest.raises(agent.exceptions.ValidationException) as raised:  # Bedrock checks the role's pattern
        agent.create_flow(
            name=f"flow-{next(_names)}", executionRoleArn=SEED_002_ROLE, definition=SEED_002_FLOW
        )
    assert error_of(raised)[2].startswith(
        f"1 validation error detected: Value '{SEED_002_ROLE}' at 'executionRoleArn' failed to satisfy constraint"
    )


def test_seed_002_create_flow_prepares_and_runs(
    clients: tuple[Any, Any], bedrock_emulator: BedrockEmulator
) -> None:
    agent, runtime = clients
    assert agent.validate_flow_definition(definition=SEED_002_FLOW)["validations"] == []
    flow = prepared_flow(agent, bedrock_emulator, SEED_002_FLOW)

    run = invoke(runtime, flow["id"], "TSTALIASID", INVOICE, node="Input")

    assert completion(run["events"]) == "SUCCESS"
    [(node, priority)] = outputs(run["events"])
    assert node == "Output"
    assert isinstance(priority, str)
    assert priority
    sent = prompts_sent(run["events"])
    assert INVOICE in sent["ExtractInfo"]
    assert sent["ClassifyPriority"].startswith("Classify this invoice as HIGH, MEDIUM, or LOW priority")


def test_a_prompt_node_naming_a_managed_prompt_runs_that_prompt(
    clients: tuple[Any, Any], bedrock_emulator: BedrockEmulator
) -> None:
    agent, runtime = clients
    prompt = agent.create_prompt(
        name=f"prompt-{next(_names)}",
        defaultVariant="main",
        variants=[
            {
                "name": "main",
                "templateType": "TEXT",
                "modelId": MODEL,
                "templateConfiguration": {"text": {"text": "Translate into Portuguese: {{topic}}"}},
            }
        ],
    )
    version_arn = agent.create_prompt_version(promptIdentifier=prompt["id"])["arn"]
    definition = copy.deepcopy(FLOW)
    definition["nodes"][1]["configuration"] = {
        "prompt": {"sourceConfiguration": {"resource": {"promptArn": version_arn}}}
    }
    flow = prepared_flow(agent, bedrock_emulator, definition)

    sent = prompts_sent(invoke(runtime, flow["id"], "TSTALIASID", TOPIC)["events"])

    assert sent == {"Summarise": f"Translate into Portuguese: {TOPIC}"}


def test_validate_flow_definition_reports_each_problem_with_its_type_and_details(
    clients: tuple[Any, Any], bedrock_emulator: BedrockEmulator
) -> None:
    agent, _ = clients
    broken = copy.deepcopy(FLOW)
    broken["connections"][1]["target"] = "Finish"  # End's input is now fed by nothing
    broken["connections"].append(data("Summarise", "modelCompletion", "Summarise", "topic"))

    found = agent.validate_flow_definition(definition=broken)["validations"]

    assert [(v["type"], v["severity"], v["details"]) for v in found] == [
        (
            "UnknownConnectionTarget",
            "Error",
            {"unknownConnectionTarget": {"connection": "SummariseToEnd"}},
        ),
        (
            "MultipleNodeInputConnections",
            "Error",
            {"multipleNodeInputConnections": {"node": "Summarise", "input": "topic"}},
        ),
        ("UnfulfilledNodeInput", "Error", {"unfulfilledNodeInput": {"node": "End", "input": "document"}}),
        ("CyclicConnection", "Error", {"cyclicConnection": {"connection": "SummariseToSummarise"}}),
        ("UnreachableNode", "Warning", {"unreachableNode": {"node": "End"}}),
    ]
    flow = agent.create_flow(name=f"flow-{next(_names)}", executionRoleArn=ROLE, definition=broken)
    agent.prepare_flow(flowIdentifier=flow["id"])
    bedrock_emulator.advance_clock(2)
    got = agent.get_flow(flowIdentifier=flow["id"])
    assert (got["status"], got["validations"]) == ("Failed", found)
