"""Language identification with langdetect, made deterministic and bounded in cost.

langdetect draws random samples: with ``DetectorFactory.seed`` fixed, the same text always gets the
same answer. Its cost grows with text length while its answer settles after a few hundred characters,
so it reads a bounded sample. Short texts fall back to the page's own ``<html lang>``.

Backends: ``langdetect`` is the reference; ``langdetect-rs`` is a Rust port that reproduces its random
walk bit for bit (same seed, same probabilities) about 30 times faster. ``auto`` takes the port when it
is installed; tests/test_language.py checks that both give identical answers on our texts.
"""

from __future__ import annotations

import re
import threading

from langdetect import DetectorFactory, detector_factory
from langdetect.lang_detect_exception import LangDetectException

_lock = threading.Lock()
_HTML_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)", re.I)


def html_lang(content: bytes) -> str | None:
    """The ``<html lang>`` attribute as declared, read from the raw bytes (cheap, before parsing)."""
    match = _HTML_LANG.search(content[:20_000])
    return match.group(1).decode("ascii") if match else None


def primary_code(tag: str | None) -> str | None:
    """'en-US' -> 'en'; langdetect's 'zh-cn' stays as is."""
    if not tag:
        return None
    tag = tag.replace("_", "-").lower()
    return tag if tag.startswith("zh-") else tag.split("-")[0]


def _sample(paragraphs: list[str], limit: int) -> str:
    """Whole paragraphs from the start up to ``limit`` characters, from the middle too for long texts."""
    chunks: list[str] = []
    size = 0
    for paragraph in paragraphs:
        if size >= limit:
            break
        chunks.append(paragraph[: limit - size])
        size += len(chunks[-1]) + 1
    return "\n".join(chunks)


_factories: dict[tuple[str, int], tuple[DetectorFactory, type[Exception]]] = {}


def resolve_backend(name: str) -> str:
    """``auto`` -> ``langdetect-rs`` when importable, else the reference ``langdetect``."""
    if name != "auto":
        return name
    try:
        import langdetect_rs  # noqa: F401
    except ImportError:
        return "langdetect"
    return "langdetect-rs"


def _factory(seed: int, backend: str = "auto") -> tuple[DetectorFactory, type[Exception]]:
    """The backend's profiles, loaded once per process; the seed makes detection deterministic."""
    backend = resolve_backend(backend)
    with _lock:
        key = (backend, seed)
        if key not in _factories:
            if backend == "langdetect-rs":
                from langdetect_rs import LangDetectException as error
                from langdetect_rs import detector_factory as module
            elif backend == "langdetect":
                module, error = detector_factory, LangDetectException
            else:
                raise ValueError(f"unknown language backend {backend!r}")
            module.init_factory()
            factory = module._factory
            assert factory is not None
            factory.seed = seed
            _factories[key] = (factory, error)
        return _factories[key]  # type: ignore[return-value]


def detect_language(
    paragraphs: list[str],
    declared: str | None,
    *,
    sample_chars: int,
    min_chars: int,
    seed: int,
    backend: str = "auto",
) -> tuple[str | None, float | None]:
    """(code, probability); (html lang, None) when the text is too short to tell or langdetect fails."""
    sample = _sample(paragraphs, sample_chars)
    fallback = (primary_code(declared), None)
    if len(sample) < min_chars:
        return fallback
    factory, error = _factory(seed, backend)
    detector = factory.create()
    detector.append(sample)
    try:
        best = detector.get_probabilities()[0]
    except (error, IndexError):
        return fallback
    return best.lang, round(best.prob, 4)


def warm_up(seed: int = 0, backend: str = "auto") -> None:
    """Load the profiles now rather than on the first document (keeps timings honest)."""
    _factory(seed, backend)
