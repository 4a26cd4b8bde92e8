"""Page-type recognition (cleaners/page_type.py): small pages written here, then the development corpora.

The synthetic pages check that each kind of evidence moves the decision the way it should, that the
evidence is the trees' own contributions, and that the training script's export scores as scikit-learn
does, the same every time; they need nothing outside the project. The development corpora's figures
are gated in tests/test_quality_floor.py (see the note at the end).
"""

from __future__ import annotations

import json
import math
from dataclasses import FrozenInstanceError

import pytest
import trafilatura
from lxml.html import tostring
from trafilatura.utils import load_html

from cleaners import page_type
from cleaners.page_type import NON_ARTICLE_KINDS, PageType, classify_page, load_model, page_features

PARAGRAPH = (
    "The city council voted on Tuesday to expand the late-night bus service to the northern districts, "
    "after two years of complaints from shift workers who said the last buses left before their shifts ended. "
)
NAV = "".join(f'<li><a href="/section/{n}">Section {n}</a></li>' for n in range(12))


def _page(body: str, *, head: str = "", title: str = "Page") -> str:
    return f"<html><head><title>{title}</title>{head}</head><body><nav><ul>{NAV}</ul></nav>{body}</body></html>"


def news_article() -> tuple[str, str]:
    head = (
        '<meta property="og:type" content="article">'
        '<meta property="article:published_time" content="2024-05-14T08:00:00Z">'
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",'
        ' "headline": "Night buses reach the north", "datePublished": "2024-05-14"}</script>'
    )
    paragraphs = "".join(f"<p>{PARAGRAPH}Paragraph {n} adds more detail on the plan.</p>" for n in range(9))
    body = (
        '<article><h1>Night buses reach the north</h1><p class="byline">By Jane Doe</p>'
        f'<time datetime="2024-05-14">May 14, 2024</time>{paragraphs}</article>'
    )
    return _page(body, head=head, title="Night buses reach the north"), (
        "https://news.example.org/2024/05/14/night-buses-reach-the-northern-districts"
    )


def product_page() -> tuple[str, str]:
    head = (
        '<meta property="og:type" content="product">'
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product",'
        ' "name": "Trail Runner 3", "offers": {"@type": "Offer", "price": "129.00", "priceCurrency": "EUR"}}'
        "</script>"
    )
    body = (
        '<div class="product"><h1>Trail Runner 3</h1><span class="price">€129.00</span>'
        '<select name="size"><option>42</option><option>43</option></select>'
        '<button class="add-to-cart">Add to cart</button>'
        "<p>Lightweight trail shoe with a grippy outsole.</p>"
        "<ul><li>Weight: 280 g</li><li>Drop: 6 mm</li><li>Upper: recycled mesh</li></ul></div>"
        '<div class="related">'
        + "".join(
            f'<div class="card"><a href="/products/shoe-{n}"><img src="/i/{n}.jpg">Shoe {n}</a>'
            f'<span class="price">€{90 + n}.00</span></div>'
            for n in range(8)
        )
        + "</div>"
    )
    return _page(body, head=head, title="Trail Runner 3 | Shop"), "https://shop.example.com/products/trail-runner-3"


def listing_page() -> tuple[str, str]:
    cards = "".join(
        f'<div class="teaser"><h3><a href="/2024/05/{n:02d}/story-number-{n}-about-the-city">Story number {n} '
        f'about the city</a></h3><p>Short teaser {n}.</p><time datetime="2024-05-{n % 28 + 1:02d}">May</time></div>'
        for n in range(30)
    )
    return _page(f"<main><h1>Local news</h1>{cards}</main>", title="Local news"), "https://news.example.org/local/"


def forum_thread() -> tuple[str, str]:
    head = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "DiscussionForumPosting",'
        ' "headline": "Bike chain keeps slipping"}</script>'
    )
    posts = "".join(
        f'<div class="post" id="post-{n}"><div class="author"><a href="/u/user{n}">user{n}</a></div>'
        f'<div class="message">Reply {n}: have you checked the derailleur hanger? Mine was bent.</div>'
        f'<a href="/reply?to={n}">Reply</a> <a href="/quote?to={n}">Quote</a></div>'
        for n in range(10)
    )
    body = (
        f'<h1>Bike chain keeps slipping</h1>{posts}<form action="/post"><textarea name="message"></textarea>'
        '<input type="text" name="subject"><button type="submit">Post reply</button></form>'
    )
    return _page(body, head=head, title="Bike chain keeps slipping - Forum"), (
        "https://community.example.net/forum/threads/bike-chain-keeps-slipping.12345"
    )


