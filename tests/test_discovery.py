"""Discovery rules as pure functions: feeds, sitemaps, robots.txt, link and article URL rules."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from crawler.discovery import (
    DiscoveryError,
    Entry,
    UrlPattern,
    UrlRules,
    host_in_domains,
    is_too_old,
    maybe_gunzip,
    parse_date,
    parse_feed,
    parse_sitemap,
    resolve_links,
    sitemaps_in_robots,
    strip_tracking,
)
from crawler.middlewares.retry import backoff_delay, retry_after_seconds

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">
<channel><title>News</title>
  <item><title>First</title><link>https://news.example/news/1.html?utm_source=rss</link>
        <pubDate>Tue, 05 Mar 2024 10:30:00 +0100</pubDate></item>
  <item><title>Relative</title><link>/news/2.html</link></item>
  <item><title>Guid only</title><guid isPermaLink="true">https://news.example/news/3.html</guid></item>
  <item><title>Tracked</title><link>https://feedproxy.example/x</link>
        <feedburner:origLink>https://news.example/news/4.html</feedburner:origLink></item>
  <item><title>No link</title><guid isPermaLink="false">abc</guid></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>
  <entry><title>A</title><link rel="alternate" type="text/html" href="https://news.example/a.html"/>
    <link rel="edit" href="https://news.example/edit/a"/>
    <published>2024-03-05T09:00:00Z</published><updated>2024-03-06T09:00:00Z</updated></entry>
  <entry><title>B</title><link href="b.html"/><updated>2024-03-07</updated></entry>
</feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://news.example/"><title>N</title></channel>
  <item rdf:about="https://news.example/a-1"><title>One</title><link>https://news.example/a-1</link>
    <dc:date>2024-03-05T08:00:00Z</dc:date></item>
</rdf:RDF>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://news.example/news/1.html</loc><lastmod>2024-03-05T11:00:00+00:00</lastmod>
    <news:news><news:publication><news:name>N</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2024-03-05T10:00:00+01:00</news:publication_date>
      <news:title>First &amp; foremost</news:title></news:news></url>
  <url><loc> https://news.example/news/2.html </loc></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example/sitemaps/news.xml</loc><lastmod>2024-03-05</lastmod></sitemap>
  <sitemap><loc>https://news.example/sitemaps/pages.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_rss_entries() -> None:
    entries = parse_feed(RSS, "https://news.example/feeds/rss.xml")
    assert [e.url for e in entries] == [
        "https://news.example/news/1.html",
        "https://news.example/news/2.html",
        "https://news.example/news/3.html",
        "https://news.example/news/4.html",
    ]
    assert entries[0].published == datetime(2024, 3, 5, 9, 30, tzinfo=UTC)
    assert entries[0].title == "First"
    assert entries[0].hints() == {"published": "2024-03-05T09:30:00Z", "title": "First"}


def test_atom_entries() -> None:
    entries = parse_feed(ATOM, "https://news.example/feeds/atom.xml")
    assert [e.url for e in entries] == ["https://news.example/a.html", "https://news.example/feeds/b.html"]
    assert entries[0].published == datetime(2024, 3, 5, 9, tzinfo=UTC)
    assert entries[0].lastmod == datetime(2024, 3, 6, 9, tzinfo=UTC)
    assert entries[1].date == datetime(2024, 3, 7, tzinfo=UTC)


def test_rss1_rdf_entries() -> None:
    entries = parse_feed(RDF)
    assert [(e.url, e.title) for e in entries] == [("https://news.example/a-1", "One")]
    assert entries[0].published == datetime(2024, 3, 5, 8, tzinfo=UTC)


@pytest.mark.parametrize("body", [b"", b"not xml", b"<html><body>hi</body></html>", b"<urlset/>"])
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(DiscoveryError):
        parse_feed(body)


def test_feed_entities_are_not_expanded() -> None:
    evil = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
    <rss><channel><item><title>&x;</title><link>https://news.example/1</link></item></channel></rss>"""
    entries = parse_feed(evil)
    assert entries[0].url == "https://news.example/1"
    assert "root:" not in (entries[0].title or "")


