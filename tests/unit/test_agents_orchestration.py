"""The agent's deterministic reasoning with plain values: action choice, parameter extraction, routes."""

from __future__ import annotations

import re

from emulator.agents.definition import Action, Agent, Parameter, Route, openapi_actions
from emulator.agents.orchestration import best_action, decide, extract_parameters
from emulator.agents.sample import SAMPLE_AGENT, order_facts

_ORDER = Parameter("order_id", "string", "The order ID (format: ORD-XXXXXX)", True)


def _agent(*actions: Action, routes: tuple[Route, ...] = ()) -> Agent:
    return Agent("AGENT00001", "test", "x" * 40, actions=actions, routes=routes)


def test_action_sharing_most_words_with_the_input_is_chosen() -> None:
    chosen = best_action(SAMPLE_AGENT, "I want to cancel order ORD-123456, please initiate a cancellation")
    assert chosen is not None
    assert chosen.name == "initiate_cancellation"


def test_a_token_in_a_parameters_documented_format_selects_an_action() -> None:
    chosen = best_action(SAMPLE_AGENT, "Where is ORD-123456?")
    assert chosen is not None
    assert chosen.name == "get_order_status"


def test_no_shared_word_means_no_action() -> None:
    assert best_action(SAMPLE_AGENT, "What a lovely afternoon") is None


def test_id_parameter_prefers_the_documented_prefix() -> None:
    action = Action("g", "lookup", "Look up an order", (_ORDER,), "LAMBDA")
    found, missing = extract_parameters(action, "Ticket TCK-99 is about ORD-445566", {}, {})
    assert found == {"order_id": "ORD-445566"}
    assert missing == ()


def test_typed_parameters_are_read_from_the_text() -> None:
    action = Action(
        "g",
        "book",
        "Book",
        (
            Parameter("guests", "integer", required=True),
            Parameter("email", "string", required=True),
            Parameter("date", "string", required=True),
            Parameter("vip", "boolean"),
        ),
        "LAMBDA",
    )
    found, missing = extract_parameters(action, "yes, 4 guests on 2026-07-01, mail ada@example.com", {}, {})
    assert found == {"guests": "4", "email": "ada@example.com", "date": "2026-07-01", "vip": "true"}
    assert missing == ()


def test_reason_is_what_follows_because() -> None:
    action = SAMPLE_AGENT.action("order-operations/initiate_cancellation")
    assert action is not None
    found, _missing = extract_parameters(action, "Cancel ORD-111111 because it arrived broken.", {}, {})
    assert found["reason"] == "it arrived broken"


def test_session_attributes_fill_parameters_missing_from_the_text() -> None:
    decision = decide(SAMPLE_AGENT, "what is the status of my order", {"orderId": "ORD-202020"})
    assert decision.kind == "action"
    assert decision.parameters == {"order_id": "ORD-202020"}


def test_missing_required_parameter_makes_the_agent_ask() -> None:
    decision = decide(SAMPLE_AGENT, "what is the status of my order", {})
    assert decision.kind == "ask_user"
    assert [p.name for p in decision.missing] == ["order_id"]


def test_routes_win_over_word_matching() -> None:
    status = SAMPLE_AGENT.actions[0]
    agent = _agent(
        status,
        routes=(Route(re.compile("refund", re.IGNORECASE), answer="Refunds take 5 days."),),
    )
    decision = decide(agent, "refund for my order ORD-1", {})
    assert decision.kind == "answer"
    assert decision.answer == "Refunds take 5 days."


def test_openapi_operations_become_actions_with_body_parameters() -> None:
    document = {
        "paths": {
            "/orders/{id}": {
                "get": {
                    "operationId": "getOrder",
                    "description": "Get an order",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                },
                "post": {
                    "description": "Update an order",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"properties": {"note": {"type": "string"}}, "required": ["note"]}
                            }
                        }
                    },
                },
            }
        }
    }
    get, post = openapi_actions("orders", document, "RETURN_CONTROL")
    assert (get.name, get.api_path, get.verb) == ("getOrder", "/orders/{id}", "get")
    assert get.parameters == (Parameter("id", "string", "", True),)
    assert post.parameters == (Parameter("note", "string", "", True, in_body=True),)
    assert post.refers_to("orders//orders/{id}") or post.refers_to("/orders/{id}")


def test_sample_order_facts_are_stable_per_order() -> None:
    assert order_facts("ORD-447829") == order_facts("ord-447829".upper())
    assert order_facts("ORD-1")["status"] in {"PROCESSING", "SHIPPED", "IN_TRANSIT", "DELAYED", "DELIVERED"}
