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


# Attribute values met per pattern, with their verdicts, for one page at a time (``forget``): a page repeats
# its class names on many elements, and every trafilatura pass prunes the same page again. Bounded.
SEARCH_MEMO_SIZE = 20_000
_memos: list[dict[str, bool]] = []


def _search(pattern: str, flags: int = 0) -> Callable[[str], bool]:
    """``re:test(value, pattern)``: whether the pattern is found in the value, remembered per value."""
    search = re.compile(pattern, flags).search
    verdicts: dict[str, bool] = {}
    _memos.append(verdicts)

    def test(text: str) -> bool:
        verdict = verdicts.get(text)
        if verdict is None:
            if len(verdicts) >= SEARCH_MEMO_SIZE:
                verdicts.clear()
            verdict = verdicts[text] = search(text) is not None
        return verdict

    return test


def forget() -> None:
    """Drop the remembered verdicts: called for each new page, so that nothing is reused across documents
    (a benchmark of copies of one page measures the work of each copy)."""
    for verdicts in _memos:
        verdicts.clear()


class FastXPath:
    """Called like the XPath it replaces, on an element: the matching elements in document order.

    ``scope``: "descendants" for ``.//*`` (below the context element), "document" for ``//*`` (every
    element of the context's document, its root and any element beside it included). ``pick``: "all" the
    matches; "first" for ``(...)[1]``; "first_child" for ``.//*[...][1]`` (of each parent, its first
    matching child); "links" for ``...//a[@href]`` (the links below the matches, each once).
    ``reads``: every attribute the test reads, when it reads nothing else of the element but its tag: an
    element with none of them gets the verdict of a bare element of its tag (most elements of a page)."""

    def __init__(
        self,
        original: XPath,
        tags: tuple[str, ...] | None,
        test: Test,
        scope: str = "descendants",
        pick: str = "all",
        reads: frozenset[str] | None = None,
    ) -> None:
        self.original = original
        self.path = original.path
        self._tags: tuple = tags if tags else (Element,)  # lxml's filter for "elements only"
        self._test = test
        self._document = scope == "document"
        self._pick = pick
        self._reads = reads
        self._bare: dict[str, bool] = {}  # tag -> verdict on an element of that tag without attributes

    def __call__(self, context: _Element, **variables: object) -> list[_Element]:
        if variables or not isinstance(context, _Element):
            return self.original(context, **variables)  # not a case we replicate: trafilatura's own XPath
        test = self._test
        if self._document:
            candidates: Iterable[_Element] = _document_elements(context, self._tags)
        else:
            candidates = context.iterdescendants(*self._tags)
        if self._pick == "all":
            return self._matching(candidates)
        if self._pick == "links":
            return _links_below(self._matching(candidates))
        if self._pick == "first":
            return next(([element] for element in candidates if test(element)), [])
        if self._pick == "first_and_main":  # (.//*[...])[1]|(.//main)[1]: both, in document order
            found, first_seen, main_seen = [], False, False
            for element in candidates:
                if element.tag == "main":
                    if not main_seen:
                        main_seen = True
                        found.append(element)
                elif not first_seen and test(element):
                    first_seen = True
                    found.append(element)
                if first_seen and main_seen:
                    break
            return found
        # first_child
        parents: set[_Element] = set()  # held, so each parent keeps one proxy (identity)
        found = []
        for element in candidates:
            if test(element):
                parent = element.getparent()
                if parent not in parents:
                    parents.add(parent)
                    found.append(element)
        return found

    def _matching(self, candidates: Iterable[_Element]) -> list[_Element]:
        test, reads = self._test, self._reads
        if reads is None:
            return [element for element in candidates if test(element)]
        bare = self._bare
        found = []
        for element in candidates:
            if reads.isdisjoint(element.keys()):
                verdict = bare.get(element.tag)
                if verdict is None:
                    verdict = self._bare_verdict(element)
            else:
                verdict = test(element)
            if verdict:
                found.append(element)
        return found

    def _bare_verdict(self, element: _Element) -> bool:
        try:
            bare = Element(element.tag)
        except ValueError:  # a tag name lxml will not create ("o:p" from a parsed page): test the element itself
            return self._test(element)
        verdict = self._bare[element.tag] = self._test(bare)
        return verdict


