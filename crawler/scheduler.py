"""`presswash schedule`: run each site's crawl at its cron ``schedule`` (config/sites.yaml), for months.

Built on APScheduler 3 (a ``BackgroundScheduler``; the main thread only waits for a stop signal, which
keeps signal handling out of the scheduler's own loop):

- **One subprocess per run** (``python -m crawler.cli crawl --site NAME --output DIR``): Scrapy's reactor
  cannot be restarted in a process, and a crash or a leak in one crawl cannot take the scheduler down.
  Its output goes to ``<output>/<site>/runs/<run_id>.log``.
- **Never two runs of a site at once**: ``max_instances=1`` inside one scheduler, and a per-site
  ``flock`` on disk (crawler.runlog.SiteLock) across scheduler processes and hand-started crawls. A tick
  that finds the lock taken is skipped and logged (a ``skipped`` run in the run log).
- **Missed runs run once**: every tick stores a mark per site in the state store; at start, a site whose
  cron fired since its last mark (the machine was off, the scheduler stopped) runs once at once
  (APScheduler's ``coalesce=True`` folds any backlog into one run). ``misfire_grace_time`` lets a tick
  that comes late (a busy machine, all run slots taken) still run.
- **A failing run** is recorded with its exit status and the last line of its log; nothing is retried
  early: the next tick runs as usual.
- **Graceful stop**: SIGTERM or SIGINT stops new ticks and forwards one SIGINT to each running crawl, so
  Scrapy closes the spider (in-flight requests finish, pipelines close, JOBDIR is saved), then waits
  ``stop_timeout_seconds``; after that a second signal (SIGTERM: Scrapy's forced stop), then SIGKILL to
  the crawl's process group. A second SIGTERM/SIGINT to the scheduler skips the wait. The crawl runs in
  its own session, so a Ctrl-C in the terminal reaches it once (through us), not twice.

**A shared crawl** (``scale.redis_url``, docs/scaling.md) takes its work from Redis: with ``--seed-only``
each tick runs ``presswash seed --site NAME`` instead of a crawl (under its own locks, so a crawl worker
on the same machine never makes a tick skip), and long-running ``presswash crawl`` workers, on any
machine, take the work. The run log and schedule marks are then in the shared state too.

Cron expressions follow crontab(5), not APScheduler's dialect: day-of-week 0 and 7 are Sunday (APScheduler
3 counts 0 as Monday) and when both day-of-month and day-of-week are restricted either one matching is
enough (APScheduler requires both). :func:`cron_trigger` translates.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from cleaners.config import ConfigError
from cleaners.timestamps import utc_iso
from crawler.config import STATE_ENV, SchedulerSettings, load_recurring_settings, state_location
from crawler.cron import cron_trigger
from crawler.runlog import (
    EXIT_LOCKED,
    HELD_LOCKS_ENV,
    RUN_ID_ENV,
    SiteLock,
    find_stats_file,
    lock_dir_for,
    new_run_id,
    read_run_counts,
    this_host,
)
from crawler.state import open_state_store
from crawler.state.interfaces import StateStore
from crawler.state.records import RunRecord, parse_iso, reap_stale_runs

logger = logging.getLogger(__name__)


EXIT_OK, EXIT_CONFIG = 0, 2


#: After the stop timeout and a forced-stop signal, how long a crawl gets before SIGKILL.
KILL_GRACE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class ScheduledSite:
    name: str
    cron: str


@dataclass(slots=True)
class _Child:
    site: str
    run_id: str
    process: subprocess.Popen[bytes]
    done: threading.Event = field(default_factory=threading.Event)
    interrupted: bool = False


TriggerFactory = Callable[[ScheduledSite], Any]


class Scheduler:
    """Runs sites' crawls on their triggers; see the module docstring. ``start()`` returns at once;
    ``stop()`` blocks until every running crawl has ended and been recorded."""

    def __init__(
        self,
        sites: Sequence[ScheduledSite],
        *,
        store: StateStore,
        output_dir: str | os.PathLike[str] = "output",
        lock_dir: str | os.PathLike[str] | None = None,
        config_path: str | None = None,
        clean_config: str | None = None,
        command: Sequence[str] | None = None,
        settings: SchedulerSettings | None = None,
        trigger_factory: TriggerFactory | None = None,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.sites = {site.name: site for site in sites}
        self.store = store
        self.output_dir = Path(output_dir)
        self.lock_dir = Path(lock_dir) if lock_dir else lock_dir_for(store.location, output_dir)
        self.config_path = config_path
        self.clean_config = clean_config
        self.command = list(command) if command else None
        self.settings = settings or SchedulerSettings()
        self.env = dict(env) if env is not None else None
        self._clock = clock or (lambda: datetime.now(UTC))
        self._trigger_factory = trigger_factory or (lambda site: cron_trigger(site.cron, self.settings.timezone))
        self._children: dict[str, _Child] = {}
        self._children_lock = threading.Lock()
        self._stopping = threading.Event()
        self._first_trigger: dict[str, str] = {}
        self._scheduler: Any = None
        self._executor: Any = None
        self._stopped = False

    # -- lifecycle --

    def start(self, *, run_now: bool = False) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self._executor = ThreadPoolExecutor(self.settings.max_parallel_runs)
        options: dict[str, Any] = {
            "executors": {"default": self._executor},
            "job_defaults": {
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self.settings.misfire_grace_seconds,
            },
        }
        if self.settings.timezone:
            options["timezone"] = self.settings.timezone
        self._scheduler = BackgroundScheduler(**options)
        for stale in reap_stale_runs(self.store):  # runs whose process was killed with -9 (ours or not)
            logger.warning("%s: run %s marked interrupted: %s", stale.site, stale.run_id, stale.detail)
        now = self._clock()
        for site in self.sites.values():
            trigger = self._trigger_factory(site)
            job_options: dict[str, Any] = {}
            why = "start" if run_now else self._missed(site.name, trigger, now)
            if why:
                self._first_trigger[site.name] = why
                job_options["next_run_time"] = now
                logger.info("%s: running once now (%s)", site.name, why)
            self._scheduler.add_job(
                self.run_site, trigger, args=[site.name], id=site.name, name=f"crawl {site.name}", **job_options
            )
        self._scheduler.start()
        for job in self._scheduler.get_jobs():
            logger.info("%s: next run at %s", job.id, job.next_run_time)

    def _missed(self, site: str, trigger: Any, now: datetime) -> str | None:
        """'missed' when the trigger fired since the site's last tick; a first start only sets the mark."""
        mark = parse_iso(self.store.get_schedule_mark(site))
        if mark is None:
            self.store.set_schedule_mark(site, utc_iso(now))
            return None
        if not self.settings.run_missed_on_start:
            return None
        due = trigger.get_next_fire_time(None, mark + timedelta(microseconds=1))
        return "missed" if due is not None and due <= now else None

    def request_stop(self) -> None:
        """Stop new ticks (safe from a signal handler: it only sets a flag)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self, hurry: threading.Event | None = None) -> None:
        """Stop ticking, interrupt running crawls gracefully, wait for them, escalate after the timeout."""
        self._stopping.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        with self._children_lock:
            children = list(self._children.values())
        for child in children:
            logger.warning("%s: stopping run %s (SIGINT to pid %d)", child.site, child.run_id, child.process.pid)
            child.interrupted = True
            _signal(child.process, signal.SIGINT)
        deadline = time.monotonic() + self.settings.stop_timeout_seconds
        forced = False
        killed = False
        while True:
            with self._children_lock:
                running = [c for c in self._children.values() if not c.done.is_set()]
            if not running:
                break
            now = time.monotonic()
            if not forced and (now >= deadline or (hurry is not None and hurry.is_set())):
                forced = True
                deadline = now + KILL_GRACE_SECONDS
                for child in running:
                    logger.error("%s: run %s did not stop in time: forcing (SIGTERM)", child.site, child.run_id)
                    child.interrupted = True
                    _signal(child.process, signal.SIGTERM)
            elif forced and not killed and now >= deadline:
                killed = True
                for child in running:
                    logger.error("%s: run %s still alive: SIGKILL", child.site, child.run_id)
                    _kill_group(child.process)
            running[0].done.wait(0.1)
        if self._executor is not None:
            self._executor.shutdown(wait=True)  # the job threads have recorded their runs
        self._stopped = True

    @property
    def stopped(self) -> bool:
        return self._stopped

    # -- one run --

    def build_command(self, site: str, run_id: str) -> list[str]:
        values = {
            "python": sys.executable,
            "site": site,
            "run_id": run_id,
            "output": str(self.output_dir),
            "config": self.config_path or "",
            "clean_config": self.clean_config or "",
        }
        if self.command is not None:
            return [part.format(**values) for part in self.command]
        command = [sys.executable, "-m", "crawler.cli", "crawl", "--site", site, "--output", str(self.output_dir)]
        if self.config_path:
            command += ["--sites", self.config_path]
        if self.clean_config:
            command += ["--config", self.clean_config]
        return command

    def run_site(self, site: str, trigger: str | None = None) -> RunRecord | None:
        """One tick of one site: lock, run the crawl subprocess, record the run. Never raises."""
        trigger = trigger or self._first_trigger.pop(site, "schedule")
        if self._stopping.is_set():
            logger.info("%s: tick ignored, the scheduler is stopping", site)
            return None
        now = self._clock()
        run_id = new_run_id(now)
        try:
            self.store.set_schedule_mark(site, utc_iso(now))
        except Exception:
            logger.exception("%s: cannot record the tick", site)
        lock = SiteLock(self.lock_dir, site)
        try:
            if not lock.acquire():
                holder = lock.holder()
                logger.warning("%s: tick skipped, the site is already being crawled (%s)", site, holder)
                return self._record(
                    RunRecord(
                        run_id=run_id,
                        site=site,
                        started_at=utc_iso(now),
                        finished_at=utc_iso(now),
                        status="skipped",
                        trigger=trigger,
                        host=this_host(),
                        detail=f"already running: {holder or 'lock held'}",
                    )
                )
            return self._run_locked(site, run_id, trigger, lock)
        except Exception as exc:  # the scheduler must outlive any one run
            logger.exception("%s: run %s could not run", site, run_id)
            return self._record(
                RunRecord(
                    run_id=run_id,
                    site=site,
                    started_at=utc_iso(now),
                    finished_at=utc_iso(self._clock()),
                    status="error",
                    trigger=trigger,
                    host=this_host(),
                    detail=f"{type(exc).__name__}: {exc}",
                )
            )
        finally:
            lock.release()

    def _run_locked(self, site: str, run_id: str, trigger: str, lock: SiteLock) -> RunRecord | None:
        runs_dir = self.output_dir / site / "runs"
        runs_dir.mkdir(parents=True, exist_ok=True)
        log_path = runs_dir / f"{run_id}.log"
        env = dict(os.environ if self.env is None else self.env)
        env.update(
            {
                RUN_ID_ENV: run_id,
                HELD_LOCKS_ENV: str(lock.path.resolve()),
                STATE_ENV: self.store.location,
                "PYTHONUNBUFFERED": "1",
            }
        )
        command = self.build_command(site, run_id)
        started = self._clock()
        with self._children_lock:
            if self._stopping.is_set():
                return None
            with log_path.open("ab") as log:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    pass_fds=(lock.fileno(),),  # the crawl holds the lock too, even if we die
                    start_new_session=True,  # signals reach it through us only
                )
            child = _Child(site, run_id, process)
            self._children[run_id] = child
        record = RunRecord(
            run_id=run_id,
            site=site,
            started_at=utc_iso(started),
            status="running",
            trigger=trigger,
            log_path=str(log_path),
            pid=process.pid,
            host=this_host(),
        )
        try:
            self._record(record)
            logger.info("%s: run %s started (pid %d, %s)", site, run_id, process.pid, trigger)
            code = process.wait()
            return self._record(self._finish(record, code, child.interrupted))
        finally:
            if process.poll() is None:  # an exception while waiting: do not leave an orphan behind
                _kill_group(process)
                process.wait()
            with self._children_lock:
                self._children.pop(run_id, None)
            child.done.set()

    def _finish(self, record: RunRecord, code: int, interrupted: bool) -> RunRecord:
        stats = find_stats_file(self.output_dir, record.site, record.run_id, record.started_at)
        counts = read_run_counts(stats) if stats else {}
        if interrupted and not (code == 0 and _finish_reason(stats) == "finished"):
            status, detail = "interrupted", "stopped by the scheduler; the next run resumes (JOBDIR)"
        elif code == 0:
            status, detail = "ok", None
        elif code == EXIT_LOCKED:
            status, detail = "skipped", "the crawl found its site locked"
        else:
            status = "failed"
            detail = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
            last = _last_line(record.log_path)
            if last:
                detail += f": {last}"
        finished = record.finished(
            finished_at=utc_iso(self._clock()),
            status=status,
            exit_code=code,
            stats_path=str(stats) if stats else None,
            detail=detail,
            **counts,
        )
        log = logger.info if status in ("ok", "interrupted") else logger.error
        log(
            "%s: run %s %s (exit %d): %s pages, %s articles, %s rejected; log %s",
            record.site,
            record.run_id,
            status,
            code,
            finished.pages,
            finished.articles,
            finished.rejected,
            record.log_path,
        )
        return finished

    def _record(self, record: RunRecord) -> RunRecord:
        try:
            self.store.put_run(record)
        except Exception:
            logger.exception("%s: cannot write run %s to the run log", record.site, record.run_id)
        return record


def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signum)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the crawl and whatever it started (its cleaning workers share its session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        _signal(process, signal.SIGKILL)


def _finish_reason(stats: Path | None) -> str | None:
    """Scrapy's finish reason from the stats file: a crawl that ended on its own as the stop came is ok."""
    if stats is None:
        return None
    try:
        return json.loads(stats.read_text(encoding="utf-8")).get("finish_reason")
    except (OSError, ValueError, AttributeError):
        return None


