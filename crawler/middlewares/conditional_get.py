"""ConditionalGetMiddleware: If-None-Match / If-Modified-Since on article refetches, and a fetch-time
guard against article URLs the state store already has.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from cleaners.dedup import DedupSettings
from cleaners.urls import normalize_url
from crawler.config import dedup_settings
from crawler.meta import ARTICLE, KIND_META, KNOWN_MESSAGE, REFETCH_META
from crawler.state.records import conditional_headers
from crawler.state.shared import SharedState

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request


logger = logging.getLogger(__name__)


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
