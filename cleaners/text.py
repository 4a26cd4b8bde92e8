"""Text normalization shared by rule matching, hashing and deduplication, and a page element's text as a
reader sees it (extraction, headline).

Rules match on a normalized form (so a non-breaking space or a curly apostrophe does not defeat a
pattern) while the output keeps the original characters.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from lxml.etree import iterwalk
from lxml.html import HtmlElement

_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
# Typographic punctuation folded to ASCII (or dropped: invisible characters) before matching and hashing.
_PUNCT_FOLD = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u00b4": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\ufeff": "",
    "\u00ad": "",
}


# A regular expression finds the few characters to fold at C speed; str.translate would look every character
# up in the table (~0.1 us each, the bulk of normalize's cost on a page).
_PUNCT = re.compile("[" + "".join(_PUNCT_FOLD) + "]")


def _fold_punctuation(match: re.Match[str]) -> str:
    return _PUNCT_FOLD[match.group()]


def normalize(text: str) -> str:
    """NFKC, typographic punctuation folded to ASCII, casefolded, whitespace collapsed and stripped."""
    text = _PUNCT.sub(_fold_punctuation, unicodedata.normalize("NFKC", text)).casefold()
    return _WHITESPACE.sub(" ", text).strip()


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


# Scripts written without spaces between words: Han ideographs, Japanese kana. One character is one word
# there (as word processors count East Asian text), so a Chinese or Japanese article is not a handful of
# "words" below min_words. Other runs of letters and digits are one word each, as before.
_UNSPACED = "\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ARTICLE_WORD = re.compile(f"[{_UNSPACED}]|[^\\W{_UNSPACED}]+")


def article_word_count(text: str) -> int:
    """Words of an article's text, for ``min_words`` and the record's ``word_count``: like
    :func:`word_count`, but each Han or kana character counts as a word. (Rule matching keeps
    :func:`word_count`: its limits were set on space-separated languages.)"""
    return len(_ARTICLE_WORD.findall(text))


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def content_hash(paragraphs: list[str]) -> str:
    """sha256 of the normalized text: equal for the same article whatever its whitespace or quotes."""
    return hashlib.sha256(normalize("\n".join(paragraphs)).encode("utf-8")).hexdigest()


def stable_id(key: str) -> str:
    """A short, stable id (128 bits of blake2b): same key, same id, on every machine and run."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=16).hexdigest()


# --- a page element's text as a reader sees it -----------------------------------------------------------

# Elements whose text is not shown as text.
NOT_TEXT_TAGS = frozenset({"script", "style", "noscript", "template"})
# Elements that start a new block of text: their text does not run on into the text beside them.
HTML_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure", "footer"}
    | {"form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "li", "main", "nav", "ol", "p", "pre", "section"}
    | {"table", "tbody", "td", "th", "thead", "tr", "ul", "body", "center", "font"}
)


def visible_text(element: HtmlElement) -> str:
    """A page element's text as a reader sees it: without what scripts and style sheets hold, a space where
    a block inside it (a paragraph, a line break) separates words, whitespace collapsed."""
    parts: list[str] = []
    hidden = 0  # how many script/style/... elements the walk is inside
    for event, node in iterwalk(element, events=("start", "end", "comment", "pi")):
        tag = node.tag if isinstance(node.tag, str) else ""
        if event in ("comment", "pi"):  # reported once, with no end: only its tail is text
            if not hidden and node.tail:
                parts.append(node.tail)
            continue
        if event == "start":
            hidden += tag in NOT_TEXT_TAGS
            if hidden or not tag:
                continue
            if tag in HTML_BLOCK_TAGS or tag == "br":
                parts.append(" ")
            if node.text:
                parts.append(node.text)
        else:
            hidden -= tag in NOT_TEXT_TAGS
            if hidden:
                continue
            if tag in HTML_BLOCK_TAGS:
                parts.append(" ")
            if node is not element and node.tail:
                parts.append(node.tail)
    return " ".join("".join(parts).split())
