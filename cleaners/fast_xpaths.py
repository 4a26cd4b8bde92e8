"""Python equivalents of trafilatura's hottest pruning XPaths, installed in their place (same elements, faster).

Why: trafilatura prunes the page with XPath expressions of the form ``.//*[self::div or ...][re:test(@class,
'...') or ...]``. libxml2 walks every node for ``.//*`` and calls back into Python's ``re`` once per
candidate element and per ``re:test``; on the development pages these few expressions were about a fifth of
the CPU of ``presswash clean`` (each trafilatura pass prunes the raw page twice, the cleaned one twice more,
and the author search once more). The same test written as a loop over ``iterdescendants(tags)`` with
compiled patterns finds the same elements, in the same (document) order, in a quarter of the time.

Each equivalent is tied to the shape of the XPath it replaces: the XPath's text with its string literals
taken out must equal the one it was written for (``_Spec.skeleton``), and the literals (the class and id
patterns, which trafilatura's releases extend) are read from the XPath itself. An upgrade that changes an
expression's shape leaves trafilatura's own XPath in place. ``tests/test_fast_xpaths.py`` checks, on every
call while the development pages and the golden fixtures are extracted, that each equivalent returns the
very elements its XPath returns.

The XPath semantics reproduced: ``.//*`` is the context element's descendant elements (not itself);
``@a`` alone tests that the attribute exists; a string function of a missing attribute sees ""; a
function of ``@a|@b`` sees the one written first in the element's source (attribute order); ``re:test``
is ``re.search`` (lxml's EXSLT implementation, Unicode patterns, no flags).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from lxml.etree import Element, XPath, _Element
from trafilatura import xpaths

Matcher = Callable[[_Element], list[_Element]]
Test = Callable[[_Element], bool]

_LITERAL = re.compile(r"'([^']*)'")  # an XPath 1.0 string literal holds no quote of its own kind


def skeleton(path: str) -> tuple[str, list[str]]:
    """An XPath's text with whitespace collapsed and each string literal replaced by '?', and the literals."""
    text = " ".join(path.split())
    return _LITERAL.sub("'?'", text), _LITERAL.findall(text)


def _first(element: _Element, names: tuple[str, ...]) -> str:
    """The string value of ``@a|@b``: the first of these attributes in the element's source order, else ""."""
    for key, value in element.items():
        if key in names:
            return value
    return ""


