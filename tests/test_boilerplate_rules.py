"""The second-pass rules: their own examples, the loader's refusals, and the position-aware features.

Every rule carries examples in config/boilerplate.yaml; this file is what makes them binding: a `remove`
example must be removed *by that rule*, a `keep` example must survive the whole rule set, alone and inside
an article. The engine tests pin the behaviours a regex cannot express (edges, headers, tail blocks).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cleaners.boilerplate import BoilerplateRules, RuleSpec
from cleaners.config import ConfigError
from cleaners.options import DEFAULT_CONFIG

RULES_PATH = DEFAULT_CONFIG.parent / "boilerplate.yaml"
RULES = BoilerplateRules.load(RULES_PATH)

CONTENT_BEFORE = (
    "The council approved the budget on Tuesday after a debate that lasted more than six hours, "
    "with the opposition warning that the plan relies on optimistic forecasts."
)
CONTENT_AFTER = (
    "The mayor said the first projects would start in the spring and that residents would be "
    "consulted on every one of them before any money is spent."
)


def _examples(kind: str) -> list[tuple[str, RuleSpec, str, str | None]]:
    out = []
    for _, spec in RULES.specs:
        for example in getattr(spec.examples, kind):
            out.append((spec.id, spec, example.text, example.title))
    return out


REMOVE_EXAMPLES = _examples("remove")
KEEP_EXAMPLES = _examples("keep")
EDGE_ONLY_REMOVES = [case for case in REMOVE_EXAMPLES if case[1].edge_only]


def _id(case: tuple[str, RuleSpec, str, str | None]) -> str:
    return f"{case[0]}:{case[2][:40]}"


@pytest.mark.parametrize("case", REMOVE_EXAMPLES, ids=[_id(c) for c in REMOVE_EXAMPLES])
def test_remove_example_is_removed_by_its_rule(case: tuple[str, RuleSpec, str, str | None]) -> None:
    rule_id, _, text, title = case
    rule = RULES.classify(text, title)
    assert rule is not None, f"{rule_id}: {text!r} is kept"
    assert rule.id == rule_id, f"{text!r} is removed by {rule.id}, not by {rule_id}"
    result = RULES.apply([text], title)
    assert result.paragraphs == []
    assert [(r.rule, r.text) for r in result.removed] == [(rule_id, text)]


@pytest.mark.parametrize("case", KEEP_EXAMPLES, ids=[_id(c) for c in KEEP_EXAMPLES])
def test_keep_example_survives_every_rule(case: tuple[str, RuleSpec, str, str | None]) -> None:
    rule_id, _, text, title = case
    rule = RULES.classify(text, title)
    assert rule is None, f"keep example of {rule_id} is removed by {rule.id}: {text!r}"
    result = RULES.apply([CONTENT_BEFORE, text, CONTENT_AFTER], title)
    assert result.paragraphs == [CONTENT_BEFORE, text, CONTENT_AFTER]
    assert result.removed == []


@pytest.mark.parametrize("case", EDGE_ONLY_REMOVES, ids=[_id(c) for c in EDGE_ONLY_REMOVES])
def test_edge_only_example_survives_mid_article(case: tuple[str, RuleSpec, str, str | None]) -> None:
    """A lone "Facebook" or "I agree" between two paragraphs is an item of the article, not a button."""
    _, _, text, title = case
    result = RULES.apply([CONTENT_BEFORE, text, CONTENT_AFTER], title)
    assert result.paragraphs == [CONTENT_BEFORE, text, CONTENT_AFTER]


def test_every_rule_has_an_id_reason_and_remove_example() -> None:
    assert len(RULES.rules) >= 30
    kinds = {rule.kind for rule in RULES.rules}
    assert {"consent", "subscribe_cta", "comments_widget", "related_posts", "share_bar", "advertising"} <= kinds
    for kind, spec in RULES.specs:
        assert spec.id.startswith(f"{kind}."), spec.id
        assert spec.examples.remove


def test_version_is_a_hash_of_the_file() -> None:
    assert len(RULES.version) == 12
    assert BoilerplateRules.load(RULES_PATH).version == RULES.version


# --- the loader refuses what would silently remove text -----------------------------------------------

_RULE_TEMPLATE = """\
version: 1
kinds:
  demo:
    - id: demo.rule
      reason: a rule written for a loader test
      match:
        - {pattern}
      examples:
        remove: ["x"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("'   '", "empty pattern"),
        ("'.*'", "matches the empty line"),
        ("'(advert)?'", "matches the empty line"),
        ("'.+'", "too broad"),
        ("'the .*'", "too broad"),
        ("'by .*'", "too broad"),
        ("'Advertisement'", "casefolded"),
        ("'straße'", "casefolded"),
        ("'(unclosed'", "invalid regular expression"),
        ("'{nosuchmacro}'", "unknown macro"),
    ],
)
def test_loader_refuses_bad_patterns(tmp_path: Path, pattern: str, message: str) -> None:
    path = _write(tmp_path, _RULE_TEMPLATE.format(pattern=pattern))
    with pytest.raises(ConfigError, match=message) as info:
        BoilerplateRules.load(path)
    assert str(path) in str(info.value)
    assert "kinds.demo[0].match[0]" in str(info.value)


