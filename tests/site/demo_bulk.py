"""Synthetic articles for throughput benchmarks (``--articles N``) and for ``/_control/publish``.

Benchmarks need thousands of pages that weigh and look like real news pages (about 60 KB: navigation,
sidebars, inline CSS/JS, comments) so parse and clean times are representative. Each page is generated
on request from a seeded RNG: deterministic across runs and machines, and no memory cost for large N.
The prose comes from a small phrase grammar rather than random words so language detection and
paragraph scoring see English sentences.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from demo_articles import FOOTER_COPYRIGHT, PHRASES, SITE_NAME, Article
from demo_pages import _ANALYTICS, _a, _nav, _t, display_date, iso, slugify

BULK_PER_PAGE = 50
BULK_TARGET_BYTES = 60_000
BULK_EPOCH = datetime(2025, 1, 1, 6, 0, tzinfo=UTC)

_SUBJECTS = (
    "The city council",
    "Local officials",
    "A spokesperson for the ministry",
    "Residents of the northern district",
    "The regional transport authority",
    "Researchers at the university",
    "Union representatives",
    "The company's chief executive",
    "Emergency services",
    "Several shop owners",
    "The opposition party",
    "A group of volunteers",
    "The national statistics office",
    "Hospital managers",
    "Farmers in the valley",
    "The port authority",
    "Parents at the primary school",
    "The water company",
    "Independent auditors",
    "The mayor",
)
_VERBS = (
    "said on Tuesday that",
    "warned that",
    "confirmed that",
    "argued that",
    "told reporters that",
    "announced that",
    "insisted that",
    "acknowledged that",
    "estimated that",
    "reported that",
    "admitted that",
    "said in a statement that",
)
_CLAUSES = (
    "the new budget would protect frontline services",
    "the project was running several months behind schedule",
    "costs had risen sharply since the spring",
    "demand for the service had doubled over the past year",
    "a final decision would be made before the end of the month",
    "the plan still needed approval from the regional government",
    "the old building could no longer be repaired at a reasonable cost",
    "more staff would be hired before the winter",
    "the consultation had attracted thousands of responses",
    "waiting times had fallen for the first time in three years",
    "the bridge would remain closed to heavy vehicles until further notice",
    "the figures did not yet include the latest round of price increases",
    "local businesses had been consulted at every stage",
    "the pilot scheme would be extended to two more towns",
    "the cause of the fault was still under investigation",
    "ticket prices would stay the same until next year",
    "the new rules would apply from the first of the month",
    "the agreement would be reviewed after twelve months",
)
_TAILS = (
    "",
    "",
    "",
    " despite strong objections from residents",
    " according to figures published this week",
    " after months of negotiations",
    " in a statement released late on Monday",
    " during a meeting that lasted more than four hours",
    " although details remain unclear",
    " citing an internal report seen by this newspaper",
)
_STANDALONE = (
    "The proposal will be debated again next week.",
    "Critics say the timetable is unrealistic.",
    "No one was injured, the police said.",
    "The decision can still be appealed.",
    "A public meeting is planned for early next month.",
    "The previous attempt to solve the problem was abandoned in 2019.",
    "Similar schemes in neighbouring regions have produced mixed results.",
    "Further details are expected to be published on the council's website.",
    "Residents have been invited to submit their views in writing.",
    "The work is expected to cause some disruption to traffic.",
    "Officials declined to say how much the changes would cost.",
    "It is the third such announcement this year.",
)
_TITLE_SUBJECTS = (
    "Council",
    "Ministry",
    "Rail operator",
    "Hospital trust",
    "Port authority",
    "University",
    "Water company",
    "Farmers' union",
    "Teachers' union",
    "Airport",
    "Police force",
    "Regional bank",
)
_TITLE_PLACES = (
    "Port Ellis",
    "Ashgrove",
    "Northfield",
    "Kingsbridge",
    "Westmoor",
    "Fairhaven",
    "Larkhill",
    "Millbrook",
    "Eastwick",
    "Stonebay",
    "Redcliffe",
    "Hollowell",
)
_TITLE_PREDICATES = (
    "delays decision on new tram line",
    "approves budget for flood defences",
    "faces questions over rising costs",
    "promises faster repairs after storm",
    "announces plan to cut waiting times",
    "opens consultation on parking charges",
    "reports record visitor numbers",
    "postpones vote on school closures",
    "signs agreement with neighbouring towns",
    "launches review of safety procedures",
    "hires extra staff for the winter",
    "freezes prices until the spring",
)
_AUTHORS = ("Alex Morgan", "Sam Patel", "Jordan Lee", "Chris Novak", "Robin Adair", "Kim Sorensen")
_COMMENTERS = ("Pat D.", "local_reader", "M. Okoye", "Harbourview", "J. Smith", "oldtowner")
_COMMENT_TEXTS = (
    "About time something was done about this.",
    "I was at the meeting and it was not nearly as calm as this makes it sound.",
    "Does anyone know whether the bus timetable changes as well?",
    "Good reporting, thank you.",
    "We heard the same promises five years ago.",
    "My street has been waiting for repairs since last winter.",
)
_CATEGORIES = (
    "News",
    "Politics",
    "Business",
    "Sport",
    "Culture",
    "Travel",
    "Science",
    "Opinion",
)
_SUBCATEGORIES = (
    "Local",
    "National",
    "Europe",
    "World",
    "Analysis",
    "Features",
    "Interviews",
    "Video",
    "Podcasts",
    "Archive",
)


def _css_bundle() -> str:
    rules = []
    for i in range(170):
        rules.append(
            f".c{i} .w-{i % 17}>li:nth-child({i % 5 + 1}){{margin:{i % 7}px {i % 11}px;"
            f"padding:{i % 3}px;color:#{(i * 2654435761) % 0xFFFFFF:06x};font-size:{12 + i % 6}px}}"
        )
    return "\n".join(rules)


def _js_bundle() -> str:
    lines = ["/*! pw-vendor.min.js - demo bundle, deterministic filler */"]
    for i in range(900):
        lines.append(
            f"function pw_{i}(a,b){{var c=(a*{i + 3})^(b+{i % 13});return c%{97 + i % 31}===0?pw_{(i * 7) % 900}:c;}}"
        )
    return "\n".join(lines)


_CSS = _css_bundle()
_JS = _js_bundle()


def bulk_path(n: int) -> str:
    return f"/bulk/{n:05d}.html"


def bulk_published(n: int) -> datetime:
    """Spread synthetic dates over 2025 (always in the past) in a stable, index-derived order."""
    return BULK_EPOCH + timedelta(minutes=(n * 7) % (360 * 24 * 60))


def _title(rng: random.Random) -> str:
    return f"{rng.choice(_TITLE_SUBJECTS)} in {rng.choice(_TITLE_PLACES)} {rng.choice(_TITLE_PREDICATES)}"


def _paragraph(rng: random.Random) -> str:
    sentences: list[str] = []
    target = rng.randint(3, 5)
    while len(sentences) < target:
        if rng.random() < 0.25:
            sentence = rng.choice(_STANDALONE)
        else:
            sentence = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_CLAUSES)}{rng.choice(_TAILS)}."
        if sentence not in sentences:
            sentences.append(sentence)
    return " ".join(sentences)


def bulk_title(n: int) -> str:
    return _title(random.Random(n))


def _bulk_story(n: int) -> tuple[str, str, list[str]]:
    rng = random.Random(n)
    title = _title(rng)
    author = rng.choice(_AUTHORS)
    paragraphs = [_paragraph(rng) for _ in range(rng.randint(6, 12))]
    return title, author, paragraphs


def generated_article(n: int, published: datetime) -> Article:
    """The n-th article added by /_control/publish: deterministic text, publication time supplied."""
    rng = random.Random(1_000_000 + n)
    title = f"Live: {_title(rng)}"
    paragraphs = tuple(_paragraph(rng) for _ in range(rng.randint(6, 8)))
    return Article(
        slug=f"live-{n}-{slugify(title.removeprefix('Live: '))[:55].strip('-')}",
        title=title,
        language="en",
        template="newspaper",
        section="world",
        published=iso(published),
        authors=(rng.choice(_AUTHORS),),
        description=paragraphs[0].split(". ")[0] + ".",
        paragraphs=paragraphs,
        tags=("live",),
    )


def _mega_menu() -> str:
    cols = []
    for cat in _CATEGORIES:
        subs = "".join(
            f'<li><a href="/section/world/" data-cat="{slugify(cat)}-{slugify(s)}">{cat}: {s}</a></li>'
            for s in _SUBCATEGORIES
        )
        cols.append(f'<div class="mega-col"><h4>{cat}</h4><ul class="w-{len(cat)}">{subs}</ul></div>')
    return f'<div class="mega-menu" hidden>{"".join(cols)}</div>'


_MEGA_MENU = _mega_menu()


def _link_list(numbers: list[int], count: int) -> str:
    return "".join(f'<li><a href="{bulk_path(k)}">{_t(bulk_title(k))}</a></li>' for k in numbers if 1 <= k <= count)


def render_bulk_article(n: int, count: int) -> str | None:
    if not 1 <= n <= count:
        return None
    title, author, paragraphs = _bulk_story(n)
    p = PHRASES["en"]
    date = bulk_published(n)
    rng = random.Random(n * 31 + 7)
    body = []
    for i, para in enumerate(paragraphs):
        body.append(f"<p>{_t(para)}</p>")
        if i in (2, 6):
            body.append(
                f'<div class="ad-slot"><p class="ad-label">{p.advertisement}</p><div class="ad-unit"></div></div>'
            )
    comment_count = rng.randint(3, 8)
    comments = "".join(
        f'<li class="comment"><b class="fn">{rng.choice(_COMMENTERS)}</b> '
        f"<time>{display_date(date + timedelta(hours=k + 1), 'en')}</time>"
        f"<p>{_t(rng.choice(_COMMENT_TEXTS))}</p></li>"
        for k in range(comment_count)
    )
    trending = _link_list([n + k for k in range(1, 9)], count)
    most_read = _link_list([(n * 7 + k * 13) % count + 1 for k in range(10)], count)
    latest = _link_list([n - k for k in range(1, 11)], count)
    footer_links = "".join(
        f'<li><a href="/section/{s}/">{c} {s}</a></li>' for c in _CATEGORIES for s in ("world", "tech", "europe")
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_t(title)} | {SITE_NAME}</title>
<meta name="description" content="{_a(paragraphs[0][:150])}">
<meta name="author" content="{_a(author)}">
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="og:type" content="article">
<meta property="og:title" content="{_a(title)}">
<meta property="article:published_time" content="{iso(date)}">
<link rel="canonical" href="{bulk_path(n)}">
<style>
{_CSS}
</style>
{_ANALYTICS}
</head>
<body class="bulk-article">
<header class="site-header"><div class="brand"><a href="/">{SITE_NAME}</a></div>{_nav()}{_MEGA_MENU}</header>
<div class="consent" id="cookie-consent"><p>{p.cookie}</p><button type="button">{p.cookie_accept}</button></div>
<div class="trending"><h4>Trending</h4><ul>{trending}</ul></div>
<div class="layout">
<main id="content">
<nav class="breadcrumbs"><a href="/">Home</a> › <a href="/bulk/page/{(n - 1) // BULK_PER_PAGE + 1}/">Archive</a></nav>
<article class="story">
<h1>{_t(title)}</h1>
<p class="byline">By {_t(author)} · <time datetime="{iso(date)}">{display_date(date, "en")}</time></p>
<div class="story-body">
{chr(10).join(body)}
</div>
<div class="share-bar"><a href="#">{p.share[0]}</a> <a href="#">{p.share[1]}</a> <a href="#">{p.share[2]}</a></div>
<div class="newsletter-cta"><p>{_t(p.newsletter)}</p></div>
</article>
<section id="comments" class="comments"><h3>{comment_count} Comments</h3><ol>{comments}</ol>
<h3>{p.comments}</h3><form action="#"><textarea name="comment"></textarea><button>Post Comment</button></form>
</section>
</main>
<aside class="sidebar"><section><h4>Most read</h4><ol>{most_read}</ol></section>
<section><h4>Latest</h4><ul>{latest}</ul></section>
<div class="ad-slot"><p class="ad-label">{p.advertisement}</p></div></aside>
</div>
<footer class="site-footer"><ul>{footer_links}</ul><p>{_t(FOOTER_COPYRIGHT)}</p></footer>
"""
    tail = "</body>\n</html>\n"
    room = BULK_TARGET_BYTES - len(page.encode()) - len(tail) - len("<script>\n</script>\n")
    filler = _JS[: max(0, room)]
    filler = filler[: filler.rfind("\n")] if "\n" in filler else ""
    return f"{page}<script>\n{filler}</script>\n{tail}"


