"""Learned site boilerplate: lines that recur across a site's recent articles are the site's template
(a footer under every story, a "more from this section" line), removed as ``site_template``.

No global rule can know one site's footer, and a rule broad enough to catch every such footer would cut
real sentences. What gives it away is repetition: the same normalized line in a large share of the
site's recent articles. The learner keeps, per site, the lines of the last ``window`` articles; once
``min_pages`` articles were seen, a line found in at least ``min_share`` of them (and in ``min_articles``,
never fewer than two) is learned.

Determinism: what is learned is a :class:`LearnedTemplate`, versioned by the hash of its lines, and it is
applied to a cleaned record by a pure function (:func:`apply_learned`); the record's ``rules_version``
says which version applied (``+learned:<hash>``), so re-cleaning the raw archive with the same learned
set gives the same records. The learner runs in the process that sees results in order (the crawl's
pipeline, ``presswash clean``'s loop), not in the cleaning workers.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cleaners.article import Article, Rejected, RejectReason, Removal
from cleaners.boilerplate import _matching_form
from cleaners.site_rules import SiteRules
from cleaners.text import article_word_count, content_hash, normalize, stable_id, word_count

#: The ``rule`` and ``kind`` of a removal by a learned line.
SITE_TEMPLATE = "site_template"


class TemplateSettings(BaseModel):
    """``site_template:`` of config/presswash.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    window: int = Field(default=50, ge=2, le=10_000, description="recent articles of a site the learner keeps")
    min_pages: int = Field(default=20, ge=2, description="articles of a site seen before anything is learned")
    min_share: float = Field(default=0.5, gt=0, le=1, description="share of the window a line must be in")
    min_articles: int = Field(default=5, ge=2, description="articles a line must be in, at least (never 1)")
    max_words: int = Field(default=40, ge=1, le=200, description="longer lines are never learned")
    max_lines: int = Field(default=50, ge=1, description="at most this many lines per site")

    @model_validator(mode="after")
    def _window_holds_min_pages(self) -> TemplateSettings:
        if self.min_pages > self.window:
            raise ValueError(f"min_pages ({self.min_pages}) is larger than window ({self.window})")
        return self


@dataclass(frozen=True, slots=True)
class LearnedTemplate:
    """Lines learned as a site's template: (normalized, original) pairs, versioned by their hash."""

    site: str
    lines: tuple[tuple[str, str], ...]
    version: str
    pages: int  # articles in the window it was learned from

    @classmethod
    def of(cls, site: str, lines: dict[str, str], pages: int) -> LearnedTemplate:
        items = tuple(sorted(lines.items()))
        digest = hashlib.sha256(json.dumps([n for n, _ in items], ensure_ascii=False).encode()).hexdigest()[:12]
        return cls(site, items, digest, pages)

    @property
    def normalized(self) -> frozenset[str]:
        return frozenset(n for n, _ in self.lines)

    def to_dict(self) -> dict[str, object]:
        return {"site": self.site, "version": self.version, "pages": self.pages, "lines": [list(p) for p in self.lines]}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LearnedTemplate:
        lines = tuple((str(n), str(o)) for n, o in data["lines"])  # type: ignore[union-attr,misc]
        return cls(str(data["site"]), lines, str(data["version"]), int(data["pages"]))  # type: ignore[call-overload]


def site_key(article: Article) -> str | None:
    """The site a record belongs to for learning: the registered domain of its URL (``presswash clean``),
    else its host; None without a URL."""
    url = article.url or article.canonical_url
    if not url:
        return None
    from courlan import extract_domain

    host = urlsplit(url).netloc.lower()
    return extract_domain(url) or host or None


def article_lines(article: Article) -> dict[str, str]:
    """The article's lines, normalized -> original (the first of each), as the learner counts them."""
    lines: dict[str, str] = {}
    for paragraph in article.paragraphs:
        for line in paragraph.split("\n"):
            norm = normalize(line)
            if norm:
                lines.setdefault(norm, line.strip())
    return lines


