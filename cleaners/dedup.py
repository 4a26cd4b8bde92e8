"""Deduplication across runs and sites: the same URL, the same text, or nearly the same text.

Users run presswash unattended for months; every article must be written once, and a page whose text
changed must come out again as a new *version* of the same article rather than as a duplicate or as a
new article. Three checks, cheapest first, each answering with the id of the article already written:

``url``
    The normalized URL (tracking parameters, fragment and trailing slash dropped) or the page's
    ``<link rel=canonical>`` is already known **with the same text**: a re-fetch or a URL variant.
``content``
    The content hash (sha256 of the normalized text) is known under another URL: a verbatim copy.
``near``
    MinHash/LSH over word shingles of the normalized text finds an article whose estimated Jaccard
    similarity is at least ``near_duplicate_threshold``: a syndicated copy with another header, byline
    or footer.

Versions. An article's ``id`` is the hash of its normalized URL (cleaners.core), so an article fetched
again from the same URL has the same id. When its content hash differs from the recorded one it is an
**update**, not a duplicate: :meth:`DedupIndex.admit` returns it with ``version = previous + 1`` (the
first capture is version 1). A consumer keeps, per id, the record with the highest version. Matching a
known article only through its *canonical* URL with different text is not an update (a syndicated copy
often points its canonical at the original): it goes on to the content and near-duplicate checks.

Memory. Nothing grows in RAM: signatures and LSH buckets live in the store (SQLite on disk in the
crawl), a check is a few indexed look-ups plus a comparison with the few candidates LSH returns, and
signatures older than ``near_duplicate_window_days`` are pruned (syndicated copies appear within days;
URL and content-hash entries, ~100 bytes each, are kept for good).

Crash safety. The crawl writes an article first and records it second, so a kill between the two can
leave an article written but unrecorded; :meth:`DedupIndex.replay` records the lines of the last output
file again on the next start (recording is idempotent). Between :meth:`admit` and :meth:`record` an
article is held in a small in-memory overlay, so two copies in flight at once are still caught.

This module never imports Scrapy; the store interface it needs (:class:`DedupStore`) is defined here so
``cleaners`` does not depend on ``crawler`` (crawler.state.SqliteStateStore implements it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from cleaners.article import Article, Rejected, RejectReason
from cleaners.text import normalize, words
from cleaners.timestamps import utc_iso
from cleaners.urls import normalize_url

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

#: Meta key under which the store keeps the near-duplicate parameters its signatures were made with.
PARAMS_META_KEY = "near_duplicate_params"
_SCHEME = "affine32"  # datasketch 2.x: uint32 hash values, collision-free permutations
_SEED = 1  # fixed: signatures made with another seed cannot be compared
#: How a shingle becomes the 32-bit value MinHash permutes (see MinHasher.shingle_hashes). Signatures
#: stored before this field existed were made with datasketch's default, "sha1" of each shingle.
_SHINGLE_HASH = "crc32-token-poly64"
_LEGACY_SHINGLE_HASH = "sha1"
# Odd 64-bit multiplier of the polynomial that combines a shingle's token hashes (the golden ratio's).
_POLY = 0x9E3779B97F4A7C15  # the shingle polynomial's multiplier, as a numpy uint64 in shingle_hashes
#: Signatures re-banded per store transaction when the threshold changes.
_REBAND_BATCH = 2000


class DedupSettings(BaseModel):
    """The ``dedup:`` section of config/presswash.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="off: every article is written (no dedup at all)")
    near_duplicates: bool = Field(default=True, description="off: only URL and exact-content duplicates")
    near_duplicate_threshold: float = Field(
        default=0.7,
        ge=0.3,
        le=1.0,
        description="estimated Jaccard similarity of word shingles at or above which a text is a near duplicate",
    )
    shingle_size: int = Field(default=5, ge=1, le=20, description="words per shingle")
    num_perm: int = Field(default=128, ge=16, le=1024, description="MinHash permutations (precision vs. cost)")
    near_duplicate_window_days: float | None = Field(
        default=30, gt=0, description="forget near-duplicate signatures older than this; null keeps them forever"
    )