def _document_elements(context: _Element, tags: tuple) -> Iterator[_Element]:
    """``//*``: every element of the context's document in document order. libxml2's HTML parser can leave
    elements beside the root element (content after ``</html>``), and ``//`` reaches them too."""
    root = context.getroottree().getroot()
    for top in (*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()):
        if isinstance(top.tag, str):
            yield from top.iter(*tags)


def _links_below(containers: list[_Element]) -> list[_Element]:
    """``//a[@href]`` below each container, in document order, each once (a later container is either
    inside an earlier one, its links seen already, or after it: concatenating keeps document order)."""
    seen: set[_Element] = set()
    links = []
    for container in containers:
        for link in container.iterdescendants("a"):
            if link.get("href") is not None and link not in seen:
                seen.add(link)
                links.append(link)
    return links


@dataclass(frozen=True, slots=True)
class _Spec:
    """One XPath to replace: where it lives, the shape it must have, and the test made from its literals."""

    table: str  # a list in trafilatura.xpaths
    index: int
    skeleton: str
    tags: tuple[str, ...] | None  # the self:: names of ``.//*[self::a or ...]``; None for ``.//*`` alone
    build: Callable[[list[str]], Test]
    scope: str = "descendants"
    pick: str = "all"
    reads: tuple[str, ...] | None = None  # the attributes the test reads, when that is all it reads


_BLOCKS_OD = ("div", "item", "list", "p", "section", "span")


def _matched_unless(lit: list[str], exempt: Test) -> Test:
    """``[re:test(@id, A) or re:test(@class, A)][EXEMPT or re:test(@id, B) or re:test(@class, B)]``: the
    id or class matches A, and the element is exempt or its id or class matches B too."""
    outer_id, outer_class, inner_id, inner_class = map(_search, lit)

    def test(element: _Element) -> bool:
        ident, cls = element.get("id") or "", element.get("class") or ""
        if not (outer_id(ident) or outer_class(cls)):
            return False
        return exempt(element) or inner_id(ident) or inner_class(cls)

    return test


def _raw_scroll(lit: list[str]) -> Test:
    # [re:test(@id, A) or re:test(@class, A)][not(.//h1) or re:test(@id, B) or re:test(@class, B)]
    return _matched_unless(lit, lambda element: next(element.iterdescendants("h1"), None) is None)


def _raw_share(lit: list[str]) -> Test:
    (needle,) = lit
    return lambda element: needle in (element.get("class") or "")


def _comments(lit: list[str]) -> Test:
    # [re:test(@id, I) or re:test(@class, C)]
    by_id, by_class = map(_search, lit)
    return lambda element: by_id(element.get("id") or "") or by_class(element.get("class") or "")


def _comments_and_lists(lit: list[str]) -> Test:
    # [re:test(@id, I) or re:test(@class, C)][not(self::ol or self::ul) or re:test(@id, I2) or re:test(@class, C2)]
    return _matched_unless(lit, lambda element: element.tag not in ("ol", "ul"))


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


def _search_flags(pattern: str, flags: str) -> Callable[[str], bool]:
    """``re:test(value, pattern, flags)``: lxml reads "i" (ignore case) from the flags."""
    return _search(pattern, re.IGNORECASE if "i" in flags else 0)


