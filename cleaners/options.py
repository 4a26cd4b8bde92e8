"""Cleaning options: built once from ``config/presswash.yaml``, frozen, passed down to every stage.

Like trafilatura's ``Extractor``, one object carries every setting, so a worker process builds it once
and no stage reads configuration on its own.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from trafilatura.settings import Extractor

from cleaners.boilerplate import BoilerplateRules
from cleaners.config import load_yaml, validate
from cleaners.flags import load_markers
from cleaners.site_rules import SiteRules

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The default rules and settings shipped in the wheel (pyproject.toml maps config/ to presswash/defaults/).
PACKAGED_CONFIG_DIR = PROJECT_ROOT / "presswash" / "defaults"
#: Where the built-in defaults are: the packaged copy when installed from a wheel, else the checkout's config/.
DEFAULT_CONFIG_DIR = (
    PACKAGED_CONFIG_DIR if (PACKAGED_CONFIG_DIR / "presswash.yaml").is_file() else PROJECT_ROOT / "config"
)
DEFAULT_CONFIG = DEFAULT_CONFIG_DIR / "presswash.yaml"
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
#: Environment variables naming a config file, consulted when no path is given on the command line.
CONFIG_ENV = {"presswash.yaml": "PRESSWASH_CONFIG", "sites.yaml": "PRESSWASH_SITES_CONFIG"}


def find_config(name: str, explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file ``name`` (``presswash.yaml``, ``sites.yaml``) by the documented search order:

    1. the path given (``--config``, ``--sites``, ``-a config=``, a ``config_path`` argument);
    2. ``$PRESSWASH_CONFIG`` / ``$PRESSWASH_SITES_CONFIG``;
    3. ``config/<name>`` in the current directory (a user's own project, or this checkout);
    4. the built-in defaults (:data:`DEFAULT_CONFIG_DIR`: the checkout's or the installed package's).

    Searched at each call, not at import, so a process that changes directory or environment sees it.
    A relative ``boilerplate:`` inside presswash.yaml is then taken beside the file found.
    """
    if explicit:
        return Path(explicit)
    env = CONFIG_ENV.get(name)
    if env and os.environ.get(env):
        return Path(os.environ[env])
    local = Path("config") / name
    if local.is_file():
        return local
    return DEFAULT_CONFIG_DIR / name


class CleaningSettings(BaseModel):
    """The ``cleaning:`` section of config/presswash.yaml."""

    model_config = ConfigDict(extra="forbid")
    boilerplate: str = "boilerplate.yaml"
    # Integrity markers (cleaners/flags.py); a config directory without the file uses the built-in one.
    integrity: str = "integrity.yaml"
    min_words: int = Field(default=25, ge=0)
    languages: list[str] = Field(default_factory=list)
    extraction: Literal["compare", "precision", "balanced"] = Field(
        default="compare",
        description="compare: trafilatura's precision and balanced passes and readability, the candidate "
        "with the story kept (cleaners/extract.py); precision or balanced: that trafilatura pass alone",
    )
    articles_only: bool = Field(
        default=False,
        description="reject pages that are not articles (listings, products, ...) as not_article; "
        "presswash clean --articles-only sets it, a crawl sets it per site (sites.yaml articles_only)",
    )
    min_article_score: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="the article_score from which a page is an article (page_type); null: the shipped "
        "model's threshold, which keeps 99% of the development articles",
    )
    include_tables: bool = True
    max_bytes: int = Field(default=16_000_000, ge=1024)
    max_elements: int = Field(
        default=100_000,
        ge=0,
        description="HTML with more elements is rejected too_complex unparsed (0: no limit); bounds memory",
    )
    max_seconds: float = Field(
        default=20.0, ge=0, description="cleaning one document longer than this: too_complex (0: no limit)"
    )
    language_sample_chars: int = Field(default=2000, ge=100)
    language_min_chars: int = Field(default=80, ge=0)
    language_seed: int = 0
    language_backend: Literal["auto", "langdetect", "langdetect-rs"] = "auto"
    fix_mojibake: bool = True
    metadata: Literal["full", "structured"] = Field(
        default="full",
        description="full: trafilatura's metadata step; structured: without its searches of the page body "
        "for a byline and for category/tag links (~1.3x faster cleaning, fewer authors)",
    )

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: list[str]) -> list[str]:
        """ISO 639 codes, as sites.yaml requires: 'english' would be accepted and then reject every article."""
        codes = [code.strip().lower() for code in value]
        for code in codes:
            if not _LANGUAGE_CODE.fullmatch(code):
                raise ValueError(f"{code!r} is not an ISO 639-1 language code such as 'en'")
        return codes


class CleaningFile(BaseModel):
    """presswash.yaml as the cleaning core reads it: its ``cleaning:`` section. The other sections belong
    to the crawler, which validates the whole file (crawler.config); the core does not know them."""

    model_config = ConfigDict(extra="ignore")
    cleaning: CleaningSettings = Field(default_factory=CleaningSettings)


