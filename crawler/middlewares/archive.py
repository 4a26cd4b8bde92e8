"""ArchiveMiddleware (a spider middleware): every article page handed to the pipelines is also written to
the raw WARC archive, before cleaning, so rejected pages are kept too.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.items import PageItem
from crawler.sinks.archive import (
    DEFAULT_GZIP_LEVEL,
    MARKER_SUFFIX,
    FetchedResponse,
    WarcArchive,
    prune_archive,
    repair_torn_tail,
)

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response


logger = logging.getLogger(__name__)


class ArchiveMiddleware:
    """Writes every article page the spider hands on (a PageItem) to the raw WARC archive.

    A spider middleware rather than a pipeline stage so the page is archived as fetched, before the
    cleaner can reject it: re-cleaning with better rules later may want exactly those pages. The
    archive gets the item's own ``fetched_at`` so re-cleaning reproduces the crawl's record. A failed
    write is logged and counted (``presswash/archive/error``) but never costs the article. Off with
    ``archive.enabled: false`` (``PRESSWASH_ARCHIVE_DIR`` unset).
    """

    def __init__(
        self,
        *,
        root: str | Path,
        site: str,
        retention_days: int | None = None,
        gzip_level: int = DEFAULT_GZIP_LEVEL,
        stats: Any = None,
    ) -> None:
        self.root = Path(root)
        self.site = site
        self.retention_days = retention_days
        self.stats = stats
        self.archive = WarcArchive(self.root, site, gzip_level=gzip_level)
        self._error_logged = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        root = settings.get("PRESSWASH_ARCHIVE_DIR")
        if not root:
            raise NotConfigured("the raw archive is off (archive.enabled: false)")
        retention = settings.get("PRESSWASH_ARCHIVE_RETENTION_DAYS")
        middleware = cls(
            root=root,
            site=settings.get("PRESSWASH_SITE") or "unnamed",
            retention_days=int(retention) if retention is not None else None,
            gzip_level=settings.getint("PRESSWASH_ARCHIVE_GZIP_LEVEL", DEFAULT_GZIP_LEVEL),
            stats=crawler.stats,
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self) -> None:
        try:
            self.repair_left_open()
            deleted = prune_archive(self.root, self.retention_days, site=self.site)
        except OSError as exc:
            logger.error("archive repair or retention failed for %s: %s", self.root / self.site, exc)
            return
        if deleted and self.stats is not None:
            self.stats.inc_value("presswash/archive/pruned", len(deleted))

    def repair_left_open(self) -> list[Path]:
        """Day files a killed run left open (``.writing`` marker still there): truncate the torn last record
        and drop the marker. Safe because this crawl holds the site's lock, so no one else writes them.
        Without it, a file left open on a day no later run writes to would keep its torn tail (re-cleaning
        it reports a read error) and would never be deleted by retention (which skips open files)."""
        repaired = []
        for marker in sorted((self.root / self.site).glob(f"*.warc.gz{MARKER_SUFFIX}")):
            path = marker.with_name(marker.name.removesuffix(MARKER_SUFFIX))
            try:
                start = int(marker.read_text(encoding="ascii").strip() or 0)
            except ValueError:
                start = 0
            dropped = repair_torn_tail(path, start)
            if dropped:
                logger.warning("%s: dropped a torn last record (%d bytes) left by a killed run", path, dropped)
            marker.unlink(missing_ok=True)
            repaired.append(path)
        return repaired

    def spider_closed(self) -> None:
        self.archive.close()

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for output in result:
            if isinstance(output, PageItem):
                self._write(response, output)
            yield output

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in result:
            if isinstance(output, PageItem):
                self._write(response, output)
            yield output

    def _write(self, response: Response, item: PageItem) -> None:
        raw = item.raw
        try:
            fetched = FetchedResponse.from_scrapy(
                response, raw.fetched_at or datetime.now(UTC), site=raw.site, hints=raw.hints
            )
            self.archive.write(fetched)
        except Exception as exc:  # the archive is a copy: losing it must not lose the article
            if self.stats is not None:
                self.stats.inc_value("presswash/archive/error")
            if not self._error_logged:
                self._error_logged = True
                logger.error("cannot archive %s to %s: %s", response.url, self.root / self.site, exc)
        else:
            if self.stats is not None:
                self.stats.inc_value("presswash/archive/written")