def _last_line(path: str | None, limit: int = 300) -> str:
    """Last non-empty line of a run's log: usually the error that ended it."""
    if not path:
        return ""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 8192))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return lines[-1][:limit] if lines else ""


def scheduled_sites(config_path: str | None, names: Sequence[str] | None = None) -> list[ScheduledSite]:
    """Enabled (or named) sites that have a ``schedule``; a site without one is left to cron or hand runs."""
    from crawler.sites import load_sites

    loaded = load_sites(config_path)
    selected = loaded.select(list(names) if names else None)
    out = []
    for site in selected:
        if site.schedule:
            try:
                cron_trigger(site.schedule)
            except ValueError as exc:
                raise ConfigError(f"{loaded.path}: sites[{site.name}].schedule: {exc}") from None
            out.append(ScheduledSite(site.name, site.schedule))
        else:
            logger.warning("%s: no schedule in %s; not scheduled", site.name, loaded.path)
    return out


def run_scheduler(
    config_path: str | None = None,
    *,
    output_dir: str | os.PathLike[str] = "output",
    sites: Sequence[ScheduledSite] | Sequence[str] | None = None,
    clean_config: str | None = None,
    state: str | None = None,
    settings: SchedulerSettings | None = None,
    command: Sequence[str] | None = None,
    run_now: bool = False,
    trigger_factory: TriggerFactory | None = None,
    stop_event: threading.Event | None = None,
    install_signal_handlers: bool = True,
    lock_dir: str | os.PathLike[str] | None = None,
) -> int:
    """Run the scheduler until SIGTERM/SIGINT (or ``stop_event``); returns the exit status.

    ``sites`` may be names (their schedules are read from ``config_path``) or ScheduledSite values (then
    the sites file is not read: tests and embedders). ``command`` replaces the crawl command: a list of
    strings where ``{site}``, ``{run_id}``, ``{output}``, ``{config}``, ``{clean_config}`` and
    ``{python}`` are filled in. ``lock_dir`` replaces the site locks' directory (beside the state).
    """
    from crawler.config import load_scale_settings

    recurring = load_recurring_settings(clean_config)
    scale = load_scale_settings(clean_config)
    settings = settings or recurring.scheduler
    if sites and all(isinstance(s, ScheduledSite) for s in sites):
        planned = [s for s in sites if isinstance(s, ScheduledSite)]
    else:
        planned = scheduled_sites(config_path, [str(s) for s in sites] if sites else None)
    if not planned:
        print("presswash: no site with a schedule to run", file=sys.stderr)
        return EXIT_CONFIG
    # A shared crawl's state is on Redis; the crawls this starts get the same location ($PRESSWASH_STATE_PATH).
    location = state or state_location(
        output_dir, recurring.state, redis_url=scale.redis_url, redis_prefix=scale.redis_prefix
    )
    store = open_state_store(location)
    stop = stop_event or threading.Event()
    hurry = threading.Event()
    scheduler = Scheduler(
        planned,
        store=store,
        output_dir=output_dir,
        config_path=config_path,
        clean_config=clean_config,
        command=command,
        settings=settings,
        trigger_factory=trigger_factory,
        lock_dir=lock_dir,
    )
    previous: dict[int, Any] = {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            hurry.set()
        stop.set()
        scheduler.request_stop()

    try:
        if install_signal_handlers:
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, on_signal)
        scheduler.start(run_now=run_now)
        logger.info("scheduler started for %s; state %s", ", ".join(s.name for s in planned), store.location)
        while not stop.wait(1.0):
            pass
        logger.warning("stopping: waiting for running crawls to finish")
        scheduler.stop(hurry)
        logger.info("scheduler stopped")
        return EXIT_OK
    finally:
        if not scheduler.stopped:  # an error on the way: still never leave a crawl running unrecorded
            scheduler.stop(hurry)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        store.close()


__all__ = [
    "ScheduledSite",
    "Scheduler",
    "run_scheduler",
    "scheduled_sites",
]
