"""Speed-ups inside the extraction libraries that change no result, installed once per process by extract.py.

- trafilatura's hottest pruning XPaths, replaced by Python equivalents (``cleaners/fast_xpaths.py``);
- lxml.html finds the Python class of every element it hands to Python (a proxy is made each time code
  walks the tree) with a lookup written in Python (``HtmlElementClassLookup.lookup``); the same classes
  come from lxml's own lookups, in C, set on the parsers trafilatura and readability parse with.
  ``tests/test_speedups.py`` checks the classes against lxml.html's own lookup's.
- readability-lxml formats its debug messages eagerly (``log.debug("..." % describe(elem))``), naming an
  element and its parent about a hundred times a page even with debug logging off, and keeps every
  ``<div>``, ``<p>``, ``<tr>`` and ``<td>`` it named in a module-level dict until the next page. Its
  ``describe`` now names elements only when readability's debug log is on; nothing else reads it.
"""

from __future__ import annotations

import logging

from lxml import etree
from lxml import html as lxml_html
from readability import readability as readability_module
from trafilatura import utils as trafilatura_utils

from cleaners import fast_xpaths


def html_class_lookup() -> etree.ElementNamespaceClassLookup:
    """lxml.html's element classes (FormElement for <form>, HtmlElement otherwise, HtmlComment ...) from
    lxml's C lookups instead of ``HtmlElementClassLookup.lookup``."""
    fallback = etree.ElementDefaultClassLookup(
        element=lxml_html.HtmlElement,
        comment=lxml_html.HtmlComment,
        pi=lxml_html.HtmlProcessingInstruction,
        entity=lxml_html.HtmlEntity,
    )
    lookup = etree.ElementNamespaceClassLookup(fallback)
    by_name = lookup.get_namespace(None)
    for name, element_class in lxml_html.HtmlElementClassLookup._default_element_classes.items():
        by_name[name] = element_class
    return lookup


def html_parsers() -> tuple[etree.HTMLParser, ...]:
    """The parsers the cleaning's trees come from: trafilatura's (the page) and lxml.html's default
    (readability's output, read back with ``fragment_fromstring``). Copies keep their document's parser."""
    return (trafilatura_utils.HTML_PARSER, lxml_html.html_parser)


_READABILITY_LOG = logging.getLogger(readability_module.__name__)
_readability_describe = readability_module.describe


def describe_when_logged(node: etree._Element, depth: int = 1) -> str:
    """readability's ``describe`` (an element's name for its debug messages), or "" when its debug log is
    off: every call of it in readability-lxml formats a ``log.debug`` message (``tests/test_speedups.py``)."""
    if not _READABILITY_LOG.isEnabledFor(logging.DEBUG):
        return ""
    return _readability_describe(node, depth)


def new_page() -> None:
    """A new page starts: what the speed-ups remember of the last one is dropped (``fast_xpaths.forget``)."""
    fast_xpaths.forget()


_installed = False


def install() -> None:
    """Install every speed-up of this module, once per process."""
    global _installed
    if _installed:
        return
    fast_xpaths.install()
    readability_module.describe = describe_when_logged
    for parser in html_parsers():
        parser.set_element_class_lookup(html_class_lookup())
    _installed = True
