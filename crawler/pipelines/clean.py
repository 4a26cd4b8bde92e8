"""CleanPipeline: page -> Article or Rejected, in a process pool shared by the crawlers of one process.

trafilatura and langdetect are CPU-bound and hold the GIL: run in a callback they stall Scrapy's event
loop and fetching with it. So CleanPipeline sends each RawDocument to a ProcessPoolExecutor and awaits
the future; fetching goes on while the workers clean. The pool is created in ``open_spider`` and shut
down in ``close_spider``, shared (reference-counted) by the crawlers of one process, so a multi-site run
uses one worker per core rather than one pool per site.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, ClassVar

from cleaners.article import Article, CleanResult, Rejected, RejectReason
from cleaners.budget import HARD_GRACE_SECONDS, clean_within_budget
from cleaners.document import RawDocument
from cleaners.options import CleaningOptions
from cleaners.worker import clean_in_worker
from crawler.cleaning_worker import init_crawl_worker
from crawler.config import load_config
from crawler.items import PageItem, Rejection
from crawler.registry import SharedRegistry

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler


logger = logging.getLogger(__name__)


CLEAN_MODES = ("pool", "inline")


class SharedPool:
    """A process pool of cleaning workers, shared by every crawler of the process that asks for the same
    config and size, and shut down when the last of them releases it.

    Workers start from a forkserver that has already imported the cleaning code: forking the crawl
    process itself would copy a running event loop and its threads into every worker. They exit on
    their own if the crawl is killed (crawler.cleaning_worker).
    """

    _registry: ClassVar[SharedRegistry[tuple[str | None, int], SharedPool]] = SharedRegistry()

    def __init__(self, config_path: str | None, workers: int) -> None:
        self.key = (config_path, workers)
        self.config_path = config_path
        self.workers = workers
        self._lock = threading.Lock()  # guards replacing a broken executor
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
        return cls._registry.acquire((config_path, workers), lambda: cls(config_path, workers))

    def release(self) -> None:
        if not self._registry.release(self.key):
            return  # another crawler of this process still uses it
        self.executor.shutdown(wait=True, cancel_futures=True)

    async def clean(
        self,
        raw: RawDocument,
        overrides: tuple[tuple[str, Any], ...],
        hard_seconds: float = 0.0,
        work: Callable[[RawDocument, tuple[tuple[str, Any], ...]], CleanResult] = clean_in_worker,
    ) -> CleanResult:
        """Clean in a worker. If a worker died (a crash in a C extension, the OOM killer), the pool is
        replaced and the document tried once more; dying twice makes it an internal_error.

        ``hard_seconds`` (the budget's ``max_seconds`` plus HARD_GRACE_SECONDS; 0: none): a worker still
        cleaning after it is stuck where the budget's alarm cannot land (inside a C call). A process pool
        cannot stop one task, so the pool's workers are killed and the pool replaced; the document is
        rejected ``too_complex``, and the documents the other workers held are tried again."""
        for attempt in (1, 2):
            executor = self.executor
            future = asyncio.wrap_future(executor.submit(work, raw, overrides))
            try:
                if hard_seconds > 0:
                    return await asyncio.wait_for(future, hard_seconds)
                return await future
            except TimeoutError:
                logger.error(
                    "cleaning %s still running after %g s: workers killed, pool replaced", raw.source, hard_seconds
                )
                self._replace(executor, kill=True)
                detail = f"still cleaning after {hard_seconds:g} s (max_seconds plus grace); worker killed"
                return Rejected(RejectReason.TOO_COMPLEX, detail, raw.source)
            except BrokenProcessPool as exc:
                logger.error("cleaning worker died on %s (attempt %d): %s", raw.source, attempt, exc)
                self._replace(executor, kill=False)
        return Rejected(RejectReason.INTERNAL_ERROR, "cleaning worker died twice", raw.source)

    def _replace(self, executor: ProcessPoolExecutor, *, kill: bool) -> None:
        """A new pool in place of ``executor`` (once, however many tasks saw it break); ``kill`` first
        kills its workers, which breaks it for every task it held."""
        with self._lock:
            if self.executor is not executor:
                return
            self.executor = self._new_executor()
        if kill:
            for process in list((executor._processes or {}).values()):  # no public handle on the workers
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)


class CleanPipeline:
    """PageItem -> the Article, or DropItem (Rejection) with the cleaner's reason."""

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
        self._hard_seconds = 0.0

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
        self._options = load_config(self.config_path).options
        max_seconds = self._options.max_seconds
        self._hard_seconds = max_seconds + HARD_GRACE_SECONDS if max_seconds > 0 else 0.0
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
            result = await self._pool.clean(item.raw, item.overrides, self._hard_seconds)
        else:
            result = clean_within_budget(item.raw, self._inline(item.overrides))[0]
        if isinstance(result, Article):
            return result  # the item from here on: the Article itself, to every sink and FEEDS exporter
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
