"""Per-site boilerplate: a site's own removal and keep rules (``boilerplate:`` of a site in sites.yaml) and
the lines learned from its recent articles (cleaners/site_template.py), applied in the second pass.

One site's footer ("The Harbour Gazette is owned by its readers") is text to every global rule, and a
global rule broad enough to catch it would cut other sites' stories; a keep rule protects a site's line
that a global rule takes by mistake. The same checks as ``config/boilerplate.yaml`` apply at load (ids,
reasons, examples run, bounded patterns that do not match ordinary sentences), and every removal says
which site rule fired (``removed[].rule`` = ``SITE/ID``).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cleaners.boilerplate import (
    BoilerplateRules,
    Rule,
    RuleSpec,
    SecondPassResult,
    _compile,
    _matching_form,
    rule_from_spec,
)
from cleaners.config import ConfigError, validate


class KeepSpec(BaseModel):
    """A keep rule: lines it matches (whole, normalized) are never removed for this site."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_.]+$")
    reason: str = Field(min_length=10)
    match: list[str] = Field(min_length=1)
    examples: list[str] = Field(min_length=1, description="lines it must protect")


class SiteRulesSpec(BaseModel):
    """``boilerplate:`` of one site (inline, or the file it names)."""

    model_config = ConfigDict(extra="forbid")
    remove: list[RuleSpec] = Field(default_factory=list)
    keep: list[KeepSpec] = Field(default_factory=list)

    @field_validator("remove", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return value if value is not None else []


@dataclass(frozen=True, slots=True)
class SiteRules:
    """A site's compiled rules. Immutable and hashable: it travels to the cleaning workers in the
    per-site overrides and keys their cache of options."""

    site: str
    remove: tuple[Rule, ...]
    keep: tuple[tuple[str, Any], ...]  # (id, compiled alternation)
    version: str

    def protects(self, norm: str) -> bool:
        return any(pattern.fullmatch(norm) is not None for _, pattern in self.keep)


def compile_site_rules(site: str, data: Any, where: str) -> SiteRules:
    """Validate and compile ``boilerplate:`` of a site; ConfigError names ``where`` and the key."""
    spec = validate(SiteRulesSpec, data, where)
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, rule_spec in enumerate(spec.remove):
        rule_id = f"{site}/{rule_spec.id}"
        kind = rule_spec.id.split(".", 1)[0]
        rules.append(
            rule_from_spec(rule_spec, f"{where}: remove[{index}]", rule_id=rule_id, kind=kind, max_words=25, seen=seen)
        )
    keep: list[tuple[str, Any]] = []
    for index, keep_spec in enumerate(spec.keep):
        at = f"{where}: keep[{index}]"
        if keep_spec.id in seen:
            raise ConfigError(f"{at}.id: duplicate rule id {keep_spec.id!r}")
        seen.add(keep_spec.id)
        compiled = [_compile(p, f"{at}.match[{i}]") for i, p in enumerate(keep_spec.match)]
        combined = compiled[0] if len(compiled) == 1 else _alternation(compiled)
        for example in keep_spec.examples:
            if combined.fullmatch(_matching_form(example)) is None:
                raise ConfigError(f"{at}.examples: {keep_spec.id} does not match its example {example!r}")
        keep.append((keep_spec.id, combined))
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    version = hashlib.sha256(canonical.encode()).hexdigest()[:12]
    compiled_rules = SiteRules(site, tuple(rules), tuple(keep), version)
    _check_examples(compiled_rules, spec, where)
    return compiled_rules


def _alternation(patterns: list[Any]) -> Any:
    import re

    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))


def _check_examples(rules: SiteRules, spec: SiteRulesSpec, where: str) -> None:
    """Each removal rule removes its ``remove`` examples and keeps its ``keep`` examples (alone, as the
    global rules' examples are judged in tests/test_boilerplate_rules.py)."""
    for index, (rule, rule_spec) in enumerate(zip(rules.remove, spec.remove, strict=True)):
        combined = BoilerplateRules([rule], "example", [])
        for example in rule_spec.examples.remove:
            if combined.classify(example.text, example.title) is None:
                raise ConfigError(
                    f"{where}: remove[{index}].examples.remove: {rule_spec.id} does not remove {example.text!r}"
                )
            if rules.protects(_matching_form(example.text)):
                raise ConfigError(
                    f"{where}: remove[{index}].examples.remove: {example.text!r} is protected by a keep rule"
                )
        for example in rule_spec.examples.keep:
            if combined.classify(example.text, example.title) is not None:
                raise ConfigError(f"{where}: remove[{index}].examples.keep: {rule_spec.id} removes {example.text!r}")


@functools.lru_cache(maxsize=64)
def _combined(global_rules: BoilerplateRules, site_rules: SiteRules | None) -> BoilerplateRules:
    """The site's removal rules first (their ids are reported), then the global ones."""
    if site_rules is None or not site_rules.remove:
        return global_rules
    return BoilerplateRules([*site_rules.remove, *global_rules.rules], global_rules.version, list(global_rules.specs))


def second_pass(
    global_rules: BoilerplateRules, site_rules: SiteRules | None, paragraphs: Sequence[str], title: str | None
) -> tuple[SecondPassResult, str]:
    """The second pass with a site's own rules; returns the result and the record's ``rules_version``
    (the global rules' hash, plus ``+site:<hash>`` of the site's rules)."""
    if site_rules is None:
        return global_rules.apply(paragraphs, title), global_rules.version
    protect = site_rules.protects if site_rules.keep else None
    result = _combined(global_rules, site_rules).apply(paragraphs, title, protect)
    return result, f"{global_rules.version}+site:{site_rules.version}"
