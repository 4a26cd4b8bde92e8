"""Downloader and spider middlewares, one a module: retry (backoff), robots, offsite, conditional_get, archive.

``crawler.settings`` names them by these package-level paths (``crawler.middlewares.RobotsTxtMiddleware``
...), which the docs quote; the classes live in the modules below.
"""

from crawler.middlewares.archive import ArchiveMiddleware
from crawler.middlewares.conditional_get import ConditionalGetMiddleware
from crawler.middlewares.offsite import OffsiteMiddleware
from crawler.middlewares.retry import BackoffRetryMiddleware
from crawler.middlewares.robots import RobotsTxtMiddleware

__all__ = [
    "ArchiveMiddleware",
    "BackoffRetryMiddleware",
    "ConditionalGetMiddleware",
    "OffsiteMiddleware",
    "RobotsTxtMiddleware",
]
