"""Extraction quality: presswash against its peers on every development corpus, in one run.

    python -m bench.quality                          # every corpus, every peer; updates BENCHMARKS.md
    python -m bench.quality --only presswash         # ours only (what tests/test_quality_floor.py checks)
    python -m bench.quality --corpus wcxb fundus     # some corpora only
    python -m bench.quality --update-floors          # raise bench/floors.json to today's scores
    python -m bench.quality --suite newspaper4k      # also newspaper4k's test pages (fetched with pip)

Corpora (``bench/corpora.py``; none ships with presswash, each is read from ``../shared`` or an env var):
the scrapinghub benchmark's development half, the WCXB development split and the Fundus corpus. Each is
scored with its own metric (``bench/metric.py``): the scrapinghub 4-token-shingle F1 for scrapinghub and
Fundus; for WCXB its own bag-of-words F1 with the snippets found, plus the shingle F1; where the corpus has
them (WCXB), titles, authors and dates are judged right / missing / wrong, and page types (articles kept,
other pages recognised) are counted for presswash.

Peers, each as a user would run it: trafilatura with its defaults and metadata, trafilatura's precision
mode, readability-lxml. Their outputs are cached per version in ``output/bench/cache/`` (they do not change
when our code does); ``--no-cache`` recomputes them. Pages run in a process pool (``--workers``); CPU time
is per page, in the worker, around the extractor call only.

Writes the tables between the ``quality`` markers of BENCHMARKS.md, per-page scores to
``output/bench/quality.json``, and lists, per corpus, the pages where presswash loses to the best peer with
the reason found by reading them (``LOSS_NOTES``; a new losing page shows up as "not reviewed yet").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import tarfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

if __package__ in (None, ""):  # run as ``python bench/quality.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._corpus import PROJECT_ROOT, BenchDataMissing
from bench.corpora import LOADERS, Corpus, Page
from bench.metric import (
    PageCounts,
    Summary,
    fold_typography,
    judge,
    page_counts,
    snippet_share,
    summarize,
    word_score,
)

BENCHMARKS_MD = PROJECT_ROOT / "BENCHMARKS.md"
JSON_OUT = PROJECT_ROOT / "output" / "bench" / "quality.json"
CACHE_DIR = PROJECT_ROOT / "output" / "bench" / "cache"
SUITES_DIR = PROJECT_ROOT / "output" / "bench" / "suites"
FLOORS = Path(__file__).resolve().parent / "floors.json"
START, END = "<!-- quality:start -->", "<!-- quality:end -->"
OURS = "presswash"
REFERENCE = "trafilatura"
PEERS = ("trafilatura", "trafilatura precision", "readability-lxml")
# A score may drop this much below its floor before the floor test fails: trafilatura's own eval gate
# uses the same kind of margin, for float noise across platforms, never for real regressions.
FLOOR_TOLERANCE = 0.002
LOSS_F1 = 0.9
NEWSPAPER4K_SDIST = "newspaper4k==0.9.6"
METADATA_KINDS = ("title", "author", "date")
# The targets set for each development corpus (issue 10), on its own metric: shown beside the scores.
TARGETS = {"scrapinghub": 0.975, "wcxb": 0.955, "fundus": 0.965}

# Why we lose on a page, found by reading our output next to the reference text (and the best peer's), keyed
# "corpus:page", in bench/loss_notes.json. Documentation only: the cleaner knows nothing of these pages.
LOSS_NOTES: dict[str, str] = json.loads((Path(__file__).parent / "loss_notes.json").read_text(encoding="utf-8"))
NOT_REVIEWED = "not reviewed yet"


@dataclass(slots=True)
class Prediction:
    """What one extractor made of one page: text, metadata where it gives any, CPU time."""

    text: str = ""
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    date: str | None = None
    page_type: str | None = None  # presswash only
    rejected: str | None = None  # presswash only: why the cleaner gave no article
    error: str | None = None
    cpu: float = 0.0


@dataclass(frozen=True, slots=True)
class Extractor:
    name: str
    settings: str
    package: str  # the pip name, for "not installed" messages and the version column
    factory: Callable[[], Callable[[Page], Prediction]]


@dataclass(slots=True)
class Result:
    """One extractor on one corpus: a prediction per page, and the corpus's scores of them."""

    name: str
    corpus: str
    predictions: dict[str, Prediction]
    scores: dict[str, float] = field(default_factory=dict)
    per_page: dict[str, dict[str, float]] = field(default_factory=dict)
    metadata: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def cpu_seconds(self) -> float:
        return sum(p.cpu for p in self.predictions.values())

    @property
    def errors(self) -> dict[str, str]:
        return {k: p.error for k, p in self.predictions.items() if p.error}

    @property
    def rejected(self) -> dict[str, str]:
        return {k: p.rejected for k, p in self.predictions.items() if p.rejected}


