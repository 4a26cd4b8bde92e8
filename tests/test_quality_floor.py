"""Extraction quality gate, and the benchmark metric's special cases.

The gate recomputes our precision, recall and F1 on the extraction benchmark (``bench/quality.py``) and fails
when one falls more than ``FLOOR_TOLERANCE`` below ``bench/floors.json``, like trafilatura's eval gate. The
benchmark pages live outside the project (``PRESSWASH_BENCH_DIR``, default ``../shared/bench``): without
them the gate is skipped, except under ``CI=true``, where their absence is a failure.

Floors only go up by hand (``python -m bench.quality --update-floors``); lowering one needs
``--allow-lower``, so a regression is a visible decision, never a side effect.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench._corpus import BenchDataMissing
from bench.corpora import LOADERS
from bench.metric import (
    PageCounts,
    judge,
    page_counts,
    page_precision,
    page_recall,
    shingles,
    snippet_share,
    summarize,
    tokenize,
    word_score,
)
from bench.quality import (
    EXTRACTORS,
    FLOOR_TOLERANCE,
    OURS,
    check_floors,
    floor3,
    load_floors,
    page_type_scores,
    predict,
    score_corpus,
    update_floors,
)

# --- the metric ----------------------------------------------------------------------------------------------


def test_tokens_are_unicode_word_runs_and_nothing_else_is_normalized() -> None:
    assert tokenize("Hello, wörld! 3.5 snake_case") == ["Hello", "wörld", "3", "5", "snake_case"]
    assert tokenize("Hello hello") == ["Hello", "hello"]  # no case folding


def test_shingles_are_4grams_with_counts() -> None:
    assert shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles("a b c d a b c d")[("a", "b", "c", "d")] == 2


def test_short_text_is_one_shorter_shingle_and_empty_text_none() -> None:
    assert shingles("a b c") == {("a", "b", "c"): 1}
    assert shingles("") == {}
    assert shingles(" ,;! ") == {}


def test_counts_are_normalized_to_sum_one() -> None:
    counts = page_counts("a b c d e f", "c d e f g h")  # 3 true shingles, 3 predicted, 1 shared
    assert counts.tp == pytest.approx(1 / 5)
    assert counts.fp == pytest.approx(2 / 5)
    assert counts.fn == pytest.approx(2 / 5)
    assert counts.precision == pytest.approx(1 / 3)
    assert counts.recall == pytest.approx(1 / 3)


def test_counts_respect_multiplicity() -> None:
    # "a b c d a b c d": abcd twice, plus bcda, cdab, dabc; only one abcd is expected
    counts = page_counts("a b c d", "a b c d\na b c d")
    assert (counts.tp, counts.fp, counts.fn) == (pytest.approx(1 / 5), pytest.approx(4 / 5), 0)


def test_perfect_page_is_one_and_both_empty_is_one() -> None:
    assert page_precision(0.7, 0, 0) == page_recall(0.7, 0, 0) == 1.0
    both_empty = page_counts("", "")
    assert (both_empty.precision, both_empty.recall) == (1.0, 1.0)


def test_empty_prediction_has_zero_precision_and_zero_recall() -> None:
    counts = page_counts("a b c d e", "")
    assert (counts.tp, counts.fp, counts.fn) == (0, 0, 1)
    assert counts.precision == 0.0
    assert counts.recall == 0.0


def test_prediction_when_nothing_was_expected_has_zero_recall() -> None:
    counts = page_counts("", "a b c d")
    assert counts.precision == 0.0
    assert counts.recall == 0.0


def test_summary_averages_over_the_pages_each_measure_applies_to() -> None:
    perfect = PageCounts(1.0, 0.0, 0.0)
    empty_prediction = PageCounts(0.0, 0.0, 1.0)  # counts for recall only
    nothing_expected = PageCounts(0.0, 1.0, 0.0)  # counts for precision only
    summary = summarize([perfect, empty_prediction, nothing_expected])
    assert summary.precision == pytest.approx((1 + 0) / 2)
    assert summary.recall == pytest.approx((1 + 0) / 2)
    assert summary.f1 == pytest.approx(0.5)  # F1 of the two means, not a mean of page F1s
    assert summary.pages == 3


def test_f1_is_of_the_means() -> None:
    summary = summarize([PageCounts(0.5, 0.5, 0.0), PageCounts(0.5, 0.0, 0.5)])
    assert summary.precision == pytest.approx(0.75)
    assert summary.recall == pytest.approx(0.75)
    assert summary.f1 == pytest.approx(0.75)


# --- floors ------------------------------------------------------------------------------------------------------


def test_floor3_rounds_down() -> None:
    assert floor3(0.97689) == 0.976
    assert floor3(0.976) == 0.976


def test_update_floors_raises_freely_and_lowers_only_when_allowed(tmp_path: Path) -> None:
    floors = tmp_path / "floors.json"
    floors.write_text(json.dumps({"corpora": {"fundus": {"precision": 0.95, "recall": 0.98, "f1": 0.96}}}))
    higher_p_lower_r = {"precision": 1.0, "recall": 0.97, "f1": 0.9848}
    refused = update_floors("fundus", higher_p_lower_r, allow_lower=False, path=floors)
    assert [message.split(":")[0] for message in refused] == ["fundus recall"]
    assert load_floors(floors)["fundus"] == {"precision": 1.0, "recall": 0.98, "f1": 0.984}  # p and f1 went up
    assert update_floors("fundus", higher_p_lower_r, allow_lower=True, path=floors) == []
    assert load_floors(floors)["fundus"]["recall"] == 0.97
    update_floors("wcxb", higher_p_lower_r, allow_lower=False, path=floors)  # another corpus: its own floors
    assert set(load_floors(floors)) == {"fundus", "wcxb"}


def test_check_floors_tolerates_float_noise_only() -> None:
    summary = summarize([PageCounts(0.9, 0.05, 0.05)])
    scores = {"precision": summary.precision, "recall": summary.recall, "f1": summary.f1}
    exact = {key: floor3(value) for key, value in scores.items()}
    assert check_floors(scores, exact) == []
    noise = {key: value + FLOOR_TOLERANCE / 2 for key, value in exact.items()}
    assert check_floors(scores, noise) == []
    regression = dict(exact, recall=exact["recall"] + 3 * FLOOR_TOLERANCE)
    assert [message.split()[0] for message in check_floors(scores, regression)] == ["recall"]


# --- WCXB's metric and the metadata judgements --------------------------------------------------------------------


def test_word_score_is_a_bag_of_lowercase_words() -> None:
    assert word_score("The cat sat", "the CAT sat").f1 == 1.0
    half = word_score("a b c d", "a b x y")
    assert (half.precision, half.recall) == (0.5, 0.5)
    assert word_score("", "").f1 == 1.0  # an empty reference scores 1 only for an empty prediction
    assert word_score("", "x").f1 == 0.0
    assert word_score("a b", "").f1 == 0.0


def test_snippets_are_case_insensitive_substrings() -> None:
    assert snippet_share(["Quick Brown", "lazy dog"], "the quick brown fox") == 0.5
    assert snippet_share([], "anything") is None
    # folded: the snippet's ASCII apostrophe matches the page's typographic one (and a no-break space a space)
    assert snippet_share(["they're largely positive"], "They’re\u00a0largely positive.") == 0.0
    assert snippet_share(["they're largely positive"], "They’re\u00a0largely positive.", folded=True) == 1.0
    assert snippet_share(["a “springboard” – idea"], 'A "springboard" - idea', folded=True) == 1.0


def test_metadata_judgements() -> None:
    assert judge("title", "Brief History of Coffee", "brief  history of coffee") == "right"
    assert judge("title", "Brief History of Coffee", "Brief History of Coffee - Roasters") == "wrong"
    assert judge("title", None, None) == "none"
    assert judge("author", "Dylan Bailey, MS, RD", ["Dylan Bailey"]) == "right"
    assert judge("author", "Dylan Bailey", []) == "missing"
    assert judge("author", None, ["Staff"]) == "wrong"  # a name where the page names nobody
    assert judge("date", "2025-09-04", "2025-09-04T10:00:00") == "right"


# --- the gate ----------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(1200)  # the WCXB split is 1,497 pages: about a minute on a quiet 2-core machine
@pytest.mark.parametrize("corpus_name", sorted(LOADERS))
def test_quality_does_not_drop_below_the_floors(corpus_name: str) -> None:
    try:
        corpus = LOADERS[corpus_name]()
    except BenchDataMissing as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the {corpus_name} corpus is missing: {exc}")
        pytest.skip(f"{corpus_name} corpus not available, its quality gate skipped: {exc}")
    ours = next(extractor for extractor in EXTRACTORS if extractor.name == OURS)
    workers = min(2, os.cpu_count() or 1)
    predictions = predict(ours, corpus.name, corpus.articles + corpus.others, workers=workers)
    result = score_corpus(OURS, corpus, predictions)
    if corpus.others:  # pages that are not articles: recognised as such, while articles are kept
        result.scores.update(
            page_type_scores(
                {p.id: predictions[p.id] for p in corpus.articles}, {p.id: predictions[p.id] for p in corpus.others}
            )
        )
    assert not result.errors, f"the cleaner crashed on {corpus_name} pages: {result.errors}"
    failures = check_floors(result.scores, load_floors()[corpus_name])
    assert not failures, (
        f"extraction quality on {corpus_name} fell below bench/floors.json: {'; '.join(failures)}. "
        "Run `python -m bench.quality` to see which pages changed; lower a floor only on purpose "
        "(`python -m bench.quality --update-floors --allow-lower`)."
    )