@dataclass(frozen=True)
class CleaningOptions:
    """Everything the core needs, immutable. ``extractor`` is trafilatura's options object, built once."""

    rules: BoilerplateRules
    min_words: int = 25
    languages: frozenset[str] = frozenset()
    extraction: str = "compare"
    articles_only: bool = False
    min_article_score: float | None = None
    include_tables: bool = True
    max_bytes: int = 16_000_000
    max_elements: int = 100_000
    max_seconds: float = 20.0
    language_sample_chars: int = 2000
    language_min_chars: int = 80
    language_seed: int = 0
    language_backend: str = "auto"
    fix_mojibake: bool = True
    metadata: str = "full"
    config_path: str | None = None
    integrity_path: str = str(DEFAULT_CONFIG_DIR / "integrity.yaml")
    # A site's own rules (cleaners/site_rules.py), set per site through the overrides a crawl passes.
    site_rules: SiteRules | None = None
    extractor: Extractor = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        extractor = Extractor(
            output_format="python",  # bare_extraction fills Document.text only in "python" format
            precision=self.extraction != "balanced",
            comments=False,
            tables=self.include_tables,
            dedup=False,  # our own dedup stage decides; trafilatura's cache would depend on input order
            with_metadata=True,
            # kept in the output tree so cleaners/extract.py can measure each block's link density (lists
            # of related stories); it strips them before making the text
            links=True,
        )
        object.__setattr__(self, "extractor", extractor)

    def extractor_for(self, url: str | None, fetched_at: datetime | None) -> Extractor:
        """A shallow copy carrying this document's URL and latest possible date.

        trafilatura ignores ``url=`` when ``options=`` is given, so the URL must live in the Extractor;
        ``max_date`` makes a date after the fetch impossible at the source.
        """
        extractor = copy.copy(self.extractor)
        extractor.url = url
        extractor.source = url
        max_date = (fetched_at or datetime.now().astimezone()).strftime("%Y-%m-%d")
        extractor.date_params = {"original_date": True, "extensive_search": True, "max_date": max_date}
        return extractor

    def replace(self, **changes: object) -> CleaningOptions:
        """A copy with some settings changed (e.g. a site's own min_words or languages)."""
        values = {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name != "extractor" and self.__dataclass_fields__[name].init
        }
        values.update(changes)
        if "languages" in changes:
            values["languages"] = frozenset(changes["languages"] or ())  # type: ignore[arg-type]
        return CleaningOptions(**values)  # type: ignore[arg-type]


def _file_version(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None  # BoilerplateRules.load reports the unreadable file
    return (stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load_rules(path: Path, version: tuple[int, int] | None) -> BoilerplateRules:
    """Compiled rules, once per process and file version: compiling them is most of a start (~0.5 s), and
    a crawl's process asks twice (checking the config, opening the clean pipeline). Immutable, so shared;
    an edited file (new mtime or size) is compiled again."""
    return BoilerplateRules.load(path)


def load_options(config_path: str | Path | None = None) -> CleaningOptions:
    """Build the options from a presswash.yaml (``config_path``, else by :func:`find_config`'s search order)."""
    path = find_config("presswash.yaml", config_path)
    return options_from_settings(validate(CleaningFile, load_yaml(path), path).cleaning, path)


def options_from_settings(settings: CleaningSettings, path: Path) -> CleaningOptions:
    """The options of a validated ``cleaning:`` section of the presswash.yaml at ``path`` (a relative
    ``boilerplate:`` is taken beside it). The crawler's configuration builds its options here too."""
    rules_path = (path.parent / settings.boilerplate).resolve()
    integrity_path = (path.parent / settings.integrity).resolve()
    if not integrity_path.is_file() and "integrity" not in settings.model_fields_set:
        integrity_path = DEFAULT_CONFIG_DIR / "integrity.yaml"  # a config dir from before the flags
    load_markers(str(integrity_path))  # a broken markers file stops the start, naming file and key
    return CleaningOptions(
        rules=_load_rules(rules_path, _file_version(rules_path)),
        min_words=settings.min_words,
        languages=frozenset(code.lower() for code in settings.languages),
        extraction=settings.extraction,
        articles_only=settings.articles_only,
        min_article_score=settings.min_article_score,
        include_tables=settings.include_tables,
        max_bytes=settings.max_bytes,
        max_elements=settings.max_elements,
        max_seconds=settings.max_seconds,
        language_sample_chars=settings.language_sample_chars,
        language_min_chars=settings.language_min_chars,
        language_seed=settings.language_seed,
        language_backend=settings.language_backend,
        fix_mojibake=settings.fix_mojibake,
        metadata=settings.metadata,
        config_path=str(path.resolve()),
        integrity_path=str(integrity_path),
    )