class DuplicateKind(StrEnum):
    URL = "url"
    CONTENT = "content"
    NEAR = "near"


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Why an article is not written: which check caught it and the id of the article it duplicates."""

    kind: DuplicateKind
    original_id: str
    similarity: float = 1.0

    @property
    def detail(self) -> str:
        text = f"{self.kind.value} duplicate of {self.original_id}"
        if self.kind is DuplicateKind.NEAR:
            text += f" (similarity {self.similarity:.2f})"
        return text

    def to_rejected(self, source: str) -> Rejected:
        """As the core's failure value, so pipelines and stats count it like any other rejection."""
        return Rejected(RejectReason.DUPLICATE, self.detail, source)


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """What the index remembers of a written article (never its text)."""

    article_id: str
    content_hash: str
    version: int
    url_key: str | None
    site: str | None
    recorded_at: str  # ISO 8601, UTC


Bucket = tuple[int, int]  # (band number, 64-bit hash of the band's rows)


@runtime_checkable
class DedupStore(Protocol):
    """Storage the index needs. Implemented in memory here and by crawler.state.SqliteStateStore.

    A Redis implementation maps each method onto a few keys (``url:<key>``, ``hash:<h>``,
    ``lsh:<band>:<bucket>`` sets, ``sig:<id>``); :meth:`save_article` must be atomic (MULTI/EXEC).
    """

    def get_article(self, article_id: str) -> ArticleRef | None: ...

    def article_by_url(self, url_key: str) -> ArticleRef | None: ...

    def article_by_content(self, content_hash: str) -> ArticleRef | None: ...

    def lsh_candidates(self, buckets: Sequence[Bucket]) -> set[str]: ...

    def signatures(self, article_ids: Iterable[str]) -> dict[str, bytes]: ...

    def save_article(
        self, ref: ArticleRef, url_keys: Sequence[str], signature: bytes | None, buckets: Sequence[Bucket]
    ) -> None:
        """Upsert the article, map each URL key (first writer wins) and its content hash to it, and
        replace its signature and buckets (when a signature is given), all or nothing."""
        ...

    def iter_signatures(self) -> Iterable[tuple[str, bytes]]: ...

    def replace_buckets(self, article_id: str, buckets: Sequence[Bucket]) -> None: ...

    def clear_near_duplicates(self) -> None: ...

    def prune_signatures(self, before: str) -> int: ...

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...


class MemoryDedupStore:
    """A DedupStore in dictionaries: for one `presswash clean` run and for tests."""

    def __init__(self) -> None:
        self.articles: dict[str, ArticleRef] = {}
        self.url_keys: dict[str, str] = {}
        self.hashes: dict[str, str] = {}
        self.sigs: dict[str, tuple[bytes, str]] = {}
        self.buckets: dict[Bucket, set[str]] = {}
        self.buckets_of: dict[str, list[Bucket]] = {}
        self.meta: dict[str, str] = {}

    def get_article(self, article_id: str) -> ArticleRef | None:
        return self.articles.get(article_id)

    def article_by_url(self, url_key: str) -> ArticleRef | None:
        found = self.url_keys.get(url_key)
        return self.articles.get(found) if found else None

    def article_by_content(self, content_hash: str) -> ArticleRef | None:
        found = self.hashes.get(content_hash)
        return self.articles.get(found) if found else None

    def lsh_candidates(self, buckets: Sequence[Bucket]) -> set[str]:
        out: set[str] = set()
        for bucket in buckets:
            out |= self.buckets.get(bucket, set())
        return out

    def signatures(self, article_ids: Iterable[str]) -> dict[str, bytes]:
        return {i: self.sigs[i][0] for i in article_ids if i in self.sigs}

    def save_article(
        self, ref: ArticleRef, url_keys: Sequence[str], signature: bytes | None, buckets: Sequence[Bucket]
    ) -> None:
        self.articles[ref.article_id] = ref
        for key in url_keys:
            self.url_keys.setdefault(key, ref.article_id)
        self.hashes.setdefault(ref.content_hash, ref.article_id)
        if signature is not None:
            self.sigs[ref.article_id] = (signature, ref.recorded_at)
            self.replace_buckets(ref.article_id, buckets)

    def iter_signatures(self) -> Iterable[tuple[str, bytes]]:
        return [(i, sig) for i, (sig, _) in self.sigs.items()]

    def replace_buckets(self, article_id: str, buckets: Sequence[Bucket]) -> None:
        for old in self.buckets_of.pop(article_id, []):
            self.buckets.get(old, set()).discard(article_id)
        for bucket in buckets:
            self.buckets.setdefault(bucket, set()).add(article_id)
        self.buckets_of[article_id] = list(buckets)

    def clear_near_duplicates(self) -> None:
        self.sigs.clear()
        self.buckets.clear()
        self.buckets_of.clear()

    def prune_signatures(self, before: str) -> int:
        old = [i for i, (_, when) in self.sigs.items() if when < before]
        for article_id in old:
            del self.sigs[article_id]
            self.replace_buckets(article_id, [])
            del self.buckets_of[article_id]
        return len(old)

    def get_meta(self, key: str) -> str | None:
        return self.meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value