def test_news_sitemap() -> None:
    sitemap = parse_sitemap(NEWS_SITEMAP)
    assert sitemap.kind == "urlset"
    first, second = sitemap.entries
    assert first.url == "https://news.example/news/1.html"
    assert first.published == datetime(2024, 3, 5, 9, tzinfo=UTC)
    assert first.lastmod == datetime(2024, 3, 5, 11, tzinfo=UTC)
    assert first.title == "First & foremost" and first.language == "en"
    assert first.date == first.published
    assert second == Entry(url="https://news.example/news/2.html")


def test_sitemap_index_and_gzip() -> None:
    sitemap = parse_sitemap(gzip.compress(INDEX))
    assert sitemap.kind == "index"
    assert [e.url for e in sitemap.entries] == [
        "https://news.example/sitemaps/news.xml",
        "https://news.example/sitemaps/pages.xml.gz",
    ]
    assert sitemap.entries[0].lastmod == datetime(2024, 3, 5, tzinfo=UTC)


def test_gzip_bomb_is_refused() -> None:
    with pytest.raises(DiscoveryError, match="decompressed"):
        maybe_gunzip(gzip.compress(b"<" + b" " * 200_000), max_size=100_000)
    with pytest.raises(DiscoveryError, match="gzip"):
        maybe_gunzip(b"\x1f\x8bnot really gzip")
    assert maybe_gunzip(b"<urlset/>") == b"<urlset/>"


def test_text_sitemap_and_bad_sitemaps() -> None:
    sitemap = parse_sitemap(b"https://news.example/a\n\nhttps://news.example/b\n")
    assert [e.url for e in sitemap.entries] == ["https://news.example/a", "https://news.example/b"]
    with pytest.raises(DiscoveryError):
        parse_sitemap(b"<html><body>Not found</body></html>")
    with pytest.raises(DiscoveryError):
        parse_sitemap(b"hello world")


