"""Scale-out end to end (GitHub issue 7): real crawl processes sharing Redis, against the demo server.

What someone spreading a crawl over several processes relies on, checked on what they get (each
process's JSON lines and run stats, the server's own hit counts, the PostgreSQL table):

- two processes, seeded once with ``presswash seed``, write together exactly the expected articles, each
  once, and never fetch the same URL twice between them;
- one of them killed with SIGKILL mid-crawl and started again (same output directory), then a re-seed
  once the round is over (docs/scaling.md), still gives every article exactly once;
- with ``PRESSWASH_POSTGRES_DSN`` the table holds exactly the JSON lines, ``presswash load`` of the same
  lines changes no row, and with PostgreSQL unreachable the crawl still writes its lines and counts what
  it could not load;
- ``presswash schedule --seed-only`` seeds on its ticks, beside a worker holding the site's lock.

Every test has its own Redis key prefix (``presswash-test-<random>``) and PostgreSQL schema, both removed
afterwards, and its own demo server (tests/http_server.py), so hit counts are its own.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import signal
import socket
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
import yaml
from http_server import start_server_subprocess, stop_server
from services import delete_prefix, import_or_unavailable, postgres_schema, redis_url, require_redis

from cleaners.jsonl import read_jsonl
from crawler.config import shared_state_location
from crawler.scaleout.coordinator import RedisCrawlCoordinator
from crawler.sinks.postgres import fetch_records

import_or_unavailable("scrapy_redis", "pip install -e '.[dev]'")
psycopg = import_or_unavailable("psycopg", "pip install -e '.[dev]'")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "config" / "sites.demo.yaml"
FAST = ["--set", "DOWNLOAD_TIMEOUT=1", "--set", "PRESSWASH_RETRY_BACKOFF_BASE=0.1"]
# A process killed while busy counts as busy until its entry expires: short, so the test's round ends soon.
SHORT_BUSY = ["--set", "PRESSWASH_REDIS_BUSY_TTL=3"]
# An idle process with nothing queued stays open this long: started before the seeding, it waits for it
# (and lingers as long after the round).
WAIT_FOR_SEEDS = ["--set", "PRESSWASH_REDIS_LINGER=20"]
BULK_ARTICLES = 200
BULK_SITE = """\
sites:
  - name: bulk
    base_url: ${PRESSWASH_DEMO_URL}
    sitemaps: [/sitemaps/bulk.xml]
    article_url: ['^/bulk/\\d+\\.html$']
    politeness: {download_delay: 0, autothrottle: false, concurrency: 8}
"""


def path_of(url: str) -> str:
    return urlsplit(url).path


def control(base_url: str, route: str) -> Any:
    with urllib.request.urlopen(f"{base_url}/_control/{route}", timeout=10) as response:
        return json.load(response)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def prefix() -> Iterator[str]:
    """A Redis key prefix of this test's own; every key under it is deleted afterwards."""
    client = require_redis()
    name = f"presswash-test-{secrets.token_hex(4)}"
    try:
        yield name
    finally:
        delete_prefix(client, name)
        client.close()


@dataclass
class Deployment:
    """One shared crawl's environment: the demo server, the Redis prefix, the sites file."""

    base_url: str
    prefix: str | None
    config: Path
    tmp: Path
    extra_env: dict[str, str]

    def env(self, run_id: str) -> dict[str, str]:
        """Loopback only; no PRESSWASH_* variable of the caller's leaks in."""
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("PRESSWASH_")}
        env.update({"PRESSWASH_DEMO_URL": self.base_url, "PRESSWASH_RUN_ID": run_id, "PYTHONPATH": str(ROOT)})
        if self.prefix:
            env.update({"PRESSWASH_REDIS_URL": redis_url(), "PRESSWASH_REDIS_PREFIX": self.prefix})
        env.update(self.extra_env)
        return env

    def presswash(self, *args: str, run_id: str = "cli", timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "crawler.cli", *args]
        return subprocess.run(command, cwd=ROOT, env=self.env(run_id), capture_output=True, text=True, timeout=timeout)

    def seed(self, site: str) -> str:
        done = self.presswash("seed", "--site", site, "--sites", str(self.config))
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stderr

    def start(self, output: str, run_id: str, *extra: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(self.config)]
        command += ["--output", str(self.tmp / output), *extra]
        with (self.tmp / f"{run_id}.log").open("wb") as log:
            return subprocess.Popen(command, cwd=ROOT, env=self.env(run_id), stdout=subprocess.DEVNULL, stderr=log)

    def log(self, run_id: str) -> str:
        return (self.tmp / f"{run_id}.log").read_text(encoding="utf-8", errors="replace")

    def stats(self, output: str, site: str, run_id: str) -> dict[str, Any]:
        path = self.tmp / output / site / "runs" / f"{run_id}.json"  # named after $PRESSWASH_RUN_ID
        assert path.is_file(), self.log(run_id)[-3000:]
        return dict(json.loads(path.read_text(encoding="utf-8")))

    def records(self, output: str, site: str) -> list[dict[str, Any]]:
        """Whole lines only: a line torn by a kill is not a record."""
        records = []
        for path in sorted((self.tmp / output / site).glob("*.jsonl")):
            records += [json.loads(line) for line in path.read_bytes().split(b"\n")[:-1]]
        return records

    def wait_until_open(self, processes: dict[str, subprocess.Popen[bytes]], timeout: float = 60) -> None:
        """Until every process (by run id) has its spider open (Scrapy logs "Spider opened")."""
        deadline = time.monotonic() + timeout
        for run_id, process in processes.items():
            while "Spider opened" not in self.log(run_id):
                assert process.poll() is None, self.log(run_id)[-3000:]
                assert time.monotonic() < deadline, f"{run_id} did not open: " + self.log(run_id)[-3000:]
                time.sleep(0.1)

    def finished(self, process: subprocess.Popen[bytes], run_id: str, timeout: float = 90) -> None:
        assert process.wait(timeout=timeout) == 0, self.log(run_id)[-3000:]
        assert "Traceback" not in self.log(run_id), self.log(run_id)[-3000:]


