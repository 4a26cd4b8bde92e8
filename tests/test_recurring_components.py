"""The recurring-crawl Scrapy components on their own, without a crawl (they take plain values, so a unit
test builds them directly): the dedup pipeline, the conditional-GET middleware, the JOBDIR guard, the
archive's repair of files a killed run left open, and `presswash clean --dedup`.
tests/test_recurring_e2e.py checks the same things through real crawls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request
from services import redis_prefix, redis_url
from test_dedup import BASE, BODY, ORIGINAL, SYNDICATED, article

from cleaners.article import Article, Rejected
from cleaners.batch import clean_inputs
from cleaners.dedup import DedupSettings
from cleaners.document import RawDocument
from cleaners.jsonl import JsonlWriter
from cleaners.sources import iter_warc
from cleaners.urls import normalize_url
from crawler.extensions.accounting import classify_failure
from crawler.extensions.fetch_state import FetchStateRecorder
from crawler.items import Rejection
from crawler.meta import ARTICLE, KIND_META, KNOWN_MESSAGE, REFETCH_META
from crawler.middlewares.archive import ArchiveMiddleware
from crawler.middlewares.conditional_get import ConditionalGetMiddleware
from crawler.pipelines.dedup import DedupPipeline
from crawler.sinks.archive import MARKER_SUFFIX, FetchedResponse, WarcArchive
from crawler.state.jobdir import JOBDIR_MARKER, JobDir
from crawler.state.records import FetchState
from crawler.state.shared import SharedState


def as_item(item: Article) -> Article:
    """What the dedup stage receives in a crawl: the Article itself, as CleanPipeline returns it."""
    return item


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[DedupPipeline]:
    pipe = DedupPipeline(state_path=str(tmp_path / "state.sqlite3"), output_dir=tmp_path, site="demo", run_date="d")
    pipe.open_spider()
    yield pipe
    pipe.close_spider()


def test_dedup_pipeline_versions_updates_and_drops_duplicates_with_the_original_id(pipeline: DedupPipeline) -> None:
    first = as_item(article(f"{BASE}/a.html", ORIGINAL))
    assert pipeline.process_item(first) is first  # version 1: the item passes unchanged
    pipeline.item_scraped(first, None)  # type: ignore[arg-type]  # written: now recorded

    for duplicate, kind in (
        (article(f"{BASE}/a.html?utm_source=x", ORIGINAL), "url"),  # the same page again
        (article(f"{BASE}/copy.html", ORIGINAL), "content"),
        (article(f"{BASE}/syndicated.html", SYNDICATED), "near"),
    ):
        with pytest.raises(Rejection) as caught:
            pipeline.process_item(as_item(duplicate))
        assert caught.value.duplicate_of == first.id and caught.value.rejected.reason.value == "duplicate"
        assert caught.value.rejected.detail.startswith(f"{kind} duplicate of {first.id}")

    update = as_item(article(f"{BASE}/a.html", [*ORIGINAL, "Update: the vote was postponed to Friday."]))
    admitted = pipeline.process_item(update)
    assert admitted.id == first.id and admitted.version == 2
    assert pipeline.process_item({"not": "an article"}) == {"not": "an article"}


def test_an_article_dropped_after_admission_is_released(pipeline: DedupPipeline) -> None:
    item = as_item(article(f"{BASE}/a.html", ORIGINAL))
    pipeline.process_item(item)
    pipeline.item_error(item, None, None)  # type: ignore[arg-type]  # e.g. the writer failed: not written
    assert pipeline.process_item(as_item(article(f"{BASE}/copy.html", ORIGINAL))).version == 1


def test_a_duplicate_dropped_here_does_not_release_its_original_in_flight(pipeline: DedupPipeline) -> None:
    item = as_item(article(f"{BASE}/a.html", ORIGINAL))
    pipeline.process_item(item)  # in flight: cleaned, not yet written
    twin = as_item(article(f"{BASE}/a.html", ORIGINAL))
    with pytest.raises(Rejection) as caught:
        pipeline.process_item(twin)
    pipeline.item_dropped(twin, None, caught.value)  # type: ignore[arg-type]
    with pytest.raises(Rejection):  # the original is still held in flight
        pipeline.process_item(as_item(article(f"{BASE}/copy.html", ORIGINAL)))


def test_open_replays_written_but_unrecorded_articles(tmp_path: Path) -> None:
    written = article(f"{BASE}/a.html", ORIGINAL)
    with JsonlWriter(tmp_path / "demo" / "2026-06-08.jsonl") as writer:  # written; the kill came before recording
        writer.write_line(written.to_json_line())
    pipe = DedupPipeline(state_path=str(tmp_path / "state.sqlite3"), output_dir=tmp_path, site="demo", run_date="d")
    pipe.open_spider()
    try:
        with pytest.raises(Rejection) as caught:
            pipe.process_item(as_item(written))
        assert caught.value.duplicate_of == written.id
    finally:
        pipe.close_spider()


def test_a_copy_of_an_article_another_process_holds_is_not_recorded_until_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shared crawl (Redis): another process has claimed an article and may have been killed before
    writing it. A copy fetched meanwhile is a duplicate, but recording it would make its URL known and
    the article lost if that process died; so it is left for a later round. Once the original is
    recorded, a copy is an ordinary duplicate again, recorded as such."""
    with redis_prefix("components") as (_, prefix):
        location = f"{redis_url()}?prefix={prefix}"
        monkeypatch.setenv("PRESSWASH_WORKER_ID", "holder")
        holder = SharedState.acquire(f"{location}&claim_ttl=600")  # another process: same keys, its own id
        monkeypatch.setenv("PRESSWASH_WORKER_ID", "here")
        pipe = DedupPipeline(state_path=location, output_dir=tmp_path, site="demo", run_date="d")
        recorder = FetchStateRecorder(state_path=location, site="demo")
        pipe.open_spider()
        recorder.spider_opened()
        try:
            held = article(f"{BASE}/a.html", ORIGINAL)
            assert isinstance(holder.index.admit(held), Article)  # claimed there, not (yet) written
            for url, recorded in ((f"{BASE}/a.html", None), (f"{BASE}/copy.html", "duplicate")):
                if recorded:
                    holder.index.record(held)  # written after all
                item = as_item(article(url, ORIGINAL))
                with pytest.raises(Rejection) as caught:
                    pipe.process_item(item)
                assert caught.value.duplicate_of == held.id
                recorder.item_dropped(item, HtmlResponse(url, request=Request(url)), caught.value)
                state = pipe._shared.store.get_fetch(normalize_url(url)) if pipe._shared else None
                assert (state.outcome if state else None) == recorded, url
        finally:
            recorder.spider_closed()
            pipe.close_spider()
            holder.release()


