"""``presswash load FILE.jsonl... --postgres DSN``: load (or backfill) JSON lines into PostgreSQL, idempotently."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING

from crawler.sinks.postgres import (
    POSTGRES_DSN_ENV,
    LoadCounts,
    _psycopg,
    check_dsn,
    connect,
    iter_files,
    load_records,
    redact_dsn,
)

if TYPE_CHECKING:
    pass


logger = logging.getLogger(__name__)


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `presswash load` (the CLI module adds them to its sub-command)."""
    parser.add_argument("paths", nargs="+", metavar="FILE.jsonl", help="JSON-lines files written by presswash")
    parser.add_argument(
        "--postgres",
        metavar="DSN",
        default=None,
        help=f"PostgreSQL DSN, e.g. postgresql://user@host/db (default: ${POSTGRES_DSN_ENV})",
    )
    parser.add_argument("--schema", metavar="NAME", help="schema of the articles table (default: current schema)")
    parser.add_argument("--batch-size", type=int, default=500, metavar="N", help="rows per statement (default 500)")


def load_command(args: argparse.Namespace) -> int:
    """Load JSON lines into PostgreSQL; idempotent (loading twice changes nothing). Exit 0, 1 if a file
    could not be read, a line was not an article or a row was refused, 2 without a DSN."""
    dsn = args.postgres or os.environ.get(POSTGRES_DSN_ENV)
    if not dsn:
        print(f"presswash load: give --postgres DSN (or set {POSTGRES_DSN_ENV})", file=sys.stderr)
        return 2
    check_dsn(dsn)
    psycopg = _psycopg()
    total = LoadCounts()
    status = 0
    try:
        conn = connect(dsn)
    except psycopg.OperationalError as exc:
        print(f"presswash load: cannot connect to {redact_dsn(dsn)}: {str(exc).strip()}", file=sys.stderr)
        return 1
    with conn:
        for path, records in iter_files(args.paths):
            try:
                counts = load_records(conn, records, schema=args.schema, batch_size=max(1, args.batch_size))
            except OSError as exc:
                print(f"presswash load: {path}: {exc}", file=sys.stderr)
                status = 1
                continue
            except psycopg.OperationalError as exc:
                print(f"presswash load: {path}: {str(exc).strip()}", file=sys.stderr)
                return 1
            for error in counts.errors:
                print(f"presswash load: {path}: {error}", file=sys.stderr)
            total.add(counts)
    if total.invalid or total.failed:
        status = 1
    parts = ", ".join(f"{name} {value}" for name, value in total.as_dict().items())
    print(f"presswash load: {parts}", file=sys.stderr)
    return status
