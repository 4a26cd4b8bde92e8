"""config/sites.yaml: the shipped configs are valid, and every mistake is reported with file and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleaners.config import ConfigError
from crawler.cron import validate_cron
from crawler.sites import Politeness, expand_env, load_sites

ROOT = Path(__file__).resolve().parent.parent

GOOD_SITE = """
  - name: good
    feeds: [https://news.example/rss.xml]
    article_url: ['/news/\\d+']
"""


def write(tmp_path: Path, text: str, name: str = "sites.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_sites(path)
    return str(caught.value)


def test_shipped_sites_config_is_valid() -> None:
    sites = load_sites(ROOT / "config" / "sites.yaml")
    assert {"bbc", "guardian", "dw", "lemonde"} <= set(sites.names)
    for site in sites.sites:
        assert site.article_url and site.schedule
        assert site.feed_urls or site.sitemap_urls or site.start_page_urls or site.sitemaps_from_robots
        assert all(url.startswith("https://") for url in site.feed_urls + site.sitemap_urls)
    # defaults apply where a site says nothing, and a site's own value wins
    assert sites.get("guardian").schedule == "0 * * * *"
    assert sites.get("bbc").schedule == "*/30 * * * *"
    assert sites.get("dw").politeness.download_delay == 2.0
    assert sites.get("dw").politeness.concurrency == 2
    assert "elpais" not in [s.name for s in sites.select(None)]  # disabled: not crawled by default
    assert sites.select(["elpais"])[0].name == "elpais"  # ...unless named


def test_demo_config_takes_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSWASH_DEMO_URL", "http://127.0.0.1:45678")
    site = load_sites(ROOT / "config" / "sites.demo.yaml").get("demo")
    assert site.feed_urls and all(u.startswith("http://127.0.0.1:45678/") for u in site.feed_urls)
    assert site.domains == ["127.0.0.1"]
    monkeypatch.delenv("PRESSWASH_DEMO_URL")
    assert load_sites(ROOT / "config" / "sites.demo.yaml").get("demo").base_url.startswith("http://127.0.0.1")


def test_bad_url_names_file_and_key_path(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sites:"
        + GOOD_SITE
        + GOOD_SITE.replace("good", "b")
        + "  - name: c\n    feeds: [https://ok.example/rss, not-a-url]\n    article_url: [x]\n",
    )
    assert f"{path}: sites[2].feeds[1]: not a URL" in error_of(path)


def test_unknown_keys_are_rejected_at_every_level(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sitez: []\nsites:"
        + GOOD_SITE
        + "    feed: [https://typo.example/]\n    politeness: {delay: 1}\n    follow: {max_dept: 2}\n",
    )
    message = error_of(path)
    for key in ("sitez", "sites[0].feed", "sites[0].politeness.delay", "sites[0].follow.max_dept"):
        assert f"{path}: {key}: unknown key" in message


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "sites:\n  - name: a\n    feeds: [https://a.example/rss\n")
    message = error_of(path)
    assert message.startswith(f"{path}:4:1: YAML syntax error") or message.startswith(f"{path}:3:")


@pytest.mark.parametrize(
    ("snippet", "where", "words"),
    [
        ("    article_url: ['(']\n", "sites[0].article_url[0]", "not a valid regular expression"),
        ("    article_url_deny: ['']\n", "sites[0].article_url_deny[0]", "empty pattern"),
        ("    schedule: '61 * * * *'\n", "sites[0].schedule", "minute: 61 out of range"),
        ("    schedule: '* * *'\n", "sites[0].schedule", "needs 5 fields"),
        ("    languages: [english]\n", "sites[0].languages[0]", "ISO 639-1"),
        ("    min_words: -1\n", "sites[0].min_words", "greater than or equal to 0"),
        ("    politeness: {concurrency: 0}\n", "sites[0].politeness.concurrency", "greater than or equal to 1"),
        ("    follow: {max_depth: 11}\n", "sites[0].follow.max_depth", "less than or equal to 10"),
        ("    allowed_domains: ['http://x']\n", "sites[0].allowed_domains[0]", "not a domain"),
        ("    base_url: /relative\n", "sites[0].base_url", "absolute"),
    ],
)
def test_value_errors_name_the_key(tmp_path: Path, snippet: str, where: str, words: str) -> None:
    text = "sites:" + GOOD_SITE
    if snippet.strip().startswith("article_url:"):
        text = text.replace("    article_url: ['/news/\\d+']\n", "")
    path = write(tmp_path, text + snippet)
    message = error_of(path)
    assert f"{path}: {where}: " in message and words in message, message


def test_site_needs_a_source_and_article_patterns(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "sites:\n  - name: empty\n    article_url: [x]\n"))
    assert "sites[0]: give at least one of home, feeds, sitemaps" in message
    message = error_of(write(tmp_path, "sites:\n  - name: nopat\n    feeds: [https://a.example/rss]\n"))
    assert "sites[0]: give article_url patterns (or a home page: home)" in message


def test_relative_urls_need_base_url_and_names_are_unique(tmp_path: Path) -> None:
    path = write(
        tmp_path, "sites:" + GOOD_SITE + GOOD_SITE + "  - name: rel\n    feeds: [/rss]\n    article_url: [x]\n"
    )
    message = error_of(path)
    assert f"{path}: sites[1].name: duplicate site name 'good'" in message
    assert f"{path}: sites[2].feeds[0]: relative URL '/rss' needs a base_url" in message


def test_relative_urls_resolve_against_base_url(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sites:\n  - name: rel\n    base_url: https://www.news.example/\n    feeds: [/rss]\n"
        "    sitemaps: [https://cdn.news.example/sm.xml]\n    start_urls: [/]\n    article_url: [x]\n",
    )
    site = load_sites(path).get("rel")
    assert site.feed_urls == ["https://www.news.example/rss"]
    assert site.start_page_urls == ["https://www.news.example/"]
    assert site.domains == ["www.news.example", "cdn.news.example"]


def test_unknown_site_and_missing_file(tmp_path: Path) -> None:
    sites = load_sites(write(tmp_path, "sites:" + GOOD_SITE))
    with pytest.raises(ConfigError, match="no site named 'nope' \\(sites: good\\)"):
        sites.get("nope")
    with pytest.raises(ConfigError, match="cannot read"):
        load_sites(tmp_path / "missing.yaml")


def test_environment_variables(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    data = {"sites": [{"base_url": "${BASE}", "feeds": ["${HOST:-http://h.example}/rss"]}]}
    out = expand_env(data, path, environ={"BASE": "http://b.example"})
    assert out == {"sites": [{"base_url": "http://b.example", "feeds": ["http://h.example/rss"]}]}
    with pytest.raises(ConfigError, match=r"s.yaml: sites\[0\].base_url: environment variable BASE is not set"):
        expand_env(data, path, environ={})


@pytest.mark.parametrize(
    "expression", ["* * * * *", "*/15 6-23 * * mon-fri", "0 0 1,15 jan,jul *", "@daily", "5 4 * * 7"]
)
def test_valid_cron(expression: str) -> None:
    assert validate_cron(expression)


@pytest.mark.parametrize(
    "expression", ["* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "*/0 * * * *", "5-1 * * * *"]
)
def test_invalid_cron(expression: str) -> None:
    with pytest.raises(ValueError):
        validate_cron(expression)


def test_politeness_maps_to_scrapy_settings() -> None:
    politeness = Politeness(download_delay=2, concurrency=1, timeout=5, retry_times=1, max_download_bytes=4096)
    assert politeness.scrapy_settings() == {
        "DOWNLOAD_DELAY": 2,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_TIMEOUT": 5,
        "RETRY_TIMES": 1,
        "DOWNLOAD_MAXSIZE": 4096,
    }
    assert Politeness(concurrency=4).merged_over(Politeness(download_delay=1, concurrency=2)) == Politeness(
        download_delay=1, concurrency=4
    )
