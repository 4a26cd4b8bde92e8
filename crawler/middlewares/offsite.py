"""OffsiteMiddleware: Scrapy's, with the redirects it filters reported to the run's accounting."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware as ScrapyOffsiteMiddleware
from scrapy.exceptions import IgnoreRequest

from crawler.meta import KIND_META, url_outcome

if TYPE_CHECKING:
    from scrapy.http import Request


logger = logging.getLogger(__name__)


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
