"""JsonlWriterPipeline: each written article as one whole JSON line of ``<output>/<site>/<date>.jsonl``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleaners.article import Article
from cleaners.jsonl import JsonlWriter

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler


logger = logging.getLogger(__name__)


class JsonlWriterPipeline:
    """Appends each article to ``<output>/<site>/<run date>.jsonl`` as one whole line.

    Whole lines only, even when the process is killed: cleaners.jsonl writes each record with a single
    ``write()`` in append mode and trims a torn last line when the file is opened again.
    """

    def __init__(self, *, output_dir: str | Path, site: str, run_date: str) -> None:
        self.path = Path(output_dir) / site / f"{run_date}.jsonl"
        self._writer: JsonlWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        return cls(
            output_dir=settings.get("PRESSWASH_OUTPUT_DIR") or "output",
            site=settings.get("PRESSWASH_SITE") or "unnamed",
            run_date=settings.get("PRESSWASH_RUN_DATE") or "undated",
        )

    def open_spider(self) -> None:
        self._writer = JsonlWriter(self.path)
        if self._writer.repaired_bytes:
            logger.warning("%s: dropped a torn last line (%d bytes)", self.path, self._writer.repaired_bytes)

    def close_spider(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article) and self._writer is not None:
            self._writer.write_line(item.to_json_line())  # the one serializer of a record
        return item
