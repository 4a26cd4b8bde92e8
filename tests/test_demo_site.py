"""Tests of the demo news site server (tests/http_server.py) and its manifest.

Crawler and cleaner tests trust the demo site and its manifest as ground truth, so this file checks that
every route answers as documented and that the manifest matches the pages actually served.
Every response is read inside ``with`` (the suite turns ResourceWarning into an error).
"""

from __future__ import annotations

import gzip
import importlib
import json
import re
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from http_server import start_server_subprocess, stop_server

MANIFEST_TEXT = (Path(__file__).resolve().parent / "site" / "manifest.json").read_text(encoding="utf-8")
MANIFEST: dict[str, Any] = json.loads(MANIFEST_TEXT)
ARTICLES: list[dict[str, Any]] = MANIFEST["articles"]
ARTICLES_BY_PATH = {a["path"]: a for a in ARTICLES}
NEWS_PATHS = [a["path"] for a in ARTICLES if a["kind"] == "news"]
QUICK_BULK = 120
QUICK_HUGE = 200_000
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "atom": "http://www.w3.org/2005/Atom",
}


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Surface 3xx answers instead of following them, so redirect routes can be asserted."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


@dataclass
class Fetched:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(url: str, *, method: str = "GET", headers: dict[str, str] | None = None, timeout: float = 10) -> Fetched:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return Fetched(response.status, response.headers, response.read())
    except urllib.error.HTTPError as err:
        with err:
            return Fetched(err.code, err.headers, err.read())


def fetch_json(url: str, method: str = "GET") -> Any:
    got = fetch(url, method=method)
    assert got.status == 200, (url, got.status, got.body[:200])
    return json.loads(got.body)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _TextExtractor()
    parser.feed(page)
    parser.close()
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def hrefs(page: str) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]+)"', page)


def local_paths(links: list[str], base: str) -> set[str]:
    """Links on this host, reduced to their path (query and fragment dropped)."""
    return {urlsplit(link).path for link in links if link.startswith("/") or link.startswith(base)}


def decoded_page(entry: dict[str, Any], got: Fetched) -> str:
    body = gzip.decompress(got.body) if got.headers.get("Content-Encoding") == "gzip" else got.body
    if entry["failure"] == "ok-charset":
        return body.decode("cp1252")
    return body.decode("utf-8", errors="replace")


def without_base(page: str, base: str) -> str:
    """Drop the port-dependent base URL (plain and URL-encoded, as in share links) before comparing."""
    return page.replace(base, "BASE").replace(quote(base, safe=""), "BASE")


def get_article(base: str, path: str) -> Fetched:
    got = fetch(base + path)
    if got.status == 500 and path == "/fail/flaky.html":
        got = fetch(base + path)
    return got


# --------------------------------------------------------------------------------------------------
# Fixtures local to this file
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_site() -> Iterator[str]:
    """A server with a short slow route, a small huge page and bulk articles, for content checks."""
    proc, base = start_server_subprocess(articles=QUICK_BULK, slow_seconds=0.2, huge_bytes=QUICK_HUGE)
    try:
        yield base
    finally:
        stop_server(proc)


# --------------------------------------------------------------------------------------------------
# Process and basic routes
# --------------------------------------------------------------------------------------------------


def test_base_url_is_loopback_without_trailing_slash(demo_site: str) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", demo_site)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM handling is POSIX-only")
def test_sigterm_exits_cleanly() -> None:
    proc, base = start_server_subprocess()
    assert fetch(base + "/robots.txt").status == 200
    assert stop_server(proc) == 0


def test_exits_when_parent_closes_stdin() -> None:
    proc, _base = start_server_subprocess()
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(10) == 0
    stop_server(proc)


def test_robots_txt(demo_site: str) -> None:
    got = fetch(demo_site + "/robots.txt")
    assert got.status == 200
    assert got.headers.get_content_type() == "text/plain"
    lines = got.text.splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /private/" in lines
    assert f"Sitemap: {demo_site}/sitemap_index.xml" in lines


