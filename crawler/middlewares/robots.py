"""RobotsTxtMiddleware: Scrapy 2.19's, fixed for waiters and for a robots.txt over the download cap.

Requests that wait for a host's robots.txt while it is being fetched are checked against it too (Scrapy
lets all but the first of them through), and a robots.txt over the download cap is read up to 500 KiB and
obeyed (RFC 9309) instead of ignored.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import StopDownload
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.robotstxt import RobotParser


logger = logging.getLogger(__name__)


#: What RFC 9309 says a crawler must read of a robots.txt at least (its own limit: 500 kibibytes).
ROBOTS_MAX_BYTES = 500 * 1024


#: Bytes of a robots.txt received so far (present only on robots.txt requests).
ROBOTS_CAP_META = "presswash_robots_bytes"


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
