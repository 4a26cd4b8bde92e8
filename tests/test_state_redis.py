"""The state store contract, run against both backends (SQLite file and Redis), plus what only the shared
Redis store promises: two processes never both admit the same article, and a dead process's claims end.

Redis tests use their own key prefix (tests/services.py) and delete every key under it afterwards; they
skip without a Redis server, and fail without one under CI=true.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import fetch_state as fetch
from services import delete_prefix, redis_prefix, redis_url

from cleaners.article import Article
from cleaners.config import ConfigError
from cleaners.dedup import PARAMS_META_KEY, ArticleRef, DedupSettings, DedupStore, Duplicate, DuplicateKind
from cleaners.text import content_hash, stable_id, word_count
from cleaners.urls import normalize_url
from crawler.state.dedup_index import SharedDedupIndex, dedup_index_for
from crawler.state.interfaces import StateStore
from crawler.state.records import RunRecord
from crawler.state.redis_store import RedisStateStore, split_location
from crawler.state.sqlite import SqliteStateStore

ROOT = Path(__file__).resolve().parent.parent

# --- articles ------------------------------------------------------------------------------------------

_WORDS = [
    *("harbour", "ferry", "terminal", "council", "residents", "quay", "channel", "dredging", "noise", "traffic"),
    *("shipping", "plan", "review", "summer", "winter", "passengers", "capacity", "shore", "power", "berth"),
    *("engines", "construction", "spring", "years", "cost", "fund", "region", "government", "transport"),
    *("seagrass", "estuary", "divers", "colony", "road", "lorries", "centre", "night", "sailings"),
]


def paragraphs(seed: int, n: int = 6, words: int = 40) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "." for _ in range(n)]


def make(url: str | None, paras: list[str], *, version: int = 1) -> Article:
    digest = content_hash(paras)
    text = "\n\n".join(paras)
    return Article(
        id=stable_id(f"url:{normalize_url(url)}" if url else f"content:{digest}"),
        version=version,
        url=url,
        source_path=None,
        site="demo",
        title="Story",
        published=None,
        language="en",
        language_score=0.99,
        text=text,
        paragraphs=paras,
        word_count=word_count(text),
        content_hash=digest,
        fetched_at="2026-06-08T12:00:00Z",
        rules_version="test",
    )


BODY = paragraphs(1)
ORIGINAL = ["By our harbour correspondent, updated on Tuesday.", *BODY]
SYNDICATED = ["This article first appeared in The Harbour Ledger.", *BODY, "Copyright 2026 The Harbour Ledger."]
OTHER = paragraphs(2)

# --- backends ------------------------------------------------------------------------------------------


@pytest.fixture
def redis_space() -> Iterator[tuple[Any, str]]:
    with redis_prefix("state") as space:
        yield space


def open_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest, **kwargs: Any) -> Any:
    if backend == "sqlite":
        return SqliteStateStore(tmp_path / "state.sqlite3")
    _, prefix = request.getfixturevalue("redis_space")
    return RedisStateStore(f"{redis_url()}?prefix={prefix}", worker=kwargs.pop("worker", "w1"), **kwargs)


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    opened = open_store(request.param, tmp_path, request)
    try:
        yield opened
    finally:
        opened.close()


def write(index: Any, item: Article) -> Article:
    admitted = index.admit(item)
    assert isinstance(admitted, Article), admitted
    index.record(admitted)
    return admitted


# --- the contract, on both backends --------------------------------------------------------------------


def test_implements_the_protocols(store: Any) -> None:
    assert isinstance(store, StateStore) and isinstance(store, DedupStore)


def test_fetch_state_round_trip_and_upsert(store: Any) -> None:
    assert store.get_fetch("https://example.com/a") is None
    store.put_fetch(fetch())
    assert store.get_fetch("https://example.com/a") == fetch()
    store.put_fetch(fetch(outcome="not_modified", etag=None, fetched_at="2026-06-02T10:00:00Z"))
    got = store.get_fetch("https://example.com/a")
    assert got is not None and got.outcome == "not_modified" and got.etag is None and got.status == 200


def test_run_log_newest_first_by_site_and_updated_in_place(store: Any) -> None:
    for n, site in enumerate(["a", "b", "a"]):
        store.put_run(RunRecord(run_id=f"r{n}", site=site, started_at=f"2026-06-0{n + 1}T00:00:00Z"))
    store.put_run(store.get_run("r0").finished(status="ok", articles=3))
    assert [r.run_id for r in store.list_runs()] == ["r2", "r1", "r0"]
    assert [r.run_id for r in store.list_runs("a", limit=1)] == ["r2"]
    assert [r.run_id for r in store.list_runs("a")] == ["r2", "r0"]
    assert store.get_run("r0") == RunRecord(
        run_id="r0", site="a", started_at="2026-06-01T00:00:00Z", status="ok", articles=3
    )
    assert store.get_run("nope") is None


def test_schedule_marks_and_meta(store: Any) -> None:
    assert store.get_schedule_mark("demo") is None
    store.set_schedule_mark("demo", "2026-06-01T00:00:00Z")
    store.set_schedule_mark("demo", "2026-06-01T01:00:00Z")
    assert store.get_schedule_mark("demo") == "2026-06-01T01:00:00Z"
    assert store.get_meta("k") is None
    store.set_meta("k", "v")
    assert store.get_meta("k") == "v"


def test_save_article_maps_urls_and_hashes_first_writer_wins(store: Any) -> None:
    ref = ArticleRef("id1", "h1", 1, "https://x/1", "demo", "2026-06-01T00:00:00Z")
    store.save_article(ref, ["https://x/1", "https://x/canonical"], b"\x01\x00\x00\x00" * 8, [(0, -5), (1, 7)])
    store.save_article(ref, ["https://x/1"], b"\x01\x00\x00\x00" * 8, [(0, -5), (1, 7)])  # idempotent
    other = ArticleRef("id2", "h1", 1, "https://x/2", None, "2026-06-02T00:00:00Z")
    store.save_article(other, ["https://x/2", "https://x/canonical"], None, [])
    assert store.get_article("id1") == ref
    assert store.get_article("id2") == other  # None site survives the round trip
    assert store.article_by_url("https://x/canonical") == ref
    assert store.article_by_content("h1") == ref
    assert store.lsh_candidates([(0, -5)]) == {"id1"} and store.lsh_candidates([(0, 6)]) == set()
    assert store.signatures(["id1", "id2"]) == {"id1": b"\x01\x00\x00\x00" * 8}
    store.replace_buckets("id1", [(3, 3)])
    assert store.lsh_candidates([(0, -5), (1, 7)]) == set() and store.lsh_candidates([(3, 3)]) == {"id1"}
    assert store.prune_signatures("2026-06-01T00:00:01Z") == 1
    assert store.signatures(["id1"]) == {} and store.lsh_candidates([(3, 3)]) == set()
    assert store.article_by_content("h1") == ref  # URLs and hashes are kept for good


def test_dedup_index_over_the_store(store: Any) -> None:
    index = dedup_index_for(store)
    first = write(index, make("https://harbour.example/ferry", ORIGINAL))
    assert first.version == 1
    again = index.admit(make("https://harbour.example/ferry?utm_source=x", ORIGINAL))
    assert isinstance(again, Duplicate) and again.kind is DuplicateKind.URL
    copy = index.admit(make("https://other.example/copy", ORIGINAL))
    assert isinstance(copy, Duplicate) and copy.kind is DuplicateKind.CONTENT and copy.original_id == first.id
    near = index.admit(make("https://ledger.example/story", SYNDICATED))
    assert isinstance(near, Duplicate) and near.kind is DuplicateKind.NEAR and near.original_id == first.id
    assert near.similarity >= 0.7
    write(index, make("https://harbour.example/rail", OTHER))
    update = write(index, make("https://harbour.example/ferry", [*ORIGINAL, "Update: the vote was delayed."]))
    assert update.version == 2 and update.id == first.id

    restarted = dedup_index_for(store)  # another run (or process) sees everything recorded
    assert isinstance(restarted.admit(make("https://mirror.example/ferry", SYNDICATED)), Duplicate)
    assert store.get_article(first.id).version == 2


def test_changing_near_duplicate_parameters_rebands_or_clears(store: Any) -> None:
    write(dedup_index_for(store), make("https://harbour.example/ferry", ORIGINAL))
    assert len(list(store.iter_signatures())) == 1
    strict = dedup_index_for(store, DedupSettings(near_duplicate_threshold=0.95))
    assert '"bands"' in (store.get_meta(PARAMS_META_KEY) or "")
    assert len(list(store.iter_signatures())) == 1  # re-banded, not forgotten
    assert not isinstance(strict.admit(make("https://ledger.example/story", SYNDICATED)), Duplicate)
    dedup_index_for(store, DedupSettings(num_perm=64))
    assert list(store.iter_signatures()) == []  # other permutations: old signatures are useless


# --- what only the shared store promises ---------------------------------------------------------------


@pytest.fixture
def two_workers(redis_space: tuple[Any, str]) -> Iterator[tuple[RedisStateStore, RedisStateStore]]:
    _, prefix = redis_space
    url = f"{redis_url()}?prefix={prefix}"
    a, b = RedisStateStore(url, worker="a"), RedisStateStore(url, worker="b")
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def test_two_processes_never_both_admit_one_story(two_workers: tuple[RedisStateStore, RedisStateStore]) -> None:
    a, b = two_workers
    index_a, index_b = SharedDedupIndex(a), SharedDedupIndex(b)
    story = index_a.admit(make("https://harbour.example/ferry", ORIGINAL))  # admitted, not yet recorded
    assert isinstance(story, Article)
    same = index_b.admit(make("https://other.example/copy", ORIGINAL))
    assert isinstance(same, Duplicate) and same.kind is DuplicateKind.CONTENT and same.original_id == story.id
    near = index_b.admit(make("https://ledger.example/story", SYNDICATED))
    assert isinstance(near, Duplicate) and near.kind is DuplicateKind.NEAR and near.original_id == story.id
    assert isinstance(index_b.admit(make("https://harbour.example/rail", OTHER)), Article)

    index_a.release(story)  # dropped after all (a later stage refused it): the copy may go in now
    assert isinstance(index_b.admit(make("https://ledger.example/story", SYNDICATED)), Article)


def test_recording_ends_the_claim_and_leaves_no_lease_keys(
    two_workers: tuple[RedisStateStore, RedisStateStore], redis_space: tuple[Any, str]
) -> None:
    a, b = two_workers
    index_a = SharedDedupIndex(a)
    write(index_a, make("https://harbour.example/ferry", ORIGINAL))
    client, prefix = redis_space
    leases = list(client.scan_iter(match=f"{prefix}:c*"))  # claim:, chash:, csig:, cbands:
    assert leases == [], leases
    again = SharedDedupIndex(b).admit(make("https://ledger.example/story", SYNDICATED))
    assert isinstance(again, Duplicate) and again.kind is DuplicateKind.NEAR  # now through the recorded signature


def test_a_dead_processs_claims_end_with_its_heartbeat(
    two_workers: tuple[RedisStateStore, RedisStateStore], redis_space: tuple[Any, str]
) -> None:
    a, b = two_workers
    assert isinstance(SharedDedupIndex(a).admit(make("https://harbour.example/ferry", ORIGINAL)), Article)
    assert a.claim_url("https://harbour.example/ferry")
    assert not b.claim_url("https://harbour.example/ferry")
    assert isinstance(SharedDedupIndex(b).admit(make("https://other.example/copy", ORIGINAL)), Duplicate)
    client, prefix = redis_space
    client.delete(f"{prefix}:worker:a")  # what SIGKILL does, once the heartbeat's TTL has run out
    assert b.claim_url("https://harbour.example/ferry")
    assert isinstance(SharedDedupIndex(b).admit(make("https://other.example/copy", ORIGINAL)), Article)
    assert not a.release_url("https://harbour.example/ferry")  # not a's any more
    assert b.release_url("https://harbour.example/ferry")


def test_a_claim_waits_for_the_claim_lock_and_checks_again_when_it_lost_it(
    two_workers: tuple[RedisStateStore, RedisStateStore], redis_space: tuple[Any, str]
) -> None:
    a, b = two_workers
    client, prefix = redis_space
    story = make("https://harbour.example/ferry", ORIGINAL)
    # Another process holds the lock (briefly): the claim waits for it, then decides.
    client.set(f"{prefix}:claimlock", "someone-else", px=300)
    assert a.claim_article(story.id, story.content_hash) is None
    assert client.get(f"{prefix}:claimlock") is None  # released with the claim
    # A claim whose lock expired while it checked (a stall) stores nothing: the token is not the lock's.
    copy = make("https://other.example/copy", ORIGINAL)
    settle = [prefix, "b", "stale-token", 1, copy.id, copy.content_hash, 60, b"", "", ""]
    assert b._settle_claim(args=settle) == 0
    assert client.get(f"{prefix}:claim:{copy.id}") is None
    # Checked again, under the lock, the copy is what it is: a duplicate of the article a holds.
    again = b.claim_article(copy.id, copy.content_hash)
    assert again == Duplicate(DuplicateKind.CONTENT, story.id)


RACER = textwrap.dedent(
    """
    import json, sys
    sys.path[:0] = [{root!r}, {tests!r}]
    from test_state_redis import make, paragraphs
    from crawler.state.dedup_index import SharedDedupIndex
    from crawler.state.redis_store import RedisStateStore
    from cleaners.dedup import DedupIndex
    from cleaners.article import Article
    worker = sys.argv[1]
    store = RedisStateStore({url!r}, worker=worker)
    index = {index}(store)
    store.client.incr(store.key("ready"))
    while int(store.client.get(store.key("ready"))) < {count}:  # start together: a real race
        pass
    written = []
    for n in range(15):  # the same 15 stories, each process under its own URLs
        admitted = index.admit(make(f"https://{{worker}}.example/{{n}}", paragraphs(100 + n)))
        if isinstance(admitted, Article):
            index.record(admitted)
            written.append(n)
    print(json.dumps(written))
    """
)


def test_concurrent_processes_write_each_story_exactly_once(redis_space: tuple[Any, str]) -> None:
    _, prefix = redis_space
    url = f"{redis_url()}?prefix={prefix}"
    script = RACER.format(root=str(ROOT), tests=str(ROOT / "tests"), url=url, index="SharedDedupIndex", count=4)
    processes = [
        subprocess.Popen([sys.executable, "-c", script, f"w{n}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for n in range(4)
    ]
    written: list[int] = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()
        written += json.loads(out)
    assert sorted(written) == list(range(15)), "every story once, by whichever process got there first"


def test_location_and_read_only(redis_space: tuple[Any, str]) -> None:
    assert split_location("redis://h:1/2?prefix=news.eu&ssl_cert_reqs=none") == (
        "redis://h:1/2?ssl_cert_reqs=none",
        "news.eu",
    )
    assert split_location("redis://h:1/2") == ("redis://h:1/2", "presswash")
    _, prefix = redis_space
    with RedisStateStore(f"{redis_url()}?prefix={prefix}", readonly=True) as reader:
        assert reader.list_runs() == []
        with pytest.raises(PermissionError):
            reader.put_run(RunRecord(run_id="x", site="a", started_at="x"))


def test_lease_times_travel_in_the_location(redis_space: tuple[Any, str]) -> None:
    """A crawl's components only get the location (PRESSWASH_STATE_PATH): heartbeat_ttl and claim_ttl ride
    in it, and never reach redis-py."""
    assert split_location("redis://h:1/2?prefix=p&heartbeat_ttl=5&claim_ttl=30&ssl_cert_reqs=none") == (
        "redis://h:1/2?ssl_cert_reqs=none",
        "p",
    )
    _, prefix = redis_space
    with RedisStateStore(f"{redis_url()}?prefix={prefix}&heartbeat_ttl=5&claim_ttl=30") as store:
        assert (store.heartbeat_ttl, store.claim_ttl) == (5, 30)
    with RedisStateStore(f"{redis_url()}?prefix={prefix}&heartbeat_ttl=5", heartbeat_ttl=7) as store:
        assert (store.heartbeat_ttl, store.claim_ttl) == (7, 600)  # an argument wins; defaults otherwise
    with pytest.raises(ConfigError, match="heartbeat_ttl='soon': not a number"):
        RedisStateStore(f"{redis_url()}?prefix={prefix}&heartbeat_ttl=soon")


def test_fixture_cleanup_removes_every_key(redis_space: tuple[Any, str]) -> None:
    client, prefix = redis_space
    with RedisStateStore(f"{redis_url()}?prefix={prefix}", worker="w") as store:
        write(SharedDedupIndex(store), make("https://harbour.example/ferry", ORIGINAL))
    assert delete_prefix(client, prefix) > 0
    assert list(client.scan_iter(match=f"{prefix}:*")) == []
