"""Is this page an article, and if not, what kind of page: listing, product, forum, documentation...

A news crawl meets pages that are not stories (section fronts, tag pages, shop and service pages, forum
threads, documentation) and trafilatura extracts *something* from each of them. This module judges the
page as a whole from features that explain themselves, read from the parsed page, the extracted text and
metadata, and the URL:

- what the page says it is: JSON-LD ``@type`` and microdata ``itemtype`` (NewsArticle, Product,
  DiscussionForumPosting, CollectionPage, Person, WebPage...), ``og:type``, ``article:*`` meta tags;
- its structure: the largest block of ``<p>`` under one parent (an article's body is one block; a service
  page's text is spread over many), how many prose blocks sit under alike parents (same tag and class:
  the posts of a thread, the sections of a service page), the share of the text inside links (a listing,
  a menu), long paragraphs, headings per length of text, ``<article>`` and ``<time>`` elements beyond one
  story's worth (a list of teasers), images, sections, code blocks, form fields, and the vocabulary of
  class names (price, cart, button, avatar/reply, author/byline, share, comment, hero/testimonial,
  filter/pagination, toc/sidebar...);
- the extracted text and metadata: the share of the page's text that was extracted, how its lines end
  (sentences, questions), the headline's length (without the site's name), an author;
- the URL's shape: a date in the path, the number of words in the last segment, depth, a numeric id, a
  query string, generic segments (``/tag/``, ``/product/``, ``/docs/``, ``/forum/``...).

Gradient-boosted trees (600 trees of depth 2), learned on the development corpora by
``bench/train_page_type.py`` and shipped as ``cleaners/models/page_type.json`` (about 130 KB), give the
article probability; they run here in pure Python, and their score splits exactly into one contribution
per feature, which is what ``PageType.evidence`` names. A logistic regression gives the kind of a page
that is not an article. No feature names a site, a domain or a phrase.

Cost: one tag-filtered walk over the page and four XPaths (class/itemtype attributes, the length of the
text, the text in links), then 600 short tree walks: about 3 ms of CPU per page, the trees a tenth of it
(``python -m bench.train_page_type --check`` measures it). Text in list items and linked images were
measured and dropped: they cost more than a millisecond a page and the trees hardly used them.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

MODEL_RESOURCE = "models/page_type.json"
NON_ARTICLE_KINDS = ("listing", "product", "forum", "documentation", "service", "collection")


@dataclass(frozen=True, slots=True)
class PageType:
    label: str  # "article", or the kind of non-article: one of NON_ARTICLE_KINDS, or "other"
    # 0..1, probability-like; label == "article" iff article_score >= the threshold (the shipped model's
    # ARTICLE_THRESHOLD, unless cleaning.min_article_score sets another)
    article_score: float
    evidence: str  # short human-readable reason


# ---------------------------------------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------------------------------------


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Each XPath is one walk over the page in C; the rest of the page is read in one tag-filtered walk
# (``_WALK_TAGS``): a few passes in all, whatever the features.
_BODY_LENGTH = XPath("string-length(normalize-space(//body))")
_LENGTH = XPath("string-length(normalize-space(.))")
_CLASSES_AND_ITEMTYPES = XPath("//@class|//@itemtype", smart_strings=False)  # an itemtype is a URL
# Text inside links: a listing, a menu or a table of contents is mostly links.
_LINK_TEXT = XPath("//body//a//text()", smart_strings=False)
_WALK_TAGS = (
    "body", "p", "script", "style", "noscript", "template", "meta", "article", "time", "pre", "code",
    "input", "select", "textarea", "button", "h1", "h2", "h3", "h4", "h5", "h6", "img", "section", "figure",
)  # fmt: skip
_PUBLISHED_META = _names(
    "article:published_time og:published_time datepublished pubdate publish-date publishdate date dc.date"
)
_HEADINGS = _names("h1 h2 h3 h4 h5 h6")
_CARD_HEADINGS = _names("h2 h3 h4 h5")
_INPUTS = _names("input select textarea")

_LD_TYPE = re.compile(r'"@type"\s*:\s*(\[[^\]]*\]|"[^"]*")')
_QUOTED = re.compile(r'"([^"]+)"')
_ARTICLE_TYPES = _names(
    "article newsarticle blogposting liveblogposting reportagenews analysisnewsarticle opinionnewsarticle"
    " reviewnewsarticle backgroundnewsarticle askpublicnewsarticle satiricalarticle scholarlyarticle report"
    " medicalscholarlyarticle"
)
_PRODUCT_TYPES = _names("product productgroup offer aggregateoffer individualproduct productmodel")
_FORUM_TYPES = _names("discussionforumposting qapage")  # not Question/Answer: an FAQ block has them too
_LISTING_TYPES = _names("collectionpage itemlist searchresultspage offercatalog")
_SERVICE_TYPES = _names(
    "faqpage service localbusiness organization professionalservice course educationalorganization"
    " softwareapplication webapplication contactpage aboutpage event"
)
_DOCS_TYPES = _names("techarticle apireference howto")
_PAGE_TYPES = _names("webpage aboutpage contactpage")
_COMMENT_TYPES = _names("comment commentaction")

_URL_DATE = re.compile(r"/(?:19|20)\d\d[/-](?:0?[1-9]|1[0-2])(?:[/-]|$)|/(?:19|20)\d\d(?:0[1-9]|1[0-2])[0-3]\d")
_NUMERIC_ID = re.compile(r"\d{4,}")
_WORD_SPLIT = re.compile(r"[-_+]|%20")
_SEGMENT_KINDS = {
    "listing": _names("tag tags category categories topic topics section sections archive archives search page"),
    "product": _names("product products p dp shop store item items buy collections"),
    "docs": _names("docs doc documentation manual reference api wiki kb guide guides help support"),
    "forum": _names(
        "forum forums thread threads t topic viewtopic showthread questions q comments community discussion discussions"
    ),
}
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—·•»:]\s+|\s+::\s+")
_PRICE_IN_TEXT = re.compile(r"[$€£¥₹]\s?\d|\d(?:[.,]\d\d)?\s?(?:[€£]|USD|EUR|GBP)\b")
_SENTENCE_END = re.compile(r"[.!?。！？…:;)\"'”’»]\s*$")


def _length(text: str) -> int:
    """Length with runs of whitespace counted as one space (XPath's normalize-space), so that markup
    indentation does not inflate it."""
    return len(" ".join(text.split()))


def _url_features(url: str | None) -> dict[str, float]:
    try:
        parts = urlsplit(url) if url else None
    except ValueError:  # not a URL (an unbalanced "[" in the host...): judged as a page without one
        parts = None
    path, query = (parts.path, parts.query) if parts else ("", "")
    segments = [s for s in path.lower().split("/") if s]
    last = segments[-1].rsplit(".", 1)[0] if segments else ""
    words = [w for w in _WORD_SPLIT.split(last) if w]
    found = {kind: float(any(s in names for s in segments[:-1] or segments)) for kind, names in _SEGMENT_KINDS.items()}
    return {
        "url_depth": float(min(len(segments), 8)),
        "url_query": float(bool(query)),
        "url_numeric": float(any(_NUMERIC_ID.search(s) for s in segments) or bool(_NUMERIC_ID.search(query))),
        "url_html": float(bool(segments) and segments[-1].endswith((".html", ".htm", ".php", ".aspx"))),
        "url_date": float(bool(_URL_DATE.search(path))),
        "url_slug_words": float(min(len(words), 12)),
        "url_short": float(len(segments) <= 1 and len(words) <= 2),
        **{f"url_{kind}": value for kind, value in found.items()},
    }


@dataclass(frozen=True, slots=True)
class PageStructure:
    """What the page's markup says, read before anything changes the tree (``page_structure``): the model
    was trained on the page as parsed, with what scripts or styles hide still in it (its menus and dialogs
    are evidence of the kind of page)."""

    types: frozenset[str]  # JSON-LD @type and microdata itemtype names, lower case
    og_types: frozenset[str]
    published_meta: bool
    article_meta: bool
    counts: dict[str, int]
    ld_published: bool
    long_paragraphs: int
    classes: str  # every class attribute, lower case, space-joined
    body_chars: int
    link_chars: int
    alike: dict[tuple[str, str], int]  # blocks of prose (>= 100 characters) per parent (tag, class)
    p_chars: int
    best_block: int

    @property
    def text_blocks(self) -> int:
        """The page's blocks of prose: one per parent of <p> with at least 100 characters of them."""
        return sum(self.alike.values())


def page_structure(tree: HtmlElement) -> PageStructure:
    """The features of the page's markup (read-only on ``tree``): one tag-filtered walk and four XPaths."""
    types: set[str] = set()
    og_types: set[str] = set()
    published_meta = False
    article_meta = False
    counts = dict.fromkeys(
        ("article", "time", "code", "input", "button", "heading", "linked_heading", "h1", "img", "section", "figure"), 0
    )
    hidden: list[HtmlElement] = []  # script, style... elements in <body>: their text is not the page's
    in_body = False  # the walk is in document order: <head>'s elements come before <body>
    ld_scripts: list[str] = []
    long_paragraphs = 0
    blocks: dict[HtmlElement, list[str]] = {}  # <p> texts per parent: an article's body is one block
    for el in tree.iter(*_WALK_TAGS):
        tag = el.tag
        if tag == "body":
            in_body = True
        elif tag == "p":
            content = el.text_content()
            if len(content) >= 150 and _length(content) >= 150:
                long_paragraphs += 1
            blocks.setdefault(el.getparent(), []).append(content)
        elif tag == "meta":
            key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
            if key == "og:type":
                og_types.add((el.get("content") or "").strip().lower())
            elif key in _PUBLISHED_META:
                published_meta = True
            if key.startswith("article:"):  # Open Graph's article namespace: section, tag, author...
                article_meta = True
        elif tag in _HEADINGS:
            counts["heading"] += 1
            if tag == "h1":
                counts["h1"] += 1
            if tag in _CARD_HEADINGS and next(el.iter("a"), None) is not None:
                counts["linked_heading"] += 1
        elif tag == "script":
            content = el.text or ""
            if el.get("type") == "application/ld+json":
                ld_scripts.append(content)
                for match in _LD_TYPE.finditer(content):
                    types.update(name.rsplit("/", 1)[-1].lower() for name in _QUOTED.findall(match.group(1)))
            if in_body:
                hidden.append(el)
        elif tag in ("style", "noscript", "template"):
            if in_body:
                hidden.append(el)
        elif tag in ("pre", "code"):
            counts["code"] += 1
        elif tag in _INPUTS:
            if el.get("type") != "hidden":
                counts["input"] += 1
        elif tag in ("article", "time", "button", "img", "section", "figure"):
            counts[tag] += 1
    class_values = []
    for value in _CLASSES_AND_ITEMTYPES(tree):
        if "://" in value:
            types.update(item.rstrip("/").rsplit("/", 1)[-1].lower() for item in value.split())
        else:
            class_values.append(value)
    classes = " ".join(class_values).lower()

    body_chars = max(int(_BODY_LENGTH(tree) - sum(_LENGTH(el) for el in hidden)), 1)
    link_chars = sum(len(t.strip()) for t in _LINK_TEXT(tree))
    block_sizes = [_length(" ".join(texts)) for texts in blocks.values()]
    # Blocks of prose under parents that look alike (same tag and class): posts of a thread, sections of a
    # service page, teasers of a listing; an article's body is one block, or a few of one kind.
    alike: dict[tuple[str, str], int] = {}
    for parent, size in zip(blocks, block_sizes, strict=True):
        if size >= 100:
            key = (str(parent.tag), parent.get("class") or "")
            alike[key] = alike.get(key, 0) + 1
    p_chars = sum(block_sizes)
    best_block = max(block_sizes, default=0)
    return PageStructure(
        types=frozenset(types),
        og_types=frozenset(og_types),
        published_meta=published_meta,
        article_meta=article_meta,
        counts=counts,
        ld_published=any('"datePublished"' in script for script in ld_scripts),
        long_paragraphs=long_paragraphs,
        classes=classes,
        body_chars=body_chars,
        link_chars=link_chars,
        alike=alike,
        p_chars=p_chars,
        best_block=best_block,
    )


def page_features(
    tree: HtmlElement,
    *,
    url: str | None,
    text: str,
    title: str | None,
    published: str | None,
    authors: list[str],
    structure: PageStructure | None = None,
) -> dict[str, float]:
    """The named features of one page (read-only on ``tree``); the model's inputs, also used in training.
    ``structure``: the page's ``page_structure``, where the caller read it before changing the tree."""
    st = structure if structure is not None else page_structure(tree)
    types, og_types, counts, classes = st.types, st.og_types, st.counts, st.classes
    body_chars, p_chars, best_block, alike = st.body_chars, st.p_chars, st.best_block, st.alike

    lines = [line.strip() for line in text.split("\n") if line.strip()]
    text_chars = sum(len(line) for line in lines)
    n_lines = len(lines)
    sentence_lines = sum(1 for line in lines if len(line) >= 40 and _SENTENCE_END.search(line))

    title_parts = _TITLE_SEPARATORS.split(title.strip()) if title else []
    headline = max(title_parts, key=len) if title_parts else ""
    short_lines = sum(1 for line in lines if len(line.split()) <= 6)
    question_lines = sum(1 for line in lines if line.endswith("?"))
    features = {
        "ld_article": float(bool(types & _ARTICLE_TYPES)),
        "ld_product": float(bool(types & _PRODUCT_TYPES)),
        "ld_forum": float(bool(types & _FORUM_TYPES)),
        "ld_listing": float(bool(types & _LISTING_TYPES)),
        "ld_service": float(bool(types & _SERVICE_TYPES)),
        "ld_docs": float(bool(types & _DOCS_TYPES)),
        "og_article": float("article" in og_types),
        "og_product": float(any("product" in t for t in og_types)),
        "og_website": float("website" in og_types),
        "meta_published": float(st.published_meta),
        "has_published": float(bool(published)),
        "has_author": float(bool(authors)),
        "article_elements": math.log1p(counts["article"]),
        "time_elements": math.log1p(counts["time"]),
        "linked_headings": math.log1p(counts["linked_heading"]),
        # One <article> or two <time> are a story; many are a list of teasers.
        "repeated_articles": math.log1p(max(counts["article"] - 1, 0)),
        "repeated_times": math.log1p(max(counts["time"] - 2, 0)),
        "page_p_share": min(p_chars / body_chars, 1.0),
        "best_block": math.log1p(best_block),
        "best_block_share": min(best_block / body_chars, 1.0),
        "block_concentration": best_block / p_chars if p_chars else 0.0,
        "long_paragraphs": math.log1p(st.long_paragraphs),
        "text_chars": math.log1p(text_chars),
        "text_share": min(text_chars / body_chars, 1.0),
        "paragraphs": math.log1p(n_lines),
        "mean_paragraph": math.log1p(text_chars / n_lines) if n_lines else 0.0,
        "sentence_share": sentence_lines / n_lines if n_lines else 0.0,
        "headings_per_kchar": min(counts["heading"] / (max(text_chars, 200) / 1000.0), 20.0),
        "price_markup": math.log1p(classes.count("price")),
        "cart_markup": math.log1p(classes.count("cart") + classes.count("basket")),
        "code_blocks": math.log1p(counts["code"]),
        "form_fields": math.log1p(counts["input"] + counts["button"]),
        "has_title": float(bool(title)),
        "title_words": float(min(len(headline.split()), 20)),
        "title_question": float(headline.endswith("?")),
        "ld_published": float(st.ld_published),
        "cta_markup": math.log1p(classes.count("btn") + classes.count("button")),
        "forum_markup": math.log1p(
            classes.count("avatar") + classes.count("reply") + classes.count("vote") + classes.count("username")
        ),
        "card_markup": math.log1p(classes.count("card") + classes.count("teaser") + classes.count("tile")),
        "product_markup": math.log1p(classes.count("product")),
        "short_line_share": short_lines / n_lines if n_lines else 0.0,
        "text_prices": math.log1p(len(_PRICE_IN_TEXT.findall(text))),
        "meta_article": float(st.article_meta),
        "text_blocks": math.log1p(st.text_blocks),
        "alike_blocks": math.log1p(max(alike.values(), default=1) - 1),
        "ld_person": float("person" in types),
        "ld_page": float(bool(types & _PAGE_TYPES)),
        "ld_faq": float("faqpage" in types),
        "ld_comment": float(bool(types & _COMMENT_TYPES)),
        "ld_any": float(bool(types)),
        "link_share": min(st.link_chars / body_chars, 1.0),
        "images": math.log1p(counts["img"]),
        "sections": math.log1p(counts["section"]),
        "figures": math.log1p(counts["figure"]),
        "h1_count": float(min(counts["h1"], 5)),
        "headings": math.log1p(counts["heading"]),
        "question_share": question_lines / n_lines if n_lines else 0.0,
        "author_markup": math.log1p(classes.count("author") + classes.count("byline")),
        "share_markup": math.log1p(classes.count("share")),
        "comment_markup": math.log1p(classes.count("comment")),
        "post_markup": math.log1p(classes.count("post") + classes.count("entry")),
        "date_markup": math.log1p(classes.count("date")),
        "hero_markup": math.log1p(classes.count("hero") + classes.count("testimonial") + classes.count("accordion")),
        "grid_markup": math.log1p(classes.count("grid") + classes.count("col-")),
        "filter_markup": math.log1p(
            classes.count("filter") + classes.count("sort") + classes.count("pagination") + classes.count("pager")
        ),
        "thread_markup": math.log1p(classes.count("thread") + classes.count("topic") + classes.count("quote")),
        "docs_markup": math.log1p(classes.count("toc") + classes.count("sidebar") + classes.count("highlight")),
    }
    features.update(_url_features(url))
    return features


# ---------------------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Linear:
    """Standardize, then one linear score per class (a single score for a binary model)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    classes: tuple[str, ...]
    coef: tuple[tuple[float, ...], ...]
    intercept: tuple[float, ...]

    @classmethod
    def from_json(cls, data: dict) -> _Linear:
        return cls(
            features=tuple(data["features"]),
            mean=tuple(data["mean"]),
            scale=tuple(data["scale"]),
            classes=tuple(data["classes"]),
            coef=tuple(tuple(row) for row in data["coef"]),
            intercept=tuple(data["intercept"]),
        )

    def standardized(self, features: dict[str, float]) -> list[float]:
        return [(features[n] - m) / s for n, m, s in zip(self.features, self.mean, self.scale, strict=True)]

    def scores(self, features: dict[str, float]) -> list[float]:
        z = self.standardized(features)
        return [
            b + sum(w * x for w, x in zip(row, z, strict=True))
            for row, b in zip(self.coef, self.intercept, strict=True)
        ]


@dataclass(frozen=True, slots=True)
class _Trees:
    """Gradient-boosted regression trees on the raw features: a log-odds score, the sum of one leaf per tree.

    Each node is ``[feature index, threshold, left, right, value]`` (a leaf has feature index -1); a value
    goes left when ``feature <= threshold``. An inner node's value is the mean of its leaves weighted by the
    training pages that reached them, so the score splits exactly into ``bias`` plus one contribution per
    feature: each step down a tree adds (child's value - parent's value) to the feature that chose the
    child. Those contributions are what ``PageType.evidence`` names.
    """

    features: tuple[str, ...]
    bias: float  # the prior log-odds plus every tree's root value
    trees: tuple[tuple[tuple[int, float, int, int, float], ...], ...]

    @classmethod
    def from_json(cls, data: dict) -> _Trees:
        return cls(
            features=tuple(data["features"]),
            bias=float(data["bias"]),
            trees=tuple(
                tuple((int(n[0]), float(n[1]), int(n[2]), int(n[3]), float(n[4])) for n in t) for t in data["trees"]
            ),
        )

    def contributions(self, features: dict[str, float]) -> list[float]:
        """Each feature's share of the log-odds score (the score is ``bias + sum(contributions)``)."""
        # Rounded to float32 as scikit-learn's trees see them, so that training and run time agree exactly.
        values = array("f", [features[name] for name in self.features]).tolist()
        out = [0.0] * len(values)
        for nodes in self.trees:
            feature, threshold, left, right, value = nodes[0]
            while feature >= 0:
                child = nodes[left if values[feature] <= threshold else right]
                out[feature] += child[4] - value
                feature, threshold, left, right, value = child
        return out


@dataclass(frozen=True, slots=True)
class PageTypeModel:
    article: _Trees  # binary: log-odds of "article", sigmoid = probability
    kind: _Linear  # multinomial over NON_ARTICLE_KINDS, softmax
    threshold: float
    min_kind_probability: float  # below it the kind is "other"


@cache
def load_model() -> PageTypeModel:
    """The shipped model (cleaners/models/page_type.json), read once per process."""
    data = json.loads(resources.files("cleaners").joinpath(MODEL_RESOURCE).read_text(encoding="utf-8"))
    return PageTypeModel(
        article=_Trees.from_json(data["article"]),
        kind=_Linear.from_json(data["kind"]),
        threshold=float(data["threshold"]),
        min_kind_probability=float(data["min_kind_probability"]),
    )


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


# How each feature reads in ``PageType.evidence``: flags by what they say (or "no ..."), counts (stored as
# log1p) as counts, shares as percentages.
_FLAGS = {
    "ld_article": "JSON-LD/microdata type Article",
    "ld_product": "JSON-LD/microdata type Product/Offer",
    "ld_forum": "JSON-LD/microdata type forum posting/Q&A",
    "ld_listing": "JSON-LD/microdata type CollectionPage/ItemList",
    "ld_service": "JSON-LD/microdata type Service/Organization/FAQ",
    "ld_docs": "JSON-LD/microdata type TechArticle/HowTo",
    "ld_published": "JSON-LD datePublished",
    "og_article": "og:type article",
    "og_product": "og:type product",
    "og_website": "og:type website",
    "meta_published": "published-time meta",
    "has_published": "a date",
    "has_author": "an author",
    "has_title": "a title",
    "title_question": "title is a question",
    "url_date": "date in URL",
    "url_short": "short URL path",
    "url_listing": "URL in a tag/category/section path",
    "url_product": "URL in a product/shop path",
    "url_docs": "URL in a docs/help path",
    "url_forum": "URL in a forum/thread/questions path",
    "url_query": "a query string in the URL",
    "url_numeric": "a numeric id in the URL",
    "url_html": "URL ending in .html/.php/.aspx",
    "meta_article": "article:* meta tags",
    "ld_person": "JSON-LD/microdata type Person",
    "ld_page": "JSON-LD/microdata type WebPage/AboutPage/ContactPage",
    "ld_faq": "JSON-LD/microdata type FAQPage",
    "ld_comment": "JSON-LD/microdata type Comment",
    "ld_any": "JSON-LD/microdata types",
}
_COUNTS = {
    "linked_headings": "{} linked headings",
    "repeated_articles": "{} <article> elements after the first",
    "repeated_times": "{} <time> elements after the second",
    "article_elements": "{} <article> elements",
    "time_elements": "{} <time> elements",
    "price_markup": "{} price classes",
    "cart_markup": "{} cart classes",
    "cta_markup": "{} button classes",
    "forum_markup": "{} avatar/reply/vote classes",
    "card_markup": "{} card/teaser/tile classes",
    "product_markup": "{} product classes",
    "code_blocks": "{} code blocks",
    "form_fields": "{} form fields and buttons",
    "paragraphs": "{} paragraphs",
    "text_chars": "{} characters of text",
    "best_block": "{} characters in the largest paragraph block",
    "long_paragraphs": "{} long <p>",
    "mean_paragraph": "paragraphs of {} characters on average",
    "text_prices": "{} prices in the text",
    "images": "{} images",
    "sections": "{} <section> elements",
    "figures": "{} <figure> elements",
    "headings": "{} headings",
    "text_blocks": "{} blocks of prose",
    "alike_blocks": "{} more prose blocks under alike parents",
    "author_markup": "{} author/byline classes",
    "share_markup": "{} share classes",
    "comment_markup": "{} comment classes",
    "post_markup": "{} post/entry classes",
    "date_markup": "{} date classes",
    "hero_markup": "{} hero/testimonial/accordion classes",
    "grid_markup": "{} grid/column classes",
    "filter_markup": "{} filter/sort/pagination classes",
    "thread_markup": "{} thread/topic/quote classes",
    "docs_markup": "{} toc/sidebar/highlight classes",
}
_SHARES = {
    "page_p_share": "{:.0%} of page text in <p>",
    "text_share": "{:.0%} of page text extracted",
    "sentence_share": "{:.0%} of paragraphs end like sentences",
    "best_block_share": "{:.0%} of page text in one paragraph block",
    "block_concentration": "{:.0%} of <p> text in one block",
    "short_line_share": "{:.0%} of text lines short",
    "link_share": "{:.0%} of page text in links",
    "question_share": "{:.0%} of text lines are questions",
}


def _describe(name: str, value: float) -> str:
    if name in _FLAGS:
        return _FLAGS[name] if value else f"no {_FLAGS[name]}"
    if name in _COUNTS:
        return _COUNTS[name].format(round(math.expm1(value)))
    if name in _SHARES:
        return _SHARES[name].format(value)
    if name == "url_slug_words":
        return f"{round(value)} words in the URL's last segment"
    if name == "title_words":
        return f"{round(value)}-word headline"
    if name == "url_depth":
        return f"{round(value)} segments in the URL path"
    if name == "h1_count":
        return f"{round(value)} <h1>"
    if name == "headings_per_kchar":
        return f"{value:.1f} headings per 1000 characters of text"
    return f"{name} {value:.3g}"


def score_features(
    features: dict[str, float], model: PageTypeModel | None = None, threshold: float | None = None
) -> PageType:
    """The label, article probability and the three features that pushed hardest toward the decision.
    ``threshold``: the article score from which a page is an article (None: the shipped model's)."""
    model = model or load_model()
    trees = model.article
    contributions = trees.contributions(features)
    score = round(_sigmoid(trees.bias + sum(contributions)), 4)
    is_article = score >= (model.threshold if threshold is None else threshold)
    sign = 1.0 if is_article else -1.0
    ranked = sorted(range(len(contributions)), key=lambda i: (-sign * contributions[i], trees.features[i]))
    reasons = [
        _describe(trees.features[i], features[trees.features[i]]) for i in ranked[:3] if sign * contributions[i] > 0
    ]
    if is_article:
        label = "article"
    else:
        raw = model.kind.scores(features)
        top = max(raw)
        exps = [math.exp(r - top) for r in raw]
        probabilities = [e / sum(exps) for e in exps]
        best = max(range(len(probabilities)), key=lambda i: (probabilities[i], -i))
        label = model.kind.classes[best] if probabilities[best] >= model.min_kind_probability else "other"
        reasons.append(f"kind {model.kind.classes[best]} p={probabilities[best]:.2f}")
    return PageType(label=label, article_score=score, evidence="; ".join(reasons))


def classify_page(
    tree: HtmlElement,
    *,
    url: str | None,
    text: str,
    title: str | None,
    published: str | None,
    authors: list[str],
    structure: PageStructure | None = None,
    threshold: float | None = None,
) -> PageType:
    """Whether the page is an article, with a probability-like score and the main reasons.

    ``tree`` is the page as parsed (``trafilatura.utils.load_html``), read only; ``text`` the extracted main
    text (paragraphs joined with newlines) and the rest the extracted metadata, which may be empty;
    ``structure`` the tree's ``page_structure`` read before the tree was changed, where it was;
    ``threshold`` the article score from which the page is an article (None: the shipped model's, chosen to
    keep 99% of the development articles; ``cleaning.min_article_score`` in presswash.yaml).
    """
    features = page_features(
        tree, url=url, text=text, title=title, published=published, authors=authors, structure=structure
    )
    return score_features(features, threshold=threshold)


def __getattr__(name: str) -> float:
    """``ARTICLE_THRESHOLD``: the shipped model's threshold, read when first asked for."""
    if name == "ARTICLE_THRESHOLD":
        return load_model().threshold
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
