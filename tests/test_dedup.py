"""cleaners.dedup: URL, content and near duplicates across runs; updates get a new version, same id."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cleaners.article import Article, RejectReason
from cleaners.dedup import (
    PARAMS_META_KEY,
    DedupIndex,
    DedupSettings,
    DedupStore,
    Duplicate,
    DuplicateKind,
    MemoryDedupStore,
    MinHasher,
    NearDuplicateParams,
    lsh_bands,
)
from cleaners.text import content_hash, normalize, stable_id, word_count, words
from cleaners.urls import normalize_url
from crawler.config import load_recurring_settings
from crawler.state.sqlite import SqliteStateStore

BODY = [
    "The harbour authority has approved plans for a new ferry terminal on the eastern quay, ending a two-year "
    "review that drew more than four thousand comments from residents, shipping companies and environmental "
    "groups worried about noise, traffic and the dredging of the old channel.",
    "The terminal will handle up to one and a half million passengers a year once it opens, roughly double "
    "the capacity of the present building, and will be the first in the region to let ferries plug into "
    "shore power while they wait at the berth instead of running their engines.",
    "Officials said construction would begin next spring and take about three years, with the old terminal "
    "staying open throughout. The cost, estimated at 180 million, will be shared between the authority, the "
    "regional government and a European fund for low-carbon transport.",
    "Residents of the streets behind the quay had asked for a cap on night-time sailings and for lorries to "
    "be routed around the town centre. The final plan limits departures between midnight and five in the "
    "morning and adds a new access road from the ring road to the port gates.",
    "Environmental groups welcomed the shore power connection but said the dredging plan still risked "
    "disturbing seagrass beds at the mouth of the estuary, where a colony of protected seahorses was "
    "recorded last summer by volunteer divers from the local diving club.",
    "Ferry operators said the new berths would let them use larger ships on the busiest routes in summer, "
    "when queues of cars regularly stretch back along the coast road, and that faster loading ramps would "
    "cut the time each vessel spends in port by around twenty minutes.",
    "The authority's chair said the review had been longer than any she could remember, but that the plan "
    "was better for it. She promised monthly meetings with residents during construction and a telephone "
    "line for complaints about noise, dust or blocked roads.",
    "Work on the access road is expected to start first, in the autumn, so that construction traffic never "
    "has to pass through the old town. The authority will publish a detailed timetable of the works on its "
    "website before the end of the year, together with the final environmental report.",
]
ORIGINAL = [
    "By our harbour correspondent. Updated on Tuesday with reaction from the ferry operators.",
    *BODY,
    "Have a story about the port? Contact our newsroom by email or through the tip line on our website.",
]
SYNDICATED = [
    "This article first appeared in The Harbour Ledger and is shared by a regional news partnership.",
    *BODY,
    "Copyright 2026 The Harbour Ledger. All rights reserved; republished here with permission.",
]
OTHER = [
    "Rail unions welcomed a decision by the regional parliament to extend the night train service to the "
    "coast, but the finance committee warned that the subsidy would cost more than expected next year.",
    "The new timetable adds three weekly departures in winter and a daily service in summer, with sleeper "
    "cars bought second-hand from an operator in the north that retired them after a fleet renewal.",
    "Tourism boards along the coast said the service would help hotels fill rooms outside the peak season, "
    "when most visitors arrive by car and stay only for a weekend.",
]


def article(
    url: str | None,
    paragraphs: list[str],
    *,
    canonical: str | None = None,
    site: str = "demo",
    version: int = 1,
) -> Article:
    """An Article as cleaners.core builds it (id from the normalized URL, hash of the normalized text)."""
    digest = content_hash(paragraphs)
    key = f"url:{normalize_url(url)}" if url else f"content:{digest}"
    text = "\n\n".join(paragraphs)
    return Article(
        id=stable_id(key),
        version=version,
        url=url,
        canonical_url=canonical,
        source_path=None,
        site=site,
        title="Harbour authority approves new ferry terminal",
        published=None,
        language="en",
        language_score=0.99,
        text=text,
        paragraphs=paragraphs,
        word_count=word_count(text),
        content_hash=digest,
        fetched_at="2026-06-08T12:00:00Z",
        rules_version="test",
    )


BASE = "https://harbourtimes.example"


@pytest.fixture
def index() -> DedupIndex:
    return DedupIndex(MemoryDedupStore())


def write(index: DedupIndex, item: Article) -> Article:
    """What a writer does: admit, write (here: nothing), record."""
    admitted = index.admit(item)
    assert isinstance(admitted, Article), admitted
    index.record(admitted)
    return admitted


def test_a_new_article_is_version_1_and_recorded(index: DedupIndex) -> None:
    first = article(f"{BASE}/news/ferry-terminal.html", ORIGINAL)
    assert index.check(first) is None
    written = write(index, first)
    assert written.version == 1
    assert written.id == first.id
    assert index.store.get_article(first.id) is not None
    assert index.in_flight == 0


def test_same_url_with_tracking_parameters_is_a_url_duplicate(index: DedupIndex) -> None:
    first = write(index, article(f"{BASE}/news/ferry-terminal.html", ORIGINAL))
    again = article(f"{BASE}/news/ferry-terminal.html/?utm_source=rss&utm_medium=feed#comments", ORIGINAL)
    assert again.id == first.id  # normalize_url folds the variants into one id
    duplicate = index.check(again)
    assert duplicate == Duplicate(DuplicateKind.URL, first.id)


def test_canonical_url_with_same_text_is_a_url_duplicate(index: DedupIndex) -> None:
    first = write(index, article(f"{BASE}/news/ferry-terminal.html", ORIGINAL))
    printed = article(f"{BASE}/print/news/ferry-terminal.html", ORIGINAL, canonical=f"{BASE}/news/ferry-terminal.html")
    assert printed.id != first.id
    assert index.check(printed) == Duplicate(DuplicateKind.URL, first.id)


def test_same_text_under_another_url_is_a_content_duplicate(index: DedupIndex) -> None:
    first = write(index, article(f"{BASE}/news/ferry-terminal.html", ORIGINAL))
    # Other whitespace and typographic quotes: the normalized text, hence the hash, is the same.
    retyped = [p.replace("'", "\u2019").replace(" ", "  ") for p in ORIGINAL]
    copy = article("https://aggregator.example/stories/12345", retyped, site="aggregator")
    duplicate = index.check(copy)
    assert duplicate is not None
    assert (duplicate.kind, duplicate.original_id) == (DuplicateKind.CONTENT, first.id)


def test_syndicated_copy_with_other_first_and_last_paragraph_is_a_near_duplicate(index: DedupIndex) -> None:
    first = write(index, article(f"{BASE}/news/ferry-terminal.html", ORIGINAL))
    copy = article("https://ledger.example/2026/06/09/ferry-terminal-approved", SYNDICATED, site="ledger")
    assert copy.content_hash != first.content_hash
    assert copy.paragraphs[0] != first.paragraphs[0] and copy.paragraphs[-1] != first.paragraphs[-1]

    duplicate = index.check(copy)
    assert duplicate is not None
    assert duplicate.kind is DuplicateKind.NEAR
    assert duplicate.original_id == first.id
    assert 0.7 <= duplicate.similarity < 1.0
    rejected = duplicate.to_rejected(copy.url or "")
    assert rejected.reason is RejectReason.DUPLICATE
    assert first.id in rejected.detail and "near" in rejected.detail
    assert isinstance(index.admit(copy), Duplicate)  # never written, whatever the entry point


def test_an_unrelated_article_is_not_a_near_duplicate(index: DedupIndex) -> None:
    write(index, article(f"{BASE}/news/ferry-terminal.html", ORIGINAL))
    # Shares the site's header and footer lines, nothing else.
    other = article(f"{BASE}/news/night-trains.html", [ORIGINAL[0], *OTHER, ORIGINAL[-1]])
    assert index.check(other) is None


def test_changed_text_at_the_same_url_is_an_update_with_the_next_version(index: DedupIndex) -> None:
    url = f"{BASE}/news/ferry-terminal.html"
    first = write(index, article(url, ORIGINAL))
    corrected = [*ORIGINAL[:-1], "Correction: an earlier version gave the wrong cost for the terminal.", ORIGINAL[-1]]
    update = article(url, corrected)
    assert index.check(update) is None  # not a duplicate...
    second = write(index, update)
    assert (second.id, second.version) == (first.id, 2)  # ...the same article, next version
    assert index.check(article(url, corrected)) == Duplicate(DuplicateKind.URL, first.id)
    third = write(index, article(url, [*corrected, "Update: the council has appealed the decision."]))
    assert (third.id, third.version) == (first.id, 3)
    assert index.store.get_article(first.id).version == 3  # type: ignore[union-attr]


def test_an_update_is_not_caught_as_near_duplicate_of_its_own_earlier_version(index: DedupIndex) -> None:
    url = f"{BASE}/news/ferry-terminal.html"
    write(index, article(url, ORIGINAL))
    admitted = index.admit(article(url, SYNDICATED))  # near-identical text, same URL: an update
    assert isinstance(admitted, Article) and admitted.version == 2


def test_two_copies_in_flight_at_once_are_still_caught(index: DedupIndex) -> None:
    first = index.admit(article(f"{BASE}/news/ferry-terminal.html", ORIGINAL))
    assert isinstance(first, Article)
    copy = article("https://ledger.example/ferry", SYNDICATED)
    assert index.admit(copy) == Duplicate(DuplicateKind.NEAR, first.id, index.check(copy).similarity)  # type: ignore[union-attr]
    index.release(first)  # the writer failed: the first one was never written
    assert isinstance(index.admit(copy), Article)


def test_replay_records_written_but_unrecorded_articles_once(index: DedupIndex) -> None:
    written = [article(f"{BASE}/news/{n}.html", [f"Story number {n}.", *BODY[n:]]) for n in range(3)]
    lines = [a.model_dump(mode="json") for a in written]  # as read back from the JSONL file
    assert index.replay([*lines, {"not": "an article"}]) == 3
    assert index.replay(lines) == 0  # idempotent
    for item in written:
        assert index.check(item) == Duplicate(DuplicateKind.URL, item.id)


def test_replay_never_downgrades_a_newer_version(index: DedupIndex) -> None:
    url = f"{BASE}/news/ferry-terminal.html"
    v1 = write(index, article(url, ORIGINAL))
    v2 = write(index, article(url, SYNDICATED))
    assert index.replay([v1.model_dump(mode="json")]) == 0
    assert index.store.get_article(v2.id).content_hash == v2.content_hash  # type: ignore[union-attr]


def test_threshold_comes_from_config(tmp_path: Path) -> None:
    config = tmp_path / "presswash.yaml"
    config.write_text("cleaning:\n  min_words: 25\ndedup:\n  near_duplicate_threshold: 0.95\n", encoding="utf-8")
    settings = load_recurring_settings(config).dedup
    assert settings.near_duplicate_threshold == 0.95

    strict = DedupIndex(MemoryDedupStore(), settings)
    write(strict, article(f"{BASE}/news/ferry-terminal.html", ORIGINAL))
    assert strict.check(article("https://ledger.example/ferry", SYNDICATED)) is None  # below 0.95

    loose = DedupIndex(MemoryDedupStore(), DedupSettings(near_duplicate_threshold=0.7))
    write(loose, article(f"{BASE}/news/ferry-terminal.html", ORIGINAL))
    assert loose.check(article("https://ledger.example/ferry", SYNDICATED)) is not None


def test_bad_dedup_config_names_the_key(tmp_path: Path) -> None:
    from cleaners.config import ConfigError

    config = tmp_path / "presswash.yaml"
    config.write_text("dedup:\n  near_duplicate_treshold: 0.8\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"presswash.yaml: dedup.near_duplicate_treshold: unknown key"):
        load_recurring_settings(config)


def test_changing_the_threshold_rebands_stored_signatures(tmp_path: Path) -> None:
    with SqliteStateStore(tmp_path / "state.sqlite3") as store:
        first = write(DedupIndex(store, DedupSettings(near_duplicate_threshold=0.9)), article(f"{BASE}/a", ORIGINAL))
        # Reopened with another threshold: the bands change, the signature is kept and re-bucketed.
        index = DedupIndex(store, DedupSettings(near_duplicate_threshold=0.7))
        params = NearDuplicateParams.from_json(store.get_meta(PARAMS_META_KEY) or "")
        assert params is not None and (params.bands, params.rows) == (
            index.hasher.params.bands,
            index.hasher.params.rows,
        )  # type: ignore[union-attr]
        duplicate = index.check(article("https://ledger.example/ferry", SYNDICATED))
        assert duplicate is not None and duplicate.original_id == first.id
        # Another shingle size makes old signatures meaningless: they are dropped, URL/content stay.
        index = DedupIndex(store, DedupSettings(shingle_size=4))
        assert index.check(article("https://ledger.example/ferry", SYNDICATED)) is None
        assert index.check(article(f"{BASE}/a", ORIGINAL)) == Duplicate(DuplicateKind.URL, first.id)


def test_two_runs_in_a_row_over_sqlite_emit_new_articles_only(tmp_path: Path) -> None:
    """What two scheduled runs see: the second run's index is a fresh object over the same file."""
    path = tmp_path / "state.sqlite3"
    run1 = [
        article(f"{BASE}/news/{n}.html", [f"Story {n} of the week.", BODY[2 * n], BODY[2 * n + 1]]) for n in range(4)
    ]
    with SqliteStateStore(path) as store:
        index = DedupIndex(store)
        assert [isinstance(index.admit(a), Article) for a in run1] == [True] * 4
        for item in run1:
            index.record(item)
    run2 = [*run1, article(f"{BASE}/news/new.html", OTHER)]
    with SqliteStateStore(path) as store:
        index = DedupIndex(store)
        results = [index.admit(a) for a in run2]
    emitted = [r for r in results if isinstance(r, Article)]
    assert [a.url for a in emitted] == [f"{BASE}/news/new.html"]
    assert all(isinstance(r, Duplicate) and r.kind is DuplicateKind.URL for r in results[:4])


