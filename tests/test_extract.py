"""cleaners/extract.py on small synthetic pages: each structural filter removes what it is for and keeps
the look-alike that belongs to the story.

Two levels: the block post-filter (``filter_blocks``) is fed trafilatura-style output trees written by hand,
so a rule is pinned whatever trafilatura decides upstream; whole pages go through ``extract_html`` for the
split-body join, the metadata, the fast/full pass and the link stripping, and for one realistic page where
the unfiltered tree is checked first (so it is the post-filter, not trafilatura, that removed the furniture).
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from services import unavailable
from trafilatura.metadata import extract_metadata
from trafilatura.settings import Document
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

from bench._corpus import BenchDataMissing, bench_dir, bench_pages
from cleaners import extract
from cleaners.article import Rejected
from cleaners.core import clean
from cleaners.decode import decode_html
from cleaners.document import RawDocument
from cleaners.extract import ExtractedPage, extract_html, filter_blocks, join_split_body
from cleaners.options import CleaningOptions, load_options
from cleaners.text import HTML_BLOCK_TAGS, visible_text

GOLDEN = Path(__file__).resolve().parent / "golden"
URL = "https://ex.com/news/council-budget"
TITLE = "Council approves budget"
S1 = (
    "The city council approved the new budget on Tuesday after a debate that lasted more than six hours in the chamber."
)
S2 = "Opposition members warned that the plan relies on optimistic forecasts for tax revenue over the next three years."
S3 = "The mayor said the spending plan would protect libraries and parks while keeping property taxes flat for owners."
S4 = "A final vote on the capital projects is expected next month, once the finance committee has reviewed the costs."
STORY = (S1, S2, S3, S4)
HEADLINES = (
    "Police chief announces retirement after three decades",
    "New bridge over the river opens to traffic this week",
    "Storm knocks out power across the county overnight",
)


@pytest.fixture(scope="module")
def options() -> CleaningOptions:
    return load_options()


# --- helpers: trafilatura-style output trees ----------------------------------------------------------------


def p(content: str) -> str:
    return f"<p>{content}</p>"


def head(content: str, level: int = 2) -> str:
    return f'<head rend="h{level}">{content}</head>'


def a(content: str, target: str = "/other-story") -> str:
    return f'<ref target="{target}">{content}</ref>'


def ul(*items: str) -> str:
    return '<list rend="ul">' + "".join(f"<item>{item}</item>" for item in items) + "</list>"


def block_texts(body: etree._Element) -> list[str]:
    return [" ".join("".join(e.itertext()).split()) for e in body.iter("p", "head", "item", "row")]


def filtered(*blocks: str, title: str | None = TITLE) -> list[str]:
    """The block texts left after the post-filter, in order."""
    body = etree.fromstring("<body>" + "".join(blocks) + "</body>")
    filter_blocks(body, title)
    return block_texts(body)


# --- helpers: whole pages -----------------------------------------------------------------------------------


def page(body: str, *, head_html: str = "", title: str = TITLE) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>{head_html}</head>'
        "<body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article>{body}</article><footer>© Example Times</footer></body></html>"
    )


def story_html(*paragraphs: str) -> str:
    return "".join(f"<p>{text}</p>" for text in paragraphs)


def run(options: CleaningOptions, html: str, url: str | None = URL) -> ExtractedPage:
    result = extract_html(html, options.extractor_for(url, None))
    assert result is not None
    return result


def unfiltered_texts(options: CleaningOptions, html: str) -> list[str]:
    """trafilatura's output tree before the post-filter, as block texts."""
    tree = load_html(html)
    join_split_body(tree)
    found = extract._extract_document(tree, options.extractor_for(URL, None))
    assert found is not None and found[0].body is not None
    return block_texts(found[0].body)


def position(paragraphs: list[str], needle: str) -> int:
    return next(i for i, text in enumerate(paragraphs) if needle in text)


# --- link-density filter: lists of links ---------------------------------------------------------------------


def test_all_link_list_is_removed() -> None:
    # two items only: the list rule, not the run-of-three rule, is what removes it
    assert filtered(p(S1), ul(a(HEADLINES[0]), a(HEADLINES[1])), p(S2), p(S3)) == [S1, S2, S3]


@pytest.mark.parametrize(
    ("items", "texts"),
    [
        (["Libraries", "Parks and pools", "Road repairs", "Bike lanes"], None),
        (["Libraries", "Parks and pools", "Road repairs"], None),
        (
            [a("Libraries", "/libraries"), "Parks and pools", "Road repairs"],
            ["Libraries", "Parks and pools", "Road repairs"],
        ),
    ],
    ids=["four-items", "three-items", "one-linked-item"],
)
def test_short_list_inside_the_story_is_kept(items: list[str], texts: list[str] | None) -> None:
    assert filtered(p(S1), ul(*items), p(S2)) == [S1, *(texts or items), S2]


@pytest.mark.parametrize("wrap", [p, head], ids=["paragraphs", "headings"])
def test_run_of_three_link_blocks_is_removed(wrap: Callable[..., str]) -> None:
    links = [wrap(a(headline)) for headline in HEADLINES]
    assert filtered(p(S1), *links, p(S2)) == [S1, S2]


@pytest.mark.parametrize("wrap", [ul, None], ids=["list", "run-of-paragraphs"])
def test_linked_names_between_story_paragraphs_are_kept(wrap: Callable[..., str] | None) -> None:
    # a list of the tools the story names (each a link, a few words): the story's own, unlike headlines
    names = ["Chemical stripper gel", "Chip brush", "Plastic scraper"]
    blocks = [wrap(*(a(n, f"/shop/{i}") for i, n in enumerate(names)))] if wrap else [p(a(n)) for n in names]
    assert filtered(p(S1), *blocks, p(S2)) == [S1, *names, S2]
    # the same names after the story's last paragraph are a list of links at its edge: removed
    assert filtered(p(S1), p(S2), *blocks) == [S1, S2]


def test_two_link_paragraphs_in_a_row_are_kept() -> None:
    assert filtered(p(S1), p(a(HEADLINES[0])), p(a(HEADLINES[1])), p(S2)) == [S1, HEADLINES[0], HEADLINES[1], S2]


def test_paragraph_with_one_inline_link_is_kept() -> None:
    linked = f"The council published {a('the full budget document')} on its website, where residents can comment."
    assert filtered(p(S1), p(linked), p(S2)) == [
        S1,
        "The council published the full budget document on its website, where residents can comment.",
        S2,
    ]


def test_table_rows_of_links_are_not_a_link_run() -> None:
    table = "<table>" + "".join(f"<row><cell>{a(h)}</cell></row>" for h in HEADLINES) + "</table>"
    assert filtered(p(S1), table, p(S2)) == [S1, *HEADLINES, S2]


@pytest.mark.parametrize("label", ["Related: ", "READ MORE – ", "Also read | ", "See also » "])
def test_label_then_one_linked_headline_is_removed(label: str) -> None:
    assert filtered(p(S1), p(label + a(HEADLINES[0])), p(S2)) == [S1, S2]


def test_label_with_hyphen_separator_is_removed() -> None:
    assert filtered(p(S1), p("READ MORE - " + a(HEADLINES[0])), p(S2)) == [S1, S2]


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (f"Source: {a('Reuters')}", "Source: Reuters"),  # not a headline: a one-word link
        (f"Photo: {a('Jane Roe')}", "Photo: Jane Roe"),
        (
            f"Update: the council will publish {a('the final budget figures')} next week.",
            "Update: the council will publish the final budget figures next week.",
        ),  # the link covers only part of what follows the label
    ],
)
def test_labelled_link_lookalikes_are_kept(content: str, text: str) -> None:
    assert filtered(p(S1), p(content), p(S2)) == [S1, text, S2]


