"""presswash's downloader and spider middlewares.

- :class:`BackoffRetryMiddleware`: retries with exponential backoff, which Scrapy 2.19's RetryMiddleware
  does not do. Scrapy re-queues a failed request at once; a site that answers 503 under load gets hit
  again within milliseconds. This subclass keeps Scrapy's retry rules (RETRY_TIMES, RETRY_HTTP_CODES,
  RETRY_EXCEPTIONS, stats) and only adds a wait before each retry: about ``base * 2**(n-1)`` seconds for
  the n-th retry, with jitter, capped, and at least what the server's ``Retry-After`` asks for (also capped).
- :class:`ConditionalGetMiddleware`: If-None-Match / If-Modified-Since on article refetches, and a
  fetch-time guard against article URLs the state store already has.
- :class:`ArchiveMiddleware` (a spider middleware): every article page handed to the pipelines is also
  written to the raw WARC archive, before cleaning, so rejected pages are kept too.
- :class:`RobotsTxtMiddleware`: Scrapy 2.19's, with requests that wait for a host's robots.txt while it
  is being fetched checked against it too (Scrapy lets all but the first of them through), and a
  robots.txt over the download cap read up to 500 KiB and obeyed (RFC 9309) instead of ignored.
- :class:`OffsiteMiddleware`: Scrapy's, with the redirects it filters reported to the run's accounting.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware as ScrapyOffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from cleaners.dedup import DedupSettings
from cleaners.urls import normalize_url
from crawler.archive import (
    DEFAULT_GZIP_LEVEL,
    MARKER_SUFFIX,
    FetchedResponse,
    WarcArchive,
    prune_archive,
    repair_torn_tail,
)
from crawler.extensions import ARTICLE, KIND_META, KNOWN_MESSAGE, REFETCH_META, url_outcome
from crawler.items import PageItem
from crawler.recurring import SharedState, dedup_settings
from crawler.state import conditional_headers

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.robotstxt import RobotParser
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

DELAY_META = "presswash_retry_delay"
#: What RFC 9309 says a crawler must read of a robots.txt at least (its own limit: 500 kibibytes).
ROBOTS_MAX_BYTES = 500 * 1024
#: Bytes of a robots.txt received so far (present only on robots.txt requests).
ROBOTS_CAP_META = "presswash_robots_bytes"


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential, jittered to 50-100 %."""
    if base <= 0 or attempt < 1:
        return 0.0
    raw = min(cap, base * 2 ** (attempt - 1))
    return raw * (rng or random).uniform(0.5, 1.0)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) in seconds; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with one fix (replaces it in crawler/settings.py).

    Requests to a host whose robots.txt is being fetched wait on one Deferred, which Scrapy 2.19 turns
    into an asyncio future per waiter with ``Deferred.asFuture()``. That consumes the result: the first
    waiter gets the parser and every other one ``None``, which the middleware reads as "no robots.txt",
    and lets through whatever robots.txt says. A crawl's first requests to a host are exactly such a
    batch (the feeds, sitemaps and start URLs; in a shared crawl, whatever a new process takes from the
    queue), so a disallowed start URL, or a queued one, was fetched. Here each waiter gets a Deferred of
    its own that the shared one passes its result to, as Scrapy did before 2.13.

    And one rule of RFC 9309 (2.5): a crawler must parse at least the first 500 KiB of a robots.txt.
    Scrapy cancels a body over DOWNLOAD_MAXSIZE and then ignores robots.txt altogether, so a 10 MB file
    starting with ``Disallow: /a/`` let ``/a/`` be crawled. Here a robots.txt download has no size limit
    but stops (``StopDownload(fail=False)``) after :data:`ROBOTS_MAX_BYTES`, and the rules of those bytes,
    up to their last whole line, apply (counted ``presswash/robots/truncated``).
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    async def process_request(self, request: Request, spider: Any = None) -> None:  # type: ignore[override]
        if _is_robots_txt(request):
            request.meta["download_maxsize"] = 0  # no cancel: bytes_received stops it at ROBOTS_MAX_BYTES
            request.meta[ROBOTS_CAP_META] = 0
        await super().process_request(request)

    def bytes_received(self, data: bytes, request: Request, spider: Any = None) -> None:
        received = request.meta.get(ROBOTS_CAP_META)
        if received is None:
            return
        received += len(data)
        request.meta[ROBOTS_CAP_META] = received
        if received > ROBOTS_MAX_BYTES:
            raise StopDownload(fail=False)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        await super()._parse_robots(truncate_robots(response, self.crawler.stats), netloc, request)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(parser, Deferred):
            return await super().robot_parser(request)  # parsed already, or this request fetches it
        waiter: Deferred[RobotParser | None] = Deferred()

        def relay(result: RobotParser | None) -> RobotParser | None:
            waiter.callback(result)
            return result  # for the next waiter

        parser.addCallback(relay)  # never errbacks: a failed robots.txt fires it with None
        return await maybe_deferred_to_future(waiter)


