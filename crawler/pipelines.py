"""Thin adapters from Scrapy to the cleaning core: clean (in a process pool), deduplicate, write JSON lines.

trafilatura and langdetect are CPU-bound and hold the GIL: run in a callback they stall Scrapy's event
loop and fetching with it. So CleanPipeline sends each RawDocument to a ProcessPoolExecutor and awaits
the future; fetching goes on while the workers clean. The pool is created in ``open_spider`` and shut
down in ``close_spider``, shared (reference-counted) by the crawlers of one process, so a multi-site run
uses one worker per core rather than one pool per site.

DedupPipeline sits between the two (cleaners.dedup over the crawl's state store): a duplicate is
dropped with the id of the article it duplicates, an update of a known article gets its next version.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import ValidationError
from scrapy import signals
from scrapy.exceptions import NotConfigured

from cleaners.article import Article, CleanResult, Rejected, RejectReason
from cleaners.budget import clean_within_budget
from cleaners.dedup import DedupSettings, Duplicate
from cleaners.document import RawDocument
from cleaners.jsonl import JsonlWriter, read_jsonl
from cleaners.options import CleaningOptions, load_options
from cleaners.worker import clean_in_worker
from crawler.cleaning_worker import init_crawl_worker
from crawler.extensions import Rejection
from crawler.items import PageItem
from crawler.recurring import SharedState, dedup_settings, state_enabled
from crawler.state import SqliteStateStore, StateSettings

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

CLEAN_MODES = ("pool", "inline")


class SharedPool:
    """A process pool of cleaning workers, shared by every crawler of the process that asks for the same
    config and size, and shut down when the last of them releases it.

    Workers start from a forkserver that has already imported the cleaning code: forking the crawl
    process itself would copy a running event loop and its threads into every worker. They exit on
    their own if the crawl is killed (crawler.cleaning_worker).
    """

    _pools: ClassVar[dict[tuple[str | None, int], SharedPool]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, config_path: str | None, workers: int) -> None:
        self.key = (config_path, workers)
        self.config_path = config_path
        self.workers = workers
        self.users = 0
        self.executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["crawler.cleaning_worker"])
        executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=init_crawl_worker,
            initargs=(self.config_path, os.getpid()),
        )
        for _ in range(self.workers):  # start the workers now, while the first requests are in flight
            executor.submit(os.getpid)
        return executor

    @classmethod
    def acquire(cls, config_path: str | None, workers: int) -> SharedPool:
        with cls._lock:
            pool = cls._pools.get((config_path, workers))
            if pool is None:
                pool = cls._pools[(config_path, workers)] = cls(config_path, workers)
            pool.users += 1
            return pool

    def release(self) -> None:
        with self._lock:
            self.users -= 1
            if self.users > 0:
                return
            self._pools.pop(self.key, None)
        self.executor.shutdown(wait=True, cancel_futures=True)

    async def clean(self, raw: RawDocument, overrides: tuple[tuple[str, Any], ...]) -> CleanResult:
        """Clean in a worker. If a worker died (a crash in a C extension, the OOM killer), the pool is
        replaced and the document tried once more; dying twice makes it an internal_error."""
        for attempt in (1, 2):
            executor = self.executor
            try:
                return await asyncio.wrap_future(executor.submit(clean_in_worker, raw, overrides))
            except BrokenProcessPool as exc:
                logger.error("cleaning worker died on %s (attempt %d): %s", raw.source, attempt, exc)
                with self._lock:
                    if self.executor is executor:
                        self.executor = self._new_executor()
                        executor.shutdown(wait=False, cancel_futures=True)
        return Rejected(RejectReason.INTERNAL_ERROR, "cleaning worker died twice", raw.source)


class CleanPipeline:
    """PageItem -> the Article as a dict, or DropItem (Rejection) with the cleaner's reason."""

    def __init__(
        self,
        *,
        config_path: str | None = None,
        mode: str = "pool",
        workers: int | None = None,
        stats: Any = None,
    ) -> None:
        if mode not in CLEAN_MODES:
            raise ValueError(f"PRESSWASH_CLEAN_MODE: {mode!r} is not one of {', '.join(CLEAN_MODES)}")
        self.config_path = config_path
        self.mode = mode
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.stats = stats
        self._pool: SharedPool | None = None
        self._options: CleaningOptions | None = None
        self._inline_options: dict[tuple[tuple[str, Any], ...], CleaningOptions] = {}
        self._logged_reasons: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        workers = settings.get("PRESSWASH_CLEAN_WORKERS")
        return cls(
            config_path=settings.get("PRESSWASH_CONFIG"),
            mode=settings.get("PRESSWASH_CLEAN_MODE", "pool"),
            workers=int(workers) if workers else None,
            stats=crawler.stats,
        )

    def open_spider(self) -> None:
        # Loaded here too, not only in the workers: a broken presswash.yaml stops the crawl at once,
        # with its file and key, instead of breaking every worker later.
        self._options = load_options(self.config_path)
        if self.mode == "pool":
            self._pool = SharedPool.acquire(self.config_path, self.workers)

    def close_spider(self) -> None:
        if self._pool is not None:
            self._pool.release()
            self._pool = None

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        if self._pool is not None:
            result = await self._pool.clean(item.raw, item.overrides)
        else:
            result = clean_within_budget(item.raw, self._inline(item.overrides))[0]
        if isinstance(result, Article):
            return result.model_dump(mode="json")
        self._count(result)
        raise Rejection(result)

    def _inline(self, overrides: tuple[tuple[str, Any], ...]) -> CleaningOptions:
        assert self._options is not None, "open_spider was not called"
        if overrides not in self._inline_options:
            self._inline_options[overrides] = self._options.replace(**dict(overrides))
        return self._inline_options[overrides]

    def _count(self, rejected: Rejected) -> None:
        reason = rejected.reason.value
        group = "failed" if rejected.reason.is_failure else "rejected"
        if self.stats is not None:
            self.stats.inc_value(f"presswash/{group}/{reason}")
        if reason not in self._logged_reasons:  # log the first of a kind, count all of them
            self._logged_reasons.add(reason)
            logger.info("first article %s as %s: %s (%s)", group, reason, rejected.source, rejected.detail)