class TemplateLearner:
    """Per site, the lines of the last ``window`` articles and what they teach. Not thread-safe: one
    learner per process, fed in the order results arrive."""

    def __init__(self, settings: TemplateSettings | None = None) -> None:
        self.settings = settings or TemplateSettings()
        self._windows: dict[str, deque[dict[str, str]]] = {}
        self._learned: dict[str, LearnedTemplate | None] = {}

    def load(self, site: str, recent: Iterable[dict[str, str]]) -> None:
        """Start from articles seen by earlier runs (oldest first)."""
        window = self._window(site)
        window.extend(recent)
        self._learned.pop(site, None)

    def recent(self, site: str) -> list[dict[str, str]]:
        return list(self._windows.get(site, ()))

    def sites(self) -> list[str]:
        return sorted(self._windows)

    def observe(self, site: str, article: Article) -> None:
        self._window(site).append(article_lines(article))
        self._learned.pop(site, None)

    def learned(self, site: str) -> LearnedTemplate | None:
        """What the site's window teaches now; None before ``min_pages`` articles or when nothing recurs."""
        if site not in self._learned:
            self._learned[site] = self._learn(site)
        return self._learned[site]

    def _window(self, site: str) -> deque[dict[str, str]]:
        if site not in self._windows:
            self._windows[site] = deque(maxlen=self.settings.window)
        return self._windows[site]

    def _learn(self, site: str) -> LearnedTemplate | None:
        window = self._windows.get(site)
        settings = self.settings
        if not window or len(window) < settings.min_pages:
            return None
        counts: Counter[str] = Counter()
        originals: dict[str, str] = {}
        for lines in window:
            counts.update(lines.keys())
            for norm, original in lines.items():
                originals.setdefault(norm, original)
        needed = max(settings.min_articles, 2, math.ceil(settings.min_share * len(window)))
        chosen = [
            norm for norm, count in counts.most_common() if count >= needed and word_count(norm) <= settings.max_words
        ][: settings.max_lines]
        if not chosen:
            return None
        return LearnedTemplate.of(site, {norm: originals[norm] for norm in chosen}, len(window))


def apply_learned(
    article: Article, learned: LearnedTemplate, min_words: int, site_rules: SiteRules | None = None
) -> Article | Rejected:
    """The record without the learned lines (a pure function of the record and the learned set).

    A line a site's keep rule protects stays. The record's ``rules_version`` gains ``+learned:<hash>``
    whether or not a line was removed, so every record says which learned set was in force."""
    known = learned.normalized
    removed = list(article.removed)
    paragraphs: list[str] = []
    for paragraph in article.paragraphs:
        kept = []
        for line in paragraph.split("\n"):
            norm = normalize(line)
            if norm in known and not (site_rules is not None and site_rules.protects(_matching_form(line))):
                removed.append(Removal(rule=SITE_TEMPLATE, kind=SITE_TEMPLATE, text=line))
            else:
                kept.append(line)
        if any(line.strip() for line in kept):
            paragraphs.append("\n".join(kept).strip())
    version = f"{article.rules_version}+learned:{learned.version}"
    source = article.source_path or article.url or article.id
    if len(removed) == len(article.removed):
        return article.model_copy(update={"rules_version": version})
    if not paragraphs:
        return Rejected(
            RejectReason.NO_CONTENT, f"nothing left after removing the site's template ({learned.version})", source
        )
    text = "\n\n".join(paragraphs)
    words = article_word_count(text)
    if words < min_words:
        return Rejected(
            RejectReason.TOO_SHORT, f"{words} words < min_words={min_words} without the site's template", source
        )
    digest = content_hash(paragraphs)
    update: dict[str, object] = {
        "paragraphs": paragraphs,
        "text": text,
        "word_count": words,
        "content_hash": digest,
        "removed": removed,
        "rules_version": version,
    }
    if not article.url:
        update["id"] = stable_id(f"content:{digest}")
    return article.model_copy(update=update)


def suggest_rules(learned: LearnedTemplate, examples: dict[str, list[str]] | None = None) -> str:
    """The learned lines as per-site rules (sites.yaml ``boilerplate:``), for a person to review."""
    import re

    import yaml

    rules = []
    for index, (norm, original) in enumerate(learned.lines, 1):
        pattern = re.escape(norm).replace("\\ ", " ")
        rules.append(
            {
                "id": f"learned.line_{index}",
                "reason": f"Learned from {learned.pages} recent articles of {learned.site} "
                f"(template {learned.version}): the same line under many stories.",
                "match": [pattern],
                "max_words": max(1, word_count(norm)),
                "examples": {"remove": (examples or {}).get(norm, [original])[:3]},
            }
        )
    block = {"boilerplate": {"remove": rules, "keep": []}}
    header = (
        f"# Learned template of site {learned.site} (version {learned.version}, {learned.pages} articles).\n"
        "# Review each rule, then paste the block under the site in sites.yaml (or a file it names).\n"
    )
    return header + yaml.safe_dump(block, allow_unicode=True, sort_keys=False, width=200)


