"""The state's interfaces, one a role, so a component names only what it uses.

- :class:`FetchLog`: the final outcome of each article URL (incremental crawling: the spider, the
  conditional-GET middleware and the fetch-state recorder);
- :class:`RunLog`: one record per run of a site (``presswash runs``, the run recorders, the scheduler);
- :class:`ScheduleMarks`: the scheduler's last tick per site;
- ``cleaners.dedup.DedupStore``: the dedup index (articles, hashes, signatures, LSH buckets);
- :class:`Maintained`: a store that prunes itself when asked (retention, file size);
- :class:`SiteMemory`: what is learned about each site across runs (its recent lines and learned
  templates, one health row per run); ``crawler.state.site_memory`` has its SQLite and Redis backends.

:class:`StateStore` is all of them plus ``close``: what a backend (``crawler.state.sqlite``,
``crawler.state.redis_store``) implements and what :func:`crawler.state.open_state_store` returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from cleaners.dedup import DedupStore
from crawler.state.records import FetchState, RunRecord

if TYPE_CHECKING:
    from cleaners.site_template import LearnedTemplate
    from crawler.config import StateSettings


@runtime_checkable
class FetchLog(Protocol):
    """Fetch state: what the last fetch of an article URL ended with, and the validators to ask again."""

    def get_fetch(self, url_key: str) -> FetchState | None: ...

    def put_fetch(self, state: FetchState) -> None: ...


@runtime_checkable
class RunLog(Protocol):
    """The run log that ``presswash runs`` lists."""

    def put_run(self, run: RunRecord) -> None: ...

    def get_run(self, run_id: str) -> RunRecord | None: ...

    def list_runs(self, site: str | None = None, limit: int = 50) -> list[RunRecord]: ...


@runtime_checkable
class ScheduleMarks(Protocol):
    """The scheduler's last tick per site, so a run missed while the machine was off runs once at start."""

    def get_schedule_mark(self, site: str) -> str | None: ...

    def set_schedule_mark(self, site: str, when: str) -> None: ...


@runtime_checkable
class Maintained(Protocol):
    """A store that keeps itself small (retention, file size) when asked, in short steps: SQLite. Redis
    expires its keys itself."""

    def maintain(self, settings: StateSettings) -> dict[str, int]: ...


@runtime_checkable
class StateStore(FetchLog, RunLog, ScheduleMarks, DedupStore, Protocol):
    """Everything recurring crawls keep between runs, at one location. Implementations:
    SqliteStateStore (one file) and RedisStateStore (shared by the processes of a scaled-out crawl)."""

    location: str

    def close(self) -> None: ...


class SiteMemory(Protocol):
    """A site's learned boilerplate and health across runs (crawler.pipelines.site_template,
    crawler.extensions.health, ``presswash health`` and ``presswash rules suggest``)."""

    def recent_lines(self, site: str) -> list[dict[str, str]]: ...
    def save_lines(self, site: str, recent: list[dict[str, str]]) -> None: ...
    def save_template(self, template: LearnedTemplate, created_at: str) -> None: ...
    def templates(self, site: str) -> list[tuple[str, LearnedTemplate]]: ...
    def put_health(self, site: str, run_id: str, finished_at: str, row: dict[str, Any]) -> None: ...
    def health(self, site: str | None, runs: int) -> list[dict[str, Any]]: ...
    def close(self) -> None: ...
