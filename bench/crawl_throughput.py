"""Crawl throughput: fetch-only vs crawl + full cleaning, against the local demo server.

    .venv/bin/python bench/crawl_throughput.py [--articles 2000] [--modes fetch,pool] [--url URL]

Starts ``tests/http_server.py --articles N`` (unless ``--url`` names a running one), then for each mode
runs ``python -m crawler.crawl`` in a subprocess on a site made of the server's ``/sitemaps/bulk.xml``
(~60 KB pages), politeness off (it is our own loopback server), and prints one JSON document:
pages/s (over Scrapy's elapsed time and over the process's wall time), CPU seconds of the crawl process
and all its descendants (the cleaning workers), peak RSS (largest single process, and the sampled sum
of the process tree), and the server's own CPU. Modes:

- ``fetch``: the spider only, no pipelines (the ceiling: nothing is cleaned);
- ``inline``: cleaning in the crawl's own thread (what a naive pipeline does);
- ``pool``: the real configuration, cleaning in a process pool (one worker per core by default);
- ``clean``: ``presswash clean`` of the same pages saved to disk first (the cleaning-only reference).

The report ends with the ratios the benchmark targets: pool/clean (crawling's overhead on top of
cleaning: the target is >= 0.85) and pool/fetch.

CPU of processes that outlive their parent (the forkserver and its workers) is caught by making this
script a child subreaper (Linux), so it is reaped here and lands in RUSAGE_CHILDREN.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PR_SET_CHILD_SUBREAPER = 36
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

SITE_YAML = """\
sites:
  - name: bench
    sitemaps: ["{url}/sitemaps/bulk.xml"]
    article_url: ['/bulk/\\d+\\.html$']
    politeness:
      download_delay: 0
      autothrottle: false
      concurrency: {concurrency}
      timeout: 60
"""


def become_subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def start_server(articles: int) -> tuple[subprocess.Popen[bytes], str]:
    cmd = [sys.executable, str(ROOT / "tests" / "http_server.py"), "--port", "0", "--articles", str(articles)]
    proc = subprocess.Popen([*cmd, "--watch-stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    url = proc.stdout.readline().decode().strip()
    if not re.fullmatch(r"http://127\.0\.0\.1:\d+", url):
        proc.kill()
        raise SystemExit(f"demo server did not start: {url!r}")
    return proc, url


def tree_pids(root: int) -> list[int]:
    """root and its descendants, plus our other children (reparented workers), except the server."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class TreeSampler(threading.Thread):
    """Samples the summed RSS of the crawl's process tree (and reparented orphans) every 50 ms."""

    def __init__(self, root: int, exclude: set[int]) -> None:
        super().__init__(daemon=True)
        self.root, self.exclude = root, exclude
        self.peak = 0
        self.peak_processes = 0
        self.cpu_last: dict[int, float] = {}  # last CPU seconds seen per process (a lower bound)
        self.done = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.done.wait(0.05):
            pids = [p for p in set(tree_pids(self.root) + tree_pids(me)) if p not in self.exclude and p != me]
            total = sum(rss_bytes(p) for p in pids)
            if total > self.peak:
                self.peak, self.peak_processes = total, len(pids)
            for pid in pids:
                self.cpu_last[pid] = max(self.cpu_last.get(pid, 0.0), cpu_seconds(pid))

    def cpu_split(self) -> dict[str, float]:
        """CPU seconds of the crawl process itself vs its helpers (cleaning workers, forkserver)."""
        crawl = self.cpu_last.get(self.root, 0.0)
        others = sum(v for pid, v in self.cpu_last.items() if pid != self.root)
        return {"crawl_process": round(crawl, 2), "other_processes": round(others, 2)}


