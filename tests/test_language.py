"""Language detection: deterministic, bounded, and the fast backend identical to the reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaners.language import detect_language, html_lang, primary_code

TEXTS = {
    "en": "The council approved the budget on Tuesday after a long debate about taxes and schools.",
    "de": "Der Stadtrat hat am Dienstag nach einer langen Debatte über Steuern und Schulen den Haushalt beschlossen.",
    "fr": "Le conseil municipal a adopté mardi le budget après un long débat sur les impôts et les écoles.",
    "es": "El ayuntamiento aprobó el martes el presupuesto tras un largo debate sobre impuestos y escuelas.",
}
GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(("code", "text"), sorted(TEXTS.items()))
def test_detects_the_four_languages(code: str, text: str) -> None:
    language, score = detect_language([text], None, sample_chars=2000, min_chars=20, seed=0)
    assert language == code
    assert score is not None and score > 0.8


def test_same_text_same_answer() -> None:
    mixed = [TEXTS["en"][:40] + " " + TEXTS["de"][:40]]
    answers = {detect_language(mixed, None, sample_chars=2000, min_chars=20, seed=0) for _ in range(5)}
    assert len(answers) == 1


def test_short_text_uses_html_lang() -> None:
    assert detect_language(["Kurz."], "de-CH", sample_chars=2000, min_chars=80, seed=0) == ("de", None)
    assert detect_language(["Kurz."], None, sample_chars=2000, min_chars=80, seed=0) == (None, None)


def test_html_lang_and_primary_code() -> None:
    assert html_lang(b'<!doctype html><html class="x" lang="pt-BR"><head>') == "pt-BR"
    assert html_lang(b"<html><head>") is None
    assert primary_code("en_US") == "en"
    assert primary_code("zh-CN") == "zh-cn"


def _corpus() -> list[list[str]]:
    texts = [[t] for t in TEXTS.values()]
    for expected in sorted(GOLDEN.rglob("*.expected.json")):
        texts.append(json.loads(expected.read_text(encoding="utf-8"))["paragraphs"])
    return texts


def test_fast_backend_identical_to_reference() -> None:
    pytest.importorskip("langdetect_rs", reason="langdetect-rs is not installed on this platform")
    for paragraphs in _corpus():
        for sample in (300, 2000):
            kwargs = {"sample_chars": sample, "min_chars": 20, "seed": 0}
            reference = detect_language(paragraphs, None, backend="langdetect", **kwargs)
            fast = detect_language(paragraphs, None, backend="langdetect-rs", **kwargs)
            assert fast == reference, paragraphs[0][:80]
