"""cleaners/speedups.py: lxml.html's element classes from lxml's C lookups are the ones its Python lookup
gives; the XPath equivalents are tests/test_fast_xpaths.py's."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from lxml import html as lxml_html
from trafilatura import utils as trafilatura_utils

from bench._corpus import BenchDataMissing, bench_pages
from cleaners import extract, speedups  # noqa: F401  (extract installs the speed-ups)

GOLDEN = Path(__file__).resolve().parent / "golden"


def test_installed_on_import_of_extract(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    python_lookup = lxml_html.HtmlElementClassLookup.lookup

    def counted(self: object, node_type: str, *args: object) -> object:
        calls.append(node_type)
        return python_lookup(self, node_type, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(lxml_html.HtmlElementClassLookup, "lookup", counted)
    page = b"<html><body><div><p>a</p><form><input name=q></form></div></body></html>"
    for parser in speedups.html_parsers():
        assert len(list(lxml_html.fromstring(page, parser=parser).iter())) == 6
    assert calls == []  # no element went through lxml.html's Python lookup ...
    list(lxml_html.fromstring(page, parser=lxml_html.HTMLParser()).iter())
    assert calls  # ... which a parser of its own does use


def _pages() -> list[bytes]:
    pages = [p.read_bytes() for p in sorted((GOLDEN / "html").glob("*.html"))]
    with contextlib.suppress(BenchDataMissing):
        pages += [content for _, content in bench_pages()]
    return pages


def test_element_classes_are_lxml_htmls() -> None:
    """Every node of real pages (comments and processing instructions kept) gets the class lxml.html's
    own lookup gives it."""
    theirs = lxml_html.HTMLParser(remove_comments=False, remove_pis=False)
    ours = lxml_html.HTMLParser(remove_comments=False, remove_pis=False)
    ours.set_element_class_lookup(speedups.html_class_lookup())
    extra = b"<form><input name=a><select><option>1</select><textarea>t</textarea><label>l</label></form><?pi x?>"
    pages = [*_pages(), b"<html><body><!-- c -->" + extra + b"<svg:rect/><o:p>x</o:p></body></html>"]
    kinds: set[str] = set()
    for content in pages:
        expected = [type(node) for node in lxml_html.fromstring(content, parser=theirs).iter()]
        found = [type(node) for node in lxml_html.fromstring(content, parser=ours).iter()]
        assert found == expected
        kinds.update(cls.__name__ for cls in found)
    assert {"HtmlElement", "HtmlComment", "FormElement", "InputElement", "SelectElement"} <= kinds


def test_trafilaturas_parser_gives_the_same_classes_after_install() -> None:
    page = b"<html><body><form><input name=q></form><p>text</p></body></html>"
    tree = trafilatura_utils.load_html(page)
    assert [type(e).__name__ for e in tree.iter()] == [
        "HtmlElement",
        "HtmlElement",
        "FormElement",
        "InputElement",
        "HtmlElement",
    ]


def test_readability_describes_elements_only_for_its_debug_log() -> None:
    """Every call of ``describe`` in readability-lxml sits in a ``log.debug(...)`` call, so naming elements
    only when that log is on changes nothing else; with it on, the names are readability's own."""
    import ast
    import logging

    from readability import readability as module
    from readability.debug import describe

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    inside_debug: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "debug":
            inside_debug.update(id(inner) for inner in ast.walk(node))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "describe"
    ]
    assert calls and all(id(call) in inside_debug for call in calls)
    assert module.describe is speedups.describe_when_logged

    element = lxml_html.fromstring("<div id='a'><p class='b c'>x</p></div>").find(".//p")
    log = logging.getLogger(module.__name__)
    level = log.level
    try:
        log.setLevel(logging.INFO)
        assert speedups.describe_when_logged(element) == ""
        log.setLevel(logging.DEBUG)
        assert speedups.describe_when_logged(element) == describe(element)
    finally:
        log.setLevel(level)
