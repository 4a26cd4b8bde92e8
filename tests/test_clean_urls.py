"""`presswash clean URL...` and `--urls FILE`: fetched politely from a server on 127.0.0.1 the test starts."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from cleaners.article import Rejected, RejectReason
from cleaners.document import RawDocument
from cleaners.fetch import Fetcher, read_url_list

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "tests" / "golden" / "html" / "en_ghost.html").read_bytes()
ROBOTS = b"User-agent: *\nDisallow: /private/\n\nUser-agent: presswash\nDisallow: /private/\nDisallow: /nopresswash/\n"


class Handler(BaseHTTPRequestHandler):
    """/news/*.html pages, /moved -> a page, /missing 404, /slow.html (2 s), /huge.html (bigger than allowed)."""

    requests: ClassVar[list[tuple[str, str]]] = []  # (path, User-Agent), in order

    def do_GET(self) -> None:
        Handler.requests.append((self.path, self.headers.get("User-Agent", "")))
        if self.path == "/robots.txt":
            self._send(200, ROBOTS, "text/plain")
        elif self.path.startswith("/news/") or self.path.startswith(("/private/", "/nopresswash/")):
            self._send(200, PAGE, "text/html; charset=utf-8")
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/news/moved-here.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/slow.html":
            time.sleep(2)
            self._send(200, PAGE, "text/html")
        elif self.path == "/huge.html":
            self._send(200, PAGE + b"<!--" + b"x" * 40_000 + b"-->", "text/html")
        else:
            self._send(404, b"not here", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that timed out
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetcher_obeys_robots_and_says_who_it_is(server: str) -> None:
    fetcher = Fetcher(delay=0, timeout=5, user_agent="presswash/test (+mailto:me@example.org)")
    page = fetcher.fetch(f"{server}/news/a.html")
    assert isinstance(page, RawDocument) and page.content == PAGE
    assert page.url == f"{server}/news/a.html" and page.fetched_at is not None
    assert page.content_type == "text/html; charset=utf-8"
    forbidden = fetcher.fetch(f"{server}/nopresswash/b.html")
    assert isinstance(forbidden, Rejected) and forbidden.reason is RejectReason.READ_ERROR
    assert forbidden.detail == "forbidden by robots.txt for presswash"
    moved = fetcher.fetch(f"{server}/moved")
    assert isinstance(moved, RawDocument) and moved.url == f"{server}/news/moved-here.html"
    paths = [path for path, _ in Handler.requests]
    assert paths == ["/robots.txt", "/news/a.html", "/moved", "/news/moved-here.html"]  # robots.txt once
    assert {agent for _, agent in Handler.requests} == {"presswash/test (+mailto:me@example.org)"}
    assert "/nopresswash/b.html" not in paths


def test_fetcher_limits_time_and_size_and_names_each_failure(server: str) -> None:
    fetcher = Fetcher(delay=0, timeout=0.5, max_bytes=len(PAGE) + 1000)
    slow = fetcher.fetch(f"{server}/slow.html")
    assert isinstance(slow, Rejected) and slow.detail == "timed out after 0.5 s"
    huge = fetcher.fetch(f"{server}/huge.html")
    assert isinstance(huge, Rejected) and huge.reason is RejectReason.TOO_LARGE
    missing = fetcher.fetch(f"{server}/missing")
    assert isinstance(missing, Rejected) and missing.detail == "HTTP 404 Not Found"
    refused = fetcher.fetch("http://127.0.0.1:9/news/x.html")
    assert isinstance(refused, Rejected) and refused.detail == "connection refused"
    assert [f["url"] for f in fetcher.summary()["failures"]] == [  # type: ignore[index]
        f"{server}/slow.html",
        f"{server}/missing",
        "http://127.0.0.1:9/news/x.html",
    ]


def test_fetcher_spaces_requests_to_one_host(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr("cleaners.fetch.time.sleep", waits.append)  # the waits asked for, not timed
    fetcher = Fetcher(delay=5.0, timeout=5)
    for name in ("a", "b", "c"):
        assert isinstance(fetcher.fetch(f"{server}/news/{name}.html"), RawDocument)
    assert len(Handler.requests) == 4  # robots.txt, then three pages, each after a wait
    # With sleep not sleeping, each request is planned one delay after the one before: 5, 10, 15 s from now.
    assert [round(wait) for wait in waits] == [5, 10, 15]
    assert isinstance(fetcher.fetch("http://127.0.0.1:9/x"), Rejected)  # another host: its own schedule
    assert [round(wait) for wait in waits[3:]] == [5]  # its robots.txt at once, its page one delay later


def test_url_list_skips_blank_lines_and_comments(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("# morning run\nhttps://a.example/1\n\n  https://a.example/2  \n")
    assert read_url_list(str(urls)) == ["https://a.example/1", "https://a.example/2"]


def test_presswash_clean_urls_keeps_url_and_fetch_time_and_reports_failures(server: str, tmp_path: Path) -> None:
    url_file = tmp_path / "urls.txt"
    url_file.write_text(f"{server}/news/two.html\n# skipped\n{server}/missing\n")
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "crawler.cli", "clean", f"{server}/news/one.html", "--urls", str(url_file)]
    command += ["-o", str(out), "--delay", "0", "--timeout", "5", "--workers", "1"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr  # one URL failed: as for an unreadable file
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["url"] for r in records] == [f"{server}/news/one.html", f"{server}/news/two.html"]
    assert all(r["fetched_at"] and r["fetched_at"].endswith("Z") and r["source_path"] is None for r in records)
    assert records[0]["id"] != records[1]["id"]  # the id comes from the URL
    assert f"presswash: failed: {server}/missing: read_error: HTTP 404 Not Found" in done.stderr
    stats = json.loads((tmp_path / "out.jsonl.stats.json").read_text(encoding="utf-8"))
    assert stats["fetch"] == {
        "fetched": 2,
        "failed": 1,
        "failures": [{"url": f"{server}/missing", "detail": "HTTP 404 Not Found"}],
    }
    agents = {agent for path, agent in Handler.requests}
    assert len(agents) == 1 and agents.pop().startswith("presswash/0.1.0 (+")


def test_presswash_clean_on_the_demo_site(demo_site: str, demo_manifest: dict[str, object], tmp_path: Path) -> None:
    """The fixture news site: its articles come out as a crawl writes them; robots.txt's /private/ is refused."""
    articles = [a for a in demo_manifest["articles"] if a["article"] and not a["failure"]][:2]  # type: ignore[index]
    urls = [f"{demo_site}{article['path']}" for article in articles] + [f"{demo_site}/private/leak.html"]
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "crawler.cli", "clean", *urls, "-o", str(out), "--delay", "0", "--workers", "1"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["url"], r["title"]) for r in records] == [
        (url, a["title"]) for url, a in zip(urls, articles, strict=False)
    ]
    assert f"presswash: failed: {demo_site}/private/leak.html: read_error: forbidden by robots.txt" in done.stderr