# --- extractors -------------------------------------------------------------------------------------------


def _ours() -> Callable[[Page], Prediction]:
    from cleaners.article import Article
    from cleaners.core import clean
    from cleaners.document import RawDocument
    from cleaners.options import load_options

    options = load_options()

    def run(page: Page) -> Prediction:
        document = RawDocument(content=page.html, url=page.url, source_path=f"{page.id}.html")
        result = clean(document, options)
        if isinstance(result, Article):
            return Prediction(
                "\n".join(result.paragraphs),
                result.title,
                list(result.authors),
                result.published,
                page_type=result.page_type,
            )
        return Prediction(rejected=f"{result.reason.value}: {result.detail}")

    return run


def _trafilatura(**settings: bool) -> Callable[[], Callable[[Page], Prediction]]:
    def factory() -> Callable[[Page], Prediction]:
        import trafilatura

        def run(page: Page) -> Prediction:
            found = trafilatura.bare_extraction(
                _text(page), url=page.url, include_comments=False, with_metadata=True, **settings
            )
            if found is None:
                return Prediction()
            data = found.as_dict() if hasattr(found, "as_dict") else dict(found)
            authors = [a.strip() for a in (data.get("author") or "").split(";") if a.strip()]
            return Prediction(data.get("text") or "", data.get("title"), authors, data.get("date"))

        return run

    return factory


def _readability() -> Callable[[Page], Prediction]:
    from lxml import html as lxml_html
    from readability import Document

    def run(page: Page) -> Prediction:
        document = Document(_text(page))
        summary = document.summary(html_partial=True)
        text = _block_text(lxml_html.fromstring(summary)) if summary.strip() else ""
        return Prediction(text, document.short_title() or None)

    return run


def _justext() -> Callable[[Page], Prediction]:
    import justext

    # The union of every language's stoplist, as trafilatura uses jusText: the pages are in a dozen languages
    # and a wrong single-language stoplist would make jusText look worse than it is.
    stoplist = frozenset().union(*(justext.get_stoplist(name) for name in justext.get_stoplists()))

    def run(page: Page) -> Prediction:
        paragraphs = justext.justext(page.html, stoplist)
        return Prediction("\n".join(p.text for p in paragraphs if not p.is_boilerplate))

    return run


def _newspaper4k() -> Callable[[Page], Prediction]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "nltk is not installed": only its NLP features need it
        from newspaper import Article

    def run(page: Page) -> Prediction:
        article = Article(page.url or "https://example.invalid/article", fetch_images=False)
        article.download(input_html=_text(page))  # given the HTML, it fetches nothing
        article.parse()
        date = article.publish_date.date().isoformat() if article.publish_date else None
        return Prediction(article.text or "", article.title or None, list(article.authors), date)

    return run


EXTRACTORS = (
    Extractor(OURS, "`presswash.clean_html` defaults (config/presswash.yaml)", "presswash", _ours),
    Extractor(
        REFERENCE,
        "`extract(html, include_comments=False, with_metadata=True)`, the defaults",
        "trafilatura",
        _trafilatura(),
    ),
    Extractor(
        "trafilatura precision",
        "the same with `favor_precision=True`",
        "trafilatura",
        _trafilatura(favor_precision=True),
    ),
    Extractor("readability-lxml", "`Document(html).summary()`, block text", "readability-lxml", _readability),
    Extractor("jusText", "`justext(html, all stoplists)`, non-boilerplate paragraphs", "jusText", _justext),
    Extractor("newspaper4k", "`Article.download(input_html=...)`, `.parse()`", "newspaper4k", _newspaper4k),
)
DEFAULT_EXTRACTORS = (OURS, *PEERS)

_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "footer"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section"}
    | {"table", "td", "th", "tr", "ul"}
)


