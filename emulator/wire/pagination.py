"""One way to page a list operation's answer: ``maxResults`` / ``nextToken``, as botocore's paginator
models name them.

``page(service, operation, items, params)`` cuts the full, ordered list of items into the page the
request asks for and returns the output members: the list under the operation's result key and, when
items remain, the next token under its output token. The member names come from botocore's
``paginators-1.json`` for the service (read lazily, once, by ``botocore_data``), and the largest page from the limit
member's ``max`` in the operation's input shape, which is also the page size when the request names
none.

Tokens are opaque to callers (URL-safe base64 without padding) but carry the operation they belong
to and the offset of the next item, so a token from another list operation, or any string the
emulator did not issue, is refused with a ``ValidationException`` (wire-facts §13.6) before anything is
listed. Tokens stay valid while the list changes: the next page starts at the same position.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulator.wire import shapes
from emulator.wire.errors import AwsError

INVALID_TOKEN = "The nextToken is invalid."
DEFAULT_PAGE = 1000  # when neither the request nor the model says


@dataclass(frozen=True)
class Paging:
    """The member names of one paginated operation, and its largest page."""

    input_token: str
    output_token: str
    limit_key: str
    result_key: str
    max_page: int


def page(service: str, operation: str, items: Sequence[Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The output members for the page ``params`` asks for (its limit and token members, if any)."""
    paging = paging_of(service, operation)
    offset = _offset(operation, params.get(paging.input_token))
    size = params.get(paging.limit_key)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        size = paging.max_page
    size = min(size, paging.max_page)
    reply: dict[str, Any] = {paging.result_key: list(items[offset : offset + size])}
    if offset + size < len(items):
        reply[paging.output_token] = token(operation, offset + size)
    return reply


def token(operation: str, offset: int) -> str:
    """The opaque token naming ``offset`` in ``operation``'s list."""
    return base64.urlsafe_b64encode(f"{operation}:{offset}".encode()).decode().rstrip("=")


def paging_of(service: str, operation: str) -> Paging:
    """The paginator model of an operation (``KeyError`` for one botocore does not paginate)."""
    return _registry.paging(service, operation)


def _offset(operation: str, raw: Any) -> int:
    if raw is None or raw == "":
        return 0
    if not isinstance(raw, str):
        raise AwsError("ValidationException", INVALID_TOKEN)
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, ValueError):
        raise AwsError("ValidationException", INVALID_TOKEN) from None
    owner, _, offset = text.rpartition(":")
    if owner != operation or not offset.isdigit() or token(operation, int(offset)) != raw:
        raise AwsError("ValidationException", INVALID_TOKEN)
    return int(offset)


class _Registry:
    def __init__(self) -> None:
        self._paginators: dict[str, Mapping[str, Any]] = {}
        self._lock = threading.Lock()

    def paging(self, service: str, operation: str) -> Paging:
        config = self._paginators_of(service)[operation]
        limit_key = str(config["limit_key"])
        return Paging(
            input_token=str(config["input_token"]),
            output_token=str(config["output_token"]),
            limit_key=limit_key,
            result_key=str(config["result_key"]),
            max_page=_max_page(service, operation, limit_key),
        )

    def _paginators_of(self, service: str) -> Mapping[str, Any]:
        with self._lock:
            if service not in self._paginators:
                self._paginators[service] = _load(service)
            return self._paginators[service]


def _load(service: str) -> Mapping[str, Any]:
    from emulator.wire import botocore_data

    model = botocore_data.load(service, "paginators-1")
    pagination: Mapping[str, Any] = (model or {}).get("pagination", {})
    return pagination


def _max_page(service: str, operation: str, limit_key: str) -> int:
    model = shapes.model(service)
    if model is None:
        return DEFAULT_PAGE
    definition = model["operations"].get(operation, {})
    input_name = definition.get("input", {}).get("shape")
    if input_name is None:
        return DEFAULT_PAGE
    member = model["shapes"][input_name].get("members", {}).get(limit_key)
    if member is None:
        return DEFAULT_PAGE
    maximum = model["shapes"][member["shape"]].get("max")
    return int(maximum) if isinstance(maximum, int) else DEFAULT_PAGE


_registry = _Registry()
