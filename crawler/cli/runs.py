"""``presswash runs``: past runs of every site from the run log, however they were started."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cleaners.redact import redact
from crawler.config import load_recurring_settings, state_location

if TYPE_CHECKING:
    from crawler.state.records import RunRecord

_COLUMNS = (
    ("started", 20),
    ("ended", 20),
    ("site", 12),
    ("status", 11),
    ("exit", 4),
    ("pages", 6),
    ("articles", 8),
    ("rejected", 8),
    ("failed", 6),
    ("dup", 5),
    ("trigger", 8),
    ("run id", 0),
)


def _short_time(value: str | None) -> str:
    from crawler.state.records import parse_iso  # here: every command builds the CLI's parser

    moment = parse_iso(value)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def format_runs(runs: Sequence[RunRecord]) -> str:
    """A plain table, one run per line, newest first; times in the local time zone."""
    lines = ["  ".join(name.ljust(width) if width else name for name, width in _COLUMNS).rstrip()]
    for run in runs:
        cells = (
            _short_time(run.started_at),
            _short_time(run.finished_at),
            run.site,
            run.status,
            _cell(run.exit_code),
            _cell(run.pages),
            _cell(run.articles),
            _cell(run.rejected),
            _cell(run.failed),
            _cell(run.duplicates),
            run.trigger or "-",
            run.run_id,
        )
        row = "  ".join(cell.ljust(width) if width else cell for cell, (_, width) in zip(cells, _COLUMNS, strict=True))
        lines.append(row.rstrip())
        if run.detail and run.status not in ("ok", "running"):
            lines.append(f"    {run.detail}")
    return "\n".join(lines)


def _with_stale_runs_marked(location: str, runs: list[RunRecord]) -> list[RunRecord]:
    """Runs left "running" by a killed process shown (and, when the store is writable, recorded) as
    interrupted (crawler.state.stale_run)."""
    from crawler.state import open_state_store
    from crawler.state.records import stale_run

    marked = {run.run_id: stale for run in runs if (stale := stale_run(run)) is not None}
    if not marked:
        return runs
    try:
        store = open_state_store(location)
        try:
            for stale in marked.values():
                store.put_run(stale)
        finally:
            store.close()
    except Exception as exc:  # shown all the same; recorded by the next writer (the scheduler's start)
        print(f"presswash: could not record {len(marked)} stale run(s) as interrupted: {exc}", file=sys.stderr)
    return [marked.get(run.run_id, run) for run in runs]


def add_runs_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `presswash runs` (crawler.cli adds them to its sub-command)."""
    parser.add_argument("--site", metavar="NAME", help="only this site's runs")
    parser.add_argument("--limit", metavar="N", type=int, default=20, help="how many runs, newest first (20)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    parser.add_argument("--output", metavar="DIR", default="output", help="output directory (default: output)")
    parser.add_argument("--state", metavar="PATH", help="state file (default: from presswash.yaml, output/...)")
    parser.add_argument("--config", metavar="FILE", dest="clean_config", help="presswash.yaml to read state.path from")
    parser.add_argument("--clean-config", metavar="FILE", dest="clean_config", help=argparse.SUPPRESS)  # old name
    parser.set_defaults(handler=runs_command)


def runs_command(args: argparse.Namespace, stream: IO[str] | None = None) -> int:
    """List past runs from the run log; returns the exit status (0, or 1 when there is no state yet)."""
    from crawler.state import open_state_store

    out = stream or sys.stdout
    from crawler.config import load_scale_settings

    scale = load_scale_settings(args.clean_config)  # a shared crawl's run log is in its Redis
    location = args.state or state_location(
        args.output,
        load_recurring_settings(args.clean_config).state,
        redis_url=scale.redis_url,
        redis_prefix=scale.redis_prefix,
    )
    if "://" not in location and not Path(location).exists():
        print(f"presswash: no run log yet ({location} does not exist)", file=sys.stderr)
        return 1
    store = open_state_store(location, readonly=True)
    try:
        runs = store.list_runs(args.site, max(1, args.limit))
    finally:
        store.close()
    runs = _with_stale_runs_marked(location, runs)
    if args.json:
        for run in runs:
            out.write(redact(json.dumps(asdict(run), ensure_ascii=False)) + "\n")
    elif runs:
        out.write(redact(format_runs(runs)) + "\n")  # a run's error may quote a connection string
    else:
        print("presswash: no runs recorded" + (f" for {args.site}" if args.site else ""), file=sys.stderr)
    return 0