# --- MinHash / LSH ------------------------------------------------------------------------------------


def _numpy() -> Any:
    """numpy, imported on first use: only near-duplicate detection needs it, and importing it is ~0.15 s of
    every start (``presswash clean`` without ``--dedup`` never does)."""
    import numpy

    return numpy


@lru_cache(maxsize=1)
def _quadrature() -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [-1, 1] for the band optimizer's integrals (smooth polynomials in s)."""
    return _numpy().polynomial.legendre.leggauss(200)


@lru_cache(maxsize=8)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's MinHashLSH picks for this threshold.

    datasketch minimizes the equally weighted false-positive and false-negative areas of the banding's
    S-curve over every (b, r) with b * r <= num_perm, one ``scipy.integrate.quad`` call per pair: ~1.2 s,
    at the start of every crawl. The same minimum over all pairs at once, with a fixed quadrature, takes
    ~10 ms. It picked datasketch's pair on every num_perm 32/64/128/256 and threshold 0.30-1.00 (step 0.01)
    when written; tests/test_dedup.py checks a sample. Raises ValueError where datasketch does (b < 2).
    """
    np = _numpy()
    pairs = np.array([(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)], dtype=float)
    bands, rows = pairs[:, :1], pairs[:, 1:]
    nodes, weights = _quadrature()

    def area(low: float, high: float, curve: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        half = (high - low) / 2
        return (curve((half * nodes + (high + low) / 2)[None, :]) * (half * weights)[None, :]).sum(axis=1)

    false_positive = area(0.0, threshold, lambda s: 1 - (1 - s**rows) ** bands)
    false_negative = area(threshold, 1.0, lambda s: (1 - s**rows) ** bands)
    best = int(np.argmin(0.5 * false_positive + 0.5 * false_negative))  # first minimum, as datasketch's loop
    b, r = int(pairs[best, 0]), int(pairs[best, 1])
    if b < 2:
        raise ValueError(
            f"dedup: near_duplicate_threshold {threshold} is too high for num_perm {num_perm} "
            "(LSH needs at least 2 bands): lower the threshold or raise num_perm"
        )
    return b, r


@dataclass(frozen=True, slots=True)
class NearDuplicateParams:
    """What a stored signature depends on. Another num_perm/shingle size makes old signatures useless;
    another threshold only changes the banding, which can be rebuilt from the stored signatures."""

    num_perm: int
    shingle_size: int
    bands: int
    rows: int
    seed: int = _SEED
    scheme: str = _SCHEME
    shingle_hash: str = _SHINGLE_HASH

    @classmethod
    def from_settings(cls, settings: DedupSettings) -> NearDuplicateParams:
        bands, rows = lsh_bands(settings.near_duplicate_threshold, settings.num_perm)
        return cls(num_perm=settings.num_perm, shingle_size=settings.shingle_size, bands=bands, rows=rows)

    def to_json(self) -> str:
        return json.dumps(
            {
                "num_perm": self.num_perm,
                "shingle_size": self.shingle_size,
                "bands": self.bands,
                "rows": self.rows,
                "seed": self.seed,
                "scheme": self.scheme,
                "shingle_hash": self.shingle_hash,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> NearDuplicateParams | None:
        try:
            return cls(**{"shingle_hash": _LEGACY_SHINGLE_HASH, **json.loads(text)})
        except (TypeError, ValueError):
            return None

    def same_signatures(self, other: NearDuplicateParams) -> bool:
        return (self.num_perm, self.shingle_size, self.seed, self.scheme, self.shingle_hash) == (
            other.num_perm,
            other.shingle_size,
            other.seed,
            other.scheme,
            other.shingle_hash,
        )


# MurmurHash3's 32-bit finalizer: (shift, multiplier, shift, multiplier, shift), as numpy uint32 in use.
_FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)


def affine32_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) of datasketch 2.x's "affine32" MinHash for this seed: a odd, so h -> a*h + b mod 2^32
    is a bijection. The same draws from the same generator as ``datasketch.MinHash(scheme="affine32")``."""
    np = _numpy()
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def affine32_signature(hashes: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """datasketch's affine32 MinHash of 32-bit values, in numpy: the MurmurHash3 finalizer on each value,
    then per permutation the minimum of a*h + b (uint32 arithmetic wraps: the modulo 2^32).

    Written here rather than called, because ``import datasketch`` imports its LSH classes and scipy
    with them: ~0.9 s of CPU at the start of every crawl, for a function of six array operations.
    tests/test_dedup.py checks it against datasketch's own MinHash, value for value."""
    np = _numpy()
    s1, m1, s2, m2, s3 = (np.uint32(value) for value in _FMIX32)
    hv = hashes.astype(np.uint32)
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    hv = hv ^ (hv >> s3)
    return (hv[:, None] * a + b).min(axis=0)


class MinHasher:
    """Word-shingle MinHash signatures (datasketch's "affine32" scheme, see affine32_signature) and their
    LSH band buckets."""

    def __init__(self, params: NearDuplicateParams) -> None:
        if params.scheme != _SCHEME:
            raise ValueError(f"dedup: MinHash scheme {params.scheme!r} is not supported (only {_SCHEME!r})")
        self.params = params
        # Generating the permutations is the costly part of a MinHash: do it once, reuse it per text.
        self._a, self._b = affine32_permutations(params.num_perm, params.seed)

    def shingle_hashes(self, text: str) -> np.ndarray | None:
        """One 32-bit value per word shingle (of ``shingle_size`` normalized words), ~5x cheaper than hashing
        each shingle's text.

        datasketch's default hashes every shingle with SHA-1 from Python (~2 us each, 600 a page: the
        largest cost of the crawl's process after Scrapy itself). Here each distinct word is hashed once
        (CRC-32), and a shingle's value is a polynomial of its words' values in wrapping 64-bit
        arithmetic, computed for all shingles at once, ending with a multiplication so that every word
        reaches the top 32 bits, which are the value (datasketch then applies its own finalizer, a
        bijection that spreads them, before permuting). Same words in the same order, same value, on every
        machine; None for a text shorter than one shingle.
        """
        tokens = words(normalize(text))
        k = self.params.shingle_size
        count = len(tokens) - k + 1
        if count < 1:
            return None
        np = _numpy()
        vocabulary: dict[str, int] = {}
        positions = np.fromiter((vocabulary.setdefault(t, len(vocabulary)) for t in tokens), np.int64, len(tokens))
        token_hashes = np.array([zlib.crc32(t.encode("utf-8")) for t in vocabulary], dtype=np.uint64)[positions]
        combined = np.zeros(count, dtype=np.uint64)
        for offset in range(k):  # uint64 array arithmetic wraps silently, as intended
            combined = (combined + token_hashes[offset : offset + count]) * np.uint64(_POLY)
        return (combined >> np.uint64(32)).astype(np.uint32)

    def signature(self, text: str) -> bytes | None:
        """uint32 little-endian hash values; None for a text shorter than one shingle."""
        hashes = self.shingle_hashes(text)
        if hashes is None:
            return None
        return affine32_signature(hashes, self._a, self._b).astype("<u4").tobytes()

    def buckets(self, signature: bytes) -> list[Bucket]:
        """One bucket per band: a 64-bit hash of the band's rows, so equal bands meet in one bucket."""
        rows = self.params.rows * 4
        out = []
        for band in range(self.params.bands):
            digest = hashlib.blake2b(signature[band * rows : (band + 1) * rows], digest_size=8).digest()
            out.append((band, int.from_bytes(digest, "little", signed=True)))
        return out

    @staticmethod
    def similarity(a: bytes, b: bytes) -> float:
        """Estimated Jaccard similarity: the share of equal hash values."""
        np = _numpy()
        left, right = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
        if left.shape != right.shape:
            return 0.0
        return float(np.count_nonzero(left == right)) / len(left)


# --- the check shared stores make across processes ---------------------------------------------------


def nearest(signature: bytes, candidates: Iterable[tuple[str, bytes]], threshold: float) -> Duplicate | None:
    """The near duplicate among (id, signature) candidates: the most similar at or over the threshold;
    between equals, the smallest id, so the answer never depends on the order candidates come in."""
    best: tuple[float, str] | None = None
    for candidate_id, other in candidates:
        score = MinHasher.similarity(signature, other)
        if score >= threshold and (best is None or (-score, candidate_id) < best):
            best = (-score, candidate_id)
    if best is None:
        return None
    return Duplicate(DuplicateKind.NEAR, best[1], round(-best[0], 4))


class ClaimView(Protocol):
    """What :func:`claim_check` reads of a store shared by several processes: recorded articles, and the
    articles other live processes hold in flight (claimed, not yet recorded). A backend decides how it
    finds things (indexes, leases, liveness), never what is a duplicate."""

    def held_elsewhere(self, article_id: str) -> bool:
        """Another live process holds this id in flight."""
        ...

    def recorded_hash(self, article_id: str) -> str | None:
        """The content hash recorded under this id."""
        ...

    def claimed_content(self, content_hash: str, article_id: str) -> str | None:
        """The id, other than ``article_id``, another live process holds in flight with this content hash."""
        ...

    def recorded_content(self, content_hash: str) -> str | None:
        """The id recorded with this content hash."""
        ...

    def near_candidates(
        self, article_id: str, signature: bytes, buckets: Sequence[Bucket]
    ) -> Iterable[tuple[str, bytes]]:
        """(id, signature) of recorded and in-flight articles to compare with, never ``article_id`` itself."""
        ...


def claim_check(
    view: ClaimView,
    article_id: str,
    content_hash: str,
    *,
    has_url: bool,
    signature: bytes | None,
    buckets: Sequence[Bucket],
    threshold: float,
) -> Duplicate | None:
    """The duplicate an article is against everything recorded or in flight in a shared store, or None.

    The one decision behind every backend's ``claim_article`` (SQLite, Redis): the same id with the same
    text or held by another process, then the same content under another id, then a near duplicate. The
    store runs it where nothing can claim meanwhile (SQLite: its write transaction; Redis: its claim lock).
    It reads what is in flight *before* what is recorded: recording turns a claim into a record at once,
    so a store whose reads are separate commands (Redis) still sees an article in one of its two states.
    """
    url_kind = DuplicateKind.URL if has_url else DuplicateKind.CONTENT
    held = view.held_elsewhere(article_id)
    if held or view.recorded_hash(article_id) == content_hash:
        return Duplicate(url_kind, article_id)
    claimed = view.claimed_content(content_hash, article_id)
    recorded = view.recorded_content(content_hash)
    if recorded is not None and recorded != article_id:
        return Duplicate(DuplicateKind.CONTENT, recorded)
    if claimed is not None:
        return Duplicate(DuplicateKind.CONTENT, claimed)
    if signature:
        return nearest(signature, view.near_candidates(article_id, signature, buckets), threshold)
    return None


# --- the index ----------------------------------------------------------------------------------------


def url_keys(article: Article) -> list[str]:
    """Normalized URL, then normalized canonical URL (when there is one and it differs)."""
    keys: list[str] = []
    for url in (article.url, article.canonical_url):
        if url and url.startswith(("http://", "https://")):
            key = normalize_url(url)
            if key not in keys:
                keys.append(key)
    return keys


@dataclass(slots=True)
class _Pending:
    article: Article
    keys: list[str]
    signature: bytes | None


def _now_iso(clock: Callable[[], datetime]) -> str:
    return utc_iso(clock())


class DedupIndex:
    """URL, content and near-duplicate index over a :class:`DedupStore`.

    Usage in a writer: ``result = index.admit(article)``; a :class:`Duplicate` is counted and dropped,
    an Article (its ``version`` set) is written and then ``index.record(article)``; if writing fails,
    ``index.release(article)``.
    """

    #: True when admissions also hold against other processes sharing the store (claims), so a duplicate
    #: of an article in flight elsewhere is not final until that article is recorded.
    shares_claims: bool = False

    def __init__(
        self,
        store: DedupStore,
        settings: DedupSettings | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or DedupSettings()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._pending: dict[str, _Pending] = {}
        self.hasher: MinHasher | None = None
        if self.settings.enabled and self.settings.near_duplicates:
            params = NearDuplicateParams.from_settings(self.settings)
            self._sync_params(params)
            self.hasher = MinHasher(params)

    def _sync_params(self, params: NearDuplicateParams) -> None:
        """Make the stored signatures match these parameters: rebuild the bands when only the threshold
        changed (cheap, no text needed), forget the signatures when they cannot be compared any more."""
        stored_text = self.store.get_meta(PARAMS_META_KEY)
        stored = NearDuplicateParams.from_json(stored_text) if stored_text else None
        if stored == params:
            return
        if stored is not None and stored.same_signatures(params):
            # Re-band in batches: one transaction per signature took 311 s for 300k, one for all would
            # hold the store's write lock as long. A store without batches gets one call per signature.
            # The new parameters are stored only at the end, so a run killed half-way starts over.
            hasher = MinHasher(params)
            many = getattr(self.store, "replace_buckets_many", None)
            count = 0
            batch: list[tuple[str, list[Bucket]]] = []
            for article_id, signature in self.store.iter_signatures():
                batch.append((article_id, hasher.buckets(signature)))
                count += 1
                if len(batch) >= _REBAND_BATCH:
                    self._reband(batch, many)
            self._reband(batch, many)
            logger.info("near-duplicate threshold changed: re-banded %d signatures", count)
        elif stored is not None:
            logger.warning(
                "near-duplicate parameters changed (num_perm or shingle_size): previous signatures dropped; "
                "near duplicates of older articles will not be detected"
            )
            self.store.clear_near_duplicates()
        self.store.set_meta(PARAMS_META_KEY, params.to_json())

    def _reband(self, batch: list[tuple[str, list[Bucket]]], many: Callable[..., None] | None) -> None:
        if many is not None:
            many(batch)
        else:
            for article_id, buckets in batch:
                self.store.replace_buckets(article_id, buckets)
        batch.clear()

    # -- checks --

    def check(self, article: Article) -> Duplicate | None:
        """The duplicate this article is, or None when it is new or an update of its own URL."""
        if not self.settings.enabled:
            return None
        return self._check(article, url_keys(article), self._signature(article))

    def _check(self, article: Article, keys: list[str], signature: bytes | None) -> Duplicate | None:
        url_kind = DuplicateKind.URL if article.url else DuplicateKind.CONTENT
        prior = self._by_id(article.id)
        if prior is not None:
            # Same id = same normalized URL: same text is a re-fetch, other text an update.
            return Duplicate(url_kind, prior.article_id) if prior.content_hash == article.content_hash else None
        for key in keys:
            ref = self._by_url(key)
            if ref is not None and ref.content_hash == article.content_hash:
                return Duplicate(DuplicateKind.URL, ref.article_id)
        ref = self._by_content(article.content_hash)
        if ref is not None:
            return Duplicate(DuplicateKind.CONTENT, ref.article_id)
        if signature is not None and self.hasher is not None:
            return self._near(article.id, signature)
        return None

    def _near(self, article_id: str, signature: bytes) -> Duplicate | None:
        assert self.hasher is not None
        candidates = self.store.lsh_candidates(self.hasher.buckets(signature))
        candidates.discard(article_id)
        scored = list(self.store.signatures(candidates).items())
        scored += [
            (pending_id, pending.signature)
            for pending_id, pending in self._pending.items()
            if pending.signature is not None and pending_id != article_id
        ]
        return nearest(signature, scored, self.settings.near_duplicate_threshold)

    def _by_id(self, article_id: str) -> ArticleRef | None:
        pending = self._pending.get(article_id)
        return _ref(pending.article, "") if pending else self.store.get_article(article_id)

    def _by_url(self, key: str) -> ArticleRef | None:
        for pending in self._pending.values():
            if key in pending.keys:
                return _ref(pending.article, "")
        return self.store.article_by_url(key)

    def _by_content(self, content_hash: str) -> ArticleRef | None:
        for pending in self._pending.values():
            if pending.article.content_hash == content_hash:
                return _ref(pending.article, "")
        return self.store.article_by_content(content_hash)

    def _signature(self, article: Article) -> bytes | None:
        return self.hasher.signature(article.text) if self.hasher is not None else None

    # -- admit / record --

    def admit(self, article: Article) -> Article | Duplicate:
        """Check, then return the article with its version set, held as in flight until recorded.

        ``version`` is 1 for a first capture and the recorded version + 1 for an update (same id, other
        content hash); any version the article carried is replaced.
        """
        keys = url_keys(article)
        signature = self._signature(article) if self.settings.enabled else None
        if self.settings.enabled:
            duplicate = self._check(article, keys, signature)
            if duplicate is not None:
                return duplicate
        prior = self._by_id(article.id)
        version = prior.version + 1 if prior is not None else 1
        admitted = article if article.version == version else article.model_copy(update={"version": version})
        if self.settings.enabled:
            self._pending[article.id] = _Pending(admitted, keys, signature)
        return admitted

    def release(self, article: Article | Mapping[str, Any]) -> None:
        """Forget an admitted article that was not written after all (a later stage dropped it)."""
        self._pending.pop(_article_id(article), None)

    def record(self, article: Article | Mapping[str, Any]) -> bool:
        """Remember a written article; returns False when the store already had it (or a newer version).

        Idempotent, so a crash between writing and recording is repaired by :meth:`replay`.
        """
        if not isinstance(article, Article):
            article = Article.model_validate(article)
        pending = self._pending.pop(article.id, None)
        if not self.settings.enabled:
            return False
        stored = self.store.get_article(article.id)
        if stored is not None and (
            stored.version > article.version
            or (stored.version == article.version and stored.content_hash == article.content_hash)
        ):
            return False
        if stored is not None and stored.version == article.version:
            logger.warning("article %s recorded twice as version %d with other text", article.id, article.version)
            return False
        if pending is not None and pending.article.content_hash == article.content_hash:
            keys, signature = pending.keys, pending.signature
        else:
            keys, signature = url_keys(article), self._signature(article)
        buckets = self.hasher.buckets(signature) if (signature is not None and self.hasher) else []
        self.store.save_article(_ref(article, _now_iso(self._clock)), keys, signature, buckets)
        return True

    def replay(self, articles: Iterable[Article | Mapping[str, Any]]) -> int:
        """Record articles already written (e.g. the lines of the last output file); returns how many
        were missing from the store. Lines that are not articles are skipped."""
        added = 0
        for article in articles:
            try:
                if self.record(article):
                    added += 1
            except ValueError as exc:  # pydantic's ValidationError: not an article line
                logger.debug("replay: skipped a line that is not an article: %s", exc)
        if added:
            logger.warning("replay: %d written articles were not recorded (a crash?); recorded now", added)
        return added

    def prune(self, now: datetime | None = None) -> int:
        """Drop near-duplicate signatures older than the window; returns how many."""
        days = self.settings.near_duplicate_window_days
        if days is None or self.hasher is None:
            return 0
        cutoff = (now or self._clock()) - timedelta(days=days)
        return self.store.prune_signatures(utc_iso(cutoff))

    def holds(self, article_id: str) -> bool:
        """True while this index holds the article in flight (admitted here, not yet recorded)."""
        return article_id in self._pending

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def signature_of(self, article: Article) -> bytes | None:
        """The article's near-duplicate signature: the one :meth:`admit` computed while it is in flight,
        else computed now (None with near-duplicates off). For an index that also claims in a shared store."""
        pending = self._pending.get(article.id)
        return pending.signature if pending is not None else self._signature(article)


def _article_id(article: Article | Mapping[str, Any]) -> str:
    return article.id if isinstance(article, Article) else str(article["id"])


def _ref(article: Article, recorded_at: str) -> ArticleRef:
    return ArticleRef(
        article_id=article.id,
        content_hash=article.content_hash,
        version=article.version,
        url_key=normalize_url(article.url) if article.url else None,
        site=article.site,
        recorded_at=recorded_at,
    )


__all__ = [
    "ArticleRef",
    "ClaimView",
    "DedupIndex",
    "DedupSettings",
    "DedupStore",
    "Duplicate",
    "DuplicateKind",
    "MemoryDedupStore",
    "MinHasher",
    "NearDuplicateParams",
    "claim_check",
    "nearest",
]
