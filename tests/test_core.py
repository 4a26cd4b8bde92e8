"""The cleaning core on single documents: bad inputs, dates, language, schema, determinism."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cleaners.article import SCHEMA_PATH, Article, Rejected, RejectReason, article_json_schema
from cleaners.core import clean, parse_text_dump
from cleaners.document import RawDocument
from cleaners.options import CleaningOptions, load_options
from cleaners.text import article_word_count, normalize

PARAGRAPH = (
    "The city council approved the new budget on Tuesday after a debate that lasted more than six "
    "hours, with the opposition warning that the plan relies on optimistic forecasts for tax revenue."
)


@pytest.fixture(scope="module")
def options() -> CleaningOptions:
    return load_options()


def html_page(body: str, *, lang: str = "en", head: str = "", charset: str = "utf-8") -> str:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="{charset}"><title>Budget approved</title>'
        f"{head}</head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>Budget approved</h1>{body}</article><footer>© Example</footer></body></html>"
    )


def test_schema_file_matches_model() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == article_json_schema(), (
        "cleaners/schema/article.schema.json is stale: run `python -m cleaners.article`"
    )


def test_records_validate_against_committed_schema(options: CleaningOptions) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    result = clean(RawDocument(html_page(f"<p>{PARAGRAPH}</p>" * 3).encode(), url="https://ex.com/a"), options)
    assert isinstance(result, Article)
    record = json.loads(result.to_json_line())
    assert set(schema["required"]) <= set(record)
    assert set(record) <= set(schema["properties"])
    assert record["schema_version"] == "1.2.0"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", RejectReason.EMPTY),
        (b"   \n\t \n", RejectReason.EMPTY),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, RejectReason.NOT_TEXT),
        (b"<html><body><div></div></body></html>", RejectReason.NO_CONTENT),
        (b"<html><body><p>Too short.</p></body></html>", RejectReason.TOO_SHORT),
        (b"Title only\n\nFive words are not enough.", RejectReason.TOO_SHORT),
    ],
)
def test_bad_inputs_are_typed_rejections(options: CleaningOptions, content: bytes, reason: str) -> None:
    result = clean(RawDocument(content, source_path="bad.input"), options)
    assert isinstance(result, Rejected)
    assert result.reason == reason
    assert result.source == "bad.input"


def test_huge_page_is_rejected_not_parsed(options: CleaningOptions) -> None:
    content = html_page("<p>" + "filler words here " * 1_200_000 + "</p>").encode()
    assert len(content) > 20_000_000
    result = clean(RawDocument(content, source_path="huge.html"), options)
    assert isinstance(result, Rejected) and result.reason == RejectReason.TOO_LARGE


def test_non_html_content_type_is_rejected(options: CleaningOptions) -> None:
    raw = RawDocument(b"%PDF-1.4 ...", url="https://ex.com/r.pdf", content_type="application/pdf")
    result = clean(raw, options)
    assert isinstance(result, Rejected) and result.reason == RejectReason.NOT_TEXT


def test_undecodable_bytes_never_crash(options: CleaningOptions) -> None:
    body = f"<p>{PARAGRAPH} \xff\xfe\xfa broken bytes.</p>".encode("latin-1", errors="replace") * 3
    content = b"<html lang='en'><head><meta charset='utf-8'></head><body><article>" + body + b"</article>"
    result = clean(RawDocument(content + b"\xc3\x28\xa0\xa1", source_path="broken.html"), options)
    assert isinstance(result, Article)
    assert "city council" in result.text


def test_wrong_charset_header_uses_meta_charset(options: CleaningOptions) -> None:
    text = f"<p>{PARAGRAPH} Café, naïve, “quoted” — señor.</p>" * 3
    content = html_page(text, charset="windows-1252").encode("cp1252")
    raw = RawDocument(content, url="https://ex.com/x", content_type="text/html; charset=utf-8")
    result = clean(raw, options)
    assert isinstance(result, Article)
    assert "Café, naïve, “quoted” — señor." in result.text
    assert "\ufffd" not in result.text


def test_latin1_text_dump_is_detected(options: CleaningOptions) -> None:
    text = "Titre\n\n" + ("Le café crème est très apprécié à Genève, où la société française ouvre. " * 4)
    result = clean(RawDocument(text.encode("cp1252"), source_path="fr.txt"), options)
    assert isinstance(result, Article)
    assert "café crème est très apprécié à Genève" in result.text
    assert result.language == "fr"


def test_mojibake_is_repaired(options: CleaningOptions) -> None:
    text = "Title\n\n" + PARAGRAPH + " The café’s owner said so.".encode().decode("cp1252")
    result = clean(RawDocument(text.encode(), source_path="m.txt"), options)
    assert isinstance(result, Article)
    assert "The café’s owner said so." in result.text


def test_mojibake_in_the_page_markup_is_repaired_before_extraction(options: CleaningOptions) -> None:
    """A page whose text was decoded as Latin-1 once and saved as UTF-8 ("Investor\u00e2\x80\x99s"): extraction
    drops the C1 characters, so the repair must come first; scripts are left alone."""
    garbled = "’".encode().decode("latin-1")  # "\u00e2\x80\x99"
    body = f"<p>{PARAGRAPH} The owner{garbled}s view.</p>" * 3
    page = html_page(body + f"<script>var s = 'caf{'é'.encode().decode('latin-1')}';</script>")
    page = page.replace("Budget approved", f"The Investor{garbled}s Guide")
    result = clean(RawDocument(page.encode(), url="https://ex.com/guide"), options)
    assert isinstance(result, Article)
    assert result.title == "The Investor’s Guide"
    assert "The owner’s view." in result.text and garbled not in result.text


def test_repair_mojibake_leaves_clean_pages_and_code_alone() -> None:
    from cleaners.decode import repair_mojibake

    clean_page = "<html><body><p>SÃO PAULO, Français, café, naïve, Ελληνικά, русский</p></body></html>"
    assert repair_mojibake(clean_page) is clean_page
    garbled = "é".encode().decode("latin-1")
    page = f"<html><head><script>var s='{garbled}';</script></head><body><p>caf{garbled}</p></body></html>"
    assert (
        repair_mojibake(page)
        == f"<html><head><script>var s='{garbled}';</script></head><body><p>café</p></body></html>"
    )


def test_publication_date_after_fetch_is_dropped(options: CleaningOptions) -> None:
    head = '<meta property="article:published_time" content="2031-05-01T10:00:00Z">'
    page = html_page(f"<p>{PARAGRAPH}</p>" * 3, head=head).encode()
    fetched = datetime(2026, 1, 10, tzinfo=UTC)
    result = clean(RawDocument(page, url="https://ex.com/future", fetched_at=fetched), options)
    assert isinstance(result, Article)
    assert result.published is None or result.published <= "2026-01-10"


def test_publication_date_before_fetch_is_kept(options: CleaningOptions) -> None:
    head = '<meta property="article:published_time" content="2025-12-24T10:00:00Z">'
    page = html_page(f"<p>{PARAGRAPH}</p>" * 3, head=head).encode()
    fetched = datetime(2026, 1, 10, tzinfo=UTC)
    result = clean(RawDocument(page, url="https://ex.com/past", fetched_at=fetched), options)
    assert isinstance(result, Article)
    assert result.published == "2025-12-24"
    assert result.fetched_at == "2026-01-10T00:00:00Z"


def test_short_text_falls_back_to_html_lang(options: CleaningOptions) -> None:
    short = options.replace(min_words=3, language_min_chars=500)
    page = html_page("<p>Der Rat hat den Haushalt am Dienstag nach langer Debatte beschlossen.</p>", lang="de-AT")
    result = clean(RawDocument(page.encode(), url="https://ex.com/de"), short)
    assert isinstance(result, Article)
    assert (result.language, result.language_score, result.html_lang) == ("de", None, "de-AT")


def test_languages_filter_rejects_other_languages(options: CleaningOptions) -> None:
    only_german = options.replace(languages=("de",))
    result = clean(RawDocument(html_page(f"<p>{PARAGRAPH}</p>" * 3).encode(), url="https://ex.com/en"), only_german)
    assert isinstance(result, Rejected) and result.reason == RejectReason.WRONG_LANGUAGE


def test_same_input_same_record(options: CleaningOptions) -> None:
    raw = RawDocument(html_page(f"<p>{PARAGRAPH}</p>" * 4).encode(), url="https://ex.com/a?utm_source=x#top")
    first, second = clean(raw, options), clean(raw, options)
    assert isinstance(first, Article) and isinstance(second, Article)
    assert first.to_json_line() == second.to_json_line()
    same_url = clean(RawDocument(raw.content, url="https://EX.com/a/"), options)
    assert isinstance(same_url, Article) and same_url.id == first.id


def test_html_fields(options: CleaningOptions) -> None:
    head = (
        '<meta name="author" content="Jane Roe"><meta name="description" content="Council vote">'
        '<meta property="og:site_name" content="Example Times">'
        '<meta property="article:published_time" content="2025-03-02">'
    )
    body = f"<p>{PARAGRAPH}</p><ul><li>First item of the list</li><li>Second item of the list</li></ul>"
    body += f"<p>{PARAGRAPH.replace('Tuesday', 'Monday')}</p>"
    result = clean(RawDocument(html_page(body, head=head).encode(), url="https://ex.com/b"), options)
    assert isinstance(result, Article)
    assert result.title == "Budget approved"
    assert result.authors == ["Jane Roe"]
    assert result.site == "Example Times"
    assert result.published == "2025-03-02"
    assert result.language == "en" and result.language_score and result.language_score > 0.9
    assert any("First item of the list" in p for p in result.paragraphs)
    assert result.text == "\n\n".join(result.paragraphs)
    assert result.word_count > 50


def test_comments_are_excluded(options: CleaningOptions) -> None:
    comments = (
        '<div id="comments" class="comments"><h3>2 Comments</h3><div class="comment">'
        "<p>Reader Bob says: this budget is a disgrace and the council should resign at once.</p></div></div>"
    )
    page = html_page(f"<p>{PARAGRAPH}</p>" * 3 + comments)
    result = clean(RawDocument(page.encode(), url="https://ex.com/c"), options)
    assert isinstance(result, Article)
    assert "disgrace" not in result.text


def test_parse_text_dump_keeps_lines_within_blocks() -> None:
    title, paragraphs = parse_text_dump("\ufeff\r\nMy title\r\n\r\nline one\r\nline two\r\n\r\n\r\nlast")
    assert title == "My title"
    assert paragraphs == ["line one\nline two", "last"]


def test_cleaning_clean_text_again_changes_nothing(options: CleaningOptions) -> None:
    content = (Path(__file__).parent / "golden" / "seeds" / "000_a7766f877a26fd0f.txt").read_bytes()  # vendored
    first = clean(RawDocument(content, source_path="a.txt"), options)
    assert isinstance(first, Article)
    again = clean(RawDocument(f"{first.title}\n\n{first.text}".encode(), source_path="a.txt"), options)
    assert isinstance(again, Article)
    assert again.paragraphs == first.paragraphs
    assert again.removed == []


# --- text normalization (rules, hashes and dedup match on it) -----------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("It\u2019s \u201cfine\u201d \u2014 really", 'it\'s "fine" - really'),
        ("\u00abBonjour\u00bb\u00a0\u2013\u00a0Paris", '"bonjour" - paris'),
        ("co\u00adop\u200beration\ufeff", "cooperation"),
        ("  Stra\u00dfe \n\t STRASSE  ", "strasse strasse"),
        ("\uff21\uff22\uff23 \u2460", "abc 1"),  # NFKC: full-width letters, circled digit
        ("plain ascii text", "plain ascii text"),
    ],
)
def test_normalize_folds_typography_case_and_whitespace(raw: str, normalized: str) -> None:
    assert normalize(raw) == normalized


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("The council voted, 12-3, on Tuesday.", 7),
        ("北京市政府今天宣布", 9),  # Chinese: no spaces, one word per character
        ("日本語の文章です。", 8),  # Japanese: kanji and kana
        ("Kindle for PC に対応", 6),
        ("서울시는 오늘 발표했다", 3),  # Korean is written with spaces: words as usual
    ],
)
def test_article_words_count_each_han_or_kana_character(text: str, words: int) -> None:
    assert article_word_count(text) == words


def test_a_chinese_article_is_not_too_short(options: CleaningOptions) -> None:
    """Counted in \\w runs, these 200 characters would be a dozen words, under min_words."""
    sentences = [
        "北京市政府今天宣布，将在明年投入更多资金用于公共交通建设，以缓解城市拥堵问题。",
        "这是一个测试句子，用来检查语言检测是否正确，以及文章的字数是否按照每个汉字计算。",
        "新的地铁线路预计将在三年内完工，届时每天可以运送大约五十万名乘客往返市中心。",
        "市民对这一计划普遍表示欢迎，但也有人担心施工期间会给周边居民带来不便和噪音。",
        "有关部门表示，他们会在开工之前举行听证会，广泛听取各方面的意见和建议。",
    ]
    body = "".join(f"<p>{sentence}</p>" for sentence in sentences)
    html = f"<html lang='zh'><head><title>北京公交</title></head><body><article>{body}</article></body></html>"
    result = clean(RawDocument(content=html.encode(), source_path="zh.html"), options.replace(min_words=25))
    assert isinstance(result, Article), result
    assert result.word_count >= 150 and result.language.startswith("zh")


def test_min_article_score_in_presswash_yaml_decides_the_page_type(tmp_path: Path) -> None:
    """cleaning.min_article_score: the config key reaches the page-type judgement of every record (and a
    value outside 0..1 is refused, naming the key)."""
    from cleaners.config import ConfigError

    config = Path(__file__).resolve().parent.parent / "config" / "presswash.yaml"
    html = (
        "<html><head><title>Council backs plan</title></head><body><article><h1>Council backs plan</h1>"
        + "".join(
            f"<p>The city council voted on Tuesday to approve item {n} of the plan, which officials said would "
            "cost less than expected and be finished by the spring, after a long debate.</p>"
            for n in range(6)
        )
        + "</article></body></html>"
    ).encode()
    document = RawDocument(
        content=html, url="https://news.example.com/2024/05/07/council-backs-plan", source_path="a.html"
    )
    default = clean(document, load_options(config))
    assert isinstance(default, Article) and default.article_score is not None

    def with_score(value: str) -> Path:
        text = config.read_text(encoding="utf-8").replace("min_article_score: null", f"min_article_score: {value}")
        path = tmp_path / value / "presswash.yaml"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        for name in ("boilerplate.yaml", "integrity.yaml"):
            (path.parent / name).write_text((config.parent / name).read_text(encoding="utf-8"), encoding="utf-8")
        return path

    strict = clean(document, load_options(with_score("1.0")))
    lenient = clean(document, load_options(with_score("0.0")))
    assert isinstance(strict, Article) and isinstance(lenient, Article)
    assert strict.article_score == lenient.article_score == default.article_score
    assert lenient.page_type == "article"
    assert strict.page_type != "article" or default.article_score == 1.0
    with pytest.raises(ConfigError, match="min_article_score"):
        load_options(with_score("1.5"))
