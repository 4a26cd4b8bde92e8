"""HTML, feed and sitemap rendering for the demo news site.

Rendering is kept free of server state (callers pass the current article views in) so the manifest
builder can render the very same pages offline and derive ``must_remove`` from the markup actually
emitted: every boilerplate string goes through a :class:`Clutter` collector on its way into the page.
Each clutter string is emitted as its own text node inside its own block element, because the cleaner's
second pass works on whole lines and a crawler test must be able to find the string verbatim.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from demo_articles import (
    ALL_ARTICLES,
    BLOGGER_COMMENTS_BUTTON,
    BLOGGER_COMMENTS_TITLE,
    BLOGGER_COOKIE_BUTTON,
    BLOGGER_COOKIE_RESIDUE,
    BLOGGER_COOKIE_TEXT,
    BLOGGER_CTA,
    BLOGGER_CTA_FRAGMENTS,
    BLOGGER_SIMILAR,
    EMPTY_BYLINE,
    FAILURE_ARTICLES,
    FOOTER_COPYRIGHT,
    NEWS,
    PHRASES,
    SECTION_TITLES,
    SECTIONS,
    SITE_NAME,
    Article,
)

SECTION_PAGE_SIZE = 5
LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}

# Outcome a correct crawler should reach on each failure route; the manifest publishes this mapping.
FAILURES: dict[str, str] = {
    "/fail/missing.html": "404",
    "/fail/flaky.html": "retry-then-ok",
    "/fail/slow.html": "timeout",
    "/fail/loop.html": "redirect-loop",
    "/fail/gzip.html": "ok-gzip",
    "/fail/report.pdf": "not-html",
    "/fail/huge.html": "too-large",
    "/fail/broken.html": "ok-broken",
    "/fail/charset.html": "ok-charset",
    "/fail/redirect.html": "redirect-ok",
}
_FAILURE_TITLES = {a.path: a.title for a in FAILURE_ARTICLES}
FAILURE_LINK_TEXT: dict[str, str] = {
    "/fail/missing.html": "Archive: the council story that was never published",
    "/fail/loop.html": "Circular reporting: the story that points to itself",
    "/fail/report.pdf": "Annual transparency report (PDF)",
    "/fail/huge.html": "The complete archive on a single page",
    "/fail/redirect.html": "Moved: coastal flood warning",
    **_FAILURE_TITLES,
}
STATIC_PAGE_DATES = {"/about.html": "2025-06-01T09:00:00+00:00", "/contact.html": "2025-06-01T09:00:00+00:00"}
FAILURE_LASTMOD = "2026-01-15T12:00:00+00:00"


@dataclass(frozen=True)
class ArticleView:
    """An article as currently served: the hand-written data plus live edits from the control routes."""

    article: Article
    updates: tuple[str, ...] = ()
    modified: datetime | None = None

    @property
    def lastmod(self) -> datetime:
        return self.modified or self.article.published_dt


@dataclass(frozen=True)
class Rendered:
    """A rendered article page: bytes to serve plus the clutter strings the page is known to contain."""

    html: str
    body: bytes
    must_remove: tuple[str, ...]


class Clutter:
    """Records each boilerplate string on its way into a page, so must_remove cannot drift from markup."""

    def __init__(self) -> None:
        self.strings: list[str] = []

    def __call__(self, text: str, *fragments: str) -> str:
        for piece in (text, *fragments):
            if piece not in text:
                raise ValueError(f"fragment {piece!r} is not part of {text!r}")
            if piece not in self.strings:
                self.strings.append(piece)
        return _t(text)


def _t(text: str) -> str:
    """Escape text content but keep quotes raw, so paragraph texts appear verbatim in the HTML source."""
    return html.escape(text, quote=False)


def _a(text: str) -> str:
    return html.escape(text, quote=True)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def iso(dt: datetime) -> str:
    return dt.isoformat()


def http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def display_date(dt: datetime, language: str) -> str:
    month = PHRASES[language].months[dt.month - 1]
    if language == "de":
        return f"{dt.day}. {month} {dt.year}"
    if language == "fr":
        return f"{dt.day} {month} {dt.year}"
    if language == "es":
        return f"{dt.day} de {month} de {dt.year}"
    return f"{month} {dt.day}, {dt.year}"


def news_views(views: Iterable[ArticleView]) -> list[ArticleView]:
    """Public news articles, newest first: the order of sections, feeds and the news sitemap."""
    items = [v for v in views if v.article.kind == "news"]
    return sorted(items, key=lambda v: (v.article.published_dt, v.article.path), reverse=True)


def section_items(views: Iterable[ArticleView], section: str) -> list[ArticleView]:
    return [v for v in news_views(views) if v.article.section == section]


def section_page_count(views: Iterable[ArticleView], section: str) -> int:
    count = len(section_items(views, section))
    return max(1, -(-count // SECTION_PAGE_SIZE))


def section_page_path(section: str, page: int) -> str:
    return f"/section/{section}/" if page == 1 else f"/section/{section}/page/{page}/"


def tag_index(views: Iterable[ArticleView]) -> dict[str, list[ArticleView]]:
    """Tag slug -> tagged articles; private articles are left out so tag pages never leak them."""
    index: dict[str, list[ArticleView]] = {}
    for view in sorted(views, key=lambda v: v.article.published_dt, reverse=True):
        if view.article.kind == "private":
            continue
        for tag in view.article.tags:
            index.setdefault(slugify(tag), []).append(view)
    return index


def non_article_paths(views: Sequence[ArticleView]) -> list[str]:
    paths = ["/"]
    for section in SECTIONS:
        paths += [section_page_path(section, p) for p in range(1, section_page_count(views, section) + 1)]
    paths += [f"/tag/{slug}/" for slug in sorted(tag_index(views))]
    paths += ["/about.html", "/contact.html"]
    return paths


def related_for(article: Article, count: int = 3) -> list[Article]:
    """Other stories to list in related/read-more blocks: same language first, rotated per article."""
    pool = [n for n in NEWS if n.slug != article.slug]
    same = [n for n in pool if n.language == article.language]
    others = [n for n in pool if n.language != article.language]
    offset = sum(map(ord, article.slug))
    if same:
        k = offset % len(same)
        same = same[k:] + same[:k]
    if others:
        k = offset % len(others)
        others = others[k:] + others[:k]
    return (same + others)[:count]


_POST_IDS = {a.slug: 1000 + i for i, a in enumerate(ALL_ARTICLES)}


def _post_id(article: Article) -> int:
    """Stable numeric id for theme markup (WordPress post ids, Blogger post-body ids)."""
    return _POST_IDS.get(article.slug, 9000 + sum(map(ord, article.slug)))


def recent_for(article: Article, count: int = 5) -> list[Article]:
    """Static "Recent posts" widget: newest hand-written stories, so live edits never change old pages."""
    items = sorted((n for n in NEWS if n.slug != article.slug), key=lambda n: n.published_dt, reverse=True)
    return items[:count]


# --------------------------------------------------------------------------------------------------
# Shared chrome
# --------------------------------------------------------------------------------------------------

_ANALYTICS = (
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
    "gtag('js',new Date());gtag('config','G-PWDEMO0001',{anonymize_ip:true});</script>\n"
    '<script async src="/static/js/consent.js"></script>'
)


def _nav() -> str:
    items = ['<li><a href="/">Home</a></li>']
    items += [f'<li><a href="/section/{s}/">{SECTION_TITLES[s]}</a></li>' for s in SECTIONS]
    items += ['<li><a href="/about.html">About us</a></li>', '<li><a href="/contact.html">Contact</a></li>']
    return f'<nav class="main-nav" aria-label="Main"><ul>{"".join(items)}</ul></nav>'


def _site_header() -> str:
    return (
        f'<header class="site-header"><div class="brand"><a href="/" rel="home">{SITE_NAME}</a></div>{_nav()}</header>'
    )


def _share_links(url: str, labels: tuple[str, str, str], c: Clutter, tag: str = "li") -> str:
    u = quote(url, safe="")
    hrefs = (
        f"https://www.facebook.com/sharer/sharer.php?u={u}",
        f"https://twitter.com/intent/tweet?url={u}",
        f"https://wa.me/?text={u}",
    )
    css = ("share-facebook", "share-twitter", "share-whatsapp")
    return "".join(
        f'<{tag} class="{k}"><a href="{_a(h)}" rel="nofollow noopener" target="_blank">{c(label)}</a></{tag}>'
        for k, h, label in zip(css, hrefs, labels, strict=True)
    )


def _link(article: Article, c: Clutter) -> str:
    return f'<a href="{article.path}">{c(article.title)}</a>'


def _head(
    view: ArticleView,
    *,
    url: str,
    canonical: str | None,
    rich: bool,
    charset: str = "utf-8",
    title_suffix: str = f" | {SITE_NAME}",
    extra: str = "",
) -> str:
    a = view.article
    lines = [
        f'<meta charset="{charset}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_t(a.title + title_suffix)}</title>",
        f'<meta name="description" content="{_a(a.description)}">',
        f'<meta name="author" content="{_a(", ".join(a.authors))}">',
        f'<meta property="og:site_name" content="{SITE_NAME}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{_a(a.title)}">',
        f'<meta property="article:published_time" content="{a.published}">',
    ]
    if view.modified is not None:
        lines.append(f'<meta property="article:modified_time" content="{iso(view.modified)}">')
    if rich:
        lines += [
            f'<meta property="og:description" content="{_a(a.description)}">',
            f'<meta property="og:url" content="{_a(canonical or url)}">',
            f'<meta property="og:locale" content="{LOCALES[a.language]}">',
            f'<meta property="article:section" content="{SECTION_TITLES.get(a.section, "")}">',
            *(f'<meta property="article:tag" content="{_a(tag)}">' for tag in a.tags),
            f'<meta name="keywords" content="{_a(", ".join(a.tags))}">',
            '<meta name="twitter:card" content="summary_large_image">',
            '<link rel="alternate" type="application/rss+xml" title="RSS" href="/feeds/rss.xml">',
            '<link rel="alternate" type="application/atom+xml" title="Atom" href="/feeds/atom.xml">',
        ]
    if canonical:
        lines.append(f'<link rel="canonical" href="{_a(canonical)}">')
    lines.append(
        "<style>body{margin:0;font-family:Georgia,serif;color:#222}.consent,.cookie-notice,.ckWrp"
        "{position:fixed;bottom:0;left:0;right:0;background:#fff;padding:1em}.ad-slot{min-height:250px}"
        ".share-bar a,.sharedaddy a{display:inline-block;margin-right:.5em}</style>"
    )
    lines.append(_ANALYTICS)
    if extra:
        lines.append(extra)
    return "\n".join(lines)


def _ad(label: str, c: Clutter, slot: str) -> str:
    return (
        f'<div class="ad-slot" data-slot="{slot}" aria-hidden="true"><p class="ad-label">{c(label)}</p>'
        '<div class="ad-unit"></div></div>'
    )


def _story_blocks(
    view: ArticleView,
    c: Clutter,
    *,
    ad_after: int,
    headline_tag: str = "h3",
    read_more: Article | None = None,
) -> list[str]:
    """The article body proper: the paragraphs plus whatever the theme injects between them."""
    a = view.article
    p = PHRASES[a.language]
    blocks: list[str] = []
    if a.headline_in_body:
        blocks.append(f'<{headline_tag} class="post-title">{c(a.title)}</{headline_tag}>')
    if a.intro_line:
        blocks.append(f'<p class="syndication-note"><em>{_t(a.intro_line)}</em></p>')
    for i, para in enumerate(a.paragraphs):
        blocks.append(f"<p>{_t(para)}</p>")
        if i == 1 and a.list_items:
            items = "".join(f"<li>{_t(item)}</li>" for item in a.list_items)
            blocks.append(f'<ul class="checklist">{items}</ul>')
        if i == 1 and read_more is not None:
            blocks.append(f'<p class="read-more"><strong>{c(p.read_more)}</strong> {_link(read_more, c)}</p>')
        if i == ad_after:
            blocks.append(_ad(p.advertisement, c, f"in-article-{i}"))
    blocks.extend(f'<p class="update-note">{_t(update)}</p>' for update in view.updates)
    if a.footer_line:
        blocks.append(f'<p class="syndication-footer">{_t(a.footer_line)}</p>')
    return blocks


def _byline(a: Article, c: Clutter) -> str:
    if a.empty_byline:
        return c(EMPTY_BYLINE)
    return _t(f"{PHRASES[a.language].by} {' and '.join(a.authors)}")


def _cookie_banner(language: str, c: Clutter, css: str = "consent") -> str:
    p = PHRASES[language]
    return (
        f'<div class="{css}" id="cookie-consent" role="dialog" aria-label="Cookie consent">'
        f'<p class="consent-text">{c(p.cookie)}</p><div class="consent-actions">'
        f'<button type="button" class="accept">{c(p.cookie_accept)}</button>'
        f'<button type="button" class="reject">{c(p.cookie_reject)}</button></div></div>'
    )


def _newsletter(language: str, c: Clutter) -> str:
    p = PHRASES[language]
    return (
        f'<div class="newsletter-cta"><p>{c(p.newsletter, *p.newsletter_fragments)}</p>'
        '<form class="newsletter-form" action="#" method="post"><input type="email" name="email" '
        'placeholder="name@example.com" aria-label="Email"><button type="submit">OK</button></form></div>'
    )


def _comment_form(language: str, c: Clutter, heading_tag: str = "h3") -> str:
    p = PHRASES[language]
    return (
        f'<div id="respond" class="comment-respond"><{heading_tag} class="comment-reply-title">'
        f"{c(p.comments)}</{heading_tag}>"
        f'<form action="#" method="post" class="comment-form"><p class="comment-notes">{c(p.email_notice)}</p>'
        '<p class="comment-form-comment"><textarea name="comment" rows="6" aria-label="Comment"></textarea></p>'
        '<p class="form-submit"><input type="submit" class="submit" value="Post Comment"></p></form></div>'
    )


def _site_footer(c: Clutter) -> str:
    links = "".join(
        f'<li><a href="{h}">{t}</a></li>'
        for h, t in (
            ("/about.html", "About us"),
            ("/contact.html", "Contact"),
            ("/feeds/rss.xml", "RSS"),
            ("/sitemap_index.xml", "Sitemap"),
        )
    )
    return f'<footer class="site-footer"><ul class="footer-links">{links}</ul><p>{c(FOOTER_COPYRIGHT)}</p></footer>'


# --------------------------------------------------------------------------------------------------
# Article templates
# --------------------------------------------------------------------------------------------------


def _wordpress(view: ArticleView, url: str, canonical: str | None, c: Clutter) -> str:
    a = view.article
    p = PHRASES[a.language]
    post_id = _post_id(a)
    related = related_for(a)
    body = "\n".join(_story_blocks(view, c, ad_after=1))
    tags = " ".join(f'<a href="/tag/{slugify(t)}/" rel="tag">{_t(t)}</a>' for t in a.tags)
    recent = "".join(f"<li>{_link(r, c)}</li>" for r in recent_for(a))
    related_items = "".join(f'<p class="jp-relatedposts-post">{_link(r, c)}</p>' for r in related)
    shown = display_date(a.published_dt, a.language)
    return f"""<!DOCTYPE html>