def bulk_page_count(count: int) -> int:
    return -(-count // BULK_PER_PAGE)


def render_bulk_listing(page: int, count: int) -> str | None:
    pages = bulk_page_count(count)
    if not 1 <= page <= pages:
        return None
    first = (page - 1) * BULK_PER_PAGE + 1
    numbers = range(first, min(first + BULK_PER_PAGE, count + 1))
    items = "\n".join(
        f'<li><a href="{bulk_path(k)}">{_t(bulk_title(k))}</a> '
        f'<time datetime="{iso(bulk_published(k))}">{display_date(bulk_published(k), "en")}</time></li>'
        for k in numbers
    )
    nav = []
    if page > 1:
        nav.append(f'<a rel="prev" href="/bulk/page/{page - 1}/">Newer</a>')
    if page < pages:
        nav.append(f'<a rel="next" href="/bulk/page/{page + 1}/">Older</a>')
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Archive - page {page} | {SITE_NAME}</title>
<meta property="og:site_name" content="{SITE_NAME}"><meta property="og:type" content="website"></head>
<body class="listing">
<header class="site-header"><div class="brand"><a href="/">{SITE_NAME}</a></div>{_nav()}</header>
<main><h1>Archive - page {page} of {pages}</h1>
<ol class="archive" start="{first}">
{items}
</ol>
<nav class="pagination">{" ".join(nav)}</nav>
</main>
</body>
</html>
"""


def bulk_lastmod(count: int) -> str:
    return iso(max((bulk_published(k) for k in range(1, count + 1)), default=BULK_EPOCH))


def render_bulk_sitemap(base: str, count: int) -> str:
    entries = "\n".join(
        f"<url><loc>{base}{bulk_path(k)}</loc><lastmod>{iso(bulk_published(k))}</lastmod></url>"
        for k in range(1, count + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}\n</urlset>\n'
    )
