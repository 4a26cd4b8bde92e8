"""Feed and sitemap autodiscovery: a site configured with only a name and a home page finds its feeds
(``<link rel="alternate">`` on the home page) and its sitemaps (robots.txt) and crawls from them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.discovery import alternate_feeds
from crawler.scaleout.seeds import seed_entries
from crawler.sites import load_sites

ROOT = Path(__file__).resolve().parent.parent
HOME_ONLY = """\
sites:
  - name: demo
    home: ${PRESSWASH_DEMO_URL}/
    politeness: {download_delay: 0, autothrottle: false, concurrency: 8}
"""


def test_alternate_feeds_reads_rss_and_atom_links_only() -> None:
    page = b"""<html><head><base href="/news/">
    <link rel="alternate" type="application/rss+xml" href="rss.xml">
    <link rel="alternate stylesheet" type="text/css" href="x.css">
    <link rel="alternate" type="text/html" hreflang="de" href="/de/">
    <link rel="Alternate" type="application/atom+xml; charset=utf-8" href="https://example.com/atom.xml">
    <link rel="alternate" type="application/rss+xml" href="rss.xml">
    <link rel="alternate" type="application/rss+xml" href="javascript:void(0)">
    </head><body></body></html>"""
    assert alternate_feeds(page, "https://example.com/") == [
        "https://example.com/news/rss.xml",
        "https://example.com/atom.xml",
    ]
    assert alternate_feeds(b"   ", "https://example.com/") == []


def test_a_home_page_alone_is_a_valid_site(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text("sites:\n  - name: news\n    home: https://news.example.com/en/\n", encoding="utf-8")
    site = load_sites(path).get("news")
    assert site.domains == ["news.example.com"]
    assert site.article_patterns == [r"^https://news\.example\.com/en/"]
    entries = [(e["url"], e["meta"]["presswash_kind"]) for e in seed_entries(site)]
    assert entries == [("https://news.example.com/robots.txt", "robots"), ("https://news.example.com/en/", "home")]


@pytest.mark.slow
def test_crawl_from_home_page_finds_feeds_and_sitemaps(
    demo_site: str, demo_manifest: dict[str, Any], tmp_path: Path
) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text(HOME_ONLY, encoding="utf-8")
    output = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("PRESSWASH_")}
    env.update({"PRESSWASH_DEMO_URL": demo_site, "PYTHONPATH": str(ROOT), "PRESSWASH_RUN_ID": "auto"})
    done = subprocess.run(
        [sys.executable, "-m", "crawler.crawl", "--sites", str(sites), "--output", str(output)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    stats = json.loads((output / "demo" / "runs" / "auto.json").read_text(encoding="utf-8"))
    ledger = [json.loads(line) for line in (output / "demo" / "runs" / "auto.urls.jsonl").read_text().splitlines()]
    fetched = {(urlsplit(line["url"]).path, line["kind"]) for line in ledger if line["outcome"] == "ok"}
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(f"{demo_site}/", timeout=10) as response:
        announced = [urlsplit(url).path for url in alternate_feeds(response.read(), f"{demo_site}/")]
    assert announced == ["/feeds/rss.xml"]  # the demo home page announces its RSS feed (not its Atom one)
    for feed in announced:
        assert (feed, "feed") in fetched, f"feed {feed} not found from the home page"
    assert ("/feeds/atom.xml", "feed") not in fetched  # only what the site announces
    assert (demo_manifest["sitemaps"]["index"], "sitemap") in fetched  # from robots.txt
    assert (demo_manifest["sitemaps"]["news"], "sitemap") in fetched
    assert stats["discovery"]["presswash/entries/home/feeds_found"] == 1
    feed_sources = {line.get("source", "") for line in ledger if line["kind"] == "feed"}
    assert all(source.startswith("home:") for source in feed_sources)
    written = {
        urlsplit(json.loads(line)["url"]).path
        for path in (output / "demo").glob("*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    }
    expected = set(demo_manifest["expected_articles"])
    assert len(written & expected) >= len(expected) * 0.8
    assert not written & set(demo_manifest["disallowed"])