# --- two processes, one demo site, articles also in PostgreSQL --------------------------------------------


@dataclass
class SharedCrawl:
    deployment: Deployment
    dsn: str
    schema: str
    seeded: str
    stats: dict[str, dict[str, Any]]  # output dir -> run stats
    records: dict[str, list[dict[str, Any]]]  # output dir -> JSON lines
    hits: dict[str, int]

    @property
    def union(self) -> list[dict[str, Any]]:
        return [record for records in self.records.values() for record in records]


def paced_demo_config(tmp: Path) -> Path:
    """The demo site with a short delay between requests: alone, one process then needs longer than
    Scrapy's 5 s idle heartbeat to crawl it all, so the other, polling the shared queue at its heartbeat,
    always gets work (without it, on a loaded machine, the first process could finish the small site
    before the second looked)."""
    config = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    for site in config["sites"]:
        site["politeness"]["download_delay"] = 0.3
    path = tmp / "sites.demo.paced.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shared_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedCrawl]:
    client = require_redis()
    prefix = f"presswash-test-{secrets.token_hex(4)}"
    proc, base_url = start_server_subprocess(slow_seconds=3.0)
    try:
        with postgres_schema("e2e") as (dsn, schema):
            shared_tmp = tmp_path_factory.mktemp("shared")
            deployment = Deployment(
                base_url, prefix, paced_demo_config(shared_tmp), shared_tmp, {"PRESSWASH_POSTGRES_DSN": dsn}
            )
            pg = ["--set", f"PRESSWASH_POSTGRES_SCHEMA={schema}"]
            # Both processes are up and waiting on the empty queue before the seeding: started after it,
            # one could finish the whole (small) site while the other is still importing its modules.
            processes = {out: deployment.start(out, f"run-{out}", *FAST, *pg, *WAIT_FOR_SEEDS) for out in ("a", "b")}
            deployment.wait_until_open({f"run-{out}": process for out, process in processes.items()})
            seeded = deployment.seed("demo")
            for out, process in processes.items():
                deployment.finished(process, f"run-{out}")
            yield SharedCrawl(
                deployment=deployment,
                dsn=dsn,
                schema=schema,
                seeded=seeded,
                stats={out: deployment.stats(out, "demo", f"run-{out}") for out in processes},
                records={out: deployment.records(out, "demo") for out in processes},
                hits=control(base_url, "hits"),
            )
    finally:
        stop_server(proc)
        delete_prefix(client, prefix)
        client.close()


def test_seeding_queues_each_entry_point_once(shared_crawl: SharedCrawl) -> None:
    assert f"demo: 4 entries queued in {shared_crawl.deployment.prefix}:demo:start_urls" in shared_crawl.seeded
    assert "new round" in shared_crawl.seeded


def test_two_processes_write_the_expected_articles_each_once(
    shared_crawl: SharedCrawl, demo_manifest: dict[str, Any]
) -> None:
    for out, stats in shared_crawl.stats.items():
        assert stats["finish_reason"] == "finished" and stats["accounted"] is True, out
        assert stats["written"] == len(shared_crawl.records[out]), out
    # (Which process writes how many depends on who takes what from the queue; that both took work is
    # checked by test_no_url_is_fetched_by_both_processes.)
    ids = [r["id"] for r in shared_crawl.union]
    assert len(ids) == len(set(ids)), "an article was written by both processes"
    paths = [path_of(r["url"]) for r in shared_crawl.union]
    for pair in demo_manifest["near_duplicate_pairs"]:  # whichever copy was cleaned first is written
        assert len(set(pair) & set(paths)) == 1, pair
        paths.extend(set(pair) - set(paths))
    assert sorted(set(paths)) == sorted(demo_manifest["expected_articles"])


