"""Shared crawls on Redis: one setting switches a crawl to scrapy-redis, ``presswash seed`` fills the queue.

With ``redis_url`` set (``scale.redis_url`` in config/presswash.yaml, ``$PRESSWASH_REDIS_URL``, or the
``PRESSWASH_REDIS_URL`` Scrapy setting), every ``presswash crawl --site NAME`` process of a site uses:

- scrapy-redis's scheduler and dupefilter on per-site keys (:func:`redis_settings`), with
  ``SCHEDULER_PERSIST=True``: the request queue and the fingerprints of every request made are shared,
  so a URL discovered by two processes is fetched by one of them, once;
- the state and dedup indexes on Redis (crawler.state.redis_store), so no article is written twice and the
  near-duplicate check sees every process's articles.

Keys per site (``P`` is the prefix, default ``presswash``):

``P:<site>:start_urls``   zset of seed entries (JSON, scored by priority), filled by ``presswash seed``
``P:<site>:requests``     scrapy-redis's priority queue (request dicts as JSON: crawler.redis_serializer)
``P:<site>:dupefilter``   scrapy-redis's set of request fingerprints (SHA1 hex)
``P:<site>:workers``      hash worker -> time until which it counts as busy (:class:`RedisCrawlCoordinator`)

Seeds are ``{"url": ..., "meta": {"presswash_kind": "feed", ...}}``, the JSON form scrapy-redis's
``make_request_from_data`` reads, in a sorted set so seeding twice queues an entry once. The spider turns
each into the same request its ``start()`` makes from the config (kinds: robots, feed, sitemap, start),
with ``dont_filter=True`` so every seeding fetches the feeds again; everything found from them goes
through the shared dupefilter. A seeding that finds the site's previous round finished (queue empty, no
busy worker) starts a new round: it clears the dupefilter, so section pages are fetched again, while the
state store keeps known articles from being fetched or written again.

scrapy-redis 0.9.1's ``RedisMixin`` only defines ``start_requests``, which Scrapy 2.16+ never calls, so
the news spider reads the seeds itself, in its ``async def start()`` and on ``spider_idle`` through
:class:`RedisCrawlCoordinator`, which also keeps an idle process open while another one is still busy
(its responses may yield requests for everybody).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from cleaners.config import ConfigError, load_yaml, validate
from crawler.config import shared_state_location
from crawler.meta import KIND_META
from crawler.state.redis_store import DEFAULT_PREFIX, check_prefix, default_worker_id

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request

    from crawler.sites import SiteConfig


logger = logging.getLogger(__name__)


REDIS_URL_ENV = "PRESSWASH_REDIS_URL"


REDIS_PREFIX_ENV = "PRESSWASH_REDIS_PREFIX"


POSTGRES_DSN_ENV = "PRESSWASH_POSTGRES_DSN"


SEED_SOURCE = "seed"


#: Seed kinds, highest priority first (the spider's PRIORITY for robots, feeds/sitemaps, pages).
SEED_PRIORITY = {"robots": 40, "feed": 30, "sitemap": 30, "start": 0}


class ScaleSettings(BaseModel):
    """The ``scale:`` section of config/presswash.yaml. Environment variables win over the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    redis_url: str | None = Field(default=None, description="redis://host:port/db: shared crawl and state")
    redis_prefix: str = Field(default=DEFAULT_PREFIX, description="prefix of every Redis key of this deployment")
    postgres_dsn: str | None = Field(default=None, description="PostgreSQL DSN: also load articles there")
    postgres_schema: str | None = Field(default=None, description="schema of the articles table")

    @property
    def state_location(self) -> str | None:
        """The state store location for crawler.state.open_state_store (None: keep the local one)."""
        if not self.redis_url:
            return None
        return shared_state_location(self.redis_url, self.redis_prefix)


class _ScaleFile(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    scale: ScaleSettings = Field(default_factory=ScaleSettings)


def load_scale_settings(
    config_path: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None
) -> ScaleSettings:
    """``scale:`` of presswash.yaml (the project's own by default), then $PRESSWASH_REDIS_URL,
    $PRESSWASH_REDIS_PREFIX and $PRESSWASH_POSTGRES_DSN over it. Errors name the file and key."""
    from cleaners.options import find_config

    env = os.environ if environ is None else environ
    path = find_config("presswash.yaml", config_path)
    data = load_yaml(path)
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{path}: (top level): expected a mapping")
    scale = validate(_ScaleFile, data, path).scale
    changes = {
        key: env[name]
        for key, name in (
            ("redis_url", REDIS_URL_ENV),
            ("redis_prefix", REDIS_PREFIX_ENV),
            ("postgres_dsn", POSTGRES_DSN_ENV),
        )
        if env.get(name)
    }
    scale = scale.model_copy(update=changes) if changes else scale
    if scale.redis_url and not scale.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"{path}: scale.redis_url: {scale.redis_url!r} is not a redis:// URL")
    check_prefix(scale.redis_prefix)
    return scale


