"""Feed autodiscovery: the RSS and Atom feeds a home page announces with ``<link rel="alternate">``.

A site configured with only its name and home page (``home:`` in sites.yaml) is crawled from what the
site itself says: the feeds its home page links this way, and the sitemaps its robots.txt lists (as
``sitemaps_from_robots``). Pure functions, no I/O: the spider fetches, this reads.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
MAX_FEEDS = 20


def alternate_feeds(body: bytes | str, base_url: str) -> list[str]:
    """Absolute http(s) URLs of the feeds ``<link rel="alternate" type="application/rss+xml">`` (or Atom,
    RDF, JSON Feed) names in the page's head or body, in page order, without repeats, at most MAX_FEEDS."""
    if not body.strip():
        return []
    try:
        tree = lxml_html.fromstring(body)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    base = tree.xpath("//base/@href")
    base_url = urljoin(base_url, str(base[0])) if base else base_url
    found: dict[str, None] = {}
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" not in rel or kind not in FEED_TYPES or not href:
            continue
        url = urljoin(base_url, href)
        if urlsplit(url).scheme in ("http", "https"):
            found.setdefault(url, None)
        if len(found) >= MAX_FEEDS:
            break
    return list(found)