def test_conditional_get_middleware(tmp_path: Path) -> None:
    location = str(tmp_path / "state.sqlite3")
    url = f"{BASE}/a.html"
    shared = SharedState.acquire(location)
    shared.store.put_fetch(
        FetchState(normalize_url(url), url, "written", "2026-06-08T12:00:00Z", etag='"abc"', last_modified="x")
    )
    middleware = ConditionalGetMiddleware(state_path=location)
    middleware.spider_opened()
    try:
        with pytest.raises(IgnoreRequest, match=KNOWN_MESSAGE):  # known, and nobody asked to refetch it
            middleware.process_request(Request(url, meta={KIND_META: ARTICLE}))
        refetch = Request(url, meta={KIND_META: ARTICLE, REFETCH_META: True})
        middleware.process_request(refetch)
        assert refetch.headers[b"If-None-Match"] == b'"abc"' and refetch.headers[b"If-Modified-Since"] == b"x"
        middleware.process_request(Request(f"{BASE}/new.html", meta={KIND_META: ARTICLE}))  # new: goes out
        middleware.process_request(Request(url, meta={KIND_META: "feed"}))  # not an article: not ours
    finally:
        middleware.spider_closed()
        shared.release()
    assert classify_failure(_failure(IgnoreRequest(KNOWN_MESSAGE))) == ("skipped", "known", None)


def _failure(exc: BaseException) -> Any:
    from twisted.python.failure import Failure

    failure = Failure(exc)
    failure.request = Request(f"{BASE}/a.html")  # type: ignore[attr-defined]
    return failure


