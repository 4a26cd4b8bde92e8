"""PostgresPipeline: each written article upserted into PostgreSQL (crawler.sinks.postgres), in batches;
never drops an item, never stops a crawl.

PostgreSQL down is not a crawl failure: the first failure is logged with the way to catch up, every
article not loaded is counted (presswash/postgres/failed), items go on to the next pipeline unchanged,
and the connection is retried every retry_seconds. presswash load FILE.jsonl... --postgres DSN
then loads (or backfills) the lines, idempotently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from cleaners.article import Article
from crawler.sinks.postgres import (
    POSTGRES_DSN_ENV,
    POSTGRES_DSN_SETTING,
    LoadCounts,
    Names,
    _psycopg,
    check_dsn,
    connect,
    ensure_schema,
    load_records,
    redact_dsn,
)

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler


logger = logging.getLogger(__name__)


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
        if not isinstance(item, Article):
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
