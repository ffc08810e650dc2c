"""Ranking, filler results, paging tokens and scripted results over the sample corpus."""

from __future__ import annotations

import pytest

from emulator.knowledge.registry import Registry
from emulator.knowledge.retrieval import ranked, retrieve
from emulator.wire.errors import AwsError


@pytest.fixture(scope="module")
def sample() -> Registry:
    return Registry()


def test_matches_always_outscore_unrelated_filler_chunks(sample: Registry) -> None:
    matching, others = ranked(sample.sample, "warranty")
    assert matching
    assert others
    assert min(h.score for h in matching) > max(h.score for h in others)


def test_a_query_with_no_shared_terms_still_returns_k_low_scored_chunks(sample: Registry) -> None:
    page = retrieve(sample.sample, "quantum chromodynamics", number_of_results=3)
    assert len(page.hits) == 3
    assert all(h.score < 0.05 for h in page.hits)


def test_next_token_from_another_query_is_refused(sample: Registry) -> None:
    page = retrieve(sample.sample, "shipping refund warranty password card", number_of_results=1)
    assert page.next_token is not None
    with pytest.raises(AwsError) as caught:
        retrieve(sample.sample, "something else", number_of_results=1, next_token=page.next_token)
    assert caught.value.code == "ValidationException"


def test_filter_is_applied_before_ranking(sample: Registry) -> None:
    page = retrieve(
        sample.sample,
        "shipping",
        number_of_results=10,
        filter_spec={"listContains": {"key": "audience", "value": "finance"}},
    )
    assert {h.source_uri.rsplit("/", 1)[1] for h in page.hits} == {"payment-faq.json"}


def test_scripted_results_replace_the_search_and_get_bedrock_metadata(sample: Registry) -> None:
    page = retrieve(
        sample.sample,
        "menu",
        scripted=[
            {"text": "Soup on Monday.", "score": 0.21},
            {
                "text": "Menu of the week.",
                "location": {"type": "S3", "s3Location": {"uri": "s3://x/menu.txt"}},
                "metadata": {"team": "kitchen"},
            },
        ],
        data_source_id="DSDSDSDSDS",
    )
    first, second = page.hits
    assert first.score == 0.21
    assert second.source_uri == "s3://x/menu.txt"
    assert second.metadata["team"] == "kitchen"
    assert second.metadata["x-amz-bedrock-kb-data-source-id"] == "DSDSDSDSDS"
    assert 0 < second.score <= 1


def test_empty_scripted_results_mean_no_results(sample: Registry) -> None:
    assert retrieve(sample.sample, "refund", scripted=[]).hits == []
