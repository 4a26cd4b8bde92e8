"""Test data shared by the state-store tests of both backends (SQLite and Redis)."""

from __future__ import annotations

from crawler.state.records import FetchState


def fetch_state(url_key: str = "https://example.com/a", **changes: object) -> FetchState:
    """A fetch record with plausible values; keyword arguments change single fields."""
    values: dict[str, object] = {
        "url_key": url_key,
        "url": url_key + "?utm_source=rss",
        "outcome": "written",
        "fetched_at": "2026-06-01T10:00:00Z",
        "site": "demo",
        "article_id": "abc",
        "content_hash": "f" * 64,
        "version": 1,
        "etag": '"v1"',
        "last_modified": "Mon, 01 Jun 2026 09:00:00 GMT",
        "lastmod": "2026-06-01T09:00:00Z",
        "status": 200,
    }
    values.update(changes)
    return FetchState(**values)  # type: ignore[arg-type]


def stuck_in_c(raw: object, overrides: object) -> None:
    """A cleaning task stuck where the budget's alarm cannot land, as inside a long C call: SIGALRM is
    blocked, then the worker sleeps (run in a pool worker by tests/test_faults_crawl.py)."""
    import signal
    import time

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(600)
