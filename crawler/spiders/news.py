"""The one generic news spider: ``scrapy crawl news -a site=NAME [-a config=PATH]``.

Everything site-specific comes from config/sites.yaml: where to discover articles (feeds, sitemaps,
robots.txt, link-following from start URLs), which URLs are articles, per-site cleaning overrides and
politeness. Only article pages go to the pipelines (and from there to the cleaner); every other fetch
is reported to the RunAccounting extension so that each URL ends somewhere in the run's stats.

Recurring crawls (docs/recurring.md): an article URL the state store already has is not requested
again unless its feed or sitemap entry carries a newer ``lastmod`` (then it is refetched conditionally
and a 304 ends as ``skipped/not_modified``). Feeds, sitemaps and robots.txt are always read again
(``dont_filter``): a run resumed from a JOBDIR must discover what was published since, and Scrapy's
persistent dupefilter would drop them. The spider's own set of requested URLs lives in ``self.state``
(saved in the JOBDIR by Scrapy's SpiderState), so a resumed run does not request its queue twice.

Shared crawls (docs/scaling.md): with ``PRESSWASH_REDIS_URL`` set, the site's request queue and
fingerprints live in Redis (scrapy-redis, on per-site keys) and so does the state, so any number of
processes crawl the site together. They start from the entry points ``presswash seed`` queued (each taken
by one process, through crawler.scaleout.coordinator.RedisCrawlCoordinator) instead of the config, and stay open
while the queue has work or another process may still add some.

Scrapy 2.16+ calls ``async def start()`` only (``start_requests`` is never called).
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.response import get_base_url

from cleaners import __version__
from cleaners.article import Article
from cleaners.config import ConfigError
from cleaners.document import RawDocument
from cleaners.urls import normalize_url
from crawler.config import (
    config_for,
    crawl_overrides,
    dedup_settings,
    load_scale_settings,
    load_sites_config,
    recurring_scrapy_settings,
    state_enabled,
)
from crawler.discovery import (
    DiscoveryError,
    Entry,
    SitemapStream,
    UrlPattern,
    UrlRules,
    alternate_feeds,
    compile_patterns,
    is_too_old,
    parse_feed,
    resolve_links,
    sitemaps_in_robots,
)
from crawler.extensions.accounting import classify_failure
from crawler.items import PageItem
from crawler.meta import ARTICLE, HINTS_META, KIND_META, PRIORITY, REFETCH_META, SOURCE_META, url_outcome
from crawler.middlewares.robots import truncate_robots
from crawler.runlog import check_run_id
from crawler.scaleout.coordinator import RedisCrawlCoordinator
from crawler.scaleout.seeds import SEED_SOURCE, seed_entries
from crawler.sites import SiteConfig, contact_warning
from crawler.state.records import FetchDecision, fetch_decision
from crawler.state.shared import SharedState

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

DEPTH_META = "presswash_depth"
#: Article requests one run makes from sitemap entries at most (PRESSWASH_MAX_SITEMAP_URLS); the rest wait.
DEFAULT_MAX_SITEMAP_URLS = 50_000
logger = logging.getLogger(__name__)
_contact_warned = False  # `scrapy crawl`: the contact warning once per process


def run_identity(now: datetime | None = None) -> tuple[str, str]:
    """(run id, run date): a UTC timestamp plus the pid, unique enough for runs of one machine."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{os.getpid()}", f"{now:%Y-%m-%d}"


