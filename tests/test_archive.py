"""crawler.sinks.archive: WARC records of fetched article pages, re-cleaned offline into the crawl's records."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cleaners.article import Article, Rejected
from cleaners.core import clean
from cleaners.document import RawDocument
from cleaners.jsonl import read_jsonl
from cleaners.options import load_options
from cleaners.sources import iter_warc
from crawler.sinks.archive import (
    MARKER_SUFFIX,
    FetchedResponse,
    WarcArchive,
    archived_headers,
    complete_members_end,
    prune_archive,
    warc_date,
)

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "/news/2026/03/coastal-towns-brace-for-spring-tides.html",  # wordpress
    "/news/2026/02/council-approves-rural-fibre-rollout.html",
    "/news/2025/12/corner-bakery-cookies-sell-out.html",
    "/news/2026/06/harbour-authority-approves-ferry-terminal.html",
    "/news/2026/06/ferry-terminal-approved-for-eastern-quay.html",  # minimal template
    "/fail/gzip.html",  # served gzip-encoded: archived after decompression
    "/fail/charset.html",  # windows-1252 body
    "/fail/broken.html",  # unclosed tags and stray bytes
]
# What `presswash clean` of a WARC cannot know: the file it read, and (until cleaners.sources reads the
# Presswash-Site header) the crawl's configured site name.
NOT_COMPARED = {"source_path", "site"}


def fetch_like_scrapy(url: str) -> Any:
    """The response a Scrapy spider callback sees: fetched with gzip allowed, decoded by Scrapy's own
    HttpCompressionMiddleware (which drops Content-Encoding and keeps the wire Content-Length)."""
    from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
    from scrapy.http import Request, Response
    from scrapy.utils.test import get_crawler

    request = Request(url, headers={"Accept-Encoding": "gzip, deflate", "User-Agent": "presswash-test"})
    wire = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate", "User-Agent": "presswash-test"})
    with urllib.request.urlopen(wire, timeout=10) as answer:  # loopback only
        headers = [(k, v) for k, v in answer.headers.items()]
        body = answer.read()
        status = answer.status
    response = Response(url, status=status, headers=headers, body=body, request=request, protocol="HTTP/1.1")
    middleware = HttpCompressionMiddleware.from_crawler(get_crawler())
    return middleware.process_response(request, response)


def crawl_side(response: Any, site: str) -> tuple[RawDocument, datetime]:
    """The RawDocument NewsSpider.parse_article builds from a response."""
    fetched_at = datetime.now(UTC)
    content_type = response.headers.get("Content-Type")
    raw = RawDocument(
        content=response.body,
        url=response.url,
        content_type=content_type.decode("latin-1") if content_type else None,
        fetched_at=fetched_at,
        site=site,
    )
    return raw, fetched_at


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in NOT_COMPARED}


@pytest.fixture(scope="module")
def crawled(demo_site: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    """Fetch demo pages as the crawl would, clean them, archive every response; the crawl's records."""
    output = tmp_path_factory.mktemp("output")
    options = load_options()
    records: dict[str, dict[str, Any]] = {}
    with WarcArchive(output / "raw", "demo") as archive:
        for path in PAGES:
            response = fetch_like_scrapy(demo_site + path)
            raw, fetched_at = crawl_side(response, "demo")
            archive.write(FetchedResponse.from_scrapy(response, fetched_at, site="demo", hints={"lastmod": "x"}))
            result = clean(raw, options)
            if isinstance(result, Article):
                records[result.url or ""] = result.model_dump(mode="json")
    return output, records


