"""The article's headline: the page's own <h1>, or its metadata title without the site's name.

Metadata titles (``og:title``, ``<title>``) are written for search results and tabs: "Brief History of
Coffee - Charleston Coffee Roasters", "... | Harvard Health". The headline a reader sees is the page's <h1>.
So, in order:

1. the <h1> that the metadata title contains (most of its words), when there is one: the page and its
   metadata agree on the headline, and the <h1> carries it without the site's name;
2. the only <h1> of the page, when it reads as a headline (at least ``MIN_WORDS`` words): pages rewrite
   their metadata title for search engines more often than their <h1>;
3. the metadata title with a site-name segment cut off: a segment after (or before) a separator
   (" | ", " - ", " – ", " — ", " · ", " :: ") that is the site's name (``og:site_name``), or its domain;
4. the metadata title as it is.

In steps 1 and 2 the <h1> loses a site-name segment or a dangling separator of its own, and gives way to the
metadata title where it holds all of that title plus a label or a date ("Blog: ...", "Dec 18 2025 ...").

Each step says which evidence it used (``Headline.source``), so a wrong title can be traced.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from cleaners.text import visible_text

_WORD = re.compile(r"\w+")
# A separator between a title and a site name: spaced pipe, dash, en/em dash, middle dot, double colon.
_SEPARATOR = re.compile(r"\s+(?:\||-|\u2013|\u2014|\u00b7|::|\u2022|/|»)\s+")
# An <h1> with fewer words is a logo or a section name more often than a headline.
MIN_WORDS = 2
# Share of an <h1>'s words found in the metadata title for the two to name the same headline.
H1_IN_TITLE = 0.8
# Longer <h1> texts are whole blocks marked up as a heading, not headlines.
MAX_CHARS = 300


# Parts of a host name that are not the site's name.
_HOST_NOISE = frozenset({"www", "com", "org", "net", "co", "uk", "io", "de", "fr", "es", "edu", "gov", "news"})


@dataclass(frozen=True, slots=True)
class Headline:
    text: str | None
    source: str  # h1-matching-title, single-h1, title-inside-h1, title-without-site, title, none


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _clean(text: str) -> str:
    return " ".join(text.split())


def page_h1s(tree: HtmlElement) -> list[str]:
    """The texts of the page's <h1> elements, in document order, without empty or oversized ones and
    without logos: an <h1> that is one link to the site's home page names the site, not the story."""
    found = []
    for element in tree.iter("h1"):
        text = visible_text(element)  # "(US)<br>Your Guide" reads "(US) Your Guide", not "(US)Your Guide"
        if not text or len(text) > MAX_CHARS or text in found or _is_home_link(element, text):
            continue
        found.append(text)
    return found


def _is_home_link(element: HtmlElement, text: str) -> bool:
    links = element.findall(".//a")
    if len(links) != 1 or _clean(links[0].text_content()) != text:
        return False
    return urlsplit(links[0].get("href") or "").path in ("", "/")


def choose_headline(tree: HtmlElement, title: str | None, sitename: str | None, hostname: str | None) -> Headline:
    title = _clean(title) if title else None
    names_site = _site_test(sitename, hostname)
    h1s = [h1 for h1 in page_h1s(tree) if not names_site(h1)]  # a blog's or a site's name in an <h1> logo
    if title and h1s:
        title_words = set(_words(title))
        for h1 in h1s:
            words = _words(h1)
            if len(words) >= MIN_WORDS and sum(w in title_words for w in words) >= H1_IN_TITLE * len(words):
                return _agreed(h1, title, names_site)
    if len(h1s) == 1 and len(_words(h1s[0])) >= MIN_WORDS:
        return _agreed(h1s[0], title, names_site, "single-h1") if title else Headline(h1s[0], "single-h1")
    if not title:
        return Headline(h1s[0] if h1s else None, "h1" if h1s else "none")
    stripped = _strip_site(title, names_site)
    if stripped != title:
        return Headline(stripped, "title-without-site")
    return Headline(title, "title")


def _agreed(h1: str, title: str, is_site: Callable[[str], bool], source: str = "h1-matching-title") -> Headline:
    """The headline an <h1> and the metadata title agree on: the <h1> without a site-name segment or a
    separator left dangling ("How meditation rewires brains |"), or the title without its site name
    where the <h1> holds all of it and more that is a label or a date the theme put in the heading ("Dec 18
    2025 Preparing a transition", "Blog: Best agencies"); a longer headline whose title was cut short
    ("Composition techniques in landscape photography" over "Composition techniques in Landscape") stays."""
    heading = _strip_site(h1, is_site).rstrip(" |-\u2013\u2014\u00b7:\u2022/»").strip() or h1
    plain = _strip_site(title, is_site)
    if len(_words(plain)) >= MIN_WORDS and _words(plain) != _words(heading) and _inside(plain, heading):
        extra = _around(plain, heading)
        if any(ch.isdigit() for ch in extra) or heading.split(None, 1)[0].endswith(":"):
            return Headline(plain, "title-inside-h1")
    return Headline(heading, source)


def _around(shorter: str, longer: str) -> str:
    """The words of ``longer`` around ``shorter``'s (which ``_inside`` found in it)."""
    inner, outer = " ".join(_words(shorter)), " ".join(_words(longer))
    return outer.replace(inner, " ", 1)


def _inside(shorter: str, longer: str) -> bool:
    """Whether ``shorter``'s words appear, in order and together, in ``longer``."""
    return f" {' '.join(_words(shorter))} " in f" {' '.join(_words(longer))} "


def strip_site_name(title: str, sitename: str | None, hostname: str | None) -> str:
    """The title without a first or last segment that names the site (its name, or its domain's words)."""
    return _strip_site(title, _site_test(sitename, hostname))


def _strip_site(title: str, is_site: Callable[[str], bool]) -> str:
    separators = list(_SEPARATOR.finditer(title))
    if not separators:
        return title
    first, last = separators[0], separators[-1]
    if is_site(title[last.end() :]):
        return title[: last.start()].strip()
    if is_site(title[: first.start()]):
        return title[first.end() :].strip()
    return title


def _site_test(sitename: str | None, hostname: str | None) -> Callable[[str], bool]:
    """A test of whether a text is the site's name: its words are the site name's, or its domain's."""
    site_words = set(_words(sitename or ""))
    host_words = [w for w in _words(hostname or "") if w not in _HOST_NOISE]

    def is_site(segment: str) -> bool:
        words = _words(segment)
        if not words:
            return False
        if site_words and set(words) <= site_words | {"the"}:
            return True
        joined = "".join(w for w in words if w not in _HOST_NOISE)
        return bool(joined) and (joined in host_words or joined == "".join(host_words))

    return is_site
