"""Site configuration (config/sites.yaml): models, validation and loading.

A mistake in this file must stop the crawl before it starts, with a message that names the file and the
key (``config/sites.yaml: sites[2].feeds[0]: not a URL``), never disable a component silently. So the
models forbid unknown keys, URLs and regular expressions are checked here, and cross-field rules
(relative URLs need a ``base_url``, names are unique) are reported with their key path too.

String values may use ``${VAR}`` or ``${VAR:-default}``: the demo config takes the port of a local server
from ``PRESSWASH_DEMO_URL`` this way, and a deployment can keep its contact URL out of the file.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urljoin, urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from cleaners.config import ConfigError, load_yaml, validate
from cleaners.options import find_config
from cleaners.patterns import unsafe_reason
from cleaners.site_rules import SiteRules, compile_site_rules
from crawler.cron import validate_cron

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


# --- value checks ------------------------------------------------------------------------------------


def _check_url(value: str) -> str:
    """An absolute http(s) URL, or a path starting with '/' (resolved against the site's base_url)."""
    value = value.strip()
    if value.startswith("/") and not value.startswith("//"):
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise PydanticCustomError("url", "not a URL (want http(s)://host/... or a /path with base_url)")
    return value


def _check_pattern(value: str) -> str:
    """A regular expression that compiles and is not empty (an empty pattern would match every URL)."""
    if not value:
        raise PydanticCustomError("pattern", "empty pattern (it would match everything; write '.' if meant)")
    try:
        re.compile(value)
    except re.error as exc:
        raise PydanticCustomError("pattern", "not a valid regular expression: {error}", {"error": str(exc)}) from None
    unsafe = unsafe_reason(value)
    if unsafe:  # matched in the crawl's reactor: one catastrophic pattern would stall every site
        raise PydanticCustomError("pattern", "{detail}", {"detail": f"pattern {value!r} refused: {unsafe}"})
    return value


def _check_language(value: str) -> str:
    code = value.strip().lower()
    if not _LANGUAGE.match(code):
        raise PydanticCustomError("language", "not an ISO 639-1 language code such as 'en'")
    return code


def _check_domain(value: str) -> str:
    domain = value.strip().lower().lstrip(".")
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*(:\d+)?", domain):
        raise PydanticCustomError("domain", "not a domain name such as 'example.com'")
    return domain


Url = Annotated[str, AfterValidator(_check_url)]
Pattern = Annotated[str, AfterValidator(_check_pattern)]
Language = Annotated[str, AfterValidator(_check_language)]
Domain = Annotated[str, AfterValidator(_check_domain)]

# --- cron ---------------------------------------------------------------------------------------------


def _cron_validator(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return validate_cron(value)
    except ValueError as exc:
        raise PydanticCustomError("cron", "{error}", {"error": str(exc)}) from None


# --- models ------------------------------------------------------------------------------------------


class Politeness(BaseModel):
    """Per-site overrides of the crawl's politeness settings (crawler/settings.py holds the defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    download_delay: float | None = Field(default=None, ge=0, le=300, description="DOWNLOAD_DELAY, seconds")
    concurrency: int | None = Field(default=None, ge=1, le=64, description="CONCURRENT_REQUESTS_PER_DOMAIN")
    autothrottle: bool | None = Field(default=None, description="AUTOTHROTTLE_ENABLED")
    autothrottle_start_delay: float | None = Field(default=None, ge=0, le=300)
    autothrottle_target_concurrency: float | None = Field(default=None, gt=0, le=64)
    timeout: float | None = Field(default=None, gt=0, le=600, description="DOWNLOAD_TIMEOUT, seconds")
    retry_times: int | None = Field(default=None, ge=0, le=10, description="RETRY_TIMES")
    max_download_bytes: int | None = Field(default=None, ge=1024, description="DOWNLOAD_MAXSIZE")

    def scrapy_settings(self) -> dict[str, Any]:
        """The Scrapy settings these overrides stand for (only the ones given)."""
        names = {
            "download_delay": "DOWNLOAD_DELAY",
            "concurrency": "CONCURRENT_REQUESTS_PER_DOMAIN",
            "autothrottle": "AUTOTHROTTLE_ENABLED",
            "autothrottle_start_delay": "AUTOTHROTTLE_START_DELAY",
            "autothrottle_target_concurrency": "AUTOTHROTTLE_TARGET_CONCURRENCY",
            "timeout": "DOWNLOAD_TIMEOUT",
            "retry_times": "RETRY_TIMES",
            "max_download_bytes": "DOWNLOAD_MAXSIZE",
        }
        return {names[key]: value for key, value in self.model_dump(exclude_none=True).items()}

    def merged_over(self, defaults: Politeness) -> Politeness:
        """This site's values where given, the file's defaults elsewhere."""
        return Politeness(**{**defaults.model_dump(exclude_none=True), **self.model_dump(exclude_none=True)})


class FollowRules(BaseModel):
    """Link-following from ``start_urls``: which links to follow and how many hops away."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allow: list[Pattern] = Field(default_factory=list, description="follow only URLs matching one of these")
    deny: list[Pattern] = Field(default_factory=list, description="never follow URLs matching these")
    max_depth: int = Field(default=1, ge=0, le=10, description="link hops from a start URL")
    from_articles: bool = Field(default=False, description="also follow links found on article pages")


class SiteDefaults(BaseModel):
    """``defaults:`` applied to every site that does not set the key itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    languages: list[Language] | None = None
    min_words: int | None = Field(default=None, ge=0)
    articles_only: bool | None = None
    max_age_days: float | None = Field(default=None, gt=0)
    max_articles: int | None = Field(default=None, ge=1)
    politeness: Politeness = Field(default_factory=Politeness)
    schedule: Annotated[str | None, AfterValidator(_cron_validator)] = None


class SiteConfig(BaseModel):
    """One site to crawl. URLs may be relative ('/feeds/rss.xml') when ``base_url`` is given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="also the output directory name")
    enabled: bool = True
    base_url: Url | None = None
    home: Url | None = Field(
        default=None,
        description="the site's home page: its <link rel=alternate> feeds and robots.txt sitemaps are "
        "found and crawled (crawler/discovery.py: alternate_feeds); without article_url, every page under it "
        "is a candidate",
    )
    allowed_domains: list[Domain] = Field(default_factory=list)
    feeds: list[Url] = Field(default_factory=list, description="RSS or Atom feeds")
    sitemaps: list[Url] = Field(default_factory=list, description="sitemaps, sitemap indexes, news sitemaps")
    sitemaps_from_robots: bool = Field(default=False, description="also read Sitemap: lines of robots.txt")
    sitemap_follow: list[Pattern] = Field(
        default_factory=list, description="in a sitemap index, follow only child sitemaps matching these"
    )
    start_urls: list[Url] = Field(default_factory=list)
    follow: FollowRules = Field(default_factory=FollowRules)
    article_url: list[Pattern] = Field(
        default_factory=list, description="a page is an article if its URL matches (optional with home:)"
    )
    article_url_deny: list[Pattern] = Field(default_factory=list, description="...unless it matches these")
    languages: list[Language] | None = Field(default=None, description="languages to keep; None: config")
    min_words: int | None = Field(default=None, ge=0)
    articles_only: bool = Field(
        default=True,
        description="reject pages that are not articles (section fronts, listings, products: the record's "
        "page_type) as not_article; false writes them, labelled",
    )
    max_age_days: float | None = Field(
        default=None, gt=0, description="skip feed/sitemap entries whose date is older than this"
    )
    max_articles: int | None = Field(default=None, ge=1, description="stop requesting articles after this")
    politeness: Politeness = Field(default_factory=Politeness)
    schedule: Annotated[str | None, AfterValidator(_cron_validator)] = None
    boilerplate: dict[str, Any] | str | None = Field(
        default=None,
        description="the site's own removal and keep rules ({remove: [...], keep: [...]}, as in "
        "boilerplate.yaml), or a YAML file of that shape, relative to the sites file (cleaners/site_rules.py)",
    )

    @field_validator("base_url")
    @classmethod
    def _absolute_base(cls, value: str | None) -> str | None:
        if value is not None and value.startswith("/"):
            raise PydanticCustomError("url", "base_url must be an absolute http(s) URL")
        return value

    @model_validator(mode="after")
    def _has_a_source(self) -> SiteConfig:
        if not (self.feeds or self.sitemaps or self.sitemaps_from_robots or self.start_urls or self.home):
            raise PydanticCustomError(
                "no_source", "give at least one of home, feeds, sitemaps, sitemaps_from_robots, start_urls"
            )
        if not self.article_url and not self.home:
            raise PydanticCustomError("no_article_url", "give article_url patterns (or a home page: home)")
        if self.sitemaps_from_robots and not (self.base_url or self.feeds or self.sitemaps or self.start_urls):
            raise PydanticCustomError("no_source", "sitemaps_from_robots needs a base_url to find robots.txt")
        return self

    # -- derived values (the spider and the pipelines use these) --

    def absolute(self, url: str) -> str:
        base = self.base_url or self.home
        return urljoin(base, url) if base and url.startswith("/") else url

    @property
    def home_url(self) -> str | None:
        return self.absolute(self.home) if self.home else None

    @property
    def article_patterns(self) -> list[str]:
        """``article_url``, or for a site given by its home page only: any URL under the home page."""
        if self.article_url or not self.home_url:
            return list(self.article_url)
        home = self.home_url
        parts = urlsplit(home)
        prefix = f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}/"
        return ["^" + re.escape(prefix)]

    @property
    def feed_urls(self) -> list[str]:
        return [self.absolute(u) for u in self.feeds]

    @property
    def sitemap_urls(self) -> list[str]:
        return [self.absolute(u) for u in self.sitemaps]

    @property
    def start_page_urls(self) -> list[str]:
        return [self.absolute(u) for u in self.start_urls]

    @property
    def _entry_points(self) -> list[str]:
        return [self.base_url or "", self.home_url or "", *self.feed_urls, *self.sitemap_urls, *self.start_page_urls]

    @property
    def robots_urls(self) -> list[str]:
        """robots.txt of every host the site's entry points live on (for ``sitemaps_from_robots``)."""
        hosts: dict[str, None] = {}
        for url in [
            self.base_url or "",
            self.home_url or "",
            *self.feed_urls,
            *self.sitemap_urls,
            *self.start_page_urls,
        ]:
            parts = urlsplit(url)
            if parts.scheme and parts.netloc:
                hosts[f"{parts.scheme}://{parts.netloc}/robots.txt"] = None
        return list(hosts)

    @property
    def domains(self) -> list[str]:
        """Domains the crawl may fetch from: the configured ones, else the hosts of every entry point."""
        if self.allowed_domains:
            return list(self.allowed_domains)
        found: dict[str, None] = {}
        for url in [
            self.base_url or "",
            self.home_url or "",
            *self.feed_urls,
            *self.sitemap_urls,
            *self.start_page_urls,
        ]:
            host = urlsplit(url).hostname
            if host:
                found[host.lower()] = None
        return list(found)

    @cached_property
    def cleaning_overrides(self) -> tuple[tuple[str, Any], ...]:
        """What this site changes in the cleaning options, as the hashable tuple the worker caches on."""
        overrides: list[tuple[str, Any]] = []
        if self.min_words is not None:
            overrides.append(("min_words", self.min_words))
        if self.languages is not None:
            overrides.append(("languages", tuple(self.languages)))
        overrides.append(("articles_only", self.articles_only))
        if isinstance(self.boilerplate, dict):  # load_sites has read a named file and checked the rules
            overrides.append(("site_rules", site_rules_of(self)))
        return tuple(overrides)

    def with_defaults(self, defaults: SiteDefaults) -> SiteConfig:
        """A copy where every key the site did not set takes the file's default."""
        changes: dict[str, Any] = {}
        for key in ("languages", "min_words", "articles_only", "max_age_days", "max_articles", "schedule"):
            if key not in self.model_fields_set and getattr(defaults, key) is not None:
                changes[key] = getattr(defaults, key)
        changes["politeness"] = self.politeness.merged_over(defaults.politeness)
        return self.model_copy(update=changes)


