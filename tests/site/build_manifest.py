"""Build ``tests/site/manifest.json``, the machine-readable truth about the demo site.

Run ``python tests/site/build_manifest.py`` after changing the site data or templates (``--check`` only
compares). It renders pages with the same code the server uses, so ``must_remove`` lists exactly the
boilerplate strings the served page contains; ``tests/test_demo_site.py`` fails if the committed file is
stale.

Format (paths are URL paths; prefix the server's base URL):

- ``articles``: one object per hand-written article page, ``article: true``. ``path``, ``title``,
  ``language``, ``template``, ``section``, ``kind`` ("news", "private" or "failure"), ``published``
  (ISO 8601), ``authors``, ``tags``, ``description``, ``canonical`` (path its ``<link rel=canonical>``
  names, or null), ``aliases`` (other paths serving the same article), ``failure`` (outcome of its
  /fail/ route, or null), ``trap``, ``headline_in_body``, ``empty_byline``, ``syndicated_from``,
  ``list_items``; ``must_keep``: exact paragraph texts that must survive cleaning (first, middle and last
  paragraph plus list items); ``must_remove``: exact clutter strings present on the page (each one a
  single text node) that must not appear in the cleaned text (the repeated headline included, meaning
  "not in the body text").
- ``expected_articles``: paths a correct crawler yields articles for (robots obeyed, one retry, gzip
  decoded, charset repaired, tag soup parsed); the slow and private pages are not in it.
- ``non_articles``: listing and static pages that must not be taken for articles.
- ``disallowed``: paths blocked by robots.txt (also linked from the home page and listed in a sitemap).
- ``failures``: /fail/ path -> expected outcome ("404", "retry-then-ok", "timeout", "redirect-loop",
  "ok-gzip", "not-html", "too-large", "ok-broken", "ok-charset", "redirect-ok").
- ``redirects``, ``canonical_aliases``, ``near_duplicate_pairs``, ``feeds``, ``sitemaps``, ``bulk``,
  ``control``: where things are, so tests need not hard-code paths.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from demo_articles import ALL_ARTICLES, REDIRECT_TARGET, SITE_NAME, Article
from demo_bulk import BULK_PER_PAGE
from demo_pages import FAILURES, ArticleView, non_article_paths, render_article

MANIFEST_PATH = Path(__file__).resolve().parent / "manifest.json"
# must_remove does not depend on the host; any base renders the same clutter.
_BASE = "http://127.0.0.1:8000"


def must_keep(article: Article) -> list[str]:
    paragraphs = article.paragraphs
    picks = [paragraphs[0], paragraphs[len(paragraphs) // 2], paragraphs[-1]]
    return list(dict.fromkeys(picks)) + list(article.list_items)


def _canonical(page: str) -> str | None:
    """Read the canonical back from the rendered page rather than restating the template rules."""
    match = re.search(r'<link rel="canonical" href="([^"]+)">', page)
    return match.group(1).removeprefix(_BASE) if match else None


def _article_entry(article: Article) -> dict[str, Any]:
    rendered = render_article(ArticleView(article), _BASE)
    source = next((a.path for a in ALL_ARTICLES if a.slug == article.syndicated_from), None)
    return {
        "path": article.path,
        "title": article.title,
        "language": article.language,
        "template": article.template,
        "section": article.section or None,
        "kind": article.kind,
        "published": article.published,
        "authors": list(article.authors),
        "tags": list(article.tags),
        "description": article.description,
        "canonical": _canonical(rendered.html),
        "aliases": list(article.aliases),
        "failure": article.failure or None,
        "trap": article.trap or None,
        "headline_in_body": article.headline_in_body,
        "empty_byline": article.empty_byline,
        "syndicated_from": source,
        "list_items": list(article.list_items),
        "must_keep": must_keep(article),
        "must_remove": list(rendered.must_remove),
        "article": True,
    }


def build_manifest() -> dict[str, Any]:
    views = [ArticleView(a) for a in ALL_ARTICLES]
    ok_failures = {"retry-then-ok", "ok-gzip", "ok-broken", "ok-charset"}
    by_slug = {a.slug: a for a in ALL_ARTICLES}
    return {
        "site_name": SITE_NAME,
        "generated_by": "python tests/site/build_manifest.py",
        "articles": [_article_entry(a) for a in ALL_ARTICLES],
        "expected_articles": [
            a.path for a in ALL_ARTICLES if a.kind == "news" or (a.kind == "failure" and a.failure in ok_failures)
        ],
        "non_articles": non_article_paths(views),
        "disallowed": [a.path for a in ALL_ARTICLES if a.kind == "private"],
        "failures": dict(FAILURES),
        "redirects": {
            "/fail/redirect.html": REDIRECT_TARGET,
            "/fail/loop.html": "/fail/loop2.html",
            "/fail/loop2.html": "/fail/loop.html",
        },
        "canonical_aliases": {alias: a.path for a in ALL_ARTICLES for alias in a.aliases},
        "near_duplicate_pairs": [[by_slug[a.syndicated_from].path, a.path] for a in ALL_ARTICLES if a.syndicated_from],
        "feeds": ["/feeds/rss.xml", "/feeds/atom.xml"],
        "sitemaps": {
            "index": "/sitemap_index.xml",
            "news": "/sitemaps/news.xml",
            "pages": "/sitemaps/pages.xml",
            "bulk": "/sitemaps/bulk.xml",
        },
        "bulk": {
            "article_path": "/bulk/{n:05d}.html",
            "listing_path": "/bulk/page/{k}/",
            "per_page": BULK_PER_PAGE,
            "first": 1,
            "note": "only with --articles N > 0; the bulk sitemap is then listed in the sitemap index",
        },
        "control": {
            "update": "/_control/update?slug={slug}",
            "publish": "/_control/publish",
            "reset": "/_control/reset",
            "hits": "/_control/hits",
        },
    }


def manifest_text() -> str:
    return json.dumps(build_manifest(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if manifest.json is stale")
    args = parser.parse_args(argv)
    text = manifest_text()
    current = MANIFEST_PATH.read_text(encoding="utf-8") if MANIFEST_PATH.exists() else ""
    if args.check:
        if current != text:
            print(f"{MANIFEST_PATH} is stale: run python tests/site/build_manifest.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        MANIFEST_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {MANIFEST_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
