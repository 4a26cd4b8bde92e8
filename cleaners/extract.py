"""HTML to article fields and paragraphs: three extractions compared, then a structural post-filter.

trafilatura does the hard part (main content, metadata). Around it, this module does what its text
output cannot, because it needs the page's structure, and what one extractor alone cannot, because each
fails on different layouts:

1. Before extraction, an article body split into several same-class containers (a layout that interleaves
   ad rails with the text) is joined, since trafilatura only reads the first container; what no reader sees
   (inline display:none, aria-hidden) is removed (``drop_hidden``).
2. Candidates: trafilatura's precision pass (the cleanest on news pages), its balanced pass where precision
   kept less than half of its sentence text (precision sometimes prunes the story itself), and
   readability-lxml where it holds half as much sentence text again as the pass kept (both trafilatura
   passes started from a wrong container: a page's first section, or a menu). "Sentence text" is measured
   the same way on each (``prose_chars``), and a candidate that cannot win is not run (``page_prose``).
   The record says which one was kept (``extracted_by``).
3. After extraction, a trafilatura pass gets back the page's subheadings and lists that sit among the
   paragraphs it kept (``put_back_story_blocks``: its loose-paragraph recovery leaves them out). Then each
   block of the output tree (paragraph, heading, list item, table row) is judged with what the text alone
   does not show: how much of it is link text (lists of related stories are runs of links), where it sits
   (the headline and dateline come before the first real paragraph; newsletter boxes and "You may also
   like" headers after the last), its heading level, and whether it repeats an earlier block (pages that
   carry the story twice).
4. The kept blocks are serialized to text, one line per block, as trafilatura's own text output does (a
   line break inside a sentence of a wrapped paragraph is joined: ``join_soft_breaks``); the
   headline comes from ``cleaners/headline.py`` and the page's kind from ``cleaners/page_type.py``.

No rule here names a site, a language or a phrase: the second pass (config/boilerplate.yaml) is the place
for phrases. Measured on the three development corpora with ``python -m bench.quality`` (BENCHMARKS.md).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import trafilatura
from lxml.etree import Comment, Element, ProcessingInstruction, XPath, strip_elements, strip_tags
from lxml.etree import iterwalk as etree_iterwalk
from lxml.html import HtmlElement, fragment_fromstring
from readability import Document as ReadabilityDocument
from readability.debug import describe
from readability.readability import REGEXES as READABILITY_REGEXES
from trafilatura.external import SANITIZED_XPATH, sanitize_tree
from trafilatura.metadata import (  # extract_domain (courlan) and find_date (htmldate) as trafilatura has them
    META_URL,
    check_authors,
    examine_meta,
    extract_author,
    extract_catstags,
    extract_domain,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
    find_date,
)
from trafilatura.settings import Document, Extractor
from trafilatura.utils import load_html
from trafilatura.xml import delete_element, xmltotxt
from trafilatura.xpaths import BODY_XPATH

from cleaners import speedups
from cleaners.headline import choose_headline
from cleaners.live_blog import add_missing_updates, live_updates
from cleaners.page_type import PageType, classify_page, page_structure
from cleaners.text import HTML_BLOCK_TAGS, visible_text

# trafilatura logs every page it cannot use, and oddities inside pages, at WARNING/ERROR: in a long crawl
# that is a line per page. We report rejections as typed values counted in the run's stats instead.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
# faster ways to the same results inside trafilatura, jusText and lxml (cleaners/speedups.py)
speedups.install()


@dataclass(slots=True)
class ExtractedPage:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    sitename: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    canonical_url: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    extracted_by: str = ""  # the candidate kept: precision, balanced or readability
    page_type: PageType | None = None
    cut_after_story: list[str] = field(default_factory=list)  # reported in the record's ``removed``


def _split_list(value: str | list[str] | None, separator: str) -> list[str]:
    if not value:
        return []
    # trafilatura 2.3 gives tags as a list of raw <meta> values, each possibly "a, b, c"
    values = value if isinstance(value, list) else [value]
    items = [part for text in values for part in text.split(separator)]
    out: list[str] = []
    for item in items:
        item = item.strip()
        if item and item not in out:
            out.append(item)
    return out


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# What a byline widget glues to a name: a label before it ("Author", "Written by"), a date after it
# ("February 8", "Last Updated August 1, 2025").
_AUTHOR_LABEL = re.compile(r"^(?:author|authors|written by|posted by|reviewed by|by|name)\s*:?\s+", re.IGNORECASE)
_DAY_OR_YEAR = r"(?:\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?|,?\s+\d{4})"
_AUTHOR_DATE = re.compile(  # a month alone may be a surname (Theresa May): only with a day, a year or a label
    rf"(?:^|\s+)(?:(?:last\s+)?(?:updated|published|posted)(?:\s+on)?\s+{_MONTH}(?:{_DAY_OR_YEAR})?|(?:on\s+)?{_MONTH}{_DAY_OR_YEAR})$",
    re.IGNORECASE,
)
# Names a theme fills in where it has no author: no person.
_NO_AUTHOR = frozenset(
    {"author", "authors", "by", "written by", "posted by", "the author", "name", "undefined", "null", "none"}
    | {"unknown", "admin", "administrator", "webmaster", "editor", "guest", "anonymous"}
)
_BARE_MONTH = re.compile(rf"^{_MONTH}$", re.IGNORECASE)


def clean_authors(names: list[str]) -> list[str]:
    """The author names without what a byline widget glued to them: a label before the name ("Author
    Isaiah Shelton"), a date after it ("Supermove February 8"), or a placeholder instead of it ("Written
    By", "Undefined", "Webmaster", a month alone)."""
    cleaned: list[str] = []
    for name in names:
        name = _AUTHOR_DATE.sub("", _AUTHOR_LABEL.sub("", name.strip())).strip(" ,;|-")
        if not name or name.casefold() in _NO_AUTHOR or _BARE_MONTH.match(name) or name in cleaned:
            continue
        cleaned.append(name)
    return cleaned


def extract_html(
    html: str,
    extractor: Extractor,
    *,
    metadata: str = "full",
    mode: str = "compare",
    article_threshold: float | None = None,
) -> ExtractedPage | None:
    """Extract the candidates and keep one (see below), then the structural post-filter and the headline.

    Returns None when no main text is found. The extractor must keep links (``links=True``, set in
    ``CleaningOptions``): link density is measured on trafilatura's output tree, and the links are stripped
    again before the text is made.
    """
    speedups.new_page()
    tree = load_html(html)
    if tree is None:
        return None
    structure = page_structure(tree)  # the page as parsed, as the page-type model was trained on it
    prepare_tree(tree)
    found = _extract_document(tree, extractor, body_search=metadata == "full", mode=mode)
    if found is None:
        return None
    document, extracted_by, cut = found
    body = document.body
    authors = clean_authors(_split_list(document.author, ";"))
    filter_blocks(body, document.title, authors)
    join_soft_breaks(body)
    _strip_links(body)
    text = xmltotxt(body, False)
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    with_updates = add_missing_updates(paragraphs, live_updates(tree))
    if with_updates is not None:  # a live blog whose updates sit outside the container kept
        paragraphs, extracted_by = with_updates, f"{extracted_by}+live_blog"
    tags = _split_list(document.tags, ",") or _split_list(document.categories, ",")
    headline = choose_headline(tree, document.title, document.sitename, document.hostname)
    published = document.date or None
    if published and published[5:10] == "01-01" and not _writes_new_year(html, published[:4]):
        published = None  # htmldate's last resort: the copyright year, or a year seen in the page
    page_type = classify_page(
        tree,
        url=extractor.url,
        text="\n".join(paragraphs),
        title=headline.text,
        published=document.date or None,  # as the model was trained: htmldate's date, guesses included
        authors=authors,
        structure=structure,
        threshold=article_threshold,
    )
    return ExtractedPage(
        title=headline.text,
        authors=authors,
        published=published,
        sitename=(document.sitename or "").strip() or None,
        description=(document.description or "").strip() or None,
        tags=tags,
        canonical_url=document.url if document.url and document.url != extractor.url else None,
        paragraphs=paragraphs,
        extracted_by=extracted_by,
        page_type=page_type,
        cut_after_story=cut,
    )


_ENDS_SENTENCE = frozenset(".!?:;")


# A line a break cuts inside a sentence is a wrapped line of prose when it holds at least this many
# characters (text pasted from a fixed-width source wraps at 60-80); verse and address lines are shorter.
SOFT_BREAK_MIN_LINE = 50


def join_soft_breaks(body: HtmlElement) -> int:
    """Join the lines of a paragraph that a line break cuts inside a sentence of prose: a long line that
    ends no sentence, then a word in lower case ("... accessories used in a<br>fitness facility"). Text
    pasted from a fixed-width source keeps its line ends as ``<br>``; a browser shows them, but the text
    output would make each a paragraph of its own. Short lines (verse, addresses, a title over its
    author), lines that start with a capital, a digit, a mark or a web address stay as they are. Only
    breaks directly in a block are joined. Returns the number of breaks joined."""
    joined = 0
    for block in dict.fromkeys(lb.getparent() for lb in body.iter("lb")):
        if block is None or block.tag in _PREFORMATTED:
            continue
        line = block.text or ""
        for child in list(block):
            if child.tag != "lb":
                line += "".join(child.itertext()) + (child.tail or "")
                continue
            after = (child.tail or "").lstrip()
            before = line.rstrip()
            line = child.tail or ""
            if (
                len(before) < SOFT_BREAK_MIN_LINE
                or not after[:1].islower()
                or before[-1] in _ENDS_SENTENCE
                or after.split(None, 1)[0].startswith(("http", "www."))
            ):
                continue
            previous = child.getprevious()
            if previous is None:
                block.text = (block.text or "").rstrip() + " " + after
            else:
                previous.tail = (previous.tail or "").rstrip() + " " + after
            block.remove(child)
            joined += 1
    return joined


def prepare_tree(tree: HtmlElement) -> None:
    """The page as the passes read it: a split body joined, link lookalikes inside sentences unmarked, what
    no reader sees removed."""
    join_split_body(tree)
    unmark_link_lookalikes(tree)
    drop_hidden(tree)


def _strip_links(body: HtmlElement) -> None:
    """Remove the link elements, keeping their text.

    trafilatura's readability fallback, when it keeps links, starts a new paragraph at a link and loses the
    space after it ("<p><ref>MacBook Pro</ref>was released"): a link that opens its paragraph and is glued
    to an ASCII word gets that space back. Only there: inside a sentence a glued link is the page's own
    markup ("<a>a</a>ttacking"), and CJK text has no spaces to lose."""
    for ref in body.iter("ref"):
        parent = ref.getparent()
        opens = ref.getprevious() is None and parent is not None and not (parent.text or "").strip()
        text = "".join(ref.itertext())
        if opens and text and ref.tail and _ascii_alnum(text[-1]) and _ascii_alnum(ref.tail[0]):
            ref.tail = " " + ref.tail
    strip_tags(body, "ref")


def _ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


# --- Candidates: three extractions of the same page, and which one to keep ----------------------------------
#
# trafilatura's precision mode is the cleanest on news pages, but on some layouts it prunes the story itself
# (a whole page gone, or half of it); its balanced mode keeps those, and more clutter elsewhere; readability
# finds the story where both start from a wrong container (a page's first section, or a menu). Each fails on
# different pages, and the failure shows in one number: how much sentence text a candidate holds. So every
# page gets the precision pass; the balanced pass replaces it when precision kept less than half of the
# balanced pass's sentence text, or fills it in when it holds precision's story and adds blocks inside it
# (``_fills_in``: lists and subheadings precision pruned); readability replaces the result when it holds
# half as much again, or when it holds the result's text and adds the story's blocks beside it (``_extends``);
# where readability holds most of the result and ends earlier, the result ends there too.
# Measured on the three development corpora with ``python -m bench.quality``.

# A line of at least this many words is sentence text (a paragraph, not a label, menu entry or headline).
PROSE_MIN_WORDS = 5
# The balanced pass replaces the precision pass when it holds more than this many times its sentence text.
BALANCED_OVER_PRECISION = 2.0
# readability replaces the chosen trafilatura pass when it holds more than this many times its sentence text.
READABILITY_OVER_CHOSEN = 1.5


@dataclass(slots=True)
class Candidate:
    """One extraction of the page: trafilatura's output tree (or readability's, converted to it)."""

    name: str
    body: HtmlElement
    text: str
    prose: int = 0
    triples: frozenset[tuple[str, str, str]] = frozenset()
    cut: list[str] = field(default_factory=list)  # lines cut after the story (``_ends_where_readability_ends``)


def prose_chars(body: HtmlElement) -> int:
    """The sentence text of a candidate, in characters (``prose_of``)."""
    return prose_of(body)[0]


def prose_of(body: HtmlElement, text: str | None = None) -> tuple[int, frozenset[tuple[str, str, str]]]:
    """The sentence text of a candidate: characters of its distinct word triples in text lines of at least
    PROSE_MIN_WORDS words (each triple counted once, at the length of its words).

    Lines as trafilatura writes them (a block, or a part of one between line breaks), so a menu that a
    fallback put into one paragraph with a break per entry counts as the short lines it is; distinct
    triples, so a banner repeated in twenty variants ("Free shipping on orders over ...") counts about once.
    A table row ("| a | b | c |") is a line per cell: a table of names or prices beside a story (award
    winners, a pricing grid) holds no sentence, while a layout table's cells of paragraphs do.

    ``text``: the body's text as ``xmltotxt(body, False)`` writes it, where the caller has it already."""
    seen: set[tuple[str, str, str]] = set()
    total = 0
    for line in _prose_lines(xmltotxt(body, False) if text is None else text):
        words = _WORD.findall(line.casefold())
        if len(words) < PROSE_MIN_WORDS:
            continue
        for triple in zip(words, words[1:], words[2:], strict=False):
            if triple not in seen:
                seen.add(triple)
                total += len(triple[0]) + 1
    return total, frozenset(seen)


_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*\)")  # xmltotxt writes a kept link as [text](target)
# A line with at least this share of link text is a menu, a tag list or a promo, not a sentence.
PROSE_MAX_LINK_SHARE = 0.5


