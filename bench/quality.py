"""Extraction quality: presswash against trafilatura and other extractors, on the same pages, in one run.

    python -m bench.quality                      # score every installed extractor, update BENCHMARKS.md
    python -m bench.quality --only presswash     # ours only (what tests/test_quality_floor.py checks)
    python -m bench.quality --suite newspaper4k  # also score on a second, public suite (see below)
    python -m bench.quality --update-floors      # raise bench/floors.json to today's scores

The benchmark pages are NOT part of this project: they are read from ``PRESSWASH_BENCH_DIR`` (default
``../shared/bench`` beside the project root), the development half (92 pages) of the scrapinghub
article-extraction-benchmark. The metric is the benchmark's own (``bench/metric.py``).

Writes the table between the ``quality`` markers of BENCHMARKS.md, per-page scores to
``output/bench/quality.json``, and lists the pages where we lose (our F1 below bare trafilatura's, or below
0.9) with the reason found by reading them (``LOSS_NOTES``, kept by hand; a new losing page shows up as
"not reviewed yet").

Second suite (``--suite newspaper4k``): newspaper4k's source distribution on PyPI ships 23 pages with their
expected article text (``tests/data/html`` and ``tests/data/txt``); ``pip download`` fetches it into
``output/bench/suites/``. Caveat, said with every result: that text is newspaper4k's own output, kept as a
regression fixture, not a human annotation, so it favours newspaper4k.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import subprocess
import sys
import tarfile
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

if __package__ in (None, ""):  # run as ``python bench/quality.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._corpus import PROJECT_ROOT, BenchDataMissing, bench_dir
from bench.metric import PageCounts, Summary, page_counts, summarize

BENCHMARKS_MD = PROJECT_ROOT / "BENCHMARKS.md"
JSON_OUT = PROJECT_ROOT / "output" / "bench" / "quality.json"
SUITES_DIR = PROJECT_ROOT / "output" / "bench" / "suites"
FLOORS = Path(__file__).resolve().parent / "floors.json"
START, END = "<!-- quality:start -->", "<!-- quality:end -->"
OURS = "presswash"
REFERENCE = "trafilatura"
# A score may drop this much below its floor before the floor test fails: trafilatura's own eval gate
# uses the same kind of margin, for float noise across platforms, never for real regressions.
FLOOR_TOLERANCE = 0.002
LOSS_F1 = 0.9
NEWSPAPER4K_SDIST = "newspaper4k==0.9.6"

# Why we lose on a page, found by reading our output next to the reference text. Documentation only: the
# cleaner knows nothing of these pages.
LOSS_NOTES: dict[str, str] = {
    "b3c19dd5f0612d098788fa5173e491b3280da6226b492f8fe110f4ab1896cca8": (
        "listing page: the reference is the first quote only; we (like trafilatura) also keep the page's "
        "five other quotes"
    ),
    "51d066b0602c9421d8d6410bc4b931700978409a3faa2a984e8fbde519ad7241": (
        "the reference includes the video block (title, caption, date) and a list of related headlines; "
        "we keep the story text only"
    ),
    "3f65af7b6b98b1c9ae9a3e0d8a09a85600cdc44e26e4b3a6db96a31f4b1767e3": (
        "the embedded tweets, which the reference keeps, are dropped by trafilatura; we keep the closing "
        '"Have a tip? ... may be reached at" line'
    ),
    "f105de6e63ca91ea482f60193f6252092557f969f2fd128ff68c0d4d6b90dd7d": (
        'Japanese: the reference puts spaces around Latin words ("アプリ Kindle for PC に") that the HTML '
        "does not have, so those sentences tokenize differently"
    ),
    "5ae11e580afc12d3ba1a12944281e6a7a5dded5c98b4efcf24aedcb28f0d5b22": (
        'press release: the "About Ascom" company boilerplate at the end (a quarter of the text) is kept; '
        "the reference drops it"
    ),
    "6ebac05f637ece8aa57c298a2a5e3a8047f546f855d0f29cc683cea60ce85c85": (
        "hover cards of linked names (hidden by CSS, each a list of headlines) are glued into the paragraphs"
    ),
    "c69e539d689a8335a69042727f1b58edab09d5d99fb607ec625a63151a537dc2": (
        'press release: the "About Ascom" company boilerplate at the end is kept; the reference drops it'
    ),
    "c467d507551a836efa9cfe843ba5d7bafe519750e04d0c9ff0decf44f013f829": (
        "the second pass (rule copyright.notice) drops the closing AP copyright line; the reference keeps it"
    ),
    "ef4e67b66d63b5facef55c06a94d85f2ae01a0a1a4a3a1bcfe2499c8c8a7dacf": (
        'the opening "(CNN)President ..." paragraph is lost: with links kept (links=True, for link '
        "density) trafilatura's full pass starts from another container on this page"
    ),
    "dc7ccccc1f34eb2928cb238739aaf18c712d59d8d34b41acfb29178aeba65356": (
        "trafilatura's precision mode drops the closing \"This article has been adapted from its original "
        'source.", which the reference keeps'
    ),
    "833caf3bdba53dcf48de273cf646370eebe9ac565744b0d0e941e298e1b79730": (
        "trafilatura's precision mode drops the closing \"This article has been adapted from its original "
        'source.", which the reference keeps'
    ),
    "abd9d6291b6bfae0c3ffad8ab7623b482c6da46face0271dc42af6324d8f0ce5": (
        'the second pass (rule subscribe_cta.subscribe_or_follow) removes "Follow NBC Latino on Facebook, '
        'Twitter and Instagram.", which the reference keeps'
    ),
    "359fee228518d55b921194561e9ca88e428df81940246f8fac7a75398377daea": (
        'the photo credit "© Reuters" at the very end is dropped as a trailing label; the reference keeps it'
    ),
}
NOT_REVIEWED = "not reviewed yet"


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    html: bytes
    truth: str
    url: str | None = None


@dataclass(slots=True)
class Result:
    """One extractor on one suite: per-page counts, the benchmark's summary, CPU time, failures."""

    name: str
    settings: str
    counts: dict[str, PageCounts] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    errors: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # ours only: pages the cleaner rejected, and why
    summary: Summary | None = None