def test_glued_headline_cluster_is_removed() -> None:
    cluster = (
        f"{a('School board weighs deep budget cuts to arts programs')} [VIDEO] | "
        f"{a('Transit agency raises bus and train fares again')} [INSIGHT]"
    )
    assert filtered(p(S1), p(cluster), p(S2)) == [S1, S2]


def test_paragraph_citing_two_sources_is_kept() -> None:
    cites = (
        f"According to {a('the annual report of the city auditor')} and {a('a review by the state treasury')}, "
        "the deficit grew by four percent last year, the largest rise in a decade."
    )
    kept = filtered(p(S1), p(cites), p(S2))
    assert len(kept) == 3 and kept[1].startswith("According to the annual report")


@pytest.mark.parametrize("header", [head("Related stories", 3), p("Don't miss")], ids=["heading", "label"])
def test_header_of_a_removed_list_goes_with_it(header: str) -> None:
    links = ul(*(a(h) for h in HEADLINES))
    assert filtered(p(S1), p(S2), header, links, p(S3)) == [S1, S2, S3]


def test_sentence_before_a_removed_list_is_kept() -> None:
    links = ul(*(a(h) for h in HEADLINES))
    assert filtered(p(S1), p("Read more below."), links, p(S2)) == [S1, "Read more below.", S2]


def test_subheading_in_the_middle_of_the_story_is_kept() -> None:
    assert filtered(p(S1), head("What happens next"), p(S2), p(S3)) == [S1, "What happens next", S2, S3]


def test_heading_of_a_kept_list_is_kept() -> None:
    kept = filtered(p(S1), head("Key facts", 3), ul("Libraries", "Parks and pools", "Road repairs"), p(S2))
    assert kept == [S1, "Key facts", "Libraries", "Parks and pools", "Road repairs", S2]


@pytest.mark.parametrize("related_first", [True, False])
def test_all_link_list_is_removed_when_the_story_has_another_list(related_first: bool) -> None:
    related = ul(a(HEADLINES[0]), a(HEADLINES[1]))
    facts = ul("Libraries", "Parks and pools", "Road repairs")
    first, second = (related, facts) if related_first else (facts, related)
    kept = filtered(p(S1), first, p(S2), second, p(S3))
    assert HEADLINES[0] not in kept and HEADLINES[1] not in kept
    assert "Parks and pools" in kept


def test_last_item_of_a_story_list_is_not_taken_for_a_header() -> None:
    related = ul(a(HEADLINES[0]), a(HEADLINES[1]))
    kept = filtered(p(S1), ul("Libraries", "Parks and pools", "Road repairs"), related, p(S2))
    assert kept == [S1, "Libraries", "Parks and pools", "Road repairs", S2]


def test_loose_text_is_judged_as_a_line_of_its_own() -> None:
    # text lying directly in the body (a fallback extractor's output, or a heading's tail) becomes a paragraph:
    # a loose date line is then removed, and loose story text after a subheading keeps that subheading
    body = etree.fromstring(f"<body>November 20, 2019{p(S1)}{head('What happens next')}{S2}</body>")
    filter_blocks(body, TITLE)
    assert [line.strip() for line in xmltotxt(body, False).splitlines() if line.strip()] == [
        S1,
        "What happens next",
        S2,
    ]


# --- lead: before the first real paragraph ------------------------------------------------------------------


@pytest.mark.parametrize(
    "lead",
    [
        [head(TITLE, 1)],
        [head(TITLE, 1), head("The spending plan keeps property taxes flat for a third year")],  # standfirst
        [p("Council approves budget")],  # the page title again (title is "Council approves budget | ...")
        [p("November 20, 2019")],
        [p("20.11.2019 11:28")],
        [p("Updated at 1:23 p.m.")],
        [head(TITLE, 1), p("By Jane Roe | 2019-11-20 | Politics, City Hall")],
    ],
    ids=["h1", "h1-standfirst", "title-repeat", "date", "numeric-date-time", "time", "byline-date"],
)
def test_lead_furniture_is_removed(lead: list[str]) -> None:
    assert filtered(*lead, p(S1), p(S2), title=f"{TITLE} | Example Times") == [S1, S2]


def test_short_section_heading_after_the_h1_is_kept() -> None:
    assert filtered(head(TITLE, 1), head("Key points"), p(S1), p(S2)) == ["Key points", S1, S2]


@pytest.mark.parametrize(
    "first",
    [
        "March 3, 2020 was the day the city council finally approved the long-delayed budget for the new library.",
        "In 2019, the council first proposed a new library.",  # short, with a year, but not a date line
        "Monday's vote ended years of debate.",
        # a date and a time, but far more words than a date line
        "On 20.11.2019 at 11:28 the council finally approved the budget after a debate that lasted six hours.",
    ],
)
def test_first_paragraph_starting_with_a_date_word_is_kept(first: str) -> None:
    assert filtered(p(first), p(S1), p(S2)) == [first, S1, S2]


def test_title_repeat_and_h1_after_the_first_paragraph_are_kept() -> None:
    kept = filtered(p(S1), p("Council approves budget"), head("Council approves budget", 1), p(S2))
    assert kept == [S1, "Council approves budget", "Council approves budget", S2]


# --- tail: after the last paragraph -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [
        [p("Published 20/11/2019 11:28")],
        [head("Sign up for our newsletter", 3)],
        [p("Comments")],
        [p("Share this")],
        [p("Published 20/11/2019 11:28"), head("Sign up for our newsletter", 3), p("Comments")],
    ],
    ids=["dateline", "heading", "one-word-label", "two-word-label", "all-of-them"],
)
def test_tail_furniture_is_removed(tail: list[str]) -> None:
    assert filtered(p(S1), p(S2), *tail) == [S1, S2]


def test_dateline_before_a_kept_credit_line_is_removed() -> None:
    kept = filtered(p(S1), p(S2), p("Published 20/11/2019 11:28"), p("Reporting by Jane Roe."))
    assert kept == [S1, S2, "Reporting by Jane Roe."]


@pytest.mark.parametrize(
    "tail",
    [
        [p("Reporting by Jane Roe.")],  # short, but a sentence
        [head("Key facts", 3), ul("Libraries", "Parks and pools", "Road repairs")],  # items are data
    ],
    ids=["credit-sentence", "closing-fact-list"],
)
def test_story_ending_is_kept(tail: list[str]) -> None:
    kept = filtered(p(S1), p(S2), *tail)
    body = etree.fromstring("<body>" + "".join(tail) + "</body>")
    assert kept == [S1, S2, *block_texts(body)]


def test_closing_list_of_partly_linked_headlines_is_removed() -> None:
    items = [f"{a(h)} (3 min read, Tuesday afternoon)" for h in HEADLINES]
    assert filtered(p(S1), p(S2), head("More stories", 3), ul(*items)) == [S1, S2]


def test_closing_list_followed_by_a_label_is_removed() -> None:
    items = [f"{a(h)} (3 min read, Tuesday afternoon)" for h in HEADLINES]
    assert filtered(p(S1), p(S2), ul(*items), p("Comments")) == [S1, S2]


@pytest.mark.parametrize(
    "items",
    [
        [f"{a(h)} (3 min read, Tuesday afternoon)" for h in HEADLINES[:2]] + ["Storm knocks out power (no link)"],
        [f"{a(h)} (3 min read, Tuesday afternoon)" for h in HEADLINES[:2]],  # fewer than three
        ["Libraries", "Parks and pools", "Road repairs"],
    ],
    ids=["one-item-unlinked", "two-items", "no-links"],
)
def test_closing_list_that_is_not_all_links_is_kept(items: list[str]) -> None:
    kept = filtered(p(S1), p(S2), ul(*items))
    assert len(kept) == 2 + len(items)


