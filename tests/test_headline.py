"""The headline: the page's <h1> or its metadata title without the site's name (cleaners/headline.py)."""

from __future__ import annotations

from lxml.html import document_fromstring

from cleaners.headline import choose_headline, strip_site_name


def page(body: str, title: str = "") -> object:
    return document_fromstring(f"<html><head><title>{title}</title></head><body>{body}</body></html>")


def test_the_h1_the_title_agrees_with_is_the_headline_without_the_site_name() -> None:
    tree = page("<h1>Brief History of Coffee</h1><p>text</p>")
    found = choose_headline(tree, "Brief History of Coffee - Charleston Coffee Roasters", None, "example.com")
    assert (found.text, found.source) == ("Brief History of Coffee", "h1-matching-title")


def test_a_single_h1_wins_over_a_title_rewritten_for_search_engines() -> None:
    tree = page("<h1>Top 10 Health and Nutrition Trends to Watch</h1>")
    found = choose_headline(tree, "Health And Nutrition Trends For 2026 - Tastewise", "Tastewise", None)
    assert (found.text, found.source) == ("Top 10 Health and Nutrition Trends to Watch", "single-h1")


def test_a_logo_h1_linking_home_is_not_the_headline() -> None:
    tree = page('<h1 class="title"><a href="/">Daily Post</a></h1><h3>Wildfire forces evacuation</h3>')
    found = choose_headline(tree, "Wildfire forces evacuation", None, None)
    assert found.text == "Wildfire forces evacuation"


def test_an_h1_that_is_the_site_name_is_skipped() -> None:
    tree = page("<h1>Harvard Health</h1>")
    found = choose_headline(tree, "Regular physical activity can boost mood - Harvard Health", "Harvard Health", None)
    assert (found.text, found.source) == ("Regular physical activity can boost mood", "title-without-site")


def test_site_name_cut_from_either_end_by_name_or_domain() -> None:
    assert strip_site_name("Story of the day | Facet", "Facet", None) == "Story of the day"
    assert (
        strip_site_name("Google Cloud | What is cloud computing?", "Google Cloud", None) == "What is cloud computing?"
    )
    assert strip_site_name("Top trends in 2025 - advantagefitness.com", None, "advantagefitness.com") == (
        "Top trends in 2025"
    )


def test_a_title_whose_parts_are_all_story_is_left_alone() -> None:
    assert strip_site_name("Left - right: a debate", "Some Paper", "somepaper.com") == "Left - right: a debate"
    assert strip_site_name("No separator here", "No", None) == "No separator here"


def test_an_h1_broken_over_lines_reads_with_spaces_and_without_its_script() -> None:
    tree = page("<h1>Top MBA Programs of 2025 (US)<br>Your Guide to <b>Business</b> Schools<script>x=1</script></h1>")
    found = choose_headline(tree, None, None, None)
    assert found.text == "Top MBA Programs of 2025 (US) Your Guide to Business Schools"


def test_an_h1_that_carries_the_site_name_or_a_dangling_separator_is_cut() -> None:
    tree = page("<h1>Critics’ Choice: Best UK Art Exhibitions 2025 – Artlyst</h1>")
    found = choose_headline(tree, "Critics’ Choice: Best UK Art Exhibitions 2025 – Artlyst - Artlyst", "Artlyst", None)
    assert found.text == "Critics’ Choice: Best UK Art Exhibitions 2025"
    tree = page("<h1>How meditation rewires brains and improves health |</h1>")
    found = choose_headline(tree, "How meditation rewires brains and improves health | Opinion", None, None)
    assert found.text == "How meditation rewires brains and improves health"


def test_a_label_or_date_the_theme_puts_in_the_h1_is_left_out_but_a_longer_headline_stays() -> None:
    dated = page("<h1>Dec 18 2025 Preparing a transition in Debusine</h1>")
    found = choose_headline(dated, "Preparing a transition in Debusine", "Colin's blog", None)
    assert (found.text, found.source) == ("Preparing a transition in Debusine", "title-inside-h1")
    labelled = page("<h1>Blog: Best Social Media Advertising Agencies in 2025</h1>")
    found = choose_headline(labelled, "Best Social Media Advertising Agencies in 2025 | Acme", "Acme", None)
    assert found.text == "Best Social Media Advertising Agencies in 2025"
    longer = page("<h1>Composition techniques in landscape photography</h1>")
    found = choose_headline(longer, "Composition techniques in Landscape", None, None)
    assert found.text == "Composition techniques in landscape photography"
