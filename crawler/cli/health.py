"""``presswash health``: per-site health across runs, with drift against each site's baseline (``--check``
for cron). The rows are written by crawler.extensions.health and judged by crawler.health. Reference:
docs/health.md."""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import IO, Any

from cleaners.redact import redact
from crawler.cli.exits import EXIT_DRIFT, EXIT_OK, EXIT_USAGE

_SPARKS = "▁▂▃▄▅▆▇█"


def _state_location(args: argparse.Namespace) -> str:
    """The state store of `presswash crawl` with the same --config and --output (as `presswash runs`)."""
    return state_location_of(args.state, args.config, args.output)


def state_location_of(state: str | None, config: str | None, output: str) -> str:
    """``state`` when given, else where `presswash crawl --config CONFIG --output OUTPUT` keeps its state."""
    from crawler.config import load_config, load_scale_settings, state_location

    if state:
        return str(state)
    scale = load_scale_settings(config)
    return state_location(
        output,
        load_config(config).file.state,
        redis_url=scale.redis_url,
        redis_prefix=scale.redis_prefix,
    )


def add_site_memory_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the site memory is: the options `presswash health` and `presswash rules` share."""
    parser.add_argument("--site", metavar="NAME", help="only this site")
    parser.add_argument("--config", metavar="FILE", help="presswash.yaml (state.path, thresholds), as for crawl")
    parser.add_argument("--output", metavar="DIR", default="output", help="output directory of the crawl (output)")
    parser.add_argument("--state", metavar="PATH", help="state file or redis:// location (default: as the crawl)")


def add_health_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `presswash health` (crawler.cli adds them to its sub-command)."""
    add_site_memory_arguments(parser)
    parser.add_argument("--runs", metavar="N", type=int, default=10, help="runs per site, newest last (10)")
    parser.add_argument("--json", action="store_true", help="one JSON object per site and run")
    parser.add_argument("--plot", metavar="FILE", help="also draw the trend as a PNG (needs matplotlib)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a site's newest run drifts from its baseline")


def open_site_memory_of(args: argparse.Namespace) -> Any:
    """The site memory (crawler.state.interfaces.SiteMemory) the options name, or None (said on stderr)
    when there is no state yet."""
    from crawler.state.site_memory import open_site_memory

    location = _state_location(args)
    if "://" not in location and not Path(location).exists():
        print(f"presswash: no state yet ({location} does not exist): crawl first", file=sys.stderr)
        return None
    return open_site_memory(location, readonly="://" not in location)


def health_command(args: argparse.Namespace, stream: IO[str] | None = None) -> int:
    """Show each site's health rows; with --check, exit 1 when a site's newest run drifted."""
    from crawler.config import load_config
    from crawler.health import MAX_PROCESSES_PER_RUN, judge_merged, verdict

    out = stream or sys.stdout
    settings = load_config(args.config).file.health
    memory = open_site_memory_of(args)
    if memory is None:
        return EXIT_USAGE if args.check else 1
    try:
        wanted = max(args.runs, settings.baseline_runs + 1)
        rows = memory.health(args.site, wanted * MAX_PROCESSES_PER_RUN)  # whole runs of many processes
    finally:
        memory.close()
    by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_site[row["site"]].append(row)
    # The processes of one scaled-out run (run ids sharing the part before '+') become one row, judged
    # on merged rows; only the runs asked for (and the baseline) are kept.
    by_site = defaultdict(
        list, {site: judge_merged(site_rows, settings)[-wanted:] for site, site_rows in by_site.items()}
    )
    if not by_site:
        print("presswash: no health recorded" + (f" for {args.site}" if args.site else ""), file=sys.stderr)
        return EXIT_OK
    verdicts = {site: verdict(site_rows, settings) for site, site_rows in by_site.items()}
    shown = {site: site_rows[-max(1, args.runs) :] for site, site_rows in by_site.items()}
    if args.json:
        for site_rows in shown.values():
            for row in site_rows:
                out.write(redact(json.dumps(row, ensure_ascii=False, sort_keys=True)) + "\n")
    else:
        out.write(format_health(shown, verdicts) + "\n")
    if args.plot:
        status = plot_health(shown, Path(args.plot))
        if status:
            return status
    if args.check:
        drifted = sorted(site for site, (status, _) in verdicts.items() if status == "drift")
        for site, (status, reasons) in sorted(verdicts.items()):
            if status == "no_baseline":
                print(f"presswash: {site}: no verdict: {reasons[0]}", file=sys.stderr)
        if drifted:
            print(f"presswash: drift in {', '.join(drifted)} (docs/health.md: what to do)", file=sys.stderr)
            return EXIT_DRIFT
    return EXIT_OK


def sparkline(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = (high - low) or 1.0
    return "".join(" " if v is None else _SPARKS[int((v - low) / span * (len(_SPARKS) - 1))] for v in values)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


_COLUMNS = ("run", 24, "written", 7, "rejected", 8, "words", 6, "title", 5, "author", 6, "date", 5, "flagged", 7)


def format_health(by_site: dict[str, list[dict[str, Any]]], verdicts: dict[str, tuple[str, list[str]]]) -> str:
    """Per site: a sparkline of articles written and median words, then one line per run (oldest first)."""
    names, widths = _COLUMNS[::2], _COLUMNS[1::2]
    blocks = []
    for site in sorted(by_site):
        rows = by_site[site]
        status, reasons = verdicts[site]
        lines = [
            f"{site}: {status}" + (f": {'; '.join(reasons)}" if reasons and status != "ok" else ""),
            f"  written {sparkline([r.get('written') for r in rows])}   "
            f"median words {sparkline([r.get('median_words') for r in rows])}",
            "  " + "  ".join(str(n).ljust(w) for n, w in zip(names, widths, strict=True)).rstrip() + "  drift",
        ]
        for row in rows:
            cells = (
                row.get("run_id", "-"),
                row.get("written"),
                sum((row.get("rejected") or {}).values()),
                "-" if row.get("median_words") is None else f"{row['median_words']:g}",
                _pct(row.get("share_title")),
                _pct(row.get("share_author")),
                _pct(row.get("share_date")),
                _pct(row.get("share_flagged")),
            )
            text = "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))
            lines.append(f"  {text}  {'; '.join(row.get('drift') or []) or '-'}")
        blocks.append("\n".join(lines))
    return redact("\n\n".join(blocks))


def plot_health(by_site: dict[str, list[dict[str, Any]]], path: Path) -> int:
    """Articles written and median words per run, one line per site, as a PNG at ``path``. matplotlib is
    optional (the `plot` extra): without it, say so and return EXIT_USAGE, after the table was shown."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(
            f"presswash: --plot {path} needs matplotlib, which is not installed: "
            "pip install 'presswash[plot]' (or matplotlib); the table above is complete, no PNG was written",
            file=sys.stderr,
        )
        return EXIT_USAGE
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=False)
    for site, rows in sorted(by_site.items()):
        top.plot([r.get("written") or 0 for r in rows], marker="o", label=site)
        bottom.plot([r.get("median_words") or 0 for r in rows], marker="o", label=site)
    top.set_ylabel("articles written")
    bottom.set_ylabel("median words")
    bottom.set_xlabel("run (oldest first)")
    top.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return EXIT_OK


__all__ = [
    "add_health_arguments",
    "add_site_memory_arguments",
    "format_health",
    "health_command",
    "open_site_memory_of",
    "plot_health",
    "sparkline",
    "state_location_of",
]