def _prose_lines(text: str) -> Iterator[str]:
    """The lines of a candidate's text as sentence text is counted: a table row split into its cells,
    link targets left out (a URL is not words of the page), lines made mostly of link text skipped."""
    for row in text.split("\n"):
        for line in row.split("|") if row.lstrip().startswith("|") else (row,):
            links = sum(len(match.group(1)) for match in _LINK.finditer(line))
            if links:
                line = _LINK.sub(r"\1", line)
                if links >= PROSE_MAX_LINK_SHARE * len(line.strip()):
                    continue
            yield line


def _extract_document(
    tree: HtmlElement, extractor: Extractor, *, body_search: bool = True, mode: str = "compare"
) -> tuple[Document, str, list[str]] | None:
    """The main text as trafilatura's output tree, with the metadata, the name of the candidate kept and the
    lines cut from it after the story.

    ``mode``: ``compare`` (the candidates above), ``precision`` or ``balanced`` (that pass alone, with
    trafilatura's own readability/jusText comparison when its text is short).

    The passes run without metadata and without the URL: with a URL trafilatura rewrites every kept link's
    target to an absolute URL (~5 ms a page), and we keep links only to measure link density. The metadata
    comes from the very function trafilatura would call, once, on the untouched tree (``bare_extraction``
    works on a copy).
    """
    text_only = copy.copy(extractor)
    text_only.with_metadata = False
    text_only.url = None
    chosen = _compare(tree, text_only) if mode == "compare" else _trafilatura(tree, text_only, mode)
    if chosen is None:
        return None
    if chosen.name != "readability":
        put_back_story_blocks(chosen, tree)
    document = _metadata(tree, extractor, body_search=body_search) if extractor.with_metadata else Document()
    document.body, document.text = chosen.body, chosen.text
    return document, chosen.name, chosen.cut


def _pass(tree: HtmlElement, options: Extractor, focus: str, *, fast: bool = True) -> Candidate | None:
    variant = copy.copy(options)
    variant.focus = focus
    variant.fast = fast
    document = trafilatura.bare_extraction(tree, options=variant)
    if document is None or document.body is None or not document.text:
        return None
    # trafilatura wrote document.text with xmltotxt(body, formatting): the very text prose_of reads
    same_text = document.text if not variant.formatting else None
    return Candidate(focus, document.body, document.text, *prose_of(document.body, same_text))


def _trafilatura(tree: HtmlElement, options: Extractor, focus: str) -> Candidate | None:
    """One trafilatura pass. trafilatura compares every extraction with readability and jusText, which
    costs about 40% of its time and changes the result only where its own text is short or unclean; so
    its fast pass runs first and the full one only when it could matter (FAST_MIN_CHARS,
    FAST_MIN_PARAGRAPH_SHARE), as the whole cascade would."""
    found = _pass(tree, options, focus)
    if found is None or _needs_full_pass(found, tree):
        rerun = _pass(tree, options, focus, fast=False)
        found = rerun or found
    return found


# The fast pass is kept when its text is at least this long and at least this share of the page's
# paragraph text; below either, trafilatura's comparison could pick a longer text, so the full pass runs.
FAST_MIN_CHARS = 2000
FAST_MIN_PARAGRAPH_SHARE = 0.5
_PAGE_PARAGRAPH_TEXT = XPath("//p//text()")
# What makes trafilatura's comparison call jusText on an otherwise long extraction ("unclean" output).
_UNCLEAN = XPath(SANITIZED_XPATH)


def _needs_full_pass(found: Candidate, tree: HtmlElement) -> bool:
    length = len(found.text)
    if length < FAST_MIN_CHARS or _UNCLEAN(found.body):
        return True
    page_chars = len(" ".join("".join(_PAGE_PARAGRAPH_TEXT(tree)).split()))
    return length < FAST_MIN_PARAGRAPH_SHARE * page_chars


def _compare(tree: HtmlElement, options: Extractor) -> Candidate | None:
    """Precision first; balanced where precision cut the story or pruned blocks inside it; readability where
    both look like part of it, or where it extends the kept pass with the story's blocks beside it. A later
    candidate runs only when it could win: it cannot hold more sentence text than the page itself
    (``page_prose``), which spares most pages the balanced and readability runs."""
    page = page_prose(tree)
    chosen = precise = _trafilatura(tree, options, "precision")
    if precise is None or BALANCED_RUN_BELOW * precise.prose < page:
        balanced = _trafilatura(tree, options, "balanced")
        if balanced is not None and (
            precise is None or balanced.prose > BALANCED_OVER_PRECISION * precise.prose or _fills_in(balanced, precise)
        ):
            chosen = balanced
    flat = chosen is not None and _is_flattened(chosen)
    if chosen is None or flat or READABILITY_RUN_BELOW * chosen.prose < page:
        generic = _readability(tree, options)
        if generic is not None and (
            chosen is None
            or (flat and generic.prose >= FLAT_READABILITY_HOLDS * chosen.prose)
            or generic.prose > READABILITY_OVER_CHOSEN * chosen.prose
            or _extends(generic, chosen)
        ):
            chosen = generic
        elif generic is not None and chosen is not None:
            _ends_where_readability_ends(generic, chosen)
    return chosen


