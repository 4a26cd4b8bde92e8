"""The ``presswash`` command. Thin: argument parsing and exit codes; the work lives in cleaners/ and crawler/."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from cleaners.config import ConfigError
from cleaners.redact import RedactingStream, redact

EXIT_OK = 0
EXIT_INPUT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _clean_command(args: argparse.Namespace) -> int:
    from cleaners.batch import OutputError, clean_inputs
    from cleaners.fetch import Fetcher, is_url, read_url_list
    from cleaners.options import load_options

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
    dedup = None
    if args.dedup:
        from crawler.config import load_recurring_settings

        dedup = load_recurring_settings(args.config).dedup
    fetcher = None
    if any(is_url(spec) for spec in specs):
        fetcher = Fetcher(max_bytes=load_options(args.config).max_bytes, timeout=args.timeout, delay=args.delay)
    previous = signal.signal(signal.SIGTERM, _terminate)  # SIGTERM ends the run like Ctrl-C: stats written
    try:
        stats = clean_inputs(
            specs,
            total=count_documents(specs) if progress else None,
            output=output if to_file else None,
            workers=args.workers,
            config_path=args.config,
            progress=progress,
            dedup=dedup,
            articles_only=args.articles_only,
            append=args.append,
            resume=args.resume,
            fetch=fetcher,
        )
    except OutputError as exc:  # the output cannot even be opened (or another run is writing it)
        print(f"presswash: {exc.strerror}; nothing cleaned", file=sys.stderr)
        return EXIT_INPUT_FAILED
    finally:
        signal.signal(signal.SIGTERM, previous)
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

    clean = commands.add_parser(
        "clean",
        parents=[common],
        help="clean files, directories, WARC archives or URLs into JSON lines",
        description="Clean raw pages (local files, or URLs fetched politely) into one JSON line per article.",
    )
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
    clean.set_defaults(handler=_clean_command)

    from crawler.crawl import add_crawl_arguments, crawl_command
    from crawler.runlog import add_runs_arguments, runs_command
    from crawler.scheduler import add_schedule_arguments, schedule_command

    crawl = commands.add_parser(
        "crawl",
        parents=[common],
        help="crawl the sites of config/sites.yaml into output/<site>/<date>.jsonl",
        description="Crawl several sites in one process (Scrapy), cleaning every article page.",
    )
    add_crawl_arguments(crawl)
    crawl.set_defaults(handler=crawl_command, scrapy_logging=True)
    schedule = commands.add_parser(
        "schedule",
        parents=[common],
        help="run each site's crawl at its cron schedule (long-running)",
        description="Run each site's crawl at the cron `schedule` of config/sites.yaml, one subprocess per run.",
    )
    add_schedule_arguments(schedule)
    schedule.set_defaults(handler=schedule_command)
    runs = commands.add_parser("runs", parents=[common], help="list past runs from the run log (--json for JSON lines)")
    add_runs_arguments(runs)
    runs.set_defaults(handler=runs_command)

    from crawler.postgres import add_load_arguments, load_command
    from crawler.redis_mode import add_seed_arguments, seed_command

    seed = commands.add_parser(
        "seed",
        parents=[common],
        help="queue a site's feeds, sitemaps and start URLs in Redis (shared crawl)",
        description="Queue each site's entry points in Redis; `presswash crawl --site NAME` processes, on any "
        "machine, then crawl it together (docs/scaling.md).",
    )
    add_seed_arguments(seed)
    seed.set_defaults(handler=seed_command)
    load = commands.add_parser(
        "load",
        parents=[common],
        help="load JSON lines into PostgreSQL, idempotently",
        description="Upsert the articles of JSON-lines files into PostgreSQL; loading twice changes nothing.",
    )
    add_load_arguments(load)
    load.set_defaults(handler=load_command)
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


if __name__ == "__main__":
    sys.exit(main())