def _text(page: Page) -> str:
    return page.html.decode("utf-8", errors="replace")


def _block_text(root: object) -> str:
    """Text of an lxml tree with a line break at each block boundary, so that "a</p><p>b" stays two words."""
    for element in root.iter():  # type: ignore[attr-defined]
        if isinstance(element.tag, str) and element.tag in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
            element.text = "\n" + (element.text or "")
    return root.text_content()  # type: ignore[attr-defined]


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


# --- running ----------------------------------------------------------------------------------------------

_RUNNERS: dict[str, Callable[[Page], Prediction]] = {}


def _run_page(name: str, page: Page) -> Prediction:
    """One page in a pool worker; the extractor is built once per worker. A crash is an empty prediction
    (the benchmark's rule for a page with no output), recorded."""
    if name not in _RUNNERS:
        _RUNNERS[name] = next(e for e in EXTRACTORS if e.name == name).factory()
    started = time.process_time()
    try:
        prediction = _RUNNERS[name](page)
    except Exception as exc:  # one page must not sink the run
        prediction = Prediction(error=f"{type(exc).__name__}: {exc}"[:200])
    prediction.cpu = time.process_time() - started
    return prediction


def installed(extractor: Extractor) -> bool:
    try:
        extractor.factory()
    except ImportError:
        return False
    return True


def predict(
    extractor: Extractor, corpus_name: str, pages: list[Page], workers: int = 1, use_cache: bool = True
) -> dict[str, Prediction]:
    """Predictions for every page (peers' cached per version and page set; ours always recomputed)."""
    cache = None
    if extractor.name != OURS and use_cache:
        digest = hashlib.sha256("\n".join(p.id for p in pages).encode()).hexdigest()[:12]
        slug = extractor.name.replace(" ", "-")
        cache = CACHE_DIR / f"{corpus_name}-{slug}-{version(extractor.package)}-{digest}.json"
        if cache.exists():
            data = json.loads(cache.read_text(encoding="utf-8"))
            return {key: Prediction(**value) for key, value in data.items()}
    names = [extractor.name] * len(pages)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            found = list(pool.map(_run_page, names, pages, chunksize=4))
    else:
        found = [_run_page(n, p) for n, p in zip(names, pages, strict=True)]
    predictions = {page.id: prediction for page, prediction in zip(pages, found, strict=True)}
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({k: asdict(v) for k, v in predictions.items()}), encoding="utf-8")
    return predictions


# --- scoring ----------------------------------------------------------------------------------------------


def score_corpus(name: str, corpus: Corpus, predictions: dict[str, Prediction]) -> Result:
    """The corpus's own metric over its articles (and shingle F1 for every corpus), metadata judgements."""
    result = Result(name, corpus.name, predictions)
    counts: dict[str, PageCounts] = {}
    words, with_found, without_found, with_folded, without_folded = [], [], [], [], []
    for page in corpus.articles:
        predicted = predictions[page.id].text
        counts[page.id] = page_counts(page.truth, predicted)
        row = {"shingle_f1": counts[page.id].f1}
        if corpus.metric == "word":
            word = word_score(page.truth, predicted)
            words.append(word)
            row["word_f1"] = word.f1
            if (share := snippet_share(page.with_snippets, predicted)) is not None:
                with_found.append(share)
                with_folded.append(snippet_share(page.with_snippets, predicted, folded=True))
            if (share := snippet_share(page.without_snippets, predicted)) is not None:
                without_found.append(share)
                without_folded.append(snippet_share(page.without_snippets, predicted, folded=True))
        result.per_page[page.id] = row
    shingle: Summary = summarize(counts.values())
    result.scores.update(shingle_precision=shingle.precision, shingle_recall=shingle.recall)
    result.scores["shingle_f1"] = shingle.f1
    if corpus.metric == "word":
        result.scores.update(
            precision=_mean(w.precision for w in words),
            recall=_mean(w.recall for w in words),
            f1=_mean(w.f1 for w in words),
            with_found=_mean(with_found),
            without_found=_mean(without_found),
            with_found_folded=_mean(with_folded),
            without_found_folded=_mean(without_folded),
        )
    else:
        result.scores.update(precision=shingle.precision, recall=shingle.recall, f1=shingle.f1)
    if corpus.has_metadata:
        result.metadata = {kind: Counter() for kind in (*METADATA_KINDS, "title_folded")}
        for page in corpus.articles:
            p = predictions[page.id]
            result.metadata["title"][judge("title", page.title, p.title)] += 1
            folded = [fold_typography(t) if t else t for t in (page.title, p.title)]
            result.metadata["title_folded"][judge("title", *folded)] += 1
            result.metadata["author"][judge("author", page.author, p.authors)] += 1
            result.metadata["date"][judge("date", page.date, p.date)] += 1
    return result


