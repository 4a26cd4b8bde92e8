"""SiteHealthRecorder: the site's health row at the end of each run (crawler/health.py judges drift,
crawler/state/site_memory.py keeps the rows). Reference: docs/health.md."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from cleaners.article import Article
from cleaners.timestamps import utc_iso
from crawler.config import config_for, state_enabled
from crawler.health import MAX_PROCESSES_PER_RUN, HealthSettings, RunTally, merge_rows, verdict
from crawler.state.site_memory import open_site_memory

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


class SiteHealthRecorder:
    """Tallies the run's written articles, and when the spider closes (after RunAccounting has written
    the run's stats) stores the site's health row, judges drift, logs it and adds it to the stats file."""

    def __init__(
        self,
        *,
        location: str,
        site: str,
        run_id: str,
        output_dir: str | Path,
        settings: HealthSettings,
        stats: Any = None,
    ) -> None:
        self.location = location
        self.site = site
        self.run_id = run_id
        self.output_dir = Path(output_dir)
        self.settings = settings
        self.stats = stats
        self.tally = RunTally()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        location = s.get("PRESSWASH_STATE_PATH")
        if not location or not state_enabled(s):
            raise NotConfigured  # a one-off crawl without state keeps no history
        extension = cls(
            location=str(location),
            site=s.get("PRESSWASH_SITE") or "unnamed",
            run_id=s.get("PRESSWASH_RUN_ID") or "run",
            output_dir=s.get("PRESSWASH_OUTPUT_DIR") or "output",
            settings=config_for(crawler).file.health,
            stats=crawler.stats,
        )
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def item_scraped(self, item: Any, response: Response) -> None:
        if isinstance(item, Article):
            self.tally.add(item)

    def spider_closed(self, reason: str) -> None:
        from crawler.runlog import stats_path_for

        stats_path = stats_path_for(self.output_dir, self.site, self.run_id)
        data: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):  # no stats file: the row is still worth keeping
            data = json.loads(stats_path.read_text(encoding="utf-8"))
        if reason == "shutdown":  # an interrupted run is not the site's usual day
            return
        row = self.tally.row(
            site=self.site,
            run_id=self.run_id,
            finished_at=utc_iso(),
            rejected={k: int(v) for k, v in (data.get("rejected") or {}).items() if k != "duplicate"},
            failed={k: int(v) for k, v in (data.get("failed") or {}).items()},
        )
        try:
            memory = open_site_memory(self.location)
            try:
                # Judged on whole runs: a scaled-out run's processes (run ids sharing the part before '+')
                # count as one, with what the processes that ended before this one recorded.
                earlier = memory.health(self.site, (self.settings.baseline_runs + 1) * MAX_PROCESSES_PER_RUN)
                merged = merge_rows([*earlier, row])
                status, reasons = verdict(merged, self.settings)
                earlier = merged[:-1]
                row["drift"] = reasons if status == "drift" else []
                row["status"] = status
                memory.put_health(self.site, self.run_id, row["finished_at"], row)
            finally:
                memory.close()
        except Exception as exc:  # best effort: the run's articles are written; its history is not vital
            logger.warning("%s: health of run %s not recorded: %s", self.site, self.run_id, exc)
            return
        if status == "drift":
            logger.warning(
                "%s DRIFTED against its last %d runs: %s",
                self.site,
                min(len(earlier), self.settings.baseline_runs),
                "; ".join(reasons),
            )
        if self.stats is not None:
            self.stats.set_value("presswash/health/status", status)
            self.stats.set_value("presswash/health/drift", list(row["drift"]))
        if data:
            data["health"] = row
            tmp = stats_path.with_name(stats_path.name + ".tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, stats_path)