<html lang="{a.language}">
<head>
{_head(view, url=url, canonical=canonical, rich=True, extra='<meta name="generator" content="WordPress 6.7.1">')}
</head>
<body class="post-template-default single single-post postid-{post_id} single-format-standard">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
{_site_header()}
{_cookie_banner(a.language, c, "cli-bar consent")}
<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main">
<article id="post-{post_id}" class="post-{post_id} post type-post status-publish hentry category-{a.section}">
<header class="entry-header"><h1 class="entry-title">{_t(a.title)}</h1>
<div class="entry-meta"><span class="byline">{_byline(a, c)}</span>
<span class="posted-on"><time class="entry-date published" datetime="{a.published}">{shown}</time></span>
</div>
</header>
<div class="entry-content">
{body}
{_newsletter(a.language, c)}
</div>
<footer class="entry-footer"><span class="tags-links">{tags}</span></footer>
<div class="sharedaddy sd-sharing-enabled"><div class="sd-content"><ul>{_share_links(url, p.share, c)}</ul></div></div>
<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline">{c(p.related)}</h3>
<div class="jp-relatedposts-items">{related_items}</div></div>
</article>
<div id="comments" class="comments-area">
<ol class="comment-list"><li id="comment-{post_id}1" class="comment even thread-even depth-1">
<article class="comment-body"><footer class="comment-meta">
<div class="comment-author vcard"><b class="fn">Margaret H.</b> <span class="says">says:</span></div>
<div class="comment-metadata"><time datetime="{a.published}">{shown}</time></div></footer>
<div class="comment-content"><p>{c(p.reader_comment)}</p></div>
<div class="reply"><a rel="nofollow" class="comment-reply-link" href="#respond">Reply</a></div></article></li></ol>
{_comment_form(a.language, c)}
</div>
</main></div>
<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries">
<h2 class="widget-title">Recent Posts</h2>
<ul>{recent}</ul></section></aside>
</div>
{_site_footer(c)}
</div>
<script src="/wp-includes/js/wp-embed.min.js"></script>
</body>
</html>
"""


def _blogger(view: ArticleView, url: str, canonical: str | None, c: Clutter) -> str:
    a = view.article
    p = PHRASES[a.language]
    body = "\n".join(_story_blocks(view, c, ad_after=2, headline_tag="h3"))
    similar = "".join(f"<li>{_link(r, c)}</li>" for r in related_for(a))
    shown = display_date(a.published_dt, a.language)
    generator = '<meta name="generator" content="blogger">'
    return f"""<!DOCTYPE html>
