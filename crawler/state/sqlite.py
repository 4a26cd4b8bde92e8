"""Incremental crawl state, on local disk by default: what was fetched, written, deduplicated and run.

The SQLite backend of the interfaces in crawler.state.interfaces: one file (``output/state.sqlite3`` by
default). ``crawler.state.redis_store.RedisStateStore`` implements the same methods for crawls spread over
several machines (docs/scaling.md), in the same plain values (crawler.state.records), so nothing else
changes; :func:`crawler.state.open_state_store` picks the backend from the configured location.

What is kept:

- **fetches**: one row per normalized article URL that reached a final outcome (written, duplicate,
  rejected, not_modified) with the HTTP validators (ETag, Last-Modified) and the feed/sitemap
  ``lastmod``. A URL that failed (timeout, 5xx) has no row, so it is tried again next run. The spider
  asks :func:`fetch_decision`; a downloader middleware asks :func:`conditional_headers`.
- **articles, URL keys, content hashes, signatures, LSH buckets**: the dedup index (cleaners.dedup).
- **runs**: the run log that ``presswash runs`` lists; **schedule marks**: the last tick per site, so a
  run missed while the machine was off runs once at the scheduler's start.

Concurrency: WAL mode, so a crawl writing and ``presswash runs`` reading never block each other; a busy
timeout lets several crawl processes (one per site) and the scheduler write the same file in turn. Every
write is one short ``BEGIN IMMEDIATE`` transaction. One connection per store object, guarded by a lock
so the scheduler's threads can share it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cleaners.config import ConfigError
from cleaners.dedup import ArticleRef, Bucket, Duplicate, claim_check
from cleaners.timestamps import utc_iso
from crawler.config import StateSettings
from crawler.liveness import ProcessId, is_alive
from crawler.state.records import FetchState, RunRecord

SCHEMA_VERSION = 3


#: Rows deleted or re-banded per write transaction by maintenance: milliseconds of lock each, so a second
#: process (another crawl, the scheduler, `presswash runs`) is never locked out.
MAINTENANCE_BATCH = 2000


_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE articles (
        article_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, version INTEGER NOT NULL,
        url_key TEXT, site TEXT, recorded_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE url_keys (url_key TEXT PRIMARY KEY, article_id TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE content_hashes (content_hash TEXT PRIMARY KEY, article_id TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE signatures (article_id TEXT PRIMARY KEY, signature BLOB NOT NULL, recorded_at TEXT NOT NULL);
    CREATE INDEX signatures_recorded_at ON signatures (recorded_at);
    CREATE TABLE lsh_buckets (
        band INTEGER NOT NULL, bucket INTEGER NOT NULL, article_id TEXT NOT NULL,
        PRIMARY KEY (band, bucket, article_id)
    ) WITHOUT ROWID;
    CREATE INDEX lsh_buckets_article ON lsh_buckets (article_id);
    CREATE TABLE fetches (
        url_key TEXT PRIMARY KEY, url TEXT NOT NULL, outcome TEXT NOT NULL, fetched_at TEXT NOT NULL,
        site TEXT, article_id TEXT, content_hash TEXT, version INTEGER, etag TEXT, last_modified TEXT,
        lastmod TEXT, status INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY, site TEXT NOT NULL, started_at TEXT NOT NULL, status TEXT NOT NULL,
        trigger TEXT, scheduled_for TEXT, finished_at TEXT, exit_code INTEGER, pages INTEGER,
        articles INTEGER, rejected INTEGER, duplicates INTEGER, failed INTEGER, stats_path TEXT,
        log_path TEXT, pid INTEGER, host TEXT, detail TEXT
    );
    CREATE INDEX runs_site_started ON runs (site, started_at);
    CREATE INDEX runs_started ON runs (started_at);
    CREATE TABLE schedule_marks (site TEXT PRIMARY KEY, last_fire TEXT NOT NULL) WITHOUT ROWID;
    """,
    # Claims: articles admitted by one crawl process and not yet recorded, so another process on the
    # same file never admits a copy meanwhile (SqliteStateStore.claim_article). Indexes for retention.
    2: """
    CREATE TABLE claims (
        article_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, owner TEXT NOT NULL, host TEXT NOT NULL,
        pid INTEGER NOT NULL, signature BLOB, claimed_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX claims_content_hash ON claims (content_hash);
    CREATE INDEX fetches_fetched_at ON fetches (fetched_at);
    CREATE INDEX articles_recorded_at ON articles (recorded_at);
    CREATE INDEX url_keys_article ON url_keys (article_id);
    CREATE INDEX content_hashes_article ON content_hashes (article_id);
    CREATE INDEX fetches_article ON fetches (article_id);
    """,
    # The heartbeat of a running crawl, so a run of another host killed with SIGKILL is found (records.stale_run).
    3: """
    ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
    """,
}


