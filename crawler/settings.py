"""Scrapy settings for presswash: polite by default, and the known traps of Scrapy 2.19 avoided.

Per-site overrides come from config/sites.yaml (``politeness:``) and are applied by the spider at
"spider" priority; command-line ``-s`` and ``presswash crawl --set`` win over both.
"""

from __future__ import annotations

import os

from cleaners import __version__

BOT_NAME = "presswash"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# `scrapy crawl news` checks its arguments and config files first: a mistake is one message, exit status 2.
COMMANDS_MODULE = "crawler.commands"

# --- identity: an honest User-Agent naming the project and a way to reach the operator ---------------
# Set PRESSWASH_CONTACT_URL (environment, -s, or `presswash crawl --contact-url`) to a page or mailto:
# where site owners can reach whoever runs this crawl; the spider rebuilds USER_AGENT from it.
# Left at the project's own page, crawling a public site warns once (crawler.sites.contact_warning).
DEFAULT_CONTACT_URL = "https://github.com/presswash/presswash"
PRESSWASH_CONTACT_URL = os.environ.get("PRESSWASH_CONTACT_URL") or DEFAULT_CONTACT_URL
USER_AGENT = f"presswash/{__version__} (+{PRESSWASH_CONTACT_URL})"

# --- politeness --------------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "presswash"  # the token robots.txt rules are matched against
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5  # also the floor under AutoThrottle's delay
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.5
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024  # a news page is rarely above 2 MB; bigger bodies are cancelled
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
METAREFRESH_MAXDELAY = 5  # follow instant "moved" refreshes, not a page that reloads itself every minute
COOKIES_ENABLED = False  # news pages need no session; cookies only bring consent walls and tracking
URLLENGTH_LIMIT = 2083

# Retries with exponential backoff (crawler.middlewares.BackoffRetryMiddleware replaces Scrapy's own):
# the n-th retry waits about PRESSWASH_RETRY_BACKOFF_BASE * 2**(n-1) s, capped, or what Retry-After says.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
PRESSWASH_RETRY_BACKOFF_BASE = 1.0
PRESSWASH_RETRY_BACKOFF_MAX = 60.0

DOWNLOADER_MIDDLEWARES = {
    # Scrapy 2.19's lets through all but the first of the requests that wait for a host's robots.txt.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    # Scrapy's drops offsite redirects without a trace in the accounting; ours reports them.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.OffsiteMiddleware": 50,
    "crawler.middlewares.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # After the backoff wait, before HttpCompressionMiddleware (590): conditional GET on refetches, and
    # known article URLs dropped at fetch time (requests resumed from a JOBDIR, redirects to known pages).
    "crawler.middlewares.ConditionalGetMiddleware": 580,
}
SPIDER_MIDDLEWARES = {
    "crawler.middlewares.ArchiveMiddleware": 600,  # raw WARC copy of every article page, before cleaning
}

# --- known traps -------------------------------------------------------------------------------------
# The default 100 starts ~100 asyncio tasks per response and halves fetch speed; one item per page here.
CONCURRENT_ITEMS = 8
# Two local servers start by default; 2.19's remote control runs arbitrary Python via /execute.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "INFO"
# Rejected articles are normal (too short, wrong language): counted in stats, the first of each kind is
# logged by the pipeline, so Scrapy need not log every drop as a warning.
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"
# Keeps Scrapy's own bookkeeping (.scrapy/) and HTTP cache off unless asked for.
HTTPCACHE_ENABLED = False

# Scrapy's FEEDS stay usable for other storage (S3, GCS, CSV...): they receive the same dicts the
# JSON-lines writer does. Keep their text readable rather than \u-escaped.
FEED_EXPORT_ENCODING = "utf-8"

