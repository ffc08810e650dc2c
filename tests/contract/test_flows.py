"""Flows through real boto3 over a real socket: seed 002's invoice flow end to end, flows defined in a
``flows:`` file (conditions, iterator/collector, knowledge base, multi-turn), the flow-executions API and
bedrock-agent's GetFlow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EventStreamError

from emulator import flows
from emulator.pytest_plugin import served_definitions
from emulator.state import AppState

ANY_FLOW = "ABCDEFGHIJ"  # unknown: lenient mode serves the bundled invoice flow under this id
ALIAS = "TSTALIASID"
INVOICE = (
    "INVOICE #INV-2026-0042\nVendor: Northwind Traders\nDate: 2026-03-01\nDue: 2026-03-15\n"
    "1 x Industrial printer  4,200.00\n2 x Toner pack  180.00\nTotal: 4,560.00 USD"
)

FLOWS_FILE = """
flows:
  - id: ROUTEFLOW1
    name: route-by-amount
    aliases: [PRODALIAS1]
    definition:
      nodes:
        - {name: Start, type: Input, outputs: [{name: document, type: Object}]}
        - name: Route
          type: Condition
          inputs: [{name: amount, type: Number, expression: $.data.amount}]
          configuration:
            condition:
              conditions:
                - {name: large, expression: "amount >= 1000 and not (amount > 100000)"}
                - {name: default}
        - name: Approve
          type: LambdaFunction
          configuration: {lambdaFunction: {lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:approve"}}
          inputs: [{name: codeHookInput, type: Number, expression: $.data.amount}]
          emulator: {outputs: {functionResponse: "needs approval: {{codeHookInput}}"}}
        - {name: Large, type: Output}
        - name: Small
          type: Output
          inputs: [{name: document, type: String, expression: $.data.vendor}]
      connections:
        - {name: c1, source: Start, target: Route, configuration: {data: {sourceOutput: document, targetInput: amount}}}
        - {name: c2, type: Conditional, source: Route, target: Approve, configuration: {conditional: {condition: large}}}
        - {name: c3, type: Conditional, source: Route, target: Small, configuration: {conditional: {condition: default}}}
        - {name: c4, source: Start, target: Approve}
        - {name: c5, source: Approve, target: Large}
        - {name: c6, source: Start, target: Small}
  - id: LOOPFLOW01
    name: per-line-items
    definition:
      nodes:
        - {name: Start, type: Input, outputs: [{name: document, type: Array}]}
        - {name: Each, type: Iterator}
        - name: Label
          type: LambdaFunction
          configuration: {lambdaFunction: {lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:label"}}
          inputs: [{name: codeHookInput, type: String, expression: $.data.sku}]
          emulator: {outputs: {functionResponse: "line {{codeHookInput}}"}}
        - {name: Gather, type: Collector}
        - {name: Result, type: Output, inputs: [{name: document, type: Array, expression: $.data}]}
      connections:
        - {name: c1, source: Start, target: Each}
        - {name: c2, source: Each, target: Label, configuration: {data: {sourceOutput: arrayItem, targetInput: codeHookInput}}}
        - {name: c3, source: Label, target: Gather, configuration: {data: {sourceOutput: functionResponse, targetInput: arrayItem}}}
        - {name: c4, source: Each, target: Gather, configuration: {data: {sourceOutput: arraySize, targetInput: arraySize}}}
        - {name: c5, source: Gather, target: Result}
  - id: ASKFLOW001
    name: ask-for-po
    definition:
      nodes:
        - {name: Start, type: Input}
        - name: Clerk
          type: Agent
          configuration: {agent: {agentAliasArn: "arn:aws:bedrock:us-east-1:123456789012:agent-alias/AGENT12345/ALIAS12345"}}
          emulator:
            ask: "Which purchase order does {{agentInputText}} belong to?"
            outputs: {agentResponse: "Filed under {{answer}}"}
        - {name: Done, type: Output}
      connections:
        - {name: c1, source: Start, target: Clerk}
        - {name: c2, source: Clerk, target: Done}
  - id: KBFLOW0001
    name: kb-lookup
    definition:
      nodes:
        - {name: Start, type: Input}
        - {name: Docs, type: KnowledgeBase, configuration: {knowledgeBase: {knowledgeBaseId: MYKB123456, numberOfResults: 3}}}
        - {name: Found, type: Output, inputs: [{name: document, type: Array, expression: $.data}]}
      connections:
        - {name: c1, source: Start, target: Docs}
        - {name: c2, source: Docs, target: Found}
"""


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory, bedrock_emulator_server: Any) -> Iterator[None]:
    path = tmp_path_factory.mktemp("flows") / "flows.yaml"
    path.write_text(FLOWS_FILE)
    with served_definitions(bedrock_emulator_server, "flows", [path]):
        yield


@pytest.fixture
def runtime(bedrock_emulator: Any) -> Any:
    return bedrock_emulator.client("bedrock-agent-runtime")


def strict(bedrock_emulator: Any) -> None:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: flows-strict-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )


def invoke(
    runtime: Any, flow_id: str, document: Any, node: str = "Start", **extra: Any
) -> tuple[str, list[dict[str, Any]]]:
    response = runtime.invoke_flow(
        flowIdentifier=flow_id,
        flowAliasIdentifier=ALIAS,
        inputs=[{"content": {"document": document}, "nodeName": node, "nodeOutputName": "document"}],
        **extra,
    )
    return response["executionId"], list(response["responseStream"])


def outputs(events: list[dict[str, Any]]) -> list[Any]:
    return [e["flowOutputEvent"]["content"]["document"] for e in events if "flowOutputEvent" in e]


# -- seed 002 ---------------------------------------------------------------------------------------------


def test_seed_002_invoice_flow_runs_end_to_end_with_only_endpoint_url(bedrock_emulator: Any) -> None:
    # What seed 002's application does once its flow exists; only endpoint_url is added.
    client = boto3.client(
        "bedrock-agent-runtime", endpoint_url=bedrock_emulator.endpoint_url, **bedrock_emulator.credentials
    )
    response = client.invoke_flow(
        flowIdentifier="INVOICEFLW",
        flowAliasIdentifier="TSTALIASID",
        inputs=[{"content": {"document": INVOICE}, "nodeName": "Input", "nodeOutputName": "document"}],
    )
    result: dict[str, Any] = {}
    for event in response["responseStream"]:
        if "flowOutputEvent" in event:
            result["priority"] = event["flowOutputEvent"]["content"]["document"]
            result["node"] = event["flowOutputEvent"]["nodeName"], event["flowOutputEvent"]["nodeType"]
        elif "flowCompletionEvent" in event:
            result["completion"] = event["flowCompletionEvent"]["completionReason"]
    assert result["completion"] == "SUCCESS"
    assert result["node"] == ("Output", "FlowOutputNode")
    assert isinstance(result["priority"], str)
    assert result["priority"].strip()
    assert response["executionId"]
    again = client.invoke_flow(
        flowIdentifier="INVOICEFLW",
        flowAliasIdentifier="TSTALIASID",
        inputs=[{"content": {"document": INVOICE}, "nodeName": "Input", "nodeOutputName": "document"}],
    )
    assert outputs(list(again["responseStream"])) == [result["priority"]]  # deterministic


def test_invoice_flow_trace_shows_each_prompt_with_the_invoice_filled_in(runtime: Any) -> None:
    _, events = invoke(runtime, ANY_FLOW, INVOICE, node="FlowInputNode", enableTrace=True)
    traces = [e["flowTraceEvent"]["trace"] for e in events if "flowTraceEvent" in e]
    inputs = {t["nodeInputTrace"]["nodeName"]: t["nodeInputTrace"] for t in traces if "nodeInputTrace" in t}
    assert list(inputs) == ["ExtractInfo", "ClassifyPriority", "Output"]
    assert inputs["ExtractInfo"]["fields"][0]["content"]["document"] == INVOICE
    assert inputs["ExtractInfo"]["fields"][0]["source"] == {
        "nodeName": "Input",
        "outputFieldName": "document",
        "expression": "$.data",
    }
    actions = [t["nodeActionTrace"] for t in traces if "nodeActionTrace" in t]
    assert INVOICE in actions[0]["operationRequest"]["messages"][0]["content"][0]["text"]
    first_output = next(t["nodeOutputTrace"] for t in traces if "nodeOutputTrace" in t)
    assert first_output["nodeName"] == "Input"
    assert first_output["fields"][0]["next"] == [{"nodeName": "ExtractInfo", "inputFieldName": "document"}]
    assert list(events[-1]) == ["flowCompletionEvent"]


def test_invoke_flow_sends_no_trace_events_unless_enable_trace(runtime: Any) -> None:
    _, events = invoke(runtime, ANY_FLOW, INVOICE, node="Input")
    assert [next(iter(e)) for e in events] == ["flowOutputEvent", "flowCompletionEvent"]


def test_invoke_flow_unknown_flow_is_resource_not_found_in_strict_mode(
    bedrock_emulator: Any, runtime: Any
) -> None:
    strict(bedrock_emulator)
    with pytest.raises(ClientError) as error:
        invoke(runtime, ANY_FLOW, INVOICE)
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# -- flows from a flows: file -------------------------------------------------------------------------------


@pytest.mark.usefixtures("configured")
def test_condition_node_routes_by_expression_over_its_inputs(runtime: Any) -> None:
    _, large = invoke(runtime, "ROUTEFLOW1", {"amount": 4560, "vendor": "Northwind"}, enableTrace=True)
    assert outputs(large) == ["needs approval: 4560"]
    results = [
        e["flowTraceEvent"]["trace"]["conditionNodeResultTrace"]
        for e in large
        if "conditionNodeResultTrace" in e.get("flowTraceEvent", {}).get("trace", {})
    ]
    assert [c["conditionName"] for c in results[0]["satisfiedConditions"]] == ["large"]
    _, small = invoke(runtime, "ROUTEFLOW1", {"amount": 40, "vendor": "Northwind"})
    assert outputs(small) == ["Northwind"]
    assert small[-1] == {"flowCompletionEvent": {"completionReason": "SUCCESS"}}


@pytest.mark.usefixtures("configured")
def test_iterator_runs_each_item_and_collector_gathers_them_in_order(runtime: Any) -> None:
    _, events = invoke(runtime, "LOOPFLOW01", [{"sku": "A1"}, {"sku": "B2"}, {"sku": "C3"}])
    assert outputs(events) == [["line A1", "line B2", "line C3"]]


@pytest.mark.usefixtures("configured")
def test_knowledge_base_node_returns_retrieval_results_from_the_knowledge_base(runtime: Any) -> None:
    _, events = invoke(runtime, "KBFLOW0001", "how do I reset my password")
    (results,) = outputs(events)
    assert len(results) == 3
    assert "Forgot password" in results[0]["content"]["text"]
    assert results[0]["metadata"]["x-amz-bedrock-kb-source-uri"].endswith("account-help.md")


@pytest.mark.usefixtures("configured")
def test_agent_node_asks_for_more_input_and_the_next_call_resumes_the_execution(runtime: Any) -> None:
    execution_id, first = invoke(runtime, "ASKFLOW001", "invoice INV-42")
    assert first[0]["flowMultiTurnInputRequestEvent"] == {
        "content": {"document": "Which purchase order does invoice INV-42 belong to?"},
        "nodeName": "Clerk",
        "nodeType": "AgentNode",
    }
    assert first[-1] == {"flowCompletionEvent": {"completionReason": "INPUT_REQUIRED"}}
    response = runtime.invoke_flow(
        flowIdentifier="ASKFLOW001",
        flowAliasIdentifier=ALIAS,
        executionId=execution_id,
        inputs=[{"content": {"document": "PO-7"}, "nodeName": "Clerk", "nodeInputName": "agentInputText"}],
    )
    assert response["executionId"] == execution_id
    second = list(response["responseStream"])
    assert outputs(second) == ["Filed under PO-7"]
    assert second[-1] == {"flowCompletionEvent": {"completionReason": "SUCCESS"}}


@pytest.mark.usefixtures("configured")
def test_invoke_flow_with_a_node_name_the_flow_lacks_is_a_validation_error(runtime: Any) -> None:
    with pytest.raises(ClientError) as error:
        invoke(runtime, "ROUTEFLOW1", {"amount": 1}, node="Nowhere")
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "Start" in error.value.response["Error"]["Message"]


@pytest.mark.usefixtures("configured")
def test_node_whose_expression_misses_fails_the_stream_after_earlier_events(runtime: Any) -> None:
    response = runtime.invoke_flow(
        flowIdentifier="ROUTEFLOW1",
        flowAliasIdentifier=ALIAS,
        inputs=[
            {"content": {"document": {"vendor": "X"}}, "nodeName": "Start", "nodeOutputName": "document"}
        ],
        enableTrace=True,
    )
    seen: list[dict[str, Any]] = []
    with pytest.raises(EventStreamError) as error:
        seen.extend(response["responseStream"])
    assert error.value.response["Error"]["Code"] == "validationException"
    assert "amount" in error.value.response["Error"]["Message"]
    assert seen  # the Start node's trace went out before the failure


@pytest.mark.usefixtures("configured")
def test_declared_alias_is_served_in_strict_mode_and_unknown_alias_is_not(
    bedrock_emulator: Any, runtime: Any
) -> None:
    strict(bedrock_emulator)
    response = runtime.invoke_flow(
        flowIdentifier="ROUTEFLOW1",
        flowAliasIdentifier="PRODALIAS1",
        inputs=[{"content": {"document": {"amount": 5, "vendor": "V"}}, "nodeName": "Start"}],
    )
    assert outputs(list(response["responseStream"])) == ["V"]
    with pytest.raises(ClientError) as error:
        runtime.invoke_flow(
            flowIdentifier="ROUTEFLOW1",
            flowAliasIdentifier="OTHERALIAS",
            inputs=[{"content": {"document": {"amount": 5}}, "nodeName": "Start"}],
        )
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


# -- flow executions ------------------------------------------------------------------------------------------


def start(runtime: Any, flow_id: str = ANY_FLOW, **extra: Any) -> str:
    response = runtime.start_flow_execution(
        flowIdentifier=flow_id,
        flowAliasIdentifier=ALIAS,
        inputs=[{"content": {"document": INVOICE}, "nodeName": "Input", "nodeOutputName": "document"}],
        **extra,
    )
    arn: str = response["executionArn"]
    return arn


def test_flow_execution_runs_to_succeeded_with_flow_and_node_events(runtime: Any) -> None:
    arn = start(runtime)
    assert arn.startswith(f"arn:aws:bedrock:us-east-1:123456789012:flow/{ANY_FLOW}/alias/{ALIAS}/execution/")
    ids = {"flowIdentifier": ANY_FLOW, "flowAliasIdentifier": ALIAS, "executionIdentifier": arn}
    execution = runtime.get_flow_execution(**ids)
    assert execution["status"] == "Succeeded"
    assert execution["flowVersion"] == "DRAFT"
    assert execution["endedAt"] >= execution["startedAt"]
    flow_events = runtime.list_flow_execution_events(**ids, eventType="Flow")["flowExecutionEvents"]
    assert [next(iter(e)) for e in flow_events] == ["flowInputEvent", "flowOutputEvent"]
    assert flow_events[0]["flowInputEvent"]["fields"][0]["content"]["document"] == INVOICE
    node_events = runtime.list_flow_execution_events(**ids, eventType="Node")["flowExecutionEvents"]
    kinds = [next(iter(e)) for e in node_events]
    assert {"nodeInputEvent", "nodeOutputEvent", "nodeActionEvent"} == set(kinds)
    snapshot = runtime.get_execution_flow_snapshot(**ids)
    assert [n["name"] for n in json.loads(snapshot["definition"])["nodes"]] == [
        "Input",
        "ExtractInfo",
        "ClassifyPriority",
        "Output",
    ]
    assert snapshot["flowVersion"] == "DRAFT"


def test_list_flow_executions_pages_newest_first_and_only_the_callers_own(
    bedrock_emulator: Any, runtime: Any
) -> None:
    arns = [start(runtime, flowExecutionName=f"run-{i}") for i in range(12)]
    first = runtime.list_flow_executions(flowIdentifier=ANY_FLOW)
    assert len(first["flowExecutionSummaries"]) == 10
    second = runtime.list_flow_executions(flowIdentifier=ANY_FLOW, nextToken=first["nextToken"])
    listed = [s["executionArn"] for s in first["flowExecutionSummaries"] + second["flowExecutionSummaries"]]
    assert listed == list(reversed(arns))
    assert "nextToken" not in second
    other = boto3.client(
        "bedrock-agent-runtime",
        endpoint_url=bedrock_emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=f"{bedrock_emulator.tenant}-other",
        aws_secret_access_key="x",
    )
    assert other.list_flow_executions(flowIdentifier=ANY_FLOW)["flowExecutionSummaries"] == []
    with pytest.raises(ClientError) as error:
        other.get_flow_execution(
            flowIdentifier=ANY_FLOW, flowAliasIdentifier=ALIAS, executionIdentifier=arns[0]
        )
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_duplicate_flow_execution_name_is_a_conflict(runtime: Any) -> None:
    start(runtime, flowExecutionName="nightly-1")
    with pytest.raises(ClientError) as error:
        start(runtime, flowExecutionName="nightly-1")
    assert error.value.response["Error"]["Code"] == "ConflictException"


def test_stop_flow_execution_before_it_finishes_aborts_it(runtime: Any) -> None:
    arn = start(runtime)
    ids = {"flowIdentifier": ANY_FLOW, "flowAliasIdentifier": ALIAS, "executionIdentifier": arn}
    stopped = runtime.stop_flow_execution(**ids)
    assert stopped == {**stopped, "executionArn": arn, "status": "Aborted"}
    assert runtime.get_flow_execution(**ids)["status"] == "Aborted"
    assert runtime.list_flow_execution_events(**ids, eventType="Node")["flowExecutionEvents"] == []


def test_get_flow_execution_of_unknown_execution_is_resource_not_found(runtime: Any) -> None:
    with pytest.raises(ClientError) as error:
        runtime.get_flow_execution(
            flowIdentifier=ANY_FLOW, flowAliasIdentifier=ALIAS, executionIdentifier="nope-1"
        )
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


# -- bedrock-agent GetFlow ------------------------------------------------------------------------------------


def test_get_flow_describes_a_prepared_draft_with_its_definition(bedrock_emulator: Any) -> None:
    agent = bedrock_emulator.client("bedrock-agent")
    flow = agent.get_flow(flowIdentifier=ANY_FLOW)
    assert flow["id"] == ANY_FLOW
    assert flow["arn"] == f"arn:aws:bedrock:us-east-1:123456789012:flow/{ANY_FLOW}"
    assert (flow["status"], flow["version"]) == ("Prepared", "DRAFT")
    assert flow["name"] == "InvoiceProcessingFlow"
    connection = flow["definition"]["connections"][0]
    assert connection["configuration"] == {"data": {"sourceOutput": "document", "targetInput": "document"}}
    assert "definition" not in agent.get_flow(flowIdentifier=ANY_FLOW, includedData="METADATA_ONLY")


@pytest.mark.usefixtures("configured")
def test_get_flow_of_a_configured_flow_hides_emulator_blocks(bedrock_emulator: Any) -> None:
    flow = bedrock_emulator.client("bedrock-agent").get_flow(flowIdentifier="ROUTEFLOW1")
    assert flow["name"] == "route-by-amount"
    assert all("emulator" not in node for node in flow["definition"]["nodes"])
    route = next(n for n in flow["definition"]["nodes"] if n["name"] == "Route")
    assert route["configuration"]["condition"]["conditions"][0]["expression"].startswith("amount >= 1000")


def test_get_flow_unknown_id_is_resource_not_found_in_strict_mode(bedrock_emulator: Any) -> None:
    strict(bedrock_emulator)
    with pytest.raises(ClientError) as error:
        bedrock_emulator.client("bedrock-agent").get_flow(flowIdentifier=ANY_FLOW)
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_flows_file_path_is_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(FLOWS_FILE)
    monkeypatch.setenv("BEDROCK_EMULATOR_FLOWS", str(path))
    assert "LOOPFLOW01" in flows.current(AppState()).flows  # an app given no flows files
