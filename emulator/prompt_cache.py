"""Prompt caching: cache points in a request, and a per-tenant cache of the prefixes they mark.

A request's cache points come in Bedrock's processing order, tools, then system, then messages (AWS's
prompt caching page); each stands for the prefix before it (Converse ``cachePoint`` blocks) or ending
with the block that carries it (Anthropic ``cache_control``). A prefix is identified by a running digest
of the blocks it holds and weighs the tokens of their text.

On a call, the longest prefix still in the tenant's cache is read; the prefixes after it, up to the last
cache point, are written, each with its point's TTL, when they reach the model's minimum. Entries live on
the virtual clock: a read refreshes an entry's TTL, and a tenant keeps at most ``MAX_ENTRIES`` (the
least recently used go first). Entries are plain values in the app's store (kind ``prompt-cache``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from emulator.generation import count_tokens
from emulator.model_features import Caching
from emulator.state import Store
from emulator.wire.errors import AwsError, validation

__all__ = ["CachePoint", "CacheUsage", "anthropic_points", "apply", "converse_points", "unsupported"]

KIND: Final = "prompt-cache"
MAX_ENTRIES: Final = 256  # per tenant
_SECONDS: Final = {"5m": 300.0, "1h": 3600.0}


@dataclass(frozen=True)
class CachePoint:
    field: str  # tools | system | messages
    digest: str  # of every block before the point (Converse) or up to and with it (Anthropic)
    tokens: int  # the tokens of that prefix
    ttl: str
    # Earlier block boundaries (digest, tokens), nearest first, where a read may also hit (Claude looks
    # back about 20 blocks from each cache point: the page's "simplified cache management").
    lookback: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class CacheUsage:
    read: int = 0
    written: tuple[tuple[str, int], ...] = ()  # (ttl, tokens) in request order

    @property
    def write(self) -> int:
        return sum(tokens for _, tokens in self.written)


NO_CACHE: Final = CacheUsage()


def unsupported() -> AwsError:
    """What Bedrock answers a cache point sent to a model without prompt caching (seen verbatim in
    several projects' reports, 403; wire-facts §24)."""
    return AwsError(
        "AccessDeniedException",
        "You invoked an unsupported model or your request did not allow prompt caching.",
    )


class _Prefix:
    """The running digest and token count of the blocks seen so far, and the last block boundaries."""

    def __init__(self, lookback: int, tokens: int = 0) -> None:
        self._hash = hashlib.blake2b(digest_size=16)
        self.tokens = tokens  # what the model reads before the first block (its tool-use system prompt)
        self._boundaries: deque[tuple[str, int]] = deque(maxlen=lookback + 1)

    def add(self, block: Any) -> None:
        self._hash.update(json.dumps(block, sort_keys=True, separators=(",", ":"), default=str).encode())
        self.tokens += count_tokens(_tool_text(block) if "toolSpec" in block else _text(block))
        if self._boundaries.maxlen and self._boundaries.maxlen > 1:
            self._boundaries.append((self.digest(), self.tokens))

    def digest(self) -> str:
        return self._hash.copy().hexdigest()

    def point(self, field: str, ttl: str) -> CachePoint:
        """A cache point here, with the boundaries before it to look back on."""
        digest = self.digest()
        earlier = tuple(b for b in reversed(self._boundaries) if b[0] != digest)
        return CachePoint(field, digest, self.tokens, ttl, earlier)


def _tool_text(block: Mapping[str, Any]) -> str:
    """A Converse tool as the model reads it, and as its usage counts it: name, description, JSON schema."""
    spec = block["toolSpec"] if isinstance(block["toolSpec"], dict) else {}
    schema = spec.get("inputSchema")
    schema = schema.get("json") if isinstance(schema, dict) else None
    return f"{spec.get('name', '')} {spec.get('description', '')} {json.dumps(schema, sort_keys=True)}"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(_text(v) for k, v in value.items() if k not in ("bytes", "data", "cachePoint"))
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return ""


def _ttl(marker: Any, caching: Caching) -> str:
    """The point's TTL; one the model does not offer (or no TTL) is the default five minutes."""
    ttl = marker.get("ttl") if isinstance(marker, dict) else None
    return ttl if ttl in caching.ttls and ttl in _SECONDS else "5m"


# -- reading cache points ------------------------------------------------------------------------------


def _converse_parts(body: Mapping[str, Any]) -> Iterable[tuple[str, str, list[Any]]]:
    tool_config = body.get("toolConfig")
    tools = tool_config.get("tools") if isinstance(tool_config, dict) else None
    yield "tools", "toolConfig.tools", tools if isinstance(tools, list) else []
    system = body.get("system")
    yield "system", "system", system if isinstance(system, list) else []
    messages = body.get("messages")
    for index, message in enumerate(messages if isinstance(messages, list) else []):
        content = message.get("content") if isinstance(message, dict) else None
        yield "messages", f"messages.{index}.content", content if isinstance(content, list) else []


def _has_converse_point(body: Mapping[str, Any]) -> bool:
    """Whether any block is a cache point: plain loops, as every Converse call asks it."""
    for _, _, blocks in _converse_parts(body):
        for block in blocks:
            if type(block) is dict and "cachePoint" in block:
                return True
    return False


def converse_points(
    body: Mapping[str, Any], caching: Caching | None, *, tool_prompt: int = 0
) -> list[CachePoint]:
    """The cache points of a Converse body, checked as Bedrock checks them for the model; ``tool_prompt``
    is the system prompt the provider adds when the request has tools (it is part of every prefix)."""
    if not _has_converse_point(body):
        return []
    if caching is None:
        raise unsupported()
    prefix = _Prefix(caching.lookback, tool_prompt)
    points: list[CachePoint] = []
    for field, where, blocks in _converse_parts(body):
        for position, block in enumerate(blocks):
            if not isinstance(block, dict):
                continue
            if "cachePoint" not in block:
                prefix.add(block)
                continue
            rest = {key: value for key, value in block.items() if key != "cachePoint"}
            if rest:  # Nova's InvokeModel body may put the point inside the block it closes
                prefix.add(rest)
            if field not in caching.fields:
                raise validation(
                    f"Malformed input request: #/{where.replace('.', '/')}/{position}: extraneous key [cachePoint] "
                    "is not permitted, please reformat your input and try again."
                )
            points.append(prefix.point(field, _ttl(block["cachePoint"], caching)))
    _check(points, caching)
    return points


def anthropic_points(body: Mapping[str, Any], caching: Caching | None) -> list[CachePoint]:
    """The ``cache_control`` points of an Anthropic Messages body, in tools, system, messages order."""
    parts: list[tuple[str, list[Any]]] = []
    tools = body.get("tools")
    parts.append(("tools", tools if isinstance(tools, list) else []))
    system = body.get("system")
    parts.append(("system", system if isinstance(system, list) else [system] if system else []))
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        parts.append(("messages", content if isinstance(content, list) else [content] if content else []))
    if not any(isinstance(b, dict) and b.get("cache_control") for _, blocks in parts for b in blocks):
        return []
    if caching is None:
        raise unsupported()
    prefix = _Prefix(caching.lookback)
    points: list[CachePoint] = []
    for field, blocks in parts:
        for block in blocks:
            marker = block.get("cache_control") if isinstance(block, dict) else None
            prefix.add({k: v for k, v in block.items() if k != "cache_control"} if marker else block)
            if marker:
                points.append(prefix.point(field, _ttl(marker, caching)))
    _check(points, caching)
    return points


def _check(points: list[CachePoint], caching: Caching) -> None:
    if len(points) > caching.max_points:
        raise validation(
            f"A maximum of {caching.max_points} blocks with cache_control may be provided. Found {len(points)}."
        )
    seen_short = False
    for point in points:
        if point.ttl == "1h" and seen_short:
            raise validation(
                "A `ttl='1h'` cache_control block must not come after a `ttl='5m'` cache_control block. "
                "Note that blocks are processed in the following order: `tools`, `system`, `messages`."
            )
        seen_short = seen_short or point.ttl == "5m"


# -- the cache -----------------------------------------------------------------------------------------


def apply(
    store: Store,
    tenant: str,
    model_id: str,
    points: list[CachePoint],
    caching: Caching,
    *,
    now: float | None,
    input_tokens: int,
) -> CacheUsage:
    """Read the longest cached prefix, write the later ones; the counts are bounded by ``input_tokens``."""
    if not points:
        return NO_CACHE
    clock = float(now) if now is not None else time.monotonic()
    eligible = [p for p in points if p.tokens >= caching.min_tokens]
    read = 0
    for point in reversed(eligible):  # the longest cached prefix: a point, or a boundary it looks back on
        for digest, tokens in ((point.digest, point.tokens), *point.lookback):
            key = f"{model_id}:{digest}"
            entry = store.get(tenant, KIND, key) if tokens >= caching.min_tokens else None
            if isinstance(entry, dict) and float(entry.get("expires", 0)) > clock:
                read = tokens
                kept = entry.get("ttl")  # a read refreshes the entry for its own TTL
                ttl = kept if kept in _SECONDS else point.ttl
                _remember(store, tenant, key, replace(point, digest=digest, tokens=tokens, ttl=ttl), clock)
                break
        if read:
            break
    written: list[tuple[str, int]] = []
    covered = read
    for point in eligible:  # the cache points beyond what was read are written
        if point.tokens > covered:
            _remember(store, tenant, f"{model_id}:{point.digest}", point, clock)
            written.append((point.ttl, point.tokens - covered))
            covered = point.tokens
    read = min(read, input_tokens)
    budget = input_tokens - read
    bounded: list[tuple[str, int]] = []
    for ttl, tokens in written:
        take = min(tokens, budget)
        budget -= take
        if take:
            bounded.append((ttl, take))
    return CacheUsage(read, tuple(bounded))


def _remember(store: Store, tenant: str, key: str, point: CachePoint, clock: float) -> None:
    # Deleting first moves the entry to the end of the tenant's insertion order: least recently used first.
    store.delete(tenant, KIND, key)
    store.put(
        tenant, KIND, key, {"tokens": point.tokens, "ttl": point.ttl, "expires": clock + _SECONDS[point.ttl]}
    )
    keys = store.keys(tenant, KIND)
    for stale in keys[: max(0, len(keys) - MAX_ENTRIES)]:
        store.delete(tenant, KIND, stale)
