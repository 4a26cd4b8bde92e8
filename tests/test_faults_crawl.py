"""Fault injection on the crawl and its state (GitHub issue 13, "Crawl" and "Months of state").

Each test reproduces one case of the reliability audit, with real components: crawl processes against
the fixture HTTP server (tests/http_server.py), the SQLite state on disk, Redis when it runs here.
The case numbers are the issue's; docs/reliability.md ("Crawl and state") lists them with the results.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from factories import fetch_state
from http_server import start_server_subprocess, stop_server
from test_recurring_e2e import crawl_command, crawl_env
from test_state_redis import ORIGINAL, OTHER, SYNDICATED, make

from cleaners.article import Article
from cleaners.dedup import Duplicate, DuplicateKind
from cleaners.timestamps import utc_iso
from crawler.config import StateSettings
from crawler.liveness import ProcessId, process_start_token, this_host
from crawler.state.dedup_index import SharedDedupIndex, dedup_index_for
from crawler.state.sqlite import MAINTENANCE_BATCH, SqliteStateStore, vacuum

ROOT = Path(__file__).resolve().parent.parent


# --- case 11: one claim per article across processes on the local SQLite state ------------------------


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that is not this one (its pid and start time name a claim's owner)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def store_owned_by(path: Path, proc: subprocess.Popen[bytes]) -> SqliteStateStore:
    """A store whose claims are made in the name of ``proc``, as its own store would make them."""
    store = SqliteStateStore(path)
    store.owner = ProcessId(this_host(), proc.pid, process_start_token(proc.pid))
    return store


def test_the_sqlite_state_gets_the_claiming_index(tmp_path: Path) -> None:
    with SqliteStateStore(tmp_path / "state.sqlite3") as store:
        index = dedup_index_for(store)
        assert isinstance(index, SharedDedupIndex) and index.shares_claims


def test_two_processes_on_one_sqlite_file_never_both_admit_one_story(
    tmp_path: Path, other_process: subprocess.Popen[bytes]
) -> None:
    """What the audit saw as 92 articles written twice: each process's in-flight overlay is its own."""
    path = tmp_path / "state.sqlite3"
    with store_owned_by(path, other_process) as theirs, SqliteStateStore(path) as ours:
        story = SharedDedupIndex(theirs).admit(make("https://harbour.example/ferry", ORIGINAL))
        assert isinstance(story, Article)  # admitted there, not yet written nor recorded
        index = SharedDedupIndex(ours)
        same_url = index.admit(make("https://harbour.example/ferry", ORIGINAL))
        assert isinstance(same_url, Duplicate) and same_url.original_id == story.id
        copy = index.admit(make("https://other.example/copy", ORIGINAL))
        assert isinstance(copy, Duplicate) and copy.kind is DuplicateKind.CONTENT and copy.original_id == story.id
        near = index.admit(make("https://ledger.example/story", SYNDICATED))
        assert isinstance(near, Duplicate) and near.kind is DuplicateKind.NEAR and near.original_id == story.id
        assert isinstance(index.admit(make("https://harbour.example/rail", OTHER)), Article)


def test_recording_or_releasing_ends_a_claim(tmp_path: Path, other_process: subprocess.Popen[bytes]) -> None:
    path = tmp_path / "state.sqlite3"
    with store_owned_by(path, other_process) as theirs, SqliteStateStore(path) as ours:
        their_index, our_index = SharedDedupIndex(theirs), SharedDedupIndex(ours)
        story = their_index.admit(make("https://harbour.example/ferry", ORIGINAL))
        assert isinstance(story, Article)
        their_index.release(story)  # a later stage dropped it: the copy may go in now
        copy = our_index.admit(make("https://other.example/copy", ORIGINAL))
        assert isinstance(copy, Article)
        our_index.record(copy)
        assert ours._query("SELECT COUNT(*) FROM claims")[0][0] == 0
        again = their_index.admit(make("https://harbour.example/ferry", ORIGINAL))
        assert isinstance(again, Duplicate) and again.original_id == copy.id  # through the record now


def test_a_killed_processs_claims_do_not_hold(tmp_path: Path, other_process: subprocess.Popen[bytes]) -> None:
    path = tmp_path / "state.sqlite3"
    with store_owned_by(path, other_process) as theirs, SqliteStateStore(path) as ours:
        assert isinstance(SharedDedupIndex(theirs).admit(make("https://harbour.example/ferry", ORIGINAL)), Article)
        assert isinstance(SharedDedupIndex(ours).admit(make("https://other.example/copy", ORIGINAL)), Duplicate)
        other_process.kill()  # SIGKILL between admission and writing: the article was never written
        other_process.wait()
        copy = SharedDedupIndex(ours).admit(make("https://other.example/copy", ORIGINAL))
        assert isinstance(copy, Article), "a dead process's claim still blocks the article"
        assert ours._query("SELECT owner FROM claims") == [(str(ours.owner),)]  # the dead claim was dropped


