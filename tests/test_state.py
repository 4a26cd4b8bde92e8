"""crawler.state: the SQLite state store (schema, WAL, concurrent use), fetch decisions, settings."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import fetch_state as fetch

from cleaners.config import ConfigError
from cleaners.timestamps import utc_iso
from crawler.config import STATE_ENV, RecurringSettings, load_recurring_settings, state_location
from crawler.state import open_state_store
from crawler.state.interfaces import StateStore
from crawler.state.records import RunRecord, conditional_headers, fetch_decision
from crawler.state.sqlite import SCHEMA_VERSION, SqliteStateStore, StateSchemaError

ROOT = Path(__file__).resolve().parent.parent


def test_schema_is_created_in_wal_mode_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state.sqlite3"
    with SqliteStateStore(path) as store:
        assert isinstance(store, StateStore)
        assert store.counts()["articles"] == 0
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        connection.close()
    with SqliteStateStore(path) as store:  # reopening migrates nothing and loses nothing
        store.put_fetch(fetch())
    with SqliteStateStore(path) as store:
        assert store.get_fetch("https://example.com/a") == fetch()


def test_a_newer_schema_is_refused_with_the_file_named(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    SqliteStateStore(path).close()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 99")
    connection.commit()
    connection.close()
    with pytest.raises(StateSchemaError, match=r"state.sqlite3: state schema version 99"):
        SqliteStateStore(path)


def test_fetch_state_round_trip_and_upsert(tmp_path: Path) -> None:
    with SqliteStateStore(tmp_path / "s.sqlite3") as store:
        assert store.get_fetch("https://example.com/a") is None
        store.put_fetch(fetch())
        store.put_fetch(fetch(outcome="not_modified", etag=None, version=1, fetched_at="2026-06-02T10:00:00Z"))
        got = store.get_fetch("https://example.com/a")
        assert got is not None and got.outcome == "not_modified" and got.etag is None


def test_fetch_decision() -> None:
    known = fetch(lastmod="2026-06-01T09:00:00Z", fetched_at="2026-06-01T10:00:00Z")
    assert fetch_decision(None, None) == "new"
    assert fetch_decision(None, datetime(2020, 1, 1, tzinfo=UTC)) == "new"
    assert fetch_decision(known, None) == "known"  # no lastmod: never fetched again
    assert fetch_decision(known, datetime(2026, 6, 1, 9, 0, tzinfo=UTC)) == "known"
    assert fetch_decision(known, datetime(2026, 6, 1, 9, 30, tzinfo=UTC)) == "changed"
    assert fetch_decision(known, datetime(2026, 6, 1, 9, 30)) == "changed"  # naive = UTC
    # Nothing stored about lastmod: compared with our own fetch time.
    bare = fetch(lastmod=None, fetched_at="2026-06-01T10:00:00Z")
    assert fetch_decision(bare, datetime(2026, 6, 1, 9, 59, tzinfo=UTC)) == "known"
    assert fetch_decision(bare, datetime(2026, 6, 1, 10, 1, tzinfo=UTC)) == "changed"


def test_conditional_headers_repeat_only_what_the_server_sent() -> None:
    assert conditional_headers(None) == {}
    assert conditional_headers(fetch()) == {
        "If-None-Match": '"v1"',
        "If-Modified-Since": "Mon, 01 Jun 2026 09:00:00 GMT",
    }
    assert conditional_headers(fetch(etag=None)) == {"If-Modified-Since": "Mon, 01 Jun 2026 09:00:00 GMT"}
    assert conditional_headers(fetch(etag=None, last_modified=None)) == {}


def test_run_log_newest_first_and_by_site(tmp_path: Path) -> None:
    with SqliteStateStore(tmp_path / "s.sqlite3") as store:
        for n, site in enumerate(["a", "b", "a"]):
            store.put_run(RunRecord(run_id=f"r{n}", site=site, started_at=f"2026-06-0{n + 1}T00:00:00Z"))
        store.put_run(store.get_run("r0").finished(status="ok", articles=3))  # type: ignore[union-attr]
        assert [r.run_id for r in store.list_runs()] == ["r2", "r1", "r0"]
        assert [r.run_id for r in store.list_runs("a", limit=1)] == ["r2"]
        assert store.get_run("r0") == RunRecord(
            run_id="r0", site="a", started_at="2026-06-01T00:00:00Z", status="ok", articles=3
        )


def test_schedule_marks(tmp_path: Path) -> None:
    with SqliteStateStore(tmp_path / "s.sqlite3") as store:
        assert store.get_schedule_mark("demo") is None
        store.set_schedule_mark("demo", "2026-06-01T00:00:00Z")
        store.set_schedule_mark("demo", "2026-06-01T01:00:00Z")
        assert store.get_schedule_mark("demo") == "2026-06-01T01:00:00Z"


def test_a_reader_is_not_blocked_by_a_writer(tmp_path: Path) -> None:
    """WAL: `presswash runs` reads while a crawl is in the middle of a write transaction."""
    path = tmp_path / "s.sqlite3"
    with SqliteStateStore(path) as writer:
        writer.put_run(RunRecord(run_id="r0", site="a", started_at="2026-06-01T00:00:00Z"))
        inside, release = threading.Event(), threading.Event()

        def hold_write() -> None:
            with writer._write() as conn:
                conn.execute("INSERT INTO runs (run_id, site, started_at, status) VALUES ('r1', 'a', 'x', 'running')")
                inside.set()
                release.wait(5)

        thread = threading.Thread(target=hold_write)
        thread.start()
        try:
            assert inside.wait(5)
            with SqliteStateStore(path, readonly=True, busy_timeout=0.5) as reader:
                assert [r.run_id for r in reader.list_runs()] == ["r0"]  # the committed state, at once
                with pytest.raises(PermissionError):
                    reader.put_run(RunRecord(run_id="x", site="a", started_at="x"))
        finally:
            release.set()
            thread.join()
        assert len(writer.list_runs()) == 2


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from crawler.state import SqliteStateStore, RunRecord, FetchState
    tag = sys.argv[1]
    with SqliteStateStore({path!r}) as store:
        for n in range(100):
            store.put_run(RunRecord(run_id=f"{{tag}}-{{n}}", site=tag, started_at=f"2026-06-01T00:00:{{n % 60:02d}}Z"))
            store.put_fetch(FetchState(url_key=f"https://x/{{tag}}/{{n}}", url="u", outcome="written", fetched_at="t"))
    """
)


