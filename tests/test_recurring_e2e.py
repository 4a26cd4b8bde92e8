"""Recurring crawls end to end (GitHub issue 4): real crawls in subprocesses against the demo server.

What a user running presswash on a schedule relies on, checked on what they get (JSON lines, run stats,
URL ledger, the server's own hit counts, the state file):

- a second run emits only what is new and fetches no article again;
- a changed article (newer lastmod) comes out again as an update: same id, next version; a newer lastmod
  over unchanged text costs a 304 and nothing else;
- a syndicated copy is written once; the other copy is counted as a duplicate naming the original's id,
  and a later edit of the copy is caught as a near duplicate;
- a second crawl of a site being crawled exits at once with 75;
- re-cleaning the raw WARC archive offline gives back the crawl's records;
- a run stopped gracefully resumes from its JOBDIR, fetching nothing twice; a run killed with SIGKILL is
  completed by the next one without losing or duplicating an article.

The servers are private to this module (tests/http_server.py, like the ``fresh_demo_site`` fixture, but
module-scoped so that several runs can build on each other's state).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from http_server import start_server_subprocess, stop_server

from cleaners.jsonl import read_jsonl
from cleaners.urls import normalize_url
from crawler.sites import load_sites
from crawler.state.sqlite import SqliteStateStore

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "config" / "sites.demo.yaml"
FAST = ["--set", "DOWNLOAD_TIMEOUT=1", "--set", "PRESSWASH_RETRY_BACKOFF_BASE=0.1"]
UPDATED_SLUG = "council-approves-rural-fibre-rollout"  # edited between runs: must come out as version 2
UNCHANGED_PATH = "/news/2025/12/corner-bakery-cookies-sell-out.html"  # lastmod bumped, text unchanged
BULK_ARTICLES = 200
BULK_SITE = """\
sites:
  - name: bulk
    base_url: ${PRESSWASH_DEMO_URL}
    sitemaps: [/sitemaps/bulk.xml]
    article_url: ['^/bulk/\\d+\\.html$']
    politeness: {download_delay: 0, autothrottle: false, concurrency: 8}
"""


def crawl_env(base_url: str, run_id: str) -> dict[str, str]:
    """Loopback only, and no recurring-crawl variables from the caller's environment."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("PRESSWASH_")}
    env.update({"PRESSWASH_DEMO_URL": base_url, "PRESSWASH_RUN_ID": run_id, "PYTHONPATH": str(ROOT)})
    return env


def crawl_command(config: Path, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "crawler.crawl", "--config", str(config), "--output", str(output), *extra]


def control(base_url: str, route: str) -> Any:
    with urllib.request.urlopen(f"{base_url}/_control/{route}", timeout=10) as response:
        return json.load(response)


def path_of(url: str) -> str:
    return urlsplit(url).path


def lines(output: Path, site: str) -> list[dict[str, Any]]:
    """Every record written for the site so far, in order (whole lines only: a torn tail is skipped)."""
    records = []
    for path in sorted((output / site).glob("*.jsonl")):
        for line in path.read_bytes().split(b"\n")[:-1]:
            records.append(json.loads(line))
    return records


@dataclass
class Run:
    """One finished crawl: exit status, log, its run stats and URL ledger, the server hits it caused."""

    returncode: int
    stderr: str
    stats: dict[str, Any]
    ledger: list[dict[str, Any]]
    hits: dict[str, int]

    def articles(self, *outcomes: str) -> list[dict[str, Any]]:
        return [e for e in self.ledger if e["kind"] == "article" and (not outcomes or e["outcome"] in outcomes)]


def finished_run(base_url: str, output: Path, site: str, run_id: str, returncode: int, stderr: str) -> Run:
    stats_file = output / site / "runs" / f"{run_id}.json"  # named after $PRESSWASH_RUN_ID
    assert stats_file.is_file(), stderr[-3000:]
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    hits = control(base_url, "hits?clear=1")
    return Run(returncode, stderr, stats, list(read_jsonl(stats["ledger"])), hits)