def test_home_links_sections_and_static_pages(demo_site: str) -> None:
    got = fetch(demo_site + "/")
    assert got.status == 200
    paths = local_paths(hrefs(got.text), demo_site)
    for path in (
        "/section/world/",
        "/section/tech/",
        "/section/europe/",
        "/private/leak.html",
        "/about.html",
        "/contact.html",
        "/tag/ukraine/",
    ):
        assert path in paths
    assert not any(p.startswith("/bulk/") for p in paths), "bulk archive is linked only with --articles N"
    assert 'property="article:published_time"' not in got.text


def test_sections_link_their_articles_with_tracking_params_and_pagination(demo_site: str) -> None:
    page1 = fetch(demo_site + "/section/world/").text
    links = hrefs(page1)
    assert "/section/world/page/2/" in links
    assert any("?utm_source=rss" in link for link in links)
    assert any(link.endswith("#comments") for link in links)
    page2 = fetch(demo_site + "/section/world/page/2/")
    assert page2.status == 200
    found = local_paths(links + hrefs(page2.text), demo_site)
    expected = {a["path"] for a in ARTICLES if a["kind"] == "news" and a["section"] == "world"}
    assert expected <= found
    assert fetch(demo_site + "/section/world/page/9/").status == 404
    assert fetch(demo_site + "/section/sport/").status == 404
    moved = fetch(demo_site + "/section/world")
    assert moved.status == 301
    assert moved.headers["Location"] == demo_site + "/section/world/"


def test_tech_section_links_every_failure_route(demo_site: str) -> None:
    paths = local_paths(hrefs(fetch(demo_site + "/section/tech/").text), demo_site)
    assert set(MANIFEST["failures"]) <= paths


def test_europe_section_links_languages_and_print_alias(demo_site: str) -> None:
    paths = set()
    for page in ("/section/europe/", "/section/europe/page/2/"):
        paths |= local_paths(hrefs(fetch(demo_site + page).text), demo_site)
    for language in ("de", "fr", "es"):
        assert any(a["path"] in paths for a in ARTICLES if a["language"] == language)
    assert set(MANIFEST["canonical_aliases"]) <= paths


@pytest.mark.parametrize("path", MANIFEST["non_articles"])
def test_non_article_pages(demo_site: str, path: str) -> None:
    got = fetch(demo_site + path)
    assert got.status == 200
    assert 'property="article:published_time"' not in got.text
    assert '<meta property="og:type" content="website">' in got.text


def test_unknown_path_is_404(demo_site: str) -> None:
    got = fetch(demo_site + "/news/2026/01/no-such-story.html")
    assert got.status == 404
    assert "Page not found" in got.text


# --------------------------------------------------------------------------------------------------
# Feeds and sitemaps
# --------------------------------------------------------------------------------------------------