DEKS = (
    "The chief says the force is in better shape than when she joined it in the nineties.",
    "Drivers can use the new crossing from Thursday morning, a month ahead of the plan.",
    "Thousands of homes were left without electricity after high winds brought down lines.",
)


def test_closing_teaser_cards_of_other_stories_are_removed() -> None:
    """A "More from" grid after the story: each card a linked headline (as text and as link) over one dek,
    an empty image link between them."""
    cards = [
        p(a("", f"/s/{n}")) + head(f"{h} {a(h, f'/s/{n}')}", 2) + p(d)
        for n, (h, d) in enumerate(zip(HEADLINES, DEKS, strict=True))
    ]
    assert [text for text in filtered(p(S1), p(S2), *cards) if text] == [S1, S2]


@pytest.mark.parametrize(
    "tail",
    [
        [head(a(HEADLINES[0]), 2), p(S3), p(DEKS[0]), head(a(HEADLINES[1]), 2), p(S4), p(DEKS[1])],  # write-ups
        [head(a(HEADLINES[0]), 2), p(DEKS[0]), head(a(HEADLINES[1]), 2), p(DEKS[1])],  # two cards
        [head(HEADLINES[0], 2), p(DEKS[0]), head(HEADLINES[1], 2), p(DEKS[1])],  # subheadings, not links
    ],
    ids=["longer-write-ups", "two-cards", "unlinked-subheadings"],
)
def test_linked_headings_that_are_not_a_teaser_grid_are_kept(tail: list[str]) -> None:
    kept = filtered(p(S1), p(S2), *tail)
    body = etree.fromstring("<body>" + "".join(tail) + "</body>")
    assert kept == [S1, S2, *[t for t in block_texts(body) if t]]


# --- a realistic page through trafilatura -------------------------------------------------------------------


def test_page_furniture_removed_and_story_kept(options: CleaningOptions) -> None:
    cluster = (
        "<p><a href='/a'>School board weighs deep budget cuts to arts programs</a> [VIDEO] | "
        "<a href='/b'>Transit agency raises bus and train fares again</a> [INSIGHT]</p>"
    )
    closing = "".join(
        f"<li><a href='/m{i}'>{h}</a> (3 min read, Tuesday afternoon)</li>" for i, h in enumerate(HEADLINES)
    )
    body = (
        f"<h1>{TITLE}</h1><h2>The spending plan keeps property taxes flat for a third year</h2>"
        "<p>By Jane Roe | 20.11.2019 11:28</p>"
        f"<p>{S1}</p><p>Related: <a href='/r'>Mayor unveils plan for a new downtown park</a></p>"
        f"<ul><li>Libraries</li><li>Parks and pools</li><li>Road repairs</li></ul><p>{S2}</p>{cluster}"
        f"<p>The council published <a href='/doc'>the full budget document</a> on its website.</p>"
        f"<h2>What happens next</h2><p>{S3}</p><p>{S4}</p>"
        "<p>Published 20/11/2019 11:28</p><h3>Sign up for our newsletter</h3><p>Comments</p>"
        f"<h3>More stories</h3><ul>{closing}</ul>"
    )
    html = page(body)
    furniture = [
        TITLE,
        "The spending plan keeps property taxes flat",
        "By Jane Roe",
        "Mayor unveils plan",
        "School board weighs",
        "Published 20/11/2019",
        HEADLINES[0],
        "Sign up for our newsletter",
        "Comments",
        "More stories",
    ]
    before = "\n".join(unfiltered_texts(options, html))
    missing = [f for f in furniture if f not in before]
    assert not missing, f"trafilatura itself dropped {missing}: this page no longer tests the post-filter"

    paragraphs = run(options, html).paragraphs
    text = "\n".join(paragraphs)
    assert [f for f in furniture if f in text] == []
    for kept in (*STORY, "- Parks and pools", "the full budget document", "What happens next"):
        assert kept in text
    assert position(paragraphs, "What happens next") == position(paragraphs, S3) - 1


def test_page_related_list_removed_next_to_a_story_list(options: CleaningOptions) -> None:
    related = "".join(f"<li><a href='/r{i}'>{h}</a> (video)</li>" for i, h in enumerate(HEADLINES[:2]))
    body = f"<p>{S1}</p><ul>{related}</ul><p>{S2}</p><ul><li>Libraries</li><li>Parks and pools</li></ul><p>{S3}</p>"
    html = page(body)
    assert HEADLINES[0] in "\n".join(unfiltered_texts(options, html))
    text = "\n".join(run(options, html).paragraphs)
    assert HEADLINES[0] not in text
    assert "Parks and pools" in text


# --- split article bodies -----------------------------------------------------------------------------------

PART_ONE = [
    f"Part one, paragraph {i}: the council debated the budget for hours before the first vote was taken."
    for i in range(3)
]
PART_TWO = [
    f"Part two, paragraph {i}: after the vote, residents gathered outside city hall to voice their anger."
    for i in range(3)
]
OTHER_STORY = [
    f"Next story, paragraph {i}: the home team won the derby with a late goal in front of a full stadium."
    for i in range(3)
]


def split_page(between: str) -> str:
    return page(
        f"<h1>{TITLE}</h1><div class='article-body'>{story_html(*PART_ONE)}</div>{between}"
        f"<div class='article-body'>{story_html(*PART_TWO)}</div>"
    )


def containers(tree: HtmlElement) -> list[list[str]]:
    return [
        [" ".join(t.split()) for t in div.xpath(".//p//text()")]
        for div in tree.iter("div")
        if div.get("class") == "article-body"
    ]


def test_split_body_is_joined_in_order(options: CleaningOptions) -> None:
    html = split_page("<div class='ad-rail'><p>Advertisement</p></div>")
    tree = load_html(html)
    join_split_body(tree)
    assert containers(tree) == [PART_ONE + PART_TWO, []]

    paragraphs = run(options, html).paragraphs
    assert all(any(text in line for line in paragraphs) for text in PART_ONE + PART_TWO)
    assert position(paragraphs, PART_ONE[-1]) < position(paragraphs, PART_TWO[0])


def test_stub_container_is_not_joined() -> None:
    html = split_page("<div class='article-body'><p>Advertisement</p></div>")
    tree = load_html(html)
    join_split_body(tree)
    assert containers(tree) == [PART_ONE + PART_TWO, ["Advertisement"], []]


@pytest.mark.parametrize("level", [1, 2], ids=["own-h1", "own-h2"])
def test_second_article_appended_below_is_not_joined(options: CleaningOptions, level: int) -> None:
    html = (
        f"<!DOCTYPE html><html lang='en'><head><title>{TITLE}</title></head><body><main>"
        f"<article><h1>{TITLE}</h1><div class='article-body'>{story_html(*PART_ONE)}</div></article>"
        f"<article><h{level}>Home team wins the derby</h{level}>"
        f"<div class='article-body'>{story_html(*OTHER_STORY)}</div></article>"
        "</main></body></html>"
    )
    tree = load_html(html)
    join_split_body(tree)
    assert containers(tree) == [PART_ONE, OTHER_STORY]
    text = "\n".join(run(options, html).paragraphs)
    assert PART_ONE[0] in text and "home team" not in text


def test_h1_between_containers_stops_the_join() -> None:
    html = (
        f"<!DOCTYPE html><html lang='en'><head><title>{TITLE}</title></head><body><main>"
        f"<h1>{TITLE}</h1><div class='article-body'>{story_html(*PART_ONE)}</div>"
        f"<h1>Home team wins the derby</h1><div class='article-body'>{story_html(*OTHER_STORY)}</div>"
        "</main></body></html>"
    )
    tree = load_html(html)
    join_split_body(tree)
    assert containers(tree) == [PART_ONE, OTHER_STORY]


# --- metadata -----------------------------------------------------------------------------------------------


