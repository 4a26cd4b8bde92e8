"""Spiders as a service: a real scrapyd on 127.0.0.1, the project deployed with scrapyd-deploy (its egg
carries config/*.yaml), a crawl of the fixture site scheduled through schedule.json, and its articles.

Everything lives in a temporary directory: a copy of the project to build the egg from (the work tree
stays untouched), scrapyd's config, eggs, logs and databases, its TMPDIR (where the egg's config is
extracted) and the crawl's output. scrapyd is stopped in a finalizer whatever happens.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from http_server import start_server_subprocess, stop_server
from services import require_executable

from cleaners.jsonl import read_jsonl

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("scrapy.cfg", "setup.py", "pyproject.toml", "README.md", "cleaners", "crawler", "presswash", "config")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    env.update(extra)
    return env


def api(base: str, path: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{path}", data=body, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """(base URL, work dir, process) of a scrapyd private to this test."""
    executable = require_executable("scrapyd", "scrapyd==1.6.*")
    work = tmp_path / "scrapyd"
    for name in ("eggs", "logs", "dbs", "tmp"):
        (work / name).mkdir(parents=True)
    port = free_port()
    (work / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {work / 'eggs'}\nlogs_dir = {work / 'logs'}\ndbs_dir = {work / 'dbs'}\nitems_dir =\n"
        "max_proc = 2\npoll_interval = 0.5\n",
        encoding="utf-8",
    )
    log = (work / "scrapyd.out").open("wb")
    env = clean_env(TMPDIR=str(work / "tmp"), PRESSWASH_SITES_FILE="sites.demo.yaml")
    demo, demo_url = start_server_subprocess()
    env["PRESSWASH_DEMO_URL"] = demo_url
    process = subprocess.Popen(
        [executable], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if api(base, "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"scrapyd did not start: {(work / 'scrapyd.out').read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield base, work, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # scrapyd and any crawl it still runs
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        log.close()
        stop_server(demo)


def test_deploy_schedule_and_collect_articles(
    scrapyd: tuple[str, Path, subprocess.Popen[bytes]], tmp_path: Path, demo_manifest: dict[str, Any]
) -> None:
    base, work, _ = scrapyd
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, project / name)
    deploy = subprocess.run(
        [require_executable("scrapyd-deploy", "scrapyd-client"), "env", "--version", "t1"],
        cwd=project,
        env=clean_env(SCRAPYD_URL=f"{base}/"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert json.loads(deploy.stdout)["status"] == "ok", deploy.stdout
    assert api(base, "listspiders.json?project=presswash")["spiders"] == ["news"]

    output = tmp_path / "output"
    job = api(
        base,
        "schedule.json",
        [
            ("project", "presswash"),
            ("spider", "news"),
            ("site", "demo"),
            ("setting", f"PRESSWASH_OUTPUT_DIR={output}"),
            ("setting", "PRESSWASH_CLEAN_WORKERS=1"),
            ("setting", "DOWNLOAD_TIMEOUT=1"),
            ("setting", "PRESSWASH_RETRY_BACKOFF_BASE=0.1"),
        ],
    )
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 120
    while True:
        jobs = api(base, "listjobs.json?project=presswash")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        assert time.monotonic() < deadline, f"crawl did not finish: {jobs}"
        time.sleep(0.5)

    log = next((work / "logs" / "presswash" / "news").glob(f"{job['jobid']}.log")).read_text(errors="replace")
    assert "'finish_reason': 'finished'" in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    # The egg's own config was used (extracted from the zip), not the work tree's files.
    assert list((work / "tmp").glob("presswash-config-*/boilerplate.yaml")), list((work / "tmp").iterdir())

    files = list((output / "demo").glob("*.jsonl"))
    assert len(files) == 1, files
    written = list(read_jsonl(files[0]))
    paths = [urllib.parse.urlsplit(record["url"]).path for record in written]
    assert len(paths) == len(set(paths)), "an article was written twice"
    for pair in demo_manifest["near_duplicate_pairs"]:  # a syndicated pair may be deduplicated to one
        assert set(pair) & set(paths), pair
        paths.extend(set(pair) - set(paths))
    assert set(paths) == set(demo_manifest["expected_articles"])
    assert all(record["site"] == "demo" for record in written)

    # The job is in the run log beside the scheduler's and the hand-started runs (RunRecorder).
    runs = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "runs", "--json", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert runs.returncode == 0, runs.stderr
    [run] = [json.loads(line) for line in runs.stdout.splitlines()]
    assert (run["site"], run["trigger"], run["status"]) == ("demo", "scrapyd", "ok"), run
    assert run["articles"] == len(written)
