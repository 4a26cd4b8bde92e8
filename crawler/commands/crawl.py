"""``scrapy crawl``, checking the news spider's arguments and config files before Scrapy starts.

Scrapy creates the spider inside an asyncio task, so a configuration error raised there (an unknown
site, a typo in sites.yaml) reaches the user as "Task exception was never retrieved" and a traceback.
This command validates the same things first and says what is wrong in one message naming the file and
key, with exit status 2, as ``presswash crawl`` does; anything else is Scrapy's own ``crawl``.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from cleaners.config import ConfigError

EXIT_CONFIG = 2


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args and args[0] == "news":
            try:
                check_news_arguments(opts.spargs, self.settings)
            except ConfigError as exc:
                print(f"presswash: config error:\n{exc}", file=sys.stderr)
                self.exitcode = EXIT_CONFIG
                return
        super().run(args, opts)


def check_news_arguments(spargs: dict[str, str], settings: object) -> None:
    """What NewsSpider checks when it starts: the sites file, the site named, presswash.yaml."""
    from cleaners.options import load_options
    from crawler.recurring import recurring_scrapy_settings
    from crawler.sites import load_sites

    get = settings.get  # type: ignore[attr-defined]
    sites = load_sites(spargs.get("config") or get("PRESSWASH_SITES_CONFIG"))
    name = spargs.get("site")
    if not name:
        raise ConfigError(f"{sites.path}: name a site with -a site=NAME (sites: {', '.join(sites.names)})")
    sites.get(name)
    load_options(get("PRESSWASH_CONFIG"))
    recurring_scrapy_settings(settings, name)  # type: ignore[arg-type]  # the state, dedup and archive sections