def test_rss_feed(demo_site: str) -> None:
    got = fetch(demo_site + "/feeds/rss.xml")
    assert got.headers.get_content_type() == "application/rss+xml"
    root = ET.fromstring(got.body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("./channel/item")
    assert {urlsplit(i.findtext("link") or "").path for i in items} == set(NEWS_PATHS)
    for item in items:
        assert (item.findtext("link") or "").startswith(demo_site + "/news/")
        assert parsedate_to_datetime(item.findtext("pubDate") or "").year in (2025, 2026)
        assert item.find("atom:updated", NS) is not None


def test_atom_feed(demo_site: str) -> None:
    root = ET.fromstring(fetch(demo_site + "/feeds/atom.xml").body)
    entries = root.findall("atom:entry", NS)
    paths = {urlsplit(e.find("atom:link", NS).get("href", "")).path for e in entries}  # type: ignore[union-attr]
    assert paths == set(NEWS_PATHS)
    for entry in entries:
        assert datetime.fromisoformat(entry.findtext("atom:updated", "", NS)) <= datetime.now(UTC)
        assert entry.findtext("atom:published", None, NS)


def test_sitemap_index_points_to_news_and_pages(demo_site: str) -> None:
    root = ET.fromstring(fetch(demo_site + "/sitemap_index.xml").body)
    assert root.tag == f"{{{NS['sm']}}}sitemapindex"
    locs = [s.findtext("sm:loc", "", NS) for s in root.findall("sm:sitemap", NS)]
    assert locs == [demo_site + "/sitemaps/news.xml", demo_site + "/sitemaps/pages.xml"]
    assert all(s.findtext("sm:lastmod", None, NS) for s in root.findall("sm:sitemap", NS))
    assert fetch(demo_site + "/sitemaps/bulk.xml").status == 404


def test_news_sitemap(demo_site: str) -> None:
    root = ET.fromstring(fetch(demo_site + "/sitemaps/news.xml").body)
    urls = root.findall("sm:url", NS)
    assert {urlsplit(u.findtext("sm:loc", "", NS)).path for u in urls} == set(NEWS_PATHS)
    titles = {a["path"]: a["title"] for a in ARTICLES}
    for url in urls:
        path = urlsplit(url.findtext("sm:loc", "", NS)).path
        assert url.findtext("sm:lastmod", None, NS)
        news = url.find("news:news", NS)
        assert news is not None
        assert news.findtext("news:title", None, NS) == titles[path]
        assert news.findtext("news:publication_date", None, NS)
        assert news.findtext("news:publication/news:name", None, NS) == MANIFEST["site_name"]


def test_pages_sitemap_lists_failures_and_non_articles(demo_site: str) -> None:
    root = ET.fromstring(fetch(demo_site + "/sitemaps/pages.xml").body)
    urls = root.findall("sm:url", NS)
    paths = {urlsplit(u.findtext("sm:loc", "", NS)).path for u in urls}
    assert set(MANIFEST["failures"]) <= paths
    assert set(MANIFEST["non_articles"]) <= paths
    assert set(MANIFEST["disallowed"]) <= paths, "the robots trap: listed in a sitemap yet disallowed"
    assert all(u.findtext("sm:lastmod", None, NS) for u in urls)


# --------------------------------------------------------------------------------------------------
# Articles against the manifest
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ARTICLES, ids=[a["path"] for a in ARTICLES])
def test_article_page_matches_manifest(quick_site: str, entry: dict[str, Any]) -> None:
    got = get_article(quick_site, entry["path"])
    assert got.status == 200
    page = decoded_page(entry, got)
    text = visible_text(page)
    for keep in entry["must_keep"]:
        assert norm(keep) in text
    for clutter in entry["must_remove"]:
        assert clutter in text, clutter
    assert f'<html lang="{entry["language"]}"' in page
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title and entry["title"] in visible_text(title.group(1))
    assert f'<meta name="author" content="{", ".join(entry["authors"])}">' in page
    assert f'<meta property="article:published_time" content="{entry["published"]}">' in page
    assert '<meta property="og:site_name" content="Presswash Demo Times">' in page
    assert '<meta name="description" content="' in page
    published = datetime.fromisoformat(entry["published"])
    assert published.year in (2025, 2026) and published < datetime.now(UTC)
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', page)
    assert (canonical.group(1) if canonical else None) == (
        quick_site + entry["canonical"] if entry["canonical"] else None
    )
    if entry["template"] in ("wordpress", "newspaper", "blogger") and entry["tags"]:
        assert '<meta name="keywords" content="' in page
        assert '<meta property="article:tag" content="' in page
    if entry["template"] == "newspaper":
        ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
        assert ld is not None
        data = json.loads(ld.group(1).replace("<\\/", "</"))
        assert data["@type"] == "NewsArticle" and data["headline"] == entry["title"]
    if entry["list_items"]:
        items = re.findall(r"<li>([^<]*)</li>", page)
        assert all(item in items for item in entry["list_items"])
    assert got.headers["ETag"] and got.headers["Last-Modified"]


