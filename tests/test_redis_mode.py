"""crawler.scaleout and load_scale_settings: the switch to scrapy-redis, `presswash seed`, the coordination that
keeps the processes of one shared crawl open while any of them may still produce work.

Every test that touches Redis uses its own key prefix (tests/services.py) and deletes it afterwards.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import scrapy
from services import import_or_unavailable, redis_prefix, redis_url

from cleaners.config import ConfigError
from crawler.cli.seed import add_seed_arguments, seed_command
from crawler.config import ScaleSettings, crawl_overrides, load_scale_settings
from crawler.scaleout.coordinator import RedisCrawlCoordinator, push_seeds
from crawler.scaleout.frontier import SiteKeys, redis_settings
from crawler.scaleout.seeds import decode_entry, seed_entries
from crawler.sites import load_sites

import_or_unavailable("scrapy_redis", "pip install -e '.[dev]'")

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "config" / "sites.demo.yaml"
BASE = "http://127.0.0.1:8765"

# scrapy-redis 0.9.1's Scheduler passes spider= to StatsCollector.inc_value (deprecated since Scrapy 2.14).
SCRAPY_REDIS_STATS_WARNING = (
    "ignore:Passing a 'spider' argument to StatsCollector.inc_value:"
    "scrapy.exceptions.ScrapyDeprecationWarning:scrapy_redis.scheduler"
)


@pytest.fixture
def space() -> Iterator[tuple[Any, str]]:
    with redis_prefix("mode") as value:
        yield value


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PRESSWASH_DEMO_URL", BASE)
    return load_sites(DEMO_CONFIG).get("demo")


def test_redis_settings_give_each_site_its_own_keys() -> None:
    settings = redis_settings("redis://10.0.0.5:6379/1", "news-eu", "demo")
    assert settings["SCHEDULER"] == "scrapy_redis.scheduler.Scheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings["SCHEDULER_PERSIST"] is True
    assert settings["REDIS_URL"] == "redis://10.0.0.5:6379/1"
    assert settings["SCHEDULER_QUEUE_KEY"] == "news-eu:demo:requests"
    assert settings["SCHEDULER_DUPEFILTER_KEY"] == "news-eu:demo:dupefilter"
    assert settings["REDIS_START_URLS_KEY"] == "news-eu:demo:start_urls"
    with pytest.raises(ConfigError, match="redis prefix"):
        redis_settings("redis://x", "bad%(spider)s", "demo")  # scrapy-redis %-formats its keys


def test_scale_settings_from_file_then_environment(tmp_path: Path) -> None:
    config = tmp_path / "presswash.yaml"
    config.write_text("scale:\n  redis_url: redis://cache:6379/2\n  redis_prefix: eu\n", encoding="utf-8")
    scale = load_scale_settings(config, environ={})
    assert scale.state_location == "redis://cache:6379/2?prefix=eu"
    env = {"PRESSWASH_REDIS_URL": "redis://other:6379/0", "PRESSWASH_POSTGRES_DSN": "postgresql://db/news"}
    scale = load_scale_settings(config, environ=env)
    assert crawl_overrides(scale) == {
        "PRESSWASH_REDIS_URL": "redis://other:6379/0",
        "PRESSWASH_REDIS_PREFIX": "eu",
        "PRESSWASH_POSTGRES_DSN": "postgresql://db/news",
    }
    assert crawl_overrides(ScaleSettings()) == {}  # the single-machine default adds nothing
    assert load_scale_settings(environ={}).redis_url is None  # the project's own config: local by default
    config.write_text("scale:\n  redis_url: http://cache\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"presswash.yaml: scale.redis_url: .* not a redis:// URL"):
        load_scale_settings(config, environ={})
    config.write_text("scale:\n  redis_ulr: redis://cache\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"presswash.yaml: scale.redis_ulr"):
        load_scale_settings(config, environ={})


def test_seed_entries_are_what_start_requests_first(demo: Any) -> None:
    from crawler import meta
    from crawler.scaleout import seeds

    assert seeds.KIND_META is meta.KIND_META  # one vocabulary; crawler.meta loads no Scrapy (test_layers)
    entries = seed_entries(demo)
    assert [(e["url"], e["meta"]["presswash_kind"]) for e in entries] == [
        (f"{BASE}/robots.txt", "robots"),
        (f"{BASE}/feeds/rss.xml", "feed"),
        (f"{BASE}/feeds/atom.xml", "feed"),
        (f"{BASE}/", "start"),
    ]
    assert all(decode_entry(json.dumps(e)) == e for e in entries)
    assert decode_entry(b"https://plain.example/") is None  # scrapy-redis's deprecated plain-URL form
    assert decode_entry('{"url": "https://x/", "meta": {"presswash_kind": "video"}}') is None


def test_seeding_twice_queues_once_and_one_process_takes_each_entry(space: tuple[Any, str], demo: Any) -> None:
    client, prefix = space
    first = push_seeds(client, prefix, demo)
    assert (first.queued, first.already_queued, first.new_round) == (4, 0, True)
    again = push_seeds(client, prefix, demo)
    assert (again.queued, again.already_queued, again.new_round) == (0, 4, False)  # still queued: same round

    a = RedisCrawlCoordinator(client, prefix, "demo", worker="a", batch=2)
    b = RedisCrawlCoordinator(client, prefix, "demo", worker="b", batch=2)
    taken = a.pop_seeds() + b.pop_seeds() + a.pop_seeds()
    assert [e["meta"]["presswash_kind"] for e in taken] == ["robots", "feed", "feed", "start"]  # priority order
    assert len({e["url"] for e in taken}) == 4 and a.pending() == 0


def test_a_new_round_forgets_fingerprints_only_when_the_last_one_finished(space: tuple[Any, str], demo: Any) -> None:
    client, prefix = space
    keys = SiteKeys.of(prefix, "demo")
    client.sadd(keys.dupefilter, "fp1")
    client.zadd(keys.requests, {b"pickled request": -10})
    assert push_seeds(client, prefix, demo).new_round is False  # a crawl is running: join it
    assert client.scard(keys.dupefilter) == 1
    client.delete(keys.requests, keys.start_urls)
    assert push_seeds(client, prefix, demo).new_round is True
    assert client.scard(keys.dupefilter) == 0
    client.zadd(keys.requests, {b"pickled request": -10})
    assert push_seeds(client, prefix, demo, reset=True).new_round is True
    assert client.zcard(keys.requests) == 0


def test_idle_processes_stay_open_while_another_is_busy(space: tuple[Any, str]) -> None:
    client, prefix = space
    now = [1000.0]
    a = RedisCrawlCoordinator(client, prefix, "demo", worker="a", busy_ttl=30, linger_seconds=2, clock=lambda: now[0])
    b = RedisCrawlCoordinator(client, prefix, "demo", worker="b", busy_ttl=30, linger_seconds=2, clock=lambda: now[0])
    a.mark_busy()
    assert b.busy_workers() == ["a"] and b.keep_open()
    a.mark_idle()
    assert b.keep_open()  # lingers a moment: a's last requests may still be on their way
    now[0] += 3
    assert not b.keep_open()
    a.mark_busy()
    now[0] += 31  # a was killed while busy: its entry expires
    assert b.busy_workers() == [] and client.hlen(SiteKeys.of(prefix, "demo").workers) == 0


def test_seed_command(
    space: tuple[Any, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client, prefix = space
    monkeypatch.setenv("PRESSWASH_DEMO_URL", BASE)
    parser = argparse.ArgumentParser()
    add_seed_arguments(parser)
    args = parser.parse_args(
        ["--site", "demo", "--config", str(DEMO_CONFIG), "--redis", redis_url(), "--prefix", prefix]
    )
    assert seed_command(args) == 0
    assert f"demo: 4 entries queued in {prefix}:demo:start_urls" in capsys.readouterr().err
    assert client.zcard(f"{prefix}:demo:start_urls") == 4
    monkeypatch.delenv("PRESSWASH_REDIS_URL", raising=False)
    assert seed_command(parser.parse_args(["--site", "demo", "--config", str(DEMO_CONFIG)])) == 2


class Probe(scrapy.Spider):
    name = "news"

    def parse_feed(self, response: Any) -> None:
        """A callback the queue must find again by name."""


@pytest.mark.filterwarnings(SCRAPY_REDIS_STATS_WARNING)
def test_scrapy_redis_scheduler_and_dupefilter_with_scrapy_2_19(space: tuple[Any, str]) -> None:
    """The real classes under Scrapy 2.19: shared fingerprints, a request round-trips through Redis."""
    from scrapy.utils.test import get_crawler
    from scrapy_redis.scheduler import Scheduler

    _, prefix = space
    crawler = get_crawler(Probe, redis_settings(redis_url(), prefix, "demo"))
    crawler.spider = spider = Probe.from_crawler(crawler)
    crawler.stats.open_spider()
    schedulers = []
    for _ in range(2):  # two processes of the same crawl
        scheduler = Scheduler.from_crawler(crawler)
        scheduler.open(spider)
        schedulers.append(scheduler)
    one, two = schedulers
    request = scrapy.Request(f"{BASE}/feeds/rss.xml", callback=spider.parse_feed, priority=30, meta={"k": "v"})
    assert one.enqueue_request(request) is True
    assert two.enqueue_request(request.replace()) is False  # the other process already asked for it
    assert two.enqueue_request(request.replace(dont_filter=True)) is True  # seeds bypass the filter
    got = two.next_request()
    assert got.url == request.url and got.callback == spider.parse_feed and got.meta["k"] == "v"
    assert one.next_request().url == request.url and one.next_request() is None
    one.close("finished")  # SCHEDULER_PERSIST: nothing is flushed
    assert one.df.server.scard(f"{prefix}:demo:dupefilter") == 1


def test_one_translator_puts_a_shared_crawl_on_its_sites_frontier(tmp_path: Any) -> None:
    """crawler.config.recurring_scrapy_settings emits the frontier (scrapy-redis on the site's keys) exactly
    when the crawl is shared; crawler.scaleout.frontier re-exports the same function."""
    from scrapy.settings import Settings

    from crawler.config import frontier_scrapy_settings, recurring_scrapy_settings

    local = recurring_scrapy_settings(Settings({"PRESSWASH_OUTPUT_DIR": str(tmp_path)}), "demo")
    assert "SCHEDULER" not in local and "PRESSWASH_REDIS_URL" not in local
    shared_settings = {"PRESSWASH_OUTPUT_DIR": str(tmp_path), "PRESSWASH_REDIS_URL": "redis://127.0.0.1:6379/0"}
    shared = recurring_scrapy_settings(Settings({**shared_settings, "PRESSWASH_REDIS_PREFIX": "pw"}), "demo")
    keys = SiteKeys.of("pw", "demo")
    assert shared["SCHEDULER"] == "scrapy_redis.scheduler.Scheduler" and shared["JOBDIR"] is None
    assert (shared["SCHEDULER_QUEUE_KEY"], shared["SCHEDULER_DUPEFILTER_KEY"]) == (keys.requests, keys.dupefilter)
    assert shared["PRESSWASH_STATE_PATH"].startswith("redis://127.0.0.1:6379/0")
    assert redis_settings is frontier_scrapy_settings
