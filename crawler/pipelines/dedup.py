"""DedupPipeline: cleaners.dedup over the crawl's state store.

A duplicate is dropped with the id of the article it duplicates, an update of a known article gets its
next version.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from cleaners.article import Article
from cleaners.dedup import DedupSettings, Duplicate
from cleaners.emit import Emitter
from cleaners.jsonl import read_jsonl
from crawler.config import StateSettings, dedup_settings, state_enabled
from crawler.items import Rejection
from crawler.state.interfaces import Maintained
from crawler.state.shared import SharedState

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure


logger = logging.getLogger(__name__)


class DedupPipeline:
    """The cleaned Article -> the same article with its ``version`` set, or DropItem (Rejection,
    reason ``duplicate``, with the original's id) for a URL, content or near duplicate.

    The index is shared by every site of the process and lives in the state store, so duplicates are
    caught across runs and sites. An article is *recorded* only once it has been written
    (``item_scraped``, i.e. after the JSON-lines writer); until then it is held in flight, so two
    copies cleaned at the same time are still caught, and a later stage dropping it releases it.

    On open, the site's newest output file (and this run's) is replayed into the index: an article
    written just before a kill, but not yet recorded, is recorded then rather than written again.
    """

    def __init__(
        self,
        *,
        state_path: str,
        dedup: DedupSettings | None = None,
        output_dir: str | Path = "output",
        site: str = "unnamed",
        run_date: str = "undated",
        stats: Any = None,
        state_settings: StateSettings | None = None,
        replay: bool = True,
    ) -> None:
        self.state_path = state_path
        self.dedup = dedup
        self.state_settings = state_settings
        self.replay = replay  # off for a one-off crawl without state (PRESSWASH_STATE=off): nothing to recover
        self.site_dir = Path(output_dir) / site
        self.run_file = self.site_dir / f"{run_date}.jsonl"
        self.stats = stats
        self._shared: SharedState | None = None
        self._emitter = Emitter()  # over the shared index once open; counting is RunAccounting's
        self._logged_kinds: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        state_path = settings.get("PRESSWASH_STATE_PATH")
        if not state_path:
            raise NotConfigured("PRESSWASH_STATE_PATH is not set (not a presswash NewsSpider crawl)")
        pipeline = cls(
            state_path=state_path,
            dedup=dedup_settings(settings),
            output_dir=settings.get("PRESSWASH_OUTPUT_DIR") or "output",
            site=settings.get("PRESSWASH_SITE") or "unnamed",
            run_date=settings.get("PRESSWASH_RUN_DATE") or "undated",
            stats=crawler.stats,
            state_settings=StateSettings.model_validate(dict(settings.get("PRESSWASH_STATE_SETTINGS") or {})),
            replay=state_enabled(settings),
        )
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.item_error, signal=signals.item_error)
        return pipeline

    def open_spider(self) -> None:
        self._shared = shared = SharedState.acquire(self.state_path, self.dedup)
        self._emitter = Emitter(shared.index)
        pruned = shared.index.prune()
        if pruned:
            logger.info("dedup: forgot %d near-duplicate signatures older than the window", pruned)
        if isinstance(shared.store, Maintained) and self.state_settings is not None:
            # Retention and file size, in short transactions within state.maintenance_seconds
            # (docs/recurring.md, "State over months").
            done = shared.store.maintain(self.state_settings)
            if any(done.values()):
                logger.info(
                    "state: forgot %d fetch records and %d articles past their retention; %d pages given back",
                    done["fetches"],
                    done["articles"],
                    done["pages_freed"],
                )
        for path in self._replay_files():
            shared.index.replay(read_jsonl(path))

    def _replay_files(self) -> list[Path]:
        if not self.replay:
            return []
        files = sorted(self.site_dir.glob("*.jsonl")) if self.site_dir.is_dir() else []
        chosen = files[-1:]
        if self.run_file.is_file() and self.run_file not in chosen:
            chosen.append(self.run_file)
        return chosen

    def close_spider(self) -> None:
        if self._shared is not None:
            self._shared.release()
            self._shared = None

    def process_item(self, item: Any) -> Any:
        if self._shared is None or not isinstance(item, Article):
            return item  # not one of our articles (another pipeline's item): not ours to judge
        result = self._emitter.admit(item)  # step 1 of cleaners.emit; the writer and item_scraped follow
        if isinstance(result, Duplicate):
            self._count(result, item)
            raise Rejection(result.to_rejected(item.url or item.id), duplicate_of=result.original_id)
        return result

    def _count(self, duplicate: Duplicate, article: Article) -> None:
        kind = duplicate.kind.value
        if self.stats is not None:
            self.stats.inc_value(f"presswash/duplicate/{kind}")
            self.stats.inc_value("presswash/rejected/duplicate")
        if kind not in self._logged_kinds:  # log the first of a kind, count all of them
            self._logged_kinds.add(kind)
            logger.info("first %s: %s", duplicate.detail, article.url)

    # -- signals: record once written, release when a later stage dropped it --

    def item_scraped(self, item: Any, response: Response) -> None:
        if self._shared is not None and isinstance(item, Article):
            self._emitter.record(item)  # written: step 3 (RunAccounting counts it, step 4)

    def item_dropped(self, item: Any, response: Response, exception: BaseException) -> None:
        # A Rejection comes from the cleaner (never admitted) or from here (a duplicate, never admitted):
        # releasing by id would free the in-flight copy it duplicates.
        if not isinstance(exception, Rejection):
            self._release(item)

    def item_error(self, item: Any, response: Response, failure: Failure) -> None:
        self._release(item)

    def _release(self, item: Any) -> None:
        if self._shared is not None and isinstance(item, Article):
            self._emitter.release(item)