def test_article_head_request(quick_site: str) -> None:
    path = NEWS_PATHS[0]
    get = fetch(quick_site + path)
    head = fetch(quick_site + path, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == str(len(get.body))
    assert head.headers["ETag"] == get.headers["ETag"]


def test_pages_are_deterministic_across_servers(demo_site: str, quick_site: str) -> None:
    for path in (NEWS_PATHS[0], "/", "/sitemaps/news.xml", "/feeds/atom.xml"):
        a = without_base(fetch(demo_site + path).text, demo_site)
        b = without_base(fetch(quick_site + path).text, quick_site)
        if path == "/":  # the home page links the bulk archive only when --articles N > 0
            b = re.sub(r'<li><a href="/bulk/page/1/">[^<]*</a></li>', "", b)
        assert a == b, path


def test_canonical_alias_declares_the_main_url(demo_site: str) -> None:
    for alias, main in MANIFEST["canonical_aliases"].items():
        got = fetch(demo_site + alias)
        assert got.status == 200
        assert f'<link rel="canonical" href="{demo_site}{main}">' in got.text


def test_disallowed_page_is_served_but_blocked_by_robots(demo_site: str) -> None:
    robots = fetch(demo_site + "/robots.txt").text
    for path in MANIFEST["disallowed"]:
        assert path.startswith("/private/")
        assert fetch(demo_site + path).status == 200
        assert any(
            path.startswith(line.split(":", 1)[1].strip())
            for line in robots.splitlines()
            if line.startswith("Disallow:")
        )


# --------------------------------------------------------------------------------------------------
# Conditional GET
# --------------------------------------------------------------------------------------------------


def test_conditional_get(demo_site: str) -> None:
    url = demo_site + NEWS_PATHS[1]
    first = fetch(url)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert parsedate_to_datetime(last_modified) == datetime.fromisoformat(ARTICLES[1]["published"])
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-Modified-Since": last_modified},
    ):
        got = fetch(url, headers=headers)
        assert got.status == 304, headers
        assert got.body == b""
        assert got.headers["ETag"] == etag
    older = format_datetime(datetime(2020, 1, 1, tzinfo=UTC), usegmt=True)
    assert fetch(url, headers={"If-Modified-Since": older}).status == 200
    assert fetch(url, headers={"If-None-Match": '"stale"'}).status == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    assert fetch(url, headers={"If-None-Match": '"stale"', "If-Modified-Since": last_modified}).status == 200


def test_feeds_and_sitemaps_support_conditional_get(demo_site: str) -> None:
    for path in ("/feeds/rss.xml", "/sitemaps/news.xml"):
        etag = fetch(demo_site + path).headers["ETag"]
        assert fetch(demo_site + path, headers={"If-None-Match": etag}).status == 304


# --------------------------------------------------------------------------------------------------
# Failure routes
# --------------------------------------------------------------------------------------------------


def test_missing_is_404(demo_site: str) -> None:
    assert fetch(demo_site + "/fail/missing.html").status == 404


def test_flaky_fails_once_then_serves_article(fresh_demo_site: str) -> None:
    url = fresh_demo_site + "/fail/flaky.html"
    assert fetch(url).status == 500
    second = fetch(url)
    assert second.status == 200
    assert norm(ARTICLES_BY_PATH["/fail/flaky.html"]["must_keep"][0]) in visible_text(second.text)
    assert fetch(url).status == 200
    fetch_json(fresh_demo_site + "/_control/reset")
    assert fetch(url).status == 500


def test_slow_route_outlasts_a_short_timeout(demo_site: str) -> None:
    started = time.monotonic()
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        fetch(demo_site + "/fail/slow.html", timeout=0.3)
    assert time.monotonic() - started < 3


def test_slow_route_answers_after_the_delay(quick_site: str) -> None:
    started = time.monotonic()
    got = fetch(quick_site + "/fail/slow.html")
    assert got.status == 200
    assert time.monotonic() - started >= 0.2


def test_redirect_loop(demo_site: str) -> None:
    first = fetch(demo_site + "/fail/loop.html")
    assert first.status == 302 and first.headers["Location"] == demo_site + "/fail/loop2.html"
    second = fetch(first.headers["Location"])
    assert second.status == 302 and second.headers["Location"] == demo_site + "/fail/loop.html"


def test_single_redirect_to_article(demo_site: str) -> None:
    got = fetch(demo_site + "/fail/redirect.html")
    assert got.status == 301
    target = MANIFEST["redirects"]["/fail/redirect.html"]
    assert got.headers["Location"] == demo_site + target
    assert target in MANIFEST["expected_articles"]
    assert fetch(got.headers["Location"]).status == 200


def test_gzip_article(demo_site: str) -> None:
    got = fetch(demo_site + "/fail/gzip.html", headers={"Accept-Encoding": "gzip"})
    assert got.status == 200
    assert got.headers["Content-Encoding"] == "gzip"
    assert got.headers["Content-Length"] == str(len(got.body))
    page = gzip.decompress(got.body).decode("utf-8")
    assert norm(ARTICLES_BY_PATH["/fail/gzip.html"]["must_keep"][0]) in visible_text(page)


