"""BackoffRetryMiddleware: Scrapy's retries with exponential backoff, which Scrapy 2.19 does not do.

Scrapy re-queues a failed request at once; a site that answers 503 under load gets hit again within
milliseconds. This subclass keeps Scrapy's retry rules (RETRY_TIMES, RETRY_HTTP_CODES, RETRY_EXCEPTIONS,
stats) and only adds a wait before each retry: about ``base * 2**(n-1)`` seconds for the n-th retry, with
jitter, capped, and at least what the server's ``Retry-After`` asks for (also capped).
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.settings import BaseSettings


logger = logging.getLogger(__name__)


DELAY_META = "presswash_retry_delay"


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