@dataclass(frozen=True, slots=True)
class Extractor:
    name: str
    settings: str
    package: str  # the pip name, for "not installed" messages and the version column
    factory: Callable[[], Callable[[Page], str]]


# --- pages ------------------------------------------------------------------------------------------------


def load_bench_pages(directory: Path | None = None) -> list[Page]:
    """The benchmark pages with their reference text, sorted by id (raises BenchDataMissing when absent)."""
    directory = directory or bench_dir()
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        html = gzip.decompress((directory / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(Page(page_id, html, truth[page_id]["articleBody"], truth[page_id].get("url")))
    return pages


def load_newspaper4k_suite() -> list[Page]:
    """The pages newspaper4k ships in its sdist with their expected text, fetched with pip if needed."""
    root = SUITES_DIR / NEWSPAPER4K_SDIST.replace("==", "-")
    data = root / "tests" / "data"
    if not data.is_dir():
        SUITES_DIR.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*pip, "--dest", str(SUITES_DIR), NEWSPAPER4K_SDIST], check=True)
        archive = SUITES_DIR / f"{root.name}.tar.gz"
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if "/tests/data/" in m.name and m.isfile()]
            tar.extractall(SUITES_DIR, members=members, filter="data")
    pages = []
    for text_file in sorted((data / "txt").glob("*.txt")):
        html_file = data / "html" / f"{text_file.stem}.html"
        if html_file.exists():
            pages.append(Page(text_file.stem, html_file.read_bytes(), text_file.read_text(encoding="utf-8")))
    return pages


# --- extractors -------------------------------------------------------------------------------------------