def page_type_scores(articles: dict[str, Prediction], others: dict[str, Prediction]) -> dict[str, float]:
    """Articles kept as articles, and other pages recognised as not articles (share of each)."""
    kept = sum(1 for p in articles.values() if p.page_type == "article")
    recognised = sum(1 for p in others.values() if p.page_type not in (None, "article") or p.rejected)
    return {
        "articles_kept": kept / max(1, len(articles)),
        "others_recognised": recognised / max(1, len(others)),
    }


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def losing_pages(metric: str, ours: Result, peers: list[Result]) -> list[tuple[str, float, str, float]]:
    """(page, our F1, best peer, its F1) where a peer beats us by more than 0.02 or we are below LOSS_F1,
    on the corpus's own per-page score (``metric``: word or shingle), worst first."""
    key = "word_f1" if metric == "word" else "shingle_f1"
    rows = []
    for page_id, row in ours.per_page.items():
        best_name, best = max(((p.name, p.per_page[page_id][key]) for p in peers), key=lambda x: x[1])
        if row[key] < LOSS_F1 or row[key] < best - 0.02:
            rows.append((page_id, row[key], best_name, best))
    return sorted(rows, key=lambda r: r[1] - r[3])


# --- floors -----------------------------------------------------------------------------------------------

FLOOR_KEYS = ("precision", "recall", "f1", "articles_kept", "others_recognised")


def floor3(value: float) -> float:
    """Rounded down to three decimals (a floor must never be above the score it comes from)."""
    return math.floor(value * 1000 + 1e-9) / 1000