# The balanced pass runs when the precision pass holds less than 1/this of the page's sentence text (as
# readability, READABILITY_RUN_BELOW): below it, the page has text the balanced pass could fill in.
BALANCED_RUN_BELOW = 1.35
# The balanced pass fills in the precision pass (``_fills_in``) when, between the precision pass's first and
# last paragraphs, it adds non-link blocks of more than this share of the precision pass's characters.
# Measured on the development corpora: 0.02 and 0.1 change more pages for the worse or fewer for the better.
FILL_MIN_ADDED = 0.05


def _block_text(element: HtmlElement) -> str:
    """An element's text, whitespace collapsed."""
    return " ".join("".join(element.itertext()).split())


def _link_chars(element: HtmlElement, link: str = "ref") -> int:
    """The characters of a block's link text: trafilatura's ``ref`` elements in its output, ``a`` in a page."""
    return sum(len("".join(ref.itertext())) for ref in element.iter(link))


def _held_by(triples: set[tuple[str, str, str]], other: Candidate) -> bool:
    """Whether a block with these word triples is ``other``'s own (EXTEND_SHARED_BLOCK of them in it)."""
    return len(triples & other.triples) >= EXTEND_SHARED_BLOCK * len(triples)


def _block_triples(element: HtmlElement) -> tuple[set[tuple[str, str, str]], str]:
    """An output block's word triples, line by line as ``prose_of`` counts them, and its words."""
    text = xmltotxt(element, False) if len(element) else (element.text or "")
    triples: set[tuple[str, str, str]] = set()
    for line in _prose_lines(text):
        triples |= _triples(line)
    return triples, _normalized(text)


def _fills_in(wider: Candidate, narrower: Candidate) -> bool:
    """Whether ``wider`` holds ``narrower``'s story with blocks inside it that ``narrower`` dropped; if so,
    cut ``wider`` to the span of ``narrower``'s first to last block, without the added link blocks."""
    if _covers(wider, narrower) < EXTEND_MIN_COVER or _line_cover(wider, narrower) < EXTEND_MIN_LINE_COVER:
        return False
    words = _normalized(narrower.text)
    children = list(wider.body)
    shared: list[int] = []
    anchors: list[int] = []  # the shared blocks of sentence text: the span runs from the first to the last
    for index, child in enumerate(children):
        triples, text = _block_triples(child)
        if not text:
            continue
        if triples:
            if _held_by(triples, narrower):
                shared.append(index)
                anchors.append(index)
        elif text in words:
            shared.append(index)
    if not anchors:
        return False
    first, last, held = anchors[0], anchors[-1], set(shared)
    added, links = 0, []
    for index in range(first + 1, last):
        if index in held:
            continue
        child = children[index]
        length = len(_block_text(child))
        if length and _link_chars(child) >= EXTEND_MAX_LINK_SHARE * length:
            links.append(child)
        else:
            added += length
    if added <= FILL_MIN_ADDED * len(narrower.text):
        return False
    for index, child in enumerate(children):
        if index < first or index > last or child in links:
            delete_element(child, keep_tail=False)
    _put_back_lost_blocks(wider, narrower)
    wider.text = xmltotxt(wider.body, False)
    wider.prose, wider.triples = prose_of(wider.body, wider.text)
    return True


# The kept pass is cut where readability's story ends (``_ends_where_readability_ends``) when readability
# holds at least this share of the pass's sentence text ...
TRIM_MIN_HELD = 0.7
# ... and what follows its last paragraph in the pass is between these shares of the pass's characters:
# less is not worth a guess; more means readability kept one section of a longer story. Measured on the
# development corpora: a readability that holds under 0.7, or a cut over 0.35, was a section of the story.
TRIM_MIN_CUT = 0.1
TRIM_MAX_CUT = 0.35


def _ends_where_readability_ends(generic: Candidate, chosen: Candidate) -> bool:
    """Cut the kept pass after the last paragraph readability holds, if readability holds most of it.

    readability scores containers and keeps the story's own; trafilatura's passes run on past the story's
    end on some layouts (an author bio box, teaser cards of other posts, a company boilerplate, a FAQ
    widget). When readability holds most of the pass's sentence text and ends earlier, the blocks of the
    pass after readability's last paragraph are another section of the page (TRIM_*)."""
    if _covers(chosen, generic) < EXTEND_MIN_COVER or generic.prose < TRIM_MIN_HELD * chosen.prose:
        return False
    children = list(chosen.body)
    last = None
    for index, child in enumerate(children):
        triples, _ = _block_triples(child)
        if triples and _held_by(triples, generic):
            last = index
    if last is None:
        return False
    tail = children[last + 1 :]
    cut = sum(len(_block_text(child)) for child in tail)
    if not TRIM_MIN_CUT * len(chosen.text) <= cut <= TRIM_MAX_CUT * len(chosen.text):
        return False
    for child in tail:
        shown = copy.deepcopy(child)
        shown.tail = None
        _strip_links(shown)
        chosen.cut.extend(line.strip() for line in xmltotxt(shown, False).split("\n") if line.strip())
        delete_element(child, keep_tail=False)
    chosen.text = xmltotxt(chosen.body, False)
    chosen.prose, chosen.triples = prose_of(chosen.body, chosen.text)
    return True


# A candidate of one line at least this long is the page flattened, not an extraction (``_is_flattened``).
FLAT_MIN_CHARS = 1000


# readability replaces a flattened pass when it holds at least this share of its sentence text.
FLAT_READABILITY_HOLDS = 0.5


def _is_flattened(found: Candidate) -> bool:
    """Whether the candidate is the page's text in one line: trafilatura's last resort when its passes find
    no structure (its baseline), the story mixed with the page's menus and footers. readability, which
    scores the page's containers, replaces it wherever it finds a container with most of that text."""
    text = found.text.strip()
    return len(text) >= FLAT_MIN_CHARS and "\n" not in text


# readability extends the kept pass (see ``_extends``): it holds at least this share of the pass's sentence
# text (it starts from the same story) ...
EXTEND_MIN_COVER = 0.9
# ... and at least this share of the pass's lines, headings included (readability drops some; they are put back) ...
EXTEND_MIN_LINE_COVER = 0.8
# A readability block is the pass's own when this share of its word triples is in the pass's text.
EXTEND_SHARED_BLOCK = 0.8
# ... and adds, beside the pass's text, blocks of at least this share of the pass's characters.
EXTEND_MIN_ADDED = 0.15
# "Beside": between the pass's first and last blocks (the page around the story is before and after it),
# and at most this many levels up from an added block to an element that holds the pass's text.
# Sections and lists of the story are 1-2 levels away; captions, paywall boxes and inline promos 3 or more.
EXTEND_MAX_DISTANCE = 2
# An added block with this share of link text or more is a promo or a menu, never part of the story.
EXTEND_MAX_LINK_SHARE = 0.5
# readability runs when the kept pass holds less than 1/this of the page's sentence text: on the
# development corpora every page readability extended or replaced is below it.
READABILITY_RUN_BELOW = 1.35

_TEXT_BLOCKS = ("p", "item", "head", "quote", "cell")
_LINE_BLOCKS = frozenset({"p", "item", "head"})  # a text block inside one of these is part of its line
_WHOLE_BLOCKS = _LINE_BLOCKS | {"list", "table", "quote"}  # put back whole


def _triples(text: str) -> set[tuple[str, str, str]]:
    """A line's word triples, as ``prose_of`` counts them (none for a line under PROSE_MIN_WORDS words)."""
    words = _WORD.findall(text.casefold())
    if len(words) < PROSE_MIN_WORDS:
        return set()
    return set(zip(words, words[1:], words[2:], strict=False))


def _normalized(text: str) -> str:
    """A line's words, lower case, link targets left out (candidates write links differently)."""
    return " ".join(_WORD.findall(_LINK.sub(r"\1", text).casefold()))


def _outer_blocks(body: HtmlElement, tags: tuple[str, ...], inside: frozenset[str]) -> list[HtmlElement]:
    """The body's blocks of these tags that are not inside a block of ``inside``."""
    return [el for el in body.iter(*tags) if not any(a.tag in inside for a in el.iterancestors())]


def _covers(wider: Candidate, narrower: Candidate) -> float:
    """The share of ``narrower``'s sentence text (word triples) that ``wider`` holds too."""
    if not narrower.triples:
        return 1.0
    return len(narrower.triples & wider.triples) / len(narrower.triples)


def _line_cover(wider: Candidate, narrower: Candidate) -> float:
    """The share of ``narrower``'s lines, short ones included, found in ``wider``'s text."""
    lines = [line for line in (_normalized(text) for text in narrower.text.split("\n")) if line]
    if not lines:
        return 1.0
    blob = _normalized(wider.text)
    return sum(1 for line in lines if line in blob) / len(lines)


