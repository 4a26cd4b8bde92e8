"""What a user sees when things go wrong: a crawl that fetched nothing, Ctrl-C, a missing contact URL.

Real commands in subprocesses, against servers on 127.0.0.1 only: the demo site, and a port nothing
listens on (connection refused).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from http_server import start_server_subprocess, stop_server

from crawler.settings import DEFAULT_CONTACT_URL
from crawler.sites import contact_warning, is_public_host, load_sites

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "config" / "sites.demo.yaml"
REFUSED = "http://127.0.0.1:9"  # the discard port: nothing listens on it here


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("PRESSWASH_")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


@pytest.fixture(scope="module")
def slow_server() -> Iterator[str]:
    """The demo site with a slow page (10 s): a crawl of it is still running when the test stops it."""
    proc, base_url = start_server_subprocess(slow_seconds=10.0)
    try:
        yield base_url
    finally:
        stop_server(proc)


def test_public_hosts_and_the_contact_warning(tmp_path: Path) -> None:
    assert is_public_host("www.bbc.co.uk") and is_public_host("8.8.8.8")
    for host in ("127.0.0.1", "localhost", "10.1.2.3", "[::1]", "demo.test", "printer.local", "x.invalid"):
        assert not is_public_host(host), host
    sites = tmp_path / "sites.yaml"
    sites.write_text(
        yaml.safe_dump(
            {
                "sites": [
                    {"name": "local", "base_url": f"{REFUSED}/", "feeds": ["/feed.xml"], "article_url": ["^/n/"]},
                    {
                        "name": "public",
                        "base_url": "https://news.example.com/",
                        "feeds": ["/f"],
                        "article_url": ["^/n/"],
                    },
                ]
            }
        )
    )
    loaded = load_sites(sites).sites
    warning = contact_warning(loaded, DEFAULT_CONTACT_URL, DEFAULT_CONTACT_URL)
    assert warning is not None and "(public)" in warning and "--contact-url" in warning
    assert contact_warning(loaded, "mailto:me@example.org", DEFAULT_CONTACT_URL) is None
    assert contact_warning(loaded[:1], DEFAULT_CONTACT_URL, DEFAULT_CONTACT_URL) is None


def test_a_crawl_that_fetched_nothing_says_so_and_fails(slow_server: str, tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    refused = {"name": "refused", "base_url": f"{REFUSED}/", "feeds": ["/feed.xml"], "sitemaps": ["/sitemap.xml"]}
    missing = {"name": "missing", "base_url": f"{slow_server}/", "feeds": ["/no-such-feed.xml"]}
    articles = {"article_url": ["^/news/"]}
    # Public by its domains, offsite for every request (so nothing leaves 127.0.0.1): only for the warning.
    public = {"name": "public", "base_url": f"{REFUSED}/", "allowed_domains": ["news.example.com"], "feeds": ["/f"]}
    sites.write_text(yaml.safe_dump({"sites": [site | articles for site in (refused, missing, public)]}))
    command = [sys.executable, "-m", "crawler.cli", "crawl", "--sites", str(sites), "--output", str(tmp_path / "out")]
    command += ["--set", "RETRY_TIMES=0", "--set", "DOWNLOAD_TIMEOUT=5"]
    done = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=180, check=False)
    err = done.stderr
    assert done.returncode == 1, err[-3000:]
    assert "presswash: refused: NOTHING FETCHED" in err and "presswash: missing: NOTHING FETCHED" in err, err[-5000:]
    assert f"    feed {REFUSED}/feed.xml: connection refused" in err
    assert f"    sitemap {REFUSED}/sitemap.xml: connection refused" in err
    assert f"    feed {slow_server}/no-such-feed.xml: HTTP 404" in err
    assert "Traceback" not in err
    assert err.count("Overridden settings:") == 1 and err.count("Enabled extensions:") == 1
    assert err.count("presswash: warning: crawling public sites (public)") == 1
    assert "Dumping Scrapy stats" not in err
    assert len(err.splitlines()) < 150, f"{len(err.splitlines())} lines of log"

    verbose = subprocess.run(
        [*command[:3], "-v", *command[3:], "--site", "refused"],
        cwd=ROOT,
        env=_env(PRESSWASH_CONTACT_URL="mailto:me@example.org"),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert verbose.returncode == 1
    assert "Traceback" in verbose.stderr and "Dumping Scrapy stats" in verbose.stderr  # -v: everything
    assert "presswash: warning" not in verbose.stderr  # a contact of one's own: no warning


def _as_in_a_terminal() -> None:
    """In the child before exec: Ctrl-C handled as in a terminal's foreground. A test run started in the
    background of a non-interactive shell (`make test &`) has SIGINT ignored, which its children inherit
    (and Python then installs no KeyboardInterrupt for it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_when(proc: subprocess.Popen[str], ready: object, timeout: float = 120) -> None:
    """Send SIGINT to the process group (as Ctrl-C in a terminal does) once ``ready()`` is true."""
    deadline = time.monotonic() + timeout
    while not ready():  # type: ignore[operator]
        assert proc.poll() is None, "finished before it could be interrupted"
        assert time.monotonic() < deadline, "never got going"
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)


