"""Model invocation logging: PutModelInvocationLoggingConfiguration, GetModelInvocationLoggingConfiguration,
DeleteModelInvocationLoggingConfiguration, and the log records the data plane then writes to S3.

The configuration is per tenant and Region (as per account and Region on AWS), kept in the store for
Get. Putting one also registers the tenant with the app's ``Sink``, which the data plane finds on
``AppState.extras`` (``emulator.dataplane.INVOCATION_LOGS``) and hands every served reply: until some
tenant turns logging on there is no sink, and a Converse costs the data plane one dictionary lookup.

For each Converse, ConverseStream, InvokeModel and InvokeModelWithResponseStream of a tenant with an
``s3Config``, one gzip-compressed JSON Lines object holding the record AWS documents is written to
``<keyPrefix>/AWSLogs/<account>/BedrockModelInvocationLogs/<region>/<yyyy>/<mm>/<dd>/<HH>/<file>.json.gz``
(docs/bedrock-jobs.md). A stream's record is written when its last event has been sent, with the events as
its ``outputBodyJson``. ``cloudWatchConfig`` is accepted, kept and shown, and nothing is written to
CloudWatch Logs. With ``textDataDeliveryEnabled`` false the bodies are left out of the record.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, Final

from emulator.control import lifecycle, resources
from emulator.control.accounts import account_id
from emulator.control.request import params
from emulator.control.resources import Kind
from emulator.services.exchange import BytesReply, JsonReply, OperationCall, Reply, StreamReply
from emulator.wire.errors import AwsError
from emulator.wire.eventstream import StreamEvent

log = logging.getLogger("bedrock_emulator")

CONFIG: Final = Kind("bedrock:invocation-logging", "LoggingConfiguration")
SINK: Final = "bedrock-emulator:invocation-logs"  # emulator.dataplane.INVOCATION_LOGS
LOGGED: Final = frozenset({"Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream"})
SCHEMA_TYPE: Final = "ModelInvocationLog"
SCHEMA_VERSION: Final = "1.0"
PERMISSION_CHECK: Final = "amazon-bedrock-logs-permission-check"


class Sink:
    """The tenants with logging on, and writing their records (``sink(call, reply) -> reply``)."""

    def __init__(self) -> None:
        self._configs: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def set(self, tenant: str, region: str, config: dict[str, Any] | None) -> None:
        with self._lock:
            if config is None:
                self._configs.pop((tenant, region), None)
            else:
                self._configs[(tenant, region)] = config

    def forget(self, tenant: str | None) -> None:
        with self._lock:
            if tenant is None:
                self._configs.clear()
            else:
                self._configs = {key: value for key, value in self._configs.items() if key[0] != tenant}

    def __call__(self, call: OperationCall, reply: Reply) -> Reply:
        config = self._configs.get((call.tenant, call.region))
        if config is None or call.operation not in LOGGED or call.service != "bedrock-runtime":
            return reply
        if not config.get("s3Config"):
            return reply  # CloudWatch Logs only: accepted, not written
        if isinstance(reply, StreamReply):
            return replace(reply, events=_recorded(call, config, reply))
        output = json.loads(reply.body) if isinstance(reply, BytesReply) else dict(reply.body)
        _write(call, config, reply, output)
        return reply


def _recorded(call: OperationCall, config: dict[str, Any], reply: StreamReply) -> Iterator[StreamEvent]:
    events: list[Any] = []
    for name, payload in reply.events:
        if call.operation == "InvokeModelWithResponseStream" and name == "chunk":
            events.append(json.loads(base64.b64decode(payload["bytes"])))
        else:
            events.append({name: payload})
        yield name, payload
    _write(call, config, reply, events)


def _write(call: OperationCall, config: Mapping[str, Any], reply: Reply, output: Any) -> None:
    from emulator.s3 import S3StoreError, object_store

    s3 = config["s3Config"]
    record = _record(call, config, reply, output)
    moment = lifecycle.iso(lifecycle.now(call))
    day, clock = moment[:10].split("-"), moment[11:19].replace(":", "")
    name = f"{''.join(day)}T{clock}Z_{call.request_id.replace('-', '')[:16]}.json.gz"
    key = "/".join((_log_root(call, s3), call.region, *day, moment[11:13], name))
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
    body = gzip.compress(line.encode(), mtime=0)
    try:
        object_store(call.state).put_object(
            call.tenant, s3["bucketName"], key, body, content_type="application/json"
        )
    except S3StoreError as error:  # as on AWS, a log that cannot be delivered does not fail the call
        log.debug("invocation log for %s not delivered: %s", call.request_id, error)


def _record(call: OperationCall, config: Mapping[str, Any], reply: Reply, output: Any) -> dict[str, Any]:
    usage = reply.usage
    text = config.get("textDataDeliveryEnabled", True) is not False
    request = call.json_body if isinstance(call.json_body, dict) else {}
    inputs: dict[str, Any] = {"inputContentType": "application/json"}
    outputs: dict[str, Any] = {"outputContentType": "application/json"}
    if text:
        inputs["inputBodyJson"] = request
        outputs["outputBodyJson"] = output
    inputs["inputTokenCount"] = usage.input_tokens if usage is not None else 0
    outputs["outputTokenCount"] = usage.output_tokens if usage is not None else 0
    record = {
        "schemaType": SCHEMA_TYPE,
        "schemaVersion": SCHEMA_VERSION,
        "timestamp": lifecycle.iso(lifecycle.now(call))[:19] + "Z",
        "accountId": account_id(call.tenant),
        "identity": {"arn": f"arn:aws:iam::{account_id(call.tenant)}:root"},
        "region": call.region,
        "requestId": call.request_id,
        "operation": call.operation,
        "modelId": call.labels.get("modelId", ""),
        "input": inputs,
        "output": outputs,
    }
    metadata = request.get("requestMetadata")
    if isinstance(metadata, dict) and metadata:  # Converse's requestMetadata, for filtering the logs
        record["requestMetadata"] = metadata
    return record


# -- the control-plane operations ----------------------------------------------------------------------


def _sink(call: OperationCall) -> Sink:
    return call.state.extra(SINK, Sink)


def _log_root(call: OperationCall, s3: Mapping[str, Any]) -> str:
    prefix = str(s3.get("keyPrefix") or "").strip("/")
    return "/".join(
        part for part in (prefix, "AWSLogs", account_id(call.tenant), "BedrockModelInvocationLogs") if part
    )


def _check_bucket(call: OperationCall, s3: Mapping[str, Any]) -> None:
    """What Bedrock does on Put: write a zero-byte permission-check object under the log prefix (left
    there afterwards); a bucket it cannot write to refuses the configuration (wire-facts §19.4)."""
    from emulator.s3 import S3StoreError, object_store

    bucket = str(s3["bucketName"])
    try:
        object_store(call.state).put_object(
            call.tenant, bucket, f"{_log_root(call, s3)}/{PERMISSION_CHECK}", b""
        )
    except S3StoreError:
        raise AwsError(
            "ValidationException", f"Failed to validate permissions for bucket: {bucket}"
        ) from None


def put_model_invocation_logging_configuration(call: OperationCall) -> Reply:
    config = dict(params(call)["loggingConfig"])
    if config.get("s3Config"):
        _check_bucket(call, config["s3Config"])
    resources.save(call, CONFIG, call.region, {"loggingConfig": config})
    _sink(call).set(call.tenant, call.region, config)
    return JsonReply({})


def get_model_invocation_logging_configuration(call: OperationCall) -> Reply:
    record = resources.read(call, CONFIG, call.region)
    return JsonReply({"loggingConfig": record["loggingConfig"]} if record is not None else {})


def delete_model_invocation_logging_configuration(call: OperationCall) -> Reply:
    resources.remove(call, CONFIG, call.region)
    if SINK in call.state.extras:
        _sink(call).set(call.tenant, call.region, None)
    return JsonReply({})


HANDLERS = {
    "PutModelInvocationLoggingConfiguration": put_model_invocation_logging_configuration,
    "GetModelInvocationLoggingConfiguration": get_model_invocation_logging_configuration,
    "DeleteModelInvocationLoggingConfiguration": delete_model_invocation_logging_configuration,
}
