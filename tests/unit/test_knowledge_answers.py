"""RetrieveAndGenerate answers: extractive text, citation spans, templates, refusals."""

from __future__ import annotations

from emulator.knowledge.answers import NO_ANSWER, answer, best_sentence, render_prompt
from emulator.knowledge.retrieval import Hit, s3_location


def hit(text: str, score: float = 0.7, uri: str = "s3://b/doc.txt") -> Hit:
    return Hit(text, score, uri, {"x-amz-bedrock-kb-source-uri": uri}, s3_location(uri))


def test_best_sentence_is_the_one_sharing_most_query_terms() -> None:
    passage = "Our office is in Lyon. Refunds take ten days to reach a card. We like tea."
    assert best_sentence("how long do refunds take", passage) == "Refunds take ten days to reach a card."


def test_each_citation_span_points_at_its_text_inclusive_end() -> None:
    result = answer(
        "refund card tea", [hit("Refunds reach the card in ten days."), hit("Tea is served at four.")]
    )
    assert result.text == "Refunds reach the card in ten days. Tea is served at four."
    for citation in result.citations():
        part = citation["generatedResponsePart"]["textResponsePart"]
        assert result.text[part["span"]["start"] : part["span"]["end"] + 1] == part["text"]


def test_duplicate_sentences_share_one_citation_with_both_references() -> None:
    result = answer(
        "refund",
        [hit("Refunds take ten days.", uri="s3://b/1"), hit("Refunds take ten days.", uri="s3://b/2")],
    )
    (citation,) = result.citations()
    assert len(citation["retrievedReferences"]) == 2


def test_no_relevant_hit_gives_the_bedrock_refusal_with_no_references() -> None:
    result = answer("anything", [hit("Unrelated filler.", score=0.02)])
    assert result.text == NO_ANSWER
    assert result.citations()[0]["retrievedReferences"] == []


def test_prompt_template_placeholders_are_filled() -> None:
    prompt = render_prompt("Context: $search_results$ Question: $query$", "why?", [hit("Because.")])
    assert prompt == "Context: <search_result>Because.</search_result> Question: why?"


def test_template_without_search_results_answers_uncited_and_deterministically() -> None:
    first = answer("q", [hit("Refunds.")], prompt_template="Just answer $query$")
    second = answer("q", [hit("Refunds.")], prompt_template="Just answer $query$")
    assert first.text == second.text
    assert first.text
    assert first.citations() == []


def test_max_tokens_limits_how_many_passages_are_quoted() -> None:
    hits = [hit(f"Refund rule number {i} applies to cards.", uri=f"s3://b/{i}") for i in range(3)]
    assert len(answer("refund rule cards", hits, max_tokens=5).parts) == 1
    assert len(answer("refund rule cards", hits).parts) == 3
