"""Integrity flags (cleaners/flags.py, config/integrity.yaml): paywalled, truncated, js_required records
and consent walls rejected, on the fixture site's /integrity/ pages (en, fr, de, es) and in unit cases."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

import pytest

from cleaners.article import Article, Rejected, RejectReason
from cleaners.config import ConfigError
from cleaners.core import clean
from cleaners.document import RawDocument
from cleaners.flags import DEFAULT_MARKERS, Markers, judge, load_markers
from cleaners.options import CleaningOptions, load_options

sys.path.insert(0, str(Path(__file__).parent / "site"))
from integrity_pages import EXPECTED, PAGES


@pytest.fixture(scope="module")
def options() -> CleaningOptions:
    return load_options()


def _fetch(url: str) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        return response.read()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_fixture_site_pages_are_flagged(name: str, demo_site: str, options: CleaningOptions) -> None:
    url = f"{demo_site}/integrity/{name}.html"
    result = clean(RawDocument(_fetch(url), url=url, content_type="text/html; charset=utf-8"), options)
    expected = EXPECTED[name]
    if expected == "consent_wall":
        assert isinstance(result, Rejected) and result.reason is RejectReason.CONSENT_WALL, result
        assert "consent" in result.detail
        return
    assert isinstance(result, Article), result
    assert result.flags == expected
    assert set(result.flag_evidence) == set(expected)
    assert all(result.flag_evidence.values())


def test_evidence_names_what_was_seen(options: CleaningOptions) -> None:
    result = clean(RawDocument(PAGES["en_paywall_jsonld"]().encode(), source_path="p.html"), options)
    assert isinstance(result, Article)
    assert "isAccessibleForFree: false" in result.flag_evidence["paywalled"]
    assert "Subscribe to continue reading" in result.flag_evidence["paywalled"]
    assert "wordCount says 900" in result.flag_evidence["truncated"]
    line = result.to_json_line()
    assert '"flags":["paywalled","truncated"]' in line


def test_a_short_shell_is_rejected_with_the_flag_in_the_detail(options: CleaningOptions) -> None:
    result = clean(RawDocument(PAGES["de_js_shell"]().encode(), source_path="s.html"), options.replace(min_words=80))
    assert isinstance(result, Rejected) and result.reason is RejectReason.TOO_SHORT
    assert "js_required" in result.detail


def test_text_dump_ending_in_a_subscribe_prompt_is_paywalled(options: CleaningOptions) -> None:
    body = "\n\n".join(
        ["Harbour bridge closes to cars"]
        + ["The council voted on Tuesday to close the old bridge to cars after engineers found corrosion."] * 4
        + ["Jetzt abonnieren und weiterlesen"]
    )
    result = clean(RawDocument(body.encode(), source_path="d.txt"), options)
    assert isinstance(result, Article)
    assert result.flags == ["paywalled"]


def test_a_free_story_mentioning_paywalls_and_cookies_is_not_flagged() -> None:
    markers = load_markers(DEFAULT_MARKERS)
    paragraphs = [
        "The paywall debate goes on: publishers say readers should subscribe to continue reading quality news.",
        "Before you continue reading, note that the figures are provisional and the council may revise them.",
    ] * 3
    integrity = judge(None, paragraphs, [], "A debate", None, markers)
    assert integrity.flags == {} and integrity.consent_wall is None


def _write_markers(tmp_path: Path, pattern: str, flag: str, keep: str = "nothing to see") -> Path:
    path = tmp_path / "integrity.yaml"
    path.write_text(
        "version: 1\nmarkers:\n  subscribe_prompt:\n"
        f"    - id: paywall.test\n      reason: a test marker for the loader\n      match: ['{pattern}']\n"
        f"      examples:\n        flag: ['{flag}']\n        keep: ['{keep}']\n",
        encoding="utf-8",
    )
    return path


def test_loader_runs_the_examples(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"integrity.yaml: markers.subscribe_prompt\[0\].examples.flag"):
        Markers.load(_write_markers(tmp_path, "subscribe now", "Sign in to read"))
    with pytest.raises(ConfigError, match=r"examples.keep"):
        Markers.load(_write_markers(tmp_path, "subscribe now.*", "Subscribe now", keep="subscribe now or never"))


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("(a+)+b", "refused"), ("", "empty"), ("Subscribe", "casefolded"), (".*", "empty"), ("the .*", "too broad")],
)
def test_loader_refuses_unsafe_or_broad_patterns(tmp_path: Path, pattern: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Markers.load(_write_markers(tmp_path, pattern, "x"))


def test_every_shipped_marker_group_has_two_languages_or_more() -> None:
    markers = Markers.load(DEFAULT_MARKERS)
    assert set(markers.groups) == {"paywall_html", "subscribe_prompt", "js_notice", "consent_notice", "consent_html"}
    text = Path(DEFAULT_MARKERS).read_text(encoding="utf-8")
    for word in ("abonnieren", "abonnez", "Suscríbete", "aktivieren", "activer", "akzeptieren"):
        assert word in text


def test_a_page_left_with_only_a_cookie_banner_is_not_a_consent_wall() -> None:
    """Extraction that kept only a cookie banner missed the story (no_content); a consent wall needs the
    interstitial's own words ("Before you continue", "Accept all") or a consent platform's form."""
    from cleaners.article import Removal

    markers = load_markers(DEFAULT_MARKERS)
    banner = Removal(rule="consent.site_uses_cookies", kind="consent", text="This website uses cookies.")
    assert judge("<html><body></body></html>", [], [banner], "Harbour news", None, markers).consent_wall is None
    walled = judge(None, ["Accept all"], [banner], "Before you continue to harbour.example", None, markers)
    assert walled.consent_wall is not None and "Before you continue" in walled.consent_wall
