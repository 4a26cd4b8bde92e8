"""The second pass: remove the clutter that trafilatura lets through and that text dumps carry.

Rules are data (``config/boilerplate.yaml``), grouped by kind, each with an id, a reason and examples it
must remove and keep. A rule removes a *whole line* only when its pattern matches the entire normalized
line and the line is short enough (``max_words``): this is what keeps a real paragraph that merely
mentions cookies or subscriptions. Every removal is returned with its rule id so users can audit it.

A few kinds of clutter are only recognizable by where they stand, so a rule can also say:

- ``edge_only``: the line is clutter only in the run of clutter at the very start or end of the body
  (a lone "Facebook" or "Email" is a share button there, but an item of a list in mid-article);
- ``takes_next``: a header such as "Also read:" on a line of its own also takes the headline it links to;
- ``tail_block``: a header such as "Related posts" also takes the link titles after it when they run to
  the end of the document.

Lines are matched without a leading list marker ("- ", "* ", "• "), because trafilatura renders ``<li>``
items that way and share bars or related-story lists are often lists.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cleaners.article import Removal
from cleaners.config import ConfigError, load_yaml, validate
from cleaners.patterns import UnsafePattern, casefolded, check_backtracking, unsafe_reason
from cleaners.text import normalize, word_count

# Ordinary article sentences that no rule may match: a pattern that does is too broad to be safe.
_PROBE_SENTENCES = (
    "the government said on tuesday that it would raise taxes on fuel next year.",
    "die regierung kündigte am dienstag an, die steuern im nächsten jahr zu erhöhen.",
    "le gouvernement a annoncé mardi une hausse des taxes sur le carburant l'an prochain.",
    "el gobierno anunció el martes que subirá los impuestos al combustible el próximo año.",
    "the minister said the plan would cost billions.",
    "by noon, the streets were empty.",
    "a",
    "1",
)

# A leading list marker, as trafilatura writes list items ("- item") and as dumps carry bullets, and the
# emoji or pictographs that call-to-action lines open with ("🚀 Sign up for ...", "👉 Read more: ...").
# Not stripped from a line without words ("* * *", "- -"), which is a separator, not a list item.
_LIST_MARKER = re.compile(r"^(?:[-*•·▪◦‣►▸]\s+|[\u2190-\u21ff\u2600-\u27bf\U0001f300-\U0001faff]\ufe0f?\s*)+(?=.*\w)")

# `{name}` in a pattern refers to an entry of `macros:` (regex quantifiers like {2,5} are not names).
_MACRO_REF = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class RuleExample(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    title: str | None = None


def _as_examples(value: Any) -> Any:
    if isinstance(value, list):
        return [{"text": v} if isinstance(v, str) else v for v in value]
    return value


class RuleExamples(BaseModel):
    model_config = ConfigDict(extra="forbid")
    remove: list[RuleExample] = Field(default_factory=list)
    keep: list[RuleExample] = Field(default_factory=list)

    _coerce_remove = field_validator("remove", mode="before")(_as_examples)
    _coerce_keep = field_validator("keep", mode="before")(_as_examples)


class RuleSpec(BaseModel):
    """One rule as written in YAML."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_.]+$")
    reason: str = Field(min_length=10)
    match: list[str] = Field(default_factory=list)
    match_title: bool = False
    max_words: int | None = Field(default=None, ge=1, le=200)
    tail_block: bool = False
    takes_next: bool = False
    edge_only: bool = False
    examples: RuleExamples

    @field_validator("examples")
    @classmethod
    def _needs_remove_example(cls, value: RuleExamples) -> RuleExamples:
        if not value.remove:
            raise ValueError("every rule needs at least one 'remove' example")
        return value


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    defaults: dict[str, int] = Field(default_factory=dict)
    macros: dict[str, str] = Field(default_factory=dict)
    kinds: dict[str, list[RuleSpec]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled rule (see the module docstring for ``tail_block``, ``takes_next`` and ``edge_only``)."""

    id: str
    kind: str
    reason: str
    patterns: tuple[str, ...]  # the patterns as written, macros expanded; checked by rule_from_spec
    match_title: bool
    max_words: int
    tail_block: bool
    takes_next: bool = False
    edge_only: bool = False
    combined: re.Pattern[str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # One alternation per rule: a single call into the regex engine instead of one per pattern
        # (a rule has up to dozens), which made the second pass cost ~10% of trafilatura's time.
        if self.patterns and self.combined is None:
            combined = re.compile(_alternation(self.patterns))
            object.__setattr__(self, "combined", combined)

    def matches(self, norm_line: str, norm_title: str | None, n_words: int) -> bool:
        """Whether the rule's text test passes; position (``edge_only``) is judged by the caller."""
        if n_words > self.max_words:
            return False
        if self.match_title:
            return bool(norm_title) and _strip_edges(norm_line) in _title_forms(norm_title or "")
        return self.combined is not None and self.combined.fullmatch(norm_line) is not None


def _strip_edges(text: str | None) -> str:
    return (text or "").strip(" .:!?-|\"'")


# "Headline | Site" or "Headline - Site": dumps and <title> carry the site name, the body's copy does not.
_TITLE_SUFFIX = re.compile(r"^(?P<head>.+)\s+(?:\||-|::|•|·)\s+(?P<site>[^|]+)$")
_SITE_SUFFIX_MAX_WORDS = 4
_HEADLINE_MIN_WORDS = 4


@lru_cache(maxsize=256)
def _title_forms(norm_title: str) -> frozenset[str]:
    """The title, and the title without a short trailing site name when what remains is a headline."""
    forms = {_strip_edges(norm_title)}
    found = _TITLE_SUFFIX.match(norm_title)
    if found and word_count(found["site"]) <= _SITE_SUFFIX_MAX_WORDS:
        head = _strip_edges(found["head"])
        if word_count(head) >= _HEADLINE_MIN_WORDS:
            forms.add(head)
    return frozenset(form for form in forms if form)


def _matching_form(line: str) -> str:
    """The normalized line without a leading list marker: what patterns and word limits see."""
    return _LIST_MARKER.sub("", normalize(line))


@dataclass(frozen=True, slots=True)
class SecondPassResult:
    paragraphs: list[str]
    removed: list[Removal]


# A tail-block item looks like a link title: short, and not a sentence of running prose.
_TAIL_ITEM_MAX_WORDS = 18


def _looks_like_link_title(norm_line: str) -> bool:
    return word_count(norm_line) <= _TAIL_ITEM_MAX_WORDS and not re.search(r"[.!?;]\s+\S", norm_line)


def _looks_like_headline(norm_line: str) -> bool:
    """Stricter than a link title: headlines do not end with a full stop, sentences of an article do."""
    return _looks_like_link_title(norm_line) and (not norm_line.endswith(".") or norm_line.endswith("..."))


@dataclass(slots=True)
class _Line:
    """One non-blank line of the body while it is being judged."""

    paragraph: int
    text: str
    norm: str
    verdict: Rule | None
    edge_candidate: Rule | None
    protected: bool = False  # a site's keep rule matched: no rule may take it (cleaners/site_rules.py)

    @property
    def listed(self) -> bool:
        """A list item ("- Title"): related-story lists come as runs of them."""
        return bool(_LIST_MARKER.match(normalize(self.text)))


class BoilerplateRules:
    """All rules, compiled once. Immutable after load, so it can be shared by every document."""

    def __init__(self, rules: list[Rule], version: str, specs: list[tuple[str, RuleSpec]]) -> None:
        self.rules = tuple(rules)
        self.version = version
        self.specs = tuple(specs)
        self._anywhere = _by_word_count([r for r in self.rules if not r.edge_only])
        self._edge = _by_word_count([r for r in self.rules if r.edge_only])

    @classmethod
    def load(cls, path: str | Path) -> BoilerplateRules:
        path = Path(path)
        data = load_yaml(path)
        spec = validate(RulesFile, data, path)
        default_max_words = spec.defaults.get("max_words", 25)
        rules: list[Rule] = []
        specs: list[tuple[str, RuleSpec]] = []
        seen: set[str] = set()
        for kind, kind_rules in spec.kinds.items():
            for index, rule_spec in enumerate(kind_rules):
                where = f"{path}: kinds.{kind}[{index}]"
                rules.append(
                    rule_from_spec(
                        rule_spec,
                        where,
                        rule_id=rule_spec.id,
                        kind=kind,
                        max_words=default_max_words,
                        seen=seen,
                        macros=spec.macros,
                    )
                )
                specs.append((kind, rule_spec))
        version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return cls(rules, version, specs)

    def classify(self, line: str, title: str | None) -> Rule | None:
        """The rule that removes this line when it stands alone (so at both edges), or None to keep it."""
        norm = _matching_form(line)
        if not norm:
            return None
        norm_title = normalize(title) if title else None
        return self._first(self._anywhere, norm, norm_title) or self._first(self._edge, norm, norm_title)

    def apply(
        self, paragraphs: Iterable[str], title: str | None, protect: Callable[[str], bool] | None = None
    ) -> SecondPassResult:
        """Judge every line of every paragraph; keep the rest verbatim, in order.

        ``protect`` (a site's keep rules) sees each line's matching form; a line it accepts is kept
        whatever any rule, tail block or edge run would say."""
        norm_title = normalize(title) if title else None
        lines: list[_Line] = []
        for index, paragraph in enumerate(paragraphs):
            for text in paragraph.split("\n"):
                if text.strip():
                    norm = _matching_form(text)
                    if protect is not None and norm and protect(norm):
                        lines.append(_Line(index, text, norm, None, None, protected=True))
                        continue
                    lines.append(
                        _Line(
                            paragraph=index,
                            text=text,
                            norm=norm,
                            verdict=self._first(self._anywhere, norm, norm_title),
                            edge_candidate=self._first(self._edge, norm, norm_title),
                        )
                    )
        _take_next_headlines(lines)
        # Tail blocks and edge runs feed each other (a share button after a related list, a related
        # list after a share button), so both are repeated until nothing changes; each round removes
        # at least one line, so this ends.
        while _extend_tail_blocks(lines) | _extend_edges(lines):
            pass

        kept: dict[int, list[str]] = {}
        removed: list[Removal] = []
        for line in lines:
            if line.verdict is None:
                kept.setdefault(line.paragraph, []).append(line.text)
            else:
                removed.append(Removal(rule=line.verdict.id, kind=line.verdict.kind, text=line.text))
        return SecondPassResult([("\n".join(kept[i])).strip() for i in sorted(kept)], removed)

    @staticmethod
    def _first(rules: Sequence[Sequence[Rule]], norm: str, norm_title: str | None) -> Rule | None:
        if not norm:
            return None
        n_words = word_count(norm)
        if n_words >= len(rules):
            return None  # longer than every rule's max_words: most lines of an article end here
        return next((r for r in rules[n_words] if r.matches(norm, norm_title, n_words)), None)


def _by_word_count(rules: list[Rule]) -> tuple[tuple[Rule, ...], ...]:
    """For each word count n, the rules (in order) whose ``max_words`` allows a line of n words."""
    longest = max((r.max_words for r in rules), default=-1)
    return tuple(tuple(r for r in rules if r.max_words >= n) for n in range(longest + 1))


def _take_next_headlines(lines: list[_Line]) -> None:
    """ "Also read:" alone on its line links to the headline below it: the headline goes too.

    In a text dump the headline is the next line of the same block (possibly several); in extracted HTML
    every line is its own paragraph, so a following paragraph that is one headline-like line is taken.
    Headline-like means short, one sentence, no final full stop: a sentence of the article is not taken.
    """
    for position, line in enumerate(lines):
        if line.verdict is None or not line.verdict.takes_next:
            continue
        header = line.verdict
        following = lines[position + 1 :]
        same_block = [other for other in following if other.paragraph == line.paragraph]
        if same_block:
            for other in same_block:
                if other.verdict is not None:
                    continue
                if other.protected or not _looks_like_headline(other.norm):
                    break
                other.verdict = header
        else:
            _take_headline_paragraphs(following, header)


def _take_headline_paragraphs(following: list[_Line], header: Rule) -> None:
    """Take the next one-line headline paragraph; if it is a list item, the list items after it too."""
    index = 0
    while index < len(following):
        paragraph = following[index].paragraph
        block = [other for other in following[index:] if other.paragraph == paragraph]
        line = block[0]
        if len(block) != 1 or line.verdict is not None or line.protected or not _looks_like_headline(line.norm):
            return
        if index > 0 and not (line.listed and following[0].listed):
            return
        line.verdict = header
        index += 1


def _extend_tail_blocks(lines: list[_Line]) -> bool:
    """A "Related posts" header followed only by headline-like lines up to the end takes them along.

    Headline-like (no final full stop) rather than merely short: a closing section such as AP's
    "UP NEXT" followed by "Lakers: Visit the Thunder on Friday." is text of the story.
    """
    for position, line in enumerate(lines):
        if line.verdict is None or not line.verdict.tail_block:
            continue
        rest = lines[position + 1 :]
        if all(
            other.verdict is not None or (not other.protected and _looks_like_headline(other.norm)) for other in rest
        ):
            changed = False
            for other in rest:
                if other.verdict is None:
                    other.verdict = line.verdict
                    changed = True
            return changed
    return False


def _extend_edges(lines: list[_Line]) -> bool:
    """Apply ``edge_only`` rules in the runs of removed lines that start and end the body."""
    changed = False
    for order in (range(len(lines)), range(len(lines) - 1, -1, -1)):
        for index in order:
            line = lines[index]
            if line.verdict is not None:
                continue
            if line.edge_candidate is None or _in_introduced_list(lines, index):
                break
            line.verdict = line.edge_candidate
            changed = True
    return changed


def _in_introduced_list(lines: list[_Line], index: int) -> bool:
    """Whether the line is an item of a list that a kept line ending with ":" introduces.

    "The platforms named were:" followed by "YouTube" and "TikTok" at the very end of an article is a
    list of the story, not a share bar, even though each item alone looks like a button. The items are
    the lines of the introducer's own block (text dumps) or a run of list items ("- YouTube", HTML).
    """
    start = index
    while start > 0 and lines[start - 1].verdict is None and lines[start - 1].edge_candidate is not None:
        start -= 1
    if start == 0:
        return False
    introducer = lines[start - 1]
    if introducer.verdict is not None or not introducer.norm.endswith(":"):
        return False
    items = lines[start : index + 1]
    return all(item.paragraph == introducer.paragraph for item in items) or all(item.listed for item in items)


_MAX_MACRO_DEPTH = 4


def rule_from_spec(
    rule_spec: RuleSpec,
    where: str,
    *,
    rule_id: str,
    kind: str,
    max_words: int,
    seen: set[str],
    macros: dict[str, str] | None = None,
) -> Rule:
    """One compiled rule from its spec, for the global rules file and a site's rules alike: its id unique
    among ``seen`` (added to it), either ``match`` patterns or ``match_title``, each pattern compiled (with
    ``macros`` expanded, where the file has them); ``max_words`` where the rule gives none. Errors name
    ``where`` and the key."""
    if rule_spec.id in seen:
        raise ConfigError(f"{where}.id: duplicate rule id {rule_spec.id!r}")
    seen.add(rule_spec.id)
    if bool(rule_spec.match) == rule_spec.match_title:
        raise ConfigError(f"{where}: give either 'match' patterns or 'match_title: true'")
    checked = _checked_at_once(rule_spec.match, macros) if rule_spec.match else None
    if checked is None:  # one at a time: the first pattern that fails is named, with why
        patterns, combined = [], None
        for index, pattern in enumerate(rule_spec.match):
            at = f"{where}.match[{index}]"
            patterns.append(_compile(_expand(pattern, macros, at) if macros is not None else pattern, at).pattern)
    else:
        patterns, combined = checked
    return Rule(
        id=rule_id,
        kind=kind,
        reason=rule_spec.reason,
        patterns=tuple(patterns),
        match_title=rule_spec.match_title,
        max_words=rule_spec.max_words or max_words,
        tail_block=rule_spec.tail_block,
        takes_next=rule_spec.takes_next,
        edge_only=rule_spec.edge_only,
        combined=combined,
    )


def _alternation(patterns: Iterable[str]) -> str:
    """One pattern matching what any of ``patterns`` matches: a rule's single call into the regex engine."""
    return "|".join(f"(?:{pattern})" for pattern in patterns)


# What makes an alternation behave otherwise than its patterns one by one: a back-reference or a
# conditional (the alternation numbers groups across patterns) and inline flags (global there).
_NOT_ALONE_IN_ALTERNATION = re.compile(r"\\[1-9]|\(\?P=|\(\?\(|\(\?[aiLmsux-]")


def _checked_at_once(sources: list[str], macros: dict[str, str] | None) -> tuple[list[str], re.Pattern[str]] | None:
    """A rule's patterns (macros expanded) and their alternation, compiled, when each pattern passes every
    check of ``_compile``, judged on the alternation where that is the same judgement; None when a check
    fails or cannot be judged so (then ``_compile`` runs pattern by pattern and names the first failure).

    Why: compiling each pattern alone, then the alternation, parses every pattern twice more than the
    backtracking check does; at ~400 patterns that was a quarter of a start. Without back-references,
    conditionals or inline flags, an alternation matches (or fully matches) a text exactly when one of its
    patterns does, so the empty-line and ordinary-sentence tests on it are those tests on each pattern; a
    pattern that parses (the backtracking check parses it) compiles inside the alternation as alone."""
    patterns: list[str] = []
    for source in sources:
        try:
            pattern = _expand(source, macros, "") if macros is not None else source
        except ConfigError:
            return None
        if not pattern.strip() or not casefolded(pattern) or _NOT_ALONE_IN_ALTERNATION.search(pattern):
            return None
        try:
            check_backtracking(pattern)  # parses it: re.error when invalid
        except (re.error, UnsafePattern):
            return None
        patterns.append(pattern)
    try:
        combined = re.compile(_alternation(patterns))
    except re.error:
        return None
    if combined.fullmatch("") or any(combined.fullmatch(probe) for probe in _PROBE_SENTENCES):
        return None
    return patterns, combined


def _expand(pattern: str, macros: dict[str, str], where: str, depth: int = 0) -> str:
    """Replace ``{name}`` by the macro's pattern, grouped, so shared vocabularies (months, social
    networks) live in one place. Macros may use macros, a few levels deep (a cycle is an error)."""
    if depth > _MAX_MACRO_DEPTH:
        raise ConfigError(f"{where}: macros nested too deeply (a macro that uses itself?)")

    def substitute(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in macros:
            raise ConfigError(f"{where}: unknown macro {{{name}}} (define it under 'macros:')")
        return f"(?:{_expand(macros[name], macros, where, depth + 1)})"

    return _MACRO_REF.sub(substitute, pattern)


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    if not pattern.strip():
        raise ConfigError(f"{where}: empty pattern")
    if not casefolded(pattern):
        raise ConfigError(f"{where}: patterns match casefolded text; write {pattern.casefold()!r} (e.g. 'ss' for 'ß')")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{where}: invalid regular expression: {exc}") from exc
    if compiled.fullmatch(""):
        raise ConfigError(f"{where}: pattern matches the empty line")
    unsafe = unsafe_reason(pattern)
    if unsafe:  # a catastrophic pattern would hang every worker on a short line: refused, named
        raise ConfigError(f"{where}: pattern {pattern!r} refused: {unsafe}")
    for probe in _PROBE_SENTENCES:
        if compiled.fullmatch(probe):
            raise ConfigError(f"{where}: pattern matches ordinary text ({probe!r}): too broad")
    return compiled
