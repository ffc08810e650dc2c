"""bedrock-agent resources through real boto3 in ``--strict`` mode: what you create is what you read,
list, update and delete, with statuses that move on the emulator's virtual clock; clientToken
idempotency; duplicate names; unknown ids; versions and aliases; tags; paging; tenants."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from agent_control_calls import (
    FLOW_DEFINITION,
    INSTRUCTION,
    KB_CONFIGURATION,
    MODEL,
    ROLE,
    S3_SOURCE,
    World,
    name,
)
from botocore.config import Config

from emulator.control.accounts import account_id
from emulator.pytest_plugin import BedrockEmulator

TOKEN = "a" * 40


@pytest.fixture
def agent_client(bedrock_emulator: BedrockEmulator) -> Any:
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: lifecycle-strict-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    return bedrock_emulator.client("bedrock-agent")


@pytest.fixture
def world(agent_client: Any, bedrock_emulator: BedrockEmulator) -> World:
    return World(agent_client, bedrock_emulator.advance_clock)


def advance(emulator: BedrockEmulator, seconds: float) -> None:
    """Skip ahead through the admin API, as a client in another language would."""
    emulator.admin("POST", "clock/advance", {"seconds": seconds})


def error_of(raised: pytest.ExceptionInfo[Any]) -> tuple[int, str, str]:
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


# -- knowledge bases, data sources, ingestion, documents ------------------------------------------------


def test_knowledge_base_lifecycle(agent_client: Any, bedrock_emulator: BedrockEmulator) -> None:
    kb_name = name("manuals")
    created = agent_client.create_knowledge_base(
        name=kb_name, description="Manuals", roleArn=ROLE, knowledgeBaseConfiguration=KB_CONFIGURATION
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    kb = created["knowledgeBase"]
    kb_id = kb["knowledgeBaseId"]
    assert kb["status"] == "CREATING"
    assert kb["knowledgeBaseArn"] == (
        f"arn:aws:bedrock:us-east-1:{account_id(bedrock_emulator.tenant)}:knowledge-base/{kb_id}"
    )
    assert len(kb_id) == 10
    assert kb_id.isalnum()
    assert kb_id.upper() == kb_id
    advance(bedrock_emulator, 2)
    got = agent_client.get_knowledge_base(knowledgeBaseId=kb_id)["knowledgeBase"]
    assert got["status"] == "ACTIVE"
    assert got["knowledgeBaseConfiguration"] == KB_CONFIGURATION
    assert got["updatedAt"] > got["createdAt"]
    listed = agent_client.list_knowledge_bases()["knowledgeBaseSummaries"]
    assert [s["name"] for s in listed if s["knowledgeBaseId"] == kb_id] == [kb_name]

    updated = agent_client.update_knowledge_base(
        knowledgeBaseId=kb_id, name=f"{kb_name}-v2", roleArn=ROLE, knowledgeBaseConfiguration=KB_CONFIGURATION
    )["knowledgeBase"]
    assert (updated["status"], updated["name"]) == ("UPDATING", f"{kb_name}-v2")
    assert "description" not in updated  # an update replaces: members left out are gone
    advance(bedrock_emulator, 2)
    assert agent_client.get_knowledge_base(knowledgeBaseId=kb_id)["knowledgeBase"]["status"] == "ACTIVE"

    deleted = agent_client.delete_knowledge_base(knowledgeBaseId=kb_id)
    assert (deleted["ResponseMetadata"]["HTTPStatusCode"], deleted["status"]) == (202, "DELETING")
    assert agent_client.get_knowledge_base(knowledgeBaseId=kb_id)["knowledgeBase"]["status"] == "DELETING"
    advance(bedrock_emulator, 2)
    with pytest.raises(agent_client.exceptions.ResourceNotFoundException) as raised:
        agent_client.get_knowledge_base(knowledgeBaseId=kb_id)
    assert error_of(raised) == (
        404,
        "ResourceNotFoundException",
        f"Could not find KnowledgeBase with ID {kb_id}",
    )


def test_duplicate_knowledge_base_name_is_a_conflict_and_creates_nothing(agent_client: Any) -> None:
    kb_name = name("dup")
    agent_client.create_knowledge_base(
        name=kb_name, roleArn=ROLE, knowledgeBaseConfiguration=KB_CONFIGURATION
    )
    before = agent_client.list_knowledge_bases()["knowledgeBaseSummaries"]
    with pytest.raises(agent_client.exceptions.ConflictException) as raised:
        agent_client.create_knowledge_base(
            name=kb_name, roleArn=ROLE, knowledgeBaseConfiguration=KB_CONFIGURATION
        )
    assert error_of(raised) == (
        409,
        "ConflictException",
        f"KnowledgeBase with name {kb_name} already exists.",
    )
    assert agent_client.list_knowledge_bases()["knowledgeBaseSummaries"] == before


def test_data_source_ingestion_job_runs_to_complete_on_the_clock(
    world: World, agent_client: Any, bedrock_emulator: BedrockEmulator
) -> None:
    bedrock_emulator.client("s3").create_bucket(Bucket="calls-bucket")  # the data source's bucket
    source = agent_client.get_data_source(knowledgeBaseId=world.kb, dataSourceId=world.data_source)[
        "dataSource"
    ]
    assert (source["status"], source["dataDeletionPolicy"]) == ("AVAILABLE", "DELETE")
    assert source["dataSourceConfiguration"] == S3_SOURCE
    started = agent_client.start_ingestion_job(knowledgeBaseId=world.kb, dataSourceId=world.data_source)
    job = started["ingestionJob"]
    assert (started["ResponseMetadata"]["HTTPStatusCode"], job["status"]) == (202, "STARTING")
    assert set(job["statistics"]) >= {"numberOfDocumentsScanned", "numberOfNewDocumentsIndexed"}
    ids = {
        "knowledgeBaseId": world.kb,
        "dataSourceId": world.data_source,
        "ingestionJobId": job["ingestionJobId"],
    }
    seen = [job["status"]]
    for _ in range(10):
        world.advance(0.4)
        status = agent_client.get_ingestion_job(**ids)["ingestionJob"]["status"]
        if status != seen[-1]:
            seen.append(status)
        if status == "COMPLETE":
            break
    assert seen == ["STARTING", "IN_PROGRESS", "COMPLETE"]
    listed = agent_client.list_ingestion_jobs(
        knowledgeBaseId=world.kb,
        dataSourceId=world.data_source,
        filters=[{"attribute": "STATUS", "operator": "EQ", "values": ["COMPLETE"]}],
    )["ingestionJobSummaries"]
    assert [s["ingestionJobId"] for s in listed] == [job["ingestionJobId"]]
    with pytest.raises(agent_client.exceptions.ConflictException) as raised:
        agent_client.stop_ingestion_job(**ids)
    assert "currently in status COMPLETE" in error_of(raised)[2]


def test_stop_ingestion_job_stops_a_running_job(world: World, agent_client: Any) -> None:
    ids = {"knowledgeBaseId": world.kb, "dataSourceId": world.data_source, "ingestionJobId": world.new_job()}
    assert agent_client.stop_ingestion_job(**ids)["ingestionJob"]["status"] == "STOPPING"
    world.advance(2)
    assert agent_client.get_ingestion_job(**ids)["ingestionJob"]["status"] == "STOPPED"


def test_documents_are_stored_indexed_and_deleted(world: World, agent_client: Any) -> None:
    source = {"knowledgeBaseId": world.kb, "dataSourceId": world.custom_data_source}
    ingested = agent_client.ingest_knowledge_base_documents(
        **source,
        documents=[
            {
                "content": {
                    "dataSourceType": "CUSTOM",
                    "custom": {
                        "customDocumentIdentifier": {"id": "warranty"},
                        "sourceType": "IN_LINE",
                        "inlineContent": {"type": "TEXT", "textContent": {"data": "Two years."}},
                    },
                }
            }
        ],
    )["documentDetails"]
    identifier = {"dataSourceType": "CUSTOM", "custom": {"id": "warranty"}}
    assert [(d["status"], d["identifier"]) for d in ingested] == [("STARTING", identifier)]
    world.advance(2)
    unknown = {"dataSourceType": "CUSTOM", "custom": {"id": "nope"}}
    got = agent_client.get_knowledge_base_documents(**source, documentIdentifiers=[identifier, unknown])
    assert [d["status"] for d in got["documentDetails"]] == ["INDEXED", "NOT_FOUND"]
    assert len(agent_client.list_knowledge_base_documents(**source)["documentDetails"]) == 1
    deleted = agent_client.delete_knowledge_base_documents(**source, documentIdentifiers=[identifier])
    assert [d["status"] for d in deleted["documentDetails"]] == ["DELETING"]
    world.advance(2)
    assert agent_client.list_knowledge_base_documents(**source)["documentDetails"] == []


def test_deleting_a_knowledge_base_takes_its_data_sources(world: World, agent_client: Any) -> None:
    kb_id, ds_id = world.kb, world.data_source
    agent_client.delete_knowledge_base(knowledgeBaseId=kb_id)
    world.advance(2)
    with pytest.raises(agent_client.exceptions.ResourceNotFoundException):
        agent_client.get_data_source(knowledgeBaseId=kb_id, dataSourceId=ds_id)


def test_resource_policy_revisions(world: World, agent_client: Any) -> None:
    first = agent_client.put_resource_policy(resourceArn=world.kb_arn, policy='{"Version": "2012-10-17"}')
    got = agent_client.get_resource_policy(resourceArn=world.kb_arn)
    assert (got["policy"], got["revisionId"]) == ('{"Version": "2012-10-17"}', first["revisionId"])
    with pytest.raises(agent_client.exceptions.ConflictException):
        agent_client.put_resource_policy(resourceArn=world.kb_arn, policy="{}", expectedRevisionId="0" * 32)
    agent_client.delete_resource_policy(resourceArn=world.kb_arn, expectedRevisionId=first["revisionId"])
    with pytest.raises(agent_client.exceptions.ResourceNotFoundException):
        agent_client.get_resource_policy(resourceArn=world.kb_arn)


# -- agents --------------------------------------------------------------------------------------------


def test_agent_prepares_on_the_clock_and_a_draft_change_unprepares_it(
    agent_client: Any, bedrock_emulator: BedrockEmulator
) -> None:
    created = agent_client.create_agent(
        agentName=name("helper"), foundationModel=MODEL, instruction=INSTRUCTION
    )
    agent = created["agent"]
    assert (created["ResponseMetadata"]["HTTPStatusCode"], agent["agentStatus"]) == (202, "CREATING")
    assert (agent["agentVersion"], agent["idleSessionTTLInSeconds"]) == ("DRAFT", 600)
    agent_id = agent["agentId"]
    advance(bedrock_emulator, 2)
    assert agent_client.get_agent(agentId=agent_id)["agent"]["agentStatus"] == "NOT_PREPARED"

    prepared = agent_client.prepare_agent(agentId=agent_id)
    assert (prepared["agentStatus"], prepared["agentVersion"]) == ("PREPARING", "DRAFT")
    with pytest.raises(agent_client.exceptions.ConflictException) as raised:
        agent_client.prepare_agent(agentId=agent_id)
    assert (
        error_of(raised)[2] == "Prepare operation can't be performed on Agent when it is in Preparing state"
    )
    statuses = []
    for _ in range(10):  # the polling loop people write, with the clock skipping instead of sleeping
        status = agent_client.get_agent(agentId=agent_id)["agent"]
        statuses.append(status["agentStatus"])
        if status["agentStatus"] == "PREPARED":
            break
        advance(bedrock_emulator, 0.5)
    assert statuses[0] == "PREPARING"
    assert statuses[-1] == "PREPARED"
    assert "preparedAt" in status

    agent_client.create_agent_action_group(
        agentId=agent_id,
        agentVersion="DRAFT",
        actionGroupName="weather",
        actionGroupExecutor={"customControl": "RETURN_CONTROL"},
        functionSchema={"functions": [{"name": "get_weather", "parameters": {}}]},
    )
    assert agent_client.get_agent(agentId=agent_id)["agent"]["agentStatus"] == "NOT_PREPARED"


def test_agent_definition_round_trips(agent_client: Any) -> None:
    memory = {"enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 30}
    agent = agent_client.create_agent(
        agentName=name("memo"),
        foundationModel=MODEL,
        instruction=INSTRUCTION,
        description="Remembers things",
        idleSessionTTLInSeconds=900,
        memoryConfiguration=memory,
    )["agent"]
    got = agent_client.get_agent(agentId=agent["agentId"])["agent"]
    assert (got["description"], got["idleSessionTTLInSeconds"], got["instruction"]) == (
        "Remembers things",
        900,
        INSTRUCTION,
    )
    assert got["memoryConfiguration"]["storageDays"] == 30
    summary = next(
        s for s in agent_client.list_agents()["agentSummaries"] if s["agentId"] == agent["agentId"]
    )
    assert summary["latestAgentVersion"] == "DRAFT"


def test_agent_versions_and_aliases(world: World, agent_client: Any) -> None:
    agent_id = world.agent
    group = world.action_group
    with pytest.raises(agent_client.exceptions.ConflictException) as raised:  # not prepared yet
        agent_client.create_agent_alias(agentId=agent_id, agentAliasName="live")
    assert "currently in status NOT_PREPARED" in error_of(raised)[2]

    world.prepared(agent_id)
    alias = agent_client.create_agent_alias(agentId=agent_id, agentAliasName="live")["agentAlias"]
    assert alias["agentAliasStatus"] == "CREATING"
    assert alias["routingConfiguration"] == [{"agentVersion": "1"}]
    assert alias["agentAliasArn"].endswith(f":agent-alias/{agent_id}/{alias['agentAliasId']}")
    assert agent_client.get_agent(agentId=agent_id)["agent"]["agentStatus"] == "VERSIONING"
    world.settle()
    assert (
        agent_client.get_agent_alias(agentId=agent_id, agentAliasId=alias["agentAliasId"])["agentAlias"][
            "agentAliasStatus"
        ]
        == "PREPARED"
    )
    version = agent_client.get_agent_version(agentId=agent_id, agentVersion="1")["agentVersion"]
    assert (version["version"], version["agentStatus"], version["instruction"]) == (
        "1",
        "PREPARED",
        INSTRUCTION,
    )
    versioned_groups = agent_client.list_agent_action_groups(agentId=agent_id, agentVersion="1")
    assert [g["actionGroupId"] for g in versioned_groups["actionGroupSummaries"]] == [group]
    assert [
        v["agentVersion"] for v in agent_client.list_agent_versions(agentId=agent_id)["agentVersionSummaries"]
    ] == [
        "DRAFT",
        "1",
    ]
    aliases = agent_client.list_agent_aliases(agentId=agent_id)["agentAliasSummaries"]
    assert {a["agentAliasId"] for a in aliases} == {"TSTALIASID", alias["agentAliasId"]}

    with pytest.raises(agent_client.exceptions.ResourceNotFoundException):
        agent_client.create_agent_alias(
            agentId=agent_id, agentAliasName="ghost", routingConfiguration=[{"agentVersion": "99"}]
        )
    with pytest.raises(agent_client.exceptions.ConflictException):
        agent_client.delete_agent_version(agentId=agent_id, agentVersion="1")
    with pytest.raises(agent_client.exceptions.ValidationException) as raised:
        agent_client.delete_agent_alias(agentId=agent_id, agentAliasId="TSTALIASID")
    assert "(?!\\bTSTALIASID\\b)[0-9a-zA-Z]+" in error_of(raised)[2]
    with pytest.raises(agent_client.exceptions.ConflictException) as raised:
        agent_client.delete_agent(agentId=agent_id)
    assert error_of(raised)[2] == f"Could not delete Agent with ID {agent_id}, since it has active aliases"

    assert (
        agent_client.delete_agent(agentId=agent_id, skipResourceInUseCheck=True)["agentStatus"] == "DELETING"
    )
    world.settle()
    with pytest.raises(agent_client.exceptions.ResourceNotFoundException):
        agent_client.get_agent_alias(agentId=agent_id, agentAliasId=alias["agentAliasId"])


def test_agent_with_a_name_in_use_is_accepted_then_failed(world: World, agent_client: Any) -> None:
    taken = world.agent_record["agentName"]
    twin = agent_client.create_agent(agentName=taken, foundationModel=MODEL)["agent"]
    assert twin["agentStatus"] == "CREATING"
    world.settle()
    failed = agent_client.get_agent(agentId=twin["agentId"])["agent"]
    assert failed["agentStatus"] == "FAILED"
    assert failed["failureReasons"] == [
        "Cannot create a new agent as an agent with the same name already exists."
    ]


def test_collaborators_need_a_supervisor(world: World, agent_client: Any) -> None:
    descriptor = {"aliasArn": world.alias["agentAliasArn"]}
    with pytest.raises(agent_client.exceptions.ValidationException):
        agent_client.associate_agent_collaborator(
            agentId=world.agent,
            agentVersion="DRAFT",
            agentDescriptor=descriptor,
            collaboratorName="helper",
            collaborationInstruction="Ask it.",
        )
    collaborator = agent_client.associate_agent_collaborator(
        agentId=world.supervisor,
        agentVersion="DRAFT",
        agentDescriptor=descriptor,
        collaboratorName="helper",
        collaborationInstruction="Ask it.",
    )["agentCollaborator"]
    assert collaborator["relayConversationHistory"] == "DISABLED"
    listed = agent_client.list_agent_collaborators(agentId=world.supervisor, agentVersion="DRAFT")
    assert [c["collaboratorName"] for c in listed["agentCollaboratorSummaries"]] == ["helper"]


def test_knowledge_base_association_round_trips(world: World, agent_client: Any) -> None:
    draft = {"agentId": world.agent, "agentVersion": "DRAFT"}
    agent_client.associate_agent_knowledge_base(**draft, knowledgeBaseId=world.kb, description="Manuals")
    with pytest.raises(agent_client.exceptions.ConflictException):
        agent_client.associate_agent_knowledge_base(**draft, knowledgeBaseId=world.kb, description="Again")
    agent_client.update_agent_knowledge_base(**draft, knowledgeBaseId=world.kb, knowledgeBaseState="DISABLED")
    got = agent_client.get_agent_knowledge_base(**draft, knowledgeBaseId=world.kb)["agentKnowledgeBase"]
    assert (got["knowledgeBaseState"], got["description"]) == ("DISABLED", "Manuals")
    agent_client.disassociate_agent_knowledge_base(**draft, knowledgeBaseId=world.kb)
    assert agent_client.list_agent_knowledge_bases(**draft)["agentKnowledgeBaseSummaries"] == []


# -- idempotency, unknown ids, tenants -----------------------------------------------------------------


def test_client_token_repeats_the_answer_and_refuses_other_input(agent_client: Any) -> None:
    agent_name = name("once")
    first = agent_client.create_agent(agentName=agent_name, foundationModel=MODEL, clientToken=TOKEN)["agent"]
    again = agent_client.create_agent(agentName=agent_name, foundationModel=MODEL, clientToken=TOKEN)["agent"]
    assert again["agentId"] == first["agentId"]
    assert [a["agentId"] for a in agent_client.list_agents()["agentSummaries"]].count(first["agentId"]) == 1
    with pytest.raises(agent_client.exceptions.ConflictException) as raised:
        agent_client.create_agent(agentName=name("other"), foundationModel=MODEL, clientToken=TOKEN)
    assert error_of(raised)[2].startswith(
        "The request uses the same client token as a previous, but non-identical"
    )


@pytest.mark.parametrize(
    ("call", "kwargs", "label"),
    [
        ("get_agent", {"agentId": "NOSUCHAGNT"}, "Agent"),
        ("get_knowledge_base", {"knowledgeBaseId": "NOSUCHKBID"}, "KnowledgeBase"),
        ("get_prompt", {"promptIdentifier": "NOSUCHPRMT"}, "Prompt"),
        ("get_flow", {"flowIdentifier": "NOSUCHFLOW"}, "Flow"),
        ("delete_agent", {"agentId": "NOSUCHAGNT"}, "Agent"),
        ("list_agent_aliases", {"agentId": "NOSUCHAGNT"}, "Agent"),
    ],
)
def test_unknown_ids_are_resource_not_found_in_strict_mode(
    agent_client: Any, call: str, kwargs: dict[str, str], label: str
) -> None:
    with pytest.raises(agent_client.exceptions.ResourceNotFoundException) as raised:
        getattr(agent_client, call)(**kwargs)
    identifier = next(iter(kwargs.values()))
    assert error_of(raised) == (
        404,
        "ResourceNotFoundException",
        f"Could not find {label} with ID {identifier}",
    )


def test_resources_belong_to_their_tenant(world: World, bedrock_emulator: BedrockEmulator) -> None:
    agent_id = world.agent
    stranger = boto3.client(
        "bedrock-agent",
        endpoint_url=bedrock_emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=f"{bedrock_emulator.tenant}-other",
        aws_secret_access_key="emulator",
        config=Config(retries={"total_max_attempts": 1}),
    )
    try:
        assert agent_id not in [a["agentId"] for a in stranger.list_agents()["agentSummaries"]]
        created = stranger.create_prompt(name=name("mine"))
        assert account_id(f"{bedrock_emulator.tenant}-other") in created["arn"]
        assert account_id(bedrock_emulator.tenant) not in created["arn"]
    finally:
        stranger.close()


def test_reset_forgets_the_tenants_resources(
    world: World, bedrock_emulator: BedrockEmulator, agent_client: Any
) -> None:
    agent_id = world.agent
    bedrock_emulator.admin("POST", "reset", {"tenant": bedrock_emulator.tenant})
    bedrock_emulator.use_scenario(
        bedrock_emulator.load_scenario(
            f"version: 1\nname: lifecycle-strict-again-{bedrock_emulator.tenant}\nstrict: true\nrules: []\n"
        )
    )
    with pytest.raises(agent_client.exceptions.ResourceNotFoundException):
        agent_client.get_agent(agentId=agent_id)


# -- prompts and flows ---------------------------------------------------------------------------------


def test_prompt_versions(agent_client: Any) -> None:
    variant = {
        "name": "main",
        "templateType": "TEXT",
        "templateConfiguration": {"text": {"text": "Summarise {{topic}}."}},
        "modelId": MODEL,
    }
    prompt = agent_client.create_prompt(name=name("summary"), variants=[variant], defaultVariant="main")
    assert (prompt["ResponseMetadata"]["HTTPStatusCode"], prompt["version"]) == (201, "DRAFT")
    version = agent_client.create_prompt_version(promptIdentifier=prompt["id"], description="first")
    assert version["version"] == "1"
    assert version["arn"] == f"{prompt['arn']}:1"
    by_arn = agent_client.get_prompt(promptIdentifier=version["arn"])
    assert (by_arn["version"], by_arn["variants"][0]["templateConfiguration"]) == (
        "1",
        variant["templateConfiguration"],
    )
    agent_client.update_prompt(promptIdentifier=prompt["id"], name=prompt["name"], description="changed")
    assert agent_client.get_prompt(promptIdentifier=prompt["id"], promptVersion="1")["description"] == "first"
    listed = agent_client.list_prompts(promptIdentifier=prompt["id"])["promptSummaries"]
    assert [s["version"] for s in listed] == ["DRAFT", "1"]
    assert agent_client.delete_prompt(promptIdentifier=prompt["id"], promptVersion="1")["version"] == "1"
    with pytest.raises(agent_client.exceptions.ResourceNotFoundException):
        agent_client.get_prompt(promptIdentifier=prompt["id"], promptVersion="1")
    with pytest.raises(agent_client.exceptions.ConflictException):
        agent_client.create_prompt(name=prompt["name"])


def test_flow_prepare_version_and_alias(agent_client: Any, world: World) -> None:
    flow = agent_client.create_flow(name=name("echo"), executionRoleArn=ROLE, definition=FLOW_DEFINITION)
    assert (flow["ResponseMetadata"]["HTTPStatusCode"], flow["status"]) == (201, "NotPrepared")
    with pytest.raises(agent_client.exceptions.ConflictException) as raised:
        agent_client.create_flow_version(flowIdentifier=flow["id"])
    assert error_of(raised)[2] == (
        "Couldn't perform CreateFlowVersion operation. The resource that you specified is currently in status "
        "NotPrepared. Retry your request after the resource changes to a valid status."
    )
    assert agent_client.prepare_flow(flowIdentifier=flow["id"])["status"] == "Preparing"
    world.settle()
    got = agent_client.get_flow(flowIdentifier=flow["arn"])
    assert (got["status"], got["validations"], got["definition"]) == ("Prepared", [], FLOW_DEFINITION)
    version = agent_client.create_flow_version(flowIdentifier=flow["id"])
    assert (version["version"], version["status"]) == ("1", "Prepared")
    alias = agent_client.create_flow_alias(
        flowIdentifier=flow["id"], name="live", routingConfiguration=[{"flowVersion": "1"}]
    )
    assert alias["arn"].endswith(f":flow/{flow['id']}/alias/{alias['id']}")
    with pytest.raises(agent_client.exceptions.ConflictException):
        agent_client.delete_flow_version(flowIdentifier=flow["id"], flowVersion="1")
    with pytest.raises(agent_client.exceptions.ConflictException):
        agent_client.delete_flow(flowIdentifier=flow["id"])
    agent_client.delete_flow_alias(flowIdentifier=flow["id"], aliasIdentifier=alias["id"])
    assert agent_client.delete_flow(flowIdentifier=flow["id"])["id"] == flow["id"]
    with pytest.raises(agent_client.exceptions.ResourceNotFoundException):
        agent_client.get_flow_version(flowIdentifier=flow["id"], flowVersion="1")


def test_a_flow_that_cannot_run_fails_to_prepare_with_its_validations(
    agent_client: Any, world: World
) -> None:
    broken = {"nodes": [FLOW_DEFINITION["nodes"][0]], "connections": []}
    found = agent_client.validate_flow_definition(definition=broken)["validations"]
    assert [(v["type"], v["severity"]) for v in found] == [("MissingEndingNodes", "Error")]
    flow = agent_client.create_flow(name=name("broken"), executionRoleArn=ROLE, definition=broken)
    agent_client.prepare_flow(flowIdentifier=flow["id"])
    world.settle()
    got = agent_client.get_flow(flowIdentifier=flow["id"])
    assert got["status"] == "Failed"
    assert [v["type"] for v in got["validations"]] == ["MissingEndingNodes"]


# -- tags and paging -----------------------------------------------------------------------------------


def test_tags_on_agents_aliases_and_knowledge_bases(world: World, agent_client: Any) -> None:
    arns = [world.agent_record["agentArn"], world.alias["agentAliasArn"], world.kb_arn]
    for arn in arns:
        agent_client.tag_resource(resourceArn=arn, tags={"owner": "search"})
    assert [agent_client.list_tags_for_resource(resourceArn=arn)["tags"] for arn in arns] == [
        {"owner": "search"}
    ] * 3
    parts = arns[0].split(":")
    stranger = ":".join([*parts[:4], "000000000000", *parts[5:]])  # the same agent id, another account
    with pytest.raises(agent_client.exceptions.ResourceNotFoundException):
        agent_client.list_tags_for_resource(resourceArn=stranger)


def test_tags_on_create_and_by_arn(agent_client: Any) -> None:
    created = agent_client.create_retrieval_instruction(
        name=name("guide"), instruction={"persona": "A librarian."}, tags={"team": "search"}
    )
    arn = created["retrievalInstructionArn"]
    assert agent_client.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "search"}
    agent_client.tag_resource(resourceArn=arn, tags={"stage": "test"})
    agent_client.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert agent_client.list_tags_for_resource(resourceArn=arn)["tags"] == {"stage": "test"}
    agent_client.delete_retrieval_instruction(retrievalInstructionId=created["retrievalInstructionId"])
    with pytest.raises(agent_client.exceptions.ResourceNotFoundException):
        agent_client.list_tags_for_resource(resourceArn=arn)


def test_lists_page_with_opaque_tokens(agent_client: Any) -> None:
    ids = [agent_client.create_prompt(name=name("page"))["id"] for _ in range(3)]
    first = agent_client.list_prompts(maxResults=2)
    assert [s["id"] for s in first["promptSummaries"]] == ids[:2]
    second = agent_client.list_prompts(maxResults=2, nextToken=first["nextToken"])
    assert [s["id"] for s in second["promptSummaries"]] == ids[2:]
    assert "nextToken" not in second
    paged = [
        s["id"]
        for page in agent_client.get_paginator("list_prompts").paginate(PaginationConfig={"PageSize": 1})
        for s in page["promptSummaries"]
    ]
    assert paged == ids
    for bad in ("not-a-token", agent_client.list_flows(maxResults=1).get("nextToken") or "Zm9vOjE"):
        with pytest.raises(agent_client.exceptions.ValidationException) as raised:
            agent_client.list_prompts(nextToken=bad)
        assert error_of(raised) == (400, "ValidationException", "The nextToken is invalid.")
