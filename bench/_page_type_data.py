"""The labelled pages the page-type model learns from and is measured on, with their extracted text.

The corpora are NOT part of this project: they stay in ``../shared`` (beside the project root), or where
``PRESSWASH_WCXB_DIR``, ``PRESSWASH_BENCH_DIR`` and ``PRESSWASH_FUNDUS_DIR`` point. :func:`load_pages`
raises :class:`bench._corpus.BenchDataMissing` naming the folder when one is absent.

The ``text`` given to :func:`cleaners.page_type.classify_page` at training time is trafilatura's default
extraction (``bare_extraction(html, with_metadata=True)``), close to what presswash's own extraction gives
at run time. Extracting 1,669 pages takes a few minutes, so the results are cached in
``output/page_type_extractions.json`` (git-ignored), keyed by corpus, page id, trafilatura version and
the page's size; a changed page or another trafilatura version is extracted again.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import trafilatura

from bench._corpus import PROJECT_ROOT, BenchDataMissing
from cleaners.decode import decode_html

SHARED = PROJECT_ROOT.parent / "shared"
CORPORA = {
    # name: (environment variable, default folder, page type when the ground truth has none)
    "wcxb": ("PRESSWASH_WCXB_DIR", SHARED / "bench-wcxb", None),
    "scrapinghub": ("PRESSWASH_BENCH_DIR", SHARED / "bench", "article"),
    "fundus": ("PRESSWASH_FUNDUS_DIR", SHARED / "bench-fundus", "article"),
}
CACHE = PROJECT_ROOT / "output" / "page_type_extractions.json"


@dataclass(slots=True)
class Page:
    corpus: str
    page_id: str
    url: str | None
    page_type: str
    html: str
    text: str
    title: str | None
    published: str | None
    authors: list[str]

    @property
    def group(self) -> str:
        """The site a page comes from (host without ``www.``), so one site never sits on both CV sides."""
        host = (urlsplit(self.url).hostname or "") if self.url else ""
        host = host.removeprefix("www.")
        return host or f"{self.corpus}:{self.page_id}"


def corpus_dir(name: str) -> Path:
    variable, default, _ = CORPORA[name]
    path = Path(os.environ.get(variable, default))
    if not (path / "ground-truth.json").exists() or not (path / "html").is_dir():
        raise BenchDataMissing(
            f"{name} corpus not found at {path} (expected ground-truth.json and html/); set {variable} to it"
        )
    return path


def _extract(html: str, url: str | None) -> dict[str, object]:
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if doc is None:
        return {"text": "", "title": None, "date": None, "author": None}
    return {"text": doc.text or "", "title": doc.title, "date": doc.date, "author": doc.author}


def load_pages(corpora: tuple[str, ...] = ("wcxb", "scrapinghub", "fundus"), *, verbose: bool = True) -> list[Page]:
    """Every page of the given corpora with its true page type and trafilatura's extraction (cached)."""
    cache: dict[str, dict[str, object]] = {}
    if CACHE.exists():
        cache = json.loads(CACHE.read_text(encoding="utf-8"))
    dirty = 0
    pages: list[Page] = []
    for name in corpora:
        path = corpus_dir(name)
        truth = json.loads((path / "ground-truth.json").read_text(encoding="utf-8"))
        default_type = CORPORA[name][2]
        for key in sorted(truth):
            entry = truth[key]
            page_id = key.removesuffix(".html.gz").removesuffix(".html")
            raw = gzip.decompress((path / "html" / f"{page_id}.html.gz").read_bytes())
            html = decode_html(raw, None)
            url = entry.get("url") or None
            cache_key = f"{name}/{page_id}/{trafilatura.__version__}/{len(raw)}"
            if cache_key not in cache:
                cache[cache_key] = _extract(html, url)
                dirty += 1
                if verbose and dirty % 100 == 0:
                    print(f"  extracted {dirty} pages...", flush=True)
            got = cache[cache_key]
            author = got.get("author")
            pages.append(
                Page(
                    corpus=name,
                    page_id=page_id,
                    url=url,
                    page_type=entry.get("page_type") or default_type or "article",
                    html=html,
                    text=str(got.get("text") or ""),
                    title=got.get("title"),  # type: ignore[arg-type]
                    published=got.get("date"),  # type: ignore[arg-type]
                    authors=[a.strip() for a in str(author).split(";") if a.strip()] if author else [],
                )
            )
    if dirty:
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(json.dumps(cache, sort_keys=True), encoding="utf-8")
    return pages
