"""What runs around every bedrock-agent control-plane handler: the app's control-plane lock, and
``clientToken`` idempotency.

One lock per app (kept on ``AppState.extras``) serialises control-plane calls, so multi-record steps
(a name check and the write after it, a version snapshot of an agent and its parts, a cascade delete)
are atomic. Control-plane traffic is light; the data plane never takes this lock.

Idempotency follows Bedrock's documentation of ``clientToken``: a request repeating a previous
request's token "completes no more than one time" — the same input answers what the first call
answered, without doing anything again. A token reused with different input is refused with a
``ConflictException`` (wire-facts §13.5). Tokens are remembered per tenant and operation for eight
hours of virtual clock (the window bedrock-agent documents for retrieval instructions). Which
operations take a token, and under which member, comes from botocore's model (``idempotencyToken``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Final

from emulator.control import lifecycle
from emulator.control.messages import TOKEN_REUSED, conflict
from emulator.control.request import params
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire import serialize, shapes

Handler = Callable[[OperationCall], Reply]

TOKENS: Final = "bedrock-agent:client-tokens"
WINDOW_SECONDS: Final = 8 * 3600.0
_LOCK_NAME: Final = "bedrock-agent:control-lock"


def guarded(operation: str, handler: Handler) -> Handler:
    """``handler`` run under the control-plane lock, with ``clientToken`` idempotency if it takes one."""

    def run(call: OperationCall) -> Reply:
        with _lock(call):
            member = token_member(call.service, operation)
            if member is None:
                return handler(call)
            return _idempotent(call, member, handler)

    run.__name__ = getattr(handler, "__name__", operation)
    run.__doc__ = handler.__doc__
    return run


@lru_cache(maxsize=256)
def token_member(service: str, operation: str) -> str | None:
    """The input member botocore marks ``idempotencyToken`` for an operation, if any."""
    model = shapes.model(service)
    if model is None:
        return None
    input_name = model["operations"].get(operation, {}).get("input", {}).get("shape")
    if input_name is None:
        return None
    for name, member in model["shapes"][input_name].get("members", {}).items():
        if member.get("idempotencyToken"):
            return str(name)
    return None


def _idempotent(call: OperationCall, member: str, handler: Handler) -> Reply:
    values = params(call)
    token = values.get(member)
    if not isinstance(token, str) or not token:
        return handler(call)
    fingerprint = _fingerprint({k: v for k, v in values.items() if k != member})
    store = call.state.store
    record_key = f"{call.operation}/{token}"
    now = lifecycle.now(call)
    seen = store.get(call.tenant, TOKENS, record_key)
    if seen is not None and now - float(seen["at"]) < WINDOW_SECONDS:
        if seen["fingerprint"] != fingerprint:
            raise conflict(TOKEN_REUSED)
        return JsonReply(seen["body"])
    reply = handler(call)
    if isinstance(reply, JsonReply):
        store.put(
            call.tenant,
            TOKENS,
            record_key,
            # As the wire carries it (datetimes written by the output serializer), so the store keeps JSON.
            {"at": now, "fingerprint": fingerprint, "body": _as_sent(call, reply.body)},
        )
    return reply


def _as_sent(call: OperationCall, body: Mapping[str, Any]) -> Any:
    return json.loads(json.dumps(serialize.output(call.service, call.operation, body).body))


def _fingerprint(values: dict[str, Any]) -> str:
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _lock(call: OperationCall) -> threading.RLock:
    lock: threading.RLock = call.state.extras.setdefault(_LOCK_NAME, threading.RLock())
    return lock
