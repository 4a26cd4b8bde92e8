"""`presswash crawl`: several sites in one Scrapy process, one crawler (NewsSpider) per site.

The config is validated before anything starts (exit status 2 with the file and key path), so a typo
never becomes a crawl that "succeeds" with nothing. Every site's crawler shares the process's reactor
and one cleaning pool. ``presswash crawl`` (crawler.cli.crawl) and ``python -m crawler.crawl`` run it.

Every site crawled is locked first (crawler.runlog.SiteLock, beside the state file): a second crawl of
a site that is being crawled, by hand, by cron or by ``presswash schedule``, exits at once with 75.
In a shared crawl (a Redis URL: docs/scaling.md) the lock is under the output directory, so any number
of processes with their own output directories crawl one site together, taking work from its queue.

Exit status: 0 when every site finished and accounted for every article URL; 1 when a crawl did not
start or finish, lost track of a URL, or the cleaner or a callback crashed; 2 for a config error;
75 when a site is being crawled by another process; 130 when stopped by Ctrl-C (SIGINT), 143 by SIGTERM.
Fetch failures (404, timeouts) are normal on the web: they are counted, not fatal; but a site of which
nothing at all could be fetched (every feed, sitemap and page failed: DNS, refused, HTTP errors) is a
failure, named in the summary.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from cleaners.config import ConfigError
from cleaners.redact import redact
from cleaners.timestamps import utc_iso
from crawler.config import (
    crawl_overrides,
    load_config,
    load_scale_settings,
    load_sites_config,
    state_enabled,
    state_location,
)
from crawler.runlog import (
    EXIT_LOCKED,
    HELD_LOCKS_ENV,
    RUN_ID_ENV,
    SiteBusy,
    check_run_id,
    hold_site_locks,
    lock_dir_for,
    read_run_counts,
    stats_path_for,
    this_host,
)
from crawler.sites import contact_warning
from crawler.state import open_state_store
from crawler.state.records import RunRecord

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C (143 after SIGTERM)


_stop_signal: int | None = None  # the signal that stopped the crawl, if one did


_OK_FINISH = ("finished", "closespider_timeout", "closespider_itemcount", "closespider_pagecount")


_CRASH_REASONS = ("internal_error", "pipeline_error", "spider_error")


_SHOWN_FAILURES = 5


def build_settings(overrides: dict[str, Any] | None = None) -> Any:
    """crawler.settings at project priority, then overrides at command-line priority.

    Built from the module rather than scrapy.cfg so the command works from any directory.
    """
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(
    config_path: str | None,
    sites: list[str] | None,
    output_dir: str | None,
    settings_overrides: dict[str, Any] | None = None,
    verbose: bool = False,
) -> int:
    """Crawl the named sites (every enabled site when None) in one CrawlerProcess; return an exit status.

    Must be called once per process: Scrapy's reactor cannot be restarted.
    """
    overrides = dict(settings_overrides or {})
    if not verbose:  # the counts are in the summary and the stats JSON; -v shows Scrapy's dump too
        overrides.setdefault("STATS_DUMP", False)
    if output_dir:
        overrides["PRESSWASH_OUTPUT_DIR"] = output_dir
    out = Path(overrides.get("PRESSWASH_OUTPUT_DIR") or build_settings().get("PRESSWASH_OUTPUT_DIR"))
    try:
        loaded = load_sites_config(config_path or overrides.get("PRESSWASH_SITES_CONFIG"))
        selected = loaded.select(sites)
        # presswash.yaml, read and validated once for the process (a broken one stops us here); the
        # spiders and pipelines below get the same object (crawler.config.config_for).
        config = load_config(overrides.get("PRESSWASH_CONFIG"))
        config.options  # noqa: B018  (built now: a broken rules file stops us here too)
        recurring = config.file
        # Scale-out (docs/scaling.md): scale: of presswash.yaml and $PRESSWASH_REDIS_URL/_POSTGRES_DSN, under
        # whatever --set gave. With a Redis URL the state is shared too, unless a location was given.
        scale = load_scale_settings(overrides.get("PRESSWASH_CONFIG"))
        for key, value in crawl_overrides(scale).items():
            overrides.setdefault(key, value)
        if not state_enabled(build_settings(overrides)):  # --set PRESSWASH_STATE=off: a one-off, nothing kept
            throwaway = tempfile.mkdtemp(prefix="presswash-state-off-")
            atexit.register(shutil.rmtree, throwaway, ignore_errors=True)
            overrides.setdefault("PRESSWASH_STATE_PATH", str(Path(throwaway) / "state.sqlite3"))
            overrides["JOBDIR"] = None
        location = str(
            overrides.get("PRESSWASH_STATE_PATH")
            or state_location(
                out,
                recurring.state,
                redis_url=overrides.get("PRESSWASH_REDIS_URL"),
                redis_prefix=overrides.get("PRESSWASH_REDIS_PREFIX") or scale.redis_prefix,
            )
        )
        _check_state(location)  # an unusable or too new state (or Redis down) stops us before any fetch
        for run_id in (os.environ.get(RUN_ID_ENV), overrides.get("PRESSWASH_RUN_ID")):
            if run_id:
                check_run_id(run_id)
    except ConfigError as exc:
        print(redact(str(exc)), file=sys.stderr)
        return EXIT_CONFIG
    if not selected:
        print(f"{loaded.path}: no enabled site to crawl (sites: {', '.join(loaded.names)})", file=sys.stderr)
        return EXIT_CONFIG

    from crawler.spiders.news import run_identity

    run_id, run_date = run_identity()
    # Each site's crawler gets its own run id (_crawl_sites); the process-wide settings carry none, because
    # CrawlerProcess merges its settings into every crawler at the same priority and would overwrite it.
    base_run_id = str(overrides.pop("PRESSWASH_RUN_ID", None) or os.environ.get(RUN_ID_ENV) or run_id)
    overrides.setdefault("PRESSWASH_RUN_DATE", run_date)
    from crawler.settings import DEFAULT_CONTACT_URL

    warning = contact_warning(selected, build_settings(overrides).get("PRESSWASH_CONTACT_URL"), DEFAULT_CONTACT_URL)
    if warning:
        print(f"presswash: warning: {warning}", file=sys.stderr)
    overrides["PRESSWASH_CONTACT_WARNED"] = True  # once per process: not again from each site's spider
    overrides["PRESSWASH_SITES_CONFIG"] = str(loaded.path)
    overrides["PRESSWASH_STATE_PATH"] = location
    overrides["PRESSWASH_SITE_LOCKED"] = True  # taken below, for every site, before Scrapy starts
    overrides["PRESSWASH_RUN_RECORDED"] = True  # by _HandStartedRuns below, not by the RunRecorder extension
    settings = build_settings(overrides)
    names = [site.name for site in selected]
    run_ids = site_run_ids(base_run_id, names)
    run_log = _HandStartedRuns(location, out, run_ids)
    try:
        with hold_site_locks(lock_dir_for(location, out), names):
            run_log.started()
            started = _crawl_sites(settings, run_ids, str(loaded.path), verbose)
    except SiteBusy as exc:
        print(f"presswash: {exc}; not started", file=sys.stderr)
        return EXIT_LOCKED

    every = {name: (crawler.stats.get_stats() if crawler.stats else {}, errors) for name, crawler, errors in started}
    if _stop_signal is not None or any(stats.get("finish_reason") == "shutdown" for stats, _ in every.values()):
        # Ctrl-C (or SIGTERM): Scrapy stopped gracefully; one line says where each site stopped.
        done = "; ".join(
            f"{name}: read {stats.get('presswash/read', 0)}, written {stats.get('presswash/written', 0)}"
            for name, (stats, _) in every.items()
        )
        print(
            f"presswash: interrupted; every line written so far is whole ({done}); the next run resumes",
            file=sys.stderr,
        )
        code = 128 + _stop_signal if _stop_signal else EXIT_INTERRUPTED  # as a shell reports a stopped command
        for name in every:
            run_log.finished(name, False, "interrupted", status="interrupted", exit_code=code)
        return code
    status = EXIT_OK
    for name, (stats, errors) in every.items():
        line, ok = site_summary(name, stats, errors, out / name / f"{settings.get('PRESSWASH_RUN_DATE')}.jsonl")
        line = redact(line)  # an error quoted from a library may carry a connection string
        print(line, file=sys.stderr)
        run_log.finished(name, ok, line if not ok else None)
        if not ok:
            status = EXIT_FAILED
    return status


def _check_state(location: str) -> None:
    """Open and close the state once; a path that cannot be created or written is a config error naming
    ``state.path`` (a raw traceback from mkdir or sqlite3 told the user nothing they could act on)."""
    import sqlite3

    try:
        open_state_store(location).close()
    except OSError as exc:
        raise ConfigError(f"state.path: {location}: cannot create or write the state: {exc.strerror or exc}") from None
    except sqlite3.Error as exc:
        raise ConfigError(f"state.path: {location}: cannot open the state database: {exc}") from None


def site_run_ids(run_id: str, sites: list[str]) -> dict[str, str]:
    """One run id per site: the run log keeps one record per run id, so a crawl of several sites records
    one run for each (``<run id>-<site>``); a crawl of one site keeps the id it was given (the scheduler's)."""
    if len(sites) == 1:
        return {sites[0]: run_id}
    return {site: f"{run_id}-{site}" for site in sites}


class _HandStartedRuns:
    """The run log's records of a crawl started by hand (``presswash crawl``, cron, a systemd timer), so
    ``presswash runs`` lists it beside the scheduler's runs. A crawl the scheduler started is recorded by
    the scheduler (it hands down its lock in $PRESSWASH_HELD_LOCKS): nothing is written twice. Recording is
    best effort: the crawl's own output and stats are the record of truth, a state store that cannot take
    the record costs a warning, never the crawl."""

    def __init__(self, location: str, output: Path, run_ids: dict[str, str]) -> None:
        self.enabled = not os.environ.get(HELD_LOCKS_ENV)
        self.location, self.output = location, output
        started_at, pid, host = utc_iso(), os.getpid(), this_host()
        self.records = {
            site: RunRecord(run_id, site, started_at, trigger="manual", pid=pid, host=host)
            for site, run_id in run_ids.items()
        }

    def started(self) -> None:
        self._put(list(self.records.values()))

    def finished(
        self, site: str, ok: bool, detail: str | None, status: str | None = None, exit_code: int | None = None
    ) -> None:
        record = self.records.get(site)
        if record is None:
            return
        stats = stats_path_for(self.output, site, record.run_id)
        counts = read_run_counts(stats) if stats.is_file() else {}
        finished = replace(
            record,
            status=status or ("ok" if ok else "failed"),  # type: ignore[arg-type]
            finished_at=utc_iso(),
            exit_code=exit_code if exit_code is not None else (EXIT_OK if ok else EXIT_FAILED),
            stats_path=str(stats) if stats.is_file() else None,
            detail=detail,
            **counts,
        )
        self._put([finished])

    def _put(self, records: list[RunRecord]) -> None:
        if not self.enabled:
            return
        try:
            store = open_state_store(self.location)
            try:
                for record in records:
                    store.put_run(record)
            finally:
                store.close()
        except Exception as exc:  # best effort, see the class docstring
            sites = ", ".join(record.site for record in records)
            ids = ", ".join(sorted({record.run_id for record in records}))
            message = f"presswash: {sites}: run {ids} not recorded in the run log: {exc}"
            print(redact(message), file=sys.stderr)


def _crawl_sites(
    settings: Any, run_ids: dict[str, str], config: str, verbose: bool = False
) -> list[tuple[str, Any, list[BaseException]]]:
    """One NewsSpider crawler per site in one CrawlerProcess, each with its run id; returns (site, crawler,
    start errors)."""
    from scrapy.crawler import CrawlerProcess

    from crawler.logs import install_crawl_logging
    from crawler.spiders.news import NewsSpider

    class SignalAwareProcess(CrawlerProcess):
        """Remembers which signal stopped the crawl (Ctrl-C, SIGTERM), for the exit status."""

        def _signal_shutdown(self, signum: int, _: Any) -> None:
            global _stop_signal
            _stop_signal = signum
            super()._signal_shutdown(signum, _)

    install_crawl_logging(settings, verbose=verbose)  # ours, once, instead of Scrapy's per crawler
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = SignalAwareProcess(settings)
    started: list[tuple[str, Any, list[BaseException]]] = []
    for name, run_id in run_ids.items():
        crawler = process.create_crawler(NewsSpider)
        crawler.settings.set("PRESSWASH_RUN_ID", run_id, priority="cmdline")  # each crawler has its own copy
        errors: list[BaseException] = []
        deferred = process.crawl(crawler, site=name, config=config)
        deferred.addErrback(lambda failure, errors=errors: errors.append(failure.value))
        started.append((name, crawler, errors))
    process.start()
    return started


def site_summary(site: str, stats: dict[str, Any], errors: list[BaseException], output: Path) -> tuple[str, bool]:
    """One line per site for the terminal, and whether the site's crawl counts as a success."""
    if errors:
        return f"presswash: {site}: crawl did not run: {type(errors[0]).__name__}: {errors[0]}", False
    rejected = {k.split("/", 2)[2]: v for k, v in stats.items() if k.startswith("presswash/rejected/")}
    failed = {k.split("/", 2)[2]: v for k, v in stats.items() if k.startswith("presswash/failed/")}
    finish = stats.get("finish_reason", "unknown")
    parts = [
        f"read {stats.get('presswash/read', 0)}",
        f"written {stats.get('presswash/written', 0)}",
        f"rejected {sum(rejected.values())}" + _detail(rejected),
        f"failed {sum(failed.values())}" + _detail(failed),
    ]
    known = sum(v for k, v in stats.items() if k.startswith("presswash/entries/") and k.endswith("/known"))
    unchanged = known + stats.get("presswash/skipped/known", 0)
    if unchanged or stats.get("presswash/skipped/not_modified"):
        not_modified = stats.get("presswash/skipped/not_modified", 0)
        parts.append(f"already known {unchanged} (entries not fetched again), not modified {not_modified}")
    ok = finish in _OK_FINISH and bool(stats.get("presswash/accounted", False))
    ok = ok and not any(failed.get(reason) for reason in _CRASH_REASONS)
    where = f"articles in {output}" if stats.get("presswash/written") else "no article written"
    line = f"presswash: {site}: {', '.join(parts)}; finish {finish}; {where}; stats {stats.get('presswash/stats_file')}"
    if not stats.get("presswash/accounted", False):
        line += "; NOT ALL URLS ACCOUNTED FOR"
    if stats.get("presswash/fetched_nothing"):
        ok = False
        failures = list(stats.get("presswash/entry_failures") or [])
        line += f"\npresswash: {site}: NOTHING FETCHED: every feed, sitemap and page failed:"
        line += "".join(f"\n    {failure}" for failure in failures[:_SHOWN_FAILURES])
        if len(failures) > _SHOWN_FAILURES:
            line += f"\n    ... {len(failures) - _SHOWN_FAILURES} more in the stats file"
    return line, ok


def _detail(counts: dict[str, int]) -> str:
    return " (" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + ")" if counts else ""