def docs_page() -> tuple[str, str]:
    sections = "".join(
        f"<h2>Option {n}</h2><p>Sets option {n}.</p><pre><code>client.configure(option_{n}=True)</code></pre>"
        f"<p>Default: <code>False</code>.</p>"
        for n in range(8)
    )
    toc = "".join(f'<li><a href="/docs/api/option-{n}">Option {n}</a></li>' for n in range(20))
    body = f'<aside class="toc"><ul>{toc}</ul></aside><main><h1>Client options</h1>{sections}</main>'
    return _page(body, title="Client options - Docs"), "https://example.dev/docs/api/client-options"


def classify(html: str, url: str, threshold: float | None = None) -> PageType:
    """As at run time: the parsed page plus the extraction's text and metadata."""
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    text = doc.text if doc is not None and doc.text else ""
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()] if doc is not None else []
    return classify_page(
        load_html(html),
        url=url,
        text=text,
        title=doc.title if doc is not None else None,
        published=doc.date if doc is not None else None,
        authors=authors,
        threshold=threshold,
    )


# --- synthetic pages -------------------------------------------------------------------------------------------


def test_news_article_with_json_ld_is_an_article() -> None:
    result = classify(*news_article())
    assert result.label == "article"
    assert result.article_score >= page_type.ARTICLE_THRESHOLD
    assert result.evidence


@pytest.mark.parametrize(
    ("make", "kind"),
    [(product_page, "product"), (listing_page, "listing"), (forum_thread, "forum"), (docs_page, "documentation")],
)
def test_non_articles_are_recognised_with_their_kind(make, kind) -> None:
    result = classify(*make())
    assert result.label != "article", result
    assert result.article_score < page_type.ARTICLE_THRESHOLD
    assert result.label in {*NON_ARTICLE_KINDS, "other"}
    assert result.label == kind, result


def test_label_follows_the_threshold_and_the_score_is_a_probability() -> None:
    for make in (news_article, product_page, listing_page, forum_thread, docs_page):
        result = classify(*make())
        assert 0.0 <= result.article_score <= 1.0
        assert (result.label == "article") == (result.article_score >= page_type.ARTICLE_THRESHOLD)


def test_a_threshold_given_moves_the_label_not_the_score() -> None:
    # cleaning.min_article_score: the same page, the same score, judged against another threshold
    article = classify(*news_article())
    strict = classify(*news_article(), threshold=min(1.0, article.article_score + 0.0001))
    assert article.label == "article" and strict.label != "article"
    listing = classify(*listing_page())
    kept = classify(*listing_page(), threshold=0.0)
    assert listing.label == "listing" and kept.label == "article"
    assert (strict.article_score, kept.article_score) == (article.article_score, listing.article_score)


def test_the_declared_type_moves_the_score() -> None:
    html, url = news_article()
    as_product = html.replace('"@type": "NewsArticle"', '"@type": "Product"').replace(
        'content="article"', 'content="product"'
    )
    assert classify(as_product, url).article_score < classify(html, url).article_score


def test_classification_leaves_the_tree_alone_and_is_deterministic() -> None:
    html, url = listing_page()
    tree = load_html(html)
    before = tostring(tree)
    first = classify_page(tree, url=url, text="Local news", title=None, published=None, authors=[])
    second = classify_page(tree, url=url, text="Local news", title=None, published=None, authors=[])
    assert tostring(tree) == before
    assert first == second
    with pytest.raises(FrozenInstanceError):
        first.label = "article"  # type: ignore[misc]


def test_features_of_an_empty_page_are_defined() -> None:
    features = page_features(
        load_html("<html><body></body></html>"), url=None, text="", title=None, published=None, authors=[]
    )
    assert set(load_model().article.features) <= set(features)
    assert all(value == value for value in features.values())  # no NaN
    result = classify_page(
        load_html("<html><body></body></html>"), url=None, text="", title=None, published=None, authors=[]
    )
    assert result.label != "article"


def test_url_shape_features() -> None:
    tree = load_html("<html><body><p>x</p></body></html>")
    dated = page_features(
        tree, url="https://a.example/2023/11/02/a-long-story-slug-here", text="", title=None, published=None, authors=[]
    )
    assert dated["url_date"] == 1.0 and dated["url_slug_words"] == 5.0 and dated["url_short"] == 0.0
    tag = page_features(tree, url="https://a.example/tag/politics/", text="", title=None, published=None, authors=[])
    assert tag["url_listing"] == 1.0 and tag["url_date"] == 0.0
    home = page_features(tree, url="https://a.example/", text="", title=None, published=None, authors=[])
    assert home["url_short"] == 1.0


