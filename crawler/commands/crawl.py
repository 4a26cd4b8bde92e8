"""``scrapy crawl``, checking the news spider's arguments and config files before Scrapy starts.

Scrapy creates the spider inside an asyncio task, so a configuration error raised there (an unknown
site, a typo in sites.yaml) reaches the user as "Task exception was never retrieved" and a traceback.
This command validates the same things first and says what is wrong in one message naming the file and
key, with exit status 2, as ``presswash crawl`` does; and a site of which nothing at all could be fetched
exits with 1 (RunAccounting logs the failures). Anything else is Scrapy's own ``crawl``.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.spiders import Spider

from cleaners.config import ConfigError

EXIT_FAILED, EXIT_CONFIG = 1, 2


class Command(ScrapyCrawlCommand):
    _crawlers: list[Crawler]

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args and args[0] == "news":
            try:
                check_news_arguments(opts.spargs, self.settings)
            except ConfigError as exc:
                print(f"presswash: config error:\n{exc}", file=sys.stderr)
                self.exitcode = EXIT_CONFIG
                return
        self._crawlers = []
        super().run(args, opts)
        # A site of which nothing could be fetched fails, as with `presswash crawl` (the log says why).
        if any(crawler.stats and crawler.stats.get_value("presswash/fetched_nothing") for crawler in self._crawlers):
            self.exitcode = EXIT_FAILED

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        crawler = super()._create_crawler(spidercls)
        self._crawlers.append(crawler)
        return crawler


def check_news_arguments(spargs: dict[str, str], settings: object) -> None:
    """What NewsSpider checks when it starts: the sites file, the site named, presswash.yaml."""
    from crawler.config import load_config, load_sites_config, recurring_scrapy_settings

    get = settings.get  # type: ignore[attr-defined]
    sites = load_sites_config(spargs.get("config") or get("PRESSWASH_SITES_CONFIG"))
    name = spargs.get("site")
    if not name:
        raise ConfigError(f"{sites.path}: name a site with -a site=NAME (sites: {', '.join(sites.names)})")
    sites.get(name)
    load_config(get("PRESSWASH_CONFIG"))
    recurring_scrapy_settings(settings, name)  # type: ignore[arg-type]  # the state, dedup and archive sections
