"""Learned site boilerplate (cleaners/site_template.py), site memory (crawler/state/site_memory.py, SQLite and
Redis) and health drift (crawler/health.py), without a crawl; `presswash clean --learn-template` on the
fixture server's /h/ site."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from services import redis_prefix, redis_url

from cleaners.article import Article, Rejected
from cleaners.core import clean
from cleaners.document import RawDocument
from cleaners.options import CleaningOptions, load_options
from cleaners.site_rules import compile_site_rules
from cleaners.site_template import (
    BatchTemplateStage,
    LearnedTemplate,
    TemplateLearner,
    TemplateSettings,
    apply_learned,
    site_key,
    suggest_rules,
)
from crawler.cli.health import format_health, sparkline
from crawler.health import HealthSettings, RunTally, judge_drift, verdict
from crawler.state.site_memory import RedisSiteMemory, SqliteSiteMemory

sys.path.insert(0, str(Path(__file__).parent / "site"))
from health_site import CORRECTED, CORRECTION, footer_line, section_line, story_paragraphs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def options() -> CleaningOptions:
    return load_options()


def _story(options: CleaningOptions, number: int, host: str = "news.example.com") -> Article:
    lines = [*story_paragraphs("alpha", number)]
    if number in CORRECTED:
        lines.append(CORRECTION)
    lines += [section_line("alpha"), footer_line("alpha")]
    dump = f"Story {number}\n\n" + "\n\n".join(lines)
    url = f"https://{host}/h/alpha/story/{number}.html"
    result = clean(RawDocument(dump.encode(), source_path=f"{number}.txt", url=url), options)
    assert isinstance(result, Article)
    return result


def test_nothing_is_learned_before_min_pages_and_one_article_lines_never(options: CleaningOptions) -> None:
    learner = TemplateLearner(TemplateSettings(min_pages=20, window=50))
    for number in range(1, 20):
        learner.observe("alpha", _story(options, number))
        assert learner.learned("alpha") is None
    learner.observe("alpha", _story(options, 20))
    learned = learner.learned("alpha")
    assert learned is not None
    assert {original for _, original in learned.lines} == {footer_line("alpha"), section_line("alpha")}
    with pytest.raises(ValidationError):
        TemplateSettings(min_articles=1)  # a line of one article only can never be learned
    with pytest.raises(ValidationError):
        TemplateSettings(window=10, min_pages=20)


def test_batch_stage_learns_in_order_and_keeps_a_line_of_two_articles(options: CleaningOptions) -> None:
    stories = [_story(options, n) for n in range(1, 51)]
    stage = BatchTemplateStage(TemplateSettings(), options.min_words)
    out = [stage(story) for story in stories]
    assert all(isinstance(r, Article) for r in out)
    articles = [r for r in out if isinstance(r, Article)]
    assert [footer_line("alpha") in r.text for r in articles] == [True] * 19 + [False] * 31
    for record in articles[19:]:
        assert section_line("alpha") not in record.text
        assert {r.text for r in record.removed if r.rule == "site_template"} == {
            footer_line("alpha"),
            section_line("alpha"),
        }
        assert record.word_count < stories[articles.index(record)].word_count
    for number in CORRECTED:
        assert CORRECTION in articles[number - 1].text
    assert stage.summary()["removed_lines"] == 62

    again = BatchTemplateStage(TemplateSettings(), options.min_words)
    assert [again(s).to_json_line() for s in stories] == [r.to_json_line() for r in articles]  # deterministic


def test_apply_learned_is_pure_and_versioned(options: CleaningOptions) -> None:
    story = _story(options, 3)
    learned = LearnedTemplate.of(
        "alpha",
        {"the harbour gazette is an independent newspaper owned by its readers since 1871.": footer_line("alpha")},
        20,
    )
    first, second = apply_learned(story, learned, 25), apply_learned(story, learned, 25)
    assert isinstance(first, Article) and first == second
    assert first.rules_version == f"{story.rules_version}+learned:{learned.version}"
    assert first.content_hash != story.content_hash
    assert LearnedTemplate.from_dict(json.loads(json.dumps(learned.to_dict()))) == learned
    too_short = apply_learned(story, learned, story.word_count)
    assert isinstance(too_short, Rejected) and too_short.reason.value == "too_short"


def test_suggested_rules_pass_the_site_rule_checks(options: CleaningOptions) -> None:
    learner = TemplateLearner(TemplateSettings())
    for number in range(1, 30):
        learner.observe("alpha", _story(options, number))
    learned = learner.learned("alpha")
    assert learned is not None
    text = suggest_rules(learned)
    block = yaml.safe_load(text)["boilerplate"]
    rules = compile_site_rules("alpha", block, "suggested")
    assert len(rules.remove) == 2
    assert "# Learned template of site alpha" in text


def test_site_key_is_the_registered_domain() -> None:
    def record(url: str | None) -> Any:
        return Article.model_construct(url=url, canonical_url=None)

    assert site_key(record("https://www.bbc.co.uk/news/x")) == "bbc.co.uk"
    assert site_key(record("https://news.example.com/a")) == "example.com"
    assert site_key(record("http://127.0.0.1:8080/h/alpha/1.html")) == "127.0.0.1:8080"
    assert site_key(record(None)) is None


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_site_memory_round_trip(backend: str, tmp_path: Path) -> None:
    learned = LearnedTemplate.of("alpha", {"a line": "A line"}, 20)
    row = {"site": "alpha", "run_id": "r1", "finished_at": "2026-01-01T00:00:00Z", "written": 5}
    if backend == "sqlite":
        memories = [SqliteSiteMemory(tmp_path / "state.sqlite3")]
        context = None
    else:
        context = redis_prefix("site")
        _, prefix = context.__enter__()
        memories = [RedisSiteMemory(f"{redis_url()}?prefix={prefix}")]
    try:
        memory = memories[0]
        memory.save_lines("alpha", [{"a line": "A line"}, {"b": "B"}])
        assert memory.recent_lines("alpha") == [{"a line": "A line"}, {"b": "B"}]
        memory.save_lines("alpha", [{"b": "B"}])
        assert memory.recent_lines("alpha") == [{"b": "B"}]
        memory.save_template(learned, "2026-01-01T00:00:00Z")
        assert memory.templates("alpha") == [("2026-01-01T00:00:00Z", learned)]
        for index in range(4):
            memory.put_health(
                "alpha",
                f"r{index}",
                f"2026-01-0{index + 1}T00:00:00Z",
                {**row, "run_id": f"r{index}", "finished_at": f"2026-01-0{index + 1}T00:00:00Z"},
            )
        memory.put_health("beta", "r9", "2026-01-09T00:00:00Z", {**row, "site": "beta", "run_id": "r9"})
        assert [r["run_id"] for r in memory.health("alpha", 2)] == ["r2", "r3"]
        assert [r["site"] for r in memory.health(None, 1)] == ["alpha", "beta"]
        memory.close()
    finally:
        if context is not None:
            context.__exit__(None, None, None)


def _row(written: int, words: float, *, empty: float = 0.0, hits: int = 0, flagged: float = 0.0) -> dict[str, Any]:
    return {
        "site": "s",
        "run_id": f"r{written}-{words}",
        "written": written,
        "median_words": words,
        "share_empty": empty,
        "share_flagged": flagged,
        "rule_hits": {"share_bar.icons": hits} if hits else {},
    }


def test_drift_against_the_sites_own_baseline() -> None:
    settings = HealthSettings()
    baseline = [_row(50, 300), _row(48, 310), _row(52, 290)]
    assert judge_drift(_row(49, 305), baseline, settings) == []
    assert judge_drift(_row(10, 300), baseline, settings)[0].startswith("yield: 10 articles written, baseline 50")
    assert judge_drift(_row(50, 60), baseline, settings)[0].startswith("length: median 60 words")
    assert judge_drift(_row(50, 300, empty=0.5), baseline, settings)[0].startswith("empty or short pages")
    assert judge_drift(_row(50, 300, flagged=0.6), baseline, settings)[0].startswith("flagged: 60%")
    assert judge_drift(_row(50, 300, hits=100), baseline, settings)[0].startswith("rule share_bar.icons: 2.00")

    status, reasons = verdict([_row(50, 300), _row(48, 310), _row(5, 300)], settings)
    assert status == "no_baseline" and "only 2 earlier run(s)" in reasons[0]
    assert verdict([*baseline, _row(49, 300)], settings) == ("ok", [])
    assert verdict([*baseline, _row(5, 300)], settings)[0] == "drift"


def test_tally_and_table() -> None:
    tally = RunTally()
    tally.add(
        {
            "word_count": 100,
            "title": "t",
            "authors": ["a"],
            "published": None,
            "flags": ["paywalled"],
            "removed": [{"rule": "consent.x"}, {"rule": "consent.x"}],
        }
    )
    tally.add({"word_count": 300, "title": "u", "authors": [], "published": "2026-01-01", "flags": [], "removed": []})
    row = tally.row(site="s", run_id="r", finished_at="t", rejected={"too_short": 2}, failed={})
    assert row["median_words"] == 200 and row["share_author"] == 0.5 and row["share_flagged"] == 0.5
    assert row["share_empty"] == 0.5 and row["rule_hits"] == {"consent.x": 2} and row["flags"] == {"paywalled": 1}
    assert sparkline([1, 2, 3, None]) == "▁▄█ "
    table = format_health({"s": [{**row, "drift": []}]}, {"s": ("no_baseline", ["only 0 earlier run(s)"])})
    assert table.startswith("s: no_baseline: only 0 earlier run(s)")
    assert "200" in table and "50%" in table


def test_clean_command_learns_per_registered_domain(demo_site: str, tmp_path: Path) -> None:
    urls = [f"{demo_site}/h/gamma/story/{n}.html" for n in range(1, 31)]
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "clean",
            "--learn-template",
            "--delay",
            "0",
            "--workers",
            "1",
            "-q",
            "-o",
            str(out),
            *urls,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 30
    with_footer = [footer_line("gamma") in r["text"] for r in records]
    assert with_footer == [True] * 19 + [False] * 11
    stats = json.loads(Path(f"{out}.stats.json").read_text(encoding="utf-8"))
    assert stats["site_template"]["removed_lines"] == 22


def _health_state(path: Path) -> Path:
    """A state file with four runs of two sites, as crawls leave it."""
    memory = SqliteSiteMemory(path)
    for index, (site, written, words) in enumerate(
        [("alpha", 50, 300), ("alpha", 48, 310), ("alpha", 52, 290), ("alpha", 12, 80), ("beta", 30, 500)]
    ):
        finished = f"2026-01-0{index + 1}T00:00:00Z"
        row = {"site": site, "run_id": f"r{index}-{site}", "finished_at": finished, "written": written}
        memory.put_health(site, row["run_id"], finished, {**row, "median_words": words, "drift": []})
    memory.close()
    return path


def test_health_plot_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from crawler.cli import main

    state = _health_state(tmp_path / "state.sqlite3")
    target = tmp_path / "health.png"
    assert main(["health", "--state", str(state), "--plot", str(target)]) == 0
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 400 and height >= 300
    assert "alpha: drift: yield: 12 articles written" in capsys.readouterr().out  # the table is shown too


def test_health_plot_without_matplotlib_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from crawler.cli import main

    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now raises ImportError
    state = _health_state(tmp_path / "state.sqlite3")
    target = tmp_path / "health.png"
    assert main(["health", "--state", str(state), "--plot", str(target)]) == 2
    captured = capsys.readouterr()
    assert not target.exists()
    assert f"--plot {target} needs matplotlib, which is not installed: pip install 'presswash[plot]'" in captured.err
    assert "alpha: drift" in captured.out  # the table was still shown


def _process_row(run_id: str, day: int, written: int, words: float, *, read: int | None = None) -> dict[str, Any]:
    finished = f"2026-02-{day:02d}T00:00:00Z"
    return {
        "site": "alpha",
        "run_id": run_id,
        "finished_at": finished,
        "read": read if read is not None else written,
        "written": written,
        "rejected": {},
        "failed": {},
        "median_words": words,
        "share_title": 1.0,
        "share_author": 0.5,
        "share_date": 1.0,
        "share_flagged": 0.0,
        "share_empty": 0.0,
        "flags": {},
        "rule_hits": {"site_template": written * 2},
        "drift": [],
    }


def test_processes_of_one_scaled_out_run_merge_into_one_row() -> None:
    from crawler.health import merge_rows, run_group

    assert run_group("round7+host1") == run_group("round7+host2-alpha") == "round7"
    assert run_group("20261205T220000Z-1234") == "20261205T220000Z-1234"  # a one-process run is its own
    rows = [_process_row("r1+a", 1, 30, 300), _process_row("r1+b", 2, 20, 320, read=25), _process_row("r2", 3, 50, 310)]
    rows[1]["share_author"] = 1.0
    rows[1]["rejected"] = {"too_short": 5}
    merged = merge_rows(rows)
    assert [r["run_id"] for r in merged] == ["r1", "r2"]
    first = merged[0]
    assert first["processes"] == 2 and first["run_ids"] == ["r1+a", "r1+b"]
    assert first["written"] == 50 and first["read"] == 55 and first["rejected"] == {"too_short": 5}
    assert first["share_author"] == 0.7  # (30 x 0.5 + 20 x 1.0) / 50
    assert first["median_words"] == 300 and first["rule_hits"] == {"site_template": 100}
    assert first["finished_at"] == "2026-02-02T00:00:00Z"
    assert merged[1] is rows[2]  # alone in its run: unchanged


def _scaled_out_state(path: Path) -> Path:
    """Three one-process runs of 50 articles, then run 4 by two processes (20 + 20: the site is fine,
    each process only did its share), then run 5 by two processes (8 + 6: the site's yield fell)."""
    memory = SqliteSiteMemory(path)
    rows = [_process_row(f"r{n}", n, 50, 300) for n in (1, 2, 3)]
    rows += [_process_row("r4+host1", 4, 20, 300), _process_row("r4+host2", 5, 20, 305)]
    rows += [_process_row("r5+host1", 6, 8, 300), _process_row("r5+host2", 7, 6, 300)]
    for row in rows:
        memory.put_health("alpha", row["run_id"], row["finished_at"], row)
    memory.close()
    return path


def test_health_judges_a_scaled_out_run_on_its_merged_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from crawler.cli import main

    state = _scaled_out_state(tmp_path / "state.sqlite3")
    assert main(["health", "--state", str(state), "--json"]) == 0
    shown = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["run_id"], r["written"], r.get("processes", 1)) for r in shown] == [
        ("r1", 50, 1),
        ("r2", 50, 1),
        ("r3", 50, 1),
        ("r4", 40, 2),
        ("r5", 14, 2),
    ]
    assert shown[3]["drift"] == []  # 40 of a baseline of 50: no drift, though each process wrote 20
    assert shown[4]["drift"] == ["yield: 14 articles written, baseline 50"]
    assert main(["health", "--state", str(state), "--check"]) == 1
    assert "drift in alpha" in capsys.readouterr().err

    memory = SqliteSiteMemory(state)  # without run 5, run 4 (merged) does not drift
    memory.conn.execute("DELETE FROM site_health WHERE run_id LIKE 'r5+%'")
    memory.conn.commit()
    memory.close()
    assert main(["health", "--state", str(state), "--check"]) == 0


