"""Load-time refusal of regular expressions that can backtrack exponentially (user patterns never hang).

Python's ``re`` backtracks: ``(a+)+$`` on 30 ``a`` and a ``!`` takes minutes, and a boilerplate rule or an
``article_url`` pattern like it would pin a cleaning worker or the crawl's reactor. A linear-time engine
(RE2) would be safe but changes what ``\\w`` and ``\\b`` mean for non-ASCII text, and a timeout cannot
interrupt ``re``'s C loop. So patterns are checked when the configuration loads, and one that can
backtrack exponentially is refused with its name and the offending part.

The check is the classic one for exponential backtracking: a repetition (``*``, ``+``, ``{n,}``) nested
inside another repetition that can run more than once, where the inner loop's next character could
also be the character that comes after it within the outer loop (``(x+x+)+``, ``(a|\\w+)*``, ``(\\w+\\s?)+``).
Then one string splits between the two loops in exponentially many ways. The idioms the project's rules
use are safe and pass: the inner loop is followed by something it cannot match (``(?:\\w+ ){0,3}``,
``(#[a-z]+=\\([^)]*\\)\\s*)+``), or by ``\\b`` after word characters (``(?:\\d+\\b|[ ,])+``).

Polynomial backtracking (``\\w+\\w+`` at the top level) is left alone: boilerplate lines are a few dozen
words and URLs a few hundred characters, and the per-document time budget bounds the rest.
"""

from __future__ import annotations

import functools
import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

# The characters every set is evaluated over: Latin, Greek, Cyrillic, punctuation and CJK samples, plus
# every literal of the pattern being checked (added per pattern).
_BASE_UNIVERSE = "".join(
    chr(c)
    for c in (
        *range(0, 0x590),
        *range(0x2000, 0x2070),
        *range(0x20A0, 0x20C0),
        *range(0x2190, 0x21A0),
        *range(0x25A0, 0x25D0),
        *range(0x3000, 0x3040),
        *range(0x4E00, 0x4E20),
        *range(0xFF00, 0xFF20),
    )
)
_BASE_CHARS = frozenset(_BASE_UNIVERSE)


@functools.lru_cache(maxsize=16)
def _base_category(regex: str) -> frozenset[str]:
    return frozenset(re.findall(regex, _BASE_UNIVERSE))