def _extends(generic: Candidate, chosen: Candidate) -> bool:
    """Whether readability found the rest of the story the kept pass holds part of, and if so make its
    candidate that story: the pass's text, readability's blocks beside it, nothing far from it.

    trafilatura keeps one container; on page-builder layouts a story's subheadings and lists sit in sibling
    containers that its passes leave out, while readability, which joins siblings of its best container,
    keeps them (and more: captions, paywall boxes, promo links, and around the story product lists,
    directories, comment notices). So readability is kept when it holds the pass's text and adds blocks
    near it (EXTEND_*) between the pass's first and last blocks; its blocks far from the pass's text, made
    of links, or before or after the pass's text are dropped, and the pass's lines it lost (headings) are
    put back in order."""
    if _covers(generic, chosen) < EXTEND_MIN_COVER or _line_cover(generic, chosen) < EXTEND_MIN_LINE_COVER:
        return False
    shared, added = set(), []
    chosen_words = _normalized(chosen.text)  # once, not once per short block
    order: dict[HtmlElement, int] = {}  # document order of the blocks
    for block in _outer_blocks(generic.body, _TEXT_BLOCKS, _LINE_BLOCKS):
        order[block] = len(order)
        text = _block_text(block)
        if not text:
            continue
        triples = _triples(text)
        if _held_by(triples, chosen) if triples else _normalized(text) in chosen_words:
            shared.add(block)
        else:
            added.append((block, len(text), _link_chars(block) / len(text)))
    holding = {ancestor for block in shared for ancestor in block.iterancestors()}
    near, far = 0, []
    first = min((order[b] for b in shared), default=0)
    last = max((order[b] for b in shared), default=-1)
    for block, length, link_share in added:
        distance = next((d for d, a in enumerate(block.iterancestors(), 1) if a in holding), None)
        between = first < order[block] < last
        if between and distance is not None and distance <= EXTEND_MAX_DISTANCE and link_share < EXTEND_MAX_LINK_SHARE:
            near += length
        else:
            far.append(block)
    if near <= EXTEND_MIN_ADDED * len(chosen.text):
        return False
    for block in far:
        if block.getparent() is not None:
            delete_element(block, keep_tail=False)
    _put_back_lost_blocks(generic, chosen)
    generic.text = xmltotxt(generic.body, False)
    return True


def _put_back_lost_blocks(wider: Candidate, narrower: Candidate) -> None:
    """Insert ``narrower``'s top-level blocks that ``wider`` lost (readability drops some headings) after
    the block of ``wider`` that holds the one before them, so the story keeps its order."""
    blocks = _outer_blocks(wider.body, (*_TEXT_BLOCKS, "list", "table"), _WHOLE_BLOCKS)
    texts = [_normalized("".join(block.itertext())) for block in blocks]
    anchor = None
    for element in list(narrower.body):
        text = _normalized("".join(element.itertext()))
        if not text:
            continue
        found = next((block for block, held in zip(blocks, texts, strict=True) if text in held), None)
        if found is not None:
            anchor = found
            continue
        lost = copy.deepcopy(element)
        lost.tail = None
        if anchor is None:
            wider.body.insert(0, lost)
        else:
            anchor.addnext(lost)
        anchor = lost


# Subheadings and lists of the page are put back into a trafilatura pass (``put_back_story_blocks``) when
# they sit at most this many levels below an element that holds a paragraph of the pass: a heading directly
# in it (a sibling of the story's paragraphs; two levels also took boxes floated inside the story: "Current
# Issue", promo headings), a list directly or in one wrapper (measured: three levels, no better) ...
HEADING_MAX_DISTANCE = 1
LIST_MAX_DISTANCE = 2
# ... a heading has at most this many words ...
HEADING_MAX_WORDS = 25
# ... and introduces text the pass kept: at most this many characters of the page's blocks between it and
# the next paragraph kept are left out of the pass (a "Related posts" heading heads links the pass dropped).
HEADING_MAX_SKIPPED = 100
# A list is not put back when the pass already holds more than this share of its word triples.
LIST_MAX_HELD = 0.2
_PAGE_HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
_PAGE_LISTS = frozenset({"ul", "ol"})
_ANCHOR_SOURCES = frozenset({"p", "li", "blockquote", "pre", "dd"})
_ANCHOR_BLOCKS = frozenset({"p", "list", "quote"})  # output blocks that anchor the pass in the page
_ASIDE_TAGS = frozenset({"aside", "nav", "header", "footer", "form", "figure"})


def _set_apart(element: HtmlElement) -> bool:
    """Whether the element is hidden by its markup (``hidden``, ``aria-hidden``, display:none) or set apart
    from the story's text (inside an aside, navigation, header, footer, form or figure)."""
    for node in (element, *element.iterancestors()):
        if node.tag in _ASIDE_TAGS or node.get("hidden") is not None or _hidden_from_readers(node):
            return True
    return False


def _hidden_from_readers(element: HtmlElement) -> bool:
    """Whether the element's own markup hides it from every reader: ``aria-hidden="true"``, or an inline
    display:none or visibility:hidden (readability's ``_DISPLAY_NONE``, declaration by declaration)."""
    if element.get("aria-hidden") == "true":
        return True
    style = element.get("style")
    return bool(style and _DISPLAY_NONE.search(style))


def _words(text: str) -> str:
    """A text, whitespace collapsed, lower case: how a page element and an output block are matched (the
    passes keep a paragraph's characters and change only its whitespace)."""
    return " ".join(text.split()).casefold()


def _anchors(
    blocks: list[HtmlElement], sources: list[tuple[int, HtmlElement, str]]
) -> list[tuple[int, int, HtmlElement]]:
    """The pass's paragraphs found in the page: (output block index, page position, page element), in page
    order. A paragraph (a list by its first item, a quote) of PROSE_MIN_WORDS words or more whose words are
    those of exactly one paragraph-like element of the page; one out of page order is skipped."""
    found: dict[str, tuple[int, HtmlElement] | None] = {}  # a text found twice on the page anchors nothing
    for position, element, words in sources:
        found[words] = None if words in found else (position, element)
    anchors: list[tuple[int, int, HtmlElement]] = []
    for index, block in enumerate(blocks):
        if block.tag not in _ANCHOR_BLOCKS:
            continue
        first = next(block.iter("item"), None) if block.tag == "list" else block
        words = _words("".join(first.itertext())) if first is not None else ""
        if words.count(" ") + 1 < PROSE_MIN_WORDS or (source := found.get(words)) is None:
            continue
        if anchors and source[0] <= anchors[-1][1]:
            continue
        anchors.append((index, *source))
    return anchors


def _as_output(element: HtmlElement, text: str, items: list[str]) -> HtmlElement | None:
    """A page heading (its ``text``) or list (its ``items``' texts) as trafilatura writes it in its output
    tree: ``head``; ``list`` of ``item``."""
    if element.tag in _PAGE_HEADINGS:
        made = Element("head", rend=element.tag)
        made.text = text
    else:
        made = Element("list", rend=element.tag)
        for item_text in filter(None, items):
            entry = Element("item")
            entry.text = item_text
            made.append(entry)
        if len(made) == 0:
            return None
    made.tail = "\n"
    return made


def put_back_story_blocks(chosen: Candidate, tree: HtmlElement) -> int:
    """Put back the page's subheadings and lists that sit among the paragraphs a trafilatura pass kept.

    Where no container of its list matches, trafilatura "recovers" the page's loose paragraphs, quotes and
    tables and leaves headings and lists out (its ``recover_wild_text``); its passes also prune some on
    their own. The story comes out without its section titles and bulleted lists. A heading (h2-h6) or
    list (ul, ol) of the page goes back in when it lies, in the page's order, between two paragraphs the
    pass kept, near an element holding one of them (HEADING_MAX_DISTANCE, LIST_MAX_DISTANCE), visible and
    not set apart (aside, figure, form ...), not mostly link text and not already in the text; a heading
    only when it introduces text the pass kept (HEADING_MAX_SKIPPED). Returns how many were put back."""
    blocks = list(chosen.body)
    if len(blocks) < 2:
        return 0
    sources: list[tuple[int, HtmlElement, str]] = []  # the page's paragraph-like elements, in page order
    candidates: list[tuple[int, HtmlElement]] = []  # its headings and lists (positions among these elements)
    for position, element in enumerate(tree.iter(*_ANCHOR_SOURCES, *_PAGE_HEADINGS, *_PAGE_LISTS)):
        if element.tag in _ANCHOR_SOURCES:
            sources.append((position, element, _words("".join(element.itertext()))))
        elif element.tag in _PAGE_HEADINGS or element.tag in _PAGE_LISTS:
            candidates.append((position, element))
    anchors = _anchors(blocks, sources)
    if len(anchors) < 2:
        return 0
    start, end = anchors[0][1], anchors[-1][1]
    candidates = [(position, element) for position, element in candidates if start < position < end]
    if not candidates:
        return 0
    holding = {ancestor for _, _, source in anchors for ancestor in source.iterancestors()}
    written = [_words(line).removeprefix("- ") for line in _LINK.sub(r"\1", chosen.text).split("\n")]
    kept, lines = " ".join(written), set(written)
    left_out = [  # (page position, characters) of the page's blocks among the story's that the pass left out
        (position, len(words)) for position, _, words in sources if start < position < end and words not in kept
    ]
    put_back, cursor = 0, 0
    for position, element in candidates:
        if any(a.tag in _PAGE_LISTS for a in element.iterancestors()):
            continue
        distance = next((d for d, a in enumerate(element.iterancestors(), 1) if a in holding), None)
        if distance is None or distance > (
            HEADING_MAX_DISTANCE if element.tag in _PAGE_HEADINGS else LIST_MAX_DISTANCE
        ):
            continue
        text = visible_text(element)
        if not text or _link_chars(element, "a") >= EXTEND_MAX_LINK_SHARE * len(text) or _set_apart(element):
            continue
        while cursor + 1 < len(anchors) and anchors[cursor + 1][1] < position:
            cursor += 1
        following = anchors[cursor + 1][1]
        items: list[str] = []
        if element.tag in _PAGE_HEADINGS:
            words = _words(text)
            if len(text.split()) > HEADING_MAX_WORDS or not words or words in lines:
                continue
            between = blocks[anchors[cursor][0] : anchors[cursor + 1][0] + 1]
            if words in " ".join(_words("".join(block.itertext())) for block in between):
                continue
            if sum(n for at, n in left_out if position < at < following) > HEADING_MAX_SKIPPED:
                continue
        else:
            if any(True for _ in element.iter("figure", "figcaption")):
                continue  # a gallery: its items are captions
            items = [visible_text(item) for item in element.iterchildren("li")]
            if any(_words(item) in lines for item in items if item):
                continue
            if any(_words(item.text) in lines for item in element.iter("li") if item.text and item.text.strip()):
                continue  # the pass holds some items of it: a nested list whose sub-items it kept one a line
            triples = set().union(*(_triples(item) for item in items))
            if len(triples & chosen.triples) > LIST_MAX_HELD * len(triples):
                continue  # the pass holds it already, written another way (items joined, names dropped)
        made = _as_output(element, text, items)
        if made is None:
            continue
        blocks[anchors[cursor + 1][0]].addprevious(made)
        put_back += 1
    if put_back:
        chosen.text = xmltotxt(chosen.body, False)
    return put_back


_INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "title", "meta", "link", "svg"})


def page_prose(tree: HtmlElement) -> int:
    """The page's own sentence text: characters in its text lines of at least PROSE_MIN_WORDS words, a line
    being the text between two block boundaries, less the lines mostly of link text (as ``prose_of``
    counts a candidate). An extraction keeps lines of the page, so it holds about this much at most (its
    own line breaks may differ a little): a further candidate that would need more to win is not run.
    Measured: the same choices as running every candidate on all but a few of the development pages, for
    about half the readability runs."""
    total, parts, linked, in_link = 0, [], 0, 0  # the line's texts, and how much of them is link text
    body = tree.find("body")
    # one walk, the line's test written out where a block starts and ends (the walk is most of the time:
    # a nested function called per text was twice the walk again); a line with no text is no line
    for event, element in etree_iterwalk(body if body is not None else tree, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag.__class__ is not str or tag in _INVISIBLE:
                continue
            if parts and tag in HTML_BLOCK_TAGS:
                total += _line_prose("".join(parts), linked)
                parts, linked = [], 0
            if tag == "a":
                in_link += 1
            text = element.text  # the text before its first child
        else:
            if tag.__class__ is str:
                if parts and tag in HTML_BLOCK_TAGS:
                    total += _line_prose("".join(parts), linked)
                    parts, linked = [], 0
                if tag == "a" and in_link:
                    in_link -= 1
            text = element.tail
        if text:
            parts.append(text)
            if in_link:
                linked += len(text)
    return total + _line_prose("".join(parts), linked)


def _line_prose(text: str, linked: int) -> int:
    """A page line's sentence text (``page_prose``): its characters if it has PROSE_MIN_WORDS words and less
    than PROSE_MAX_LINK_SHARE of link text, else 0. (n words take at least 2n - 1 characters.)"""
    if len(text) < 2 * PROSE_MIN_WORDS - 1 or len(_WORD.findall(text)) < PROSE_MIN_WORDS:
        return 0
    return len(text.strip()) if linked < PROSE_MAX_LINK_SHARE * len(text) else 0


class _Readability(ReadabilityDocument):
    """readability-lxml without its HTML cleaner pass, which is 40% of its time and mostly rewrites link
    attributes (javascript: URLs) that no text depends on; what the cleaner removes that does hold text
    (scripts, styles, comments, processing instructions) is stripped here, after readability's own
    removal of hidden elements. Pinned readability-lxml versions (pyproject.toml): ``_parse`` is theirs."""

    def _parse(self, input: HtmlElement) -> HtmlElement:  # readability's own signature
        self.encoding = "utf-8"
        for element in input.xpath("//*[@hidden]"):
            element.drop_tree()
        for element in input.xpath("//*[@style]"):
            if _DISPLAY_NONE.search(element.get("style")):
                element.drop_tree()
        strip_elements(input, "script", "style", "link", Comment, ProcessingInstruction, with_tail=False)
        return input

    def remove_unlikely_candidates(self) -> None:  # readability's own name and loop
        """readability's, with each class-and-id string judged once per page rather than once per element
        (pages repeat a few class names on thousands of elements: the two regular expressions were most of
        the method's time) and its two XPath tests compiled once. The same elements are dropped, in order."""
        verdicts: dict[str, bool] = {}
        for elem in self.html.findall(".//*"):
            s = "{} {}".format(elem.get("class", ""), elem.get("id", ""))
            if len(s) < 2:
                continue
            verdict = verdicts.get(s)
            if verdict is None:
                verdict = verdicts[s] = bool(_UNLIKELY.search(s)) and not _OK_MAYBE.search(s)
            if verdict and elem.tag not in ("html", "body") and not _IN_CODE(elem) and not _HOLDS_MAIN(elem):
                if _READABILITY_LOG.isEnabledFor(logging.DEBUG):
                    _READABILITY_LOG.debug("Removing unlikely candidate - %s", describe(elem))
                elem.drop_tree()


_DISPLAY_NONE = READABILITY_REGEXES["displayNoneRe"]  # readability's own test of a hidden style
_UNLIKELY = READABILITY_REGEXES["unlikelyCandidatesRe"]
_OK_MAYBE = READABILITY_REGEXES["okMaybeItsACandidateRe"]
_IN_CODE = XPath("ancestor-or-self::pre | ancestor-or-self::code")
_HOLDS_MAIN = XPath("descendant-or-self::main | descendant-or-self::article | descendant-or-self::math")
_READABILITY_LOG = logging.getLogger("readability.readability")


def _readability(tree: HtmlElement, options: Extractor) -> Candidate | None:
    """readability-lxml on a copy of the page, converted to trafilatura's output tree as trafilatura does
    when it prefers readability. readability-lxml, not trafilatura's bundled port: it drops hidden elements
    and retries with looser thresholds, and finds the story on many pages where the port finds nothing."""
    try:
        summary = _Readability(copy.deepcopy(tree), min_text_length=25).summary(html_partial=True)
        found = fragment_fromstring(summary, create_parent="div") if summary and summary.strip() else None
    except Exception:  # degenerate pages (no body, no candidate) make readability or lxml raise: no candidate
        return None
    if found is None or len(found) == 0:
        return None
    body, text = sanitize_tree(found, options)
    if body is None or not text or not text.strip():
        return None
    if _collapse_whitespace(body):
        text = xmltotxt(body, False)
    return Candidate("readability", body, text, *prose_of(body))


# HTML's whitespace, which a browser collapses (not the no-break space, which it keeps).
_WHITESPACE_RUN = re.compile(r"[ \t\n\r\f]+")
_LOOSE_SPACE = re.compile(r"[ \t\n\r\f]{2}|[\t\n\r\f]")
_PREFORMATTED = frozenset({"code", "pre"})


def _collapse_whitespace(body: HtmlElement) -> bool:
    """Collapse runs of whitespace in the text of a readability candidate to one space, as a browser shows
    them and as trafilatura's own passes write them: readability keeps the page's source line breaks inside
    paragraphs ("decommissioned some\nhardware"), which the text output would turn into broken lines. Code
    keeps its whitespace; line breaks of the page (``<br>``, trafilatura's ``lb``) are elements and stay.
    Returns whether any text changed."""
    kept = {node for block in body.iter(*_PREFORMATTED) for node in block.iter()}
    changed = False
    for element in body.iter():
        if element not in kept and element.text and _LOOSE_SPACE.search(element.text):
            element.text = _WHITESPACE_RUN.sub(" ", element.text)
            changed = True
        if element.tail and element.getparent() not in kept and _LOOSE_SPACE.search(element.tail):
            element.tail = _WHITESPACE_RUN.sub(" ", element.tail)
            changed = True
    return changed


# January 1st written out, in the page's markup or text: "2025-01-01", "01/01/2025", "1.1.2025", "Jan 1, 2025",
# "1 January 2025", "1. Januar 2025", "1er janvier 2025", "1 de enero de 2025" ({year} is filled in).
_NEW_YEAR = (
    r"{year}[-/.]0?1[-/.]0?1(?!\d)|(?<!\d)0?1[-/.]0?1[-/.]{year}|{year}0101"
    r"|\b(?:jan(?:uary|vier|uar|eiro)?|ene(?:ro)?|gennaio)\.?\s+0?1(?:st)?,?\s+{year}"
    r"|\b0?1(?:st|er|\.|º)?\s+(?:of\s+|de\s+)?(?:jan(?:uary|vier|uar|eiro)?|ene(?:ro)?|gennaio)\.?,?\s+(?:de\s+)?{year}"
)


def _writes_new_year(html: str, year: str) -> bool:
    """Whether the page (``html``, as fetched) writes January 1st of ``year`` anywhere, its markup included:
    meta tags, JSON-LD.

    htmldate's last resorts, when a page gives no date, are the copyright year ("© 2025") and any year the
    page mentions, both returned as January 1st of that year: a guess, not the day the story was published,
    and wrong on most pages (on the WCXB development articles, 65 of the 66 January 1st dates). A January
    1st the page itself writes is a date."""
    pattern = re.compile(_NEW_YEAR.format(year=year), re.IGNORECASE)
    return pattern.search(html) is not None


def _metadata(tree: HtmlElement, extractor: Extractor, *, body_search: bool = True) -> Document:
    """trafilatura's ``extract_metadata`` (what ``with_metadata=True`` runs), step by step with the same
    functions, less the license search: no record field holds a license, and it scans every link of the
    page (~1 ms, 2-3% of a page's cleaning). tests/test_extract.py checks every field we keep against
    ``extract_metadata`` on the benchmark pages and the golden fixtures, so an upgrade that changes the
    steps shows up there.

    ``body_search=False`` (``cleaning.metadata: structured``) also leaves out the two searches of the whole
    page body, a byline by class names and category/tag links, which scan every element with XPath and
    are ~8 ms of a page's ~33 ms of cleaning: authors and tags then come from meta tags and JSON-LD only.
    """
    date_params = dict(extractor.date_params or {})
    blacklist = extractor.author_blacklist
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    with contextlib.suppress(Exception):  # trafilatura guards its JSON-LD parser the same way
        metadata = extract_meta_json(tree, metadata)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if metadata.author and blacklist:
        metadata.author = check_authors(metadata.author, blacklist)
    if not metadata.author and body_search:
        metadata.author = extract_author(tree)
    if metadata.author and blacklist:
        metadata.author = check_authors(metadata.author, blacklist)
    if not metadata.url:
        metadata.url = extract_url(tree, extractor.url)
    if metadata.url:
        metadata.hostname = extract_domain(metadata.url, fast=True)
    date_params["url"] = metadata.url
    metadata.date = find_date(tree, **date_params)
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url and (match := META_URL.match(metadata.url)):
        metadata.sitename = match[1]
    if not metadata.categories and body_search:
        metadata.categories = extract_catstags("category", tree)
    if not metadata.tags and body_search:
        metadata.tags = extract_catstags("tag", tree)
    metadata.filedate = date_params.get("max_date")
    metadata.clean_and_trim()
    return metadata


# --- 1. Split article bodies ------------------------------------------------------------------------------

# trafilatura's first and most specific body selector ("article-body", "post-content", itemprop=articleBody
# ...), as Python patterns read from its XPath: the XPath itself, run without its "[1]", costs a few ms per
# page (its regular expressions are called back into Python once per element), this a fraction of one.
_SELECTOR_SOURCE = BODY_XPATH[0].path
_ID_TOKENS = re.search(r"re:test\(@id, '([^']+)'\)", _SELECTOR_SOURCE)
_CLASS_TOKENS = re.search(r"re:test\(@class, '([^']+)'\)", _SELECTOR_SOURCE)
_BODY_ID = re.compile(_ID_TOKENS.group(1)) if _ID_TOKENS else None
_BODY_CLASS = re.compile(_CLASS_TOKENS.group(1)) if _CLASS_TOKENS else None
_BODY_TAGS = ("article", "div", "main", "section")
_PARAGRAPH_TEXT = XPath(".//p//text()")
# A container with less paragraph text than this is a stub (an empty ad slot), not part of the story.
_MIN_PART_CHARS = 200


def _is_body_container(element: HtmlElement) -> bool:
    """The conditions of trafilatura's first body selector (see above)."""
    cls, ident = element.get("class"), element.get("id")
    if cls in ("post", "entry") or element.get("itemprop") == "articleBody" or ident == "articleContent":
        return True
    return bool(
        (ident and _BODY_ID is not None and _BODY_ID.search(ident))
        or (cls and _BODY_CLASS is not None and _BODY_CLASS.search(cls))
    )


def join_split_body(tree: HtmlElement) -> None:
    """Move the content of later same-class body containers into the first one.

    Some layouts cut the article body into several containers with the same class, each followed by an ad
    rail; trafilatura extracts the first and silently drops the rest (half an article). The parts are joined
    only when they are siblings in reading order of one story: same tag, class and id, not nested, each with
    real paragraph text, inside the same <article> (or none), and no <h1> between them (an <h1> starts
    another story, as on pages that append the next article below).
    """
    if _BODY_ID is None or _BODY_CLASS is None:
        return  # trafilatura changed its selector: do nothing rather than guess
    first: HtmlElement | None = None
    signature: tuple[str, str | None, str | None] | None = None
    same: list[HtmlElement] = []
    for element in tree.iter(_BODY_TAGS):
        if first is None:
            if _is_body_container(element):
                first = element
                signature = (element.tag, element.get("class"), element.get("id"))
        elif (element.tag, element.get("class"), element.get("id")) == signature:
            same.append(element)
    if first is None or not same:
        return
    article = _closest(first, "article")
    parts = [
        element
        for element in same
        if _closest(element, "article") is article
        and not _is_nested(first, element)
        and len("".join(_PARAGRAPH_TEXT(element))) >= _MIN_PART_CHARS
    ]
    if not parts or len("".join(_PARAGRAPH_TEXT(first))) < _MIN_PART_CHARS:
        return
    if _has_h1_between(tree, first, parts[-1]):
        return
    for part in parts:
        if part.text and part.text.strip():
            paragraph = Element("p")
            paragraph.text = part.text
            first.append(paragraph)
        for child in list(part):
            first.append(child)  # moves it: the part is left empty, so nothing is read twice


# The spans trafilatura's precision pass deletes as blocks (its PRECISION_DISCARD_XPATH: a "link" or "bottom"
# class or id, a border style), when they sit inside a paragraph.
_INLINE_DISCARDED = XPath(
    "//p//span[re:test(@id|@class, '(^|\\s)(link|bottom)(\\s|$)') or contains(@style, 'border')]",
    namespaces={"re": "http://exslt.org/regular-expressions"},
)


# Elements whose markup may hide them from every reader (``_hidden_from_readers`` decides: display:none or
# visibility:hidden, not backface-visibility:hidden).
_MAYBE_HIDDEN = XPath("//body//*[@aria-hidden='true' or contains(@style, 'none') or contains(@style, 'hidden')]")
# Hidden elements holding more than this share of the page's text are the page's content, shown by scripts.
HIDDEN_MAX_SHARE = 0.5


def drop_hidden(tree: HtmlElement) -> int:
    """Remove what no reader sees, before the passes run: elements hidden by an inline style (display:none,
    visibility:hidden: closed dialogs, off-screen menus, consent texts) or marked ``aria-hidden="true"``.

    trafilatura prunes these too, but not when its discard rules together would remove too much of the page,
    and then a hidden dialog's text (a republishing policy, a cookie notice) comes out after the story. The
    ``hidden`` attribute is left alone: streaming server-rendered pages park their content in ``<div hidden>``
    until a script moves it into place. If the hidden elements hold most of the page's text, the page shows
    its content with scripts and nothing is removed. Returns the number of elements removed."""
    found = [element for element in _MAYBE_HIDDEN(tree) if _hidden_from_readers(element)]
    marked = set(found)
    outer = [element for element in found if not any(a in marked for a in element.iterancestors())]
    if not outer:
        return 0
    body = tree.find("body")
    hidden_chars = sum(len(element.text_content()) for element in outer)
    if hidden_chars > HIDDEN_MAX_SHARE * len((body if body is not None else tree).text_content()):
        return 0
    for element in outer:
        element.drop_tree()  # its tail text stays
    return len(outer)


def unmark_link_lookalikes(tree: HtmlElement) -> None:
    """Unmark what trafilatura would take for link boxes but is part of the story, before its passes run.

    Spans inside a sentence lose the class, id and style that its precision pass deletes blocks by: the
    rule is meant for link boxes ("related links", a bordered promo), and a ``<span class="link">`` around a
    link in the middle of a paragraph is part of the sentence (deleting it leaves a hole: "has reported
    that  for his role"). A heading's link to itself (a section permalink) is unwrapped: a heading made of
    link text is dropped as a link line."""
    for span in _INLINE_DISCARDED(tree):
        paragraph = next(span.iterancestors("p"), None)
        if paragraph is None:
            continue
        if _block_text(paragraph) == _block_text(span):
            continue  # the whole paragraph: a block, as trafilatura means
        for name in ("class", "id", "style"):
            span.attrib.pop(name, None)
    anchors = _HEADING_ANCHORS(tree)
    if anchors:
        for anchor in anchors:
            anchor.tag = "anchor-text"  # unwrapped below: the heading's text stays, the link goes
        strip_tags(tree, "anchor-text")


# A heading that links to itself (a permalink anchor for sharing a section) is a heading, not a link line:
# trafilatura drops headings made of link text.
_HEADING_ANCHORS = XPath(
    "//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]//a[starts-with(@href, '#')]"
)


def _closest(element: HtmlElement, tag: str) -> HtmlElement | None:
    return next(element.iterancestors(tag), None)


def _is_nested(a: HtmlElement, b: HtmlElement) -> bool:
    return any(x is a for x in b.iterancestors()) or any(x is b for x in a.iterancestors())


def _has_h1_between(tree: HtmlElement, start: HtmlElement, end: HtmlElement) -> bool:
    """An <h1> after the start of ``start`` and before the start of ``end``, in document order."""
    inside = False
    for element in tree.iter():
        if element is start:
            inside = True
        elif element is end:
            return False
        elif inside and element.tag == "h1" and not any(x is start for x in element.iterancestors()):
            return True
    return False


# --- 2. Block post-filter -----------------------------------------------------------------------------------

# Blocks are the leaves of trafilatura's output tree that become one line of text each; containers are
# walked through. An item holding a nested list stays one block.
_BLOCK_TAGS = frozenset({"p", "head", "item", "row", "code"})
_CONTAINER_TAGS = frozenset({"body", "list", "quote", "table", "div", "article", "section", "main"})
_LOOSE_TEXT_CONTAINERS = frozenset({"body", "div", "article", "section", "main"})
_BLOCKISH_TAGS = _BLOCK_TAGS | _CONTAINER_TAGS | {"quote"}

# A block whose text is at least this share of link text reads as a link (a headline pointing elsewhere).
LINK_DENSE = 0.8
# This many link blocks in a row are a list of other stories, whatever their markup (p, li or h*).
LINK_RUN = 3
# A list of links whose items have at most this many words each names things (products, tools, sources),
# where another story's headline has more; between the story's paragraphs it is the story's own.
LINK_NAME_MAX_WORDS = 6
# Link blocks longer than this are not headlines (a paragraph that happens to be one long link).
LINK_BLOCK_MAX_CHARS = 200
# A paragraph shorter than this, before the first real one, is a kicker, dateline or title, not the story.
BODY_PARAGRAPH_MIN_CHARS = 80
# A standfirst right after the page's <h1> has at least this many words; shorter ones are section headings.
STANDFIRST_MIN_WORDS = 6
# A cluster of headlines has at most this many words outside its links (labels such as "[VIDEO]").
CLUSTER_MAX_OWN_WORDS = 12
# A list after the last paragraph whose items all point elsewhere is "more stories", even when only part of
# each item is linked; each item needs a headline-sized link and this share of link text.
TRAILING_LIST_MIN_ITEMS = 3
TRAILING_LIST_LINK_SHARE = 0.3
TRAILING_LIST_MAX_WORDS = 30
# The title and dateline sit in the first few blocks; deeper than this, a short line is part of the story.
LEAD_MAX_BLOCKS = 6
# Share of a line's words found in the page title above which the line is the title again.
TITLE_OVERLAP = 0.9
# Short lines of this many words at most, with a date or time in them, at the edges: datelines.
DATELINE_MAX_WORDS = 14
# At the end, a line shorter than this without sentence punctuation is a label ("Comments", "Tags").
TAIL_LABEL_MAX_CHARS = 20

_WORD = re.compile(r"\w+")
_ALNUM = re.compile(r"[^\W_]")
_SENTENCE_END = re.compile(r"[.!?\u3002\uff01\uff1f\u2026][\"'\u201d\u2019\u00bb)\]]*$")
_LABEL_THEN_LINK = re.compile(r"^\W*(\w+(?:[ \t'’-]+\w+){0,3})(?:\s*[:|\u2013\u2014>»]|\s+-)\s*(\S.*)$")
_TIME_OR_NUMERIC_DATE = re.compile(
    r"\b\d{1,2}:\d{2}\b"  # 11:28, 0:13
    r"|\b\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d{2}\b"  # 05/10/2018, 20.11.19
    r"|\b(?:19|20)\d{2}[./-]\d{1,2}[./-]\d{1,2}\b"  # 2019-11-20
)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
# With only a year in it (no time, no numeric date), a dateline is mostly numbers: "November 20, 2019".
DATELINE_MIN_NUMBER_SHARE = 0.3


@dataclass(slots=True)
class _Block:
    element: HtmlElement
    text: str
    link_chars: int
    link_words: int
    links: int
    headline_links: int  # links of three words or more: headlines of other stories

    @property
    def chars(self) -> int:
        return len(self.text.replace(" ", ""))

    @property
    def words(self) -> int:
        return len(_WORD.findall(self.text))

    @property
    def link_share(self) -> float:
        return self.link_chars / self.chars if self.chars else 0.0

    @property
    def is_heading(self) -> bool:
        return self.element.tag == "head"


def filter_blocks(body: HtmlElement, title: str | None, authors: list[str] | None = None) -> None:
    """Delete the blocks judged to be page furniture from trafilatura's output tree, in place."""
    _wrap_loose_text(body)
    blocks = list(_blocks(body))
    if not blocks:
        return
    drop = [False] * len(blocks)
    _mark_repeats(blocks, drop)
    _mark_link_lists(blocks, drop)
    _mark_lead(blocks, drop, title)
    _mark_tail(blocks, drop)
    _mark_author_bio(blocks, drop, authors or [])
    for block, dropped in zip(blocks, drop, strict=True):
        if dropped:
            delete_element(block.element, keep_tail=True)


# A block of at least this many characters seen earlier in the same extraction is a repeat: pages that
# carry the story twice (a print or mobile copy, tabs) give it two or three times over.
REPEAT_MIN_CHARS = 40


def _mark_repeats(blocks: list[_Block], drop: list[bool]) -> None:
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        key = " ".join(_WORD.findall(block.text.casefold()))
        if len(key) < REPEAT_MIN_CHARS:
            continue
        if key in seen:
            drop[index] = True
        seen.add(key)


def _wrap_loose_text(container: HtmlElement) -> None:
    """Text lying directly in a container (a fallback extractor's output, or what follows a heading), with
    the inline elements around it, becomes a paragraph of its own, so it is judged like any line rather than
    glued to whatever gets deleted before it. It is already a line of its own in the text output, so this
    changes no kept text."""
    run_text, run = container.text, []
    container.text = None
    for child in list(container):
        if not isinstance(child.tag, str) or child.tag not in _BLOCKISH_TAGS:
            run.append(child)  # inline (a link, a highlight, a line break): part of the loose text
            continue
        _wrap_run(container, child, run_text, run)
        run_text, run = child.tail, []
        child.tail = None
        if child.tag in _LOOSE_TEXT_CONTAINERS:
            _wrap_loose_text(child)
    _wrap_run(container, None, run_text, run)


def _wrap_run(container: HtmlElement, before: HtmlElement | None, text: str | None, run: list) -> None:
    """Put loose text and its inline elements into a new <p> before ``before`` (at the end when None).
    Whitespace alone is dropped (blocks are separated anyway) and empty inline elements stay put."""
    if not (text and text.strip()) and not any(_has_text(element) for element in run):
        return
    paragraph = Element("p")
    paragraph.text = text
    for element in run:
        paragraph.append(element)  # moves it, with its tail
    if before is None:
        container.append(paragraph)
    else:
        before.addprevious(paragraph)


def _has_text(element: HtmlElement) -> bool:
    own = "".join(element.itertext()) if isinstance(element.tag, str) else ""  # a comment's text is no text
    return bool(own.strip() or (element.tail or "").strip())


def _blocks(element: HtmlElement) -> Iterator[_Block]:
    for child in element:
        if not isinstance(child.tag, str):
            continue
        leaf_quote = child.tag == "quote" and not any(c.tag in _BLOCK_TAGS for c in child)
        if child.tag in _BLOCK_TAGS or leaf_quote:
            yield _make_block(child)
        elif child.tag in _CONTAINER_TAGS:
            yield from _blocks(child)


def _make_block(element: HtmlElement) -> _Block:
    link_chars = link_words = links = headline_links = 0
    for ref in element.iter("ref"):
        if next(ref.iterancestors("ref"), None) is not None:
            continue  # nested in a counted link
        ref_text = "".join(ref.itertext())
        words = len(_WORD.findall(ref_text))
        link_chars += len("".join(ref_text.split()))
        link_words += words
        links += 1
        headline_links += words >= 3
    text = _block_text(element)
    return _Block(element, text, link_chars, link_words, links, headline_links)


def _is_link_block(block: _Block) -> bool:
    return block.chars > 0 and block.link_share >= LINK_DENSE and block.chars <= LINK_BLOCK_MAX_CHARS


def _is_labelled_link(block: _Block) -> bool:
    """ "Related: <a>Other story</a>", "READ MORE - <a>...</a>": a short label, then one linked headline
    (one link of three words or more covering the rest; not a list of handles or sources)."""
    if block.words > 25 or block.links != 1 or block.headline_links != 1:
        return False
    match = _LABEL_THEN_LINK.match(block.text)
    if match is None:
        return False
    rest_chars = len(match.group(2).replace(" ", ""))
    return rest_chars > 0 and block.link_chars >= 0.9 * rest_chars


def _is_headline_cluster(block: _Block) -> bool:
    """Several headlines glued into one block ("Story A [VIDEO] | Story B [INSIGHT]"), with little text of
    its own: a paragraph that merely cites two sources keeps more of its own words."""
    own_words = block.words - block.link_words
    return block.headline_links >= 2 and block.link_share >= LINK_DENSE and own_words <= CLUSTER_MAX_OWN_WORDS


def _names_in_story(blocks: list[_Block], indexes: Sequence[int]) -> bool:
    """A list of linked names (products, tools, sources: a few words each, not headlines) with the story's
    paragraphs on both sides: the story lists those things; another story's headline is longer."""
    if max(blocks[i].words for i in indexes) > LINK_NAME_MAX_WORDS:
        return False
    before = any(_is_body_paragraph(b) for b in blocks[: indexes[0]])
    return before and any(_is_body_paragraph(b) for b in blocks[indexes[-1] + 1 :])


def _mark_link_lists(blocks: list[_Block], drop: list[bool]) -> None:
    """Lists of links to other stories: link-only lists, runs of link blocks, labelled links, and the
    heading that introduces any of them ("Don't miss", "Related posts")."""
    link = [_is_link_block(b) and b.element.tag != "row" for b in blocks]
    hit = [False] * len(blocks)
    # a whole list (two items or more) made of links
    # keyed by the element itself: an id() of a temporary lxml proxy can be reused by the next list's
    by_list: dict[HtmlElement, list[int]] = {}
    for index, block in enumerate(blocks):
        parent = block.element.getparent()
        if block.element.tag == "item" and parent is not None and parent.tag == "list":
            by_list.setdefault(parent, []).append(index)
    for indexes in by_list.values():
        if len(indexes) >= 2 and all(link[i] for i in indexes) and not _names_in_story(blocks, indexes):
            for i in indexes:
                hit[i] = True
    # runs of link blocks, whatever their markup
    start = 0
    while start < len(blocks):
        end = start
        while end < len(blocks) and link[end]:
            end += 1
        if end - start >= LINK_RUN and not _names_in_story(blocks, range(start, end)):
            for i in range(start, end):
                hit[i] = True
        start = end + 1 if end == start else end
    for index, block in enumerate(blocks):
        if _is_headline_cluster(block):
            hit[index] = True
    # the header of a removed list goes with it (not the last item of another list: the story's own)
    for index in range(1, len(blocks)):
        previous = blocks[index - 1]
        if hit[index] and not hit[index - 1] and _is_header_like(previous):
            other_list = previous.element.tag == "item" and previous.element.getparent() is not (
                blocks[index].element.getparent()
            )
            hit[index - 1] = not other_list
    # a single labelled link goes alone: what precedes it is the story's own
    for index, block in enumerate(blocks):
        drop[index] = drop[index] or hit[index] or _is_labelled_link(block)


def _is_header_like(block: _Block) -> bool:
    if block.is_heading and block.words <= 8:
        return True
    return 0 < block.words <= 6 and block.chars <= 40 and not _SENTENCE_END.search(block.text)


def _is_body_paragraph(block: _Block) -> bool:
    return block.element.tag in ("p", "item", "quote") and block.chars >= BODY_PARAGRAPH_MIN_CHARS


def _is_line(block: _Block) -> bool:
    """A paragraph or heading: the only blocks the lead and tail rules judge (never rows or list items,
    whose short lines are data: results, ingredients, specifications)."""
    return block.element.tag in ("p", "head")


def _mark_lead(blocks: list[_Block], drop: list[bool], title: str | None) -> None:
    """Before the first real paragraph: the page's <h1> (the headline, which is not body text), its
    standfirst, a repeat of the page title, and datelines."""
    title_words = {w.casefold() for w in _WORD.findall(title or "")}
    after_h1 = False
    for index, block in enumerate(blocks[:LEAD_MAX_BLOCKS]):
        if _is_line(block) and _is_dateline(block):
            drop[index] = True  # even when long enough to pass for a paragraph ("date - by X - tags: ...")
            continue
        if _is_body_paragraph(block):
            return
        if not _is_line(block):
            after_h1 = False
            continue
        if block.is_heading and block.element.get("rend") == "h1":
            drop[index] = True
            after_h1 = True
            continue
        if after_h1 and block.is_heading and block.words >= STANDFIRST_MIN_WORDS:
            drop[index] = True
            after_h1 = False
            continue
        after_h1 = False
        if _repeats_title(block, title_words):
            drop[index] = True


def _repeats_title(block: _Block, title_words: set[str]) -> bool:
    words = [w.casefold() for w in _WORD.findall(block.text)]
    if not words or not title_words:
        return False
    return sum(w in title_words for w in words) / len(words) >= TITLE_OVERLAP


def _is_dateline(block: _Block) -> bool:
    """A short line that is mostly a date or time ("November 20, 2019 - 11:28", "Updated at 1:23 p.m.")."""
    words = _WORD.findall(block.text)
    if not 0 < len(words) <= DATELINE_MAX_WORDS:
        return False
    if _TIME_OR_NUMERIC_DATE.search(block.text):
        return True
    if not _YEAR.search(block.text):
        return False
    return sum(w.isdigit() for w in words) / len(words) >= DATELINE_MIN_NUMBER_SHARE


def _mark_tail(blocks: list[_Block], drop: list[bool]) -> None:
    """After the last real paragraph: datelines, a final list whose every item links elsewhere, and, peeled
    from the end, headings and one- or two-word labels with nothing after them (a newsletter box's title,
    "Comments", "Tags"). Separator lines ("___") stay: they are in the benchmark's reference texts."""
    _mark_trailing_link_list(blocks, drop)
    _mark_teaser_cards(blocks, drop)
    last_body = max((i for i, b in enumerate(blocks) if _is_body_paragraph(b) and not drop[i]), default=-1)
    if last_body < 0:
        return
    for index in range(last_body + 1, len(blocks)):
        if _is_line(blocks[index]) and _is_dateline(blocks[index]):
            drop[index] = True
    index = len(blocks) - 1
    while index > last_body:
        block = blocks[index]
        if drop[index] or not block.text:
            index -= 1
            continue
        if _is_tail_label(block):
            drop[index] = True
            index -= 1
            continue
        break


# Teaser cards of other stories end the document (``_mark_teaser_cards``) when there are at least this many,
# each a heading linked to the other story and at most one teaser paragraph of at most this many words
# (measured: two cards changed no page of the development corpora more than three).
TEASER_MIN_CARDS = 3
TEASER_MAX_WORDS = 40
# A card's heading is mostly link: its title as link text (at least this share), often after the same
# title as plain text (an image's caption or a screen-reader copy), which halves the share.
TEASER_LINK_SHARE = 0.45


def _mark_teaser_cards(blocks: list[_Block], drop: list[bool]) -> None:
    """The run of teaser cards that ends the document: each a heading that is mostly a headline link to
    another page (a "More from ..." grid: the card's title, often twice, as text and as link) with at most
    one short paragraph under it (the other story's standfirst); empty blocks (image links) between them.
    A story's own subheadings are not links, and a roundup's linked item headings are followed by longer
    write-ups or by more than one paragraph."""
    cards: list[int] = []
    pending: list[int] = []  # the teaser paragraph under the heading being looked for
    index = len(blocks) - 1
    while index >= 0:
        block = blocks[index]
        if drop[index] or not block.text:
            index -= 1
            continue
        if block.is_heading and block.headline_links and block.link_share >= TEASER_LINK_SHARE:
            cards.extend([index, *pending])
            pending = []
        elif not pending and not block.is_heading and block.words <= TEASER_MAX_WORDS and not block.links:
            pending = [index]
        else:
            break
        index -= 1
    headings = sum(1 for i in cards if blocks[i].is_heading)
    if headings >= TEASER_MIN_CARDS:
        for i in cards:
            drop[i] = True


# An author bio is looked for in this many last text blocks of the body.
AUTHOR_BIO_LAST_BLOCKS = 3


def _mark_author_bio(blocks: list[_Block], drop: list[bool], authors: list[str]) -> None:
    """The closing box that introduces the article's author ("Jane Doe is a reporter for ... Send tips to
    ..."): among the last text blocks, a paragraph that starts with the name the page's metadata gives as the
    author (``_names_the_author``), followed by "is", "has", a comma and the like; it goes with what follows
    it and with a line before it that is the name alone. Names of one word are not enough to tell a bio from
    the story."""
    names = [" ".join(name.split()) for name in authors if len(name.split()) >= 2]
    if not names:
        return
    kept = [i for i, block in enumerate(blocks) if not drop[i] and block.text]
    for index in kept[-AUTHOR_BIO_LAST_BLOCKS:]:
        text = blocks[index].text
        found = _BIO_START.match(text)
        said = found.group(1) if found else None
        if said is None or index == kept[0] or not any(_names_the_author(said, name) for name in names):
            continue
        start = kept.index(index)
        previous = kept[start - 1]
        if blocks[previous].text.strip().casefold() in {n.casefold() for n in names} | {said.casefold()}:
            drop[previous] = True
        for later in kept[start:]:
            drop[later] = True
        return


def _names_the_author(subject: str, name: str) -> bool:
    """Whether a bio's subject is the author's name as bios write it ("Jane Doe", or "Steph Doe" for
    Stephanie Doe: the same surname, a first name with the same initial)."""
    said, parts = subject.split(), name.split()
    return said[-1].casefold() == parts[-1].casefold() and said[0][0].casefold() == parts[0][0].casefold()


# A bio's subject: two to four name words, then "is", "has", "writes" ..., a comma or a possessive.
_BIO_START = re.compile(
    r"^(\w[\w.'’-]*(?:\s+\w[\w.'’-]*){1,3})\s*(?=(?:is|was|has|writes|covers|reports|joined)\b|,|’s|'s)"
)


def _is_tail_label(block: _Block) -> bool:
    """A heading, or a one- or two-word line that is no sentence: with nothing after it, a box's title."""
    label = block.element.tag == "p" and block.words <= 2 and block.chars <= TAIL_LABEL_MAX_CHARS
    return block.is_heading or (label and not _SENTENCE_END.search(block.text))


def _mark_trailing_link_list(blocks: list[_Block], drop: list[bool]) -> None:
    """The list that ends the document, after the last paragraph of prose, when every item is short and
    carries a headline link ("More great stories": only part of each item may be linked)."""
    prose = [i for i, b in enumerate(blocks) if b.element.tag == "p" and _is_body_paragraph(b)]
    last_prose = prose[-1] if prose else -1
    index = len(blocks) - 1
    while index > last_prose and (drop[index] or blocks[index].element.tag != "item"):
        if not drop[index] and blocks[index].text and not _is_tail_label(blocks[index]):
            return  # something else ends the document (labels after the list are peeled later)
        index -= 1
    if index <= last_prose:
        return
    parent = blocks[index].element.getparent()
    items = [i for i in range(last_prose + 1, index + 1) if blocks[i].element.getparent() is parent]
    if len(items) < TRAILING_LIST_MIN_ITEMS:
        return
    if all(
        blocks[i].headline_links
        and blocks[i].link_share >= TRAILING_LIST_LINK_SHARE
        and blocks[i].words <= TRAILING_LIST_MAX_WORDS
        for i in items
    ):
        for i in items:
            drop[i] = True
