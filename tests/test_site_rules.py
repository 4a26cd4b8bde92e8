"""Per-site rules (``boilerplate:`` of a site in sites.yaml, cleaners/site_rules.py): removal rules whose
ids say which site rule fired, keep rules that protect a line from every rule, the same load-time checks
as config/boilerplate.yaml, inline or in a file the sites file names."""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest

from cleaners.article import Article
from cleaners.config import ConfigError
from cleaners.core import clean
from cleaners.document import RawDocument
from cleaners.options import CleaningOptions, load_options
from cleaners.worker import clean_in_worker, init_worker
from crawler.sites import load_sites, site_rules_of

sys.path.insert(0, str(Path(__file__).parent / "site"))
from health_site import footer_line, story_paragraphs

RULES = """
    boilerplate:
      remove:
        - id: footer.owned_by_readers
          reason: The Gazette's own footer under every story; no global rule knows it.
          match: ['the harbour gazette is an independent newspaper owned by its readers since \\d{4}\\.']
          examples:
            remove: ["The Harbour Gazette is an independent newspaper owned by its readers since 1871."]
            keep: ["The Harbour Gazette said on Monday that the ferry would run again."]
      keep:
        - id: keep.series_link
          reason: This site's "Read more - The Harbour Diaries" line names the story's series, which readers want.
          match: ['read more - the harbour diaries']
          examples: ["Read more - The Harbour Diaries"]
"""


def _sites_file(tmp_path: Path, rules: str = RULES) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(
        "sites:\n  - name: alpha\n    base_url: http://127.0.0.1:9/\n    feeds: [/h/alpha/feed.xml]\n"
        "    article_url: [/story/]\n" + rules,
        encoding="utf-8",
    )
    return path


def _page(extra_lines: list[str]) -> bytes:
    body = "".join(f"<p>{line}</p>" for line in [*story_paragraphs("alpha", 3), *extra_lines])
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Ferry plan approved</title></head>'
        f"<body><article><h1>Ferry plan approved</h1>{body}</article></body></html>"
    ).encode()


@pytest.fixture(scope="module")
def options() -> CleaningOptions:
    return load_options()


def test_site_rule_removes_and_keep_rule_protects(tmp_path: Path, options: CleaningOptions) -> None:
    site = load_sites(_sites_file(tmp_path)).get("alpha")
    rules = site_rules_of(site)
    assert rules is not None
    page = _page(["Read more - The Harbour Diaries", footer_line("alpha")])

    plain = clean(RawDocument(page, source_path="a.html"), options)
    assert isinstance(plain, Article)
    assert footer_line("alpha") in plain.text  # no global rule knows the footer
    assert "Read more - The Harbour Diaries" not in plain.text  # a global rule takes it

    result = clean(RawDocument(page, source_path="a.html"), options.replace(site_rules=rules))
    assert isinstance(result, Article)
    assert footer_line("alpha") not in result.text
    assert "Read more - The Harbour Diaries" in result.text
    fired = {removal.rule for removal in result.removed}
    assert fired == {"alpha/footer.owned_by_readers"}
    assert result.rules_version == f"{options.rules.version}+site:{rules.version}"


def test_rules_travel_to_the_cleaning_workers(tmp_path: Path) -> None:
    site = load_sites(_sites_file(tmp_path)).get("alpha")
    overrides = site.cleaning_overrides
    assert pickle.loads(pickle.dumps(overrides)) == overrides  # crosses the process boundary, keys the cache
    init_worker(None)
    result = clean_in_worker(RawDocument(_page([footer_line("alpha")]), source_path="a.html"), overrides)
    assert isinstance(result, Article)
    assert [r.rule for r in result.removed] == ["alpha/footer.owned_by_readers"]