def test_metadata_from_meta_tags(options: CleaningOptions) -> None:
    head_html = (
        '<meta name="author" content="Jane Roe"><meta name="description" content="The council voted on the budget.">'
        '<meta property="og:site_name" content="Example Times">'
        '<meta property="article:published_time" content="2024-03-02T10:00:00Z">'
        '<meta property="article:tag" content="budget"><meta property="article:tag" content="city hall">'
        f'<link rel="canonical" href="{URL}">'
    )
    result = run(options, page(story_html(*STORY), head_html=head_html), url=URL + "?utm_source=feed")
    assert result.title == TITLE
    assert result.authors == ["Jane Roe"]
    assert result.published == "2024-03-02"
    assert result.sitename == "Example Times"
    assert result.description == "The council voted on the budget."
    assert result.tags == ["budget", "city hall"]
    assert result.canonical_url == URL
    assert result.paragraphs == list(STORY)


def test_metadata_from_json_ld(options: CleaningOptions) -> None:
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": TITLE,
        "author": [{"@type": "Person", "name": "Jane Roe"}, {"@type": "Person", "name": "John Smith"}],
        "datePublished": "2024-03-02T10:00:00Z",
    }
    head_html = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    result = run(options, page(story_html(*STORY), head_html=head_html))
    assert result.authors == ["Jane Roe", "John Smith"]
    assert result.published == "2024-03-02"
    assert result.title == TITLE


def test_canonical_url_equal_to_the_page_url_is_not_repeated(options: CleaningOptions) -> None:
    head_html = f'<link rel="canonical" href="{URL}">'
    assert run(options, page(story_html(*STORY), head_html=head_html), url=URL).canonical_url is None
    assert run(options, page(story_html(*STORY)), url=URL).canonical_url is None


def test_keywords_meta_is_split_into_tags(options: CleaningOptions) -> None:
    head_html = '<meta name="keywords" content="budget, city hall, taxes">'
    assert run(options, page(story_html(*STORY), head_html=head_html)).tags == ["budget", "city hall", "taxes"]


def test_page_without_text_gives_none(options: CleaningOptions) -> None:
    assert extract_html("<html><body><div></div></body></html>", options.extractor_for(URL, None)) is None


# --- fast pass first, full pass only when needed ------------------------------------------------------------

LONG_STORY = [
    f"Paragraph {i}: residents of district {i} asked the council for more buses, safer crossings and longer "
    "library hours, and the mayor promised an answer before the summer."
    for i in range(20)
]


def fast_document(options: CleaningOptions, html: str) -> tuple[Document, HtmlElement]:
    tree = load_html(html)
    fast = copy.copy(options.extractor_for(None, None))
    fast.fast, fast.with_metadata = True, False
    document = trafilatura.bare_extraction(tree, options=fast)
    assert document is not None and document.body is not None
    return document, tree


def test_short_page_needs_the_full_pass(options: CleaningOptions) -> None:
    document, tree = fast_document(options, page(story_html(*STORY)))
    assert len(document.text or "") < extract.FAST_MIN_CHARS
    assert extract._needs_full_pass(document, tree)


def test_long_page_keeps_the_fast_pass(options: CleaningOptions) -> None:
    document, tree = fast_document(options, page(story_html(*LONG_STORY)))
    assert len(document.text or "") >= extract.FAST_MIN_CHARS
    assert not extract._needs_full_pass(document, tree)


def _document(body: str, text_chars: int) -> Document:
    document = Document()
    document.body = etree.fromstring(body)
    document.text = "x" * text_chars
    return document


def test_long_but_unclean_fast_text_needs_the_full_pass() -> None:
    tree = load_html(page(story_html(*LONG_STORY)))
    clean = _document("<body><p>text</p></body>", 3000)
    unclean = _document("<body><p>text</p><figure>caption</figure></body>", 3000)
    assert not extract._needs_full_pass(clean, tree)
    assert extract._needs_full_pass(unclean, tree)


def test_fast_text_missing_most_of_the_page_needs_the_full_pass() -> None:
    tree = load_html(page(story_html(*LONG_STORY * 3)))  # ~8000 characters of paragraphs
    assert extract._needs_full_pass(_document("<body><p>text</p></body>", 2500), tree)


@pytest.mark.parametrize(("story", "full_pass"), [(STORY, True), (LONG_STORY, False)], ids=["short", "long"])
def test_full_pass_runs_only_when_the_fast_one_is_not_enough(
    options: CleaningOptions, monkeypatch: pytest.MonkeyPatch, story: list[str], full_pass: bool
) -> None:
    extractor = options.extractor_for(URL, None)
    assert not extractor.fast
    calls: list[bool] = []
    real = trafilatura.bare_extraction

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["options"].fast)
        return real(*args, **kwargs)

    monkeypatch.setattr(extract.trafilatura, "bare_extraction", spy)
    result = extract_html(page(story_html(*story)), extractor)
    assert result is not None and result.paragraphs == list(story)
    assert calls[0] is True  # the fast pass always comes first
    assert (False in calls) is full_pass


# --- links --------------------------------------------------------------------------------------------------


def test_links_are_stripped_from_the_text(options: CleaningOptions) -> None:
    linked = "<p>The council published <a href='/budget-2024.pdf'>the full budget document</a> on its website.</p>"
    opening = (
        "<p><a href='/council'>City councillors</a> voted nine to four in favour of the plan, "
        "after the finance committee had signed off on the last amendments.</p>"
    )
    paragraphs = run(options, page(story_html(S1) + linked + opening + story_html(S3, S4))).paragraphs
    assert "The council published the full budget document on its website." in paragraphs
    assert any(line.startswith("City councillors voted nine to four") for line in paragraphs)
    assert not any("](" in line or "budget-2024" in line or "/council" in line for line in paragraphs)


@pytest.mark.parametrize(
    ("xml", "text"),
    [
        (f"<p>{a('MacBook Pro')}was released on Tuesday.</p>", "MacBook Pro was released on Tuesday."),
        (f"<p>Hackers were {a('a')}ttacking the site.</p>", "Hackers were attacking the site."),  # inside a sentence
        (f"<p>{a('Apple')}'s new phone sold out.</p>", "Apple's new phone sold out."),  # not glued to a word
        (f"<p>{a('苹果')}发布了新手机。</p>", "苹果发布了新手机。"),  # no spaces to lose in CJK
    ],
)
def test_link_opening_a_paragraph_keeps_its_following_space(xml: str, text: str) -> None:
    body = etree.fromstring(f"<body>{xml}</body>")
    extract._strip_links(body)
    assert body.find("p").text == text
    assert body.find(".//ref") is None


# --- metadata: trafilatura's step less the license search -----------------------------------------------------

METADATA_FIELDS = ("title", "author", "url", "hostname", "description", "sitename", "date", "categories", "tags")


def _golden_html_pages() -> list[tuple[str, bytes]]:
    """The golden HTML fixtures: part of the project, always there."""
    return [(path.name, path.read_bytes()) for path in sorted((GOLDEN / "html").glob("*.html"))]


def _bench_html_pages() -> list[tuple[str, bytes]]:
    """The extraction benchmark's pages (../shared/bench): skipped with a message when absent, a failure
    under CI=true, where the data must be there."""
    try:
        return bench_pages()
    except BenchDataMissing as exc:
        unavailable(f"extraction benchmark not available: {exc}")


def _metadata_pages() -> list[tuple[str, bytes]]:
    """The golden HTML fixtures, and the benchmark's pages where present (its absence only narrows the test)."""
    pages = _golden_html_pages()
    with contextlib.suppress(BenchDataMissing):
        pages += bench_pages()
    return pages


