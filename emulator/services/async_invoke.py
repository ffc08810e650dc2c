"""Handlers of bedrock-runtime's asynchronous invocations: StartAsyncInvoke, GetAsyncInvoke and
ListAsyncInvokes. An invocation is InProgress until its model's run time has passed on the virtual clock,
then Completed, and its output files appear in a local directory standing for the S3 prefix
(``BEDROCK_EMULATOR_ASYNC_OUTPUT_DIR``; a temporary directory by default). An s3Uri whose key the
directory cannot stand for (``.`` or ``..`` segments, control characters, a segment longer than a file
name) is refused as an invalid S3 URI, and every output path is checked to resolve inside the root.
Invocations are values in the app's store, per tenant (kinds ``async-invoke`` and, for clientRequestToken
idempotency, ``async-invoke-token``)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from emulator import catalog
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.state import Store
from emulator.wire import pagination
from emulator.wire.errors import AwsError, validation

OUTPUT_DIR_VARIABLE: Final = "BEDROCK_EMULATOR_ASYNC_OUTPUT_DIR"
ACCOUNT_ID: Final = "123456789012"
# Models Bedrock runs asynchronously, with what each writes and how long a default job takes (seconds).
ASYNC_MODELS: Final[Mapping[str, tuple[str, float]]] = {
    "amazon.nova-reel-v1:0": ("video", 90.0),
    "amazon.nova-reel-v1:1": ("video", 90.0),
    "amazon.nova-2-multimodal-embeddings-v1:0": ("embedding", 30.0),
    "twelvelabs.marengo-embed-2-7-v1:0": ("embedding", 30.0),
}
# Enough of an MP4 (an ``ftyp`` box) for tools that sniff the file type; there are no frames.
_MP4_PLACEHOLDER: Final = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
_S3_URI: Final = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(?P<prefix>.*))?")
_MAX_S3_URI: Final = 1024  # the S3Uri shape's max length (botocore)
_MAX_SEGMENT_BYTES: Final = 255  # a file name on the filesystems the output directory lives on
_ARN: Final = re.compile(r"arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]+:\d{12}:async-invoke/(?P<id>[a-z0-9]{12})")


@dataclass
class Invocation:
    invocation_id: str
    arn: str
    model_arn: str
    kind: str
    client_request_token: str | None
    output_config: dict[str, Any]
    submitted: datetime
    started_on_clock: float
    run_seconds: float
    written: bool = False

    def status(self, now: float) -> str:
        return "Completed" if now - self.started_on_clock >= self.run_seconds else "InProgress"

    def value(self) -> dict[str, Any]:
        """The invocation as the store keeps it."""
        return {
            "invocationId": self.invocation_id,
            "arn": self.arn,
            "modelArn": self.model_arn,
            "kind": self.kind,
            "clientRequestToken": self.client_request_token,
            "outputConfig": self.output_config,
            "submitted": self.submitted.isoformat(),
            "startedOnClock": self.started_on_clock,
            "runSeconds": self.run_seconds,
            "written": self.written,
        }

    @classmethod
    def from_value(cls, value: Mapping[str, Any]) -> Invocation:
        return cls(
            invocation_id=value["invocationId"],
            arn=value["arn"],
            model_arn=value["modelArn"],
            kind=value["kind"],
            client_request_token=value["clientRequestToken"],
            output_config=value["outputConfig"],
            submitted=datetime.fromisoformat(value["submitted"]),
            started_on_clock=value["startedOnClock"],
            run_seconds=value["runSeconds"],
            written=value["written"],
        )

    def wire(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        body: dict[str, Any] = {
            "invocationArn": self.arn,
            "modelArn": self.model_arn,
            "status": status,
            "submitTime": self.submitted,  # datetimes: the output serializer writes them
            "lastModifiedTime": self.submitted,
            "outputDataConfig": self.output_config,
        }
        if self.client_request_token is not None:
            body["clientRequestToken"] = self.client_request_token
        if status == "Completed":
            end = self.submitted + timedelta(seconds=self.run_seconds)
            body["endTime"] = end
            body["lastModifiedTime"] = end
        return body


KIND: Final = "async-invoke"  # invocation id -> Invocation.value()
TOKEN_KIND: Final = "async-invoke-token"  # clientRequestToken -> invocation id
COUNTER_KIND: Final = "counter"  # key "async-invoke": invocations started, for ids


class Invocations:
    """A tenant's invocations in the app's store; outputs are written once, when a reader first sees a
    job completed."""

    def __init__(self, store: Store, tenant: str) -> None:
        self._store = store
        self._tenant = tenant

    def by_token(self, token: str | None) -> Invocation | None:
        """The invocation a clientRequestToken started: the same token is the same request."""
        invocation_id = None if token is None else self._store.get(self._tenant, TOKEN_KIND, token)
        return None if invocation_id is None else self.get(invocation_id)

    def next_ordinal(self) -> int:
        """0 for the tenant's first invocation, then 1, 2...: ids derive from it."""
        return self._store.increment(self._tenant, COUNTER_KIND, KIND) - 1

    def add(self, invocation: Invocation) -> Invocation:
        """Keep ``invocation``, unless its token already started one: then that one (Bedrock answers the
        first ARN again)."""
        self._store.put(self._tenant, KIND, invocation.invocation_id, invocation.value())
        token = invocation.client_request_token
        if token is not None and not self._store.put_new(
            self._tenant, TOKEN_KIND, token, invocation.invocation_id
        ):
            first = self.by_token(token)  # a request with the same token got there first
            if first is not None:
                self._store.delete(self._tenant, KIND, invocation.invocation_id)
                return first
        return invocation

    def get(self, invocation_id: str) -> Invocation | None:
        value = self._store.get(self._tenant, KIND, invocation_id)
        return None if value is None else Invocation.from_value(value)

    def all(self) -> list[Invocation]:
        return [Invocation.from_value(value) for _key, value in self._store.list(self._tenant, KIND)]

    def mark_written(self, invocation: Invocation) -> None:
        invocation.written = True
        self._store.update(
            self._tenant, KIND, invocation.invocation_id, lambda value: {**value, "written": True}
        )