def test_jobdir_is_kept_only_while_consistent(tmp_path: Path) -> None:
    jobdir = JobDir(tmp_path / "jobs" / "demo")
    assert jobdir.open() is False
    (jobdir.path / "requests.seen").write_text("fingerprint\n")
    jobdir.close("shutdown")  # interrupted cleanly: kept for the next run, no longer marked open
    assert (jobdir.path / "requests.seen").exists() and not (jobdir.path / JOBDIR_MARKER).exists()
    assert jobdir.open() is False and (jobdir.path / "requests.seen").exists()  # resumed
    jobdir.close(None)  # never closed (the process was killed): the marker stays...
    assert jobdir.open() is True and not (jobdir.path / "requests.seen").exists()  # ...and it is discarded
    jobdir.close("finished")
    assert not jobdir.path.exists()


def test_archive_repairs_files_a_killed_run_left_open(tmp_path: Path) -> None:
    moment = datetime.now(UTC) - timedelta(days=200)
    page = b"<html><body><p>" + b"word " * 300 + b"</p></body></html>"
    with WarcArchive(tmp_path, "demo") as archive:
        for n in range(2):
            path = archive.write(
                FetchedResponse(f"{BASE}/{n}.html", 200, [("Content-Type", "text/html")], page, moment)
            )
    # What a run killed while appending to that day's file leaves: the marker (holding the size at open)
    # and half a gzip member at the end.
    size = path.stat().st_size
    marker = path.with_name(path.name + MARKER_SUFFIX)
    marker.write_text(str(size), encoding="ascii")
    with path.open("ab") as handle:
        handle.write(b"\x1f\x8b\x08\x00torn")

    middleware = ArchiveMiddleware(root=tmp_path, site="demo", retention_days=None)
    assert middleware.repair_left_open() == [path]
    assert path.stat().st_size == size and not marker.exists()
    docs = list(iter_warc(str(path), 10_000_000))
    assert not any(isinstance(d, Rejected) for d in docs), docs  # the torn record is gone, no read error
    assert len([d for d in docs if isinstance(d, RawDocument)]) == 2
    ArchiveMiddleware(root=tmp_path, site="demo", retention_days=90).spider_opened()
    assert not path.exists()  # no longer "open": old enough for retention to delete it


def test_presswash_clean_dedup_within_one_run(tmp_path: Path) -> None:
    def page(paragraphs: list[str]) -> bytes:
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        return f"<html lang='en'><body><article><h1>Ferry</h1>{body}</article></body></html>".encode()

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.html").write_bytes(page(ORIGINAL))
    (tmp_path / "in" / "b.html").write_bytes(page(ORIGINAL))  # the same text: a content duplicate
    (tmp_path / "in" / "c.html").write_bytes(page(SYNDICATED))  # another header and footer: near
    (tmp_path / "in" / "d.html").write_bytes(page(BODY[:3]))  # different enough: written
    out = tmp_path / "out.jsonl"
    stats = clean_inputs([str(tmp_path / "in")], output=out, workers=1, dedup=DedupSettings())
    written = [json.loads(line)["source_path"] for line in out.read_text().splitlines()]
    assert [Path(p).name for p in written] == ["a.html", "d.html"]
    assert stats.rejected == {"duplicate": 2} and stats.accounted
    assert {Path(e["source"]).name for e in stats.examples["duplicate"]} == {"b.html", "c.html"}
    plain = clean_inputs([str(tmp_path / "in")], output=tmp_path / "plain.jsonl", workers=1)
    assert plain.written == 4  # without --dedup, every article is written, as before


def test_shared_registry_creates_once_and_reports_the_last_release() -> None:
    """SharedPool and SharedState are both this registry: one value per key, closed by its last user."""
    from crawler.registry import SharedRegistry

    made: list[str] = []
    registry: SharedRegistry[str, list[str]] = SharedRegistry()
    first = registry.acquire("a", lambda: made.append("a") or ["a"])  # type: ignore[func-returns-value]
    second = registry.acquire("a", lambda: made.append("again") or ["again"])  # type: ignore[func-returns-value]
    assert first is second and made == ["a"]
    assert registry.release("a") is False  # one user left
    assert registry.release("a") is True  # the last one: the caller closes it
    assert registry.release("a") is False  # nothing left to release
    assert registry.acquire("a", lambda: ["new"]) == ["new"]  # a later user gets a new one