def _body_first(lit: list[str]) -> Test:
    # @class=A or @class=B or @itemprop=P or @id=I or re:test(@id, X) or re:test(@class, Y)
    class_a, class_b, itemprop, id_value = lit[:4]
    by_id, by_class = _search(lit[4]), _search(lit[5])

    def test(element: _Element) -> bool:
        get = element.get
        ident, cls = get("id"), get("class")
        if cls in (class_a, class_b) or get("itemprop") == itemprop or ident == id_value:
            return True
        return by_id(ident or "") or by_class(cls or "")

    return test


def _body_story(lit: list[str]) -> Test:
    # @role=R or @id=I1 or @id=I2 or @class=C1..C5 or re:test(@id, X) or re:test(@class, F, flags) or re:test(@class, Y)
    role, ids, classes = lit[0], (lit[1], lit[2]), tuple(lit[3:8])
    by_id, fulltext, by_class = _search(lit[8]), _search_flags(lit[9], lit[10]), _search(lit[11])

    def test(element: _Element) -> bool:
        get = element.get
        ident, cls = get("id"), get("class")
        if get("role") == role or ident in ids or cls in classes:
            return True
        cls = cls or ""
        return by_id(ident or "") or fulltext(cls) or by_class(cls)

    return test


def _body_main(lit: list[str]) -> Test:
    # @id=I or @class=C or re:test(@id, X) or re:test(@class, Y) or three contains(translate(...))
    id_value, class_value = lit[0], lit[1]
    by_id, by_class = _search(lit[2]), _search(lit[3])
    id_table, class_table_a, class_table_b = (str.maketrans(lit[i], lit[i + 1]) for i in (4, 7, 10))
    id_needle, class_needle_a, class_needle_b = lit[6], lit[9], lit[12]

    def test(element: _Element) -> bool:
        get = element.get
        ident, cls = get("id"), get("class")
        if ident == id_value or cls == class_value:
            return True
        ident, cls = ident or "", cls or ""
        return (
            by_id(ident)
            or by_class(cls)
            or id_needle in ident.translate(id_table)
            or class_needle_a in cls.translate(class_table_a)
            or class_needle_b in cls.translate(class_table_b)
        )

    return test


def _body_main_prefix(lit: list[str]) -> Test:
    # starts-with(@class, M) or starts-with(@id, M2) or starts-with(@role, M3)
    by_class, by_id, by_role = lit

    def test(element: _Element) -> bool:
        get = element.get
        return (
            (get("class") or "").startswith(by_class)
            or (get("id") or "").startswith(by_id)
            or (get("role") or "").startswith(by_role)
        )

    return test


def _child_string_is(element: _Element, name: str, value: str) -> bool:
    """XPath ``name='value'``: a child element ``name`` whose string value is ``value``."""
    return any(child.xpath("string()") == value for child in element.iterchildren(name))


def _author_specific(lit: list[str]) -> Test:
    # @rel=R or @id=I or @class=C or @itemprop=P or rel=M or @data-testid=T1 or @data-testid=T2 or re:test(@class, X)
    rel, id_value, class_value, itemprop, rel_child, testids = lit[0], lit[1], lit[2], lit[3], lit[4], (lit[5], lit[6])
    by_class = _search(lit[7])

    def test(element: _Element) -> bool:
        if element.tag == "author":  # |//author
            return True
        get = element.get
        cls = get("class")
        if get("rel") == rel or get("id") == id_value or cls == class_value or get("itemprop") == itemprop:
            return True
        if get("data-testid") in testids or by_class(cls or ""):
            return True
        return _child_string_is(element, "rel", rel_child)

    return test


def _author_generic(lit: list[str]) -> Test:
    # @class=B1..B4 or contains(@itemprop, N) or re:test(@id, X) or re:test(@class, Y)
    classes, needle = tuple(lit[:4]), lit[4]
    by_id, by_class = _search(lit[5]), _search(lit[6])

    def test(element: _Element) -> bool:
        get = element.get
        cls = get("class")
        if cls in classes or needle in (get("itemprop") or ""):
            return True
        return by_id(get("id") or "") or by_class(cls or "")

    return test


