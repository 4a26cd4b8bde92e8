"""SiteGuard: one run of a site at a time, and a JOBDIR that is either consistent or gone (docs/recurring.md)."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals

from crawler.runlog import hold_site_locks, lock_dir_for
from crawler.state.jobdir import JobDir

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler


logger = logging.getLogger(__name__)


class SiteGuard:
    """One run of a site at a time, and a JOBDIR that is either consistent or gone.

    Built with the other extensions, after the spider has put its settings in place and before Scrapy's
    scheduler opens the JOBDIR, which is the moment both must happen: the site lock first (so a second
    crawl never touches the first one's JOBDIR), then :meth:`crawler.state.jobdir.JobDir.open`. ``presswash
    crawl`` takes the locks of all its sites itself before starting (``PRESSWASH_SITE_LOCKED``); the lock
    here is for ``scrapy crawl news -a site=NAME``. After the engine stops, a finished run's JOBDIR is
    removed (the next run starts afresh) and an interrupted run's is kept (the next run resumes it).
    """

    def __init__(self, *, site: str, lock_dir: str | Path | None = None, jobdir: str | Path | None = None) -> None:
        self.site = site
        self.lock_dir = Path(lock_dir) if lock_dir else None
        self.jobdir = JobDir(jobdir) if jobdir else None
        self.finish_reason: str | None = None
        self._locks = ExitStack()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        state_path = settings.get("PRESSWASH_STATE_PATH")
        lock_dir = None
        if state_path and not settings.getbool("PRESSWASH_SITE_LOCKED"):
            lock_dir = lock_dir_for(state_path, settings.get("PRESSWASH_OUTPUT_DIR") or "output")
        guard = cls(site=settings.get("PRESSWASH_SITE") or "unnamed", lock_dir=lock_dir, jobdir=settings.get("JOBDIR"))
        guard.open()
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(guard.engine_stopped, signal=signals.engine_stopped)
        return guard

    def open(self) -> None:
        """Lock (raises crawler.runlog.SiteBusy when another process crawls the site), then the JOBDIR."""
        if self.lock_dir is not None:
            self._locks.enter_context(hold_site_locks(self.lock_dir, [self.site]))
        try:
            if self.jobdir is not None:
                self.jobdir.open()
        except BaseException:
            self._locks.close()
            raise

    def spider_closed(self, reason: str) -> None:
        self.finish_reason = reason

    def engine_stopped(self) -> None:
        """Runs after every spider_closed handler (Scrapy's SpiderState has saved ``spider.state``)."""
        if self.jobdir is not None:
            self.jobdir.close(self.finish_reason)
        self._locks.close()