def _assert_metadata_equal(options: CleaningOptions, pages: list[tuple[str, bytes]]) -> None:
    for name, content in pages:
        extractor = options.extractor_for("https://example.org/news/story.html", datetime(2026, 11, 22, tzinfo=UTC))
        tree = load_html(decode_html(content, None))
        ours = extract._metadata(tree, extractor)
        theirs = extract_metadata(
            tree, extractor.url, extractor.date_params, author_blacklist=extractor.author_blacklist
        )
        for field_name in METADATA_FIELDS:
            assert getattr(ours, field_name) == getattr(theirs, field_name), (name, field_name)


def test_metadata_fields_equal_trafilaturas_extract_metadata(options: CleaningOptions) -> None:
    pages = _golden_html_pages()
    assert len(pages) >= 9, "tests/golden/html lost its fixtures"
    _assert_metadata_equal(options, pages)


def test_metadata_fields_equal_trafilaturas_on_the_benchmark(options: CleaningOptions) -> None:
    pages = _bench_html_pages()
    assert len(pages) >= 50, f"only {len(pages)} benchmark pages in {bench_dir()}"
    _assert_metadata_equal(options, pages)


def test_structured_metadata_leaves_out_the_body_searches_only(options: CleaningOptions) -> None:
    """``cleaning.metadata: structured``: no byline or tag-link search in the body; meta tags still count."""
    byline = "<div class='author'>Jane Roe</div><div class='tags'><a href='/tag/budget/'>budget</a></div>"
    html = page(byline + story_html(*STORY))
    full = extract_html(html, options.extractor_for(URL, None))
    structured = extract_html(html, options.extractor_for(URL, None), metadata="structured")
    assert full is not None and structured is not None
    assert full.authors == ["Jane Roe"] and full.tags == ["budget"]
    assert structured.authors == [] and structured.tags == []
    assert (structured.title, structured.paragraphs) == (full.title, full.paragraphs)
    head_html = '<meta name="author" content="Jane Roe"><meta property="article:tag" content="budget">'
    from_meta = extract_html(
        page(story_html(*STORY), head_html=head_html), options.extractor_for(URL, None), metadata="structured"
    )
    assert from_meta is not None and from_meta.authors == ["Jane Roe"] and from_meta.tags == ["budget"]
    assert load_options().replace(metadata="structured").metadata == "structured"


def test_structured_metadata_changes_only_authors_and_tags(options: CleaningOptions) -> None:
    for name, content in _metadata_pages():
        extractor = options.extractor_for("https://example.org/news/story.html", datetime(2026, 11, 22, tzinfo=UTC))
        tree = load_html(decode_html(content, None))
        full = extract._metadata(tree, extractor)
        structured = extract._metadata(tree, extractor, body_search=False)
        for field_name in set(METADATA_FIELDS) - {"author", "categories", "tags"}:
            assert getattr(structured, field_name) == getattr(full, field_name), (name, field_name)
        if structured.author:  # from meta tags or JSON-LD: the full step finds the same
            assert structured.author == full.author, name


def test_a_page_without_body_text_is_no_content_not_an_internal_error() -> None:
    """readability can return a whole document with an empty body for such a page; lxml then raises."""
    html = (
        '<html lang="en"><head><meta property="og:type" content="article"><title>A story | Site</title>'
        '<meta name="robots" content="noai"></head></html>'
    )
    result = clean(RawDocument(content=html.encode(), url="https://example.org/a-story"), load_options())
    assert isinstance(result, Rejected) and result.reason.value == "no_content"


# --- candidates -------------------------------------------------------------------------------------------


def _candidate(name: str, prose: int) -> extract.Candidate:
    return extract.Candidate(name, HtmlElement(), name, prose)


@pytest.mark.parametrize(
    ("precision", "balanced", "readability", "kept"),
    [
        (1000, 1500, 1400, "precision"),  # balanced adds a third: teasers, not the story cut away
        (1000, 2500, 2000, "balanced"),  # precision kept under half of balanced's sentence text
        (1000, 1200, 1600, "readability"),  # both passes started from a part of the story
        (1000, 2500, 3500, "balanced"),  # readability must beat the kept pass, not the first
        (None, 800, 700, "balanced"),  # precision found nothing
        (None, None, 700, "readability"),
    ],
)
def test_the_candidate_kept_is_the_one_with_the_story(
    monkeypatch: pytest.MonkeyPatch, precision: int | None, balanced: int | None, readability: int, kept: str
) -> None:
    made = {"precision": precision, "balanced": balanced}
    monkeypatch.setattr(
        extract, "_trafilatura", lambda tree, options, focus: made[focus] and _candidate(focus, made[focus])
    )
    monkeypatch.setattr(extract, "_readability", lambda tree, options: _candidate("readability", readability))
    monkeypatch.setattr(extract, "page_prose", lambda tree: 10_000)
    chosen = extract._compare(HtmlElement(), load_options().extractor)
    assert chosen is not None and chosen.name == kept


def test_a_candidate_that_cannot_win_is_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page holds no more sentence text than the precision pass kept: neither other extraction runs."""
    ran: list[str] = []
    monkeypatch.setattr(
        extract, "_trafilatura", lambda tree, options, focus: ran.append(focus) or _candidate(focus, 900)
    )
    monkeypatch.setattr(extract, "_readability", lambda tree, options: ran.append("readability"))
    monkeypatch.setattr(extract, "page_prose", lambda tree: 1000)
    assert extract._compare(HtmlElement(), load_options().extractor).name == "precision"
    assert ran == ["precision"]


def test_prose_counts_sentence_lines_once_and_not_menus() -> None:
    menu = etree.fromstring("<body><p>Home<lb/>News<lb/>Sport<lb/>Weather<lb/>Contact us</p></body>")
    assert extract.prose_chars(menu) == 0
    story = etree.fromstring("<body><p>The council approved the new budget on Monday night.</p></body>")
    twice = etree.fromstring(
        "<body><p>The council approved the new budget on Monday night.</p>"
        "<p>The council approved the new budget on Monday night.</p></body>"
    )
    assert extract.prose_chars(story) > 0
    assert extract.prose_chars(twice) == extract.prose_chars(story)


def _tree_candidate(name: str, xml: str) -> extract.Candidate:
    body = etree.fromstring(xml)
    return extract.Candidate(name, body, trafilatura.xml.xmltotxt(body, False), *extract.prose_of(body))


_STORY_START = (
    "<p>The regional council approved the new flood defence plan after a long debate on Monday.</p>"
    "<p>Work on the river walls will begin in spring and should take about three years to finish.</p>"
)
_STORY_END = (
    "<p>Residents of the lower town, flooded twice in ten years, had asked for the walls since 2015.</p>"
    "<p>The plan is paid for by the region and by a national fund for towns on rivers at risk.</p>"
)
_STORY = _STORY_START + _STORY_END


def test_readability_extends_the_pass_with_the_blocks_beside_its_text() -> None:
    """A page-builder story: the pass kept the paragraphs of two containers, readability also the
    subheading, list and paragraphs between them (kept), a caption three levels down, a promo link and
    what comes before and after the story (dropped); the pass's heading that readability lost is put back
    in its place."""
    chosen = _tree_candidate("precision", f"<body><head>What the plan costs</head>{_STORY}</body>")
    generic = _tree_candidate(
        "readability",
        "<div><p>Sign up for our newsletter to get the best local stories in your inbox each week.</p>"
        f"<div>{_STORY_START}</div>"
        "<head>Where the walls go</head><list><item>Along the east bank near the old mill</item>"
        "<item>Around the harbour and the ferry landing stage</item>"
        "<item>Beside the school playing fields and the park</item></list>"
        "<p>The eastern section, the longest, will be built first because the mill district floods most.</p>"
        "<p>Each wall will be tested against the highest water level recorded over the last century.</p>"
        "<div><div><div><p>The river at high water last winter, seen from the town bridge.</p></div></div></div>"
        "<p><ref target='/other'>Read more: the ten best walks along the river this summer</ref></p>"
        f"<div>{_STORY_END}</div>"
        "<list><item>Garden gnome with a fishing rod, painted by hand</item><item>Rain gauge</item></list></div>",
    )
    assert extract._extends(generic, chosen)
    lines = generic.text.split("\n")
    assert "- Along the east bank near the old mill" in lines and "Where the walls go" in lines
    assert not any("high water" in line or "best walks" in line for line in lines)
    assert not any("newsletter" in line or "gnome" in line for line in lines)  # the page around the story
    assert lines[0] == "What the plan costs"  # the pass's heading, back before the story


def test_readability_does_not_extend_a_pass_it_does_not_hold() -> None:
    chosen = _tree_candidate("precision", f"<body>{_STORY}</body>")
    elsewhere = _tree_candidate(
        "readability",
        "<div><p>Our newsletter brings you the best stories of the week every Friday morning.</p>"
        "<list><item>Politics and the economy</item><item>Sport and culture</item></list></div>",
    )
    assert not extract._extends(elsewhere, chosen)


def test_prose_leaves_out_link_targets_link_lines_and_table_rows_of_names() -> None:
    """A table of names with linked profiles, a tag list and a link's URL are not sentence text; a layout
    table's cell of sentences is."""
    names = etree.fromstring(
        "<body><table><row><cell><ref target='https://example.org/people/ann-lee-1234'>Ann Lee</ref></cell>"
        "<cell>Chief Executive Officer</cell></row></table>"
        "<p><ref target='/t/a'>flood defence plans</ref>, <ref target='/t/b'>river walls and bridges</ref></p></body>"
    )
    assert extract.prose_chars(names) == 0
    linked = etree.fromstring(
        "<body><p>The council <ref target='https://example.org/a/very/long/path/to/the/budget/page'>approved"
        "</ref> the new budget on Monday.</p></body>"
    )
    plain = etree.fromstring("<body><p>The council approved the new budget on Monday.</p></body>")
    assert extract.prose_chars(linked) == extract.prose_chars(plain) > 0
    layout = etree.fromstring(
        "<body><table><row><cell>The council approved the new budget on Monday night after a long debate.</cell>"
        "<cell>Menu</cell></row></table></body>"
    )
    assert extract.prose_chars(layout) > 0