def test_warc_holds_request_and_response_records(crawled: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    from warcio.archiveiterator import ArchiveIterator

    output, _ = crawled
    files = sorted((output / "raw" / "demo").iterdir())
    assert files and all(f.name.endswith(".warc.gz") for f in files)  # no .writing marker left behind
    types: list[str] = []
    for path in files:  # one file, unless the fixture ran across midnight UTC
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                types.append(record.rec_type)
                if record.rec_type == "response":
                    assert record.rec_headers.get_header("Presswash-Site") == "demo"
                    assert json.loads(record.rec_headers.get_header("Presswash-Hints")) == {"lastmod": "x"}
                    headers = record.http_headers
                    assert headers.get_header("Content-Encoding") is None  # the body is stored decoded
                    body = record.content_stream().read()
                    assert int(headers.get_header("Content-Length")) == len(body)
                    assert b"<html" in body[:2000].lower()
    assert types.count("warcinfo") == len(files)
    assert [t for t in types if t != "warcinfo"] == ["response", "request"] * len(PAGES)


def test_gzip_encoded_page_is_archived_decoded(crawled: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    output, _ = crawled
    docs = [
        d
        for path in (output / "raw" / "demo").glob("*.warc.gz")
        for d in iter_warc(str(path), 10_000_000)
        if isinstance(d, RawDocument)
    ]
    gz = next(d for d in docs if (d.url or "").endswith("/fail/gzip.html"))
    assert gz.content.lstrip().lower().startswith(b"<!doctype html") or b"<html" in gz.content[:500].lower()


def test_reclean_with_presswash_clean_reproduces_the_crawl_records(
    crawled: tuple[Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    output, records = crawled
    assert len(records) >= 6  # most demo pages are articles
    out = tmp_path / "reclean.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "clean", str(output / "raw"), "-o", str(out), "--workers", "1"],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    recleaned = {r["url"]: r for r in read_jsonl(out)}
    assert set(recleaned) == set(records)
    for url, record in records.items():
        again = recleaned[url]
        for key in ("id", "url", "fetched_at", "title", "text", "content_hash", "published", "language"):
            assert again[key] == record[key], (url, key)
        assert comparable(again) == comparable(record), url
        assert again["source_path"].endswith(".warc.gz")


def test_reclean_keeps_the_crawl_site_name(crawled: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    output, _ = crawled
    options = load_options()
    sites = {
        r.site
        for path in (output / "raw" / "demo").glob("*.warc.gz")
        for d in iter_warc(str(path), 10_000_000)
        if isinstance(d, RawDocument) and isinstance(r := clean(d, options), Article)
    }
    assert sites == {"demo"}


def _page(n: int, moment: datetime) -> FetchedResponse:
    body = f"<html><body><h1>Story {n}</h1><p>{'word ' * 200}</p></body></html>".encode()
    return FetchedResponse(
        url=f"http://127.0.0.1:9/news/{n}.html",
        status=200,
        headers=[("Content-Type", "text/html; charset=utf-8")],
        body=body,
        fetched_at=moment,
    )


def _responses(path: Path) -> list[str]:
    docs = list(iter_warc(str(path), 10_000_000))
    assert not any(isinstance(d, Rejected) for d in docs), docs  # no read error anywhere (others: Skipped)
    return [d.url or "" for d in docs if isinstance(d, RawDocument)]


def test_one_file_per_utc_day_and_fetch_time_kept_exactly(tmp_path: Path) -> None:
    late = datetime(2026, 6, 1, 23, 59, 59, 999999, tzinfo=UTC)
    with WarcArchive(tmp_path, "demo") as archive:
        first = archive.write(_page(1, late))
        second = archive.write(_page(2, late + timedelta(microseconds=1)))
    assert (first.name, second.name) == ("2026-06-01.warc.gz", "2026-06-02.warc.gz")
    (doc,) = [d for d in iter_warc(str(first), 10_000_000) if isinstance(d, RawDocument)]
    assert doc.fetched_at == late
    assert warc_date(datetime(2026, 6, 1, 12, 0)) == "2026-06-01T12:00:00.000000Z"


def test_gzip_level_changes_the_size_not_the_records(tmp_path: Path) -> None:
    """Each record is its own gzip member whatever the level (torn-tail repair relies on it), and the
    records read back the same."""
    moment = datetime(2026, 6, 1, 12, tzinfo=UTC)
    paths = {}
    for level in (1, 9):
        with WarcArchive(tmp_path / str(level), "demo", gzip_level=level) as archive:
            for n in range(3):
                paths[level] = archive.write(_page(n, moment))
    fast, small = paths[1], paths[9]

    def records(path: Path) -> list[tuple[Any, ...]]:
        docs = [d for d in iter_warc(str(path), 10_000_000) if isinstance(d, RawDocument)]
        return [(d.url, d.content, d.content_type, d.fetched_at, d.site) for d in docs]

    assert len(records(fast)) == 3 and records(fast) == records(small)
    assert small.stat().st_size < fast.stat().st_size
    data = fast.read_bytes()
    assert data.count(b"\x1f\x8b\x08") >= 7  # warcinfo + 3 request/response pairs, one member each
    assert complete_members_end(fast, 0) == len(data)
    with pytest.raises(ValueError, match="gzip_level"):
        WarcArchive(tmp_path, "demo", gzip_level=0)


def test_runs_append_to_the_day_file(tmp_path: Path) -> None:
    moment = datetime(2026, 6, 1, 12, tzinfo=UTC)
    for run in range(3):
        with WarcArchive(tmp_path, "demo") as archive:
            path = archive.write(_page(run, moment))
    assert _responses(path) == [f"http://127.0.0.1:9/news/{n}.html" for n in range(3)]


def test_a_torn_last_record_is_truncated_when_the_next_run_opens_the_file(tmp_path: Path) -> None:
    moment = datetime(2026, 6, 1, 12, tzinfo=UTC)
    with WarcArchive(tmp_path, "demo") as archive:
        path = archive.write(_page(0, moment))
    good_size = path.stat().st_size
    # A run that dies in the middle of a record: its marker stays, half a gzip member ends the file.
    crashed = WarcArchive(tmp_path, "demo")
    crashed.write(_page(1, moment))
    assert crashed._file is not None
    os.close(crashed._file.fd)  # killed: no clean close, the marker is left behind
    marker = path.with_name(path.name + MARKER_SUFFIX)
    assert marker.exists()
    member = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + b"x" * 5000)
    with path.open("ab") as handle:
        handle.write(member[: len(member) // 2])
    assert complete_members_end(path) < path.stat().st_size

    with WarcArchive(tmp_path, "demo") as archive:
        assert archive._open(path).repaired_bytes == len(member) // 2
        archive.write(_page(2, moment))
    assert not marker.exists()
    assert path.stat().st_size > good_size
    assert _responses(path) == [f"http://127.0.0.1:9/news/{n}.html" for n in range(3)]


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    from datetime import UTC, datetime
    from crawler.sinks.archive import FetchedResponse, WarcArchive
    archive = WarcArchive({root_dir!r}, "demo")
    body = b"<html><body><p>" + b"lorem ipsum " * 20000 + b"</p></body></html>"
    n = 0
    while True:
        archive.write(FetchedResponse(f"http://127.0.0.1:9/k/{{n}}.html", 200, [("Content-Type", "text/html")],
                                      body, datetime(2026, 6, 1, 12, tzinfo=UTC)))
        n += 1
        if n == 3:
            print("ready", flush=True)
    """
)


def test_kill_9_while_writing_then_resume_reads_cleanly(tmp_path: Path) -> None:
    script = KILLED_WRITER.format(root=str(ROOT), root_dir=str(tmp_path))
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"ready"
        time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    path = tmp_path / "demo" / "2026-06-01.warc.gz"
    assert path.with_name(path.name + MARKER_SUFFIX).exists()
    with WarcArchive(tmp_path, "demo") as archive:
        archive.write(_page(99, datetime(2026, 6, 1, 13, tzinfo=UTC)))
    urls = _responses(path)
    assert len(urls) >= 4 and urls[-1] == "http://127.0.0.1:9/news/99.html"
    assert len(set(urls)) == len(urls)


def test_headers_stay_true_to_the_stored_body() -> None:
    headers = [
        ("Content-Type", "text/html"),
        ("Content-Encoding", "gzip"),
        ("Transfer-Encoding", "chunked"),
        ("Content-Length", "120"),
        ("ETag", '"abc"'),
    ]
    assert archived_headers(headers, 400) == [
        ("Content-Type", "text/html"),
        ("X-Archive-Orig-Content-Encoding", "gzip"),
        ("X-Archive-Orig-Transfer-Encoding", "chunked"),
        ("X-Archive-Orig-Content-Length", "120"),
        ("ETag", '"abc"'),
        ("Content-Length", "400"),
    ]


def test_retention_deletes_old_day_files_only(tmp_path: Path) -> None:
    today = date(2026, 6, 30)
    site = tmp_path / "demo"
    site.mkdir()
    names = [f"{today - timedelta(days=n)}.warc.gz" for n in (0, 1, 7, 8, 40)]
    for name in [*names, "notes.txt", "2026-01-01.warc.gz.writing"]:
        (site / name).write_bytes(b"x")
    (site / "2026-01-01.warc.gz").write_bytes(b"x")  # still being written (its marker exists): kept
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "2020-01-01.warc.gz").write_bytes(b"x")

    assert prune_archive(tmp_path, None, today=today) == []
    deleted = prune_archive(tmp_path, 7, today=today)
    assert sorted(p.name for p in deleted) == sorted(["2020-01-01.warc.gz", names[3], names[4]])
    left = sorted(p.name for p in site.iterdir())
    assert left == sorted([*names[:3], "notes.txt", "2026-01-01.warc.gz", "2026-01-01.warc.gz.writing"])
    with pytest.raises(ValueError):
        prune_archive(tmp_path, 0, today=today)


def test_from_scrapy_takes_headers_request_and_protocol() -> None:
    from scrapy.http import HtmlResponse, Request

    request = Request("https://example.com/a?b=1", headers={"User-Agent": "presswash/0.1"})
    response = HtmlResponse(
        "https://example.com/a?b=1",
        status=200,
        headers={"Content-Type": "text/html", "Set-Cookie": ["a=1", "b=2"]},
        body=b"<html></html>",
        request=request,
        protocol="HTTP/1.1",
    )
    moment = datetime(2026, 6, 1, tzinfo=UTC)
    fetched = FetchedResponse.from_scrapy(response, moment, site="demo")
    assert ("Set-Cookie", "a=1") in fetched.headers and ("Set-Cookie", "b=2") in fetched.headers
    assert ("User-Agent", "presswash/0.1") in fetched.request_headers
    assert (fetched.protocol, fetched.method, fetched.fetched_at) == ("HTTP/1.1", "GET", moment)
