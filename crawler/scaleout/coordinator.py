"""RedisCrawlCoordinator: reads the seeds on ``spider_idle`` and keeps an idle process open while another
one is still busy (its responses may yield requests for everybody).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crawler.config import DEFAULT_PREFIX
from crawler.meta import KIND_META
from crawler.scaleout.frontier import SiteKeys
from crawler.scaleout.seeds import SEED_PRIORITY, decode_entry, encode_entry, seed_entries
from crawler.sites import SiteConfig
from crawler.state.redis_store import default_worker_id

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request


logger = logging.getLogger(__name__)


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