<html lang="{a.language}" dir="ltr">
<head>
{_head(view, url=url, canonical=canonical, rich=True, title_suffix="", extra=generator)}
</head>
<body class="item-view version-1-3-3">
<div class="ckWrp" id="ckWrap"><div class="ckNtf">{c(BLOGGER_COOKIE_RESIDUE)}</div>
<div class="ckCnt">{c(BLOGGER_COOKIE_TEXT)}</div>
<div class="ckBtn"><button type="button" id="ckAcpt">{c(BLOGGER_COOKIE_BUTTON)}</button></div></div>
{_site_header()}
<main class="blog-posts hfeed container" id="main">
<div class="post-outer"><div class="post hentry" itemscope itemtype="http://schema.org/BlogPosting">
<h1 class="post-title entry-title" itemprop="headline">{_t(a.title)}</h1>
<div class="post-header"><span class="byline post-author vcard">{_byline(a, c)}</span>
<span class="byline post-timestamp"><time class="published" datetime="{a.published}">{shown}</time></span>
</div>
<div class="post-body entry-content float-container" id="post-body-{_post_id(a)}">
{body}
</div>
<div class="post-cta"><p>{c(BLOGGER_CTA, *BLOGGER_CTA_FRAGMENTS)}</p></div>
<div class="post-share-buttons"><ul class="share-buttons">{_share_links(url, p.share, c)}</ul></div>
<div class="post-footer"><span class="post-labels">Labels:
<a href="/section/{a.section}/" rel="tag">{SECTION_TITLES[a.section]}</a></span></div>
</div></div>
<div class="related-posts"><h3 class="title">{c(BLOGGER_SIMILAR)}</h3>
<ul class="related-posts-list">{similar}</ul></div>
<section class="comments" id="comments"><h3 class="title">{c(BLOGGER_COMMENTS_TITLE)}</h3>
<div class="comment-footer">
<a class="comment-editor-toggle" href="#comment-editor">{c(BLOGGER_COMMENTS_BUTTON)}</a></div></section>
</main>
{_site_footer(c)}
<script src="https://www.blogger.com/static/v1/widgets/widgets.js"></script>
</body>
</html>
"""


def _jsonld(view: ArticleView, canonical: str, base: str) -> str:
    a = view.article
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.title,
        "description": a.description,
        "inLanguage": a.language,
        "datePublished": a.published,
        "dateModified": iso(view.lastmod),
        "author": [{"@type": "Person", "name": name} for name in a.authors],
        "publisher": {
            "@type": "Organization",
            "name": SITE_NAME,
            "logo": {"@type": "ImageObject", "url": f"{base}/static/logo.png"},
        },
        "keywords": ", ".join(a.tags),
        "articleSection": SECTION_TITLES.get(a.section, ""),
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "url": canonical,
    }
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def _newspaper(view: ArticleView, url: str, canonical: str, base: str, c: Clutter) -> str:
    a = view.article
    p = PHRASES[a.language]
    related = related_for(a)
    body = "\n".join(_story_blocks(view, c, ad_after=2, read_more=related[0]))
    also = "".join(f'<p class="also-read-item">{c(p.also_read)} {_link(r, c)}</p>' for r in related[1:])
    tags = "".join(f'<li><a href="/tag/{slugify(t)}/">{_t(t)}</a></li>' for t in a.tags)
    section = SECTION_TITLES.get(a.section, "")
    date = a.published_dt
    return f"""<!DOCTYPE html>
