"""Throughput and memory of ``presswash clean`` against bare single-process trafilatura, in one run.

Both sides clean the same HTML files (benchmark pages reused many times). Each side runs in its own
subprocess, timed from outside; the process tree's memory is sampled from /proc while it runs. Ratios
are measured in the same run, since absolute figures on a shared machine drift.

    python -m bench.throughput                  # 1,000 / 2,000 / 10,000 documents
    python -m bench.throughput --sizes 2000     # quicker
    python -m bench.throughput --sizes 2000 --metadata structured   # cleaning.metadata: structured
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bench._corpus import PROJECT_ROOT, BenchDataMissing, write_corpus

BARE_SCRIPT = """
import sys, trafilatura
from pathlib import Path
paths = sorted(Path(sys.argv[1]).glob('*.html'))
count = 0
for path in paths:
    text = trafilatura.extract(path.read_bytes().decode('utf-8', 'replace'), include_comments=False)
    count += text is not None
print(count)
"""


def _tree_rss_kb(root_pid: int) -> tuple[int, int]:
    """(sum, max) of VmRSS over a process and its descendants, in kB, read from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields.get("PPid", "0").strip() or 0), []).append(pid)
        value = fields.get("VmRSS", "0 kB").strip().split()[0]
        rss[pid] = int(value) if value.isdigit() else 0
    total, largest, stack = 0, 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        largest = max(largest, rss.get(pid, 0))
        stack.extend(children.get(pid, []))
    return total, largest


def measure(command: list[str]) -> dict[str, float]:
    """Run a command; wall time, CPU of it and its children, and peak RSS of its tree (sampled)."""
    samples: list[tuple[float, int, int]] = []
    start = time.perf_counter()
    # stderr to a file, not a pipe: a pipe nobody reads while the command runs fills up and blocks it
    err_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after the child has exited
    proc = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=err_file)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total, largest = _tree_rss_kb(proc.pid)
            samples.append((time.perf_counter() - start, total, largest))
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    err_file.seek(0)
    stderr = err_file.read().decode(errors="replace")
    err_file.close()
    if status != 0 and os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"{command[:4]} failed: {stderr[-2000:]}")
    tail = [s for s in samples if s[0] >= wall * 0.8] or samples
    head = [s for s in samples if s[0] <= wall * 0.2] or samples
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_tree_rss_mb": round(max((s[1] for s in samples), default=0) / 1024, 1),
        "peak_process_rss_mb": round(max((s[2] for s in samples), default=0) / 1024, 1),
        "rss_first_fifth_mb": round(max(s[1] for s in head) / 1024, 1) if head else 0.0,
        "rss_last_fifth_mb": round(max(s[1] for s in tail) / 1024, 1) if tail else 0.0,
    }


def config_with(tmp: Path, metadata: str) -> Path:
    """config/presswash.yaml with ``cleaning.metadata`` set, written to ``tmp`` (rules path made absolute)."""
    config = yaml.safe_load((PROJECT_ROOT / "config" / "presswash.yaml").read_text(encoding="utf-8"))
    config["cleaning"]["metadata"] = metadata
    config["cleaning"]["boilerplate"] = str(PROJECT_ROOT / "config" / config["cleaning"]["boilerplate"])
    path = tmp / "presswash.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run(sizes: list[int], workers: int, bare_sizes: list[int], metadata: str = "full") -> dict[str, object]:
    results: dict[str, object] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "workers": workers,
        "metadata": metadata,
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="presswash-bench-") as tmp:
        config = config_with(Path(tmp), metadata)
        for size in sorted(set(sizes) | set(bare_sizes)):
            corpus = Path(tmp) / f"corpus-{size}"
            write_corpus(corpus, size)
            row: dict[str, object] = {"documents": size}
            if size in sizes:
                out = Path(tmp) / f"out-{size}.jsonl"
                ours = measure(
                    [
                        sys.executable,
                        "-m",
                        "crawler.cli",
                        "clean",
                        str(corpus),
                        "-o",
                        str(out),
                        "-q",
                        "--workers",
                        str(workers),
                        "--config",
                        str(config),
                    ]
                )
                ours["docs_per_s"] = round(size / ours["wall_s"], 1)
                stats = json.loads(Path(f"{out}.stats.json").read_text())
                ours["written"] = stats["written"]
                row["presswash"] = ours
            if size in bare_sizes:
                bare = measure([sys.executable, "-c", BARE_SCRIPT, str(corpus)])
                bare["docs_per_s"] = round(size / bare["wall_s"], 1)
                row["bare_trafilatura"] = bare
            if "presswash" in row and "bare_trafilatura" in row:
                row["ratio_docs_per_s"] = round(
                    row["presswash"]["docs_per_s"] / row["bare_trafilatura"]["docs_per_s"], 2
                )  # type: ignore[index]
            results["runs"].append(row)  # type: ignore[union-attr]
            print(json.dumps(row), file=sys.stderr, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,2000,10000", help="corpus sizes for presswash clean")
    parser.add_argument("--bare-sizes", default="1000,2000", help="corpus sizes for bare trafilatura")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--metadata", choices=("full", "structured"), default="full", help="cleaning.metadata")
    parser.add_argument("--json", default=str(PROJECT_ROOT / "output" / "bench" / "throughput.json"))
    args = parser.parse_args(argv)
    try:
        results = run(
            [int(s) for s in args.sizes.split(",") if s],
            args.workers,
            [int(s) for s in args.bare_sizes.split(",") if s],
            args.metadata,
        )
    except BenchDataMissing as exc:
        print(f"bench.throughput: {exc}", file=sys.stderr)
        return 1 if os.environ.get("CI") == "true" else 0
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
