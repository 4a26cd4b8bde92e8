"""Articles into PostgreSQL (psycopg 3): schema and migrations, an idempotent upsert, a crawl pipeline and
``presswash load``.

The JSON lines stay the record of truth; PostgreSQL is a query copy that can always be rebuilt from them.
So the sink is built to be replayed:

- **One row per article id**, the columns of :class:`cleaners.article.Article` (lists and removals as
  JSONB, dates as the record's own ISO text so a row gives back its line byte for byte), plus
  ``record_hash`` (sha256 of the canonical record), ``loaded_at`` and ``updated_at``.
- **An upsert that only moves forward**: a higher ``version`` replaces the row; the same version with the
  same record changes nothing (not even ``updated_at``: no dead tuple, no write); an older version never
  overwrites a newer one. Two different records with the same id and version (a dedup race) are settled by
  the larger ``record_hash``, so the table ends the same whatever order files are loaded in.
- **Migrations** in ``<schema>.presswash_schema_migrations``, applied at start under an advisory lock, so
  twenty crawl processes starting together create the table once; a database migrated by a newer
  presswash is refused rather than written with an old idea of the columns.
- **PostgreSQL down is not a crawl failure** (:class:`PostgresPipeline`): the first failure is logged
  with the way to catch up, every article not loaded is counted (``presswash/postgres/failed``), items go
  on to the next pipeline unchanged, and the connection is retried every ``retry_seconds``. ``presswash
  load FILE.jsonl... --postgres DSN`` then loads (or backfills) the lines, idempotently.

A batch is one statement (``INSERT ... SELECT FROM jsonb_populate_recordset(...) ON CONFLICT``), one round
trip, whatever its size; ``RETURNING (xmax = 0)`` tells inserted rows from updated ones, and rows the
statement did not return were unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleaners.article import Article
from cleaners.config import ConfigError

if TYPE_CHECKING:
    from typing import Self

    import psycopg
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: Environment variable and Scrapy setting that enable the sink (the setting wins).
POSTGRES_DSN_ENV = "PRESSWASH_POSTGRES_DSN"
POSTGRES_DSN_SETTING = "PRESSWASH_POSTGRES_DSN"
TABLE = "articles"
MIGRATIONS_TABLE = "presswash_schema_migrations"
#: Columns presswash adds to the article's own fields.
EXTRA_COLUMNS = ("record_hash", "loaded_at", "updated_at")
#: The article's fields, in the record's order: the columns an upsert writes (plus record_hash).
ARTICLE_COLUMNS = tuple(Article.model_fields)

# Each migration is a list of statements; {articles} and {migrations} are replaced by quoted, schema-qualified
# names. Frozen once released: a new Article field is a new migration (ALTER TABLE ... ADD COLUMN), never an
# edit of an old one; tests/test_postgres.py fails when the fields and the migrated columns disagree.
MIGRATIONS: dict[int, tuple[str, list[str]]] = {
    1: (
        "articles table, schema 1.0",
        [
            """
            CREATE TABLE {articles} (
                schema_version TEXT NOT NULL,
                id             TEXT PRIMARY KEY,
                version        INTEGER NOT NULL CHECK (version >= 1),
                url            TEXT,
                canonical_url  TEXT,
                source_path    TEXT,
                site           TEXT,
                title          TEXT,
                authors        JSONB NOT NULL DEFAULT '[]'::jsonb,
                published      TEXT,
                description    TEXT,
                tags           JSONB NOT NULL DEFAULT '[]'::jsonb,
                language       TEXT,
                language_score DOUBLE PRECISION,
                html_lang      TEXT,
                text           TEXT NOT NULL,
                paragraphs     JSONB NOT NULL,
                word_count     INTEGER NOT NULL,
                content_hash   TEXT NOT NULL,
                removed        JSONB NOT NULL DEFAULT '[]'::jsonb,
                fetched_at     TEXT,
                rules_version  TEXT NOT NULL,
                record_hash    TEXT NOT NULL,
                loaded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
                updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX {articles_site_fetched} ON {articles} (site, fetched_at)",
            "CREATE INDEX {articles_content_hash} ON {articles} (content_hash)",
        ],
    ),
    2: (
        "schema 1.1.0: page type and extraction candidate",
        [
            "ALTER TABLE {articles} ADD COLUMN page_type TEXT",
            "ALTER TABLE {articles} ADD COLUMN article_score DOUBLE PRECISION",
            "ALTER TABLE {articles} ADD COLUMN page_type_evidence TEXT",
            "ALTER TABLE {articles} ADD COLUMN extracted_by TEXT",
        ],
    ),
    3: (
        "schema 1.2.0: integrity flags",
        [
            "ALTER TABLE {articles} ADD COLUMN flags JSONB NOT NULL DEFAULT '[]'::jsonb",
            "ALTER TABLE {articles} ADD COLUMN flag_evidence JSONB NOT NULL DEFAULT '{{}}'::jsonb",
        ],
    ),
}
SCHEMA_VERSION = max(MIGRATIONS)


