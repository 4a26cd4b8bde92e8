"""presswash's Python API: clean an HTML page, a text dump or a file, get an Article or a Rejected.

    from presswash import Article, clean_html

    result = clean_html(page_bytes, url="https://example.org/news/story.html")
    if isinstance(result, Article):
        print(result.title, result.word_count)
    else:
        print("rejected:", result.reason, result.detail)

Why a ``presswash`` package rather than names from ``cleaners``: the distribution and the command are called
presswash, so ``import presswash`` is what a user types, while ``cleaners`` and ``crawler`` are generic
top-level names that describe the project's layout and may change. Everything listed in ``__all__`` is
the stable, typed API (the package ships ``py.typed``); the rest is internal.

Every function here is thread-safe and process-safe: the options object is immutable and shared, each
call builds its own parse tree and state, and results (pydantic ``Article``, frozen ``Rejected``) pickle,
so ``concurrent.futures``, Dask or Spark can map :func:`clean_file` over paths (docs/api.md). Without
``options`` the settings are found by :func:`find_config`'s search order (:func:`default_options`).
Nothing here raises on a bad document: it comes back as a ``Rejected`` with its reason; only a broken
config file raises ``ConfigError``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from cleaners import __version__
from cleaners.article import SCHEMA_VERSION, Article, CleanResult, Rejected, RejectReason, Removal
from cleaners.config import ConfigError
from cleaners.core import clean
from cleaners.document import RawDocument
from cleaners.options import CleaningOptions, find_config, load_options

__all__ = [
    "SCHEMA_VERSION",
    "Article",
    "CleanResult",
    "CleaningOptions",
    "ConfigError",
    "RejectReason",
    "Rejected",
    "Removal",
    "__version__",
    "clean_file",
    "clean_html",
    "clean_text",
    "clean_warc",
    "default_options",
    "find_config",
    "load_options",
]


def default_options() -> CleaningOptions:
    """The options of the presswash.yaml found by :func:`find_config` (``$PRESSWASH_CONFIG``,
    ``./config/presswash.yaml``, the built-in defaults), read at each call so an edit is seen at once
    (about half a millisecond: the compiled rules, the costly part, are cached per file version). In a
    loop over many pages, build them once and pass ``options=``."""
    return load_options()  # no path: find_config's search order


def _to_bytes(content: str | bytes) -> tuple[bytes, str | None]:
    """Text is encoded as UTF-8 and declared so: a ``<meta charset>`` in the page must not re-decode it."""
    if isinstance(content, str):
        return content.encode("utf-8"), "utf-8"
    return bytes(content), None


def clean_html(
    html: str | bytes,
    url: str | None = None,
    *,
    options: CleaningOptions | None = None,
    fetched_at: datetime | None = None,
    site: str | None = None,
) -> CleanResult:
    """Clean one HTML page. ``bytes`` are decoded as a crawl would (BOM, ``<meta charset>``, detection);
    ``str`` is taken as already decoded. ``url`` gives the record its stable id and resolves the page's
    metadata; ``fetched_at`` bounds the publication date (a date after the fetch is dropped)."""
    content, charset = _to_bytes(html)
    raw = RawDocument(
        content=content,
        url=url,
        content_type=f"text/html; charset={charset}" if charset else "text/html",
        kind="html",
        fetched_at=fetched_at,
        site=site,
    )
    return clean(raw, options or default_options())


def clean_text(
    text: str | bytes,
    *,
    url: str | None = None,
    options: CleaningOptions | None = None,
    site: str | None = None,
) -> CleanResult:
    """Clean a text dump: the first non-empty line is the title, paragraphs are separated by blank lines."""
    content, charset = _to_bytes(text)
    raw = RawDocument(
        content=content,
        url=url,
        content_type=f"text/plain; charset={charset}" if charset else None,
        kind="text",
        site=site,
    )
    return clean(raw, options or default_options())


def clean_file(
    path: str | os.PathLike[str],
    *,
    url: str | None = None,
    options: CleaningOptions | None = None,
) -> CleanResult:
    """Clean one local file (``.html``, ``.htm``, ``.txt``, any of them gzipped; other names are sniffed).

    An unreadable or truncated file comes back as ``Rejected(read_error)`` naming the path; a file above
    ``max_bytes`` as ``too_large`` without being read whole. A WARC archive holds many pages: use
    :func:`clean_warc`.
    """
    from dataclasses import replace

    from cleaners.sources import is_warc, read_file

    name = os.fspath(path)
    if is_warc(name):
        raise ValueError(f"{name}: a WARC archive holds many pages; use presswash.clean_warc()")
    opts = options or default_options()
    raw = read_file(name, opts.max_bytes)
    if isinstance(raw, Rejected):
        return raw
    return clean(replace(raw, url=url) if url else raw, opts)


def clean_warc(path: str | os.PathLike[str], *, options: CleaningOptions | None = None) -> Iterator[CleanResult]:
    """Clean every HTML response of a WARC file (``.warc``, ``.warc.gz``), in archive order, each with its
    target URI and capture date; an unreadable archive yields one ``Rejected(read_error)``."""
    from cleaners.sources import iter_warc

    opts = options or default_options()
    for item in iter_warc(os.fspath(Path(path)), opts.max_bytes):
        yield item if isinstance(item, Rejected) else clean(item, opts)
