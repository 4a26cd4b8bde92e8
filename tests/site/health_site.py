"""Small news sites of the fixture server for per-site health and learned boilerplate (``/h/SITE/...``).

Each site (alpha, beta, gamma) has a home page (with ``<link rel="alternate">`` to its feed), an RSS feed
and ``STORIES`` story pages. Every story carries, inside its article container, the site's own footer
line and a recurring "more from this section" line (site boilerplate no global rule knows), and two
stories of the fifty carry one correction line (which must stay: it is not the site's template).

``/_control/template?site=beta&variant=teasers`` (or ``nav``) switches a site to a broken template: its
story pages then hold teasers only, or navigation in the article container; ``variant=normal`` and
``/_control/reset`` switch back. ``/_control/template?edition=N`` publishes edition N: the feeds then list
stories N*50+1 .. N*50+50, so each run of a recurring crawl finds fifty new stories per site.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from html import escape

SITES = {"alpha": "Harbour Gazette", "beta": "Valley Courier", "gamma": "Northern Ledger"}
STORIES = 50
VARIANTS = ("normal", "teasers", "nav")
#: Story numbers carrying the correction line (2 of 50: never learned as the site's template).
CORRECTED = (7, 31)
CORRECTION = "Correction: an earlier version of this story gave the wrong date for the council meeting."
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

_variant: dict[str, str] = {}
_edition = [0]
MAX_STORY = 100 * STORIES

_NOUNS = [
    "council",
    "budget",
    "harbour",
    "ferry",
    "school",
    "bridge",
    "hospital",
    "library",
    "market",
    "railway",
    "festival",
    "museum",
    "river",
    "stadium",
    "orchard",
    "factory",
    "bakery",
    "clinic",
    "tram",
    "depot",
    "airport",
    "garden",
    "quarry",
    "vineyard",
    "reservoir",
    "tunnel",
]
_PEOPLE = [
    "Ana Ruiz",
    "Tom Becker",
    "Priya Shah",
    "Lars Olsen",
    "Mei Chen",
    "Omar Haddad",
    "Sara Novak",
    "Jon Price",
    "Ines Costa",
    "Kofi Mensah",
    "Eva Lund",
    "Raj Patel",
    "Nora Quinn",
    "Ivan Petrov",
    "Lea Martin",
]
_VERBS = [
    "approved",
    "delayed",
    "rejected",
    "expanded",
    "reviewed",
    "funded",
    "closed",
    "reopened",
    "audited",
    "questioned",
    "praised",
    "doubled",
    "trimmed",
    "postponed",
    "inspected",
]
_PLACES = [
    "the old quarter",
    "the east bank",
    "the market square",
    "the north estate",
    "the harbour front",
    "the hill district",
    "the station road",
    "the river meadows",
    "the west gate",
    "the mill lane",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def footer_line(site: str) -> str:
    return f"The {SITES[site]} is an independent newspaper owned by its readers since 1871."


def section_line(site: str) -> str:
    """The "more from this section" line, worded so that no global rule removes it (only learning can)."""
    return f"Further stories from the {SITES[site]} town hall desk appear every weekday evening"


def health_reset() -> None:
    _variant.clear()
    _edition[0] = 0


def health_control(site: str | None, variant: str | None, edition: str | None = None) -> dict[str, object]:
    if edition is not None:
        if not edition.isdigit() or int(edition) >= MAX_STORY // STORIES:
            return {"error": f"edition: want 0..{MAX_STORY // STORIES - 1}"}
        _edition[0] = int(edition)
        return {"edition": _edition[0]}
    if site not in SITES or variant not in VARIANTS:
        return {"error": f"want ?site= one of {sorted(SITES)} and &variant= one of {list(VARIANTS)}, or ?edition=N"}
    _variant[site] = variant
    return {"site": site, "variant": variant}


def story_paragraphs(site: str, number: int) -> list[str]:
    """Five paragraphs of prose unique to the story (seeded: the same on every request)."""
    rng = random.Random(f"{site}-{number}")
    paragraphs = []
    for _ in range(5):
        sentences = []
        for _ in range(3):
            noun, other = rng.sample(_NOUNS, 2)
            sentences.append(
                f"The {noun} plan for {rng.choice(_PLACES)} was {rng.choice(_VERBS)} on {rng.choice(_DAYS)} "
                f"after {rng.randint(2, 900)} residents wrote about the {other}, {rng.choice(_PEOPLE)} said."
            )
        paragraphs.append(" ".join(sentences))
    return paragraphs


def story_title(site: str, number: int) -> str:
    rng = random.Random(f"title-{site}-{number}")
    noun = rng.choice(_NOUNS)
    return f"{noun.capitalize()} plan {rng.choice(_VERBS)} in {rng.choice(_PLACES).removeprefix('the ')} ({number})"


def _published(number: int) -> datetime:
    return _EPOCH - timedelta(hours=number)


def _story(site: str, number: int, base: str) -> str:
    variant = _variant.get(site, "normal")
    title = story_title(site, number)
    if variant == "teasers":
        items = "\n".join(
            f'      <li><a href="{base}/h/{site}/story/{k}.html">{escape(story_title(site, k))}</a></li>'
            for k in range(1, 13)
        )
        body = f"    <ul>\n{items}\n    </ul>\n"
    else:
        paragraphs = story_paragraphs(site, number)
        if variant == "nav":
            links = "\n".join(
                f'      <li><a href="{base}/h/{site}/section/{n}/">{n.capitalize()} news and more</a></li>'
                for n in _NOUNS[:14]
            )
            body = f"    <ul class='menu'>\n{links}\n    </ul>\n    <p>{escape(paragraphs[0])}</p>\n"
        else:
            lines = list(paragraphs)
            if number in CORRECTED:
                lines.append(CORRECTION)
            lines += [section_line(site), footer_line(site)]
            body = "".join(f"    <p>{escape(line)}</p>\n" for line in lines)
    published = _published(number).isoformat()
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{escape(title)} | {escape(SITES[site])}</title>
  <meta name="author" content="{escape(random.Random(number).choice(_PEOPLE))}">
  <meta property="article:published_time" content="{published}">
  <script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle","headline":"{escape(title)}","datePublished":"{published}"}}</script>
</head>
<body>
  <article>
    <h1>{escape(title)}</h1>
{body}  </article>
</body>
</html>
"""


