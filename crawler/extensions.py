"""Run accounting: every fetched URL ends somewhere, and the run's stats say where.

For article pages the rule is ``read == written + rejected + failed`` (cleaners.stats.RunStats, the same
counters as `presswash clean`). Other fetches (feeds, sitemaps, robots.txt, section pages) and requests
that never reached the network (robots.txt forbids, offsite, duplicates) are counted under their own keys.
The spider reports what it decides through the :data:`url_outcome` signal; items report through Scrapy's
item signals; errors through ``spider_error``. At the end the extension writes
``<output>/<site>/runs/<run_id>.json`` and mirrors the totals into Scrapy's stats as ``presswash/...``.
With ``PRESSWASH_URL_LEDGER`` on, each final outcome is also one line of ``<run_id>.urls.jsonl``.

Two more extensions serve recurring crawls (docs/recurring.md): :class:`SiteGuard` (one run of a site at
a time, and a JOBDIR that is either consistent or gone) and :class:`FetchStateRecorder` (the final outcome
of every article URL into the state store, so the next run skips what it already has).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import signal
import sqlite3
import sys
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    DropItem,
    IgnoreRequest,
    NotConfigured,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_error

from cleaners.article import Rejected, RejectReason
from cleaners.jsonl import JsonlWriter
from cleaners.stats import RunStats
from cleaners.urls import normalize_url
from crawler.recurring import JobDir, SharedState, dedup_settings, state_enabled
from crawler.runlog import hold_site_locks, lock_dir_for
from crawler.state import FetchOutcome, FetchState, utc_iso

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

#: Sent by the spider for every URL outcome it decides (kwargs: request, kind, outcome, reason, detail,
#: status). ``outcome`` is one of: ``cleaning`` (an article handed to the pipelines, final outcome to
#: follow from the item signals), ``ok``, ``rejected``, ``failed``, ``skipped`` (never fetched).
url_outcome = object()

KIND_META = "presswash_kind"
SOURCE_META = "presswash_source"
HINTS_META = "presswash_hints"
#: On an article request the state store knows: fetch it again, conditionally (its lastmod changed).
REFETCH_META = "presswash_refetch"
ARTICLE = "article"
#: IgnoreRequest message of crawler.middlewares.ConditionalGetMiddleware for a URL already in the state.
KNOWN_MESSAGE = "presswash: known"


class Rejection(DropItem):
    """An article the cleaner (or the dedup stage) rejected: carries the Rejected value so the reason
    reaches the stats, and for a duplicate the id of the article it duplicates."""

    def __init__(self, rejected: Rejected, duplicate_of: str | None = None) -> None:
        super().__init__(f"{rejected.reason.value}: {rejected.detail}")
        self.rejected = rejected
        self.duplicate_of = duplicate_of


def classify_failure(failure: Failure) -> tuple[str, str, int | None]:
    """(outcome, reason, HTTP status) for a request's errback: ``skipped`` when nothing was fetched
    (robots.txt forbids, offsite), else ``failed`` with a short, stable reason for the stats keys."""
    exc = failure.value
    request: Request | None = getattr(failure, "request", None)
    redirected = bool(request is not None and request.meta.get("redirect_urls"))
    if isinstance(exc, HttpError):
        return "failed", f"http_{exc.response.status}", exc.response.status
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        if message == KNOWN_MESSAGE:
            return "skipped", "known", None
        if "robots.txt" in message:
            return ("failed" if redirected else "skipped"), "robots_forbidden", None
        if "offsite" in message:
            return ("failed" if redirected else "skipped"), "offsite", None
        if "redirections" in message:
            return "failed", "redirect_limit", None
        return "failed", "ignored", None
    for types, reason in (
        ((DownloadTimeoutError, twisted_error.TimeoutError, TimeoutError), "timeout"),
        ((DownloadCancelledError,), "too_large_download"),
        ((CannotResolveHostError, twisted_error.DNSLookupError), "dns_error"),
        ((DownloadConnectionRefusedError, twisted_error.ConnectionRefusedError), "connection_refused"),
        ((ResponseDataLossError,), "data_loss"),
        ((DownloadFailedError, twisted_error.ConnectionLost, twisted_error.ConnectionDone), "connection_lost"),
    ):
        if isinstance(exc, types):
            return "failed", reason, None
    return "failed", _snake(type(exc).__name__), None


#: What a crawl fetches on its way to articles; when every one of them failed, the crawl fetched nothing.
ENTRY_KINDS = ("robots", "feed", "sitemap", "page")
_MAX_ENTRY_FAILURES = 20
_FAILURE_WORDS = {
    "dns_error": "DNS lookup failed",
    "connection_refused": "connection refused",
    "timeout": "timed out",
    "connection_lost": "connection lost",
    "data_loss": "response cut short",
    "too_large_download": "larger than the download size limit",
    "robots_forbidden": "forbidden by robots.txt",
    "redirect_limit": "too many redirects",
    "redirect_loop": "redirect loop",
    "not_html": "not HTML",
}


def describe_failure(reason: str | None) -> str:
    """A failure reason as a person reads it: ``dns_error`` -> ``DNS lookup failed``, ``http_404`` -> ``HTTP 404``."""
    if reason and reason.startswith("http_"):
        return f"HTTP {reason[5:]}"
    return _FAILURE_WORDS.get(reason or "", reason or "failed")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class RunAccounting:
    """Counts every outcome into RunStats (articles) and counters (everything else); writes the stats."""

    def __init__(
        self,
        *,
        site: str,
        run_id: str,
        output_dir: str | Path,
        ledger: bool = True,
        stats: Any = None,
    ) -> None:
        self.site = site
        self.run_id = run_id
        self.runs_dir = Path(output_dir) / site / "runs"
        self.stats = stats  # Scrapy's stats collector, or None in a unit test
        self.run = RunStats()
        self.fetched: Counter[str] = Counter()  # kind -> URLs fetched (or failed while fetching)
        self.other: dict[str, Counter[str]] = defaultdict(Counter)  # kind -> outcome/reason -> count
        self.skipped: Counter[str] = Counter()
        self._ledger_enabled = ledger
        self._ledger: JsonlWriter | None = None
        self.entry_failures: list[str] = []  # the first failed feeds, sitemaps and pages, for the summary
        self.stats_path = self.runs_dir / f"{run_id}.json"
        self.ledger_path = self.runs_dir / f"{run_id}.urls.jsonl"

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        extension = cls(
            site=settings.get("PRESSWASH_SITE") or "unnamed",
            run_id=settings.get("PRESSWASH_RUN_ID") or "run",
            output_dir=settings.get("PRESSWASH_OUTPUT_DIR") or "output",
            ledger=settings.getbool("PRESSWASH_URL_LEDGER", True),
            stats=crawler.stats,
        )
        extension.crawler = crawler
        connect = crawler.signals.connect
        connect(extension.spider_opened, signal=signals.spider_opened)
        connect(extension.spider_closed, signal=signals.spider_closed)
        connect(extension.on_url_outcome, signal=url_outcome)
        connect(extension.item_scraped, signal=signals.item_scraped)
        connect(extension.item_dropped, signal=signals.item_dropped)
        connect(extension.item_error, signal=signals.item_error)
        connect(extension.spider_error, signal=signals.spider_error)
        connect(extension.request_dropped, signal=signals.request_dropped)
        connect(extension.response_received, signal=signals.response_received)
        return extension

    # -- signal handlers --

    def spider_opened(self) -> None:
        if self._ledger_enabled:
            self._ledger = JsonlWriter(self.ledger_path)

    def on_url_outcome(
        self,
        request: Request,
        kind: str,
        outcome: str,
        reason: str | None = None,
        detail: str | None = None,
        status: int | None = None,
    ) -> None:
        if outcome == "skipped":
            self.skipped[reason or "unknown"] += 1
            self._inc(f"presswash/skipped/{reason}")
            self._record(request, kind, outcome, reason, detail, status)
            return
        self.fetched[kind] += 1
        if kind != ARTICLE:
            key = outcome if outcome == "ok" else f"{outcome}/{reason}"
            self.other[kind][key] += 1
            if outcome == "failed" and len(self.entry_failures) < _MAX_ENTRY_FAILURES:
                self.entry_failures.append(f"{kind} {request.url}: {describe_failure(reason)}")
            self._inc(f"presswash/{kind}/{key}")
            self._record(request, kind, outcome, reason, detail, status)
            return
        self.run.read += 1
        if outcome == "cleaning":
            return  # the item signals will say how it ended
        bucket = self.run.failed if outcome == "failed" else self.run.rejected
        bucket[reason or "unknown"] += 1
        self._inc(f"presswash/{outcome}/{reason}")
        if outcome == "failed":
            examples = self.run.examples.setdefault(reason or "unknown", [])
            if len(examples) < 20:
                examples.append({"source": request.url, "detail": detail or ""})
        self._record(request, kind, outcome, reason, detail, status)

    def item_scraped(self, item: Any, response: Response) -> None:
        self.run.count_written()
        self._inc("presswash/written")
        article_id = item.get("id") if isinstance(item, dict) else None
        self._record(response.request, ARTICLE, "written", None, None, response.status, id=article_id)

    def item_dropped(self, item: Any, response: Response, exception: BaseException) -> None:
        extra: dict[str, Any] = {}
        if isinstance(exception, Rejection):
            self.run.count_rejected(exception.rejected)
            reason, detail = exception.rejected.reason.value, exception.rejected.detail
            outcome = "failed" if exception.rejected.reason.is_failure else "rejected"
            if exception.duplicate_of:
                extra["duplicate_of"] = exception.duplicate_of
        else:  # a DropItem from some other pipeline (a user's own filter, say)
            reason, detail, outcome = "dropped", str(exception), "rejected"
            self.run.rejected[reason] += 1
            self._inc("presswash/rejected/dropped")
        self._record(response.request, ARTICLE, outcome, reason, detail, response.status, **extra)

    def item_error(self, item: Any, response: Response, failure: Failure) -> None:
        self.run.failed["pipeline_error"] += 1
        self._inc("presswash/failed/pipeline_error")
        self._record(response.request, ARTICLE, "failed", "pipeline_error", str(failure.value), None)

    def spider_error(self, failure: Failure, response: Response) -> None:
        request = response.request
        kind = request.meta.get(KIND_META, "page") if request is not None else "page"
        self.on_url_outcome(request, kind, "failed", "spider_error", repr(failure.value), response.status)

    def request_dropped(self, request: Request) -> None:
        """The scheduler's duplicate filter refused a request: a redirect loop, or a redirect to a page
        already fetched (requests we make ourselves are deduplicated before they are made)."""
        kind = request.meta.get(KIND_META)
        if kind is None:
            return
        redirects = request.meta.get("redirect_urls")
        if redirects and request.url in redirects:
            self._emit(request, kind, "failed", "redirect_loop", " -> ".join([*redirects, request.url]))
        elif redirects:
            outcome = "rejected" if kind == ARTICLE else "ok"
            self._emit(request, kind, outcome, "duplicate", "redirects to a page already fetched")
        else:
            self._emit(request, kind, "skipped", "duplicate", None)

    def _emit(self, request: Request, kind: str, outcome: str, reason: str, detail: str | None) -> None:
        """As the spider reports outcomes: through the signal, so every listener (the fetch state
        recorder too) hears it; straight to our own handler without a crawler (unit tests)."""
        crawler = getattr(self, "crawler", None)
        if crawler is None:
            self.on_url_outcome(request, kind, outcome, reason, detail)
            return
        crawler.signals.send_catch_log(
            url_outcome, request=request, kind=kind, outcome=outcome, reason=reason, detail=detail, status=None
        )

    def response_received(self, response: Response, request: Request) -> None:
        """robots.txt fetched by Scrapy's RobotsTxtMiddleware: not our request, counted all the same."""
        if request.meta.get("dont_obey_robotstxt") and KIND_META not in request.meta:
            self.fetched["robots"] += 1
            key = "ok" if response.status < 400 else f"http_{response.status}"
            self.other["robots"][key] += 1
            self._record(request, "robots", "ok", None, None, response.status)

    def spider_closed(self, reason: str) -> None:
        self.run.finish()
        total_fetched = sum(self.fetched.values())
        self.run.extra.update(
            {
                "site": self.site,
                "run_id": self.run_id,
                "finish_reason": reason,
                "fetched": {**dict(sorted(self.fetched.items())), "total": total_fetched},
                "other": {kind: dict(sorted(c.items())) for kind, c in sorted(self.other.items())},
                "skipped": dict(sorted(self.skipped.items())),
                "discovery": self._scrapy_stats("presswash/entries/", "presswash/links/"),
                "duplicates": {
                    key.rsplit("/", 1)[1]: value for key, value in self._scrapy_stats("presswash/duplicate/").items()
                },
                "scrapy": self._scrapy_summary(),
                "ledger": str(self.ledger_path) if self._ledger_enabled else None,
            }
        )
        # A crawl that fetched nothing at all must not look like a quiet day: no article read, and not one
        # feed, sitemap or page fetched, while some failed (DNS, refused, HTTP errors).
        # (robots.txt read fine counts for nothing: it leads to articles only through feeds and sitemaps)
        entries = [self.other.get(kind, Counter()) for kind in ENTRY_KINDS]
        entry_ok = sum(self.other.get(kind, Counter()).get("ok", 0) for kind in ENTRY_KINDS if kind != "robots")
        entry_failed = sum(v for counts in entries for key, v in counts.items() if key.startswith("failed/"))
        fetched_nothing = self.run.read == 0 and entry_ok == 0 and entry_failed > 0
        self.run.extra["fetched_nothing"] = fetched_nothing
        self.run.extra["entry_failures"] = list(self.entry_failures)
        self._set("presswash/fetched_nothing", fetched_nothing)
        self._set("presswash/entry_failures", list(self.entry_failures))
        if fetched_nothing:
            logger.error(
                "%s: NOTHING FETCHED: every feed, sitemap and page failed: %s",
                self.site,
                "; ".join(self.entry_failures[:5]),
            )
        # The PostgreSQL sink's counts (crawler.postgres; its pipeline has closed by now, last batch included).
        postgres = {k.rsplit("/", 1)[1]: v for k, v in self._scrapy_stats("presswash/postgres/").items()}
        if postgres:
            self.run.extra["postgres"] = postgres
        self._set("presswash/read", self.run.read)
        self._set("presswash/written", self.run.written)
        self._set("presswash/accounted", self.run.accounted)
        self._set("presswash/stats_file", str(self.stats_path))
        self.run.write_json(self.stats_path)
        if self._ledger is not None:
            self._ledger.close()
        logger.info("%s [%s]; stats in %s", self.run.summary(), self.site, self.stats_path)
        if not self.run.accounted:
            logger.error(
                "accounting mismatch for %s: read %d != written %d + rejected %d + failed %d",
                self.site,
                self.run.read,
                self.run.written,
                self.run.total_rejected,
                self.run.total_failed,
            )

    # -- helpers --

    def _record(
        self,
        request: Request | None,
        kind: str,
        outcome: str,
        reason: str | None,
        detail: str | None,
        status: int | None,
        **extra: Any,
    ) -> None:
        if self._ledger is None or request is None:
            return
        line: dict[str, Any] = {"url": request.url, "kind": kind, "outcome": outcome, **extra}
        if reason:
            line["reason"] = reason
        if status is not None:
            line["status"] = status
        if detail:
            line["detail"] = detail[:500]
        redirects = request.meta.get("redirect_urls")
        if redirects:
            line["redirect_urls"] = list(redirects)
        source = request.meta.get(SOURCE_META)
        if source:
            line["source"] = source
        self._ledger.write(line)

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    def _set(self, key: str, value: Any) -> None:
        if self.stats is not None:
            self.stats.set_value(key, value)

    def _scrapy_stats(self, *prefixes: str) -> dict[str, Any]:
        if self.stats is None:
            return {}
        return {
            key: value
            for key, value in sorted(self.stats.get_stats().items())
            if any(key.startswith(p) for p in prefixes)
        }

    def _scrapy_summary(self) -> dict[str, Any]:
        """The Scrapy stats a user reads first, JSON-safe (datetimes as ISO strings)."""
        if self.stats is None:
            return {}
        keep = re.compile(
            r"^(downloader/(request_count|response_count|response_status_count/\d+|exception_type_count/.*)"
            r"|retry/.*|robotstxt/.*|offsite/.*|dupefilter/.*|elapsed_time_seconds|item_.*_count"
            r"|response_received_count|start_time|finish_time|finish_reason|memusage/max)$"
        )
        out: dict[str, Any] = {}
        for key, value in sorted(self.stats.get_stats().items()):
            if keep.match(key):
                out[key] = value.isoformat() if hasattr(value, "isoformat") else value
        return out