def _import_minhash() -> None:
    import datasketch  # noqa: F401


class DedupPipeline:
    """The cleaned article (a dict) -> the same dict with its ``version`` set, or DropItem (Rejection,
    reason ``duplicate``, with the original's id) for a URL, content or near duplicate.

    The index is shared by every site of the process and lives in the state store, so duplicates are
    caught across runs and sites. An article is *recorded* only once it has been written
    (``item_scraped``, i.e. after the JSON-lines writer); until then it is held in flight, so two
    copies cleaned at the same time are still caught, and a later stage dropping it releases it.

    On open, the site's newest output file (and this run's) is replayed into the index: an article
    written just before a kill, but not yet recorded, is recorded then rather than written again.
    """

    def __init__(
        self,
        *,
        state_path: str,
        dedup: DedupSettings | None = None,
        output_dir: str | Path = "output",
        site: str = "unnamed",
        run_date: str = "undated",
        stats: Any = None,
        state_settings: StateSettings | None = None,
        replay: bool = True,
    ) -> None:
        self.state_path = state_path
        self.dedup = dedup
        self.state_settings = state_settings
        self.replay = replay  # off for a one-off crawl without state (PRESSWASH_STATE=off): nothing to recover
        self.site_dir = Path(output_dir) / site
        self.run_file = self.site_dir / f"{run_date}.jsonl"
        self.stats = stats
        self._shared: SharedState | None = None
        self._logged_kinds: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        state_path = settings.get("PRESSWASH_STATE_PATH")
        if not state_path:
            raise NotConfigured("PRESSWASH_STATE_PATH is not set (not a presswash NewsSpider crawl)")
        pipeline = cls(
            state_path=state_path,
            dedup=dedup_settings(settings),
            output_dir=settings.get("PRESSWASH_OUTPUT_DIR") or "output",
            site=settings.get("PRESSWASH_SITE") or "unnamed",
            run_date=settings.get("PRESSWASH_RUN_DATE") or "undated",
            stats=crawler.stats,
            state_settings=StateSettings.model_validate(dict(settings.get("PRESSWASH_STATE_SETTINGS") or {})),
            replay=state_enabled(settings),
        )
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.item_error, signal=signals.item_error)
        pipeline.warm_up()
        return pipeline

    def warm_up(self) -> None:
        """Start the index's one-time cost (importing datasketch, which pulls in scipy: ~0.9 s) in a
        thread, so it overlaps CleanPipeline.open_spider's wait for its workers instead of adding to the
        start of every crawl. Python's import lock makes open_spider wait for it if it is not done."""
        settings = self.dedup or DedupSettings()
        if settings.enabled and settings.near_duplicates:
            thread = threading.Thread(target=_import_minhash, daemon=True)
            thread.start()

    def open_spider(self) -> None:
        self._shared = shared = SharedState.acquire(self.state_path, self.dedup)
        pruned = shared.index.prune()
        if pruned:
            logger.info("dedup: forgot %d near-duplicate signatures older than the window", pruned)
        if isinstance(shared.store, SqliteStateStore) and self.state_settings is not None:
            # Retention and file size, in short transactions within state.maintenance_seconds
            # (docs/recurring.md, "State over months").
            done = shared.store.maintain(self.state_settings)
            if any(done.values()):
                logger.info(
                    "state: forgot %d fetch records and %d articles past their retention; %d pages given back",
                    done["fetches"],
                    done["articles"],
                    done["pages_freed"],
                )
        for path in self._replay_files():
            shared.index.replay(read_jsonl(path))

    def _replay_files(self) -> list[Path]:
        if not self.replay:
            return []
        files = sorted(self.site_dir.glob("*.jsonl")) if self.site_dir.is_dir() else []
        chosen = files[-1:]
        if self.run_file.is_file() and self.run_file not in chosen:
            chosen.append(self.run_file)
        return chosen

    def close_spider(self) -> None:
        if self._shared is not None:
            self._shared.release()
            self._shared = None

    def process_item(self, item: Any) -> Any:
        if self._shared is None or not isinstance(item, dict):
            return item
        try:
            article = Article.model_validate(item)
        except ValidationError:
            return item  # not one of our articles (another pipeline's item): not ours to judge
        result = self._shared.index.admit(article)
        if isinstance(result, Duplicate):
            self._count(result, article)
            raise Rejection(result.to_rejected(article.url or article.id), duplicate_of=result.original_id)
        if item.get("version") == result.version:
            return item
        return {**item, "version": result.version}

    def _count(self, duplicate: Duplicate, article: Article) -> None:
        kind = duplicate.kind.value
        if self.stats is not None:
            self.stats.inc_value(f"presswash/duplicate/{kind}")
            self.stats.inc_value("presswash/rejected/duplicate")
        if kind not in self._logged_kinds:  # log the first of a kind, count all of them
            self._logged_kinds.add(kind)
            logger.info("first %s: %s", duplicate.detail, article.url)

    # -- signals: record once written, release when a later stage dropped it --

    def item_scraped(self, item: Any, response: Response) -> None:
        if self._shared is not None and isinstance(item, dict) and "id" in item:
            with contextlib.suppress(ValidationError):  # not one of our articles: process_item let it pass
                self._shared.index.record(item)

    def item_dropped(self, item: Any, response: Response, exception: BaseException) -> None:
        # A Rejection comes from the cleaner (never admitted) or from here (a duplicate, never admitted):
        # releasing by id would free the in-flight copy it duplicates.
        if not isinstance(exception, Rejection):
            self._release(item)

    def item_error(self, item: Any, response: Response, failure: Failure) -> None:
        self._release(item)

    def _release(self, item: Any) -> None:
        if self._shared is not None and isinstance(item, dict) and "id" in item:
            self._shared.index.release(item)


class JsonlWriterPipeline:
    """Appends each article to ``<output>/<site>/<run date>.jsonl`` as one whole line.

    Whole lines only, even when the process is killed: cleaners.jsonl writes each record with a single
    ``write()`` in append mode and trims a torn last line when the file is opened again.
    """

    def __init__(self, *, output_dir: str | Path, site: str, run_date: str) -> None:
        self.path = Path(output_dir) / site / f"{run_date}.jsonl"
        self._writer: JsonlWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(
            output_dir=settings.get("PRESSWASH_OUTPUT_DIR") or "output",
            site=settings.get("PRESSWASH_SITE") or "unnamed",
            run_date=settings.get("PRESSWASH_RUN_DATE") or "undated",
        )

    def open_spider(self) -> None:
        self._writer = JsonlWriter(self.path)
        if self._writer.repaired_bytes:
            logger.warning("%s: dropped a torn last line (%d bytes)", self.path, self._writer.repaired_bytes)

    def close_spider(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def process_item(self, item: Any) -> Any:
        if isinstance(item, dict) and self._writer is not None:
            self._writer.write(item)
        return item