def _home(site: str) -> str:
    items = "\n".join(
        f'    <li><a href="/h/{site}/story/{k}.html">{escape(story_title(site, k))}</a></li>' for k in range(1, 11)
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{escape(SITES[site])}</title>
  <link rel="alternate" type="application/rss+xml" title="{escape(SITES[site])}" href="/h/{site}/feed.xml">
</head>
<body><h1>{escape(SITES[site])}</h1><ul>
{items}
</ul></body>
</html>
"""


def _feed(site: str, base: str) -> str:
    items = "\n".join(
        f"<item><title>{escape(story_title(site, k))}</title><link>{base}/h/{site}/story/{k}.html</link>"
        f"<pubDate>{_published(k).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for k in range(_edition[0] * STORIES + 1, (_edition[0] + 1) * STORIES + 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{escape(SITES[site])}</title>'
        f"<link>{base}/h/{site}/</link><description>news</description>\n{items}\n</channel></rss>\n"
    )


def health_route(path: str, base: str) -> tuple[int, str, str] | None:
    """(status, body, content type) for a ``/h/...`` path, or None (404)."""
    parts = path.strip("/").split("/")
    if len(parts) < 2 or parts[1] not in SITES:
        return None
    site = parts[1]
    html = "text/html; charset=utf-8"
    if len(parts) == 2:
        return 200, _home(site), html
    if parts[2:] == ["feed.xml"]:
        return 200, _feed(site, base), "application/rss+xml; charset=utf-8"
    if len(parts) == 4 and parts[2] == "story" and parts[3].endswith(".html"):
        number = parts[3].removesuffix(".html")
        if number.isdigit() and 1 <= int(number) <= MAX_STORY:
            return 200, _story(site, int(number), base), html
    return None