_FETCH_COLUMNS = tuple(f.name for f in fields(FetchState))


_RUN_COLUMNS = tuple(f.name for f in fields(RunRecord))


class StateSchemaError(ConfigError):
    """The state file was written by a newer presswash (its schema is unknown here)."""


def _buckets_cte(buckets: Sequence[Bucket]) -> tuple[str, list[int]]:
    """Every band's bucket as one table ``q(band, bucket)`` to join on lsh_buckets' primary key: one
    statement instead of one a band (a row-value IN would scan the whole table)."""
    params = [value for band, bucket in buckets for value in (band, bucket)]
    return f"WITH q(band, bucket) AS (VALUES {', '.join('(?, ?)' for _ in buckets)}) ", params


def _bucket_ids(conn: sqlite3.Connection, buckets: Sequence[Bucket]) -> set[str]:
    if not buckets:
        return set()
    cte, params = _buckets_cte(buckets)
    rows = conn.execute(
        f"{cte}SELECT l.article_id FROM q CROSS JOIN lsh_buckets l ON l.band = q.band AND l.bucket = q.bucket",
        params,
    )
    return {row[0] for row in rows}


def _bucket_signatures(conn: sqlite3.Connection, buckets: Sequence[Bucket], article_id: str) -> list[tuple[str, bytes]]:
    """(id, signature) of the recorded articles, other than ``article_id``, sharing one of the buckets."""
    if not buckets:
        return []
    cte, params = _buckets_cte(buckets)
    rows = conn.execute(
        f"{cte}SELECT DISTINCT s.article_id, s.signature FROM q CROSS JOIN lsh_buckets l "
        "ON l.band = q.band AND l.bucket = q.bucket JOIN signatures s ON s.article_id = l.article_id "
        "WHERE l.article_id != ?",
        [*params, article_id],
    )
    return [(row[0], bytes(row[1])) for row in rows]


class _SqliteClaimView:
    """cleaners.dedup.ClaimView inside a claim's write transaction: recorded rows, and the live claims of
    other processes (id -> (id, content hash, signature)), which are all compared for near duplicates."""

    def __init__(self, conn: sqlite3.Connection, live: dict[str, tuple[str, str, bytes | None]]) -> None:
        self.conn = conn
        self.live = live

    def held_elsewhere(self, article_id: str) -> bool:
        return article_id in self.live

    def recorded_hash(self, article_id: str) -> str | None:
        row = self.conn.execute("SELECT content_hash FROM articles WHERE article_id = ?", (article_id,)).fetchone()
        return row[0] if row is not None else None

    def claimed_content(self, content_hash: str, article_id: str) -> str | None:
        for other_id, other_hash, _sig in sorted(self.live.values()):
            if other_hash == content_hash and other_id != article_id:
                return other_id
        return None

    def recorded_content(self, content_hash: str) -> str | None:
        row = self.conn.execute(
            "SELECT article_id FROM content_hashes WHERE content_hash = ?", (content_hash,)
        ).fetchone()
        return row[0] if row is not None else None

    def near_candidates(
        self, article_id: str, signature: bytes, buckets: Sequence[Bucket]
    ) -> Iterator[tuple[str, bytes]]:
        """Recorded articles sharing an LSH bucket, and every live claim with a signature."""
        for other_id, other_signature in _bucket_signatures(self.conn, buckets, article_id):
            yield other_id, other_signature
        for other_id, _hash, other_signature in self.live.values():
            if other_signature is not None and other_id != article_id:
                yield other_id, other_signature