class PostgresSchemaError(ConfigError):
    """The database was migrated by a newer presswash: its columns are unknown here."""


# --- connection helpers ----------------------------------------------------------------------------------


def _psycopg() -> Any:
    """psycopg, or a ConfigError that says how to install it (the sink is an optional extra)."""
    try:
        import psycopg
    except ImportError:
        raise ConfigError(
            "PostgreSQL sink: psycopg is not installed (pip install 'presswash[scale]' or 'psycopg[binary]')"
        ) from None
    return psycopg


def check_dsn(dsn: str) -> dict[str, Any]:
    """Parse a DSN (URI or key=value) now, so a typo stops the start instead of failing every batch."""
    psycopg = _psycopg()
    try:
        return psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.Error as exc:
        raise ConfigError(f"postgres_dsn: {redact_dsn(dsn)}: not a valid PostgreSQL DSN: {exc}") from None


def redact_dsn(dsn: str) -> str:
    """The DSN without its password, for logs and messages."""
    try:
        import psycopg

        params = psycopg.conninfo.conninfo_to_dict(dsn)
    except Exception:
        return "<unparsable DSN>"
    params.pop("password", None)
    return " ".join(f"{key}={value}" for key, value in params.items()) or "(libpq defaults)"


def connect(dsn: str, *, connect_timeout: float = 5.0) -> psycopg.Connection[Any]:
    """A connection in manual-commit mode with a bounded connect time (a dead server must not hang a crawl)."""
    psycopg = _psycopg()
    return psycopg.connect(dsn, connect_timeout=max(1, int(connect_timeout)), application_name="presswash")


@dataclass(frozen=True, slots=True)
class Names:
    """Quoted, schema-qualified identifiers for one schema."""

    schema: str
    articles: Any  # psycopg.sql.Composable
    migrations: Any

    @classmethod
    def for_schema(cls, schema: str) -> Names:
        from psycopg import sql

        return cls(schema, sql.Identifier(schema, TABLE), sql.Identifier(schema, MIGRATIONS_TABLE))


def resolve_schema(conn: psycopg.Connection[Any], schema: str | None) -> str:
    """The schema to use: the one given, else the connection's current schema (the search_path's first)."""
    if schema:
        return schema
    row = conn.execute("SELECT current_schema()").fetchone()
    if row is None or row[0] is None:
        raise ConfigError("PostgreSQL: no current schema (empty search_path): name one with --schema")
    return str(row[0])


# --- migrations ------------------------------------------------------------------------------------------


