"""Knowing each site, end to end on the fixture server's /h/ sites (tests/site/health_site.py):

- learned site boilerplate: the site-wide footer and the recurring "more from this section" line come
  off once the learning window has seen enough pages; a line in two stories of fifty stays;
  ``presswash rules suggest`` prints them as per-site rules that load;
- per-site health: three normal runs, ``presswash health --check`` exits 0 (no verdict yet), then one
  site switches to a teasers-only template and that run drifts for that site only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from http_server import start_server_subprocess, stop_server

from cleaners.site_rules import compile_site_rules

sys.path.insert(0, str(Path(__file__).parent / "site"))
from health_site import CORRECTED, CORRECTION, footer_line, section_line

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SITES = """\
sites:
"""
SITE = """\
  - name: {name}
    base_url: ${{PRESSWASH_DEMO_URL}}
    feeds: [/h/{name}/feed.xml]
    article_url: ['/h/{name}/story/\\d+\\.html$']
    politeness: {{download_delay: 0, autothrottle: false, concurrency: 8}}
"""


# gamma's own rules: its footer removed by a site rule, its section line protected by a keep rule (so the
# learned template, which would take it, must leave it).
GAMMA_RULES = """\
    boilerplate:
      remove:
        - id: footer.own
          reason: The Ledger's footer under every story, known before any learning.
          match: ['the northern ledger is an independent newspaper owned by its readers since \\d{4}\\.']
          examples:
            remove: ["The Northern Ledger is an independent newspaper owned by its readers since 1871."]
      keep:
        - id: keep.desk
          reason: The Ledger's readers asked to keep the pointer to its town hall desk in the text.
          match: ['further stories from the northern ledger town hall desk .*']
          examples: ["Further stories from the Northern Ledger town hall desk appear every weekday evening"]