def crawl_overrides(scale: ScaleSettings) -> dict[str, Any]:
    """The Scrapy settings `presswash crawl` adds for a scaled-out deployment (nothing when not)."""
    out: dict[str, Any] = {}
    if scale.redis_url:
        out["PRESSWASH_REDIS_URL"] = scale.redis_url
        out["PRESSWASH_REDIS_PREFIX"] = scale.redis_prefix
    if scale.postgres_dsn:
        out["PRESSWASH_POSTGRES_DSN"] = scale.postgres_dsn
        if scale.postgres_schema:
            out["PRESSWASH_POSTGRES_SCHEMA"] = scale.postgres_schema
    return out


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


def seed_entries(site: SiteConfig) -> list[dict[str, Any]]:
    """What ``NewsSpider.start()`` would request first for this site, as seed entries (config order)."""
    entries: list[dict[str, Any]] = []
    if site.sitemaps_from_robots:
        entries += [_entry(url, "robots") for url in site.robots_urls]
    entries += [_entry(url, "feed") for url in site.feed_urls]
    entries += [_entry(url, "sitemap") for url in site.sitemap_urls]
    entries += [_entry(url, "start") for url in site.start_page_urls]
    return entries


def _entry(url: str, kind: str) -> dict[str, Any]:
    return {"url": url, "meta": {KIND_META: kind, "presswash_source": SEED_SOURCE}}


def encode_entry(entry: dict[str, Any]) -> str:
    """Canonical JSON (sorted keys), so the same entry seeded twice is one member of the sorted set."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class SeedResult:
    site: str
    key: str
    queued: int
    already_queued: int
    new_round: bool


def push_seeds(client: Any, prefix: str, site: SiteConfig, *, reset: bool = False) -> SeedResult:
    """Queue a site's entry points. ``reset`` also drops its request queue (a fresh start)."""
    keys = SiteKeys.of(prefix, site.name)
    if reset:
        client.delete(keys.requests, keys.start_urls, keys.dupefilter)
    coordinator = RedisCrawlCoordinator(client, prefix, site.name, worker="seed")
    new_round = reset or coordinator.round_finished()
    if new_round:
        client.delete(keys.dupefilter)  # fetch section pages again; the state store skips known articles
    mapping = {encode_entry(entry): SEED_PRIORITY[entry["meta"][KIND_META]] for entry in seed_entries(site)}
    added = int(client.zadd(keys.start_urls, mapping, nx=True)) if mapping else 0
    return SeedResult(site.name, keys.start_urls, added, len(mapping) - added, new_round)


def decode_entry(data: bytes | str) -> dict[str, Any] | None:
    """A seed entry, or None for something that is not one (logged by the caller)."""
    try:
        entry = json.loads(data)
    except ValueError:
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
        return None
    meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
    kind = meta.get(KIND_META, "start")
    if kind not in SEED_PRIORITY:
        return None
    return {"url": entry["url"], "meta": {**meta, KIND_META: kind}}


