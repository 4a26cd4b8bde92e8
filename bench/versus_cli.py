"""``presswash clean`` against what a user would run instead: the trafilatura command line, on two processes.

Both clean the same real pages (the scrapinghub development pages, ``--copies`` copies each, so the run is
long enough to time), with their full pipelines and metadata:

    A: presswash clean DIR -o OUT.jsonl --workers 2 -q
    B: trafilatura --input-dir DIR -o OUTDIR --json --with-metadata --no-comments --parallel 2

Runs alternate A, B, A, B... (``--pairs`` pairs) so that a noisy neighbour hits both alike; each run is
timed from outside (wall time, CPU of the process tree). The figure is the median of the per-pair ratios
of documents per second. Start-up is inside the wall time for both, as a user sees it.

    python -m bench.versus_cli                  # 6 copies of 92 pages, 3 pairs
    python -m bench.versus_cli --copies 3 --pairs 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench._corpus import PROJECT_ROOT, BenchDataMissing, bench_pages
from bench.throughput import measure


def write_pages(target: Path, copies: int) -> int:
    """Each benchmark page ``copies`` times, each copy with a distinct comment (no layer can cache)."""
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for copy in range(copies):
        for page_id, content in bench_pages():
            (target / f"{page_id[:16]}-{copy}.html").write_bytes(content + f"\n<!-- copy {copy} -->\n".encode())
            count += 1
    return count


def trafilatura_cli() -> str:
    found = shutil.which("trafilatura", path=str(Path(sys.executable).parent)) or shutil.which("trafilatura")
    if found is None:
        raise RuntimeError("the trafilatura command line is not installed beside this Python")
    return found


def run(copies: int, pairs: int, workers: int) -> dict[str, object]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="presswash-versus-") as tmp:
        pages = Path(tmp) / "pages"
        count = write_pages(pages, copies)
        for pair in range(pairs):
            out_a = Path(tmp) / f"a-{pair}.jsonl"
            ours = [sys.executable, "-m", "crawler.cli", "clean", str(pages), "-o", str(out_a), "-q"]
            a = measure([*ours, "--workers", str(workers)])
            out_b = Path(tmp) / f"b-{pair}"
            theirs = [trafilatura_cli(), "--input-dir", str(pages), "-o", str(out_b), "--json", "--with-metadata"]
            b = measure([*theirs, "--no-comments", "--parallel", str(workers)])
            for side in (a, b):
                side["docs_per_s"] = round(count / side["wall_s"], 1)
                side["cpu_ms_per_doc"] = round(1000 * side["cpu_s"] / count, 1)
            row = {"pair": pair + 1, "presswash": a, "trafilatura_cli": b}
            row["ratio_docs_per_s"] = round(a["docs_per_s"] / b["docs_per_s"], 3)
            row["ratio_cpu_per_doc"] = round(a["cpu_ms_per_doc"] / b["cpu_ms_per_doc"], 3)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "documents": count,
        "workers": workers,
        "pairs": rows,
        "median_ratio_docs_per_s": statistics.median(r["ratio_docs_per_s"] for r in rows),
        "median_ratio_cpu_per_doc": statistics.median(r["ratio_cpu_per_doc"] for r in rows),
        "median_presswash_docs_per_s": statistics.median(r["presswash"]["docs_per_s"] for r in rows),
        "median_trafilatura_cli_docs_per_s": statistics.median(r["trafilatura_cli"]["docs_per_s"] for r in rows),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=6, help="copies of each benchmark page")
    parser.add_argument("--pairs", type=int, default=3, help="A/B pairs, alternated")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", default=str(PROJECT_ROOT / "output" / "bench" / "versus_cli.json"))
    args = parser.parse_args(argv)
    try:
        results = run(args.copies, args.pairs, args.workers)
    except BenchDataMissing as exc:
        print(f"bench.versus_cli: {exc}", file=sys.stderr)
        return 1 if os.environ.get("CI") == "true" else 0
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "pairs"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