class BatchTemplateStage:
    """Learned site boilerplate in ``presswash clean``: records grouped by the registered domain of their
    URL, learned and cleaned in input order (the pool hands results back in that order), so the same
    inputs give the same records. Records without a URL are left as they are."""

    def __init__(self, settings: TemplateSettings, min_words: int, site_rules: SiteRules | None = None) -> None:
        self.learner = TemplateLearner(settings)
        self.min_words = min_words
        self.site_rules = site_rules  # `presswash clean --site NAME`: its keep rules protect lines, as in its crawl
        self.versions: dict[str, str] = {}
        self.removed = 0

    def __call__(self, article: Article) -> Article | Rejected:
        site = site_key(article)
        if site is None:
            return article
        self.learner.observe(site, article)
        learned = self.learner.learned(site)
        if learned is None:
            return article
        self.versions[site] = learned.version
        result = apply_learned(article, learned, self.min_words, self.site_rules)
        if isinstance(result, Article):
            self.removed += len(result.removed) - len(article.removed)
        return result

    def summary(self) -> dict[str, object]:
        """For the run's stats: the last learned version of each site and the lines removed."""
        return {"versions": dict(sorted(self.versions.items())), "removed_lines": self.removed}


def parse_site_version(text: str) -> tuple[str, str]:
    """``SITE@VERSION`` (``presswash clean --site-template``) -> (site, version); ValueError when malformed."""
    site, at, version = text.rpartition("@")
    if not at or not site or not version:
        raise ValueError(f"--site-template {text!r}: expected SITE@VERSION (the version: `presswash rules versions`)")
    return site, version


def export_learned(templates: Iterable[LearnedTemplate]) -> str:
    """Learned sets as a JSON file (``presswash rules export``), for ``presswash clean --learned FILE``."""
    return json.dumps({"templates": [t.to_dict() for t in templates]}, ensure_ascii=False, indent=2) + "\n"


def load_learned(path: str) -> list[LearnedTemplate]:
    """The learned sets of a file written by :func:`export_learned`; each one's version is checked against
    its lines, so a hand-edited set cannot pass for the version a record names."""
    from cleaners.config import ConfigError

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the learned sets: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not JSON ({exc}); write it with `presswash rules export`") from None
    entries = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: templates: expected a non-empty list (from `presswash rules export`)")
    out = []
    for index, entry in enumerate(entries):
        try:
            template = LearnedTemplate.from_dict(entry)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: templates[{index}]: not a learned set ({exc!r})") from None
        actual = LearnedTemplate.of(template.site, dict(template.lines), template.pages).version
        if actual != template.version:
            raise ConfigError(
                f"{path}: templates[{index}]: version {template.version} does not match its lines "
                f"(they hash to {actual}): the set was edited"
            )
        out.append(template)
    return out


class FixedTemplateStage:
    """Fixed learned sets in ``presswash clean`` (``--learned FILE``, ``--site-template SITE@VERSION``):
    nothing is learned; each record of a site gets that site's set through :func:`apply_learned`, so
    re-cleaning a crawl's raw archive with the set a record names (its ``rules_version``) gives that
    record again. A record's site is its ``site`` field (a crawl's site name, kept in the WARC archive),
    else the registered domain of its URL; records of other sites are left as they are."""

    def __init__(
        self, templates: Iterable[LearnedTemplate], min_words: int, site_rules: SiteRules | None = None
    ) -> None:
        from cleaners.config import ConfigError

        self.by_site: dict[str, LearnedTemplate] = {}
        for template in templates:
            known = self.by_site.get(template.site)
            if known is not None and known.version != template.version:
                raise ConfigError(
                    f"two learned sets for site {template.site} ({known.version}, {template.version}): "
                    "give one per site"
                )
            self.by_site[template.site] = template
        self.min_words = min_words
        self.site_rules = site_rules  # `presswash clean --site NAME`: its keep rules protect lines, as in its crawl
        self.applied: Counter[str] = Counter()
        self.removed = 0

    def __call__(self, article: Article) -> Article | Rejected:
        learned = self.by_site.get(article.site or "")
        if learned is None:
            key = site_key(article)
            learned = self.by_site.get(key) if key is not None else None
        if learned is None:
            return article
        self.applied[learned.site] += 1
        result = apply_learned(article, learned, self.min_words, self.site_rules)
        if isinstance(result, Article):
            self.removed += len(result.removed) - len(article.removed)
        return result

    def summary(self) -> dict[str, object]:
        """For the run's stats: each site's fixed version, the records it was applied to, lines removed."""
        return {
            "fixed": {site: t.version for site, t in sorted(self.by_site.items())},
            "records": dict(sorted(self.applied.items())),
            "removed_lines": self.removed,
        }
