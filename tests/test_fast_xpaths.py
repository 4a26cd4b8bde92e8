"""cleaners/fast_xpaths.py: each Python equivalent returns the very elements of the trafilatura XPath it
replaces, on real pages (every call made while cleaning them) and on random trees built from the XPaths'
own tokens, where attribute order, empty and missing attributes and nesting vary."""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from lxml.html import HtmlElement
from trafilatura import xpaths
from trafilatura.utils import load_html

from bench._corpus import BenchDataMissing, bench_pages
from cleaners import extract, fast_xpaths  # extract installs the equivalents
from cleaners.core import clean
from cleaners.document import RawDocument
from cleaners.fast_xpaths import FastXPath
from cleaners.options import load_options

GOLDEN = Path(__file__).resolve().parent / "golden"


def test_every_equivalent_is_installed_on_the_pinned_trafilatura() -> None:
    """A trafilatura upgrade that changes an expression's shape silently leaves its (slower) XPath in place:
    this says so."""
    names = {(spec.table, spec.index) for spec in fast_xpaths._SPECS}
    found = {
        (name, index)
        for name, index in names
        if isinstance(getattr(xpaths, name)[index], FastXPath)  # type: ignore[index]
    }
    assert found == names


def test_a_changed_expression_keeps_trafilaturas_xpath(monkeypatch: pytest.MonkeyPatch) -> None:
    scroll = xpaths.RAW_TREE_PRUNE_XPATH[0]
    changed = etree.XPath(".//*[self::div or self::section or self::aside][contains(@id, 'x')]")
    monkeypatch.setattr(xpaths, "RAW_TREE_PRUNE_XPATH", [scroll, changed])
    replaced = [index for table, index, _ in fast_xpaths._matchers() if table is xpaths.RAW_TREE_PRUNE_XPATH]
    assert replaced == [0]  # [0] still has the shape its equivalent was written for, [1] no longer


@contextlib.contextmanager
def _compared() -> Iterator[dict[str, list[int]]]:
    """Every call of an equivalent also runs its XPath; counts [calls, differing results] by expression."""
    counts: dict[str, list[int]] = {}
    call = FastXPath.__call__

    def checking(self: FastXPath, context: HtmlElement, **variables: object) -> list:
        mine = call(self, context, **variables)
        theirs = self.original(context, **variables)
        entry = counts.setdefault(self.path, [0, 0])
        entry[0] += 1
        entry[1] += len(mine) != len(theirs) or any(a is not b for a, b in zip(mine, theirs, strict=False))
        return mine

    FastXPath.__call__ = checking  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        FastXPath.__call__ = call  # type: ignore[method-assign]


def _pages() -> list[tuple[str, bytes]]:
    pages = [(p.name, p.read_bytes()) for p in sorted((GOLDEN / "html").glob("*.html"))]
    with contextlib.suppress(BenchDataMissing):
        pages += bench_pages()
    return pages


def test_same_elements_on_every_call_while_cleaning_real_pages() -> None:
    options = load_options(None)
    pages = _pages()
    assert len(pages) >= 9
    with _compared() as counts:
        for name, content in pages:
            clean(RawDocument(content=content, source_path=name, kind="html"), options)
    assert {path: wrong for path, (_, wrong) in counts.items() if wrong} == {}
    assert len(counts) == len(list(fast_xpaths.installed()))  # each one was exercised


# --- random trees made of the expressions' own tokens -----------------------------------------------------

_TAGS = (
    *("div", "section", "aside", "list", "details", "ol", "ul", "item", "p", "span", "a", "h1", "main", "article"),
    *("footer", "header", "li", "h3", "h4", "address", "strong", "link", "author", "rel", "a", "a"),
)
_ATTRIBUTES = (
    *("id", "class", "style", "role", "aria-hidden", "data-component", "data-lp-replacement-content"),
    *("href", "itemprop", "rel", "data-testid"),
)
_NOISE = ("", " ", "x", "main", "Nav", "hidden", "display: none", "true", "comments", "-", "title")


