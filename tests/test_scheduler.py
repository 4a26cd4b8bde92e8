"""crawler.scheduler and crawler.runlog: cron semantics, per-site locks across processes, missed runs,
failing runs, graceful stop. The crawl is a tiny fake command (the real crawler is tested elsewhere)."""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cleaners.timestamps import utc_iso
from crawler.cli.runs import add_runs_arguments, format_runs, runs_command
from crawler.cli.schedule import add_schedule_arguments
from crawler.config import SchedulerSettings
from crawler.cron import cron_trigger
from crawler.runlog import HELD_LOCKS_ENV, SiteBusy, SiteLock, hold_site_locks, read_run_counts
from crawler.scheduler import ScheduledSite, Scheduler
from crawler.state.records import RunRecord
from crawler.state.sqlite import SqliteStateStore

ROOT = Path(__file__).resolve().parent.parent

# The fake crawl: records start/end/graceful events with timestamps, writes a stats file like
# crawler.extensions.RunAccounting, and on SIGINT finishes its "work" gracefully before exiting.
FAKE_CRAWL = textwrap.dedent(
    """
    import json, os, signal, sys, time
    site, output, mode, seconds, events = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
    run_id = os.environ["PRESSWASH_RUN_ID"]
    stop = []
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))

    def log(event):
        with open(events, "a") as handle:
            handle.write(json.dumps([event, site, run_id, os.getpid(), time.time()]) + "\\n")

    log("start")
    if mode == "fail-once" and not os.path.exists(events + ".failed"):
        open(events + ".failed", "w").close()
        print("Traceback: something broke in the crawl", flush=True)
        sys.exit(3)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop:
        time.sleep(0.02)
    if stop:
        time.sleep(0.3)  # finishing in-flight work, as Scrapy does on its first SIGINT
        log("graceful")
    runs = os.path.join(output, site, "runs")
    os.makedirs(runs, exist_ok=True)
    stats = {"read": 5, "written": 3, "rejected": {"duplicate": 1, "too_short": 1},
             "failed": {}, "fetched": {"article": 5, "feed": 2, "total": 7}}
    with open(os.path.join(runs, run_id + ".json"), "w") as handle:
        json.dump(stats, handle)
    log("end")
    """
)

# A scheduler process as `presswash schedule` runs it, with an interval trigger instead of cron so the
# test does not wait for minutes.
SCHEDULER = textwrap.dedent(
    """
    import json, logging, sys
    sys.path.insert(0, {root!r})
    logging.basicConfig(level=logging.INFO)
    from crawler.scheduler import ScheduledSite, run_scheduler
    from crawler.config import SchedulerSettings
    cfg = json.loads(sys.argv[1])
    factory = None
    if cfg.get("interval"):
        from apscheduler.triggers.interval import IntervalTrigger
        factory = lambda site: IntervalTrigger(seconds=cfg["interval"])
    print("scheduler up", flush=True)
    sys.exit(run_scheduler(
        None,
        output_dir=cfg["output"],
        sites=[ScheduledSite(cfg["site"], cfg.get("cron", "0 0 1 1 *"))],
        state=cfg["state"],
        command=cfg["command"],
        run_now=cfg.get("run_now", False),
        trigger_factory=factory,
        settings=SchedulerSettings(stop_timeout_seconds=cfg.get("stop_timeout", 20)),
    ))
    """
)


@pytest.fixture
def workspace(tmp_path: Path) -> dict[str, Path]:
    fake = tmp_path / "fake_crawl.py"
    fake.write_text(FAKE_CRAWL, encoding="utf-8")
    driver = tmp_path / "scheduler_driver.py"
    driver.write_text(SCHEDULER.format(root=str(ROOT)), encoding="utf-8")
    return {
        "fake": fake,
        "driver": driver,
        "output": tmp_path / "output",
        "state": tmp_path / "output" / "state.sqlite3",
        "events": tmp_path / "events.jsonl",
    }


def fake_command(ws: dict[str, Path], mode: str = "ok", seconds: float = 0.0) -> list[str]:
    return [sys.executable, str(ws["fake"]), "{site}", "{output}", mode, str(seconds), str(ws["events"])]


def events(ws: dict[str, Path]) -> list[list[Any]]:
    if not ws["events"].exists():
        return []
    return [json.loads(line) for line in ws["events"].read_text().splitlines() if line.strip()]


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def runs(ws: dict[str, Path], site: str | None = None) -> list[RunRecord]:
    if not ws["state"].exists():
        return []
    with SqliteStateStore(ws["state"], readonly=True) as store:
        return list(reversed(store.list_runs(site, limit=1000)))