# --- a full disk -----------------------------------------------------------------------------------------

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
        from crawler.state import RunRecord

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
        from crawler.crawl import EXIT_FAILED, EXIT_OK, site_summary
        from crawler.runlog import read_run_counts, stats_path_for

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


# --- recurring crawls ---------------------------------------------------------------------------------


class SiteGuard:
    """One run of a site at a time, and a JOBDIR that is either consistent or gone.

    Built with the other extensions, after the spider has put its settings in place and before Scrapy's
    scheduler opens the JOBDIR, which is the moment both must happen: the site lock first (so a second
    crawl never touches the first one's JOBDIR), then :meth:`crawler.recurring.JobDir.open`. ``presswash
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


class FetchStateRecorder:
    """Records the final outcome of every article URL in the state store (crawler.state.FetchState).

    ``written``, ``duplicate`` and ``rejected`` (the cleaner's reasons, a redirect to a non-article or to a
    page already fetched) from the item signals and the spider's outcomes; ``not_modified`` for a 304.
    Each row keeps the server's ETag and Last-Modified (for the next conditional GET) and the feed or
    sitemap ``lastmod`` (to know whether a later entry says the page changed). Failures (timeouts, 5xx,
    a crash in the cleaner) record nothing, so the URL is simply tried again by the next run.

    The row is keyed by the normalized URL that was requested and, after a redirect, by the final URL
    too, so neither is fetched again. Recording comes after the JSON line is written (item_scraped): a
    kill in between costs one refetch, which the dedup index then recognises as a url duplicate.
    """

    def __init__(self, *, state_path: str, site: str, dedup: Any = None) -> None:
        self.state_path = state_path
        self.site = site
        self.dedup = dedup
        self._shared: SharedState | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        state_path = settings.get("PRESSWASH_STATE_PATH")
        if not state_path:
            raise NotConfigured("PRESSWASH_STATE_PATH is not set (not a presswash NewsSpider crawl)")
        recorder = cls(state_path=state_path, site=settings.get("PRESSWASH_SITE"), dedup=dedup_settings(settings))
        connect = crawler.signals.connect
        connect(recorder.spider_opened, signal=signals.spider_opened)
        connect(recorder.spider_closed, signal=signals.spider_closed)
        connect(recorder.item_scraped, signal=signals.item_scraped)
        connect(recorder.item_dropped, signal=signals.item_dropped)
        connect(recorder.on_url_outcome, signal=url_outcome)
        return recorder

    def spider_opened(self) -> None:
        self._shared = SharedState.acquire(self.state_path, self.dedup)

    def spider_closed(self) -> None:
        if self._shared is not None:
            self._shared.release()
            self._shared = None

    # -- signal handlers --

    def item_scraped(self, item: Any, response: Response) -> None:
        if not isinstance(item, dict) or "id" not in item:
            return
        self._put(
            response.request,
            "written",
            fetched_at=item.get("fetched_at"),
            response=response,
            article_id=item.get("id"),
            content_hash=item.get("content_hash"),
            version=item.get("version"),
        )

    def item_dropped(self, item: Any, response: Response, exception: BaseException) -> None:
        if isinstance(exception, Rejection):
            if exception.rejected.reason.is_failure:
                return  # the cleaner crashed: try again next run
            duplicate = exception.rejected.reason is RejectReason.DUPLICATE
            if duplicate and self._only_in_flight_elsewhere(exception.duplicate_of):
                return  # not final until the original is written: try again next run
            outcome: FetchOutcome = "duplicate" if duplicate else "rejected"
        else:
            outcome = "rejected"
        raw = getattr(item, "raw", None)
        fetched_at = raw.fetched_at if raw is not None else item.get("fetched_at") if isinstance(item, dict) else None
        self._put(response.request, outcome, fetched_at=fetched_at, response=response)

    def on_url_outcome(
        self,
        request: Request,
        kind: str,
        outcome: str,
        reason: str | None = None,
        detail: str | None = None,
        status: int | None = None,
    ) -> None:
        """Outcomes the spider decides without an item: a 304, and redirects that end somewhere known."""
        if kind != ARTICLE:
            return
        if outcome == "skipped" and reason == "not_modified":
            self._put(request, "not_modified", status=status, keep_validators=True)
        elif outcome == "rejected":  # redirected to a non-article, or to a page already fetched
            self._put(request, "duplicate" if reason == "duplicate" else "rejected", status=status, aliases_only=True)
        elif outcome == "skipped" and reason == "known" and request.meta.get("redirect_urls"):
            self._put(request, "duplicate", status=status, aliases_only=True)  # an alias of a known URL

    # -- helpers --

    def _only_in_flight_elsewhere(self, original_id: str | None) -> bool:
        """A duplicate of an article that another crawl process (on Redis or the same SQLite state) holds
        but has not recorded.

        Usually it is written a moment later. But if that process was killed in between, its claim holds
        until its heartbeat expires and the article is written by nobody: recording this copy as a
        duplicate would make its URL known, and the article lost for good. Left unrecorded, the URL is
        simply fetched again by a later round (then a plain duplicate, or the article itself)."""
        if self._shared is None or not original_id or not self._shared.index.shares_claims:
            return False
        if self._shared.index.holds(original_id):
            return False  # in flight here: recorded by this process a moment later (or lost with it)
        return self._shared.store.get_article(original_id) is None

    def _put(
        self,
        request: Request | None,
        outcome: FetchOutcome,
        *,
        fetched_at: Any = None,
        response: Response | None = None,
        status: int | None = None,
        keep_validators: bool = False,
        aliases_only: bool = False,
        **article: Any,
    ) -> None:
        if self._shared is None or request is None:
            return
        store = self._shared.store
        hints = request.meta.get(HINTS_META) or {}
        when = fetched_at if isinstance(fetched_at, str) else utc_iso(fetched_at or datetime.now(UTC))
        fields: dict[str, Any] = {"outcome": outcome, "fetched_at": when, "site": self.site}
        if hints.get("lastmod"):
            fields["lastmod"] = hints["lastmod"]
        if response is not None:
            fields["status"] = response.status
            if not keep_validators:
                fields["etag"] = _header(response, b"ETag")
                fields["last_modified"] = _header(response, b"Last-Modified")
        elif status is not None:
            fields["status"] = status
        fields.update({k: v for k, v in article.items() if v is not None})
        for url in _state_urls(request, response, aliases_only=aliases_only):
            key = normalize_url(url)
            old = store.get_fetch(key)
            state = replace(old, url=url, **fields) if old else FetchState(url_key=key, url=url, **fields)
            store.put_fetch(state)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _state_urls(request: Request, response: Response | None, *, aliases_only: bool = False) -> list[str]:
    """The URLs a fetch state row is kept under: the one first requested, every redirect hop, and the
    final one (unless ``aliases_only``: the final URL of a redirect to a known page has its own row)."""
    hops = list(request.meta.get("redirect_urls") or [])
    final = response.url if response is not None else request.url
    urls = hops if aliases_only and hops else [*hops, request.url, final]
    out: list[str] = []
    for url in urls:
        if url not in out:
            out.append(url)
    return out