def _is_robots_txt(request: Request) -> bool:
    return urlparse_cached(request).path == "/robots.txt"


def truncate_robots(response: Response, stats: Any = None) -> Response:
    """A robots.txt body cut to its first ROBOTS_MAX_BYTES, at the last whole line (RFC 9309 2.5)."""
    if len(response.body) <= ROBOTS_MAX_BYTES and "download_stopped" not in response.flags:
        return response
    head = response.body[:ROBOTS_MAX_BYTES]
    cut = head.rfind(b"\n")
    head = head[: cut + 1] if cut >= 0 else b""
    logger.warning(
        "%s: robots.txt larger than %d bytes: its first %d bytes apply (RFC 9309)",
        response.url,
        ROBOTS_MAX_BYTES,
        len(head),
    )
    if stats is not None:
        stats.inc_value("presswash/robots/truncated")
    return response.replace(body=head)


class OffsiteMiddleware(ScrapyOffsiteMiddleware):
    """Scrapy's offsite filter (replaces it in crawler/settings.py), with its refusals accounted for.

    Scrapy filters a request when it is *scheduled* (the ``request_scheduled`` signal): an IgnoreRequest
    there drops it without an errback or a ``request_dropped`` signal. Our own requests never go offsite
    (the spider checks the domains first), but a redirect to another domain is re-scheduled and vanished
    that way: missing from the URL ledger and from ``read``, with the stats still saying accounted. Here
    the same decision is reported (``url_outcome``: ``failed``/``offsite`` for a redirect, ``skipped``
    otherwise), so RunAccounting counts it like any other outcome.
    """

    def request_scheduled(self, request: Request, spider: Any = None) -> None:
        try:
            super().request_scheduled(request, spider)
        except IgnoreRequest as exc:
            kind = request.meta.get(KIND_META)
            if kind is not None:
                redirected = bool(request.meta.get("redirect_urls"))
                self.crawler.signals.send_catch_log(
                    url_outcome,
                    request=request,
                    kind=kind,
                    outcome="failed" if redirected else "skipped",
                    reason="offsite",
                    detail=f"redirected to {request.url}: {exc}" if redirected else str(exc),
                    status=None,
                )
            raise


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware plus a wait before each retry (see the module docstring)."""

    def __init__(self, settings: BaseSettings, base: float = 1.0, cap: float = 60.0) -> None:
        super().__init__(settings)
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        middleware = cls(
            settings,
            base=settings.getfloat("PRESSWASH_RETRY_BACKOFF_BASE", 1.0),
            cap=settings.getfloat("PRESSWASH_RETRY_BACKOFF_MAX", 60.0),
        )
        middleware.crawler = crawler
        return middleware

    def process_response(self, request: Request, response: Response) -> Any:  # type: ignore[override]
        result = super().process_response(request, response)
        if result is not response and DELAY_META in getattr(result, "meta", {}):
            asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            if asked is not None:
                result.meta[DELAY_META] = min(self.cap, max(result.meta[DELAY_META], asked))
        return result

    def _retry(self, request: Request, reason: Any) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            retry.meta[DELAY_META] = backoff_delay(retry.meta.get("retry_times", 1), self.base, self.cap)
        return retry

    async def process_request(self, request: Request) -> None:
        """Wait here, on the way back to the downloader, so the wait happens after re-scheduling and
        other requests keep flowing meanwhile."""
        delay = request.meta.pop(DELAY_META, 0.0)
        if delay > 0:
            await asyncio.sleep(delay)


class ConditionalGetMiddleware:
    """Article requests meet the state store just before they go out (after the backoff wait, before
    HttpCompressionMiddleware), whichever way they were scheduled.

    - A refetch the spider asked for (``presswash_refetch``: the feed or sitemap says the page changed)
      carries ``If-None-Match`` / ``If-Modified-Since`` with what the server sent last time, so an
      unchanged page costs a 304 and no cleaning.
    - Any other article request whose URL the state store already has is dropped
      (``IgnoreRequest("presswash: known")``, counted as ``skipped/known``). The spider already skips
      known URLs when it discovers them; this catches requests scheduled before the URL became known:
      requests resumed from a JOBDIR, a redirect to a known page, another site's crawl in the same run.
    """

    def __init__(self, *, state_path: str, dedup: DedupSettings | None = None) -> None:
        self.state_path = state_path
        self.dedup = dedup
        self._shared: SharedState | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        state_path = crawler.settings.get("PRESSWASH_STATE_PATH")
        if not state_path:
            raise NotConfigured("PRESSWASH_STATE_PATH is not set (not a presswash NewsSpider crawl)")
        middleware = cls(state_path=state_path, dedup=dedup_settings(crawler.settings))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self) -> None:
        self._shared = SharedState.acquire(self.state_path, self.dedup)

    def spider_closed(self) -> None:
        if self._shared is not None:
            self._shared.release()
            self._shared = None

    def process_request(self, request: Request) -> None:
        if self._shared is None or request.meta.get(KIND_META) != ARTICLE:
            return
        state = self._shared.store.get_fetch(normalize_url(request.url))
        if request.meta.get(REFETCH_META):
            for name, value in conditional_headers(state).items():
                request.headers.setdefault(name, value)
        elif state is not None:
            raise IgnoreRequest(KNOWN_MESSAGE)


class ArchiveMiddleware:
    """Writes every article page the spider hands on (a PageItem) to the raw WARC archive.

    A spider middleware rather than a pipeline stage so the page is archived as fetched, before the
    cleaner can reject it: re-cleaning with better rules later may want exactly those pages. The
    archive gets the item's own ``fetched_at`` so re-cleaning reproduces the crawl's record. A failed
    write is logged and counted (``presswash/archive/error``) but never costs the article. Off with
    ``archive.enabled: false`` (``PRESSWASH_ARCHIVE_DIR`` unset).
    """

    def __init__(
        self,
        *,
        root: str | Path,
        site: str,
        retention_days: int | None = None,
        gzip_level: int = DEFAULT_GZIP_LEVEL,
        stats: Any = None,
    ) -> None:
        self.root = Path(root)
        self.site = site
        self.retention_days = retention_days
        self.stats = stats
        self.archive = WarcArchive(self.root, site, gzip_level=gzip_level)
        self._error_logged = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        root = settings.get("PRESSWASH_ARCHIVE_DIR")
        if not root:
            raise NotConfigured("the raw archive is off (archive.enabled: false)")
        retention = settings.get("PRESSWASH_ARCHIVE_RETENTION_DAYS")
        middleware = cls(
            root=root,
            site=settings.get("PRESSWASH_SITE") or "unnamed",
            retention_days=int(retention) if retention is not None else None,
            gzip_level=settings.getint("PRESSWASH_ARCHIVE_GZIP_LEVEL", DEFAULT_GZIP_LEVEL),
            stats=crawler.stats,
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self) -> None:
        try:
            self.repair_left_open()
            deleted = prune_archive(self.root, self.retention_days, site=self.site)
        except OSError as exc:
            logger.error("archive repair or retention failed for %s: %s", self.root / self.site, exc)
            return
        if deleted and self.stats is not None:
            self.stats.inc_value("presswash/archive/pruned", len(deleted))

    def repair_left_open(self) -> list[Path]:
        """Day files a killed run left open (``.writing`` marker still there): truncate the torn last record
        and drop the marker. Safe because this crawl holds the site's lock, so no one else writes them.
        Without it, a file left open on a day no later run writes to would keep its torn tail (re-cleaning
        it reports a read error) and would never be deleted by retention (which skips open files)."""
        repaired = []
        for marker in sorted((self.root / self.site).glob(f"*.warc.gz{MARKER_SUFFIX}")):
            path = marker.with_name(marker.name.removesuffix(MARKER_SUFFIX))
            try:
                start = int(marker.read_text(encoding="ascii").strip() or 0)
            except ValueError:
                start = 0
            dropped = repair_torn_tail(path, start)
            if dropped:
                logger.warning("%s: dropped a torn last record (%d bytes) left by a killed run", path, dropped)
            marker.unlink(missing_ok=True)
            repaired.append(path)
        return repaired

    def spider_closed(self) -> None:
        self.archive.close()

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for output in result:
            if isinstance(output, PageItem):
                self._write(response, output)
            yield output

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in result:
            if isinstance(output, PageItem):
                self._write(response, output)
            yield output

    def _write(self, response: Response, item: PageItem) -> None:
        raw = item.raw
        try:
            fetched = FetchedResponse.from_scrapy(
                response, raw.fetched_at or datetime.now(UTC), site=raw.site, hints=raw.hints
            )
            self.archive.write(fetched)
        except Exception as exc:  # the archive is a copy: losing it must not lose the article
            if self.stats is not None:
                self.stats.inc_value("presswash/archive/error")
            if not self._error_logged:
                self._error_logged = True
                logger.error("cannot archive %s to %s: %s", response.url, self.root / self.site, exc)
        else:
            if self.stats is not None:
                self.stats.inc_value("presswash/archive/written")
