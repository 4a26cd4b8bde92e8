"""Incremental crawl state: the fetch log, the run log, the scheduler's marks and the dedup index.

- ``records``: the plain values kept (FetchState, RunRecord) and the decisions made from them;
- ``interfaces``: one small interface per role (FetchLog, RunLog, ScheduleMarks; cleaners.dedup's
  DedupStore), and StateStore, all of them;
- ``sqlite``: the one-file backend (the default); ``redis_store``: the backend shared by the processes
  of a scaled-out crawl (docs/scaling.md), its Lua scripts in ``lua/``.
- ``site_memory``: what is learned about each site across runs (recent lines, learned templates, health
  rows), the ``SiteMemory`` interface in SQLite (beside the state's tables) and Redis.

:func:`open_state_store` picks the backend from the configured location (crawler.config.state_location
works out the location). ``python -m crawler.state vacuum PATH`` compacts a state file.
"""

from __future__ import annotations

import os

from cleaners.config import ConfigError
from crawler.config import is_redis_location
from crawler.state.interfaces import FetchLog, RunLog, ScheduleMarks, StateStore
from crawler.state.records import FetchState, RunRecord
from crawler.state.sqlite import SqliteStateStore


def open_state_store(location: str | os.PathLike[str], *, readonly: bool = False) -> StateStore:
    """The store for a configured location: a file path (SQLite), or ``redis://host:port/db?prefix=NAME``
    (also ``rediss://``, ``unix://``) for the state shared by the processes of a scaled-out crawl
    (crawler.state.redis_store, imported only then: the redis package is an optional extra)."""
    text = str(location)
    if is_redis_location(text):
        from crawler.state.redis_store import RedisStateStore

        return RedisStateStore(text, readonly=readonly)
    if "://" in text:
        raise ConfigError(f"state.path: {text}: unknown state backend")
    return SqliteStateStore(text, readonly=readonly)


__all__ = [
    "FetchLog",
    "FetchState",
    "RunLog",
    "RunRecord",
    "ScheduleMarks",
    "SqliteStateStore",
    "StateStore",
    "open_state_store",
]