def test_ctrl_c_in_a_crawl_ends_with_one_line_and_status_130(slow_server: str, tmp_path: Path) -> None:
    output = tmp_path / "out"
    command = [sys.executable, "-m", "crawler.cli", "crawl", "--sites", str(DEMO_CONFIG), "--output", str(output)]
    command += ["--set", "DOWNLOAD_TIMEOUT=120"]  # /fail/slow.html keeps it running until interrupted
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env=_env(PRESSWASH_DEMO_URL=slow_server),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        preexec_fn=_as_in_a_terminal,
    ) as proc:
        day_files = lambda: any(p.stat().st_size for p in (output / "demo").glob("*.jsonl"))  # noqa: E731
        _interrupt_when(proc, day_files)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("presswash: interrupted; every line written so far is whole (demo: read ")


def test_ctrl_c_in_clean_ends_with_one_line_and_status_130(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    pages = sorted((ROOT / "tests" / "golden" / "html").glob("*.html"))
    for index in range(3000):
        shutil.copy(pages[index % len(pages)], inputs / f"{index:05d}.html")
    output = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "crawler.cli", "clean", str(inputs), "-o", str(output), "--workers", "2"]
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env=_env(),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        preexec_fn=_as_in_a_terminal,
    ) as proc:
        partial = output.with_name(output.name + ".partial")  # -o writes here until the run ends
        _interrupt_when(proc, lambda: partial.exists() and partial.stat().st_size > 0)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    lines = err.strip().splitlines()
    assert lines[0].startswith("presswash: read ")  # the run's summary: its stats are written too
    assert lines[1:] == [  # one line says it all
        f"presswash: interrupted; every line written so far is whole; the lines so far are in {partial}: "
        "run again with --resume to go on"
    ]
    assert all(line.endswith("}") for line in partial.read_text(encoding="utf-8").splitlines())


def test_log_filters_keep_one_dump_of_each_kind_and_errors_on_one_line() -> None:
    import logging

    from crawler.logs import OncePerProcess, OneLineErrors

    def record(name: str, msg: str, args: object = None, exc: BaseException | None = None) -> logging.LogRecord:
        exc_info = (type(exc), exc, exc.__traceback__) if exc else None
        return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, exc_info)  # type: ignore[arg-type]

    once = OncePerProcess()
    template = "Enabled %(componentname)ss:\n%(enabledlist)s"
    assert once.filter(record("scrapy.middleware", template, {"componentname": "extension", "enabledlist": "[]"}))
    assert not once.filter(record("scrapy.middleware", template, {"componentname": "extension", "enabledlist": "[]"}))
    assert once.filter(record("scrapy.middleware", template, {"componentname": "item pipeline", "enabledlist": "[]"}))
    assert once.filter(record("scrapy.core.engine", "Spider opened")) and once.filter(record("x", "Spider opened"))

    try:
        raise ConnectionRefusedError("111: Connection refused")
    except ConnectionRefusedError as exc:
        error = record("scrapy.core.scraper", "Error downloading %s", ("<GET http://127.0.0.1:9/>",), exc)
    text = OneLineErrors().format(error)
    assert text == "Error downloading <GET http://127.0.0.1:9/> (ConnectionRefusedError: 111: Connection refused)"
    assert error.exc_info is not None  # the record is left whole for the other handlers (DiskGuard reads it)
    assert "Traceback" in logging.Formatter().format(error)