# --- presswash ---------------------------------------------------------------------------------------
ITEM_PIPELINES = {
    "crawler.pipelines.CleanPipeline": 300,
    # The site's learned template (lines recurring across its articles) comes off here, in the crawl's
    # process where records arrive in order (crawler/pipelines/site_template.py; docs/health.md).
    "crawler.pipelines.SiteTemplatePipeline": 400,
    "crawler.pipelines.DedupPipeline": 500,
    "crawler.pipelines.JsonlWriterPipeline": 800,
    # After the JSON lines (the record of truth): only written articles are loaded. Without a DSN it
    # leaves itself out (NotConfigured); with PostgreSQL down it counts and lets every item through.
    "crawler.pipelines.PostgresPipeline": 900,
}
EXTENSIONS = {
    "crawler.extensions.SiteGuard": 100,  # site lock + JOBDIR hygiene, before anything opens the JOBDIR
    "crawler.extensions.DiskGuard": 110,  # a full disk stops the crawl with a clear error; stops end
    "crawler.extensions.RunAccounting": 500,
    # After RunAccounting (its stats file is written first): the site's health row, drift vs its baseline.
    "crawler.extensions.SiteHealthRecorder": 505,
    "crawler.extensions.FetchStateRecorder": 510,
    # The run log's record of a `scrapy crawl` or scrapyd run (`presswash crawl` and the scheduler record
    # their own: PRESSWASH_RUN_RECORDED, $PRESSWASH_HELD_LOCKS).
    "crawler.extensions.RunRecorder": 520,
    # After RunRecorder (which records a `scrapy crawl` run when it opens): the run's heartbeat.
    "crawler.extensions.RunHeartbeat": 530,
}
# Where sites are configured (the spider's `-a config=PATH` wins) and what cleaning options apply.
PRESSWASH_SITES_CONFIG = None  # None: config/sites.yaml of the current directory, else of the project
PRESSWASH_CONFIG = None  # None: the project's config/presswash.yaml
# Articles go to OUTPUT_DIR/<site>/<YYYY-MM-DD>.jsonl, run stats and URL ledger to OUTPUT_DIR/<site>/runs/.
PRESSWASH_OUTPUT_DIR = "output"
# The run id names the stats file; a scheduler that starts the crawl may choose it (env PRESSWASH_RUN_ID).
PRESSWASH_RUN_ID = os.environ.get("PRESSWASH_RUN_ID") or None  # None: UTC start time + pid
# How often a running crawl writes its heartbeat into the run log (crawler.extensions.heartbeat); 0: never.
PRESSWASH_RUN_HEARTBEAT_SECONDS = float(os.environ.get("PRESSWASH_RUN_HEARTBEAT_SECONDS") or 60)
PRESSWASH_URL_LEDGER = True  # one JSON line per fetched URL with its outcome (the audit trail)
# Bounded queueing: article requests one run makes from sitemap entries at most. Past it, entries are
# counted (presswash/entries/sitemap/deferred) and left for the next run, which skips the known ones.
PRESSWASH_MAX_SITEMAP_URLS = 50_000
# A full disk (crawler.extensions.DiskGuard): the crawl stops (finish reason disk_full) when the output,
# state or JOBDIR directory has less free space than this, checked every PRESSWASH_DISK_CHECK_INTERVAL s
# and on any disk-full error; and any stop (SIGTERM, SIGINT, disk full) ends the process within
# PRESSWASH_CLOSE_TIMEOUT s, even when the graceful close cannot finish.
PRESSWASH_MIN_FREE_BYTES = 50 * 1024 * 1024
PRESSWASH_DISK_CHECK_INTERVAL = 2.0
PRESSWASH_CLOSE_TIMEOUT = 120.0
# Cleaning runs in a process pool so trafilatura never blocks the event loop. "inline" cleans in the
# crawl's own thread, blocking fetches while it works (for debugging and for the benchmark's comparison).
PRESSWASH_CLEAN_MODE = "pool"
PRESSWASH_CLEAN_WORKERS = None  # None: one per CPU core

# Recurring crawls (docs/recurring.md). The spider fills these from the state/dedup/archive sections of
# presswash.yaml (at "spider" priority, so --set/-s still win); None here means "from presswash.yaml".
# "off" (-s PRESSWASH_STATE=off): a one-off crawl that ignores the incremental state and keeps none (a
# throwaway store for this run's dedup, no JOBDIR, no run record): everything is fetched and written again.
PRESSWASH_STATE = "on"
PRESSWASH_STATE_PATH = None  # SQLite state file; default output/state.sqlite3 ($PRESSWASH_STATE_PATH wins)
PRESSWASH_DEDUP = None  # the dedup: section as a dict (cleaners.dedup.DedupSettings)
PRESSWASH_STATE_SETTINGS = None  # the state: section as a dict (retention, WAL limit; crawler.state)
PRESSWASH_ARCHIVE_DIR = None  # raw WARC root (output/raw); None with archive.enabled: false
PRESSWASH_ARCHIVE_RETENTION_DAYS = None
# `presswash crawl` locks every site it crawls before starting and says so here; `scrapy crawl` does not,
# so the SiteGuard extension takes the site's lock itself.
PRESSWASH_SITE_LOCKED = False
# Set by `presswash crawl` once it has warned about a missing contact URL, so its spiders do not again.
PRESSWASH_CONTACT_WARNED = False
# `presswash crawl` writes the run log's records itself; `scrapy crawl` and scrapyd leave it to RunRecorder.
PRESSWASH_RUN_RECORDED = False
# JOBDIR: output/jobs/<site> (state.jobs_dir), set by the spider; a killed run's JOBDIR is discarded.

# Scale-out (docs/scaling.md). `presswash crawl` fills these from the scale: section of presswash.yaml;
# the environment variables serve `scrapy crawl` and scrapyd. With a Redis URL the spider puts the site's
# request queue and fingerprints (scrapy-redis) and the state (crawler.state.redis_store) on that server, so any
# number of processes crawl one site together; `presswash seed` queues its entry points.
PRESSWASH_REDIS_URL = os.environ.get("PRESSWASH_REDIS_URL") or None
PRESSWASH_REDIS_PREFIX = os.environ.get("PRESSWASH_REDIS_PREFIX") or "presswash"  # every key starts with it
# Every written article is also upserted into <schema>.articles (crawler.pipelines.PostgresPipeline).
PRESSWASH_POSTGRES_DSN = os.environ.get("PRESSWASH_POSTGRES_DSN") or None
