"""``presswash rules``: a site's learned template (crawler.pipelines.site_template, kept in the state's site
memory). ``suggest`` prints it as per-site rules to review and paste into sites.yaml; ``versions`` lists
every learned set a crawl applied; ``export`` writes sets as JSON for ``presswash clean --learned FILE``, so
a raw archive is re-cleaned with exactly the set its records name. Reference: docs/health.md."""

from __future__ import annotations

import argparse
import sys
from typing import IO, Any

from crawler.cli.exits import EXIT_OK, EXIT_USAGE
from crawler.cli.health import add_site_memory_arguments, open_site_memory_of


def add_rules_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `presswash rules` (crawler.cli adds them to its sub-command)."""
    parser.add_argument(
        "action",
        choices=["suggest", "versions", "export"],
        help="suggest: the site's newest learned template as per-site rules (YAML); versions: every learned "
        "set of the site; export: learned sets as JSON for `presswash clean --learned FILE`",
    )
    add_site_memory_arguments(parser)
    parser.add_argument(
        "--version",
        metavar="HASH",
        action="append",
        help="export: this learned version (the hash after +learned: in a record's rules_version); "
        "repeatable; default: the newest",
    )


def _templates(args: argparse.Namespace) -> list[tuple[str, Any]] | None:
    """The site's learned sets (created_at, LearnedTemplate), oldest first; None (said on stderr) when
    there are none."""
    if not args.site:
        print(f"presswash: rules {args.action} needs --site NAME", file=sys.stderr)
        return None
    memory = open_site_memory_of(args)
    if memory is None:
        return None
    try:
        templates = memory.templates(args.site)
    finally:
        memory.close()
    if not templates:
        print(
            f"presswash: nothing learned for {args.site} yet (site_template.min_pages articles are needed)",
            file=sys.stderr,
        )
        return None
    return templates


def rules_command(args: argparse.Namespace, stream: IO[str] | None = None) -> int:
    """Dispatch on the action; 1 when nothing was learned for the site yet, 2 on a usage error."""
    from cleaners.site_template import export_learned, suggest_rules

    out = stream or sys.stdout
    if args.version and args.action != "export":
        print("presswash: --version goes with `rules export`", file=sys.stderr)
        return EXIT_USAGE
    templates = _templates(args)
    if templates is None:
        return EXIT_USAGE if not args.site else 1
    if args.action == "suggest":
        _, newest = templates[-1]  # the set learned at the end of the latest run
        out.write(suggest_rules(newest))
    elif args.action == "versions":
        for created_at, template in templates:
            out.write(f"{template.version}  {created_at}  {len(template.lines)} lines  {template.pages} articles\n")
    else:
        by_version = {template.version: template for _, template in templates}
        wanted = args.version or [templates[-1][1].version]
        unknown = [v for v in wanted if v not in by_version]
        if unknown:
            print(
                f"presswash: {args.site}: no learned version {', '.join(unknown)}; known: {', '.join(by_version)}",
                file=sys.stderr,
            )
            return 1
        out.write(export_learned(by_version[v] for v in dict.fromkeys(wanted)))
    return EXIT_OK


def rules_suggest_command(args: argparse.Namespace, stream: IO[str] | None = None) -> int:
    """`rules suggest` (kept for callers of the earlier name)."""
    args.action = "suggest"
    if not hasattr(args, "version"):
        args.version = None
    return rules_command(args, stream)


__all__ = ["add_rules_arguments", "rules_command", "rules_suggest_command"]