def test_loader_refuses_unknown_keys(tmp_path: Path) -> None:
    text = _RULE_TEMPLATE.format(pattern="'advertisement'").replace("      match:", "      max_wrods: 3\n      match:")
    with pytest.raises(ConfigError, match=r"kinds\.demo\[0\]\.max_wrods: unknown key"):
        BoilerplateRules.load(_write(tmp_path, text))


def test_loader_refuses_a_rule_without_remove_examples(tmp_path: Path) -> None:
    text = _RULE_TEMPLATE.format(pattern="'advertisement'").replace('remove: ["x"]', 'keep: ["x"]')
    with pytest.raises(ConfigError, match="remove"):
        BoilerplateRules.load(_write(tmp_path, text))


def test_loader_refuses_duplicate_ids(tmp_path: Path) -> None:
    rule = _RULE_TEMPLATE.format(pattern="'advertisement'").split("kinds:\n  demo:\n")[1]
    text = "version: 1\nkinds:\n  demo:\n" + rule + rule
    with pytest.raises(ConfigError, match=r"duplicate rule id 'demo\.rule'"):
        BoilerplateRules.load(_write(tmp_path, text))


def test_loader_reports_yaml_syntax_errors_with_line_and_column(tmp_path: Path) -> None:
    text = _RULE_TEMPLATE.format(pattern="'advertisement'") + "  broken: [unclosed\n"
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=r"rules\.yaml:\d+:\d+: YAML syntax error"):
        BoilerplateRules.load(path)


def test_macros_expand_and_nest(tmp_path: Path) -> None:
    text = (
        "version: 1\nmacros:\n  net: 'facebook|twitter'\n  share: 'share on ({net})'\nkinds:\n  demo:\n"
        + _RULE_TEMPLATE.format(pattern="'{share}'").split("kinds:\n  demo:\n")[1]
    )
    rules = BoilerplateRules.load(_write(tmp_path, text))
    assert rules.classify("Share on Twitter", None) is not None
    assert rules.classify("Share on Myspace", None) is None


# --- what the removals report -------------------------------------------------------------------------


def test_removals_report_the_original_characters() -> None:
    nbsp_line = "Post\u00a0a\u00a0Comment\u00a0(0)"
    curly_line = "Also Read: \u2018Oil prices climb\u2019 as tensions rise"
    result = RULES.apply([CONTENT_BEFORE, f"{nbsp_line}\n{curly_line}", CONTENT_AFTER], None)
    assert [r.text for r in result.removed] == [nbsp_line, curly_line]
    assert [r.rule for r in result.removed] == ["comments_widget.post_comment", "related_posts.inline_link"]
    assert result.paragraphs == [CONTENT_BEFORE, CONTENT_AFTER]


def test_kept_lines_keep_their_characters_and_block_structure() -> None:
    block = "Asked which they use, most named:\nYouTube\nTikTok\u00a0(daily)\nInstagram"
    result = RULES.apply([CONTENT_BEFORE, block, CONTENT_AFTER], None)
    assert result.paragraphs == [CONTENT_BEFORE, block, CONTENT_AFTER]


# --- position-aware features --------------------------------------------------------------------------


def test_edge_only_rules_apply_through_a_run_of_clutter_at_both_ends() -> None:
    paragraphs = ["Facebook\nTwitter\nAdvertisement", CONTENT_BEFORE, "Facebook\nInstagram", CONTENT_AFTER]
    paragraphs += ["Share this:\nWhatsApp\nEmail\nThank you!"]
    result = RULES.apply(paragraphs, None)
    assert result.paragraphs == [CONTENT_BEFORE, "Facebook\nInstagram", CONTENT_AFTER]
    assert [r.rule for r in result.removed][:2] == ["share_bar.single_network"] * 2