def _author_any(lit: list[str]) -> Test:
    # contains(@data-component, D) or contains(@itemprop, N) or re:test(@id, X) or re:test(@class, Y)
    component, itemprop = lit[0], lit[1]
    by_id, by_class = _search(lit[2]), _search(lit[3])

    def test(element: _Element) -> bool:
        get = element.get
        if component in (get("data-component") or "") or itemprop in (get("itemprop") or ""):
            return True
        return by_id(get("id") or "") or by_class(get("class") or "")

    return test


def _meta_container(lit: list[str]) -> Test:
    # re:test(@class, X) or starts-with(@id, P)
    by_class, prefix = _search(lit[0]), lit[1]
    return lambda element: by_class(element.get("class") or "") or (element.get("id") or "").startswith(prefix)


def _class_prefixes_or_values(prefixes: int, values: int, ids: int = 0) -> Callable[[list[str]], Test]:
    """starts-with(@class, P)... or @class=V... or @id=I... (literals in that order)."""

    def build(lit: list[str]) -> Test:
        starts = tuple(lit[:prefixes])
        equal = tuple(lit[prefixes : prefixes + values])
        ident = tuple(lit[prefixes + values : prefixes + values + ids])

        def test(element: _Element) -> bool:
            cls = element.get("class")
            if cls in equal or (ident and element.get("id") in ident):
                return True
            return bool(starts) and (cls or "").startswith(starts)

        return test

    return build


def _class_values_or_contains(values: int, needles: int) -> Callable[[list[str]], Test]:
    """@class=V... or contains(@class, N)... (literals in that order)."""

    def build(lit: list[str]) -> Test:
        equal, contained = tuple(lit[:values]), tuple(lit[values : values + needles])

        def test(element: _Element) -> bool:
            cls = element.get("class")
            return cls in equal or any(needle in (cls or "") for needle in contained)

        return test

    return build


def _tags_container(lit: list[str]) -> Test:
    # @class=V1 or @class=V2 or @class=V3 or re:test(@class, X)
    equal, by_class = tuple(lit[:3]), _search(lit[3])

    def test(element: _Element) -> bool:
        cls = element.get("class")
        return cls in equal or by_class(cls or "")

    return test