def test_no_url_is_fetched_by_both_processes(shared_crawl: SharedCrawl, demo_manifest: dict[str, Any]) -> None:
    """Each URL once in all (the server counts), but robots.txt (every process's RobotsTxtMiddleware reads
    it) and the designed retries (a retried request goes back to the shared queue: either may take it)."""
    retried = {path for path, kind in demo_manifest["failures"].items() if kind in ("retry-then-ok", "timeout")}
    # Each process obeys robots.txt for what it takes from the queue, even before it has read robots.txt.
    assert not set(demo_manifest["disallowed"]) & set(shared_crawl.hits)
    twice = {path: n for path, n in shared_crawl.hits.items() if n > 1 and path != "/robots.txt"}
    assert set(twice) <= retried, twice
    assert all(n == 2 for n in twice.values()), twice  # retry_times: 1 in sites.demo.yaml
    # The processes' own URL ledgers agree: both fetched, and no URL was requested by both (a ledger line
    # names the final URL of a redirect; the request was for its first hop).
    requested = [
        {
            path_of((e.get("redirect_urls") or [e["url"]])[0])
            for e in read_jsonl(stats["ledger"])
            if e["outcome"] != "skipped"
        }
        - {"/robots.txt"}
        for stats in shared_crawl.stats.values()
    ]
    assert all(requested), (
        "one process fetched nothing: nothing was shared",
        {
            k: {kk: v.get(kk) for kk in ("read", "written", "rejected", "failed", "skipped")}
            for k, v in shared_crawl.stats.items()
        },
    )
    assert not (requested[0] & requested[1]) - retried, sorted(requested[0] & requested[1])


def test_postgres_rows_equal_the_json_lines_and_loading_them_again_changes_nothing(
    shared_crawl: SharedCrawl,
) -> None:
    crawl, deployment = shared_crawl, shared_crawl.deployment
    for stats in crawl.stats.values():  # every article a process wrote, it loaded (nothing counted: nothing written)
        assert stats.get("postgres", {}) == ({"inserted": stats["written"]} if stats["written"] else {}), stats

    def table() -> list[tuple[Any, ...]]:
        with psycopg.connect(crawl.dsn) as conn:
            rows = conn.execute(
                f'SELECT id, record_hash, xmin::text, loaded_at, updated_at FROM "{crawl.schema}".articles ORDER BY id'
            ).fetchall()
            assert fetch_records(conn, crawl.schema) == sorted(crawl.union, key=lambda r: r["id"])
        return rows

    before = table()
    assert len(before) == len(crawl.union)
    files = [str(path) for out in crawl.records for path in sorted((deployment.tmp / out / "demo").glob("*.jsonl"))]
    for _ in range(2):
        done = deployment.presswash("load", *files, "--postgres", crawl.dsn, "--schema", crawl.schema)
        assert done.returncode == 0, done.stderr[-3000:]
        assert f"read {len(before)}, inserted 0, updated 0, unchanged {len(before)}, invalid 0, failed 0" in done.stderr
        assert table() == before  # not a row rewritten (xmin), not a timestamp touched


# --- one of two processes killed mid-crawl --------------------------------------------------------------


