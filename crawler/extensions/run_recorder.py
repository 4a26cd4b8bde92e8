"""RunRecorder: a crawl started the Scrapy way (``scrapy crawl``, scrapyd) records its run in the run log too."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import (
    NotConfigured,
)

from cleaners.timestamps import utc_iso
from crawler.config import state_enabled

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler


logger = logging.getLogger(__name__)


class RunRecorder:
    """The run log's record of a crawl that nothing else records: ``scrapy crawl news -a site=NAME`` and
    scrapyd jobs (trigger ``scrapy`` / ``scrapyd``), so ``presswash runs`` lists every run of a site.

    ``presswash crawl`` records its own runs (with the errors that stop a crawler before it opens) and says
    so in ``PRESSWASH_RUN_RECORDED``; a crawl the scheduler started is recorded by the scheduler. Recording
    is best effort, as there: a state store that refuses the record costs a warning, never the crawl.
    """

    def __init__(
        self, *, location: str, site: str, run_id: str, output_dir: str | Path, trigger: str, run_date: str = ""
    ) -> None:
        from crawler.runlog import this_host
        from crawler.state.records import RunRecord

        self.location = location
        self.output_dir = Path(output_dir)
        self.run_date = run_date or utc_iso()[:10]
        self.record = RunRecord(run_id, site, utc_iso(), trigger=trigger, pid=os.getpid(), host=this_host())
        self.stats: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from crawler.runlog import HELD_LOCKS_ENV

        settings = crawler.settings
        location = settings.get("PRESSWASH_STATE_PATH")
        recorded_elsewhere = settings.getbool("PRESSWASH_RUN_RECORDED") or os.environ.get(HELD_LOCKS_ENV)
        if recorded_elsewhere or not location or not state_enabled(settings):  # off: a one-off, nothing kept
            raise NotConfigured  # without a message: Scrapy logs a message as a warning, and this is normal
        spider = getattr(crawler, "spider", None)
        extension = cls(
            location=str(location),
            site=settings.get("PRESSWASH_SITE") or "unnamed",
            run_id=settings.get("PRESSWASH_RUN_ID") or "run",
            output_dir=settings.get("PRESSWASH_OUTPUT_DIR") or "output",
            trigger="scrapyd" if getattr(spider, "_job", None) else "scrapy",
            run_date=settings.get("PRESSWASH_RUN_DATE") or "",
        )
        extension.stats = crawler.stats
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        # After RunAccounting's spider_closed (connected first, ordered before us in EXTENSIONS): its stats
        # file and presswash/* stats are written by then.
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self._put(self.record)

    def spider_closed(self, reason: str) -> None:
        from crawler.runlog import read_run_counts, stats_path_for
        from crawler.runner import EXIT_FAILED, EXIT_OK, site_summary

        stats = {"finish_reason": reason, **(self.stats.get_stats() if self.stats is not None else {})}
        site = self.record.site
        line, ok = site_summary(site, stats, [], self.output_dir / site / f"{self.run_date}.jsonl")
        stats_path = stats_path_for(self.output_dir, site, self.record.run_id)
        counts = read_run_counts(stats_path) if stats_path.is_file() else {}
        interrupted = reason == "shutdown"  # Ctrl-C or SIGTERM: Scrapy stopped gracefully
        self._put(
            replace(
                self.record,
                status="interrupted" if interrupted else "ok" if ok else "failed",
                finished_at=utc_iso(),
                exit_code=EXIT_OK if ok else EXIT_FAILED,
                stats_path=str(stats_path) if stats_path.is_file() else None,
                detail="interrupted" if interrupted else None if ok else line,
                **counts,
            )
        )

    def _put(self, record: Any) -> None:
        from crawler.state import open_state_store

        try:
            store = open_state_store(self.location)
            try:
                store.put_run(record)
            finally:
                store.close()
        except Exception as exc:  # best effort, see the class docstring
            logger.warning("%s: run %s not recorded in the run log: %s", record.site, record.run_id, exc)