<html lang="{a.language}">
<head>
{_head(view, url=url, canonical=canonical, rich=True, extra=_jsonld(view, canonical, base))}
</head>
<body class="article-page">
{_site_header()}
{_cookie_banner(a.language, c)}
<main id="content" class="layout">
<article class="news-article" itemscope itemtype="https://schema.org/NewsArticle">
<header class="article-header"><p class="kicker"><a href="/section/{a.section}/">{section}</a></p>
<h1 itemprop="headline">{_t(a.title)}</h1>
<p class="standfirst" itemprop="description">{_t(a.description)}</p>
<div class="byline">{_byline(a, c)}
<time datetime="{a.published}" itemprop="datePublished">{display_date(date, a.language)}</time></div>
<div class="share-bar share-top"><ul>{_share_links(url, p.share, c)}</ul></div>
</header>
<div class="article-body" itemprop="articleBody">
{body}
</div>
<footer class="article-footer"><ul class="article-tags">{tags}</ul>{_newsletter(a.language, c)}</footer>
</article>
<aside class="also-read">{also}</aside>
<section id="comments" class="comments">{_comment_form(a.language, c, "h2")}</section>
</main>
{_site_footer(c)}
</body>
</html>
"""


def _minimal(view: ArticleView, url: str, canonical: str | None, c: Clutter, charset: str = "utf-8") -> str:
    a = view.article
    p = PHRASES[a.language]
    related = related_for(a, 1)[0]
    body = "\n".join(_story_blocks(view, c, ad_after=2, headline_tag="h2"))
    date = a.published_dt
    return f"""<!DOCTYPE html>