def _invocations(call: OperationCall) -> Invocations:
    return Invocations(call.state.store, call.tenant)


def clock_now(call: OperationCall) -> float:
    """Seconds on the engine's virtual clock when the data plane hands them over (``call.now``), else the
    monotonic clock the virtual one runs on."""
    now = getattr(call, "now", None)
    return float(now) if isinstance(now, int | float) else time.monotonic()


def output_root() -> Path:
    configured = os.environ.get(OUTPUT_DIR_VARIABLE)
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "bedrock-emulator-async"


def _s3_location(s3_uri: str) -> tuple[str, list[str]] | None:
    """The bucket and key segments of an output s3Uri, or None when a local directory cannot stand for it."""
    match = _S3_URI.fullmatch(s3_uri)
    if match is None or len(s3_uri) > _MAX_S3_URI:
        return None
    segments = [segment for segment in (match["prefix"] or "").split("/") if segment]
    for segment in segments:
        if segment in {".", ".."} or len(segment.encode()) > _MAX_SEGMENT_BYTES:
            return None
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in segment):
            return None
    return match["bucket"], segments


def output_directory(invocation: Invocation) -> Path:
    """The local directory standing for ``<s3Uri>/<invocation id>/``, always inside ``output_root()``."""
    s3_uri = invocation.output_config["s3OutputDataConfig"]["s3Uri"]
    location = _s3_location(s3_uri)
    if location is None:  # checked on start
        raise AwsError("InternalServerException", f"stored s3Uri {s3_uri} is malformed")
    bucket, segments = location
    root = output_root().resolve()
    directory = root.joinpath(bucket, *segments, invocation.invocation_id).resolve()
    if not directory.is_relative_to(root):  # a symbolic link inside the root pointing out of it
        raise AwsError("InternalServerException", f"the output of s3Uri {s3_uri} resolves outside {root}")
    return directory


def _write_outputs(invocation: Invocation) -> None:
    directory = output_directory(invocation)
    directory.mkdir(parents=True, exist_ok=True)
    if invocation.kind == "video":
        (directory / "output.mp4").write_bytes(_MP4_PLACEHOLDER)
    else:
        (directory / "output.json").write_text(
            json.dumps({"data": [{"embedding": [0.0] * 8, "embeddingOption": "visual-text"}]}),
            encoding="utf-8",
        )
    manifest = {"invocationArn": invocation.arn, "status": "Completed"}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _observe(invocations: Invocations, invocation: Invocation, now: float) -> dict[str, Any]:
    body = invocation.wire(now)
    if body["status"] == "Completed" and not invocation.written:
        _write_outputs(invocation)
        invocations.mark_written(invocation)
    return body


