"""Scrapy extensions, one a module: accounting (the run's stats and URL ledger), disk_guard, site_guard
(lock + JOBDIR), fetch_state (outcomes into the state store), run_recorder (the run log), health (the
site's health row and drift at the end of a run), heartbeat (a running crawl's sign of life in the run log).

``crawler.settings.EXTENSIONS`` names them by these package-level paths (``crawler.extensions.RunAccounting``
...); the classes live in the modules below.
"""

from crawler.extensions.accounting import RunAccounting
from crawler.extensions.disk_guard import DiskGuard
from crawler.extensions.fetch_state import FetchStateRecorder
from crawler.extensions.health import SiteHealthRecorder
from crawler.extensions.heartbeat import RunHeartbeat
from crawler.extensions.run_recorder import RunRecorder
from crawler.extensions.site_guard import SiteGuard

__all__ = [
    "DiskGuard",
    "FetchStateRecorder",
    "RunAccounting",
    "RunHeartbeat",
    "RunRecorder",
    "SiteGuard",
    "SiteHealthRecorder",
]
