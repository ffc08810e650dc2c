"""emulator/wire/pagination.py: pages cut by botocore's paginator models, tokens that only their own
list operation accepts."""

from __future__ import annotations

import pytest

from emulator.wire import pagination
from emulator.wire.errors import AwsError

ITEMS = [{"id": str(n)} for n in range(5)]


def test_member_names_and_largest_page_come_from_botocore() -> None:
    paging = pagination.paging_of("bedrock-agent", "ListVpcConfigurations")
    assert (paging.input_token, paging.output_token, paging.limit_key, paging.result_key) == (
        "nextToken",
        "nextToken",
        "maxResults",
        "items",
    )
    assert pagination.paging_of("bedrock-agent", "ListAgents").max_page == 1000


def test_pages_follow_one_another_to_the_end() -> None:
    first = pagination.page("bedrock-agent", "ListAgents", ITEMS, {"maxResults": 2})
    assert first["agentSummaries"] == ITEMS[:2]
    second = pagination.page(
        "bedrock-agent", "ListAgents", ITEMS, {"maxResults": 2, "nextToken": first["nextToken"]}
    )
    third = pagination.page(
        "bedrock-agent", "ListAgents", ITEMS, {"maxResults": 2, "nextToken": second["nextToken"]}
    )
    assert second["agentSummaries"] + third["agentSummaries"] == ITEMS[2:]
    assert "nextToken" not in third


def test_without_a_limit_one_page_holds_everything() -> None:
    assert pagination.page("bedrock-agent", "ListAgents", ITEMS, {}) == {"agentSummaries": ITEMS}


@pytest.mark.parametrize(
    "token",
    [
        "garbage!",
        "bm90IGEgdG9rZW4",
        pagination.token("ListFlows", 2),
        pagination.token("ListAgents", 2) + "A",
        7,
    ],
    ids=["not-base64", "no-offset", "another-operation", "tampered", "not-a-string"],
)
def test_tokens_the_emulator_did_not_issue_for_this_list_are_refused(token: object) -> None:
    with pytest.raises(AwsError) as raised:
        pagination.page("bedrock-agent", "ListAgents", ITEMS, {"nextToken": token})
    assert (raised.value.code, raised.value.message) == ("ValidationException", "The nextToken is invalid.")
