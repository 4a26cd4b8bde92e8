"""The shared frontier: scrapy-redis's scheduler and dupefilter on per-site keys (:func:`redis_settings`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crawler.config import check_prefix

if TYPE_CHECKING:
    pass


logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SiteKeys:
    """Redis keys of one site's shared crawl."""

    start_urls: str
    requests: str
    dupefilter: str
    workers: str

    @classmethod
    def of(cls, prefix: str, site: str) -> SiteKeys:
        base = f"{check_prefix(prefix)}:{site}"
        return cls(f"{base}:start_urls", f"{base}:requests", f"{base}:dupefilter", f"{base}:workers")

    def all(self) -> list[str]:
        return [self.start_urls, self.requests, self.dupefilter, self.workers]


def redis_settings(redis_url: str, prefix: str, site: str) -> dict[str, Any]:
    """Scrapy settings that put one site's crawl on scrapy-redis (apply at "spider" priority in
    NewsSpider._configure, where the site is known: every site has its own queue and dupefilter).

    The key templates of scrapy-redis are %-formatted with the spider name ("news" for every site), so
    the keys are given in full here, with the site in them (a prefix never contains '%').
    """
    keys = SiteKeys.of(prefix, site)
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # the queue and fingerprints outlive each process: that is the point
        # JSON, never pickle: a write to Redis must not run code in the crawl (crawler.redis_serializer).
        "SCHEDULER_QUEUE_CLASS": "crawler.redis_serializer.SafePriorityQueue",
        "SCHEDULER_SERIALIZER": "crawler.redis_serializer",
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "REDIS_START_URLS_KEY": keys.start_urls,
        "REDIS_START_URLS_AS_ZSET": True,
        "REDIS_URL": redis_url,
        "PRESSWASH_REDIS_URL": redis_url,
        "PRESSWASH_REDIS_PREFIX": prefix,
        # Scrapy's own on-disk queue (JOBDIR) is replaced by the Redis queue; a JOBDIR would only keep
        # the spider's in-memory state, which Redis now holds.
        "JOBDIR": None,
        # The site lock stays: with a Redis state it lives under the output directory (runlog.lock_dir_for)
        # and only keeps two processes out of one output directory, whose day files, WARC archive (repaired
        # at start) and replay belong to one writer. Processes with their own output directories, on one
        # machine or many, crawl the site together.
    }
