"""The development corpora the quality harness scores, each read from outside the project.

| corpus | where (default) | env override | pages | metric |
|---|---|---|---|---|
| scrapinghub | ``../shared/bench`` | ``PRESSWASH_BENCH_DIR`` | 92 articles | shingle F1 |
| wcxb | ``../shared/bench-wcxb`` | ``PRESSWASH_WCXB_DIR`` | 793 articles + 704 other pages | word F1 (+ shingle) |
| fundus | ``../shared/bench-fundus`` | ``PRESSWASH_FUNDUS_DIR`` | 80 articles, 16 publishers | shingle F1 |

None of them ships with presswash (licences and size): each loader raises :class:`BenchDataMissing` with
the path it looked in, and callers skip (or fail under ``CI=true``). Each README in those folders gives
the format and the corpus's own metric; ``bench/metric.py`` implements them.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench._corpus import PROJECT_ROOT, BenchDataMissing, bench_dir

SHARED = PROJECT_ROOT.parent / "shared"


@dataclass(frozen=True, slots=True)
class Page:
    """One page with what the corpus says is true of it (text always; metadata where the corpus has it)."""

    id: str
    html: bytes
    truth: str
    url: str | None = None
    title: str | None = None
    author: str | None = None
    date: str | None = None
    page_type: str = "article"
    with_snippets: tuple[str, ...] = ()
    without_snippets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Corpus:
    """A scored set of pages: ``metric`` is the corpus's own ("shingle" or "word")."""

    name: str
    description: str
    metric: str
    articles: list[Page]
    has_metadata: bool = False
    others: list[Page] = field(default_factory=list)  # pages that are not articles (page-type scoring)


def _directory(env: str, default: Path, required: tuple[str, ...]) -> Path:
    path = Path(os.environ.get(env, default))
    if not all((path / name).exists() for name in required):
        raise BenchDataMissing(f"corpus not found at {path} (expected {', '.join(required)}); set {env} to its folder")
    return path


def load_scrapinghub() -> Corpus:
    directory = bench_dir()
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    pages = [
        Page(page_id, _gunzip(directory / "html" / f"{page_id}.html.gz"), item["articleBody"], item.get("url"))
        for page_id, item in sorted(truth.items())
    ]
    return Corpus("scrapinghub", "scrapinghub article-extraction-benchmark, development half", "shingle", pages)


def wcxb_dir() -> Path:
    return _directory("PRESSWASH_WCXB_DIR", SHARED / "bench-wcxb", ("ground-truth.json", "html"))


def load_wcxb() -> Corpus:
    directory = wcxb_dir()
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    articles, others = [], []
    for page_id, item in sorted(truth.items()):
        page = Page(
            page_id,
            _gunzip(directory / "html" / f"{page_id}.html.gz"),
            item.get("main_content") or "",
            item.get("url"),
            title=item.get("title"),
            author=item.get("author"),
            date=item.get("publish_date"),
            page_type=item.get("page_type") or "article",
            with_snippets=tuple(item.get("with") or ()),
            without_snippets=tuple(item.get("without") or ()),
        )
        (articles if page.page_type == "article" else others).append(page)
    return Corpus("wcxb", "WCXB development split (Foley 2026, CC-BY-4.0)", "word", articles, True, others)


def fundus_dir() -> Path:
    return _directory("PRESSWASH_FUNDUS_DIR", SHARED / "bench-fundus", ("ground-truth.json", "html"))


def load_fundus() -> Corpus:
    directory = fundus_dir()
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    pages = [
        Page(
            name.removesuffix(".html.gz"),
            _gunzip(directory / "html" / name),
            "\n".join(item["body"]),
            item.get("url"),
        )
        for name, item in sorted(truth.items())
    ]
    return Corpus("fundus", "Fundus evaluation corpus (Dobberstein 2024, MIT)", "shingle", pages)


LOADERS: dict[str, Callable[[], Corpus]] = {
    "scrapinghub": load_scrapinghub,
    "wcxb": load_wcxb,
    "fundus": load_fundus,
}


def _gunzip(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())