def test_prune_forgets_old_signatures_but_not_urls_or_hashes() -> None:
    now = datetime(2026, 6, 8, tzinfo=UTC)
    clock = [now - timedelta(days=40)]
    index = DedupIndex(MemoryDedupStore(), DedupSettings(near_duplicate_window_days=30), clock=lambda: clock[0])
    old = write(index, article(f"{BASE}/old", ORIGINAL))
    clock[0] = now
    assert index.prune() == 1
    assert index.check(article("https://ledger.example/ferry", SYNDICATED)) is None  # beyond the window
    assert index.check(article(f"{BASE}/old", ORIGINAL)) == Duplicate(DuplicateKind.URL, old.id)
    copy = article("https://other.example/x", ORIGINAL)
    assert index.check(copy) == Duplicate(DuplicateKind.CONTENT, old.id)


def test_disabled_dedup_admits_everything() -> None:
    index = DedupIndex(MemoryDedupStore(), DedupSettings(enabled=False))
    first = article(f"{BASE}/a", ORIGINAL)
    assert isinstance(index.admit(first), Article)
    index.record(first)
    assert isinstance(index.admit(first), Article)


def test_url_and_content_only_when_near_duplicates_are_off() -> None:
    index = DedupIndex(MemoryDedupStore(), DedupSettings(near_duplicates=False))
    assert index.hasher is None
    write(index, article(f"{BASE}/a", ORIGINAL))
    assert index.check(article("https://ledger.example/ferry", SYNDICATED)) is None
    assert index.check(article("https://ledger.example/copy", ORIGINAL)) is not None