def load_floors(path: Path = FLOORS) -> dict[str, dict[str, float]]:
    """Per corpus: {metric: floor}. The scores are each corpus's own metric (word F1 for WCXB)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {corpus: {k: float(v) for k, v in floors.items()} for corpus, floors in data["corpora"].items()}


def check_floors(scores: dict[str, float], floors: dict[str, float]) -> list[str]:
    """The metrics more than FLOOR_TOLERANCE below their floor, as messages (empty: all good)."""
    failures = []
    for key, floor in floors.items():
        value = scores[key]
        if value < floor - FLOOR_TOLERANCE:
            failures.append(f"{key} {value:.4f} < floor {floor:.3f} - {FLOOR_TOLERANCE}")
    return failures


def update_floors(corpus: str, scores: dict[str, float], allow_lower: bool, path: Path = FLOORS) -> list[str]:
    """Raise each of the corpus's floors to today's score (rounded down); lower one only with ``allow_lower``.

    Returns the refusals: a lower score never moves a floor down by accident, since a silent lower floor is
    exactly the regression the floor exists to catch."""
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    corpora = data.setdefault("corpora", {})
    old = corpora.get(corpus, {})
    new, refused = dict(old), []
    for key in (k for k in FLOOR_KEYS if k in scores):
        value = floor3(scores[key])
        if key in old and value < old[key] and not allow_lower:
            refused.append(f"{corpus} {key}: {value:.3f} is below the floor {old[key]:.3f} (--allow-lower)")
            continue
        new[key] = value
    corpora[corpus] = new
    data.update(extractor=OURS, tolerance=FLOOR_TOLERANCE, corpora=dict(sorted(corpora.items())))
    data["note"] = "each corpus's own metric: shingle P/R/F1 (scrapinghub, fundus), word P/R/F1 (wcxb)"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return refused


# --- report -----------------------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def table(corpus: Corpus, results: list[Result], extractors: dict[str, Extractor]) -> list[str]:
    word = corpus.metric == "word"
    head = "| extractor | version | settings | P | R | F1 |"
    rule = "|---|---|---|---:|---:|---:|"
    if word:
        head += " shingle F1 | with found | without found | with / without, typography folded |"
        rule += "---:|---:|---:|---:|"
    lines = [head + " pages | CPU ms/page |", rule + "---:|---:|"]
    for result in sorted(results, key=lambda r: -r.scores["f1"]):
        s = result.scores
        problems = []
        if result.errors:
            problems.append(f"{len(result.errors)} pages failed")
        if result.rejected:
            problems.append(f"{len(result.rejected)} rejected")
        note = f" ({', '.join(problems)})" if problems else ""
        name = f"**{result.name}**" if result.name == OURS else result.name
        line = (
            f"| {name} | {version(extractors[result.name].package)} | {extractors[result.name].settings}{note} "
            f"| {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} |"
        )
        if word:
            line += f" {s['shingle_f1']:.3f} | {_pct(s['with_found'])} | {_pct(s['without_found'])} |"
            line += f" {_pct(s['with_found_folded'])} / {_pct(s['without_found_folded'])} |"
        pages = len(corpus.articles)
        lines.append(line + f" {pages} | {1000 * result.cpu_seconds / max(1, pages):.0f} |")
    return lines


def metadata_table(results: list[Result]) -> list[str]:
    lines = [
        "| extractor | title right / missing / wrong | author right / missing / wrong (+ none where none) "
        "| date right / missing / wrong | titles right, typography folded |",
        "|---|---|---|---|---:|",
    ]
    for result in results:
        cells = []
        for kind in METADATA_KINDS:
            c = result.metadata[kind]
            cell = f"{c['right']} / {c['missing']} / {c['wrong']}"
            if kind == "author":
                cell += f" (+ {c['none']})"
            cells.append(cell)
        cells.append(str(result.metadata["title_folded"]["right"]))
        lines.append(f"| {result.name} | " + " | ".join(cells) + " |")
    return lines


def markdown(
    corpora: list[Corpus],
    results: dict[str, list[Result]],
    page_types: dict[str, float] | None,
    extractors: dict[str, Extractor],
    missing: list[str],
) -> str:
    """The BENCHMARKS.md section: per corpus, the table, metadata, page types and the pages we lose."""
    out = [
        "## Extraction quality",
        "",
        "`make bench-quality` (`python -m bench.quality`): presswash and its peers on every development "
        "corpus in one run, each corpus with its own metric (`bench/metric.py`). A page we reject or an "
        "extractor crashes on counts as an empty prediction. CPU is per page inside the extractor call, "
        f"{platform.python_implementation()} {platform.python_version()}, measured "
        f"{datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} cores "
        f"({platform.system()} {platform.release()}). The corpora stay outside the project "
        "(`bench/corpora.py` says where it looks).",
        "",
    ]
    if missing:
        out += [f"Not run (not installed): {', '.join(missing)}.", ""]
    out += ["| corpus | metric | presswash F1 | best peer F1 | target |", "|---|---|---:|---:|---:|"]
    for corpus in corpora:
        rows = {r.name: r for r in results[corpus.name]}
        peers = [r for name, r in rows.items() if name in PEERS]
        if OURS not in rows or not peers:
            continue
        best = max(peers, key=lambda r: r.scores["f1"])
        target = f"{TARGETS[corpus.name]:.3f}" if corpus.name in TARGETS else ""
        out.append(
            f"| {corpus.name} | {'word' if corpus.metric == 'word' else 'shingle'} "
            f"| **{rows[OURS].scores['f1']:.3f}** | {best.scores['f1']:.3f} ({best.name}) | {target} |"
        )
    out.append("")
    for corpus in corpora:
        rows = results[corpus.name]
        metric = (
            "its own metric: bag of lowercase `\\w+` words, P/R/F1 averaged per page; snippets a correct "
            "extraction must contain (with) and must not (without); and the scrapinghub shingle F1"
            if corpus.metric == "word"
            else "4-token shingles of `\\w+` tokens, per-page TP/FP/FN normalized, F1 of the mean P and R"
        )
        out += [f"### {corpus.description}: {len(corpus.articles)} articles", "", f"Metric: {metric}.", ""]
        out += [*table(corpus, rows, extractors), ""]
        if corpus.metric == "word":
            out += [
                "Snippets, typography folded: the same snippets with both sides' typographic quotes, dashes and "
                "ellipses read as ASCII (`bench/metric.py`, `fold_typography`). Not the corpus's metric: most "
                "of the corpus's snippets write ASCII apostrophes (\"they're\") where the pages print "
                'typographic ones ("they’re"), and every extractor here keeps the page\'s characters, so '
                "the first figure counts such a snippet as missing although its text was extracted.",
                "",
            ]
        notes = _failure_notes(rows)
        out += notes
        if corpus.has_metadata:
            out += [
                "Metadata on the same articles (title: equal after NFKC, case folding and whitespace; author: "
                "the same name words, or the same first person; date: the same day; wrong includes a value "
                "where the corpus has none; the last column counts titles right with typographic quotes and "
                "dashes read as ASCII on both sides, as for the snippets above):",
                "",
                *metadata_table(rows),
                "",
            ]
        if corpus.others and page_types:
            out += [
                f"Page types (presswash's `page_type`): {_pct(page_types['articles_kept'])} of the "
                f"{len(corpus.articles)} articles labelled `article`; {_pct(page_types['others_recognised'])} "
                f"of the {len(corpus.others)} other pages (listings, collections, products, services, forums, "
                "documentation) recognised as not articles, at the shipped threshold. `cleaning.min_article_score` "
                "moves it; out of fold on WCXB, 98% of articles kept recognise 74% of the others, 95% 86%, 90% "
                "95% (`python -m bench.train_page_type --no-write` prints the curve).",
                "",
            ]
        by_name = {r.name: r for r in rows}
        peers = [r for r in rows if r.name in PEERS]
        if OURS in by_name and peers:
            losing = losing_pages(corpus.metric, by_name[OURS], peers)
            out += [
                f"Pages where presswash loses ({len(losing)}): below the best peer by more than 0.02, or "
                f"below {LOSS_F1}, on the corpus's per-page score; the reason is read from the page.",
                "",
                "<details><summary>list</summary>",
                "",
                "| page | presswash | best peer | why |",
                "|---|---:|---|---|",
            ]
            out += [
                f"| `{page if len(page) <= 24 else page[:16]}` | {ours:.3f} | {peer} {best:.3f} | "
                f"{LOSS_NOTES.get(f'{corpus.name}:{page}', NOT_REVIEWED)} |"
                for page, ours, peer, best in losing
            ]
            out += ["", "</details>", ""]
    return "\n".join(out).rstrip() + "\n"


def _failure_notes(results: list[Result]) -> list[str]:
    """One line per extractor that raised on some pages, and the pages our cleaner rejected."""
    notes = []
    for result in results:
        if result.rejected:
            reasons = Counter(why.split(":")[0] for why in result.rejected.values())
            notes.append(f"- {result.name} rejected {len(result.rejected)} page(s), scored as empty: {dict(reasons)}")
        if result.errors:
            messages = sorted({message.split("\n")[0][:110] for message in result.errors.values()})
            notes.append(
                f"- {result.name}: {len(result.errors)} page(s) raised, scored as empty: {'; '.join(messages)}"
            )
    return [*notes, ""] if notes else []


def write_markdown(section: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace what is between the quality markers, creating the file (or the markers) if needed."""
    block = f"{START}\n{section}{END}"
    if not path.exists():
        path.write_text("# Benchmarks\n\n" + block + "\n", encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        path.write_text(before + block + after, encoding="utf-8")
    else:
        path.write_text(text.rstrip("\n") + "\n\n" + block + "\n", encoding="utf-8")


def to_json(results: dict[str, list[Result]], page_types: dict[str, float] | None) -> dict[str, object]:
    return {
        corpus: {
            r.name: {
                "scores": r.scores,
                "cpu_seconds": round(r.cpu_seconds, 3),
                "metadata": {k: dict(v) for k, v in r.metadata.items()},
                "errors": r.errors,
                "rejected": r.rejected,
                "per_page": r.per_page,
            }
            for r in rows
        }
        | ({"page_types": page_types} if corpus == "wcxb" and page_types else {})
        for corpus, rows in results.items()
    }


# --- second suite (optional) --------------------------------------------------------------------------------


def load_newspaper4k_suite() -> Corpus:
    """The pages newspaper4k ships in its sdist with their expected text, fetched with pip if needed.

    Their expected text is newspaper4k's own output (a regression fixture, not a human annotation)."""
    root = SUITES_DIR / NEWSPAPER4K_SDIST.replace("==", "-")
    data = root / "tests" / "data"
    if not data.is_dir():
        SUITES_DIR.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*pip, "--dest", str(SUITES_DIR), NEWSPAPER4K_SDIST], check=True)
        with tarfile.open(SUITES_DIR / f"{root.name}.tar.gz") as tar:
            members = [m for m in tar.getmembers() if "/tests/data/" in m.name and m.isfile()]
            tar.extractall(SUITES_DIR, members=members, filter="data")
    pages = []
    for text_file in sorted((data / "txt").glob("*.txt")):
        html_file = data / "html" / f"{text_file.stem}.html"
        if html_file.exists():
            pages.append(Page(text_file.stem, html_file.read_bytes(), text_file.read_text(encoding="utf-8")))
    return Corpus("newspaper4k", "newspaper4k's test pages (its own output as reference)", "shingle", pages)