def _search(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda text: compiled.search(text) is not None


class FastXPath:
    """Called like the XPath it replaces, on an element: the matching descendant elements in document order."""

    def __init__(self, original: XPath, tags: tuple[str, ...] | None, test: Test) -> None:
        self.original = original
        self.path = original.path
        self._tags: tuple = tags if tags else (Element,)  # lxml's filter for "elements only"
        self._test = test

    def __call__(self, context: _Element, **variables: object) -> list[_Element]:
        if variables or not isinstance(context, _Element):
            return self.original(context, **variables)  # not a case we replicate: trafilatura's own XPath
        test = self._test
        return [element for element in context.iterdescendants(*self._tags) if test(element)]


@dataclass(frozen=True, slots=True)
class _Spec:
    """One XPath to replace: where it lives, the shape it must have, and the test made from its literals."""

    table: str  # a list in trafilatura.xpaths
    index: int
    skeleton: str
    tags: tuple[str, ...] | None  # the self:: names of ``.//*[self::a or ...]``; None for ``.//*`` alone
    build: Callable[[list[str]], Test]


_BLOCKS_OD = ("div", "item", "list", "p", "section", "span")


def _raw_scroll(lit: list[str]) -> Test:
    # [re:test(@id, A) or re:test(@class, A)][not(.//h1) or re:test(@id, B) or re:test(@class, B)]
    outer_id, outer_class, inner_id, inner_class = map(_search, lit)

    def test(element: _Element) -> bool:
        ident, cls = element.get("id") or "", element.get("class") or ""
        if not (outer_id(ident) or outer_class(cls)):
            return False
        return next(element.iterdescendants("h1"), None) is None or inner_id(ident) or inner_class(cls)

    return test


def _raw_share(lit: list[str]) -> Test:
    (needle,) = lit
    return lambda element: needle in (element.get("class") or "")


def _comments(lit: list[str]) -> Test:
    # [re:test(@id, I) or re:test(@class, C)]
    by_id, by_class = map(_search, lit)
    return lambda element: by_id(element.get("id") or "") or by_class(element.get("class") or "")


def _comments_and_lists(lit: list[str]) -> Test:
    # [re:test(@id, I) or re:test(@class, C)][not(self::ol or self::ul) or re:test(@id, I2) or re:test(@class, C2)]
    by_id, by_class, list_id, list_class = map(_search, lit)

    def test(element: _Element) -> bool:
        ident, cls = element.get("id") or "", element.get("class") or ""
        if not (by_id(ident) or by_class(cls)):
            return False
        return element.tag not in ("ol", "ul") or list_id(ident) or list_class(cls)

    return test


def _overall_discard(lit: list[str]) -> Test:
    # @data-lp-replacement-content or contains(translate(@role, F, T), N) or contains(@data-component, D)
    # or re:test(@id|@class, X) or re:test(@id, I) or re:test(@class, C)
    source, target, role_needle, component_needle = lit[:4]
    either, by_id, by_class = map(_search, lit[4:])
    table = str.maketrans(source, target) if len(source) == len(target) else None
    if table is None:
        raise ValueError("translate() with strings of different lengths")  # not what this was written for

    def test(element: _Element) -> bool:
        get = element.get
        if get("data-lp-replacement-content") is not None:
            return True
        if role_needle in (get("role") or "").translate(table):
            return True
        if component_needle in (get("data-component") or ""):
            return True
        return either(_first(element, ("id", "class"))) or by_id(get("id") or "") or by_class(get("class") or "")

    return test


def _overall_hidden(lit: list[str]) -> Test:
    # @class=T or starts-with(@id|@class, R) or re:test(@id|@style, H) or contains(@style, S1) or
    # contains(@style, S2) or re:test(@id, I) or re:test(@class, C) or @aria-hidden=A
    title, prefix, hidden, style_a, style_b, id_pattern, class_pattern, aria = lit
    id_or_style, by_id, by_class = _search(hidden), _search(id_pattern), _search(class_pattern)

    def test(element: _Element) -> bool:
        get = element.get
        cls = get("class")
        if cls == title:
            return True
        if _first(element, ("id", "class")).startswith(prefix):
            return True
        if id_or_style(_first(element, ("id", "style"))):
            return True
        style = get("style") or ""
        if style_a in style or style_b in style:
            return True
        return by_id(get("id") or "") or by_class(cls or "") or get("aria-hidden") == aria

    return test


def _author_discard(lit: list[str]) -> Test:
    # @id=A or @class=B or @class=C or @class=D or re:test(@id, I) or re:test(@class, K) or contains(@data-component, F)
    id_value, class_a, class_b, class_c, id_pattern, class_pattern, component = lit
    by_id, by_class = _search(id_pattern), _search(class_pattern)
    classes = (class_a, class_b, class_c)

    def test(element: _Element) -> bool:
        get = element.get
        ident, cls = get("id"), get("class")
        if ident == id_value or cls in classes:
            return True
        return by_id(ident or "") or by_class(cls or "") or component in (get("data-component") or "")

    return test


def _teaser(lit: list[str]) -> Test:
    # contains(translate(@id, F, T), N) or contains(translate(@class, F2, T2), N2)
    id_table, class_table = str.maketrans(lit[0], lit[1]), str.maketrans(lit[3], lit[4])
    id_needle, class_needle = lit[2], lit[5]
    return lambda element: (
        id_needle in (element.get("id") or "").translate(id_table)
        or class_needle in (element.get("class") or "").translate(class_table)
    )


_SPECS = (
    _Spec(
        "RAW_TREE_PRUNE_XPATH",
        0,
        ".//*[self::div or self::section or self::aside][ re:test(@id, '?') or re:test(@class, '?')][ not(.//h1) "
        "or re:test(@id, '?') or re:test(@class, '?')]",
        ("div", "section", "aside"),
        _raw_scroll,
    ),
    _Spec(
        "RAW_TREE_PRUNE_XPATH",
        1,
        ".//*[self::div or self::section or self::aside][contains(@class, '?')]",
        ("div", "section", "aside"),
        _raw_share,
    ),
    _Spec(
        "REMOVE_COMMENTS_XPATH",
        0,
        ".//*[self::div or self::list or self::section or self::details][ re:test(@id, '?') or re:test(@class, '?')]",
        ("div", "list", "section", "details"),
        _comments,
    ),
    _Spec(
        "REMOVE_COMMENTS_AND_LISTS_XPATH",
        0,
        ".//*[self::div or self::list or self::section or self::details or self::ol or self::ul][ re:test(@id, '?') "
        "or re:test(@class, '?')][ not(self::ol or self::ul) or re:test(@id, '?') or re:test(@class, '?')]",
        ("div", "list", "section", "details", "ol", "ul"),
        _comments_and_lists,
    ),
    _Spec(
        "OVERALL_DISCARD_XPATH",
        0,
        ".//*[self::div or self::item or self::list or self::p or self::section or self::span][ "
        "@data-lp-replacement-content or contains(translate(@role, '?', '?'), '?') or "
        "contains(@data-component, '?') or re:test(@id|@class, '?') or re:test(@id, '?') or re:test(@class, '?')]",
        _BLOCKS_OD,
        _overall_discard,
    ),
    _Spec(
        "OVERALL_DISCARD_XPATH",
        1,
        ".//*[@class='?' or starts-with(@id|@class, '?') or re:test(@id|@style, '?') or contains(@style, '?') or "
        "contains(@style, '?') or re:test(@id, '?') or re:test(@class, '?') or @aria-hidden='?']",
        None,
        _overall_hidden,
    ),
    _Spec(
        "AUTHOR_DISCARD_XPATHS",
        0,
        ".//*[self::a or self::div or self::section or self::span][ @id='?' or @class='?' or @class='?' or "
        "@class='?' or re:test(@id, '?') or re:test(@class, '?') or contains(@data-component, '?')]",
        ("a", "div", "section", "span"),
        _author_discard,
    ),
    _Spec(
        "TEASER_DISCARD_XPATH",
        0,
        ".//*[self::div or self::item or self::list or self::p or self::section or self::span][ "
        "contains(translate(@id, '?', '?'), '?') or contains(translate(@class, '?', '?'), '?')]",
        _BLOCKS_OD,
        _teaser,
    ),
)


def _matchers() -> Iterator[tuple[list, int, FastXPath]]:
    for spec in _SPECS:
        table = getattr(xpaths, spec.table, None)
        if not isinstance(table, list) or spec.index >= len(table):
            continue
        original = table[spec.index]
        if isinstance(original, FastXPath):
            original = original.original  # installed already (a re-import): rebuild from trafilatura's own
        if not isinstance(original, XPath):
            continue
        shape, literals = skeleton(original.path)
        if shape != spec.skeleton:
            continue  # trafilatura changed this expression: keep its XPath
        try:
            matcher = FastXPath(original, spec.tags, spec.build(literals))
        except (ValueError, re.error):
            continue
        yield table, spec.index, matcher


def install() -> list[FastXPath]:
    """Put the equivalents in trafilatura's lists, in place (every module that imported a list sees them);
    returns those installed."""
    installed = []
    for table, index, matcher in _matchers():
        table[index] = matcher
        installed.append(matcher)
    return installed


def uninstall() -> None:
    """Put trafilatura's own XPaths back (tests compare the two)."""
    for name in {spec.table for spec in _SPECS}:
        table = getattr(xpaths, name, None)
        if isinstance(table, list):
            table[:] = [e.original if isinstance(e, FastXPath) else e for e in table]


def installed() -> Iterable[FastXPath]:
    """The equivalents now in place."""
    for name in dict.fromkeys(spec.table for spec in _SPECS):
        for element in getattr(xpaths, name, None) or ():
            if isinstance(element, FastXPath):
                yield element