def test_store_implementations_satisfy_the_protocol(tmp_path: Path) -> None:
    assert isinstance(MemoryDedupStore(), DedupStore)
    with SqliteStateStore(tmp_path / "s.sqlite3") as store:
        assert isinstance(store, DedupStore)


def test_index_stays_on_disk_and_checks_are_cheap(tmp_path: Path) -> None:
    """Per article: one signature and one bucket row per band in the store; nothing kept in memory."""
    import random

    vocabulary = sorted({w.strip(".,;").lower() for p in BODY + OTHER for w in p.split()})
    rng = random.Random(7)
    with SqliteStateStore(tmp_path / "state.sqlite3") as store:
        index = DedupIndex(store)
        for n in range(150):
            paragraphs = [" ".join(rng.choice(vocabulary) for _ in range(60)) for _ in range(5)]
            result = index.admit(article(f"{BASE}/bulk/{n}.html", paragraphs))
            assert isinstance(result, Article)
            index.record(result)
        counts = store.counts()
        assert index.in_flight == 0
        bands = index.hasher.params.bands  # type: ignore[union-attr]
        assert counts["signatures"] == counts["articles"] == 150
        assert counts["lsh_buckets"] == 150 * bands


def word_shingles(text: str, size: int) -> set[tuple[str, ...]]:
    tokens = words(normalize(text))
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def test_similarity_estimate_tracks_jaccard() -> None:
    hasher = MinHasher(NearDuplicateParams.from_settings(DedupSettings()))
    a, b = "\n\n".join(ORIGINAL), "\n\n".join(SYNDICATED)
    sa, sb = word_shingles(a, hasher.params.shingle_size), word_shingles(b, hasher.params.shingle_size)
    exact = len(sa & sb) / len(sa | sb)
    estimate = MinHasher.similarity(hasher.signature(a) or b"", hasher.signature(b) or b"")
    assert abs(estimate - exact) < 0.12
    assert hasher.signature("too short") is None


