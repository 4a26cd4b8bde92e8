"""What the spider hands to the pipelines (the fetched page as a RawDocument, not yet cleaned), and the
DropItem a pipeline raises for a rejected one.

The CleanPipeline turns a PageItem into the Article itself, which every later stage takes as it is (no
round trip through a dict): the dedup stage, the JSON-lines writer (Article.to_json_line, the one
serializer), the PostgreSQL sink, the signal handlers, and Scrapy's FEEDS exporters (S3, GCS, CSV...),
which read a pydantic model through itemadapter like any item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scrapy.exceptions import DropItem

from cleaners.article import Rejected
from cleaners.document import RawDocument


@dataclass(frozen=True, slots=True)
class PageItem:
    """An article page as fetched, plus the site's cleaning overrides (min_words, languages).

    ``overrides`` travels with the item, not with the pipeline, because one pipeline (and one process
    pool) serves every site of a multi-site run.
    """

    raw: RawDocument
    overrides: tuple[tuple[str, Any], ...] = ()


class Rejection(DropItem):
    """An article the cleaner (or the dedup stage) rejected: carries the Rejected value so the reason
    reaches the stats, and for a duplicate the id of the article it duplicates."""

    def __init__(self, rejected: Rejected, duplicate_of: str | None = None) -> None:
        super().__init__(f"{rejected.reason.value}: {rejected.detail}")
        self.rejected = rejected
        self.duplicate_of = duplicate_of
