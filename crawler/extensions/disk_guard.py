"""DiskGuard: a full disk stops the crawl with a clear error (finish reason ``disk_full``), and a close
that hangs ends the process (exit 74) instead of leaving it stuck.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler


logger = logging.getLogger(__name__)


#: Finish reason of a crawl stopped because its disk is (nearly) full.
DISK_FULL = "disk_full"


#: Exit status of a crawl whose close did not finish within PRESSWASH_CLOSE_TIMEOUT (EX_IOERR).
FORCED_EXIT = 74


def is_disk_full(exc: BaseException | None) -> bool:
    """ENOSPC/EDQUOT from any write, or SQLite's "database or disk is full"."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc)


class _DiskFullLogHandler(logging.Handler):
    """Sees every error logged with a traceback (Scrapy's scheduler, pipelines, signal handlers, asyncio
    callbacks all log theirs): the one place a full disk shows up wherever it strikes."""

    def __init__(self, guard: DiskGuard) -> None:
        super().__init__(logging.ERROR)
        self.guard = guard

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        if is_disk_full(exc):
            self.guard.stop(f"{type(exc).__name__}: {exc}")


class DiskGuard:
    """Stops the crawl, with a clear error and finish reason ``disk_full``, when its disk fills up; and
    makes sure a stop that was asked for (SIGTERM, SIGINT, a full disk) ends the process.

    Without it a full disk left the crawl retrying its JOBDIR queue every 5 s for ever, logging a
    traceback each time, and SIGTERM began a graceful close that never finished (requests in progress
    could not complete their writes): only SIGKILL ended it. Here:

    - every ``PRESSWASH_DISK_CHECK_INTERVAL`` seconds the free space of the output directory (and of the
      state file's and the JOBDIR's) is compared with ``PRESSWASH_MIN_FREE_BYTES``: below it, the crawl
      closes while the stats, the ledger and the JOBDIR can still be written;
    - a disk-full error logged anywhere (the space check cannot see another process filling the disk
      between two checks) stops the crawl the same way;
    - once a stop is asked, the close has ``PRESSWASH_CLOSE_TIMEOUT`` seconds; after that the process
      exits with status :data:`FORCED_EXIT` (Scrapy's own forced stop, a second Ctrl-C, waits for the
      same close and hangs too). Nothing is lost: JSON lines are whole lines, the state store is written
      in transactions, the JOBDIR left marked open is discarded by the next run, the run log shows the run
      as interrupted (crawler.state.stale_run), and the cleaning workers exit when their parent does.
    """

    def __init__(
        self,
        *,
        paths: list[Path],
        min_free_bytes: int,
        interval: float = 2.0,
        close_timeout: float = 120.0,
        crawler: Crawler | None = None,
    ) -> None:
        self.paths = paths
        self.min_free_bytes = min_free_bytes
        self.interval = interval
        self.close_timeout = close_timeout
        self.crawler = crawler
        self.reason: str | None = None
        self._handler = _DiskFullLogHandler(self)
        self._loop: Any = None
        self._watchdog: Any = None
        self._previous_handlers: dict[int, Any] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        output = Path(settings.get("PRESSWASH_OUTPUT_DIR") or "output")
        paths = [output]
        state = settings.get("PRESSWASH_STATE_PATH")
        if state and "://" not in str(state):
            paths.append(Path(state).parent)
        if settings.get("JOBDIR"):
            paths.append(Path(settings.get("JOBDIR")))
        guard = cls(
            paths=paths,
            min_free_bytes=settings.getint("PRESSWASH_MIN_FREE_BYTES", 50 * 1024 * 1024),
            interval=settings.getfloat("PRESSWASH_DISK_CHECK_INTERVAL", 2.0),
            close_timeout=settings.getfloat("PRESSWASH_CLOSE_TIMEOUT", 120.0),
            crawler=crawler,
        )
        crawler.signals.connect(guard.engine_started, signal=signals.engine_started)
        crawler.signals.connect(guard.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(guard.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    # -- space --

    def free_bytes(self) -> tuple[int, Path] | None:
        """The least free space among the watched directories (the nearest existing parent of each)."""
        lowest: tuple[int, Path] | None = None
        for path in self.paths:
            probe = path
            while not probe.exists() and probe != probe.parent:
                probe = probe.parent
            try:
                stat = os.statvfs(probe)
            except OSError:
                continue
            free = stat.f_bavail * stat.f_frsize
            if lowest is None or free < lowest[0]:
                lowest = (free, probe)
        return lowest

    def check(self) -> bool:
        """False (and the crawl stopping) when free space is under the minimum."""
        found = self.free_bytes()
        if found is None or found[0] >= self.min_free_bytes:
            return True
        free, where = found
        self.stop(f"{where}: {free} bytes free, under PRESSWASH_MIN_FREE_BYTES ({self.min_free_bytes})")
        return False

    # -- lifecycle --

    def engine_started(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):  # a stop asked from outside gets the same deadline
            previous = signal.getsignal(signum)
            if callable(previous):
                self._previous_handlers[signum] = previous
                signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: Any) -> None:
        from twisted.internet import reactor

        # Logging must not happen inside a signal handler: arm the deadline from the reactor.
        reactor.callFromThread(self._arm_watchdog, f"{signal.Signals(signum).name} received")
        self._previous_handlers[signum](signum, frame)

    def spider_opened(self) -> None:
        logging.getLogger().addHandler(self._handler)
        if self.check():
            from twisted.internet import task

            self._loop = task.LoopingCall(self.check)
            self._loop.start(self.interval, now=False)

    def stop(self, why: str) -> None:
        """Close the crawl with finish reason ``disk_full`` (once), and arm the close deadline."""
        if self.reason is not None:
            return
        self.reason = why
        logger.error("disk full: %s; stopping the crawl (finish reason %s)", why, DISK_FULL)
        if self.crawler is not None and self.crawler.engine is not None:
            from twisted.internet import reactor

            # The error may be logged from any thread (a pool's management thread, say): act in the reactor.
            reactor.callFromThread(self._close)

    def _close(self) -> None:
        self._arm_watchdog("disk full")
        engine = self.crawler.engine if self.crawler is not None else None
        if engine is None or engine.spider is None:
            return
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(engine.close_spider_async(reason=DISK_FULL))

    def _arm_watchdog(self, why: str) -> None:
        if self._watchdog is not None or self.close_timeout <= 0:
            return
        from twisted.internet import reactor

        def force() -> None:
            # Not reactor.stop(): Scrapy's "before shutdown" trigger waits for the very close that hangs.
            logger.error(
                "%s: the crawl did not close within %.0f s (PRESSWASH_CLOSE_TIMEOUT); exiting now (status %d). "
                "The next run discards this run's JOBDIR and takes up what it had not recorded.",
                why,
                self.close_timeout,
                FORCED_EXIT,
            )
            logging.shutdown()
            sys.stderr.flush()
            os._exit(FORCED_EXIT)

        self._watchdog = reactor.callLater(self.close_timeout, force)
        logger.info("%s: the crawl has %.0f s to close (PRESSWASH_CLOSE_TIMEOUT)", why, self.close_timeout)

    def spider_closed(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        logging.getLogger().removeHandler(self._handler)

    def engine_stopped(self) -> None:
        if self._watchdog is not None and self._watchdog.active():
            self._watchdog.cancel()
        for signum, previous in self._previous_handlers.items():
            if signal.getsignal(signum) == self._on_signal:
                signal.signal(signum, previous)
