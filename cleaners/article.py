"""The output record (Article, versioned) and the typed rejection (Rejected).

The Article model is the documented contract with downstream users: its JSON Schema is committed in
``cleaners/schema/article.schema.json`` and a test keeps the two in sync. Bump ``SCHEMA_VERSION`` on any
change a consumer could notice (major for removals/renames, minor for additions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Three parts, so that readers that guess column types (pandas' read_json) keep it a string.
SCHEMA_VERSION = "1.2.0"


class Removal(BaseModel):
    """One line removed from the extracted text, and the rule that removed it, so users can audit every cut."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str = Field(
        description="Id of the boilerplate rule (see config/boilerplate.yaml), or extract.after_story for a "
        "line the extraction kept past the story's end, where readability's story ends (cleaners/extract.py)."
    )
    kind: str = Field(description="Kind of clutter: consent, subscribe_cta, comments_widget, ...")
    text: str = Field(description="The removed line, with its original characters.")


class Article(BaseModel):
    """One clean article: the unit written as one JSON line."""

    model_config = ConfigDict(extra="forbid", title="presswash article")

    schema_version: Literal["1.2.0"] = Field(
        default=SCHEMA_VERSION,
        description="Version of this schema (major.minor.patch; 1.0 before 1.1.0; 1.2.0 added flags).",
    )
    id: str = Field(description="Stable id: hash of the normalized URL when there is one, else of the content hash.")
    version: int = Field(
        default=1, ge=1, description="1 for the first capture; incremented when a recrawl finds new text."
    )
    url: str | None = Field(description="URL the page was fetched from (or the WARC target URI).")
    canonical_url: str | None = Field(default=None, description="<link rel=canonical> or og:url, if any.")
    source_path: str | None = Field(description="Local file the document was read from, if any.")
    site: str | None = Field(description="Site name: the crawl's configured site, else the page's own.")
    title: str | None
    authors: list[str] = Field(default_factory=list)
    published: str | None = Field(
        description="Publication date, ISO 8601; null when missing or impossible (after the fetch)."
    )
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    language: str | None = Field(description="ISO 639-1 code (langdetect; <html lang> when text is short).")
    language_score: float | None = Field(description="langdetect probability; null when from <html lang>.")
    html_lang: str | None = Field(default=None, description="The page's <html lang>, as declared.")
    text: str = Field(description="Paragraphs separated by one blank line.")
    paragraphs: list[str]
    word_count: int = Field(
        ge=0, description="Words of the text: runs of letters and digits, each Han or kana character one word."
    )
    content_hash: str = Field(description="sha256 of the normalized text (NFKC, casefolded, spaces).")
    removed: list[Removal] = Field(default_factory=list)
    fetched_at: str | None = Field(description="When the page was fetched (ISO 8601, UTC); null for files.")
    rules_version: str = Field(description="Hash of the boilerplate rules that produced this record.")
    page_type: str | None = Field(
        default=None,
        description="What kind of page the record came from: article, or listing, product, forum, "
        "documentation, service, collection, other (cleaners/page_type.py); null for text dumps.",
    )
    article_score: float | None = Field(
        default=None, ge=0, le=1, description="How much the page looks like an article (0..1); null for text dumps."
    )
    page_type_evidence: str | None = Field(
        default=None, description="What the page type was judged on, in words (declared type, structure, URL)."
    )
    extracted_by: str | None = Field(
        default=None,
        description="The extraction kept: precision or balanced (trafilatura's passes) or readability; "
        "null for text dumps.",
    )

    flags: list[str] = Field(
        default_factory=list,
        description="Integrity flags, sorted: paywalled (JSON-LD isAccessibleForFree false, paywall markup, "
        "text ending in a subscribe prompt), truncated (text much shorter than the page's wordCount or "
        "description promises), js_required (a shell page whose story is rendered by JavaScript); "
        "cleaners/flags.py, config/integrity.yaml.",
    )
    flag_evidence: dict[str, str] = Field(
        default_factory=dict, description="For each flag, what it was judged on, in words (marker ids, counts)."
    )

    def to_json_line(self) -> str:
        """One line of JSON, UTF-8 characters kept as they are (no \\u escapes)."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


class RejectReason(StrEnum):
    """Why a document yielded no article. Failures (the input could not be read) are marked as such."""

    EMPTY = "empty"
    TOO_SHORT = "too_short"
    TOO_LARGE = "too_large"
    NOT_TEXT = "not_text"
    NO_CONTENT = "no_content"
    WRONG_LANGUAGE = "wrong_language"
    NOT_ARTICLE = "not_article"
    CONSENT_WALL = "consent_wall"
    TOO_COMPLEX = "too_complex"
    DUPLICATE = "duplicate"
    READ_ERROR = "read_error"
    INTERNAL_ERROR = "internal_error"

    @property
    def is_failure(self) -> bool:
        """A failure means the input could not be processed at all; it sets a non-zero exit status."""
        return self in (RejectReason.READ_ERROR, RejectReason.INTERNAL_ERROR)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A document that yields no article, with the reason: never a silent None."""

    reason: RejectReason
    detail: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason.value, "detail": self.detail, "source": self.source}


CleanResult = Article | Rejected


SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "article.schema.json"


def article_json_schema() -> str:
    """The JSON Schema of Article as committed text (stable key order, trailing newline)."""
    schema = Article.model_json_schema()
    schema["$id"] = f"https://presswash.invalid/schema/article-{SCHEMA_VERSION}.json"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":  # python -m cleaners.article: regenerate the committed schema
    SCHEMA_PATH.write_text(article_json_schema(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
