"""``presswash schedule``: each site's crawl at its cron schedule, long-running (crawler.scheduler)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from crawler.config import load_recurring_settings

logger = logging.getLogger(__name__)


def add_schedule_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `presswash schedule` (crawler.cli adds them to its sub-command)."""
    parser.add_argument("--sites", metavar="FILE", dest="sites_file", help="sites file (default: config/sites.yaml)")
    parser.add_argument("--config", metavar="FILE", help="presswash.yaml (default: $PRESSWASH_CONFIG, config/)")
    parser.add_argument(
        "--site", metavar="NAME", action="append", dest="sites", help="schedule only this site (repeatable)"
    )
    parser.add_argument("--output", metavar="DIR", default="output", help="output directory (default: output)")
    parser.add_argument("--clean-config", metavar="FILE", help=argparse.SUPPRESS)  # the old name of --config
    parser.add_argument("--state", metavar="PATH", help="state file (default: state.path under the output)")
    parser.add_argument("--run-now", action="store_true", help="also run every site once at start")
    parser.add_argument("--max-parallel", metavar="N", type=int, help="sites crawled at once (scheduler config)")
    parser.add_argument("--timezone", metavar="TZ", help="time zone of the cron expressions (default: local)")
    parser.add_argument(
        "--seed-only",
        action="store_true",
        help="shared crawl (scale.redis_url): each tick runs `presswash seed --site NAME`; long-running "
        "`presswash crawl` workers take the work (docs/scaling.md)",
    )
    parser.set_defaults(handler=schedule_command)


def schedule_command(args: argparse.Namespace) -> int:
    """Run `presswash schedule` from parsed arguments; returns the exit status."""
    logging.getLogger(__name__).setLevel(logging.INFO)  # a daemon's starts and ends belong in its log
    from crawler.scheduler import run_scheduler  # here: every command builds this parser, few schedule
    from crawler.sites import split_config_args

    args.config, args.clean_config = split_config_args(args.config, args.sites_file, args.clean_config)
    settings = load_recurring_settings(args.clean_config).scheduler
    changes: dict[str, Any] = {}
    if args.max_parallel:
        changes["max_parallel_runs"] = args.max_parallel
    if args.timezone:
        changes["timezone"] = args.timezone
    if changes:
        settings = settings.model_copy(update=changes)
    command, lock_dir = None, None
    if args.seed_only:
        command = seed_command_template(args.config, args.clean_config)
        lock_dir = Path(args.output).resolve() / "locks" / "seed"  # never the crawl workers' site locks
    else:
        from crawler.config import load_scale_settings

        if load_scale_settings(args.clean_config).redis_url:
            logger.warning(
                "shared crawl (scale.redis_url): each tick starts a crawl that only takes what `presswash seed` "
                "queued; to seed on schedule for long-running workers, use --seed-only (docs/scaling.md)"
            )
    return run_scheduler(
        args.config,
        output_dir=args.output,
        sites=args.sites,
        clean_config=args.clean_config,
        state=args.state,
        settings=settings,
        command=command,
        run_now=args.run_now,
        lock_dir=lock_dir,
    )


def seed_command_template(config: str | None, clean_config: str | None) -> list[str]:
    """The command of a --seed-only tick (placeholders as in :func:`run_scheduler`'s ``command``)."""
    command = ["{python}", "-m", "crawler.cli", "seed", "--site", "{site}"]
    if config:
        command += ["--sites", "{config}"]
    if clean_config:
        command += ["--config", "{clean_config}"]
    return command
