"""End to end: the real crawl, in a subprocess, against the demo news site on a real HTTP server.

Each crawl runs in its own process (Scrapy's reactor cannot restart) against a server private to this
module (tests/http_server.py, the same code as the ``demo_site`` fixture) so that hit counts and the
one-time failure of /fail/flaky.html are ours alone. Assertions are on what a user gets: the JSON lines,
the run stats and the URL ledger, checked against tests/site/manifest.json.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from http_server import start_server_subprocess, stop_server

from cleaners.article import Article
from cleaners.core import clean
from cleaners.document import RawDocument
from cleaners.jsonl import JsonlWriter, read_jsonl
from cleaners.options import load_options
from crawler.sites import load_sites

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "config" / "sites.demo.yaml"
# Short timeout against a slower slow page, quick backoff: the whole crawl takes a few seconds.
FAST = ["--set", "DOWNLOAD_TIMEOUT=1", "--set", "PRESSWASH_RETRY_BACKOFF_BASE=0.1"]
# Fields that say where and when a page was fetched, not what it says.
FETCH_TIME_FIELDS = {"id", "url", "source_path", "fetched_at", "site", "canonical_url"}
# The page type reads the URL's shape too: a file cleaned without its URL may be judged a little differently.
URL_DEPENDENT_FIELDS = {"page_type", "article_score", "page_type_evidence"}
# What each failure route of the manifest must end as in the URL ledger: (outcome, reason).
FAILURE_OUTCOMES = {
    "404": ("failed", "http_404"),
    "retry-then-ok": ("written", None),
    "timeout": ("failed", "timeout"),
    "redirect-loop": ("failed", "redirect_loop"),
    "ok-gzip": ("written", None),
    "not-html": ("rejected", "not_text"),
    "too-large": ("failed", "too_large_download"),
    "ok-broken": ("written", None),
    "ok-charset": ("written", None),
}


def crawl_env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PRESSWASH_DEMO_URL"] = base_url
    env["PYTHONPATH"] = str(ROOT)
    return env


def path_of(url: str) -> str:
    return urlsplit(url).path


@dataclass
class CrawlRun:
    base_url: str
    output: Path
    returncode: int
    stderr: str
    records: list[dict[str, Any]]
    stats: dict[str, Any]
    ledger: list[dict[str, Any]]
    hits: dict[str, int]

    def by_path(self) -> dict[str, dict[str, Any]]:
        return {path_of(r["url"]): r for r in self.records}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    proc, base_url = start_server_subprocess(slow_seconds=3.0)
    try:
        yield base_url
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def crawl(server: str, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    output = tmp_path_factory.mktemp("crawl-output")
    command = [sys.executable, "-m", "crawler.crawl", "--config", str(DEMO_CONFIG), "--output", str(output)]
    done = subprocess.run(command + FAST, cwd=ROOT, env=crawl_env(server), capture_output=True, text=True, timeout=90)
    with urllib.request.urlopen(f"{server}/_control/hits") as response:
        hits = json.load(response)
    articles = list((output / "demo").glob("*.jsonl"))
    stats_files = list((output / "demo" / "runs").glob("*[0-9].json"))
    assert len(articles) == 1 and len(stats_files) == 1, done.stderr[-3000:]
    stats = json.loads(stats_files[0].read_text(encoding="utf-8"))
    return CrawlRun(
        base_url=server,
        output=output,
        returncode=done.returncode,
        stderr=done.stderr,
        records=list(read_jsonl(articles[0])),
        stats=stats,
        ledger=list(read_jsonl(stats["ledger"])),
        hits=hits,
    )


def test_crawl_finishes_cleanly(crawl: CrawlRun) -> None:
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert "Traceback" not in crawl.stderr
    assert crawl.stats["finish_reason"] == "finished"
    assert "presswash: demo: read" in crawl.stderr  # the one-line summary


def test_a_hand_started_crawl_is_in_the_run_log(crawl: CrawlRun) -> None:
    """`presswash runs` lists crawls started by hand (or by cron) too, not only the scheduler's."""
    command = [sys.executable, "-m", "crawler.cli", "runs", "--json", "--output", str(crawl.output)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [run] = [json.loads(line) for line in done.stdout.splitlines()]
    assert (run["site"], run["status"], run["trigger"], run["exit_code"]) == ("demo", "ok", "manual", 0)
    assert run["articles"] == crawl.stats["written"] == len(crawl.records)
    assert run["rejected"] == sum(crawl.stats["rejected"].values())
    assert run["finished_at"] >= run["started_at"] and Path(run["stats_path"]).is_file()


def test_the_right_articles_and_only_articles(crawl: CrawlRun, demo_manifest: dict[str, Any]) -> None:
    paths = [path_of(r["url"]) for r in crawl.records]
    assert len(paths) == len(set(paths)), "an article was written twice"
    # Of each syndicated pair, whichever copy was cleaned first is written; the other is a duplicate of it
    # (tests/test_recurring_e2e.py checks how it is counted).
    for pair in demo_manifest["near_duplicate_pairs"]:
        assert len(set(pair) & set(paths)) == 1, pair
        paths.extend(set(pair) - set(paths))
    assert set(paths) == set(demo_manifest["expected_articles"])
    assert not set(paths) & set(demo_manifest["non_articles"])
    assert all(r["site"] == "demo" and r["fetched_at"] for r in crawl.records)


def test_clean_text(crawl: CrawlRun, demo_manifest: dict[str, Any]) -> None:
    expected = {a["path"]: a for a in demo_manifest["articles"]}
    for path, record in crawl.by_path().items():
        article = expected[path]
        assert record["title"] == article["title"], path
        assert record["language"] == article["language"], path
        for text in article["must_keep"]:
            assert text in record["text"], f"{path}: lost {text[:60]!r}"
        for text in article["must_remove"]:
            assert text not in record["text"], f"{path}: kept clutter {text!r}"


def test_nothing_from_disallowed_paths(crawl: CrawlRun, demo_manifest: dict[str, Any]) -> None:
    for disallowed in demo_manifest["disallowed"]:
        assert crawl.hits.get(disallowed, 0) == 0, f"{disallowed} was requested despite robots.txt"
        assert disallowed not in crawl.by_path()
        [entry] = [e for e in crawl.ledger if path_of(e["url"]) == disallowed]
        assert (entry["outcome"], entry["reason"]) == ("skipped", "robots_forbidden")
    assert crawl.stats["skipped"].get("robots_forbidden", 0) == len(demo_manifest["disallowed"])


def test_every_url_is_accounted_for(crawl: CrawlRun) -> None:
    stats = crawl.stats
    assert stats["accounted"] is True
    assert stats["read"] == stats["written"] + sum(stats["rejected"].values()) + sum(stats["failed"].values())
    assert stats["written"] == len(crawl.records)
    # Every path the server saw is in the ledger, as a request's URL or a hop of its redirects...
    in_ledger = {path_of(u) for e in crawl.ledger for u in [e["url"], *e.get("redirect_urls", [])]}
    missing = set(crawl.hits) - in_ledger
    assert not missing, f"fetched but not accounted for: {sorted(missing)}"
    # ...and every fetch the ledger reports reached the server.
    fetched = [e for e in crawl.ledger if e["outcome"] != "skipped"]
    assert {path_of(e["url"]) for e in fetched} <= set(crawl.hits)
    assert stats["fetched"]["total"] == len(fetched)
    article_entries = [e for e in fetched if e["kind"] == "article"]
    assert len(article_entries) == stats["read"]
    assert sum(e["outcome"] == "written" for e in article_entries) == stats["written"]


def test_failure_routes_end_as_expected(crawl: CrawlRun, demo_manifest: dict[str, Any]) -> None:
    def entry_for(path: str) -> dict[str, Any]:
        found = [e for e in crawl.ledger if path in {path_of(u) for u in [e["url"], *e.get("redirect_urls", [])]}]
        assert len(found) == 1, (path, found)
        return found[0]

    for path, expectation in demo_manifest["failures"].items():
        entry = entry_for(path)
        if expectation == "redirect-ok":  # its target is written once, whichever request reached it first
            target = demo_manifest["redirects"][path]
            assert target in crawl.by_path()
            assert entry["outcome"] in ("written", "rejected", "skipped"), entry
            continue
        outcome, reason = FAILURE_OUTCOMES[expectation]
        assert (entry["outcome"], entry.get("reason")) == (outcome, reason), (path, entry)
    assert crawl.hits["/fail/flaky.html"] == 2  # one 500, one retry
    assert crawl.stats["scrapy"]["retry/count"] >= 2  # the flaky page and the slow page


def test_crawled_record_equals_local_clean_of_same_bytes(crawl: CrawlRun, tmp_path: Path) -> None:
    """The crawl calls the same core: cleaning the saved page gives the same record but for fetch fields."""
    site = load_sites(DEMO_CONFIG).get("demo")
    options = load_options(None).replace(**dict(site.cleaning_overrides))
    records = crawl.by_path()
    for path in (
        "/news/2026/03/coastal-towns-brace-for-spring-tides.html",
        "/news/2026/01/stadtwerke-testen-waermepumpen-in-altbauten.html",
        "/fail/charset.html",
        "/fail/gzip.html",
    ):
        crawled = records[path]
        with urllib.request.urlopen(crawl.base_url + path) as response:
            body, content_type = response.read(), response.headers.get("Content-Type")
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
        saved = tmp_path / Path(path).name
        saved.write_bytes(body)
        local = clean(RawDocument(content=saved.read_bytes(), source_path=str(saved)), options)
        local_record = local.model_dump(mode="json")  # an Article, or this fails loudly
        for field in crawled.keys() - FETCH_TIME_FIELDS - URL_DEPENDENT_FIELDS:
            assert crawled[field] == local_record[field], (path, field)
        # Given what the crawl knew (URL, header, site), the record is the same but for the fetch time.
        known = RawDocument(content=body, url=crawled["url"], content_type=content_type, site="demo")
        again = clean(known, options).model_dump(mode="json")
        assert {k: v for k, v in again.items() if k != "fetched_at"} == {
            k: v for k, v in crawled.items() if k != "fetched_at"
        }


def test_scrapy_command_line(server: str, tmp_path: Path) -> None:
    """`scrapy list` and `scrapy crawl news -a site=NAME` work from the project root (scrapy.cfg)."""
    scrapy = [sys.executable, "-m", "scrapy"]
    listed = subprocess.run([*scrapy, "list"], cwd=ROOT, env=crawl_env(server), capture_output=True, text=True)
    assert listed.stdout.split() == ["news"], listed.stderr[-2000:]

    config = tmp_path / "sites.yaml"
    config.write_text(
        "sites:\n  - name: feedonly\n    base_url: ${PRESSWASH_DEMO_URL}\n    feeds: [/feeds/atom.xml]\n"
        "    article_url: ['^/news/']\n    languages: [de]\n"
        "    politeness: {download_delay: 0, autothrottle: false, concurrency: 8}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            *scrapy,
            "crawl",
            "news",
            "-a",
            "site=feedonly",
            "-a",
            f"config={config}",
            "-s",
            f"PRESSWASH_OUTPUT_DIR={tmp_path / 'out'}",
            "-s",
            "LOG_LEVEL=INFO",
        ],
        cwd=ROOT,
        env=crawl_env(server),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [output] = (tmp_path / "out" / "feedonly").glob("*.jsonl")
    records = list(read_jsonl(output))
    assert records and all(r["language"] == "de" for r in records)  # the site's languages were applied
    [stats_file] = (tmp_path / "out" / "feedonly" / "runs").glob("*[0-9].json")
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    assert stats["accounted"] and stats["rejected"].get("wrong_language", 0) > 0


def test_robots_txt_holds_for_requests_that_waited_for_it(fresh_demo_site: str, tmp_path: Path) -> None:
    """The first requests to a host all wait for its robots.txt; each of them is checked against it
    (Scrapy 2.19's middleware let all but the first through: crawler.middlewares.RobotsTxtMiddleware).
    Here the disallowed page is a start URL, so it is in that first batch."""
    config = tmp_path / "sites.yaml"
    config.write_text(
        "sites:\n  - name: robots\n    base_url: ${PRESSWASH_DEMO_URL}\n"
        "    feeds: [/feeds/rss.xml, /feeds/atom.xml]\n    start_urls: [/about.html, /private/leak.html]\n"
        "    article_url: ['^/news/', '^/private/']\n    follow: {max_depth: 0}\n"
        "    politeness: {download_delay: 0, autothrottle: false, concurrency: 4}\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "crawler.crawl", "--config", str(config), "--output", str(tmp_path / "out")]
    done = subprocess.run(command, cwd=ROOT, env=crawl_env(fresh_demo_site), capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    with urllib.request.urlopen(f"{fresh_demo_site}/_control/hits") as response:
        assert "/private/leak.html" not in json.load(response)
    [stats_file] = (tmp_path / "out" / "robots" / "runs").glob("*[0-9].json")
    ledger = list(read_jsonl(json.loads(stats_file.read_text(encoding="utf-8"))["ledger"]))
    [leak] = [e for e in ledger if e["url"].endswith("/private/leak.html")]
    assert (leak["outcome"], leak["reason"]) == ("skipped", "robots_forbidden")


def test_spider_applies_site_politeness_and_identity() -> None:
    """Per-site politeness lands in the crawler's settings; -s/--set still wins; the User-Agent names
    the project and the operator's contact URL."""
    from scrapy.crawler import Crawler

    from crawler.runner import build_settings
    from crawler.spiders.news import NewsSpider

    crawler = Crawler(NewsSpider, build_settings({"PRESSWASH_CONTACT_URL": "mailto:ops@example.org"}))
    spider = NewsSpider.from_crawler(crawler, site="demo", config=str(DEMO_CONFIG))
    settings = crawler.settings
    assert settings["USER_AGENT"].startswith("presswash/") and settings["USER_AGENT"].endswith(
        "(+mailto:ops@example.org)"
    )
    assert settings.getfloat("DOWNLOAD_DELAY") == 0 and settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 4
    assert settings.getint("DOWNLOAD_MAXSIZE") == 1048576 and settings["PRESSWASH_SITE"] == "demo"
    assert spider.allowed_domains == ["127.0.0.1"]
    assert settings.getbool("ROBOTSTXT_OBEY") and settings.getbool("AUTOTHROTTLE_ENABLED")
    assert not settings.getbool("TELNETCONSOLE_ENABLED") and not settings.getbool("REMOTE_CONTROL_ENABLED")

    overridden = Crawler(NewsSpider, build_settings({"DOWNLOAD_DELAY": 7}))
    NewsSpider.from_crawler(overridden, site="demo", config=str(DEMO_CONFIG))
    assert overridden.settings.getfloat("DOWNLOAD_DELAY") == 7
    assert "github.com/presswash" in overridden.settings["USER_AGENT"]


def test_config_errors_stop_the_start(tmp_path: Path) -> None:
    bad = tmp_path / "sites.yaml"
    bad.write_text("sites:\n  - name: x\n    feeds: [nope]\n    article_url: [x]\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "crawler.crawl", "--config", str(bad)],
        cwd=ROOT,
        env=crawl_env("http://127.0.0.1:9"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{bad}: sites[0].feeds[0]: not a URL" in done.stderr
    assert "Traceback" not in done.stderr

    unknown = subprocess.run(
        [sys.executable, "-m", "crawler.crawl", "--config", str(DEMO_CONFIG), "--site", "nope"],
        cwd=ROOT,
        env=crawl_env("http://127.0.0.1:9"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unknown.returncode == 2 and "no site named 'nope' (sites: demo)" in unknown.stderr


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
def test_killed_crawl_leaves_whole_lines_and_no_workers(tmp_path: Path) -> None:
    """SIGKILL mid-crawl: every line already written is whole, the next run appends cleanly, and the
    cleaning workers do not linger as orphans."""
    proc, base_url = start_server_subprocess(articles=400)
    try:
        config = tmp_path / "sites.yaml"
        config.write_text(
            "sites:\n  - name: bulk\n    base_url: ${PRESSWASH_DEMO_URL}\n    sitemaps: [/sitemaps/bulk.xml]\n"
            "    article_url: ['^/bulk/']\n"
            "    politeness: {download_delay: 0, autothrottle: false, concurrency: 16}\n",
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "crawler.crawl", "--config", str(config), "--output", str(tmp_path)]
        crawl_proc = subprocess.Popen(
            [*command, "--log-level", "WARNING"],
            cwd=ROOT,
            env=crawl_env(base_url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        output_dir = tmp_path / "bulk"
        deadline = time.monotonic() + 45
        workers: set[int] = set()
        while time.monotonic() < deadline:
            workers |= _descendants(crawl_proc.pid)
            files = list(output_dir.glob("*.jsonl"))
            if files and files[0].read_bytes().count(b"\n") >= 20:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the crawl wrote fewer than 20 articles in 45 s")
        workers |= _descendants(crawl_proc.pid)
        crawl_proc.send_signal(signal.SIGKILL)
        crawl_proc.wait()

        [output] = files
        data = output.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]
        for line in complete.splitlines():
            assert json.loads(line)["url"].startswith(base_url)
        JsonlWriter(output).close()  # what the next run does on open: trim a torn tail, if any
        assert output.read_bytes() == complete

        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)], "cleaning workers outlived the killed crawl"
    finally:
        stop_server(proc)


def test_pipelines_without_a_crawler(tmp_path: Path) -> None:
    """The pipelines take plain values, so they run without Scrapy's engine: a page becomes the Article
    itself (no dict in between) and one whole JSON line, its to_json_line; a rejection is a DropItem
    carrying the cleaner's reason."""
    import asyncio

    from crawler.items import PageItem, Rejection
    from crawler.pipelines import CleanPipeline, JsonlWriterPipeline

    paragraph = (
        "The harbour authority approved the new ferry terminal on Tuesday after a review that lasted two "
        "years, and said construction would start in the spring once the final permits were issued."
    )
    page = f"<html lang='en'><body><article><h1>Ferry</h1>{f'<p>{paragraph}</p>' * 4}</article></body></html>"
    cleaner = CleanPipeline(mode="inline")
    writer = JsonlWriterPipeline(output_dir=tmp_path, site="unit", run_date="2026-01-02")
    cleaner.open_spider()
    writer.open_spider()
    raw = RawDocument(content=page.encode(), url="http://127.0.0.1/news/1.html", content_type="text/html", site="unit")
    record = asyncio.run(cleaner.process_item(PageItem(raw)))
    assert isinstance(record, Article) and record.site == "unit" and paragraph in record.text
    assert writer.process_item(record) is record
    with pytest.raises(Rejection) as caught:
        asyncio.run(cleaner.process_item(PageItem(raw, overrides=(("min_words", 10_000),))))
    assert caught.value.rejected.reason.value == "too_short"
    assert asyncio.run(cleaner.process_item({"already": "clean"})) == {"already": "clean"}
    cleaner.close_spider()
    writer.close_spider()
    [line] = (tmp_path / "unit" / "2026-01-02.jsonl").read_text(encoding="utf-8").splitlines()
    assert line == record.to_json_line()
    with pytest.raises(ValueError, match="PRESSWASH_CLEAN_MODE"):
        CleanPipeline(mode="threads")
