"""The updates of a live blog, as the page declares them, for the ones the extraction left out.

A live blog is a summary followed by dozens of timestamped updates, each in its own container (often its
own ``<article>``). Every extractor keeps one container, so the story comes out as the summary alone or
the first few updates. Pages that are live blogs say so in their JSON-LD: a ``LiveBlogPosting`` whose
``liveBlogUpdate`` list holds each update's headline and text (schema.org; used by news publishers so that
search engines can show the updates). When the extraction holds few of those updates, the missing ones are
added after it, in the page's order, each as its headline and its text. A page without that declaration,
or whose extraction already holds the updates, is left as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml.html import HtmlElement

# An update is held by the extraction when at least this share of its word triples is in it ...
UPDATE_HELD = 0.5
# ... and the updates are added only when the extraction holds less than this share of their text.
UPDATES_HELD_ENOUGH = 0.5
# An update shorter than this many words is a score line or a photo: nothing to add on its own.
UPDATE_MIN_WORDS = 5

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class LiveUpdate:
    """One update of a live blog: its headline (may be empty) and its text, in paragraphs."""

    headline: str
    paragraphs: tuple[str, ...]


def live_updates(tree: HtmlElement) -> list[LiveUpdate]:
    """The updates a page declares in a JSON-LD ``LiveBlogPosting`` (none when it declares none)."""
    updates: list[LiveUpdate] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        source = script.text or ""
        if "liveBlogUpdate" not in source:
            continue
        try:
            data = json.loads(source)
        except ValueError:  # broken JSON-LD is common; the page's text is still extracted
            continue
        for posting in _postings(data):
            found = posting.get("liveBlogUpdate")
            for update in found if isinstance(found, list) else [found]:
                if isinstance(update, dict) and (made := _update(update)) is not None:
                    updates.append(made)
    return updates


def _postings(data: object) -> Iterator[dict]:
    """Every JSON-LD object that holds ``liveBlogUpdate`` (at the top, in a list or in an ``@graph``)."""
    if isinstance(data, list):
        for item in data:
            yield from _postings(item)
    elif isinstance(data, dict):
        if "liveBlogUpdate" in data:
            yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _postings(graph)


def _update(update: dict) -> LiveUpdate | None:
    body = update.get("articleBody")
    if not isinstance(body, str):
        return None
    paragraphs = tuple(" ".join(part.split()) for part in body.split("\n") if part.strip())
    if sum(len(_WORD.findall(paragraph)) for paragraph in paragraphs) < UPDATE_MIN_WORDS:
        return None
    headline = update.get("headline")
    return LiveUpdate(" ".join(headline.split()) if isinstance(headline, str) else "", paragraphs)


def _triples(text: str) -> set[tuple[str, str, str]]:
    words = _WORD.findall(text.casefold())
    return set(zip(words, words[1:], words[2:], strict=False))


def add_missing_updates(paragraphs: list[str], updates: list[LiveUpdate]) -> list[str] | None:
    """The paragraphs with the updates the extraction left out added after them, or None when nothing is
    added (no updates, or the extraction already holds at least UPDATES_HELD_ENOUGH of their text)."""
    if not updates:
        return None
    held = set().union(*(_triples(paragraph) for paragraph in paragraphs))
    missing: list[LiveUpdate] = []
    total = covered = 0
    for update in updates:
        triples = _triples(" ".join(update.paragraphs))
        shared = len(triples & held)
        total += len(triples)
        covered += shared
        if shared < UPDATE_HELD * len(triples):
            missing.append(update)
    if not missing or covered >= UPDATES_HELD_ENOUGH * total:
        return None
    present = {paragraph.casefold() for paragraph in paragraphs}
    added = list(paragraphs)
    for update in missing:
        if update.headline and update.headline.casefold() not in present:
            added.append(update.headline)
        added.extend(update.paragraphs)
    return added