def run_crawl(base_url: str, config: Path, output: Path, site: str, run_id: str, *extra: str) -> Run:
    done = subprocess.run(
        crawl_command(config, output, *extra),
        cwd=ROOT,
        env=crawl_env(base_url, run_id),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return finished_run(base_url, output, site, run_id, done.returncode, done.stderr)


# --- the demo site, crawled three times --------------------------------------------------------------


@dataclass
class History:
    base_url: str
    output: Path
    first: Run
    busy: subprocess.CompletedProcess[str]
    busy_overlapped: bool
    first_pid: int
    first_records: list[dict[str, Any]]
    second: Run
    records_after_second: list[dict[str, Any]]
    copy_path: str  # the syndicated copy the first run did not write (edited before the third run)
    third: Run
    records: list[dict[str, Any]]  # everything written, in order


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, demo_manifest: dict[str, Any]) -> Iterator[History]:
    proc, base_url = start_server_subprocess(slow_seconds=5.0)
    output = tmp_path_factory.mktemp("recurring")
    try:
        # Run 1 waits out two 4 s timeouts on the slow page (5 s): busy for 8 s or more while a second crawl
        # (~2 s to start on an idle machine) is tried, with room for a loaded CI machine.
        first = subprocess.Popen(
            crawl_command(
                DEMO_CONFIG, output, "--set", "DOWNLOAD_TIMEOUT=4", "--set", "PRESSWASH_RETRY_BACKOFF_BASE=0.1"
            ),
            cwd=ROOT,
            env=crawl_env(base_url, "run1"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        lock = output / "locks" / "demo.lock"
        deadline = time.monotonic() + 60
        while f"pid={first.pid} " not in (lock.read_text() if lock.exists() else ""):
            assert time.monotonic() < deadline and first.poll() is None, "the first crawl never took its lock"
            time.sleep(0.05)
        busy = subprocess.run(
            crawl_command(DEMO_CONFIG, output, *FAST),
            cwd=ROOT,
            env=crawl_env(base_url, "busy"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        busy_overlapped = first.poll() is None
        _, stderr = first.communicate(timeout=120)
        run1 = finished_run(base_url, output, "demo", "run1", first.returncode, stderr)
        first_records = lines(output, "demo")

        run2 = run_crawl(base_url, DEMO_CONFIG, output, "demo", "run2", *FAST)
        records_after_second = lines(output, "demo")

        # Between runs 2 and 3 the site changes: one article is edited, one only gets a newer lastmod
        # (simulated by rewinding what the state remembers), and the syndicated copy that was not
        # written is edited (an extra paragraph): now a near duplicate rather than an exact one.
        control(base_url, f"update?slug={UPDATED_SLUG}")
        with SqliteStateStore(output / "state.sqlite3") as store:
            key = normalize_url(base_url + UNCHANGED_PATH)
            known = store.get_fetch(key)
            assert known is not None and known.outcome == "written"
            store.put_fetch(replace(known, lastmod="2000-01-01T00:00:00Z"))
        [pair] = demo_manifest["near_duplicate_pairs"]
        written = {path_of(r["url"]) for r in first_records}
        [copy_path] = [path for path in pair if path not in written]
        control(base_url, f"update?slug={Path(copy_path).stem}")
        run3 = run_crawl(base_url, DEMO_CONFIG, output, "demo", "run3", *FAST)
        yield History(
            base_url=base_url,
            output=output,
            first=run1,
            busy=busy,
            busy_overlapped=busy_overlapped,
            first_pid=first.pid,
            first_records=first_records,
            second=run2,
            records_after_second=records_after_second,
            copy_path=copy_path,
            third=run3,
            records=lines(output, "demo"),
        )
    finally:
        stop_server(proc)


def test_every_run_finishes_and_accounts_for_every_url(history: History) -> None:
    for run in (history.first, history.second, history.third):
        assert run.returncode == 0, run.stderr[-3000:]
        assert "Traceback" not in run.stderr
        assert run.stats["finish_reason"] == "finished" and run.stats["accounted"] is True
    assert not (history.output / "jobs" / "demo").exists()  # a finished run leaves nothing to resume


def test_a_second_crawl_of_a_site_being_crawled_exits_75(history: History) -> None:
    assert history.busy_overlapped, "the first crawl ended before the second was tried: nothing was proven"
    assert history.busy.returncode == 75, history.busy.stderr[-2000:]
    assert "site demo is already being crawled" in history.busy.stderr
    assert f"pid={history.first_pid} " in history.busy.stderr  # names the holder
    assert not (history.output / "demo" / "runs" / "busy.json").exists()  # it never started


def test_the_second_run_emits_nothing_new_and_fetches_no_article_again(history: History) -> None:
    first, second = history.first, history.second
    assert first.stats["written"] == len(history.first_records) > 0
    assert second.stats["written"] == 0
    assert history.records_after_second == history.first_records
    # Every article URL that reached a final outcome in run 1 (written or rejected, redirects included)
    # was known to run 2 and never requested; only run 1's failures (404, timeout...) are tried again.
    final = {path_of(u) for e in first.articles("written", "rejected") for u in [e["url"], *e.get("redirect_urls", [])]}
    assert final and not final & set(second.hits), sorted(final & set(second.hits))
    assert {e["outcome"] for e in second.articles()} <= {"failed", "skipped"}
    failed_before = {path_of(e["url"]) for e in first.articles("failed")}
    assert {path_of(e["url"]) for e in second.articles("failed")} <= failed_before
    known = {k: v for k, v in second.stats["discovery"].items() if k.endswith("/known")}
    assert sum(known.values()) >= len(final), known


def test_a_changed_article_comes_out_again_as_its_next_version(history: History) -> None:
    new = history.records[len(history.records_after_second) :]
    assert [(path_of(r["url"]), r["version"]) for r in new] == [(f"/news/2026/02/{UPDATED_SLUG}.html", 2)], (
        "run 3 must write the edited article, and only it"
    )
    [before] = [r for r in history.first_records if r["url"] == new[0]["url"]]
    assert new[0]["id"] == before["id"] and before["version"] == 1
    assert new[0]["content_hash"] != before["content_hash"] and "revision 1" in new[0]["text"]
    [entry] = [e for e in history.third.articles() if e["url"] == new[0]["url"]]
    assert entry["outcome"] == "written" and entry["id"] == before["id"]


def test_a_newer_lastmod_over_unchanged_text_costs_a_304(history: History) -> None:
    third = history.third
    [entry] = [e for e in third.articles() if path_of(e["url"]) == UNCHANGED_PATH]
    assert (entry["outcome"], entry["reason"], entry["status"]) == ("skipped", "not_modified", 304)
    assert third.hits.get(UNCHANGED_PATH) == 1
    assert third.stats["skipped"].get("not_modified") == 1
    assert not any(path_of(r["url"]) == UNCHANGED_PATH for r in history.records[len(history.first_records) :])
    with SqliteStateStore(history.output / "state.sqlite3", readonly=True) as store:
        state = store.get_fetch(normalize_url(history.base_url + UNCHANGED_PATH))
    assert state is not None and state.outcome == "not_modified"
    assert state.lastmod and not state.lastmod.startswith("2000")  # the sitemap's lastmod: known from now on
    assert state.article_id and state.etag  # still the written article, still answerable with a 304


def test_a_syndicated_copy_is_written_once_and_counted_with_the_original_id(
    history: History, demo_manifest: dict[str, Any]
) -> None:
    [pair] = demo_manifest["near_duplicate_pairs"]
    written = {path_of(r["url"]): r for r in history.records}
    [original_path] = [path for path in pair if path in written]
    original_id = written[original_path]["id"]
    assert history.copy_path not in written
    # Run 1: the copy was an exact duplicate once cleaned (header and footer are boilerplate).
    [entry] = [e for e in history.first.articles() if path_of(e["url"]) == history.copy_path]
    assert (entry["outcome"], entry["reason"], entry["duplicate_of"]) == ("rejected", "duplicate", original_id)
    assert history.first.stats["rejected"]["duplicate"] >= 1
    examples = history.first.stats["examples"]["duplicate"]
    assert any(e["source"].endswith(history.copy_path) and original_id in e["detail"] for e in examples)
    # Run 3: the copy was edited; refetched (its lastmod changed), it is now a near duplicate.
    [entry] = [e for e in history.third.articles() if path_of(e["url"]) == history.copy_path]
    assert (entry["outcome"], entry["duplicate_of"]) == ("rejected", original_id), entry
    assert entry["detail"].startswith(f"near duplicate of {original_id} (similarity 0.")
    assert history.third.stats["duplicates"] == {"near": 1}


def test_recleaning_the_archive_reproduces_the_crawl_records(
    history: History, demo_manifest: dict[str, Any], tmp_path: Path
) -> None:
    """`presswash clean --dedup output/raw/demo/` with the site's cleaning options gives back every record
    the three runs wrote (versions included), but for ``source_path`` (the WARC file)."""
    config = yaml.safe_load((ROOT / "config" / "presswash.yaml").read_text(encoding="utf-8"))
    config["cleaning"]["boilerplate"] = str(ROOT / "config" / config["cleaning"]["boilerplate"])
    for key, value in load_sites(DEMO_CONFIG).get("demo").cleaning_overrides:
        config["cleaning"][key] = list(value) if isinstance(value, tuple) else value
    (tmp_path / "presswash.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    out = tmp_path / "recleaned.jsonl"
    command = [sys.executable, "-m", "crawler.cli", "clean", str(history.output / "raw" / "demo"), "-o", str(out)]
    done = subprocess.run(
        [*command, "--dedup", "--config", str(tmp_path / "presswash.yaml"), "--workers", "2", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    again = list(read_jsonl(out))
    assert all(r["source_path"].endswith(".warc.gz") for r in again)

    # Which copy of the syndicated pair comes first depends on which the crawl's pool finished cleaning
    # first; the WARC keeps fetch order. The pair is compared apart; everything else must be identical.
    [pair] = [set(p) for p in demo_manifest["near_duplicate_pairs"]]

    def without_source(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k != "source_path"}

    def by_key(records: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
        return {(r["id"], r["version"]): without_source(r) for r in records if path_of(r["url"]) not in pair}

    crawled, recleaned = by_key(history.records), by_key(again)
    assert recleaned.keys() == crawled.keys()
    for key, record in crawled.items():
        assert recleaned[key] == record, key
    assert any(version == 2 for _, version in crawled)  # the update, reproduced as version 2
    firsts = [r for r in again if path_of(r["url"]) in pair and r["version"] == 1]
    assert len(firsts) == 1  # one copy written, the other a duplicate, as in the crawl
    [crawled_copy] = [r for r in history.records if path_of(r["url"]) in pair]
    if firsts[0]["url"] == crawled_copy["url"]:
        assert without_source(firsts[0]) == without_source(crawled_copy)


# --- resuming: 200 bulk articles -----------------------------------------------------------------------


def bulk_paths() -> set[str]:
    return {f"/bulk/{n:05d}.html" for n in range(1, BULK_ARTICLES + 1)}


def start_and_stop(base_url: str, config: Path, output: Path, run_id: str, signum: int, after: int, log: Path) -> int:
    """Start a crawl, send ``signum`` once ``after`` articles are written in all; returns its exit status."""
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            crawl_command(config, output),
            cwd=ROOT,
            env=crawl_env(base_url, run_id),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        deadline = time.monotonic() + 60
        while len(lines(output, "bulk")) < after:
            assert time.monotonic() < deadline and proc.poll() is None, f"fewer than {after} articles in 60 s"
            time.sleep(0.05)
        proc.send_signal(signum)
        return proc.wait(timeout=120)


def test_stopped_and_killed_runs_are_completed_without_loss_or_duplicates(tmp_path: Path) -> None:
    """One crawl of 200 articles, interrupted twice: stopped gracefully (SIGINT), resumed from its JOBDIR
    and killed there with SIGKILL, then completed by a third run. No article is lost or written twice;
    the resumed run fetches nothing the stopped one had fetched; the last run fetches nothing that was
    recorded before the kill (only what was in flight, or written but not yet recorded)."""
    proc, base_url = start_server_subprocess(articles=BULK_ARTICLES)
    config, output, jobdir = tmp_path / "sites.yaml", tmp_path / "out", tmp_path / "out" / "jobs" / "bulk"
    config.write_text(BULK_SITE, encoding="utf-8")
    try:
        # 1. Stopped gracefully: in-flight requests finish, the queue is saved in the JOBDIR.
        status = start_and_stop(base_url, config, output, "stopped", signal.SIGINT, 30, tmp_path / "stopped.log")
        stopped = finished_run(base_url, output, "bulk", "stopped", status, "")
        assert status == 130 and stopped.stats["finish_reason"] == "shutdown" and stopped.stats["accounted"]
        assert stopped.stats["written"] < BULK_ARTICLES, "the run finished before it was stopped"
        assert (jobdir / "requests.seen").is_file() and not (jobdir / "presswash.open").exists()
        fetched_when_stopped = set(stopped.hits) & bulk_paths()

        # 2. Resumed from the JOBDIR, then killed: it fetched nothing the stopped run had fetched.
        after = len(lines(output, "bulk")) + 30
        status = start_and_stop(base_url, config, output, "killed", signal.SIGKILL, after, tmp_path / "killed.log")
        assert status == -signal.SIGKILL
        assert "Resuming crawl" in (tmp_path / "killed.log").read_text()  # Scrapy took the saved queue back
        killed_hits = control(base_url, "hits?clear=1")
        assert set(killed_hits) & bulk_paths() and not set(killed_hits) & fetched_when_stopped
        with SqliteStateStore(output / "state.sqlite3", readonly=True) as store:
            recorded = {path for path in bulk_paths() if store.get_fetch(normalize_url(base_url + path))}
        assert (jobdir / "presswash.open").exists()  # the kill left the JOBDIR marked open

        # 3. Completed: the killed run's JOBDIR is discarded (it cannot be trusted), the state store says
        # what is done, and what was written but not recorded is caught as a duplicate, not written again.
        last = run_crawl(base_url, config, output, "bulk", "last")
        assert last.returncode == 0, last.stderr[-3000:]
        assert "discarded" in last.stderr
        records = lines(output, "bulk")
        ids = [r["id"] for r in records]
        assert len(ids) == len(set(ids)), "an article was written twice"
        assert {path_of(r["url"]) for r in records} == bulk_paths(), "an article was lost"
        assert not set(last.hits) & recorded, "a recorded article was fetched again"
        assert last.stats["written"] + last.stats["rejected"].get("duplicate", 0) == last.stats["read"]
        assert not jobdir.exists()  # finished: the next run starts afresh
    finally:
        stop_server(proc)
