"""RunHeartbeat: a running crawl refreshes its run's ``heartbeat_at`` in the run log.

A run killed with SIGKILL stays "running" in the run log. On its own host the pid says it is gone
(crawler.state.records.stale_run); a run of another host (a scaled-out crawl sharing a Redis state, a
state file on a shared disk) cannot be asked, so its process says it is alive instead: every
``PRESSWASH_RUN_HEARTBEAT_SECONDS`` (HEARTBEAT_SECONDS) it writes the time into its run record, and a
run silent for HEARTBEAT_STALE_SECONDS is taken as gone by ``presswash runs`` and the scheduler.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from cleaners.timestamps import utc_iso
from crawler.config import state_enabled
from crawler.state.records import HEARTBEAT_SECONDS

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler


logger = logging.getLogger(__name__)


class RunHeartbeat:
    """Refreshes ``heartbeat_at`` of the run ``PRESSWASH_RUN_ID`` while the crawl runs (best effort: a
    store that refuses the write costs a warning, never the crawl; a run not "running" is left alone)."""

    def __init__(self, *, location: str, run_id: str, interval: float) -> None:
        self.location = location
        self.run_id = run_id
        self.interval = interval
        self.loop: task.LoopingCall | None = None
        self.beats = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        location = settings.get("PRESSWASH_STATE_PATH")
        run_id = settings.get("PRESSWASH_RUN_ID")
        interval = settings.getfloat("PRESSWASH_RUN_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)
        if not location or not run_id or interval <= 0 or not state_enabled(settings):
            raise NotConfigured
        extension = cls(location=str(location), run_id=str(run_id), interval=interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(self.interval, now=False)  # the run is recorded when the crawl opens; beat after

    def spider_closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.loop = None

    def beat(self) -> None:
        from crawler.state import open_state_store

        try:
            store = open_state_store(self.location)
            try:
                run = store.get_run(self.run_id)
                if run is not None and run.status == "running":
                    store.put_run(replace(run, heartbeat_at=utc_iso()))
                    self.beats += 1
            finally:
                store.close()
        except Exception as exc:  # best effort, see the class docstring
            logger.warning("run %s: heartbeat not written to the run log: %s", self.run_id, exc)
