"""Local demo news site for end-to-end crawler tests, ``make demo`` and benchmarks.

Run ``python tests/http_server.py [--port 0] [--articles N] [--slow-seconds S] [--huge-bytes B]``.
It binds 127.0.0.1 only (the test machines have no other network), prints exactly one line,
``http://127.0.0.1:PORT``, flushed, and serves until SIGTERM/SIGINT, then exits with status 0.
The standard library is enough on purpose: the server must start wherever the tests run, before the
project's own dependencies are known to work.

Tests use :func:`start_server_subprocess` / :func:`stop_server` (a subprocess rather than a thread so a
crawler's reactor, signal handlers and sockets never share a process with the server). Content lives in
``tests/site/`` (``demo_articles.py`` data, ``demo_pages.py`` / ``demo_bulk.py`` rendering) and
``tests/site/manifest.json`` states what a correct crawler and cleaner should produce.

Routes (see the module docstring of ``tests/site/build_manifest.py`` for the manifest format):
  /robots.txt /  /about.html /contact.html  /section/{world,tech,europe}/[page/K/]  /tag/SLUG/
  /feeds/rss.xml /feeds/atom.xml  /sitemap_index.xml /sitemaps/{news,pages,bulk}.xml
  /news/YYYY/MM/SLUG.html  /print/news/... (canonical alias)  /private/leak.html (robots-disallowed)
  /fail/{missing,flaky,slow,loop,loop2,gzip,huge,broken,charset,redirect}.html /fail/report.pdf
  /bulk/NNNNN.html /bulk/page/K/ (with --articles N)
  /integrity/NAME.html (integrity flags: tests/site/integrity_pages.py)
  /h/SITE/ /h/SITE/feed.xml /h/SITE/story/K.html (health and learned boilerplate: tests/site/health_site.py)
  /_control/{update?slug=SLUG,publish,reset,hits[?by=url][&clear=1],template?site=SITE&variant=V|edition=N}
  (GET or POST, JSON answers)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import queue
import re
import signal
import socketserver
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SITE_DIR = Path(__file__).resolve().parent / "site"
if str(SITE_DIR) not in sys.path:
    sys.path.insert(0, str(SITE_DIR))

from demo_articles import ALL_ARTICLES, REDIRECT_TARGET, Article  # noqa: E402
from demo_bulk import (  # noqa: E402
    bulk_lastmod,
    generated_article,
    render_bulk_article,
    render_bulk_listing,
    render_bulk_sitemap,
)
from demo_pages import (  # noqa: E402
    PDF_BYTES,
    ArticleView,
    http_date,
    iso,
    render_about,
    render_article,
    render_atom,
    render_contact,
    render_home,
    render_huge,
    render_news_sitemap,
    render_not_found,
    render_pages_sitemap,
    render_robots,
    render_rss,
    render_section,
    render_sitemap_index,
    render_tag,
)
from health_site import health_control, health_reset, health_route  # noqa: E402
from integrity_pages import render as render_integrity  # noqa: E402

HOST = "127.0.0.1"
DEFAULT_SLOW_SECONDS = 5.0
DEFAULT_HUGE_BYTES = 3 * 1024 * 1024
PROXY_ENV_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"

_ALIASES = {alias: a.path for a in ALL_ARTICLES for alias in a.aliases}
_SECTION_RE = re.compile(r"^/section/([a-z]+)(/page/(\d+))?/?$")
_TAG_RE = re.compile(r"^/tag/([a-z0-9-]+)/?$")
_BULK_RE = re.compile(r"^/bulk/(\d{5})\.html$")
_BULK_PAGE_RE = re.compile(r"^/bulk/page/(\d+)/?$")


# --------------------------------------------------------------------------------------------------
# Site state and routing (no socket code here, so it can be reasoned about and tested on its own)
# --------------------------------------------------------------------------------------------------


@dataclass
class Response:
    """What a route produced; the handler adds ETag/304 handling and writes it out."""

    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None
    cacheable: bool = False
    delay: float = 0.0


@dataclass
class _LiveArticle:
    article: Article
    updates: list[str] = field(default_factory=list)
    modified: datetime | None = None

    def view(self) -> ArticleView:
        return ArticleView(self.article, tuple(self.updates), self.modified)


def _json(data: Any, status: int = 200) -> Response:
    body = (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
    return Response(status, body, "application/json; charset=utf-8", {"Cache-Control": "no-store"})


def _redirect(status: int, location: str) -> Response:
    body = f'<!DOCTYPE html><html><body><a href="{location}">Moved</a></body></html>'.encode()
    return Response(status, body, headers={"Location": location})


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class DemoSite:
    """All mutable server state, behind one lock: tests mutate it through /_control/ while crawling."""

    def __init__(
        self,
        *,
        bulk_count: int = 0,
        slow_seconds: float = DEFAULT_SLOW_SECONDS,
        huge_bytes: int = DEFAULT_HUGE_BYTES,
        base: str = f"http://{HOST}:0",
    ) -> None:
        self.bulk_count = bulk_count
        self.slow_seconds = slow_seconds
        self.huge_bytes = huge_bytes
        self.base = base
        self._lock = threading.Lock()
        self._huge: bytes | None = None
        self._bulk_lastmod = bulk_lastmod(bulk_count)
        self._live: dict[str, _LiveArticle] = {}
        self._hits: Counter[str] = Counter()
        self._url_hits: Counter[str] = Counter()
        self._flaky_requests = 0
        self._published = 0
        self._last_stamp = datetime(2000, 1, 1, tzinfo=UTC)
        self._routes = self._simple_routes()
        self.reset()

    # -- state ------------------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._live = {a.path: _LiveArticle(a) for a in ALL_ARTICLES}
            self._hits.clear()
            self._url_hits.clear()
            self._flaky_requests = 0
            self._published = 0
            health_reset()

    def views(self) -> list[ArticleView]:
        with self._lock:
            return [live.view() for live in self._live.values()]

    def view(self, path: str) -> ArticleView | None:
        with self._lock:
            live = self._live.get(path)
            return live.view() if live else None

    def _stamp(self, at: datetime | None) -> datetime:
        """Mutation time: wall clock (so "changed since my last crawl" works), strictly increasing so
        two quick updates never share a Last-Modified second."""
        if at is not None:
            return at
        now = datetime.now(UTC).replace(microsecond=0)
        self._last_stamp = max(now, self._last_stamp + timedelta(seconds=1))
        return self._last_stamp

    def update(self, slug: str, at: datetime | None = None) -> dict[str, Any] | None:
        with self._lock:
            live = next((x for x in self._live.values() if x.article.slug == slug), None)
            if live is None:
                return None
            revision = len(live.updates) + 1
            live.updates.append(
                f"Update: This story has been updated with new information and a response from the "
                f"officials mentioned above (revision {revision})."
            )
            stamp = self._stamp(at)
            live.modified = max(stamp, live.article.published_dt + timedelta(seconds=1))
            return {"path": live.article.path, "slug": slug, "revision": revision, "modified": iso(live.modified)}

    def publish(self, at: datetime | None = None) -> dict[str, Any]:
        with self._lock:
            self._published += 1
            article = generated_article(self._published, self._stamp(at))
            self._live[article.path] = _LiveArticle(article)
        return {
            "path": article.path,
            "url": self.base + article.path,
            "slug": article.slug,
            "title": article.title,
            "published": article.published,
        }

    def record_hit(self, path: str, target: str) -> None:
        with self._lock:
            self._hits[path] += 1
            self._url_hits[target] += 1

    def hits(self, *, by_url: bool = False, clear: bool = False) -> dict[str, int]:
        with self._lock:
            counts = dict(sorted((self._url_hits if by_url else self._hits).items()))
            if clear:
                self._hits.clear()
                self._url_hits.clear()
            return counts

    def _flaky_first(self) -> bool:
        with self._lock:
            self._flaky_requests += 1
            return self._flaky_requests == 1

    def _huge_body(self) -> bytes:
        with self._lock:
            if self._huge is None:
                self._huge = render_huge(self.huge_bytes)
            return self._huge

    # -- routing ----------------------------------------------------------------------------------

    def route(self, method: str, target: str) -> Response:
        split = urlsplit(target)
        path = split.path or "/"
        if path.startswith("/_control/"):
            return self._control(path, parse_qs(split.query))
        self.record_hit(path, path + (f"?{split.query}" if split.query else ""))
        if method not in ("GET", "HEAD"):
            return Response(405, b"Method Not Allowed\n", "text/plain; charset=utf-8", {"Allow": "GET, HEAD"})
        simple = self._routes.get(path)
        if simple is not None:
            return simple()
        return self._pattern_route(path)

    def _simple_routes(self) -> dict[str, Callable[[], Response]]:
        return {
            "/": lambda: self._page(render_home(self.views(), self.bulk_count)),
            "/robots.txt": lambda: Response(200, render_robots(self.base).encode(), "text/plain; charset=utf-8"),
            "/about.html": lambda: self._page(render_about()),
            "/contact.html": lambda: self._page(render_contact()),
            "/feeds/rss.xml": lambda: self._feed(render_rss, "application/rss+xml; charset=utf-8"),
            "/feeds/atom.xml": lambda: self._feed(render_atom, "application/atom+xml; charset=utf-8"),
            "/sitemap_index.xml": lambda: self._xml(
                render_sitemap_index(self.views(), self.base, self.bulk_count, self._bulk_lastmod)
            ),
            "/sitemaps/news.xml": lambda: self._feed(render_news_sitemap, XML),
            "/sitemaps/pages.xml": lambda: self._feed(render_pages_sitemap, XML),
            "/sitemaps/bulk.xml": self._bulk_sitemap,
            "/fail/flaky.html": self._flaky,
            "/fail/slow.html": self._slow,
            "/fail/loop.html": lambda: _redirect(302, self.base + "/fail/loop2.html"),
            "/fail/loop2.html": lambda: _redirect(302, self.base + "/fail/loop.html"),
            "/fail/gzip.html": self._gzip,
            "/fail/report.pdf": lambda: Response(200, PDF_BYTES, "application/pdf"),
            "/fail/huge.html": lambda: Response(200, self._huge_body()),
            "/fail/redirect.html": lambda: _redirect(301, self.base + REDIRECT_TARGET),
        }

    def _pattern_route(self, path: str) -> Response:
        if path.startswith("/integrity/") and path.endswith(".html"):  # integrity flags (integrity_pages.py)
            return self._page(render_integrity(path.removeprefix("/integrity/").removesuffix(".html")))
        if path.startswith("/h/"):  # per-site health and learned boilerplate (health_site.py)
            found = health_route(path, self.base)
            return Response(found[0], found[1].encode(), found[2]) if found else self._not_found(path)
        if path in _ALIASES:
            return self._article(_ALIASES[path], served_path=path)
        if (path.startswith(("/news/", "/private/", "/fail/"))) and path.endswith(".html"):
            return self._article(path)
        if m := _SECTION_RE.match(path):
            section, page = m.group(1), int(m.group(3) or 1)
            canonical = f"/section/{section}/" if page == 1 else f"/section/{section}/page/{page}/"
            if path != canonical and render_section(self.views(), section, page) is not None:
                return _redirect(301, self.base + canonical)
            return self._page(render_section(self.views(), section, page))
        if m := _TAG_RE.match(path):
            if not path.endswith("/"):
                return _redirect(301, self.base + path + "/")
            return self._page(render_tag(self.views(), m.group(1)))
        if m := _BULK_RE.match(path):
            return self._page(render_bulk_article(int(m.group(1)), self.bulk_count))
        if m := _BULK_PAGE_RE.match(path):
            return self._page(render_bulk_listing(int(m.group(1)), self.bulk_count))
        return self._not_found(path)

    def _not_found(self, path: str) -> Response:
        return Response(404, render_not_found(path).encode())

    def _page(self, page: str | None, last_modified: datetime | None = None) -> Response:
        if page is None:
            return Response(404, render_not_found("").encode())
        return Response(200, page.encode(), last_modified=last_modified, cacheable=True)

    def _xml(self, text: str, content_type: str = XML) -> Response:
        return Response(200, text.encode(), content_type, cacheable=True)

    def _feed(self, render: Callable[[Sequence[ArticleView], str], str], content_type: str) -> Response:
        views = self.views()
        newest = max(v.lastmod for v in views)
        return Response(200, render(views, self.base).encode(), content_type, last_modified=newest, cacheable=True)

    def _bulk_sitemap(self) -> Response:
        if self.bulk_count <= 0:
            return self._not_found("/sitemaps/bulk.xml")
        return self._xml(render_bulk_sitemap(self.base, self.bulk_count))

    def _article(self, path: str, served_path: str | None = None) -> Response:
        view = self.view(path)
        if view is None:
            return self._not_found(served_path or path)
        rendered = render_article(view, self.base, served_path)
        return Response(200, rendered.body, last_modified=view.lastmod, cacheable=True)

    def _flaky(self) -> Response:
        if self._flaky_first():
            return Response(500, b"<!DOCTYPE html><html><body><h1>Internal Server Error</h1></body></html>")
        return self._article("/fail/flaky.html")

    def _slow(self) -> Response:
        response = self._article("/fail/slow.html")
        response.delay = self.slow_seconds
        return response

    def _gzip(self) -> Response:
        response = self._article("/fail/gzip.html")
        response.body = gzip.compress(response.body, mtime=0)
        response.headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        return response

    def _control(self, path: str, query: dict[str, list[str]]) -> Response:
        def arg(name: str) -> str | None:
            return query.get(name, [None])[0]

        try:
            at = _parse_time(arg("at"))
        except ValueError:
            return _json({"error": "bad 'at' timestamp, expected ISO 8601"}, 400)
        if path == "/_control/update":
            slug = arg("slug")
            if not slug:
                return _json({"error": "missing ?slug="}, 400)
            result = self.update(slug, at)
            return _json(result) if result else _json({"error": f"unknown slug {slug!r}"}, 404)
        if path == "/_control/publish":
            return _json(self.publish(at))
        if path == "/_control/reset":
            self.reset()
            return _json({"ok": True})
        if path == "/_control/hits":
            return _json(self.hits(by_url=arg("by") == "url", clear=arg("clear") in ("1", "true")))
        if path == "/_control/template":  # switch a health-site template (health_site.py)
            answer = health_control(arg("site"), arg("variant"), arg("edition"))
            return _json(answer, 200 if "error" not in answer else 400)
        return _json({"error": f"unknown control route {path}"}, 404)


# --------------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------------


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): crawlers may echo either form of the tag back."""
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


class DemoHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive (Scrapy pools connections; benchmarks would otherwise measure connects)."""

    server: DemoHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "PresswashDemo/1.0"
    sys_version = ""
    timeout = 60
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._serve(send_body=True)

    def _serve(self, *, send_body: bool) -> None:
        try:
            response = self.server.site.route(self.command, self.path)
        except Exception:
            traceback.print_exc()
            response = Response(500, b"internal error\n", "text/plain; charset=utf-8")
        if response.delay:
            time.sleep(response.delay)
        status, body = response.status, response.body
        headers = dict(response.headers)
        if response.cacheable and status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            headers["ETag"] = etag
            if response.last_modified is not None:
                headers["Last-Modified"] = http_date(response.last_modified)
            if self._not_modified(etag, response.last_modified):
                status, body = 304, b""
        if status == 304:
            # Only validators: a Content-Encoding on an empty 304 makes some clients try to gunzip it.
            headers = {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified", "Vary")}
        try:
            self.send_response(status)
            if status != 304:
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if send_body and body:
                self.wfile.write(body)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _not_modified(self, etag: str, last_modified: datetime | None) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return _etag_matches(if_none_match, etag)
        since = self.headers.get("If-Modified-Since")
        if since and last_modified is not None:
            try:
                since_dt = parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            if since_dt.tzinfo is None:
                since_dt = since_dt.replace(tzinfo=UTC)
            return last_modified.replace(microsecond=0) <= since_dt
        return False

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class DemoHTTPServer(ThreadingHTTPServer):
    """Daemon threads and no join on close: a request sleeping in /fail/slow.html must not delay exit."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], site: DemoSite, *, verbose: bool = False) -> None:
        self.site = site
        self.verbose = verbose
        super().__init__(address, DemoHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name; skip that lookup, there is no DNS offline.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # clients hanging up (timeouts, size limits) are expected here
        super().handle_error(request, client_address)


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the presswash demo news site on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0 = pick a free one)")
    parser.add_argument("--articles", type=int, default=0, help="synthetic /bulk/ articles to add")
    parser.add_argument("--slow-seconds", type=float, default=DEFAULT_SLOW_SECONDS, help="delay of /fail/slow.html")
    parser.add_argument("--huge-bytes", type=int, default=DEFAULT_HUGE_BYTES, help="size of /fail/huge.html")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--watch-stdin", action="store_true", help="exit when stdin closes (parent died)")
    args = parser.parse_args(argv)
    if args.articles < 0 or args.huge_bytes < 0 or args.slow_seconds < 0:
        parser.error("--articles, --huge-bytes and --slow-seconds must not be negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    site = DemoSite(bulk_count=args.articles, slow_seconds=args.slow_seconds, huge_bytes=args.huge_bytes)
    server = DemoHTTPServer((HOST, args.port), site, verbose=args.verbose)
    site.base = f"http://{HOST}:{server.server_address[1]}"
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.watch_stdin:

        def watch_stdin() -> None:
            # A parent killed with SIGKILL cannot stop us; its end of our stdin closing is the one sure sign.
            # os.read on the raw fd: a thread parked in sys.stdin.buffer.read() holds the buffer's lock and
            # makes interpreter shutdown abort.
            while os.read(fd, 4096):
                pass
            stop.set()

        fd = sys.stdin.fileno()

        threading.Thread(target=watch_stdin, daemon=True).start()
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    serving.start()
    print(site.base, flush=True)
    try:
        while not stop.wait(0.2) and serving.is_alive():
            pass
    finally:
        server.shutdown()
        server.server_close()
    return 0


# --------------------------------------------------------------------------------------------------
# Python API for tests
# --------------------------------------------------------------------------------------------------


def start_server_subprocess(
    *,
    port: int = 0,
    articles: int = 0,
    slow_seconds: float = DEFAULT_SLOW_SECONDS,
    huge_bytes: int = DEFAULT_HUGE_BYTES,
    verbose: bool = False,
    startup_timeout: float = 20.0,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the server in a child process; return it and its base URL (no trailing slash).

    The child watches its stdin, so it also exits if the test process dies without calling stop_server.
    """
    cmd = [sys.executable, str(Path(__file__).resolve()), "--port", str(port), "--articles", str(articles)]
    cmd += ["--slow-seconds", repr(float(slow_seconds)), "--huge-bytes", str(huge_bytes), "--watch-stdin"]
    if verbose:
        cmd.append("--verbose")
    env = {k: v for k, v in os.environ.items() if k not in PROXY_ENV_VARS}
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    stdout = proc.stdout
    lines: queue.Queue[bytes] = queue.Queue()
    reader = threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True)
    reader.start()
    try:
        line = lines.get(timeout=startup_timeout)
    except queue.Empty:
        line = b""
    base_url = line.decode("ascii", "replace").strip()
    if not re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url):
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        reader.join(5)
        stop_server(proc)
        raise RuntimeError(f"demo server did not start (first line {line!r}, exit code {proc.returncode})")
    return proc, base_url


def stop_server(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    """Terminate (SIGTERM), wait, escalate to kill if needed; return the exit status (0 when clean)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