def test_shingle_hashes_are_pinned_and_word_order_matters() -> None:
    """The values are stored (signatures outlive runs and machines): a change to how they are made must
    be a new ``shingle_hash`` name, which makes a store drop its old signatures."""
    hasher = MinHasher(NearDuplicateParams.from_settings(DedupSettings()))
    hashes = hasher.shingle_hashes("The quick brown fox jumps over the lazy dog")
    assert hashes is not None and hashes.tolist() == [860364330, 4037283839, 4260496639, 838058031, 41673058]
    last, other_last, other_first = (
        hasher.shingle_hashes(text) for text in ("w1 w2 w3 w4 alpha", "w1 w2 w3 w4 beta", "zeta w2 w3 w4 alpha")
    )
    assert len({int(h[0]) for h in (last, other_last, other_first) if h is not None}) == 3
    assert hasher.shingle_hashes("four words only here") is None


def test_signatures_stored_with_sha1_shingles_are_not_compared() -> None:
    """A store written before shingle_hash existed holds SHA-1 shingle signatures: not comparable."""
    current = NearDuplicateParams.from_settings(DedupSettings())
    legacy = json.loads(current.to_json())
    del legacy["shingle_hash"]
    stored = NearDuplicateParams.from_json(json.dumps(legacy))
    assert stored is not None and stored.shingle_hash == "sha1"
    assert not current.same_signatures(stored)
    assert NearDuplicateParams.from_json(current.to_json()) == current


