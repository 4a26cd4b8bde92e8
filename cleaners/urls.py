"""URL normalization for ids and deduplication: one article, one URL, whatever the links added to it."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

_TRACKING_PARAM = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|igshid|_ga|_gl|"
    r"ref|ref_src|cmpid|ocid|smid|sr_share|at_medium|at_campaign|xtor|ito|ns_source|ns_mchannel)$",
    re.I,
)


def normalize_url(url: str) -> str:
    """Canonical form: tracking parameters, fragment and trailing slash dropped, query sorted, host lowercased.

    Two links to the same article (from a feed with ``?utm_source=rss``, from a page with ``#comments``)
    get the same form, hence the same article id.
    """
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAM.match(k)]
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    host = (parts.hostname or "").lower()
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)
    ):
        host = f"{host}:{parts.port}"
    rebuilt = urlunsplit((parts.scheme.lower(), host, path, urlencode(query), ""))
    return canonicalize_url(rebuilt, keep_fragments=False)