def _ours() -> Callable[[Page], str]:
    from cleaners.article import Article
    from cleaners.core import clean
    from cleaners.document import RawDocument
    from cleaners.options import load_options

    options = load_options()
    rejected: dict[str, str] = {}

    def run(page: Page) -> str:
        document = RawDocument(content=page.html, url=page.url, source_path=f"{page.id}.html")
        result = clean(document, options)
        if isinstance(result, Article):
            return "\n".join(result.paragraphs)
        rejected[page.id] = f"{result.reason.value}: {result.detail}"
        return ""  # a rejected page is an empty prediction

    run.rejected = rejected  # type: ignore[attr-defined]
    return run


def _trafilatura(**settings: bool) -> Callable[[], Callable[[Page], str]]:
    def factory() -> Callable[[Page], str]:
        import trafilatura

        def run(page: Page) -> str:
            return trafilatura.extract(_text(page), include_comments=False, **settings) or ""

        return run

    return factory


def _readability() -> Callable[[Page], str]:
    from lxml import html as lxml_html
    from readability import Document

    def run(page: Page) -> str:
        summary = Document(_text(page)).summary(html_partial=True)
        return _block_text(lxml_html.fromstring(summary)) if summary.strip() else ""

    return run


def _justext() -> Callable[[Page], str]:
    import justext

    # The union of every language's stoplist, as trafilatura uses jusText: the pages are in a dozen languages
    # and a wrong single-language stoplist would make jusText look worse than it is.
    stoplist = frozenset().union(*(justext.get_stoplist(name) for name in justext.get_stoplists()))

    def run(page: Page) -> str:
        paragraphs = justext.justext(page.html, stoplist)
        return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)

    return run