def test_pdf_is_not_html(demo_site: str) -> None:
    got = fetch(demo_site + "/fail/report.pdf")
    assert got.status == 200
    assert got.headers.get_content_type() == "application/pdf"
    assert got.body.startswith(b"%PDF-")


def test_huge_page_default_size(demo_site: str) -> None:
    got = fetch(demo_site + "/fail/huge.html", method="HEAD")
    assert got.status == 200
    assert got.headers["Content-Length"] == str(3 * 1024 * 1024)


def test_huge_page_custom_size(quick_site: str) -> None:
    got = fetch(quick_site + "/fail/huge.html")
    assert len(got.body) == QUICK_HUGE
    assert got.body.startswith(b"<!DOCTYPE html>") and got.body.endswith(b"</html>\n")


def test_broken_html_has_garbage_bytes_and_a_readable_story(demo_site: str) -> None:
    got = fetch(demo_site + "/fail/broken.html")
    assert got.status == 200
    with pytest.raises(UnicodeDecodeError):
        got.body.decode("utf-8")
    assert "</html>" not in got.body.decode("utf-8", "replace")
    text = visible_text(got.body.decode("utf-8", "replace"))
    for keep in ARTICLES_BY_PATH["/fail/broken.html"]["must_keep"]:
        assert norm(keep) in text


def test_charset_mismatch(demo_site: str) -> None:
    got = fetch(demo_site + "/fail/charset.html")
    assert got.headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        got.body.decode("utf-8")
    page = got.body.decode("cp1252")
    assert '<meta charset="windows-1252">' in page
    for needle in ("é", "ü", "ñ", "“", "”", "’"):
        assert needle in page


# --------------------------------------------------------------------------------------------------
# Control routes (recurring-crawl support)
# --------------------------------------------------------------------------------------------------


def _lastmod_in_news_sitemap(base: str, path: str) -> str:
    root = ET.fromstring(fetch(base + "/sitemaps/news.xml").body)
    for url in root.findall("sm:url", NS):
        if url.findtext("sm:loc", "", NS) == base + path:
            return url.findtext("sm:lastmod", "", NS)
    raise AssertionError(f"{path} not in news sitemap")


def _atom_updated(base: str, path: str) -> str:
    root = ET.fromstring(fetch(base + "/feeds/atom.xml").body)
    for entry in root.findall("atom:entry", NS):
        if entry.find("atom:link", NS).get("href") == base + path:  # type: ignore[union-attr]
            return entry.findtext("atom:updated", "", NS)
    raise AssertionError(f"{path} not in Atom feed")


def test_hits_count_requests_per_path(fresh_demo_site: str) -> None:
    path = NEWS_PATHS[0]
    fetch(fresh_demo_site + path)
    fetch(fresh_demo_site + path + "?utm_source=rss")
    fetch(fresh_demo_site + "/fail/missing.html")
    hits = fetch_json(fresh_demo_site + "/_control/hits")
    assert hits == {path: 2, "/fail/missing.html": 1}
    by_url = fetch_json(fresh_demo_site + "/_control/hits?by=url&clear=1")
    assert by_url[path] == 1 and by_url[path + "?utm_source=rss"] == 1
    assert fetch_json(fresh_demo_site + "/_control/hits") == {}


def test_update_changes_body_etag_and_dates(fresh_demo_site: str) -> None:
    base, entry = fresh_demo_site, ARTICLES[0]
    path = entry["path"]
    before = fetch(base + path)
    sitemap_before, atom_before = _lastmod_in_news_sitemap(base, path), _atom_updated(base, path)
    slug = path.rsplit("/", 1)[1].removesuffix(".html")
    result = fetch_json(f"{base}/_control/update?slug={slug}", method="POST")
    assert result["path"] == path and result["revision"] == 1
    after = fetch(base + path)
    assert "Update:" in visible_text(after.text) and "Update:" not in visible_text(before.text)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert parsedate_to_datetime(after.headers["Last-Modified"]) > parsedate_to_datetime(
        before.headers["Last-Modified"]
    )
    assert fetch(base + path, headers={"If-None-Match": before.headers["ETag"]}).status == 200
    assert fetch(base + path, headers={"If-Modified-Since": before.headers["Last-Modified"]}).status == 200
    assert fetch(base + path, headers={"If-None-Match": after.headers["ETag"]}).status == 304
    assert _lastmod_in_news_sitemap(base, path) == result["modified"] != sitemap_before
    assert _atom_updated(base, path) == result["modified"] != atom_before
    second = fetch_json(f"{base}/_control/update?slug={slug}")
    assert second["revision"] == 2 and second["modified"] > result["modified"]
    assert fetch(f"{base}/_control/update?slug=no-such-story").status == 404
    assert fetch(f"{base}/_control/update").status == 400


