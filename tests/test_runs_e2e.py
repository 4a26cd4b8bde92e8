"""Every run is in the run log, whatever starts it, one record per site; and Scrapy's own way works.

Real crawls in subprocesses against the demo site: ``presswash crawl`` of two sites, then ``scrapy crawl``
with ``-O`` as a Scrapy user types it, then the same again with ``-s PRESSWASH_STATE=off`` (a one-off that
ignores the incremental state: every article is written again).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from http_server import start_server_subprocess, stop_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "config" / "sites.demo.yaml"
FAST = ["DOWNLOAD_TIMEOUT=1", "PRESSWASH_RETRY_BACKOFF_BASE=0.1"]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    proc, base_url = start_server_subprocess()
    try:
        yield base_url
    finally:
        stop_server(proc)


def _env(base_url: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("PRESSWASH_")}
    env["PRESSWASH_DEMO_URL"] = base_url
    env["PYTHONPATH"] = str(ROOT)
    return env


def _runs(output: Path, *extra: str) -> list[dict[str, Any]]:
    command = [sys.executable, "-m", "crawler.cli", "runs", "--json", "--output", str(output), *extra]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_a_crawl_of_two_sites_records_a_run_for_each(server: str, tmp_path: Path) -> None:
    demo = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))["sites"][0]
    second = {**demo, "name": "mirror", "start_urls": [], "sitemaps_from_robots": False, "follow": {"max_depth": 0}}
    sites = tmp_path / "sites.yaml"
    sites.write_text(yaml.safe_dump({"sites": [demo, second]}), encoding="utf-8")
    output = tmp_path / "out"
    command = [sys.executable, "-m", "crawler.crawl", "--sites", str(sites), "--output", str(output)]
    for setting in FAST:
        command += ["--set", setting]
    done = subprocess.run(command, cwd=ROOT, env=_env(server), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]

    runs = _runs(output)
    assert sorted(run["site"] for run in runs) == ["demo", "mirror"]
    assert len({run["run_id"] for run in runs}) == 2
    assert all(run["status"] == "ok" and run["trigger"] == "manual" and run["failed"] is not None for run in runs), runs
    for run in runs:
        assert Path(run["stats_path"]).is_file() and run["run_id"] in run["stats_path"]
    [mirror] = _runs(output, "--site", "mirror")
    assert mirror["site"] == "mirror"


def test_scrapy_crawl_writes_articles_and_is_recorded_and_state_off_writes_them_again(
    server: str, tmp_path: Path, demo_manifest: dict[str, Any]
) -> None:
    pairs = {path: min(pair) for pair in demo_manifest["near_duplicate_pairs"] for path in pair}

    def story(record: dict[str, Any]) -> str:
        path = urlsplit(record["url"]).path
        return pairs.get(path, path)

    output = tmp_path / "out"
    settings = [f"PRESSWASH_OUTPUT_DIR={output}", "LOG_LEVEL=WARNING", *FAST]

    def scrapy_crawl(feed: Path, *extra: str) -> list[dict[str, Any]]:
        command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "site=demo", "-a", f"config={DEMO_CONFIG}"]
        for setting in [*settings, *extra]:
            command += ["-s", setting]
        done = subprocess.run(
            [*command, "-O", str(feed)], cwd=ROOT, env=_env(server), capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]

    first = scrapy_crawl(tmp_path / "first.jsonl")
    assert len(first) >= 10 and all(record["site"] == "demo" and record["text"] for record in first)
    [run] = _runs(output)
    assert (run["site"], run["trigger"], run["status"], run["exit_code"]) == ("demo", "scrapy", "ok", 0)
    assert run["articles"] == len(first) and run["failed"] is not None

    again = scrapy_crawl(tmp_path / "again.jsonl")  # the incremental state knows every article
    assert again == []
    one_off = scrapy_crawl(tmp_path / "one-off.jsonl", "PRESSWASH_STATE=off")
    # Every article again; of a syndicated pair, either copy (whichever was cleaned first is written).
    assert sorted(map(story, one_off)) == sorted(map(story, first))
    assert [r["trigger"] for r in _runs(output)] == ["scrapy", "scrapy"]  # the one-off is not recorded


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-a", "site=nope"], "no site named 'nope'"),
        ([], "name a site with -a site=NAME"),
        (["-a", "site=demo", "-a", "config=missing.yaml"], "missing.yaml: cannot read"),
    ],
)
def test_scrapy_crawl_config_errors_are_one_message_and_status_2(arguments: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "news", *arguments, "-s", "LOG_LEVEL=WARNING"],
        cwd=ROOT,
        env=_env("http://127.0.0.1:9"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr and "never retrieved" not in done.stderr


def test_scrapy_crawl_that_fetched_nothing_exits_1_and_says_why(tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text(
        yaml.safe_dump(
            {
                "sites": [
                    {"name": "down", "base_url": "http://127.0.0.1:9/", "feeds": ["/feed.xml"], "article_url": ["^/n/"]}
                ]
            }
        )
    )
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "site=down", "-a", f"config={sites}"]
    command += ["-s", f"PRESSWASH_OUTPUT_DIR={tmp_path / 'out'}", "-s", "RETRY_TIMES=0", "-s", "LOG_LEVEL=WARNING"]
    done = subprocess.run(
        command, cwd=ROOT, env=_env("http://127.0.0.1:9"), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stderr
    assert (
        "down: NOTHING FETCHED: every feed, sitemap and page failed: feed http://127.0.0.1:9/feed.xml: " in done.stderr
    )
