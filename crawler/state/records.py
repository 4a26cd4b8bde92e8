"""What the state keeps, as plain values every backend stores the same way: the final outcome of a fetched
article URL (:class:`FetchState`) and one run of one site (:class:`RunRecord`), with the decisions made
from them (fetch again or not, conditional headers, a run whose process is gone).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from cleaners.timestamps import utc_iso
from crawler.liveness import pid_alive, process_started_at, this_host

if TYPE_CHECKING:
    from crawler.state.interfaces import RunLog  # it imports this module's records


FetchOutcome = Literal["written", "duplicate", "rejected", "not_modified"]
FetchDecision = Literal["new", "changed", "known"]
RunStatus = Literal["running", "ok", "failed", "interrupted", "skipped", "error"]


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class FetchState:
    """The final outcome of an article URL and what is needed to ask the server if it changed."""

    url_key: str  # cleaners.urls.normalize_url of the requested URL
    url: str
    outcome: FetchOutcome
    fetched_at: str  # ISO UTC
    site: str | None = None
    article_id: str | None = None
    content_hash: str | None = None
    version: int | None = None
    etag: str | None = None
    last_modified: str | None = None  # the Last-Modified header, verbatim
    lastmod: str | None = None  # what the feed/sitemap said when it was fetched, ISO
    status: int | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One crawl run of one site, as ``presswash runs`` lists it."""

    run_id: str
    site: str
    started_at: str
    status: RunStatus = "running"
    trigger: str = "manual"  # schedule, missed, start, manual
    scheduled_for: str | None = None
    finished_at: str | None = None
    exit_code: int | None = None
    pages: int | None = None
    articles: int | None = None
    rejected: int | None = None
    duplicates: int | None = None
    failed: int | None = None
    stats_path: str | None = None
    log_path: str | None = None
    pid: int | None = None
    host: str | None = None
    detail: str | None = None
    heartbeat_at: str | None = None  # ISO UTC, refreshed by the running crawl (crawler.extensions.heartbeat)

    def finished(self, **changes: Any) -> RunRecord:
        return replace(self, **changes)


def fetch_decision(state: FetchState | None, lastmod: datetime | None) -> FetchDecision:
    """Fetch a discovered article URL or not.

    ``new`` (never reached a final outcome: fetch), ``changed`` (the feed/sitemap ``lastmod`` is newer
    than what we stored, or than our fetch when nothing was stored: fetch again, conditionally), or
    ``known`` (skip). Without a ``lastmod`` a known URL is never fetched again.
    """
    if state is None:
        return "new"
    if lastmod is None:
        return "known"
    if lastmod.tzinfo is None:
        lastmod = lastmod.replace(tzinfo=UTC)
    reference = parse_iso(state.lastmod) or parse_iso(state.fetched_at)
    return "changed" if reference is None or lastmod > reference else "known"


def conditional_headers(state: FetchState | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from what the server sent last time (only what it sent)."""
    if state is None or state.outcome not in ("written", "duplicate", "rejected", "not_modified"):
        return {}
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


#: A process that started this long after its run's recorded start is another one under a reused pid.
_PID_REUSE_SLACK_SECONDS = 5.0
#: How often a running crawl refreshes its run's ``heartbeat_at`` (crawler.extensions.heartbeat) ...
HEARTBEAT_SECONDS = 60.0
#: ... and how long without one makes a run of another host, which cannot be asked, count as gone.
HEARTBEAT_STALE_SECONDS = 15 * 60.0


def stale_run(run: RunRecord, now: datetime | None = None) -> RunRecord | None:
    """The run marked ``interrupted`` when it is recorded as running but its process is gone, else None.

    A run is recorded "running" with the pid and host of its crawl process; a ``kill -9`` (of the crawl,
    or of the scheduler that would have recorded its end) leaves it so for ever. On this host the pid is
    asked: gone, or now a process that started after the run did (a reused pid), means nobody will record
    the end. A run of another host cannot be asked: it is gone when its heartbeat (``heartbeat_at``,
    refreshed every HEARTBEAT_SECONDS while it crawls) is older than HEARTBEAT_STALE_SECONDS; a run
    without any heartbeat (recorded by an older version) is left as it is.
    """
    if run.status != "running" or run.pid is None:
        return None
    if run.host != this_host():
        beat = parse_iso(run.heartbeat_at)
        if beat is None:
            return None
        silent = ((now or datetime.now(UTC)) - beat).total_seconds()
        if silent <= HEARTBEAT_STALE_SECONDS:
            return None
        why = f"no heartbeat from {run.host} (pid {run.pid}) since {run.heartbeat_at}"
    else:
        started = parse_iso(run.started_at)
        if pid_alive(run.pid):
            process_start = process_started_at(run.pid)
            if (
                started is None
                or process_start is None
                or process_start <= started.timestamp() + _PID_REUSE_SLACK_SECONDS
            ):
                return None
            why = f"pid {run.pid} now belongs to another process"
        else:
            why = f"process {run.pid} on {run.host} is gone"
    return replace(
        run,
        status="interrupted",
        finished_at=run.finished_at or utc_iso(),
        detail=f"{why} and nobody recorded the end of the run (killed with SIGKILL?)",
    )


def reap_stale_runs(store: RunLog, limit: int = 1000) -> list[RunRecord]:
    """Mark every run left "running" by a dead process (or a silent one of another host) as ``interrupted`` (see
    :func:`stale_run`); returns the runs marked. Called when the scheduler starts and by ``presswash runs``."""
    marked = []
    for run in store.list_runs(None, limit):
        stale = stale_run(run)
        if stale is not None:
            store.put_run(stale)
            marked.append(stale)
    return marked
