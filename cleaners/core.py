"""The one cleaning flow: raw document -> Article | Rejected. Both the crawl and `presswash clean` call it.

Stage order lives here and nowhere else: size and type checks, decoding (and, for HTML, repair of the
mojibake in the markup itself, before extraction drops half of it), extraction (HTML) or dump parsing
(text), mojibake repair of the text, the second pass, length and language checks, then the record.
"""

from __future__ import annotations

import gzip
import io
import logging
import re
import zlib
from dataclasses import replace
from datetime import UTC, date, datetime

from cleaners.article import Article, CleanResult, Rejected, RejectReason, Removal
from cleaners.decode import MOJIBAKE_HINT, decode_html, decode_text, looks_binary, repair_mojibake, with_detected_utf16
from cleaners.document import RawDocument
from cleaners.extract import extract_html
from cleaners.flags import judge, load_markers
from cleaners.language import detect_language, html_lang, primary_code
from cleaners.options import CleaningOptions
from cleaners.site_rules import second_pass
from cleaners.sources import gunzip_capped
from cleaners.text import article_word_count, content_hash, stable_id
from cleaners.urls import normalize_url

logger = logging.getLogger(__name__)

_GZIP_MAGIC = b"\x1f\x8b"
_HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx")
_HTML_SNIFF = re.compile(rb"<(!doctype html|html|head|body|p|div|article)\b", re.I)
_BLOCK_SPLIT = re.compile(r"\n[ \t\u00a0]*\n")


def clean(raw: RawDocument, options: CleaningOptions) -> CleanResult:
    """Clean one document. Never raises: an unexpected error becomes a Rejected(internal_error)."""
    try:
        return _clean(raw, options)
    except Exception as exc:  # the run must go on; the error is counted and reported with its source
        logger.exception("internal error while cleaning %s", raw.source)
        return Rejected(RejectReason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}", raw.source)


def document_kind(raw: RawDocument) -> str:
    """HTML or text, from what is declared (kind, content type, file name), else by sniffing the bytes."""
    if raw.kind:
        return raw.kind
    if raw.content_type:
        mime = raw.content_type.split(";")[0].strip().lower()
        if mime in ("text/html", "application/xhtml+xml"):
            return "html"
        if mime == "text/plain":
            return "text"
    name = (raw.source_path or "").lower().removesuffix(".gz")
    if name.endswith(_HTML_SUFFIXES):
        return "html"
    if name.endswith(".txt"):
        return "text"
    return "html" if _HTML_SNIFF.search(raw.content[:4096]) else "text"


