"""``presswash rules suggest --site NAME``: a site's learned template (crawler.pipelines.site_template,
kept in the state's site memory) printed as per-site rules to review and paste into sites.yaml.
Reference: docs/health.md."""

from __future__ import annotations

import argparse
import sys
from typing import IO

from crawler.cli.exits import EXIT_OK, EXIT_USAGE
from crawler.cli.health import add_site_memory_arguments, open_site_memory_of


def add_rules_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `presswash rules` (crawler.cli adds them to its sub-command)."""
    parser.add_argument(
        "action", choices=["suggest"], help="suggest: print the site's learned template as per-site rules (YAML)"
    )
    add_site_memory_arguments(parser)


def rules_suggest_command(args: argparse.Namespace, stream: IO[str] | None = None) -> int:
    """Print the newest learned template of ``--site`` as rules; 1 when nothing was learned yet."""
    from cleaners.site_template import suggest_rules

    out = stream or sys.stdout
    if not args.site:
        print("presswash: rules suggest needs --site NAME", file=sys.stderr)
        return EXIT_USAGE
    memory = open_site_memory_of(args)
    if memory is None:
        return 1
    try:
        templates = memory.templates(args.site)
    finally:
        memory.close()
    if not templates:
        print(
            f"presswash: nothing learned for {args.site} yet (site_template.min_pages articles are needed)",
            file=sys.stderr,
        )
        return 1
    _, newest = templates[-1]  # the set learned at the end of the latest run
    out.write(suggest_rules(newest))
    return EXIT_OK


__all__ = ["add_rules_arguments", "rules_suggest_command"]
