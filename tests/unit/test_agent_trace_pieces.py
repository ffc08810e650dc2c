"""The pieces of an agent trace that depend on the foundation model (wire-facts, "Agent and guardrail
traces"): each template's inference configuration, and the time a model call takes."""

from __future__ import annotations

from emulator.agents import traces

CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
NOVA = "amazon.nova-pro-v1:0"


def test_claude_templates_stop_at_their_tags_and_processing_at_human() -> None:
    orchestration = traces.inference_configuration("ORCHESTRATION", CLAUDE)
    assert orchestration == {
        "__type": "com.amazon.bedrock.agent.common.types#InferenceConfiguration",
        "maximumLength": 2048,
        "stopSequences": ["</invoke>", "</answer>", "</error>"],
        "temperature": 0.0,
        "topK": 250,
        "topP": 1.0,
    }
    for step in ("PRE_PROCESSING", "POST_PROCESSING"):
        assert traces.inference_configuration(step, CLAUDE)["stopSequences"] == ["\n\nHuman:"]


def test_nova_orchestration_template_is_nova_s_own() -> None:
    configuration = traces.inference_configuration("ORCHESTRATION", NOVA)
    assert configuration["stopSequences"] == ["</answer>", "\n\n<thinking>", "\n<thinking>", " <thinking>"]
    assert (configuration["maximumLength"], configuration["temperature"], configuration["topK"]) == (
        1024,
        1.0,
        1,
    )


def test_a_model_call_takes_as_long_as_recorded_claude_steps_roughly() -> None:
    # Recorded Claude 3.5 Sonnet agent steps (input, output tokens) -> ms: within 15 % of each.
    for (tokens_in, tokens_out), recorded in {(255, 136): 2918, (252, 354): 7466, (915, 56): 2106}.items():
        assert abs(traces.model_call_ms(tokens_in, tokens_out) - recorded) <= 0.15 * recorded


def test_times_are_written_with_nanoseconds() -> None:
    assert traces.iso_ns(1_747_820_688_907_968_367) == "2025-05-21T09:44:48.907968367Z"