def test_robots_sitemaps() -> None:
    robots = "User-agent: *\nDisallow: /private/\nSitemap: /sitemap_index.xml\nsitemap: https://cdn.example/s.xml # x\n"
    assert sitemaps_in_robots(robots, "https://news.example/robots.txt") == [
        "https://news.example/sitemap_index.xml",
        "https://cdn.example/s.xml",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024-03", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024-03-05T10:00:00Z", datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("2024-03-05T10:00:00.123+02:00", datetime(2024, 3, 5, 8, 0, 0, 123000, tzinfo=UTC)),
        ("Tue, 05 Mar 2024 10:30:00 GMT", datetime(2024, 3, 5, 10, 30, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text: str | None, expected: datetime | None) -> None:
    assert parse_date(text) == expected


def test_age_filter() -> None:
    now = datetime(2024, 3, 10, tzinfo=UTC)
    old = Entry(url="u", published=datetime(2024, 3, 1, tzinfo=UTC))
    assert is_too_old(old, now, 3)
    assert not is_too_old(old, now, None)
    assert not is_too_old(Entry(url="u"), now, 3)  # undated: cannot tell, so keep
    assert not is_too_old(Entry(url="u", lastmod=datetime(2024, 3, 9, tzinfo=UTC)), now, 3)


def test_tracking_parameters_are_dropped() -> None:
    assert strip_tracking("https://n.example/a.html?utm_source=rss&id=7&fbclid=x") == "https://n.example/a.html?id=7"
    assert strip_tracking("https://n.example/a.html?utm_medium=x") == "https://n.example/a.html"
    assert strip_tracking("https://n.example/a.html") == "https://n.example/a.html"
    assert resolve_links(["/a.html?at_medium=RSS#c"], "https://n.example/") == ["https://n.example/a.html"]


def test_resolve_links() -> None:
    hrefs = ["/a.html#top", "b.html", "mailto:x@y", "javascript:void(0)", "/a.html", "https://o.example/x", " "]
    assert resolve_links(hrefs, "https://news.example/section/") == [
        "https://news.example/a.html",
        "https://news.example/section/b.html",
        "https://o.example/x",
    ]


def rules() -> UrlRules:
    return UrlRules(
        article=[r"/news/\d{4}/\d{2}/[\w-]+\.html$"],
        article_deny=[r"/live/"],
        follow_allow=[r"/section/"],
        follow_deny=[r"/section/private"],
        max_depth=2,
        domains=["news.example"],
    )


def test_article_rule() -> None:
    r = rules()
    assert r.is_article("https://news.example/news/2024/03/some-story.html")
    assert r.is_article("https://www.news.example/news/2024/03/some-story.html")
    assert not r.is_article("https://news.example/news/2024/03/live/some-story.html")
    assert not r.is_article("https://news.example/section/world/")
    assert r.classify_entry("https://news.example/news/2024/03/a.html") == "article"
    assert r.classify_entry("https://news.example/about.html") == "not_article"
    assert r.classify_entry("https://other.example/news/2024/03/a.html") == "offsite"


def test_link_rules_and_depth() -> None:
    r = rules()
    article = "https://news.example/news/2024/03/a.html"
    section = "https://news.example/section/world/"
    assert r.classify_link(article, 1) == "article"
    assert r.classify_link(article, 2) == "article"
    assert r.classify_link(article, 3) == "too_deep"
    assert r.classify_link(section, 1) == "follow"
    assert r.classify_link(section, 2) == "too_deep"  # a page at max_depth could only lead too deep
    assert r.classify_link("https://news.example/section/private/x", 1) == "denied"
    assert r.classify_link("https://news.example/about.html", 1) == "not_allowed"
    assert r.classify_link("https://elsewhere.example/section/x", 1) == "offsite"
    assert r.sitemap_wanted("https://news.example/sitemaps/news.xml", [UrlPattern(r"/news\.xml")])
    assert not r.sitemap_wanted("https://news.example/sitemaps/pages.xml", [UrlPattern(r"/news\.xml")])
    assert r.sitemap_wanted("https://news.example/sitemaps/pages.xml", [])


def test_path_anchored_patterns() -> None:
    on_path = UrlPattern(r"^/news/\d+\.html$")
    assert on_path.search("http://127.0.0.1:8123/news/1.html")
    assert not on_path.search("http://127.0.0.1:8123/print/news/1.html")
    assert not on_path.search("http://127.0.0.1:8123/news/1.html?page=2")  # the query is part of the target
    anywhere = UrlPattern(r"/news/\d+\.html")
    assert anywhere.search("http://127.0.0.1:8123/print/news/1.html")
    assert UrlPattern(r"^https://a\.example/").search("https://a.example/x")


def test_host_in_domains() -> None:
    assert host_in_domains("https://www.bbc.co.uk/news", ["bbc.co.uk"])
    assert not host_in_domains("https://evilbbc.co.uk/news", ["bbc.co.uk"])
    assert host_in_domains("http://127.0.0.1:8000/x", ["127.0.0.1"])


def test_backoff_and_retry_after() -> None:
    import random

    rng = random.Random(1)
    delays = [backoff_delay(n, 1.0, 10.0, rng) for n in (1, 2, 3, 4, 5)]
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0 and 2.0 <= delays[2] <= 4.0
    assert all(d <= 10.0 for d in delays)
    assert backoff_delay(3, 0.0, 10.0) == 0.0
    assert retry_after_seconds(b"120") == 120.0
    now = datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
    assert retry_after_seconds("Tue, 05 Mar 2024 10:01:00 GMT", now) == 60.0
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None
