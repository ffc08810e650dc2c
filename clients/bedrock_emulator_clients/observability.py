"""OpenTelemetry for Bedrock calls: a span around each Converse / ConverseStream call and metrics for
tokens, latency, time to first token and errors, named after OpenTelemetry's generative-AI semantic
conventions (still in development there):

| instrument | kind, unit | attributes besides operation, provider and model |
|---|---|---|
| ``gen_ai.client.token.usage`` | histogram, ``{token}`` | ``gen_ai.token.type``: ``input`` / ``output`` |
| ``gen_ai.client.operation.duration`` | histogram, ``s`` | ``error.type`` when the call failed |
| ``gen_ai.client.operation.time_to_first_chunk`` | histogram, ``s`` | streams only |
| ``bedrock.client.errors`` | counter, ``{error}`` | ``error.type``: the Bedrock error code |

Spans are named ``chat <model>`` (kind CLIENT) with ``gen_ai.request.model``,
``gen_ai.request.max_tokens``, ``gen_ai.usage.input_tokens`` / ``output_tokens``,
``gen_ai.response.finish_reasons``, ``aws.request_id`` and, on failure, ``error.type`` and an ERROR
status. A stream that broke (an in-stream exception, a cut) is an error too, though its HTTP status
was 200. Needs the ``otel`` extra (``opentelemetry-api``; the SDK to export).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .retry import error_code
from .streaming import StreamResult, consume_converse_stream

__all__ = ["BedrockTelemetry"]

PROVIDER = "aws.bedrock"
# OpenTelemetry's advice for these histograms (semantic conventions, generative-AI metrics).
TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
SECONDS_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]


class BedrockTelemetry:
    """Instruments Bedrock calls. Providers default to the global ones (set by the application's
    OpenTelemetry setup); tests pass their own."""

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(__name__, meter_provider=meter_provider)
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Input and output tokens per call",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        self._duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="Duration of a Bedrock call, to its last event for streams",
            explicit_bucket_boundaries_advisory=SECONDS_BUCKETS,
        )
        self._first_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk",
            unit="s",
            description="From sending a streaming request to its first generated content",
            explicit_bucket_boundaries_advisory=SECONDS_BUCKETS,
        )
        self._errors = meter.create_counter(
            "bedrock.client.errors", unit="{error}", description="Failed Bedrock calls by error code"
        )
        self._clock = clock

    def converse(self, client: Any, **request: Any) -> dict[str, Any]:
        """Converse, traced and measured; errors are recorded and raised unchanged."""
        with self._span(request) as (span, attributes):
            started = self._clock()
            try:
                response: dict[str, Any] = client.converse(**request)
            except Exception as error:
                self._failed(span, attributes, error_code(error) or type(error).__name__, started, error)
                raise
            usage = response.get("usage", {})
            self._succeeded(
                span,
                attributes,
                started,
                usage.get("inputTokens"),
                usage.get("outputTokens"),
                response.get("stopReason"),
                response.get("ResponseMetadata", {}).get("RequestId"),
            )
            return response

    def converse_stream(self, client: Any, **request: Any) -> StreamResult:
        """ConverseStream read to its end (``streaming.consume_converse_stream``), traced and measured.
        A refused call raises; a stream that broke is returned (``ending``) and recorded as an error."""
        with self._span(request, streaming=True) as (span, attributes):
            started = self._clock()
            try:
                response = client.converse_stream(**request)
            except Exception as error:
                self._failed(span, attributes, error_code(error) or type(error).__name__, started, error)
                raise
            result = consume_converse_stream(response["stream"], started=started, clock=self._clock)
            if result.time_to_first_token is not None:
                self._first_chunk.record(result.time_to_first_token, attributes)
            request_id = response.get("ResponseMetadata", {}).get("RequestId")
            if request_id:
                span.set_attribute("aws.request_id", request_id)
            if not result.completed:
                member = result.exception_member or ""
                code = member[:1].upper() + member[1:] if member else "StreamCut"
                self._failed(span, attributes, code, started, result.error)
                return result
            usage = result.usage
            self._succeeded(
                span,
                attributes,
                started,
                usage.input_tokens if usage else None,
                usage.output_tokens if usage else None,
                result.stop_reason,
                None,
            )
            return result

    @contextmanager
    def _span(
        self, request: dict[str, Any], *, streaming: bool = False
    ) -> Iterator[tuple[Any, dict[str, Any]]]:
        model = str(request.get("modelId", ""))
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": PROVIDER,
            "gen_ai.system": PROVIDER,  # the older name, still read by many back ends
            "gen_ai.request.model": model,
        }
        span_attributes = dict(attributes)
        max_tokens = request.get("inferenceConfig", {}).get("maxTokens")
        if max_tokens is not None:
            span_attributes["gen_ai.request.max_tokens"] = max_tokens
        span_attributes["gen_ai.request.stream"] = streaming
        with self._tracer.start_as_current_span(
            f"chat {model}", kind=SpanKind.CLIENT, attributes=span_attributes, record_exception=False
        ) as span:
            yield span, attributes

    def _succeeded(
        self,
        span: Any,
        attributes: dict[str, Any],
        started: float,
        input_tokens: int | None,
        output_tokens: int | None,
        stop_reason: str | None,
        request_id: str | None,
    ) -> None:
        self._duration.record(self._clock() - started, attributes)
        for kind, count in (("input", input_tokens), ("output", output_tokens)):
            if count is not None:
                self._tokens.record(count, {**attributes, "gen_ai.token.type": kind})
                span.set_attribute(f"gen_ai.usage.{kind}_tokens", count)
        if stop_reason:
            span.set_attribute("gen_ai.response.finish_reasons", [stop_reason])
        if request_id:
            span.set_attribute("aws.request_id", request_id)

    def _failed(
        self,
        span: Any,
        attributes: dict[str, Any],
        code: str,
        started: float,
        error: BaseException | None,
    ) -> None:
        failed = {**attributes, "error.type": code}
        self._duration.record(self._clock() - started, failed)
        self._errors.add(1, failed)
        span.set_attribute("error.type", code)
        span.set_status(Status(StatusCode.ERROR, code))
        if error is not None:
            span.record_exception(error)
