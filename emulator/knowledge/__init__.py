"""Knowledge bases: documents, chunking, a lexical index, metadata filters, a registry and RAG answers.

The behaviour behind the Retrieve / RetrieveAndGenerate / Rerank handlers and the bedrock-agent
knowledge-base reads; no Flask and no HTTP here (``emulator/services/knowledge.py`` is the wire side).
"""

from __future__ import annotations

from emulator.knowledge.registry import KIND, Registry, configure, current

__all__ = ["KIND", "Registry", "configure", "current"]