def _newspaper4k() -> Callable[[Page], str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "nltk is not installed": only its NLP features need it
        from newspaper import Article

    def run(page: Page) -> str:
        article = Article(page.url or "https://example.invalid/article", fetch_images=False)
        article.download(input_html=_text(page))  # given the HTML, it fetches nothing
        article.parse()
        return article.text or ""

    return run


def _goose3() -> Callable[[Page], str]:
    from goose3 import Goose

    goose = Goose({"enable_image_fetching": False})

    def run(page: Page) -> str:
        return goose.extract(raw_html=_text(page)).cleaned_text or ""

    return run


EXTRACTORS = (
    Extractor(OURS, "`cleaners.core.clean`, config/presswash.yaml", "presswash", _ours),
    Extractor(
        REFERENCE,
        "`extract(html, include_comments=False)`, the reference",
        "trafilatura",
        _trafilatura(),
    ),
    Extractor(
        "trafilatura precision",
        "`extract(..., include_comments=False, favor_precision=True)`",
        "trafilatura",
        _trafilatura(favor_precision=True),
    ),
    Extractor("readability-lxml", "`Document(html).summary()`, block text", "readability-lxml", _readability),
    Extractor("jusText", "`justext(html, all stoplists)`, non-boilerplate paragraphs", "jusText", _justext),
    Extractor("newspaper4k", "`Article.download(input_html=...)`, `.parse()`", "newspaper4k", _newspaper4k),
    Extractor("goose3", "`Goose().extract(raw_html=...)`, `.cleaned_text`", "goose3", _goose3),
)

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


# --- scoring ----------------------------------------------------------------------------------------------


def score(extractor: Extractor, pages: Iterable[Page]) -> Result | None:
    """Run one extractor on every page; None when it is not installed. A crash on a page counts as an empty
    prediction (the benchmark's rule for a page with no output) and is recorded."""
    try:
        run = extractor.factory()
    except ImportError:
        return None
    result = Result(extractor.name, extractor.settings)
    for page in pages:
        started = time.process_time()
        try:
            predicted = run(page)
        except Exception as exc:  # one page must not sink the run; it scores as empty and is reported
            predicted = ""
            result.errors[page.id] = f"{type(exc).__name__}: {exc}"[:200]
        result.cpu_seconds += time.process_time() - started
        result.counts[page.id] = page_counts(page.truth, predicted)
    result.summary = summarize(result.counts.values())
    result.rejected = dict(getattr(run, "rejected", {}))
    return result


def losing_pages(ours: Result, reference: Result) -> list[tuple[str, float, float]]:
    """(page id, our F1, reference F1) where we are below the reference or below LOSS_F1, worst first."""
    rows = []
    for page_id, counts in ours.counts.items():
        ref = reference.counts.get(page_id)
        ours_f1, ref_f1 = counts.f1, ref.f1 if ref else math.nan
        if ours_f1 < LOSS_F1 or (ref is not None and ours_f1 < ref_f1 - 1e-9):
            rows.append((page_id, ours_f1, ref_f1))
    return sorted(rows, key=lambda row: row[1])


# --- floors -----------------------------------------------------------------------------------------------


def floor3(value: float) -> float:
    """Rounded down to three decimals (a floor must never be above the score it comes from)."""
    return math.floor(value * 1000 + 1e-9) / 1000


def load_floors(path: Path = FLOORS) -> dict[str, float]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {key: float(data[key]) for key in ("precision", "recall", "f1")}


def check_floors(summary: Summary, floors: dict[str, float]) -> list[str]:
    """The metrics more than FLOOR_TOLERANCE below their floor, as messages (empty: all good)."""
    failures = []
    for key, floor in floors.items():
        value = getattr(summary, key)
        if value < floor - FLOOR_TOLERANCE:
            failures.append(f"{key} {value:.4f} < floor {floor:.3f} - {FLOOR_TOLERANCE}")
    return failures


def update_floors(summary: Summary, allow_lower: bool, path: Path = FLOORS) -> list[str]:
    """Raise each floor to today's score (rounded down); lower one only with ``allow_lower``.

    Returns the refusals: a lower score never moves a floor down by accident, since a silent lower floor is
    exactly the regression the floor exists to catch."""
    old = load_floors(path) if path.exists() else {}
    new, refused = dict(old), []
    for key in ("precision", "recall", "f1"):
        value = floor3(getattr(summary, key))
        if key in old and value < old[key] and not allow_lower:
            refused.append(f"{key}: {value:.3f} is below the floor {old[key]:.3f} (--allow-lower lowers it)")
            continue
        new[key] = value
    data = {
        "suite": "scrapinghub article-extraction-benchmark, development half (PRESSWASH_BENCH_DIR)",
        "extractor": OURS,
        "tolerance": FLOOR_TOLERANCE,
        **{key: new[key] for key in ("precision", "recall", "f1")},
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return refused


# --- report -----------------------------------------------------------------------------------------------


def table(results: list[Result], extractors: dict[str, Extractor]) -> list[str]:
    lines = [
        "| extractor | version | settings | P | R | F1 | pages | CPU s | ms/page |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in sorted(results, key=lambda r: -(r.summary.f1 if r.summary else 0)):
        summary = result.summary
        assert summary is not None
        errors = f" ({len(result.errors)} pages failed)" if result.errors else ""
        name = f"**{result.name}**" if result.name == OURS else result.name
        lines.append(
            f"| {name} | {version(extractors[result.name].package)} | {result.settings}{errors} "
            f"| {summary.precision:.3f} | {summary.recall:.3f} | {summary.f1:.3f} | {summary.pages} "
            f"| {result.cpu_seconds:.1f} | {1000 * result.cpu_seconds / max(1, summary.pages):.0f} |"
        )
    return lines


def markdown(
    bench: list[Result], suite: list[Result] | None, missing: list[str], extractors: dict[str, Extractor]
) -> str:
    """The BENCHMARKS.md section: the table, what it means, the pages we lose, the second suite."""
    by_name = {r.name: r for r in bench}
    out = [
        "## Extraction quality",
        "",
        "`python -m bench.quality` (`--suite newspaper4k` adds the second table). Pages: the development "
        "half "
        "(92 pages) of the scrapinghub article-extraction-benchmark, read from `PRESSWASH_BENCH_DIR` "
        "(default `../shared/bench`, outside this project). Metric: the benchmark's own (4-token shingles of "
        "`\\w+` tokens, per-page TP/FP/FN normalized, mean P and R, F1 of the means; `bench/metric.py`). "
        "A page we reject counts as an empty prediction. CPU time is for the extractor call only, on "
        f"{platform.python_implementation()} {platform.python_version()}, one core. Measured "
        f"{datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} cores "
        f"({platform.system()} {platform.release()}).",
        "",
        *table(bench, extractors),
        "",
    ]
    out += _failure_notes(bench)
    if missing:
        out += [f"Not run (not installed): {', '.join(missing)}.", ""]
    out += [
        "On top of trafilatura (precision mode, `cleaners/extract.py`): an article body split into "
        "same-class containers is joined before extraction; after it, blocks are judged with the page "
        "structure (link density: lists and runs of links to other stories; position: the page's `<h1>`, "
        "standfirst, title repeat and dateline before the first paragraph, headings and labels after the "
        "last); the readability/jusText comparison runs only when trafilatura's fast pass is short. Then "
        "the second pass (`config/boilerplate.yaml`).",
        "",
    ]
    if OURS in by_name and REFERENCE in by_name:
        rows = losing_pages(by_name[OURS], by_name[REFERENCE])
        out += [
            f"### Pages where we lose ({len(rows)})",
            "",
            f"Our page F1 below bare trafilatura's, or below {LOSS_F1}; the reason is from reading the page.",
            "",
            "| page | ours F1 | trafilatura F1 | why |",
            "|---|---:|---:|---|",
        ]
        out += [
            f"| `{page_id[:12]}` | {ours_f1:.3f} | {ref_f1:.3f} | {LOSS_NOTES.get(page_id, NOT_REVIEWED)} |"
            for page_id, ours_f1, ref_f1 in rows
        ]
        out.append("")
    if suite:
        out += [
            "### Second suite: newspaper4k's test pages",
            "",
            f"{len(suite[0].counts)} pages shipped in the `{NEWSPAPER4K_SDIST}` source distribution on PyPI "
            "(`tests/data/html` with `tests/data/txt`). **Their expected text is newspaper4k's own output**, "
            "kept as a regression fixture, not a human annotation: it favours newspaper4k, and it keeps "
            "things a human reference would drop. Read it as a check that we do not fall apart on other "
            "pages (several languages, CNN, Time, Wired), not as a ranking.",
            "",
            *table(suite, extractors),
            "",
            *_failure_notes(suite),
        ]
    else:
        out += [
            "A second public suite: newspaper4k's test pages (`python -m bench.quality --suite newspaper4k`, "
            "fetched with pip); no human-annotated extraction suite ships in a pip package that we found.",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def _failure_notes(results: list[Result]) -> list[str]:
    """One line per extractor that raised on some pages (how many, the distinct messages), and the pages
    our cleaner rejected (each an empty prediction)."""
    notes = []
    for result in results:
        if result.rejected:
            pages = "; ".join(f"`{page[:12]}` ({why})" for page, why in sorted(result.rejected.items()))
            count = len(result.rejected)
            notes.append(f"- {result.name} rejected {count} page(s), scored as empty: {pages}")
        if result.errors:
            messages = sorted({message.split("\n")[0][:110] for message in result.errors.values()})
            count = len(result.errors)
            notes.append(f"- {result.name}: {count} page(s) raised, scored as empty: {'; '.join(messages)}")
    return [*notes, ""] if notes else []


def write_markdown(section: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace what is between the quality markers, creating the file (or the markers) if needed."""
    block = f"{START}\n{section}{END}"
    if not path.exists():
        path.write_text(
            "# Benchmarks\n\nHow presswash is measured: every figure below comes from a script in `bench/`, "
            "which says how to rerun it.\n\n" + block + "\n",
            encoding="utf-8",
        )
        return
    text = path.read_text(encoding="utf-8")
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        path.write_text(before + block + after, encoding="utf-8")
    else:
        path.write_text(text.rstrip("\n") + "\n\n" + block + "\n", encoding="utf-8")


def to_json(bench: list[Result], suite: list[Result] | None) -> dict[str, object]:
    def dump(results: list[Result]) -> dict[str, object]:
        return {
            r.name: {
                "settings": r.settings,
                "precision": r.summary.precision if r.summary else None,
                "recall": r.summary.recall if r.summary else None,
                "f1": r.summary.f1 if r.summary else None,
                "pages": len(r.counts),
                "cpu_seconds": round(r.cpu_seconds, 3),
                "errors": r.errors,
                "rejected": r.rejected,
                "per_page": {
                    page_id: {
                        "tp": round(c.tp, 6),
                        "fp": round(c.fp, 6),
                        "fn": round(c.fn, 6),
                        "precision": round(c.precision, 6),
                        "recall": round(c.recall, 6),
                        "f1": round(c.f1, 6),
                    }
                    for page_id, c in r.counts.items()
                },
            }
            for r in results
        }

    by_name = {r.name: r for r in bench}
    losing = []
    if OURS in by_name and REFERENCE in by_name:
        losing = [
            {"page": p, "ours_f1": o, "trafilatura_f1": t, "why": LOSS_NOTES.get(p, NOT_REVIEWED)}
            for p, o, t in losing_pages(by_name[OURS], by_name[REFERENCE])
        ]
    return {
        "metric": "scrapinghub article-extraction-benchmark (bench/metric.py)",
        "bench": dump(bench),
        "losing_pages": losing,
        "suite_newspaper4k": dump(suite) if suite else None,
    }


# --- command line -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = [e.name for e in EXTRACTORS]
    parser.add_argument("--only", nargs="+", choices=names, help="score only these extractors")
    parser.add_argument("--suite", choices=["newspaper4k"], help="also score on this second public suite")
    parser.add_argument("--update-floors", action="store_true", help="raise bench/floors.json to our scores")
    parser.add_argument("--allow-lower", action="store_true", help="with --update-floors: may lower floors")
    parser.add_argument("--no-write", action="store_true", help="print only: leave BENCHMARKS.md and JSON")
    args = parser.parse_args(argv)
    if args.allow_lower and not args.update_floors:
        parser.error("--allow-lower only makes sense with --update-floors")
    chosen = [e for e in EXTRACTORS if not args.only or e.name in args.only]
    if args.update_floors and OURS not in [e.name for e in chosen]:
        parser.error(f"--update-floors needs {OURS} among the extractors")
    extractors = {e.name: e for e in EXTRACTORS}

    try:
        pages = load_bench_pages()
    except BenchDataMissing as exc:
        print(f"bench.quality: {exc}", file=sys.stderr)
        return 1 if os.environ.get("CI") == "true" else 0
    bench, missing = [], []
    for extractor in chosen:
        print(f"scoring {extractor.name} on {len(pages)} pages ...", file=sys.stderr, flush=True)
        result = score(extractor, pages)
        if result is None:
            missing.append(f"{extractor.name} (pip install {extractor.package})")
        else:
            bench.append(result)
    suite = None
    if args.suite:
        suite_pages = load_newspaper4k_suite()
        suite = []
        for extractor in chosen:
            print(f"scoring {extractor.name} on the {args.suite} suite ...", file=sys.stderr, flush=True)
            if (result := score(extractor, suite_pages)) is not None:
                suite.append(result)

    section = markdown(bench, suite, missing, extractors)
    print(section)
    if not args.no_write:
        write_markdown(section)
        JSON_OUT.parent.mkdir(parents=True, exist_ok=True)
        JSON_OUT.write_text(json.dumps(to_json(bench, suite), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {BENCHMARKS_MD.name} (between the quality markers) and {JSON_OUT}", file=sys.stderr)
    status = 0
    ours = next((r for r in bench if r.name == OURS), None)
    if args.update_floors and ours is not None and ours.summary is not None:
        refused = update_floors(ours.summary, args.allow_lower)
        for message in refused:
            print(f"bench.quality: refusing to lower a floor: {message}", file=sys.stderr)
        status = 1 if refused else 0
        print(f"floors: {json.dumps(load_floors())}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