def test_balanced_fills_in_the_blocks_precision_dropped_inside_the_story() -> None:
    """The balanced pass holds the precision pass's story and, between its first and last paragraphs, the
    list precision left out (kept) and a promo link (dropped); what it has before and after the story (a
    menu line, related teasers) is cut."""
    chosen = _tree_candidate("precision", f"<body><head>What the plan costs</head>{_STORY}</body>")
    wider = _tree_candidate(
        "balanced",
        "<body><p>Home News Sport Weather and the rest of the sections of this website today</p>"
        "<head>What the plan costs</head>"
        f"{_STORY_START}"
        "<list><item>Along the east bank near the old mill and the bridge</item>"
        "<item>Around the harbour and the ferry landing stage by the lock</item></list>"
        "<p><ref target='/other'>Read more: the ten best walks along the river this summer</ref></p>"
        f"{_STORY_END}"
        "<p>Related: the mayor opens the new library in the old town hall on Friday night</p></body>",
    )
    assert extract._fills_in(wider, chosen)
    lines = wider.text.split("\n")
    assert "- Along the east bank near the old mill and the bridge" in lines
    assert lines[0] == "What the plan costs" and lines[-1].startswith("The plan is paid for")
    assert not any("Read more" in line or "Related" in line or "Home News" in line for line in lines)


def test_balanced_does_not_fill_in_when_it_adds_nothing_inside_the_story() -> None:
    chosen = _tree_candidate("precision", f"<body>{_STORY}</body>")
    wider = _tree_candidate(
        "balanced", f"<body>{_STORY}<p>Related: the mayor opens the new library in the old town hall today</p></body>"
    )
    assert not extract._fills_in(wider, chosen)
    assert "Related" in wider.text  # left as it was


def _live_blog(updates: list[dict[str, str]], *, in_page: bool) -> str:
    posting = {"@context": "https://schema.org", "@type": "LiveBlogPosting", "liveBlogUpdate": updates}
    entries = "".join(
        f"<article class='entry'><h3>{u['headline']}</h3><div class='entry-body'><p>{u['articleBody']}</p></div>"
        "</article>"
        for u in updates
    )
    summary = (
        "<div class='article-body'><p>The final of the cup is played tonight in the capital before 80,000 fans.</p>"
        "<p>Both teams are unbeaten this season and the home side has won the last three meetings.</p>"
        "<p>Follow every moment of the match here, with the reaction of both managers afterwards.</p></div>"
    )
    return page(
        f"<main>{summary}<section class='live'>{entries if in_page else ''}</section></main>",
        head_html=f"<script type='application/ld+json'>{json.dumps(posting)}</script>",
    )


_UPDATES = [
    {"headline": "Full time", "articleBody": "The home side wins two to one after a late goal from the captain."},
    {"headline": "Second half", "articleBody": "The visitors equalise from a corner with ten minutes left."},
    {"headline": "Kick off", "articleBody": "The referee starts the match under heavy rain and a strong wind tonight."},
]


def test_a_live_blog_gets_the_updates_its_extraction_left_out(options: CleaningOptions) -> None:
    """The summary container is kept by the passes; the updates, declared in JSON-LD, come after it."""
    found = run(options, _live_blog(_UPDATES, in_page=False))
    assert found.extracted_by.endswith("+live_blog")
    text = "\n".join(found.paragraphs)
    assert text.index("The final of the cup") < text.index("Full time") < text.index("late goal")
    assert text.index("late goal") < text.index("Kick off")


def test_a_live_blog_already_extracted_and_a_broken_declaration_are_left_alone(options: CleaningOptions) -> None:
    from cleaners.live_blog import LiveUpdate, add_missing_updates

    held = ["The home side wins two to one after a late goal from the captain.", "Other text of the story here."]
    update = LiveUpdate("Full time", ("The home side wins two to one after a late goal from the captain.",))
    assert add_missing_updates(held, [update]) is None
    broken = page(
        story_html("The council approved the new budget on Monday night after a long debate in the chamber."),
        head_html="<script type='application/ld+json'>{\"liveBlogUpdate\": [</script>",
    )
    assert not run(options, broken).extracted_by.endswith("+live_blog")


_BIO = (
    "<head>About the author</head>"
    "<p>Jane Doe has covered the council and the river towns for the paper for more than twenty years.</p>"
)


def test_the_kept_pass_ends_where_readability_ends() -> None:
    """The pass ran on into the author box after the story; readability holds the story and ends before it."""
    chosen = _tree_candidate("precision", f"<body>{_STORY}{_BIO}</body>")
    generic = _tree_candidate("readability", f"<div>{_STORY}</div>")
    assert extract._ends_where_readability_ends(generic, chosen)
    assert "Jane Doe" not in chosen.text and chosen.text.split("\n")[-1].startswith("The plan is paid for")
    assert chosen.cut == [
        "About the author",
        "Jane Doe has covered the council and the river towns for the paper for more than twenty years.",
    ]


def test_the_kept_pass_is_not_cut_to_a_section_readability_kept() -> None:
    """readability kept the first part only (under TRIM_MIN_HELD of the pass): the pass stays whole."""
    chosen = _tree_candidate("precision", f"<body>{_STORY}{_BIO}</body>")
    generic = _tree_candidate("readability", f"<div>{_STORY_START}</div>")
    assert not extract._ends_where_readability_ends(generic, chosen)
    assert "Jane Doe" in chosen.text