@pytest.fixture
def scheduler_factory(workspace: dict[str, Path]) -> Iterator[Callable[..., Scheduler]]:
    """In-process schedulers over a state file; stopped and closed after the test."""
    made: list[tuple[Scheduler, SqliteStateStore]] = []

    def make(sites: list[ScheduledSite], **kwargs: Any) -> Scheduler:
        store = SqliteStateStore(workspace["state"])
        kwargs.setdefault("command", fake_command(workspace))
        kwargs.setdefault("settings", SchedulerSettings(stop_timeout_seconds=10))
        scheduler = Scheduler(sites, store=store, output_dir=workspace["output"], **kwargs)
        made.append((scheduler, store))
        return scheduler

    yield make
    for scheduler, store in made:
        if not scheduler.stopped:
            scheduler.stop()
        store.close()


def start_driver(ws: dict[str, Path], **cfg: Any) -> subprocess.Popen[bytes]:
    config = {"output": str(ws["output"]), "state": str(ws["state"]), "site": "demo", **cfg}
    process = subprocess.Popen(
        [sys.executable, str(ws["driver"]), json.dumps(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"scheduler up"
    return process


def finish(process: subprocess.Popen[bytes], timeout: float = 30) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err.decode("utf-8", "replace")


# --- cron semantics -----------------------------------------------------------------------------------


def fires(expression: str, start: datetime, count: int) -> list[datetime]:
    trigger = cron_trigger(expression, "UTC")
    out: list[datetime] = []
    now = start
    for _ in range(count):
        nxt = trigger.get_next_fire_time(out[-1] if out else None, now)
        out.append(nxt)
        now = nxt + timedelta(seconds=1)
    return out


def test_cron_day_of_week_0_and_7_are_sunday() -> None:
    monday = datetime(2026, 6, 1, 12, tzinfo=UTC)  # a Monday
    assert monday.weekday() == 0
    for expression in ("0 6 * * 0", "0 6 * * 7", "0 6 * * sun", "@weekly"):
        assert all(d.weekday() == 6 for d in fires(expression, monday, 3)), expression
    assert [d.weekday() for d in fires("0 6 * * 1-5", monday, 6)] == [1, 2, 3, 4, 0, 1]
    assert [d.weekday() for d in fires("0 6 * * */2", monday, 4)] == [1, 3, 5, 6]  # sun, tue, thu, sat


def test_cron_day_of_month_or_day_of_week() -> None:
    """crontab(5): both restricted means either matches (the 13th, and every Friday)."""
    got = fires("0 0 13 * 5", datetime(2026, 6, 1, tzinfo=UTC), 5)
    assert [d.date().isoformat() for d in got] == ["2026-06-05", "2026-06-12", "2026-06-13", "2026-06-19", "2026-06-26"]


def test_cron_common_expressions() -> None:
    start = datetime(2026, 6, 1, 10, 7, tzinfo=UTC)
    assert [d.minute for d in fires("*/30 * * * *", start, 3)] == [30, 0, 30]
    assert [d.hour for d in fires("15 6-23 * * *", datetime(2026, 6, 1, 22, 20, tzinfo=UTC), 2)] == [23, 6]
    assert fires("@hourly", start, 1)[0] == datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        cron_trigger("@reboot")


# --- locks --------------------------------------------------------------------------------------------

HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    from crawler.runlog import SiteLock
    lock = SiteLock(sys.argv[1], "demo")
    assert lock.acquire()
    print("locked", flush=True)
    sys.stdin.readline()
    """
)


def test_site_lock_excludes_another_process_and_dies_with_it(tmp_path: Path) -> None:
    script = HOLD_LOCK.format(root=str(ROOT))
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        lock = SiteLock(tmp_path, "demo")
        assert not lock.acquire()
        assert f"pid={holder.pid}" in lock.holder()
        with pytest.raises(SiteBusy, match="already being crawled"), lock:
            pass
        assert SiteLock(tmp_path, "other").acquire()  # other sites are free
    finally:
        holder.kill()  # no clean release: the kernel drops the lock with the process
        holder.communicate()
    with SiteLock(tmp_path, "demo") as lock:
        assert lock.held


def test_crawl_command_skips_the_lock_its_parent_holds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parent = SiteLock(tmp_path, "demo")
    assert parent.acquire()
    try:
        # A hand-started crawl while the scheduler runs the site:
        with pytest.raises(SiteBusy), hold_site_locks(tmp_path, ["demo"]):
            pass
        monkeypatch.setenv(HELD_LOCKS_ENV, str(parent.path))
        with hold_site_locks(tmp_path, ["demo", "other"]) as taken:  # the scheduler's own child
            assert [lock.site for lock in taken] == ["other"]
    finally:
        parent.release()


# --- scheduling ---------------------------------------------------------------------------------------


def test_a_missed_run_runs_once_at_start(workspace: dict[str, Path], scheduler_factory: Any) -> None:
    with SqliteStateStore(workspace["state"]) as store:
        # "missed": its yearly tick came while the scheduler was off (a year ago and two years ago).
        store.set_schedule_mark("missed", utc_iso(datetime.now(UTC) - timedelta(days=800)))
        # "recent": its last tick was after the latest fire time: nothing to catch up.
        store.set_schedule_mark("recent", utc_iso(datetime.now(UTC)))
    scheduler = scheduler_factory(
        [
            ScheduledSite("missed", "0 0 1 1 *"),
            ScheduledSite("recent", "0 0 1 1 *"),
            ScheduledSite("fresh", "0 0 1 1 *"),
        ]
    )
    scheduler.start()
    done = wait_for(lambda: [r for r in runs(workspace) if r.status != "running"])
    time.sleep(0.5)  # would a second catch-up run follow? It must not.
    scheduler.stop()
    recorded = runs(workspace)
    assert [(r.site, r.trigger, r.status) for r in recorded] == [("missed", "missed", "ok")]
    assert done[0].exit_code == 0
    assert (done[0].pages, done[0].articles, done[0].rejected, done[0].duplicates) == (7, 3, 2, 1)
    assert done[0].stats_path and done[0].stats_path.endswith(f"{done[0].run_id}.json")
    with SqliteStateStore(workspace["state"], readonly=True) as store:
        assert store.get_schedule_mark("fresh") is not None  # a first start only sets the mark


def test_a_failing_run_is_logged_and_the_next_tick_runs(workspace: dict[str, Path], scheduler_factory: Any) -> None:
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = scheduler_factory(
        [ScheduledSite("demo", "0 0 1 1 *")],
        command=fake_command(workspace, "fail-once"),
        trigger_factory=lambda site: IntervalTrigger(seconds=0.4),
    )
    scheduler.start()
    wait_for(lambda: len([r for r in runs(workspace) if r.status in ("ok", "failed")]) >= 2)
    scheduler.stop()
    first, second = [r for r in runs(workspace) if r.status in ("ok", "failed")][:2]
    assert (first.status, first.exit_code) == ("failed", 3)
    assert first.detail == "exit status 3: Traceback: something broke in the crawl"
    assert first.log_path and Path(first.log_path).read_text().startswith("Traceback")
    assert (second.status, second.exit_code, second.articles) == ("ok", 0, 3)
    assert second.started_at > first.finished_at  # type: ignore[operator]


def test_a_command_that_cannot_start_is_recorded_as_error(workspace: dict[str, Path], scheduler_factory: Any) -> None:
    scheduler = scheduler_factory([ScheduledSite("demo", "0 0 1 1 *")], command=["/nonexistent/crawl"])
    record = scheduler.run_site("demo")
    assert record is not None and record.status == "error" and "nonexistent" in (record.detail or "")
    assert SiteLock(scheduler.lock_dir, "demo").acquire()  # released after the error


def test_two_schedulers_never_run_the_same_site_at_once(workspace: dict[str, Path]) -> None:
    command = fake_command(workspace, "ok", 0.4)
    first = start_driver(workspace, interval=0.2, command=command)
    second = start_driver(workspace, interval=0.2, command=command)
    try:
        wait_for(lambda: len([e for e in events(workspace) if e[0] == "end"]) >= 2, timeout=20)
    finally:
        for process in (first, second):
            process.send_signal(signal.SIGTERM)
        results = [finish(first), finish(second)]
    for code, err in results:
        assert code == 0, err
    spans: dict[str, list[float]] = {}
    for event, _site, run_id, _pid, when in events(workspace):
        if event in ("start", "end"):
            spans.setdefault(run_id, []).append(when)
    intervals = sorted(tuple(times) for times in spans.values() if len(times) == 2)
    assert len(intervals) >= 2
    for (_, end), (start, _) in itertools.pairwise(intervals):
        assert start >= end, "two runs of the same site overlapped"
    recorded = runs(workspace, "demo")
    skipped = [r for r in recorded if r.status == "skipped"]
    assert skipped and all("already running" in (r.detail or "") for r in skipped)
    assert {r.pid for r in recorded if r.status == "ok"}  # both processes wrote to one run log


def test_sigterm_lets_the_running_crawl_finish(workspace: dict[str, Path]) -> None:
    scheduler = start_driver(workspace, run_now=True, command=fake_command(workspace, "ok", 60))
    try:
        started = wait_for(lambda: [e for e in events(workspace) if e[0] == "start"])
        crawl_pid = started[0][3]
        scheduler.send_signal(signal.SIGTERM)
        code, err = finish(scheduler, timeout=30)
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
            scheduler.communicate()
    assert code == 0, err
    kinds = [e[0] for e in events(workspace)]
    assert kinds == ["start", "graceful", "end"]  # SIGINT forwarded once; the crawl closed by itself
    with pytest.raises(ProcessLookupError):
        os.kill(crawl_pid, 0)
    (record,) = runs(workspace)
    assert record.status == "interrupted" and record.trigger == "start"
    assert record.finished_at and record.articles == 3
    assert record.stats_path and Path(record.stats_path).exists()


def test_the_lock_outlives_a_killed_scheduler_while_its_crawl_runs(workspace: dict[str, Path]) -> None:
    scheduler = start_driver(workspace, run_now=True, command=fake_command(workspace, "ok", 1.0))
    try:
        wait_for(lambda: [e for e in events(workspace) if e[0] == "start"])
    finally:
        scheduler.send_signal(signal.SIGKILL)
        finish(scheduler)
    lock = SiteLock(workspace["output"] / "locks", "demo")
    assert not lock.acquire()  # the orphaned crawl still holds the inherited lock
    wait_for(lambda: [e for e in events(workspace) if e[0] == "end"])
    wait_for(lock.acquire)
    lock.release()


# --- run log and CLI glue -----------------------------------------------------------------------------


def test_read_run_counts(tmp_path: Path) -> None:
    stats = tmp_path / "run.json"
    stats.write_text(
        json.dumps(
            {
                "read": 9,
                "written": 4,
                "rejected": {"duplicate": 2, "too_short": 1},
                "failed": {"timeout": 2},
                "fetched": {"total": 12},
            }
        )
    )
    assert read_run_counts(stats) == {"pages": 12, "articles": 4, "rejected": 3, "duplicates": 2, "failed": 2}
    assert read_run_counts(tmp_path / "missing.json")["articles"] is None


def test_presswash_runs_lists_the_run_log(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    with SqliteStateStore(state) as store:
        store.put_run(
            RunRecord(
                run_id="20260601T100000Z-aaaaaa",
                site="bbc",
                started_at="2026-06-01T10:00:00Z",
                finished_at="2026-06-01T10:04:00Z",
                status="ok",
                exit_code=0,
                pages=40,
                articles=12,
                rejected=3,
                failed=1,
                duplicates=2,
                trigger="schedule",
            )
        )
        store.put_run(
            RunRecord(
                run_id="20260601T110000Z-bbbbbb",
                site="bbc",
                started_at="2026-06-01T11:00:00Z",
                finished_at="2026-06-01T11:00:09Z",
                status="failed",
                exit_code=1,
                detail="exit status 1: boom",
            )
        )
    parser = argparse.ArgumentParser()
    add_runs_arguments(parser)
    out = io.StringIO()
    assert runs_command(parser.parse_args(["--state", str(state)]), out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:10] == [
        "started",
        "ended",
        "site",
        "status",
        "exit",
        "pages",
        "articles",
        "rejected",
        "failed",
        "dup",
    ]
    assert "failed" in lines[1] and lines[2].strip() == "exit status 1: boom"
    assert lines[3].split()[4:12] == ["bbc", "ok", "0", "40", "12", "3", "1", "2"]
    out = io.StringIO()
    assert runs_command(parser.parse_args(["--state", str(state), "--json", "--limit", "1"]), out) == 0
    assert json.loads(out.getvalue())["status"] == "failed"
    assert runs_command(parser.parse_args(["--state", str(tmp_path / "none.sqlite3")]), io.StringIO()) == 1
    assert "site" in format_runs([])


def test_schedule_arguments_and_default_command(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_schedule_arguments(parser)
    args = parser.parse_args(["--sites", "sites.yaml", "--site", "bbc", "--run-now", "--max-parallel", "3"])
    assert (args.sites_file, args.sites, args.run_now, args.max_parallel) == ("sites.yaml", ["bbc"], True, 3)
    with SqliteStateStore(tmp_path / "s.sqlite3") as store:
        scheduler = Scheduler([ScheduledSite("bbc", "@hourly")], store=store, output_dir="out", config_path="s.yaml")
        assert scheduler.build_command("bbc", "r1") == [
            sys.executable,
            "-m",
            "crawler.cli",
            "crawl",
            "--site",
            "bbc",
            "--output",
            "out",
            "--sites",
            "s.yaml",
        ]
        assert scheduler.lock_dir == (tmp_path / "locks").resolve()
