"""Recurring-crawl plumbing shared by the Scrapy components (spider, middlewares, pipeline, extensions).

Three things live here so that each Scrapy component stays a thin adapter:

- :func:`recurring_scrapy_settings`: the ``state:``, ``dedup:`` and ``archive:`` sections of presswash.yaml
  turned into plain Scrapy settings (``PRESSWASH_STATE_PATH``, ``PRESSWASH_DEDUP``, ``PRESSWASH_ARCHIVE_DIR``,
  ``JOBDIR``...), which the spider applies at "spider" priority so ``--set``/``-s`` still win, and which
  every component reads in ``from_crawler`` like any other setting.
- :class:`SharedState`: one state store and one dedup index per state location per process, shared
  (reference-counted) by every crawler of a multi-site run, so the dedup index's in-flight overlay sees
  the articles of every site at once, and one SQLite connection (or Redis client) serves them all. On
  Redis the index claims each admitted article in the store, so processes on other machines see it too.
- :class:`JobDir`: Scrapy's JOBDIR is only consistent after a clean close (the disk queues write their
  sizes and the scheduler its ``active.json`` on close; the dupefilter's ``requests.seen`` is appended
  unflushed). A marker file says "open"; a JOBDIR found still marked open was left by a killed process
  and is discarded: resuming from it could replay garbage or, worse, have the persistent dupefilter
  swallow requests the kill lost. Discarding is always safe because the state store, not the JOBDIR,
  is the record of what was written: the next run re-reads the feeds and skips what is known.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from cleaners.dedup import DedupIndex, DedupSettings
from crawler.config import load_recurring_settings, resolve_under, state_location
from crawler.state import open_state_store
from crawler.state.interfaces import StateStore
from crawler.state.redis_store import dedup_index_for

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

JOBDIR_MARKER = "presswash.open"


def state_enabled(settings: Any) -> bool:
    """False for ``-s PRESSWASH_STATE=off`` (also ``false``, ``no``, ``0``): a one-off crawl that ignores
    the incremental state."""
    return str(settings.get("PRESSWASH_STATE", "on")).strip().lower() not in ("off", "false", "no", "0")


def recurring_scrapy_settings(settings: BaseSettings, site: str) -> dict[str, Any]:
    """The recurring-crawl settings of one site's crawler, from presswash.yaml (``PRESSWASH_CONFIG``).

    Raises ConfigError (file and key named) for a broken presswash.yaml. Values already set on the
    command line are left to win by the caller (it sets these at "spider" priority).
    """
    recurring = load_recurring_settings(settings.get("PRESSWASH_CONFIG"))
    output = Path(settings.get("PRESSWASH_OUTPUT_DIR") or "output")
    jobs_dir = recurring.state.jobs_dir
    archive = recurring.archive
    return {
        # A shared crawl (PRESSWASH_REDIS_URL) keeps its state in the same Redis unless told otherwise.
        "PRESSWASH_STATE_PATH": settings.get("PRESSWASH_STATE_PATH")
        or state_location(
            output,
            recurring.state,
            redis_url=settings.get("PRESSWASH_REDIS_URL"),
            redis_prefix=settings.get("PRESSWASH_REDIS_PREFIX"),
        ),
        "PRESSWASH_DEDUP": recurring.dedup.model_dump(),
        "PRESSWASH_STATE_SETTINGS": recurring.state.model_dump(),  # retention and WAL limit
        "PRESSWASH_ARCHIVE_DIR": str(resolve_under(output, archive.dir)) if archive.enabled else None,
        "PRESSWASH_ARCHIVE_RETENTION_DAYS": archive.retention_days,
        "PRESSWASH_ARCHIVE_GZIP_LEVEL": archive.gzip_level,
        "JOBDIR": str(resolve_under(output, jobs_dir) / site) if jobs_dir else None,
    }


def dedup_settings(settings: BaseSettings) -> DedupSettings:
    """``PRESSWASH_DEDUP`` (a dict, as :func:`recurring_scrapy_settings` puts it) as DedupSettings."""
    value = settings.get("PRESSWASH_DEDUP")
    if isinstance(value, DedupSettings):
        return value
    return DedupSettings.model_validate(dict(value)) if value else DedupSettings()


class SharedState:
    """The state store and dedup index of one state location, shared by the crawlers of this process.

    Every component that needs them calls :meth:`acquire` when it opens and :meth:`release` when it
    closes; the store is closed when the last user releases it. All users run on the reactor thread;
    the store has its own lock besides.
    """

    _shared: ClassVar[dict[str, SharedState]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

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
        self.users = 0

    @classmethod
    def acquire(cls, location: str, dedup: DedupSettings | None = None) -> SharedState:
        """The shared state of ``location`` (opened on first use). The first user's dedup settings
        apply: every crawler of one process reads the same presswash.yaml."""
        with cls._lock:
            shared = cls._shared.get(location)
            if shared is None:
                shared = cls._shared[location] = cls(location, dedup or DedupSettings())
            shared.users += 1
            return shared

    def release(self) -> None:
        with self._lock:
            self.users -= 1
            if self.users > 0:
                return
            self._shared.pop(self.location, None)
        release_claims = getattr(self.store, "release_claims", None)
        if release_claims is not None and not getattr(self.store, "readonly", False):
            try:
                release_claims()  # articles still in flight are nobody's now: another process may take them
            except Exception as exc:  # closing must go on (a full disk, say): dead claims expire anyway
                logger.warning("%s: could not release this process's claims: %s", self.location, exc)
        self.store.close()


class JobDir:
    """A site's Scrapy JOBDIR, kept only while it is known to be consistent (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.marker = self.path / JOBDIR_MARKER

    def open(self) -> bool:
        """Before Scrapy's scheduler opens it: discard a JOBDIR left by a killed run, then mark it open.
        Returns True when a stale JOBDIR was discarded."""
        stale = self.marker.exists()
        if stale:
            holder = self.marker.read_text(encoding="utf-8", errors="replace").strip()
            logger.warning(
                "%s: left by a run that did not close (%s); discarded: this run starts afresh and skips "
                "what the state store already has",
                self.path,
                holder or "killed",
            )
            shutil.rmtree(self.path, ignore_errors=True)
        elif self.path.is_dir() and any(self.path.iterdir()):
            logger.info("%s: resuming the previous run's requests", self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.marker.write_text(f"pid={os.getpid()}\n", encoding="utf-8")
        return stale

    def close(self, finish_reason: str | None) -> None:
        """After Scrapy has saved it: a finished run leaves nothing to resume (the directory goes, so the
        next run starts afresh); an interrupted one keeps it for the next run. Never closed (None): the
        marker stays, and the next run discards the directory."""
        if finish_reason is None:
            return
        if finish_reason == "finished":
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            self.marker.unlink(missing_ok=True)


__all__ = ["JOBDIR_MARKER", "JobDir", "SharedState", "dedup_settings", "recurring_scrapy_settings"]
