"""pip install outside the clone: the wheel carries the default rules and settings, and finds a user's own.

Built and installed for real, quickly: the wheel is built without build isolation from a copy of the
files pyproject.toml packages, and installed with ``--no-deps`` into a fresh virtual environment that
sees this environment's dependencies through a path file (not the editable install of this checkout).
Every command then runs from a directory outside the clone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from presswash import Article, clean_file

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "tests" / "golden" / "html" / "en_ghost.html"
#: What pyproject.toml and setup.py need to build the distribution.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "cleaners", "crawler", "presswash", "config")

pytestmark = pytest.mark.slow


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _venv(path: Path) -> Path:
    """A new venv whose own site-packages comes first, then this environment's packages (dependencies)."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(path)], cwd=path.parent)
    python = path / "bin" / "python"
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=path).stdout
    # A plain path line: the directory is added, its own .pth files (this checkout's editable finder) are not run.
    (Path(site.strip()) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESSWASH_") and k != "PYTHONPATH"}
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{"wheel": venv python with the built wheel installed, "source": venv python with `pip install DIR`}."""
    base = tmp_path_factory.mktemp("install")
    source = base / "presswash-src"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, source / name, ignore=ignore)
        else:
            shutil.copy2(src, source / name)
    dist = base / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(dist), str(source)], cwd=base)
    wheels = sorted(dist.glob("presswash-*.whl"))
    assert len(wheels) == 1
    pythons = {"wheel": _venv(base / "venv-wheel"), "source": _venv(base / "venv-source")}
    for kind, target in (("wheel", wheels[0]), ("source", source)):
        install = [*pip, "--python", str(pythons[kind]), "install", "--no-deps", "--no-build-isolation", "--no-index"]
        _run([*install, str(target)], cwd=base)
    return pythons


@pytest.mark.parametrize("kind", ["wheel", "source"])
def test_installed_presswash_cleans_with_the_packaged_defaults(
    installed: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    python = installed[kind]
    where = _run(
        [
            str(python),
            "-c",
            "import cleaners, presswash; print(cleaners.__file__); print(presswash.default_options().config_path)",
        ],
        cwd=tmp_path,
        env=_clean_env(),
    ).stdout.split()
    site = str(python.parent.parent)
    assert where[0].startswith(site), f"imported from {where[0]}, not from the installed package"
    assert where[1].startswith(site) and where[1].endswith("presswash/defaults/presswash.yaml")

    page = tmp_path / PAGE.name
    shutil.copy2(PAGE, page)
    done = _run(
        [str(python.parent / "presswash"), "clean", page.name, "-q", "--workers", "1"], cwd=tmp_path, env=_clean_env()
    )
    line = json.loads(done.stdout)
    expected = clean_file(page)
    assert isinstance(expected, Article)
    # The same record as in the checkout, rules version included; the path is the one given on the command line.
    assert line == expected.model_dump(mode="json") | {"source_path": page.name}
    assert "read 1, written 1, rejected 0, failed 0" in done.stderr


def test_installed_presswash_finds_a_users_own_config(installed: dict[str, Path], tmp_path: Path) -> None:
    python = installed["wheel"]
    presswash = str(python.parent / "presswash")
    shutil.copy2(PAGE, tmp_path / PAGE.name)
    (tmp_path / "config").mkdir()
    # A relative boilerplate: key is taken beside the file found; the user copies the rules they want.
    shutil.copy2(ROOT / "config" / "boilerplate.yaml", tmp_path / "config" / "boilerplate.yaml")
    (tmp_path / "config" / "presswash.yaml").write_text("cleaning:\n  languages: [de]\n")
    (tmp_path / "strict.yaml").write_text(
        f"cleaning:\n  boilerplate: {ROOT / 'config' / 'boilerplate.yaml'}\n  min_words: 5000\n"
    )

    def stats(*extra: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            [presswash, "clean", PAGE.name, "-q", "--workers", "1", *extra],
            cwd=tmp_path,
            env=env or _clean_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert "rejected 1 (wrong_language: 1)" in stats()  # ./config/presswash.yaml
    assert "rejected 1 (too_short: 1)" in stats("--config", "strict.yaml")  # --config wins
    assert "rejected 1 (too_short: 1)" in stats(env={**_clean_env(), "PRESSWASH_CONFIG": str(tmp_path / "strict.yaml")})
    (tmp_path / "config" / "presswash.yaml").unlink()
    assert "written 1" in stats()  # nothing of the user's: the packaged defaults
