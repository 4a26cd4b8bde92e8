"""Where the benchmark data lives, and making a throughput corpus from it.

The extraction benchmark is NOT part of this project: it stays in ``../shared/bench`` (beside the
project root) or wherever ``PRESSWASH_BENCH_DIR`` points. Code that needs it calls :func:`bench_dir`,
which says so clearly when it is missing (and, under ``CI=true``, treats that as a failure).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BENCH_DIR = PROJECT_ROOT.parent / "shared" / "bench"


class BenchDataMissing(RuntimeError):
    pass


def bench_dir() -> Path:
    """The benchmark directory; raises BenchDataMissing with instructions when it is absent."""
    path = Path(os.environ.get("PRESSWASH_BENCH_DIR", DEFAULT_BENCH_DIR))
    if not (path / "ground-truth.json").exists() or not (path / "html").is_dir():
        raise BenchDataMissing(
            f"extraction benchmark not found at {path} (expected ground-truth.json and html/); "
            "set PRESSWASH_BENCH_DIR to the folder holding the scrapinghub article-extraction-benchmark"
        )
    return path


def bench_pages() -> list[tuple[str, bytes]]:
    """(page id, HTML bytes) for every benchmark page, sorted by id."""
    html = bench_dir() / "html"
    return [(p.name.split(".")[0], gzip.decompress(p.read_bytes())) for p in sorted(html.glob("*.html.gz"))]


def write_corpus(target: Path, count: int) -> list[Path]:
    """``count`` HTML files made by cycling through the benchmark pages (realistic, varied sizes).

    Each copy gets a distinct comment so no layer can cache by content; the cleaning work is the same.
    """
    pages = bench_pages()
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        page_id, content = pages[index % len(pages)]
        path = target / f"{index:06d}.html"
        path.write_bytes(content + f"\n<!-- copy {index} of {page_id} -->\n".encode())
        paths.append(path)
    return paths
