"""bedrock_emulator_clients.kb_debug against the emulator's Retrieve: empty and weak retrievals are flagged, a good
one passes, and the score statistics are right."""

from __future__ import annotations

import logging

import pytest

from bedrock_emulator_clients.kb_debug import diagnose_retrieval

KB = "KB12345678"  # unknown ids are served by the emulator's bundled sample knowledge base


def test_kb_debug_flags_no_results_on_knowledge_base_empty(bedrock_emulator, caplog):
    bedrock_emulator.use_scenario("knowledge-base-empty")
    runtime = bedrock_emulator.client("bedrock-agent-runtime")

    with caplog.at_level(logging.WARNING, logger="bedrock_emulator_clients.kb_debug"):
        diagnosis = diagnose_retrieval(runtime, KB, "What is on the cafeteria menu?")

    assert diagnosis.codes == ["no-results"]
    assert not diagnosis.ok
    assert diagnosis.passages == []
    assert diagnosis.stats is None
    assert "no passages retrieved" in caplog.text


def test_kb_debug_flags_low_scores_on_knowledge_base_low_score(bedrock_emulator):
    bedrock_emulator.use_scenario("knowledge-base-low-score")
    runtime = bedrock_emulator.client("bedrock-agent-runtime")

    diagnosis = diagnose_retrieval(runtime, KB, "What is on the cafeteria menu?")

    assert diagnosis.codes == ["low-score"]
    assert diagnosis.confident == []
    assert diagnosis.stats is not None
    assert diagnosis.stats.count == 2
    assert diagnosis.stats.maximum == pytest.approx(0.21)
    assert diagnosis.stats.minimum == pytest.approx(0.17)
    assert diagnosis.stats.mean == pytest.approx(0.19)
    assert [p.source for p in diagnosis.passages] == [
        "s3://emulator-kb/docs/cafeteria-menu.txt",
        "s3://emulator-kb/docs/parking.txt",
    ]
    assert diagnosis.passages[0].preview.startswith("The cafeteria menu")


def test_kb_debug_threshold_decides_which_passages_are_confident(bedrock_emulator):
    bedrock_emulator.use_scenario("knowledge-base-low-score")
    runtime = bedrock_emulator.client("bedrock-agent-runtime")

    diagnosis = diagnose_retrieval(runtime, KB, "What is on the cafeteria menu?", min_score=0.2)

    assert diagnosis.ok
    assert [p.rank for p in diagnosis.confident] == [1]


def test_kb_debug_passes_a_relevant_query_on_an_active_knowledge_base(bedrock_emulator):
    runtime = bedrock_emulator.client("bedrock-agent-runtime")
    agent = bedrock_emulator.client("bedrock-agent")

    diagnosis = diagnose_retrieval(
        runtime, KB, "How long does express shipping to the United States take?", agent=agent
    )

    assert diagnosis.ok, diagnosis.findings
    assert diagnosis.status == "ACTIVE"
    assert diagnosis.confident
    assert diagnosis.confident[0].source is not None
    assert "shipping" in diagnosis.confident[0].source
    scores = [p.score for p in diagnosis.passages]
    assert scores == sorted(scores, reverse=True)  # Retrieve ranks best first
    assert len(diagnosis.passages) <= 5


def test_kb_debug_flags_a_query_outside_the_corpus_as_low_score(bedrock_emulator):
    runtime = bedrock_emulator.client("bedrock-agent-runtime")

    diagnosis = diagnose_retrieval(runtime, KB, "quantum zebra migration patterns")

    assert diagnosis.codes == ["low-score"]
