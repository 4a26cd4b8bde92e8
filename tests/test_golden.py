"""Golden cases (tests/golden/): the cleaning core on whole documents, compared with expected files.

What is checked is what a reader of the output cares about: the title, every content paragraph verbatim
and in order, no clutter line left, every clutter line reported (so each cut can be audited), and that
cleaning the cleaned output again changes nothing. Cases where trafilatura itself loses a paragraph are
listed in tests/golden/README.md and run as strict xfail.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cleaners.article import Article
from cleaners.core import clean
from cleaners.document import RawDocument
from cleaners.options import CleaningOptions, load_options

GOLDEN_DIR = Path(__file__).parent / "golden"


def _load_regenerate() -> ModuleType:
    """The golden helpers live beside the cases (regenerate.py), so there is one definition of a case."""
    spec = importlib.util.spec_from_file_location("golden_regenerate", GOLDEN_DIR / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


golden = _load_regenerate()
CASES: list[Path] = [p for p in golden.golden_inputs(GOLDEN_DIR) if golden.expected_path(p).exists()]
KNOWN_FAILURES: dict[str, str] = golden.known_failures(GOLDEN_DIR)


def _params(strict_known_failures: bool) -> list[Any]:
    params = []
    for source in CASES:
        name = golden.case_name(source, GOLDEN_DIR)
        marks = []
        if strict_known_failures and name in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(strict=True, reason=f"known failure: {KNOWN_FAILURES[name]}"))
        params.append(pytest.param(source, id=name, marks=marks))
    return params


@pytest.fixture(scope="module")
def options() -> CleaningOptions:
    return load_options()


def _clean(content: bytes, name: str, options: CleaningOptions) -> Article:
    result = clean(RawDocument(content, source_path=name), options)
    assert isinstance(result, Article), f"{name}: rejected: {result}"
    return result


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.split("\n") if line.strip()}


def test_enough_cases() -> None:
    folders = {source.parent.name for source in CASES}
    assert folders == {"seeds", "dumps", "html", "negative"}
    own = [s for s in CASES if s.parent.name in ("dumps", "html")]
    assert len(own) >= 16
    assert set(KNOWN_FAILURES) <= {golden.case_name(s, GOLDEN_DIR) for s in CASES}, "stale known_failures"


def test_every_input_has_an_expected_file() -> None:
    missing = [p.name for p in golden.golden_inputs(GOLDEN_DIR) if not golden.expected_path(p).exists()]
    assert not missing, f"run tests/golden/regenerate.py and review: {missing}"


@pytest.mark.parametrize("source", _params(strict_known_failures=True))
def test_golden_case(source: Path, options: CleaningOptions) -> None:
    expected: dict[str, Any] = json.loads(golden.expected_path(source).read_text(encoding="utf-8"))
    article = _clean(source.read_bytes(), source.name, options)

    assert article.title == expected["title"]
    assert article.paragraphs == expected["paragraphs"]
    assert article.text == expected["text"]
    # Integrity flags (cleaners/flags.py): a case without the key must carry none (no false alarms).
    assert article.flags == expected.get("flags", []), article.flag_evidence

    left = _lines(article.text)
    reported = {removal.text.strip() for removal in article.removed}
    for line in expected["removed_clutter"]:
        assert line.strip() not in left, f"clutter left in the text: {line!r}"
        assert line.strip() in reported, f"clutter gone but not reported in `removed`: {line!r}"
    if source.parent.name == "negative":
        assert expected["removed_clutter"] == []
        assert article.removed == [], f"a negative case lost lines: {[r.text for r in article.removed]}"


@pytest.mark.parametrize("source", _params(strict_known_failures=False))
def test_cleaning_the_output_again_changes_nothing(source: Path, options: CleaningOptions) -> None:
    first = _clean(source.read_bytes(), source.name, options)
    dump = f"{first.title}\n\n{first.text}\n".encode()
    again = _clean(dump, source.stem + ".txt", options)
    assert again.title == first.title
    assert again.paragraphs == first.paragraphs
    assert again.removed == [], f"second pass removed {[r.text for r in again.removed]}"