"""


@dataclass
class Crawls:
    base_url: str
    output: Path
    env: dict[str, str]
    check_before: subprocess.CompletedProcess[str]
    last_log: str


def _env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("PRESSWASH_")}
    env.update({"PRESSWASH_DEMO_URL": base_url, "PYTHONPATH": str(ROOT)})
    return env


def _control(base_url: str, query: str) -> Any:
    with urllib.request.urlopen(f"{base_url}/_control/template?{query}", timeout=10) as response:
        return json.load(response)


def _crawl(sites: Path, output: Path, env: dict[str, str], run_id: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "crawler.crawl", "--sites", str(sites), "--output", str(output)],
        cwd=ROOT,
        env={**env, "PRESSWASH_RUN_ID": run_id},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _presswash(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawls]:
    proc, base_url = start_server_subprocess()
    try:
        tmp = tmp_path_factory.mktemp("health")
        sites = tmp / "sites.yaml"
        sites.write_text(
            SITES + "".join(SITE.format(name=n) for n in ("alpha", "beta", "gamma")) + GAMMA_RULES, encoding="utf-8"
        )
        output = tmp / "out"
        env = _env(base_url)
        for edition in range(3):
            _control(base_url, f"edition={edition}")
            _crawl(sites, output, env, f"run{edition + 1}")
        check_before = _presswash(env, "health", "--check", "--output", str(output))
        _control(base_url, "edition=3")
        _control(base_url, "site=beta&variant=teasers")
        last = _crawl(sites, output, env, "run4")
        yield Crawls(base_url, output, env, check_before, last.stderr)
    finally:
        stop_server(proc)


def _records(output: Path, site: str) -> list[dict[str, Any]]:
    paths = sorted((output / site).glob("*.jsonl"))
    return [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines()]


def _stats(output: Path, site: str, run_id: str) -> dict[str, Any]:
    """A run's stats (`presswash crawl` of several sites names each site's run RUN_ID-SITE)."""
    return json.loads((output / site / "runs" / f"{run_id}-{site}.json").read_text(encoding="utf-8"))


def test_learned_footer_and_section_line_disappear_after_the_window(crawls: Crawls) -> None:
    first_run = [r for r in _records(crawls.output, "alpha") if int(r["url"].rsplit("/", 1)[1][:-5]) <= 50]
    assert len(first_run) == 50
    footer, section = footer_line("alpha"), section_line("alpha")
    leaked = [r for r in first_run if footer in r["text"]]
    cleaned = [r for r in first_run if footer not in r["text"]]
    assert 1 <= len(leaked) < 20, "learned only after min_pages=20 pages of the site"
    assert len(cleaned) > 30
    for record in cleaned:
        assert section not in record["text"]
        template = {r["text"] for r in record["removed"] if r["rule"] == "site_template"}
        assert template == {footer, section}
        assert "+learned:" in record["rules_version"]
    for record in leaked:
        assert "+learned:" not in record["rules_version"]
    # A line in two stories out of fifty is not the site's template.
    corrected = [r for r in first_run if int(r["url"].rsplit("/", 1)[1][:-5]) in CORRECTED]
    assert len(corrected) == 2
    for record in corrected:
        assert CORRECTION in record["text"]
    later = [r for r in _records(crawls.output, "alpha") if int(r["url"].rsplit("/", 1)[1][:-5]) > 50]
    assert later and all(footer not in r["text"] and section not in r["text"] for r in later)


def test_site_rules_apply_in_the_crawl_and_keep_rules_beat_learning(crawls: Crawls) -> None:
    records = _records(crawls.output, "gamma")
    assert len(records) == 200
    for record in records:
        assert footer_line("gamma") not in record["text"]
        assert section_line("gamma") in record["text"]
        assert [r["rule"] for r in record["removed"]] == ["gamma/footer.own"]
        assert "+site:" in record["rules_version"]


def test_rules_suggest_prints_loadable_site_rules(crawls: Crawls) -> None:
    done = _presswash(crawls.env, "rules", "suggest", "--site", "alpha", "--output", str(crawls.output))
    assert done.returncode == 0, done.stderr
    block = yaml.safe_load(done.stdout)["boilerplate"]
    examples = {ex for rule in block["remove"] for ex in rule["examples"]["remove"]}
    assert examples == {footer_line("alpha"), section_line("alpha")}
    compile_site_rules("alpha", block, "suggested")  # passes the load-time checks as it stands


def test_check_exits_zero_before_the_switch(crawls: Crawls) -> None:
    assert crawls.check_before.returncode == 0, crawls.check_before.stderr
    assert "no verdict" in crawls.check_before.stderr
    assert "beta: no_baseline" in crawls.check_before.stdout


def test_template_switch_drifts_for_that_site_only(crawls: Crawls) -> None:
    drift = {site: _stats(crawls.output, site, "run4")["health"]["drift"] for site in ("alpha", "beta", "gamma")}
    assert drift["beta"], drift
    assert any(reason.startswith("yield") for reason in drift["beta"])
    assert drift["alpha"] == [] and drift["gamma"] == []
    assert "beta DRIFTED" in crawls.last_log and "alpha DRIFTED" not in crawls.last_log

    check = _presswash(crawls.env, "health", "--check", "--output", str(crawls.output))
    assert check.returncode == 1
    assert "drift in beta" in check.stderr
    table = _presswash(crawls.env, "health", "--site", "beta", "--output", str(crawls.output))
    assert table.returncode == 0 and "beta: drift: yield" in table.stdout
    rows = [
        json.loads(line)
        for line in _presswash(crawls.env, "health", "--json", "--output", str(crawls.output)).stdout.splitlines()
    ]
    assert {row["site"] for row in rows} == {"alpha", "beta", "gamma"}
    assert all(len([r for r in rows if r["site"] == s]) == 4 for s in ("alpha", "beta", "gamma"))
    normal = [r for r in rows if r["run_id"].startswith("run2-")]
    assert len(normal) == 3
    for row in normal:
        assert row["written"] == 50 and row["share_title"] == 1.0 and row["share_date"] == 1.0


def _reclean(env: dict[str, str], out: Path, *args: str) -> list[dict[str, Any]]:
    done = _presswash(env, "clean", *args, "--workers", "1", "-q", "-o", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_reclean_of_the_raw_archive_with_the_stored_learned_set_gives_the_crawl_records(
    crawls: Crawls, tmp_path: Path
) -> None:
    from crawler.cli.health import state_location_of

    records = {r["url"]: r for r in _records(crawls.output, "alpha")}
    assert len(records) == 200
    versions = {r["rules_version"].partition("+learned:")[2] for r in records.values()}
    assert len(versions) == 2 and "" in versions  # before the window filled: none; then one set, four runs long
    (version,) = versions - {""}
    listed = _presswash(crawls.env, "rules", "versions", "--site", "alpha", "--output", str(crawls.output))
    assert listed.returncode == 0 and version in listed.stdout, listed.stderr
    exported = _presswash(
        crawls.env, "rules", "export", "--site", "alpha", "--version", version, "--output", str(crawls.output)
    )
    assert exported.returncode == 0, exported.stderr
    learned_file = tmp_path / "alpha.learned.json"
    learned_file.write_text(exported.stdout, encoding="utf-8")

    raw = str(crawls.output / "raw" / "alpha")
    state = state_location_of(None, None, str(crawls.output))
    by_state = _reclean(
        crawls.env, tmp_path / "state.jsonl", raw, "--site-template", f"alpha@{version}", "--state", state
    )
    by_file = _reclean(crawls.env, tmp_path / "file.jsonl", raw, "--learned", str(learned_file))
    plain = {r["url"]: r for r in _reclean(crawls.env, tmp_path / "plain.jsonl", raw)}
    assert by_state == by_file  # the stored set and its exported copy are the same set
    fixed = {r["url"]: r for r in by_file}
    assert set(fixed) == set(plain) == set(records)

    def comparable(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k != "source_path"}  # the crawl's URL, the archive's file

    with_set = [url for url, r in records.items() if version in r["rules_version"]]
    assert len(with_set) > 180
    for url in with_set:  # written with the set: re-cleaned with it, the same record, fetched_at included
        assert comparable(fixed[url]) == comparable(records[url]), url
        assert fixed[url]["rules_version"].endswith(f"+learned:{version}")
        assert footer_line("alpha") in plain[url]["text"]  # without the set, the footer is back
    for url in set(records) - set(with_set):  # written before anything was learned: re-cleaned without a set
        assert comparable(plain[url]) == comparable(records[url]), url

    stats = json.loads(Path(f"{tmp_path / 'file.jsonl'}.stats.json").read_text(encoding="utf-8"))
    assert stats["site_template"]["fixed"] == {"alpha": version} and stats["site_template"]["records"] == {"alpha": 200}

    unknown = _presswash(crawls.env, "clean", raw, "--site-template", "alpha@000000000000", "--state", state)
    assert unknown.returncode == 2 and f"known: {version}" in unknown.stderr
    tampered = json.loads(learned_file.read_text(encoding="utf-8"))
    tampered["templates"][0]["lines"].pop()
    learned_file.write_text(json.dumps(tampered), encoding="utf-8")
    refused = _presswash(crawls.env, "clean", raw, "--learned", str(learned_file))
    assert refused.returncode == 2 and "does not match its lines" in refused.stderr


def test_reclean_with_the_site_applies_its_rules_as_the_crawl_did(crawls: Crawls, tmp_path: Path) -> None:
    """gamma has its own remove and keep rules: `presswash clean --site gamma` with its stored learned set
    gives the crawl's records (the site rule's id in ``removed``, the kept line kept); without --site the
    rules are missing and the records differ."""
    from crawler.cli.health import state_location_of

    records = {r["url"]: r for r in _records(crawls.output, "gamma")}
    versions = {r["rules_version"].partition("+learned:")[2] for r in records.values()} - {""}
    assert len(versions) == 1, versions
    (version,) = versions
    raw = str(crawls.output / "raw" / "gamma")
    state = state_location_of(None, None, str(crawls.output))
    sites = str(crawls.output.parent / "sites.yaml")
    fixed = ("--site-template", f"gamma@{version}", "--state", state)
    with_site = {
        r["url"]: r
        for r in _reclean(crawls.env, tmp_path / "s.jsonl", raw, *fixed, "--site", "gamma", "--sites", sites)
    }
    without = {r["url"]: r for r in _reclean(crawls.env, tmp_path / "n.jsonl", raw, *fixed)}
    assert set(with_site) == set(records)

    def comparable(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k != "source_path"}

    with_set = [url for url, r in records.items() if version in r["rules_version"]]
    assert len(with_set) > 100
    for url in with_set:
        assert comparable(with_site[url]) == comparable(records[url]), url
        assert "gamma/footer.own" in [r["rule"] for r in with_site[url]["removed"]]
        assert section_line("gamma") in with_site[url]["text"]  # the keep rule beats the learned set
        assert without[url]["removed"] != records[url]["removed"] or without[url]["text"] != records[url]["text"]
        assert "gamma/footer.own" not in [r["rule"] for r in without[url]["removed"]]

    before = set(records) - set(with_set)  # written before anything was learned: re-cleaned without a set
    assert before
    plain = {r["url"]: r for r in _reclean(crawls.env, tmp_path / "p.jsonl", raw, "--site", "gamma", "--sites", sites)}
    for url in before:
        assert comparable(plain[url]) == comparable(records[url]), url

    unknown = _presswash(crawls.env, "clean", raw, "--site", "nosuch", "--sites", sites)
    assert unknown.returncode == 2 and "'nosuch'" in unknown.stderr and sites in unknown.stderr
