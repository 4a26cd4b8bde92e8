"""Small things a new user trips over in the `presswash` command, each checked as they would meet it."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cleaners import __version__
from cleaners.config import ConfigError
from crawler.cli import build_parser, count_documents
from crawler.sites import split_config_args

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "tests" / "golden" / "html" / "en_ghost.html"


def presswash(*args: str, stdin: bytes | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_version() -> None:
    done = presswash("--version")
    assert done.returncode == 0 and done.stdout.decode().strip() == f"presswash {__version__}"


@pytest.mark.parametrize("command", ["clean", "crawl", "schedule", "runs", "seed", "load"])
def test_verbose_before_or_after_the_subcommand(command: str) -> None:
    parser = build_parser()
    extra = {"clean": ["x.html"], "load": ["x.jsonl"], "seed": []}.get(command, [])
    assert parser.parse_args(["-v", command, *extra]).verbose is True
    assert parser.parse_args([command, "-v", *extra]).verbose is True
    assert parser.parse_args([command, *extra]).verbose is False


def test_gzip_on_stdin_is_cleaned() -> None:
    done = presswash("clean", "-", "-q", "--workers", "1", stdin=gzip.compress(PAGE.read_bytes()))
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["title"] == "The Quiet Return of the Night Train" and record["source_path"] == "<stdin>"


def test_truncated_gzip_on_stdin_is_a_read_error_never_part_of_a_page() -> None:
    """The same rule as a cut .gz file: the stream is read by one capped reader that refuses a cut."""
    data = gzip.compress(PAGE.read_bytes())
    done = presswash("clean", "-", "-q", "--workers", "1", stdin=data[: len(data) * 6 // 10])
    assert done.returncode == 1 and not done.stdout
    assert "read_error: corrupt or truncated gzip" in done.stderr.decode()


def test_each_rejection_is_named_on_stderr_and_a_binary_file_exits_0(tmp_path: Path) -> None:
    (tmp_path / "blob.html").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "short.txt").write_text("Title\n\nToo short to be an article.\n")
    (tmp_path / "bad.html.gz").write_bytes(b"\x1f\x8b not really gzip")
    done = presswash("clean", str(tmp_path / "blob.html"), str(tmp_path / "short.txt"), "-q", "--workers", "1")
    err = done.stderr.decode()
    assert done.returncode == 0, err  # rejections are normal input, as README says
    assert f"presswash: rejected: {tmp_path / 'blob.html'}: not_text: binary content" in err
    assert f"presswash: rejected: {tmp_path / 'short.txt'}: too_short: " in err
    failed = presswash("clean", str(tmp_path / "bad.html.gz"), "-q", "--workers", "1")
    assert failed.returncode == 1  # an unreadable input is a failure
    assert (
        f"presswash: failed: {tmp_path / 'bad.html.gz'}: read_error: corrupt or truncated gzip"
        in failed.stderr.decode()
    )


def test_the_progress_bar_knows_how_many_documents(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("a.html", "b.txt", "sub/c.html.gz", "ignored.json"):
        (tmp_path / name).write_bytes(b"x")
    assert count_documents([str(tmp_path)]) == 3
    assert count_documents([str(tmp_path / "*.html"), "-", "https://example.org/a"]) == 3
    assert count_documents([str(tmp_path / "missing.html")]) == 1  # it will be counted as a failure
    (tmp_path / "crawl.warc.gz").write_bytes(b"x")
    assert count_documents([str(tmp_path)]) is None  # a WARC's records are unknown until read


def test_nothing_to_clean_is_a_usage_error() -> None:
    done = presswash("clean")
    assert done.returncode == 2 and b"nothing to clean" in done.stderr


def test_runs_takes_config_like_every_command(tmp_path: Path) -> None:
    config = tmp_path / "presswash.yaml"
    config.write_text("state:\n  path: elsewhere.sqlite3\n")
    done = presswash("runs", "--config", str(config), "--output", str(tmp_path))
    assert done.returncode == 1 and f"{tmp_path / 'elsewhere.sqlite3'} does not exist" in done.stderr.decode()


def test_config_names_presswash_yaml_and_an_old_sites_file_there_still_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites: []\n")
    settings = tmp_path / "presswash.yaml"
    settings.write_text("cleaning:\n  min_words: 10\n")
    assert split_config_args(str(settings), str(sites)) == (str(sites), str(settings))
    assert capsys.readouterr().err == ""
    assert split_config_args(str(sites), None) == (str(sites), None)  # as earlier versions meant it
    assert f"use --sites {sites}" in capsys.readouterr().err
    assert split_config_args(None, None, str(settings)) == (None, str(settings))  # the old --clean-config
    with pytest.raises(ConfigError, match="use --sites only"):
        split_config_args(str(sites), str(sites))


def test_the_progress_bar_shows_the_total(tmp_path: Path) -> None:
    import contextlib
    import io

    from cleaners.batch import clean_inputs

    folder = ROOT / "tests" / "golden" / "html"
    total = len(list(folder.glob("*.html")))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), (tmp_path / "out.jsonl").open("w") as out:
        clean_inputs([str(folder)], output=out, workers=1, progress=True, total=total)
    # done, with a total (so an ETA on the way)
    assert f"{total}/{total} [" in err.getvalue() and "100%" in err.getvalue()