class SitesFile(BaseModel):
    """The whole file: ``sites:`` (a list) and optional ``defaults:``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    defaults: SiteDefaults = Field(default_factory=SiteDefaults)
    sites: list[SiteConfig] = Field(min_length=1)


@dataclass(frozen=True)
class Sites:
    """The loaded configuration: sites by name, defaults applied, plus where it came from."""

    path: Path
    sites: tuple[SiteConfig, ...]

    @property
    def names(self) -> list[str]:
        return [site.name for site in self.sites]

    def get(self, name: str) -> SiteConfig:
        for site in self.sites:
            if site.name == name:
                return site
        raise ConfigError(f"{self.path}: no site named {name!r} (sites: {', '.join(self.names)})")

    def select(self, names: Iterable[str] | None) -> list[SiteConfig]:
        """The named sites (in the order given), or every enabled site when no name is given."""
        wanted = list(names or [])
        if not wanted:
            return [site for site in self.sites if site.enabled]
        return [self.get(name) for name in wanted]


# --- loading -----------------------------------------------------------------------------------------


def expand_env(data: Any, path: Path, location: str = "", environ: dict[str, str] | None = None) -> Any:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string; an unset variable without default is an
    error naming the key, so a typo in a variable name cannot turn into a request to a wrong host."""
    env = os.environ if environ is None else environ
    if isinstance(data, dict):
        return {
            key: expand_env(value, path, f"{location}.{key}" if location else str(key), env)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [expand_env(value, path, f"{location}[{i}]", env) for i, value in enumerate(data)]
    if isinstance(data, str) and "${" in data:

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            value = env.get(name)
            if value:
                return value
            if default is not None:
                return default
            raise ConfigError(f"{path}: {location or '(top level)'}: environment variable {name} is not set")

        return _ENV_REF.sub(substitute, data)
    return data


def _cross_checks(spec: SitesFile, path: Path) -> None:
    """Rules pydantic cannot see one field at a time, reported with their key path all the same."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, site in enumerate(spec.sites):
        where = f"{path}: sites[{index}]"
        if site.name in seen:
            problems.append(f"{where}.name: duplicate site name {site.name!r} (also sites[{seen[site.name]}])")
        seen.setdefault(site.name, index)
        if not site.base_url:
            for key in ("feeds", "sitemaps", "start_urls"):
                for position, url in enumerate(getattr(site, key)):
                    if url.startswith("/"):
                        problems.append(f"{where}.{key}[{position}]: relative URL {url!r} needs a base_url")
    if problems:
        raise ConfigError("\n".join(problems))


def resolve_config_path(config_path: str | os.PathLike[str] | None) -> Path:
    """The sites file as the user named it, else $PRESSWASH_SITES_CONFIG, else config/sites.yaml of the
    current directory (so `scrapy crawl` works from the project root as Scrapy users expect), else the
    built-in one (cleaners.options.find_config)."""
    return find_config("sites.yaml", config_path)


def load_sites(config_path: str | os.PathLike[str] | None = None) -> Sites:
    """Load, expand ``${VAR}``, validate and apply defaults. Raises ConfigError naming file and key path."""
    path = resolve_config_path(config_path)
    data = expand_env(load_yaml(path), path)
    spec = validate(SitesFile, data, path)
    _cross_checks(spec, path)
    sites = [site.with_defaults(spec.defaults) for site in spec.sites]
    for index, site in enumerate(sites):
        if site.boilerplate is not None:
            sites[index] = _with_site_rules(site, path, index)
    return Sites(path=path, sites=tuple(sites))


def _with_site_rules(site: SiteConfig, path: Path, index: int) -> SiteConfig:
    """Read the site's rules file (if it names one) and check the rules now, naming file and key."""
    data: Any = site.boilerplate
    where = f"{path}: sites[{index}].boilerplate"
    if isinstance(data, str):
        rules_path = (path.parent / data).resolve()
        data = expand_env(load_yaml(rules_path), rules_path)
        where = str(rules_path)
        if not isinstance(data, dict):
            raise ConfigError(f"{rules_path}: want a mapping with 'remove:' and 'keep:' lists")
    compile_site_rules(site.name, data, where)
    return site.model_copy(update={"boilerplate": data})


@functools.lru_cache(maxsize=64)
def _site_rules_cached(name: str, canonical: str) -> SiteRules:
    return compile_site_rules(name, json.loads(canonical), f"sites.{name}.boilerplate")


def site_rules_of(site: SiteConfig) -> SiteRules | None:
    """The site's compiled rules (None without ``boilerplate:``), compiled once per process."""
    if not isinstance(site.boilerplate, dict):
        return None
    return _site_rules_cached(site.name, json.dumps(site.boilerplate, sort_keys=True, ensure_ascii=False))


_PRIVATE_SUFFIXES = (".localhost", ".local", ".test", ".invalid", ".example", ".internal", ".lan", ".home.arpa")


def is_public_host(host: str) -> bool:
    """A host on the public internet: not loopback or a private address, not a reserved name (.test, .local)."""
    import ipaddress

    host = host.strip("[]").lower().rstrip(".")
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return bool(host) and host != "localhost" and not host.endswith(_PRIVATE_SUFFIXES)


def contact_warning(sites: Iterable[SiteConfig], contact_url: str | None, default_contact: str) -> str | None:
    """The one warning for crawling public sites while the User-Agent still names the project, not the
    person crawling: site owners who want to reach them would write to the wrong people."""
    if contact_url and contact_url != default_contact:
        return None
    public = sorted({site.name for site in sites if any(is_public_host(domain) for domain in site.domains)})
    if not public:
        return None
    return (
        f"crawling public sites ({', '.join(public)}) with the project's contact in the User-Agent "
        f"({default_contact}), not yours: set your own page or mailto: with --contact-url URL, "
        "$PRESSWASH_CONTACT_URL or -s PRESSWASH_CONTACT_URL=URL, so site owners can reach you"
    )


def split_config_args(
    config: str | None, sites: str | None, clean_config: str | None = None
) -> tuple[str | None, str | None]:
    """(sites file, presswash.yaml) from a command's ``--sites``, ``--config`` and old ``--clean-config``.

    ``--config`` names presswash.yaml in every command and ``--sites`` the sites file. ``crawl`` and
    ``schedule`` used to take the sites file as ``--config``: a file given there that holds a top-level
    ``sites:`` (or is not valid YAML, so it cannot be a presswash.yaml either) is still taken as the sites
    file, with a one-line note, so existing command lines and crontabs keep working.
    """
    if config and _looks_like_sites_file(config):
        if sites:
            raise ConfigError(f"{config}: a sites file given as --config beside --sites {sites}; use --sites only")
        print(
            f"presswash: note: {config} is a sites file: use --sites {config} (--config names presswash.yaml)",
            file=sys.stderr,
        )
        return config, clean_config
    return sites, config or clean_config


def _looks_like_sites_file(path: str) -> bool:
    try:
        data = load_yaml(path)
    except ConfigError:
        return Path(path).suffix.lower() in (".yaml", ".yml") and "sites" in Path(path).name.lower()
    return isinstance(data, dict) and "sites" in data
