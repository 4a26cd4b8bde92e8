"""presswash.yaml for the crawler: every section but ``cleaning:`` (which cleaners.options reads), and where
the state lives.

The sections: ``state:`` (location, retention), ``dedup:`` (cleaners.dedup.DedupSettings), ``archive:``
(the raw WARC copy), ``scheduler:``, ``scale:`` (Redis, PostgreSQL), ``site_template:`` (learned site
boilerplate, cleaners.site_template.TemplateSettings), ``health:`` (drift thresholds,
crawler.health.HealthSettings). Errors name the file and key
(``config/presswash.yaml: dedup.near_duplicate_threshold: ...``), with line:column for YAML syntax.
No Scrapy here: the CLI, the scheduler and `presswash seed` read the same objects without loading it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cleaners.config import ConfigError, load_yaml, validate
from cleaners.dedup import DedupSettings
from cleaners.options import CleaningOptions, CleaningSettings, find_config, options_from_settings
from cleaners.site_template import TemplateSettings
from crawler.health import HealthSettings
from crawler.sinks.archive import DEFAULT_GZIP_LEVEL
from crawler.sinks.postgres import POSTGRES_DSN_ENV
from crawler.sites import Sites, load_sites, resolve_config_path

T = TypeVar("T")

DEFAULT_STATE_FILE = "state.sqlite3"


#: Environment variable the scheduler sets for its crawl subprocesses (wins over the config file).
STATE_ENV = "PRESSWASH_STATE_PATH"


class StateSettings(BaseModel):
    """The ``state:`` section of config/presswash.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(
        default=DEFAULT_STATE_FILE,
        description="SQLite file, relative to the output directory (or absolute), or redis://host:port/db",
    )
    jobs_dir: str | None = Field(
        default="jobs", description="Scrapy JOBDIR root (one per site), relative to the output directory"
    )
    fetch_retention_days: float | None = Field(
        default=90,
        gt=0,
        description="forget fetch records older than this (the URL is fetched again if still listed, then "
        "recognised by the article index); null keeps them forever",
    )
    article_retention_days: float | None = Field(
        default=365,
        gt=0,
        description="forget written articles (their URL keys and content hashes) recorded longer ago than "
        "this and whose URL was not fetched since; null keeps them forever",
    )
    wal_size_limit_mb: float = Field(
        default=64, ge=0, description="the WAL file is truncated to at most this after each checkpoint"
    )
    maintenance_seconds: float = Field(
        default=30, gt=0, description="retention pruning at a crawl's start stops after this; the rest next time"
    )