def test_the_last_process_of_a_run_judges_the_whole_run(tmp_path: Path) -> None:
    from crawler.extensions.health import SiteHealthRecorder

    state = tmp_path / "state.sqlite3"
    memory = SqliteSiteMemory(state)
    for row in [_process_row(f"r{n}", n, 50, 300) for n in (1, 2, 3)] + [_process_row("r4+host1", 4, 20, 300)]:
        memory.put_health("alpha", row["run_id"], row["finished_at"], row)
    memory.close()

    def finish(run_id: str, written: int) -> dict[str, Any]:
        recorder = SiteHealthRecorder(
            location=str(state), site="alpha", run_id=run_id, output_dir=tmp_path, settings=HealthSettings()
        )
        for _ in range(written):
            recorder.tally.add({"word_count": 300, "title": "t", "authors": ["a"], "published": "2026-02-01"})
        recorder.spider_closed("finished")
        rows = SqliteSiteMemory(state).health("alpha", 100)
        return next(r for r in rows if r["run_id"] == run_id)

    second = finish("r4+host2", 20)  # alone, 20 of 50 would be a drift; with host1's 20, it is 40 of 50
    assert second["status"] == "ok" and second["drift"] == []
    alone = finish("r5", 20)  # a one-process run of 20 still drifts
    assert alone["status"] == "drift" and alone["drift"][0].startswith("yield: 20 articles written")
