"""The whole flow offline in under a minute: serve the demo news site, crawl it, show where the output is.

    python -m crawler.demo [--output DIR] [--slow-seconds S]

Starts ``tests/http_server.py`` on loopback port 8765 (the demo config's default; any free port when it
is taken), points config/sites.demo.yaml at it through ``PRESSWASH_DEMO_URL``, runs the same crawl as
``presswash crawl`` (feeds, sitemaps from robots.txt, link-following, the failure routes), stops the
server and prints the articles file, the run stats and the URL ledger. The exit status is the crawl's.

The port is kept stable on purpose: crawls are incremental (docs/recurring.md), so a second demo into
the same output directory fetches no article again and writes nothing new, which is the point; on
another port every URL would be new and every article a content duplicate of the first run's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from cleaners.options import PROJECT_ROOT

SERVER = PROJECT_ROOT / "tests" / "http_server.py"
DEMO_PORT = 8765  # the default of base_url in config/sites.demo.yaml
DEMO_CONFIG = PROJECT_ROOT / "config" / "sites.demo.yaml"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def start_demo_server(
    slow_seconds: float = 5.0, articles: int = 0, ports: Sequence[int] = (0,)
) -> tuple[subprocess.Popen[bytes], str]:
    """The demo server in a child process (it exits when our end of its stdin closes); its base URL.
    ``ports`` are tried in turn (0: any free port)."""
    if not SERVER.exists():
        raise SystemExit(f"{SERVER}: the demo server is missing (it ships with the source tree, not the wheel)")
    url = ""
    for port in ports:
        command = [sys.executable, str(SERVER), "--port", str(port), "--watch-stdin"]
        command += ["--slow-seconds", str(slow_seconds), "--articles", str(articles)]
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None
        url = proc.stdout.readline().decode("ascii", "replace").strip()
        if re.fullmatch(r"http://127\.0\.0\.1:\d+", url):
            return proc, url
        stop_demo_server(proc)  # the port is taken: try the next one
    raise SystemExit(f"demo server did not start (it printed {url!r})")


def stop_demo_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def run_demo(output_dir: str = "output", slow_seconds: float = 5.0) -> int:
    """Serve, crawl, stop, report. Returns the crawl's exit status."""
    from crawler.runner import run_crawl

    for variable in PROXY_VARIABLES:  # loopback only: a proxy from the environment would break it
        os.environ.pop(variable, None)
    proc, url = start_demo_server(slow_seconds, ports=(DEMO_PORT, 0))
    print(f"presswash demo: serving the demo news site at {url}", file=sys.stderr)
    os.environ["PRESSWASH_DEMO_URL"] = url
    try:
        # Short backoff: the one flaky page is retried after ~0.2 s rather than ~1 s.
        status = run_crawl(str(DEMO_CONFIG), ["demo"], output_dir, {"PRESSWASH_RETRY_BACKOFF_BASE": 0.2})
    finally:
        stop_demo_server(proc)
    _report(Path(output_dir) / "demo")
    return status


def _report(site_dir: Path) -> None:
    articles = sorted(site_dir.glob("*.jsonl"), key=lambda p: p.stat().st_mtime)
    runs = sorted((site_dir / "runs").glob("*[0-9].json"), key=lambda p: p.stat().st_mtime)
    if not articles or not runs:
        print(f"presswash demo: no output under {site_dir}", file=sys.stderr)
        return
    first = json.loads(articles[-1].read_text(encoding="utf-8").splitlines()[0])
    stats = json.loads(runs[-1].read_text(encoding="utf-8"))
    known = sum(v for k, v in stats.get("discovery", {}).items() if k.endswith("/known"))
    again = f" ({known} entries already known from earlier runs were not fetched again)" if known else ""
    print(
        f"\npresswash demo: {stats['written']} new articles in {articles[-1]}{again}\n"
        f"  run stats:  {runs[-1]}\n"
        f"  URL ledger: {stats.get('ledger')}\n"
        f"  first article: {first['title']!r} ({first['language']}, {first['word_count']} words,"
        f" {len(first['removed'])} clutter lines removed)\n"
        f"  try: head -c 600 {articles[-1]}",
        file=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--output", default="output", metavar="DIR", help="output directory (default: output)")
    parser.add_argument("--slow-seconds", type=float, default=5.0, help="delay of the demo's slow page")
    args = parser.parse_args(argv)
    return run_demo(args.output, args.slow_seconds)


if __name__ == "__main__":
    sys.exit(main())