<html lang="{a.language}">
<head>
{_head(view, url=url, canonical=canonical, rich=False, charset=charset, title_suffix="")}
</head>
<body>
{_site_header()}
{_cookie_banner(a.language, c, "cookie-notice")}
<main>
<h1>{_t(a.title)}</h1>
<p class="meta">{_byline(a, c)} · <time datetime="{a.published}">{display_date(date, a.language)}</time></p>
{body}
<p class="also-read">{c(p.also_read)} {_link(related, c)}</p>
{_newsletter(a.language, c)}
<div class="share"><ul>{_share_links(url, p.share, c)}</ul></div>
<section class="comments" id="comments">{_comment_form(a.language, c, "h2")}</section>
</main>
{_site_footer(c)}
</body>
</html>
"""


GARBAGE_MARK = "<!--\x00garbage\x00-->"
GARBAGE_BYTES = b"\xff\xfe\x80\x81\xc3\x28\x9d\x1a\xe2\x82 \xf0\x28\x8c\xbc<\xfe"


def _broken(view: ArticleView, url: str, c: Clutter) -> str:
    """Tag soup as old CMSes emit it: unclosed blocks, stray end tags, unquoted attributes, junk bytes."""
    a = view.article
    p = PHRASES[a.language]
    paras = a.paragraphs
    related = related_for(a, 1)[0]
    updates = "".join(f'\n<p class="update-note">{_t(u)}' for u in view.updates)
    return f"""<html lang="{a.language}"><head><meta charset="utf-8">
