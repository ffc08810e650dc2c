"""Model calls a job makes for its caller (a batch inference record, an evaluation prompt): the same
generation as bedrock-runtime's InvokeModel and Converse, planned by the tenant's scenario.

``invoke(call, operation, model_id, body, index)`` builds the runtime call a record stands for and runs
it through the data plane's ``run_for_job`` (``emulator/dataplane.py``), so a scenario rule matching
``InvokeModel`` or ``Converse`` (and the model) applies to each record as it would to a request: its error
fails the record, its scripted answer is the record's output. Without a data plane (an app state built
alone, in unit tests) the handler is dispatched directly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from emulator.services import handlers
from emulator.services.exchange import BytesReply, JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError

RUNTIME: Final = "bedrock-runtime"
_RUNNER: Final = "bedrock-emulator:model-runner"  # emulator.dataplane.MODEL_RUNNER


@dataclass(frozen=True)
class Outcome:
    """One model call's answer: the response body and its token counts, or the error it got."""

    body: dict[str, Any] | None
    input_tokens: int = 0
    output_tokens: int = 0
    error: AwsError | None = None


def invoke(
    call: OperationCall, operation: str, model_id: str, body: Mapping[str, Any], label: str
) -> Outcome:
    """Run ``body`` as an ``operation`` (``InvokeModel`` or ``Converse``) on ``model_id`` for the caller of
    ``call``; ``label`` (job id and record) makes the request id, so the same job gives the same answers."""
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    digest = hashlib.blake2b(f"{call.seed}|{call.tenant}|{label}".encode(), digest_size=16).hexdigest()
    request_id = f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"
    runtime_call = OperationCall(
        service=RUNTIME,
        operation=operation,
        labels={"modelId": model_id},
        headers={"content-type": "application/json", "accept": "application/json"},
        query={},
        raw_body=raw,
        region=call.region,
        tenant=call.tenant,
        request_id=request_id,
        strict=call.strict,
        seed=call.seed,
        now=call.now,
        json_body=dict(body),
        state=call.state,
    )
    runner: Callable[[OperationCall], Reply] = call.state.extras.get(_RUNNER, handlers.dispatch)
    try:
        reply = runner(runtime_call)
    except AwsError as error:
        return Outcome(None, error=error)
    usage = reply.usage
    tokens = (usage.input_tokens, usage.output_tokens) if usage is not None else (0, 0)
    if isinstance(reply, BytesReply):
        return Outcome(json.loads(reply.body), *tokens)
    if isinstance(reply, JsonReply):
        return Outcome(dict(reply.body), *tokens)
    raise AwsError("InternalServerException", f"{operation} answered a stream")  # not for these two


def error_status(error: AwsError) -> int:
    """The HTTP status bedrock-runtime answers ``error`` with (a record's ``errorCode``)."""
    return error.status(RUNTIME)