class NewsSpider(scrapy.Spider):
    """Discovers article URLs of one configured site and yields each article page as a PageItem."""

    name = "news"

    def __init__(self, site: str | None = None, config: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.site_name = site
        self.config_path = config
        self.site: SiteConfig
        self.rules: UrlRules
        self._sitemap_follow: tuple[UrlPattern, ...] = ()
        self._seen: set[str] = set()  # normalized URLs already requested (articles and pages)
        self._discovery_seen: set[str] = set()  # feeds, sitemaps, robots.txt requested by this process
        self._articles_requested = 0
        self._sitemap_queued = 0  # article requests made from sitemap entries this run
        self._sitemap_cap = DEFAULT_MAX_SITEMAP_URLS
        self._now = datetime.now(UTC)
        self._shared: SharedState | None = None
        self.coordinator: RedisCrawlCoordinator | None = None  # a shared crawl's seeds and idle policy

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._configure(crawler)
        if crawler.settings.get("PRESSWASH_REDIS_URL"):
            spider.coordinator = RedisCrawlCoordinator.from_crawler(crawler, spider.site.name)
            spider.coordinator.connect(crawler, spider._seed_requests_when_idle)
        return spider

    def _configure(self, crawler: Crawler) -> None:
        """Load the site and put its settings in place before Scrapy freezes them.

        A missing or unknown site, or any config mistake, raises ConfigError naming the file and key:
        the crawl must not start, and it must not "succeed" with nothing either.
        """
        settings = crawler.settings
        sites = load_sites_config(self.config_path or settings.get("PRESSWASH_SITES_CONFIG"))
        if not self.site_name:
            raise ConfigError(f"{sites.path}: name a site with -a site=NAME (sites: {', '.join(sites.names)})")
        self.site = site = sites.get(self.site_name)
        self.rules = UrlRules(
            article=site.article_patterns,
            article_deny=site.article_url_deny,
            follow_allow=site.follow.allow,
            follow_deny=site.follow.deny,
            max_depth=site.follow.max_depth,
            domains=site.domains,
        )
        self._sitemap_follow = compile_patterns(site.sitemap_follow)
        self._sitemap_cap = settings.getint("PRESSWASH_MAX_SITEMAP_URLS", DEFAULT_MAX_SITEMAP_URLS)
        self.allowed_domains = site.domains  # Scrapy's OffsiteMiddleware enforces it on redirects too

        # scale: of presswash.yaml (environment over file) under whatever the command line gave: `presswash
        # crawl` passes it on already, `scrapy crawl` and scrapyd (the packed presswash.yaml) get it here.
        for key, value in crawl_overrides(load_scale_settings(settings.get("PRESSWASH_CONFIG"))).items():
            settings.set(key, value, priority="spider")
        run_id, run_date = run_identity(self._now)
        ours = {
            "PRESSWASH_SITE": site.name,
            "PRESSWASH_RUN_ID": check_run_id(settings.get("PRESSWASH_RUN_ID") or run_id),
            "PRESSWASH_RUN_DATE": settings.get("PRESSWASH_RUN_DATE") or run_date,
            **site.politeness.scrapy_settings(),
            **recurring_scrapy_settings(settings, site.name),  # state, dedup, archive, JOBDIR, frontier
        }
        redis_url = settings.get("PRESSWASH_REDIS_URL")
        if not state_enabled(settings):
            # A one-off (-s PRESSWASH_STATE=off): fetch everything as if for the first time, remember nothing.
            # The state is a throwaway store (dedup within the run still works), no JOBDIR, no run record.
            throwaway = tempfile.mkdtemp(prefix="presswash-state-off-")
            atexit.register(shutil.rmtree, throwaway, ignore_errors=True)
            # (at spider priority, as everything here: a state path given on the command line still wins)
            ours.update({"PRESSWASH_STATE_PATH": str(Path(throwaway) / "state.sqlite3"), "JOBDIR": None})
        global _contact_warned
        if not (_contact_warned or settings.getbool("PRESSWASH_CONTACT_WARNED")):
            from crawler.settings import DEFAULT_CONTACT_URL

            warning = contact_warning([site], settings.get("PRESSWASH_CONTACT_URL"), DEFAULT_CONTACT_URL)
            if warning:
                logger.warning(warning)
                _contact_warned = True
        if settings.getpriority("PRESSWASH_CONTACT_URL") > settings.getpriority("USER_AGENT"):
            ours["USER_AGENT"] = f"presswash/{__version__} (+{settings.get('PRESSWASH_CONTACT_URL')})"
        for key, value in ours.items():
            settings.set(key, value, priority="spider")  # -s on the command line still wins
        if redis_url:
            # Scrapy pulls requests from the scheduler until CONCURRENT_REQUESTS are in its downloader,
            # even when the site's own limit lets fewer run: from a shared queue, one process would take
            # work the others could be fetching. So no more than the site allows at once (one crawler is
            # one site); --set CONCURRENT_REQUESTS still wins.
            settings.set("CONCURRENT_REQUESTS", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), priority="spider")

    # -- entry point --

    async def start(self) -> AsyncIterator[Request]:
        self._open_state()
        if self.coordinator is not None:
            # A shared crawl: the entry points `presswash seed` queued, each taken by one process; later
            # ones come through the coordinator's spider_idle handler. The config's are not read here, so
            # N processes starting together do not fetch every feed N times.
            for entry in self.coordinator.pop_seeds():
                for request in self._seed_requests(entry):
                    yield request
            return
        for entry in seed_entries(self.site):  # robots.txt, feeds, sitemaps, start URLs: as seeded
            for request in self._seed_requests(entry, "config"):
                yield request

    def _seed_requests(self, entry: dict[str, Any], source: str = SEED_SOURCE) -> Iterator[Request]:
        """The requests for one entry point (crawler.scaleout.seeds.seed_entries): the same whether it comes
        from the config (a local crawl) or from the Redis seed queue (a shared one)."""
        url, kind = entry["url"], entry["meta"][KIND_META]
        callbacks = {"robots": self.parse_robots, "feed": self.parse_feed, "sitemap": self.parse_sitemap}
        if kind == "home":  # fetched as a page, read for its feeds
            yield from self._discovery_request(url, "page", self.parse_home, source)
        elif kind in callbacks:
            yield from self._discovery_request(url, kind, callbacks[kind], source)
        elif self.rules.is_article(url):
            yield from self._article_request(url, {}, source, "config", depth=0)
        else:
            yield from self._page_request(url, 0, source)

    def _seed_requests_when_idle(self, entry: dict[str, Any]) -> Iterator[Request]:
        """Seeds an idle process takes (a new round, or a seeding it joined): nothing of its own is in
        flight, so its per-process bookkeeping starts afresh, as in a new run. Within a round the shared
        fingerprints keep URLs from being fetched twice; without the reset, a worker kept open between
        rounds (PRESSWASH_REDIS_LINGER) would skip the feeds and section pages it read last round, and
        stop at max_articles for good."""
        self._seen.clear()
        self._discovery_seen.clear()
        self._articles_requested = 0
        self._sitemap_queued = 0
        self._now = datetime.now(UTC)
        yield from self._seed_requests(entry)

    # -- callbacks --

    def parse_robots(self, response: Response) -> Iterator[Request]:
        self._outcome(response.request, "robots", "ok", status=response.status)
        response = truncate_robots(response, self.crawler.stats)  # RFC 9309: its first 500 KiB
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        for url in sitemaps_in_robots(text, response.url):
            if self.rules.in_domains(url):  # sitemap_follow filters an index's children, not these
                yield from self._discovery_request(url, "sitemap", self.parse_sitemap, f"robots:{response.url}")
            else:
                self._count("presswash/entries/robots/offsite_sitemap")

    def parse_home(self, response: Response) -> Iterator[Request]:
        """A home page given as ``home:``: the feeds its ``<link rel="alternate">`` names are crawled."""
        self._outcome(response.request, "page", "ok", status=response.status)
        body = response.body if isinstance(response, TextResponse) else b""
        feeds = [url for url in alternate_feeds(body, response.url) if self.rules.in_domains(url)]
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("presswash/entries/home/feeds_found", len(feeds))
        if not feeds:
            logger.warning("%s: the home page %s names no RSS or Atom feed", self.site.name, response.url)
        for url in feeds:
            yield from self._discovery_request(url, "feed", self.parse_feed, f"home:{response.url}")

    def parse_feed(self, response: Response) -> Iterator[Request]:
        try:
            entries = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            # A broken feed is a failure with its reason, never "ok" with fewer (or no) entries; what was
            # read before the break is still followed.
            reason = "broken_xml" if exc.partial is not None else "unreadable"
            self._outcome(response.request, "feed", "failed", reason, str(exc), response.status)
            entries = exc.partial or []
        else:
            self._outcome(response.request, "feed", "ok", status=response.status)
        for entry in entries:
            yield from self._entry_request(entry, "feed", f"feed:{response.url}")

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """Entries one at a time (crawler.discovery.SitemapStream): a sitemap of 800,000 URLs is never held
        whole, and past PRESSWASH_MAX_SITEMAP_URLS its entries are only counted. The sitemap's own outcome
        is reported once it has been read: ``ok``, or ``failed/broken_xml`` (what came before the break is
        still followed)."""
        try:
            stream = SitemapStream(response.body, response.url)
        except DiscoveryError as exc:
            self._outcome(response.request, "sitemap", "failed", "unreadable", str(exc), response.status)
            return
        source = f"sitemap:{response.url}"
        finished = False
        try:
            for entry in stream:
                if stream.kind == "urlset":
                    yield from self._entry_request(entry, "sitemap", source)
                elif not self.rules.sitemap_wanted(entry.url, self._sitemap_follow):
                    self._count("presswash/entries/sitemap_index/not_followed")
                elif is_too_old(entry, self._now, self.site.max_age_days):
                    self._count("presswash/entries/sitemap_index/too_old")
                else:
                    yield from self._discovery_request(entry.url, "sitemap", self.parse_sitemap, source)
            finished = True
        finally:
            if stream.problem:
                detail = f"sitemap: {stream.problem}"
                self._outcome(response.request, "sitemap", "failed", "broken_xml", detail, response.status)
            else:
                detail = None if finished else "not read to the end: the crawl stopped"
                self._outcome(response.request, "sitemap", "ok", detail=detail, status=response.status)

    def parse_page(self, response: Response) -> Iterator[Request]:
        request = response.request
        if not isinstance(response, TextResponse):
            self._outcome(request, "page", "failed", "not_html", response.headers.get("Content-Type", b"").decode())
            return
        self._outcome(request, "page", "ok", status=response.status)
        yield from self._follow_links(response, request.meta.get(DEPTH_META, 0))

    def parse_article(self, response: Response) -> Iterator[PageItem | Request]:
        request = response.request
        if response.status == 304:  # a conditional refetch: unchanged since we wrote it
            self._outcome(request, ARTICLE, "skipped", "not_modified", status=304)
            return
        if request.meta.get("redirect_urls") and not self.rules.is_article(response.url):
            detail = f"redirected to {response.url}, which is not an article URL"
            self._outcome(request, ARTICLE, "rejected", "not_article", detail, response.status)
            return
        self._outcome(request, ARTICLE, "cleaning", status=response.status)
        hints = dict(request.meta.get(HINTS_META) or {})
        yield PageItem(raw=self._raw_document(response, hints), overrides=self.site.cleaning_overrides)
        depth = request.meta.get(DEPTH_META)
        if self.site.follow.from_articles and isinstance(response, TextResponse):
            yield from self._follow_links(response, depth or 0)

    def _raw_document(self, response: Response, hints: dict[str, str] | None = None) -> RawDocument:
        """The fetched page as the cleaning core takes it (the crawl's and ``scrapy parse``'s alike)."""
        content_type = response.headers.get("Content-Type")
        return RawDocument(
            content=response.body,
            url=response.url,
            content_type=content_type.decode("latin-1") if content_type else None,
            fetched_at=datetime.now(UTC),
            site=self.site.name,
            hints=hints or {},
        )

    def parse(self, response: Response) -> Iterator[Article]:
        """Scrapy's default callback, used only for a URL handed in from outside the crawl:
        ``scrapy parse --spider news -a site=NAME URL`` shows the record this page gives (cleaned here, with
        the site's cleaning options; a rejection is logged with its reason). The crawl's own requests all
        name their callbacks; to clean pages without a crawl, ``presswash clean URL`` does the same."""
        from cleaners.core import clean

        raw = self._raw_document(response)
        options = config_for(self.crawler).options
        result = clean(raw, options.replace(**dict(self.site.cleaning_overrides)))
        if isinstance(result, Article):
            yield result
        else:
            logger.warning("%s: rejected as %s: %s", response.url, result.reason.value, result.detail)

    def on_error(self, failure: Failure) -> None:
        """Every failed request ends here (HTTP errors, timeouts, robots.txt, offsite, redirect loops)."""
        request: Request = failure.request  # type: ignore[attr-defined]
        outcome, reason, status = classify_failure(failure)
        kind = request.meta.get(KIND_META, "page")
        self._outcome(request, kind, outcome, reason, str(failure.value)[:300], status)

    def closed(self, reason: str) -> None:
        if self._shared is not None:
            self._shared.release()
            self._shared = None

    # -- state --

    def _open_state(self) -> None:
        """Bind the requested-URL set to ``self.state`` (restored from the JOBDIR by Scrapy's SpiderState
        before start() runs) and open the shared state store."""
        state = getattr(self, "state", None)
        if isinstance(state, dict):
            self._seen = state.setdefault("seen", self._seen)
        location = self.crawler.settings.get("PRESSWASH_STATE_PATH")
        if location and self._shared is None:
            self._shared = SharedState.acquire(location, dedup_settings(self.crawler.settings))

    def _decide(self, key: str, lastmod: datetime | None) -> FetchDecision:
        if self._shared is None:
            return "new"
        return fetch_decision(self._shared.store.get_fetch(key), lastmod)

    # -- requests --

    def _request(self, url: str, kind: str, callback: Any, source: str, **meta: Any) -> Request:
        discovery = kind in ("robots", "feed", "sitemap")
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            priority=PRIORITY[kind],
            meta={KIND_META: kind, SOURCE_META: source, **meta},
            dont_filter=discovery,  # read again by a resumed run; deduplicated per process below
        )

    def _first_time(self, url: str) -> bool:
        key = normalize_url(url)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _discovery_request(self, url: str, kind: str, callback: Any, source: str) -> Iterator[Request]:
        key = normalize_url(url)
        if key in self._discovery_seen:
            self._count(f"presswash/entries/{kind}/duplicate")
            return
        self._discovery_seen.add(key)
        yield self._request(url, kind, callback, source)

    def _entry_request(self, entry: Entry, via: str, source: str) -> Iterator[Request]:
        decision = self.rules.classify_entry(entry.url)
        if decision == "article" and is_too_old(entry, self._now, self.site.max_age_days):
            decision = "too_old"
        self._count(f"presswash/entries/{via}/{decision}")
        if decision != "article":
            return
        if via == "sitemap":
            # Bounded queueing: a sitemap (index) of 800,000 URLs must not put them all in the queue and in
            # memory at once. Past the per-run cap an entry is counted as deferred and not requested; it is
            # not in the state store either, so the next run takes it (after skipping the known ones).
            if self._sitemap_queued >= self._sitemap_cap:
                self._count("presswash/entries/sitemap/deferred")
                return
            for request in self._article_request(entry.url, entry.hints(), source, via, lastmod=entry.lastmod):
                self._sitemap_queued += 1
                yield request
            return
        yield from self._article_request(entry.url, entry.hints(), source, via, lastmod=entry.lastmod)

    def _article_request(
        self,
        url: str,
        hints: dict[str, str],
        source: str,
        via: str,
        depth: int | None = None,
        lastmod: datetime | None = None,
    ) -> Iterator[Request]:
        key = normalize_url(url)
        if key in self._seen:
            self._count("presswash/entries/duplicate")
            return
        # Known URLs are not marked as seen: the same URL may come again from a sitemap with a newer lastmod.
        decision = self._decide(key, lastmod)
        if decision == "known":
            self._count(f"presswash/entries/{via}/known")
            return
        limit = self.site.max_articles
        if limit is not None and self._articles_requested >= limit:
            self._count("presswash/entries/over_max_articles")
            return
        self._seen.add(key)
        self._articles_requested += 1
        meta: dict[str, Any] = {HINTS_META: hints, DEPTH_META: depth}
        if decision == "changed":
            self._count(f"presswash/entries/{via}/changed")
            meta[REFETCH_META] = True
            meta["handle_httpstatus_list"] = [304]
        yield self._request(url, ARTICLE, self.parse_article, source, **meta)

    def _page_request(self, url: str, depth: int, source: str) -> Iterator[Request]:
        if self._first_time(url):
            yield self._request(url, "page", self.parse_page, source, **{DEPTH_META: depth})
        else:
            self._count("presswash/links/duplicate")

    def _follow_links(self, response: TextResponse, depth: int) -> Iterator[Request]:
        source = f"link:{response.url}"
        hrefs = response.xpath("//a/@href").getall()
        for url in resolve_links(hrefs, get_base_url(response)):
            decision = self.rules.classify_link(url, depth + 1)
            self._count(f"presswash/links/{decision}")
            if decision == "article":
                yield from self._article_request(url, {}, source, "link", depth + 1)
            elif decision == "follow":
                yield from self._page_request(url, depth + 1, source)

    # -- reporting --

    def _outcome(
        self,
        request: Request,
        kind: str,
        outcome: str,
        reason: str | None = None,
        detail: str | None = None,
        status: int | None = None,
    ) -> None:
        self.crawler.signals.send_catch_log(
            url_outcome, request=request, kind=kind, outcome=outcome, reason=reason, detail=detail, status=status
        )

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
