"""Integrity flags: a record that is not the whole story says so (``paywalled``, ``truncated``,
``js_required``), and a consent interstitial is not taken for a story (``consent_wall``, rejected).

A site that starts metering or moves its text into a script blob keeps producing records that look fine:
the flags make the change visible per record (with the evidence, in words) and per site (the share
flagged, crawler/health.py). The markers are data (``config/integrity.yaml``), each with an id, a reason
and examples that are run when the file loads.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cleaners.article import Removal
from cleaners.config import ConfigError, load_yaml, validate
from cleaners.patterns import casefolded, unsafe_reason
from cleaners.text import normalize, word_count

PAYWALLED = "paywalled"
TRUNCATED = "truncated"
JS_REQUIRED = "js_required"
CONSENT_WALL = "consent_wall"
#: Flags a written record can carry (a consent wall is rejected instead).
RECORD_FLAGS = (PAYWALLED, TRUNCATED, JS_REQUIRED)

DEFAULT_MARKERS = str(Path(__file__).resolve().parent.parent / "config" / "integrity.yaml")

_GROUPS = ("paywall_html", "subscribe_prompt", "js_notice", "consent_notice", "consent_html")
# Groups matched against a whole normalized line (the rest are searched in the page's HTML).
_LINE_GROUPS = ("subscribe_prompt", "consent_notice")
_PROBES = (
    "the government said on tuesday that it would raise taxes on fuel next year.",
    "die regierung kündigte am dienstag an, die steuern im nächsten jahr zu erhöhen.",
    "le gouvernement a annoncé mardi une hausse des taxes sur le carburant l'an prochain.",
    "el gobierno anunció el martes que subirá los impuestos al combustible el próximo año.",
)
_LD_JSON = re.compile(r"<script[^>]{0,200}application/ld\+json[^>]{0,200}>(.*?)</script>", re.I | re.S)
_SCRIPT = re.compile(r"<script\b([^>]{0,300})>(.*?)</script>", re.I | re.S)
# A long JSON string literal inside a script: where single-page apps keep the story.
_LONG_STRING = re.compile(r'"((?:[^"\\]|\\.){200,})"', re.S)
_MAX_LD_BLOCKS = 20
_MAX_SCRIPT_CHARS = 2_000_000


class MarkerExamples(BaseModel):
    model_config = ConfigDict(extra="forbid")
    flag: list[str] = Field(min_length=1)
    keep: list[str] = Field(default_factory=list)


class MarkerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_.]+$")
    reason: str = Field(min_length=10)
    match: list[str] = Field(min_length=1)
    examples: MarkerExamples


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    truncated_ratio: float = Field(default=0.5, gt=0, le=1)
    js_max_words: int = Field(default=150, ge=1)
    js_blob_ratio: float = Field(default=3.0, gt=1)
    consent_max_words: int = Field(default=150, ge=1)
    consent_min_share: float = Field(default=0.3, gt=0, le=1)


MarkerGroup = Literal["paywall_html", "subscribe_prompt", "js_notice", "consent_notice", "consent_html"]


class MarkersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    thresholds: Thresholds = Field(default_factory=Thresholds)
    markers: dict[MarkerGroup, list[MarkerSpec]]


@dataclass(frozen=True, slots=True)
class Marker:
    id: str
    group: str
    pattern: re.Pattern[str]
    # ``pattern``'s alternatives, searched one by one in a page (``_page_parts``); empty: ``pattern`` is searched.
    parts: tuple[re.Pattern[str], ...] = ()

    def hit(self, text: str) -> bool:
        if self.group in _LINE_GROUPS:
            return self.pattern.fullmatch(text) is not None
        if self.parts:
            return any(part.search(text) is not None for part in self.parts)
        return self.pattern.search(text) is not None


# A character that starts regular-expression syntax rather than a literal.
_SYNTAX_START = frozenset("()[]{}\\.^$|?*+")


def _page_parts(patterns: list[str], combined: re.Pattern[str]) -> tuple[re.Pattern[str], ...]:
    """The marker's patterns compiled one by one, when searching a page for each is the same test as
    searching for their alternation (it is found exactly when one of them is) and faster: a pattern that
    starts with a literal (``class="``, ``<script``) jumps between the places that literal occurs, where
    the alternation tries every alternative at every character of the page (~2x on the development pages).
    Not for patterns with capturing groups, where a back-reference would number the groups differently."""
    if combined.groups or any(not pattern or pattern[0] in _SYNTAX_START for pattern in patterns):
        return ()
    return tuple(re.compile(pattern) for pattern in patterns)


@dataclass(frozen=True)
class Markers:
    """The compiled markers and thresholds, immutable (shared by every document of a worker)."""

    thresholds: Thresholds
    groups: dict[str, tuple[Marker, ...]] = field(default_factory=dict)

    def first(self, group: str, text: str) -> Marker | None:
        return next((m for m in self.groups.get(group, ()) if m.hit(text)), None)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MARKERS) -> Markers:
        path = Path(path)
        spec = validate(MarkersFile, load_yaml(path), path)
        groups: dict[str, list[Marker]] = {}
        seen: set[str] = set()
        for group, specs in spec.markers.items():
            for index, marker_spec in enumerate(specs):
                where = f"{path}: markers.{group}[{index}]"
                if marker_spec.id in seen:
                    raise ConfigError(f"{where}.id: duplicate marker id {marker_spec.id!r}")
                seen.add(marker_spec.id)
                line = group in _LINE_GROUPS
                combined = _compile(marker_spec.match, where, line=line)
                parts = () if line else _page_parts(marker_spec.match, combined)
                marker = Marker(marker_spec.id, group, combined, parts)
                _check_examples(marker, marker_spec.examples, where)
                groups.setdefault(group, []).append(marker)
        return cls(spec.thresholds, {group: tuple(markers) for group, markers in groups.items()})


def _compile(patterns: list[str], where: str, *, line: bool) -> re.Pattern[str]:
    for index, pattern in enumerate(patterns):
        at = f"{where}.match[{index}]"
        if not pattern.strip():
            raise ConfigError(f"{at}: empty pattern")
        if not casefolded(pattern):
            raise ConfigError(f"{at}: markers see casefolded text; write {pattern.casefold()!r}")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{at}: invalid regular expression: {exc}") from exc
        if compiled.fullmatch("") or (not line and compiled.search("") is not None):
            raise ConfigError(f"{at}: pattern matches the empty text")
        unsafe = unsafe_reason(pattern)
        if unsafe:
            raise ConfigError(f"{at}: pattern {pattern!r} refused: {unsafe}")
        for probe in _PROBES:
            if (compiled.fullmatch(probe) if line else compiled.search(probe)) is not None:
                raise ConfigError(f"{at}: pattern matches ordinary text ({probe!r}): too broad")
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _check_examples(marker: Marker, examples: MarkerExamples, where: str) -> None:
    """The examples are part of the contract: a marker that misses its own example is refused at load."""
    for text in examples.flag:
        if not marker.hit(_form(marker.group, text)):
            raise ConfigError(f"{where}.examples.flag: {marker.id} does not match its example {text!r}")
    for text in examples.keep:
        if marker.hit(_form(marker.group, text)):
            raise ConfigError(f"{where}.examples.keep: {marker.id} matches {text!r}, which it must keep")


def _form(group: str, text: str) -> str:
    return normalize(text) if group in _LINE_GROUPS else text.casefold()


@functools.lru_cache(maxsize=4)
def load_markers(path: str = DEFAULT_MARKERS) -> Markers:
    """Compiled once per process and file (examples checked then)."""
    return Markers.load(path)


@dataclass(frozen=True, slots=True)
class Integrity:
    """What was judged: the record's flags with their evidence, or a consent wall (then no record)."""

    flags: dict[str, str]
    consent_wall: str | None = None

    @property
    def names(self) -> list[str]:
        return sorted(self.flags)


def judge(
    html: str | None,
    paragraphs: Sequence[str],
    removed: Sequence[Removal],
    title: str | None,
    description: str | None,
    markers: Markers,
) -> Integrity:
    """Flags of one cleaned document (``html`` is None for a text dump: only the text is judged)."""
    limits = markers.thresholds
    lines = [line for p in paragraphs for line in p.split("\n") if line.strip()]
    words = sum(word_count(line) for line in lines)
    page = html.casefold() if html else ""
    ld = _json_ld_facts(html) if html else {}
    flags: dict[str, str] = {}

    consent = _consent_wall(page, lines, removed, title, words, markers)
    if consent:
        return Integrity({}, consent)

    paywall: list[str] = []
    if ld.get("free") is False:
        paywall.append("JSON-LD isAccessibleForFree: false")
    html_marker = markers.first("paywall_html", page) if page else None
    if html_marker:
        paywall.append(f"paywall markup ({html_marker.id})")
    prompt = _subscribe_prompt(lines, removed, markers)
    if prompt:
        paywall.append(prompt)
    if paywall:
        flags[PAYWALLED] = "; ".join(paywall)

    promised = ld.get("word_count")
    if isinstance(promised, int) and promised > 0 and words < limits.truncated_ratio * promised:
        flags[TRUNCATED] = f"text has {words} words; the page's JSON-LD wordCount says {promised}"
    elif description and words < word_count(normalize(description)):
        flags[TRUNCATED] = f"text has {words} words, fewer than its own description ({word_count(description)})"

    if page and words < limits.js_max_words:
        evidence: list[str] = []
        notice = markers.first("js_notice", page)
        if notice:
            evidence.append(f"'enable JavaScript' notice ({notice.id})")
        blob = _script_blob_words(html or "")
        if blob >= limits.js_blob_ratio * max(words, 1):
            evidence.append(f"a script holds {blob} words of text, the page {words}")
        if evidence:
            flags[JS_REQUIRED] = "; ".join(evidence)
    return Integrity(flags)


def _consent_wall(
    page: str, lines: list[str], removed: Sequence[Removal], title: str | None, words: int, markers: Markers
) -> str | None:
    """A consent interstitial: little text, most of it the consent form's own words (or the platform's page)."""
    limits = markers.thresholds
    notice_lines = [line for line in lines if markers.first("consent_notice", normalize(line))]
    if title and markers.first("consent_notice", normalize(title)):
        notice_lines.append(title)
    removed_consent = [r.text for r in removed if r.kind == "consent"]
    consent_words = sum(word_count(t) for t in [*notice_lines, *removed_consent])
    story_words = words - sum(word_count(line) for line in notice_lines if line in lines)
    if story_words >= limits.consent_max_words:
        return None
    platform = markers.first("consent_html", page) if page else None
    if platform:
        return f"consent platform page ({platform.id}); {story_words} words of other text"
    # The interstitial's own words ("Before you continue", "Accept all") must be there: a page of which
    # extraction kept only a cookie banner is an extraction miss (no_content), not a consent wall.
    if notice_lines and consent_words >= limits.consent_min_share * (story_words + consent_words):
        quoted = "; ".join(repr(t) for t in [*notice_lines, *removed_consent][:3])
        return f"consent interstitial: {quoted}; {story_words} words of other text"
    return None


def _subscribe_prompt(lines: list[str], removed: Sequence[Removal], markers: Markers) -> str | None:
    """The text ends in a subscribe prompt (kept as its last line, or removed by the second pass)."""
    candidates = [*lines[-1:], *(r.text for r in removed)]
    for text in candidates:
        marker = markers.first("subscribe_prompt", normalize(text))
        if marker:
            return f"subscribe prompt {text.strip()[:80]!r} ({marker.id})"
    return None


def _json_ld_facts(html: str) -> dict[str, Any]:
    """isAccessibleForFree and wordCount of the page's JSON-LD (the article object, in a @graph too)."""
    facts: dict[str, Any] = {}
    for index, found in enumerate(_LD_JSON.finditer(html)):
        if index >= _MAX_LD_BLOCKS:
            break
        try:
            data = json.loads(found.group(1))
        except ValueError:
            continue
        for node in _nodes(data, 0):
            free = node.get("isAccessibleForFree")
            if isinstance(free, str):
                free = {"false": False, "true": True}.get(free.strip().lower())
            if isinstance(free, bool) and "free" not in facts:
                facts["free"] = free
            count = node.get("wordCount")
            if isinstance(count, str) and count.strip().isdigit():
                count = int(count.strip())
            if isinstance(count, int) and not isinstance(count, bool) and "word_count" not in facts:
                facts["word_count"] = count
    return facts


def _nodes(data: Any, depth: int) -> list[dict[str, Any]]:
    if depth > 4:
        return []
    if isinstance(data, list):
        return [node for item in data[:50] for node in _nodes(item, depth + 1)]
    if not isinstance(data, dict):
        return []
    found = [data]
    for key in ("@graph", "mainEntity", "hasPart"):
        if key in data:
            found.extend(_nodes(data[key], depth + 1))
    return found


def _script_blob_words(html: str) -> int:
    """Words in the longest string of a script (not JSON-LD, which many full pages carry as a copy)."""
    best = 0
    for found in _SCRIPT.finditer(html[:_MAX_SCRIPT_CHARS]):
        if "ld+json" in found.group(1).lower():
            continue
        for literal in _LONG_STRING.finditer(found.group(2)):
            best = max(best, word_count(literal.group(1)))
    return best
