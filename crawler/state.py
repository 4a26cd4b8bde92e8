"""Incremental crawl state, on local disk by default: what was fetched, written, deduplicated and run.

One small interface (:class:`StateStore`) and two implementations: :class:`SqliteStateStore`, one SQLite
file (``output/state.sqlite3`` by default), and ``crawler.state_redis.RedisStateStore`` for crawls spread
over several machines (docs/scaling.md). Everything a crawl, the dedup index or the scheduler needs goes
through the methods of the protocol, in plain values (dataclasses of strings and numbers), so the Redis
store implements the same methods over hashes and sets and nothing else changes. :func:`open_state_store`
picks the backend from the configured location.

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
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cleaners.config import ConfigError, load_yaml, validate
from cleaners.dedup import ArticleRef, Bucket, DedupSettings, DedupStore, Duplicate, DuplicateKind, MinHasher
from crawler.archive import DEFAULT_GZIP_LEVEL
from crawler.liveness import ProcessId, is_alive, pid_alive, process_started_at, this_host

DEFAULT_STATE_FILE = "state.sqlite3"
#: Environment variable the scheduler sets for its crawl subprocesses (wins over the config file).
STATE_ENV = "PRESSWASH_STATE_PATH"
SCHEMA_VERSION = 2
#: Rows deleted or re-banded per write transaction by maintenance: milliseconds of lock each, so a second
#: process (another crawl, the scheduler, `presswash runs`) is never locked out.
MAINTENANCE_BATCH = 2000

FetchOutcome = Literal["written", "duplicate", "rejected", "not_modified"]
FetchDecision = Literal["new", "changed", "known"]
RunStatus = Literal["running", "ok", "failed", "interrupted", "skipped", "error"]


# --- settings -----------------------------------------------------------------------------------------


class StateSettings(BaseModel):
    """The ``state:`` section of config/presswash.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(
        default=DEFAULT_STATE_FILE,
        description="SQLite file, relative to the output directory (or absolute), or redis://host:port/db",
    )
    jobs_dir: str | None = Field(
        default="jobs", description="Scrapy JOBDIR root (one per site), relative to the output directory"
    )
    fetch_retention_days: float | None = Field(
        default=90,
        gt=0,
        description="forget fetch records older than this (the URL is fetched again if still listed, then "
        "recognised by the article index); null keeps them forever",
    )
    article_retention_days: float | None = Field(
        default=365,
        gt=0,
        description="forget written articles (their URL keys and content hashes) recorded longer ago than "
        "this and whose URL was not fetched since; null keeps them forever",
    )
    wal_size_limit_mb: float = Field(
        default=64, ge=0, description="the WAL file is truncated to at most this after each checkpoint"
    )
    maintenance_seconds: float = Field(
        default=30, gt=0, description="retention pruning at a crawl's start stops after this; the rest next time"
    )