def _samples(literal: str) -> list[str]:
    """Strings a pattern matches, roughly: each alternative with its groups and classes at their first option
    and its optional characters and look-aheads left out; and the literal itself (``contains`` needles)."""
    text = re.sub(r"\(\?!(?:[^()]*)\)", "", literal)
    text = re.sub(r"\(\?:([^()|]*)(?:\|[^()]*)?\)", r"\1", text)
    text = re.sub(r"\[(.)[^\]]*\]", r"\1", text)
    text = re.sub(r".\?", "", text)
    return [literal, *(part.strip("^$") for part in text.split("|") if part.strip("^$"))]


def _random_tree(rng: random.Random, tokens: list[str], size: int, own_tags: tuple[str, ...] = ()) -> HtmlElement:
    """A page of ``size`` random elements, half of them of ``own_tags`` (the expression's), with random
    attributes in random order whose values are mostly made of ``tokens``."""
    root = load_html("<html><body><div>x</div></body></html>")
    assert root is not None
    elements = [root.find("body")]
    for _ in range(size):
        tag = rng.choice(own_tags) if own_tags and rng.random() < 0.5 else rng.choice(_TAGS)
        element = etree.SubElement(rng.choice(elements), tag)
        names = rng.sample(_ATTRIBUTES, rng.randint(0, 4))  # random source order of the attributes
        for attribute in names:
            words = [
                rng.choice(tokens if rng.random() < 0.7 else _NOISE) for _ in range(rng.choice((1, 1, 1, 0, 2, 3)))
            ]
            element.set(attribute, rng.choice(("", " ", "-")).join(words))
        element.text = rng.choice(("t", *tokens))
        elements.append(element)
    if rng.random() < 0.25:  # markup after </html>: libxml2 puts it in elements beside the root element
        body = root.find("body")
        split = rng.randint(0, len(body))
        after = b"".join(etree.tostring(child) for child in body[split:])
        for child in body[split:]:
            body.remove(child)
        root = load_html(etree.tostring(root) + after)
        assert root is not None
    return root


def test_elements_beside_the_root_element_are_in_the_document() -> None:
    """``//`` reaches the elements libxml2 leaves beside the root (markup after ``</html>``), ``.//`` not."""
    page = "<html><body><p>x</p></body></html><div class='row'><a href='/tags/x'>t</a></div>"
    tree = load_html(page)
    assert tree is not None and next(tree.itersiblings(), None) is not None
    for matcher in fast_xpaths.installed():
        assert matcher(tree) == matcher.original(tree), matcher.path
    assert len(xpaths.TAGS_XPATHS[2](tree)) == 1


def test_same_elements_on_random_trees() -> None:
    """Random trees whose attribute values are made of one expression's own patterns and literals (so they
    often match), in random attribute order, empty or missing, with random nesting and context elements."""
    rng = random.Random(20261205)
    for matcher in fast_xpaths.installed():
        tokens = sorted({piece for lit in fast_xpaths.skeleton(matcher.path)[1] for piece in _samples(lit)})
        matched = 0
        for _ in range(150):
            own_tags = (*(tag for tag in matcher._tags if isinstance(tag, str)), "a")
            tree = _random_tree(rng, tokens, rng.randint(5, 60), own_tags)
            context = rng.choice([tree, *tree.iter("div", "section", "body")])
            mine, theirs = matcher(context), matcher.original(context)
            assert len(mine) == len(theirs), matcher.path
            assert all(a is b for a, b in zip(mine, theirs, strict=True)), matcher.path
            matched += len(mine)
        assert matched >= 5, matcher.path  # the trees do hit the expression, not only miss it


def test_uninstall_puts_the_xpaths_back() -> None:
    before = list(fast_xpaths.installed())
    try:
        fast_xpaths.uninstall()
        assert list(fast_xpaths.installed()) == []
        assert all(isinstance(m.original, etree.XPath) for m in before)
    finally:
        fast_xpaths.install()
    assert len(list(fast_xpaths.installed())) == len(before)


def test_verdicts_are_forgotten_for_each_page() -> None:
    """Nothing is reused across documents: each page starts with no remembered verdict."""
    tree = load_html("<html><body><div class='comments-area'><p>x</p></div></body></html>")
    assert tree is not None
    for matcher in fast_xpaths.installed():
        matcher(tree)
    assert any("comments-area" in verdicts for verdicts in fast_xpaths._memos)
    extract.extract_html("<html><body><p>Another page.</p></body></html>", load_options(None).extractor_for(None, None))
    assert not any("comments-area" in verdicts for verdicts in fast_xpaths._memos)
