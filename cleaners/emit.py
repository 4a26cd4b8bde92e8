"""admit -> write -> record -> count: how a cleaned article becomes a written line, in one place.

1. **admit**: the dedup index checks the article (same URL, same text, near-identical text) and sets its
   version; a duplicate becomes a ``duplicate`` rejection; an admitted article is held as in flight.
2. **write**: one whole JSON line, ``Article.to_json_line`` (the one serializer of a record).
3. **record**: only once written does the index remember it (a write that failed releases it instead,
   so a copy arriving later is not taken for a duplicate of a line that does not exist).
4. **count**: written, or rejected with its reason, in the run's stats.

``presswash clean`` (cleaners.batch) runs the four steps in one call, :meth:`Emitter.emit`. A crawl runs
the same steps at its Scrapy stages, in the same order: crawler.pipelines.dedup (admit), the JSON-lines
writer (write), ``item_scraped`` (record, then RunAccounting counts), ``item_dropped`` (release).
"""

from __future__ import annotations

from collections.abc import Callable

from cleaners.article import Article, CleanResult
from cleaners.dedup import DedupIndex, Duplicate
from cleaners.stats import RunStats


class Emitter:
    """The four steps over one dedup index (None: nothing deduplicated, every article version 1 as given)
    and one run's stats (None: someone else counts, as RunAccounting does in a crawl)."""

    def __init__(self, index: DedupIndex | None = None, stats: RunStats | None = None) -> None:
        self.index = index
        self.stats = stats

    def admit(self, article: Article) -> Article | Duplicate:
        """Step 1: the article with its version set, held as in flight; or the duplicate it is."""
        return self.index.admit(article) if self.index is not None else article

    def record(self, article: Article) -> None:
        """Step 3, after the write: the index remembers it (no longer in flight)."""
        if self.index is not None:
            self.index.record(article)

    def release(self, article: Article) -> None:
        """Instead of step 3 when the article was not written after all."""
        if self.index is not None:
            self.index.release(article)

    def count(self, result: CleanResult) -> None:
        """Step 4."""
        if self.stats is None:
            return
        if isinstance(result, Article):
            self.stats.count_written()
        else:
            self.stats.count_rejected(result)

    def emit(self, result: CleanResult, write: Callable[[str], None]) -> CleanResult:
        """All four steps for one cleaning result (a rejection is only counted); returns what was written
        (the admitted article) or the rejection. A failed write releases the article and propagates."""
        if isinstance(result, Article):
            admitted = self.admit(result)
            if isinstance(admitted, Duplicate):
                result = admitted.to_rejected(result.source_path or result.url or result.id)
            else:
                try:
                    write(admitted.to_json_line())
                except BaseException:
                    self.release(admitted)
                    raise
                self.record(admitted)
                result = admitted
        self.count(result)
        return result