# Each replaced where it measured faster on the development pages; left alone: expressions without a
# regular expression that walk every element (TAGS_XPATHS[3]: libxml2 alone is faster than a Python loop).
# ``reads`` only on the tests of every element that read several attributes (elsewhere it measured slower).
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
        reads=("class", "id", "style", "aria-hidden"),
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
    _Spec(
        "BODY_XPATH",
        0,
        ".//*[self::article or self::div or self::main or self::section][ @class='?' or @class='?' or @itemprop='?' "
        "or @id='?' or re:test(@id, '?') or re:test(@class, '?') ][1]",
        ("article", "div", "main", "section"),
        _body_first,
        pick="first_child",
    ),
    _Spec(
        "BODY_XPATH",
        2,
        "(.//*[self::article or self::div or self::main or self::section][ @role='?' or @id='?' or @id='?' or "
        "@class='?' or @class='?' or @class='?' or @class='?' or @class='?' or re:test(@id, '?') or "
        "re:test(@class, '?', '?') or re:test(@class, '?') ])[1]",
        ("article", "div", "main", "section"),
        _body_story,
        pick="first",
    ),
    _Spec(
        "BODY_XPATH",
        3,
        "(.//*[self::article or self::div or self::main or self::section][ @id='?' or @class='?' or "
        "re:test(@id, '?') or re:test(@class, '?') or contains(translate(@id, '?','?'), '?') or "
        "contains(translate(@class, '?','?'), '?') or contains(translate(@class, '?','?'), '?') ])[1]",
        ("article", "div", "main", "section"),
        _body_main,
        pick="first",
    ),
    _Spec(
        "BODY_XPATH",
        4,
        "(.//*[self::article or self::div or self::section][ starts-with(@class, '?') or starts-with(@id, '?') or "
        "starts-with(@role, '?')])[1]|(.//main)[1]",
        ("article", "div", "section", "main"),
        _body_main_prefix,
        pick="first_and_main",
    ),
    _Spec(
        "AUTHOR_XPATHS",
        0,
        "//*[self::a or self::address or self::div or self::link or self::p or self::span or self::strong][ "
        "@rel='?' or @id='?' or @class='?' or @itemprop='?' or rel='?' or @data-testid='?' or @data-testid='?' or "
        "re:test(@class, '?')]|//author",
        ("a", "address", "div", "link", "p", "span", "strong", "author"),
        _author_specific,
        scope="document",
    ),
    _Spec(
        "AUTHOR_XPATHS",
        1,
        "//*[self::a or self::div or self::h3 or self::h4 or self::p or self::span][ @class='?' or @class='?' or "
        "@class='?' or @class='?' or contains(@itemprop, '?') or re:test(@id, '?') or re:test(@class, '?')]",
        ("a", "div", "h3", "h4", "p", "span"),
        _author_generic,
        scope="document",
    ),
    _Spec(
        "AUTHOR_XPATHS",
        2,
        "//*[ contains(@data-component, '?') or contains(@itemprop, '?') or re:test(@id, '?') or re:test(@class, '?')]",
        None,
        _author_any,
        scope="document",
        reads=("data-component", "itemprop", "id", "class"),
    ),
    _Spec(
        "CATEGORIES_XPATHS",
        0,
        "//div[ re:test(@class, '?') or starts-with(@id, '?')]//a[@href]",
        ("div",),
        _meta_container,
        "document",
        "links",
    ),
    _Spec(
        "CATEGORIES_XPATHS",
        1,
        "//p[starts-with(@class, '?') or starts-with(@class, '?') or @class='?' or @id='?']//a[@href]",
        ("p",),
        _class_prefixes_or_values(2, 1, 1),
        "document",
        "links",
    ),
    _Spec(
        "CATEGORIES_XPATHS",
        2,
        "//footer[starts-with(@class, '?') or starts-with(@class, '?')]//a[@href]",
        ("footer",),
        _class_prefixes_or_values(2, 0),
        "document",
        "links",
    ),
    _Spec(
        "CATEGORIES_XPATHS",
        3,
        "//*[self::li or self::span][@class='?' or @class='?' or @class='?' or contains(@class, '?')]//a[@href]",
        ("li", "span"),
        _class_values_or_contains(3, 1),
        "document",
        "links",
    ),
    _Spec(
        "CATEGORIES_XPATHS",
        4,
        "//header[@class='?']//a[@href]",
        ("header",),
        _class_prefixes_or_values(0, 1),
        "document",
        "links",
    ),
    _Spec(
        "CATEGORIES_XPATHS",
        5,
        "//div[@class='?' or @class='?']//a[@href]",
        ("div",),
        _class_prefixes_or_values(0, 2),
        "document",
        "links",
    ),
    _Spec(
        "TAGS_XPATHS",
        0,
        "//div[@class='?']//a[@href]",
        ("div",),
        _class_prefixes_or_values(0, 1),
        "document",
        "links",
    ),
    _Spec(
        "TAGS_XPATHS",
        1,
        "//p[starts-with(@class, '?')]//a[@href]",
        ("p",),
        _class_prefixes_or_values(1, 0),
        "document",
        "links",
    ),
    _Spec(
        "TAGS_XPATHS",
        2,
        "//div[@class='?' or @class='?' or @class='?' or re:test(@class, '?')]//a[@href]",
        ("div",),
        _tags_container,
        "document",
        "links",
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
            reads = frozenset(spec.reads) if spec.reads is not None else None
            matcher = FastXPath(original, spec.tags, spec.build(literals), spec.scope, spec.pick, reads)
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