def test_the_author_bio_after_the_story_is_removed() -> None:
    """The closing box that introduces the article's author (the metadata's name, then "is a ...") goes,
    with the name line above it; a story paragraph that starts with the author's name higher up stays."""
    body = etree.fromstring(
        "<body><p>Jane Doe has asked the council about the walls for years, and it answered on Monday night.</p>"
        f"{_STORY}<p>Jane Doe</p>"
        "<p>Jane Doe is a reporter for the Example Times who covers the river towns. Send tips to jane@example.org.</p>"
        "</body>"
    )
    filter_blocks(body, TITLE, ["Jane Doe"])
    texts = block_texts(body)
    assert texts[0].startswith("Jane Doe has asked the council")
    assert texts[-1].startswith("The plan is paid for") and not any(t.startswith("Jane Doe is") for t in texts)
    short = etree.fromstring(f"<body>{_STORY}<p>Janie Doe is a reporter for the Example Times.</p></body>")
    filter_blocks(short, TITLE, ["Jane Doe"])  # the name as the bio writes it: same surname and initial
    assert block_texts(short)[-1].startswith("The plan is paid for")
    kept = etree.fromstring(f"<body>{_STORY}<p>Jane Doe is a reporter for the Example Times.</p></body>")
    filter_blocks(kept, TITLE, ["Doe"])  # a one-word name is not enough
    assert block_texts(kept)[-1] == "Jane Doe is a reporter for the Example Times."


def test_a_link_span_inside_a_sentence_keeps_its_words(options: CleaningOptions) -> None:
    """trafilatura's precision pass deletes spans with a "link" class as link boxes; inside a sentence the
    span's words are part of it."""
    sentence = (
        'The league has reported that <span class="link"><a href="/fine">the club will be fined</a></span> '
        "for its role in the fight on Thursday night, and the players will not be suspended."
    )
    html = page(story_html(S1, S2) + f"<p>{sentence}</p>" + story_html(S3, S4))
    text = "\n".join(run(options, html).paragraphs)
    assert "has reported that the club will be fined for its role" in text


def test_a_heading_that_links_to_itself_stays_a_heading(options: CleaningOptions) -> None:
    """A section heading wrapped in a permalink to itself is not a link line: its text is kept."""
    html = page(
        story_html(S1, S2)
        + '<h2 id="costs"><a href="#costs">What the capital projects will cost</a></h2>'
        + story_html(S3, S4)
    )
    assert "What the capital projects will cost" in run(options, html).paragraphs


def test_readability_replaces_a_pass_that_is_the_page_flattened(monkeypatch: pytest.MonkeyPatch) -> None:
    """Precision found nothing and the balanced pass is the page's text in one long line (trafilatura's
    baseline): readability, holding most of its sentence text, is kept, whatever the page's size."""
    flat = extract.Candidate("balanced", HtmlElement(), " ".join([S1, S2, S3, S4] * 5), 2000)
    made = {"precision": None, "balanced": flat}
    monkeypatch.setattr(extract, "_trafilatura", lambda tree, options, focus: made[focus])
    monkeypatch.setattr(extract, "_readability", lambda tree, options: _candidate("readability", 1200))
    monkeypatch.setattr(extract, "page_prose", lambda tree: 2000)
    assert extract._compare(HtmlElement(), load_options().extractor).name == "readability"
    monkeypatch.setattr(extract, "_readability", lambda tree, options: _candidate("readability", 300))
    assert extract._compare(HtmlElement(), load_options().extractor).name == "balanced"  # a part: not it


_P1 = "The regional council approved the new flood defence plan after a long debate on Monday."
_P2 = "Work on the river walls will begin in spring and should take about three years to finish."
_P3 = "Residents of the lower town, flooded twice in ten years, had asked for the walls since 2015."
_P4 = "The plan is paid for by the region and by a national fund for towns on rivers at risk."
_P5 = "The council will publish the final route of the walls in the autumn after a consultation."


def test_story_headings_and_lists_a_pass_left_out_are_put_back() -> None:
    """A pass that kept the paragraphs only (trafilatura's loose-paragraph recovery): the subheading and
    the list among them (in a wrapper) come back in place; what is set apart (an aside box, a figure gallery), nested
    deeper than the paragraphs, a heading over links the pass dropped, and a list the pass already holds
    in another form (its sentences, or some items of a nested list) stay out."""
    related = "".join(
        f"<li><a href='/s/{n}'>Another story about the town and its river number {n}</a></li>" for n in range(5)
    )
    tree = load_html(
        "<html><body><div class='story'>"
        f"<p>{_P1}</p><h2>What the plan costs</h2><p>{_P2}</p>"
        "<aside><h3>Current issue</h3></aside>"
        "<div class='list-wrap'><ul><li>Along the east bank near the old mill</li>"
        "<li>Around the <b>harbour</b> and the ferry landing</li></ul></div>"
        f"<p>{_P3}</p>"
        "<ul class='gallery'><li><figure><img src='a.jpg'>"
        "<figcaption>The river at high water last winter</figcaption></figure></li></ul>"
        "<div class='box'><h3>Sign up for our newsletter</h3></div>"
        f"<h3>Read more from our reporters</h3><ul>{related}</ul>"
        f"<p>{_P4}</p>"
        "<ul><li>Residents of the lower town flooded twice in ten years</li></ul>"
        "<ol><li>Engineers<ol><li>Hydrologists</li><li>Surveyors</li></ol></li></ol>"
        f"<p>{_P5}</p></div></body></html>"
    )
    chosen = _tree_candidate(
        "precision",
        f"<body><p>{_P1}</p><p>{_P2}</p><p>{_P3}</p><p>{_P4}</p><list><item>Engineers</item>"
        f"<item>Hydrologists</item></list><p>{_P5}</p></body>",
    )
    assert extract.put_back_story_blocks(chosen, tree) == 2
    lines = chosen.text.split("\n")
    assert lines[:3] == [_P1, "What the plan costs", _P2]
    assert lines[3:6] == ["- Along the east bank near the old mill", "- Around the harbour and the ferry landing", _P3]
    assert lines[6:] == [_P4, "- Engineers", "- Hydrologists", _P5]


def test_nothing_is_put_back_without_two_paragraphs_found_in_the_page() -> None:
    tree = load_html(f"<html><body><div><p>{_P1}</p><h2>What the plan costs</h2><p>{_P2}</p></div></body></html>")
    chosen = _tree_candidate("precision", f"<body><p>{_P1}</p><p>{_P3}</p></body>")
    assert extract.put_back_story_blocks(chosen, tree) == 0
    repeated = load_html(f"<html><body><div><p>{_P1}</p><h2>Costs</h2><p>{_P2}</p><p>{_P2}</p></div></body></html>")
    chosen = _tree_candidate("precision", f"<body><p>{_P1}</p><p>{_P2}</p></body>")
    assert extract.put_back_story_blocks(chosen, repeated) == 0  # the second paragraph is found twice: no anchor


def test_visible_text_keeps_the_text_after_a_comment() -> None:
    """trafilatura's parser drops comments, but a tree parsed otherwise keeps them: the text after one is
    still the element's text (lxml's walk reports a comment once, with its tail)."""
    from lxml.html import fromstring

    heading = fromstring("<h2>What the <!-- cms:field -->plan<?php x ?> costs<script>var a</script> now</h2>")
    assert visible_text(heading) == "What the plan costs now"
    items = fromstring("<ul><li>Along the <b>east</b><!-- note --> bank</li><li>Harbour</li></ul>")
    assert visible_text(items) == "Along the east bank Harbour"


