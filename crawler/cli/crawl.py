"""``presswash crawl``: crawl the sites of sites.yaml in one process (crawler.runner.run_crawl)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cleaners.config import ConfigError
from crawler.sites import split_config_args


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def add_crawl_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `presswash crawl` (the CLI module adds them to its sub-command)."""
    parser.add_argument(
        "--sites",
        metavar="FILE",
        dest="sites_file",
        help="sites file (default: $PRESSWASH_SITES_CONFIG, config/sites.yaml)",
    )
    parser.add_argument(
        "--config", metavar="FILE", help="presswash.yaml: cleaning, state, dedup (default: $PRESSWASH_CONFIG, config/)"
    )
    parser.add_argument(
        "--site", metavar="NAME", action="append", dest="sites", help="site to crawl (repeatable; default: all)"
    )
    parser.add_argument("--output", metavar="DIR", help="output directory (default: output)")
    parser.add_argument("--clean-config", metavar="FILE", help=argparse.SUPPRESS)  # the old name of --config
    parser.add_argument("--contact-url", metavar="URL", help="contact URL put in the User-Agent")
    parser.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        type=_key_value,
        default=[],
        help='a Scrapy setting, e.g. --set DOWNLOAD_TIMEOUT=10 or --set FEEDS=\'{"s3://b/%%(name)s.jl": '
        '{"format": "jsonlines"}}\' (repeatable)',
    )
    parser.add_argument("--log-level", metavar="LEVEL", help="Scrapy's LOG_LEVEL (default: INFO)")


def crawl_command(args: argparse.Namespace) -> int:
    """Run `presswash crawl` from parsed arguments; returns the exit status."""
    from crawler.runner import EXIT_CONFIG, run_crawl  # here: every command builds this parser, few crawl

    overrides: dict[str, Any] = dict(args.set)
    try:
        sites_file, clean_config = split_config_args(args.config, args.sites_file, args.clean_config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    if clean_config:
        overrides["PRESSWASH_CONFIG"] = clean_config
    if args.contact_url:
        overrides["PRESSWASH_CONTACT_URL"] = args.contact_url
    if args.log_level:
        overrides["LOG_LEVEL"] = args.log_level.upper()
    return run_crawl(sites_file, args.sites, args.output, overrides, verbose=bool(getattr(args, "verbose", False)))