def ensure_schema(conn: psycopg.Connection[Any], schema: str | None = None) -> Names:
    """Create or migrate the articles table in ``schema`` (current schema by default); commits.

    Serialized by a transaction-level advisory lock on the schema's name, so concurrent starters wait for
    the first one instead of racing on CREATE TABLE.
    """
    from psycopg import sql

    name = resolve_schema(conn, schema)
    names = Names.for_schema(name)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"presswash.schema.{name}",))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            ).format(names.migrations)
        )
        row = conn.execute(sql.SQL("SELECT coalesce(max(version), 0) FROM {}").format(names.migrations)).fetchone()
        current = int(row[0]) if row else 0
        if current > SCHEMA_VERSION:
            raise PostgresSchemaError(
                f"PostgreSQL schema {name!r}: articles schema version {current} is newer than this presswash "
                f"knows ({SCHEMA_VERSION}); upgrade presswash or use another schema"
            )
        identifiers = {
            "articles": names.articles,
            "migrations": names.migrations,
            "articles_site_fetched": sql.Identifier(f"{TABLE}_site_fetched"),
            "articles_content_hash": sql.Identifier(f"{TABLE}_content_hash"),
        }
        for version in sorted(v for v in MIGRATIONS if v > current):
            description, statements = MIGRATIONS[version]
            for statement in statements:
                conn.execute(sql.SQL(statement.strip()).format(**identifiers))
            conn.execute(
                sql.SQL("INSERT INTO {} (version, description) VALUES (%s, %s)").format(names.migrations),
                (version, description),
            )
            logger.info("PostgreSQL schema %r: applied migration %d (%s)", name, version, description)
    return names


