"""Reliability audit of the crawl and its state (issue 13, cases 11-16, 19, 21 crawl, 22-24, and neighbours).

Every case is a real test (tests/test_faults_crawl.py and the crawl's end-to-end tests): crawl processes
against a local HTTP server, signals, a full disk on a small tmpfs, Redis, a synthetic large state. This
script runs them in one pytest session and prints one line per case and the figures docs/reliability.md
reports ("Crawl and state"): how many hostile inputs were handled with nothing lost, how many injected
faults were survived with nothing lost or written twice, and how many state-over-months checks hold.

    python -m bench.reliability_crawl           # all cases (several minutes on two cores)
    python -m bench.reliability_crawl --list    # the cases and their tests
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
F = "tests/test_faults_crawl.py::"
E2E = "tests/test_crawl_e2e.py::"

#: (kind, case, label, pytest node ids). kind: input (hostile input), fault (injected fault), state (months).
CASES: list[tuple[str, str, str, list[str]]] = [
    (
        "fault",
        "11",
        "two crawl processes on one SQLite state write no article twice",
        [
            F + "test_two_crawl_processes_on_one_state_never_write_an_article_twice",
            F + "test_two_processes_on_one_sqlite_file_never_both_admit_one_story",
            F + "test_recording_or_releasing_ends_a_claim",
            F + "test_the_sqlite_state_gets_the_claiming_index",
            F + "test_closing_the_shared_state_gives_up_its_claims",
        ],
    ),
    (
        "fault",
        "11",
        "a claim of a process killed with -9 (or of a reused pid, or expired on another host) does not block",
        [
            F + "test_a_killed_processs_claims_do_not_hold",
            F + "test_a_reused_pid_is_not_its_old_owner",
            F + "test_a_claim_from_another_host_holds_for_its_lease_only",
        ],
    ),
    (
        "fault",
        "12",
        "disk under the free-space minimum: the crawl stops cleanly (disk_full)",
        [F + "test_a_disk_under_the_free_space_minimum_stops_the_crawl_cleanly"],
    ),
    (
        "fault",
        "12",
        "disk fills up mid-crawl (600k tmpfs): the crawl ends by itself, never hangs",
        [F + "test_a_disk_that_fills_up_during_the_crawl_ends_it"],
    ),
    (
        "input",
        "13",
        "robots.txt of 10 MB (over the download cap) starting Disallow: /a/ is obeyed",
        [F + "test_a_robots_txt_over_the_download_cap_is_obeyed"],
    ),
    (
        "input",
        "14",
        "huge sitemap: at most PRESSWASH_MAX_SITEMAP_URLS queued per run, the rest deferred",
        [
            F + "test_a_huge_sitemap_queues_at_most_the_cap_per_run_and_defers_the_rest",
            F + "test_a_sitemap_is_read_one_entry_at_a_time_and_a_broken_one_says_so",
        ],
    ),
    (
        "input",
        "15",
        "offsite redirect, broken feed, 404 and PDF articles: all in the ledger, stats add up",
        [F + "test_offsite_redirects_broken_feeds_and_odd_articles_are_all_accounted_for"],
    ),
    (
        "fault",
        "16",
        "a crawl killed with SIGKILL is listed as interrupted, not running",
        [
            F + "test_a_crawl_killed_with_sigkill_is_listed_as_interrupted",
            F + "test_a_reused_pid_does_not_keep_a_dead_run_running",
        ],
    ),
    (
        "fault",
        "19",
        "a crafted pickle ZADDed to the Redis queue runs nothing; requests travel as JSON",
        [
            F + "test_a_crafted_pickle_in_the_redis_queue_runs_nothing",
            F + "test_queued_requests_round_trip_as_json_with_the_spiders_meta",
            F + "test_redis_mode_sets_the_json_serializer",
        ],
    ),
    (
        "state",
        "22",
        "retention: old fetch records and articles forgotten, the still-listed kept",
        [F + "test_retention_forgets_old_fetches_and_articles_in_short_transactions"],
    ),
    (
        "state",
        "22",
        "the file stops growing (incremental vacuum), the WAL stays under its limit",
        [
            F + "test_the_file_stops_growing_and_the_wal_stays_under_its_limit",
            F + "test_an_old_state_file_can_be_given_incremental_vacuum",
        ],
    ),
    (
        "state",
        "23",
        "a threshold change re-bands in batches of 2000 per transaction",
        [F + "test_a_threshold_change_rebands_in_batches"],
    ),
    (
        "state",
        "24",
        "a second process writes while a large prune runs (no 'database is locked')",
        [F + "test_a_second_process_writes_while_a_large_prune_runs"],
    ),
    # neighbours the audit found handled: they must stay so
    ("input", "n", "gzip bomb sitemap refused", ["tests/test_discovery.py::test_gzip_bomb_is_refused"]),
    (
        "input",
        "n",
        "XXE and billion laughs in a feed: entities never expanded",
        ["tests/test_discovery.py::test_feed_entities_are_not_expanded"],
    ),
    (
        "input",
        "n",
        "robots.txt-disallowed pages never fetched, also for requests that waited for it",
        [E2E + "test_nothing_from_disallowed_paths", E2E + "test_robots_txt_holds_for_requests_that_waited_for_it"],
    ),
    (
        "input",
        "n",
        "failure routes (missing, flaky, slow, loop, gzip, huge, broken, charset, redirect, PDF)",
        [E2E + "test_failure_routes_end_as_expected", E2E + "test_every_url_is_accounted_for"],
    ),
    (
        "fault",
        "n",
        "crawl killed with -9: whole lines, no orphan cleaning workers",
        [E2E + "test_killed_crawl_leaves_whole_lines_and_no_workers"],
    ),
    (
        "fault",
        "n",
        "SIGINT then SIGKILL mid-crawl: completed by the next run, nothing lost or doubled",
        ["tests/test_recurring_e2e.py::test_stopped_and_killed_runs_are_completed_without_loss_or_duplicates"],
    ),
    (
        "fault",
        "n",
        "kill -9 while writing the WARC archive: the next run reads cleanly",
        ["tests/test_archive.py::test_kill_9_while_writing_then_resume_reads_cleanly"],
    ),
    (
        "fault",
        "n",
        "shared crawl: a process killed mid-crawl and restarted loses and doubles nothing",
        ["tests/test_scaleout_e2e.py::test_a_process_killed_mid_crawl_and_restarted_loses_and_duplicates_nothing"],
    ),
    (
        "fault",
        "n",
        "PostgreSQL unreachable: the crawl writes its lines and counts the failures",
        [
            "tests/test_scaleout_e2e.py::test_with_postgres_unreachable_the_crawl_writes_its_lines_and_counts_the_failures"
        ],
    ),
]


def run(node_ids: list[str]) -> dict[str, str]:
    """Run the tests in one pytest session; node id -> passed, failed, skipped or error."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *node_ids],
            cwd=ROOT,
            check=False,
        )
        results: dict[str, str] = {}
        for case in ET.parse(report).getroot().iter("testcase"):
            path = case.get("classname", "").replace(".", "/") + ".py"
            node = f"{path}::{case.get('name')}"
            outcome = "passed"
            for child in case:
                if child.tag in ("failure", "error", "skipped"):
                    outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
            results[node] = outcome
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the cases and their tests, run nothing")
    args = parser.parse_args(argv)
    if args.list:
        for kind, case, label, nodes in CASES:
            print(f"{kind:5} {case:>2}  {label}")
            for node in nodes:
                print(f"          {node}")
        return 0
    results = run([node for *_, nodes in CASES for node in nodes])
    totals: Counter[str] = Counter()
    held: Counter[str] = Counter()
    for kind, case, label, nodes in CASES:
        outcomes = [results.get(node, "not run") for node in nodes]
        ok = all(outcome == "passed" for outcome in outcomes)
        totals[kind] += 1
        held[kind] += ok
        mark = "ok  " if ok else "FAIL"
        detail = (
            ""
            if ok
            else "  ("
            + ", ".join(f"{n.split('::')[-1]}: {o}" for n, o in zip(nodes, outcomes, strict=True) if o != "passed")
            + ")"
        )
        print(f"{mark} {kind:5} {case:>2}  {label}{detail}")
    print(
        f"crawl and state: hostile inputs handled {held['input']}/{totals['input']}, "
        f"faults survived {held['fault']}/{totals['fault']}, state checks {held['state']}/{totals['state']}"
    )
    return 0 if held == totals else 1


if __name__ == "__main__":
    raise SystemExit(main())
