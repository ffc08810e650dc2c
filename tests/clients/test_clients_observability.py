"""bedrock_emulator_clients.observability with OpenTelemetry's SDK and its in-memory exporters: the spans and metrics of
Converse and ConverseStream calls against the emulator, plain, under ``throttle-first-3``,
``stream-exception-after-5`` and a faster ``slow-first-token``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from bedrock_emulator_clients.observability import BedrockTelemetry
from emulator.pytest_plugin import BedrockEmulator

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Describe a lighthouse in three sentences."}]}]


class Telemetry:
    """A BedrockTelemetry wired to in-memory exporters, and ways to read what they got."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.instrument = BedrockTelemetry(
            tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[self.reader])
        )

    def points(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        assert data is not None
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry()


def test_a_converse_call_has_a_span_and_token_and_latency_metrics(
    bedrock_emulator: BedrockEmulator, telemetry: Telemetry
) -> None:
    response = telemetry.instrument.converse(
        bedrock_emulator.client(), modelId=MODEL, messages=MESSAGES, inferenceConfig={"maxTokens": 300}
    )

    usage = response["usage"]
    (span,) = telemetry.spans.get_finished_spans()
    assert span.name == f"chat {MODEL}"
    assert span.kind == SpanKind.CLIENT
    assert span.status.status_code == StatusCode.UNSET
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "aws.bedrock"
    assert attributes["gen_ai.request.model"] == MODEL
    assert attributes["gen_ai.request.max_tokens"] == 300
    assert attributes["gen_ai.usage.input_tokens"] == usage["inputTokens"]
    assert attributes["gen_ai.usage.output_tokens"] == usage["outputTokens"]
    assert attributes["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert attributes["aws.request_id"] == bedrock_emulator.requests("Converse")[0].request_id

    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in telemetry.points("gen_ai.client.token.usage")}
    assert tokens == {"input": usage["inputTokens"], "output": usage["outputTokens"]}
    (duration,) = telemetry.points("gen_ai.client.operation.duration")
    assert duration.count == 1
    assert "error.type" not in duration.attributes
    assert telemetry.points("bedrock.client.errors") == []
    assert telemetry.points("gen_ai.client.operation.time_to_first_chunk") == []  # streams only


def test_throttled_calls_are_error_spans_and_counted_by_code(
    bedrock_emulator: BedrockEmulator, telemetry: Telemetry
) -> None:
    bedrock_emulator.use_scenario("throttle-first-3")
    client = bedrock_emulator.client()

    for _ in range(3):
        with pytest.raises(ClientError):
            telemetry.instrument.converse(client, modelId=MODEL, messages=MESSAGES)
    telemetry.instrument.converse(client, modelId=MODEL, messages=MESSAGES)

    spans = telemetry.spans.get_finished_spans()
    assert [s.status.status_code for s in spans] == [StatusCode.ERROR] * 3 + [StatusCode.UNSET]
    assert spans[0].attributes is not None
    assert spans[0].attributes["error.type"] == "ThrottlingException"
    assert spans[0].events[0].name == "exception"
    (errors,) = telemetry.points("bedrock.client.errors")
    assert (errors.value, errors.attributes["error.type"]) == (3, "ThrottlingException")
    durations = {
        p.attributes.get("error.type"): p.count for p in telemetry.points("gen_ai.client.operation.duration")
    }
    assert durations == {"ThrottlingException": 3, None: 1}


def test_a_stream_records_time_to_first_chunk(
    bedrock_emulator: BedrockEmulator, telemetry: Telemetry, shipped_faster: Callable[[str, float], str]
) -> None:
    shipped_faster("slow-first-token", 0.1)  # the shipped 2 s before the first event, as 0.2 s

    result = telemetry.instrument.converse_stream(bedrock_emulator.client(), modelId=MODEL, messages=MESSAGES)

    assert result.completed
    (first,) = telemetry.points("gen_ai.client.operation.time_to_first_chunk")
    assert first.count == 1
    assert 0.2 <= first.sum < 1.5
    assert result.time_to_first_token == pytest.approx(first.sum)
    (duration,) = telemetry.points("gen_ai.client.operation.duration")
    assert duration.sum >= first.sum
    (span,) = telemetry.spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["gen_ai.request.stream"] is True
    assert result.usage is not None
    assert span.attributes["gen_ai.usage.output_tokens"] == result.usage.output_tokens


def test_a_stream_broken_by_an_in_stream_exception_is_an_error(
    bedrock_emulator: BedrockEmulator, telemetry: Telemetry
) -> None:
    bedrock_emulator.use_scenario("stream-exception-after-5")

    result = telemetry.instrument.converse_stream(bedrock_emulator.client(), modelId=MODEL, messages=MESSAGES)

    assert result.ending == "exception"
    (span,) = telemetry.spans.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "ModelStreamErrorException"
    (errors,) = telemetry.points("bedrock.client.errors")
    assert errors.attributes["error.type"] == "ModelStreamErrorException"
    assert telemetry.points("gen_ai.client.token.usage") == []  # no metadata event: no usage to report
    assert len(telemetry.points("gen_ai.client.operation.time_to_first_chunk")) == 1
