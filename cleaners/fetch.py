"""Fetching single pages for ``presswash clean URL...`` and ``--urls FILE``: polite, bounded, no crawler.

A handful of URLs does not need Scrapy's machinery, but it needs its manners: robots.txt is read (once
per host) and obeyed for the presswash token, the User-Agent names the project and the operator's contact
(``$PRESSWASH_CONTACT_URL``), requests to one host are spaced out, every request has a timeout, and a
body larger than the size limit is cut off and rejected rather than read into memory. Standard library
only (urllib), so the cleaning core stays free of Scrapy.

Every URL ends as a RawDocument (URL after redirects, fetch time, Content-Type) or a Rejected naming the
URL and what went wrong (``HTTP 404``, ``forbidden by robots.txt``, ``timed out``, ...); the fetcher also
keeps each failure for the run's stats.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cleaners import __version__
from cleaners.article import Rejected, RejectReason
from cleaners.document import RawDocument

#: The robots.txt token presswash obeys, as in the crawl (crawler/settings.py ROBOTSTXT_USER_AGENT).
ROBOTS_TOKEN = "presswash"
DEFAULT_CONTACT_URL = "https://github.com/presswash/presswash"


def is_url(spec: str) -> bool:
    """An http(s) URL given where a path could be."""
    return spec.lower().startswith(("http://", "https://"))


def default_user_agent() -> str:
    """``presswash/VERSION (+CONTACT)``, the crawl's User-Agent: ``$PRESSWASH_CONTACT_URL`` or the project."""
    return f"presswash/{__version__} (+{os.environ.get('PRESSWASH_CONTACT_URL') or DEFAULT_CONTACT_URL})"


@dataclass
class Fetcher:
    """Fetches pages one at a time, politely. Safe to share between threads (one lock per host)."""

    max_bytes: int = 16_000_000
    timeout: float = 30.0
    delay: float = 1.0  # seconds between two requests to the same host
    user_agent: str = field(default_factory=default_user_agent)
    obey_robots: bool = True
    fetched: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    _robots: dict[str, urllib.robotparser.RobotFileParser | None] = field(default_factory=dict, repr=False)
    _last_request: dict[str, float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, url: str) -> RawDocument | Rejected:
        return self.fetch(url)

    def fetch(self, url: str) -> RawDocument | Rejected:
        """One page: robots.txt first, then the page itself, within the time and size limits."""
        host = urlsplit(url).netloc.lower()
        if not host:
            return self._fail(url, "not a URL with a host")
        if self.obey_robots and not self._allowed(url, host):
            return self._fail(url, f"forbidden by robots.txt for {ROBOTS_TOKEN}")
        try:
            content, final_url, content_type = self._get(url, host, self.max_bytes + 1)
        except urllib.error.HTTPError as exc:
            return self._fail(url, f"HTTP {exc.code} {exc.reason}".strip())
        except TimeoutError:
            return self._fail(url, f"timed out after {self.timeout:g} s")
        except urllib.error.URLError as exc:
            return self._fail(url, _reason(exc.reason))
        except (OSError, ValueError, ssl.SSLError, http.client.HTTPException) as exc:
            return self._fail(url, _reason(exc))
        fetched_at = datetime.now(UTC)
        self.fetched += 1
        if len(content) > self.max_bytes:
            return Rejected(RejectReason.TOO_LARGE, f"body larger than max_bytes={self.max_bytes}", url)
        return RawDocument(content=content, url=final_url, content_type=content_type, fetched_at=fetched_at)

    # -- internals --

    def _get(self, url: str, host: str, limit: int) -> tuple[bytes, str, str | None]:
        self._wait_turn(host)
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": "text/html,*/*;q=0.5"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            body = response.read(limit)
            return body, response.geturl(), response.headers.get("Content-Type")

    def _wait_turn(self, host: str) -> None:
        with self._lock:
            last = self._last_request.get(host)
            now = time.monotonic()
            wait = 0.0 if last is None else max(0.0, last + self.delay - now)
            self._last_request[host] = now + wait
        if wait:
            time.sleep(wait)

    def _allowed(self, url: str, host: str) -> bool:
        if host not in self._robots:
            self._robots[host] = self._read_robots(url, host)
        parser = self._robots[host]
        return True if parser is None else parser.can_fetch(ROBOTS_TOKEN, url)

    def _read_robots(self, url: str, host: str) -> urllib.robotparser.RobotFileParser | None:
        """The host's rules; None (everything allowed) when it has no robots.txt or it cannot be read,
        as Scrapy's RobotsTxtMiddleware does; a 401/403 forbids everything, as RFC 9309 says."""
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        parser = urllib.robotparser.RobotFileParser(robots_url)
        try:
            body, _, _ = self._get(robots_url, host, 512 * 1024)
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                parser.disallow_all = True
                return parser
            return None
        except (OSError, ValueError, http.client.HTTPException):
            return None
        parser.parse(body.decode("utf-8", errors="replace").splitlines())
        return parser

    def _fail(self, url: str, detail: str) -> Rejected:
        self.failures.append({"url": url, "detail": detail})
        return Rejected(RejectReason.READ_ERROR, detail, url)

    def summary(self) -> dict[str, object]:
        """For the run's stats JSON: how many pages were fetched, and every URL that failed, with why."""
        return {"fetched": self.fetched, "failed": len(self.failures), "failures": list(self.failures)}


def _reason(error: object) -> str:
    if isinstance(error, socket.gaierror):
        return "DNS lookup failed"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError | socket.timeout):
        return "timed out"
    return str(error) or type(error).__name__


def read_url_list(path: str) -> list[str]:
    """The URLs of a ``--urls`` file: one per line; blank lines and ``#`` comments skipped; ``-`` is stdin."""
    import sys

    if path == "-":
        text = sys.stdin.read()
    else:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    urls = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            urls.append(line)
    return urls
