"""InvokeModelWithBidirectionalStream: Amazon Nova Sonic's speech-to-speech session (``emulator.sonic``).

The request body is an event stream the client keeps writing while it reads the answer, so the data plane
hands it over unread (``OperationCall.body_stream``) and the session reads it event by event. Over HTTP/2
(the only way AWS's SDKs call this operation) the server starts the app when the request's headers
arrive (``emulator.http2``, duplex streams).
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from typing import Final

from emulator import catalog, sonic
from emulator.services.exchange import OperationCall, Reply, StreamReply
from emulator.wire.errors import validation

# AWS documents 8 minutes per connection ("The response is returned in a stream that remains open for 8
# minutes", botocore's documentation of the operation).
SESSION_SECONDS: Final = 8 * 60


def invoke_model_with_bidirectional_stream(call: OperationCall) -> Reply:
    resolved = catalog.resolve(call.input["modelId"], region=call.region, strict=call.strict)
    model = resolved.model
    if model.body_family != "nova-sonic":
        raise validation(
            f"The model {resolved.requested_id} does not support bidirectional streaming. "
            "Use a speech-to-speech model such as amazon.nova-2-sonic-v1:0."
        )
    session = sonic.Session(
        seed=call.seed,
        session_id=str(uuid.UUID(call.request_id)),
        now=_clock(call),
        time_limit=SESSION_SECONDS,
    )
    body = call.body_stream if call.body_stream is not None else io.BytesIO(call.raw_body)
    return StreamReply(
        session.run(sonic.read_events(body)), model_id=model.model_id, warnings=resolved.warnings
    )


def _clock(call: OperationCall) -> Callable[[], float]:
    """Seconds on the engine's virtual clock as the call started, moving on in real time."""
    started_at, started = call.now or 0.0, time.monotonic()
    return lambda: started_at + (time.monotonic() - started)


BIDIRECTIONAL_HANDLERS = {"InvokeModelWithBidirectionalStream": invoke_model_with_bidirectional_stream}
