"""The words the spider, middlewares, pipelines and extensions share: request-meta keys, the url_outcome
signal, entry kinds and failure reasons as a person reads them.

No Scrapy here, so `presswash seed` (which queues entries with their kind) uses the same constants
without loading Scrapy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


#: Sent by the spider for every URL outcome it decides (kwargs: request, kind, outcome, reason, detail,
#: status). ``outcome`` is one of: ``cleaning`` (an article handed to the pipelines, final outcome to
#: follow from the item signals), ``ok``, ``rejected``, ``failed``, ``skipped`` (never fetched).
url_outcome = object()


KIND_META = "presswash_kind"


SOURCE_META = "presswash_source"


HINTS_META = "presswash_hints"


#: On an article request the state store knows: fetch it again, conditionally (its lastmod changed).
REFETCH_META = "presswash_refetch"


ARTICLE = "article"


#: IgnoreRequest message of crawler.middlewares.ConditionalGetMiddleware for a URL already in the state.
KNOWN_MESSAGE = "presswash: known"
#: Scheduling priority of a request by its kind: discovery documents first (they lead to everything
#: else), then articles, then pages to follow.
PRIORITY = {"robots": 40, "feed": 30, "sitemap": 30, ARTICLE: 10, "page": 0}


#: What a crawl fetches on its way to articles; when every one of them failed, the crawl fetched nothing.
ENTRY_KINDS = ("robots", "feed", "sitemap", "page")


_FAILURE_WORDS = {
    "dns_error": "DNS lookup failed",
    "connection_refused": "connection refused",
    "timeout": "timed out",
    "connection_lost": "connection lost",
    "data_loss": "response cut short",
    "too_large_download": "larger than the download size limit",
    "robots_forbidden": "forbidden by robots.txt",
    "redirect_limit": "too many redirects",
    "redirect_loop": "redirect loop",
    "not_html": "not HTML",
}


def describe_failure(reason: str | None) -> str:
    """A failure reason as a person reads it: ``dns_error`` -> ``DNS lookup failed``, ``http_404`` -> ``HTTP 404``."""
    if reason and reason.startswith("http_"):
        return f"HTTP {reason[5:]}"
    return _FAILURE_WORDS.get(reason or "", reason or "failed")
