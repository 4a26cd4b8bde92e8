"""Articles into PostgreSQL (psycopg 3): schema and migrations, an idempotent upsert. The crawl pipeline
(crawler.pipelines.postgres) and ``presswash load`` (crawler.cli.load) write through it.

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
- **PostgreSQL down is not a crawl failure** (crawler.pipelines.postgres.PostgresPipeline): the first failure is logged
  with the way to catch up, every article not loaded is counted (``presswash/postgres/failed``), items go
  on to the next pipeline unchanged, and the connection is retried every ``retry_seconds``. ``presswash
  load FILE.jsonl... --postgres DSN`` then loads (or backfills) the lines, idempotently.

A batch is one statement (``INSERT ... SELECT FROM jsonb_populate_recordset(...) ON CONFLICT``), one round
trip, whatever its size; ``RETURNING (xmax = 0)`` tells inserted rows from updated ones, and rows the
statement did not return were unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleaners.article import Article
from cleaners.config import ConfigError

if TYPE_CHECKING:
    import psycopg


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