def test_structure_features_read_links_and_alike_prose_blocks() -> None:
    html, url = listing_page()
    listing = page_features(load_html(html), url=url, text="", title=None, published=None, authors=[])
    html, url = news_article()
    article = page_features(load_html(html), url=url, text="", title=None, published=None, authors=[])
    assert listing["link_share"] > 0.5 > article["link_share"]
    posts = "".join(f'<div class="post"><p>{PARAGRAPH}</p></div>' for _ in range(6))
    thread = page_features(load_html(_page(posts)), url=None, text="", title=None, published=None, authors=[])
    assert thread["alike_blocks"] == pytest.approx(math.log1p(5))  # six alike blocks: five after the first
    assert article["alike_blocks"] == 0.0  # one body


def test_evidence_is_the_trees_contributions() -> None:
    """The score is the bias plus the per-feature contributions; the evidence names the strongest ones."""
    html, url = product_page()
    features = page_features(
        load_html(html), url=url, text="Lightweight trail shoe.", title="Trail Runner 3", published=None, authors=[]
    )
    model = load_model()
    contributions = model.article.contributions(features)
    assert len(contributions) == len(model.article.features)
    probability = 1 / (1 + math.exp(-(model.article.bias + sum(contributions))))
    result = page_type.score_features(features, model)
    assert result.article_score == pytest.approx(probability, abs=1e-4)
    strongest = min(range(len(contributions)), key=lambda i: contributions[i])
    name = model.article.features[strongest]
    assert page_type._describe(name, features[name]) in result.evidence.split("; ")


def test_exported_trees_match_scikit_learn_and_are_deterministic() -> None:
    """The training script's export, read by the run-time model, scores as scikit-learn does; twice the same."""
    pytest.importorskip("sklearn")
    np = pytest.importorskip("numpy")
    from bench.train_page_type import Trees, dump_model

    rng = np.random.default_rng(7)
    names = ("a", "b", "c")
    x = rng.normal(size=(300, 3))
    y = (x[:, 0] + 0.5 * x[:, 1] * x[:, 2] + rng.normal(scale=0.5, size=300) > 0).astype(int)
    exported = [dump_model({"article": Trees(names, 40, 0.1).fit(x, y).to_json()}) for _ in range(2)]
    assert exported[0] == exported[1]
    trees = Trees(names, 40, 0.1).fit(x, y)
    runtime = page_type._Trees.from_json(json.loads(exported[0])["article"])
    for row, expected in zip(x[:50], trees.proba(x[:50])[:, 1], strict=True):
        features = dict(zip(names, map(float, row), strict=True))
        score = runtime.bias + sum(runtime.contributions(features))
        assert 1 / (1 + math.exp(-score)) == pytest.approx(float(expected), abs=1e-6)


# The development corpora's figures (articles kept, other pages recognised, by presswash's whole pipeline)
# are gated with the extraction scores in tests/test_quality_floor.py (floors in bench/floors.json).


def test_the_page_is_typed_as_parsed_before_hidden_elements_are_removed() -> None:
    """extract_html removes what no reader sees before its passes; the model was trained on the page as
    parsed, hidden menus and dialogs included, so it reads the structure first (``page_structure``)."""
    from cleaners.extract import extract_html, prepare_tree
    from cleaners.options import load_options

    menu = "".join(f"<li><a href='/s/{n}'>Section number {n}</a></li>" for n in range(30))
    story = "".join(
        f"<p>{'The council met on Monday and approved the budget for next year. ' * 4}</p>" for _ in range(5)
    )
    html = (
        "<html><head><title>Council approves budget</title></head><body>"
        f"<nav style='display:none'><ul>{menu}</ul></nav><article><h1>Council approves budget</h1>{story}</article>"
        "</body></html>"
    )
    raw = load_html(html)
    structure = page_type.page_structure(raw)
    prepared = load_html(html)
    prepare_tree(prepared)
    common = {"url": "https://ex.com/news/council", "text": "text", "title": "t", "published": None, "authors": []}
    assert page_features(prepared, **common) != page_features(raw, **common)  # the hidden menu is evidence
    assert page_features(prepared, **common, structure=structure) == page_features(raw, **common)
    page = extract_html(html, load_options().extractor_for(common["url"], None))
    assert page is not None and page.page_type is not None
    expected = classify_page(
        raw, url=common["url"], text="\n".join(page.paragraphs), title=page.title, published=None, authors=[]
    )
    assert page.page_type == expected
