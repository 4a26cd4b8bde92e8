"""``presswash clean PATH|URL...``: local files, WARC archives or URLs into JSON lines (cleaners.batch)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from crawler.cli.exits import EXIT_INPUT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE


def add_clean_arguments(clean: argparse.ArgumentParser) -> None:
    """The options of `presswash clean` (crawler.cli adds them to its sub-command)."""
    clean.add_argument(
        "paths",
        nargs="*",
        help="files, directories (recursive), globs, http(s) URLs, or - for stdin (gzip is recognised)",
    )
    clean.add_argument("--urls", metavar="FILE", help="a file of URLs to fetch and clean, one per line (- for stdin)")
    clean.add_argument(
        "-o",
        "--output",
        help="JSON-lines file, written as FILE.partial and renamed when the run ends (default: stdout)",
    )
    clean.add_argument("--append", action="store_true", help="append to -o FILE instead of replacing it")
    clean.add_argument(
        "--resume",
        action="store_true",
        help="keep the lines of an interrupted run (FILE.partial, or FILE with --append) and skip their inputs",
    )
    clean.add_argument("--stats", help="where to write the run's stats JSON (default: OUTPUT.stats.json)")
    clean.add_argument(
        "--config", metavar="FILE", help="presswash.yaml (default: $PRESSWASH_CONFIG, ./config/, the built-in one)"
    )
    clean.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a URL (default: 30)")
    clean.add_argument("--delay", type=float, default=1.0, help="seconds between two requests to one host (default: 1)")
    clean.add_argument("--workers", type=int, default=2, help="worker processes (default: 2; 1 = no pool)")
    clean.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    clean.add_argument(
        "--dedup",
        action="store_true",
        help="drop duplicates within this run (URL, content, near: the dedup section of presswash.yaml) and "
        "number updates of the same URL as versions, as a crawl does",
    )
    clean.add_argument(
        "--articles-only",
        action="store_true",
        help="reject pages that are not articles (listings, products, forums...: the record's page_type) "
        "as not_article; without it they are written, labelled",
    )
    clean.add_argument(
        "--learn-template",
        action="store_true",
        help="learn each site's recurring lines (sites by the registered domain of the URL) and remove them "
        "as site_template once enough pages were seen (presswash.yaml site_template:, docs/health.md)",
    )
    clean.add_argument(
        "--learned",
        metavar="FILE",
        action="append",
        help="apply these learned sets as they are, learning nothing (JSON from `presswash rules export`): "
        "re-cleaning a crawl's raw archive with the set its records name gives the same records; repeatable",
    )
    clean.add_argument(
        "--site-template",
        metavar="SITE@VERSION",
        action="append",
        help="the same, with a learned set read from the crawl's state (`presswash rules versions --site SITE` "
        "lists them; --state or --config say where the state is); repeatable",
    )
    clean.add_argument(
        "--state", metavar="PATH", help="state file or redis:// location for --site-template (default: as the crawl)"
    )
    clean.add_argument(
        "--site",
        metavar="NAME",
        help="clean every input with this site's own cleaning from the sites file (its min_words, languages, "
        "articles_only, boilerplate: remove/keep rules), as its crawl did",
    )
    clean.add_argument(
        "--sites",
        metavar="FILE",
        dest="sites_file",
        help="sites file for --site (default: $PRESSWASH_SITES_CONFIG, config/sites.yaml, the built-in one)",
    )


def clean_command(args: argparse.Namespace) -> int:
    from cleaners.batch import OutputError, clean_inputs
    from cleaners.fetch import Fetcher, is_url, read_url_list
    from crawler.config import load_config

    specs = list(args.paths)
    if args.urls:
        try:
            specs += read_url_list(args.urls)
        except OSError as exc:
            print(f"presswash: {args.urls}: cannot read the URL list: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
    if not specs:
        print(
            "presswash clean: nothing to clean: give files, directories, globs, URLs, - or --urls FILE", file=sys.stderr
        )
        return EXIT_USAGE
    output = args.output
    to_file = bool(output) and output != "-"
    if (args.append or args.resume) and not to_file:
        print("presswash: --append and --resume need -o FILE", file=sys.stderr)
        return EXIT_USAGE
    stats_path = args.stats or (f"{output}.stats.json" if to_file else None)
    progress = not args.quiet and sys.stderr.isatty()
    config = load_config(args.config)  # every section checked, once: the cleaning options, dedup
    dedup = config.file.dedup if args.dedup else None
    fetcher = None
    if any(is_url(spec) for spec in specs):
        fetcher = Fetcher(max_bytes=config.options.max_bytes, timeout=args.timeout, delay=args.delay)
    if args.learn_template and (args.learned or args.site_template):
        print(
            "presswash: --learn-template learns; --learned and --site-template apply a fixed set: pick one",
            file=sys.stderr,
        )
        return EXIT_USAGE
    site = site_of(args)
    overrides = site.cleaning_overrides if site is not None else ()
    min_words = site.min_words if site is not None and site.min_words is not None else config.options.min_words
    site_rules = None
    if site is not None:
        from crawler.sites import site_rules_of

        site_rules = site_rules_of(site)
    stage = None
    if args.learn_template:
        from cleaners.site_template import BatchTemplateStage

        stage = BatchTemplateStage(config.file.site_template, min_words, site_rules)
    elif args.learned or args.site_template:
        from cleaners.site_template import FixedTemplateStage

        stage = FixedTemplateStage(fixed_templates(args), min_words, site_rules)
    previous = signal.signal(signal.SIGTERM, _terminate)  # SIGTERM ends the run like Ctrl-C: stats written
    try:
        stats = clean_inputs(
            specs,
            total=count_documents(specs) if progress else None,
            output=output if to_file else None,
            workers=args.workers,
            config_path=args.config,
            options=config.options,
            progress=progress,
            dedup=dedup,
            articles_only=args.articles_only,
            append=args.append,
            resume=args.resume,
            fetch=fetcher,
            learn_template=stage,
            overrides=overrides,
        )
    except OutputError as exc:  # the output cannot even be opened (or another run is writing it)
        print(f"presswash: {exc.strerror}; nothing cleaned", file=sys.stderr)
        return EXIT_INPUT_FAILED
    finally:
        signal.signal(signal.SIGTERM, previous)
    if stage is not None:
        stats.extra["site_template"] = stage.summary()
    if fetcher is not None:
        stats.extra["fetch"] = fetcher.summary()  # every URL that could not be fetched, with why
    if stats_path:
        try:
            stats.write_json(stats_path)
        except OSError as exc:
            print(f"presswash: cannot write the stats to {stats_path}: {exc.strerror or exc}", file=sys.stderr)
    stats.print_summary()
    # Each input that gave no article, on stderr (the first few of each reason; all are counted above).
    for reason, examples in stats.examples.items():
        kind = "failed" if reason in stats.failed else "rejected"
        for example in examples:
            print(f"presswash: {kind}: {example['source']}: {reason}: {example['detail']}", file=sys.stderr)
        shown = len(examples)
        total = stats.failed.get(reason, 0) + stats.rejected.get(reason, 0)
        if total > shown:
            print(f"presswash: {kind}: ... and {total - shown} more {reason} (stats JSON)", file=sys.stderr)
    partial = stats.extra.get("partial_output")
    resume = f"; the lines so far are in {partial}: run again with --resume to go on" if partial else ""
    if "output_error" in stats.extra:
        print(f"presswash: stopped: {stats.extra['output_error']}{resume}", file=sys.stderr)
    elif stats.extra.get("interrupted"):
        print(f"presswash: interrupted; every line written so far is whole{resume}", file=sys.stderr)
    elif partial:
        print(f"presswash: stopped early{resume}", file=sys.stderr)
    if stats.extra.get("interrupted"):
        return EXIT_INTERRUPTED
    return EXIT_INPUT_FAILED if stats.total_failed or "output_error" in stats.extra else EXIT_OK


def site_of(args: argparse.Namespace) -> Any:
    """The SiteConfig of --site NAME (None without it), from the sites file the crawl reads (--sites,
    $PRESSWASH_SITES_CONFIG, config/sites.yaml, the built-in one): ConfigError naming the site and the file
    when there is no such site."""
    if args.site is None:
        if args.sites_file:
            from cleaners.config import ConfigError

            raise ConfigError(f"--sites {args.sites_file}: give --site NAME to clean as one of its sites")
        return None
    from crawler.config import load_sites_config

    return load_sites_config(args.sites_file).get(args.site)


def fixed_templates(args: argparse.Namespace) -> list[Any]:
    """The learned sets of --learned FILE and --site-template SITE@VERSION (ConfigError naming what is
    missing: the file, the site or the version)."""
    from cleaners.config import ConfigError
    from cleaners.site_template import load_learned, parse_site_version

    templates = [template for path in args.learned or [] for template in load_learned(path)]
    if not args.site_template:
        return templates
    try:
        wanted = [parse_site_version(text) for text in args.site_template]
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    from crawler.cli.health import state_location_of
    from crawler.state.site_memory import open_site_memory

    location = state_location_of(args.state, args.config, "output")
    if "://" not in location and not Path(location).exists():
        raise ConfigError(f"--site-template: no state at {location} (give --state PATH or --config FILE)")
    memory = open_site_memory(location, readonly="://" not in location)
    try:
        for site, version in wanted:
            known = {template.version: template for _, template in memory.templates(site)}
            if version not in known:
                raise ConfigError(
                    f"--site-template {site}@{version}: no such learned set in {location}"
                    + (f" (known: {', '.join(known)})" if known else f" (nothing learned for {site})")
                )
            templates.append(known[version])
    finally:
        memory.close()
    return templates


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def count_documents(specs: list[str]) -> int | None:
    """How many documents the inputs hold, for the progress bar (its total and ETA); None when a WARC
    archive is among them (its records are only known by reading it)."""
    import glob

    from cleaners.fetch import is_url
    from cleaners.sources import is_supported, is_warc

    total = 0
    for spec in specs:
        if spec == "-" or is_url(spec):
            total += 1
            continue
        path = Path(spec)
        if path.is_dir():
            files = [p.name for p in path.rglob("*") if p.is_file() and is_supported(p.name)]
        elif path.exists():
            files = [path.name]
        else:
            files = [Path(p).name for p in glob.glob(spec, recursive=True) if Path(p).is_file()] or [spec]
        if any(is_warc(name) for name in files):
            return None
        total += len(files)
    return total
