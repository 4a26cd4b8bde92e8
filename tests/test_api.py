"""The Python API (``import presswash``): what README.md and docs/api.md promise, run as they show it."""

from __future__ import annotations

import gzip
import importlib.metadata
import io
import pickle
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import presswash
from presswash import Article, Rejected, RejectReason, clean_file, clean_html, clean_text, clean_warc

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_HTML = sorted((ROOT / "tests" / "golden" / "html").glob("*.html"))
PAGE = ROOT / "tests" / "golden" / "html" / "en_ghost.html"


def python_blocks(markdown: Path, after_heading: str | None = None) -> list[str]:
    """The ```python blocks of a Markdown file (of one section when ``after_heading`` is given)."""
    text = markdown.read_text(encoding="utf-8")
    if after_heading is not None:
        start = text.index(after_heading)
        end = text.find("\n## ", start + len(after_heading))
        text = text[start : end if end != -1 else None]
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def run_script(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )


def test_readme_example_runs_as_shown(tmp_path: Path) -> None:
    blocks = python_blocks(ROOT / "README.md", "## Install and use from Python")
    assert len(blocks) == 1
    done = run_script(blocks[0], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "The Quiet Return of the Night Train en 119"
    assert done.stdout.splitlines()[1].startswith(("too_short ", "no_content "))


@pytest.mark.slow
def test_docs_concurrent_futures_example_runs_as_shown(tmp_path: Path) -> None:
    blocks = python_blocks(ROOT / "docs" / "api.md", "## Threads and processes")
    assert len(blocks) == 1
    done = run_script(blocks[0], tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [path.name for path in GOLDEN_HTML]
    expected = {path.name: clean_file(path) for path in GOLDEN_HTML}
    for line in lines:
        name, language, words = line.split()[:3]
        result = expected[name]
        assert isinstance(result, Article) and (language, int(words)) == (result.language, result.word_count)


def test_threads_give_the_records_a_single_thread_gives() -> None:
    sequential = [clean_file(path).to_json_line() for path in GOLDEN_HTML]  # type: ignore[union-attr]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = [result.to_json_line() for result in pool.map(clean_file, GOLDEN_HTML * 3)]  # type: ignore[union-attr]
    assert threaded == sequential * 3


def test_results_pickle_for_process_pools() -> None:
    article = clean_file(PAGE)
    rejected = clean_html(b"")
    assert isinstance(article, Article) and isinstance(rejected, Rejected)
    assert pickle.loads(pickle.dumps(article)) == article
    assert pickle.loads(pickle.dumps(rejected)) == rejected
    assert pickle.loads(pickle.dumps(presswash.default_options())).rules.version == article.rules_version


def test_str_and_bytes_give_the_same_article() -> None:
    url = "https://example.org/news/night-train.html"
    from_bytes = clean_html(PAGE.read_bytes(), url)
    from_str = clean_html(PAGE.read_text(encoding="utf-8"), url)
    assert isinstance(from_bytes, Article)
    assert from_str == from_bytes
    assert from_bytes.url == url and from_bytes.source_path is None


def test_text_passed_as_str_is_not_decoded_again_by_a_meta_charset() -> None:
    html = PAGE.read_text(encoding="utf-8").replace("<head>", '<head><meta charset="windows-1252">', 1)
    html = html.replace("Night Train", "Nachtzug über Zürich")
    result = clean_html(html)
    assert isinstance(result, Article) and "Nachtzug über Zürich" in (result.title or "")


def test_clean_file_reads_gzip_and_takes_a_url(tmp_path: Path) -> None:
    gz = tmp_path / "page.html.gz"
    gz.write_bytes(gzip.compress(PAGE.read_bytes()))
    plain = clean_file(PAGE)
    zipped = clean_file(gz, url="https://example.org/a.html")
    assert isinstance(plain, Article) and isinstance(zipped, Article)
    assert zipped.text == plain.text and zipped.url == "https://example.org/a.html" and zipped.id != plain.id


def test_bad_documents_come_back_as_rejections_not_exceptions(tmp_path: Path) -> None:
    missing = clean_file(tmp_path / "missing.html")
    assert isinstance(missing, Rejected) and missing.reason is RejectReason.READ_ERROR
    assert missing.source == str(tmp_path / "missing.html")
    binary = clean_html(bytes(range(256)) * 40)
    assert isinstance(binary, Rejected) and binary.reason is RejectReason.NOT_TEXT
    with pytest.raises(ValueError, match="clean_warc"):
        clean_file(tmp_path / "crawl.warc.gz")


def test_clean_text_takes_a_dump() -> None:
    paragraph = "The council approved the new budget for the harbour district after a long debate on Monday. " * 3
    result = clean_text(f"Budget approved\n\n{paragraph}\n\nPost a Comment")
    assert isinstance(result, Article)
    assert result.title == "Budget approved" and "Post a Comment" not in result.text


def test_clean_warc_yields_each_response(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for name in ("a", "b"):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                f"https://example.org/{name}.html",
                "response",
                payload=io.BytesIO(PAGE.read_bytes()),
                length=PAGE.stat().st_size,  # without it warcio spools to a temp file it never closes
                http_headers=headers,
                warc_headers_dict={"WARC-Date": "2026-11-20T10:00:00Z"},
            )
            writer.write_record(record)
    results = list(clean_warc(path))
    assert [r.url for r in results if isinstance(r, Article)] == [
        "https://example.org/a.html",
        "https://example.org/b.html",
    ]
    assert all(isinstance(r, Article) and r.fetched_at == "2026-11-20T10:00:00Z" for r in results)
    assert [type(r) for r in clean_warc(tmp_path / "missing.warc")] == [Rejected]


def test_default_options_follow_the_documented_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRESSWASH_CONFIG", raising=False)
    builtin = presswash.default_options()
    assert isinstance(clean_file(PAGE), Article)

    strict = tmp_path / "strict" / "presswash.yaml"
    strict.parent.mkdir()
    strict.write_text(f"cleaning:\n  boilerplate: {ROOT / 'config' / 'boilerplate.yaml'}\n  min_words: 5000\n")
    local = tmp_path / "project" / "config" / "presswash.yaml"
    local.parent.mkdir(parents=True)
    local.write_text(f"cleaning:\n  boilerplate: {ROOT / 'config' / 'boilerplate.yaml'}\n  languages: [de]\n")

    monkeypatch.chdir(tmp_path / "project")  # 2. config/presswash.yaml of the current directory
    assert presswash.find_config("presswash.yaml") == Path("config/presswash.yaml")
    result = clean_file(PAGE)
    assert isinstance(result, Rejected) and result.reason is RejectReason.WRONG_LANGUAGE

    monkeypatch.setenv("PRESSWASH_CONFIG", str(strict))  # 1. $PRESSWASH_CONFIG wins over it
    result = clean_file(PAGE)
    assert isinstance(result, Rejected) and result.reason is RejectReason.TOO_SHORT
    assert isinstance(clean_file(PAGE, options=builtin), Article)  # 0. options given win over everything

    monkeypatch.delenv("PRESSWASH_CONFIG")
    monkeypatch.chdir(tmp_path)  # 3. nothing found: the built-in defaults
    assert presswash.default_options().config_path == builtin.config_path


def test_a_broken_config_raises_config_error_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "presswash.yaml"
    bad.write_text("cleaning:\n  min_wrods: 3\n")
    monkeypatch.setenv("PRESSWASH_CONFIG", str(bad))
    with pytest.raises(presswash.ConfigError, match=r"presswash.yaml: cleaning.min_wrods: unknown key"):
        clean_html("<p>x</p>")


def test_the_api_is_typed_and_listed() -> None:
    assert (ROOT / "presswash" / "py.typed").is_file()
    assert {"clean_html", "clean_file", "clean_text", "clean_warc", "Article", "Rejected"} <= set(presswash.__all__)
    for name in presswash.__all__:
        assert hasattr(presswash, name), name
    assert presswash.__version__ == importlib.metadata.version("presswash")


def test_fetched_at_bounds_the_publication_date() -> None:
    page = (ROOT / "tests" / "golden" / "html" / "en_wordpress.html").read_bytes()  # published 2023-04-12
    before = clean_html(page, fetched_at=datetime(2000, 1, 1, tzinfo=UTC))
    after = clean_html(page, fetched_at=datetime(2030, 1, 1, tzinfo=UTC))
    assert isinstance(before, Article) and isinstance(after, Article)
    assert after.published == "2023-04-12" and before.published is None
    assert before.fetched_at == "2000-01-01T00:00:00Z"
