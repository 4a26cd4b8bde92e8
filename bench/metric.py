"""The scrapinghub article-extraction-benchmark metric, exactly as the bench README states it.

Kept separate from the runner so the special cases can be unit-tested on their own: a metric that is off
by one rule (say, averaging precision over pages with no prediction) moves F1 by more than most
extraction changes we want to measure.

1. Tokens are the matches of ``\\w+`` (Unicode), in order; nothing else is normalized.
2. A text is the multiset of its 4-token shingles (fewer than four tokens: one shorter shingle; empty: none).
3. Per page, TP/FP/FN are counted on the shingle multisets, then divided by their sum.
4. Per-page precision/recall, with the special cases in :func:`page_precision` and :func:`page_recall`.
5. Precision is the mean over pages with TP+FP > 0, recall over pages with TP+FN > 0; F1 of the two means.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from cleaners.text import normalize

_TOKEN = re.compile(r"\w+")
SHINGLE_SIZE = 4


def tokenize(text: str) -> list[str]:
    """The ``\\w+`` matches, in order (Python's ``re`` is Unicode-aware on str)."""
    return _TOKEN.findall(text)


def shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Multiset of consecutive ``size``-grams; a short text is one shorter shingle, an empty one none."""
    tokens = tokenize(text)
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


@dataclass(frozen=True, slots=True)
class PageCounts:
    """Normalized TP/FP/FN of one page (they sum to 1, or are all 0 when both texts are empty)."""

    tp: float
    fp: float
    fn: float

    @property
    def precision(self) -> float:
        return page_precision(self.tp, self.fp, self.fn)

    @property
    def recall(self) -> float:
        return page_recall(self.tp, self.fp, self.fn)

    @property
    def f1(self) -> float:
        """Per-page F1, for ranking pages only: the benchmark's F1 is computed from the mean P and R."""
        return f1(self.precision, self.recall)


def page_counts(expected: str, predicted: str) -> PageCounts:
    """Shingle TP/FP/FN of one page, divided by their sum so long pages weigh no more than short ones."""
    true, pred = shingles(expected), shingles(predicted)
    tp = sum(min(count, pred[s]) for s, count in true.items())
    fp = sum(max(count - true[s], 0) for s, count in pred.items())
    fn = sum(max(count - pred[s], 0) for s, count in true.items())
    total = tp + fp + fn
    if total == 0:
        return PageCounts(0.0, 0.0, 0.0)
    return PageCounts(tp / total, fp / total, fn / total)


def page_precision(tp: float, fp: float, fn: float) -> float:
    """TP/(TP+FP); 1 when nothing is wrong at all (FP = FN = 0); 0 when nothing was predicted right."""
    if fp == 0 and fn == 0:
        return 1.0
    if tp == 0 and fp == 0:
        return 0.0
    return tp / (tp + fp)


def page_recall(tp: float, fp: float, fn: float) -> float:
    """TP/(TP+FN); 1 when nothing is wrong at all (FP = FN = 0); 0 when there was nothing to find."""
    if fp == 0 and fn == 0:
        return 1.0
    if tp == 0 and fn == 0:
        return 0.0
    return tp / (tp + fn)


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Summary:
    precision: float
    recall: float
    f1: float
    pages: int


def summarize(pages: Iterable[PageCounts]) -> Summary:
    """Mean precision over pages that predicted something, mean recall over pages that had something
    to find, and the F1 of those two means (not the mean of per-page F1s), as the benchmark does."""
    pages = list(pages)
    precisions = [p.precision for p in pages if p.tp + p.fp > 0]
    recalls = [p.recall for p in pages if p.tp + p.fn > 0]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    return Summary(precision, recall, f1(precision, recall), len(pages))


# --- WCXB's own metric: bag of lowercase word tokens, averaged per page ------------------------------------

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class WordScore:
    """One page under WCXB's metric: multiset overlap of lowercase ``\\w+`` tokens."""

    precision: float
    recall: float
    f1: float


def word_score(expected: str, predicted: str) -> WordScore:
    """WCXB's page score: an empty reference scores 1 only when the prediction is empty too."""
    true = Counter(_WORD.findall(expected.lower()))
    pred = Counter(_WORD.findall(predicted.lower()))
    if not true:
        return WordScore(1.0, 1.0, 1.0) if not pred else WordScore(0.0, 0.0, 0.0)
    if not pred:
        return WordScore(0.0, 0.0, 0.0)
    overlap = sum((true & pred).values())
    precision, recall = overlap / sum(pred.values()), overlap / sum(true.values())
    return WordScore(precision, recall, f1(precision, recall))


def snippet_share(snippets: Iterable[str], predicted: str, *, folded: bool = False) -> float | None:
    """Share of the snippets found in the prediction (case-insensitive substring); None without snippets.

    ``folded``: both sides through :func:`fold_typography` first. Not the corpus's metric: a second figure
    that separates a snippet missed from one written with other quotes than the page's."""
    snippets = [s for s in snippets if s]
    if not snippets:
        return None
    if folded:
        text = fold_typography(predicted)
        return sum(1 for s in snippets if fold_typography(s) in text) / len(snippets)
    text = predicted.lower()
    return sum(1 for s in snippets if s.lower() in text) / len(snippets)


def fold_typography(text: str) -> str:
    """The text as presswash's rules read it (``cleaners.text.normalize``: NFKC, typographic quotes and
    dashes as ASCII, case folded, whitespace collapsed). WCXB's snippets are mostly written with ASCII
    apostrophes and quotes ("they're") where the pages print typographic ones ("they’re"); every extractor
    keeps the page's characters (as presswash must: its client's expected output keeps them), so a page's
    snippet can be there and still not match."""
    return normalize(text)


# --- metadata: right / missing / wrong ---------------------------------------------------------------------

_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\|)\s*", re.I)


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _name_tokens(name: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(_fold(name)))


def judge(kind: str, expected: str | None, predicted: str | list[str] | None) -> str:
    """``right``, ``missing``, ``wrong`` (also: predicted where the corpus has none) or ``none`` (both absent).

    title: equal after NFKC, case folding and whitespace collapsing. date: the same day (YYYY-MM-DD).
    author: the same words as the whole reference, or the first named person equal to the reference's first
    (the reference may add degrees after commas: "Dylan Bailey, MS, RD").
    """
    if isinstance(predicted, list):
        predicted = "; ".join(predicted) if predicted else None
    predicted = predicted.strip() if predicted else None
    expected = expected.strip() if expected else None
    if not expected:
        return "wrong" if predicted else "none"
    if not predicted:
        return "missing"
    if kind == "title":
        return "right" if _fold(expected) == _fold(predicted) else "wrong"
    if kind == "date":
        return "right" if predicted[:10] == expected[:10] else "wrong"
    if _name_tokens(expected) == _name_tokens(predicted):
        return "right"
    first_expected = next((n for n in _NAME_SPLIT.split(expected) if n.strip()), "")
    first_predicted = next((n for n in _NAME_SPLIT.split(predicted) if n.strip()), "")
    return "right" if _name_tokens(first_expected) == _name_tokens(first_predicted) else "wrong"