def test_rules_in_a_file_the_sites_file_names(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    body = "\n".join(line[6:] for line in RULES.splitlines()[2:])
    (rules_dir / "alpha.yaml").write_text(body + "\n", encoding="utf-8")
    site = load_sites(_sites_file(tmp_path, "    boilerplate: rules/alpha.yaml\n")).get("alpha")
    rules = site_rules_of(site)
    assert rules is not None and [r.id for r in rules.remove] == ["alpha/footer.owned_by_readers"]

    (rules_dir / "alpha.yaml").write_text("remove:\n  - id: bad\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"rules/alpha.yaml: remove\[0\]\.id"):
        load_sites(_sites_file(tmp_path, "    boilerplate: rules/alpha.yaml\n"))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("since \\d{4}\\.", "since (\\d+\\s?)+x", r"sites\[0\]\.boilerplate: remove\[0\]\.match\[0\]: .*refused"),
        ('owned by its readers since 1871."]', 'owned by them."]', r"remove\[0\]\.examples\.remove: .*not remove"),
        (
            'keep: ["The Harbour Gazette said',
            'keep: ["The Harbour Gazette is an independent newspaper owned by its readers since 1999.", "x',
            r"remove\[0\]\.examples\.keep: .*removes",
        ),
        ('examples: ["Read more - The Harbour Diaries"]', 'examples: ["Other"]', r"keep\[0\]\.examples"),
        ("reason: The Gazette's", "colour: red\n          reason: The Gazette's", r"remove\[0\]\.colour: unknown key"),
        ("match: ['read more - the harbour diaries", "match: ['.*|read more", r"keep\[0\]\.match\[0\]"),
    ],
)
def test_load_time_checks_name_file_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in RULES, old
    with pytest.raises(ConfigError, match=message):
        load_sites(_sites_file(tmp_path, RULES.replace(old, new)))


@pytest.mark.parametrize("workers", ["1", "2"])
def test_clean_with_site_cleans_as_the_sites_crawl(tmp_path: Path, options: CleaningOptions, workers: str) -> None:
    """`presswash clean --site NAME` (inline and in the pool): the site's rules and min_words, as its crawl
    applies them (crawler.spiders.news: options.replace(**site.cleaning_overrides)); without it, neither."""
    from crawler.cli import main

    sites = _sites_file(tmp_path, "    min_words: 5\n" + RULES)
    site = load_sites(sites).get("alpha")
    long_page = _page(["Read more - The Harbour Diaries", footer_line("alpha")])
    short_page = (  # nine words: under presswash.yaml's min_words (25), over the site's (5)
        b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Ferry runs</title></head><body>'
        b"<article><h1>Ferry runs</h1><p>The ferry runs again from the harbour on Monday.</p></article></body></html>"
    )
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.html").write_bytes(long_page)
    (pages / "b.html").write_bytes(short_page)
    site_options = options.replace(**dict(site.cleaning_overrides))
    crawl = [clean(RawDocument(p.read_bytes(), source_path=str(p)), site_options) for p in sorted(pages.iterdir())]
    assert all(isinstance(result, Article) for result in crawl)

    def run(out: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
        code = main(["clean", str(pages), "--workers", workers, "-q", "-o", str(out), *extra])
        lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
        return code, [json.loads(line) for line in lines]

    code, records = run(tmp_path / "site.jsonl", "--site", "alpha", "--sites", str(sites))
    assert code == 0
    assert records == [json.loads(result.to_json_line()) for result in crawl]
    assert [r["rule"] for r in records[0]["removed"]] == ["alpha/footer.owned_by_readers"]
    assert "Read more - The Harbour Diaries" in records[0]["text"]

    code, plain = run(tmp_path / "plain.jsonl")
    assert code == 0 and len(plain) == 1  # the short page is too_short without the site's min_words
    assert footer_line("alpha") in plain[0]["text"]
    assert "Read more - The Harbour Diaries" not in plain[0]["text"]


def test_clean_with_an_unknown_site_names_the_site_and_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crawler.cli import main

    sites = _sites_file(tmp_path)
    page = tmp_path / "a.html"
    page.write_bytes(_page([]))
    assert main(["clean", str(page), "-q", "--site", "nosuch", "--sites", str(sites)]) == 2
    err = capsys.readouterr().err
    assert "'nosuch'" in err and str(sites) in err