class RedisCrawlCoordinator:
    """What a spider of a shared crawl asks Redis: seeds to start from, and whether to stay open.

    A process counts as busy from the moment it takes seeds or hands a request to its downloader until
    its engine is idle again (a short TTL covers a process killed while busy). An idle process stays
    open while the site's queue or seeds are not empty or another process is busy, and closes
    ``linger_seconds`` after all three stopped being the case. Busy starts before the first response on
    purpose: a process that has just taken every seed, or the last queued requests, leaves the queue
    empty while its requests are still on their way, and the others must not take that for the end.
    """

    def __init__(
        self,
        client: Any,
        prefix: str,
        site: str,
        *,
        worker: str | None = None,
        batch: int = 16,
        busy_ttl: float = 30.0,
        linger_seconds: float = 2.0,
        poll_seconds: float = 0.5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.keys = SiteKeys.of(prefix, site)
        self.site = site
        self.worker = worker or default_worker_id()
        self.batch = max(1, batch)
        self.busy_ttl = busy_ttl
        self.linger_seconds = linger_seconds
        self.poll_seconds = poll_seconds
        self._clock = clock
        self._poll: Any = None
        self._busy_until = 0.0
        self._idle_since: float | None = None
        self.crawler: Crawler | None = None
        self._make_requests: Callable[[dict[str, Any]], Iterable[Request]] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, site: str) -> RedisCrawlCoordinator:
        from scrapy_redis.connection import get_redis_from_settings

        settings = crawler.settings
        client = get_redis_from_settings(settings)
        return cls(
            client,
            settings.get("PRESSWASH_REDIS_PREFIX") or DEFAULT_PREFIX,
            site,
            batch=settings.getint("PRESSWASH_REDIS_SEED_BATCH", 16),
            busy_ttl=settings.getfloat("PRESSWASH_REDIS_BUSY_TTL", 30.0),
            linger_seconds=settings.getfloat("PRESSWASH_REDIS_LINGER", 2.0),
            poll_seconds=settings.getfloat("PRESSWASH_REDIS_POLL_SECONDS", 0.5),
        )

    # -- seeds --

    def pop_seeds(self, count: int | None = None) -> list[dict[str, Any]]:
        """Take up to ``count`` seed entries, highest priority first; each goes to one process only.
        Taking any marks this process busy: the requests they become are not in the queue yet."""
        popped = self.client.zpopmax(self.keys.start_urls, count or self.batch)
        if popped:
            self.mark_busy()
        entries = []
        for data, _score in popped:
            entry = decode_entry(data)
            if entry is None:
                logger.warning("%s: skipped a seed that is not a presswash entry: %r", self.keys.start_urls, data)
            else:
                entries.append(entry)
        return entries

    # -- busy / idle --

    def mark_busy(self) -> None:
        """Called on activity (a response); writes to Redis at most once per third of the TTL."""
        now = self._clock()
        self._idle_since = None
        if now + self.busy_ttl * 2 / 3 < self._busy_until:
            return
        self._busy_until = now + self.busy_ttl
        self.client.hset(self.keys.workers, self.worker, repr(self._busy_until))

    def mark_idle(self) -> None:
        self._busy_until = 0.0
        self.client.hdel(self.keys.workers, self.worker)

    def busy_workers(self) -> list[str]:
        """Other processes busy on this site now (expired entries, from killed processes, are removed)."""
        now = self._clock()
        busy, expired = [], []
        for worker, until in self.client.hgetall(self.keys.workers).items():
            name = worker.decode() if isinstance(worker, bytes) else worker
            if name == self.worker:
                continue
            (busy if float(until) > now else expired).append(name)
        if expired:
            self.client.hdel(self.keys.workers, *expired)
        return busy

    def pending(self) -> int:
        """Requests queued plus seeds not yet taken, for this site."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.zcard(self.keys.requests)
            pipe.zcard(self.keys.start_urls)
            requests, seeds = pipe.execute()
        return int(requests) + int(seeds)

    def round_finished(self) -> bool:
        """Nothing queued, nobody busy: the next seeding starts a new round."""
        return self.pending() == 0 and not self.busy_workers()

    def keep_open(self) -> bool:
        """For spider_idle: True while there is or may soon be work for this process."""
        self.mark_idle()
        if self.pending() or self.busy_workers():
            self._idle_since = None
            return True
        now = self._clock()
        if self._idle_since is None:
            self._idle_since = now
        return now - self._idle_since < self.linger_seconds

    # -- Scrapy wiring --

    def connect(self, crawler: Crawler, make_requests: Callable[[dict[str, Any]], Iterable[Request]]) -> None:
        """Hook into a crawl: activity marks busy; on idle, take more seeds or decide to stay open.

        ``make_requests`` is the spider's own translation of a seed entry into requests.
        """
        from scrapy import signals

        self.crawler = crawler
        self._make_requests = make_requests
        crawler.signals.connect(self._on_activity, signal=signals.request_reached_downloader)
        crawler.signals.connect(self._on_activity, signal=signals.response_received)
        crawler.signals.connect(self._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(self._on_opened, signal=signals.spider_opened)
        crawler.signals.connect(self._on_closed, signal=signals.spider_closed)

    def _on_opened(self) -> None:
        """Ask the engine for requests every ``poll_seconds``: its own heartbeat polls the scheduler
        every 5 s only, so an idle process would leave a short burst of queued requests to a busy one."""
        from twisted.internet import task

        if self.poll_seconds > 0:
            self._poll = task.LoopingCall(self._wake_engine)
            self._poll.start(self.poll_seconds, now=False)

    def _wake_engine(self) -> None:
        slot = getattr(getattr(self.crawler, "engine", None), "_slot", None)  # Scrapy 2.19's engine slot
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def _on_activity(self) -> None:
        self.mark_busy()

    def _on_idle(self) -> None:
        from scrapy.exceptions import DontCloseSpider

        assert self.crawler is not None and self._make_requests is not None
        scheduled = 0
        for entry in self.pop_seeds():
            for request in self._make_requests(entry):
                self.crawler.engine.crawl(request)
                scheduled += 1
        if scheduled:
            self.mark_busy()
            raise DontCloseSpider
        if self.keep_open():
            raise DontCloseSpider

    def _on_closed(self) -> None:
        if self._poll is not None and self._poll.running:
            self._poll.stop()
        self.mark_idle()


__all__ = [
    "RedisCrawlCoordinator",
    "ScaleSettings",
    "SiteKeys",
    "crawl_overrides",
    "load_scale_settings",
    "push_seeds",
    "redis_settings",
    "seed_entries",
]