def test_two_processes_write_the_same_file(tmp_path: Path) -> None:
    """Several crawl processes (one per site) and the scheduler share one state file."""
    path = tmp_path / "state.sqlite3"
    SqliteStateStore(path).close()
    script = WRITER.format(root=str(ROOT), path=str(path))
    processes = [
        subprocess.Popen([sys.executable, "-c", script, tag], stderr=subprocess.PIPE) for tag in ("one", "two")
    ]
    for process in processes:
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()
    with SqliteStateStore(path) as store:
        counts = store.counts()
    assert counts["runs"] == 200 and counts["fetches"] == 200


def test_recurring_settings_defaults_and_project_config() -> None:
    settings = load_recurring_settings()  # config/presswash.yaml may not have the sections yet
    assert isinstance(settings, RecurringSettings)
    defaults = RecurringSettings()
    assert defaults.state.path == "state.sqlite3"
    assert defaults.dedup.near_duplicate_threshold == 0.7
    assert defaults.archive.enabled is True and defaults.archive.retention_days == 90
    assert defaults.scheduler.max_parallel_runs == 2


def test_recurring_settings_errors_name_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "presswash.yaml"
    config.write_text("archive:\n  retention_days: 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"presswash.yaml: archive.retention_days: "):
        load_recurring_settings(config)
    config.write_text("state:\n  path: /var/lib/presswash/state.sqlite3\n", encoding="utf-8")
    assert load_recurring_settings(config).state.path == "/var/lib/presswash/state.sqlite3"


def test_state_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STATE_ENV, raising=False)
    assert state_location("out") == str(Path("out") / "state.sqlite3")
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "elsewhere.sqlite3"))
    assert state_location("out") == str(tmp_path / "elsewhere.sqlite3")


def test_open_state_store_by_location(tmp_path: Path) -> None:
    store = open_state_store(tmp_path / "s.sqlite3")
    try:
        assert isinstance(store, SqliteStateStore)
    finally:
        store.close()
    # A redis:// location opens the Redis store (crawler.state.redis_store; tests/test_state_redis.py tests it
    # against a real server): here, on a port nobody listens on, it says so instead of crawling without state.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(ConfigError, match=r"state\.path: .*(Redis does not answer|needs the redis package)"):
        open_state_store(f"redis://127.0.0.1:{closed_port}/0?prefix=presswash_test")
    with pytest.raises(ConfigError, match="unknown state backend"):
        open_state_store("s3://bucket/state")


def test_utc_iso_sorts_as_text() -> None:
    early = utc_iso(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    late = utc_iso(datetime(2026, 6, 1, 10, 0))
    assert early.endswith("Z") and early < late


def test_scheduler_time_zone_is_checked(tmp_path: Path) -> None:
    config = tmp_path / "presswash.yaml"
    config.write_text("scheduler:\n  timezone: Mars/Olympus\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"presswash.yaml: scheduler.timezone: .*unknown time zone"):
        load_recurring_settings(config)
    config.write_text("scheduler:\n  timezone: Europe/Paris\n", encoding="utf-8")
    assert load_recurring_settings(config).scheduler.timezone == "Europe/Paris"
