"""Process-pool entry points: each worker builds its CleaningOptions once, then cleans many documents.

trafilatura and langdetect are CPU-bound and hold the GIL, so both the crawl and `presswash clean` run
them in worker processes with :func:`init_worker` as initializer. Only picklable values cross the process
boundary: the options (or a config path) in, RawDocument in, Article/Rejected out.
"""

from __future__ import annotations

import multiprocessing
import signal
from functools import lru_cache
from typing import Any

from cleaners.article import CleanResult
from cleaners.budget import clean_within_budget
from cleaners.document import RawDocument
from cleaners.options import CleaningOptions, load_options

_options: CleaningOptions | None = None


def init_worker(config: CleaningOptions | str | None) -> None:
    """Pool initializer: the options (given, or loaded from a config path), rules, trafilatura settings and
    langdetect profiles, once per process.

    Ctrl-C reaches the whole process group: a worker ignores it, so only the parent stops (and shuts the
    pool down), instead of every worker printing a KeyboardInterrupt traceback."""
    global _options
    if multiprocessing.parent_process() is not None:  # a pool's worker, never a process calling us inline
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _options = config if isinstance(config, CleaningOptions) else load_options(config)
    _overridden.cache_clear()
    from cleaners.language import warm_up

    warm_up(_options.language_seed, _options.language_backend)


@lru_cache(maxsize=64)
def _overridden(overrides: tuple[tuple[str, Any], ...]) -> CleaningOptions:
    assert _options is not None
    return _options.replace(**dict(overrides)) if overrides else _options


def clean_in_worker(raw: RawDocument, overrides: tuple[tuple[str, Any], ...] = ()) -> CleanResult:
    """Clean one document with the worker's options, optionally with per-site overrides
    (e.g. ``(("min_words", 50), ("languages", ("de",)))``), each built once and cached, within the
    per-document budget (cleaners.budget)."""
    if _options is None:
        init_worker(None)
    return clean_within_budget(raw, _overridden(overrides))[0]


def clean_file_in_worker(path: str, overrides: tuple[tuple[str, Any], ...] = ()) -> CleanResult:
    """Read (and gunzip) a file in the worker, so the parent only hands out paths."""
    from cleaners.sources import read_file

    if _options is None:
        init_worker(None)
    options = _overridden(overrides)
    raw = read_file(path, options.max_bytes)
    return raw if not isinstance(raw, RawDocument) else clean_within_budget(raw, options)[0]
