"""`presswash clean` end to end, in a subprocess, as a user runs it."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cleaners.jsonl import read_jsonl, repair_torn_tail

ROOT = Path(__file__).resolve().parent.parent
PARAGRAPH = (
    "The regional parliament voted on Thursday to extend the night train service to the coast, a decision "
    "that rail unions welcomed but that the finance committee said would cost more than expected."
)


def page(title: str, n: int = 3) -> bytes:
    body = "".join(f"<p>{PARAGRAPH} Paragraph {i} of {title}.</p>" for i in range(n))
    return (
        f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}"
        "<p>Post a Comment</p></article></body></html>"
    ).encode()


def run_clean(*args: str, stdin: bytes | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "clean", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.html").write_bytes(page("Alpha"))
    (root / "sub" / "b.htm").write_bytes(page("Bravo"))
    (root / "sub" / "deeper" / "c.html.gz").write_bytes(gzip.compress(page("Charlie")))
    (root / "sub" / "d.txt").write_text(f"Delta\n\n{PARAGRAPH}\n\nSimilar Posts\n", encoding="utf-8")
    (root / "ignored.json").write_text("{}", encoding="utf-8")
    return root


def test_directory_recursion_gzip_and_stats(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    proc = run_clean(str(corpus), "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    records = list(read_jsonl(out))
    assert [r["title"] for r in records] == ["Alpha", "Bravo", "Delta", "Charlie"]
    assert all("Post a Comment" not in r["text"] for r in records)
    stats = json.loads((tmp_path / "out.jsonl.stats.json").read_text())
    assert (stats["read"], stats["written"], stats["accounted"]) == (4, 4, True)
    assert "written 4" in proc.stderr.decode()


def test_glob_and_stdin(corpus: Path, tmp_path: Path) -> None:
    proc = run_clean(str(corpus / "**" / "*.htm*"), "-", stdin=page("From stdin"))
    assert proc.returncode == 0, proc.stderr.decode()
    titles = [json.loads(line)["title"] for line in proc.stdout.decode().splitlines()]
    assert titles == ["Alpha", "Bravo", "Charlie", "From stdin"]


def test_bad_inputs_reported_and_run_goes_on(corpus: Path, tmp_path: Path) -> None:
    (corpus / "binary.html").write_bytes(bytes(range(256)) * 20)
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "truncated.html.gz").write_bytes(gzip.compress(page("Lost"))[:60])
    out = tmp_path / "out.jsonl"
    proc = run_clean(str(corpus), str(tmp_path / "missing.html"), "-o", str(out))
    assert proc.returncode == 1  # some inputs failed
    stderr = proc.stderr.decode()
    assert "truncated.html.gz" in stderr and "missing.html" in stderr
    stats = json.loads((tmp_path / "out.jsonl.stats.json").read_text())
    assert stats["written"] == 4
    assert stats["rejected"] == {"empty": 1, "not_text": 1}
    assert stats["failed"] == {"read_error": 2}
    assert stats["accounted"]


def test_warc_records_keep_their_url(tmp_path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    warc = tmp_path / "crawl.warc.gz"
    with warc.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for index, title in enumerate(["One", "Two"]):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                f"https://news.example/{index}",
                "response",
                payload=io.BytesIO(page(title)),
                length=len(page(title)),  # without it warcio spools to a temp file it never closes
                http_headers=headers,
                warc_headers_dict={"WARC-Date": "2026-01-02T03:04:05Z"},
            )
            writer.write_record(record)
    proc = run_clean(str(warc))
    assert proc.returncode == 0, proc.stderr.decode()
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [(r["url"], r["title"]) for r in records] == [
        ("https://news.example/0", "One"),
        ("https://news.example/1", "Two"),
    ]
    assert records[0]["fetched_at"] == "2026-01-02T03:04:05Z"


def test_pool_output_equals_single_process_output(corpus: Path, tmp_path: Path) -> None:
    for index in range(30):
        (corpus / f"many{index:02d}.html").write_bytes(page(f"Story {index}"))
    one = run_clean(str(corpus), "--workers", "1")
    two = run_clean(str(corpus), "--workers", "2")
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout
    assert len(one.stdout.splitlines()) == 34


def test_torn_last_line_is_repaired_before_appending(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"whole": 1}\n{"torn": ')
    proc = run_clean(str(corpus / "a.html"), "-o", str(out), "--append")
    assert proc.returncode == 0
    lines = out.read_bytes().splitlines(keepends=True)
    assert lines[0] == b'{"whole": 1}\n'
    assert all(line.endswith(b"\n") for line in lines)
    assert [json.loads(line)["title"] for line in lines[1:]] == ["Alpha"]


def test_repair_torn_tail_edge_cases(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"no newline at all")
    assert repair_torn_tail(path) == len(b"no newline at all")
    assert path.read_bytes() == b""
    path.write_bytes(b"a\n" + b"x" * 200_000)
    repair_torn_tail(path)
    assert path.read_bytes() == b"a\n"


@pytest.mark.slow
def test_killed_run_leaves_only_whole_lines(tmp_path: Path) -> None:
    corpus = tmp_path / "big"
    corpus.mkdir()
    for index in range(400):
        (corpus / f"{index:04d}.html").write_bytes(page(f"Story {index}", n=6))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "clean", str(corpus), "-o", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    partial = tmp_path / "out.jsonl.partial"  # the lines go there until the run ends
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not partial.exists() or partial.stat().st_size < 20_000):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    data = partial.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    records = [json.loads(line) for line in complete.splitlines()]
    assert records, "the run was killed before writing anything"
    assert len(records) < 400
    # A second run appending to the interrupted lines: every line is whole and parses.
    rerun = run_clean(str(corpus / "0000.html"), "-o", str(partial), "--append")
    assert rerun.returncode == 0
    assert all(json.loads(line) for line in partial.read_bytes().splitlines())


def test_presswash_crawl_logs_each_line_once(tmp_path: Path) -> None:
    """Scrapy installs its own root log handler: the CLI must not add a second one for `crawl`."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("PRESSWASH_")}
    env["PRESSWASH_DEMO_URL"] = "http://127.0.0.1:9"  # nothing listens: the crawl ends at once, still logging
    command = [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(ROOT / "config" / "sites.demo.yaml")]
    done = subprocess.run(
        [*command, "--output", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.stderr.count("Spider closed") == 1, done.stderr[-3000:]
    assert "presswash: demo: read 0" in done.stderr and "no article written" in done.stderr