def test_a_claim_from_another_host_holds_for_its_lease_only(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with SqliteStateStore(path) as theirs, SqliteStateStore(path, claim_ttl=600) as ours:
        theirs.owner = ProcessId("elsewhere.example", 4242, "1")
        assert isinstance(SharedDedupIndex(theirs).admit(make("https://harbour.example/ferry", ORIGINAL)), Article)
        assert isinstance(SharedDedupIndex(ours).admit(make("https://other.example/copy", ORIGINAL)), Duplicate)
        ours.claim_ttl = 0  # the lease has run out
        assert isinstance(SharedDedupIndex(ours).admit(make("https://other.example/copy", ORIGINAL)), Article)


def test_a_reused_pid_is_not_its_old_owner(tmp_path: Path, other_process: subprocess.Popen[bytes]) -> None:
    path = tmp_path / "state.sqlite3"
    with SqliteStateStore(path) as theirs, SqliteStateStore(path) as ours:
        token = process_start_token(other_process.pid)
        assert token is not None
        theirs.owner = ProcessId(this_host(), other_process.pid, str(int(token) - 1))  # started before: another
        assert isinstance(SharedDedupIndex(theirs).admit(make("https://harbour.example/ferry", ORIGINAL)), Article)
        assert isinstance(SharedDedupIndex(ours).admit(make("https://other.example/copy", ORIGINAL)), Article)


TWO_SITES = """\
sites:
  - name: alpha
    base_url: ${PRESSWASH_DEMO_URL}
    sitemaps: [/sitemaps/bulk.xml]
    article_url: ['^/bulk/\\d+\\.html$']
    politeness: {download_delay: 0, autothrottle: false, concurrency: 8}
  - name: beta
    base_url: ${PRESSWASH_DEMO_URL}
    sitemaps: [/sitemaps/bulk.xml]
    article_url: ['^/bulk/\\d+\\.html$']
    politeness: {download_delay: 0, autothrottle: false, concurrency: 8}
"""
BULK = 120


def written(output: Path, site: str) -> list[dict[str, Any]]:
    files = sorted((output / site).glob("*.jsonl"))
    return [json.loads(line) for path in files for line in path.read_bytes().splitlines()]


@pytest.mark.slow
def test_two_crawl_processes_on_one_state_never_write_an_article_twice(tmp_path: Path) -> None:
    """Case 11 end to end: two sites fed from one sitemap, crawled at the same time by two processes into
    one output and one SQLite state (what `presswash schedule` does with max_parallel_runs: 2)."""
    proc, base_url = start_server_subprocess(articles=BULK)
    config, output = tmp_path / "sites.yaml", tmp_path / "out"
    config.write_text(TWO_SITES, encoding="utf-8")
    try:
        crawls = {
            site: subprocess.Popen(
                crawl_command(config, output, "--site", site),
                cwd=ROOT,
                env=crawl_env(base_url, f"run-{site}"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for site in ("alpha", "beta")
        }
        errors = {site: crawl.communicate(timeout=240)[1] for site, crawl in crawls.items()}
    finally:
        stop_server(proc)
    for site, crawl in crawls.items():
        assert crawl.returncode == 0, errors[site][-3000:]
    records = written(output, "alpha") + written(output, "beta")
    ids = [record["id"] for record in records]
    twice = sorted(i for i, n in Counter(ids).items() if n > 1)
    assert not twice, f"{len(twice)} articles written twice"
    assert len(records) > 0, errors
    assert {urlsplit(r["url"]).path for r in records} == {f"/bulk/{n:05d}.html" for n in range(1, BULK + 1)}
    for site in ("alpha", "beta"):
        stats = json.loads((output / site / "runs" / f"run-{site}.json").read_text(encoding="utf-8"))
        assert stats["accounted"], stats


# --- case 19: the Redis request queue holds JSON, never pickle -----------------------------------------


class _Spider:
    """Just what scrapy-redis's queue and Request.to_dict ask of a spider."""

    name = "news"
    crawler = None

    def parse_article(self, response: Any) -> None: ...

    def on_error(self, failure: Any) -> None: ...


def test_queued_requests_round_trip_as_json_with_the_spiders_meta() -> None:
    from scrapy import Request

    from crawler import redis_serializer

    spider = _Spider()
    request = Request(
        "https://example.com/news/1.html",
        callback=spider.parse_article,
        errback=spider.on_error,
        headers={"If-None-Match": '"v1"'},
        priority=10,
        meta={"presswash_kind": "article", "presswash_hints": {"lastmod": "2026-06-01T09:00:00Z"}, "depth": 1},
    )
    encoded = redis_serializer.dumps(request.to_dict(spider=spider))
    assert encoded.startswith(b"{") and b"pickle" not in encoded
    decoded = redis_serializer.loads(encoded)
    assert decoded["callback"] == "parse_article" and decoded["meta"] == request.meta
    assert decoded["headers"] == {b"If-None-Match": [b'"v1"']}
    with pytest.raises(TypeError, match=r"meta\.when"):
        redis_serializer.dumps(Request("https://example.com/", meta={"when": object()}).to_dict())


def test_redis_mode_sets_the_json_serializer() -> None:
    from crawler.scaleout.frontier import redis_settings

    settings = redis_settings("redis://127.0.0.1:6379/0", "presswash", "demo")
    assert settings["SCHEDULER_SERIALIZER"] == "crawler.redis_serializer"
    assert settings["SCHEDULER_QUEUE_CLASS"] == "crawler.redis_serializer.SafePriorityQueue"


class _Boom:
    """Unpickling this runs a shell command that creates a file: what the audit's crafted ZADD did."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_pickle_in_the_redis_queue_runs_nothing(tmp_path: Path) -> None:
    import pickle

    from scrapy import Request
    from services import redis_prefix

    from crawler.redis_serializer import SafePriorityQueue

    marker = tmp_path / "pwned"
    with redis_prefix("faults") as (client, prefix):
        key = f"{prefix}:demo:requests"
        crafted = pickle.dumps(_Boom(marker))
        for entry in (crafted, b'{"format":"presswash-request/1","url":"https://x.example/","callback":"__init__"}'):
            client.execute_command("ZADD", key, -100, entry)
        queue = SafePriorityQueue(client, _Spider(), key, serializer=pickle)  # even told to use pickle
        assert queue.pop() is None and queue.pop() is None  # both refused, removed from the queue
        assert not marker.exists(), "unpickling the queue entry ran a command"
        assert client.zcard(key) == 0
        good = Request("https://example.com/a.html", callback=_Spider().parse_article)
        queue.push(good)
        popped = queue.pop()
        assert popped is not None and popped.url == good.url and popped.callback.__name__ == "parse_article"


# --- case 16: runs killed with -9 do not stay "running" for ever ---------------------------------------

SLOW_SITE = """\
sites:
  - name: bulk
    base_url: ${PRESSWASH_DEMO_URL}
    sitemaps: [/sitemaps/bulk.xml]
    article_url: ['^/bulk/\\d+\\.html$']
    politeness: {download_delay: 0.2, autothrottle: false, concurrency: 1}
"""


def list_runs(output: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "runs", "--json", "--output", str(output)],
        cwd=ROOT,
        env=crawl_env("http://127.0.0.1:9", "unused"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.slow
def test_a_crawl_killed_with_sigkill_is_listed_as_interrupted(tmp_path: Path) -> None:
    proc, base_url = start_server_subprocess(articles=60)
    config, output = tmp_path / "sites.yaml", tmp_path / "out"
    config.write_text(SLOW_SITE, encoding="utf-8")
    try:
        crawl = subprocess.Popen(
            crawl_command(config, output),
            cwd=ROOT,
            env=crawl_env(base_url, "killed"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not written(output, "bulk"):
            assert time.monotonic() < deadline and crawl.poll() is None, "the crawl wrote nothing in 60 s"
            time.sleep(0.1)
        assert [run["status"] for run in list_runs(output)] == ["running"]  # alive: still running
        crawl.kill()
        crawl.wait()
    finally:
        stop_server(proc)
    (run,) = list_runs(output)
    assert run["status"] == "interrupted" and run["finished_at"], run
    assert f"process {crawl.pid}" in run["detail"]
    with SqliteStateStore(output / "state.sqlite3", readonly=True) as store:
        assert store.get_run(run["run_id"]).status == "interrupted"  # recorded, not only shown


@pytest.mark.slow
def test_a_crawl_of_another_host_killed_with_sigkill_is_found_by_its_silent_heartbeat(tmp_path: Path) -> None:
    """A run of another host cannot be asked for its pid: the crawl writes a heartbeat while it runs, and a
    run whose heartbeat is older than HEARTBEAT_STALE_SECONDS is listed as interrupted. The other host is
    this crawl's own record, given another host name after the kill (the host name cannot be changed)."""
    from dataclasses import replace

    from crawler.state.records import HEARTBEAT_STALE_SECONDS

    proc, base_url = start_server_subprocess(articles=60)
    config, output = tmp_path / "sites.yaml", tmp_path / "out"
    config.write_text(SLOW_SITE, encoding="utf-8")
    env = {**crawl_env(base_url, "beating"), "PRESSWASH_RUN_HEARTBEAT_SECONDS": "0.3"}
    try:
        crawl = subprocess.Popen(
            crawl_command(config, output), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline, beats = time.monotonic() + 60, set()
        while len(beats) < 2:  # two heartbeats seen: it beats while it crawls
            assert time.monotonic() < deadline and crawl.poll() is None, f"heartbeats seen in 60 s: {beats}"
            if (output / "state.sqlite3").exists():
                with SqliteStateStore(output / "state.sqlite3", readonly=True) as store:
                    runs = store.list_runs()
                beats |= {run.heartbeat_at for run in runs if run.heartbeat_at}
            time.sleep(0.2)
        crawl.kill()
        crawl.wait()
    finally:
        stop_server(proc)
    with SqliteStateStore(output / "state.sqlite3") as store:
        (run,) = store.list_runs()
        silent_since = datetime.fromtimestamp(time.time() - HEARTBEAT_STALE_SECONDS - 60, UTC)
        store.put_run(replace(run, host="elsewhere.example", heartbeat_at=silent_since.isoformat()))
    (listed,) = list_runs(output)
    assert listed["status"] == "interrupted", listed
    assert "no heartbeat from elsewhere.example" in listed["detail"]


def test_a_run_of_another_host_is_running_while_it_beats_and_unknown_without_a_heartbeat() -> None:
    from crawler.state.records import HEARTBEAT_STALE_SECONDS, RunRecord, stale_run

    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    run = RunRecord("far", "demo", "2026-06-01T10:00:00Z", pid=1, host="elsewhere.example")
    assert stale_run(run, now) is None  # no heartbeat (an older version): cannot be judged, left running
    recent = datetime.fromtimestamp(now.timestamp() - HEARTBEAT_STALE_SECONDS + 30, UTC).isoformat()
    assert stale_run(_with_beat(run, recent), now) is None  # beating: running
    old = datetime.fromtimestamp(now.timestamp() - HEARTBEAT_STALE_SECONDS - 30, UTC).isoformat()
    stale = stale_run(_with_beat(run, old), now)
    assert stale is not None and stale.status == "interrupted" and "no heartbeat" in (stale.detail or "")


def _with_beat(run: Any, heartbeat_at: str) -> Any:
    from dataclasses import replace

    return replace(run, heartbeat_at=heartbeat_at)


def test_a_reused_pid_does_not_keep_a_dead_run_running(tmp_path: Path, other_process: subprocess.Popen[bytes]) -> None:
    from crawler.state.records import RunRecord, reap_stale_runs

    with SqliteStateStore(tmp_path / "state.sqlite3") as store:
        reused = RunRecord("old", "demo", "2020-01-01T00:00:00Z", pid=other_process.pid, host=this_host())
        alive = RunRecord("now", "demo", utc_iso(), pid=other_process.pid, host=this_host())
        elsewhere = RunRecord("far", "demo", "2020-01-01T00:00:00Z", pid=1, host="elsewhere.example")
        for run in (reused, alive, elsewhere):
            store.put_run(run)
        assert [run.run_id for run in reap_stale_runs(store)] == ["old"]
        assert {run.run_id: run.status for run in store.list_runs()} == {
            "old": "interrupted",
            "now": "running",
            "far": "running",
        }


# --- a small hostile site (tests/fault_server.py) --------------------------------------------------------

FAULT_SITE = """\
sites:
  - name: faults
    base_url: ${PRESSWASH_DEMO_URL}
    sitemaps: [/sitemap.xml]
    feeds: [/feed.xml]
    article_url: ['^/[ab]/\\d+\\.html$']
    politeness: {download_delay: 0, autothrottle: false, concurrency: 4}
"""
_WORDS = (
    "harbour",
    "ferry",
    "council",
    "budget",
    "river",
    "bridge",
    "school",
    "teacher",
    "market",
    "farmer",
    "harvest",
    "rain",
    "storm",
    "village",
    "museum",
    "library",
    "concert",
    "theatre",
    "station",
    "railway",
    "tunnel",
    "mayor",
    "election",
    "vote",
    "garden",
    "orchard",
    "bakery",
    "festival",
    "lantern",
    "mountain",
    "valley",
    "glacier",
    "forest",
    "lake",
    "island",
    "coast",
    "lighthouse",
    "fisherman",
)


def article_html(path: str) -> str:
    """A plausible article page whose text is its own (no two are near duplicates)."""
    rng = random.Random(path)
    paragraphs = []
    for _ in range(5):
        words = [rng.choice(_WORDS) for _ in range(40)]
        paragraphs.append(f"<p>{' '.join(words).capitalize()}.</p>")
    title = " ".join(rng.choice(_WORDS) for _ in range(6)).title()
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title></head><body><article>"
        f"<h1>{title}</h1>{''.join(paragraphs)}</article></body></html>"
    )


def build_site(root: Path, paths: list[str], *, sitemap_paths: list[str] | None = None) -> None:
    """Article files, a sitemap listing ``sitemap_paths`` (default: all), an empty valid feed."""
    for path in paths:
        file = root / path.lstrip("/")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(article_html(path), encoding="utf-8")
    urls = "".join(f"<url><loc>{{base}}{p}</loc></url>" for p in (sitemap_paths or paths))
    routes = {
        "/sitemap.xml": {
            "headers": {"Content-Type": "application/xml"},
            "body": f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
        },
        "/feed.xml": {
            "headers": {"Content-Type": "application/rss+xml"},
            "body": '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>',
        },
    }
    set_routes(root, routes)


def set_routes(root: Path, routes: dict[str, Any]) -> None:
    existing = json.loads((root / "routes.json").read_text()) if (root / "routes.json").is_file() else {}
    (root / "routes.json").write_text(json.dumps({**existing, **routes}), encoding="utf-8")


@contextmanager
def fault_server(root: Path, port: int = 0) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fault_server.py"), str(root), str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]


def hits(base_url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{base_url}/_hits", timeout=10) as response:
        return json.load(response)


@dataclass
class FaultRun:
    returncode: int
    stderr: str
    stats: dict[str, Any]
    ledger: list[dict[str, Any]]
    hits: dict[str, int]
    records: list[dict[str, Any]]
    base_url: str


def crawl_faults(
    tmp_path: Path, root: Path, *extra: str, run_id: str = "faults", port: int = 0, timeout: float = 180
) -> FaultRun:
    """Serve ``root``, crawl it once (the ``faults`` site), return what came out. The same ``port`` for a
    second run keeps the URLs the same, so the state store knows them."""
    config, output = tmp_path / "sites.yaml", tmp_path / "out"
    config.write_text(FAULT_SITE, encoding="utf-8")
    with fault_server(root, port) as base_url:
        done = subprocess.run(
            crawl_command(config, output, *FAST, *extra),
            cwd=ROOT,
            env=crawl_env(base_url, run_id),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        served = hits(base_url)
    stats_file = output / "faults" / "runs" / f"{run_id}.json"
    assert stats_file.is_file(), done.stderr[-3000:]
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    ledger = [json.loads(line) for line in Path(stats["ledger"]).read_text(encoding="utf-8").splitlines()]
    return FaultRun(done.returncode, done.stderr, stats, ledger, served, written(output, "faults"), base_url)


FAST = ["--set", "DOWNLOAD_TIMEOUT=5", "--set", "PRESSWASH_RETRY_BACKOFF_BASE=0.1"]


# --- case 13: a robots.txt over the download cap still applies (RFC 9309: its first 500 KiB) -----------


@pytest.mark.slow
def test_a_robots_txt_over_the_download_cap_is_obeyed(tmp_path: Path) -> None:
    root = tmp_path / "site"
    paths = [f"/a/{n}.html" for n in range(1, 4)] + [f"/b/{n}.html" for n in range(1, 4)]
    build_site(root, paths)
    padding = b"# " + b"x" * 97 + b"\n"
    with (root / "robots.txt").open("wb") as handle:  # 10 MB, over DOWNLOAD_MAXSIZE (8 MB)
        handle.write(b"User-agent: *\nDisallow: /a/\n")
        handle.write(padding * (10 * 1024 * 1024 // len(padding)))
        handle.write(b"Disallow: /b/\n")  # beyond 500 KiB: a crawler need not read it
    run = crawl_faults(tmp_path, root)
    assert run.returncode == 0, run.stderr[-3000:]
    assert not [p for p in run.hits if p.startswith("/a/")], "robots.txt disallows /a/ and it was fetched"
    assert sorted(urlsplit(r["url"]).path for r in run.records) == [f"/b/{n}.html" for n in range(1, 4)]
    forbidden = [e for e in run.ledger if e.get("reason") == "robots_forbidden"]
    assert len(forbidden) == 3 and run.stats["accounted"]
    assert "robots.txt larger than" in run.stderr


# --- case 14: a huge sitemap is queued in bounded batches, the rest deferred to the next run -----------


@pytest.mark.slow
def test_a_huge_sitemap_queues_at_most_the_cap_per_run_and_defers_the_rest(tmp_path: Path) -> None:
    root = tmp_path / "site"
    paths = [f"/b/{n}.html" for n in range(1, 61)]
    build_site(root, paths)
    cap = ["--set", "PRESSWASH_MAX_SITEMAP_URLS=20"]
    first = crawl_faults(tmp_path, root, *cap, run_id="first")
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(first.records) == 20 and first.stats["read"] == 20
    assert first.stats["discovery"]["presswash/entries/sitemap/deferred"] == 40
    second = crawl_faults(tmp_path, root, *cap, run_id="second", port=urlsplit(first.base_url).port or 0)
    assert len(second.records) == 40 and second.stats["read"] == 20  # 20 more, none fetched twice
    assert second.stats["discovery"]["presswash/entries/sitemap/deferred"] == 20
    assert len({r["id"] for r in second.records}) == 40


# --- case 15 (and the crawl part of 21): every fetched URL is accounted for, broken feeds fail ---------


@pytest.mark.slow
def test_offsite_redirects_broken_feeds_and_odd_articles_are_all_accounted_for(tmp_path: Path) -> None:
    root = tmp_path / "site"
    listed = ["/b/1.html", "/b/2.html", "/b/3.html", "/b/4.html", "/b/5.html"]
    build_site(root, ["/b/1.html", "/b/2.html"], sitemap_paths=listed)
    set_routes(
        root,
        {
            "/b/3.html": {"status": 301, "headers": {"Location": "http://elsewhere.invalid/story"}},
            "/b/4.html": {"status": 404, "body": "gone"},
            "/b/5.html": {"headers": {"Content-Type": "application/pdf"}, "body": "%PDF-1.4 not a page"},
            # cut off in the middle of its second item: one entry read, and the feed is broken
            "/feed.xml": {
                "headers": {"Content-Type": "application/rss+xml"},
                "body": "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
                "<item><link>{base}/b/6.html</link></item><item><title>x</title><link>{base}/b/2",
            },
        },
    )
    (root / "b" / "6.html").write_text(article_html("/b/6.html"), encoding="utf-8")
    run = crawl_faults(tmp_path, root)
    stats = run.stats
    articles = [e for e in run.ledger if e["kind"] == "article"]
    assert stats["read"] == len(articles) == 6, articles  # five from the sitemap, one from the broken feed
    offsite = [e for e in articles if e.get("reason") == "offsite"]
    assert offsite and offsite[0]["outcome"] == "failed" and offsite[0]["redirect_urls"][0].endswith("/b/3.html")
    assert stats["failed"] == {"http_404": 1, "offsite": 1} and stats["rejected"] == {"not_text": 1}
    assert stats["written"] == 3 and stats["accounted"]
    feed = next(e for e in run.ledger if e["kind"] == "feed")
    assert feed["outcome"] == "failed" and feed["reason"] == "broken_xml", feed
    assert stats["other"]["feed"] == {"failed/broken_xml": 1}


# --- case 12: a full disk stops the crawl with a clear error; a stop always ends the process -----------


@pytest.mark.slow
def test_a_disk_under_the_free_space_minimum_stops_the_crawl_cleanly(tmp_path: Path) -> None:
    """The space check: below PRESSWASH_MIN_FREE_BYTES the crawl closes while it can still write its stats."""
    root = tmp_path / "site"
    build_site(root, [f"/b/{n}.html" for n in range(1, 6)])
    run = crawl_faults(tmp_path, root, "--set", f"PRESSWASH_MIN_FREE_BYTES={10**18}")
    assert run.returncode == 1, run.stderr[-3000:]
    assert "disk full:" in run.stderr and "PRESSWASH_MIN_FREE_BYTES" in run.stderr
    assert run.stats["finish_reason"] == "disk_full" and run.stats["accounted"]


@contextmanager
def small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.slow
def test_a_disk_that_fills_up_during_the_crawl_ends_it(tmp_path: Path) -> None:
    """The audit's case: the disk fills mid-crawl (no space check: minimum 0). Before, the JOBDIR queue
    failed every 5 s for ever and SIGTERM was ignored; now the first disk-full error stops the crawl and
    the process ends, cleanly or at PRESSWASH_CLOSE_TIMEOUT."""
    proc, base_url = start_server_subprocess(articles=400)
    config = tmp_path / "sites.yaml"
    config.write_text(SLOW_SITE.replace("download_delay: 0.2", "download_delay: 0"), encoding="utf-8")
    try:
        with small_tmpfs(tmp_path / "disk", "600k") as disk:
            crawl = subprocess.Popen(
                crawl_command(
                    config, disk / "out", "--set", "PRESSWASH_MIN_FREE_BYTES=0", "--set", "PRESSWASH_CLOSE_TIMEOUT=10"
                ),
                cwd=ROOT,
                env=crawl_env(base_url, "full"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                _, stderr = crawl.communicate(timeout=150)
            except subprocess.TimeoutExpired:
                crawl.kill()
                crawl.communicate()
                pytest.fail("the crawl on a full disk did not end by itself")
    finally:
        stop_server(proc)
    assert crawl.returncode in (1, 74), stderr[-3000:]
    assert "disk full:" in stderr


# --- cases 22-24: months of state: retention, space given back, WAL limit, short transactions ----------

OLD, RECENT = "2024-01-01T00:00:00Z", "2026-11-30T00:00:00Z"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def synthetic_state(path: Path, old: int, recent: int) -> SqliteStateStore:
    """A state as months of crawling leave it: ``old`` articles written two years ago (the first 100 of
    them with a recent fetch of their URL: still listed), ``recent`` from last week; each with its URL
    key, content hash, signature, 8 LSH buckets and a fetch record. Built in bulk (the maintenance is
    under test, not the writing)."""
    store = SqliteStateStore(path)
    add_rows(store, 0, old, OLD, still_listed=100)
    add_rows(store, old, recent, RECENT)
    return store


def add_rows(store: SqliteStateStore, first: int, count: int, when: str, *, still_listed: int = 0) -> None:
    rng = random.Random(first)
    articles, url_keys, hashes, sigs, buckets, fetches = [], [], [], [], [], []
    for n in range(first, first + count):
        article_id, url_key, digest = f"a{n:07d}", f"https://example.com/{n}", f"{n:064x}"
        articles.append((article_id, digest, 1, url_key, "demo", when))
        url_keys.append((url_key, article_id))
        hashes.append((digest, article_id))
        sigs.append((article_id, rng.randbytes(512), when))
        buckets += [(band, rng.getrandbits(63), article_id) for band in range(8)]
        fetched = RECENT if n - first < still_listed else when
        fetches.append((url_key, url_key, "written", fetched, "demo", article_id))
    with store._write() as conn:
        conn.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?)", articles)
        conn.executemany("INSERT INTO url_keys VALUES (?, ?)", url_keys)
        conn.executemany("INSERT INTO content_hashes VALUES (?, ?)", hashes)
        conn.executemany("INSERT INTO signatures VALUES (?, ?, ?)", sigs)
        conn.executemany("INSERT INTO lsh_buckets VALUES (?, ?, ?)", buckets)
        conn.executemany(
            "INSERT INTO fetches (url_key, url, outcome, fetched_at, site, article_id) VALUES (?, ?, ?, ?, ?, ?)",
            fetches,
        )


class Transactions:
    """Counts the write transactions a store's connection commits (sqlite3's statement trace)."""

    def __init__(self, store: SqliteStateStore) -> None:
        self.commits = 0
        store._conn.set_trace_callback(self._trace)

    def _trace(self, statement: str) -> None:
        if statement.strip().upper() == "COMMIT":
            self.commits += 1


def test_retention_forgets_old_fetches_and_articles_in_short_transactions(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with synthetic_state(path, old=6000, recent=1000) as store:
        transactions = Transactions(store)
        settings = StateSettings(fetch_retention_days=90, article_retention_days=365, wal_size_limit_mb=1)
        done = store.maintain(settings, now=NOW)
        assert done["fetches"] == 5900 and done["articles"] == 5900  # the 100 still listed are kept
        counts = store.counts()
        assert counts["articles"] == counts["url_keys"] == counts["content_hashes"] == counts["signatures"] == 1100
        assert counts["lsh_buckets"] == 1100 * 8 and counts["fetches"] == 1100
        assert store.get_article("a0000050") is not None and store.get_article("a0000500") is None
        # Batches of MAINTENANCE_BATCH rows: never one transaction holding the lock for the whole prune.
        assert transactions.commits >= 2 * (5900 // MAINTENANCE_BATCH)


def test_a_second_process_writes_while_a_large_prune_runs(tmp_path: Path) -> None:
    """Case 24: a prune in one transaction locked a second process out past its busy timeout."""
    path = tmp_path / "state.sqlite3"
    with synthetic_state(path, old=8000, recent=0) as store:
        errors: list[BaseException] = []

        def prune() -> None:
            try:
                store.prune_articles("2025-01-01T00:00:00Z", batch=200)
            except BaseException as exc:  # reported below
                errors.append(exc)

        worker = threading.Thread(target=prune)
        with SqliteStateStore(path, busy_timeout=2.0) as other:
            worker.start()
            written = 0
            while worker.is_alive() or written < 20:
                other.put_fetch(fetch_state(f"https://other.example/{written}"))  # raises if locked out
                written += 1
            worker.join()
        assert not errors, errors
        assert store.counts()["articles"] == 100 and store.counts()["fetches"] == 8000 + written  # 100 still listed


def test_the_file_stops_growing_and_the_wal_stays_under_its_limit(tmp_path: Path) -> None:
    """Case 22: nothing was ever deleted, no VACUUM, and the WAL stayed at its largest."""
    path = tmp_path / "state.sqlite3"
    with synthetic_state(path, old=6000, recent=500) as store:
        assert store._query("PRAGMA auto_vacuum")[0][0] == 2  # a new file: incremental vacuum is on
        assert store.file_sizes()["wal"] > 1024 * 1024  # the bulk write went through the WAL
        store.checkpoint()
        full = store.file_sizes()["database"]
        store.maintain(StateSettings(wal_size_limit_mb=1), now=NOW)
        first = store.file_sizes()
        assert store._query("PRAGMA freelist_count")[0][0] == 0  # the freed pages went back to the disk
        assert first["database"] < full / 2, (full, first)
        assert first["wal"] <= 1024 * 1024, first
        # Another period of the same crawling, then its retention: the file ends where it was.
        add_rows(store, 100_000, 6000, OLD)
        store.maintain(StateSettings(wal_size_limit_mb=1), now=NOW)
        second = store.file_sizes()
        assert second["database"] <= first["database"] * 1.1, (first, second)
        assert second["wal"] <= 1024 * 1024, second


def test_an_old_state_file_can_be_given_incremental_vacuum(tmp_path: Path) -> None:
    path = tmp_path / "legacy.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")  # auto_vacuum is fixed once the first table exists: NONE here
    conn.close()
    with SqliteStateStore(path) as store:
        assert store._query("PRAGMA auto_vacuum")[0][0] == 0
    vacuum(path)
    with SqliteStateStore(path) as store:
        assert store._query("PRAGMA auto_vacuum")[0][0] == 2


def test_a_threshold_change_rebands_in_batches(tmp_path: Path) -> None:
    """Case 23: re-banding 300k signatures took one transaction each (311 s, +228 MB before the first fetch)."""
    from cleaners.dedup import PARAMS_META_KEY, DedupIndex, DedupSettings, NearDuplicateParams

    path = tmp_path / "state.sqlite3"
    store = SqliteStateStore(path)
    try:
        index = DedupIndex(store, DedupSettings(near_duplicate_threshold=0.7))
        story = make("https://harbour.example/ferry", ORIGINAL)
        index.record(index.admit(story))
        old_params = store.get_meta(PARAMS_META_KEY)
        rng = random.Random(23)
        with store._write() as conn:
            conn.executemany(
                "INSERT INTO signatures VALUES (?, ?, ?)",
                [(f"s{n:06d}", rng.randbytes(128 * 4), RECENT) for n in range(5000)],
            )
        assert isinstance(store.iter_signatures(), Iterator)  # paged, not a list of all of them
        transactions = Transactions(store)
        rebanded = DedupIndex(store, DedupSettings(near_duplicate_threshold=0.5))
        assert store.get_meta(PARAMS_META_KEY) != old_params
        assert 3 <= transactions.commits <= 10, transactions.commits  # 5001 signatures, 2000 per transaction
        bands = NearDuplicateParams.from_settings(DedupSettings(near_duplicate_threshold=0.5)).bands
        assert store.counts()["lsh_buckets"] == 5001 * bands
        copy = rebanded.admit(make("https://ledger.example/story", SYNDICATED))
        assert isinstance(copy, Duplicate) and copy.original_id == story.id  # found through the new bands
    finally:
        store.close()


def test_closing_the_shared_state_gives_up_its_claims(tmp_path: Path) -> None:
    from crawler.state.shared import SharedState

    location = str(tmp_path / "state.sqlite3")
    shared = SharedState.acquire(location)
    assert isinstance(shared.index.admit(make("https://harbour.example/ferry", ORIGINAL)), Article)
    shared.release()  # the crawl closed with the article in flight (never written)
    with SqliteStateStore(location) as store:
        assert store._query("SELECT COUNT(*) FROM claims")[0][0] == 0


def test_a_sitemap_is_read_one_entry_at_a_time_and_a_broken_one_says_so() -> None:
    """Case 14's memory (the whole tree and every entry at once) and case 15's broken sitemaps."""
    from crawler.discovery import SitemapStream

    urls = "".join(f"<url><loc>/a/{n}.html</loc></url>" for n in range(20_000))  # ~700 KB
    stream = SitemapStream(f"<urlset>{urls}</urlset>".encode(), "https://example.com/sitemap.xml")
    held = []
    for entry in stream:
        held.append(len(stream._root))  # elements in the tree while this entry is handled
        assert entry.url.startswith("https://example.com/a/")
    assert len(held) == 20_000 and stream.problem is None
    assert max(held) < 2000, max(held)  # what the parser read ahead, not the whole sitemap
    cut = SitemapStream(f"<urlset>{urls[:5000]}".encode(), "https://example.com/sitemap.xml")
    read = list(cut)
    assert 0 < len(read) < 200 and cut.problem and "broken XML" in cut.problem
    sloppy = SitemapStream(b"<urlset><url><loc>/a/1.html?x=1&y=2</loc></url></urlset>", "https://example.com/s.xml")
    assert len(list(sloppy)) == 1 and sloppy.problem is None  # a bare & loses nothing: not broken


# --- a cleaning worker stuck inside a C call (the budget's alarm cannot land) -----------------------------


def test_a_crawl_cleaning_worker_stuck_in_c_is_killed_and_the_pool_goes_on() -> None:
    """The stuck document is rejected too_complex after max_seconds plus grace, its worker is killed, and
    the document another worker held meanwhile is cleaned all the same (tried again on the new pool)."""
    import asyncio

    from factories import stuck_in_c

    from cleaners.article import Rejected, RejectReason
    from cleaners.document import RawDocument
    from crawler.pipelines.clean import SharedPool

    story = (Path(__file__).parent / "golden" / "html" / "de_zeitung.html").read_bytes()
    page = RawDocument(content=story, url="http://127.0.0.1/zeitung", source_path="de_zeitung.html")
    pool = SharedPool(None, 2)
    try:
        old_workers = list(pool.executor._processes.values())

        async def both() -> list[object]:
            stuck = pool.clean(page, (), hard_seconds=3.0, work=stuck_in_c)
            return list(await asyncio.gather(stuck, pool.clean(page, (), hard_seconds=60.0)))

        started = time.monotonic()
        stuck_result, other = asyncio.run(both())
        assert isinstance(stuck_result, Rejected) and stuck_result.reason is RejectReason.TOO_COMPLEX
        assert "worker killed" in stuck_result.detail
        assert isinstance(other, Article)
        assert time.monotonic() - started < 60
        for process in old_workers:
            process.join(timeout=10)
            assert not process.is_alive(), "the stuck worker was left running"
        assert isinstance(asyncio.run(pool.clean(page, (), hard_seconds=60.0)), Article)
    finally:
        pool.executor.shutdown(wait=True, cancel_futures=True)