# --- command line -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = [e.name for e in EXTRACTORS]
    parser.add_argument("--only", nargs="+", choices=names, help="score only these extractors")
    parser.add_argument("--corpus", nargs="+", choices=list(LOADERS), help="score only these corpora")
    parser.add_argument("--suite", choices=["newspaper4k"], help="also score on this second public suite")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes")
    parser.add_argument("--no-cache", action="store_true", help="recompute the peers' outputs")
    parser.add_argument("--update-floors", action="store_true", help="raise bench/floors.json to our scores")
    parser.add_argument("--allow-lower", action="store_true", help="with --update-floors: may lower floors")
    parser.add_argument("--no-write", action="store_true", help="print only: leave BENCHMARKS.md and JSON")
    args = parser.parse_args(argv)
    if args.allow_lower and not args.update_floors:
        parser.error("--allow-lower only makes sense with --update-floors")
    chosen = [e for e in EXTRACTORS if (e.name in args.only if args.only else e.name in DEFAULT_EXTRACTORS)]
    if args.update_floors and OURS not in [e.name for e in chosen]:
        parser.error(f"--update-floors needs {OURS} among the extractors")
    extractors = {e.name: e for e in EXTRACTORS}
    missing = [f"{e.name} (pip install {e.package})" for e in chosen if not installed(e)]
    chosen = [e for e in chosen if installed(e)]

    corpora: list[Corpus] = []
    for name in args.corpus or list(LOADERS):
        try:
            corpora.append(LOADERS[name]())
        except BenchDataMissing as exc:
            print(f"bench.quality: {exc}", file=sys.stderr)
            if os.environ.get("CI") == "true":
                return 1
    if args.suite:
        corpora.append(load_newspaper4k_suite())
    if not corpora:
        return 0

    results: dict[str, list[Result]] = {}
    page_types = None
    for corpus in corpora:
        results[corpus.name] = []
        for extractor in chosen:
            pages = corpus.articles + (corpus.others if extractor.name == OURS else [])
            print(f"{extractor.name} on {corpus.name} ({len(pages)} pages) ...", file=sys.stderr, flush=True)
            predictions = predict(extractor, corpus.name, pages, args.workers, not args.no_cache)
            results[corpus.name].append(score_corpus(extractor.name, corpus, predictions))
            if extractor.name == OURS and corpus.others:
                page_types = page_type_scores(
                    {p.id: predictions[p.id] for p in corpus.articles},
                    {p.id: predictions[p.id] for p in corpus.others},
                )
                results[corpus.name][-1].scores.update(page_types)  # gated like the extraction scores
                for page in corpus.others:  # scored for page type only
                    del predictions[page.id]

    section = markdown(corpora, results, page_types, extractors, missing)
    print(section)
    if not args.no_write:
        write_markdown(section)
        JSON_OUT.parent.mkdir(parents=True, exist_ok=True)
        JSON_OUT.write_text(json.dumps(to_json(results, page_types), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {BENCHMARKS_MD.name} (between the quality markers) and {JSON_OUT}", file=sys.stderr)
    status = 0
    if args.update_floors:
        for corpus in corpora:
            ours = next((r for r in results[corpus.name] if r.name == OURS), None)
            if ours is None or corpus.name not in LOADERS:
                continue
            for message in update_floors(corpus.name, ours.scores, args.allow_lower):
                print(f"bench.quality: refusing to lower a floor: {message}", file=sys.stderr)
                status = 1
        print(f"floors: {json.dumps(load_floors())}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
