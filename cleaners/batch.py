"""Cleaning many local inputs on all cores, writing results in input order.

Results are written in the order the inputs were given (not the order workers finish), so the same
inputs always give the same JSON lines. A bounded window of pending tasks keeps memory flat however
many documents there are. With ``dedup`` settings, duplicates within the run are dropped (and counted
as ``duplicate``) and an article seen again with other text gets the next ``version``, as in a crawl:
re-cleaning a crawl's WARC archive then gives back the crawl's versions too.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import IO

from cleaners.article import Article, CleanResult, Rejected
from cleaners.core import not_article
from cleaners.dedup import DedupIndex, DedupSettings, Duplicate, MemoryDedupStore
from cleaners.document import RawDocument
from cleaners.jsonl import JsonlWriter
from cleaners.options import CleaningOptions, load_options
from cleaners.sources import FileInput, InputItem, WarcInput, expand_inputs, iter_warc, read_file
from cleaners.stats import RunStats
from cleaners.worker import clean_file_in_worker, clean_in_worker, init_worker

# Tasks in flight per worker: enough to hide IPC latency, few enough that memory stays flat.
_WINDOW_PER_WORKER = 8


def _flatten(items: Iterable[InputItem], max_bytes: int) -> Iterator[FileInput | RawDocument | Rejected]:
    for item in items:
        if isinstance(item, WarcInput):
            yield from iter_warc(item.path, max_bytes)
        else:
            yield item


def _results_in_process(
    tasks: Iterable[FileInput | RawDocument | Rejected], options: CleaningOptions
) -> Iterator[CleanResult]:
    from cleaners.core import clean

    for task in tasks:
        if isinstance(task, Rejected):
            yield task
        elif isinstance(task, FileInput):
            raw = read_file(task.path, options.max_bytes)
            yield raw if isinstance(raw, Rejected) else clean(raw, options)
        else:
            yield clean(task, options)


def _results_in_pool(
    tasks: Iterable[FileInput | RawDocument | Rejected], workers: int, config_path: str | None
) -> Iterator[CleanResult]:
    window: deque[Future[CleanResult] | Rejected] = deque()
    with ProcessPoolExecutor(max_workers=workers, initializer=init_worker, initargs=(config_path,)) as pool:
        try:
            for task in tasks:
                if isinstance(task, Rejected):
                    window.append(task)
                elif isinstance(task, FileInput):
                    window.append(pool.submit(clean_file_in_worker, task.path))
                else:
                    window.append(pool.submit(clean_in_worker, task))
                while len(window) >= workers * _WINDOW_PER_WORKER:
                    yield _result(window.popleft())
            while window:
                yield _result(window.popleft())
        except BaseException:
            for pending in window:
                if isinstance(pending, Future):
                    pending.cancel()
            raise


def _result(pending: Future[CleanResult] | Rejected) -> CleanResult:
    return pending if isinstance(pending, Rejected) else pending.result()


def clean_inputs(
    specs: list[str],
    *,
    output: str | Path | IO[str] | None = None,
    workers: int = 2,
    config_path: str | None = None,
    progress: bool = False,
    on_result: Callable[[CleanResult], None] | None = None,
    dedup: DedupSettings | None = None,
    articles_only: bool = False,
    fetch: Callable[[str], RawDocument | Rejected] | None = None,
    total: int | None = None,
) -> RunStats:
    """Clean every input named by ``specs`` and write one JSON line per article to ``output``.

    ``dedup``: deduplicate within this run (an in-memory index; nothing is kept between runs).
    ``articles_only``: pages that are not articles (``page_type``) are rejected as not_article.
    ``fetch``: how URLs among ``specs`` are fetched (cleaners.fetch.Fetcher by default).
    ``total``: how many documents to expect, for the progress bar's percentage and ETA (None: unknown)."""
    options = load_options(config_path)
    index = DedupIndex(MemoryDedupStore(), dedup) if dedup is not None else None
    tasks = _flatten(expand_inputs(specs, fetch), options.max_bytes)
    if workers <= 1:
        results = _results_in_process(tasks, options)
    else:
        results = _results_in_pool(tasks, workers, options.config_path)

    stats = RunStats()
    writer = JsonlWriter(output if output is not None else sys.stdout)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="doc", file=sys.stderr, dynamic_ncols=True)
    try:
        for result in results:
            stats.read += 1
            if articles_only and isinstance(result, Article):
                result = not_article(result) or result
            if isinstance(result, Article) and index is not None:
                admitted = index.admit(result)
                if isinstance(admitted, Duplicate):
                    result = admitted.to_rejected(result.source_path or result.url or result.id)
                else:
                    result = admitted
                    index.record(admitted)  # in memory, before the write: a failed write ends the run anyway
            if isinstance(result, Article):
                writer.write_line(result.to_json_line())
                stats.count_written()
            else:
                stats.count_rejected(result)
            if on_result is not None:
                on_result(result)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(written=stats.written, rejected=stats.total_rejected, refresh=False)
    finally:
        writer.close()
        if bar is not None:
            bar.close()
        stats.finish()
    return stats


__all__ = ["RawDocument", "clean_inputs"]
