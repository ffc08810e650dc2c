"""A minimal valid boto3 call for each of bedrock-agent's operations, with what it needs created first.

``CALLS[operation](world)`` returns the keyword arguments of one call that must succeed, in default and
in strict mode: ``World`` creates the resources a call refers to through the same boto3 client (a
knowledge base, a data source, a prepared agent with an alias and a version, a prepared flow...), once
per test, and moves the emulator's clock past their transitions instead of sleeping. Shared by the
contract tests (tests/contract/test_agent_control_operations.py) and the output-shape audit
(tests/wire/test_shape_conformance.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cached_property
from typing import Any

Params = dict[str, Any]

ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonBedrockExecutionRole_calls"
EMBEDDINGS = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
INSTRUCTION = "You are a helpful assistant that answers questions about the weather politely."
KB_CONFIGURATION = {"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {"embeddingModelArn": EMBEDDINGS}}
S3_SOURCE = {"type": "S3", "s3Configuration": {"bucketArn": "arn:aws:s3:::calls-bucket"}}
CUSTOM_SOURCE = {"type": "CUSTOM"}  # documents are ingested directly into a CUSTOM data source
DOCUMENT = {
    "content": {
        "dataSourceType": "CUSTOM",
        "custom": {
            "customDocumentIdentifier": {"id": "doc-1"},
            "sourceType": "IN_LINE",
            "inlineContent": {"type": "TEXT", "textContent": {"data": "The warranty lasts two years."}},
        },
    }
}
DOCUMENT_ID = {"dataSourceType": "CUSTOM", "custom": {"id": "doc-1"}}
FLOW_DEFINITION = {
    "nodes": [
        {
            "name": "Start",
            "type": "Input",
            "configuration": {"input": {}},
            "outputs": [{"name": "document", "type": "String"}],
        },
        {
            "name": "End",
            "type": "Output",
            "configuration": {"output": {}},
            "inputs": [{"name": "document", "type": "String", "expression": "$.data"}],
        },
    ],
    "connections": [
        {
            "name": "StartToEnd",
            "source": "Start",
            "target": "End",
            "type": "Data",
            "configuration": {"data": {"sourceOutput": "document", "targetInput": "document"}},
        }
    ],
}
_names = itertools.count(1)


def name(prefix: str) -> str:
    """A name no other call of the session uses (names must be unique per account)."""
    return f"{prefix}-{next(_names)}"


class World:
    """Resources created on first use, through ``client`` (a bedrock-agent client of the test's tenant)."""

    def __init__(self, client: Any, advance_clock: Callable[[float], None]) -> None:
        self.client = client
        self.advance = advance_clock

    def settle(self) -> None:
        """Let every pending transition (CREATING, PREPARING, VERSIONING...) finish."""
        self.advance(5)

    # -- knowledge bases ---------------------------------------------------------------------------

    def new_kb(self) -> str:
        kb = self.client.create_knowledge_base(
            name=name("kb"), roleArn=ROLE, knowledgeBaseConfiguration=KB_CONFIGURATION
        )["knowledgeBase"]
        self.settle()
        return str(kb["knowledgeBaseId"])

    @cached_property
    def kb(self) -> str:
        return self.new_kb()

    @cached_property
    def kb_arn(self) -> str:
        return str(
            self.client.get_knowledge_base(knowledgeBaseId=self.kb)["knowledgeBase"]["knowledgeBaseArn"]
        )

    def new_data_source(self) -> str:
        source = self.client.create_data_source(
            knowledgeBaseId=self.kb, name=name("ds"), dataSourceConfiguration=S3_SOURCE
        )["dataSource"]
        return str(source["dataSourceId"])

    @cached_property
    def data_source(self) -> str:
        return self.new_data_source()

    @cached_property
    def custom_data_source(self) -> str:
        source = self.client.create_data_source(
            knowledgeBaseId=self.kb, name=name("custom"), dataSourceConfiguration=CUSTOM_SOURCE
        )["dataSource"]
        return str(source["dataSourceId"])

    def new_job(self) -> str:
        job = self.client.start_ingestion_job(knowledgeBaseId=self.kb, dataSourceId=self.data_source)
        return str(job["ingestionJob"]["ingestionJobId"])

    @cached_property
    def job(self) -> str:
        return self.new_job()

    @cached_property
    def document(self) -> Params:
        self.client.ingest_knowledge_base_documents(
            knowledgeBaseId=self.kb, dataSourceId=self.custom_data_source, documents=[DOCUMENT]
        )
        return DOCUMENT_ID

    def new_vpc_configuration(self) -> str:
        created = self.client.create_vpc_configuration(
            knowledgeBaseId=self.kb,
            vpcId="vpc-0abc",
            subnetIds=["subnet-0abc"],
            resourceTarget="search.internal.example",
            port=443,
            protocol="HTTPS",
            resolutionMode="IN_VPC",
        )
        self.settle()
        return str(created["vpcConfigurationId"])

    @cached_property
    def vpc_configuration(self) -> str:
        return self.new_vpc_configuration()

    @cached_property
    def policy(self) -> str:
        self.client.put_resource_policy(resourceArn=self.kb_arn, policy='{"Version": "2012-10-17"}')
        return self.kb_arn

    # -- agents -------------------------------------------------------------------------------------

    def new_agent(self, **extra: Any) -> Params:
        agent = self.client.create_agent(
            agentName=name("agent"), foundationModel=MODEL, instruction=INSTRUCTION, **extra
        )["agent"]
        self.settle()
        return dict(agent)

    @cached_property
    def agent_record(self) -> Params:
        return self.new_agent()

    @property
    def agent(self) -> str:
        return str(self.agent_record["agentId"])

    def prepared(self, agent_id: str) -> str:
        self.client.prepare_agent(agentId=agent_id)
        self.settle()
        return agent_id

    @cached_property
    def alias(self) -> Params:
        """An alias of the (prepared) agent; making it took version 1."""
        self.prepared(self.agent)
        alias = self.client.create_agent_alias(agentId=self.agent, agentAliasName=name("alias"))["agentAlias"]
        self.settle()
        return dict(alias)

    @cached_property
    def version(self) -> str:
        return str(self.alias["routingConfiguration"][0]["agentVersion"])

    @cached_property
    def action_group(self) -> str:
        group = self.client.create_agent_action_group(
            agentId=self.agent,
            agentVersion="DRAFT",
            actionGroupName=name("weather"),
            actionGroupExecutor={"customControl": "RETURN_CONTROL"},
            functionSchema={"functions": [{"name": "get_weather", "parameters": {}}]},
        )["agentActionGroup"]
        return str(group["actionGroupId"])

    @cached_property
    def supervisor(self) -> str:
        return str(self.new_agent(agentCollaboration="SUPERVISOR")["agentId"])

    @cached_property
    def collaborator(self) -> str:
        created = self.client.associate_agent_collaborator(**collaborator_params(self))["agentCollaborator"]
        return str(created["collaboratorId"])

    @cached_property
    def agent_kb(self) -> str:
        self.client.associate_agent_knowledge_base(
            agentId=self.agent, agentVersion="DRAFT", knowledgeBaseId=self.kb, description="Product manuals"
        )
        return self.kb

    # -- prompts, flows, retrieval instructions -----------------------------------------------------

    def new_prompt(self) -> str:
        return str(self.client.create_prompt(name=name("prompt"))["id"])

    @cached_property
    def prompt(self) -> str:
        return self.new_prompt()

    @cached_property
    def prompt_version(self) -> str:
        return str(self.client.create_prompt_version(promptIdentifier=self.prompt)["version"])

    def new_flow(self) -> str:
        return str(
            self.client.create_flow(name=name("flow"), executionRoleArn=ROLE, definition=FLOW_DEFINITION)[
                "id"
            ]
        )

    @cached_property
    def flow(self) -> str:
        flow_id = self.new_flow()
        self.client.prepare_flow(flowIdentifier=flow_id)
        self.settle()
        return flow_id

    @cached_property
    def flow_version(self) -> str:
        return str(self.client.create_flow_version(flowIdentifier=self.flow)["version"])

    def new_flow_alias(self) -> str:
        alias = self.client.create_flow_alias(
            flowIdentifier=self.flow,
            name=name("live"),
            routingConfiguration=[{"flowVersion": self.flow_version}],
        )
        return str(alias["id"])

    @cached_property
    def flow_alias(self) -> str:
        return self.new_flow_alias()

    def new_retrieval_instruction(self) -> str:
        created = self.client.create_retrieval_instruction(
            name=name("guide"), instruction={"retrievalGuidance": "Prefer the newest manual."}
        )
        return str(created["retrievalInstructionId"])

    @cached_property
    def retrieval_instruction(self) -> str:
        return self.new_retrieval_instruction()

    @cached_property
    def retrieval_instruction_arn(self) -> str:
        got = self.client.get_retrieval_instruction(retrievalInstructionId=self.retrieval_instruction)
        return str(got["retrievalInstructionArn"])


def collaborator_params(world: World) -> Params:
    return {
        "agentId": world.supervisor,
        "agentVersion": "DRAFT",
        "agentDescriptor": {"aliasArn": world.alias["agentAliasArn"]},
        "collaboratorName": name("helper"),
        "collaborationInstruction": "Ask the helper about the weather.",
    }


def _draft(world: World) -> Params:
    return {"agentId": world.agent, "agentVersion": "DRAFT"}


def _source(world: World) -> Params:
    return {"knowledgeBaseId": world.kb, "dataSourceId": world.data_source}


def _documents(world: World) -> Params:
    return {"knowledgeBaseId": world.kb, "dataSourceId": world.custom_data_source}


CALLS: dict[str, Callable[[World], Params]] = {
    # knowledge bases
    "CreateKnowledgeBase": lambda w: {
        "name": name("kb"),
        "roleArn": ROLE,
        "knowledgeBaseConfiguration": KB_CONFIGURATION,
    },
    "GetKnowledgeBase": lambda w: {"knowledgeBaseId": w.kb},
    "UpdateKnowledgeBase": lambda w: {
        "knowledgeBaseId": w.kb,
        "name": name("kb"),
        "roleArn": ROLE,
        "knowledgeBaseConfiguration": KB_CONFIGURATION,
    },
    "DeleteKnowledgeBase": lambda w: {"knowledgeBaseId": w.new_kb()},
    "ListKnowledgeBases": lambda w: {},
    "CreateDataSource": lambda w: {
        "knowledgeBaseId": w.kb,
        "name": name("ds"),
        "dataSourceConfiguration": S3_SOURCE,
    },
    "GetDataSource": _source,
    "UpdateDataSource": lambda w: {**_source(w), "name": name("ds"), "dataSourceConfiguration": S3_SOURCE},
    "DeleteDataSource": lambda w: {"knowledgeBaseId": w.kb, "dataSourceId": w.new_data_source()},
    "ListDataSources": lambda w: {"knowledgeBaseId": w.kb},
    "StartIngestionJob": _source,
    "GetIngestionJob": lambda w: {**_source(w), "ingestionJobId": w.job},
    "ListIngestionJobs": _source,
    "StopIngestionJob": lambda w: {**_source(w), "ingestionJobId": w.new_job()},
    "IngestKnowledgeBaseDocuments": lambda w: {**_documents(w), "documents": [DOCUMENT]},
    "GetKnowledgeBaseDocuments": lambda w: {**_documents(w), "documentIdentifiers": [w.document]},
    "DeleteKnowledgeBaseDocuments": lambda w: {**_documents(w), "documentIdentifiers": [w.document]},
    "ListKnowledgeBaseDocuments": _documents,
    "CreateVpcConfiguration": lambda w: {
        "knowledgeBaseId": w.kb,
        "vpcId": "vpc-0abc",
        "subnetIds": ["subnet-0abc"],
        "resourceTarget": "search.internal.example",
        "port": 443,
        "protocol": "HTTPS",
        "resolutionMode": "IN_VPC",
    },
    "GetVpcConfiguration": lambda w: {"knowledgeBaseId": w.kb, "vpcConfigurationId": w.vpc_configuration},
    "DeleteVpcConfiguration": lambda w: {
        "knowledgeBaseId": w.kb,
        "vpcConfigurationId": w.new_vpc_configuration(),
    },
    "ListVpcConfigurations": lambda w: {"knowledgeBaseId": w.kb},
    "PutResourcePolicy": lambda w: {"resourceArn": w.kb_arn, "policy": '{"Version": "2012-10-17"}'},
    "GetResourcePolicy": lambda w: {"resourceArn": w.policy},
    "DeleteResourcePolicy": lambda w: {"resourceArn": w.policy},
    # agents
    "CreateAgent": lambda w: {"agentName": name("agent")},
    "GetAgent": lambda w: {"agentId": w.agent},
    "UpdateAgent": lambda w: {
        "agentId": w.agent,
        "agentName": name("agent"),
        "foundationModel": MODEL,
        "agentResourceRoleArn": ROLE,
    },
    "DeleteAgent": lambda w: {"agentId": w.new_agent()["agentId"]},
    "ListAgents": lambda w: {},
    "PrepareAgent": lambda w: {"agentId": w.agent},
    "CreateAgentActionGroup": lambda w: {**_draft(w), "actionGroupName": name("group")},
    "GetAgentActionGroup": lambda w: {**_draft(w), "actionGroupId": w.action_group},
    "UpdateAgentActionGroup": lambda w: {
        **_draft(w),
        "actionGroupId": w.action_group,
        "actionGroupName": name("group"),
    },
    "DeleteAgentActionGroup": lambda w: {**_draft(w), "actionGroupId": w.action_group},
    "ListAgentActionGroups": _draft,
    "AssociateAgentCollaborator": collaborator_params,
    "GetAgentCollaborator": lambda w: {
        "agentId": w.supervisor,
        "agentVersion": "DRAFT",
        "collaboratorId": w.collaborator,
    },
    "UpdateAgentCollaborator": lambda w: {
        **collaborator_params(w),
        "collaboratorId": w.collaborator,
    },
    "DisassociateAgentCollaborator": lambda w: {
        "agentId": w.supervisor,
        "agentVersion": "DRAFT",
        "collaboratorId": w.collaborator,
    },
    "ListAgentCollaborators": lambda w: {"agentId": w.supervisor, "agentVersion": "DRAFT"},
    "AssociateAgentKnowledgeBase": lambda w: {**_draft(w), "knowledgeBaseId": w.kb, "description": "Manuals"},
    "GetAgentKnowledgeBase": lambda w: {**_draft(w), "knowledgeBaseId": w.agent_kb},
    "UpdateAgentKnowledgeBase": lambda w: {
        **_draft(w),
        "knowledgeBaseId": w.agent_kb,
        "knowledgeBaseState": "DISABLED",
    },
    "DisassociateAgentKnowledgeBase": lambda w: {**_draft(w), "knowledgeBaseId": w.agent_kb},
    "ListAgentKnowledgeBases": _draft,
    "CreateAgentAlias": lambda w: {"agentId": w.prepared(w.agent), "agentAliasName": name("alias")},
    "GetAgentAlias": lambda w: {"agentId": w.agent, "agentAliasId": w.alias["agentAliasId"]},
    "UpdateAgentAlias": lambda w: {
        "agentId": w.agent,
        "agentAliasId": w.alias["agentAliasId"],
        "agentAliasName": name("alias"),
        "routingConfiguration": [{"agentVersion": w.version}],
    },
    "DeleteAgentAlias": lambda w: {"agentId": w.agent, "agentAliasId": w.alias["agentAliasId"]},
    "ListAgentAliases": lambda w: {"agentId": w.agent},
    "GetAgentVersion": lambda w: {"agentId": w.agent, "agentVersion": w.version},
    "DeleteAgentVersion": lambda w: {
        "agentId": w.agent,
        "agentVersion": w.version,
        "skipResourceInUseCheck": True,
    },
    "ListAgentVersions": lambda w: {"agentId": w.agent},
    # prompts
    "CreatePrompt": lambda w: {"name": name("prompt")},
    "GetPrompt": lambda w: {"promptIdentifier": w.prompt},
    "UpdatePrompt": lambda w: {"promptIdentifier": w.prompt, "name": name("prompt")},
    "DeletePrompt": lambda w: {"promptIdentifier": w.new_prompt()},
    "ListPrompts": lambda w: {},
    "CreatePromptVersion": lambda w: {"promptIdentifier": w.prompt},
    # flows
    "CreateFlow": lambda w: {"name": name("flow"), "executionRoleArn": ROLE},
    "GetFlow": lambda w: {"flowIdentifier": w.flow},
    "UpdateFlow": lambda w: {"flowIdentifier": w.flow, "name": name("flow"), "executionRoleArn": ROLE},
    "DeleteFlow": lambda w: {"flowIdentifier": w.new_flow()},
    "ListFlows": lambda w: {},
    "PrepareFlow": lambda w: {"flowIdentifier": w.new_flow()},
    "ValidateFlowDefinition": lambda w: {"definition": FLOW_DEFINITION},
    "CreateFlowVersion": lambda w: {"flowIdentifier": w.flow},
    "GetFlowVersion": lambda w: {"flowIdentifier": w.flow, "flowVersion": w.flow_version},
    "DeleteFlowVersion": lambda w: {"flowIdentifier": w.flow, "flowVersion": w.flow_version},
    "ListFlowVersions": lambda w: {"flowIdentifier": w.flow},
    "CreateFlowAlias": lambda w: {
        "flowIdentifier": w.flow,
        "name": name("live"),
        "routingConfiguration": [{"flowVersion": w.flow_version}],
    },
    "GetFlowAlias": lambda w: {"flowIdentifier": w.flow, "aliasIdentifier": w.flow_alias},
    "UpdateFlowAlias": lambda w: {
        "flowIdentifier": w.flow,
        "aliasIdentifier": w.flow_alias,
        "name": name("live"),
        "routingConfiguration": [{"flowVersion": "DRAFT"}],
    },
    "DeleteFlowAlias": lambda w: {"flowIdentifier": w.flow, "aliasIdentifier": w.new_flow_alias()},
    "ListFlowAliases": lambda w: {"flowIdentifier": w.flow},
    # retrieval instructions
    "CreateRetrievalInstruction": lambda w: {
        "name": name("guide"),
        "instruction": {"retrievalGuidance": "Prefer the newest manual."},
    },
    "GetRetrievalInstruction": lambda w: {"retrievalInstructionId": w.retrieval_instruction},
    "UpdateRetrievalInstruction": lambda w: {
        "retrievalInstructionId": w.retrieval_instruction,
        "instruction": {"persona": "A support engineer."},
    },
    "DeleteRetrievalInstruction": lambda w: {"retrievalInstructionId": w.new_retrieval_instruction()},
    "ListRetrievalInstructions": lambda w: {},
    "CreateRetrievalInstructionVersion": lambda w: {"retrievalInstructionId": w.retrieval_instruction},
    "ListRetrievalInstructionVersions": lambda w: {"retrievalInstructionId": w.retrieval_instruction},
    # tags
    "TagResource": lambda w: {"resourceArn": w.agent_record["agentArn"], "tags": {"team": "search"}},
    "UntagResource": lambda w: {"resourceArn": w.agent_record["agentArn"], "tagKeys": ["team"]},
    "ListTagsForResource": lambda w: {"resourceArn": w.agent_record["agentArn"]},
}
