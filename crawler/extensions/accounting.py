"""Run accounting: every fetched URL ends somewhere, and the run's stats say where.

For article pages the rule is ``read == written + rejected + failed`` (cleaners.stats.RunStats, the same
counters as `presswash clean`). Other fetches (feeds, sitemaps, robots.txt, section pages) and requests
that never reached the network (robots.txt forbids, offsite, duplicates) are counted under their own keys.
The spider reports what it decides through the :data:`crawler.meta.url_outcome` signal; items report
through Scrapy's item signals; errors through ``spider_error``. At the end the extension writes
``<output>/<site>/runs/<run_id>.json`` and mirrors the totals into Scrapy's stats as ``presswash/...``.
With ``PRESSWASH_URL_LEDGER`` on, each final outcome is also one line of ``<run_id>.urls.jsonl``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_error

from cleaners.article import Article
from cleaners.jsonl import JsonlWriter
from cleaners.stats import RunStats
from crawler.items import Rejection
from crawler.meta import ARTICLE, ENTRY_KINDS, KIND_META, KNOWN_MESSAGE, SOURCE_META, describe_failure, url_outcome

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from twisted.python.failure import Failure


logger = logging.getLogger(__name__)


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


_MAX_ENTRY_FAILURES = 20


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
        article_id = item.id if isinstance(item, Article) else None
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
        # The PostgreSQL sink's counts (crawler.pipelines.postgres: closed by now, last batch included).
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
