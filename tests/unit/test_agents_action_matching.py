"""How a created agent picks a function and its parameters, and what the Lambda stand-in returns."""

from __future__ import annotations

import json

import pytest

from emulator.agents import action_matching, lambda_stand_in
from emulator.agents.action_matching import Capabilities, choose, generated, parameters_for
from emulator.agents.definition import Action, Agent, KnowledgeBaseRef, Parameter

WEATHER = Action(
    "weather-tools",
    "get_weather",
    "Get the current weather for a city",
    (Parameter("city", "string", "The city to look up", True),),
    "RETURN_CONTROL",
)
TABLE = Action(
    "restaurant",
    "book_table",
    "Book a table at the restaurant",
    (
        Parameter("guest", "string", "The name of the guest", True),
        Parameter("seats", "integer", "How many seats", True),
        Parameter("terrace", "boolean", "Outside", False),
    ),
    "RETURN_CONTROL",
)


def agent(*actions: Action, knowledge_bases: tuple[KnowledgeBaseRef, ...] = ()) -> Agent:
    return Agent(
        "AGENT00001", "travel", "You help travellers." * 3, actions=actions, knowledge_bases=knowledge_bases
    )


@pytest.mark.parametrize(
    ("text", "city"),
    [
        ("What's the weather in Paris?", "Paris"),
        ("weather in New York City today", "New York City"),
        ("Is it raining at Rio de Janeiro", "Rio de Janeiro"),
        ("forecast for São Paulo.", "São Paulo"),
    ],
)
def test_a_place_parameter_takes_the_capitalised_words_after_a_preposition(text: str, city: str) -> None:
    assert parameters_for(WEATHER, text, {}, 7, generate=False) == ({"city": city}, ())


def test_a_person_parameter_takes_a_name_and_numbers_come_from_the_text() -> None:
    found, missing = parameters_for(
        TABLE, "Book a table for Alice Martin, 4 seats please", {}, 7, generate=False
    )

    assert found == {"guest": "Alice Martin", "seats": "4"}
    assert missing == ()


def test_session_attributes_fill_what_the_text_lacks() -> None:
    found, _ = parameters_for(WEATHER, "How is the weather?", {"city": "Lyon"}, 7, generate=False)

    assert found == {"city": "Lyon"}


def test_missing_required_parameters_are_reported_or_generated() -> None:
    found, missing = parameters_for(TABLE, "book a table", {}, 7, generate=False)
    assert (found, [p.name for p in missing]) == ({}, ["guest", "seats"])

    found, missing = parameters_for(TABLE, "book a table", {}, 7, generate=True)
    assert missing == ()
    assert list(found) == ["guest", "seats"]  # declaration order; the optional one is not made up
    assert found["guest"].startswith("guest-")
    assert found["seats"].isdigit()


def test_generated_values_have_the_parameters_type_and_depend_only_on_seed_action_and_name() -> None:
    values = {
        kind: generated(TABLE, Parameter("p", kind, "", True), seed=1)
        for kind in ("string", "integer", "number", "boolean", "array")
    }

    assert int(values["integer"]) >= 1
    assert float(values["number"]) >= 1
    assert values["boolean"] in ("true", "false")
    assert isinstance(json.loads(values["array"]), list)
    assert generated(TABLE, Parameter("p", "string", "", True), seed=1) == values["string"]
    assert generated(TABLE, Parameter("p", "string", "", True), seed=2) != values["string"]


def test_choose_calls_the_best_matching_function_or_asks_with_user_input() -> None:
    travel = agent(WEATHER, TABLE)

    called = choose(travel, "What's the weather in Oslo?", {}, Capabilities(), 7)
    assert (called.kind, called.action, called.parameters) == ("action", WEATHER, {"city": "Oslo"})

    asked = choose(travel, "What's the weather like?", {}, Capabilities(asks_user=True), 7)
    assert (asked.kind, [p.name for p in asked.missing]) == ("ask_user", ["city"])

    generated_city = choose(travel, "What's the weather like?", {}, Capabilities(), 7)
    assert generated_city.kind == "action"
    assert generated_city.parameters["city"].startswith("city-")


def test_without_a_fitting_function_the_agent_calculates_searches_or_answers() -> None:
    plain = agent(WEATHER)
    with_kb = agent(WEATHER, knowledge_bases=(KnowledgeBaseRef("KB00000001", "Policies"),))
    interpreter = Capabilities(code_interpreter=True)

    calculated = choose(plain, "Calculate (3 + 4) * 2.5 please", {}, interpreter, 7)
    assert (calculated.kind, calculated.answer) == ("answer", "(3 + 4) * 2.5 = 17.5")
    assert choose(with_kb, "Tell me about refunds", {}, Capabilities(), 7).kind == "knowledge_base"
    assert choose(plain, "Tell me about refunds", {}, interpreter, 7).kind == "nothing"


@pytest.mark.parametrize(
    ("text", "worked"),
    [
        ("what is 2^10?", ("2^10", "1024")),
        ("compute 7 / 2", ("7 / 2", "3.5")),
        ("what is 1/0", None),
        ("what is 9 ^ 999", None),  # no unbounded powers
        ("My order ORD-447829 is 3 days late", None),  # no request to calculate
    ],
)
def test_the_code_interpreter_only_evaluates_bounded_arithmetic(
    text: str, worked: tuple[str, str] | None
) -> None:
    assert action_matching._arithmetic(text) == worked


def test_the_lambda_stand_in_fills_the_documented_response_from_the_parameters() -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer"},
            "temperature": {"type": "number"},
            "outlook": {"type": "string", "enum": ["sunny", "rain"]},
            "hourly": {
                "type": "array",
                "items": {"type": "object", "properties": {"hour": {"type": "integer"}}},
            },
        },
    }
    result = lambda_stand_in.stand_in("get_forecast", schema, seed=3)

    body = json.loads(result({"city": "Madrid", "days": "2"}))

    assert (body["city"], body["days"]) == ("Madrid", 2)
    assert isinstance(body["temperature"], float)
    assert body["outlook"] in ("sunny", "rain")
    assert isinstance(body["hourly"][0]["hour"], int)
    assert result({"city": "Madrid", "days": "2"}) == json.dumps(body, sort_keys=True)


def test_the_lambda_stand_in_without_a_schema_reports_the_call_and_a_scenario_body_wins() -> None:
    plain = lambda_stand_in.stand_in("get_weather", None, seed=3)
    scripted = lambda_stand_in.stand_in("get_weather", None, seed=3, override={"temperature": 30})

    assert json.loads(plain({"city": "Oslo"})) == {
        "action": "get_weather",
        "parameters": {"city": "Oslo"},
        "status": "OK",
    }
    assert scripted({"city": "Oslo"}) == '{"temperature": 30}'
    assert lambda_stand_in.stand_in("x", None, 3, override="plain text")({}) == "plain text"


def test_response_schema_reads_the_successful_json_response() -> None:
    schema = {"type": "object"}
    operation = {"responses": {"404": {}, "200": {"content": {"application/json": {"schema": schema}}}}}

    assert lambda_stand_in.response_schema(operation) == schema
    assert lambda_stand_in.response_schema({"responses": {"200": {"description": "ok"}}}) is None