class ArchiveSettings(BaseModel):
    """The ``archive:`` section: raw WARC copies of every fetched article page (crawler.sinks.archive)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    dir: str = Field(default="raw", description="relative to the output directory (or absolute)")
    retention_days: int | None = Field(default=90, ge=1, description="delete older day files; null keeps all")
    gzip_level: int = Field(
        default=DEFAULT_GZIP_LEVEL,
        ge=1,
        le=9,
        description="zlib level of each record: 1 is a quarter of 9's time, files ~20% larger",
    )


class SchedulerSettings(BaseModel):
    """The ``scheduler:`` section (crawler.scheduler)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str | None = Field(default=None, description="time zone of the cron expressions; null: local")
    max_parallel_runs: int = Field(default=2, ge=1, le=32, description="sites crawled at the same time")
    misfire_grace_seconds: int = Field(default=600, ge=1, description="a tick this late still runs")
    run_missed_on_start: bool = Field(default=True, description="run once at start if a tick was missed")
    stop_timeout_seconds: float = Field(
        default=300, gt=0, description="on stop, how long a crawl may take to close before being forced"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (want an IANA name such as Europe/Paris)") from None
        return value


class RecurringSettings(BaseModel):
    """The sections of config/presswash.yaml that recurring crawls read (``cleaning:`` is ignored here)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    state: StateSettings = Field(default_factory=StateSettings)
    dedup: DedupSettings = Field(default_factory=DedupSettings)
    archive: ArchiveSettings = Field(default_factory=ArchiveSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)


def load_recurring_settings(config_path: str | os.PathLike[str] | None = None) -> RecurringSettings:
    """The recurring-crawl sections of presswash.yaml (the project's own by default): a view of
    :func:`load_config`, which reads the file once. Errors name the file and key
    (``config/presswash.yaml: dedup.near_duplicate_threshold: ...``)."""
    return load_config(config_path).file


def resolve_under(output_dir: str | os.PathLike[str], location: str) -> Path:
    """A configured path: absolute as given, relative ones under the output directory."""
    path = Path(location).expanduser()
    return path if path.is_absolute() else Path(output_dir) / path


#: Locations of a state on Redis (crawler.state.redis_store); anything else is a SQLite file path.
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def is_redis_location(location: str | os.PathLike[str]) -> bool:
    return str(location).startswith(REDIS_SCHEMES)


def state_location(
    output_dir: str | os.PathLike[str],
    settings: StateSettings | None = None,
    *,
    redis_url: str | None = None,
    redis_prefix: str | None = None,
) -> str:
    """Where the state lives: ``$PRESSWASH_STATE_PATH``, else a ``redis://`` ``state.path``, else, for a
    shared crawl (``redis_url``: scale.redis_url), that Redis under the deployment's key prefix, else
    ``state.path`` under the output directory. A shared crawl must share its state too: with a local
    file each process would deduplicate only against itself."""
    env = os.environ.get(STATE_ENV)
    if env:
        return env
    location = (settings or StateSettings()).path
    if "://" in location:
        return location
    if redis_url:
        return shared_state_location(redis_url, redis_prefix or "presswash")
    return str(resolve_under(output_dir, location))


def shared_state_location(redis_url: str, prefix: str) -> str:
    """The state location of a shared crawl: its Redis, keys under its prefix (crawler.state.redis_store)."""
    separator = "&" if "?" in redis_url else "?"
    return f"{redis_url}{separator}prefix={prefix}"


#: Every Redis key of a deployment starts with it (``scale.redis_prefix``, ``?prefix=`` of a state location).
DEFAULT_PREFIX = "presswash"


def check_prefix(prefix: str) -> str:
    """A prefix is part of every key and of scrapy-redis's %-formatted key templates: keep it plain."""
    if not prefix or any(c in prefix for c in "%{}* \t\n") or prefix.endswith(":"):
        raise ConfigError(f"redis prefix {prefix!r}: use letters, digits, '_', '-', '.' or ':' inside")
    return prefix


# --- scale: ---------------------------------------------------------------------------------------

REDIS_URL_ENV = "PRESSWASH_REDIS_URL"


REDIS_PREFIX_ENV = "PRESSWASH_REDIS_PREFIX"


class ScaleSettings(BaseModel):
    """The ``scale:`` section of config/presswash.yaml. Environment variables win over the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    redis_url: str | None = Field(default=None, description="redis://host:port/db: shared crawl and state")
    redis_prefix: str = Field(default=DEFAULT_PREFIX, description="prefix of every Redis key of this deployment")
    postgres_dsn: str | None = Field(default=None, description="PostgreSQL DSN: also load articles there")
    postgres_schema: str | None = Field(default=None, description="schema of the articles table")

    @property
    def state_location(self) -> str | None:
        """The state store location for crawler.state.open_state_store (None: keep the local one)."""
        if not self.redis_url:
            return None
        return shared_state_location(self.redis_url, self.redis_prefix)


def load_scale_settings(
    config_path: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None
) -> ScaleSettings:
    """``scale:`` of presswash.yaml (the project's own by default; read once, by :func:`load_config`), then
    $PRESSWASH_REDIS_URL, $PRESSWASH_REDIS_PREFIX and $PRESSWASH_POSTGRES_DSN over it. Errors name the
    file and key."""
    env = os.environ if environ is None else environ
    config = load_config(config_path)
    scale = config.file.scale
    changes = {
        key: env[name]
        for key, name in (
            ("redis_url", REDIS_URL_ENV),
            ("redis_prefix", REDIS_PREFIX_ENV),
            ("postgres_dsn", POSTGRES_DSN_ENV),
        )
        if env.get(name)
    }
    scale = scale.model_copy(update=changes) if changes else scale
    if scale.redis_url and not is_redis_location(scale.redis_url):
        raise ConfigError(f"{config.path}: scale.redis_url: {scale.redis_url!r} is not a redis:// URL")
    check_prefix(scale.redis_prefix)
    return scale


def crawl_overrides(scale: ScaleSettings) -> dict[str, Any]:
    """The Scrapy settings `presswash crawl` adds for a scaled-out deployment (nothing when not)."""
    out: dict[str, Any] = {}
    if scale.redis_url:
        out["PRESSWASH_REDIS_URL"] = scale.redis_url
        out["PRESSWASH_REDIS_PREFIX"] = scale.redis_prefix
    if scale.postgres_dsn:
        out["PRESSWASH_POSTGRES_DSN"] = scale.postgres_dsn
        if scale.postgres_schema:
            out["PRESSWASH_POSTGRES_SCHEMA"] = scale.postgres_schema
    return out


# --- the whole file, read once ------------------------------------------------------------------------


class PresswashFile(RecurringSettings):
    """The whole of presswash.yaml: every section validated, unknown keys refused (``cleaning:`` by the
    core's own model, cleaners.options.CleaningSettings)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cleaning: CleaningSettings = Field(default_factory=CleaningSettings)
    scale: ScaleSettings = Field(default_factory=ScaleSettings)
    # Learned site boilerplate (`presswash clean --learn-template`, crawler.pipelines.site_template) and
    # the per-site health thresholds (crawler.extensions.health, `presswash health`).
    site_template: TemplateSettings = Field(default_factory=TemplateSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)


@dataclass(frozen=True)
class Config:
    """presswash.yaml, read and validated once: every section (``file``), and the CleaningOptions built
    from ``cleaning:`` when first asked for (it compiles the boilerplate rules, which `presswash runs` or
    the scheduler never need). Environment overrides are applied where they are read
    (:func:`load_scale_settings`, :func:`state_location`), never stored here."""

    path: Path
    file: PresswashFile

    @functools.cached_property
    def options(self) -> CleaningOptions:
        return options_from_settings(self.file.cleaning, self.path)


class _ReadOnce:
    """Parsed files by (path, content digest, extra key): a file is parsed and validated once per process
    and content, however many components ask; the bytes are read at each call to see they did not change."""

    def __init__(self, size: int = 8) -> None:
        self._items: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()
        self._size = size

    def get(self, path: Path, build: Callable[[], T], extra: tuple[Any, ...] = ()) -> T:
        try:
            digest = hashlib.sha256(path.read_bytes()).digest()
        except OSError:
            return build()  # the builder reports the unreadable file, with its name
        key = (str(path.resolve()), digest, *extra)
        with self._lock:
            if key in self._items:
                return self._items[key]  # type: ignore[no-any-return]
        value = build()
        with self._lock:
            if len(self._items) >= self._size:
                self._items.pop(next(iter(self._items)))
            self._items[key] = value
        return value


_CONFIGS = _ReadOnce()
_SITES = _ReadOnce()


def load_config(config_path: str | os.PathLike[str] | None = None) -> Config:
    """The one loader of presswash.yaml (``config_path``, else cleaners.options.find_config's search order).

    Read and validated once per process and content: every later call with the same file (the CLI,
    the crawl's runner, each site's spider and pipelines) gets the same object. Errors name the file and
    key path; YAML errors give line:column.
    """
    path = find_config("presswash.yaml", config_path)

    def build() -> Config:
        data = load_yaml(path)
        if data is not None and not isinstance(data, dict):
            raise ConfigError(f"{path}: (top level): expected a mapping")
        file = validate(PresswashFile, data, path)
        return Config(path=path, file=file)

    return _CONFIGS.get(path, build)


def load_sites_config(config_path: str | os.PathLike[str] | None = None) -> Sites:
    """sites.yaml (crawler.sites.load_sites), read once per process, content and environment (its
    ``${VAR}`` references are expanded from it): the runner and every site's spider share one Sites."""
    path = resolve_config_path(config_path)
    return _SITES.get(path, lambda: load_sites(path), (tuple(sorted(os.environ.items())),))


class CrawlerLike(Protocol):
    """What :func:`config_for` reads of a Scrapy crawler."""

    @property
    def settings(self) -> Any: ...


def config_for(crawler: CrawlerLike) -> Config:
    """The configuration of a Scrapy component: the one from_crawler helper (``PRESSWASH_CONFIG`` names
    the file; None: the search order)."""
    return load_config(crawler.settings.get("PRESSWASH_CONFIG"))


# --- into Scrapy settings -----------------------------------------------------------------------------


class SettingsReader(Protocol):
    """What these functions read of Scrapy's settings (``get``), so this module needs no Scrapy."""

    def get(self, name: str, default: Any = None) -> Any: ...


def state_enabled(settings: Any) -> bool:
    """False for ``-s PRESSWASH_STATE=off`` (also ``false``, ``no``, ``0``): a one-off crawl that ignores
    the incremental state."""
    return str(settings.get("PRESSWASH_STATE", "on")).strip().lower() not in ("off", "false", "no", "0")


@dataclass(frozen=True, slots=True)
class SiteKeys:
    """Redis keys of one site's shared crawl (its frontier: crawler.scaleout)."""

    start_urls: str
    requests: str
    dupefilter: str
    workers: str

    @classmethod
    def of(cls, prefix: str, site: str) -> SiteKeys:
        base = f"{check_prefix(prefix)}:{site}"
        return cls(f"{base}:start_urls", f"{base}:requests", f"{base}:dupefilter", f"{base}:workers")

    def all(self) -> list[str]:
        return [self.start_urls, self.requests, self.dupefilter, self.workers]


def frontier_scrapy_settings(redis_url: str, prefix: str, site: str) -> dict[str, Any]:
    """Scrapy settings that put one site's crawl on scrapy-redis (the shared frontier: every site has its
    own queue and dupefilter). Part of :func:`recurring_scrapy_settings` when ``PRESSWASH_REDIS_URL`` is set.

    The key templates of scrapy-redis are %-formatted with the spider name ("news" for every site), so
    the keys are given in full here, with the site in them (a prefix never contains '%').
    """
    keys = SiteKeys.of(prefix, site)
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # the queue and fingerprints outlive each process: that is the point
        # JSON, never pickle: a write to Redis must not run code in the crawl (crawler.redis_serializer).
        "SCHEDULER_QUEUE_CLASS": "crawler.redis_serializer.SafePriorityQueue",
        "SCHEDULER_SERIALIZER": "crawler.redis_serializer",
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "REDIS_START_URLS_KEY": keys.start_urls,
        "REDIS_START_URLS_AS_ZSET": True,
        "REDIS_URL": redis_url,
        "PRESSWASH_REDIS_URL": redis_url,
        "PRESSWASH_REDIS_PREFIX": prefix,
        # Scrapy's own on-disk queue (JOBDIR) is replaced by the Redis queue; a JOBDIR would only keep
        # the spider's in-memory state, which Redis now holds.
        "JOBDIR": None,
        # The site lock stays: with a Redis state it lives under the output directory (runlog.lock_dir_for)
        # and only keeps two processes out of one output directory, whose day files, WARC archive (repaired
        # at start) and replay belong to one writer. Processes with their own output directories, on one
        # machine or many, crawl the site together.
    }


def recurring_scrapy_settings(settings: SettingsReader, site: str) -> dict[str, Any]:
    """The recurring-crawl settings of one site's crawler, from presswash.yaml (``PRESSWASH_CONFIG``):
    state, dedup, archive, JOBDIR and, for a shared crawl (``PRESSWASH_REDIS_URL``), the frontier.

    Raises ConfigError (file and key named) for a broken presswash.yaml. Values already set on the
    command line are left to win by the caller (it sets these at "spider" priority).
    """
    recurring = load_config(settings.get("PRESSWASH_CONFIG")).file
    output = Path(settings.get("PRESSWASH_OUTPUT_DIR") or "output")
    jobs_dir = recurring.state.jobs_dir
    archive = recurring.archive
    redis_url = settings.get("PRESSWASH_REDIS_URL")
    frontier = (
        frontier_scrapy_settings(redis_url, settings.get("PRESSWASH_REDIS_PREFIX") or DEFAULT_PREFIX, site)
        if redis_url
        else {}
    )
    return {
        # A shared crawl (PRESSWASH_REDIS_URL) keeps its state in the same Redis unless told otherwise.
        "PRESSWASH_STATE_PATH": settings.get("PRESSWASH_STATE_PATH")
        or state_location(
            output,
            recurring.state,
            redis_url=settings.get("PRESSWASH_REDIS_URL"),
            redis_prefix=settings.get("PRESSWASH_REDIS_PREFIX"),
        ),
        "PRESSWASH_DEDUP": recurring.dedup.model_dump(),
        "PRESSWASH_STATE_SETTINGS": recurring.state.model_dump(),  # retention and WAL limit
        "PRESSWASH_ARCHIVE_DIR": str(resolve_under(output, archive.dir)) if archive.enabled else None,
        "PRESSWASH_ARCHIVE_RETENTION_DAYS": archive.retention_days,
        "PRESSWASH_ARCHIVE_GZIP_LEVEL": archive.gzip_level,
        "JOBDIR": str(resolve_under(output, jobs_dir) / site) if jobs_dir else None,
        **frontier,  # a shared crawl: this site's queue and fingerprints in Redis, no JOBDIR
    }


def dedup_settings(settings: SettingsReader) -> DedupSettings:
    """``PRESSWASH_DEDUP`` (a dict, as :func:`recurring_scrapy_settings` puts it) as DedupSettings."""
    value = settings.get("PRESSWASH_DEDUP")
    if isinstance(value, DedupSettings):
        return value
    return DedupSettings.model_validate(dict(value)) if value else DedupSettings()
