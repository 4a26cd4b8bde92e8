"""Finding article URLs: feeds, sitemaps, robots.txt, link rules and the feeds a home page announces
(``<link rel="alternate">``, for a site given by ``home:`` only), as pure functions (no I/O).

The spider fetches; this module only reads bytes it is given and decides, so every rule here is tested
without a server. XML is parsed with entity resolution and network access off, and sitemaps are matched
on local element names, since sites get namespaces wrong as often as right.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree
from lxml import html as lxml_html

# Sitemaps may be up to 50 MB uncompressed (sitemaps.org); a bigger body is refused, not parsed.
from cleaners.timestamps import utc_iso
from cleaners.urls import _TRACKING_PARAM as TRACKING_PARAM

MAX_SITEMAP_BYTES = 50 * 1024 * 1024


class DiscoveryError(ValueError):
    """A feed or sitemap that cannot be read (not XML, not the expected kind, too large, broken).

    ``partial`` is what could be read of a broken document (its entries up to the break: a list of
    Entry for a feed, a Sitemap for a sitemap), so the spider counts the document as failed with its
    reason and still follows what it did find; None when nothing could be read.
    """

    def __init__(self, message: str, partial: Any = None) -> None:
        super().__init__(message)
        self.partial = partial


@dataclass(frozen=True, slots=True)
class Entry:
    """One URL found in a feed or sitemap, with the dates and title the source gave for it."""

    url: str
    lastmod: datetime | None = None
    published: datetime | None = None
    title: str | None = None
    language: str | None = None

    @property
    def date(self) -> datetime | None:
        """The best date to judge age by: publication first, then last modification."""
        return self.published or self.lastmod

    def hints(self) -> dict[str, str]:
        """What the source said about this page, as strings (carried in RawDocument.hints)."""
        hints: dict[str, str] = {}
        if self.published:
            hints["published"] = _iso(self.published)
        if self.lastmod:
            hints["lastmod"] = _iso(self.lastmod)
        if self.title:
            hints["title"] = self.title
        if self.language:
            hints["language"] = self.language
        return hints


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap: either an index of other sitemaps or a set of page URLs."""

    kind: Literal["index", "urlset"]
    entries: list[Entry] = field(default_factory=list)


# --- XML helpers -------------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    # No entities, no network, recover from the sloppy markup feeds often carry.
    return etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)


# Mistakes feeds make all the time that lose nothing once recovered: a bare or unknown entity (&, &nbsp;),
# a stray control character, junk after the root element. Anything else (a truncated body, mismatched
# tags) means the document is broken: what was recovered is followed, but the document counts as failed.
_TOLERATED_XML_ERRORS = frozenset(
    {
        "ERR_UNDECLARED_ENTITY",
        "ERR_ENTITYREF_SEMICOL_MISSING",
        "ERR_NAME_REQUIRED",
        "ERR_INVALID_CHAR",
        "ERR_DOCUMENT_END",
        "WAR_UNDECLARED_ENTITY",
    }
)


def _parse_xml(body: bytes, what: str) -> tuple[etree._Element, str | None]:
    """The root element, and what broke the document (None when it is whole, if sloppy)."""
    body = body.lstrip()
    if not body.startswith(b"<"):
        raise DiscoveryError(f"{what}: not XML")
    parser = _parser()
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"{what}: XML syntax error: {exc}") from None
    if root is None:
        raise DiscoveryError(f"{what}: empty or unreadable XML")
    broken = next((e for e in parser.error_log if e.type_name not in _TOLERATED_XML_ERRORS), None)
    problem = f"broken XML at line {broken.line}: {broken.message.strip()}" if broken is not None else None
    if problem is None and not _closes(body, _local(root)):
        problem = f"broken XML: cut off before </{_local(root)}>"
    return root, problem


def _closes(body: bytes, local: str) -> bool:
    """The root element's end tag is there, near the end (a body cut right before a ``<`` is recovered
    with no error but a bare-``&`` one, which a sloppy feed makes too)."""
    end = re.compile(rb"</(?:[\w.-]+:)?" + re.escape(local.encode()) + rb"\s*>", re.IGNORECASE)
    return end.search(body[-65536:]) is not None


