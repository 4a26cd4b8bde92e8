"""SharedState: one state store and one dedup index per state location per process, shared by every crawler of
a multi-site run, so the dedup index's in-flight overlay sees the articles of every site at once, and one
SQLite connection (or Redis client) serves them all. On Redis the index claims each admitted article in
the store, so processes on other machines see it too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar

from cleaners.dedup import DedupIndex, DedupSettings
from crawler.registry import SharedRegistry
from crawler.state import open_state_store
from crawler.state.dedup_index import dedup_index_for
from crawler.state.interfaces import StateStore

if TYPE_CHECKING:
    pass


logger = logging.getLogger(__name__)


class SharedState:
    """The state store and dedup index of one state location, shared by the crawlers of this process.

    Every component that needs them calls :meth:`acquire` when it opens and :meth:`release` when it
    closes; the store is closed when the last user releases it. All users run on the reactor thread;
    the store has its own lock besides.
    """

    _registry: ClassVar[SharedRegistry[str, SharedState]] = SharedRegistry()

    def __init__(self, location: str, dedup: DedupSettings) -> None:
        self.location = location
        self.store: StateStore = open_state_store(location)
        try:
            # Admissions claim the article atomically (crawler.state.redis_store.SharedDedupIndex), on Redis
            # of two processes holding copies of one story exactly one writes it; elsewhere the plain index.
            self.index: DedupIndex = dedup_index_for(self.store, dedup)
        except BaseException:
            self.store.close()
            raise

    @classmethod
    def acquire(cls, location: str, dedup: DedupSettings | None = None) -> SharedState:
        """The shared state of ``location`` (opened on first use). The first user's dedup settings
        apply: every crawler of one process reads the same presswash.yaml."""
        return cls._registry.acquire(location, lambda: cls(location, dedup or DedupSettings()))

    def release(self) -> None:
        if not self._registry.release(self.location):
            return  # another crawler of this process still uses it
        release_claims = getattr(self.store, "release_claims", None)
        if release_claims is not None and not getattr(self.store, "readonly", False):
            try:
                release_claims()  # articles still in flight are nobody's now: another process may take them
            except Exception as exc:  # closing must go on (a full disk, say): dead claims expire anyway
                logger.warning("%s: could not release this process's claims: %s", self.location, exc)
        self.store.close()
