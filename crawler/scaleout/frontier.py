"""The shared frontier: scrapy-redis's scheduler and dupefilter on per-site keys.

The translation lives in crawler.config (:func:`crawler.config.frontier_scrapy_settings`, part of the one
translator, ``recurring_scrapy_settings``); the names stay importable from here for the scale-out room.
"""

from __future__ import annotations

from crawler.config import SiteKeys
from crawler.config import frontier_scrapy_settings as redis_settings

__all__ = ["SiteKeys", "redis_settings"]
