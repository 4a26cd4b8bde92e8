"""SiteTemplatePipeline: the crawl's learned site boilerplate (cleaners/site_template.py), between cleaning
and deduplication, learns each site's recurring lines and removes them from its articles.

It runs in the crawl's process, where cleaned records arrive one by one: the workers only clean. The
site's recent lines come from the state store when the spider opens and go back when it closes, so
learning carries over from run to run (crawler/state/site_memory.py); each learned set is kept by its version,
for ``presswash rules suggest`` and for re-cleaning with the same set.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from cleaners.article import Article, Rejected
from cleaners.site_rules import SiteRules
from cleaners.site_template import LearnedTemplate, TemplateLearner, TemplateSettings, apply_learned
from cleaners.timestamps import utc_iso
from crawler.config import config_for, state_enabled
from crawler.items import Rejection
from crawler.sites import site_rules_of
from crawler.state.site_memory import open_site_memory

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class SiteTemplatePipeline:
    """Article -> the same article without the site's learned lines, or a Rejection when nothing (or too
    little) is left. Off with ``site_template.enabled: false``."""

    def __init__(
        self,
        *,
        site: str,
        settings: TemplateSettings,
        state_path: str | None = None,
        min_words: int = 25,
        site_rules: SiteRules | None = None,
        stats: Any = None,
        now: str = "",
    ) -> None:
        self.site = site
        self.settings = settings
        self.state_path = state_path
        self.min_words = min_words
        self.site_rules = site_rules
        self.stats = stats
        self.now = now
        self.learner = TemplateLearner(settings)
        self.used: dict[str, LearnedTemplate] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        config = config_for(crawler)
        pipeline = cls(
            site=s.get("PRESSWASH_SITE") or "unnamed",
            settings=config.file.site_template,
            state_path=s.get("PRESSWASH_STATE_PATH") if state_enabled(s) else None,
            min_words=config.options.min_words,
            stats=crawler.stats,
            now=utc_iso(),
        )
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self) -> None:
        site = getattr(getattr(getattr(self, "crawler", None), "spider", None), "site", None)
        if site is not None:  # the NewsSpider's site: its own min_words and keep rules apply here too
            self.site = site.name
            self.min_words = site.min_words if site.min_words is not None else self.min_words
            self.site_rules = site_rules_of(site)
        if self.settings.enabled and self.state_path:
            memory = open_site_memory(self.state_path)
            try:
                self.learner.load(self.site, memory.recent_lines(self.site))
            finally:
                memory.close()

    def close_spider(self) -> None:
        if not (self.settings.enabled and self.state_path):
            return
        memory = open_site_memory(self.state_path)
        try:
            memory.save_lines(self.site, self.learner.recent(self.site))
            learned = self.learner.learned(self.site)
            for template in self.used.values():
                memory.save_template(template, self.now)
            if learned is not None:  # stamped at the close: the newest, for `presswash rules suggest`
                memory.save_template(learned, utc_iso())
        finally:
            memory.close()
        if learned is not None and self.stats is not None:
            self.stats.set_value("presswash/site_template/version", learned.version)
            self.stats.set_value("presswash/site_template/lines", len(learned.lines))

    def process_item(self, item: Any) -> Any:
        if not self.settings.enabled or not isinstance(item, Article):
            return item
        article = item
        self.learner.observe(self.site, article)
        learned = self.learner.learned(self.site)
        if learned is None:
            return item
        self.used.setdefault(learned.version, learned)
        result = apply_learned(article, learned, self.min_words, self.site_rules)
        if isinstance(result, Rejected):
            if self.stats is not None:
                self.stats.inc_value(f"presswash/rejected/{result.reason.value}")
            raise Rejection(result)
        removed = len(result.removed) - len(article.removed)
        if removed and self.stats is not None:
            self.stats.inc_value("presswash/site_template/removed", removed)
        return result
