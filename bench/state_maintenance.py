"""State over months, measured (issue 13, cases 22-24): ``python -m bench.state_maintenance [--articles N]``.

Builds a synthetic SQLite state (N articles written two years ago with their URL keys, content hashes,
signatures, LSH buckets and fetch records; N/10 from last week), then measures what a crawl's start does
to it: re-banding every signature after a threshold change, and the retention pruning with space given
back. For each: the total time, the number of write transactions and the longest one (the time another
process may have to wait for the write lock), and the file and WAL sizes. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cleaners.dedup import DedupIndex, DedupSettings
from crawler.config import StateSettings
from crawler.state.sqlite import SqliteStateStore

OLD, RECENT = "2024-01-01T00:00:00Z", "2026-11-30T00:00:00Z"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


class LockTimer:
    """Times every write transaction of a store's connection (BEGIN IMMEDIATE ... COMMIT)."""

    def __init__(self, store: SqliteStateStore) -> None:
        self.durations: list[float] = []
        self._began: float | None = None
        store._conn.set_trace_callback(self._trace)

    def _trace(self, statement: str) -> None:
        text = statement.strip().upper()
        if text.startswith("BEGIN"):
            self._began = time.perf_counter()
        elif text in ("COMMIT", "ROLLBACK") and self._began is not None:
            self.durations.append(time.perf_counter() - self._began)
            self._began = None

    def summary(self) -> dict[str, Any]:
        return {
            "transactions": len(self.durations),
            "longest_transaction_s": round(max(self.durations, default=0.0), 4),
        }


def build(path: Path, old: int, recent: int) -> SqliteStateStore:
    store = SqliteStateStore(path)
    rng = random.Random(22)
    for first, count, when in ((0, old, OLD), (old, recent, RECENT)):
        for start in range(first, first + count, 20_000):
            rows = range(start, min(start + 20_000, first + count))
            with store._write() as conn:
                conn.executemany(
                    "INSERT INTO articles VALUES (?, ?, 1, ?, 'demo', ?)",
                    [(f"a{n:08d}", f"{n:064x}", f"https://example.com/{n}", when) for n in rows],
                )
                conn.executemany(
                    "INSERT INTO url_keys VALUES (?, ?)", [(f"https://example.com/{n}", f"a{n:08d}") for n in rows]
                )
                conn.executemany("INSERT INTO content_hashes VALUES (?, ?)", [(f"{n:064x}", f"a{n:08d}") for n in rows])
                conn.executemany(
                    "INSERT INTO signatures VALUES (?, ?, ?)", [(f"a{n:08d}", rng.randbytes(512), when) for n in rows]
                )
                conn.executemany(
                    "INSERT INTO lsh_buckets VALUES (?, ?, ?)",
                    [(band, rng.getrandbits(63), f"a{n:08d}") for n in rows for band in range(9)],
                )
                conn.executemany(
                    "INSERT INTO fetches (url_key, url, outcome, fetched_at, site, article_id) "
                    "VALUES (?, ?, 'written', ?, 'demo', ?)",
                    [(f"https://example.com/{n}", f"https://example.com/{n}", when, f"a{n:08d}") for n in rows],
                )
    store.checkpoint()
    return store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000, help="old articles (default 100000)")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"articles_old": args.articles, "articles_recent": args.articles // 10}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.sqlite3"
        start = time.perf_counter()
        store = build(path, args.articles, args.articles // 10)
        result["build_s"] = round(time.perf_counter() - start, 1)
        with store:
            DedupIndex(store, DedupSettings(near_duplicate_threshold=0.7))  # parameters recorded
            result["size_before"] = store.file_sizes()

            timer = LockTimer(store)
            start = time.perf_counter()
            DedupIndex(store, DedupSettings(near_duplicate_threshold=0.5))  # re-bands every signature
            result["reband"] = {"seconds": round(time.perf_counter() - start, 2), **timer.summary()}

            timer = LockTimer(store)
            start = time.perf_counter()
            done = store.maintain(StateSettings(maintenance_seconds=3600), now=NOW)
            result["retention"] = {"seconds": round(time.perf_counter() - start, 2), **done, **timer.summary()}
            result["size_after"] = store.file_sizes()
            result["freelist_pages_after"] = store._query("PRAGMA freelist_count")[0][0]
        result["sqlite"] = sqlite3.sqlite_version
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