# -- handlers ----------------------------------------------------------------------------------------


def start_async_invoke(call: OperationCall) -> Reply:
    body = call.input
    model_id = body.get("modelId")
    if not isinstance(model_id, str) or not model_id:
        raise validation(
            "1 validation error detected: Value null at 'modelId' failed to satisfy constraint: "
            "Member must not be null"
        )
    bare_id = model_id.rsplit("foundation-model/", 1)[-1]
    if bare_id not in ASYNC_MODELS:
        if catalog.get(bare_id) is not None:
            # A real model without async support: the vague text is Bedrock's own (boto/boto3#4382).
            raise validation("The provided request is not valid")
        raise validation("The provided model identifier is invalid.")
    if not isinstance(body.get("modelInput"), dict):
        raise validation(
            "1 validation error detected: Value null at 'modelInput' failed to satisfy constraint: "
            "Member must not be null"
        )
    output_config = body.get("outputDataConfig")
    s3 = output_config.get("s3OutputDataConfig") if isinstance(output_config, dict) else None
    s3_uri = s3.get("s3Uri") if isinstance(s3, dict) else None
    if not isinstance(s3_uri, str) or _s3_location(s3_uri) is None:
        raise validation(f"Invalid S3 URI: {s3_uri}. The S3 URI must be of the form s3://bucket/prefix.")
    kind, run_seconds = ASYNC_MODELS[bare_id]
    duration = (body["modelInput"].get("videoGenerationConfig") or {}).get("durationSeconds")
    if kind == "video" and isinstance(duration, int) and duration > 6:
        run_seconds = 15.0 * duration  # multi-shot videos take about 15 s per generated second
    token = body.get("clientRequestToken")
    invocations = _invocations(call)
    earlier = invocations.by_token(token if isinstance(token, str) else None)
    if earlier is not None:
        return JsonReply({"invocationArn": earlier.arn})
    ordinal = invocations.next_ordinal()
    invocation_id = "".join(
        "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]
        for b in hashlib.sha256(f"{call.tenant}\0{ordinal}\0{call.request_id}".encode()).digest()[:12]
    )
    invocation = invocations.add(
        Invocation(
            invocation_id=invocation_id,
            arn=f"arn:aws:bedrock:{call.region}:{ACCOUNT_ID}:async-invoke/{invocation_id}",
            model_arn=f"arn:aws:bedrock:{call.region}::foundation-model/{bare_id}",
            kind=kind,
            client_request_token=token if isinstance(token, str) else None,
            output_config={"s3OutputDataConfig": dict(s3)} if isinstance(s3, dict) else {},
            submitted=datetime.now(UTC),
            started_on_clock=clock_now(call),
            run_seconds=run_seconds,
        ),
    )
    return JsonReply({"invocationArn": invocation.arn})


def get_async_invoke(call: OperationCall) -> Reply:
    arn: str = call.input["invocationArn"]
    match = _ARN.fullmatch(arn)
    invocations = _invocations(call)
    invocation = invocations.get(match["id"]) if match else None
    if invocation is None:
        # GetAsyncInvoke declares no ResourceNotFoundException; Bedrock answers an unknown ARN this way.
        raise validation(f"Invalid invocation ARN: {arn}")
    return JsonReply(_observe(invocations, invocation, clock_now(call)))


def list_async_invokes(call: OperationCall) -> Reply:
    query = call.input
    now = clock_now(call)
    status = query.get("statusEquals")
    after = _query_time(query.get("submitTimeAfter"), "submitTimeAfter")
    before = _query_time(query.get("submitTimeBefore"), "submitTimeBefore")
    descending = query.get("sortOrder", "Descending") != "Ascending"
    invocations = _invocations(call)
    jobs = sorted(invocations.all(), key=lambda j: (j.submitted, j.invocation_id), reverse=descending)
    summaries = [
        body
        for job in jobs
        if (after is None or job.submitted > after) and (before is None or job.submitted < before)
        for body in [_observe(invocations, job, now)]
        if status is None or body["status"] == status
    ]
    return JsonReply(pagination.page(call.service, call.operation, summaries, query))


def _query_time(raw: str | None, name: str) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise validation(f"Invalid value for {name}: {raw}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


ASYNC_INVOKE_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "StartAsyncInvoke": start_async_invoke,
    "GetAsyncInvoke": get_async_invoke,
    "ListAsyncInvokes": list_async_invokes,
}