def test_update_with_explicit_time(fresh_demo_site: str) -> None:
    result = fetch_json(f"{fresh_demo_site}/_control/update?slug=leak&at=2026-10-01T08:00:00Z")
    assert result["modified"] == "2026-10-01T08:00:00+00:00"


def test_publish_adds_article_everywhere(fresh_demo_site: str) -> None:
    base = fresh_demo_site
    published = fetch_json(base + "/_control/publish", method="POST")
    path = published["path"]
    assert re.fullmatch(r"/news/\d{4}/\d{2}/live-1-[a-z0-9-]+\.html", path)
    assert published["url"] == base + path
    page = fetch(base + path)
    assert page.status == 200 and published["title"] in page.text
    assert 'property="article:published_time"' in page.text
    assert base + path + "?utm_source=rss" in fetch(base + "/feeds/rss.xml").text
    assert _atom_updated(base, path)
    assert _lastmod_in_news_sitemap(base, path)
    assert path in local_paths(hrefs(fetch(base + "/section/world/").text), base)
    another = fetch_json(base + "/_control/publish")
    assert another["path"] != path and "/live-2-" in another["path"]


def test_reset_restores_initial_state(fresh_demo_site: str) -> None:
    base = fresh_demo_site
    initial = fetch(base + "/sitemaps/news.xml").body
    published = fetch_json(base + "/_control/publish")
    fetch_json(base + "/_control/update?slug=leak")
    assert fetch(base + "/sitemaps/news.xml").body != initial
    assert fetch_json(base + "/_control/reset", method="POST") == {"ok": True}
    assert fetch_json(base + "/_control/hits") == {}
    assert fetch(base + "/sitemaps/news.xml").body == initial
    assert "Update:" not in fetch(base + "/private/leak.html").text
    assert fetch(base + published["path"]).status == 404


def test_unknown_control_route(demo_site: str) -> None:
    assert fetch(demo_site + "/_control/nope").status == 404


# --------------------------------------------------------------------------------------------------
# Bulk articles (--articles N)
# --------------------------------------------------------------------------------------------------


def test_bulk_listing_pages(quick_site: str) -> None:
    assert "/bulk/page/1/" in hrefs(fetch(quick_site + "/").text)
    page1 = hrefs(fetch(quick_site + "/bulk/page/1/").text)
    assert [link for link in page1 if re.fullmatch(r"/bulk/\d{5}\.html", link)][:2] == [
        "/bulk/00001.html",
        "/bulk/00002.html",
    ]
    assert len([link for link in page1 if link.startswith("/bulk/0")]) == 50
    assert "/bulk/page/2/" in page1
    last = hrefs(fetch(quick_site + "/bulk/page/3/").text)
    assert len([link for link in last if link.startswith("/bulk/0")]) == QUICK_BULK - 100
    assert fetch(quick_site + "/bulk/page/4/").status == 404


def test_bulk_article_pages(quick_site: str) -> None:
    first = fetch(quick_site + "/bulk/00001.html")
    assert first.status == 200
    assert 50_000 <= len(first.body) <= 70_000
    assert first.body == fetch(quick_site + "/bulk/00001.html").body
    text = visible_text(first.text)
    assert len(text.split()) > 300
    assert 'property="article:published_time"' in first.text
    assert fetch(quick_site + f"/bulk/{QUICK_BULK:05d}.html").status == 200
    assert fetch(quick_site + f"/bulk/{QUICK_BULK + 1:05d}.html").status == 404


def test_bulk_sitemap(quick_site: str) -> None:
    index = ET.fromstring(fetch(quick_site + "/sitemap_index.xml").body)
    assert quick_site + "/sitemaps/bulk.xml" in [s.findtext("sm:loc", "", NS) for s in index]
    root = ET.fromstring(fetch(quick_site + "/sitemaps/bulk.xml").body)
    locs = [u.findtext("sm:loc", "", NS) for u in root.findall("sm:url", NS)]
    assert len(locs) == QUICK_BULK and locs[0] == quick_site + "/bulk/00001.html"