@pytest.mark.parametrize("num_perm", [32, 128])
def test_lsh_bands_are_the_ones_datasketch_picks(num_perm: int) -> None:
    """A sample (datasketch takes ~0.5 s a pair here); the full grid, num_perm 32/64/128/256 by thresholds
    0.30-1.00 in steps of 0.01, matched when lsh_bands was written."""
    from datasketch import MinHashLSH

    for threshold in (0.3, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99):
        try:
            lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        except ValueError:
            with pytest.raises(ValueError, match="near_duplicate_threshold"):
                lsh_bands.__wrapped__(threshold, num_perm)
            continue
        assert lsh_bands.__wrapped__(threshold, num_perm) == (lsh.b, lsh.r), threshold


def test_emitter_admits_writes_records_counts_in_that_order() -> None:
    """cleaners.emit: a written article is recorded after its line; a failed write releases it (a later
    copy is written, not taken for a duplicate of a line that does not exist); a duplicate is counted."""
    from cleaners.emit import Emitter
    from cleaners.stats import RunStats

    stats = RunStats()
    emitter = Emitter(DedupIndex(MemoryDedupStore()), stats)
    lines: list[str] = []

    def broken(line: str) -> None:
        raise OSError("disk full")

    first = article(f"{BASE}/news/ferry-terminal.html", ORIGINAL)
    with pytest.raises(OSError):
        emitter.emit(first, broken)
    written = emitter.emit(first, lines.append)
    assert isinstance(written, Article) and lines == [written.to_json_line()]
    copy = emitter.emit(article("https://ledger.example/ferry", ORIGINAL), lines.append)
    assert not isinstance(copy, Article) and copy.reason is RejectReason.DUPLICATE and len(lines) == 1
    assert (stats.written, dict(stats.rejected)) == (1, {"duplicate": 1})


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 7), (16, 1)])
def test_signatures_are_datasketchs_affine32_minhash_value_for_value(num_perm: int, seed: int) -> None:
    """MinHasher computes datasketch's affine32 MinHash itself (no scipy import at every crawl's start):
    signatures stored by earlier versions, made with datasketch, must stay comparable."""
    import numpy as np
    from datasketch import MinHash

    from cleaners.dedup import MinHasher, affine32_permutations, affine32_signature

    reference = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
    a, b = affine32_permutations(num_perm, seed)
    assert (a == reference.permutations[0]).all() and (b == reference.permutations[1]).all()
    hasher = MinHasher(NearDuplicateParams(num_perm=num_perm, shingle_size=5, bands=2, rows=num_perm // 2, seed=seed))
    texts = [" ".join(f"word{(i * 7919 + n) % 997}" for i in range(400)) for n in range(5)] + [
        "Short text with exactly six words.",
        "Ünïcode wörds, typographic “quotes” — and dashes here too.",
    ]
    for text in texts:
        hashes = hasher.shingle_hashes(text)
        assert hashes is not None
        minhash = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=int)
        minhash.update_batch(hashes.tolist())
        expected = np.asarray(minhash.hashvalues, dtype="<u4")
        assert (affine32_signature(hashes, a, b) == expected).all()
        assert hasher.signature(text) == expected.tobytes()
