"""The records of the demo crawl and of ``presswash clean`` on the golden pages, normalised, as one text.

    .venv/bin/python -m bench.same_records [-o FILE]

Why: a restructuring (issue 11) must not change a single output byte. Run it before and after and
``cmp`` the two files. Normalised, because some fields depend on the run and not on the code:

- ``fetched_at`` (the crawl's clock) is replaced by ``<fetched_at>``;
- the demo server's base URL (its port) is replaced by ``http://demo``, and ``id`` (a hash of the URL,
  hence of the port) by ``<id>``;
- crawl records are sorted (Scrapy's concurrency orders them by completion); ``presswash clean`` keeps
  its input order, so its lines are compared as written, byte for byte.

The crawl's per-reason counts (written, rejected, failed) follow the records, so a moved counter shows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


def _normalise_crawl_line(line: str, base: str) -> str:
    record = json.loads(line)
    record["fetched_at"] = "<fetched_at>"
    record["id"] = "<id>"
    return json.dumps(record, ensure_ascii=False, sort_keys=True).replace(base, "http://demo")


def demo_crawl(work: Path) -> list[str]:
    """The demo crawl (crawler.demo's server and config) in a subprocess, into a fresh output directory."""
    from crawler.demo import DEMO_CONFIG, start_demo_server, stop_demo_server

    proc, base = start_demo_server(0.2, ports=(0,))
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PRESSWASH_DEMO_URL"] = base
    out = work / "crawl"
    # One request at a time, cleaned inline: which of two near-duplicates is written first (the other is
    # rejected) depends on completion order, which concurrency makes run-dependent.
    overrides = {
        "PRESSWASH_RETRY_BACKOFF_BASE": 0.2,
        "PRESSWASH_CLEAN_MODE": "inline",
        "CONCURRENT_REQUESTS": 1,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    }
    try:
        code = (
            "import sys\ntry:\n    from crawler.runner import run_crawl\n"
            "except ImportError:  # before issue 11\n    from crawler.crawl import run_crawl\n"
            f"sys.exit(run_crawl({str(DEMO_CONFIG)!r}, ['demo'], {str(out)!r}, {overrides!r}))"
        )
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=False, capture_output=True)
    finally:
        stop_demo_server(proc)
    lines: list[str] = []
    for path in sorted((out / "demo").glob("*.jsonl")):
        if path.name.startswith("urls") or ".urls" in path.name:
            continue
        lines += [_normalise_crawl_line(x, base) for x in path.read_text(encoding="utf-8").splitlines() if x]
    out_lines = [f"crawl record {line}" for line in sorted(lines)]
    for stats_path in sorted((out / "demo" / "runs").glob("*[0-9].json")):
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
        counts = {k: stats.get(k) for k in ("read", "written", "rejected", "failed")}
        out_lines.append("crawl counts " + json.dumps(counts, sort_keys=True))
    return out_lines


def golden_clean(work: Path, *extra: str) -> list[str]:
    """``presswash clean`` of every golden page (and dump), lines as written."""
    target = work / f"clean{''.join(extra)}.jsonl"
    presswash = Path(sys.executable).with_name("presswash")
    subprocess.run(
        [str(presswash), "clean", str(GOLDEN), "-o", str(target), "--workers", "1", *extra],
        cwd=ROOT,
        check=False,
        capture_output=True,
    )
    lines = target.read_text(encoding="utf-8").splitlines()
    stats = json.loads(target.with_name(target.name + ".stats.json").read_text(encoding="utf-8"))
    counts = {k: stats.get(k) for k in ("read", "written", "rejected", "failed")}
    tag = " ".join(["clean", *extra])
    return [f"{tag} record {line}".replace(str(ROOT), "<root>") for line in lines] + [
        f"{tag} counts " + json.dumps(counts, sort_keys=True)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", help="write here instead of stdout")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="presswash-same-") as tmp:
        work = Path(tmp)
        text = "\n".join(demo_crawl(work) + golden_clean(work) + golden_clean(work, "--dedup")) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
