"""Write the ``.expected.json`` of golden inputs that lack one, from what the cleaning core produces now.

    python tests/golden/regenerate.py              # only inputs without an expected file
    python tests/golden/regenerate.py --overwrite  # rewrite every expected file (review the diff!)
    python tests/golden/regenerate.py dumps/x.txt  # only these inputs

An expected file is a claim about what is *right*, not a snapshot: after generating one, read it, and when
the output is wrong fix the rules (config/boilerplate.yaml), not the file. Existing files are never
touched without ``--overwrite``; even with it, a bulk run leaves ``seeds/`` (the client's reference) and the
known failures of README.md (hand-written expectations) alone unless they are named.
The shape is the one of ``shared/samples/seeds/*.expected.json``: source_file, title, text, paragraphs,
removed_clutter (the lines that must be gone; generated from the removals), notes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from cleaners.article import Article
from cleaners.core import clean
from cleaners.document import RawDocument
from cleaners.options import CleaningOptions, load_options

GOLDEN_DIR = Path(__file__).resolve().parent
INPUT_SUFFIXES = (".txt", ".html")


def golden_inputs(root: Path = GOLDEN_DIR) -> list[Path]:
    """Every golden input (a .txt or .html with or without its expected file), in a stable order."""
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in INPUT_SUFFIXES)


def expected_path(source: Path) -> Path:
    return source.with_name(source.stem + ".expected.json")


def case_name(source: Path, root: Path = GOLDEN_DIR) -> str:
    """``folder/stem``, the name used in README.md and in test ids."""
    return source.relative_to(root).with_suffix("").as_posix()


def known_failures(root: Path = GOLDEN_DIR) -> dict[str, str]:
    """The ``## known_failures`` list of README.md (the one place it is kept): case name -> reason."""
    failures: dict[str, str] = {}
    in_section = False
    for line in (root / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            in_section = line.strip() == "## known_failures"
            continue
        found = re.match(r"^- `([^`]+)` [-—] (.+)$", line)
        if in_section and found:
            failures[found.group(1)] = found.group(2)
    return failures


def is_protected(source: Path) -> bool:
    """The client's seeds and hand-written known-failure expectations: not rewritten by a bulk run."""
    return source.parent.name == "seeds" or case_name(source) in known_failures()


def expectation(source: Path, options: CleaningOptions) -> dict[str, object]:
    """What the core makes of ``source`` now, in the golden shape. Raises if the core rejects it."""
    result = clean(RawDocument(source.read_bytes(), source_path=source.name), options)
    if not isinstance(result, Article):
        raise ValueError(f"{source}: rejected by the core ({result.reason.value}: {result.detail})")
    negative = source.parent.name == "negative"
    return {
        "source_file": source.name,
        "title": result.title,
        "text": result.text,
        "paragraphs": result.paragraphs,
        "removed_clutter": [removal.text for removal in result.removed],
        "flags": result.flags,
        "notes": (
            "negative case: every paragraph must survive, nothing is removed"
            if negative
            else "title appears once, as the title; every paragraph kept verbatim and in order; "
            "every clutter line gone from text"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", type=Path, help="inputs to (re)generate; default: all")
    parser.add_argument("--overwrite", action="store_true", help="rewrite expected files that exist")
    args = parser.parse_args(argv)

    named = [(p if p.is_absolute() else Path.cwd() / p).resolve() for p in args.inputs]
    sources = named or golden_inputs()
    options = load_options()
    status = 0
    for source in sources:
        target = expected_path(source)
        if target.exists() and not (args.overwrite and (named or not is_protected(source))):
            continue
        try:
            data = expectation(source, options)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        if source.parent.name == "negative" and data["removed_clutter"]:
            print(f"warning: {source.name}: negative case lost lines: {data['removed_clutter']}", file=sys.stderr)
            status = 1
        target.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {target.relative_to(GOLDEN_DIR) if target.is_relative_to(GOLDEN_DIR) else target}")
    return status


if __name__ == "__main__":
    sys.exit(main())
