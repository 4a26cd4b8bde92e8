"""FetchStateRecorder: the final outcome of every article URL into the state store, so the next run skips
what it already has (docs/recurring.md).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import (
    NotConfigured,
)

from cleaners.article import Article, RejectReason
from cleaners.timestamps import utc_iso
from cleaners.urls import normalize_url
from crawler.config import dedup_settings
from crawler.items import Rejection
from crawler.meta import ARTICLE, HINTS_META, url_outcome
from crawler.state.records import FetchOutcome, FetchState
from crawler.state.shared import SharedState

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response


logger = logging.getLogger(__name__)


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
        if not isinstance(item, Article):
            return
        self._put(
            response.request,
            "written",
            fetched_at=item.fetched_at,
            response=response,
            article_id=item.id,
            content_hash=item.content_hash,
            version=item.version,
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
        fetched_at = raw.fetched_at if raw is not None else item.fetched_at if isinstance(item, Article) else None
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
