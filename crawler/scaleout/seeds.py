"""Seeds of a shared crawl: a site's entry points as scrapy-redis entries in a sorted set (``presswash seed``)."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from crawler.meta import KIND_META, PRIORITY

if TYPE_CHECKING:
    from crawler.sites import SiteConfig


logger = logging.getLogger(__name__)


SEED_SOURCE = "seed"


#: Seed kinds and their priority: the spider's (crawler.meta.PRIORITY); a start page is a page.
SEED_PRIORITY = {
    "robots": PRIORITY["robots"],
    "feed": PRIORITY["feed"],
    "sitemap": PRIORITY["sitemap"],
    "start": PRIORITY["page"],
}


def seed_entries(site: SiteConfig) -> list[dict[str, Any]]:
    """What ``NewsSpider.start()`` would request first for this site, as seed entries (config order)."""
    entries: list[dict[str, Any]] = []
    if site.sitemaps_from_robots or site.home:  # a home page alone: its robots.txt names the sitemaps
        entries += [_entry(url, "robots") for url in site.robots_urls]
    if site.home_url:  # its <link rel=alternate> names the feeds (crawler/spiders/autodiscovery.py)
        entries.append(_entry(site.home_url, "home"))
    entries += [_entry(url, "feed") for url in site.feed_urls]
    entries += [_entry(url, "sitemap") for url in site.sitemap_urls]
    entries += [_entry(url, "start") for url in site.start_page_urls]
    return entries


def _entry(url: str, kind: str) -> dict[str, Any]:
    return {"url": url, "meta": {KIND_META: kind, "presswash_source": SEED_SOURCE}}


def encode_entry(entry: dict[str, Any]) -> str:
    """Canonical JSON (sorted keys), so the same entry seeded twice is one member of the sorted set."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"))


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