def test_a_list_introduced_by_a_colon_is_kept_even_at_the_end() -> None:
    dump = RULES.apply([CONTENT_BEFORE, "The platforms named were:\nYouTube\nTikTok"], None)
    assert dump.removed == []
    html = RULES.apply([CONTENT_BEFORE, "The platforms named were:", "- YouTube", "- Email"], None)
    assert html.removed == []
    bar = RULES.apply([CONTENT_BEFORE, "Follow us:\nFacebook\nTwitter"], None)
    assert bar.paragraphs == [CONTENT_BEFORE]


def test_header_takes_the_headline_below_it_in_a_dump_block() -> None:
    result = RULES.apply([CONTENT_BEFORE, "Also read:\nOil prices climb as tensions rise", CONTENT_AFTER], None)
    assert result.paragraphs == [CONTENT_BEFORE, CONTENT_AFTER]
    assert {r.rule for r in result.removed} == {"related_posts.header"}


def test_header_takes_the_next_headline_paragraph_and_a_run_of_list_items() -> None:
    paragraphs = [CONTENT_BEFORE, "Lesen Sie auch", "- Scholz reist nach Washington", "- Ampel streitet"]
    result = RULES.apply([*paragraphs, CONTENT_AFTER], None)
    assert result.paragraphs == [CONTENT_BEFORE, CONTENT_AFTER]


def test_header_does_not_take_a_sentence_of_the_article() -> None:
    sentence = "Authorities closed the border crossing for two days."
    result = RULES.apply([CONTENT_BEFORE, "Most read in world news", sentence, CONTENT_AFTER], None)
    assert result.paragraphs == [CONTENT_BEFORE, sentence, CONTENT_AFTER]


def test_tail_block_takes_link_titles_to_the_end() -> None:
    titles = ["Similar Posts", "Residents divided over parking plan", "Bus lane camera catches 2,000 drivers"]
    result = RULES.apply([CONTENT_BEFORE, *titles, "Post a Comment"], None)
    assert result.paragraphs == [CONTENT_BEFORE]


def test_tail_block_keeps_closing_sentences() -> None:
    """AP's closing "UP NEXT" section is text of the story, and so is any sentence after a header."""
    closing = ["Related", "Thunder: Host the Lakers on Friday.", "Lakers: Visit the Thunder on Friday."]
    result = RULES.apply([CONTENT_BEFORE, *closing], None)
    assert result.paragraphs == [CONTENT_BEFORE, *closing[1:]]


def test_repeated_title_without_site_suffix_is_removed() -> None:
    title = "Bank of England Holds Interest Rates at 5.25% | The Daily Ledger"
    result = RULES.apply(["Bank of England Holds Interest Rates at 5.25%", CONTENT_BEFORE, "The Daily Ledger"], title)
    assert result.paragraphs == [CONTENT_BEFORE, "The Daily Ledger"]
    assert [r.rule for r in result.removed] == ["headline.repeated_title"]


def test_list_markers_do_not_hide_clutter() -> None:
    result = RULES.apply([CONTENT_BEFORE, "- Advertisement -", "* Share on Facebook", CONTENT_AFTER], None)
    assert result.paragraphs == [CONTENT_BEFORE, CONTENT_AFTER]


def test_emoji_opening_a_call_to_action_does_not_hide_it() -> None:
    lines = [
        CONTENT_BEFORE,
        "🚀 Sign up for The Replay newsletter",
        "👉️ Subscribe to our weekly newsletter",
        CONTENT_AFTER,
    ]
    assert RULES.apply(lines, None).paragraphs == [CONTENT_BEFORE, CONTENT_AFTER]
    assert RULES.apply(["🚀 Launch day went well for the team.", CONTENT_AFTER], None).paragraphs[0].startswith("🚀")


def test_first_paragraph_starting_like_a_byline_survives() -> None:
    first = "By noon, the streets were empty and the shops had closed their shutters."
    assert RULES.apply([first, CONTENT_AFTER], "Storm hits the coast").paragraphs == [first, CONTENT_AFTER]


def test_long_lines_are_matched_in_linear_time() -> None:
    """Patterns are fullmatched on every line: a pathological line must not stall the pipeline."""
    lines = ["Updated: " + "1" * 5000 + "x", "Updated: " + "1 " * 2000 + "x", "by " + "admin - " * 500 + "."]
    started = time.perf_counter()
    RULES.apply(lines, None)
    assert time.perf_counter() - started < 1.0