def _local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child) == name]


def _child_text(element: etree._Element, *names: str) -> str | None:
    """Text of the first child with one of these local names (first name wins), stripped."""
    for name in names:
        for child in element:
            if _local(child) == name:
                text = "".join(child.itertext()).strip()
                if text:
                    return text
    return None


# --- dates -------------------------------------------------------------------------------------------

_W3C_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def parse_date(text: str | None) -> datetime | None:
    """W3C datetime (sitemaps, Atom) or RFC 822 (RSS) to an aware UTC datetime; None if unreadable.

    A date without a zone is taken as UTC: sitemaps often omit it, and a few hours matter less than
    refusing the entry.
    """
    if not text:
        return None
    text = text.strip()
    moment: datetime | None = None
    try:
        if _W3C_DATE.match(text):
            parts = [int(p) for p in text.split("-")] + [1, 1]
            moment = datetime(parts[0], parts[1], parts[2])
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return utc_iso(moment)


def is_too_old(entry: Entry, now: datetime, max_age_days: float | None) -> bool:
    """An entry dated before ``now - max_age_days``; undated entries are never too old (we cannot tell)."""
    if max_age_days is None or entry.date is None:
        return False
    return entry.date < now - timedelta(days=max_age_days)


# --- feeds -------------------------------------------------------------------------------------------


def parse_feed(body: bytes, base_url: str | None = None) -> list[Entry]:
    """Entries of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, in feed order, with absolute URLs.

    Raises DiscoveryError when the body is not a feed, so the spider can count a broken feed rather than
    treat it as an empty one.
    """
    root, broken = _parse_xml(body, "feed")
    kind = _local(root)
    if kind == "rss":
        items = [item for channel in _children(root, "channel") for item in _children(channel, "item")]
        entries = [e for e in (_rss_item(item, base_url) for item in items) if e]
    elif kind == "rdf":  # RSS 1.0 puts items beside the channel
        entries = [e for e in (_rss_item(item, base_url) for item in _children(root, "item")) if e]
    elif kind == "feed":
        entries = [e for e in (_atom_entry(entry, base_url) for entry in _children(root, "entry")) if e]
    else:
        raise DiscoveryError(f"feed: root element <{kind}> is neither RSS nor Atom")
    if broken:
        raise DiscoveryError(f"feed: {broken} ({len(entries)} entries read before it)", partial=entries)
    return entries


def _rss_item(item: etree._Element, base_url: str | None) -> Entry | None:
    # feedburner:origLink is the article itself where <link> is a tracking redirect.
    link = _child_text(item, "origlink", "link")
    if not link:
        for guid in _children(item, "guid"):
            if guid.get("isPermaLink", "true").lower() == "true" and (guid.text or "").strip():
                link = guid.text.strip()  # type: ignore[union-attr]
    url = _absolute(link, base_url)
    if url is None:
        return None
    published = parse_date(_child_text(item, "pubdate", "date", "published"))
    return Entry(url=url, published=published, title=_child_text(item, "title"))


def _atom_entry(entry: etree._Element, base_url: str | None) -> Entry | None:
    href = None
    for link in _children(entry, "link"):
        rel = (link.get("rel") or "alternate").lower()
        if rel == "alternate" and link.get("href"):
            href = link.get("href")
            break
    url = _absolute(href or _child_text(entry, "origlink"), base_url)
    if url is None:
        return None
    return Entry(
        url=url,
        published=parse_date(_child_text(entry, "published", "issued")),
        lastmod=parse_date(_child_text(entry, "updated", "modified")),
        title=_child_text(entry, "title"),
    )


# --- sitemaps ----------------------------------------------------------------------------------------