def _clean(raw: RawDocument, options: CleaningOptions) -> CleanResult:
    def reject(reason: RejectReason, detail: str) -> Rejected:
        return Rejected(reason, detail, raw.source)

    if raw.content[:2] == _GZIP_MAGIC:  # gzip piped on stdin, or a compressed file without .gz
        try:
            content = gunzip_capped(io.BytesIO(raw.content), options.max_bytes + 1)
        except (EOFError, gzip.BadGzipFile, zlib.error):
            return reject(RejectReason.READ_ERROR, "corrupt or truncated gzip")
        raw = replace(raw, content=content)
    if not raw.content.strip():
        return reject(RejectReason.EMPTY, "empty document")
    raw = with_detected_utf16(raw)
    if len(raw.content) > options.max_bytes:
        return reject(RejectReason.TOO_LARGE, f"{len(raw.content)} bytes > max_bytes={options.max_bytes}")
    if raw.content_type and not _is_text_type(raw.content_type):
        return reject(RejectReason.NOT_TEXT, f"content type {raw.content_type}")
    if looks_binary(raw.content):
        return reject(RejectReason.NOT_TEXT, "binary content")

    declared_lang: str | None = None
    html: str | None = None
    cut_after_story: list[str] = []
    extra: dict[str, object] = {}
    if document_kind(raw) == "html":
        declared_lang = html_lang(raw.content)
        extractor = options.extractor_for(raw.url, raw.fetched_at)
        html = decode_html(raw.content, raw.content_type)
        if options.fix_mojibake:
            html = repair_mojibake(html)
        page = extract_html(
            html,
            extractor,
            metadata=options.metadata,
            mode=options.extraction,
            article_threshold=options.min_article_score,
        )
        if page is None or not page.paragraphs:
            return reject(RejectReason.NO_CONTENT, "no main text found in the HTML")
        title, paragraphs, cut_after_story = page.title, page.paragraphs, page.cut_after_story
        kind = page.page_type
        if options.articles_only and kind is not None and kind.label != "article":
            return reject(RejectReason.NOT_ARTICLE, _not_article_detail(kind.label, kind.article_score, kind.evidence))
        extra = {
            "authors": page.authors,
            "published": _plausible_date(page.published, raw.fetched_at),
            "description": page.description,
            "tags": page.tags,
            "canonical_url": page.canonical_url,
            "page_type": kind.label if kind else None,
            "article_score": kind.article_score if kind else None,
            "page_type_evidence": kind.evidence if kind else None,
            "extracted_by": page.extracted_by or None,
        }
        site = raw.site or page.sitename
    else:
        title, paragraphs = parse_text_dump(decode_text(raw.content))
        site = raw.site
        if not paragraphs:
            return reject(RejectReason.NO_CONTENT, "no text after the title line")

    if options.fix_mojibake and MOJIBAKE_HINT.search(f"{title}\n" + "\n".join(paragraphs)):
        import ftfy  # here, not at the top: most documents never need it, and importing it is ~0.1 s a start

        title = ftfy.fix_encoding(title) if title else title
        paragraphs = [ftfy.fix_encoding(p) for p in paragraphs]

    result, rules_version = second_pass(options.rules, options.site_rules, paragraphs, title)
    if cut_after_story:  # reported first: they came after the story, before the second pass ran
        result = replace(result, removed=[*_after_story(cut_after_story), *result.removed])
    description = extra.get("description")
    integrity = judge(
        html,
        result.paragraphs,
        result.removed,
        title,
        description if isinstance(description, str) else None,
        load_markers(options.integrity_path),
    )
    if integrity.consent_wall:
        return reject(RejectReason.CONSENT_WALL, integrity.consent_wall)
    if not result.paragraphs:
        return reject(RejectReason.NO_CONTENT, f"nothing left after removing {len(result.removed)} lines")
    text = "\n\n".join(result.paragraphs)
    words = article_word_count(text)
    if words < options.min_words:
        flagged = "".join(f"; {name}: {why}" for name, why in sorted(integrity.flags.items()))
        return reject(RejectReason.TOO_SHORT, f"{words} words < min_words={options.min_words}{flagged}")

    language, score = detect_language(
        result.paragraphs,
        declared_lang,
        sample_chars=options.language_sample_chars,
        min_chars=options.language_min_chars,
        seed=options.language_seed,
        backend=options.language_backend,
    )
    if options.languages and primary_code(language) not in options.languages:
        return reject(RejectReason.WRONG_LANGUAGE, f"language {language} not in {sorted(options.languages)}")

    digest = content_hash(result.paragraphs)
    key = f"url:{normalize_url(raw.url)}" if raw.url else f"content:{digest}"
    return Article(
        id=stable_id(key),
        url=raw.url,
        source_path=raw.source_path,
        site=site,
        title=title,
        language=language,
        language_score=score,
        html_lang=declared_lang,
        text=text,
        paragraphs=result.paragraphs,
        word_count=words,
        content_hash=digest,
        removed=result.removed,
        fetched_at=_iso_utc(raw.fetched_at),
        rules_version=rules_version,
        flags=integrity.names,
        flag_evidence=integrity.flags,
        published=extra.pop("published", None),
        **extra,
    )


def not_article(article: Article) -> Rejected | None:
    """The rejection of a record whose page is not an article (``--articles-only`` after the fact), else None."""
    if article.page_type in (None, "article"):
        return None
    detail = _not_article_detail(article.page_type, article.article_score, article.page_type_evidence)
    return Rejected(RejectReason.NOT_ARTICLE, detail, article.source_path or article.url or article.id)


def _not_article_detail(label: str, score: float | None, evidence: str | None) -> str:
    return f"{label} page (article_score {score}): {evidence}"


def parse_text_dump(text: str) -> tuple[str | None, list[str]]:
    """First non-empty line is the title; the rest are paragraphs separated by blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.strip():
            title = line.strip()
            body = "\n".join(lines[index + 1 :])
            break
    else:
        return None, []
    paragraphs = []
    for block in _BLOCK_SPLIT.split(body):
        kept_lines = [line.strip() for line in block.split("\n") if line.strip()]
        if kept_lines:
            paragraphs.append("\n".join(kept_lines))
    return title, paragraphs


def _is_text_type(content_type: str) -> bool:
    mime = content_type.split(";")[0].strip().lower()
    return not mime or mime.startswith("text/") or mime in ("application/xhtml+xml", "application/xml")


def _plausible_date(value: str | None, fetched_at: datetime | None) -> str | None:
    """A publication date after the fetch (or after today, for files) is impossible: drop it."""
    if not value:
        return None
    try:
        published = date.fromisoformat(value[:10])
    except ValueError:
        return None
    limit = (fetched_at or datetime.now(UTC)).date()
    if published > limit or published.year < 1990:
        return None
    return value


def _iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# The rule and kind a line cut by the extraction after the story's end is reported under (``removed``).
AFTER_STORY_RULE = "extract.after_story"


def _after_story(lines: list[str]) -> list[Removal]:
    return [Removal(rule=AFTER_STORY_RULE, kind="after_story", text=line) for line in lines]