class SqliteStateStore:
    """StateStore (and cleaners.dedup.DedupStore) in one SQLite file; see the module docstring."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        busy_timeout: float = 30.0,
        claim_ttl: float = 600.0,
        wal_size_limit: int = 64 * 1024 * 1024,
    ) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.readonly = readonly
        #: A claim of a process on another host (whose pid cannot be checked) holds this long.
        self.claim_ttl = claim_ttl
        self.owner = ProcessId.current()
        self._lock = threading.RLock()
        if readonly:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            self._conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=busy_timeout, check_same_thread=False)
        self._conn.isolation_level = None  # autocommit; explicit BEGIN IMMEDIATE for writes
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            if not readonly:
                if self._conn.execute("PRAGMA page_count").fetchone()[0] == 0:
                    # A new file: freed pages can be given back (incremental_vacuum) without a full VACUUM.
                    # Only possible before the first table; older files keep what they have (see vacuum()).
                    self._conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe in WAL
                self._conn.execute(f"PRAGMA journal_size_limit = {int(wal_size_limit)}")
                self._migrate()
            else:
                self._check_version(self._conn.execute("PRAGMA user_version").fetchone()[0])
        except BaseException:
            self._conn.close()
            raise

    # -- plumbing --

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StateSchemaError(
                f"{self.path}: state schema version {version} is newer than this presswash knows "
                f"({SCHEMA_VERSION}); upgrade presswash or point state.path elsewhere"
            )

    def _migrate(self) -> None:
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            self._check_version(version)
            for target in sorted(v for v in _MIGRATIONS if v > version):
                for statement in _split_sql(_MIGRATIONS[target]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (IMMEDIATE) so two writers never deadlock on upgrade."""
        if self.readonly:
            raise PermissionError(f"{self.path}: opened read-only")
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteStateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta --

    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- fetch state --

    def get_fetch(self, url_key: str) -> FetchState | None:
        rows = self._query(f"SELECT {', '.join(_FETCH_COLUMNS)} FROM fetches WHERE url_key = ?", (url_key,))
        return FetchState(*rows[0]) if rows else None

    def put_fetch(self, state: FetchState) -> None:
        """Upsert; a new fetch without validators keeps none (the server stopped sending them)."""
        values = asdict(state)
        with self._write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO fetches ({', '.join(_FETCH_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _FETCH_COLUMNS)})",
                [values[c] for c in _FETCH_COLUMNS],
            )

    # -- dedup (cleaners.dedup.DedupStore) --

    def get_article(self, article_id: str) -> ArticleRef | None:
        rows = self._query(
            "SELECT article_id, content_hash, version, url_key, site, recorded_at FROM articles WHERE article_id = ?",
            (article_id,),
        )
        return ArticleRef(*rows[0]) if rows else None

    def article_by_url(self, url_key: str) -> ArticleRef | None:
        rows = self._query("SELECT article_id FROM url_keys WHERE url_key = ?", (url_key,))
        return self.get_article(rows[0][0]) if rows else None

    def article_by_content(self, content_hash: str) -> ArticleRef | None:
        rows = self._query("SELECT article_id FROM content_hashes WHERE content_hash = ?", (content_hash,))
        return self.get_article(rows[0][0]) if rows else None

    def lsh_candidates(self, buckets: Sequence[Bucket]) -> set[str]:
        with self._lock:
            return _bucket_ids(self._conn, buckets)

    def signatures(self, article_ids: Iterable[str]) -> dict[str, bytes]:
        ids = list(article_ids)
        out: dict[str, bytes] = {}
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            rows = self._query(
                f"SELECT article_id, signature FROM signatures WHERE article_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            out.update((row[0], bytes(row[1])) for row in rows)
        return out

    def save_article(
        self, ref: ArticleRef, url_keys: Sequence[str], signature: bytes | None, buckets: Sequence[Bucket]
    ) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO articles (article_id, content_hash, version, url_key, site, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (ref.article_id, ref.content_hash, ref.version, ref.url_key, ref.site, ref.recorded_at),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO url_keys (url_key, article_id) VALUES (?, ?)",
                [(key, ref.article_id) for key in url_keys],
            )
            conn.execute(
                "INSERT OR IGNORE INTO content_hashes (content_hash, article_id) VALUES (?, ?)",
                (ref.content_hash, ref.article_id),
            )
            if signature is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO signatures (article_id, signature, recorded_at) VALUES (?, ?, ?)",
                    (ref.article_id, signature, ref.recorded_at),
                )
                self._replace_buckets(conn, ref.article_id, buckets)
            conn.execute("DELETE FROM claims WHERE article_id = ?", (ref.article_id,))  # recorded: no longer in flight

    def iter_signatures(self, page: int = MAINTENANCE_BATCH) -> Iterator[tuple[str, bytes]]:
        """Every signature, read a page at a time (keyset pagination): never all of them in memory."""
        after = ""
        while True:
            rows = self._query(
                "SELECT article_id, signature FROM signatures WHERE article_id > ? ORDER BY article_id LIMIT ?",
                (after, page),
            )
            for article_id, signature in rows:
                yield article_id, bytes(signature)
            if len(rows) < page:
                return
            after = rows[-1][0]

    def replace_buckets_many(self, items: Sequence[tuple[str, Sequence[Bucket]]]) -> None:
        """Re-band many articles in one short transaction (a batch of :meth:`replace_buckets`)."""
        ids = [article_id for article_id, _ in items]
        with self._write() as conn:
            for chunk in _chunks(ids, 500):
                conn.execute(f"DELETE FROM lsh_buckets WHERE article_id IN ({', '.join('?' * len(chunk))})", chunk)
            conn.executemany(
                "INSERT OR IGNORE INTO lsh_buckets (band, bucket, article_id) VALUES (?, ?, ?)",
                sorted((band, bucket, article_id) for article_id, buckets in items for band, bucket in buckets),
            )

    # -- claims: one admission per article across the processes sharing this file --

    def claim_article(
        self,
        article_id: str,
        content_hash: str,
        *,
        has_url: bool = True,
        signature: bytes | None = None,
        buckets: Sequence[Bucket] = (),
        threshold: float = 1.0,
    ) -> Duplicate | None:
        """Check against every recorded article and every article another live process holds, and, if
        new, claim it, in one write transaction (so of two processes with copies of one story, exactly
        one is admitted). The same contract as crawler.state.redis_store.RedisStateStore.claim_article.

        A claim ends when :meth:`save_article` records the article or :meth:`release_article` gives it
        up; a claim whose owner died (same host: its pid is gone; another host: older than
        ``claim_ttl`` seconds) is ignored and replaced.
        """
        now = time.time()
        with self._write() as conn:
            view = _SqliteClaimView(conn, {row[0]: row for row in self._live_claims(conn, now)})
            duplicate = claim_check(
                view,
                article_id,
                content_hash,
                has_url=has_url,
                signature=signature,
                buckets=buckets,
                threshold=threshold,
            )
            if duplicate is not None:
                return duplicate
            conn.execute(
                "INSERT OR REPLACE INTO claims (article_id, content_hash, owner, host, pid, signature, claimed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (article_id, content_hash, str(self.owner), self.owner.host, self.owner.pid, signature, now),
            )
        return None

    def release_article(self, article_id: str) -> bool:
        """Give up this process's claim on an article it did not write (no-op if not ours)."""
        with self._write() as conn:
            return (
                conn.execute(
                    "DELETE FROM claims WHERE article_id = ? AND owner = ?", (article_id, str(self.owner))
                ).rowcount
                > 0
            )

    def release_claims(self) -> int:
        """Give up every claim this process still holds (its crawl closes with articles in flight)."""
        with self._write() as conn:
            return conn.execute("DELETE FROM claims WHERE owner = ?", (str(self.owner),)).rowcount

    def _live_claims(self, conn: sqlite3.Connection, now: float) -> list[tuple[str, str, bytes | None]]:
        """Other processes' live claims (id, content hash, signature); dead ones are deleted on the way."""
        live, dead = [], []
        me = str(self.owner)
        for article_id, content_hash, owner, signature, claimed_at in conn.execute(
            "SELECT article_id, content_hash, owner, signature, claimed_at FROM claims"
        ):
            if owner == me:
                continue
            holder = ProcessId.parse(owner)
            alive = is_alive(holder) if holder is not None else False
            if alive is None:  # another host: a lease
                alive = now - claimed_at < self.claim_ttl
            if alive:
                live.append((article_id, content_hash, bytes(signature) if signature is not None else None))
            else:
                dead.append(article_id)
        for article_id in dead:
            conn.execute("DELETE FROM claims WHERE article_id = ?", (article_id,))
        return live

    def replace_buckets(self, article_id: str, buckets: Sequence[Bucket]) -> None:
        with self._write() as conn:
            self._replace_buckets(conn, article_id, buckets)

    @staticmethod
    def _replace_buckets(conn: sqlite3.Connection, article_id: str, buckets: Sequence[Bucket]) -> None:
        conn.execute("DELETE FROM lsh_buckets WHERE article_id = ?", (article_id,))
        conn.executemany(
            "INSERT OR IGNORE INTO lsh_buckets (band, bucket, article_id) VALUES (?, ?, ?)",
            [(band, bucket, article_id) for band, bucket in buckets],
        )

    def clear_near_duplicates(self) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM lsh_buckets")
            conn.execute("DELETE FROM signatures")

    def prune_signatures(self, before: str, *, batch: int = MAINTENANCE_BATCH, deadline: float | None = None) -> int:
        """Drop signatures recorded before ``before`` and their buckets, ``batch`` per transaction (a large
        prune in one transaction held the write lock for minutes); stops at ``deadline`` (monotonic)."""
        total = 0
        while deadline is None or time.monotonic() < deadline:
            with self._write() as conn:
                ids = [
                    row[0]
                    for row in conn.execute(
                        "SELECT article_id FROM signatures WHERE recorded_at < ? LIMIT ?", (before, batch)
                    )
                ]
                for chunk in _chunks(ids, 500):
                    marks = ", ".join("?" * len(chunk))
                    conn.execute(f"DELETE FROM lsh_buckets WHERE article_id IN ({marks})", chunk)
                    conn.execute(f"DELETE FROM signatures WHERE article_id IN ({marks})", chunk)
            total += len(ids)
            if len(ids) < batch:
                break
        return total

    # -- retention and size (months of crawling) --

    def prune_fetches(self, before: str, *, batch: int = MAINTENANCE_BATCH, deadline: float | None = None) -> int:
        """Forget fetch records older than ``before``, ``batch`` per transaction. Such a URL, if still
        listed, is fetched once more and then recognised by the article index (a url duplicate)."""
        total = 0
        while deadline is None or time.monotonic() < deadline:
            with self._write() as conn:
                deleted = conn.execute(
                    "DELETE FROM fetches WHERE url_key IN (SELECT url_key FROM fetches WHERE fetched_at < ? LIMIT ?)",
                    (before, batch),
                ).rowcount
            total += deleted
            if deleted < batch:
                break
        return total

    def prune_articles(self, before: str, *, batch: int = MAINTENANCE_BATCH, deadline: float | None = None) -> int:
        """Forget articles recorded before ``before`` whose URL was not fetched since (with their URL keys,
        content hashes, signatures and buckets), ``batch`` per transaction. An article whose URL is still
        listed somewhere is fetched again within the fetch retention, which keeps it here."""
        total = 0
        after = ""
        while deadline is None or time.monotonic() < deadline:
            with self._write() as conn:
                rows = conn.execute(
                    "SELECT a.article_id FROM articles a WHERE a.recorded_at < ? AND a.article_id > ? "
                    "AND NOT EXISTS (SELECT 1 FROM fetches f WHERE f.url_key = a.url_key AND f.fetched_at >= ?) "
                    "AND NOT EXISTS (SELECT 1 FROM fetches f WHERE f.article_id = a.article_id AND f.fetched_at >= ?) "
                    "ORDER BY a.article_id LIMIT ?",
                    (before, after, before, before, batch),
                ).fetchall()
                ids = [row[0] for row in rows]
                for chunk in _chunks(ids, 500):
                    marks = ", ".join("?" * len(chunk))
                    for table in ("url_keys", "content_hashes", "lsh_buckets", "signatures", "articles"):
                        conn.execute(f"DELETE FROM {table} WHERE article_id IN ({marks})", chunk)
            total += len(ids)
            if len(ids) < batch:
                break
            after = ids[-1]
        return total

    def reclaim(self, *, pages: int = 4096, deadline: float | None = None) -> int:
        """Give freed pages back to the file system (incremental vacuum, ``pages`` per transaction) and
        truncate the WAL; returns the pages given back. Does nothing to the size of a file made before
        auto_vacuum was set (its pages are reused, the file just stops growing): see :func:`vacuum`."""
        freed = 0
        with self._lock:
            if self._conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2:
                while deadline is None or time.monotonic() < deadline:
                    before = self._conn.execute("PRAGMA freelist_count").fetchone()[0]
                    if before == 0:
                        break
                    # executescript steps the pragma to the end (one execute() frees one page), in its own
                    # short write transaction (autocommit) of at most ``pages`` pages.
                    self._conn.executescript(f"PRAGMA incremental_vacuum({int(pages)});")
                    after = self._conn.execute("PRAGMA freelist_count").fetchone()[0]
                    freed += before - after
                    if after >= before:
                        break
            self.checkpoint()
        return freed

    def checkpoint(self) -> tuple[int, int, int]:
        """Copy the WAL into the database and truncate it (best effort: busy readers make it partial).
        Returns SQLite's (busy, WAL pages, pages checkpointed)."""
        with self._lock:
            row = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def maintain(self, settings: StateSettings, now: datetime | None = None) -> dict[str, int]:
        """Retention and size, as a crawl's start runs it: prune fetches and articles past their retention,
        give the space back, checkpoint the WAL; in short transactions, within ``maintenance_seconds``
        (what is left is done by the next start). Returns what was done, for the log."""
        now = now or datetime.now(UTC)
        deadline = time.monotonic() + settings.maintenance_seconds
        with self._lock:
            self._conn.execute(f"PRAGMA journal_size_limit = {int(settings.wal_size_limit_mb * 1024 * 1024)}")
        done = {"fetches": 0, "articles": 0, "pages_freed": 0}
        if settings.fetch_retention_days is not None:
            cutoff = utc_iso(now - timedelta(days=settings.fetch_retention_days))
            done["fetches"] = self.prune_fetches(cutoff, deadline=deadline)
        if settings.article_retention_days is not None:
            cutoff = utc_iso(now - timedelta(days=settings.article_retention_days))
            done["articles"] = self.prune_articles(cutoff, deadline=deadline)
        done["pages_freed"] = self.reclaim(deadline=deadline)
        return done

    def file_sizes(self) -> dict[str, int]:
        """Bytes on disk of the database and its WAL (diagnostics and tests)."""
        wal = self.path.with_name(self.path.name + "-wal")
        return {
            "database": self.path.stat().st_size if self.path.exists() else 0,
            "wal": wal.stat().st_size if wal.exists() else 0,
        }

    # -- run log --

    def put_run(self, run: RunRecord) -> None:
        values = asdict(run)
        with self._write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO runs ({', '.join(_RUN_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _RUN_COLUMNS)})",
                [values[c] for c in _RUN_COLUMNS],
            )

    def get_run(self, run_id: str) -> RunRecord | None:
        rows = self._query(f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs WHERE run_id = ?", (run_id,))
        return RunRecord(*rows[0]) if rows else None

    def list_runs(self, site: str | None = None, limit: int = 50) -> list[RunRecord]:
        """Most recent first."""
        columns = ", ".join(_RUN_COLUMNS)
        if site:
            sql = f"SELECT {columns} FROM runs WHERE site = ? ORDER BY started_at DESC, run_id DESC LIMIT ?"
            rows = self._query(sql, (site, limit))
        else:
            rows = self._query(f"SELECT {columns} FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?", (limit,))
        return [RunRecord(*row) for row in rows]

    # -- schedule marks --

    def get_schedule_mark(self, site: str) -> str | None:
        rows = self._query("SELECT last_fire FROM schedule_marks WHERE site = ?", (site,))
        return rows[0][0] if rows else None

    def set_schedule_mark(self, site: str, when: str) -> None:
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO schedule_marks (site, last_fire) VALUES (?, ?)", (site, when))

    # -- diagnostics --

    def counts(self) -> dict[str, int]:
        """Rows per table, for `presswash runs --json` and tests."""
        tables = ("articles", "url_keys", "content_hashes", "signatures", "lsh_buckets", "fetches", "runs")
        return {table: self._query(f"SELECT COUNT(*) FROM {table}")[0][0] for table in tables}


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def vacuum(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Rewrite a state file made before incremental vacuum existed so that it has it (and is compacted):
    ``python -m crawler.state vacuum PATH``. Run it with no crawl running: VACUUM holds the file for
    its whole duration (seconds per 100 MB). Returns the file size before and after."""
    file = Path(path)
    before = file.stat().st_size
    conn = sqlite3.connect(file, timeout=30.0)
    try:
        conn.isolation_level = None
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return before, file.stat().st_size


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script (they contain no ';' inside), run one by one inside the
    transaction: sqlite3's executescript would COMMIT first and break the all-or-nothing migration."""
    return [part.strip() for part in script.split(";") if part.strip()]
