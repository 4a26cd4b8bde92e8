"""Clutter benchmark: how much clutter the cleaning core removes and how much content it keeps.

    python bench/clutter.py [--golden DIR] [--seeds DIR]

Scores every golden case (``tests/golden/**/NAME.{txt,html}`` + ``NAME.expected.json``) and the client's
seed samples: the share of ``removed_clutter`` lines that are gone from the output, and the share of
expected paragraphs found verbatim in it. Both matter: removing clutter is worth nothing if a real
paragraph goes with it. Prints a markdown table per case and in total; exits 1 when a seed is below 100%
on either score (the seeds are the client's acceptance samples), 2 when a case cannot be scored.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from cleaners.article import Article
from cleaners.core import clean
from cleaners.document import RawDocument
from cleaners.options import CleaningOptions, load_options

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GOLDEN = ROOT / "tests" / "golden"
DEFAULT_SEEDS = ROOT.parent / "shared" / "samples" / "seeds"
INPUT_SUFFIXES = (".txt", ".html")


@dataclass(frozen=True, slots=True)
class Score:
    """One case's counts; shares are computed from counts so totals weigh every line equally."""

    name: str
    clutter_gone: int
    clutter_total: int
    content_kept: int
    content_total: int
    extra_removed: int

    @property
    def clutter_share(self) -> float:
        return self.clutter_gone / self.clutter_total if self.clutter_total else 1.0

    @property
    def content_share(self) -> float:
        return self.content_kept / self.content_total if self.content_total else 1.0


def cases(golden: Path, seeds: Path) -> list[tuple[str, Path]]:
    """(name, input) for every input with an expected file; the shared seeds first, golden copies skipped."""
    found: list[tuple[str, Path]] = []
    if seeds.is_dir():
        found += [(f"seed/{p.stem}", p) for p in sorted(seeds.iterdir()) if _is_case(p)]
    seed_names = {p.name for _, p in found}
    for path in sorted(golden.rglob("*")):
        if _is_case(path) and not (path.parent.name == "seeds" and path.name in seed_names):
            found.append((path.relative_to(golden).with_suffix("").as_posix(), path))
    return found


def _is_case(path: Path) -> bool:
    return path.is_file() and path.suffix in INPUT_SUFFIXES and _expected(path).exists()


def _expected(path: Path) -> Path:
    return path.with_name(path.stem + ".expected.json")


def score(name: str, source: Path, options: CleaningOptions) -> Score:
    expected = json.loads(_expected(source).read_text(encoding="utf-8"))
    result = clean(RawDocument(source.read_bytes(), source_path=source.name), options)
    if not isinstance(result, Article):
        raise ValueError(f"{name}: rejected ({result.reason.value}: {result.detail})")
    lines = {line.strip() for line in result.text.split("\n")}
    clutter = [line.strip() for line in expected["removed_clutter"]]
    wanted = {line for line in clutter}
    return Score(
        name=name,
        clutter_gone=sum(line not in lines for line in clutter),
        clutter_total=len(clutter),
        content_kept=sum(paragraph in result.paragraphs for paragraph in expected["paragraphs"]),
        content_total=len(expected["paragraphs"]),
        extra_removed=sum(removal.text.strip() not in wanted for removal in result.removed),
    )


def table(scores: list[Score]) -> str:
    rows = [
        "| case | clutter removed | content kept | other removals |",
        "| --- | ---: | ---: | ---: |",
    ]
    for s in scores:
        rows.append(
            f"| {s.name} | {s.clutter_gone}/{s.clutter_total} ({s.clutter_share:.0%}) "
            f"| {s.content_kept}/{s.content_total} ({s.content_share:.0%}) | {s.extra_removed} |"
        )
    total = Score(
        "**total**",
        sum(s.clutter_gone for s in scores),
        sum(s.clutter_total for s in scores),
        sum(s.content_kept for s in scores),
        sum(s.content_total for s in scores),
        sum(s.extra_removed for s in scores),
    )
    rows.append(
        f"| {total.name} | {total.clutter_gone}/{total.clutter_total} ({total.clutter_share:.1%}) "
        f"| {total.content_kept}/{total.content_total} ({total.content_share:.1%}) | {total.extra_removed} |"
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--golden", type=Path, default=DEFAULT_GOLDEN, help="golden cases folder")
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="client seed samples folder")
    args = parser.parse_args(argv)

    options = load_options()
    scores: list[Score] = []
    for name, source in cases(args.golden, args.seeds):
        try:
            scores.append(score(name, source, options))
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if not scores:
        print("error: no cases found", file=sys.stderr)
        return 2
    print(table(scores))
    print("\n'other removals': lines removed that the case does not list as clutter (e.g. a repeated title).")
    seeds = [s for s in scores if s.name.startswith(("seed/", "seeds/"))]
    failing = [s.name for s in seeds if s.clutter_share < 1 or s.content_share < 1]
    if failing:
        print(f"\nFAIL: seeds below 100%: {', '.join(failing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
