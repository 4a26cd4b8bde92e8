"""The commands in README.md and docs/ work as shown.

Every ``presswash`` command line in their code blocks is parsed: its sub-command must exist and take
every option it shows. The cheap ones (cleaning files that ship with the project, --version) are run,
from a directory that holds only what a fresh clone has, and must do what the text beside them says.
Every ``make`` target named exists.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def code_lines(markdown: Path) -> list[str]:
    """Lines of the fenced shell code blocks (sh, bash, console), continuation lines joined."""
    lines: list[str] = []
    inside = False
    for line in markdown.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("```"):
            inside = not inside and line.strip().strip("`").strip() in ("sh", "bash", "console")
            continue
        if inside:
            if lines and lines[-1].endswith("\\"):
                lines[-1] = lines[-1][:-1] + " " + line.strip()
            else:
                lines.append(line.strip())
    return lines


def commands(prefix: str) -> list[tuple[str, str]]:
    """(doc name, command line) for every code line that runs ``prefix``, comments and placeholders cut."""
    found = []
    for doc in DOCS:
        for line in code_lines(doc):
            line = re.sub(r"\s+#.*$", "", line)
            if line.startswith(prefix):
                found.append((doc.name, line))
    return found


@cache
def help_text(subcommand: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "crawler.cli", *([subcommand] if subcommand else []), "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_docs_show_commands() -> None:
    assert len(commands("presswash ")) >= 10


@pytest.mark.parametrize(("doc", "line"), commands("presswash "))
def test_every_presswash_option_shown_exists(doc: str, line: str) -> None:
    words = shlex.split(line.replace("[", " ").replace("]", " ").replace("...", " "))
    subcommand = next((w for w in words[1:] if not w.startswith("-")), "")
    if words[1] == "--version":
        subcommand = ""
    text = help_text(subcommand)
    for word in words[1:]:
        if word.startswith("-") and word != "-":
            option = word.split("=", 1)[0]
            assert re.search(rf"(^|[\s,\[]){re.escape(option)}\b", text), f"{doc}: `{line}`: {option} is not an option"


def test_every_make_target_named_exists() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, flags=re.M))
    named = {word for doc in DOCS for word in re.findall(r"`make ([\w-]+)", doc.read_text(encoding="utf-8"))}
    named |= {line.split()[1] for _, line in commands("make ")}
    assert named and named <= targets, named - targets


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A directory with what a fresh clone has beside the code: tests/ (its fixtures) and config/."""
    work = tmp_path / "clone"
    work.mkdir()
    for name in ("tests", "config"):
        (work / name).symlink_to(ROOT / name)
    return work


def run(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    words = shlex.split(line)
    assert words[0] == "presswash"
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *words[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(cwd)},
    )


def test_readme_first_clean_example_runs_as_shown(clone: Path) -> None:
    lines = code_lines(ROOT / "README.md")
    first = next(i for i, line in enumerate(lines) if line.startswith("presswash clean"))
    done = run(re.sub(r"\s+#.*$", "", lines[first]), clone)
    expected = lines[first + 1].lstrip("# ").split("(")[0].strip()  # the comment under it: the summary
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == expected
    out = clone / "output" / "seeds.jsonl"
    assert (
        len(out.read_text(encoding="utf-8").splitlines()) == 2
        and (clone / "output" / "seeds.jsonl.stats.json").is_file()
    )


@pytest.mark.parametrize(
    ("doc", "line"),
    [
        (doc, line)
        for doc, line in commands("presswash ")
        if line.split()[1] == "clean" and all(Path(ROOT, w).exists() for w in line.split()[2:3])
    ]
    + [("README.md", "presswash --version")],
)
def test_cheap_commands_run(doc: str, line: str, clone: Path) -> None:
    done = run(line, clone)
    assert done.returncode == 0, f"{doc}: `{line}`: {done.stderr}"
    if line.endswith("--version"):
        from cleaners import __version__

        assert done.stdout.strip() == f"presswash {__version__}"
