"""InvokeModel body formats, one module per provider family: validate a native body into a ``Prompt``,
answer with the family's native response body, and cut a completion into its native stream chunks.

``provider_for(model.body_family)`` gives the family; ``parse_body`` turns raw bytes into JSON with
Bedrock's error for a body that is not JSON; ``generate`` asks the deterministic stand-in for the answer.
"""

from __future__ import annotations

from emulator.providers import (
    anthropic,
    chat_completions,
    cohere,
    deepseek,
    embeddings,
    llama,
    mistral,
    nova,
    nova_embeddings,
    rerank,
    titan,
)
from emulator.providers.contract import (
    MALFORMED_BODY,
    EmbeddingRequest,
    ModelInfo,
    Prompt,
    Provider,
    generate,
    parse_body,
)

# body_family (catalog) -> the provider that speaks it.
PROVIDERS: dict[str, Provider] = {
    "anthropic-messages": anthropic.MESSAGES,
    "anthropic-text": anthropic.TEXT,
    "titan-text": titan.TITAN_TEXT,
    "titan-embed-v1": embeddings.TITAN_EMBED_V1,
    "titan-embed-v2": embeddings.TITAN_EMBED_V2,
    "titan-embed-image": embeddings.TITAN_EMBED_IMAGE,
    "nova": nova.NOVA,
    "llama": llama.LLAMA,
    "mistral": mistral.MISTRAL_TEXT,
    "mistral-chat": mistral.MISTRAL_CHAT,
    "cohere-command-r": cohere.COHERE_COMMAND_R,
    "cohere-embed": embeddings.COHERE_EMBED,
    "ai21-jamba": chat_completions.AI21_JAMBA,
    "openai-chat": chat_completions.OPENAI_CHAT,
    "deepseek": deepseek.DEEPSEEK,
    "nova-embed": nova_embeddings.NOVA_EMBED,
    "cohere-rerank": rerank.COHERE_RERANK,
    "amazon-rerank": rerank.AMAZON_RERANK,
}


def provider_for(family: str) -> Provider:
    """The provider of a body family; ``KeyError`` for a family the catalogue should not name."""
    return PROVIDERS[family]


__all__ = [
    "MALFORMED_BODY",
    "PROVIDERS",
    "EmbeddingRequest",
    "ModelInfo",
    "Prompt",
    "Provider",
    "generate",
    "parse_body",
    "provider_for",
]