# --------------------------------------------------------------------------------------------------
# The manifest and the hand-written data
# --------------------------------------------------------------------------------------------------


def test_committed_manifest_is_up_to_date() -> None:
    build_manifest = importlib.import_module("build_manifest")  # tests/site is on sys.path via http_server
    assert build_manifest.manifest_text() == MANIFEST_TEXT, "run: python tests/site/build_manifest.py"


def test_article_inventory() -> None:
    news = [a for a in ARTICLES if a["kind"] == "news"]
    assert len(news) >= 12
    assert all(re.fullmatch(r"/news/\d{4}/\d{2}/[a-z0-9-]+\.html", a["path"]) for a in news)
    assert len({a["template"] for a in news}) >= 4
    languages = [a["language"] for a in news]
    assert all(languages.count(lang) >= 2 for lang in ("de", "fr", "es"))
    assert languages.count("en") > len(news) // 2
    assert MANIFEST["disallowed"] == ["/private/leak.html"]
    assert set(MANIFEST["expected_articles"]).isdisjoint(MANIFEST["disallowed"])
    assert "/fail/slow.html" not in MANIFEST["expected_articles"]


def test_paragraph_lengths() -> None:
    site_data = importlib.import_module("demo_articles")
    for article in site_data.ALL_ARTICLES:
        assert 5 <= len(article.paragraphs) <= 10, article.path
        for paragraph in article.paragraphs:
            assert 30 <= len(paragraph.split()) <= 80, (article.path, paragraph[:40])


def test_must_keep_and_must_remove_do_not_overlap() -> None:
    site_data = importlib.import_module("demo_articles")
    for article in site_data.ALL_ARTICLES:
        entry = ARTICLES_BY_PATH[article.path]
        body = (*article.paragraphs, *article.list_items)
        for clutter in entry["must_remove"]:
            assert not any(clutter in text for text in body), (article.path, clutter)
        assert set(entry["must_keep"]) <= set(body)


def test_traps_are_present() -> None:
    traps = {a["trap"]: a for a in ARTICLES if a["trap"]}
    assert traps["first-paragraph-mentions-cookies"]["must_keep"][0].startswith("Cookies")
    assert traps["first-paragraph-mentions-subscriptions"]["must_keep"][0].startswith("Subscribers")
    listed = [a for a in ARTICLES if a["list_items"]]
    assert listed and all(3 <= len(a["list_items"]) <= 5 for a in listed)
    assert all(set(a["list_items"]) <= set(a["must_keep"]) for a in listed)
    assert any(a["headline_in_body"] and a["title"] in a["must_remove"] for a in ARTICLES)
    assert any(a["empty_byline"] and "By -" in a["must_remove"] for a in ARTICLES)


def test_near_duplicate_pair() -> None:
    site_data = importlib.import_module("demo_articles")
    by_path = {a.path: a for a in site_data.ALL_ARTICLES}
    assert MANIFEST["near_duplicate_pairs"]
    for original, copy in MANIFEST["near_duplicate_pairs"]:
        assert original != copy
        assert by_path[original].paragraphs == by_path[copy].paragraphs
        assert by_path[copy].intro_line.startswith("This article first appeared on")
        assert by_path[copy].footer_line and not by_path[original].footer_line


def test_required_clutter_is_covered() -> None:
    clutter = {c for a in ARTICLES for c in a["must_remove"]}
    for needle in (
        "#buttons=(Ok, Go it!) #days=(20)",
        "Our website uses cookies to enhance your experience. Learn more",
        "Ok, Go it!",
        "Follow Google News",
        "Thank you..!!",
        "Abonnieren Sie unseren Newsletter",
        "Abonnez-vous à notre newsletter",
        "Suscríbete a nuestro boletín",
        "Post a Comment",
        "Post a Comment (0)",
        "Leave a Reply",
        "Kommentar schreiben",
        "Laisser un commentaire",
        "Deja un comentario",
        "Similar Posts",
        "Related Posts",
        "Read more:",
        "Also Read:",
        "Share on Facebook",
        "Tweet",
        "WhatsApp",
        "Advertisement",
        "By -",
    ):
        assert needle in clutter, needle
