"""Prompt caching on InvokeModel and its stream: the cache points of a native body (Anthropic
``cache_control``, Nova ``cachePoint`` blocks), the tenant's cache read and written, and where the counts
go in the answer: the family's own usage, the cache headers, the last chunk's invocation metrics
(wire-facts §24.2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from emulator import prompt_cache
from emulator.model_features import features_of
from emulator.prompt_cache import CacheUsage

if TYPE_CHECKING:
    from emulator.catalog import FoundationModel
    from emulator.providers import Prompt
    from emulator.services.exchange import OperationCall

__all__ = ["InvokeCache", "for_invoke"]


@dataclass(frozen=True)
class InvokeCache:
    usage: CacheUsage | None  # None: the answer carries no cache counts
    family: str = ""
    headers: bool = False  # the cache token headers go on the answer
    metrics: bool = False  # the last chunk's invocation metrics carry the counts

    def uncached(self, input_tokens: int) -> int:
        """What ``inputTokens`` / ``input_tokens`` and the input header count: neither read nor written."""
        return input_tokens - (self.usage.read + self.usage.write if self.usage is not None else 0)

    def body(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """The unary answer with the family's usage carrying the counts."""
        if self.usage is None:
            return body
        if self.family == "anthropic-messages":
            from emulator.providers.anthropic import with_cache_usage

            return with_cache_usage(body, self.usage)
        if self.family == "nova" and isinstance(body.get("usage"), dict):
            usage = dict(body["usage"])
            usage["inputTokens"] = self.uncached(int(usage.get("inputTokens", 0)))
            usage["cacheReadInputTokenCount"] = self.usage.read
            usage["cacheWriteInputTokenCount"] = self.usage.write
            return {**body, "usage": usage}
        return body

    def chunks(self, chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Stream chunks whose usage (Anthropic ``message_start``, Nova ``metadata``) counts the uncached input."""
        if self.usage is None:
            return chunks
        out = list(chunks)
        for index, chunk in enumerate(out):
            if self.family == "anthropic-messages" and chunk.get("type") == "message_start":
                from emulator.providers.anthropic import with_cache_usage

                out[index] = {**chunk, "message": with_cache_usage(chunk["message"], self.usage)}
            elif self.family == "nova" and isinstance(chunk.get("metadata"), dict):
                metadata = chunk["metadata"]
                usage = dict(metadata.get("usage") or {})
                usage["inputTokens"] = self.uncached(int(usage.get("inputTokens", 0)))
                usage["cacheReadInputTokenCount"] = self.usage.read
                usage["cacheWriteInputTokenCount"] = self.usage.write
                out[index] = {**chunk, "metadata": {**metadata, "usage": usage}}
        return out

    def header_fields(self) -> dict[str, str]:
        if self.usage is None or not self.headers:
            return {}
        return {
            "x-amzn-bedrock-cache-read-input-token-count": str(self.usage.read),
            "x-amzn-bedrock-cache-write-input-token-count": str(self.usage.write),
        }

    def metric_fields(self) -> dict[str, int]:
        if self.usage is None or not self.metrics:
            return {}
        return {"cacheReadInputTokenCount": self.usage.read, "cacheWriteInputTokenCount": self.usage.write}


_NONE: Final = InvokeCache(None)


def for_invoke(call: OperationCall, model: FoundationModel, prompt: Prompt, input_tokens: int) -> InvokeCache:
    """Read and write the tenant's cache for an InvokeModel body; refuses cache points the model takes none of."""
    family = model.body_family
    if (
        prompt.embedding is not None
        or family not in ("anthropic-messages", "nova")
        or "messages" not in prompt.body
    ):
        return _NONE
    caching = features_of(model.model_id).caching
    if family == "anthropic-messages":
        points = prompt_cache.anthropic_points(prompt.body, caching)
    else:
        points = prompt_cache.converse_points(prompt.body, caching)
    if caching is None:
        return _NONE
    usage = prompt_cache.NO_CACHE
    if points and input_tokens:
        usage = prompt_cache.apply(
            call.state.store,
            call.tenant,
            model.model_id,
            points,
            caching,
            now=call.now,
            input_tokens=input_tokens,
        )
    if family == "nova":
        # Nova's answers always carry the counts in their usage, stream metrics and headers (wire-facts
        # §24.2, §33: a recorded Nova Lite answer without a cache point has both cache headers, zero).
        return InvokeCache(usage, family, headers=True, metrics=True)
    return InvokeCache(usage, family, headers=True, metrics=bool(points))