<title>{_t(a.title)} | {SITE_NAME}</title>
<meta name="author" content="{_a(", ".join(a.authors))}">
<meta property="article:published_time" content="{a.published}">
<meta property="og:site_name" content="{SITE_NAME}">
<meta name="description" content="{_a(a.description)}">
<style>body {{ font: 14px/1.3 Verdana; .x {{ color: red }}</style>
<body bgcolor=#ffffff><div class=wrap><div class=header><a href="/">{SITE_NAME}</a> |
<a href="/section/tech/">Tech</a></b></span>
{GARBAGE_MARK}
<table width=100% border=0><tr><td valign=top><font face=Arial size=2>
<div class=cookie><p>{c(p.cookie)}<p><a href="#" class=ok>{c(p.cookie_accept)}</a>
<a href="#">{c(p.cookie_reject)}</a></div></div>
<div id=story><h1>{_t(a.title)}</h1></h2><span class=byline>{_byline(a, c)}</span>
<p>{_t(paras[0])}
<p>{_t(paras[1])}
<div class=ad><p>{c(p.advertisement)}</b></i></div>
<p>{_t(paras[2])}
<p>{_t(paras[3])}</i></span>
<P>{_t(paras[4])}{updates}
</font></td></tr></table>
<div class=also><p>{c(p.also_read)} {_link(related, c)}</div>
<div class=share><ul>{_share_links(url, p.share, c)}</ul>
<div class=cta><p>{c(p.newsletter, *p.newsletter_fragments)}</div>
<div class=comments><h3>{c(p.comments)}</h3><form><textarea name=c></form>
</div></div></div></div></div>
<div class=footer><p>{c(FOOTER_COPYRIGHT)}</div>
</body>
<p>{GARBAGE_MARK}
"""


def render_article(view: ArticleView, base: str, served_path: str | None = None) -> Rendered:
    """Render one article page as served at ``served_path`` (an alias path gets a canonical to the main)."""
    a = view.article
    served = served_path or a.path
    url = base + served
    main_url = base + a.path
    c = Clutter()
    encoding = "utf-8"
    if a.template == "wordpress":
        page = _wordpress(view, url, main_url, c)
    elif a.template == "blogger":
        page = _blogger(view, url, main_url, c)
    elif a.template == "newspaper":
        page = _newspaper(view, url, main_url, base, c)
    elif a.template == "minimal":
        page = _minimal(view, url, main_url if served != a.path else None, c)
    elif a.template == "charset":
        encoding = "cp1252"
        page = _minimal(view, url, None, c, charset="windows-1252")
    elif a.template == "broken":
        page = _broken(view, url, c)
    else:
        raise ValueError(f"unknown template {a.template!r}")
    body = page.encode(encoding, errors="xmlcharrefreplace").replace(GARBAGE_MARK.encode(), GARBAGE_BYTES)
    return Rendered(html=page.replace(GARBAGE_MARK, ""), body=body, must_remove=tuple(c.strings))


# --------------------------------------------------------------------------------------------------
# Non-article pages
# --------------------------------------------------------------------------------------------------


def _plain_page(title: str, body: str, *, description: str = "", lang: str = "en") -> str:
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_t(title)} | {SITE_NAME}</title>
<meta name="description" content="{_a(description or title)}">
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="og:type" content="website">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/feeds/rss.xml">
{_ANALYTICS}
</head>
<body class="listing">
{_site_header()}
<div class="consent" id="cookie-consent"><p>{_t(PHRASES["en"].cookie)}</p>
<button type="button">Accept all</button></div>
<main id="content">
{body}
</main>
<footer class="site-footer"><p>{_t(FOOTER_COPYRIGHT)}</p></footer>
</body>
</html>
"""


_TRACKING_VARIANTS = ("", "?utm_source=rss", "#comments", "?utm_source=newsletter&utm_medium=email#comments")


def _teaser(view: ArticleView, index: int) -> str:
    a = view.article
    href = a.path + _TRACKING_VARIANTS[index % len(_TRACKING_VARIANTS)]
    return (
        f'<article class="teaser"><h2><a href="{_a(href)}">{_t(a.title)}</a></h2>'
        f'<p class="teaser-meta"><time datetime="{a.published}">{display_date(a.published_dt, "en")}</time></p>'
        f'<p class="teaser-text">{_t(a.description)}</p>'
        f'<p><a class="more" href="{a.path}">Continue reading</a></p></article>'
    )


def render_home(views: Sequence[ArticleView], bulk_count: int) -> str:
    top = news_views(views)[:6]
    teasers = "\n".join(_teaser(v, i + 1) for i, v in enumerate(top))
    sections = "".join(f'<li><a href="/section/{s}/">{SECTION_TITLES[s]}</a></li>' for s in SECTIONS)
    bulk = f'<li><a href="/bulk/page/1/">Archive: {bulk_count} more stories</a></li>' if bulk_count > 0 else ""
    body = f"""<h1>{SITE_NAME}</h1>
<section class="top-stories"><h2>Top stories</h2>
{teasers}
</section>
<section class="sections"><h2>Sections</h2><ul>{sections}</ul></section>
<section class="more"><h2>More</h2><ul>
<li><a href="/tag/ukraine/">Ukraine</a></li>
<li><a href="/about.html">About us</a></li>
<li><a href="/contact.html">Contact</a></li>
<li><a href="/private/leak.html">Staff only: internal memo</a></li>
<li><a href="/feeds/rss.xml">RSS feed</a></li>
<li><a href="/feeds/atom.xml">Atom feed</a></li>{bulk}
</ul></section>"""
    return _plain_page("Home", body, description="Independent local and European news.")


def render_section(views: Sequence[ArticleView], section: str, page: int) -> str | None:
    if section not in SECTIONS:
        return None
    items = section_items(views, section)
    pages = section_page_count(views, section)
    if not 1 <= page <= pages:
        return None
    chunk = items[(page - 1) * SECTION_PAGE_SIZE : page * SECTION_PAGE_SIZE]
    teasers = "\n".join(_teaser(v, i) for i, v in enumerate(chunk))
    nav = []
    if page > 1:
        nav.append(f'<a rel="prev" href="{section_page_path(section, page - 1)}">Newer stories</a>')
    if page < pages:
        nav.append(f'<a rel="next" href="{section_page_path(section, page + 1)}">Older stories</a>')
    extra = ""
    if section == "tech" and page == 1:
        links = "".join(f'<li><a href="{path}">{_t(FAILURE_LINK_TEXT[path])}</a></li>' for path in FAILURES)
        extra = f'<section class="lab"><h2>From the lab</h2><ul>{links}</ul></section>'
    if section == "europe" and page == 1:
        extra = "".join(
            f'<p class="print-link"><a href="{alias}">Printer-friendly: {_t(v.article.title)}</a></p>'
            for v in items
            for alias in v.article.aliases
        )
    title = SECTION_TITLES[section] + (f" - page {page}" if page > 1 else "")
    body = f"""<h1>{_t(title)}</h1>
{teasers}
<nav class="pagination">{" ".join(nav)}</nav>
{extra}"""
    return _plain_page(title, body, description=f"Latest {SECTION_TITLES[section]} news.")


def render_tag(views: Sequence[ArticleView], slug: str) -> str | None:
    items = tag_index(views).get(slug)
    if not items:
        return None
    teasers = "\n".join(_teaser(v, i) for i, v in enumerate(items))
    return _plain_page(f"Tag: {slug}", f"<h1>Stories tagged {_t(slug)}</h1>\n{teasers}")


def render_about() -> str:
    body = """<h1>About us</h1>
<p>The Presswash Demo Times is a fictional newspaper. Its reporters, towns and events are invented, and the
site exists so that a news crawler and its cleaner can be tested against realistic pages without touching
the internet.</p>
<p>Our newsroom publishes local and European stories every day, with sections for world news, technology
and Europe. Corrections are published at the foot of the article concerned.</p>
<h2 id="cookies">Cookies</h2>
<p>This fictional site pretends to use cookies for analytics and to remember your consent choice.</p>"""
    return _plain_page("About us", body, description="Who we are and how we work.")


def render_contact() -> str:
    body = """<h1>Contact</h1>
<p>Newsroom: 12 Harbour Street, Port Ellis. Telephone +00 0000 0000 (fictional).</p>
<p>Tips and corrections: newsroom@example.invalid</p>
<form action="#" method="post"><label>Your message <textarea name="message"></textarea></label>
<button type="submit">Send</button></form>"""
    return _plain_page("Contact", body, description="How to reach the newsroom.")


def render_not_found(path: str) -> str:
    return _plain_page("Page not found", f"<h1>Page not found</h1><p>Nothing lives at {_t(path)}.</p>")


def render_robots(base: str) -> str:
    return f"User-agent: *\nDisallow: /private/\nDisallow: /_control/\n\nSitemap: {base}/sitemap_index.xml\n"


def render_huge(size: int) -> bytes:
    """Filler HTML of exactly ``size`` bytes (when size allows), for download-size-limit tests."""
    head = b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Complete archive</title>'
    head += b"</head><body><h1>Complete archive</h1>\n"
    tail = b"</body></html>\n"
    parts = [head]
    total = len(head) + len(tail)
    n = 0
    while total < size:
        line = (
            f"<p>Archive entry {n:07d}: the council met, the budget was discussed and the minutes were "
            "filed for the record.</p>\n"
        ).encode()
        parts.append(line)
        total += len(line)
        n += 1
    data = b"".join(parts)
    if len(data) + len(tail) > size:
        data = data[: max(0, size - len(tail))]
    return data + tail if size >= len(tail) else data[:size]


PDF_BYTES = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>\nendobj\n"
    b"4 0 obj\n<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 720 Td (Transparency report) Tj ET\nendstream\n"
    b"endobj\n" + bytes(range(256)) + b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


# --------------------------------------------------------------------------------------------------
# Feeds and sitemaps
# --------------------------------------------------------------------------------------------------


def _x(text: str) -> str:
    return xml_escape(text, {'"': "&quot;"})


def _max_lastmod(views: Iterable[ArticleView], default: str = "2025-01-01T00:00:00+00:00") -> datetime:
    return max((v.lastmod for v in views), default=datetime.fromisoformat(default))


def render_rss(views: Sequence[ArticleView], base: str) -> str:
    items = news_views(views)
    entries = "\n".join(
        f"""<item>
<title>{_x(v.article.title)}</title>
<link>{_x(base + v.article.path + "?utm_source=rss")}</link>
<guid isPermaLink="true">{_x(base + v.article.path)}</guid>
<pubDate>{http_date(v.article.published_dt)}</pubDate>
<atom:updated>{iso(v.lastmod)}</atom:updated>
<dc:creator>{_x(", ".join(v.article.authors))}</dc:creator>
<dc:language>{v.article.language}</dc:language>
<category>{_x(SECTION_TITLES[v.article.section])}</category>
<description>{_x(v.article.description)}</description>
</item>"""
        for v in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>{SITE_NAME}</title>
<link>{_x(base)}/</link>
<description>Latest stories from the {SITE_NAME}</description>
<language>en</language>
<lastBuildDate>{http_date(_max_lastmod(items))}</lastBuildDate>
<atom:link href="{_x(base)}/feeds/rss.xml" rel="self" type="application/rss+xml"/>
{entries}
</channel>
</rss>
"""


def render_atom(views: Sequence[ArticleView], base: str) -> str:
    items = news_views(views)
    entries = "\n".join(
        f"""<entry>
<title>{_x(v.article.title)}</title>
<link rel="alternate" type="text/html" hreflang="{v.article.language}" href="{_x(base + v.article.path)}"/>
<id>tag:presswash-demo.invalid,2025:{_x(v.article.path)}</id>
<published>{v.article.published}</published>
<updated>{iso(v.lastmod)}</updated>
{"".join(f"<author><name>{_x(name)}</name></author>" for name in v.article.authors)}
<category term="{_x(v.article.section)}"/>
<summary>{_x(v.article.description)}</summary>
</entry>"""
        for v in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<title>{SITE_NAME}</title>
<subtitle>Latest stories</subtitle>
<id>tag:presswash-demo.invalid,2025:/</id>
<updated>{iso(_max_lastmod(items))}</updated>
<link rel="self" type="application/atom+xml" href="{_x(base)}/feeds/atom.xml"/>
<link rel="alternate" type="text/html" href="{_x(base)}/"/>
{entries}
</feed>
"""


_SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def render_sitemap_index(views: Sequence[ArticleView], base: str, bulk_count: int, bulk_lastmod: str) -> str:
    maps = [
        ("/sitemaps/news.xml", iso(_max_lastmod(news_views(views)))),
        ("/sitemaps/pages.xml", iso(_max_lastmod(views))),
    ]
    if bulk_count > 0:
        maps.append(("/sitemaps/bulk.xml", bulk_lastmod))
    entries = "\n".join(
        f"<sitemap><loc>{_x(base + path)}</loc><lastmod>{lastmod}</lastmod></sitemap>" for path, lastmod in maps
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex {_SITEMAP_NS}>\n{entries}\n</sitemapindex>\n'


def render_news_sitemap(views: Sequence[ArticleView], base: str) -> str:
    entries = "\n".join(
        f"""<url>
<loc>{_x(base + v.article.path)}</loc>
<lastmod>{iso(v.lastmod)}</lastmod>
<news:news>
<news:publication><news:name>{SITE_NAME}</news:name><news:language>{v.article.language}</news:language></news:publication>
<news:publication_date>{v.article.published}</news:publication_date>
<news:title>{_x(v.article.title)}</news:title>
<news:keywords>{_x(", ".join(v.article.tags))}</news:keywords>
</news:news>
</url>"""
        for v in news_views(views)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset {_SITEMAP_NS} xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        f"{entries}\n</urlset>\n"
    )


def pages_sitemap_entries(views: Sequence[ArticleView]) -> list[tuple[str, str]]:
    """(path, lastmod) of pages.xml: non-article pages, every failure route and, as a trap, a
    robots-disallowed page (a sitemap listing a URL does not make it crawlable)."""
    by_path = {v.article.path: v for v in views}
    newest = iso(_max_lastmod(news_views(views)))
    entries: list[tuple[str, str]] = []
    for path in non_article_paths(views):
        if path in STATIC_PAGE_DATES:
            entries.append((path, STATIC_PAGE_DATES[path]))
        elif path.startswith("/section/"):
            section = path.split("/")[2]
            entries.append((path, iso(_max_lastmod(section_items(views, section)))))
        else:
            entries.append((path, newest))
    for path in FAILURES:
        view = by_path.get(path)
        entries.append((path, iso(view.lastmod) if view else FAILURE_LASTMOD))
    entries += [(v.article.path, iso(v.lastmod)) for v in views if v.article.kind == "private"]
    return entries


def render_pages_sitemap(views: Sequence[ArticleView], base: str) -> str:
    entries = "\n".join(
        f"<url><loc>{_x(base + path)}</loc><lastmod>{lastmod}</lastmod></url>"
        for path, lastmod in pages_sitemap_entries(views)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {_SITEMAP_NS}>\n{entries}\n</urlset>\n'