# --- the upsert ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class LoadCounts:
    """What a load did. ``unchanged`` includes replays and older versions; ``failed``, rows PostgreSQL refused."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: LoadCounts) -> None:
        for name in ("read", "inserted", "updated", "unchanged", "invalid", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors[: max(0, 10 - len(self.errors))])

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in ("read", "inserted", "updated", "unchanged", "invalid", "failed")}


def record_hash(record: Mapping[str, Any]) -> str:
    """sha256 of the record as canonical JSON (sorted keys): equal records, equal hashes, in any process."""
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def article_row(record: Article | Mapping[str, Any], *, validate: bool = True) -> dict[str, Any]:
    """The row for one article: its JSON record (validated against the schema) plus ``record_hash``.

    ``validate=False`` trusts a dict that is already ``Article.model_dump(mode="json")`` (the crawl's items).
    """
    if isinstance(record, Article):
        data = record.model_dump(mode="json")
    elif validate:
        data = Article.model_validate(record).model_dump(mode="json")
    else:
        data = {name: record.get(name) for name in ARTICLE_COLUMNS}
    row = {name: data.get(name) for name in ARTICLE_COLUMNS}
    row["record_hash"] = record_hash(row)
    return row


def _newest_per_id(rows: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """One row per id (the one the upsert would keep: highest version, then highest record_hash).

    One INSERT ... ON CONFLICT may not touch a row twice, so duplicates inside a batch are settled here;
    returns the rows and how many were superseded.
    """
    best: dict[str, dict[str, Any]] = {}
    total = 0
    for row in rows:
        total += 1
        current = best.get(row["id"])
        if current is None or (row["version"], row["record_hash"]) > (current["version"], current["record_hash"]):
            best[row["id"]] = row
    return list(best.values()), total - len(best)


def _upsert_sql(names: Names) -> Any:
    from psycopg import sql

    columns = [*ARTICLE_COLUMNS, "record_hash"]
    column_list = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    updates = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns if c != "id")
    return sql.SQL(
        "INSERT INTO {table} AS a ({columns}) "
        "SELECT {columns} FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb) "
        "ON CONFLICT (id) DO UPDATE SET {updates}, updated_at = now() "
        "WHERE EXCLUDED.version > a.version "
        "OR (EXCLUDED.version = a.version AND EXCLUDED.record_hash > a.record_hash) "
        "RETURNING (a.xmax = 0) AS inserted"
    ).format(table=names.articles, columns=column_list, updates=updates)


def upsert_articles(
    conn: psycopg.Connection[Any],
    records: Iterable[Article | Mapping[str, Any]],
    *,
    schema: str | None = None,
    names: Names | None = None,
    validate: bool = True,
) -> LoadCounts:
    """Insert or update articles in one statement, inside the caller's transaction (the caller commits).

    Returns inserted / updated / unchanged counts. A record that is not an article raises pydantic's
    ValidationError (``validate=True``); PostgreSQL errors propagate (see :func:`load_records` for a
    loop that isolates a bad row).
    """
    names = names or Names.for_schema(resolve_schema(conn, schema))
    rows, superseded = _newest_per_id(article_row(r, validate=validate) for r in records)
    counts = LoadCounts(read=len(rows) + superseded, unchanged=superseded)
    if not rows:
        return counts
    payload = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    returned = conn.execute(_upsert_sql(names), (payload,)).fetchall()
    counts.inserted = sum(1 for (inserted,) in returned if inserted)
    counts.updated = len(returned) - counts.inserted
    counts.unchanged += len(rows) - len(returned)
    return counts


def load_records(
    conn: psycopg.Connection[Any],
    records: Iterable[Article | Mapping[str, Any] | MalformedLine],
    *,
    schema: str | None = None,
    names: Names | None = None,
    batch_size: int = 500,
    validate: bool = True,
) -> LoadCounts:
    """Upsert records in batches, one commit per batch; invalid records and rows PostgreSQL refuses
    (a NUL character, say) are counted, not fatal. Connection errors propagate. Creates or migrates the
    table first unless ``names`` says it was done on this connection already."""
    psycopg = _psycopg()
    names = names or ensure_schema(conn, schema)
    total = LoadCounts()
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if not batch:
            return
        try:
            with conn.transaction():
                total.add(upsert_articles(conn, batch, names=names, validate=False))
        except psycopg.OperationalError:
            raise
        except psycopg.Error:
            for row in batch:  # find the bad row(s); the others still go in
                try:
                    with conn.transaction():
                        total.add(upsert_articles(conn, [row], names=names, validate=False))
                except psycopg.OperationalError:
                    raise
                except psycopg.Error as exc:
                    total.read += 1
                    total.failed += 1
                    if len(total.errors) < 10:
                        total.errors.append(f"article {row.get('id')}: {str(exc).strip()}")
        batch.clear()

    for record in records:
        if isinstance(record, MalformedLine):
            total.read += 1
            total.invalid += 1
            if len(total.errors) < 10:
                total.errors.append(f"line {record.line}: not JSON: {record.error}")
            continue
        try:
            batch.append(article_row(record, validate=validate))
        except ValueError as exc:  # pydantic's ValidationError: a line that is not an article
            total.read += 1
            total.invalid += 1
            if len(total.errors) < 10:
                total.errors.append(f"not an article: {str(exc).splitlines()[0]}")
            continue
        if len(batch) >= batch_size:
            flush()
    flush()
    return total


def fetch_records(conn: psycopg.Connection[Any], schema: str | None = None) -> list[dict[str, Any]]:
    """Every row as the JSON record it came from (presswash's own columns removed), ordered by id."""
    from psycopg import sql

    names = Names.for_schema(resolve_schema(conn, schema))
    drop = sql.SQL(" - ").join(sql.Literal(c) for c in EXTRA_COLUMNS)
    query = sql.SQL("SELECT to_jsonb(a) - {drop} FROM {table} AS a ORDER BY id").format(drop=drop, table=names.articles)
    return [{name: row[0][name] for name in ARTICLE_COLUMNS} for row in conn.execute(query)]


# --- the crawl pipeline ----------------------------------------------------------------------------------


class PostgresPipeline:
    """Upserts each written article into PostgreSQL, in batches; never drops an item, never stops a crawl.

    Goes after the JSON-lines writer in ITEM_PIPELINES so only articles that are in the record of truth
    are loaded. Enabled by ``PRESSWASH_POSTGRES_DSN`` (setting or environment); without it Scrapy leaves
    the pipeline out (NotConfigured: the sink is optional, not a mistake). Database work runs in one
    background thread so a slow server never blocks fetching; the item that fills a batch awaits its
    commit, which is the back-pressure. Stats: ``presswash/postgres/{inserted,updated,unchanged,failed}``.
    """

    def __init__(
        self,
        *,
        dsn: str,
        schema: str | None = None,
        batch_size: int = 200,
        flush_seconds: float = 2.0,
        retry_seconds: float = 30.0,
        connect_timeout: float = 5.0,
        stats: Any = None,
    ) -> None:
        check_dsn(dsn)
        self.dsn = dsn
        self.schema = schema
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.retry_seconds = retry_seconds
        self.connect_timeout = connect_timeout
        self.stats = stats
        self.counts = LoadCounts()
        self._buffer: list[dict[str, Any]] = []
        self._buffer_since = 0.0
        self._conn: Any = None
        self._names: Names | None = None
        self._down_until = 0.0
        self._logged_down = False
        self._logged_error = False
        self._executor: ThreadPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from scrapy.exceptions import NotConfigured

        settings = crawler.settings
        dsn = settings.get(POSTGRES_DSN_SETTING) or os.environ.get(POSTGRES_DSN_ENV)
        if not dsn:
            # No message: Scrapy would log it as a WARNING on every crawl of the single-machine default.
            raise NotConfigured
        return cls(
            dsn=dsn,
            schema=settings.get("PRESSWASH_POSTGRES_SCHEMA") or None,
            batch_size=settings.getint("PRESSWASH_POSTGRES_BATCH_SIZE", 200),
            flush_seconds=settings.getfloat("PRESSWASH_POSTGRES_FLUSH_SECONDS", 2.0),
            retry_seconds=settings.getfloat("PRESSWASH_POSTGRES_RETRY_SECONDS", 30.0),
            stats=crawler.stats,
        )

    # -- Scrapy hooks --

    def open_spider(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="presswash-postgres")
        self._connection()  # create/migrate the table now; if the server is down, say so once and go on

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, dict) or "content_hash" not in item:
            return item
        if not self._buffer:
            self._buffer_since = time.monotonic()
        self._buffer.append(item)
        if len(self._buffer) >= self.batch_size or time.monotonic() - self._buffer_since >= self.flush_seconds:
            batch, self._buffer = self._buffer, []
            if self._executor is None:
                self._count(self._flush(batch))
            else:
                self._count(await asyncio.wrap_future(self._executor.submit(self._flush, batch)))
        return item

    def close_spider(self) -> None:
        batch, self._buffer = self._buffer, []
        if batch:
            if self._executor is not None:
                self._count(self._executor.submit(self._flush, batch).result())
            else:
                self._count(self._flush(batch))
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self._close_connection()
        if self.counts.failed:
            logger.warning(
                "PostgreSQL: %d articles were not loaded (they are in the JSON lines); load them with "
                "`presswash load OUTPUT/SITE/DATE.jsonl --postgres DSN`",
                self.counts.failed,
            )

    # -- database work (in the background thread) --

    def _connection(self) -> Any:
        """The open connection, or None while the server is down (retried every ``retry_seconds``)."""
        if self._conn is not None and not self._conn.closed:
            return self._conn
        now = time.monotonic()
        if now < self._down_until:
            return None
        psycopg = _psycopg()
        try:
            conn = connect(self.dsn, connect_timeout=self.connect_timeout)
            self._names = ensure_schema(conn, self.schema)
        except psycopg.OperationalError as exc:
            self._down(exc)
            return None
        if self._logged_down:
            logger.info("PostgreSQL at %s is back: loading articles again", redact_dsn(self.dsn))
        self._conn = conn
        return conn

    def _down(self, exc: BaseException) -> None:
        self._close_connection()
        self._down_until = time.monotonic() + self.retry_seconds
        if not self._logged_down:  # log the first of a kind, count all of them
            self._logged_down = True
            logger.warning(
                "PostgreSQL at %s is unavailable (%s): articles still go to the JSON lines, counted under "
                "presswash/postgres/failed; retrying every %gs; load them later with `presswash load`",
                redact_dsn(self.dsn),
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                self.retry_seconds,
            )

    def _close_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing a broken connection must not raise into the crawl
                self._conn.close()
            self._conn = None

    def _flush(self, batch: list[dict[str, Any]]) -> LoadCounts:
        psycopg = _psycopg()
        conn = self._connection()
        if conn is None:
            return LoadCounts(read=len(batch), failed=len(batch))
        try:
            return load_records(conn, batch, names=self._names, schema=self.schema, validate=False)
        except psycopg.OperationalError as exc:
            self._down(exc)
            return LoadCounts(read=len(batch), failed=len(batch))
        except Exception as exc:  # a bug or an unexpected server answer: counted, the crawl goes on
            if not self._logged_error:
                self._logged_error = True
                logger.exception("PostgreSQL: a batch of %d articles failed: %s", len(batch), exc)
            self._close_connection()
            return LoadCounts(read=len(batch), failed=len(batch))

    def _count(self, counts: LoadCounts) -> None:
        self.counts.add(counts)
        if counts.errors and not self._logged_error:
            self._logged_error = True
            logger.warning("PostgreSQL refused an article: %s", counts.errors[0])
        if self.stats is not None:
            for name in ("inserted", "updated", "unchanged", "failed"):
                value = getattr(counts, name) + (counts.invalid if name == "failed" else 0)
                if value:
                    self.stats.inc_value(f"presswash/postgres/{name}", value)


# --- `presswash load` ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MalformedLine:
    """A whole line of a JSON-lines file that is not JSON: counted ``invalid``, the other lines still load."""

    line: int
    error: str


def read_records(path: str | Path) -> Iterator[dict[str, Any] | MalformedLine]:
    """Every whole line of a JSON-lines file (a torn last line is skipped), a bad one as MalformedLine."""
    with Path(path).open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n") or not raw.strip():
                continue
            try:
                yield json.loads(raw)
            except ValueError as exc:
                yield MalformedLine(number, str(exc))


def iter_files(paths: Sequence[str]) -> Iterator[tuple[str, Iterator[dict[str, Any] | MalformedLine]]]:
    """(path, records) per JSON-lines file, whole lines only (a torn last line is skipped)."""
    for path in paths:
        yield path, read_records(path)


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `presswash load` (the CLI module adds them to its sub-command)."""
    parser.add_argument("paths", nargs="+", metavar="FILE.jsonl", help="JSON-lines files written by presswash")
    parser.add_argument(
        "--postgres",
        metavar="DSN",
        default=None,
        help=f"PostgreSQL DSN, e.g. postgresql://user@host/db (default: ${POSTGRES_DSN_ENV})",
    )
    parser.add_argument("--schema", metavar="NAME", help="schema of the articles table (default: current schema)")
    parser.add_argument("--batch-size", type=int, default=500, metavar="N", help="rows per statement (default 500)")


def load_command(args: argparse.Namespace) -> int:
    """Load JSON lines into PostgreSQL; idempotent (loading twice changes nothing). Exit 0, 1 if a file
    could not be read, a line was not an article or a row was refused, 2 without a DSN."""
    dsn = args.postgres or os.environ.get(POSTGRES_DSN_ENV)
    if not dsn:
        print(f"presswash load: give --postgres DSN (or set {POSTGRES_DSN_ENV})", file=sys.stderr)
        return 2
    check_dsn(dsn)
    psycopg = _psycopg()
    total = LoadCounts()
    status = 0
    try:
        conn = connect(dsn)
    except psycopg.OperationalError as exc:
        print(f"presswash load: cannot connect to {redact_dsn(dsn)}: {str(exc).strip()}", file=sys.stderr)
        return 1
    with conn:
        for path, records in iter_files(args.paths):
            try:
                counts = load_records(conn, records, schema=args.schema, batch_size=max(1, args.batch_size))
            except OSError as exc:
                print(f"presswash load: {path}: {exc}", file=sys.stderr)
                status = 1
                continue
            except psycopg.OperationalError as exc:
                print(f"presswash load: {path}: {str(exc).strip()}", file=sys.stderr)
                return 1
            for error in counts.errors:
                print(f"presswash load: {path}: {error}", file=sys.stderr)
            total.add(counts)
    if total.invalid or total.failed:
        status = 1
    parts = ", ".join(f"{name} {value}" for name, value in total.as_dict().items())
    print(f"presswash load: {parts}", file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.postgres", description="Load JSON lines into PostgreSQL.")
    add_load_arguments(parser)
    try:
        return load_command(parser.parse_args(argv))
    except ConfigError as exc:
        print(f"presswash load: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "LoadCounts",
    "PostgresPipeline",
    "PostgresSchemaError",
    "add_load_arguments",
    "article_row",
    "ensure_schema",
    "fetch_records",
    "load_command",
    "load_records",
    "upsert_articles",
]