def maybe_gunzip(body: bytes, max_size: int = MAX_SITEMAP_BYTES) -> bytes:
    """Sitemaps named .xml.gz often arrive still gzipped (served as application/gzip, without a
    Content-Encoding the HTTP layer would undo): inflate them, refusing bombs past ``max_size``."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as handle:
            while chunk := handle.read(65536):
                out.write(chunk)
                if out.tell() > max_size:
                    raise DiscoveryError(f"sitemap: more than {max_size} bytes once decompressed")
    except (OSError, EOFError, zlib.error) as exc:
        raise DiscoveryError(f"sitemap: bad gzip data: {exc}") from None
    return out.getvalue()


def parse_sitemap(body: bytes, base_url: str | None = None) -> Sitemap:
    """A sitemap index or URL set (including Google News and plain-text sitemaps), all entries at once.

    URL entries carry ``lastmod`` and, for news sitemaps, ``news:publication_date``, ``news:title`` and
    ``news:language``, which the spider uses to skip old entries and passes on as hints. The spider reads
    sitemaps with :class:`SitemapStream` instead (one entry at a time, for sitemaps of 50,000 URLs).
    """
    stream = SitemapStream(body, base_url)
    sitemap = Sitemap(stream.kind, list(stream))
    if stream.problem:
        raise DiscoveryError(f"sitemap: {stream.problem} ({len(sitemap.entries)} entries read before it)", sitemap)
    return sitemap


class SitemapStream:
    """A sitemap read as it is iterated, one entry at a time, each element freed once read.

    A sitemap of 800,000 URLs (41 MB) parsed whole took ~460 MB of tree and Entry objects before the
    first request was made; streamed, memory stays that of one entry, and the spider stops making
    requests at its cap while still counting the rest. The kind (``index`` or ``urlset``) is known at
    once (DiscoveryError for a body that is not a sitemap); ``problem`` says, once the iteration is over,
    whether the XML was broken (cut off, mismatched tags), as :func:`parse_feed` does for feeds.
    """

    def __init__(self, body: bytes, base_url: str | None = None) -> None:
        body = maybe_gunzip(body)
        if len(body) > MAX_SITEMAP_BYTES:
            raise DiscoveryError(f"sitemap: larger than {MAX_SITEMAP_BYTES} bytes")
        self.base_url = base_url
        self.problem: str | None = None
        self._entries: list[Entry] | None = None
        stripped = body.lstrip()
        if stripped and not stripped.startswith(b"<"):
            text = _text_sitemap(stripped, base_url)
            self.kind: Literal["index", "urlset"] = text.kind
            self._entries = text.entries
            return
        if not stripped:
            raise DiscoveryError("sitemap: not XML")
        self._events = etree.iterparse(
            io.BytesIO(stripped),
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            recover=True,
            huge_tree=False,
        )
        try:
            _, root = next(self._events)
        except (StopIteration, etree.XMLSyntaxError) as exc:
            raise DiscoveryError(f"sitemap: empty or unreadable XML: {exc}") from None
        kind = _local(root)
        if kind not in ("sitemapindex", "urlset"):
            raise DiscoveryError(f"sitemap: root element <{kind}> is neither <urlset> nor <sitemapindex>")
        self.kind = "index" if kind == "sitemapindex" else "urlset"
        self._root = root
        self._body = stripped

    def __iter__(self) -> Iterator[Entry]:
        if self._entries is not None:
            yield from self._entries
            return
        wanted = "sitemap" if self.kind == "index" else "url"
        try:
            for event, element in self._events:
                if event != "end" or element.getparent() is not self._root or _local(element) != wanted:
                    continue
                entry = self._index_entry(element) if self.kind == "index" else _url_entry(element, self.base_url)
                element.clear()
                while element.getprevious() is not None:  # free what was read: memory stays flat
                    del self._root[0]
                if entry is not None:
                    yield entry
        except etree.XMLSyntaxError as exc:
            self.problem = f"broken XML: {exc}"
            return
        broken = next((e for e in self._events.error_log if e.type_name not in _TOLERATED_XML_ERRORS), None)
        if broken is not None:
            self.problem = f"broken XML at line {broken.line}: {broken.message.strip()}"
        elif not _closes(self._body, _local(self._root)):  # recovery closes a cut-off root silently
            self.problem = f"broken XML: cut off before </{_local(self._root)}>"

    def _index_entry(self, node: etree._Element) -> Entry | None:
        url = _absolute(_child_text(node, "loc"), self.base_url)
        return Entry(url=url, lastmod=parse_date(_child_text(node, "lastmod"))) if url else None


def _url_entry(node: etree._Element, base_url: str | None) -> Entry | None:
    url = _absolute(_child_text(node, "loc"), base_url)
    if url is None:
        return None
    published = title = language = None
    for news in _children(node, "news"):
        published = parse_date(_child_text(news, "publication_date"))
        title = _child_text(news, "title")
        for publication in _children(news, "publication"):
            language = _child_text(publication, "language")
    return Entry(
        url=url,
        lastmod=parse_date(_child_text(node, "lastmod")),
        published=published,
        title=title,
        language=language,
    )


def _text_sitemap(body: bytes, base_url: str | None) -> Sitemap:
    """A .txt sitemap: one URL per line (sitemaps.org allows it)."""
    text = body.decode("utf-8", errors="replace")
    urls = [_absolute(line.strip(), base_url) for line in text.splitlines() if line.strip()]
    if not urls or any(u is None for u in urls):
        raise DiscoveryError("sitemap: neither XML nor a list of URLs")
    return Sitemap("urlset", [Entry(url=u) for u in urls if u])


def sitemaps_in_robots(text: str, base_url: str | None = None) -> list[str]:
    """The ``Sitemap:`` lines of a robots.txt, in order, without duplicates."""
    found: dict[str, None] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap":
            url = _absolute(value.split("#", 1)[0].strip(), base_url)
            if url:
                found[url] = None
    return list(found)


# --- URLs and rules ----------------------------------------------------------------------------------


def strip_tracking(url: str) -> str:
    """The URL without tracking parameters (utm_*, fbclid, ...), otherwise unchanged.

    Feeds append ``?utm_source=rss`` to every link: without this, article patterns anchored with ``$``
    would miss them, the same article found by feed and sitemap would be fetched twice, and the record
    would keep the tracker. Only known tracking keys go; other parameters may select the content.
    """
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAM.match(k)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _absolute(url: str | None, base_url: str | None) -> str | None:
    """An absolute http(s) URL without fragment or trackers, or None for anything else (mailto:, ...)."""
    url = (url or "").strip()
    if not url:
        return None
    if base_url:
        url = urljoin(base_url, url)
    url = urldefrag(url)[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return strip_tracking(url)


def resolve_links(hrefs: Iterable[str], base_url: str) -> list[str]:
    """Absolute http(s) URLs of a page's links, fragments dropped, first occurrence kept."""
    found: dict[str, None] = {}
    for href in hrefs:
        url = _absolute(href, base_url)
        if url:
            found[url] = None
    return list(found)