def test_a_process_killed_mid_crawl_and_restarted_loses_and_duplicates_nothing(tmp_path: Path, prefix: str) -> None:
    """Two processes share 200 bulk articles; one is killed with SIGKILL, started again on its output
    directory (it records what it wrote but had not recorded) and both finish the round. What the killed
    process had taken from the queue is lost to that round (its fingerprints are set), so once the round
    is over a re-seed starts the next one, which skips every known article and fetches the rest."""
    proc, base_url = start_server_subprocess(articles=BULK_ARTICLES)
    config = tmp_path / "sites.yaml"
    config.write_text(BULK_SITE, encoding="utf-8")
    # Claims of a killed process end with its heartbeat: shortened (60 s by default) so the next round,
    # a few seconds later, may take what it held.
    state = shared_state_location(redis_url(), prefix) + "&heartbeat_ttl=3"
    deployment = Deployment(base_url, prefix, config, tmp_path, {"PRESSWASH_STATE_PATH": state})
    bulk = {f"/bulk/{n:05d}.html" for n in range(1, BULK_ARTICLES + 1)}
    try:
        assert "new round" in deployment.seed("bulk")
        victim = deployment.start("a", "victim", *SHORT_BUSY)
        other = deployment.start("b", "other", *SHORT_BUSY)
        deadline = time.monotonic() + 60
        while len(deployment.records("a", "bulk")) < 15 or len(deployment.records("b", "bulk")) < 15:
            assert time.monotonic() < deadline and victim.poll() is None, "the crawl did not get going"
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL
        written_before_kill = len(deployment.records("a", "bulk")) + len(deployment.records("b", "bulk"))
        assert written_before_kill < BULK_ARTICLES, "the crawl was over before the kill"

        restarted = deployment.start("a", "restarted", *SHORT_BUSY)
        deployment.finished(restarted, "restarted")
        deployment.finished(other, "other")

        client = require_redis()
        coordinator = RedisCrawlCoordinator(client, prefix, "bulk", worker="test")
        deadline = time.monotonic() + 15
        while not coordinator.round_finished():  # the killed process's busy entry expires (3 s)
            assert time.monotonic() < deadline, "the round never ended"
            time.sleep(0.2)
        client.close()
        assert "new round" in deployment.seed("bulk")
        last = deployment.start("a", "last", *SHORT_BUSY)
        deployment.finished(last, "last")

        records = deployment.records("a", "bulk") + deployment.records("b", "bulk")
        ids = [r["id"] for r in records]
        assert len(ids) == len(set(ids)), "an article was written twice"
        assert {path_of(r["url"]) for r in records} == bulk, "an article was lost"
        stats = deployment.stats("a", "bulk", "last")
        assert stats["discovery"].get("presswash/entries/sitemap/known", 0) >= written_before_kill
        assert stats["written"] + stats["rejected"].get("duplicate", 0) == stats["read"]
    finally:
        stop_server(proc)


# --- the scheduler seeds, workers crawl -------------------------------------------------------------------


def test_schedule_seed_only_queues_the_entry_points_on_each_tick(tmp_path: Path, prefix: str) -> None:
    """`presswash schedule --seed-only` runs `presswash seed` for its sites (here once, --run-now) and
    records the tick in the shared run log; it takes no crawl lock, so a worker on the machine never
    makes a tick skip."""
    deployment = Deployment("http://127.0.0.1:8765", prefix, DEMO_CONFIG, tmp_path, {})
    output = tmp_path / "out"
    (output / "locks").mkdir(parents=True)
    worker_lock = (output / "locks" / "demo.lock").open("w")  # a crawl worker of this machine holds the site
    command = [sys.executable, "-m", "crawler.cli", "schedule", "--seed-only", "--run-now", "--site", "demo"]
    command += ["--config", str(DEMO_CONFIG), "--output", str(output)]
    fcntl.flock(worker_lock, fcntl.LOCK_EX)
    client = require_redis()
    scheduler = subprocess.Popen(
        command, cwd=ROOT, env=deployment.env("schedule"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while client.zcard(f"{prefix}:demo:start_urls") < 4:
            assert time.monotonic() < deadline and scheduler.poll() is None, "the tick did not seed"
            time.sleep(0.1)
        runs = deployment.presswash("runs", "--json", "--output", str(output))
        while '"status": "ok"' not in runs.stdout:  # recorded once the seed process has exited
            assert time.monotonic() < deadline, runs.stdout + runs.stderr
            time.sleep(0.2)
            runs = deployment.presswash("runs", "--json", "--output", str(output))
    finally:
        scheduler.send_signal(signal.SIGTERM)
        _, stderr = scheduler.communicate(timeout=30)
        worker_lock.close()
        client.close()
    assert scheduler.returncode == 0, stderr.decode()[-3000:]
    [run] = [json.loads(line) for line in runs.stdout.splitlines()]
    assert (run["site"], run["status"], run["trigger"], run["exit_code"]) == ("demo", "ok", "start", 0)
    assert "demo: 4 entries queued" in Path(run["log_path"]).read_text(encoding="utf-8")


# --- PostgreSQL unreachable -----------------------------------------------------------------------------


def test_with_postgres_unreachable_the_crawl_writes_its_lines_and_counts_the_failures(tmp_path: Path) -> None:
    proc, base_url = start_server_subprocess(articles=30)
    config = tmp_path / "sites.yaml"
    config.write_text(BULK_SITE, encoding="utf-8")
    dsn = f"postgresql://127.0.0.1:{closed_port()}/test"
    deployment = Deployment(base_url, None, config, tmp_path, {"PRESSWASH_POSTGRES_DSN": dsn})
    try:
        crawl = deployment.start("out", "pg-down")
        deployment.finished(crawl, "pg-down")
    finally:
        stop_server(proc)
    stats = deployment.stats("out", "bulk", "pg-down")
    assert stats["written"] == len(deployment.records("out", "bulk")) == 30
    assert stats["postgres"] == {"failed": 30}
    log = deployment.log("pg-down")
    assert "PostgreSQL at" in log and "is unavailable" in log and "presswash load" in log
