"""Initializer of the crawl's cleaning workers: cleaners.worker.init_worker plus a watchdog on the crawl.

When the crawl is killed with SIGKILL it cannot shut its pool down, and ProcessPoolExecutor workers
(Python 3.11) would wait on their call queue forever, as orphans; the multiprocessing forkserver, their
parent, stays up as long as they do. So each worker watches the crawl process itself and exits once it
is gone. Kept free of Scrapy imports: it runs in every worker.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from cleaners.worker import init_worker

WATCH_INTERVAL_SECONDS = 0.5


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (not Linux): trust kill()
    return state != "Z"


def _watch(crawl_pid: int) -> None:
    while process_alive(crawl_pid):
        time.sleep(WATCH_INTERVAL_SECONDS)
    os._exit(3)  # nothing to clean up: the results have nowhere to go


def init_crawl_worker(config_path: str | None, crawl_pid: int | None = None) -> None:
    """Pool initializer for the crawl (see the module docstring)."""
    if crawl_pid is not None:
        threading.Thread(target=_watch, args=(crawl_pid,), name="crawl-watchdog", daemon=True).start()
    init_worker(config_path)
