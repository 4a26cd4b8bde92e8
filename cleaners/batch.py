"""Cleaning many local inputs on all cores, writing results in input order.

Results are written in the order the inputs were given (not the order workers finish), so the same
inputs always give the same JSON lines. A bounded window of pending tasks keeps memory flat however
many documents there are. With ``dedup`` settings, duplicates within the run are dropped (and counted
as ``duplicate``) and an article seen again with other text gets the next ``version``, as in a crawl:
re-cleaning a crawl's WARC archive then gives back the crawl's versions too.

Output to a file is re-runnable (cleaners.batch.Output): lines go to ``FILE.partial``, renamed to
``FILE`` when the run ends, so an interrupted run never leaves lines that a re-run writes again;
``resume`` keeps an interrupted run's lines and skips the inputs they came from; ``append`` appends to
``FILE`` itself (the old behaviour, explicit). Every worker fault (death, hang, over budget) is counted
against its document and the run goes on (cleaners.pool).
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from cleaners.article import Article, CleanResult, Rejected
from cleaners.core import not_article
from cleaners.dedup import DedupIndex, DedupSettings, MemoryDedupStore
from cleaners.document import RawDocument
from cleaners.emit import Emitter
from cleaners.jsonl import JsonlWriter, read_jsonl
from cleaners.options import CleaningOptions, load_options
from cleaners.pool import CleaningPool, FileTask
from cleaners.sources import FileInput, InputItem, Skipped, WarcInput, expand_inputs, iter_warc, read_file
from cleaners.stats import RunStats

PARTIAL_SUFFIX = ".partial"

Item = FileTask | RawDocument | Rejected | Skipped
InputKey = tuple[str | None, ...]


def _flatten(items: Iterable[InputItem], max_bytes: int) -> Iterator[Item]:
    for item in items:
        if isinstance(item, WarcInput):
            yield from iter_warc(item.path, max_bytes)
        elif isinstance(item, FileInput):
            yield FileTask(item.path)
        else:
            yield item


def input_key(item: FileTask | RawDocument) -> InputKey:
    """What identifies an input across runs: its file, or for a WARC record also its URL and date."""
    if isinstance(item, FileTask):
        return (item.path, None, None)
    fetched = item.fetched_at.isoformat() if item.fetched_at is not None else None
    return (item.source_path, item.url, _normalized_date(fetched))


def article_key(record: dict[str, Any]) -> InputKey:
    """The input_key of the input an output line came from."""
    if record.get("url") is None:
        return (record.get("source_path"), None, None)
    return (record.get("source_path"), record.get("url"), _normalized_date(record.get("fetched_at")))


def _normalized_date(value: str | None) -> str | None:
    if not value:
        return None
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _results_in_process(items: Iterable[Item], options: CleaningOptions) -> Iterator[CleanResult | Skipped]:
    from cleaners.budget import clean_within_budget

    for item in items:
        if isinstance(item, Rejected | Skipped):
            yield item
        elif isinstance(item, FileTask):
            raw = read_file(item.path, options.max_bytes)
            yield raw if isinstance(raw, Rejected) else clean_within_budget(raw, options)[0]
        else:
            yield clean_within_budget(item, options)[0]


class OutputError(OSError):
    """The output cannot be written (disk full, permissions): the run stops, its stats say why."""


class Output:
    """Where the JSON lines go: stdout, a file appended to, or a file replaced at the end of the run.

    ``resume``: the lines an interrupted run left (in ``FILE.partial``, or in ``FILE`` itself with
    ``append``) are kept, and ``done`` holds the inputs they came from, which the run skips.
    """

    def __init__(self, target: str | Path | IO[str] | None, *, append: bool = False, resume: bool = False) -> None:
        self.final: Path | None = None
        self._lock: int | None = None
        self.done: set[InputKey] = set()
        self.existing: list[dict[str, Any]] = []
        if target is None or not isinstance(target, str | Path):
            self.path: Path | None = None
            self.writer = JsonlWriter(target if target is not None else sys.stdout)
            return
        final = Path(target)
        try:
            self._open(final, append=append, resume=resume)
        except OutputError:
            raise
        except OSError as exc:
            raise OutputError(exc.errno, f"cannot write {final}: {exc.strerror or exc}") from exc

    def _open(self, final: Path, *, append: bool, resume: bool) -> None:
        self._lock_output(final)
        if append:
            self.path = final
        else:
            self.final = final
            self.path = final.with_name(final.name + PARTIAL_SUFFIX)
            if resume and not self.path.exists() and final.exists():
                shutil.copyfile(final, self.path)  # resuming a finished run: its lines are kept, inputs skipped
            elif not resume:
                self.path.unlink(missing_ok=True)  # a fresh run never inherits an interrupted run's lines
        self.writer = JsonlWriter(self.path)  # truncates a torn last line first
        if resume:
            for record in read_jsonl(self.path):
                self.done.add(article_key(record))
                self.existing.append(record)

    def _lock_output(self, final: Path) -> None:
        """Two runs into one output would interleave their lines: the second one stops at once. The lock
        (flock on ``FILE.lock``, which stays) goes away with the process, however it ends. A device
        (``--append -o /dev/stdout``) is not locked."""
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists() and not final.is_file():
            return
        self._lock = os.open(final.with_name(final.name + ".lock"), os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            self._lock = None
            raise OutputError(errno.EBUSY, f"another presswash clean is writing {final}") from None

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def write_line(self, line: str) -> None:
        try:
            self.writer.write_line(line)
        except BrokenPipeError:
            if self.path is None:
                raise  # stdout's reader went away (`| head`): the CLI ends quietly, as a filter does
            raise OutputError(errno.EPIPE, f"cannot write {self.path}: broken pipe") from None
        except OSError as exc:
            raise OutputError(exc.errno, f"cannot write {self.path or 'stdout'}: {exc.strerror or exc}") from exc

    def commit(self) -> None:
        """The run is over: make the lines durable and, unless appending, put the file in place."""
        try:
            self.writer.sync()
            self.writer.close()
            if self.final is not None and self.path is not None:
                os.replace(self.path, self.final)
            self._unlock()
        except OSError as exc:
            raise OutputError(exc.errno, f"cannot finish {self.final or self.path}: {exc.strerror or exc}") from exc

    def abandon(self) -> None:
        """The run was interrupted: keep the partial file for ``--resume``."""
        self.writer.close()
        self._unlock()


def clean_inputs(
    specs: list[str],
    *,
    output: str | Path | IO[str] | None = None,
    workers: int = 2,
    config_path: str | None = None,
    options: CleaningOptions | None = None,
    progress: bool = False,
    on_result: Callable[[CleanResult], None] | None = None,
    dedup: DedupSettings | None = None,
    articles_only: bool = False,
    append: bool = False,
    resume: bool = False,
    fetch: Callable[[str], RawDocument | Rejected] | None = None,
    total: int | None = None,
    learn_template: Callable[[Article], CleanResult] | None = None,
    overrides: tuple[tuple[str, Any], ...] = (),
) -> RunStats:
    """Clean every input named by ``specs`` and write one JSON line per article to ``output``.

    ``dedup``: deduplicate within this run (an in-memory index; nothing is kept between runs, except
    that ``resume`` re-reads the interrupted run's lines into it). ``articles_only``: pages that are not
    articles (``page_type``) are rejected as not_article. The returned stats carry ``interrupted``
    (Ctrl-C, SIGTERM) or ``output_error`` (disk full) in ``extra`` when the run stopped early; the
    output's lines are then kept for ``resume``.
    ``fetch``: how URLs among ``specs`` are fetched (cleaners.fetch.Fetcher by default).
    ``total``: how many documents to expect, for the progress bar's percentage and ETA (None: unknown).
    ``learn_template``: learned site boilerplate (cleaners.site_template.BatchTemplateStage), applied to
    each article in input order before deduplication.
    ``overrides``: one site's cleaning options (crawler.sites.SiteConfig.cleaning_overrides: min_words,
    languages, articles_only, its boilerplate rules) applied to every input, in the pool as inline, so a
    site's raw archive is cleaned as its crawl cleaned it.
    """
    options = options or load_options(config_path)  # given: the caller has read presswash.yaml already
    stats = RunStats()
    sink = Output(output, append=append, resume=resume)
    index = DedupIndex(MemoryDedupStore(), dedup) if dedup is not None else None
    if index is not None:
        for record in sink.existing:
            index.record(record)
    emitter = Emitter(index, stats)
    already = 0

    def not_done(items: Iterable[Item]) -> Iterator[Item]:
        nonlocal already
        for item in items:
            if sink.done and isinstance(item, FileTask | RawDocument) and input_key(item) in sink.done:
                already += 1
                continue
            yield item

    items = not_done(_flatten(expand_inputs(specs, options.max_bytes, fetch), options.max_bytes))
    pool = CleaningPool(workers, options, options.max_seconds, overrides=overrides) if workers > 1 else None
    inline = options.replace(**dict(overrides)) if overrides else options
    results = pool.results(items) if pool is not None else _results_in_process(items, inline)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="doc", file=sys.stderr, dynamic_ncols=True)
    finished = False
    try:
        for result in results:
            with interrupts_deferred():  # a result is read, written and counted, or not read at all
                stats.read += 1
                if isinstance(result, Skipped):
                    stats.count_skipped(result.reason, result.source, result.detail)
                    continue
                if articles_only and isinstance(result, Article):
                    result = not_article(result) or result
                if learn_template is not None and isinstance(result, Article):
                    result = learn_template(result)  # before the Emitter: a learned line is gone before dedup
                try:
                    result = emitter.emit(result, sink.write_line)  # admit -> write -> record -> count
                except OutputError:
                    stats.failed["write_error"] += 1
                    raise
                if on_result is not None:
                    on_result(result)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(written=stats.written, rejected=stats.total_rejected, refresh=False)
        finished = True
    except OutputError as exc:
        stats.extra["output_error"] = exc.strerror
        if exc.errno == errno.ENOSPC:
            stats.extra["output_error"] += " (disk full)"
    except KeyboardInterrupt:
        stats.extra["interrupted"] = True
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # stops the pool's workers now, not when the generator is collected
        if bar is not None:
            bar.close()
    if already:
        stats.extra["already_written"] = already
    if pool is not None and pool.replaced:
        stats.extra["workers_replaced"] = pool.replaced
    if finished:
        try:
            sink.commit()
        except OutputError as exc:
            stats.extra["output_error"] = exc.strerror
            finished = False
    else:
        sink.abandon()
        if sink.path is not None:
            stats.extra["partial_output"] = str(sink.path)
    stats.finish()
    return stats


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait for the end of the block, then act as they would have.

    A stop raised in the middle of recording one result (its line written, its count not yet) left the
    run's stats short of one input (``accounted`` false) and the partial output one line ahead of them.
    Python runs signal handlers in the main thread between bytecodes: a handler that only notes the signal,
    restored at the end of the block and the signal raised again, moves the stop to the block's end. Only
    in the main thread (elsewhere no handler can be set, and none runs). Cost: eight system calls a document."""
    previous = {signum: signal.getsignal(signum) for signum in _STOP_SIGNALS}
    if threading.current_thread() is not threading.main_thread() or None in previous.values():
        yield  # None: a handler set outside Python, which could not be put back
        return
    pending: list[int] = []
    for signum in _STOP_SIGNALS:
        signal.signal(signum, lambda signum, _frame: pending.append(signum))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(pending):
            signal.raise_signal(signum)  # the handler the caller had: KeyboardInterrupt, exit, or nothing


__all__ = ["Output", "OutputError", "RawDocument", "clean_inputs", "interrupts_deferred"]