def test_what_no_reader_sees_is_removed_before_the_passes() -> None:
    """A closed dialog (display:none), an element marked aria-hidden and one hidden by visibility go; their
    tail text, what the ``hidden`` attribute hides (streamed content a script moves into place) and an element
    whose only "hidden" is backface-visibility (a visible card) stay."""
    policy = "You may republish this article for free under a Creative Commons licence, with a link back. " * 3
    tree = load_html(
        "<html><body><div class='story'>"
        f"<p>{S1}</p><p>{S2}<span aria-hidden='true'>★</span> and more.</p>"
        f"<div role='dialog' style='DISPLAY: none !important'><p>{policy}</p></div>tail text"
        f"<div style='visibility:hidden'><p>Cookie settings</p></div>"
        f"<div hidden id='S:0'><p>{S3}</p></div><div style='backface-visibility: hidden'><p>{S4}</p></div>"
        "</div></body></html>"
    )
    assert extract.drop_hidden(tree) == 3
    text = " ".join(tree.find("body").text_content().split())
    assert "republish" not in text and "★" not in text and "Cookie settings" not in text
    assert "tail text" in text and S3 in text and S4 in text and f"{S2} and more." in text


def test_a_page_that_hides_most_of_its_text_keeps_it() -> None:
    """Content shown by scripts (the story in a display:none container) is the page's text: nothing goes."""
    tree = load_html(f"<html><body><p>Menu</p><div style='display:none'>{story_html(*STORY)}</div></body></html>")
    assert extract.drop_hidden(tree) == 0
    assert S4 in tree.find("body").text_content()


def test_readability_text_has_the_page_whitespace_collapsed_except_in_code() -> None:
    """readability keeps the source's line breaks inside a paragraph; the candidate's text must not."""
    body = etree.fromstring(
        "<body><p>In 1999, a company decommissioned some\nhardware,\n  including <hi>an\nHP</hi>\n box.</p>"
        "<code>for x in y:\n    print(x)</code><p>Price:\xa0\xa0 10</p></body>"
    )
    assert extract._collapse_whitespace(body)
    assert xmltotxt(body, False).split("\n") == [
        "In 1999, a company decommissioned some hardware, including an HP box.",
        "for x in y:",
        "    print(x)",
        "Price:\xa0\xa0 10",
    ]


def test_a_table_row_is_counted_cell_by_cell_whatever_its_leading_space() -> None:
    row = " | Kyle Busch | 5040 points in the season | 5 wins and one pole | 17 top five finishes |"
    cells = [line.strip() for line in extract._prose_lines(row) if line.strip()]
    assert cells == ["Kyle Busch", "5040 points in the season", "5 wins and one pole", "17 top five finishes"]


def test_wrapped_lines_of_prose_are_joined_and_verse_addresses_and_links_are_not() -> None:
    body = etree.fromstring(
        "<body><p>Gym equipment refers to the various machines, tools, and accessories used in a<lb/>\n"
        "fitness facility to help individuals achieve their fitness goals. These<lb/>\n"
        "equipment are designed to target different muscle groups.</p>"
        "<p>Do not raise<lb/>your small voice against it. And do not<lb/>take cover.</p>"
        "<p>Flos Showroom<lb/>corso Monforte, 15, Milan</p>"
        "<p>The sources we used for the numbers in this article on the market<lb/>https://example.com/a</p>"
        "<p>The second long line of this paragraph ends with a full stop here.<lb/>then a lower case line.</p>"
        "</body>"
    )
    assert extract.join_soft_breaks(body) == 2
    assert xmltotxt(body, False).split("\n") == [
        "Gym equipment refers to the various machines, tools, and accessories used in a fitness facility to help "
        "individuals achieve their fitness goals. These equipment are designed to target different muscle groups.",
        "Do not raise",
        "your small voice against it. And do not",
        "take cover.",
        "Flos Showroom",
        "corso Monforte, 15, Milan",
        "The sources we used for the numbers in this article on the market",
        "https://example.com/a",
        "The second long line of this paragraph ends with a full stop here.",
        "then a lower case line.",
    ]


# --- page_prose: the walk written out, the same counts as the walk it replaced --------------------------------


def _page_prose_reference(tree: HtmlElement) -> int:
    """``page_prose`` as first written (a nested function per text and per block boundary): the reference
    its faster form must equal."""
    total, line, linked, in_link = 0, [], 0, 0

    def add(text: str | None) -> None:
        nonlocal linked
        if text:
            line.append(text)
            if in_link:
                linked += len(text)

    def flush() -> None:
        nonlocal total, linked
        text = "".join(line)
        if len(extract._WORD.findall(text)) >= extract.PROSE_MIN_WORDS and linked < (
            extract.PROSE_MAX_LINK_SHARE * len(text)
        ):
            total += len(text.strip())
        line.clear()
        linked = 0

    body = tree.find("body")
    for event, element in etree.iterwalk(body if body is not None else tree, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in extract._INVISIBLE or not tag:
                continue
            if tag in HTML_BLOCK_TAGS:
                flush()
            if tag == "a":
                in_link += 1
            add(element.text)
        else:
            if tag in HTML_BLOCK_TAGS:
                flush()
            if tag == "a" and in_link:
                in_link -= 1
            add(element.tail)
    flush()
    return total


PAGE_PROSE_CASES = [
    "<html><body><p>one two three four five</p><p>one two three four</p></body></html>",
    "<html><body><div>a b c d e<a href='#'>f g h i j k l m n o p</a></div><p>x</p></body></html>",
    "<html><body><p>lead text <script>var a = 1 2 3 4 5;</script>after the script one two</p></body></html>",
    "<html><body><p>1 2 3<!-- a comment --> 4 5 6</p><svg><text>s v g t e x t</text></svg>tail a b c d</body></html>",
    "<html><body>  \n  <p>a b c d e</p>  \n\t <span>f g h</span> i j<br>k l m n o</body></html>",
    "<html><p>no body element one two three four five</p></html>",
    "<html><body><a href='#'>link one two three four</a> plain five six seven eight nine ten</body></html>",
]


def test_page_prose_counts_as_the_reference_walk() -> None:
    """On hand-made cases (comments, scripts, svg, links, loose text) and on every golden and benchmark page,
    prepared as ``extract_html`` prepares them."""
    pages = [(f"case{i}", case.encode()) for i, case in enumerate(PAGE_PROSE_CASES)] + _metadata_pages()
    for name, content in pages:
        for parser in (None, etree.HTMLParser(remove_comments=False, remove_pis=False)):
            html = decode_html(content, None)
            tree = load_html(html) if parser is None else etree.fromstring(html, parser).getroottree().getroot()
            if tree is None:
                continue
            if parser is None:
                join_split_body(tree)
                extract.unmark_link_lookalikes(tree)
                extract.drop_hidden(tree)
            assert extract.page_prose(tree) == _page_prose_reference(tree), name


def test_a_copyright_year_is_not_a_publication_date(options: CleaningOptions) -> None:
    """htmldate's last resort returns January 1st of the copyright year; a page that writes that day keeps it."""
    body = story_html(*STORY) + "<p class='copyright'>© 2023 Example Times</p>"
    assert run(options, page(body)).published is None
    written = '<meta property="article:published_time" content="2023-01-01T08:00:00Z">'
    assert run(options, page(body, head_html=written)).published == "2023-01-01"
    in_text = story_html(*STORY) + "<p>Published January 1, 2023</p>"
    assert run(options, page(in_text)).published == "2023-01-01"


def test_author_names_lose_what_a_byline_widget_glued_to_them() -> None:
    names = ["Author Isaiah Shelton", "Supermove February 8", "Cazzy Magennis Last Updated August 1", "On December 9"]
    names += ["Written By", "Undefined", "Dec", "Name", "Theresa May", "Mark March", "Isaiah Shelton"]
    assert extract.clean_authors(names) == [
        "Isaiah Shelton",
        "Supermove",
        "Cazzy Magennis",
        "Theresa May",
        "Mark March",
    ]