def reap_orphans(exclude: set[int]) -> None:
    """Wait for every child other than the server (forkserver, workers reparented to us)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        others = [p for p in tree_pids(os.getpid())[1:] if p not in exclude]
        if not others:
            break
        for pid in others:
            try:
                if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1] == str(os.getpid()):
                    os.waitpid(pid, os.WNOHANG)
            except (OSError, ChildProcessError):
                pass
        time.sleep(0.05)


def save_pages(url: str, target: Path) -> int:
    """Download every page of the bulk sitemap once, so ``clean`` mode reads the very bytes the crawl gets."""
    with urllib.request.urlopen(f"{url}/sitemaps/bulk.xml") as response:
        locs = re.findall(r"<loc>([^<]+)</loc>", response.read().decode())
    target.mkdir(parents=True, exist_ok=True)
    for loc in locs:
        with urllib.request.urlopen(loc) as response:
            (target / loc.rsplit("/", 1)[-1]).write_bytes(response.read())
    return len(locs)


def run_mode(mode: str, url: str, workdir: Path, server_pid: int, args: argparse.Namespace) -> dict[str, Any]:
    config = workdir / "sites.yaml"
    config.write_text(SITE_YAML.format(url=url, concurrency=args.concurrency), encoding="utf-8")
    output = workdir / f"out-{mode}"
    cmd = [sys.executable, "-m", "crawler.crawl", "--sites", str(config), "--output", str(output)]
    cmd += ["--log-level", "WARNING", "--set", f"CONCURRENT_REQUESTS={args.concurrency}"]
    cmd += ["--set", "PRESSWASH_URL_LEDGER=false"]
    if mode == "clean":
        pages_dir = workdir / "pages"
        if not pages_dir.exists():
            save_pages(url, pages_dir)
        out_file = workdir / "clean.jsonl"
        cmd = [sys.executable, "-m", "crawler.cli", "clean", str(pages_dir), "-o", str(out_file), "-q"]
        cmd += ["--workers", str(args.workers or os.cpu_count() or 2)]
    elif mode == "fetch":
        cmd += ["--set", "ITEM_PIPELINES={}"]
    else:
        cmd += ["--set", f"PRESSWASH_CLEAN_MODE={mode}"]
        if args.workers:
            cmd += ["--set", f"PRESSWASH_CLEAN_WORKERS={args.workers}"]

    urllib.request.urlopen(f"{url}/_control/hits?clear=1").read()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu_before = cpu_seconds(server_pid)
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = TreeSampler(proc.pid, {server_pid})
    sampler.start()
    _, stderr = proc.communicate()
    wall = time.monotonic() - started
    sampler.done.set()
    sampler.join()
    reap_orphans({server_pid})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = cpu_seconds(server_pid) - server_cpu_before

    if mode == "clean":
        stats_files = [workdir / "clean.jsonl.stats.json"]
    else:
        stats_files = sorted((output / "bench" / "runs").glob("*.json"))
    if proc.returncode != 0 or not all(f.exists() for f in stats_files) or not stats_files:
        raise SystemExit(f"crawl ({mode}) failed with {proc.returncode}:\n{stderr.decode()[-3000:]}")
    stats = json.loads(stats_files[-1].read_text())
    pages = stats["read"]
    elapsed = stats.get("scrapy", {}).get("elapsed_time_seconds") or wall
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "mode": mode,
        "pages": pages,
        "written": stats["written"] if mode != "fetch" else None,
        "rejected": stats["rejected"],
        "failed": stats["failed"],
        "elapsed_s": round(elapsed, 2),
        "wall_s": round(wall, 2),
        "pages_per_s": round(pages / elapsed, 1),
        "pages_per_s_wall": round(pages / wall, 1),
        "cpu_s": round(cpu, 2),
        "cpu_ms_per_page": round(1000 * cpu / max(pages, 1), 2),
        "cpu_s_sampled": sampler.cpu_split(),
        "cores_busy": round((cpu + server_cpu) / elapsed, 2),
        "server_cpu_s": round(server_cpu, 2),
        "peak_rss_mb_largest_process": round(after.ru_maxrss / 1024, 1),
        "peak_rss_mb_tree": round(sampler.peak / 2**20, 1),
        "processes_at_peak": sampler.peak_processes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--modes", default="fetch,pool,clean", help="comma list of fetch, inline, pool, clean")
    parser.add_argument("--url", help="use a running demo server started with --articles N")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, help="cleaning workers (default: one per core)")
    args = parser.parse_args(argv)

    subreaper = become_subreaper()
    server = None
    url = args.url
    if url is None:
        server, url = start_server(args.articles)
    server_pid = server.pid if server else -1
    try:
        with tempfile.TemporaryDirectory(prefix="presswash-bench-") as tmp:
            runs = [run_mode(m.strip(), url, Path(tmp), server_pid, args) for m in args.modes.split(",")]
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    by_mode = {run["mode"]: run for run in runs}
    ratios = {}
    if "pool" in by_mode and "clean" in by_mode:
        ratios["crawl_clean_over_clean"] = round(
            by_mode["pool"]["pages_per_s_wall"] / by_mode["clean"]["pages_per_s_wall"], 2
        )
    if "pool" in by_mode and "fetch" in by_mode:
        ratios["crawl_clean_over_fetch"] = round(by_mode["pool"]["pages_per_s"] / by_mode["fetch"]["pages_per_s"], 2)
    report = {
        "ratios": ratios,
        "articles": args.articles,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "concurrency": args.concurrency,
        "subreaper": subreaper,
        "runs": runs,
    }
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