class UrlPattern:
    """A site's URL pattern. One starting with ``^/`` is anchored at the URL's path (query included), so
    a config need not spell the host: ``^/news/`` works for any host and port. Any other pattern is
    searched anywhere in the absolute URL, as Scrapy's LinkExtractor does."""

    __slots__ = ("on_path", "regex")

    def __init__(self, pattern: str) -> None:
        self.regex = re.compile(pattern)
        self.on_path = pattern.startswith("^/")

    def search(self, url: str) -> bool:
        if self.on_path:
            parts = urlsplit(url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            return self.regex.search(target) is not None
        return self.regex.search(url) is not None

    def __repr__(self) -> str:
        return f"UrlPattern({self.regex.pattern!r})"


def compile_patterns(patterns: Iterable[str]) -> tuple[UrlPattern, ...]:
    return tuple(UrlPattern(p) for p in patterns)


def _any(patterns: Iterable[UrlPattern], url: str) -> bool:
    return any(p.search(url) for p in patterns)


def host_in_domains(url: str, domains: Iterable[str]) -> bool:
    """The URL's host is one of the domains or a subdomain of one (Scrapy's allowed_domains rule)."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d.split(":")[0] or host.endswith("." + d.split(":")[0]) for d in domains)


Decision = Literal["article", "follow", "offsite", "not_article", "too_deep", "denied", "not_allowed"]


class UrlRules:
    """A site's URL rules, compiled once: which URLs are articles, which links to follow, which hosts.

    Patterns are regular expressions (see :class:`UrlPattern`: ``^/...`` is anchored at the path, any
    other pattern is searched in the whole URL).
    """

    def __init__(
        self,
        *,
        article: Iterable[str],
        article_deny: Iterable[str] = (),
        follow_allow: Iterable[str] = (),
        follow_deny: Iterable[str] = (),
        max_depth: int = 1,
        domains: Iterable[str] = (),
    ) -> None:
        self.article = compile_patterns(article)
        self.article_deny = compile_patterns(article_deny)
        self.follow_allow = compile_patterns(follow_allow)
        self.follow_deny = compile_patterns(follow_deny)
        self.max_depth = max_depth
        self.domains = tuple(domains)

    def in_domains(self, url: str) -> bool:
        return not self.domains or host_in_domains(url, self.domains)

    def is_article(self, url: str) -> bool:
        return _any(self.article, url) and not _any(self.article_deny, url)

    def classify_entry(self, url: str) -> Decision:
        """A URL from a feed or sitemap: fetched only if it is an article of this site."""
        if not self.in_domains(url):
            return "offsite"
        return "article" if self.is_article(url) else "not_article"

    def classify_link(self, url: str, depth: int) -> Decision:
        """A link found on a page at ``depth - 1``: an article, a page to follow, or why not.

        ``max_depth`` counts link hops from a start URL to an article: an article may sit at
        ``max_depth``, a page to follow only below it (its own links would be too deep), and such pages
        must also pass ``allow``/``deny``.
        """
        if not self.in_domains(url):
            return "offsite"
        if depth > self.max_depth:
            return "too_deep"
        if self.is_article(url):
            return "article"
        if depth >= self.max_depth:  # a page at max_depth could only lead to articles beyond it
            return "too_deep"
        if _any(self.follow_deny, url):
            return "denied"
        if self.follow_allow and not _any(self.follow_allow, url):
            return "not_allowed"
        return "follow"

    def sitemap_wanted(self, url: str, follow: Iterable[UrlPattern]) -> bool:
        """In a sitemap index: a child sitemap on the site's hosts, matching ``sitemap_follow`` if given."""
        patterns = tuple(follow)
        return self.in_domains(url) and (not patterns or _any(patterns, url))


# --- feed autodiscovery ---------------------------------------------------------------------------------
# A site configured with only its name and home page (``home:`` in sites.yaml) is crawled from what the
# site itself says: the feeds its home page links with <link rel="alternate">, and the sitemaps its
# robots.txt lists (as ``sitemaps_from_robots``).

ALTERNATE_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
MAX_ALTERNATE_FEEDS = 20


def alternate_feeds(body: bytes | str, base_url: str) -> list[str]:
    """Absolute http(s) URLs of the feeds ``<link rel="alternate" type="application/rss+xml">`` (or Atom,
    RDF, JSON Feed) names in the page's head or body, in page order, without repeats, at most MAX_ALTERNATE_FEEDS."""
    if not body.strip():
        return []
    try:
        tree = lxml_html.fromstring(body)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    base = tree.xpath("//base/@href")
    base_url = urljoin(base_url, str(base[0])) if base else base_url
    found: dict[str, None] = {}
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" not in rel or kind not in ALTERNATE_FEED_TYPES or not href:
            continue
        url = urljoin(base_url, href)
        if urlsplit(url).scheme in ("http", "https"):
            found.setdefault(url, None)
        if len(found) >= MAX_ALTERNATE_FEEDS:
            break
    return list(found)
