"""The ``presswash`` command: one ``main``, one module per sub-command beside it (clean, crawl, schedule,
runs, health, rules, seed, load), each with its ``add_*_arguments`` and its ``*_command``. Thin: argument parsing and
exit codes; the work lives in cleaners/ and crawler/.

(``crawler/commands/`` is something else: Scrapy's COMMANDS_MODULE, the ``scrapy crawl`` override.)
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable

from cleaners.config import ConfigError
from cleaners.redact import RedactingStream, redact
from crawler.cli.clean import add_clean_arguments, clean_command, count_documents
from crawler.cli.exits import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    from cleaners import __version__

    parser = argparse.ArgumentParser(prog="presswash", description="presswash: news scraper and boilerplate cleaner.")
    parser.add_argument("--version", action="version", version=f"presswash {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="more detail: INFO logs, tracebacks")
    # -v is taken after the sub-command too (`presswash crawl -v`); SUPPRESS keeps one given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="more detail: INFO logs, tracebacks"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(
        name: str,
        add_arguments: Callable[[argparse.ArgumentParser], None],
        handler: Callable[[argparse.Namespace], int],
        help: str,
        description: str | None = None,
        **defaults: object,
    ) -> None:
        """One sub-command: its parser (with -v), its module's arguments, its handler."""
        sub = commands.add_parser(name, parents=[common], help=help, description=description)
        add_arguments(sub)
        sub.set_defaults(handler=handler, **defaults)

    command(
        "clean",
        add_clean_arguments,
        clean_command,
        help="clean files, directories, WARC archives or URLs into JSON lines",
        description="Clean raw pages (local files, or URLs fetched politely) into one JSON line per article.",
    )

    from crawler.cli.crawl import add_crawl_arguments, crawl_command
    from crawler.cli.runs import add_runs_arguments, runs_command
    from crawler.cli.schedule import add_schedule_arguments, schedule_command

    command(
        "crawl",
        add_crawl_arguments,
        crawl_command,
        help="crawl the sites of config/sites.yaml into output/<site>/<date>.jsonl",
        description="Crawl several sites in one process (Scrapy), cleaning every article page.",
        scrapy_logging=True,
    )
    command(
        "schedule",
        add_schedule_arguments,
        schedule_command,
        help="run each site's crawl at its cron schedule (long-running)",
        description="Run each site's crawl at the cron `schedule` of config/sites.yaml, one subprocess per run.",
    )
    command("runs", add_runs_arguments, runs_command, help="list past runs from the run log (--json for JSON lines)")

    from crawler.cli.health import add_health_arguments, health_command
    from crawler.cli.rules import add_rules_arguments, rules_command

    command(
        "health",
        add_health_arguments,
        health_command,
        help="per-site health across runs, with drift against each site's baseline (--check for cron)",
        description="Show each site's runs (articles, rejections, median words, metadata, flags) and whether "
        "its newest run drifts from its own baseline (docs/health.md).",
    )
    command(
        "rules",
        add_rules_arguments,
        rules_command,
        help="per-site rules: `rules suggest|versions|export --site NAME`: learned template as rules, versions, JSON",
        description="Work with per-site rules (docs/health.md).",
    )

    from crawler.cli.load import add_load_arguments, load_command
    from crawler.cli.seed import add_seed_arguments, seed_command

    command(
        "seed",
        add_seed_arguments,
        seed_command,
        help="queue a site's feeds, sitemaps and start URLs in Redis (shared crawl)",
        description="Queue each site's entry points in Redis; `presswash crawl --site NAME` processes, on any "
        "machine, then crawl it together (docs/scaling.md).",
    )
    command(
        "load",
        add_load_arguments,
        load_command,
        help="load JSON lines into PostgreSQL, idempotently",
        description="Upsert the articles of JSON-lines files into PostgreSQL; loading twice changes nothing.",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    original = sys.stderr
    if not isinstance(original, RedactingStream):
        sys.stderr = RedactingStream(original)  # every message of every command, without passwords
    try:
        return _main(argv)
    finally:
        sys.stderr = original


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "scrapy_logging", False):  # a crawl logs through Scrapy's root handler (LOG_LEVEL)
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        print(f"presswash: config error:\n{redact(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("presswash: interrupted; every line written so far is whole", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout went away (`presswash clean ... | head`): stop quietly, and keep Python's
        # final flush of stdout from failing again.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


__all__ = ["build_parser", "count_documents", "main"]