@functools.lru_cache(maxsize=1)
def _base_sets() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Every character, the word characters and the others, of the base universe: a pattern whose literals
    are all in it (nearly every pattern) checks against these, shared, instead of its own copies."""
    word = _base_category(r"\w")
    return _BASE_CHARS, word, _BASE_CHARS - word


_CATEGORY_REGEX = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
    sre.CATEGORY_LINEBREAK: r"\n",
    sre.CATEGORY_NOT_LINEBREAK: r"[^\n]",
}
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT))
_ZERO_WIDTH = (sre.ASSERT, sre.ASSERT_NOT)
# The nodes ``_Checker.visit`` looks into (those that can hold a repetition); it skips every other node.
_NESTED = frozenset((sre.SUBPATTERN, sre.BRANCH, *_ZERO_WIDTH, *_REPEATS))


def casefolded(pattern: str) -> bool:
    """Whether a pattern's letters are casefolded, as the text the rules and markers match is (escapes
    such as \\S or \\W are not letters): one with capitals could never match."""
    literal = re.sub(r"\\.", "", pattern)
    return literal == literal.casefold()


class UnsafePattern(ValueError):
    """A pattern that can backtrack exponentially; the message says which part."""


class _Checker:
    def __init__(self, pattern: str, parsed: Any = None) -> None:
        self.pattern = pattern
        parsed = sre_parse.parse(pattern) if parsed is None else parsed
        extra = {chr(c) for c in _literal_codes(parsed)} - _BASE_CHARS
        self.universe = _BASE_UNIVERSE + "".join(sorted(extra))
        self._extra = "".join(sorted(extra))
        self._categories: dict[Any, frozenset[str]] = {}
        if extra:
            self.all = _BASE_CHARS | extra
            self.word = self._category(sre.CATEGORY_WORD)
            self.nonword = self.all - self.word
        else:  # the usual case: the base universe's sets, built once per process rather than per pattern
            self.all, self.word, self.nonword = _base_sets()

    def _category(self, code: Any) -> frozenset[str]:
        """The universe's characters of a category: the base universe's (computed once per process) and
        this pattern's own literals'."""
        found = self._categories.get(code)
        if found is None:
            regex = _CATEGORY_REGEX.get(code, r"[\s\S]")
            found = _base_category(regex)
            if self._extra:
                found = found | frozenset(re.findall(regex, self._extra))
            self._categories[code] = found
        return found

    def atom(self, op: Any, av: Any) -> frozenset[str] | None:
        """Characters one atom can consume, or None when the node is not a single-character atom."""
        if op is sre.LITERAL:
            return frozenset(chr(av))
        if op is sre.NOT_LITERAL:
            return self.all - {chr(av)}
        if op is sre.ANY:
            return self.all - {"\n"}
        if op is sre.IN:
            chars: set[str] = set()
            negate = False
            for item_op, item_av in av:
                if item_op is sre.NEGATE:
                    negate = True
                elif item_op is sre.LITERAL:
                    chars.add(chr(item_av))
                elif item_op is sre.RANGE:
                    low, high = item_av
                    if high - low < len(self.universe):  # the range's own characters that are in the universe
                        chars.update(self.all.intersection(map(chr, range(low, high + 1))))
                    else:
                        chars.update(c for c in self.universe if low <= ord(c) <= high)
                elif item_op is sre.CATEGORY:
                    chars.update(self._category(item_av))
                else:  # unknown member: assume anything
                    chars.update(self.all)
            return self.all - chars if negate else frozenset(chars)
        return None

    def first(
        self, nodes: list[Any], word_before: bool = False, restrict: frozenset[str] | None = None
    ) -> tuple[frozenset[str], bool, bool, frozenset[str] | None]:
        """Characters that can start ``nodes``, whether ``nodes`` can match the empty string, and the
        state to carry on to what follows (``word_before``, ``restrict``).

        ``word_before``: the character before is a word character, so a ``\\b`` here lets only non-word
        characters follow (``restrict``)."""
        found: set[str] = set()
        for op, av in nodes:
            chars = self.atom(op, av)
            if chars is not None:
                found.update(chars if restrict is None else chars & restrict)
                return frozenset(found), False, word_before, restrict
            if op is sre.AT:
                if av is sre.AT_BOUNDARY and word_before:
                    restrict = self.nonword
                continue
            if op in _ZERO_WIDTH:
                continue
            if op is sre.SUBPATTERN:
                chars, nullable, _, _ = self.first(list(av[-1]), word_before, restrict)
            elif op is sre.BRANCH:
                chars, nullable = frozenset(), False
                for alternative in av[1]:
                    alt_chars, alt_nullable, _, _ = self.first(list(alternative), word_before, restrict)
                    chars |= alt_chars
                    nullable = nullable or alt_nullable
            elif op in _REPEATS:
                low, _high, body = av
                chars, nullable, _, _ = self.first(list(body), word_before, restrict)
                nullable = nullable or low == 0
            else:  # back-references, conditionals: anything may come
                chars, nullable = self.all, True
            found.update(chars if restrict is None else chars & restrict)
            if not nullable:
                return frozenset(found), False, word_before, restrict
            # Skipped or not, an optional part of word characters leaves a word character before.
            word_before = word_before and bool(chars) and chars <= self.word
        return frozenset(found), True, word_before, restrict

    def follow(self, chains: list[list[list[Any]]], word_before: bool) -> frozenset[str]:
        """Characters that can come next, along each chain of node lists (stops at a non-empty match)."""
        out: set[str] = set()
        for chain in chains:
            state_word, restrict = word_before, None
            for nodes in chain:
                chars, nullable, state_word, restrict = self.first(nodes, state_word, restrict)
                out.update(chars)
                if not nullable:
                    break
        return frozenset(out)

    def scan(self, nodes: list[Any], chains: list[list[list[Any]]], in_loop: bool) -> None:
        for index, (op, av) in enumerate(nodes):
            if op not in _NESTED:
                continue  # an atom or an anchor holds no repetition: ``visit`` has nothing to check there
            rest = list(nodes[index + 1 :])
            self.visit(op, av, [[rest, *chain] for chain in chains], in_loop)

    def visit(self, op: Any, av: Any, chains: list[list[list[Any]]], in_loop: bool) -> None:
        if op is sre.SUBPATTERN:
            self.scan(list(av[-1]), chains, in_loop)
        elif op is sre.BRANCH:
            for alternative in av[1]:
                self.scan(list(alternative), chains, in_loop)
        elif op in _ZERO_WIDTH:
            self.scan(list(av[1]), [[]], False)
        elif op in _REPEATS:
            _low, high, body = av
            body = list(body)
            loop_chars = self.first(body)[0]
            if in_loop and high == sre.MAXREPEAT:
                word_before = bool(loop_chars) and loop_chars <= self.word
                clash = loop_chars & self.follow(chains, word_before)
                if clash:
                    sample = "".join(sorted(clash)[:5])
                    raise UnsafePattern(
                        "nested repetition can backtrack exponentially (a repeated part inside another "
                        f"repetition, followed by characters it also matches, e.g. {sample!r}); make the "
                        "inner part unambiguous, e.g. '(?:\\w+ )+' instead of '(?:\\w+\\s?)+'"
                    )
            # Inside a loop that may run again, what follows the body is the body itself.
            repeats = high == sre.MAXREPEAT or high > 1
            self.scan(body, [[body]] if repeats else chains, in_loop or repeats)


def _literal_codes(nodes: Any) -> list[int]:
    codes: list[int] = []
    for op, av in nodes:
        if op in (sre.LITERAL, sre.NOT_LITERAL):
            codes.append(av)
        elif op is sre.IN:
            for item_op, item_av in av:
                if item_op is sre.LITERAL:
                    codes.append(item_av)
                elif item_op is sre.RANGE:
                    codes.extend(item_av)
        elif op is sre.SUBPATTERN:
            codes.extend(_literal_codes(av[-1]))
        elif op is sre.BRANCH:
            for alternative in av[1]:
                codes.extend(_literal_codes(alternative))
        elif op in _REPEATS:
            codes.extend(_literal_codes(av[2]))
        elif op in _ZERO_WIDTH:
            codes.extend(_literal_codes(av[1]))
    return codes


@functools.lru_cache(maxsize=1024)
def check_backtracking(pattern: str) -> None:
    """Raise UnsafePattern when ``pattern`` can backtrack exponentially; re.error when it is invalid."""
    parsed = sre_parse.parse(pattern)  # once: parsing is most of the check's time
    checker = _Checker(pattern, parsed)
    checker.scan(list(parsed), [[]], False)


def unsafe_reason(pattern: str) -> str | None:
    """Why ``pattern`` is refused, or None when it is safe (an invalid pattern is re.compile's business)."""
    try:
        check_backtracking(pattern)
    except UnsafePattern as exc:
        return str(exc)
    except re.error:
        return None
    return None
