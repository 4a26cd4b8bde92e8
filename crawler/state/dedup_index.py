"""The dedup index of a crawl's state: admissions that hold across the processes sharing one state.

The checks themselves are cleaners.dedup's (written once, in Python); a store that can *claim* an
article (:class:`ClaimingStore`: the SQLite state file, in one write transaction, and Redis, under a claim
lock, both deciding with cleaners.dedup.claim_check, so two processes never both admit copies of one
story) makes the admission atomic across processes.
:func:`dedup_index_for` picks the index from what the store can do, not from its class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from cleaners.article import Article
from cleaners.dedup import Bucket, DedupIndex, DedupSettings, DedupStore, Duplicate


@runtime_checkable
class ClaimingStore(DedupStore, Protocol):
    """A DedupStore that can claim an article for this process (Redis, and the local SQLite file)."""

    def claim_article(
        self,
        article_id: str,
        content_hash: str,
        *,
        has_url: bool = True,
        signature: bytes | None = None,
        buckets: Sequence[Bucket] = (),
        threshold: float = 1.0,
    ) -> Duplicate | None: ...

    def release_article(self, article_id: str) -> bool: ...


class SharedDedupIndex(DedupIndex):
    """A DedupIndex whose admissions hold across processes: after the local checks, the store's atomic
    claim decides (see crawler.state.redis_store.RedisStateStore.claim_article; on SQLite,
    crawler.state.sqlite.SqliteStateStore.claim_article). Usage is the same: admit, write, record (which ends
    the claim), or release."""

    shares_claims = True

    def __init__(
        self,
        store: ClaimingStore,
        settings: DedupSettings | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(store, settings, clock=clock)
        self.shared = store

    def admit(self, article: Article) -> Article | Duplicate:
        admitted = super().admit(article)
        if not isinstance(admitted, Article) or not self.settings.enabled:
            return admitted
        signature = self.signature_of(admitted)  # the one admit() just computed
        duplicate = self.shared.claim_article(
            admitted.id,
            admitted.content_hash,
            has_url=bool(admitted.url),
            signature=signature,
            buckets=self.hasher.buckets(signature) if (self.hasher is not None and signature is not None) else (),
            threshold=self.settings.near_duplicate_threshold,
        )
        if duplicate is None:
            return admitted
        super().release(admitted)
        return duplicate

    def release(self, article: Article | Mapping[str, Any]) -> None:
        super().release(article)
        article_id = article.id if isinstance(article, Article) else str(article["id"])
        self.shared.release_article(article_id)


def dedup_index_for(
    store: DedupStore, settings: DedupSettings | None = None, *, clock: Callable[[], datetime] | None = None
) -> DedupIndex:
    """The right index for a store: shared (claiming) on Redis and on the SQLite state file (several crawl
    processes may share either), the plain one elsewhere (an in-memory store of one process)."""
    if isinstance(store, ClaimingStore):
        return SharedDedupIndex(store, settings, clock=clock)
    return DedupIndex(store, settings, clock=clock)