class ArchiveSettings(BaseModel):
    """The ``archive:`` section: raw WARC copies of every fetched article page (crawler.archive)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    dir: str = Field(default="raw", description="relative to the output directory (or absolute)")
    retention_days: int | None = Field(default=90, ge=1, description="delete older day files; null keeps all")
    gzip_level: int = Field(
        default=DEFAULT_GZIP_LEVEL,
        ge=1,
        le=9,
        description="zlib level of each record: 1 is a quarter of 9's time, files ~20% larger",
    )


class SchedulerSettings(BaseModel):
    """The ``scheduler:`` section (crawler.scheduler)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str | None = Field(default=None, description="time zone of the cron expressions; null: local")
    max_parallel_runs: int = Field(default=2, ge=1, le=32, description="sites crawled at the same time")
    misfire_grace_seconds: int = Field(default=600, ge=1, description="a tick this late still runs")
    run_missed_on_start: bool = Field(default=True, description="run once at start if a tick was missed")
    stop_timeout_seconds: float = Field(
        default=300, gt=0, description="on stop, how long a crawl may take to close before being forced"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (want an IANA name such as Europe/Paris)") from None
        return value


class RecurringSettings(BaseModel):
    """The sections of config/presswash.yaml that recurring crawls read (``cleaning:`` is ignored here)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    state: StateSettings = Field(default_factory=StateSettings)
    dedup: DedupSettings = Field(default_factory=DedupSettings)
    archive: ArchiveSettings = Field(default_factory=ArchiveSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)


def load_recurring_settings(config_path: str | os.PathLike[str] | None = None) -> RecurringSettings:
    """Read the recurring-crawl sections of presswash.yaml (the project's own by default).

    Errors name the file and key (``config/presswash.yaml: dedup.near_duplicate_threshold: ...``).
    """
    from cleaners.options import find_config

    path = find_config("presswash.yaml", config_path)
    data = load_yaml(path)
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{path}: (top level): expected a mapping")
    return validate(RecurringSettings, data, path)


def resolve_under(output_dir: str | os.PathLike[str], location: str) -> Path:
    """A configured path: absolute as given, relative ones under the output directory."""
    path = Path(location).expanduser()
    return path if path.is_absolute() else Path(output_dir) / path


def state_location(
    output_dir: str | os.PathLike[str],
    settings: StateSettings | None = None,
    *,
    redis_url: str | None = None,
    redis_prefix: str | None = None,
) -> str:
    """Where the state lives: ``$PRESSWASH_STATE_PATH``, else a ``redis://`` ``state.path``, else, for a
    shared crawl (``redis_url``: scale.redis_url), that Redis under the deployment's key prefix, else
    ``state.path`` under the output directory. A shared crawl must share its state too: with a local
    file each process would deduplicate only against itself."""
    env = os.environ.get(STATE_ENV)
    if env:
        return env
    location = (settings or StateSettings()).path
    if "://" in location:
        return location
    if redis_url:
        return shared_state_location(redis_url, redis_prefix or "presswash")
    return str(resolve_under(output_dir, location))


def shared_state_location(redis_url: str, prefix: str) -> str:
    """The state location of a shared crawl: its Redis, keys under its prefix (crawler.state_redis)."""
    separator = "&" if "?" in redis_url else "?"
    return f"{redis_url}{separator}prefix={prefix}"


# --- records ------------------------------------------------------------------------------------------


def utc_iso(moment: datetime | None = None) -> str:
    """ISO 8601 in UTC with a Z; naive datetimes are taken as UTC. Sorts as text, which SQL relies on."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class FetchState:
    """The final outcome of an article URL and what is needed to ask the server if it changed."""

    url_key: str  # cleaners.urls.normalize_url of the requested URL
    url: str
    outcome: FetchOutcome
    fetched_at: str  # ISO UTC
    site: str | None = None
    article_id: str | None = None
    content_hash: str | None = None
    version: int | None = None
    etag: str | None = None
    last_modified: str | None = None  # the Last-Modified header, verbatim
    lastmod: str | None = None  # what the feed/sitemap said when it was fetched, ISO
    status: int | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One crawl run of one site, as ``presswash runs`` lists it."""

    run_id: str
    site: str
    started_at: str
    status: RunStatus = "running"
    trigger: str = "manual"  # schedule, missed, start, manual
    scheduled_for: str | None = None
    finished_at: str | None = None
    exit_code: int | None = None
    pages: int | None = None
    articles: int | None = None
    rejected: int | None = None
    duplicates: int | None = None
    failed: int | None = None
    stats_path: str | None = None
    log_path: str | None = None
    pid: int | None = None
    host: str | None = None
    detail: str | None = None

    def finished(self, **changes: Any) -> RunRecord:
        return replace(self, **changes)


def fetch_decision(state: FetchState | None, lastmod: datetime | None) -> FetchDecision:
    """Fetch a discovered article URL or not.

    ``new`` (never reached a final outcome: fetch), ``changed`` (the feed/sitemap ``lastmod`` is newer
    than what we stored, or than our fetch when nothing was stored: fetch again, conditionally), or
    ``known`` (skip). Without a ``lastmod`` a known URL is never fetched again.
    """
    if state is None:
        return "new"
    if lastmod is None:
        return "known"
    if lastmod.tzinfo is None:
        lastmod = lastmod.replace(tzinfo=UTC)
    reference = parse_iso(state.lastmod) or parse_iso(state.fetched_at)
    return "changed" if reference is None or lastmod > reference else "known"


def conditional_headers(state: FetchState | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from what the server sent last time (only what it sent)."""
    if state is None or state.outcome not in ("written", "duplicate", "rejected", "not_modified"):
        return {}
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


# --- the interface ------------------------------------------------------------------------------------


@runtime_checkable
class StateStore(DedupStore, Protocol):
    """Everything recurring crawls keep between runs. Implementations: SqliteStateStore; later Redis."""

    location: str

    # fetch state (incremental crawling)
    def get_fetch(self, url_key: str) -> FetchState | None: ...

    def put_fetch(self, state: FetchState) -> None: ...

    # run log
    def put_run(self, run: RunRecord) -> None: ...

    def get_run(self, run_id: str) -> RunRecord | None: ...

    def list_runs(self, site: str | None = None, limit: int = 50) -> list[RunRecord]: ...

    # scheduler marks (last tick per site)
    def get_schedule_mark(self, site: str) -> str | None: ...

    def set_schedule_mark(self, site: str, when: str) -> None: ...

    def close(self) -> None: ...


def open_state_store(location: str | os.PathLike[str], *, readonly: bool = False) -> StateStore:
    """The store for a configured location: a file path (SQLite), or ``redis://host:port/db?prefix=NAME``
    (also ``rediss://``, ``unix://``) for the state shared by the processes of a scaled-out crawl
    (crawler.state_redis, imported only then: the redis package is an optional extra)."""
    text = str(location)
    if text.startswith(("redis://", "rediss://", "unix://")):
        from crawler.state_redis import RedisStateStore

        return RedisStateStore(text, readonly=readonly)
    if "://" in text:
        raise ConfigError(f"state.path: {text}: unknown state backend")
    return SqliteStateStore(text, readonly=readonly)


# --- SQLite -------------------------------------------------------------------------------------------

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
}

_FETCH_COLUMNS = tuple(f.name for f in fields(FetchState))
_RUN_COLUMNS = tuple(f.name for f in fields(RunRecord))


class StateSchemaError(ConfigError):
    """The state file was written by a newer presswash (its schema is unknown here)."""


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
        found: set[str] = set()
        with self._lock:
            for band, bucket in buckets:
                rows = self._conn.execute(
                    "SELECT article_id FROM lsh_buckets WHERE band = ? AND bucket = ?", (band, bucket)
                )
                found.update(row[0] for row in rows)
        return found

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
        one is admitted). The same contract as crawler.state_redis.RedisStateStore.claim_article.

        A claim ends when :meth:`save_article` records the article or :meth:`release_article` gives it
        up; a claim whose owner died (same host: its pid is gone; another host: older than
        ``claim_ttl`` seconds) is ignored and replaced.
        """
        url_kind = DuplicateKind.URL if has_url else DuplicateKind.CONTENT
        now = time.time()
        with self._write() as conn:
            live = {row[0]: row for row in self._live_claims(conn, now)}
            recorded = conn.execute("SELECT content_hash FROM articles WHERE article_id = ?", (article_id,)).fetchone()
            if recorded is not None and recorded[0] == content_hash:
                return Duplicate(url_kind, article_id)
            if article_id in live:
                return Duplicate(url_kind, article_id)
            holder = conn.execute(
                "SELECT article_id FROM content_hashes WHERE content_hash = ?", (content_hash,)
            ).fetchone()
            if holder is not None and holder[0] != article_id:
                return Duplicate(DuplicateKind.CONTENT, holder[0])
            for other_id, other_hash, _sig in sorted(live.values()):
                if other_hash == content_hash and other_id != article_id:
                    return Duplicate(DuplicateKind.CONTENT, other_id)
            if signature is not None:
                near = self._nearest(conn, article_id, signature, buckets, threshold, live)
                if near is not None:
                    return near
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

    @staticmethod
    def _nearest(
        conn: sqlite3.Connection,
        article_id: str,
        signature: bytes,
        buckets: Sequence[Bucket],
        threshold: float,
        live: dict[str, tuple[str, str, bytes | None]],
    ) -> Duplicate | None:
        """The most similar recorded (sharing an LSH bucket) or claimed article at or over the threshold."""
        candidates: set[str] = set()
        for band, bucket in buckets:
            rows = conn.execute("SELECT article_id FROM lsh_buckets WHERE band = ? AND bucket = ?", (band, bucket))
            candidates.update(row[0] for row in rows)
        candidates.discard(article_id)
        scored: list[tuple[float, str]] = []
        for other_id in sorted(candidates):
            row = conn.execute("SELECT signature FROM signatures WHERE article_id = ?", (other_id,)).fetchone()
            if row is not None:
                scored.append((MinHasher.similarity(signature, bytes(row[0])), other_id))
        for other_id, _hash, other_signature in live.values():
            if other_signature is not None and other_id != article_id:
                scored.append((MinHasher.similarity(signature, other_signature), other_id))
        matches = sorted((-score, other_id) for score, other_id in scored if score >= threshold)
        if not matches:
            return None
        return Duplicate(DuplicateKind.NEAR, matches[0][1], round(-matches[0][0], 4))

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


# --- runs left "running" by a killed process ------------------------------------------------------------

#: A process that started this long after its run's recorded start is another one under a reused pid.
_PID_REUSE_SLACK_SECONDS = 5.0


def stale_run(run: RunRecord) -> RunRecord | None:
    """The run marked ``interrupted`` when it is recorded as running but its process is gone, else None.

    A run is recorded "running" with the pid and host of its crawl process; a ``kill -9`` (of the crawl,
    or of the scheduler that would have recorded its end) leaves it so for ever. On this host the pid is
    asked: gone, or now a process that started after the run did (a reused pid), means nobody will record
    the end. Runs of other hosts cannot be checked from here and are left as they are.
    """
    if run.status != "running" or run.pid is None or run.host != this_host():
        return None
    started = parse_iso(run.started_at)
    if pid_alive(run.pid):
        process_start = process_started_at(run.pid)
        if started is None or process_start is None or process_start <= started.timestamp() + _PID_REUSE_SLACK_SECONDS:
            return None
        why = f"pid {run.pid} now belongs to another process"
    else:
        why = f"process {run.pid} on {run.host} is gone"
    return replace(
        run,
        status="interrupted",
        finished_at=run.finished_at or utc_iso(),
        detail=f"{why} and nobody recorded the end of the run (killed with SIGKILL?)",
    )


def reap_stale_runs(store: StateStore, limit: int = 1000) -> list[RunRecord]:
    """Mark every run of this host left "running" by a dead process as ``interrupted`` (see
    :func:`stale_run`); returns the runs marked. Called when the scheduler starts and by ``presswash runs``."""
    marked = []
    for run in store.list_runs(None, limit):
        stale = stale_run(run)
        if stale is not None:
            store.put_run(stale)
            marked.append(stale)
    return marked


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


__all__ = [
    "ArchiveSettings",
    "FetchState",
    "RecurringSettings",
    "RunRecord",
    "SchedulerSettings",
    "SqliteStateStore",
    "StateSettings",
    "StateStore",
    "conditional_headers",
    "fetch_decision",
    "load_recurring_settings",
    "open_state_store",
    "reap_stale_runs",
    "stale_run",
    "vacuum",
]


def main(argv: list[str] | None = None) -> int:
    """``python -m crawler.state vacuum PATH``: see :func:`vacuum`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m crawler.state", description="state file maintenance")
    parser.add_argument("command", choices=["vacuum"])
    parser.add_argument("path")
    args = parser.parse_args(argv)
    before, after = vacuum(args.path)
    print(f"{args.path}: {before} -> {after} bytes; incremental vacuum on")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
